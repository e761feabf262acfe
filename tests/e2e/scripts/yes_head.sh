# A producer killed by SIGPIPE when its reader exits.
yes | head -n 100000 | wc -l
yes hello | head -n 3
echo "pipeline status: $?"
