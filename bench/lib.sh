# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034,SC2154  # sourced: tmp comes from, failed/p50/p99 go to, the caller
# This file implements the shell helpers shared by the service benchmarks (bench/mef, bench/maf):
# free loopback ports, waiting for a listener, a server's CPU time, and the accumulation of the
# key=value figures that bench_tlsclient / bench_mef print into rates, CPU per operation and
# ratios. Sourced (not run) after the caller has set BENCH (its name, for messages), tmp (its 0700
# temp dir) and failed=0. No measurement logic lives here: each benchmark says what it measures.

die() { echo "$BENCH: $*" >&2; exit 1; }

used_ports=" "
pick_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		case "$used_ports" in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used_ports+="$p "
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}
wait_port() { # PORT PID NAME LOG
	for _ in $(seq 300); do
		kill -0 "$2" 2>/dev/null || { tail -n 20 "$4" >&2 || true; die "$3 exited early"; }
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	tail -n 20 "$4" >&2 || true
	die "$3 did not open port $1"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
field() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$2" | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && a != "n/a" && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else print (v + 0 >= t + 0) ? "met" : "MISSED" }'; }

declare -A n secs ticks p50 p99
run() { # KEY PID CMD...: accumulate count/seconds/server CPU of one measurement
	local k=$1 pid=$2 c0 o c
	shift 2
	c0=$(cpu_ticks "$pid")
	if ! o=$("$@" 2>>"$tmp/client.err"); then
		echo "$BENCH: $k failed: $(tail -n 3 "$tmp/client.err")" >&2
		failed=1
	fi
	ticks[$k]=$(add "${ticks[$k]:-0}" $(($(cpu_ticks "$pid") - c0)))
	c=$(sed -n 's/^[a-z]*_per_s=[0-9]* [a-z]*=\([0-9]*\).*/\1/p' <<<"$o")
	[ -n "$c" ] || c=$(field requests "$o") # bench_tlsclient load: requests_per_s=N p50_us=N ... requests=N
	n[$k]=$(add "${n[$k]:-0}" "$c")
	secs[$k]=$(add "${secs[$k]:-0}" "$(field seconds "$o")")
	p50[$k]=$(field p50_us "$o") p99[$k]=$(field p99_us "$o")
}
rate() { awk -v n="${n[$1]:-0}" -v t="${secs[$1]:-0}" 'BEGIN { if (t > 0) printf "%.0f", n / t; else printf "n/a" }'; }
cpu_us() { awk -v t="${ticks[$1]:-0}" -v n="${n[$1]:-0}" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else printf "n/a" }'; }
