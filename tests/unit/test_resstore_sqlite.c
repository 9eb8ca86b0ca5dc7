/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/resstore_sqlite.c: file mode 0600 and refusal
 * of an open file, schema version, insert/lookup by ri and path, uniqueness (ri, path, pi+rn),
 * children and subtree ranges, oldest/newest, update, subtree delete, rollback and persistence;
 * the write path: writers of this process queue on the file's writer gate (never in SQLite's
 * sleeping busy handler) while readers go on, every write of concurrent writers lands, and the
 * durability asked for (store-sync normal/full) is the PRAGMA synchronous in effect; the group
 * member index (schema 2) and the migration of a schema-1 store on open.
 */
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cse_fixture.h"
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

/* Insert a row with path parent/rn (parent NULL: a root). */
static m2m_err put(m2m_resstore *s, const char *ri, const char *pi, const char *ppath, const char *rn, int ty,
		   int64_t size)
{
	char path[256];
	m2m_res r = {0};

	if (ppath)
		snprintf(path, sizeof(path), "%s/%s", ppath, rn);
	else
		snprintf(path, sizeof(path), "%s", rn);
	r.ri = (char *)ri;
	r.pi = (char *)pi;
	r.rn = (char *)rn;
	r.path = path;
	r.ty = ty;
	r.body = (char *)"{}";
	r.lbl = (char *)"[\"l\"]";
	r.ver = 1;
	r.size = size;
	snprintf(r.ct, sizeof(r.ct), "20240101T000000");
	snprintf(r.lt, sizeof(r.lt), "20240101T000000");
	snprintf(r.et, sizeof(r.et), "20250101T000000");
	return m2m_resstore_insert(s, &r);
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
	assert_int_equal(count_rows(x->db, "SELECT count(*) FROM grp_member WHERE grp_ri = 'g2' OR member_ri IN ('a','b')"),
			 0);
	assert_int_equal(count_rows(x->db, "SELECT count(*) FROM grp_member"), 1);
	/* members_set replaces; deleting the group drops its rows */
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g", NULL, NULL, 0), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(count_rows(x->db, "SELECT count(*) FROM grp_member"), 0);
	assert_int_equal(m2m_resstore_begin(x->s, true), M2M_OK);
	assert_int_equal(m2m_resstore_grp_members_set(x->s, "g", mid, ris, 4), M2M_OK);
	assert_int_equal(m2m_resstore_delete(x->s, "r/g", NULL), M2M_OK);
	assert_int_equal(m2m_resstore_commit(x->s), M2M_OK);
	assert_int_equal(count_rows(x->db, "SELECT count(*) FROM grp_member"), 0);
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
		cmocka_unit_test_setup_teardown(test_rows, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_grp_index, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_schema_migration, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_rollback, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_scan, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_writer_queues_on_gate, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_gate_given_back, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_sync_in_effect, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
