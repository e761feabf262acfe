#!/bin/bash
# busybox applets give the same output and status natively and in the sandbox.
. "$(dirname "$0")/lib.sh"
BB=/bin/busybox
expect_same "echo" $BB echo hello
expect_same "true" $BB true
expect_same "false" $BB false
expect_same "printf" $BB printf '%s=%d %x\n' answer 42 255
expect_same "expr" $BB expr 6 '*' 7
expect_same "expr false" $BB expr 0
expect_same "seq" $BB seq 1 3 20
expect_same "basename" $BB basename /usr/lib/x86_64-linux-gnu/libc.so.6 .so.6
expect_same "dirname" $BB dirname /usr/lib/libc.so
expect_same "uname -s" $BB uname -s

# cat copies stdin to stdout.
out=$(printf 'line one\nline two\n' | "$MS" $BB cat)
[ "$out" = $'line one\nline two' ] && pass "cat from stdin" || fail "cat from stdin: [$out]"
# A large stdin through cat: every byte arrives.
sum_native=$(head -c 3000000 /bin/busybox | md5sum)
sum_sandbox=$(head -c 3000000 /bin/busybox | "$MS" $BB cat | md5sum)
[ "$sum_native" = "$sum_sandbox" ] && pass "cat 3 MB through pipes" || fail "cat 3 MB: checksums differ"
finish
