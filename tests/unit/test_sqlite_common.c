/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/sqlite_common.c: result-code mapping, the
 * connection settings of each store (credentials: secure_delete, foreign keys, synchronous=FULL;
 * resources: synchronous=NORMAL; both WAL, DEFENSIVE, untrusted schema, busy timeout), the
 * versioned schema bootstrap and transaction ends (TS-0003 clause 6.3 secure storage).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sqlite3.h>

#include "m2m_test.h"
#include "m2msec/log.h"
#include "store/sqlite_common.h"

struct fx {
	char dir[64];
	char path[128];
	sqlite3 *db;
};

static const m2mi_sqlite_cfg cred_cfg = {
	.busy_ms = 5000,
	.sync = M2MI_SQLITE_SYNC_FULL,
	.secure_delete = true,
	.foreign_keys = true,
	.require_wal = true,
	.err = M2M_E_STORE,
};

static const m2mi_sqlite_cfg res_cfg = {
	.busy_ms = 10000,
	.sync = M2MI_SQLITE_SYNC_NORMAL,
	.err = M2M_E_RESSTORE,
};

static const char *const tables[] = {
	"CREATE TABLE IF NOT EXISTS m2m_schema (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL)",
	"CREATE TABLE t (x INTEGER)",
	"INSERT INTO m2m_schema (component, version) VALUES ('test', 3)",
};

static const m2mi_sqlite_schema schema = {
	.component = "test",
	.version = 3,
	.marker = "t",
	.create = tables,
	.ncreate = M2M_ARRAY_LEN(tables),
	.err = M2M_E_RESSTORE,
	.schema_err = M2M_E_RESSTORE_SCHEMA,
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-sqlc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	fd = open(f->path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	sqlite3_close_v2(f->db);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/link.db", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t int_of(sqlite3 *db, const char *sql)
{
	int64_t v = -2;

	assert_int_equal(m2mi_sqlite_query_int(db, sql, NULL, M2M_E_STORE, &v), M2M_OK);
	return v;
}

static void text_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
}

static void test_error_mapping(void **state)
{
	assert_int_equal(m2mi_sqlite_err(SQLITE_OK, M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_err(SQLITE_ROW, M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_err(SQLITE_DONE, M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_err(SQLITE_NOMEM, M2M_E_STORE), M2M_E_NOMEM);
	assert_int_equal(m2mi_sqlite_err(SQLITE_CANTOPEN, M2M_E_STORE), M2M_E_IO);
	assert_int_equal(m2mi_sqlite_err(SQLITE_CANTOPEN_NOTEMPDIR, M2M_E_STORE), M2M_E_IO); /* extended */
	assert_int_equal(m2mi_sqlite_err(SQLITE_CONSTRAINT_UNIQUE, M2M_E_RESSTORE), M2M_E_RESSTORE);
	assert_int_equal(m2mi_sqlite_err(SQLITE_BUSY, M2M_E_STORE), M2M_E_STORE);
	assert_int_equal(m2mi_sqlite_err(SQLITE_CORRUPT, M2M_E_RESSTORE), M2M_E_RESSTORE);
}

static int log_lines;
static char log_last[1024];

static void capture(void *ctx, const m2m_log_event *ev)
{
	log_lines++;
	snprintf(log_last, sizeof(log_last), "%s", ev->msg ? ev->msg : "");
}

/*
 * A full store (PRAGMA max_page_count as the size limit, like a full disk) is
 * M2M_E_STORAGE_FULL, logged once with the file and never the data, and a DELETE still works
 * (it frees pages); a read-only store is M2M_E_STORAGE_READONLY.
 */
static void test_full_and_readonly_store(void **state)
{
	struct fx *f = *state;
	sqlite3 *ro = NULL;
	char sql[128];
	m2m_err e = M2M_OK;
	int n = 0;

	assert_int_equal(m2mi_sqlite_err(SQLITE_FULL, M2M_E_RESSTORE), M2M_E_STORAGE_FULL);
	assert_int_equal(m2mi_sqlite_err(SQLITE_READONLY_DBMOVED, M2M_E_RESSTORE), M2M_E_STORAGE_READONLY);
	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_configure(f->db, &res_cfg), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "CREATE TABLE t2 (b TEXT)", M2M_E_RESSTORE), M2M_OK);
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)int_of(f->db, "PRAGMA page_count") + 8);
	assert_int_equal(m2mi_sqlite_exec(f->db, sql, M2M_E_RESSTORE), M2M_OK);
	log_lines = 0;
	m2m_log_set_sink(capture, NULL, M2M_LOG_INFO);
	while (e == M2M_OK && n++ < 1000)
		e = m2mi_sqlite_exec(f->db, "INSERT INTO t2 VALUES ('SECRETDATA' || hex(randomblob(1500)))", M2M_E_RESSTORE);
	assert_int_equal(e, M2M_E_STORAGE_FULL);
	assert_true(n > 1);
	/* the next writes fail the same way and are not logged again */
	for (int i = 0; i < 5; i++)
		assert_int_equal(m2mi_sqlite_exec(f->db, "INSERT INTO t2 VALUES (hex(randomblob(3000)))", M2M_E_RESSTORE),
				 M2M_E_STORAGE_FULL);
	assert_int_equal(log_lines, 1);
	assert_non_null(strstr(log_last, f->path));
	assert_non_null(strstr(log_last, "database or disk is full"));
	assert_null(strstr(log_last, "SECRETDATA"));
	/* deleting is what frees the store: it must work when it is full */
	assert_int_equal(m2mi_sqlite_exec(f->db, "DELETE FROM t2 WHERE rowid IN (SELECT rowid FROM t2 LIMIT 3)",
					  M2M_E_RESSTORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "BEGIN IMMEDIATE; DELETE FROM t2; COMMIT", M2M_E_RESSTORE), M2M_OK);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM t2"), 0);
	assert_int_equal(m2mi_sqlite_exec(f->db, "INSERT INTO t2 VALUES ('x')", M2M_E_RESSTORE), M2M_OK);
	/* read-only */
	assert_int_equal(sqlite3_open_v2(f->path, &ro, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(m2mi_sqlite_exec(ro, "INSERT INTO t2 VALUES ('y')", M2M_E_RESSTORE), M2M_E_STORAGE_READONLY);
	assert_int_equal(log_lines, 2);
	assert_non_null(strstr(log_last, "readonly"));
	sqlite3_close_v2(ro);
	m2m_log_set_sink(NULL, NULL, M2M_LOG_INFO);
}

static void test_open_existing_only(void **state)
{
	struct fx *f = *state;
	char p[160];

	snprintf(p, sizeof(p), "%s/none.db", f->dir);
	f->db = (sqlite3 *)0x1;
	assert_int_equal(m2mi_sqlite_open(p, M2M_E_IO, &f->db), M2M_E_IO); /* never created */
	assert_null(f->db);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, p), 0);
	assert_int_equal(m2mi_sqlite_open(p, M2M_E_STORE, &f->db), M2M_E_STORE); /* not followed */
	assert_null(f->db);
	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_STORE, &f->db), M2M_OK);
	assert_non_null(f->db);
}

