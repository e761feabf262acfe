#!/bin/bash
# A guest's i386 syscalls (int 0x80) never reach the host: the process is killed with
# SIGSYS and a clear message, before the syscall can write or create anything.
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prog=$GUEST/int80_musl

# Natively the i386 calls run where the host kernel offers the i386 ABI (then this proves
# the test can see them happen); elsewhere the CPU faults them and nothing can leak anyway.
(cd "$dir" && "$prog" "$dir/native-made" >"$dir/native.out" 2>/dev/null)
native=$?
if [ -d "$dir/native-made" ] && grep -q REACHED "$dir/native.out"; then
  pass "native int 0x80 runs on this host"
elif [ $native -eq $((128 + 11)) ]; then
  pass "this host has no i386 syscall entry (native int 0x80 faults)"
else
  fail "native run neither made the call nor faulted (exit $native)"
fi

"$MS" "$prog" "$dir/sandbox-made" >"$dir/sandbox.out" 2>"$dir/sandbox.err"
rc=$?
[ $rc -eq $((128 + 31)) ] && pass "killed by SIGSYS (exit $rc)" || fail "exit status $rc, wanted 159"
[ ! -e "$dir/sandbox-made" ] && pass "mkdir never reached the host" || fail "the directory exists"
! grep -q REACHED "$dir/sandbox.out" && pass "write never reached the host" ||
  fail "the marker was written"
! grep -q "still running" "$dir/sandbox.out" && pass "guest stopped at once" ||
  fail "guest kept running"
grep -q "32-bit syscall" "$dir/sandbox.err" && pass "message: $(cat "$dir/sandbox.err")" ||
  fail "no message on stderr"
finish
