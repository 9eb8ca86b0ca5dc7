/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the PostgreSQL backend of the credential store (store/credstore_backend.h)
 * for several CSE / MAF / MEF processes sharing one database: the records of
 * store/credstore_sqlite.c (TS-0003 clause 10.3 symmetric keys, clause 10.1 certificates) in the
 * tables cred / cred_target, created and migrated through store/pg_common.c (component
 * "credstore"). One handle is one connection used under a mutex, its statements prepared once per
 * connection, every call synchronous and bounded by pg_common.c's deadlines.
 *
 * Transactions: a statement that is the whole operation (a lookup with its targets through one
 * join, revoke, touch, delete, count) runs alone — PostgreSQL makes it atomic — without a
 * BEGIN/COMMIT round trip; an operation of several statements (insert with its targets, update of
 * the targets) runs in BEGIN ... COMMIT, rolled back on any error. Inside a grouping transaction
 * (m2m_credstore_begin / begin_read) every operation is a savepoint, so a failed operation leaves
 * the grouping transaction usable, as with SQLite. A revocation, deletion or update commits a
 * NOTIFY on channel m2m_cred (payload: the canonical id) for the caches of the other instances
 * (docs/scale-out.md).
 *
 * A lost connection fails the operation in flight (the server rolls an open transaction back:
 * nothing half-written); the next operation outside a transaction reconnects. A read is retried
 * once on a fresh connection (it changes nothing); a write never is. Key bytes travel as a binary
 * parameter straight from the caller's m2m_key and come back hex-encoded into a buffer that is
 * wiped once the m2m_key holds them; libpq's own connection buffers are not under our control
 * (docs/credstore.md "PostgreSQL").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "store/credstore_backend.h"
#include "store/pg_common.h"

enum {
	Q_FETCH, Q_LIST, Q_INSERT, Q_TARGET_ADD, Q_TARGET_CLEAR, Q_REVOKE, Q_TOUCH, Q_REMOVE, Q_UPDATE, Q_COUNT_OWNER,
	Q_N
};

#define INFO_COLS                                                                                                \
	"c.id, c.kind, c.owner, c.suid, c.not_before, c.not_after, c.state, c.revoked_at, c.created_at, c.last_used," \
	" c.attrs"
#define NOTIFY "pg_notify('m2m_cred', $1::text)"

static const char *const sql_text[Q_N] = {
	/* the record and its targets, one row per target, from one snapshot */
	[Q_FETCH] = "SELECT " INFO_COLS ", CASE WHEN $2::bool THEN encode(c.key_bytes, 'hex') END,"
		    " CASE WHEN $3::bool THEN c.cert_pem END, t.target"
		    " FROM cred c LEFT JOIN cred_target t ON t.cred_id = c.id WHERE c.id_fold = $1::text ORDER BY t.pos",
	[Q_LIST] = "SELECT " INFO_COLS ", NULL, NULL, t.target FROM cred c LEFT JOIN cred_target t ON t.cred_id = c.id"
		   " ORDER BY c.kind, c.id, t.pos",
	[Q_INSERT] = "INSERT INTO cred (id, id_fold, kind, owner, suid, not_before, not_after, state, revoked_at,"
		     " created_at, last_used, key_bytes, cert_pem, attrs) VALUES ($1::text, $2::text, $3::text, $4::text,"
		     " $5::int, $6::bigint, $7::bigint, 'active', 0, $8::bigint, 0, $9::bytea, $10::text, $11::text)",
	[Q_TARGET_ADD] = "INSERT INTO cred_target (cred_id, pos, target) VALUES ($1::text, $2::int, $3::text)",
	[Q_TARGET_CLEAR] = "DELETE FROM cred_target WHERE cred_id = $1::text",
	/* changed rows, then whether the record exists (already revoked: OK; gone: NOT_FOUND) */
	[Q_REVOKE] = "WITH u AS (UPDATE cred SET state = 'revoked', revoked_at = $2::bigint WHERE id = $1::text"
		     " AND state = 'active' RETURNING 1)"
		     " SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM cred WHERE id = $1::text), " NOTIFY,
	/* an UPDATE only when it changes the row: lookups within one second write nothing (no WAL
	 * flush per handshake); then whether the record exists */
	[Q_TOUCH] = "WITH u AS (UPDATE cred SET last_used = $2::bigint WHERE id = $1::text AND last_used < $2::bigint"
		    " RETURNING 1) SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM cred WHERE id = $1::text)",
	[Q_REMOVE] = "WITH d AS (DELETE FROM cred WHERE id = $1::text RETURNING 1)"
		     " SELECT (SELECT count(*) FROM d), " NOTIFY,
	[Q_UPDATE] = "WITH u AS (UPDATE cred SET not_after = CASE WHEN $2::bool THEN $3::bigint ELSE not_after END,"
		     " attrs = CASE WHEN $4::bool THEN $5::text ELSE attrs END WHERE id = $1::text RETURNING 1)"
		     " SELECT (SELECT count(*) FROM u), " NOTIFY,
	/* active = m2m_credstore_state_at: not revoked, inside [not_before, not_after) */
	[Q_COUNT_OWNER] = "SELECT coalesce(sum(CASE WHEN state = 'active' AND not_before <= $3::bigint AND"
			  " (not_after = 0 OR not_after > $3::bigint) THEN 1 ELSE 0 END), 0), count(*)"
			  " FROM cred WHERE kind = $1::text AND owner = $2::text",
};

