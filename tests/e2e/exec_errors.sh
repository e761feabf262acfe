#!/bin/bash
# Programs that cannot run get one clear line naming the file and the reason, and the
# shell's exit statuses: 127 for a missing file, 126 for everything else.
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# expect_refusal LABEL FILE STATUS REASON
expect_refusal() {
  local out rc lines
  out=$("$MS" "$2" 2>&1 >/dev/null)
  rc=$?
  lines=$(printf '%s\n' "$out" | wc -l)
  if [ $rc -ne "$3" ]; then
    fail "$1: exit $rc, wanted $3 ($out)"
  elif [ "$lines" -ne 1 ]; then
    fail "$1: $lines lines of error output: $out"
  elif ! printf '%s' "$out" | grep -q -- "$2: .*$4"; then
    fail "$1: message [$out] does not name the file and '$4'"
  else
    pass "$1: $out"
  fi
}

expect_refusal "missing file" "$dir/nothing" 127 "No such file"
expect_refusal "directory" "$dir" 126 "directory"
printf 'hello' >"$dir/text" && chmod +x "$dir/text"
expect_refusal "not ELF" "$dir/text" 126 "not an ELF file"
cp /bin/busybox "$dir/noexec" && chmod -x "$dir/noexec"
expect_refusal "not executable" "$dir/noexec" 126 "Permission denied"
: >"$dir/empty" && chmod +x "$dir/empty"
expect_refusal "empty file" "$dir/empty" 126 ""

# Corrupted copies of a real static binary.
patch() {  # patch FILE OFFSET BYTES(printf escapes)
  printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
mk() { cp /bin/busybox "$dir/$1" && chmod +x "$dir/$1"; }
mk class32 && patch "$dir/class32" 4 '\x01'
expect_refusal "32-bit ELF" "$dir/class32" 126 "64-bit"
mk bigendian && patch "$dir/bigendian" 5 '\x02'
expect_refusal "big-endian" "$dir/bigendian" 126 "little-endian"
mk arm && patch "$dir/arm" 18 '\xb7\x00'
expect_refusal "wrong machine" "$dir/arm" 126 "x86-64"
mk reloc && patch "$dir/reloc" 16 '\x01\x00'
expect_refusal "relocatable object" "$dir/reloc" 126 "not an executable"
head -c 40 /bin/busybox >"$dir/truncated" && chmod +x "$dir/truncated"
expect_refusal "truncated header" "$dir/truncated" 126 "truncated"
head -c 100 /bin/busybox >"$dir/truncated_ph" && chmod +x "$dir/truncated_ph"
expect_refusal "truncated program headers" "$dir/truncated_ph" 126 "program headers"
mk badentry && patch "$dir/badentry" 24 '\x00\x00\x00\x00\x00\x00\x00\x00'
expect_refusal "entry outside code" "$dir/badentry" 126 "entry point"
mk phentsize && patch "$dir/phentsize" 54 '\x10\x00'
expect_refusal "bad phentsize" "$dir/phentsize" 126 "program header"

# A dynamically linked program whose interpreter does not exist.
interp=$(readelf -l /bin/ls 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p')
if [ -n "$interp" ]; then
  missing=$(printf '%s' "$interp" | sed 's/ld-linux/ld-nolnx/')
  sed "s|$interp|$missing|" /bin/ls >"$dir/dynamic" && chmod +x "$dir/dynamic"
  expect_refusal "missing interpreter" "$dir/dynamic" 126 "interpreter $missing"
else
  fail "no dynamically linked /bin/ls to copy"
fi
finish
