#!/bin/bash
# A static Go program (CGO_ENABLED=0) runs a net/http server and client in one guest: 200
# requests over the sandbox's loopback, with goroutines, epoll and keep-alive connections.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/go/nethttp" && pwd)
OUT=$(cd "$BUILD" && pwd)/tests/e2e-go
mkdir -p "$OUT"
if ! (cd "$SRC" && GOTOOLCHAIN=local GOFLAGS=-mod=mod GOCACHE=$OUT/cache GOPATH=$OUT/path \
        CGO_ENABLED=0 go build -o "$OUT/nethttp" .) >"$OUT/build.log" 2>&1; then
  fail "go build: $(tail -n 3 "$OUT/build.log")"
  finish
fi
expect_same "net/http server and client, 200 requests" "$OUT/nethttp"
out=$(timeout 120 "$MS" "$OUT/nethttp" 2>&1 </dev/null)
[ "$out" = "200 of 200 requests answered correctly" ] && pass "all 200 answered in the sandbox" \
  || fail "[$out]"
finish
