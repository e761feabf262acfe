#!/bin/bash
# Builds the ELF parser's libFuzzer target with clang in its own build directory and fuzzes
# it for a short while, seeded with the headers of real static binaries. Any crash or broken
# invariant fails the test (libFuzzer exits non-zero and leaves the input in $work).
# Usage: run_smoke.sh SOURCE_DIR BUILD_DIR [SECONDS]
set -euo pipefail
src=$1
build=$2/fuzz
seconds=${3:-30}
cxx=$(command -v clang++-16 || true)
cc=$(command -v clang-16 || true)
if [ -z "$cxx" ] || [ -z "$cc" ]; then
  echo "clang-16 is missing: run scripts/setup"
  exit 1
fi
cmake -S "$src" -B "$build" -G Ninja -DMS_BUILD_FUZZERS=ON \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --build "$build" --target elf_parser_fuzz >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
for f in /bin/busybox /usr/bin/bash-static; do
  head -c 65536 "$f" >"$work/corpus/$(basename "$f")"
done
cd "$work"
"$build/tests/elf_parser_fuzz" -max_total_time="$seconds" -print_final_stats=1 corpus 2>&1 |
  tail -12
