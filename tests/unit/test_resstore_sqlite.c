/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/resstore_sqlite.c: file mode 0600 and refusal
 * of an open file, schema version; the write path: writers of this process queue on the file's
 * writer gate (never in SQLite's sleeping busy handler) while readers go on, every write of concurrent writers lands, and the
 * durability asked for (store-sync normal/full) is the PRAGMA synchronous in effect; the group
 * member index (schema 2) built by the migration of a schema-1 store on open. The behaviour
 * every backend shares (rows, uniqueness, ranges, rollback, scans) is tested once for both in
 * test_resstore.c.
 */
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cse_fixture.h"
#include "resstore_fixture.h"
#include "store/sqlite_gate.h"

typedef struct sfx {
	char dir[64], db[128];
	m2m_resstore *s;
} sfx;

static int s_setup(void **state)
{
	sfx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/m2mrs.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->db, sizeof(x->db), "%s/r.db", x->dir);
	assert_int_equal(m2m_resstore_open(x->db, &x->s), M2M_OK);
	*state = x;
	return 0;
}

static int s_teardown(void **state)
{
	sfx *x = *state;

	m2m_resstore_free(x->s);
	fx_rmdir(x->dir);
	free(x);
	return 0;
}

static void test_file_mode_and_reopen(void **state)
{
	sfx *x = *state;
	m2m_resstore *again = NULL;
	struct stat st;
	m2m_res r = {0};

	m2m_resstore_free(NULL);
	m2m_res_clear(NULL);
	m2m_res_free_list(NULL, 0);
	assert_int_equal(m2m_resstore_open(NULL, &again), M2M_E_INVAL);
	assert_int_equal(m2m_resstore_open("", &again), M2M_E_INVAL);
	assert_int_equal(stat(x->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(put(x->s, "root", NULL, NULL, "root", 5, 0), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	m2m_resstore_free(x->s);
	x->s = NULL;
	assert_int_equal(m2m_resstore_open(x->db, &x->s), M2M_OK);
	assert_int_equal(m2m_resstore_get(x->s, "root", &r), M2M_OK);
	assert_string_equal(r.path, "root");
	assert_null(r.pi);
	assert_string_equal(r.et, "20250101T000000");
	assert_string_equal(r.lbl, "[\"l\"]");
	m2m_res_clear(&r);
	/* a group/other-readable file is refused */
	assert_int_equal(chmod(x->db, 0644), 0);
	assert_int_equal(m2m_resstore_open(x->db, &again), M2M_E_KEY_PERMS);
	assert_null(again);
	assert_int_equal(chmod(x->db, 0600), 0);
}

static void test_schema_version(void **state)
{
	sfx *x = *state;
	m2m_resstore *again = NULL;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE m2m_schema SET version = 99 WHERE component = 'resstore'", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(m2m_resstore_open(x->db, &again), M2M_E_RESSTORE_SCHEMA);
	assert_null(again);
}

/* The refs of path as "grp:mid;..." */
static void refs_of(m2m_resstore *s, const char *path, char *buf, size_t cap)
{
	m2m_grp_ref *v = NULL;
	size_t n = 0;

	assert_int_equal(m2m_resstore_grp_refs(s, path, &v, &n), M2M_OK);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s:%s;", v[i].grp_ri, v[i].mid);
	m2m_grp_refs_free(v, n);
}

static int64_t count_rows(const char *file, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n;

	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A store written by schema 1 (no grp_member) is migrated when opened: the index is built from
 * the stored groups' mid (resourceID and structured forms), the version becomes 2. */
static void test_schema_migration(void **state)
{
	sfx *x = *state;
	static const char *const v1 =
		"CREATE TABLE m2m_schema (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) STRICT;"
		"CREATE TABLE res (seq INTEGER PRIMARY KEY AUTOINCREMENT, ri TEXT NOT NULL UNIQUE, pi TEXT,"
		" ty INTEGER NOT NULL, rn TEXT NOT NULL, path TEXT NOT NULL UNIQUE, cr TEXT, acpi TEXT, lbl TEXT,"
		" ct TEXT NOT NULL, lt TEXT NOT NULL, et TEXT NOT NULL DEFAULT '', ver INTEGER NOT NULL DEFAULT 1,"
		" size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0), body TEXT NOT NULL, UNIQUE (pi, rn)) STRICT;"
		"CREATE INDEX res_children ON res (pi, ty, seq);"
		"INSERT INTO m2m_schema (component, version) VALUES ('resstore', 1);"
		"INSERT INTO res (ri, pi, ty, rn, path, ct, lt, body) VALUES"
		" ('r', NULL, 5, 'r', 'r', 't', 't', '{}'),"
		" ('c1', 'r', 3, 'c1', 'r/c1', 't', 't', '{}'),"
		" ('c2', 'r', 3, 'c2', 'r/c2', 't', 't', '{}'),"
		" ('g', 'r', 9, 'g', 'r/g', 't', 't', '{\"mid\":[\"r/c1\",\"c2\",\"r/gone\",7]}'),"
		" ('bad', 'r', 9, 'bad', 'r/bad', 't', 't', 'not json');";
	char old[160], buf[256];
	m2m_resstore *s = NULL;
	sqlite3 *db = NULL;
	int fd;

	snprintf(old, sizeof(old), "%s/v1.db", x->dir);
	assert_true((fd = open(old, O_CREAT | O_EXCL | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(m2m_resstore_open(old, &s), M2M_OK);
	assert_int_equal(count_rows(old, "SELECT version FROM m2m_schema WHERE component = 'resstore'"), 2);
	assert_int_equal(m2m_resstore_begin(s, false), M2M_OK);
	refs_of(s, "r/c1", buf, sizeof(buf));
	assert_string_equal(buf, "g:r/c1;");
	refs_of(s, "r/c2", buf, sizeof(buf));
	assert_string_equal(buf, "g:c2;");
	m2m_resstore_rollback(s);
	m2m_resstore_free(s);
	assert_int_equal(count_rows(old, "SELECT count(*) FROM grp_member"), 2);
	/* opened again: already version 2, nothing redone */
	assert_int_equal(m2m_resstore_open(old, &s), M2M_OK);
	m2m_resstore_free(s);
	assert_int_equal(count_rows(old, "SELECT count(*) FROM grp_member"), 2);
}

/* The writer gate of the store file x->db (one extra reference; put it back). */
static m2mi_sqlite_gate *gate_of(const sfx *x)
{
	m2mi_sqlite_gate *g = NULL;
	struct stat st;

	assert_int_equal(stat(x->db, &st), 0);
	assert_int_equal(m2mi_sqlite_gate_get(st.st_dev, st.st_ino, &g), M2M_OK);
	return g;
}

struct writer {
	const char *db;
	const char *ri;
	int n;            /* write transactions to run */
	m2m_err r;        /* the first failure */
	atomic_bool done;
};

/* n write transactions on its own connection, one row each (ri "<ri>-<i>"). */
static void *writer_run(void *arg)
{
	struct writer *w = arg;
	m2m_resstore *s = NULL;
	char ri[64];

	w->r = m2m_resstore_open(w->db, &s);
	for (int i = 0; w->r == M2M_OK && i < w->n; i++) {
		snprintf(ri, sizeof(ri), "%s-%d", w->ri, i);
		if ((w->r = m2m_resstore_begin(s, true)) != M2M_OK)
			break;
		if ((w->r = put(s, ri, NULL, NULL, ri, 5, 0)) != M2M_OK) {
			m2m_resstore_rollback(s);
			break;
		}
		w->r = m2m_resstore_commit(s);
	}
	m2m_resstore_free(s);
	atomic_store(&w->done, true);
	return NULL;
}

/* A second writer of this process waits on the gate, not in SQLite (whose busy handler sleeps
 * in growing steps), and goes ahead as soon as the first commits; readers are not held up. */
static void test_writer_queues_on_gate(void **state)
{
	sfx *x = *state;
	m2mi_sqlite_gate *g = gate_of(x);
	struct writer w = {.db = x->db, .ri = "w", .n = 1};
	m2m_resstore *reader = NULL;
	m2m_res r = {0};
	pthread_t t;

	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 1);
	assert_int_equal(put(x->s, "m", NULL, NULL, "m", 5, 0), M2M_OK);
	/* a reader on another connection: a WAL snapshot without the uncommitted row, no wait */
	assert_int_equal(m2m_resstore_open(x->db, &reader), M2M_OK);
	assert_int_equal(m2m_resstore_begin(reader, false), M2M_OK);
	assert_int_equal(m2m_resstore_get(reader, "m", &r), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_resstore_commit(reader), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 1);
	assert_int_equal(pthread_create(&t, NULL, writer_run, &w), 0);
	/* without the gate the writer would sit in the busy handler until its timeout and fail */
	while (m2mi_sqlite_gate_queued(g) != 2 && !atomic_load(&w.done))
		sched_yield();
	assert_false(atomic_load(&w.done));
	assert_int_equal(m2mi_sqlite_gate_queued(g), 2);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	pthread_join(t, NULL);
	assert_int_equal(w.r, M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 0);
	assert_int_equal(m2m_resstore_get(reader, "w-0", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_get(reader, "m", &r), M2M_OK);
	m2m_res_clear(&r);
	m2m_resstore_free(reader);
	m2mi_sqlite_gate_put(g);
}

/* Every way a write transaction ends gives the gate back; a nested begin does not re-enter it
 * (which would deadlock) and read transactions never take it. */
static void test_gate_given_back(void **state)
{
	sfx *x = *state;
	m2mi_sqlite_gate *g = gate_of(x);
	m2m_resstore *other = NULL;

	assert_int_equal(m2m_resstore_begin(x->s, false), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 0);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_E_RESSTORE); /* one transaction at a time */
	assert_int_equal(m2mi_sqlite_gate_queued(g), 0);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_E_RESSTORE);
	assert_int_equal(m2m_resstore_begin(x->s, false), M2M_E_RESSTORE);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 1);
	m2m_resstore_rollback(x->s);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 0);
	/* a failed statement inside the transaction leaves it open; the commit gives the gate back */
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(put(x->s, "a", NULL, NULL, "a", 5, 0), M2M_OK);
	assert_int_equal(put(x->s, "a", NULL, NULL, "a", 5, 0), M2M_E_EXISTS);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 0);
	/* a connection freed inside a write transaction rolls it back and lets the next writer in */
	assert_int_equal(m2m_resstore_open(x->db, &other), M2M_OK);
	assert_int_equal(m2m_resstore_begin(other, true), M2M_OK);
	assert_int_equal(put(other, "lost", NULL, NULL, "lost", 5, 0), M2M_OK);
	m2m_resstore_free(other);
	assert_int_equal(m2mi_sqlite_gate_queued(g), 0);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	m2m_resstore_rollback(x->s);
	m2mi_sqlite_gate_put(g);
}

#define WRITERS 4
#define WRITES 150

/* Concurrent writers on their own connections (the CSE's workers): every transaction commits,
 * none is lost. */
static void test_concurrent_writers(void **state)
{
	sfx *x = *state;
	struct writer w[WRITERS];
	char ri[WRITERS][16];
	pthread_t t[WRITERS];
	m2m_res *v = NULL;
	size_t n = 0;

	for (int i = 0; i < WRITERS; i++) {
		snprintf(ri[i], sizeof(ri[i]), "t%d", i);
		w[i] = (struct writer){.db = x->db, .ri = ri[i], .n = WRITES};
		assert_int_equal(pthread_create(&t[i], NULL, writer_run, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].r, M2M_OK);
	}
	for (int i = 0; i < WRITERS; i++) {
		for (int k = 0; k < WRITES; k++) {
			m2m_res r = {0};
			char id[96];
			snprintf(id, sizeof(id), "%s-%d", ri[i], k);
			assert_int_equal(m2m_resstore_get(x->s, id, &r), M2M_OK);
			m2m_res_clear(&r);
		}
	}
	assert_int_equal(m2m_resstore_children(x->s, "none", 0, 10, &v, &n), M2M_OK);
	assert_int_equal(n, 0); /* roots only: nothing else was written */
}

/* store-sync: the PRAGMA synchronous read back from the write connection is the one asked for;
 * handles of one process to one file share that connection, so they must agree on it. */
static void test_sync_in_effect(void **state)
{
	sfx *x = *state;
	m2m_resstore_opts full = {.sync = M2M_RESSTORE_SYNC_FULL}, normal = {.sync = M2M_RESSTORE_SYNC_NORMAL};
	m2m_resstore_opts bad = {.sync = (m2m_resstore_sync)7};
	m2m_resstore *a = NULL, *b = NULL;
	m2m_resstore_sync got = (m2m_resstore_sync)-1;

	assert_int_equal(m2m_resstore_sync_in_effect(x->s, &got), M2M_OK); /* m2m_resstore_open */
	assert_int_equal(got, M2M_RESSTORE_SYNC_NORMAL);
	a = (m2m_resstore *)1;
	assert_int_equal(m2m_resstore_open_opts(x->db, &full, &a), M2M_E_INVAL); /* disagrees with x->s */
	assert_null(a);
	assert_int_equal(m2m_resstore_open_opts(x->db, &normal, &a), M2M_OK);
	assert_int_equal(m2m_resstore_sync_in_effect(a, &got), M2M_OK);
	assert_int_equal(got, M2M_RESSTORE_SYNC_NORMAL);
	m2m_resstore_free(a);
	m2m_resstore_free(x->s);
	x->s = NULL;
	/* all handles gone: the next open chooses again */
	assert_int_equal(m2m_resstore_open_opts(x->db, &full, &a), M2M_OK);
	assert_int_equal(m2m_resstore_sync_in_effect(a, &got), M2M_OK);
	assert_int_equal(got, M2M_RESSTORE_SYNC_FULL);
	assert_int_equal(m2m_resstore_open_opts(x->db, NULL, &b), M2M_E_INVAL);
	assert_int_equal(m2m_resstore_open_opts(x->db, &full, &b), M2M_OK);
	assert_int_equal(m2m_resstore_sync_in_effect(b, &got), M2M_OK);
	assert_int_equal(got, M2M_RESSTORE_SYNC_FULL);
	/* a write through b lands with FULL durability and a reads it */
	assert_int_equal(m2m_resstore_begin(b, true), M2M_OK);
	assert_int_equal(put(b, "f", NULL, NULL, "f", 5, 0), M2M_OK);
	assert_int_equal(m2m_resstore_commit(b), M2M_OK);
	assert_int_equal(m2m_resstore_version(a, "f", &(int){0}, &(int64_t){0}), M2M_OK);
	m2m_resstore_free(a);
	m2m_resstore_free(b);
	b = (m2m_resstore *)1;
	assert_int_equal(m2m_resstore_open_opts(x->db, &bad, &b), M2M_E_INVAL);
	assert_null(b);
	assert_int_equal(m2m_resstore_sync_in_effect(NULL, &got), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_mode_and_reopen, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_schema_version, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_schema_migration, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_writer_queues_on_gate, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_gate_given_back, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_sync_in_effect, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
