#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# House-style checks of docs/style.md that a script can run. Usage: scripts/style.sh [BUILD_DIR]
# With BUILD_DIR, also checks the built library: only m2m_* symbols exported, no printing or
# exiting from library objects.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
err() { echo "style: $*"; fail=1; }

srcs=$(git ls-files -co --exclude-standard 'src/*.c' 'src/*.h' 'include/*.h' 'tests/unit/*.c' 'fuzz/*.c' 'bench/*.c' 2>/dev/null || true)
[ -n "$srcs" ] || srcs=$(find src include tests/unit fuzz bench -name '*.[ch]')

# 1. one concept per file: hard cap 900 lines, warn over 600
for f in $srcs; do
	n=$(wc -l <"$f")
	[ "$n" -le 900 ] || err "$f has $n lines (hard cap 900)"
	[ "$n" -le 600 ] || echo "style: warning: $f has $n lines (soft cap 600)"
done

# 2. SPDX line and a purpose paragraph in the first 20 lines
for f in $srcs; do
	head -n 20 "$f" | grep -q 'SPDX-License-Identifier' || err "$f lacks an SPDX line"
	head -n 20 "$f" | grep -qE 'TS-0|This file implements' || err "$f lacks a purpose paragraph (TS clause or 'This file implements')"
done

# 3. banned functions in library and CLI code
for f in $(echo "$srcs" | tr ' ' '\n' | grep -E '^(src|include)/'); do
	if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)\(' "$f"; then
		err "$f uses a banned function"
	fi
done

# 4. no memcmp/strcmp in security cores unless marked public
for f in $(echo "$srcs" | tr ' ' '\n' | grep -E '^src/core/(kdf|key|mem)'); do
	if grep -nE '\b(memcmp|strcmp|strncmp)\(' "$f" | grep -v '/\* public:'; then
		err "$f compares with memcmp/strcmp (use m2m_ct_eq or mark /* public: ... */)"
	fi
done

# 5. every library module has its unit test (tests mirror modules)
for f in $(echo "$srcs" | tr ' ' '\n' | grep -E '^src/(core|io|store|pki|tls|bindings|remote|services/[a-z]+)/.*\.c$'); do
	m=$(basename "$f" .c)
	[ -f "tests/unit/test_$m.c" ] || err "$f has no tests/unit/test_$m.c"
done

# 6. built library: exports and no printing/exiting
if [ -n "${1:-}" ]; then
	so="$1/libm2msec.so"
	a="$1/libm2msec.a"
	if [ -f "$so" ]; then
		bad=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -vE '^m2m_' || true)
		[ -z "$bad" ] || err "libm2msec.so exports non-m2m_ symbols: $bad"
	fi
	if [ -f "$a" ]; then
		bad=$(nm "$a" 2>/dev/null | grep -E ' U (printf|fprintf|puts|putchar|perror|exit|abort|_exit)$' || true)
		[ -z "$bad" ] || err "libm2msec.a prints or exits: $bad"
	fi
fi

[ $fail -eq 0 ] && echo "style: ok"
exit $fail
