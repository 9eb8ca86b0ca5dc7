/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the PostgreSQL backend of the MEF store's statement API
 * (store/mefstore_sql.h; TS-0003 clause 8.3 storage): the schema as versioned migrations
 * (component "mefstore", store/pg_common.h), statements prepared once per connection by name
 * with their ?N placeholders rewritten to $N, parameters collected and sent with
 * PQexecPrepared (key bytes in binary, never as text), results read in binary format, and the
 * transactions of the MEF procedures.
 *
 * Transactions: a write transaction (m2mi_mefstore_begin) takes one store-wide advisory lock
 * (pg_advisory_xact_lock, released at COMMIT or ROLLBACK), the equivalent of SQLite's BEGIN
 * IMMEDIATE: MEF instances sharing the database write one at a time, each seeing every earlier
 * commit (READ COMMITTED after the lock), so a re-enrolment of one client through two instances,
 * a revocation, command ids and GBA bootstraps never interleave and never raise serialization
 * failures. The wait is bounded by lock_timeout (M2MI_PG_LOCK_TIMEOUT_MS): past it the request
 * fails cleanly (M2M_E_STORE, nothing written). A read transaction (fetchCredentials, Zn) is
 * REPEATABLE READ without the lock: one snapshot, beside the writer.
 *
 * A lost connection fails the request in flight (its transaction never committed) and the next
 * transaction connects again; the statements are prepared again on the new session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "store/mefstore_sql.h"
#include "store/pg_common.h"

/* The key of the MEF store's write lock ("m2mMEF" in ASCII), apart from the migration lock. */
#define WRITE_LOCK "SELECT pg_advisory_xact_lock(120290615600454)"

/* Version 1: the tables of store/mefstore_sqlite.c (including those SQLite creates on first use:
 * estcert, gba_bootstrap, gba_subscriber, netauth, secprofile); identifiers compare in byte
 * order (COLLATE "C") so that lists order as on SQLite. */
static const char *const schema_v1[] = {
	("CREATE TABLE enrolee (client_id text COLLATE \"C\" PRIMARY KEY,"
	 " flavour text NOT NULL CHECK (flavour IN ('kpm','cert')), kpm bytea,"
	 " enrolee_id text NOT NULL, targets text NOT NULL, allowed text, group_id text,"
	 " expiry bigint NOT NULL, state text NOT NULL CHECK (state IN ('active','revoked')),"
	 " created_at bigint NOT NULL, revoked_at bigint NOT NULL DEFAULT 0)"),
	("CREATE TABLE grp (group_id text COLLATE \"C\" PRIMARY KEY,"
	 " gkey bytea NOT NULL CHECK (octet_length(gkey) = 32), prefix text COLLATE \"C\" NOT NULL UNIQUE,"
	 " tmpl text NOT NULL, targets text NOT NULL, expiry bigint NOT NULL,"
	 " state text NOT NULL CHECK (state IN ('active','revoked')), created_at bigint NOT NULL)"),
	("CREATE TABLE reg (keid text COLLATE \"C\" PRIMARY KEY, reg_id text NOT NULL UNIQUE,"
	 " client_id text COLLATE \"C\" NOT NULL UNIQUE REFERENCES enrolee(client_id),"
	 " ke bytea NOT NULL CHECK (octet_length(ke) = 32), enrolee_id text NOT NULL, targets text NOT NULL,"
	 " expiry bigint NOT NULL, reg_et bigint NOT NULL, labels text NOT NULL, admin_fqdn text NOT NULL,"
	 " cert_req bigint NOT NULL, cmd_id bigint NOT NULL, cmd_class bigint NOT NULL,"
	 " cmd_status bigint NOT NULL, cmd_step bigint NOT NULL, created_at bigint NOT NULL)"),
	("CREATE TABLE keyreg (rel_key_id text COLLATE \"C\" PRIMARY KEY, client_id text COLLATE \"C\" NOT NULL,"
	 " source_id text NOT NULL, suid bigint NOT NULL, targets text NOT NULL,"
	 " key bytea NOT NULL CHECK (octet_length(key) BETWEEN 16 AND 64), expiry bigint NOT NULL,"
	 " labels text NOT NULL, admin_fqdn text NOT NULL, created_at bigint NOT NULL)"),
	"CREATE INDEX keyreg_by_client ON keyreg (client_id)",
	("CREATE TABLE estcert (serial text COLLATE \"C\" PRIMARY KEY, client_id text NOT NULL,"
	 " enrolee_id text NOT NULL, san text NOT NULL, not_after bigint NOT NULL, issued_at bigint NOT NULL,"
	 " revoked_at bigint NOT NULL DEFAULT 0, reason bigint NOT NULL DEFAULT -1)"),
	("CREATE TABLE gba_bootstrap (btid text PRIMARY KEY, impi text NOT NULL,"
	 " rand bytea NOT NULL CHECK (octet_length(rand) = 16), ks bytea NOT NULL CHECK (octet_length(ks) = 32),"
	 " expiry bigint NOT NULL, created bigint NOT NULL)"),
	("CREATE TABLE gba_subscriber (impi text PRIMARY KEY, enrolee_id text NOT NULL, nafs text NOT NULL,"
	 " gba_u bigint NOT NULL)"),
	("CREATE TABLE netauth (client_id text PRIMARY KEY, authorized bigint NOT NULL CHECK (authorized IN (0, 1)),"
	 " updated bigint NOT NULL)"),
	"CREATE TABLE secprofile (cse_id text PRIMARY KEY, profile text NOT NULL)",
};
static const char *const *const schema_steps[] = {schema_v1};
static const size_t schema_nsteps[] = {sizeof(schema_v1) / sizeof(schema_v1[0])};

