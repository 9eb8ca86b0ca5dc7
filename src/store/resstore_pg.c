/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the resource store of the CSE (m2msec/resstore.h) on PostgreSQL, for
 * several CSE processes sharing one database: the table and queries of store/resstore_sqlite.c
 * (the oneM2M resource tree of TS-0001 clause 9.6 / TS-0004 clause 7.4), with the subtree range
 * [path "/", path "0") in byte order (COLLATE "C"). One handle is one connection (one per
 * worker thread), its statements prepared once per connection; every call is synchronous and
 * bounded by the deadlines of store/pg_common.c.
 *
 * Several processes: SQLite serialises writers per file; here, inside a write transaction, a
 * resource read by get/get_path is locked (SELECT ... FOR UPDATE) until commit. The CSE reads a
 * parent before it changes its counters — currentNrOfInstances, currentByteSize and stateTag of
 * a <container> (TS-0004 clause 7.4.6.2.1 and 7.4.7.2.1, TS-0001 clause 9.6.6) — or evicts its
 * oldest <contentInstance> for maxNrOfInstances / maxByteSize, so two instances creating under
 * one parent take turns and every counter stays exact. Unique names under a parent are the
 * table's UNIQUE (pi, rn): an INSERT ... ON CONFLICT DO NOTHING that inserts nothing is
 * M2M_E_EXISTS (RSC 4105 at the CSE) from whichever instance comes second, without aborting the
 * transaction. A lost connection fails the statement in flight (the server rolls the
 * transaction back: nothing half-written); the next begin reconnects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "store/pg_common.h"
#include "store/resstore_backend.h"

enum {
	Q_GET, Q_GET_PATH, Q_GET_LOCK, Q_GET_PATH_LOCK, Q_VERSION, Q_VERSION_PATH, Q_OLDEST, Q_NEWEST, Q_INSERT,
	Q_UPDATE, Q_DELETE, Q_CHILDREN, Q_CHILDREN_TY, Q_DESC, Q_EXP_AFTER, Q_GRPM_CLEAR, Q_GRPM_ADD, Q_GRPM_DROP,
	Q_GRPM_REFS, Q_SCAN, Q_SCAN_BODY, Q_COUNT
};

#define COLS "seq, ri, pi, ty, rn, path, cr, acpi, lbl, ct, lt, et, ver, size"
#define SUBTREE "path = $1::text OR (path >= $1::text || '/' AND path < $1::text || '0')"
#define DESC_RANGE "path >= $1::text || '/' AND path < $1::text || '0'"

