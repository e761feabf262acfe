#!/bin/bash
# Shell scripts run by busybox sh and by bash-static give the same output and exit status
# natively and in the sandbox.
. "$(dirname "$0")/lib.sh"
scripts=$(dirname "$0")/scripts
bb=/bin/busybox
# bash-static runs the same scripts with busybox's applets first in PATH.
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
for applet in sort head tr wc sleep yes cat printf sh; do ln -s "$bb" "$tools/$applet"; done
for script in "$scripts"/*.sh; do
  name=$(basename "$script" .sh)
  expect_same "busybox sh $name" $bb sh "$script"
  expect_same "bash $name" env PATH="$tools:/usr/bin:/bin" /usr/bin/bash-static "$script"
done
# The pipeline that needs SIGPIPE to end.
out=$(timeout 60 "$MS" $bb sh -c 'yes | head -n 100000 | wc -l')
[ "$out" = 100000 ] && pass "yes | head | wc ends with 100000" || fail "yes | head: [$out]"
finish
