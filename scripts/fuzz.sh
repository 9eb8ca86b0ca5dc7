#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run every libFuzzer harness in BUILD_DIR for SECONDS each over its seed corpus fuzz/corpus/<name>.
# New inputs go to a scratch directory, so the committed corpus only changes by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}
secs=${2:-60}
shopt -s nullglob
harnesses=("$dir"/fuzz_*)
[ ${#harnesses[@]} -gt 0 ] || { echo "no fuzz harnesses in $dir"; exit 1; }
for h in "${harnesses[@]}"; do
	[ -x "$h" ] || continue
	name=$(basename "$h"); name=${name#fuzz_}
	seeds=fuzz/corpus/$name
	[ -d "$seeds" ] || { echo "missing seed corpus $seeds"; exit 1; }
	scratch=$(mktemp -d)
	echo "-- fuzz_$name for ${secs}s"
	if ! "$h" -max_total_time="$secs" -print_final_stats=1 -max_len=4096 \
		-artifact_prefix="$dir/crash-$name-" "$scratch" "$seeds" >"$dir/fuzz_$name.log" 2>&1; then
		tail -n 40 "$dir/fuzz_$name.log"
		rm -rf "$scratch"
		echo "fuzz_$name FAILED"
		exit 1
	fi
	grep -E 'stat::number_of_executed_units' "$dir/fuzz_$name.log" || true
	rm -rf "$scratch"
done