static const char *const sql_text[Q_COUNT] = {
	[Q_GET] = "SELECT " COLS ", body FROM res WHERE ri = $1::text",
	[Q_GET_PATH] = "SELECT " COLS ", body FROM res WHERE path = $1::text",
	[Q_GET_LOCK] = "SELECT " COLS ", body FROM res WHERE ri = $1::text FOR UPDATE",
	[Q_GET_PATH_LOCK] = "SELECT " COLS ", body FROM res WHERE path = $1::text FOR UPDATE",
	[Q_VERSION] = "SELECT ty, ver, ri, et FROM res WHERE ri = $1::text",
	[Q_VERSION_PATH] = "SELECT ty, ver, ri, et FROM res WHERE path = $1::text",
	[Q_OLDEST] = "SELECT " COLS ", body FROM res WHERE pi = $1::text AND ty = $2::int ORDER BY seq ASC LIMIT 1",
	[Q_NEWEST] = "SELECT " COLS ", body FROM res WHERE pi = $1::text AND ty = $2::int ORDER BY seq DESC LIMIT 1",
	[Q_INSERT] = "INSERT INTO res (ri, pi, ty, rn, path, cr, acpi, lbl, ct, lt, et, ver, size, body)"
		     " VALUES ($1::text, $2::text, $3::int, $4::text, $5::text, $6::text, $7::text, $8::text,"
		     " $9::text, $10::text, $11::text, $12::bigint, $13::bigint, $14::text)"
		     " ON CONFLICT DO NOTHING RETURNING seq",
	[Q_UPDATE] = "UPDATE res SET acpi = $2::text, lbl = $3::text, lt = $4::text, et = $5::text, ver = $6::bigint,"
		     " size = $7::bigint, body = $8::text WHERE ri = $1::text",
	[Q_DELETE] = "DELETE FROM res WHERE " SUBTREE,
	[Q_CHILDREN] = "SELECT " COLS ", body FROM res WHERE pi = $1::text ORDER BY seq LIMIT $2::bigint",
	[Q_CHILDREN_TY] = "SELECT " COLS ", body FROM res WHERE pi = $1::text AND ty = $3::int ORDER BY seq"
			  " LIMIT $2::bigint",
	[Q_DESC] = "SELECT " COLS ", NULL FROM res WHERE " DESC_RANGE " ORDER BY seq LIMIT $2::bigint",
	[Q_EXP_AFTER] = "SELECT 1 FROM res WHERE pi = $1::text AND et <> '' AND et > $2::text LIMIT 1",
	[Q_GRPM_CLEAR] = "DELETE FROM grp_member WHERE grp_ri = $1::text",
	[Q_GRPM_ADD] = "INSERT INTO grp_member (grp_ri, mid, member_ri) VALUES ($1::text, $2::text, $3::text)"
		       " ON CONFLICT DO NOTHING",
	[Q_GRPM_DROP] = "DELETE FROM grp_member WHERE grp_ri IN (SELECT ri FROM res WHERE " SUBTREE ")"
			" OR member_ri IN (SELECT ri FROM res WHERE " SUBTREE ")",
	[Q_GRPM_REFS] = "SELECT m.grp_ri, m.mid FROM grp_member m JOIN res d ON d.ri = m.member_ri"
			" WHERE (d.path = $1::text OR (d.path >= $1::text || '/' AND d.path < $1::text || '0'))"
			" AND m.grp_ri NOT IN (SELECT ri FROM res WHERE " SUBTREE ") ORDER BY m.grp_ri, m.mid",
	/* discovery: the descendants in path order, a window of $2 rows after skipping $3 */
	[Q_SCAN] = "SELECT " COLS ", NULL FROM res WHERE " DESC_RANGE " ORDER BY path LIMIT $2::bigint OFFSET $3::bigint",
	[Q_SCAN_BODY] = "SELECT " COLS ", body FROM res WHERE " DESC_RANGE
			" ORDER BY path LIMIT $2::bigint OFFSET $3::bigint",
};

/* Version 1: the schema of store/resstore_sqlite.c version 2 (resources + group member index).
 * path and et compare in byte order whatever the database's locale (the subtree range,
 * expirationTime strings). */
static const char *const schema_v1[] = {
	("CREATE TABLE res ("
	" seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" ri text NOT NULL UNIQUE,"
	" pi text,"
	" ty integer NOT NULL,"
	" rn text NOT NULL,"
	" path text COLLATE \"C\" NOT NULL UNIQUE,"
	" cr text,"
	" acpi text,"
	" lbl text,"
	" ct text NOT NULL,"
	" lt text NOT NULL,"
	" et text COLLATE \"C\" NOT NULL DEFAULT '',"
	" ver bigint NOT NULL DEFAULT 1,"
	" size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),"
	" body text NOT NULL,"
	" UNIQUE (pi, rn))"),
	"CREATE INDEX res_children ON res (pi, ty, seq)",
	("CREATE TABLE grp_member (grp_ri text NOT NULL, mid text NOT NULL, member_ri text NOT NULL,"
	 " PRIMARY KEY (grp_ri, mid))"),
	"CREATE INDEX grp_member_by_member ON grp_member (member_ri)",
};
static const char *const *const schema_steps[] = {schema_v1};
static const size_t schema_nsteps[] = {sizeof(schema_v1) / sizeof(schema_v1[0])};

static const m2mi_pg_schema db_schema = {
	.component = "resstore",
	.steps = schema_steps,
	.nsteps = schema_nsteps,
	.version = 1,
	.schema_err = M2M_E_RESSTORE_SCHEMA,
};

typedef struct rs_pg {
	PGconn *c;
	char *uri;
	m2mi_pg_cfg cfg;
	bool in_tx, write;
	bool lazy;   /* a read transaction whose BEGIN goes out with its first statement */
	bool failed; /* a statement of the open transaction failed */
	bool pend;   /* a read transaction's COMMIT is on its way; its answer not read yet */
} rs_pg;

/* Read the answer of a read transaction's COMMIT sent by pg_commit (nothing depends on it: the
 * transaction wrote nothing); by then it has usually arrived. */
