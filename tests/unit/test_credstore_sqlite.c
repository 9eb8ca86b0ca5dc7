/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of store/credstore_sqlite.c: file modes (0600 whatever the
 * umask, fail closed on 0644), WAL, schema versioning, all-or-nothing transactions and
 * secure_delete of key bytes (TS-0003 clause 6.3 sensitive data handling); every commit synced
 * (synchronous=FULL read back), whatever the resource store's store-sync. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "m2m_test.h"
#include "m2msec/credstore.h"
#include "store/credstore_backend.h"
#include "store/credstore_sqlite.h"

#define KPSAID "kpsa-1@sp.example.com"

struct fx {
	char dir[64];
	char path[128];
};

static void companion(const struct fx *f, const char *sfx, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", f->path, sfx);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-credsql-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/creds.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	unlink(f->path);
	companion(f, "-wal", p, sizeof(p));
	unlink(p);
	companion(f, "-shm", p, sizeof(p));
	unlink(p);
	snprintf(p, sizeof(p), "%s/link.db", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static m2m_err add_key(m2m_credstore *s, const char *id, uint8_t fill)
{
	uint8_t b[32];
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)id};
	m2m_key *k = NULL;
	m2m_err r;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	r = m2m_credstore_add(s, &in, k, NULL, NULL);
	m2m_key_free(k);
	return r;
}

/* Run raw SQL on the file behind the store's back (what an attacker or another tool does). */
static void raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_create_mode_0600_any_umask(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	mode_t old = umask(0);
	char p[160];

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	umask(old);
	assert_int_equal(mode_of(f->path), 0600);
	assert_int_equal(add_key(s, KPSAID, 1), M2M_OK);
	/* while open, the WAL companions exist and carry the same mode */
	companion(f, "-wal", p, sizeof(p));
	assert_int_equal(mode_of(p), 0600);
	companion(f, "-shm", p, sizeof(p));
	assert_int_equal(mode_of(p), 0600);
	m2m_credstore_close(s);
	assert_int_equal(mode_of(f->path), 0600);
}

static void test_wal_and_schema_version(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	m2m_credstore_close(s);
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT version FROM m2m_schema WHERE component = 'credstore'",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2); /* schema 2: cred.attrs */
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* a newer schema is refused, not guessed at */
	raw_sql(f->path, "UPDATE m2m_schema SET version = 3");
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_STORE_SCHEMA);
	assert_null(s);
	raw_sql(f->path, "DELETE FROM m2m_schema");
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_STORE_SCHEMA);
}

static void test_foreign_files_refused(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	int fd;

	/* somebody else's SQLite database */
	fd = open(f->path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	raw_sql(f->path, "CREATE TABLE other (x INTEGER)");
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_STORE_SCHEMA);
	unlink(f->path);
	/* not a database at all */
	fd = open(f->path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "this is not an SQLite database, just text padding it out.....\n", 62), 62);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "0123456789abcdef", 16), 16);
	close(fd);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_STORE);
	assert_null(s);
}

static void test_open_refuses_loose_modes(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	char p[160];
	int fd;

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	assert_int_equal(add_key(s, KPSAID, 1), M2M_OK);
	m2m_credstore_close(s);
	s = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_KEY_PERMS);
	assert_null(s);
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(f->path, 0600), 0);
	/* a stray world-readable -wal also fails closed */
	companion(f, "-wal", p, sizeof(p));
	fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_KEY_PERMS);
	unlink(p);
	/* a symlink is not followed */
	snprintf(p, sizeof(p), "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, p), 0);
	assert_int_not_equal(m2m_credstore_open(p, &s), M2M_OK);
	assert_null(s);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	m2m_credstore_close(s);
}

/* A failure after the record row was written (a trigger aborts the target insert): the
 * transaction rolls back and leaves nothing. */
static void test_failure_mid_transaction_leaves_nothing(void **state)
{
	struct fx *f = *state;
	char *targets[] = {"/cse-in", "/cse-boom"};
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = KPSAID, .targets = targets, .ntargets = 2};
	m2m_cred_info *info = NULL;
	m2m_credstore *s = NULL;
	uint8_t b[32] = {1};
	m2m_key *k = NULL;

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	m2m_credstore_close(s);
	raw_sql(f->path, "CREATE TRIGGER boom BEFORE INSERT ON cred_target WHEN NEW.target = '/cse-boom'"
			 " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	assert_int_equal(m2m_credstore_add(s, &in, k, NULL, NULL), M2M_E_STORE);
	assert_int_equal(m2m_credstore_get_info(s, KPSAID, &info), M2M_E_NOT_FOUND);
	in.ntargets = 1; /* and the store still works */
	assert_int_equal(m2m_credstore_add(s, &in, k, NULL, NULL), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(s, KPSAID, &info), M2M_OK);
	assert_int_equal(info->ntargets, 1);
	m2m_credstore_info_free(info);
	m2m_key_free(k);
	m2m_credstore_close(s);
}

