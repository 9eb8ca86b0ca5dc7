/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the resource store of the CSE (m2msec/resstore.h) on SQLite: the oneM2M
 * resource tree of TS-0001 clause 9.6 / TS-0004 clause 7.4 as one table. Rows are found by
 * resourceID or structured path through unique indexes, children through (pi, ty, seq), and a
 * subtree through the path range [path "/", path "0") — never by scanning. The file is created
 * with O_CREAT|O_EXCL and mode 0600 (fchmod, so umask does not matter) and refused when it or a
 * companion is group/other-accessible or foreign-owned (store/credstore_file.c). The connection
 * (store/sqlite_common.c) has a WAL journal, synchronous=NORMAL or FULL (the operator's
 * store-sync), a busy timeout and a schema version row; every statement is prepared once per
 * connection (no per-request schema work). Write transactions of all handles of this process to
 * the file run on one write connection, serialised by the file's writer gate
 * (store/sqlite_gate.c): a writer queues there before BEGIN IMMEDIATE instead of in SQLite's
 * sleeping busy handler, which stays as the fallback for writers in other processes. Read
 * transactions use the handle's own connection and take no gate (WAL snapshots).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "store/credstore_file.h"
#include "store/resstore_backend.h"
#include "store/sqlite_common.h"
#include "store/sqlite_gate.h"

#define SCHEMA_VERSION 2
#define BUSY_TIMEOUT_MS 10000

enum {
	ST_BEGIN_R, ST_BEGIN_W, ST_COMMIT, ST_ROLLBACK, ST_GET, ST_GET_PATH, ST_VERSION, ST_VERSION_PATH, ST_OLDEST,
	ST_NEWEST, ST_INSERT, ST_UPDATE, ST_DELETE, ST_CHILDREN, ST_CHILDREN_TY, ST_DESC, ST_EXP_AFTER,
	ST_GRPM_CLEAR, ST_GRPM_ADD, ST_GRPM_DROP, ST_GRPM_REFS, ST_COUNT
};

/* the resource at ?1 and its descendants */
#define SUBTREE "path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0')"
#define COLS "seq, ri, pi, ty, rn, path, cr, acpi, lbl, ct, lt, et, ver, size"

static const char *const sql_text[ST_COUNT] = {
	[ST_BEGIN_R] = "BEGIN",
	[ST_BEGIN_W] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET] = "SELECT " COLS ", body FROM res WHERE ri = ?1",
	[ST_GET_PATH] = "SELECT " COLS ", body FROM res WHERE path = ?1",
	[ST_VERSION] = "SELECT ty, ver, ri, et FROM res WHERE ri = ?1",
	[ST_VERSION_PATH] = "SELECT ty, ver, ri, et FROM res WHERE path = ?1",
	[ST_OLDEST] = "SELECT " COLS ", body FROM res WHERE pi = ?1 AND ty = ?2 ORDER BY seq ASC LIMIT 1",
	[ST_NEWEST] = "SELECT " COLS ", body FROM res WHERE pi = ?1 AND ty = ?2 ORDER BY seq DESC LIMIT 1",
	[ST_INSERT] = "INSERT INTO res (ri, pi, ty, rn, path, cr, acpi, lbl, ct, lt, et, ver, size, body)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[ST_UPDATE] = "UPDATE res SET acpi = ?2, lbl = ?3, lt = ?4, et = ?5, ver = ?6, size = ?7, body = ?8"
		      " WHERE ri = ?1",
	[ST_DELETE] = "DELETE FROM res WHERE path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0')",
	[ST_CHILDREN] = "SELECT " COLS ", body FROM res WHERE pi = ?1 ORDER BY seq LIMIT ?2",
	[ST_CHILDREN_TY] = "SELECT " COLS ", body FROM res WHERE pi = ?1 AND ty = ?3 ORDER BY seq LIMIT ?2",
	/* the descendants of path: the half-open range [path "/", path "0") ('0' follows '/') */
	[ST_DESC] = "SELECT " COLS ", NULL FROM res WHERE path >= ?1 || '/' AND path < ?1 || '0' ORDER BY seq LIMIT ?2",
	[ST_EXP_AFTER] = "SELECT 1 FROM res WHERE pi = ?1 AND et <> '' AND et > ?2 LIMIT 1",
	/* the group member index (schema 2): which <group> lists which resource, and as which mid entry */
	[ST_GRPM_CLEAR] = "DELETE FROM grp_member WHERE grp_ri = ?1",
	[ST_GRPM_ADD] = "INSERT OR IGNORE INTO grp_member (grp_ri, mid, member_ri) VALUES (?1, ?2, ?3)",
	/* index rows of every group and every member in the subtree at ?1, before its rows go */
	[ST_GRPM_DROP] = "DELETE FROM grp_member WHERE grp_ri IN (SELECT ri FROM res WHERE " SUBTREE ")"
			 " OR member_ri IN (SELECT ri FROM res WHERE " SUBTREE ")",
	/* the groups outside the subtree at ?1 listing a resource inside it */
	[ST_GRPM_REFS] = "SELECT m.grp_ri, m.mid FROM grp_member m JOIN res d ON d.ri = m.member_ri"
			 " WHERE (d.path = ?1 OR (d.path >= ?1 || '/' AND d.path < ?1 || '0'))"
			 " AND m.grp_ri NOT IN (SELECT ri FROM res WHERE " SUBTREE ") ORDER BY m.grp_ri, m.mid",
};

