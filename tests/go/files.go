// File I/O through the os package: MkdirAll, WriteFile/ReadFile, ReadDir (sorted),
// Rename, Stat, Chmod, Symlink/Readlink, RemoveAll.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func check(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func main() {
	dir, err := os.MkdirTemp(".", "gofiles")
	check(err)
	check(os.MkdirAll(filepath.Join(dir, "a/b/c"), 0755))
	for i := 0; i < 5; i++ {
		check(os.WriteFile(filepath.Join(dir, "a", fmt.Sprintf("f%d.txt", i)), []byte(fmt.Sprintf("file %d\n", i)), 0644))
	}
	entries, err := os.ReadDir(filepath.Join(dir, "a"))
	check(err)
	for _, e := range entries {
		info, _ := e.Info()
		// A directory's size depends on the filesystem: only files' sizes are compared.
		size := info.Size()
		if e.IsDir() {
			size = -1
		}
		fmt.Printf("%s dir=%v size=%d mode=%v\n", e.Name(), e.IsDir(), size, info.Mode().Perm())
	}
	check(os.Rename(filepath.Join(dir, "a/f1.txt"), filepath.Join(dir, "a/b/moved.txt")))
	data, err := os.ReadFile(filepath.Join(dir, "a/b/moved.txt"))
	check(err)
	fmt.Printf("moved file says %q\n", data)
	_, err = os.Stat(filepath.Join(dir, "a/f1.txt"))
	fmt.Println("old name gone:", os.IsNotExist(err))
	check(os.Chmod(filepath.Join(dir, "a/f2.txt"), 0600))
	st, err := os.Stat(filepath.Join(dir, "a/f2.txt"))
	check(err)
	fmt.Println("chmod:", st.Mode().Perm())
	check(os.Symlink("b/moved.txt", filepath.Join(dir, "a/link")))
	target, err := os.Readlink(filepath.Join(dir, "a/link"))
	check(err)
	fmt.Println("symlink to", target)
	f, err := os.OpenFile(filepath.Join(dir, "a/f3.txt"), os.O_APPEND|os.O_WRONLY, 0)
	check(err)
	_, err = f.WriteString("appended\n")
	check(err)
	check(f.Close())
	data, _ = os.ReadFile(filepath.Join(dir, "a/f3.txt"))
	fmt.Printf("appended: %q\n", data)
	check(os.RemoveAll(dir))
	_, err = os.Stat(dir)
	fmt.Println("tree removed:", os.IsNotExist(err))
}
