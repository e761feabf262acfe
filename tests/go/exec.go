// os/exec: running a child program, its output, exit codes, stdin, and environment.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		fmt.Printf("child got %q env=%s\n", os.Args[2:], os.Getenv("GREETING"))
		os.Exit(3)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	cmd := exec.Command(self, "child", "one", "two")
	cmd.Env = append(os.Environ(), "GREETING=hello")
	out, err := cmd.Output()
	fmt.Printf("output: %s", out)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		fmt.Println("exit code", exitErr.ExitCode())
	}
	echo := exec.Command("/bin/busybox", "tr", "a-z", "A-Z")
	echo.Stdin = strings.NewReader("shout this\n")
	up, err := echo.Output()
	fmt.Printf("tr: %s err=%v\n", strings.TrimSpace(string(up)), err)
	_, err = exec.Command("/nonexistent/program").Output()
	fmt.Println("missing program fails:", err != nil)
}
