#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test`: every stage must pass; the first failure stops the run with a non-zero exit.
#   1. style checks (file size, SPDX headers, banned functions, exported symbols)
#   2. release build: cmocka unit tests + pytest system tests (ctest)
#   3. ASan+UBSan build (clang-14): the unit tests and the system tests again
#   4. libFuzzer harnesses, each for FUZZ_CI_SECONDS (default 10) over its seed corpus
# The last line is the plain summary "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_CI_SECONDS=${FUZZ_CI_SECONDS:-10}
passed=0
failed=0

sum_matches() { # sum_matches REGEX FIELD LOG: add up FIELD of every line matching REGEX
	{ grep -hoE "$1" "$3" || true; } | awk -v f="$2" '{s+=$f} END {print s+0}'
}

count_log() { # add up cmocka "[  PASSED  ] N test(s)." and pytest "N passed" lines of a ctest log
	local log=$1
	passed=$((passed + $(sum_matches '^\[  PASSED  \] [0-9]+ test' 4 "$log")))
	passed=$((passed + $(sum_matches '(^|[ =])[0-9]+ passed' 1 "$log")))
	failed=$((failed + $(sum_matches '^\[  FAILED  \] [0-9]+ test' 4 "$log")))
	failed=$((failed + $(sum_matches '(^|[ =,])[0-9]+ failed' 1 "$log")))
}

finish() {
	local rc=$?
	echo
	if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
	echo "tests: $passed passed, $failed failed"
	exit $rc
}
trap finish EXIT

echo "== style"
scripts/style.sh

echo "== release build + unit + system tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"
scripts/style.sh build
rc=0
(cd build && ctest --output-on-failure -j "$JOBS") || rc=$?
count_log build/Testing/Temporary/LastTest.log
[ $rc -eq 0 ] || exit $rc

echo "== ASan+UBSan build (clang-14) + unit + system tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DM2M_SANITIZE=ON -DCMAKE_C_COMPILER=clang-14 >/dev/null
cmake --build build-asan -j "$JOBS"
rc=0
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -j "$JOBS") || rc=$?
count_log build-asan/Testing/Temporary/LastTest.log
[ $rc -eq 0 ] || exit $rc

echo "== libFuzzer harnesses (${FUZZ_CI_SECONDS}s each)"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DM2M_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 >/dev/null
cmake --build build-fuzz -j "$JOBS"
scripts/fuzz.sh build-fuzz "$FUZZ_CI_SECONDS"
n=$(ls build-fuzz/fuzz_* 2>/dev/null | wc -l)
passed=$((passed + n))
