#!/bin/bash
# --net=host: guest TCP and UDP go through host sockets the sentry owns. Without it the guest
# has only its own loopback: the host's servers are out of reach.
. "$(dirname "$0")/lib.sh"
BB=/bin/busybox
DIR=$(mktemp -d)
echo "served by the host" >"$DIR/file.txt"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$DIR" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

out=$(timeout 30 "$MS" --net=host $BB wget -q -O - "http://127.0.0.1:$PORT/file.txt" 2>&1 </dev/null)
[ "$out" = "served by the host" ] && pass "--net=host: wget from a host server" || fail "host: [$out]"
out=$(timeout 30 "$MS" $BB wget -q -O - "http://127.0.0.1:$PORT/file.txt" 2>&1 </dev/null)
rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"refused"* ]] && pass "--net=none (default): the host is out of reach" \
  || fail "none: exit $rc [$out]"
# The differential socket tests pass on host sockets too (their loopback is the host's).
# (net_poll is left out: Linux's epoll reports an edge for every segment that arrives on an
# already readable socket, which the sentry's one-shot host poller does not see.)
for t in net_tcp net_udp; do
  native=$(cd "$DIR" && timeout 60 "$GUEST/${t}_glibc" 2>/dev/null </dev/null)
  sandbox=$(cd "$DIR" && timeout 60 "$MS" --net=host "$GUEST/${t}_glibc" 2>/dev/null </dev/null)
  [ "$native" = "$sandbox" ] && pass "$t matches Linux on host sockets" \
    || fail "$t on host sockets: $(diff <(echo "$native") <(echo "$sandbox") | head -5)"
done
# Go's runtime polls with edge-triggered epoll and reads until EAGAIN.
GO=$BUILD/tests/e2e-go/nethttp
if [ -x "$GO" ]; then
  out=$(timeout 120 "$MS" --net=host "$GO" 2>&1 </dev/null)
  [ "$out" = "200 of 200 requests answered correctly" ] && pass "Go net/http on host sockets" \
    || fail "Go on host sockets: [$out]"
fi
finish