/* grp_member: a <group> (grp_ri) lists the local resource member_ri as the mid entry mid (in the
 * ID form the group was given); found by group through the key, by member through the index. */
#define GRPM_TABLE "CREATE TABLE grp_member (grp_ri TEXT NOT NULL, mid TEXT NOT NULL, member_ri TEXT NOT NULL," \
		   " PRIMARY KEY (grp_ri, mid)) STRICT, WITHOUT ROWID"
#define GRPM_INDEX "CREATE INDEX grp_member_by_member ON grp_member (member_ri)"

static const char *const schema_v1[] = {
	"CREATE TABLE IF NOT EXISTS m2m_schema (component TEXT PRIMARY KEY NOT NULL,"
	" version INTEGER NOT NULL) STRICT",
	"CREATE TABLE res ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ri TEXT NOT NULL UNIQUE,"
	" pi TEXT,"
	" ty INTEGER NOT NULL,"
	" rn TEXT NOT NULL,"
	" path TEXT NOT NULL UNIQUE,"
	" cr TEXT,"
	" acpi TEXT,"
	" lbl TEXT,"
	" ct TEXT NOT NULL,"
	" lt TEXT NOT NULL,"
	" et TEXT NOT NULL DEFAULT '',"
	" ver INTEGER NOT NULL DEFAULT 1,"
	" size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),"
	" body TEXT NOT NULL,"
	" UNIQUE (pi, rn)) STRICT",
	"CREATE INDEX res_children ON res (pi, ty, seq)",
	GRPM_TABLE,
	GRPM_INDEX,
	"INSERT INTO m2m_schema (component, version) VALUES ('resstore', 2)",
};

/*
 * Schema 1 -> 2: the group member index, filled from the groups already stored. mid entries
 * naming the member by its resourceID or structured CSE-relative path are resolved here; other
 * forms (SP-relative, absolute) of an old store stay unindexed until the group's next mid update
 * and are pruned, as before, when a fan-out finds them gone.
 */
static const char *const schema_up2[] = {
	GRPM_TABLE,
	GRPM_INDEX,
	"INSERT OR IGNORE INTO grp_member (grp_ri, mid, member_ri)"
	" SELECT g.ri, j.value, r.ri FROM res g, json_each(g.body, '$.mid') j JOIN res r"
	" ON r.ri = j.value OR r.path = j.value WHERE g.ty = 9 AND json_valid(g.body) AND j.type = 'text'",
	"UPDATE m2m_schema SET version = 2 WHERE component = 'resstore'",
};

/* One SQLite connection with every statement prepared. */
typedef struct rs_conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *scan[2]; /* discovery scans without / with body, prepared on first use */
	m2m_resstore_sync sync;
} rs_conn;

/*
 * A handle reads through its own connection and writes through the one write connection of
 * the process to the file, which belongs to the file's writer gate and is used only by the
 * gate's holder. Why one write connection: SQLite drops a connection's whole page cache when
 * another connection has written since it last looked; with one connection per worker taking
 * turns at writing, every write transaction started cold (about three times the page reads of
 * a warm one, measured). db and st always name the connection in use.
 */