static void drain(rs_pg *s)
{
	PGresult *res;

	if (!s->pend)
		return;
	s->pend = false;
	while (s->c != NULL && (res = PQgetResult(s->c)) != NULL)
		PQclear(res);
}

#define NPARAM 14

/* A prepared statement's parameters as text (NULL = SQL NULL); ints through num[]. */
typedef struct params {
	const char *v[NPARAM];
	char num[NPARAM][24];
	int n;
} params;

static void p_str(params *p, const char *s)
{
	p->v[p->n++] = s;
}

static void p_int(params *p, int64_t x)
{
	(void)snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)x);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

#define READ_BEGIN "BEGIN ISOLATION LEVEL REPEATABLE READ"

/* The first statement of a read transaction: its BEGIN and the statement in one round trip
 * (libpq pipeline mode) instead of two. A REPEATABLE READ transaction takes its snapshot at its
 * first statement either way, so what the transaction sees is unchanged. The failed BEGIN's
 * result, or the statement's, as PQexecPrepared would return it (NULL: connection trouble). */
static PGresult *begin_and_exec(PGconn *c, const char *name, int n, const char *const *v)
{
	PGresult *got[2] = {NULL, NULL}, *t;
	int k = 0, nulls = 0;

	if (PQenterPipelineMode(c) != 1)
		return NULL;
	if (PQsendQueryParams(c, READ_BEGIN, 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	    PQsendQueryPrepared(c, name, n, v, NULL, NULL, 0) == 1 && PQpipelineSync(c) == 1) {
		/* BEGIN's result, NULL, the statement's (or PIPELINE_ABORTED), NULL, the sync */
		while (nulls <= 2) {
			if ((t = PQgetResult(c)) == NULL) {
				if (m2mi_pg_lost(c))
					break;
				nulls++;
				continue;
			}
			if (PQresultStatus(t) == PGRES_PIPELINE_SYNC) {
				PQclear(t);
				break;
			}
			if (k < 2)
				got[k++] = t;
			else
				PQclear(t);
		}
	}
	if (PQexitPipelineMode(c) != 1 || got[0] == NULL || got[1] == NULL) {
		PQclear(got[1]);
		return got[0] != NULL && PQresultStatus(got[0]) != PGRES_COMMAND_OK ? got[0] : (PQclear(got[0]), NULL);
	}
	if (PQresultStatus(got[0]) != PGRES_COMMAND_OK) {
		PQclear(got[1]);
		return got[0];
	}
	PQclear(got[0]);
	return got[1];
}

static m2m_err reconnect(rs_pg *s);

/* Run prepared statement q; *res receives the result (PQclear it) when M2M_OK. */
static m2m_err run(rs_pg *s, int q, const params *p, PGresult **res)
{
	char name[16];
	int n = p != NULL ? p->n : 0;
	const char *const *v = p != NULL ? p->v : NULL;
	PGresult *x;
	m2m_err r;

	*res = NULL;
	if (s->c == NULL)
		return M2M_E_RESSTORE;
	(void)snprintf(name, sizeof(name), "rs%d", q);
	if (s->lazy) {
		s->lazy = false;
		x = begin_and_exec(s->c, name, n, v);
		/* the server went away while this connection was idle: nothing was in flight (a read
		 * transaction's first statement), try once more on a new connection */
		if ((x == NULL || PQresultStatus(x) != PGRES_TUPLES_OK) && m2mi_pg_lost(s->c)) {
			PQclear(x);
			x = NULL;
			if (reconnect(s) == M2M_OK)
				x = begin_and_exec(s->c, name, n, v);
		}
		/* a connection left in pipeline mode serves no further statement: drop it (the next
		 * transaction reconnects) */
		if (s->c != NULL && PQpipelineStatus(s->c) != PQ_PIPELINE_OFF) {
			PQfinish(s->c);
			s->c = NULL;
		}
	} else {
		x = PQexecPrepared(s->c, name, n, v, NULL, NULL, 0);
	}
	if ((r = m2mi_pg_result_err(s->c, &s->cfg, x)) != M2M_OK) {
		PQclear(x);
		s->failed = true;
		return r;
	}
	*res = x;
	return M2M_OK;
}

static m2m_err run_done(rs_pg *s, int q, const params *p, size_t *changed)
{
	PGresult *res;
	m2m_err r = run(s, q, p, &res);

	if (r == M2M_OK && changed != NULL)
		*changed = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return r;
}

/* ---- connection, schema -------------------------------------------------------------------- */

static m2m_err conn_up(rs_pg *s, bool schema)
{
	m2m_err r;

	if ((r = m2mi_pg_connect(s->uri, &s->cfg, &s->c)) != M2M_OK)
		return r;
	if ((schema && (r = m2mi_pg_schema_setup(s->c, &s->cfg, &db_schema)) != M2M_OK) ||
	    (r = m2mi_pg_prepare(s->c, &s->cfg, "rs", sql_text, Q_COUNT)) != M2M_OK) {
		PQfinish(s->c);
		s->c = NULL;
	}
	return r;
}

static void pg_close(void *be)
{
	rs_pg *s = be;

	if (s == NULL)
		return;
	PQfinish(s->c);
	free(s->uri);
	free(s);
}

static m2m_err pg_open(const char *location, const m2m_resstore_opts *opts, void **be)
{
	rs_pg *s = calloc(1, sizeof(*s));
	m2m_err r;

	*be = NULL;
	if (s == NULL || (s->uri = strdup(location)) == NULL) {
		free(s);
		return M2M_E_NOMEM;
	}
	s->cfg.sync_full = opts != NULL && opts->sync == M2M_RESSTORE_SYNC_FULL;
	s->cfg.err = M2M_E_RESSTORE;
	s->cfg.tag = "resource store";
	if ((r = conn_up(s, true)) != M2M_OK) {
		pg_close(s);
		return r;
	}
	*be = s;
	return M2M_OK;
}

static m2m_err pg_sync_in_effect(void *be, m2m_resstore_sync *out)
{
	rs_pg *s = be;
	PGresult *res;
	m2m_err r;

	if (s->c == NULL)
		return M2M_E_RESSTORE;
	drain(s);
	res = PQexec(s->c, "SHOW synchronous_commit");
	r = m2mi_pg_result_err(s->c, &s->cfg, res);
	if (r == M2M_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "on") == 0)
		*out = M2M_RESSTORE_SYNC_FULL;
	else if (r == M2M_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "off") == 0)
		*out = M2M_RESSTORE_SYNC_NORMAL;
	else
		r = M2M_E_RESSTORE;
	PQclear(res);
	return r;
}

