#!/bin/bash
# An interactive busybox sh on a real terminal (tmux): a typed command runs, Ctrl-C stops a
# foreground sleep and returns to the prompt, a background job that reads the terminal (or
# writes it under `stty tostop`) is stopped by SIGTTIN (SIGTTOU) as natively, and `exit 3`
# ends minisentry with status 3.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { fail "tmux is missing: run scripts/setup"; finish; }
session=ms-interactive-$$
status_file=$(mktemp)
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -f "$status_file"' EXIT
tmux new-session -d -s "$session" -x 120 -y 30 \
  "env PS1='ms\$ ' $MS /bin/busybox sh; echo \$? >$status_file; sleep 30"

screen() { tmux capture-pane -p -t "$session"; }
# wait_for TEXT SECONDS: polls the screen for TEXT.
wait_for() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  return 1
}

wait_for 'ms$' 10 && pass "prompt appears" || fail "no prompt: $(screen | tail -3)"
tmux send-keys -t "$session" 'echo hi-from-the-sandbox' Enter
wait_for 'hi-from-the-sandbox' 5 && [ "$(screen | grep -c hi-from-the-sandbox)" -ge 2 ] &&
  pass "echo prints" || fail "echo: $(screen | tail -3)"
tmux send-keys -t "$session" 'sleep 10; echo slept-through' Enter
sleep 0.5
start=$(date +%s)
tmux send-keys -t "$session" C-c
tmux send-keys -t "$session" 'echo after-interrupt' Enter
wait_for 'after-interrupt' 5 && pass "Ctrl-C interrupts sleep" || fail "Ctrl-C: $(screen | tail -3)"
[ $(($(date +%s) - start)) -lt 5 ] && ! screen | grep -qx slept-through &&
  pass "sleep did not run to the end" || fail "sleep was not interrupted"
tmux send-keys -t "$session" 'cat &' Enter
sleep 0.5
tmux send-keys -t "$session" 'jobs' Enter
wait_for 'Stopped (tty input)' 5 && pass "a background reader of the terminal stops (SIGTTIN)" ||
  fail "SIGTTIN: $(screen | tail -3)"
tmux send-keys -t "$session" 'stty tostop; echo bg-write &' Enter
sleep 0.5
tmux send-keys -t "$session" 'jobs; stty -tostop' Enter
wait_for 'Stopped (tty output)' 5 && pass "a background writer stops under tostop (SIGTTOU)" ||
  fail "SIGTTOU: $(screen | tail -3)"
tmux send-keys -t "$session" 'kill -9 %1 %2' Enter
tmux send-keys -t "$session" 'exit 3' Enter
for _ in $(seq 100); do
  [ -s "$status_file" ] && break
  sleep 0.05
done
[ "$(cat "$status_file")" = 3 ] && pass "exit 3 ends minisentry with 3" ||
  fail "exit status [$(cat "$status_file")]"
finish