static void test_credential_settings(void **state)
{
	struct fx *f = *state;
	int64_t lvl = -1;
	int on = -1;

	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_STORE, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_configure(f->db, &cred_cfg), M2M_OK);
	text_is(f->db, "PRAGMA journal_mode", "wal");
	assert_int_equal(int_of(f->db, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(m2mi_sqlite_sync_level(f->db, M2M_E_STORE, &lvl), M2M_OK);
	assert_int_equal(lvl, 2);
	assert_int_equal(int_of(f->db, "PRAGMA secure_delete"), 1);
	assert_int_equal(int_of(f->db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(int_of(f->db, "PRAGMA busy_timeout"), 5000);
	assert_int_equal(int_of(f->db, "PRAGMA trusted_schema"), 0);
	assert_int_equal(sqlite3_db_config(f->db, SQLITE_DBCONFIG_DEFENSIVE, -1, &on), SQLITE_OK);
	assert_int_equal(on, 1);
	assert_int_equal(sqlite3_extended_errcode(f->db), SQLITE_OK);
	/* extended result codes are on */
	assert_int_equal(sqlite3_exec(f->db, "CREATE TABLE u (x INTEGER PRIMARY KEY); INSERT INTO u VALUES (1);"
					     "INSERT INTO u VALUES (1)", NULL, NULL, NULL),
			 SQLITE_CONSTRAINT_PRIMARYKEY);
}

static void test_resource_settings(void **state)
{
	struct fx *f = *state;
	sqlite3 *plain = NULL;
	int64_t lvl = -1;
	int on = -1;

	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_configure(f->db, &res_cfg), M2M_OK);
	text_is(f->db, "PRAGMA journal_mode", "wal");
	assert_int_equal(int_of(f->db, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(m2mi_sqlite_sync_level(f->db, M2M_E_RESSTORE, &lvl), M2M_OK);
	assert_int_equal(lvl, 1);
	assert_int_equal(int_of(f->db, "PRAGMA foreign_keys"), 0);
	assert_int_equal(int_of(f->db, "PRAGMA busy_timeout"), 10000);
	/* secure_delete stays at the library's compile-time default */
	assert_int_equal(sqlite3_open(":memory:", &plain), SQLITE_OK);
	assert_int_equal(int_of(f->db, "PRAGMA secure_delete"), int_of(plain, "PRAGMA secure_delete"));
	sqlite3_close(plain);
	assert_int_equal(int_of(f->db, "PRAGMA trusted_schema"), 0);
	assert_int_equal(sqlite3_db_config(f->db, SQLITE_DBCONFIG_DEFENSIVE, -1, &on), SQLITE_OK);
	assert_int_equal(on, 1);
}

/* An in-memory database cannot be WAL: only a store that requires it fails. */
static void test_require_wal(void **state)
{
	struct fx *f = *state;
	sqlite3 *mem = NULL;

	assert_int_equal(sqlite3_open(":memory:", &mem), SQLITE_OK);
	assert_int_equal(m2mi_sqlite_configure(mem, &cred_cfg), M2M_E_STORE);
	assert_int_equal(m2mi_sqlite_configure(mem, &res_cfg), M2M_OK);
	sqlite3_close(mem);
	(void)f;
}

/* A garbage file is not a database: configuring it fails with the store's error. */
static void test_not_a_database(void **state)
{
	struct fx *f = *state;
	int fd = open(f->path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "not a database, just text......\n", 32), 32);
	close(fd);
	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK); /* SQLite reads lazily */
	assert_int_equal(m2mi_sqlite_configure(f->db, &cred_cfg), M2M_E_STORE);
}

static void test_query_int(void **state)
{
	struct fx *f = *state;
	int64_t v = 0;

	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "CREATE TABLE kv (k TEXT, v INTEGER); INSERT INTO kv VALUES ('a', 7)",
					  M2M_E_STORE),
			 M2M_OK);
	assert_int_equal(m2mi_sqlite_query_int(f->db, "SELECT v FROM kv WHERE k = ?1", "a", M2M_E_STORE, &v), M2M_OK);
	assert_int_equal(v, 7);
	assert_int_equal(m2mi_sqlite_query_int(f->db, "SELECT v FROM kv WHERE k = ?1", "b", M2M_E_STORE, &v),
			 M2M_E_NOT_FOUND);
	assert_int_equal(v, -1);
	assert_int_equal(m2mi_sqlite_query_int(f->db, "SELECT nope FROM kv", NULL, M2M_E_STORE, &v), M2M_E_STORE);
	assert_int_equal(m2mi_sqlite_exec(f->db, "NOT SQL", M2M_E_RESSTORE), M2M_E_RESSTORE);
}