struct rs_sq {
	sqlite3 *db;            /* own.db, or writer->db inside a write transaction */
	sqlite3_stmt **st;      /* the statements of that connection */
	rs_conn own;
	rs_conn *writer;        /* owned by the gate */
	m2mi_sqlite_gate *gate; /* shared by every handle of the process to this file */
	bool gated;             /* this handle holds the gate (an open write transaction) */
};

typedef struct rs_sq rs_sq;

static m2m_err sq_err(int rc)
{
	return (rc & 0xff) == SQLITE_CONSTRAINT ? M2M_E_EXISTS : m2mi_sqlite_err(rc, M2M_E_RESSTORE);
}

/* Run a statement without result rows and reset it. */
static m2m_err step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	m2m_err r = rc == SQLITE_DONE ? M2M_OK : sq_err(rc);

	if (rc == SQLITE_ROW)
		r = M2M_E_RESSTORE;
	else if (r != M2M_OK)
		m2mi_sqlite_note(sqlite3_db_handle(st), rc); /* a full or read-only store is logged */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	(void)(s == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC));
}

/* ---- file and schema --------------------------------------------------------------------- */


static const m2mi_sqlite_schema db_schema = {
	.component = "resstore",
	.version = SCHEMA_VERSION,
	.marker = "res",
	.create = schema_v1,
	.ncreate = sizeof(schema_v1) / sizeof(schema_v1[0]),
	.upgrade = schema_up2,
	.nupgrade = sizeof(schema_up2) / sizeof(schema_up2[0]),
	.err = M2M_E_RESSTORE,
	.schema_err = M2M_E_RESSTORE_SCHEMA,
};

/* Create the file 0600, or check that the existing one (and its -wal/-shm) is ours and private:
 * the credential file rules of store/credstore_file.c. st receives the file's identity. */
static m2m_err prepare_file(const char *path, struct stat *st)
{
	m2m_err r = m2mi_credstore_file_create(path, st);

	return r == M2M_E_EXISTS ? m2mi_credstore_file_check(path, st) : r;
}

static void conn_close(rs_conn *c)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_finalize(c->scan[0]);
	sqlite3_finalize(c->scan[1]);
	sqlite3_close_v2(c->db);
	memset(c, 0, sizeof(*c));
}

/*
 * Open path into c: connection settings, schema (the check of an existing file is a read
 * transaction; only creating a new file's schema writes, under the busy timeout and without
 * the gate, which is not recursive: this thread may hold it through another handle), then
 * every statement prepared once.
 */
static m2m_err conn_open(const char *path, m2m_resstore_sync sync, rs_conn *c)
{
	m2mi_sqlite_cfg cfg = {.busy_ms = BUSY_TIMEOUT_MS, .sync = M2MI_SQLITE_SYNC_NORMAL, .err = M2M_E_RESSTORE};
	m2m_err r;

	cfg.sync = sync == M2M_RESSTORE_SYNC_FULL ? M2MI_SQLITE_SYNC_FULL : M2MI_SQLITE_SYNC_NORMAL;
	c->sync = sync;
	if ((r = m2mi_sqlite_open(path, M2M_E_IO, &c->db)) != M2M_OK ||
	    (r = m2mi_sqlite_configure(c->db, &cfg)) != M2M_OK ||
	    (r = m2mi_sqlite_schema_setup(c->db, &db_schema)) != M2M_OK)
		return r;
	for (int i = 0; i < ST_COUNT; i++)
		if ((r = sq_err(sqlite3_prepare_v3(c->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
						   NULL))) != M2M_OK)
			return r;
	return M2M_OK;
}

struct writer_arg {
	const char *path;
	m2m_resstore_sync sync;
};

static void writer_drop(void *obj)
{
	conn_close(obj);
	free(obj);
}

static m2m_err writer_make(void *arg, void **obj)
{
	const struct writer_arg *a = arg;
	rs_conn *c = calloc(1, sizeof(*c));
	m2m_err r;

	*obj = NULL;
	if (c == NULL)
		return M2M_E_NOMEM;
	if ((r = conn_open(a->path, a->sync, c)) != M2M_OK) {
		writer_drop(c);
		return r;
	}
	*obj = c;
	return M2M_OK;
}

