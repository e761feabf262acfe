#!/bin/bash
# --strace prints strace-style lines, decoded, ending with exit_group.
. "$(dirname "$0")/lib.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$MS" --strace /bin/busybox echo traced >/dev/null 2>"$log"
grep -q 'exit_group(0) = ?' "$log" && pass "exit_group line" || fail "no exit_group(0) line"
grep -q 'write(1, "traced\\n", 7) = 7' "$log" && pass "write decoded" || fail "write not decoded"
grep -q 'brk(' "$log" && pass "brk traced" || fail "no brk line"
"$MS" --strace --log-file "$log" /bin/busybox true
grep -q 'exit_group(0) = ?' "$log" && pass "--log-file" || fail "--log-file has no exit_group"
"$MS" --stats /bin/busybox true 2>"$log"
grep -q 'exit_group' "$log" && grep -q 'total' "$log" && pass "--stats" || fail "--stats table"
finish