static void test_dup_col(void **state)
{
	struct fx *f = *state;
	sqlite3_stmt *st = NULL;
	char *a = (char *)0x1, *b = (char *)0x1;

	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT 'text', NULL", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(m2mi_sqlite_dup_col(st, 0, &a), M2M_OK);
	assert_string_equal(a, "text");
	assert_int_equal(m2mi_sqlite_dup_col(st, 1, &b), M2M_OK);
	assert_null(b);
	free(a);
	sqlite3_finalize(st);
}

static void test_tx_end(void **state)
{
	struct fx *f = *state;

	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "CREATE TABLE kv (k TEXT)", M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "BEGIN; INSERT INTO kv VALUES ('kept')", M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_tx_end(f->db, M2M_OK, M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "BEGIN; INSERT INTO kv VALUES ('lost')", M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_tx_end(f->db, M2M_E_NOMEM, M2M_E_STORE), M2M_E_NOMEM);
	assert_true(sqlite3_get_autocommit(f->db));
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM kv"), 1);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM kv WHERE k = 'kept'"), 1);
	/* COMMIT without a transaction fails and is reported */
	assert_int_equal(m2mi_sqlite_tx_end(f->db, M2M_OK, M2M_E_STORE), M2M_E_STORE);
}

static void open_configured(struct fx *f)
{
	sqlite3_close_v2(f->db);
	f->db = NULL;
	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_configure(f->db, &res_cfg), M2M_OK);
}