/* Version 1: the schema of store/credstore_sqlite.c version 2; identifiers compare in byte order
 * (COLLATE "C") so that list orders as SQLite does. */
static const char *const schema_v1[] = {
	("CREATE TABLE cred ("
	 " id text COLLATE \"C\" PRIMARY KEY,"
	 " id_fold text COLLATE \"C\" NOT NULL UNIQUE,"
	 " kind text COLLATE \"C\" NOT NULL CHECK (kind IN ('kpm','ke','km','kpsa','kc','cert')),"
	 " owner text COLLATE \"C\","
	 " suid integer NOT NULL DEFAULT 0,"
	 " not_before bigint NOT NULL DEFAULT 0 CHECK (not_before >= 0),"
	 " not_after bigint NOT NULL DEFAULT 0 CHECK (not_after >= 0),"
	 " state text NOT NULL CHECK (state IN ('active','revoked')),"
	 " revoked_at bigint NOT NULL DEFAULT 0,"
	 " created_at bigint NOT NULL DEFAULT 0,"
	 " last_used bigint NOT NULL DEFAULT 0,"
	 " key_bytes bytea,"
	 " cert_pem text,"
	 " attrs text,"
	 " CHECK ((kind = 'cert' AND key_bytes IS NULL AND cert_pem IS NOT NULL) OR"
	 " (kind <> 'cert' AND cert_pem IS NULL AND key_bytes IS NOT NULL AND"
	 " octet_length(key_bytes) BETWEEN 16 AND 64)))"),
	("CREATE TABLE cred_target ("
	 " cred_id text COLLATE \"C\" NOT NULL REFERENCES cred(id) ON DELETE CASCADE,"
	 " pos integer NOT NULL,"
	 " target text NOT NULL,"
	 " PRIMARY KEY (cred_id, pos), UNIQUE (cred_id, target))"),
	"CREATE INDEX cred_by_owner ON cred (kind, owner)",
};
static const char *const *const schema_steps[] = {schema_v1};
static const size_t schema_nsteps[] = {sizeof(schema_v1) / sizeof(schema_v1[0])};

static const m2mi_pg_schema db_schema = {
	.component = "credstore",
	.steps = schema_steps,
	.nsteps = schema_nsteps,
	.version = 1,
	.schema_err = M2M_E_STORE_SCHEMA,
};

typedef struct cs_pg {
	PGconn *c;
	char *uri;
	m2mi_pg_cfg cfg;
	pthread_mutex_t mu; /* one operation at a time on the connection; recursive: a grouping
			       transaction holds it from begin to end */
	bool in_tx, read_tx;
} cs_pg;

#define NPARAM 11

