# set -e stops at the first failure; exec replaces the shell.
set -e
echo before
false || true
echo still here
sh -c 'echo in exec target; exit 5' &
wait $! || echo "child failed with $?"
exec sh -c 'echo exec replaced the shell; exit 4'
echo never printed