static void test_schema_create_and_check(void **state)
{
	struct fx *f = *state;

	open_configured(f);
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_OK);
	assert_int_equal(int_of(f->db, "SELECT version FROM m2m_schema WHERE component = 'test'"), 3);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM t"), 0);
	assert_true(sqlite3_get_autocommit(f->db));
	open_configured(f); /* an existing database of the right version */
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_OK);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM m2m_schema"), 1);
	/* a newer version is refused, not guessed at */
	assert_int_equal(m2mi_sqlite_exec(f->db, "UPDATE m2m_schema SET version = 4", M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_E_RESSTORE_SCHEMA);
	assert_true(sqlite3_get_autocommit(f->db));
	/* no version row, then no version table */
	assert_int_equal(m2mi_sqlite_exec(f->db, "DELETE FROM m2m_schema", M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_E_RESSTORE_SCHEMA);
	assert_int_equal(m2mi_sqlite_exec(f->db, "DROP TABLE m2m_schema", M2M_E_STORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_E_RESSTORE_SCHEMA);
}

static void test_schema_only_if_empty(void **state)
{
	struct fx *f = *state;
	m2mi_sqlite_schema strict = schema;

	strict.only_if_empty = true;
	open_configured(f);
	assert_int_equal(m2mi_sqlite_exec(f->db, "CREATE TABLE other (x INTEGER)", M2M_E_STORE), M2M_OK);
	/* somebody else's database: nothing is created in it */
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &strict), M2M_E_RESSTORE_SCHEMA);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'm2m_schema')"), 0);
	/* without the rule the schema joins the other tables */
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_OK);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'm2m_schema')"), 2);
}

/* A failing create statement rolls the whole bootstrap back. */
static void test_schema_create_failure_rolls_back(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"CREATE TABLE t (x INTEGER)", "CREATE TABLE broken ("};
	m2mi_sqlite_schema s = schema;

	s.create = bad;
	s.ncreate = M2M_ARRAY_LEN(bad);
	open_configured(f);
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &s), M2M_E_RESSTORE);
	assert_true(sqlite3_get_autocommit(f->db));
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM sqlite_schema"), 0);
}

/* Opening a connection to an existing, current store needs no write lock: it neither waits
 * for nor fails on another connection's write transaction (here with no busy timeout at all). */
static void test_schema_check_without_write_lock(void **state)
{
	struct fx *f = *state;
	m2mi_sqlite_cfg nowait = res_cfg;
	m2mi_sqlite_schema other = schema;
	sqlite3 *b = NULL;

	nowait.busy_ms = 0;
	other.version = 4;
	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &f->db), M2M_OK);
	assert_int_equal(m2mi_sqlite_configure(f->db, &res_cfg), M2M_OK);
	assert_int_equal(m2mi_sqlite_schema_setup(f->db, &schema), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "BEGIN IMMEDIATE", M2M_E_RESSTORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_exec(f->db, "INSERT INTO t VALUES (1)", M2M_E_RESSTORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_open(f->path, M2M_E_IO, &b), M2M_OK);
	assert_int_equal(m2mi_sqlite_configure(b, &nowait), M2M_OK);
	assert_int_equal(m2mi_sqlite_schema_setup(b, &schema), M2M_OK);
	/* another version still goes the locked way and is refused (here: busy, no wait) */
	assert_int_not_equal(m2mi_sqlite_schema_setup(b, &other), M2M_OK);
	assert_int_equal(m2mi_sqlite_tx_end(f->db, M2M_OK, M2M_E_RESSTORE), M2M_OK);
	assert_int_equal(m2mi_sqlite_schema_setup(b, &other), M2M_E_RESSTORE_SCHEMA);
	assert_int_equal(int_of(b, "SELECT count(*) FROM t"), 1);
	sqlite3_close_v2(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_mapping),
		cmocka_unit_test_setup_teardown(test_full_and_readonly_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_existing_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credential_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resource_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_require_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_int, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dup_col, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_create_and_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_only_if_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_create_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_check_without_write_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