/* A prepared statement's parameters: text, or binary with a length (the key bytes). */
typedef struct params {
	const char *v[NPARAM];
	int len[NPARAM];
	int fmt[NPARAM];
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

static void p_bool(params *p, bool b)
{
	p_str(p, b ? "t" : "f");
}

static void p_bin(params *p, const uint8_t *b, size_t n)
{
	p->v[p->n] = (const char *)b;
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

/* ---- connection ---------------------------------------------------------------------------- */

static m2m_err conn_up(cs_pg *s)
{
	m2m_err r;

	if ((r = m2mi_pg_connect(s->uri, &s->cfg, &s->c)) != M2M_OK)
		return r;
	if ((r = m2mi_pg_prepare(s->c, &s->cfg, "cs", sql_text, Q_N)) != M2M_OK) {
		PQfinish(s->c);
		s->c = NULL;
	}
	return r;
}

static m2m_err reconnect(cs_pg *s)
{
	PQfinish(s->c);
	s->c = NULL;
	return conn_up(s);
}

/* Outside a transaction: a connection the server closed while idle (restart, failover) is
 * noticed without a round trip (the pending EOF) and replaced before the next statement. */
static m2m_err ready(cs_pg *s)
{
	if (s->in_tx)
		return m2mi_pg_lost(s->c) ? M2M_E_STORE : M2M_OK;
	if (s->c != NULL && PQconsumeInput(s->c) == 0) {
		PQfinish(s->c);
		s->c = NULL;
	}
	if (m2mi_pg_lost(s->c))
		return reconnect(s);
	return M2M_OK;
}

/* Run statement q; *res (PQclear it) on M2M_OK. A read (retry) outside a transaction is sent
 * once more on a fresh connection if the first one was lost under it. */
static m2m_err run(cs_pg *s, int q, const params *p, bool retry, PGresult **res)
{
	char name[16];
	m2m_err r;

	*res = NULL;
	if ((r = ready(s)) != M2M_OK)
		return r;
	(void)snprintf(name, sizeof(name), "cs%d", q);
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *x = PQexecPrepared(s->c, name, p->n, p->v, p->len, p->fmt, 0);

		bool gone;

		if ((r = m2mi_pg_result_err(s->c, &s->cfg, x)) == M2M_OK) {
			*res = x;
			return M2M_OK;
		}
		gone = m2mi_pg_lost(s->c) || m2mi_pg_conn_gone(x);
		PQclear(x);
		if (!retry || s->in_tx || !gone || attempt > 0 || reconnect(s) != M2M_OK)
			break;
	}
	return r;
}

/* The integer in column col of the first row (0 without rows). */
static int64_t first_int(const PGresult *res, int col)
{
	return PQntuples(res) > 0 && !PQgetisnull(res, 0, col) ? strtoll(PQgetvalue(res, 0, col), NULL, 10) : 0;
}

/* ---- transactions -------------------------------------------------------------------------- */

/* BEGIN outside a transaction; a connection found dead by it (nothing was in flight) is replaced
 * and the BEGIN sent once more. */
static m2m_err begin_retry(cs_pg *s, const char *sql)
{
	m2m_err r = m2mi_pg_exec(s->c, &s->cfg, sql);

	if (r != M2M_OK && (r = reconnect(s)) == M2M_OK)
		r = m2mi_pg_exec(s->c, &s->cfg, sql);
	return r;
}

/* An operation of several statements: its own transaction, or a savepoint inside a grouping one. */
static m2m_err op_begin(cs_pg *s, bool write)
{
	m2m_err r;

	if (s->in_tx && s->read_tx && write)
		return M2M_E_INVAL; /* a read transaction writes nothing */
	if ((r = ready(s)) != M2M_OK)
		return r;
	if (s->in_tx)
		return m2mi_pg_exec(s->c, &s->cfg, "SAVEPOINT op");
	return begin_retry(s, "BEGIN");
}

static m2m_err op_end(cs_pg *s, m2m_err r)
{
	m2m_err r2;
	PGresult *res;

	if (m2mi_pg_lost(s->c))
		return r != M2M_OK ? r : M2M_E_STORE; /* the server rolled the transaction back */
	if (s->in_tx) {
		if (r != M2M_OK)
			(void)m2mi_pg_exec(s->c, &s->cfg, "ROLLBACK TO SAVEPOINT op");
		r2 = m2mi_pg_exec(s->c, &s->cfg, "RELEASE SAVEPOINT op");
		return r != M2M_OK ? r : r2;
	}
	if (r != M2M_OK) {
		(void)m2mi_pg_exec(s->c, &s->cfg, "ROLLBACK");
		return r;
	}
	res = PQexec(s->c, "COMMIT");
	r = m2mi_pg_result_err(s->c, &s->cfg, res);
	/* COMMIT of a transaction in which a statement failed answers ROLLBACK: nothing was kept */
	if (r == M2M_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		r = M2M_E_STORE;
	PQclear(res);
	return r;
}

/* A single statement inside a grouping transaction: a savepoint keeps a failure local. */
static m2m_err one_begin(cs_pg *s, bool write)
{
	if (!s->in_tx)
		return M2M_OK;
	return op_begin(s, write);
}

static m2m_err one_end(cs_pg *s, m2m_err r)
{
	return s->in_tx ? op_end(s, r) : r;
}

static m2m_err begin_tx(cs_pg *s, bool write)
{
	m2m_err r;

	pthread_mutex_lock(&s->mu);
	if (s->in_tx) {
		pthread_mutex_unlock(&s->mu);
		return M2M_E_INVAL; /* no nesting */
	}
	if ((r = ready(s)) == M2M_OK)
		r = begin_retry(s, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	if (r != M2M_OK) {
		pthread_mutex_unlock(&s->mu);
		return r;
	}
	s->in_tx = true; /* the mutex stays held until pg_end */
	s->read_tx = !write;
	return M2M_OK;
}

static m2m_err pg_begin(void *be)
{
	return begin_tx(be, true);
}

static m2m_err pg_begin_read(void *be)
{
	return begin_tx(be, false);
}

static m2m_err pg_end(void *be, m2m_err r)
{
	cs_pg *s = be;

	if (!s->in_tx)
		return r != M2M_OK ? r : M2M_E_INVAL;
	s->in_tx = false;
	if (s->read_tx || r != M2M_OK || m2mi_pg_lost(s->c)) {
		if (!m2mi_pg_lost(s->c))
			(void)m2mi_pg_exec(s->c, &s->cfg, "ROLLBACK");
		r = r != M2M_OK ? r : (m2mi_pg_lost(s->c) ? M2M_E_STORE : M2M_OK);
	} else {
		r = op_end(s, M2M_OK); /* COMMIT */
	}
	s->read_tx = false;
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* ---- open / close -------------------------------------------------------------------------- */

static void pg_close(void *be)
{
	cs_pg *s = be;

	if (s == NULL)
		return;
	PQfinish(s->c);
	pthread_mutex_destroy(&s->mu);
	free(s->uri);
	free(s);
}

/* create: a store whose schema is already there is M2M_E_EXISTS; open: a database without it is
 * M2M_E_NOT_FOUND (as a missing file), one with an older schema is migrated. */
static m2m_err pg_open(const char *location, bool create, void **be)
{
	cs_pg *s = calloc(1, sizeof(*s));
	long have = 0;
	m2m_err r;

	*be = NULL;
	if (s == NULL)
		return M2M_E_NOMEM;
	if (m2mi_credstore_mutex_init(&s->mu) != 0) {
		free(s);
		return M2M_E_INTERNAL;
	}
	if ((s->uri = strdup(location)) == NULL) {
		pg_close(s);
		return M2M_E_NOMEM;
	}
	s->cfg.sync_full = true; /* a revocation or a new key survives a server crash once acknowledged */
	s->cfg.err = M2M_E_STORE;
	s->cfg.tag = "credential store";
	if ((r = m2mi_pg_connect(s->uri, &s->cfg, &s->c)) == M2M_OK &&
	    (r = m2mi_pg_schema_version(s->c, &s->cfg, db_schema.component, &have)) == M2M_OK) {
		if (create && have > 0)
			r = M2M_E_EXISTS;
		else if (!create && have == 0)
			r = M2M_E_NOT_FOUND;
	}
	if (r == M2M_OK)
		r = m2mi_pg_schema_setup(s->c, &s->cfg, &db_schema);
	if (r == M2M_OK)
		r = m2mi_pg_prepare(s->c, &s->cfg, "cs", sql_text, Q_N);
	if (r != M2M_OK) {
		pg_close(s);
		return r;
	}
	*be = s;
	return M2M_OK;
}

/* ---- rows ---------------------------------------------------------------------------------- */

static m2m_err dup_col(const PGresult *res, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(res, row, col))
		return M2M_OK;
	return (*out = strdup(PQgetvalue(res, row, col))) != NULL ? M2M_OK : M2M_E_NOMEM;
}

static int64_t int_col(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Columns 0..10 (INFO_COLS) of row into a new info, without targets. */
static m2m_err row_info(const PGresult *res, int row, m2m_cred_info **out)
{
	m2m_cred_info *c = calloc(1, sizeof(*c));
	const char *st;
	m2m_err r;

	if (c == NULL)
		return M2M_E_NOMEM;
	if ((r = dup_col(res, row, 0, &c->id)) == M2M_OK && (r = dup_col(res, row, 2, &c->owner)) == M2M_OK &&
	    (r = dup_col(res, row, 10, &c->attrs)) == M2M_OK &&
	    (c->id == NULL || m2m_credstore_kind_from_name(PQgetvalue(res, row, 1), &c->kind) != M2M_OK))
		r = M2M_E_STORE;
	c->suid = (int)int_col(res, row, 3);
	c->not_before = int_col(res, row, 4);
	c->not_after = int_col(res, row, 5);
	st = PQgetvalue(res, row, 6);
	if (strcmp(st, "active") == 0) /* public: state */
		c->state = M2M_CRED_STATE_ACTIVE;
	else if (strcmp(st, "revoked") == 0) /* public: state */
		c->state = M2M_CRED_STATE_REVOKED;
	else if (r == M2M_OK)
		r = M2M_E_STORE;
	c->revoked_at = int_col(res, row, 7);
	c->created_at = int_col(res, row, 8);
	c->last_used = int_col(res, row, 9);
	if (r != M2M_OK) {
		m2m_credstore_info_free(c);
		return r;
	}
	*out = c;
	return M2M_OK;
}

/* Append the target in column 13 of row (none: NULL, the LEFT JOIN of a record without). */
static m2m_err add_target(const PGresult *res, int row, m2m_cred_info *c)
{
	char **t;

	if (PQgetisnull(res, row, 13))
		return M2M_OK;
	if (c->ntargets >= M2M_CRED_MAX_TARGETS)
		return M2M_E_STORE;
	if ((t = realloc(c->targets, (c->ntargets + 1) * sizeof(char *))) == NULL)
		return M2M_E_NOMEM;
	c->targets = t;
	if ((t[c->ntargets] = strdup(PQgetvalue(res, row, 13))) == NULL)
		return M2M_E_NOMEM;
	c->ntargets++;
	return M2M_OK;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* The hex text of column 11 into a new m2m_key; the text and the bytes are wiped. */
static m2m_err key_col(PGresult *res, m2m_key **key)
{
	char *hex = PQgetvalue(res, 0, 11);
	size_t n = strlen(hex);
	uint8_t b[M2M_KEY_MAX];
	m2m_err r = M2M_OK;

	if (n % 2 != 0 || n / 2 > sizeof(b))
		r = M2M_E_STORE;
	for (size_t i = 0; r == M2M_OK && i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			r = M2M_E_STORE;
		else
			b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (r == M2M_OK)
		r = m2m_key_new(b, n / 2, key);
	explicit_bzero(b, sizeof(b));
	explicit_bzero(hex, n);
	return r;
}

/* ---- operations ---------------------------------------------------------------------------- */

static m2m_err fetch_locked(cs_pg *s, const char *fold, m2m_cred_info **info, m2m_key **key, char **pem)
{
	params p = {0};
	PGresult *res = NULL;
	m2m_cred_info *c = NULL;
	m2m_err r;

	p_str(&p, fold);
	p_bool(&p, key != NULL);
	p_bool(&p, pem != NULL);
	if ((r = run(s, Q_FETCH, &p, true, &res)) != M2M_OK)
		return r;
	if (PQntuples(res) == 0)
		r = M2M_E_NOT_FOUND;
	else
		r = row_info(res, 0, &c);
	for (int i = 0; r == M2M_OK && i < PQntuples(res); i++)
		r = add_target(res, i, c);
	if (r == M2M_OK && key != NULL && !PQgetisnull(res, 0, 11))
		r = key_col(res, key);
	if (r == M2M_OK && pem != NULL)
		r = dup_col(res, 0, 12, pem);
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 11))
		explicit_bzero(PQgetvalue(res, 0, 11), strlen(PQgetvalue(res, 0, 11)));
	PQclear(res);
	if (r != M2M_OK) {
		m2m_credstore_info_free(c);
		if (key != NULL) {
			m2m_key_free(*key);
			*key = NULL;
		}
		return r;
	}
	*info = c;
	return M2M_OK;
}

static m2m_err pg_fetch(void *be, const char *fold, m2m_cred_info **info, m2m_key **key, char **pem)
{
	cs_pg *s = be;
	m2m_err r;

	*info = NULL;
	if (key != NULL)
		*key = NULL;
	if (pem != NULL)
		*pem = NULL;
	pthread_mutex_lock(&s->mu);
	if ((r = one_begin(s, false)) == M2M_OK)
		r = one_end(s, fetch_locked(s, fold, info, key, pem));
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Collected under the lock, delivered after it, so that callbacks may use the store. */
static m2m_err list_locked(cs_pg *s, unsigned kinds, m2m_cred_info ***all, size_t *n)
{
	params p = {0};
	PGresult *res = NULL;
	m2m_cred_info *cur = NULL;
	m2m_err r;

	if ((r = run(s, Q_LIST, &p, true, &res)) != M2M_OK)
		return r;
	for (int i = 0; r == M2M_OK && i < PQntuples(res); i++) {
		m2m_cred_info **grown;

		if (cur != NULL && strcmp(cur->id, PQgetvalue(res, i, 0)) == 0) {
			r = add_target(res, i, cur);
			continue;
		}
		if ((r = row_info(res, i, &cur)) != M2M_OK)
			break;
		if ((kinds & (unsigned)cur->kind) == 0) {
			m2m_credstore_info_free(cur);
			cur = NULL;
			/* skip this record's other target rows */
			while (i + 1 < PQntuples(res) && strcmp(PQgetvalue(res, i + 1, 0), PQgetvalue(res, i, 0)) == 0)
				i++;
			continue;
		}
		if ((grown = realloc(*all, (*n + 1) * sizeof(**all))) == NULL) {
			m2m_credstore_info_free(cur);
			r = M2M_E_NOMEM;
			break;
		}
		*all = grown;
		(*all)[(*n)++] = cur;
		r = add_target(res, i, cur);
	}
	PQclear(res);
	return r;
}

static m2m_err pg_list(void *be, unsigned kinds, m2m_credstore_list_fn fn, void *arg)
{
	cs_pg *s = be;
	m2m_cred_info **all = NULL;
	size_t n = 0;
	m2m_err r;

	pthread_mutex_lock(&s->mu);
	if ((r = one_begin(s, false)) == M2M_OK)
		r = one_end(s, list_locked(s, kinds, &all, &n));
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; r == M2M_OK && i < n; i++)
		r = fn(all[i], arg);
	for (size_t i = 0; i < n; i++)
		m2m_credstore_info_free(all[i]);
	free(all);
	return r;
}

static m2m_err add_targets(cs_pg *s, const char *id, char *const *targets, size_t n)
{
	m2m_err r = M2M_OK;

	for (size_t i = 0; r == M2M_OK && i < n; i++) {
		params p = {0};
		PGresult *res;

		p_str(&p, id);
		p_int(&p, (int64_t)i);
		p_str(&p, targets[i]);
		r = run(s, Q_TARGET_ADD, &p, false, &res);
		PQclear(res);
	}
	return r;
}

static m2m_err insert_locked(cs_pg *s, const m2mi_cred_row *row)
{
	const m2m_cred_info *c = row->info;
	params p = {0};
	PGresult *res;
	m2m_err r;

	p_str(&p, c->id);
	p_str(&p, row->fold);
	p_str(&p, m2m_credstore_kind_name(c->kind));
	p_str(&p, c->owner);
	p_int(&p, c->suid);
	p_int(&p, c->not_before);
	p_int(&p, c->not_after);
	p_int(&p, c->created_at);
	if (row->key != NULL)
		p_bin(&p, row->key, row->keylen); /* binary: read in place from the m2m_key */
	else
		p_str(&p, NULL);
	p_str(&p, row->cert_pem);
	p_str(&p, c->attrs);
	r = run(s, Q_INSERT, &p, false, &res);
	PQclear(res);
	return r == M2M_OK ? add_targets(s, c->id, c->targets, c->ntargets) : r;
}

static m2m_err pg_insert(void *be, const m2mi_cred_row *row)
{
	cs_pg *s = be;
	m2m_err r;

	pthread_mutex_lock(&s->mu);
	if ((r = op_begin(s, true)) == M2M_OK)
		r = op_end(s, insert_locked(s, row));
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* One write statement q on id (and now); *counts gets its first row's columns 0 and 1. */
static m2m_err write_one(cs_pg *s, int q, const char *id, const int64_t *now, int64_t counts[2])
{
	params p = {0};
	PGresult *res = NULL;
	m2m_err r;

	p_str(&p, id);
	if (now != NULL)
		p_int(&p, *now);
	pthread_mutex_lock(&s->mu);
	if ((r = one_begin(s, true)) == M2M_OK) {
		r = run(s, q, &p, false, &res);
		if (r == M2M_OK && PQresultStatus(res) == PGRES_TUPLES_OK) {
			counts[0] = first_int(res, 0);
			counts[1] = PQnfields(res) > 1 ? first_int(res, 1) : 0;
		} else if (r == M2M_OK) {
			counts[0] = strtoll(PQcmdTuples(res), NULL, 10);
		}
		PQclear(res);
		r = one_end(s, r);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static m2m_err pg_revoke(void *be, const char *id, int64_t now)
{
	int64_t n[2] = {0, 0};
	m2m_err r = write_one(be, Q_REVOKE, id, &now, n);

	return r == M2M_OK && n[0] == 0 && n[1] == 0 ? M2M_E_NOT_FOUND : r;
}

static m2m_err pg_touch(void *be, const char *id, int64_t now)
{
	int64_t n[2] = {0, 0};
	m2m_err r = write_one(be, Q_TOUCH, id, &now, n);

	return r == M2M_OK && n[0] == 0 && n[1] == 0 ? M2M_E_NOT_FOUND : r;
}

static m2m_err pg_remove(void *be, const char *id)
{
	int64_t n[2] = {0, 0};
	m2m_err r = write_one(be, Q_REMOVE, id, NULL, n); /* cred_target rows: ON DELETE CASCADE */

	return r == M2M_OK && n[0] == 0 ? M2M_E_NOT_FOUND : r;
}

static m2m_err update_locked(cs_pg *s, const char *id, unsigned what, const m2m_cred_info *v)
{
	params p = {0};
	PGresult *res = NULL;
	m2m_err r;

	p_str(&p, id);
	p_bool(&p, (what & M2M_CRED_SET_NOT_AFTER) != 0);
	p_int(&p, v->not_after);
	p_bool(&p, (what & M2M_CRED_SET_ATTRS) != 0);
	p_str(&p, v->attrs);
	if ((r = run(s, Q_UPDATE, &p, false, &res)) == M2M_OK && first_int(res, 0) == 0)
		r = M2M_E_NOT_FOUND;
	PQclear(res);
	if (r != M2M_OK || (what & M2M_CRED_SET_TARGETS) == 0)
		return r;
	p = (params){0};
	p_str(&p, id);
	if ((r = run(s, Q_TARGET_CLEAR, &p, false, &res)) == M2M_OK)
		r = add_targets(s, id, v->targets, v->ntargets);
	PQclear(res);
	return r;
}

static m2m_err pg_update(void *be, const char *id, unsigned what, const m2m_cred_info *v)
{
	cs_pg *s = be;
	m2m_err r;

	pthread_mutex_lock(&s->mu);
	if ((r = op_begin(s, true)) == M2M_OK)
		r = op_end(s, update_locked(s, id, what, v));
	pthread_mutex_unlock(&s->mu);
	return r;
}

static m2m_err pg_count_owner(void *be, m2m_cred_kind kind, const char *owner, int64_t now, size_t *active,
			      size_t *all)
{
	cs_pg *s = be;
	params p = {0};
	PGresult *res = NULL;
	m2m_err r;

	p_str(&p, m2m_credstore_kind_name(kind));
	p_str(&p, owner);
	p_int(&p, now);
	pthread_mutex_lock(&s->mu);
	if ((r = one_begin(s, false)) == M2M_OK) {
		if ((r = run(s, Q_COUNT_OWNER, &p, true, &res)) == M2M_OK) {
			*active = (size_t)first_int(res, 0);
			*all = (size_t)first_int(res, 1);
		}
		PQclear(res);
		r = one_end(s, r);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

const m2mi_credstore_ops m2mi_credstore_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.insert = pg_insert,
	.fetch = pg_fetch,
	.list = pg_list,
	.revoke = pg_revoke,
	.touch = pg_touch,
	.remove = pg_remove,
	.update = pg_update,
	.begin = pg_begin,
	.begin_read = pg_begin_read,
	.count_owner = pg_count_owner,
	.end = pg_end,
};
