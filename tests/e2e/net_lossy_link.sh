#!/bin/bash
# A 64 MiB TCP stream inside the sandbox, through a simulated link that drops, reorders and
# duplicates packets (--net-faults): every byte must arrive, once and in order. Several
# seeds, IPv4 and IPv6; the link's counters show that faults really happened.
. "$(dirname "$0")/lib.sh"
STREAM=$GUEST/net_stream_glibc

run() {
  local label=$1 faults=$2
  shift 2
  local out err rc
  err=$(mktemp)
  out=$(timeout 120 "$MS" --log-level info --net-faults "$faults" "$STREAM" "$@" 2>"$err")
  rc=$?
  local stats
  stats=$(grep "net: the loopback" "$err")
  rm -f "$err"
  if [ $rc -ne 0 ] || [[ "$out" != *"arrived complete and in order"* ]]; then
    fail "$label: exit $rc, [$out]"
    return
  fi
  local dropped
  dropped=$(sed -n "s/.*dropped \([0-9]*\).*/\1/p" <<<"$stats")
  if [ "${dropped:-0}" -eq 0 ]; then
    fail "$label: the link dropped nothing ($stats)"
    return
  fi
  pass "$label: $out; ${stats#*net: }"
}

for seed in 1 2 3; do
  run "64 MiB, IPv4, seed $seed" "loss=0.1,reorder=0.2,dup=0.05,seed=$seed" 64 4
done
run "64 MiB, IPv6" "loss=0.1,reorder=0.2,dup=0.05,seed=4" 64 6
run "16 MiB with 1 ms delay" "loss=0.1,reorder=0.2,dup=0.01,delay=1ms,seed=7" 16 4
run "8 MiB, 30% loss" "loss=0.3,seed=5" 8 4
run "small writes" "loss=0.1,reorder=0.2,dup=0.05,seed=6" 4 4 1000
finish
