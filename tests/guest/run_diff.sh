#!/bin/bash
# Runs a guest program natively and under minisentry, each in a fresh empty directory with
# stdin from /dev/null, and compares stdout and exit status.
# Usage: run_diff.sh MINISENTRY TIMEOUT BINARY [ARGS...]
set -u
ms=$1
limit=$2
bin=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/native" "$work/sandbox"

(cd "$work/native" && timeout "$limit" "$bin" "$@" >../native.out 2>../native.err </dev/null)
native=$?
(cd "$work/sandbox" && timeout "$limit" "$ms" "$bin" "$@" >../sandbox.out 2>../sandbox.err </dev/null)
sandbox=$?

status=0
if [ "$native" = 124 ]; then
  echo "the native run timed out after ${limit}s: the test itself hangs"
  status=1
fi
if ! cmp -s "$work/native.out" "$work/sandbox.out"; then
  echo "stdout differs (native vs minisentry):"
  diff -u "$work/native.out" "$work/sandbox.out" | head -60
  status=1
fi
if [ "$native" != "$sandbox" ]; then
  echo "exit status differs: native $native, minisentry $sandbox"
  status=1
fi
if [ $status != 0 ]; then
  echo "--- minisentry stderr:"
  head -40 "$work/sandbox.err"
else
  echo "ok: $(wc -l <"$work/native.out") lines, exit $native"
fi
exit $status
