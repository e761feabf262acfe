#!/bin/bash
# busybox httpd and wget inside one sandbox, over the sandbox's own loopback: a page, a 3 MB
# file (checksum), a 404, IPv6, and httpd's per-connection fork.
. "$(dirname "$0")/lib.sh"
BB=/bin/busybox
WWW=$(mktemp -d)
trap 'rm -rf "$WWW"' EXIT
echo "hello from a guest web server" >"$WWW/index.html"
head -c 3000000 /dev/urandom >"$WWW/big.bin"
want=$(md5sum <"$WWW/big.bin")

out=$(timeout 60 "$MS" $BB sh -c "
  $BB httpd -p 8080 -h $WWW || exit 9
  $BB wget -q -O - http://127.0.0.1:8080/index.html
  $BB wget -q -O - http://127.0.0.1:8080/big.bin | $BB md5sum
  $BB wget -q -O - http://127.0.0.1:8080/missing >/dev/null; echo \"404 status \$?\"
  $BB wget -q -O - 'http://[::1]:8080/index.html'
  for i in 1 2 3 4 5 6 7 8 9 10; do $BB wget -q -O - http://127.0.0.1:8080/index.html; done | $BB wc -l
" 2>/dev/null </dev/null)
rc=$?
lines=()
mapfile -t lines <<<"$out"
[ $rc -eq 0 ] && pass "the sandbox ran" || fail "exit $rc: $out"
[ "${lines[0]}" = "hello from a guest web server" ] && pass "wget a page" || fail "page: [${lines[0]}]"
[ "${lines[1]}" = "$want" ] && pass "wget 3 MB, checksum matches" || fail "3 MB: [${lines[1]}] != [$want]"
[ "${lines[2]}" = "404 status 1" ] && pass "a missing page is an error" || fail "404: [${lines[2]}]"
[ "${lines[3]}" = "hello from a guest web server" ] && pass "wget over IPv6 (::1)" \
  || fail "IPv6: [${lines[3]}]"
[ "${lines[4]// /}" = "10" ] && pass "ten requests in a row" || fail "ten requests: [${lines[4]}]"
finish
