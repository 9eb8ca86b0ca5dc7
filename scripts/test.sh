#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test`: every stage must pass; the first failure stops the run with a non-zero exit.
#   1. style checks (file size, SPDX headers, banned functions, exported symbols)
#   2. Release build with GCC and -Werror, library and binary only: a packager's build must
#      stay warning-free (warnings-as-errors is for developer/CI builds, CMakeLists.txt M2M_WERROR)
#   3. developer build (RelWithDebInfo, -Werror): cmocka unit tests + pytest system tests (ctest);
#      ctest includes the PostgreSQL pass (label pg): the resource store unit tests against a real
#      server (unit.test_resstore.pg, unit.test_resstore_pg.pg) and the CSE resource-path system
#      tests with the store on PostgreSQL (system.pytest.pg, M2MSEC_TEST_STORE=pg)
#   4. ASan+UBSan build (clang-14): the unit tests and the system tests again
#   5. libFuzzer harnesses, each for FUZZ_CI_SECONDS (default 10) over its seed corpus
# Builds are quiet (output in <dir>/build.log, shown when a build fails). After each stage the
# runners' own summary lines are printed; the last line is exactly the tests that ran:
# "tests: N passed, M failed, K skipped" (scripts/testlog.sh counts).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_CI_SECONDS=${FUZZ_CI_SECONDS:-10}
passed=0
failed=0
skipped=0
# shellcheck source=scripts/testlog.sh
. scripts/testlog.sh

finish() {
	local rc=$?
	echo
	if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
	summary_line
	exit $rc
}
trap finish EXIT

build() { # build DIR [cmake args...] [-- targets...]: configure + build, output in DIR/build.log
	local dir=$1 targets=() args=()
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift && targets=(--target "$@")
	mkdir -p "$dir"
	if ! { cmake -S . -B "$dir" "${args[@]}" && cmake --build "$dir" -j "$JOBS" "${targets[@]}"; } \
		>"$dir/build.log" 2>&1; then
		tail -n 60 "$dir/build.log"
		echo "build in $dir failed (full log: $dir/build.log)"
		return 1
	fi
	echo "built $dir"
}

run_ctest() { # run_ctest DIR [env...]: ctest, then the runners' summaries and counts
	local dir=$1 rc=0
	shift
	(cd "$dir" && env "$@" ctest --output-on-failure -j "$JOBS") || rc=$?
	count_ctest_log "$dir/Testing/Temporary/LastTest.log"
	return $rc
}

echo "== style"
scripts/style.sh

echo "== Release build (GCC, -Werror): library + binary"
build build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DM2M_WERROR=ON \
	-- m2msec m2msec_static m2msec_shared

echo "== Release: the Debian package (dpkg-buildpackage, lintian; tests/system/test_63_package.py)"
# (part of stage 2) A full package build in a copy of the tree (1-3 minutes): here once, never
# under ASan; ctest and a plain pytest run skip it (M2MSEC_PACKAGE_TEST unset). The three tests
# share that one build (a module fixture): its checks, then `dpkg -i` into an isolated root and
# the four units started there (root, unshare and overlayfs; about 10 s more).
pkg_rc=0
M2MSEC_PACKAGE_TEST=1 /usr/bin/python3 -m pytest -q -s -p no:cacheprovider \
	tests/system/test_63_package.py::test_debian_package \
	tests/system/test_63_package.py::test_debian_package_installs_and_units_start \
	tests/system/test_63_package.py::test_debian_package_installs_without_systemd_sysusers \
	>build-release/package-test.log 2>&1 || pkg_rc=$?
count_ctest_log build-release/package-test.log
if [ $pkg_rc -ne 0 ]; then
	tail -n 60 build-release/package-test.log
	exit $pkg_rc
fi

echo "== developer build (RelWithDebInfo, -Werror) + unit + system tests"
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DM2M_WERROR=ON
scripts/style.sh build
run_ctest build

echo "== ASan+UBSan build (clang-14) + unit + system tests"
build build-asan -DCMAKE_BUILD_TYPE=Debug -DM2M_SANITIZE=ON -DM2M_WERROR=ON -DCMAKE_C_COMPILER=clang-14
run_ctest build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1

echo "== libFuzzer harnesses (${FUZZ_CI_SECONDS}s each)"
build build-fuzz -DCMAKE_BUILD_TYPE=Debug -DM2M_FUZZ=ON -DM2M_WERROR=ON -DCMAKE_C_COMPILER=clang-14
scripts/fuzz.sh build-fuzz "$FUZZ_CI_SECONDS"
count_fuzzers build-fuzz
