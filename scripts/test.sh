#!/usr/bin/env bash
# Every test: installs what is missing, builds, then runs the unit tests, the sandbox cloud's own
# tests, the format, portability and layer checks and the end-to-end suites. Ends with one
# "N passed, N failed" line.
# Needs root (test hosts are network namespaces). Suites: E2E="lifecycle faults" to pick some.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/install-deps.sh || exit 1
bash scripts/build.sh || exit 1

passed=0
failed=0
failures=()
record() {  # record NAME STATUS [COUNT]
  local count=${3:-1}
  if [ "$2" = 0 ]; then passed=$((passed + count)); else failed=$((failed + 1)); failures+=("$1"); fi
}

echo "== unit tests"
./build/unit_tests --gtest_brief=1 | tee /tmp/gpunb-unit.log
status=${PIPESTATUS[0]}
record unit_tests "$status" "$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' /tmp/gpunb-unit.log | tail -1)"

echo "== format"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')
clang-format --dry-run --Werror $files
record clang-format $?

echo "== portable"
bash scripts/check-portable.sh
record check-portable $?

echo "== layers"
/usr/bin/python3 scripts/check-layers.py
record check-layers $?

echo "== sandbox cloud"
/usr/bin/python3 -m unittest discover -s tests/sandbox >/tmp/gpunb-sandbox.log 2>&1
status=$?
tail -4 /tmp/gpunb-sandbox.log
[ "$status" = 0 ] || sed -n '/^=\{20,\}$/,/^Ran /p' /tmp/gpunb-sandbox.log | head -150
record sandbox "$status" "$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' /tmp/gpunb-sandbox.log)"

for suite in ${E2E:-$(ls tests/e2e/test_*.sh | sed 's|.*/test_||; s|\.sh$||')}; do
  echo "== e2e: $suite"
  bash "tests/e2e/test_$suite.sh"
  record "e2e:$suite" $?
done

[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