static void sq_close(void *be);
static void sq_rollback(void *be);

static m2m_err sq_open(const char *path, const m2m_resstore_opts *opts, void **out)
{
	struct writer_arg wa = {.path = path, .sync = opts != NULL ? opts->sync : M2M_RESSTORE_SYNC_NORMAL};
	rs_sq *s = NULL;
	struct stat st;
	void *w = NULL;
	m2m_err r = M2M_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || path[0] == '\0' || out == NULL ||
	    (wa.sync != M2M_RESSTORE_SYNC_NORMAL && wa.sync != M2M_RESSTORE_SYNC_FULL))
		goto out;
	if ((r = prepare_file(path, &st)) != M2M_OK)
		goto out;
	r = M2M_E_NOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	if ((r = m2mi_sqlite_gate_get(st.st_dev, st.st_ino, &s->gate)) != M2M_OK ||
	    (r = conn_open(path, wa.sync, &s->own)) != M2M_OK ||
	    (r = m2mi_sqlite_gate_payload(s->gate, writer_make, &wa, writer_drop, &w)) != M2M_OK)
		goto out;
	s->writer = w;
	s->db = s->own.db;
	s->st = s->own.st;
	/* every write goes through the one write connection: all handles must agree on its durability */
	r = s->writer->sync == wa.sync ? M2M_OK : M2M_E_INVAL;
	if (r != M2M_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	sq_close(s);
	return r;
}

static void sq_close(void *be)
{
	rs_sq *s = be;

	if (s == NULL)
		return;
	sq_rollback(s); /* an open write transaction gives its gate back */
	conn_close(&s->own);
	m2mi_sqlite_gate_put(s->gate); /* the last handle's put closes the write connection */
	free(s);
}

static m2m_err sq_sync_in_effect(void *be, m2m_resstore_sync *out)
{
	rs_sq *s = be;

	int64_t level = -1;
	m2m_err r;

	if (s == NULL || out == NULL || s->gated)
		return M2M_E_INVAL;
	/* the write connection's setting is what counts; it is the gate holder's to use */
	m2mi_sqlite_gate_enter(s->gate);
	r = m2mi_sqlite_sync_level(s->writer->db, M2M_E_RESSTORE, &level);
	m2mi_sqlite_gate_leave(s->gate);
	if (r != M2M_OK)
		return r;
	if (level != 1 && level != 2)
		return M2M_E_RESSTORE;
	*out = level == 2 ? M2M_RESSTORE_SYNC_FULL : M2M_RESSTORE_SYNC_NORMAL;
	return M2M_OK;
}

/* ---- transactions ------------------------------------------------------------------------ */

/* The transaction is over (committed, rolled back or never begun): back to the own
 * connection, and give the gate back. */
static void gate_leave(rs_sq *s)
{
	if (s->gated) {
		s->db = s->own.db;
		s->st = s->own.st;
		s->gated = false;
		m2mi_sqlite_gate_leave(s->gate);
	}
}

static m2m_err sq_begin(void *be, bool write)
{
	rs_sq *s = be;

	m2m_err r;

	if (s == NULL)
		return M2M_E_INVAL;
	if (s->gated || !sqlite3_get_autocommit(s->db))
		return M2M_E_RESSTORE; /* one transaction at a time; never enter the gate twice */
	if (!write)
		return step_done(s->st[ST_BEGIN_R]);
	/*
	 * Queue on the gate first: once it is ours, no other connection of this process holds
	 * SQLite's write lock, so BEGIN IMMEDIATE gets it at once (the busy timeout only matters
	 * when another process writes). The gate is held until COMMIT/ROLLBACK: for the length of
	 * one request's transaction, which does no network I/O (docs/architecture.md).
	 */
	m2mi_sqlite_gate_enter(s->gate);
	s->gated = true;
	s->db = s->writer->db;
	s->st = s->writer->st;
	if ((r = step_done(s->st[ST_BEGIN_W])) != M2M_OK)
		gate_leave(s);
	return r;
}