/* The backend itself rolls back a duplicate target (second insert) without the front end. */
static void test_backend_rollback_on_duplicate_target(void **state)
{
	struct fx *f = *state;
	const m2mi_credstore_ops *ops = &m2mi_credstore_sqlite_ops;
	char *targets[] = {"/cse-in", "/cse-in"};
	m2m_cred_info c = {.kind = M2M_CRED_KIND_KPSA, .id = KPSAID, .targets = targets, .ntargets = 2,
			   .state = M2M_CRED_STATE_ACTIVE};
	uint8_t key[32] = {9};
	m2mi_cred_row row = {.info = &c, .fold = KPSAID, .key = key, .keylen = sizeof(key)};
	m2m_cred_info *got = NULL;
	void *be = NULL;

	assert_int_equal(ops->open(f->path, true, &be), M2M_OK);
	assert_int_equal(ops->insert(be, &row), M2M_E_EXISTS);
	assert_int_equal(ops->fetch(be, KPSAID, &got, NULL, NULL), M2M_E_NOT_FOUND);
	c.ntargets = 1;
	assert_int_equal(ops->insert(be, &row), M2M_OK);
	assert_int_equal(ops->fetch(be, KPSAID, &got, NULL, NULL), M2M_OK);
	m2m_credstore_info_free(got);
	/* the CHECK constraint keeps key-less symmetric records out */
	row.key = NULL;
	row.fold = "other@sp.example.com";
	c.id = "other@sp.example.com";
	assert_int_equal(ops->insert(be, &row), M2M_E_STORE);
	assert_int_equal(ops->touch(be, "absent@sp.example.com", 1), M2M_E_NOT_FOUND);
	assert_int_equal(ops->remove(be, "absent@sp.example.com"), M2M_E_NOT_FOUND);
	ops->close(be);
}

static bool file_contains(const char *path, const uint8_t *pat, size_t n)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long len;
	bool found = false;

	if (fp == NULL)
		return false;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	for (long i = 0; !found && i + (long)n <= len; i++)
		found = memcmp(buf + i, pat, n) == 0;
	free(buf);
	return found;
}

/* secure_delete: after delete (and the checkpoint at close) the key bytes are gone from disk. */
static void test_deleted_key_bytes_do_not_linger(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	uint8_t pat[32];

	memset(pat, 0xA7, sizeof(pat));
	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	assert_int_equal(add_key(s, KPSAID, 0xA7), M2M_OK);
	assert_int_equal(add_key(s, "keep@sp.example.com", 0x3c), M2M_OK);
	m2m_credstore_close(s);
	assert_true(file_contains(f->path, pat, sizeof(pat))); /* the check can fail */
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	assert_int_equal(m2m_credstore_delete(s, KPSAID), M2M_OK);
	m2m_credstore_close(s);
	assert_false(file_contains(f->path, pat, sizeof(pat)));
}

/* Credentials are always written with synchronous=FULL: an acknowledged add or revoke survives
 * an OS crash or power loss (the resource store's store-sync does not apply here). */
static void test_synchronous_full(void **state)
{
	struct fx *f = *state;
	void *be = NULL;
	int64_t lvl = -1;

	assert_int_equal(m2mi_credstore_sqlite_ops.open(f->path, true, &be), M2M_OK);
	assert_int_equal(m2mi_credstore_sqlite_sync_level(be, &lvl), M2M_OK);
	assert_int_equal(lvl, 2); /* FULL */
	m2mi_credstore_sqlite_ops.close(be);
	be = NULL;
	lvl = -1;
	assert_int_equal(m2mi_credstore_sqlite_ops.open(f->path, false, &be), M2M_OK); /* reopened */
	assert_int_equal(m2mi_credstore_sqlite_sync_level(be, &lvl), M2M_OK);
	assert_int_equal(lvl, 2);
	m2mi_credstore_sqlite_ops.close(be);
}

/* PRAGMA data_version of an observer connection: it changes when another connection commits. */
static int64_t data_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* last_used has one-second resolution: a lookup in a second already recorded writes nothing (no
 * write transaction, no write lock, no commit per TLS-PSK handshake or ESPrim request), the
 * first lookup of a later second records it (docs/credstore.md "last_used"). */
static void test_lookup_same_second_writes_nothing(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	m2m_cred_info *info = NULL;
	m2m_key *k = NULL;
	sqlite3 *obs = NULL;
	int64_t v0, v1;

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	assert_int_equal(add_key(s, KPSAID, 7), M2M_OK);
	assert_int_equal(sqlite3_open_v2(f->path, &obs, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	v0 = data_version(obs);
	assert_int_equal(m2m_credstore_lookup_key(s, KPSAID, M2M_CRED_KIND_KPSA, 1000, &k), M2M_OK);
	m2m_key_free(k);
	k = NULL;
	v1 = data_version(obs);
	assert_true(v1 != v0); /* first use in second 1000: recorded */
	/* another connection holds the write lock: a lookup in the recorded second neither writes
	 * nor waits for it (before: BEGIN IMMEDIATE per lookup, busy for 5 s, then M2M_E_STORE) */
	assert_int_equal(sqlite3_exec(obs, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(m2m_credstore_lookup_key(s, KPSAID, M2M_CRED_KIND_KPSA, 1000, &k), M2M_OK);
		m2m_key_free(k);
		k = NULL;
	}
	assert_int_equal(sqlite3_exec(obs, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	/* an earlier clock never moves it back, and writes nothing either */
	assert_int_equal(m2m_credstore_lookup_key(s, KPSAID, M2M_CRED_KIND_KPSA, 999, &k), M2M_OK);
	m2m_key_free(k);
	k = NULL;
	assert_true(data_version(obs) == v1);
	assert_int_equal(m2m_credstore_lookup_key(s, KPSAID, M2M_CRED_KIND_KPSA, 1001, &k), M2M_OK);
	m2m_key_free(k);
	assert_true(data_version(obs) != v1);
	assert_int_equal(m2m_credstore_get_info(s, KPSAID, &info), M2M_OK);
	assert_int_equal(info->last_used, 1001);
	m2m_credstore_info_free(info);
	sqlite3_close(obs);
	m2m_credstore_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_mode_0600_any_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_and_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_loose_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_mid_transaction_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_rollback_on_duplicate_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_key_bytes_do_not_linger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synchronous_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_same_second_writes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
