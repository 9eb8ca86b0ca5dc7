/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests every resource store backend must pass, run once per
 * backend (store/resstore.c dispatching): against a SQLite file, and — when M2MSEC_TEST_PG_URI
 * names a database (ctest's unit.test_resstore.pg, started by tests/system/pg_harness.py) —
 * against a real PostgreSQL server. Insert/lookup by ri and path, uniqueness of ri, path and
 * (pi, rn) (RSC 4105 at the CSE, TS-0004 clause 7.4.1.2.2 / 6.6), children and subtree ranges in
 * byte order, oldest/newest, update, subtree delete, rollback, the group member index, the
 * discovery scan window, concurrent writers on their own handles.
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "cse_fixture.h"
#include "resstore_fixture.h"

typedef struct sfx {
	char dir[64], db[128];
	const char *pg; /* the PostgreSQL URI of this run, or NULL */
	m2m_resstore *s;
} sfx;

/* Run sql on the PostgreSQL database of this run; returns the first column of the first row
 * as a number (0 without rows). */
static int64_t pg_query(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *res;
	int64_t n = 0;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, sql);
	assert_true(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return n;
}

static int s_setup(void **state)
{
	sfx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->pg = getenv("M2MSEC_TEST_PG_URI");
	if (x->pg != NULL && x->pg[0] != '\0') {
		/* a fresh database for every test: the schema is created again by the open */
		(void)pg_query(x->pg, "DROP TABLE IF EXISTS grp_member, res, m2m_schema_migrations");
		snprintf(x->db, sizeof(x->db), "%s", x->pg);
		assert_true(strlen(x->pg) < sizeof(x->db));
	} else {
		x->pg = NULL;
		snprintf(x->dir, sizeof(x->dir), "/tmp/m2mrs.XXXXXX");
		assert_non_null(mkdtemp(x->dir));
		snprintf(x->db, sizeof(x->db), "%s/r.db", x->dir);
	}
	assert_int_equal(m2m_resstore_open(x->db, &x->s), M2M_OK);
	*state = x;
	return 0;
}

static int s_teardown(void **state)
{
	sfx *x = *state;

	m2m_resstore_free(x->s);
	if (x->pg == NULL)
		fx_rmdir(x->dir);
	free(x);
	return 0;
}

/* The number sql counts in the store of this run, through the backend's own client. */
static int64_t count_rows(const sfx *x, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n;

	if (x->pg != NULL)
		return pg_query(x->pg, sql);
	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
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

static void test_grp_index(void **state)
{
	sfx *x = *state;
	const char *mid[] = {"x-a", "r/a/b", "r/c", "//far/id-x/q"};
	const char *ris[] = {"a", "b", "c", NULL};
	const char *mid2[] = {"r/a/b"}, *ris2[] = {"b"};
	char buf[256];

	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(put(x->s, "r", NULL, NULL, "r", 5, 0), M2M_OK);
	assert_int_equal(put(x->s, "a", "r", "r", "a", 3, 0), M2M_OK);
	assert_int_equal(put(x->s, "b", "a", "r/a", "b", 3, 0), M2M_OK);
	assert_int_equal(put(x->s, "c", "r", "r", "c", 3, 0), M2M_OK);
	assert_int_equal(put(x->s, "g", "r", "r", "g", 9, 0), M2M_OK);
	assert_int_equal(put(x->s, "g2", "a", "r/a", "g2", 9, 0), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g", mid, ris, 4), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g2", mid2, ris2, 1), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g", mid, NULL, 4), M2M_E_INVAL);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(x->s, false), M2M_OK);
	refs_of(x->s, "r/a", buf, sizeof(buf)); /* g2 is inside the subtree: not reported */
	assert_string_equal(buf, "g:r/a/b;g:x-a;");
	refs_of(x->s, "r/a/b", buf, sizeof(buf));
	assert_string_equal(buf, "g:r/a/b;g2:r/a/b;");
	refs_of(x->s, "r/c", buf, sizeof(buf));
	assert_string_equal(buf, "g:r/c;");
	refs_of(x->s, "r/g", buf, sizeof(buf));
	assert_string_equal(buf, "");
	m2m_resstore_rollback(x->s);
	/* a subtree delete drops the rows of its members and of its groups */
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_delete(x->s, "r/a", NULL), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(count_rows(x, "SELECT count(*) FROM grp_member WHERE grp_ri = 'g2' OR member_ri IN ('a','b')"),
			 0);
	assert_int_equal(count_rows(x, "SELECT count(*) FROM grp_member"), 1);
	/* members_set replaces; deleting the group drops its rows */
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g", NULL, NULL, 0), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(count_rows(x, "SELECT count(*) FROM grp_member"), 0);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g", mid, ris, 4), M2M_OK);
	assert_int_equal(m2m_resstore_delete(x->s, "r/g", NULL), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(count_rows(x, "SELECT count(*) FROM grp_member"), 0);
}

static void test_rows(void **state)
{
	sfx *x = *state;
	m2m_res r = {0}, *v = NULL;
	size_t n = 0;
	int64_t ver = 0;
	int ty = 0;
	bool found = true;

	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(put(x->s, "cb", NULL, NULL, "cb", 5, 0), M2M_OK);
	assert_int_equal(put(x->s, "a1", "cb", "cb", "ae1", 2, 0), M2M_OK);
	assert_int_equal(put(x->s, "a10", "cb", "cb", "ae10", 2, 0), M2M_OK);
	assert_int_equal(put(x->s, "c1", "a1", "cb/ae1", "cnt", 3, 0), M2M_OK);
	assert_int_equal(put(x->s, "i1", "c1", "cb/ae1/cnt", "i1", 4, 5), M2M_OK);
	assert_int_equal(put(x->s, "i2", "c1", "cb/ae1/cnt", "i2", 4, 7), M2M_OK);
	assert_int_equal(put(x->s, "s1", "c1", "cb/ae1/cnt", "s1", 23, 0), M2M_OK);
	assert_int_equal(put(x->s, "c9", "a10", "cb/ae10", "cnt", 3, 0), M2M_OK);
	/* uniqueness */
	assert_int_equal(put(x->s, "i1", "c1", "cb/ae1/cnt", "other", 4, 0), M2M_E_EXISTS);
	assert_int_equal(put(x->s, "zz", "c1", "cb/ae1/cnt", "i1", 4, 0), M2M_E_EXISTS);
	/* lookups */
	assert_int_equal(m2m_resstore_get_path(x->s, "cb/ae1/cnt/i2", &r), M2M_OK);
	assert_string_equal(r.ri, "i2");
	assert_int_equal(r.size, 7);
	assert_true(r.seq > 0);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_get(x->s, "nope", &r), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_resstore_version(x->s, "c1", &ty, &ver), M2M_OK);
	assert_int_equal(ty, 3);
	assert_int_equal(ver, 1);
	assert_int_equal(m2m_resstore_version(x->s, "nope", &ty, &ver), M2M_E_NOT_FOUND);
	/* oldest / newest instance */
	assert_int_equal(m2m_resstore_edge(x->s, "c1", 4, false, &r), M2M_OK);
	assert_string_equal(r.ri, "i1");
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_edge(x->s, "c1", 4, true, &r), M2M_OK);
	assert_string_equal(r.ri, "i2");
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_edge(x->s, "a1", 4, true, &r), M2M_E_NOT_FOUND);
	/* children: all, by type, limited */
	assert_int_equal(m2m_resstore_children(x->s, "c1", 0, 100, &v, &n), M2M_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].ri, "i1");
	assert_string_equal(v[2].ri, "s1");
	assert_string_equal(v[0].body, "{}");
	m2m_res_free_list(v, n);
	assert_int_equal(m2m_resstore_children(x->s, "c1", 23, 100, &v, &n), M2M_OK);
	assert_int_equal(n, 1);
	m2m_res_free_list(v, n);
	assert_int_equal(m2m_resstore_children(x->s, "c1", 0, 1, &v, &n), M2M_OK);
	assert_int_equal(n, 1);
	m2m_res_free_list(v, n);
	assert_int_equal(m2m_resstore_children(x->s, "i1", 0, 10, &v, &n), M2M_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	/* descendants of cb/ae1 do not include cb/ae10 */
	assert_int_equal(m2m_resstore_descendants(x->s, "cb/ae1", 100, &v, &n), M2M_OK);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strncmp(v[i].path, "cb/ae1/", 7), 0);
		assert_null(v[i].body);
	}
	m2m_res_free_list(v, n);
	/* expiry of children */
	assert_int_equal(m2m_resstore_child_expires_after(x->s, "c1", "20240601T000000", &found), M2M_OK);
	assert_true(found);
	assert_int_equal(m2m_resstore_child_expires_after(x->s, "c1", "20250101T000000", &found), M2M_OK);
	assert_false(found);
	/* update */
	assert_int_equal(m2m_resstore_get(x->s, "c1", &r), M2M_OK);
	free(r.body);
	r.body = strdup("{\"x\":1}");
	r.ver = 2;
	snprintf(r.lt, sizeof(r.lt), "20240202T000000");
	assert_int_equal(m2m_resstore_update(x->s, &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_get(x->s, "c1", &r), M2M_OK);
	assert_string_equal(r.body, "{\"x\":1}");
	assert_string_equal(r.lt, "20240202T000000");
	assert_int_equal(r.ver, 2);
	free(r.ri);
	r.ri = strdup("gone");
	assert_int_equal(m2m_resstore_update(x->s, &r), M2M_E_NOT_FOUND);
	m2m_res_clear(&r);
	/* subtree delete */
	assert_int_equal(m2m_resstore_delete(x->s, "cb/ae1", &n), M2M_OK);
	assert_int_equal(n, 5);
	assert_int_equal(m2m_resstore_get(x->s, "a10", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_get(x->s, "c9", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
}

static void test_rollback(void **state)
{
	sfx *x = *state;
	m2m_res r = {0};

	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(put(x->s, "t", NULL, NULL, "t", 5, 0), M2M_OK);
	m2m_resstore_rollback(x->s);
	m2m_resstore_rollback(x->s); /* no transaction: no-op */
	assert_int_equal(m2m_resstore_get(x->s, "t", &r), M2M_E_NOT_FOUND);
	/* a read transaction sees committed rows only */
	assert_int_equal(m2m_resstore_begin(x->s, false), M2M_OK);
	assert_int_equal(m2m_resstore_get(x->s, "t", &r), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(NULL, true), M2M_E_INVAL);
	assert_int_equal(m2m_resstore_insert(x->s, &r), M2M_E_INVAL);
}

/* Collects the paths a scan visits; stops after stop_after rows (0 = never). */
typedef struct seen {
	char paths[16][64];
	size_t n, stop_after;
	bool body;
} seen;

static int collect_cb(void *ctx, const m2m_res *r)
{
	seen *v = ctx;

	if (v->n < 16)
		snprintf(v->paths[v->n], sizeof(v->paths[0]), "%s", r->path);
	v->body = r->body != NULL;
	v->n++;
	return v->stop_after != 0 && v->n >= v->stop_after;
}

/* m2m_resstore_scan: descendants in path order (parent first), windowed by skip/max, borrowed
 * rows with or without bodies, stopped by the callback (discovery's bounded work). */
static void test_scan(void **state)
{
	sfx *x = *state;
	seen v;
	size_t visited = 0;

	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(put(x->s, "cb", NULL, NULL, "cb", 5, 0), M2M_OK);
	assert_int_equal(put(x->s, "a2", "cb", "cb", "ae2", 2, 0), M2M_OK);
	assert_int_equal(put(x->s, "a1", "cb", "cb", "ae1", 2, 0), M2M_OK);
	assert_int_equal(put(x->s, "c1", "a1", "cb/ae1", "cnt", 3, 0), M2M_OK);
	assert_int_equal(put(x->s, "a1x", "cb", "cb", "ae1-x", 2, 0), M2M_OK);
	assert_int_equal(put(x->s, "i1", "c1", "cb/ae1/cnt", "i1", 4, 5), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	memset(&v, 0, sizeof(v));
	assert_int_equal(m2m_resstore_scan(x->s, "cb", 0, 100, false, collect_cb, &v, &visited), M2M_OK);
	assert_int_equal(visited, 5);
	assert_int_equal(v.n, 5);
	assert_false(v.body);
	assert_string_equal(v.paths[0], "cb/ae1");
	assert_string_equal(v.paths[1], "cb/ae1-x"); /* path order, not creation order */
	assert_string_equal(v.paths[2], "cb/ae1/cnt");
	assert_string_equal(v.paths[3], "cb/ae1/cnt/i1");
	assert_string_equal(v.paths[4], "cb/ae2");
	/* a window: skip 2, at most 2 */
	memset(&v, 0, sizeof(v));
	assert_int_equal(m2m_resstore_scan(x->s, "cb", 2, 2, true, collect_cb, &v, &visited), M2M_OK);
	assert_int_equal(visited, 2);
	assert_true(v.body);
	assert_string_equal(v.paths[0], "cb/ae1/cnt");
	assert_string_equal(v.paths[1], "cb/ae1/cnt/i1");
	/* the subtree of cb/ae1 excludes cb/ae1-x; the callback stops the scan */
	memset(&v, 0, sizeof(v));
	v.stop_after = 1;
	assert_int_equal(m2m_resstore_scan(x->s, "cb/ae1", 0, 100, false, collect_cb, &v, &visited), M2M_OK);
	assert_int_equal(visited, 1);
	assert_string_equal(v.paths[0], "cb/ae1/cnt");
	memset(&v, 0, sizeof(v));
	assert_int_equal(m2m_resstore_scan(x->s, "cb/ae2", 0, 100, false, collect_cb, &v, &visited), M2M_OK);
	assert_int_equal(visited, 0);
	assert_int_equal(m2m_resstore_scan(x->s, NULL, 0, 1, false, collect_cb, &v, &visited), M2M_E_INVAL);
	assert_int_equal(m2m_resstore_scan(x->s, "cb", 0, 1, false, NULL, &v, &visited), M2M_E_INVAL);
}


struct writer {
	const char *db;
	const char *ri;
	int n;     /* write transactions to run */
	m2m_err r; /* the first failure */
};

/* n write transactions on its own handle, one row each (ri "<ri>-<i>"). */
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
	return NULL;
}

#define WRITERS 4
#define WRITES 60

/* Concurrent writers on their own handles (the CSE's workers): every transaction commits, none
 * is lost. */
static void test_concurrent_writers(void **state)
{
	sfx *x = *state;
	struct writer w[WRITERS];
	char ri[WRITERS][16];
	pthread_t t[WRITERS];

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
	assert_int_equal(count_rows(x, "SELECT count(*) FROM res"), WRITERS * WRITES);
}

/* A savepoint rolled back undoes only what followed it; the transaction stays usable and the
 * rest commits (the CSE's group commit: each request of a batch all-or-nothing). */
static void test_savepoints(void **state)
{
	sfx *x = *state;
	m2m_res r = {0};

	assert_int_equal(m2m_resstore_savepoint(x->s), M2M_E_RESSTORE); /* no write transaction */
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_E_RESSTORE); /* one at a time */
	assert_int_equal(m2m_resstore_savepoint(x->s), M2M_OK);
	assert_int_equal(put(x->s, "k1", NULL, NULL, "k1", 5, 0), M2M_OK);
	assert_int_equal(m2m_resstore_savepoint_release(x->s), M2M_OK);
	assert_int_equal(m2m_resstore_savepoint(x->s), M2M_OK);
	assert_int_equal(put(x->s, "k2", NULL, NULL, "k2", 5, 0), M2M_OK);
	/* a conflict inside the savepoint does not spoil the transaction */
	assert_int_equal(put(x->s, "k2", NULL, NULL, "k2b", 5, 0), M2M_E_EXISTS);
	assert_int_equal(m2m_resstore_savepoint_rollback(x->s), M2M_OK);
	assert_int_equal(put(x->s, "k3", NULL, NULL, "k3", 5, 0), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(m2m_resstore_get(x->s, "k1", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_get(x->s, "k2", &r), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_resstore_get(x->s, "k3", &r), M2M_OK);
	m2m_res_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_grp_index, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_rollback, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_scan, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_savepoints, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
