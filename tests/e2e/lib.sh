# Shared helpers for e2e scripts: source it, then call the checks. Each failure is printed;
# finish() exits non-zero if any check failed.
MS=${1:?minisentry binary}
BUILD=${2:?build directory}
GUEST=$BUILD/tests/guest
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

pass() {
  echo "ok: $*"
}

# expect_same LABEL CMD...: stdout and exit status of CMD natively and under minisentry.
expect_same() {
  local label=$1
  shift
  local native sandbox native_rc sandbox_rc
  native=$(timeout 60 "$@" 2>/dev/null </dev/null)
  native_rc=$?
  sandbox=$(timeout 60 "$MS" "$@" 2>/dev/null </dev/null)
  sandbox_rc=$?
  if [ "$native" != "$sandbox" ] || [ $native_rc != $sandbox_rc ]; then
    fail "$label: native [$native] exit $native_rc, minisentry [$sandbox] exit $sandbox_rc"
  else
    pass "$label"
  fi
}

finish() {
  if [ $failures -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  exit 0
}