static m2m_err sq_commit(void *be)
{
	rs_sq *s = be;

	m2m_err r;

	if (s == NULL)
		return M2M_E_INVAL;
	if ((r = step_done(s->st[ST_COMMIT])) != M2M_OK)
		sq_rollback(s);
	gate_leave(s);
	return r;
}

static void sq_rollback(void *be)
{
	rs_sq *s = be;

	if (s == NULL)
		return;
	if (s->db != NULL && s->st != NULL && s->st[ST_ROLLBACK] != NULL && !sqlite3_get_autocommit(s->db))
		(void)step_done(s->st[ST_ROLLBACK]);
	gate_leave(s);
}

/* One named savepoint level is enough: each request of a batch marks, then releases or rolls
 * back, before the next one starts. Text statements: parsed per call, microseconds. */
static m2m_err savepoint_exec(rs_sq *s, const char *sql)
{
	if (s == NULL || !s->gated || sqlite3_get_autocommit(s->db))
		return M2M_E_RESSTORE;
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? M2M_OK : M2M_E_RESSTORE;
}

static m2m_err sq_savepoint(void *be)
{
	rs_sq *s = be;

	return savepoint_exec(s, "SAVEPOINT rq");
}

static m2m_err sq_savepoint_release(void *be)
{
	rs_sq *s = be;

	return savepoint_exec(s, "RELEASE rq");
}

static m2m_err sq_savepoint_rollback(void *be)
{
	rs_sq *s = be;

	m2m_err r = savepoint_exec(s, "ROLLBACK TO rq");

	return r == M2M_OK ? savepoint_exec(s, "RELEASE rq") : r;
}

/* ---- reading ------------------------------------------------------------------------------ */

static void time_col(sqlite3_stmt *st, int i, char dst[M2M_RES_TIME_LEN])
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? strlen((const char *)t) : 0;

	if (n >= M2M_RES_TIME_LEN)
		n = 0;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

/* The text columns of a row (COLS, body) and where each goes in m2m_res (row_fields). */
static const int text_col[] = {1, 2, 4, 5, 6, 7, 8, 14};
#define ROW_NTEXT (sizeof(text_col) / sizeof(text_col[0]))

/* Clear r, decode the current row's scalar columns into it and point text[i] at the field of
 * text column text_col[i]: row_read copies the strings, row_borrow borrows them. */
static void row_fields(sqlite3_stmt *st, m2m_res *r, char **text[ROW_NTEXT])
{
	char **slot[] = {&r->ri, &r->pi, &r->rn, &r->path, &r->cr, &r->acpi, &r->lbl, &r->body};

	_Static_assert(sizeof(slot) / sizeof(slot[0]) == ROW_NTEXT, "one column each");
	memset(r, 0, sizeof(*r));
	r->seq = sqlite3_column_int64(st, 0);
	r->ty = sqlite3_column_int(st, 3);
	r->ver = sqlite3_column_int64(st, 12);
	r->size = sqlite3_column_int64(st, 13);
	time_col(st, 9, r->ct);
	time_col(st, 10, r->lt);
	time_col(st, 11, r->et);
	memcpy(text, slot, sizeof(slot));
}

/* Decode the current row (COLS, body) into r. */
static m2m_err row_read(sqlite3_stmt *st, m2m_res *r)
{
	char **text[ROW_NTEXT];
	m2m_err e = M2M_OK;

	row_fields(st, r, text);
	for (size_t i = 0; e == M2M_OK && i < ROW_NTEXT; i++)
		e = m2mi_sqlite_dup_col(st, text_col[i], text[i]);
	if (e != M2M_OK)
		m2m_res_clear(r);
	return e;
}

