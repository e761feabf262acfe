# Background jobs, wait, kill, traps, exit statuses.
sleep 0.2 &
pid=$!
wait $pid
echo "background sleep done: $?"
(exit 7) &
wait $!
echo "background exit status: $?"
sleep 5 &
victim=$!
kill -TERM $victim
wait $victim
echo "killed child status: $?"
trap 'echo trapped USR1' USR1
kill -USR1 $$
echo "after trap"
trap 'echo exiting with $?' EXIT
f() { return 3; }
f
echo "function returned $?"
( exit 42 )
echo "subshell exit $?"
sh -c 'exit 9'
echo "child shell exit $?"
false || echo "or-list after false"
true && echo "and-list after true"
