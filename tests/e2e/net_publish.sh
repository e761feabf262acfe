#!/bin/bash
# -p HOSTPORT:GUESTPORT: curl on the host fetches from busybox httpd inside the sandbox. The
# published port survives hostile clients: ones that connect and vanish, send garbage, reset,
# or never read a large response; others are still served meanwhile.
. "$(dirname "$0")/lib.sh"
BB=/bin/busybox
WWW=$(mktemp -d)
echo "hello from a guest web server" >"$WWW/index.html"
head -c 8000000 /dev/urandom >"$WWW/big.bin"
want=$(md5sum <"$WWW/big.bin" | cut -d' ' -f1)

# A free host port: ask the kernel, then use it (a race with other tests is unlikely).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$MS" -p "$PORT:8080" $BB httpd -f -p 127.0.0.1:8080 -h "$WWW" </dev/null >/dev/null 2>"$WWW/err" &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; wait $sandbox 2>/dev/null; rm -rf "$WWW"' EXIT
URL=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -s -o /dev/null "$URL/" && break; sleep 0.1; done

page=$(curl -s -m 10 "$URL/index.html")
[ "$page" = "hello from a guest web server" ] && pass "curl a page through -p" || fail "page: [$page]"
got=$(curl -s -m 30 "$URL/big.bin" | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "curl 8 MB through -p, checksum matches" || fail "8 MB: $got"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/missing")
[ "$code" = 404 ] && pass "404 through -p" || fail "404: $code"

# Hostile clients, all at once, from one Python process.
python3 - "$PORT" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(20):          # connect and vanish
    s = socket.create_connection(("127.0.0.1", port)); s.close()
for i in range(10):          # garbage
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(bytes(range(256)) * 40); socks.append(s)
for i in range(10):          # reset right after the request
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"); s.close()
for i in range(5):           # ask for 8 MB and never read
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n"); socks.append(s)
time.sleep(3)
PY
hostile=$!
sleep 1
ok=0
for i in $(seq 20); do
  [ "$(curl -s -m 10 "$URL/index.html")" = "hello from a guest web server" ] && ok=$((ok + 1))
done
[ $ok -eq 20 ] && pass "20 requests served while hostile clients hold connections" \
  || fail "only $ok of 20 requests served alongside hostile clients"
got=$(curl -s -m 30 "$URL/big.bin" | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "8 MB still intact alongside clients that never read" \
  || fail "8 MB alongside hostile clients: $got"
wait $hostile
got=$(curl -s -m 30 "$URL/big.bin" | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "8 MB after the hostile clients left" || fail "8 MB after: $got"
kill -0 $sandbox 2>/dev/null && pass "the sandbox is still running" || fail "the sandbox died"

# Concurrent clients.
pids=()
for i in $(seq 8); do (curl -s -m 30 "$URL/big.bin" | md5sum | cut -d' ' -f1 >"$WWW/c$i") & pids+=($!); done
wait "${pids[@]}"
same=0
for i in $(seq 8); do [ "$(cat "$WWW/c$i")" = "$want" ] && same=$((same + 1)); done
[ $same -eq 8 ] && pass "8 concurrent 8 MB downloads" || fail "$same of 8 concurrent downloads intact"

# Nothing listens on a published guest port: the client is reset, the sandbox carries on.
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(timeout 30 "$MS" -p "$PORT2:9999" $BB sh -c "sleep 3; echo done" </dev/null 2>&1 &
      for _ in $(seq 100); do
        curl -s -m 5 "http://127.0.0.1:$PORT2/" >/dev/null
        rc=$?
        [ $rc -ne 7 ] && break  # 7: nothing listens on the host yet
        sleep 0.05
      done
      echo "curl $rc"; wait)
[[ "$out" == *"curl 56"* || "$out" == *"curl 52"* ]] && [[ "$out" == *done* ]] \
  && pass "no guest listener: the client is refused, the guest runs on" || fail "no listener: [$out]"

# A host port that is taken: minisentry says so and does not start.
err=$("$MS" -p "$PORT:8080" $BB true 2>&1)
rc=$?
[ $rc -eq 2 ] && [[ "$err" == *"cannot listen on 127.0.0.1:$PORT"* ]] \
  && pass "a taken host port is a usage error" || fail "taken port: exit $rc [$err]"
finish
