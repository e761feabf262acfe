#!/bin/bash
# Killing minisentry with SIGKILL leaves no guest process running.
. "$(dirname "$0")/lib.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$MS" "$GUEST/spin_musl" >"$out" &
ms_pid=$!
for _ in $(seq 100); do
  grep -q spinning "$out" && break
  sleep 0.05
done
grep -q spinning "$out" || fail "guest never started"
# The stubs are the sentry's children.
stubs=$(ps -o pid= --ppid $ms_pid)
[ -n "$stubs" ] && pass "stub processes: $(echo $stubs)" || fail "no stub processes found"
kill -KILL $ms_pid
wait $ms_pid 2>/dev/null
sleep 0.5
alive=""
for pid in $stubs; do
  state=$(ps -o stat= -p "$pid" 2>/dev/null)
  case "$state" in
    "" | Z*) ;;  # gone, or a zombie waiting for init to reap it
    *) alive="$alive $pid($state)" ;;
  esac
done
[ -z "$alive" ] && pass "no guest process left" || fail "still running:$alive"
finish