static const m2mi_pg_schema db_schema = {
	.component = "mefstore",
	.steps = schema_steps,
	.nsteps = schema_nsteps,
	.version = 1,
	.schema_err = M2M_E_STORE_SCHEMA,
};

struct m2mi_mefs_pg {
	PGconn *c;
	char *uri;
	m2mi_pg_cfg cfg;
	unsigned long names; /* statement names handed out on this handle */
	unsigned long gen;   /* sessions opened: a statement prepared on an older one is prepared again */
};

struct m2mi_mefs_pgq {
	char *sql;          /* as given to prep (the cache key) */
	char *text;         /* with $N */
	char name[24];      /* the prepared statement's name; "" runs the text unprepared */
	unsigned long gen;  /* the session it was prepared on */
	int nparams;
	const char *val[M2MI_MEFS_PARAMS];
	int len[M2MI_MEFS_PARAMS];
	int fmt[M2MI_MEFS_PARAMS];
	char num[M2MI_MEFS_PARAMS][24];
	PGresult *res;
	int row, nrows;
};

/* The session is unusable after res: forget it, the next transaction connects again. */
static void check_lost(m2mi_mefs_pg *pg, const PGresult *res)
{
	if (pg->c != NULL && (m2mi_pg_lost(pg->c) || m2mi_pg_conn_gone(res))) {
		PQfinish(pg->c);
		pg->c = NULL;
	}
}

m2m_err m2mi_mefs_pg_open(const char *uri, bool create, bool sync_full, m2m_mefstore *st)
{
	m2mi_mefs_pg *pg = calloc(1, sizeof(*pg));
	long have = 0;
	m2m_err r;

	if (pg == NULL)
		return M2M_E_NOMEM;
	st->pg = pg;
	if ((pg->uri = strdup(uri)) == NULL)
		return M2M_E_NOMEM;
	pg->cfg.sync_full = sync_full;
	pg->cfg.err = M2M_E_STORE;
	pg->cfg.tag = "MEF store";
	pg->gen = 1;
	if ((r = m2mi_pg_connect(pg->uri, &pg->cfg, &pg->c)) != M2M_OK ||
	    (r = m2mi_pg_schema_version(pg->c, &pg->cfg, db_schema.component, &have)) != M2M_OK)
		return r;
	/* as a file: opening without create needs the store to exist (the service creates it) */
	if (!create && have == 0)
		return M2M_E_NOT_FOUND;
	return m2mi_pg_schema_setup(pg->c, &pg->cfg, &db_schema);
}