/* Step a bound single-row query into out. */
static m2m_err one_row(sqlite3_stmt *st, m2m_res *out)
{
	int rc = sqlite3_step(st);
	m2m_err r;

	if (rc == SQLITE_ROW)
		r = row_read(st, out);
	else
		r = rc == SQLITE_DONE ? M2M_E_NOT_FOUND : sq_err(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static m2m_err get_by(rs_sq *s, int which, const char *key, m2m_res *out)
{
	if (s == NULL || key == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	bind_str(s->st[which], 1, key);
	return one_row(s->st[which], out);
}

static m2m_err sq_get(void *be, const char *key, bool by_path, m2m_res *out)
{
	return get_by(be, by_path ? ST_GET_PATH : ST_GET, key, out);
}

static m2m_err sq_ident(void *be, const char *id, bool by_path, int *ty, int64_t *ver, char *ri,
			   size_t cap, char et[M2M_RES_TIME_LEN])
{
	rs_sq *s = be;

	sqlite3_stmt *st;
	const unsigned char *t;
	m2m_err r = M2M_OK;
	int rc;

	if (s == NULL || id == NULL || ty == NULL || ver == NULL)
		return M2M_E_INVAL;
	st = s->st[by_path ? ST_VERSION_PATH : ST_VERSION];
	bind_str(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ty = sqlite3_column_int(st, 0);
		*ver = sqlite3_column_int64(st, 1);
		t = sqlite3_column_text(st, 2);
		if (ri != NULL && (t == NULL || strlen((const char *)t) >= cap))
			r = M2M_E_RANGE;
		else if (ri != NULL)
			memcpy(ri, t, strlen((const char *)t) + 1);
		if (et != NULL)
			time_col(st, 3, et);
	} else {
		r = rc == SQLITE_DONE ? M2M_E_NOT_FOUND : sq_err(rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static m2m_err sq_edge(void *be, const char *pi, int ty, bool newest, m2m_res *out)
{
	rs_sq *s = be;

	sqlite3_stmt *st;

	if (s == NULL || pi == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	st = s->st[newest ? ST_NEWEST : ST_OLDEST];
	bind_str(st, 1, pi);
	sqlite3_bind_int(st, 2, ty);
	return one_row(st, out);
}

/* Collect all rows of a bound listing query. */
static m2m_err collect(sqlite3_stmt *st, m2m_res **out, size_t *n)
{
	m2m_res *v = NULL;
	size_t cap = 0, cnt = 0;
	m2m_err r = M2M_OK;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			m2m_res *nv = realloc(v, nc * sizeof(*v));
			if (nv == NULL) {
				r = M2M_E_NOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		if ((r = row_read(st, &v[cnt])) != M2M_OK)
			break;
		cnt++;
	}
	if (r == M2M_OK && rc != SQLITE_DONE)
		r = sq_err(rc) == M2M_OK ? M2M_E_RESSTORE : sq_err(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != M2M_OK) {
		m2m_res_free_list(v, cnt);
		return r;
	}
	if (cnt == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = cnt;
	return M2M_OK;
}

static m2m_err sq_children(void *be, const char *pi, int ty, size_t max, m2m_res **out, size_t *n)
{
	rs_sq *s = be;

	sqlite3_stmt *st;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (s == NULL || pi == NULL || out == NULL || n == NULL)
		return M2M_E_INVAL;
	if (max > M2M_RESSTORE_LIST_MAX)
		max = M2M_RESSTORE_LIST_MAX;
	st = s->st[ty ? ST_CHILDREN_TY : ST_CHILDREN];
	bind_str(st, 1, pi);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if (ty)
		sqlite3_bind_int(st, 3, ty);
	return collect(st, out, n);
}

static m2m_err sq_descendants(void *be, const char *path, size_t max, m2m_res **out, size_t *n)
{
	rs_sq *s = be;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (s == NULL || path == NULL || out == NULL || n == NULL)
		return M2M_E_INVAL;
	bind_str(s->st[ST_DESC], 1, path);
	sqlite3_bind_int64(s->st[ST_DESC], 2, (sqlite3_int64)(max > M2M_RESSTORE_LIST_MAX ? M2M_RESSTORE_LIST_MAX : max));
	return collect(s->st[ST_DESC], out, n);
}

static m2m_err sq_child_expires_after(void *be, const char *pi, const char *et, bool *found)
{
	rs_sq *s = be;

	sqlite3_stmt *st;
	int rc;

	if (s == NULL || pi == NULL || et == NULL || found == NULL)
		return M2M_E_INVAL;
	st = s->st[ST_EXP_AFTER];
	bind_str(st, 1, pi);
	bind_str(st, 2, et);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? M2M_OK : sq_err(rc);
}

/* ---- writing ------------------------------------------------------------------------------ */

static m2m_err sq_insert(void *be, m2m_res *r)
{
	rs_sq *s = be;

	sqlite3_stmt *st;
	m2m_err e;

	if (s == NULL || r == NULL || r->ri == NULL || r->rn == NULL || r->path == NULL || r->body == NULL)
		return M2M_E_INVAL;
	st = s->st[ST_INSERT];
	bind_str(st, 1, r->ri);
	bind_str(st, 2, r->pi);
	sqlite3_bind_int(st, 3, r->ty);
	bind_str(st, 4, r->rn);
	bind_str(st, 5, r->path);
	bind_str(st, 6, r->cr);
	bind_str(st, 7, r->acpi);
	bind_str(st, 8, r->lbl);
	bind_str(st, 9, r->ct);
	bind_str(st, 10, r->lt);
	bind_str(st, 11, r->et);
	sqlite3_bind_int64(st, 12, r->ver);
	sqlite3_bind_int64(st, 13, r->size);
	bind_str(st, 14, r->body);
	if ((e = step_done(st)) == M2M_OK)
		r->seq = sqlite3_last_insert_rowid(s->db);
	return e;
}

static m2m_err sq_update(void *be, const m2m_res *r)
{
	rs_sq *s = be;

	sqlite3_stmt *st;
	m2m_err e;

	if (s == NULL || r == NULL || r->ri == NULL || r->body == NULL)
		return M2M_E_INVAL;
	st = s->st[ST_UPDATE];
	bind_str(st, 1, r->ri);
	bind_str(st, 2, r->acpi);
	bind_str(st, 3, r->lbl);
	bind_str(st, 4, r->lt);
	bind_str(st, 5, r->et);
	sqlite3_bind_int64(st, 6, r->ver);
	sqlite3_bind_int64(st, 7, r->size);
	bind_str(st, 8, r->body);
	if ((e = step_done(st)) == M2M_OK && sqlite3_changes(s->db) != 1)
		e = M2M_E_NOT_FOUND;
	return e;
}

static m2m_err sq_delete(void *be, const char *path, size_t *n)
{
	rs_sq *s = be;

	m2m_err r;

	if (n != NULL)
		*n = 0;
	if (s == NULL || path == NULL)
		return M2M_E_INVAL;
	bind_str(s->st[ST_GRPM_DROP], 1, path);
	if ((r = step_done(s->st[ST_GRPM_DROP])) != M2M_OK)
		return r;
	bind_str(s->st[ST_DELETE], 1, path);
	r = step_done(s->st[ST_DELETE]);
	if (r == M2M_OK && n != NULL)
		*n = (size_t)sqlite3_changes(s->db);
	return r;
}

/* ---- group member index ------------------------------------------------------------------- */

static m2m_err sq_grp_members_set(void *be, const char *grp_ri, const char *const *mid,
				     const char *const *member_ri, size_t n)
{
	rs_sq *s = be;

	m2m_err r;

	if (s == NULL || grp_ri == NULL || (n > 0 && (mid == NULL || member_ri == NULL)))
		return M2M_E_INVAL;
	bind_str(s->st[ST_GRPM_CLEAR], 1, grp_ri);
	r = step_done(s->st[ST_GRPM_CLEAR]);
	for (size_t i = 0; r == M2M_OK && i < n; i++) {
		if (mid[i] == NULL || member_ri[i] == NULL)
			continue; /* not hosted here: nothing to prune at deletion */
		bind_str(s->st[ST_GRPM_ADD], 1, grp_ri);
		bind_str(s->st[ST_GRPM_ADD], 2, mid[i]);
		bind_str(s->st[ST_GRPM_ADD], 3, member_ri[i]);
		r = step_done(s->st[ST_GRPM_ADD]);
	}
	return r;
}

static m2m_err sq_grp_refs(void *be, const char *path, m2m_grp_ref **out, size_t *n)
{
	rs_sq *s = be;

	sqlite3_stmt *st;
	m2m_grp_ref *v = NULL;
	size_t k = 0, cap = 0;
	m2m_err r = M2M_OK;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (s == NULL || path == NULL || out == NULL || n == NULL)
		return M2M_E_INVAL;
	st = s->st[ST_GRPM_REFS];
	bind_str(st, 1, path);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			m2m_grp_ref *nv;

			cap = cap ? 2 * cap : 8;
			if (k >= M2M_RESSTORE_LIST_MAX || (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = M2M_E_NOMEM;
				break;
			}
			v = nv;
		}
		memset(&v[k], 0, sizeof(v[k]));
		k++;
		if ((r = m2mi_sqlite_dup_col(st, 0, &v[k - 1].grp_ri)) != M2M_OK ||
		    (r = m2mi_sqlite_dup_col(st, 1, &v[k - 1].mid)) != M2M_OK)
			break;
	}
	if (r == M2M_OK && rc != SQLITE_DONE)
		r = sq_err(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != M2M_OK) {
		m2m_grp_refs_free(v, k);
		return r;
	}
	*out = v;
	*n = k;
	return M2M_OK;
}

/* ---- discovery scan ----------------------------------------------------------------------- */

/* The descendants of ?1 in path order through the unique path index: a window of ?2 rows after
 * skipping ?3, so the work of one call is O(log n + skip + max) index steps whatever the tree
 * size (the skipped entries are stepped over inside the index without reading their rows). */
static const char *const scan_sql[2] = {
	"SELECT " COLS ", NULL FROM res WHERE path >= ?1 || '/' AND path < ?1 || '0' ORDER BY path"
	" LIMIT ?2 OFFSET ?3",
	"SELECT " COLS ", body FROM res WHERE path >= ?1 || '/' AND path < ?1 || '0' ORDER BY path"
	" LIMIT ?2 OFFSET ?3",
};

/* Borrow the current row: the strings point into SQLite's row buffers (valid until the next
 * step), so a scan makes no allocation per row. */
static void row_borrow(sqlite3_stmt *st, m2m_res *r)
{
	char **text[ROW_NTEXT];

	row_fields(st, r, text);
	for (size_t i = 0; i < ROW_NTEXT; i++)
		*text[i] = (char *)sqlite3_column_text(st, text_col[i]);
}

static m2m_err sq_scan(void *be, const char *path, size_t skip, size_t max, bool with_body,
			  m2m_resstore_scan_cb cb, void *ctx, size_t *visited)
{
	rs_sq *s = be;

	sqlite3_stmt *st;
	rs_conn *cn;
	m2m_err r = M2M_OK;
	m2m_res row;
	int rc;

	if (visited != NULL)
		*visited = 0;
	if (s == NULL || path == NULL || cb == NULL || skip > INT64_MAX || max > INT64_MAX)
		return M2M_E_INVAL;
	/* prepared on the connection in use (the writer's inside a write transaction), so the scan
	 * sees what this transaction sees */
	cn = s->gated ? s->writer : &s->own;
	if (cn->scan[with_body] == NULL &&
	    (r = sq_err(sqlite3_prepare_v3(cn->db, scan_sql[with_body], -1, SQLITE_PREPARE_PERSISTENT,
					   &cn->scan[with_body], NULL))) != M2M_OK)
		return r;
	st = cn->scan[with_body];
	bind_str(st, 1, path);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)skip);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_borrow(st, &row);
		if (row.ri == NULL || row.path == NULL || row.rn == NULL) {
			r = M2M_E_RESSTORE;
			break;
		}
		if (visited != NULL)
			(*visited)++;
		if (cb(ctx, &row) != 0)
			break;
	}
	if (r == M2M_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = sq_err(rc) == M2M_OK ? M2M_E_RESSTORE : sq_err(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

const m2mi_resstore_ops m2mi_resstore_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.sync_in_effect = sq_sync_in_effect,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.savepoint_release = sq_savepoint_release,
	.savepoint_rollback = sq_savepoint_rollback,
	.get = sq_get,
	.ident = sq_ident,
	.edge = sq_edge,
	.insert = sq_insert,
	.update = sq_update,
	.remove = sq_delete,
	.grp_members_set = sq_grp_members_set,
	.grp_refs = sq_grp_refs,
	.children = sq_children,
	.descendants = sq_descendants,
	.child_expires_after = sq_child_expires_after,
	.scan = sq_scan,
};
