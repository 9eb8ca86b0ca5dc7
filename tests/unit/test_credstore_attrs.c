/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the credential store's schema 2 (docs/credstore.md):
 * the opaque attrs text of a record, m2m_credstore_update (not_after / targets / attrs in one
 * transaction, nothing half-written), the grouping transaction m2m_credstore_begin/end (commit
 * keeps everything, rollback nothing), and the migration of an existing schema-1 store file,
 * whose records survive and gain no attrs; m2m_credstore_count_owner (active and all records of
 * one owner and kind).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "m2m_test.h"
#include "m2msec/credstore.h"
#include "pg_fixture.h"
#include "svc_fixture.h"

#define KCID "00112233445566778899AABBCCDDEEFF@maf.example.com"
#define KMID "dev1@maf.example.com"

struct fx {
	char dir[64];
	char path[256]; /* the store file, or the PostgreSQL URI (pg_fixture.h) */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	sf_tmp_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "/tmp/m2m-credattr-XXXXXX", "creds.db");
	(void)pgf_cred_store(f->path, sizeof(f->path));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sf_tmp_rm(f->dir, f->path);
	free(f);
	return 0;
}

static m2m_err add(m2m_credstore *s, m2m_cred_kind kind, const char *id, const char *attrs, char **targets, size_t n)
{
	uint8_t kb[32] = {1, 2, 3};
	m2m_key *k = NULL;
	m2m_cred_info ci = {.kind = kind, .id = (char *)id, .owner = "Cdev1", .targets = targets, .ntargets = n,
			    .attrs = (char *)attrs, .created_at = 100};
	m2m_err r;

	assert_int_equal(m2m_key_new(kb, sizeof(kb), &k), M2M_OK);
	r = m2m_credstore_add(s, &ci, k, NULL, NULL);
	m2m_key_free(k);
	return r;
}

static void test_attrs_and_update(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	m2m_cred_info *i = NULL, v = {0};
	char *t1[] = {"//sp.example.com/cse-in"}, *t2[] = {"/cse-a", "/cse-b"};
	char big[M2M_CRED_ATTRS_MAX + 2];

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KC, KCID, "{\"a\":1}", t1, 1), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KM, KMID, NULL, NULL, 0), M2M_OK);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(add(s, M2M_CRED_KIND_KM, "big@maf.example.com", big, NULL, 0), M2M_E_RANGE);
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_OK);
	assert_string_equal(i->attrs, "{\"a\":1}");
	m2m_credstore_info_free(i);
	assert_int_equal(m2m_credstore_get_info(s, KMID, &i), M2M_OK);
	assert_null(i->attrs);
	m2m_credstore_info_free(i);
	/* not_after, targets and attrs together */
	v.not_after = 5000;
	v.targets = t2;
	v.ntargets = 2;
	v.attrs = "{\"b\":2}";
	assert_int_equal(m2m_credstore_update(s, KCID, M2M_CRED_SET_NOT_AFTER | M2M_CRED_SET_TARGETS | M2M_CRED_SET_ATTRS, &v),
			 M2M_OK);
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_OK);
	assert_int_equal(i->not_after, 5000);
	assert_int_equal(i->ntargets, 2);
	assert_string_equal(i->targets[1], "/cse-b");
	assert_string_equal(i->attrs, "{\"b\":2}");
	m2m_credstore_info_free(i);
	/* only attrs: the rest stays */
	v.attrs = NULL;
	assert_int_equal(m2m_credstore_update(s, KCID, M2M_CRED_SET_ATTRS, &v), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_OK);
	assert_null(i->attrs);
	assert_int_equal(i->ntargets, 2);
	assert_int_equal(i->not_after, 5000);
	m2m_credstore_info_free(i);
	/* a bad target changes nothing (one transaction) */
	char *bad[] = {"/cse-a", "/cse-a"};
	v.targets = bad;
	v.attrs = "{\"c\":3}";
	assert_int_not_equal(m2m_credstore_update(s, KCID, M2M_CRED_SET_TARGETS | M2M_CRED_SET_ATTRS, &v), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_OK);
	assert_null(i->attrs);
	assert_string_equal(i->targets[0], "/cse-a");
	m2m_credstore_info_free(i);
	assert_int_equal(m2m_credstore_update(s, "nobody@maf.example.com", M2M_CRED_SET_ATTRS, &v), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_credstore_update(s, KCID, 0, &v), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_update(s, KCID, 64, &v), M2M_E_INVAL);
	v.attrs = big;
	assert_int_equal(m2m_credstore_update(s, KCID, M2M_CRED_SET_ATTRS, &v), M2M_E_RANGE);
	m2m_credstore_close(s);
}

