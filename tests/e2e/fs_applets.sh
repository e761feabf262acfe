#!/bin/bash
# busybox applets on files give the same output and status natively and in the sandbox.
# Each check runs a small script in its own copy of a fixture tree: natively in one copy,
# under minisentry in another (whose changes stay in the sandbox's memory).
. "$(dirname "$0")/lib.sh"
BB=/bin/busybox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fixture: files with fixed times, so that listings agree.
fixture=$work/fixture
mkdir -p "$fixture/src/sub/deeper" "$fixture/empty"
printf 'alpha\nbeta\ngamma\nalpha\nbeta\nalpha\n' >"$fixture/words.txt"
printf 'zebra\napple\nmango\napple\n' >"$fixture/src/fruit.txt"
printf 'needle in a haystack\n' >"$fixture/src/sub/hay.txt"
printf 'deep needle\n' >"$fixture/src/sub/deeper/deep.txt"
head -c 100000 /bin/busybox >"$fixture/src/binary.bin"
printf '#!/bin/sh\necho run\n' >"$fixture/src/script.sh"
chmod 755 "$fixture/src/script.sh"
chmod 600 "$fixture/src/fruit.txt"
ln -s sub/hay.txt "$fixture/src/hay.link"
ln "$fixture/words.txt" "$fixture/words.hard"
(cd "$fixture" && $BB tar czf archive.tgz src)
find "$fixture" -exec touch -h -d '2021-03-04 05:06:07' {} +

n=0
# same LABEL SCRIPT: sh -c SCRIPT in a fresh copy of the fixture, natively and sandboxed.
same() {
  n=$((n + 1))
  local label=$1 script=$2 native sandbox native_rc sandbox_rc
  cp -a "$fixture" "$work/native$n"
  cp -a "$fixture" "$work/sandbox$n"
  native=$(cd "$work/native$n" && timeout 60 $BB sh -c "$script" 2>&1 </dev/null)
  native_rc=$?
  sandbox=$(cd "$work/sandbox$n" && timeout 60 "$MS" $BB sh -c "$script" 2>&1 </dev/null)
  sandbox_rc=$?
  if [ "$native" != "$sandbox" ] || [ $native_rc != $sandbox_rc ]; then
    fail "$label: exit $native_rc vs $sandbox_rc"
    diff <(printf '%s\n' "$native") <(printf '%s\n' "$sandbox") | head -20
  else
    pass "$label ($(printf '%s\n' "$native" | wc -l) lines)"
  fi
}

same "ls -la" 'ls -la . src src/sub'
same "ls -lR" 'ls -lR src | sed "s/ *$//"'
same "cp -r" 'cp -r src copy && find copy | sort && md5sum copy/binary.bin copy/sub/hay.txt && readlink copy/hay.link'
# (A copied directory is new in the sandbox's memory layer, whose st_size is tmpfs's.)
# (cp -a does not keep a symlink's own time: it is the copy's creation time, both ways.)
same "cp -a keeps modes and times" 'cp -a src copy && find copy ! -type l | sort | xargs stat -c "%A %h %U %Y %N" && find copy -type l | xargs stat -c "%A %U %N"'
same "mv" 'mv words.txt moved.txt && ls && cat moved.txt | head -2 && mv src/sub src/renamed && find src | sort'
same "mv over existing" 'mv src/fruit.txt words.txt && cat words.txt && ls'
same "rm -r" 'rm -r src && ls && rm words.txt && ls -la | wc -l'
same "rm -r missing" 'rm -r nothing; echo $?'
same "mkdir -p" 'mkdir -p a/b/c/d && mkdir -p a/b && find a | sort && mkdir a; echo $?'
same "find" 'find . -name "*.txt" | sort && find . -type d | sort && find . -type l && find src -newer words.txt | sort'
same "find -exec" 'find src -type f -exec wc -c {} \; | sort'
same "grep -r" 'grep -r needle . | sort && grep -rl alpha . | sort && grep -c alpha words.txt'
same "grep -r missing" 'grep -r nothing-like-this .; echo $?'
same "sed -i" 'sed -i "s/alpha/omega/" words.txt && cat words.txt && cat words.hard && ls -l words.txt | cut -c1-10'
same "sort" 'sort words.txt && sort -r src/fruit.txt && sort -u words.txt'
same "uniq -c" 'sort words.txt | uniq -c && uniq -d words.txt'
same "wc" 'wc words.txt src/fruit.txt src/binary.bin'
same "tar czf / tzf" 'tar czf out.tgz src words.txt && tar tzf out.tgz | sort'
same "tar xzf" 'mkdir x && cd x && tar xzf ../archive.tgz && find . | sort && md5sum src/binary.bin && cat src/sub/hay.txt'
same "tar round trip" 'tar cf - src | (mkdir y && cd y && tar xf -) && diff -r src y/src && echo identical'
same "gzip/gunzip" 'gzip words.txt && ls && gunzip words.txt.gz && cat words.txt && gzip -c src/binary.bin | gunzip | md5sum'
same "md5sum" 'md5sum words.txt src/binary.bin src/sub/deeper/deep.txt && md5sum -c <<EOF2
$(md5sum words.txt)
EOF2'
same "du" 'du -s src && du -a src | sort -k2'
same "stat" 'stat -c "%n %s %F %a %h %U %G %Y" words.txt src src/hay.link src/script.sh src/fruit.txt'
same "ln -s, readlink -f" 'ln -s src/sub/deeper deep && readlink deep && readlink -f deep/deep.txt | sed "s|$PWD||" && ln -s nowhere dangling && readlink -f dangling | sed "s|$PWD||"; cat deep/deep.txt'
# Links to a file made here: copying a host file up breaks its host hard links, as Linux's
# overlayfs without index=on does.
same "ln hard links" 'echo x >f && ln f g && ln g h && stat -c %h f && rm g && stat -c %h h && ln src src2; echo $?'
same "touch" 'touch new && ls -l new | cut -c1-10 && touch -d "2020-01-02 03:04:05" new && stat -c %Y new && touch -c missing; ls missing; echo $?'
same "chmod" 'chmod 640 words.txt && stat -c %a words.txt && chmod -R go-rwx src && stat -c "%a %n" src/sub src/script.sh && chmod u+s src/script.sh && stat -c %A src/script.sh'
same "cat /proc/self/status fields" 'cat /proc/self/status | cut -d: -f1'
same "head/tail/cut/tr" 'head -n 2 words.txt && tail -c 12 words.txt && cut -c1-3 src/fruit.txt && tr a-z A-Z <words.txt'
same "dd" 'dd if=src/binary.bin of=part bs=1000 count=3 skip=2 2>/dev/null && wc -c part && md5sum part'
same "redirections" 'echo one >f && echo two >>f && cat f && exec 3<f && read line <&3 && echo "$line" && : >f && wc -c f'
same "cmp/diff" 'cp words.txt w2 && cmp words.txt w2 && echo same && echo x >>w2; cmp words.txt w2; diff words.txt w2; echo $?'
finish