/* ---- transactions --------------------------------------------------------------------------- */

/* A lost connection is replaced (statements prepared again) before a transaction starts. */
static m2m_err reconnect(rs_pg *s)
{
	s->pend = false;
	PQfinish(s->c);
	s->c = NULL;
	return conn_up(s, false);
}

static m2m_err pg_begin(void *be, bool write)
{
	/* A read transaction sees one snapshot for all its statements, as SQLite's does; a write
	 * transaction reads the latest committed rows and locks what it reads by get (file comment). */
	const char *sql = write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ";
	rs_pg *s = be;
	m2m_err r;

	if (s->in_tx)
		return M2M_E_RESSTORE;
	drain(s);
	s->failed = false;
	if (m2mi_pg_lost(s->c) && (r = reconnect(s)) != M2M_OK)
		return r;
	if (!write) {
		/* no round trip now: BEGIN leaves with the first statement (begin_and_exec) */
		s->in_tx = s->lazy = true;
		s->write = false;
		return M2M_OK;
	}
	r = m2mi_pg_exec(s->c, &s->cfg, sql);
	/* the server went away while this connection was idle: nothing was in flight, try once more */
	if (r != M2M_OK && m2mi_pg_lost(s->c) && (r = reconnect(s)) == M2M_OK)
		r = m2mi_pg_exec(s->c, &s->cfg, sql);
	if (r == M2M_OK) {
		s->in_tx = true;
		s->write = write;
	}
	return r;
}

static void pg_rollback(void *be)
{
	rs_pg *s = be;

	if (s->in_tx && !s->lazy && !m2mi_pg_lost(s->c))
		(void)m2mi_pg_exec(s->c, &s->cfg, "ROLLBACK");
	s->in_tx = s->lazy = false;
}