static void test_grouping_transaction(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	m2m_cred_info *i = NULL, v = {.attrs = "{\"x\":1}"};

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KM, KMID, NULL, NULL, 0), M2M_OK);
	/* rolled back: neither the update nor the add nor the delete happened */
	assert_int_equal(m2m_credstore_begin(s), M2M_OK);
	assert_int_equal(m2m_credstore_begin(s), M2M_E_INVAL); /* no nesting */
	assert_int_equal(m2m_credstore_update(s, KMID, M2M_CRED_SET_ATTRS, &v), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KC, KCID, NULL, NULL, 0), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KC, KCID, NULL, NULL, 0), M2M_E_EXISTS); /* its savepoint only */
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_OK); /* visible inside */
	m2m_credstore_info_free(i);
	assert_int_equal(m2m_credstore_end(s, M2M_E_INVAL), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_credstore_get_info(s, KMID, &i), M2M_OK);
	assert_null(i->attrs);
	m2m_credstore_info_free(i);
	/* committed: all of it */
	assert_int_equal(m2m_credstore_begin(s), M2M_OK);
	assert_int_equal(m2m_credstore_update(s, KMID, M2M_CRED_SET_ATTRS, &v), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KC, KCID, NULL, NULL, 0), M2M_OK);
	assert_int_equal(m2m_credstore_end(s, M2M_OK), M2M_OK);
	assert_int_equal(m2m_credstore_end(s, M2M_OK), M2M_E_INVAL); /* nothing open */
	m2m_credstore_close(s);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(s, KCID, &i), M2M_OK);
	m2m_credstore_info_free(i);
	assert_int_equal(m2m_credstore_get_info(s, KMID, &i), M2M_OK);
	assert_string_equal(i->attrs, "{\"x\":1}");
	m2m_credstore_info_free(i);
	m2m_credstore_close(s);
}

/* The schema-1 layout exactly as released (store/credstore_sqlite.c before schema 2). */
static const char *const v1[] = {
	"PRAGMA journal_mode=WAL",
	"CREATE TABLE m2m_schema (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) STRICT",
	"CREATE TABLE cred (id TEXT PRIMARY KEY NOT NULL, id_fold TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL CHECK (kind IN ('kpm','ke','km','kpsa','kc','cert')), owner TEXT,"
	" suid INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0 CHECK (not_before >= 0),"
	" not_after INTEGER NOT NULL DEFAULT 0 CHECK (not_after >= 0),"
	" state TEXT NOT NULL CHECK (state IN ('active','revoked')), revoked_at INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL DEFAULT 0, last_used INTEGER NOT NULL DEFAULT 0, key_bytes BLOB, cert_pem TEXT,"
	" CHECK ((kind = 'cert' AND key_bytes IS NULL AND cert_pem IS NOT NULL) OR"
	"        (kind <> 'cert' AND cert_pem IS NULL AND key_bytes IS NOT NULL AND length(key_bytes) BETWEEN 16 AND 64))"
	") STRICT",
	"CREATE TABLE cred_target (cred_id TEXT NOT NULL REFERENCES cred(id) ON DELETE CASCADE, pos INTEGER NOT NULL,"
	" target TEXT NOT NULL, PRIMARY KEY (cred_id, pos), UNIQUE (cred_id, target)) STRICT",
	"INSERT INTO m2m_schema (component, version) VALUES ('credstore', 1)",
	"INSERT INTO cred (id, id_fold, kind, owner, suid, not_after, state, created_at, key_bytes) VALUES"
	" ('dev1@maf.example.com', 'dev1@maf.example.com', 'km', 'Cdev1', 0, 0, 'active', 7, zeroblob(32))",
	"INSERT INTO cred_target (cred_id, pos, target) VALUES ('dev1@maf.example.com', 0, '/cse-in')",
};

