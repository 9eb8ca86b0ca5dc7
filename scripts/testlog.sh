#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Counting for scripts/test.sh, kept apart so tests/system/test_19_newcomer.py can check it on
# saved logs. Source it; it keeps three totals (passed, failed, skipped) of tests that RAN:
#   count_ctest_log LOG   cmocka binaries and the pytest run of one ctest LastTest.log; prints
#                         each runner's own summary ("cmocka: ..." aggregated over the binaries
#                         in cmocka's words, "pytest: " + pytest's own closing line)
#   count_fuzzers DIR     libFuzzer harnesses that scripts/fuzz.sh ran (executable fuzz_* files,
#                         not their fuzz_*.log); prints "libFuzzer: ..."
#   summary_line          the closing line: "tests: N passed, M failed, K skipped"
passed=${passed:-0}
failed=${failed:-0}
skipped=${skipped:-0}

# sum_matches REGEX FIELD LOG: add up FIELD (awk numbering) of every line matching REGEX
sum_matches() {
	{ grep -hE "$1" "$3" || true; } | awk -v f="$2" '{s+=$f} END {print s+0}'
}

count_ctest_log() {
	local log=$1 bins p f s line n word
	# cmocka: "[  PASSED  ] N test(s).", "[  FAILED  ] N test(s), listed below:",
	# "[  SKIPPED ] N test(s), listed below:" once per test group ("[  FAILED  ] name" lines are not counts)
	p=$(sum_matches '^\[  PASSED  \] [0-9]+ test\(s\)\.' 4 "$log")
	f=$(sum_matches '^\[  FAILED  \] [0-9]+ test\(s\), listed below:' 4 "$log")
	s=$(sum_matches '^\[  SKIPPED \] [0-9]+ test\(s\), listed below:' 4 "$log")
	bins=$({ grep -cE '^\[==========\] [0-9]+ test\(s\) run\.' "$log" || true; })
	if [ "$bins" -gt 0 ]; then
		echo "cmocka: $bins groups: [  PASSED  ] $p test(s). [  FAILED  ] $f test(s). [  SKIPPED ] $s test(s)."
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	# pytest's closing lines, one per pytest run of the log (SQLite and PostgreSQL passes), e.g.
	# "== 3 failed, 120 passed, 2 skipped, 1 error in 80.12s (0:01:20) =="
	local lines
	lines=$({ grep -E '^=* ?[0-9]+ (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)\b.* in [0-9.]+s' "$log" || true; })
	if [ -n "$lines" ]; then
		while IFS= read -r line; do
			echo "pytest: $(echo "$line" | sed -E 's/^=+ //; s/ =+$//')"
			for part in $(echo "$line" | sed -E 's/^=+ //; s/ in [0-9.]+s.*$//; s/, /\n/g' | tr ' ' ':'); do
				n=${part%%:*}
				word=${part#*:}
				case "$word" in
				passed | xfailed) passed=$((passed + n)) ;;
				failed | error | errors | xpassed) failed=$((failed + n)) ;;
				skipped) skipped=$((skipped + n)) ;;
				esac
			done
		done <<<"$lines"
	elif grep -q 'system.pytest' "$log"; then
		echo "pytest: no summary line in $log (crashed or timed out)"
		failed=$((failed + 1))
	fi
}

count_fuzzers() {
	local dir=$1 n=0 units=0 h u
	for h in "$dir"/fuzz_*; do
		# scripts/fuzz.sh runs exactly the executable regular files; fuzz_*.log are its logs
		[ -f "$h" ] && [ -x "$h" ] || continue
		n=$((n + 1))
		if [ -f "$h.log" ]; then
			u=$({ grep -hoE 'stat::number_of_executed_units: *[0-9]+' "$h.log" || true; } | grep -oE '[0-9]+$' | tail -n 1)
			units=$((units + ${u:-0}))
		fi
	done
	echo "libFuzzer: $n harnesses ran without a finding (stat::number_of_executed_units: $units in total)"
	passed=$((passed + n))
}

summary_line() {
	echo "tests: $passed passed, $failed failed, $skipped skipped"
}
