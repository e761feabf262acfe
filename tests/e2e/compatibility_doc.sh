#!/bin/bash
# docs/compatibility.md is what `minisentry --list-syscalls` prints: the table in the repo
# never drifts from the syscall table in the code. Regenerate it with
#   build/minisentry --list-syscalls > docs/compatibility.md
. "$(dirname "$0")/lib.sh"
DOC="$(dirname "$0")/../../docs/compatibility.md"
if diff -u "$DOC" <("$MS" --list-syscalls) >/dev/null; then
  pass "docs/compatibility.md matches --list-syscalls"
else
  fail "docs/compatibility.md is stale: regenerate it with --list-syscalls"
fi
finish