static void test_migration_v1_to_v2(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	m2m_cred_info *i = NULL, v = {.attrs = "{\"reg\":1}"};
	m2m_key *k = NULL;
	sqlite3 *db = NULL;
	int fd;

	if (pgf_uri() != NULL) {
		/* PostgreSQL: the migration is recorded once, and a newer schema is refused */
		s = (m2m_credstore *)1;
		assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_NOT_FOUND); /* no store yet */
		assert_null(s);
		assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
		m2m_credstore_close(s);
		assert_int_equal(m2m_credstore_create(f->path, &s), M2M_E_EXISTS);
		assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
		m2m_credstore_close(s);
		assert_int_equal(pgf_query("SELECT count(*) FROM m2m_schema_migrations WHERE component = 'credstore'"), 1);
		(void)pgf_query("INSERT INTO m2m_schema_migrations (component, version) VALUES ('credstore', 99)");
		assert_int_equal(m2m_credstore_open(f->path, &s), M2M_E_STORE_SCHEMA);
		(void)pgf_query("DELETE FROM m2m_schema_migrations WHERE component = 'credstore' AND version = 99");
		return;
	}
	fd = open(f->path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	for (size_t n = 0; n < sizeof(v1) / sizeof(v1[0]); n++)
		assert_int_equal(sqlite3_exec(db, v1[n], NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(chmod(f->path, 0600), 0);
	/* opening migrates in place; the record survives, with no attrs */
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	assert_int_equal(m2m_credstore_lookup(s, KMID, M2M_CRED_KIND_KM, 100, &k, &i), M2M_OK);
	assert_string_equal(i->owner, "Cdev1");
	assert_int_equal(i->ntargets, 1);
	assert_null(i->attrs);
	m2m_credstore_info_free(i);
	m2m_key_free(k);
	assert_int_equal(m2m_credstore_update(s, KMID, M2M_CRED_SET_ATTRS, &v), M2M_OK);
	m2m_credstore_close(s);
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT version FROM m2m_schema WHERE component = 'credstore'", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* and again: a schema-2 store opens as it is */
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(s, KMID, &i), M2M_OK);
	assert_string_equal(i->attrs, "{\"reg\":1}");
	m2m_credstore_info_free(i);
	m2m_credstore_close(s);
}

/* m2m_credstore_count_owner: one owner's records of one kind, active at now and all. */
static void test_count_owner(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	size_t act = 9, all = 9;

	assert_int_equal(m2m_credstore_create(f->path, &s), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KC, KCID, NULL, NULL, 0), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KC, "00112233445566778899AABBCCDDEE00@maf.example.com", NULL, NULL, 0), M2M_OK);
	assert_int_equal(add(s, M2M_CRED_KIND_KM, KMID, NULL, NULL, 0), M2M_OK);
	assert_int_equal(m2m_credstore_count_owner(s, M2M_CRED_KIND_KC, "Cdev1", 1000, &act, &all), M2M_OK);
	assert_int_equal(act, 2);
	assert_int_equal(all, 2);
	assert_int_equal(m2m_credstore_revoke(s, KCID, 1000), M2M_OK);
	{
		m2m_cred_info v = {.not_after = 500};
		assert_int_equal(m2m_credstore_update(s, "00112233445566778899AABBCCDDEE00@maf.example.com",
						      M2M_CRED_SET_NOT_AFTER, &v), M2M_OK);
	}
	assert_int_equal(m2m_credstore_count_owner(s, M2M_CRED_KIND_KC, "Cdev1", 1000, &act, &all), M2M_OK);
	assert_int_equal(act, 0); /* one revoked, one expired */
	assert_int_equal(all, 2);
	assert_int_equal(m2m_credstore_count_owner(s, M2M_CRED_KIND_KM, "Cdev1", 1000, &act, &all), M2M_OK);
	assert_int_equal(act, 1);
	assert_int_equal(m2m_credstore_count_owner(s, M2M_CRED_KIND_KC, "Cother", 1000, &act, &all), M2M_OK);
	assert_int_equal(all, 0);
	/* one kind, a valid owner */
	assert_int_equal(m2m_credstore_count_owner(s, M2M_CRED_KIND_KC | M2M_CRED_KIND_KM, "Cdev1", 1000, &act, &all),
			 M2M_E_INVAL);
	assert_int_not_equal(m2m_credstore_count_owner(s, M2M_CRED_KIND_KC, "not an id!", 1000, &act, &all), M2M_OK);
	assert_int_equal(m2m_credstore_count_owner(NULL, M2M_CRED_KIND_KC, "Cdev1", 1000, &act, &all), M2M_E_INVAL);
	m2m_credstore_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attrs_and_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouping_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_v1_to_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
