# SPDX-License-Identifier: Apache-2.0
# This file implements the PostgreSQL helpers of the benchmarks (sourced by bench/cse): a throw-away
# server (initdb + pg_ctl from Debian's postgresql-15 in its own temporary directory, loopback port
# and Unix socket, run as the postgres system user when we are root; the same recipe as
# tests/system/pg_harness.py) and a copy of a SQLite resource store's rows into a PostgreSQL one,
# so both backends are measured on the same resource tree.
PG_BIN=${M2MSEC_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_dir=""
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_available() { [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && command -v sqlite3 >/dev/null; }
pg_up() { # PORT: start the server; the database "bench" of user m2msec (trust, loopback only)
	pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/m2msec-bench-pg.XXXXXX")
	[ "$(id -u)" != 0 ] || chown postgres:postgres "$pg_dir"
	chmod 700 "$pg_dir"
	pg_as "$PG_BIN/initdb" -D "$pg_dir/data" -U m2msec --auth=trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 &&
		pg_as "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $1 -k $pg_dir" start >/dev/null &&
		pg_as psql -X -q -h "$pg_dir" -p "$1" -U m2msec -d postgres -c 'CREATE DATABASE bench' >/dev/null
}
pg_down() {
	[ -n "$pg_dir" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$pg_dir"
	pg_dir=""
}
pg_copy_store() { # SQLITE_FILE PORT: replace the rows of the (migrated) PostgreSQL store by the file's
	local cols="seq, ri, pi, ty, rn, path, cr, acpi, lbl, ct, lt, et, ver, size, body"
	sqlite3 -csv "$1" "SELECT $cols FROM res ORDER BY seq" >"$pg_dir/res.csv" || return 1
	sqlite3 -csv "$1" "SELECT grp_ri, mid, member_ri FROM grp_member" >"$pg_dir/grp.csv" || return 1
	[ "$(id -u)" != 0 ] || chown postgres "$pg_dir/res.csv" "$pg_dir/grp.csv"
	pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$2" -U m2msec -d bench >/dev/null <<EOF
BEGIN;
TRUNCATE res, grp_member;
\copy res ($cols) FROM '$pg_dir/res.csv' WITH (FORMAT csv, FORCE_NOT_NULL (ri, rn, path, ct, lt, et, body))
\copy grp_member FROM '$pg_dir/grp.csv' WITH (FORMAT csv)
SELECT setval(pg_get_serial_sequence('res', 'seq'), (SELECT max(seq) FROM res));
COMMIT;
EOF
}
pg_haproxy() { # CFG PORT_ONE PORT_TWO A B: HAProxy in TCP mode (the bytes only: TLS ends at the CSE),
	# PORT_ONE -> instance A alone, PORT_TWO -> A and B round robin per connection
	cat >"$1" <<EOF
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend one
    bind 127.0.0.1:$2
    default_backend one
frontend two
    bind 127.0.0.1:$3
    default_backend two
backend one
    server a 127.0.0.1:$4
backend two
    balance roundrobin
    server a 127.0.0.1:$4
    server b 127.0.0.1:$5
EOF
}