void m2mi_mefs_pg_close(m2m_mefstore *st)
{
	if (st->pg == NULL)
		return;
	PQfinish(st->pg->c);
	free(st->pg->uri);
	free(st->pg);
	st->pg = NULL;
}

m2m_err m2mi_mefs_pg_sync_full(m2m_mefstore *st, bool *full)
{
	PGresult *res;
	m2m_err r;

	if (st->pg->c == NULL)
		return M2M_E_STORE;
	/* read back from the server, as SQLite's PRAGMA synchronous: what is in effect, not what
	 * was asked */
	res = PQexec(st->pg->c, "SHOW synchronous_commit");
	if ((r = m2mi_pg_result_err(st->pg->c, &st->pg->cfg, res)) == M2M_OK) {
		const char *v = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
		if (strcmp(v, "on") == 0)
			*full = true;
		else if (strcmp(v, "off") == 0)
			*full = false;
		else
			r = M2M_E_STORE; /* local / remote_write / remote_apply: not what anybody configured */
	}
	check_lost(st->pg, res);
	PQclear(res);
	return r;
}

/* A session, connecting again when the last one was lost. Its prepared statements went with
 * it: each is prepared again on the new session at its next use (gen). */
static m2m_err session(m2m_mefstore *st)
{
	m2mi_mefs_pg *pg = st->pg;

	if (pg->c != NULL)
		return M2M_OK;
	pg->gen++;
	return m2mi_pg_connect(pg->uri, &pg->cfg, &pg->c);
}

/* Prepare q as its name on the current session. */
static m2m_err prepare(m2mi_mefs_pg *pg, m2mi_mefs_pgq *q)
{
	PGresult *res = PQprepare(pg->c, q->name, q->text, q->nparams, NULL);
	m2m_err r = m2mi_pg_result_err(pg->c, &pg->cfg, res);

	check_lost(pg, res);
	PQclear(res);
	if (r == M2M_OK)
		q->gen = pg->gen;
	return r == M2M_E_EXISTS ? M2M_E_STORE : r;
}