static m2m_err pg_commit(void *be)
{
	rs_pg *s = be;
	PGresult *res;
	m2m_err r;

	if (s->in_tx && s->lazy) {
		s->in_tx = s->lazy = false; /* a read transaction that read nothing: never begun */
		return M2M_OK;
	}
	if (!s->in_tx || s->c == NULL)
		return M2M_E_RESSTORE;
	/* A read transaction in which every statement succeeded: its COMMIT ends a snapshot and
	 * keeps nothing, so the answer is read at the next use of the connection (drain) instead of
	 * waited for now. After a failed statement the COMMIT is waited for (it answers ROLLBACK). */
	if (!s->write && !s->failed && PQsendQuery(s->c, "COMMIT") == 1) {
		s->in_tx = false;
		s->pend = true;
		return M2M_OK;
	}
	res = PQexec(s->c, "COMMIT");
	r = m2mi_pg_result_err(s->c, &s->cfg, res);
	/* COMMIT of a transaction in which a statement failed answers "ROLLBACK": nothing was kept */
	if (r == M2M_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		r = M2M_E_RESSTORE;
	PQclear(res);
	s->in_tx = false;
	return r;
}

static m2m_err savepoint_exec(rs_pg *s, const char *sql)
{
	if (!s->in_tx || !s->write || m2mi_pg_lost(s->c))
		return M2M_E_RESSTORE;
	return m2mi_pg_exec(s->c, &s->cfg, sql) == M2M_OK ? M2M_OK : M2M_E_RESSTORE;
}

static m2m_err pg_savepoint(void *be)
{
	return savepoint_exec(be, "SAVEPOINT rq");
}

static m2m_err pg_savepoint_release(void *be)
{
	return savepoint_exec(be, "RELEASE SAVEPOINT rq");
}

static m2m_err pg_savepoint_rollback(void *be)
{
	m2m_err r = savepoint_exec(be, "ROLLBACK TO SAVEPOINT rq");

	return r == M2M_OK ? savepoint_exec(be, "RELEASE SAVEPOINT rq") : r;
}

/* ---- reading --------------------------------------------------------------------------------- */

static const char *col(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static void time_col(const PGresult *res, int row, int c, char dst[M2M_RES_TIME_LEN])
{
	const char *t = col(res, row, c);
	size_t n = t != NULL ? strlen(t) : 0;

	if (n >= M2M_RES_TIME_LEN)
		n = 0;
	memcpy(dst, t != NULL ? t : "", n);
	dst[n] = '\0';
}

static const int text_col[] = {1, 2, 4, 5, 6, 7, 8, 14};
#define ROW_NTEXT (sizeof(text_col) / sizeof(text_col[0]))

/* Decode row i (COLS, body) into r; copy the strings, or borrow them from res. */
static m2m_err row_get(const PGresult *res, int i, m2m_res *r, bool borrow)
{
	char **slot[] = {&r->ri, &r->pi, &r->rn, &r->path, &r->cr, &r->acpi, &r->lbl, &r->body};

	_Static_assert(sizeof(slot) / sizeof(slot[0]) == ROW_NTEXT, "one column each");
	memset(r, 0, sizeof(*r));
	r->seq = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	r->ty = (int)strtol(PQgetvalue(res, i, 3), NULL, 10);
	r->ver = strtoll(PQgetvalue(res, i, 12), NULL, 10);
	r->size = strtoll(PQgetvalue(res, i, 13), NULL, 10);
	time_col(res, i, 9, r->ct);
	time_col(res, i, 10, r->lt);
	time_col(res, i, 11, r->et);
	for (size_t k = 0; k < ROW_NTEXT; k++) {
		const char *v = col(res, i, text_col[k]);

		if (v == NULL)
			continue;
		if (borrow) {
			*slot[k] = (char *)v;
		} else if ((*slot[k] = strdup(v)) == NULL) {
			m2m_res_clear(r);
			return M2M_E_NOMEM;
		}
	}
	return M2M_OK;
}

static m2m_err one_row(rs_pg *s, int q, const params *p, m2m_res *out)
{
	PGresult *res;
	m2m_err r = run(s, q, p, &res);

	if (r == M2M_OK)
		r = PQntuples(res) > 0 ? row_get(res, 0, out, false) : M2M_E_NOT_FOUND;
	PQclear(res);
	return r;
}

static m2m_err pg_get(void *be, const char *key, bool by_path, m2m_res *out)
{
	rs_pg *s = be;
	params p = {0};
	int q = by_path ? Q_GET_PATH : Q_GET;

	if (s->in_tx && s->write)
		q = by_path ? Q_GET_PATH_LOCK : Q_GET_LOCK; /* the row this request may change next */
	p_str(&p, key);
	return one_row(s, q, &p, out);
}

static m2m_err pg_ident(void *be, const char *id, bool by_path, int *ty, int64_t *ver, char *ri, size_t cap,
			char et[M2M_RES_TIME_LEN])
{
	rs_pg *s = be;
	params p = {0};
	PGresult *res;
	m2m_err r;

	p_str(&p, id);
	if ((r = run(s, by_path ? Q_VERSION_PATH : Q_VERSION, &p, &res)) != M2M_OK)
		return r;
	if (PQntuples(res) == 0) {
		r = M2M_E_NOT_FOUND;
	} else {
		const char *t = PQgetvalue(res, 0, 2);

		*ty = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
		*ver = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		if (ri != NULL && strlen(t) >= cap)
			r = M2M_E_RANGE;
		else if (ri != NULL)
			memcpy(ri, t, strlen(t) + 1);
		if (et != NULL)
			time_col(res, 0, 3, et);
	}
	PQclear(res);
	return r;
}

static m2m_err pg_edge(void *be, const char *pi, int ty, bool newest, m2m_res *out)
{
	params p = {0};

	p_str(&p, pi);
	p_int(&p, ty);
	return one_row(be, newest ? Q_NEWEST : Q_OLDEST, &p, out);
}

static m2m_err collect(rs_pg *s, int q, const params *p, m2m_res **out, size_t *n)
{
	PGresult *res;
	m2m_res *v = NULL;
	m2m_err r = run(s, q, p, &res);
	int cnt = 0;

	if (r == M2M_OK && (cnt = PQntuples(res)) > 0 && (v = calloc((size_t)cnt, sizeof(*v))) == NULL)
		r = M2M_E_NOMEM;
	for (int i = 0; r == M2M_OK && i < cnt; i++)
		if ((r = row_get(res, i, &v[i], false)) != M2M_OK)
			m2m_res_free_list(v, (size_t)i), v = NULL;
	PQclear(res);
	if (r != M2M_OK)
		return r;
	*out = v;
	*n = (size_t)cnt;
	return M2M_OK;
}

static m2m_err pg_children(void *be, const char *pi, int ty, size_t max, m2m_res **out, size_t *n)
{
	params p = {0};

	p_str(&p, pi);
	p_int(&p, (int64_t)max);
	if (ty)
		p_int(&p, ty);
	return collect(be, ty ? Q_CHILDREN_TY : Q_CHILDREN, &p, out, n);
}

static m2m_err pg_descendants(void *be, const char *path, size_t max, m2m_res **out, size_t *n)
{
	params p = {0};

	p_str(&p, path);
	p_int(&p, (int64_t)max);
	return collect(be, Q_DESC, &p, out, n);
}

static m2m_err pg_child_expires_after(void *be, const char *pi, const char *et, bool *found)
{
	params p = {0};
	PGresult *res;
	m2m_err r;

	p_str(&p, pi);
	p_str(&p, et);
	if ((r = run(be, Q_EXP_AFTER, &p, &res)) == M2M_OK)
		*found = PQntuples(res) > 0;
	PQclear(res);
	return r;
}

/* ---- writing --------------------------------------------------------------------------------- */

static m2m_err pg_insert(void *be, m2m_res *r)
{
	params p = {0};
	PGresult *res;
	m2m_err e;

	p_str(&p, r->ri);
	p_str(&p, r->pi);
	p_int(&p, r->ty);
	p_str(&p, r->rn);
	p_str(&p, r->path);
	p_str(&p, r->cr);
	p_str(&p, r->acpi);
	p_str(&p, r->lbl);
	p_str(&p, r->ct);
	p_str(&p, r->lt);
	p_str(&p, r->et);
	p_int(&p, r->ver);
	p_int(&p, r->size);
	p_str(&p, r->body);
	if ((e = run(be, Q_INSERT, &p, &res)) != M2M_OK)
		return e;
	/* nothing inserted: the ri, the path or (pi, rn) is taken (committed by this or another instance) */
	if (PQntuples(res) == 1)
		r->seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		e = M2M_E_EXISTS;
	PQclear(res);
	return e;
}

static m2m_err pg_update(void *be, const m2m_res *r)
{
	params p = {0};
	size_t n = 0;
	m2m_err e;

	p_str(&p, r->ri);
	p_str(&p, r->acpi);
	p_str(&p, r->lbl);
	p_str(&p, r->lt);
	p_str(&p, r->et);
	p_int(&p, r->ver);
	p_int(&p, r->size);
	p_str(&p, r->body);
	if ((e = run_done(be, Q_UPDATE, &p, &n)) == M2M_OK && n != 1)
		e = M2M_E_NOT_FOUND;
	return e;
}

static m2m_err pg_delete(void *be, const char *path, size_t *n)
{
	params p = {0};
	m2m_err r;

	p_str(&p, path);
	if ((r = run_done(be, Q_GRPM_DROP, &p, NULL)) != M2M_OK)
		return r;
	return run_done(be, Q_DELETE, &p, n);
}

static m2m_err pg_grp_members_set(void *be, const char *grp_ri, const char *const *mid,
				  const char *const *member_ri, size_t n)
{
	params p = {0};
	m2m_err r;

	p_str(&p, grp_ri);
	r = run_done(be, Q_GRPM_CLEAR, &p, NULL);
	for (size_t i = 0; r == M2M_OK && i < n; i++) {
		params a = {0};

		if (mid[i] == NULL || member_ri[i] == NULL)
			continue; /* not hosted here: nothing to prune at deletion */
		p_str(&a, grp_ri);
		p_str(&a, mid[i]);
		p_str(&a, member_ri[i]);
		r = run_done(be, Q_GRPM_ADD, &a, NULL);
	}
	return r;
}

static m2m_err pg_grp_refs(void *be, const char *path, m2m_grp_ref **out, size_t *n)
{
	params p = {0};
	PGresult *res;
	m2m_grp_ref *v = NULL;
	int cnt = 0;
	m2m_err r;

	p_str(&p, path);
	if ((r = run(be, Q_GRPM_REFS, &p, &res)) != M2M_OK)
		return r;
	cnt = PQntuples(res);
	if (cnt > M2M_RESSTORE_LIST_MAX || (cnt > 0 && (v = calloc((size_t)cnt, sizeof(*v))) == NULL))
		r = M2M_E_NOMEM;
	for (int i = 0; r == M2M_OK && i < cnt; i++)
		if ((v[i].grp_ri = strdup(PQgetvalue(res, i, 0))) == NULL ||
		    (v[i].mid = strdup(PQgetvalue(res, i, 1))) == NULL)
			r = M2M_E_NOMEM;
	PQclear(res);
	if (r != M2M_OK) {
		m2m_grp_refs_free(v, (size_t)cnt);
		return r;
	}
	*out = v;
	*n = (size_t)cnt;
	return M2M_OK;
}

static m2m_err pg_scan(void *be, const char *path, size_t skip, size_t max, bool with_body, m2m_resstore_scan_cb cb,
		       void *ctx, size_t *visited)
{
	params p = {0};
	PGresult *res;
	m2m_res row;
	m2m_err r;
	int cnt;

	p_str(&p, path);
	p_int(&p, (int64_t)max);
	p_int(&p, (int64_t)skip);
	if ((r = run(be, with_body ? Q_SCAN_BODY : Q_SCAN, &p, &res)) != M2M_OK)
		return r;
	cnt = PQntuples(res);
	/* the rows are borrowed from res, alive across the callback's own store calls */
	for (int i = 0; i < cnt; i++) {
		(void)row_get(res, i, &row, true);
		if (row.ri == NULL || row.path == NULL || row.rn == NULL) {
			r = M2M_E_RESSTORE;
			break;
		}
		if (visited != NULL)
			(*visited)++;
		if (cb(ctx, &row) != 0)
			break;
	}
	PQclear(res);
	return r;
}

const m2mi_resstore_ops m2mi_resstore_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.sync_in_effect = pg_sync_in_effect,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.savepoint_release = pg_savepoint_release,
	.savepoint_rollback = pg_savepoint_rollback,
	.get = pg_get,
	.ident = pg_ident,
	.edge = pg_edge,
	.insert = pg_insert,
	.update = pg_update,
	.remove = pg_delete,
	.grp_members_set = pg_grp_members_set,
	.grp_refs = pg_grp_refs,
	.children = pg_children,
	.descendants = pg_descendants,
	.child_expires_after = pg_child_expires_after,
	.scan = pg_scan,
};