static m2m_err run(m2m_mefstore *st, const char *sql)
{
	PGresult *res = PQexec(st->pg->c, sql);
	m2m_err r = m2mi_pg_result_err(st->pg->c, &st->pg->cfg, res);

	/* COMMIT of a transaction a failed statement ended answers ROLLBACK, without an error */
	if (r == M2M_OK && strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		r = M2M_E_STORE;
	check_lost(st->pg, res);
	PQclear(res);
	return r == M2M_E_EXISTS ? M2M_E_STORE : r;
}

m2m_err m2mi_mefs_pg_tx(m2m_mefstore *st, int what)
{
	m2mi_mefs_pg *pg = st->pg;
	m2m_err r;

	if (what >= 2) {
		if (pg->c == NULL)
			return M2M_E_STORE; /* lost inside the transaction: nothing was committed */
		if (what == 2)
			return run(st, "COMMIT");
		if (PQtransactionStatus(pg->c) != PQTRANS_IDLE)
			(void)run(st, "ROLLBACK");
		return M2M_OK;
	}
	/* a session found dead at BEGIN (the server restarted while idle) is replaced once: nothing
	 * of this request ran yet */
	for (int i = 0; i < 2; i++) {
		if ((r = session(st)) != M2M_OK)
			return r;
		r = run(st, what == 0 ? "BEGIN ISOLATION LEVEL READ COMMITTED; " WRITE_LOCK
				      : "BEGIN ISOLATION LEVEL REPEATABLE READ");
		if (r == M2M_OK || pg->c != NULL)
			break;
	}
	if (r != M2M_OK && pg->c != NULL && PQtransactionStatus(pg->c) != PQTRANS_IDLE)
		(void)run(st, "ROLLBACK"); /* BEGIN went through, the lock did not come in time */
	return r;
}

const char *m2mi_mefs_pg_sql(const m2mi_mefs_stmt *s)
{
	return s->p->sql;
}

/* sql with ?N as $N (none of the store's statements has a '?' in a literal; quoted text is
 * copied as it is all the same); the highest N into *n. */
static char *dollars(const char *sql, int *n)
{
	size_t l = strlen(sql);
	char *out = malloc(l + 1), *o = out;
	bool quoted = false;

	*n = 0;
	if (out == NULL)
		return NULL;
	for (const char *p = sql; *p != '\0'; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (*p == '?' && !quoted && p[1] >= '0' && p[1] <= '9') {
			int v = (int)strtol(p + 1, NULL, 10);
			*n = v > *n ? v : *n;
			*o++ = '$';
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

void m2mi_mefs_pg_free(m2mi_mefs_stmt *s)
{
	if (s->p == NULL)
		return;
	PQclear(s->p->res);
	free(s->p->sql);
	free(s->p->text);
	free(s->p);
	s->p = NULL;
}

m2m_err m2mi_mefs_pg_prep(m2m_mefstore *st, const char *sql, bool cached, m2mi_mefs_stmt **out)
{
	m2mi_mefs_pg *pg = st->pg;
	m2mi_mefs_stmt *s;
	m2m_err r = M2M_E_NOMEM;

	if (!st->in_tx && (r = session(st)) != M2M_OK)
		return r;
	if (pg->c == NULL)
		return M2M_E_STORE;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->p = calloc(1, sizeof(*s->p))) == NULL)
		goto fail;
	s->st = st;
	if ((s->p->sql = strdup(sql)) == NULL || (s->p->text = dollars(sql, &s->p->nparams)) == NULL)
		goto fail;
	r = M2M_E_RANGE;
	if (s->p->nparams > M2MI_MEFS_PARAMS)
		goto fail;
	if (cached) {
		(void)snprintf(s->p->name, sizeof(s->p->name), "mef%lu", pg->names++);
		if ((r = prepare(pg, s->p)) != M2M_OK)
			goto fail; /* a statement that does not compile is not kept */
	}
	*out = s;
	return M2M_OK;
fail:
	if (s != NULL)
		m2mi_mefs_pg_free(s);
	free(s);
	return r == M2M_E_EXISTS ? M2M_E_STORE : r;
}

void m2mi_mefs_pg_reset(m2mi_mefs_stmt *s)
{
	m2mi_mefs_pgq *q = s->p;

	PQclear(q->res);
	q->res = NULL;
	q->row = q->nrows = 0;
	memset(q->val, 0, sizeof(q->val));
	memset(q->len, 0, sizeof(q->len));
	memset(q->fmt, 0, sizeof(q->fmt));
}

void m2mi_mefs_pg_bind(m2mi_mefs_stmt *s, int i, const void *v, size_t n, bool bin)
{
	if (i < 1 || i > s->p->nparams || n > (size_t)1 << 30)
		return;
	s->p->val[i - 1] = v;
	s->p->len[i - 1] = (int)n;
	s->p->fmt[i - 1] = bin ? 1 : 0;
}

void m2mi_mefs_pg_bind_int64(m2mi_mefs_stmt *s, int i, int64_t v)
{
	if (i < 1 || i > s->p->nparams)
		return;
	(void)snprintf(s->p->num[i - 1], sizeof(s->p->num[i - 1]), "%lld", (long long)v);
	m2mi_mefs_pg_bind(s, i, s->p->num[i - 1], strlen(s->p->num[i - 1]), false);
}

/* Run q once on the current session (prepared again first if the session is new). */
static m2m_err execute(m2mi_mefs_pg *pg, m2mi_mefs_pgq *q)
{
	m2m_err r;

	if (pg->c == NULL)
		return M2M_E_STORE; /* the session was lost earlier in this request */
	if (q->name[0] != '\0' && q->gen != pg->gen && (r = prepare(pg, q)) != M2M_OK)
		return r;
	q->res = q->name[0] != '\0' ? PQexecPrepared(pg->c, q->name, q->nparams, q->val, q->len, q->fmt, 1)
				    : PQexecParams(pg->c, q->text, q->nparams, NULL, q->val, q->len, q->fmt, 1);
	if ((r = m2mi_pg_result_err(pg->c, &pg->cfg, q->res)) != M2M_OK) {
		check_lost(pg, q->res);
		PQclear(q->res);
		q->res = NULL;
	}
	return r;
}

int m2mi_mefs_pg_step(m2mi_mefs_stmt *s)
{
	m2mi_mefs_pg *pg = s->st->pg;
	m2mi_mefs_pgq *q = s->p;
	m2m_err r;

	if (q->res == NULL) {
		/* A read outside a transaction (the PSK lookup of a handshake, an operator listing) on a
		 * session the server had ended is run once more on a new one: it wrote nothing. A
		 * write, or anything inside a transaction, fails (5000) and the next request reconnects. */
		if ((r = execute(pg, q)) != M2M_OK && pg->c == NULL && !s->st->in_tx &&
		    strncmp(q->text, "SELECT ", 7) == 0 && session(s->st) == M2M_OK)
			r = execute(pg, q);
		if (r != M2M_OK)
			return r;
		if (PQresultStatus(q->res) == PGRES_TUPLES_OK) {
			q->nrows = PQntuples(q->res);
			q->row = -1;
		} else {
			s->st->changes = strtoll(PQcmdTuples(q->res), NULL, 10);
			q->nrows = 0;
			q->row = -1;
		}
	}
	if (q->row < q->nrows)
		q->row++;
	return q->row < q->nrows ? M2MI_MEFS_ROW : M2MI_MEFS_DONE;
}

static bool have(const m2mi_mefs_stmt *s, int col)
{
	const m2mi_mefs_pgq *q = s->p;

	return q->res != NULL && q->row >= 0 && q->row < q->nrows && col >= 0 && col < PQnfields(q->res) &&
	       !PQgetisnull(q->res, q->row, col);
}

const unsigned char *m2mi_mefs_pg_text(m2mi_mefs_stmt *s, int col)
{
	return have(s, col) ? (const unsigned char *)PQgetvalue(s->p->res, s->p->row, col) : NULL;
}

size_t m2mi_mefs_pg_bytes(m2mi_mefs_stmt *s, int col)
{
	return have(s, col) ? (size_t)PQgetlength(s->p->res, s->p->row, col) : 0;
}

bool m2mi_mefs_pg_null(m2mi_mefs_stmt *s, int col)
{
	return !have(s, col);
}

/* An integer column in binary format: big-endian, 1 (boolean), 2, 4 or 8 bytes wide. */
int64_t m2mi_mefs_pg_int64(m2mi_mefs_stmt *s, int col)
{
	const unsigned char *b = m2mi_mefs_pg_text(s, col);
	size_t n = m2mi_mefs_pg_bytes(s, col);
	uint64_t v = 0;

	if (b == NULL || (n != 1 && n != 2 && n != 4 && n != 8))
		return 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | b[i];
	if (n < 8 && n > 1 && (b[0] & 0x80) != 0)
		v |= ~(uint64_t)0 << (8 * n); /* sign extension */
	return (int64_t)v;
}
