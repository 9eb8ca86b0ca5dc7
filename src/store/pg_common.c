/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the PostgreSQL plumbing shared by the stores (store/pg_common.h). Every
 * call is synchronous, like SQLite's, and bounded: connect_timeout for a connection,
 * statement_timeout for every statement, lock_timeout for a row lock wait (a writer waiting for
 * another instance's transaction on the same parent), TCP keepalives for a server that vanished
 * without closing. A password given in the URI is never logged: log lines carry the redacted URI
 * and libpq's message with the password scrubbed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "store/pg_common.h"

#define MSG_MAX 512
#define URI_LOG_MAX 256

static m2m_log_limiter rl_conn = M2M_LOG_LIMITER_INIT(10000);
static m2m_log_limiter rl_stmt = M2M_LOG_LIMITER_INIT(10000);

bool m2mi_pg_is_uri(const char *s)
{
	return s != NULL && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

/* Append n bytes of src to out[*k] (cap, keeps room for the NUL). */
static void put(char *out, size_t cap, size_t *k, const char *src, size_t n)
{
	while (n-- > 0 && *k + 1 < cap)
		out[(*k)++] = *src++;
	out[*k] = '\0';
}

void m2mi_pg_redact(const char *uri, char *out, size_t cap)
{
	const char *p, *at, *end, *colon;
	size_t k = 0;

	if (out == NULL || cap == 0)
		return;
	out[0] = '\0';
	if (uri == NULL)
		return;
	p = strstr(uri, "://");
	p = p != NULL ? p + 3 : uri;
	/* the userinfo ends at the last '@' before the path or query */
	end = p + strcspn(p, "/?");
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	colon = at != NULL ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (colon != NULL) {
		put(out, cap, &k, uri, (size_t)(colon + 1 - uri));
		put(out, cap, &k, "***", 3);
		p = at;
	} else {
		p = uri;
	}
	/* the rest, with every password=VALUE parameter value hidden */
	while (*p != '\0') {
		const char *pw = strstr(p, "password=");

		if (pw == NULL || (pw != uri && pw[-1] != '?' && pw[-1] != '&')) {
			size_t n = pw == NULL ? strlen(p) : (size_t)(pw + 9 - p);

			put(out, cap, &k, p, n);
			p += n;
			continue;
		}
		put(out, cap, &k, p, (size_t)(pw + 9 - p));
		put(out, cap, &k, "***", 3);
		p = pw + 9 + strcspn(pw + 9, "&");
	}
}

/* The password libpq would use for uri ("" if none): read back through its own parser. */
static void uri_password(const char *uri, char *pw, size_t cap)
{
	PQconninfoOption *o = PQconninfoParse(uri, NULL);

	pw[0] = '\0';
	for (PQconninfoOption *i = o; i != NULL && i->keyword != NULL; i++)
		if (strcmp(i->keyword, "password") == 0 && i->val != NULL && strlen(i->val) < cap)
			memcpy(pw, i->val, strlen(i->val) + 1);
	PQconninfoFree(o);
}

/* The first line of msg with every occurrence of pw replaced by "***". */
static void scrub(const char *msg, const char *pw, char *out, size_t cap)
{
	size_t k = 0, pl = strlen(pw);
	const char *p = msg != NULL ? msg : "";

	out[0] = '\0';
	while (*p != '\0' && *p != '\n') {
		if (pl > 0 && strncmp(p, pw, pl) == 0) {
			put(out, cap, &k, "***", 3);
			p += pl;
		} else {
			put(out, cap, &k, p++, 1);
		}
	}
}

/* Server notices ("relation ... already exists, skipping") go to the log at debug level, never to
 * stderr as libpq's default processor would (library code does not print). */
static void notice_to_log(void *arg, const char *msg)
{
	(void)arg;
	m2m_log(M2M_LOG_DEBUG, "PostgreSQL notice: %.*s", (int)strcspn(msg, "\n"), msg);
}

m2m_err m2mi_pg_connect(const char *uri, const m2mi_pg_cfg *cfg, PGconn **out)
{
	/* Our defaults come first; the URI (expanded from dbname, processed last) may override them. */
	static const char *const keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
					   "keepalives_count", "application_name", "options", "dbname", NULL};
	char opts[160], pw[256], msg[MSG_MAX], red[URI_LOG_MAX];
	const char *vals[sizeof(keys) / sizeof(keys[0])] = {M2MI_PG_CONNECT_TIMEOUT_S, "1", "30", "10", "3",
							    "m2msec", opts, uri, NULL};
	PGconn *c;

	*out = NULL;
	(void)snprintf(opts, sizeof(opts), "-c statement_timeout=%d -c lock_timeout=%d", M2MI_PG_STATEMENT_TIMEOUT_MS,
		       M2MI_PG_LOCK_TIMEOUT_MS);
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL)
		return M2M_E_NOMEM;
	if (PQstatus(c) != CONNECTION_OK) {
		uri_password(uri, pw, sizeof(pw));
		scrub(PQerrorMessage(c), pw, msg, sizeof(msg));
		m2mi_pg_redact(uri, red, sizeof(red));
		m2m_log_rl(&rl_conn, M2M_LOG_ERROR, "%s %s: cannot connect: %s", cfg->tag, red, msg);
		explicit_bzero(pw, sizeof(pw));
		PQfinish(c);
		return cfg->err;
	}
	(void)PQsetNoticeProcessor(c, notice_to_log, NULL);
	if (m2mi_pg_exec(c, cfg, cfg->sync_full ? "SET synchronous_commit = on" : "SET synchronous_commit = off") !=
	    M2M_OK) {
		PQfinish(c);
		return cfg->err;
	}
	*out = c;
	return M2M_OK;
}

bool m2mi_pg_lost(const PGconn *c)
{
	return c == NULL || PQstatus(c) != CONNECTION_OK;
}

bool m2mi_pg_conn_gone(const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

m2m_err m2mi_pg_result_err(PGconn *c, const m2mi_pg_cfg *cfg, const PGresult *res)
{
	const char *state, *msg;
	ExecStatusType st;

	if (res == NULL) {
		m2m_log_rl(&rl_stmt, M2M_LOG_ERROR, "%s: no result (%s)", cfg->tag,
			   m2mi_pg_lost(c) ? "connection lost" : "out of memory");
		return cfg->err;
	}
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return M2M_OK;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL && strncmp(state, "23", 2) == 0)
		return M2M_E_EXISTS; /* integrity constraint (class 23), as SQLITE_CONSTRAINT */
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	/* server messages name SQL objects and values, never the connection's password */
	m2m_log_rl(&rl_stmt, M2M_LOG_ERROR, "%s: PostgreSQL %s: %s%s", cfg->tag, state != NULL ? state : "-",
		   msg != NULL ? msg : PQresStatus(st), m2mi_pg_lost(c) ? " (connection lost)" : "");
	if (state != NULL && strcmp(state, "53100") == 0)
		return M2M_E_STORAGE_FULL;
	if (state != NULL && strcmp(state, "25006") == 0)
		return M2M_E_STORAGE_READONLY;
	return cfg->err;
}

m2m_err m2mi_pg_exec(PGconn *c, const m2mi_pg_cfg *cfg, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	m2m_err r = m2mi_pg_result_err(c, cfg, res);

	PQclear(res);
	return r;
}

m2m_err m2mi_pg_prepare(PGconn *c, const m2mi_pg_cfg *cfg, const char *prefix, const char *const *sql, size_t n)
{
	char name[48];
	m2m_err r = M2M_OK;

	for (size_t i = 0; r == M2M_OK && i < n; i++) {
		PGresult *res;

		(void)snprintf(name, sizeof(name), "%s%zu", prefix, i);
		res = PQprepare(c, name, sql[i], 0, NULL);
		r = m2mi_pg_result_err(c, cfg, res);
		PQclear(res);
	}
	return r;
}

/* The highest applied version of component (0: none), inside the migration transaction. */
static m2m_err applied_version(PGconn *c, const m2mi_pg_cfg *cfg, const char *component, long *v)
{
	const char *p[1] = {component};
	PGresult *res = PQexecParams(c, "SELECT coalesce(max(version), 0) FROM m2m_schema_migrations"
				     " WHERE component = $1", 1, NULL, p, NULL, NULL, 0);
	m2m_err r = m2mi_pg_result_err(c, cfg, res);

	if (r == M2M_OK && (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)))
		r = cfg->err;
	if (r == M2M_OK)
		*v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return r;
}

m2m_err m2mi_pg_schema_version(PGconn *c, const m2mi_pg_cfg *cfg, const char *component, long *v)
{
	const char *p[1] = {component};
	PGresult *res;
	m2m_err r;

	*v = 0;
	/* to_regclass: NULL (no error, no aborted transaction) while no store ever migrated here */
	res = PQexec(c, "SELECT to_regclass('m2m_schema_migrations') IS NOT NULL");
	r = m2mi_pg_result_err(c, cfg, res);
	if (r == M2M_OK && (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)) {
		PQclear(res);
		return M2M_OK;
	}
	PQclear(res);
	if (r != M2M_OK)
		return r;
	res = PQexecParams(c, "SELECT coalesce(max(version), 0) FROM m2m_schema_migrations WHERE component = $1", 1,
			   NULL, p, NULL, NULL, 0);
	r = m2mi_pg_result_err(c, cfg, res);
	if (r == M2M_OK && PQntuples(res) == 1)
		*v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return r;
}

static m2m_err migrate(PGconn *c, const m2mi_pg_cfg *cfg, const m2mi_pg_schema *s)
{
	char ver[24];
	const char *p[2] = {s->component, ver};
	long have = 0;
	m2m_err r;

	/* one migrator at a time across every process on this database (released at COMMIT) */
	if ((r = m2mi_pg_exec(c, cfg, "SELECT pg_advisory_xact_lock(7082813561123)")) != M2M_OK ||
	    (r = m2mi_pg_exec(c, cfg, "CREATE TABLE IF NOT EXISTS m2m_schema_migrations (component text NOT NULL,"
				      " version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),"
				      " PRIMARY KEY (component, version))")) != M2M_OK ||
	    (r = applied_version(c, cfg, s->component, &have)) != M2M_OK)
		return r;
	if (have > s->version) {
		m2m_log(M2M_LOG_ERROR, "%s: the database has schema version %ld of %s, newer than the %d this program"
				       " understands: refusing to run (upgrade m2msec)", cfg->tag, have, s->component,
			s->version);
		return s->schema_err;
	}
	for (long v = have + 1; r == M2M_OK && v <= s->version; v++) {
		PGresult *res;

		for (size_t i = 0; r == M2M_OK && i < s->nsteps[v - 1]; i++)
			r = m2mi_pg_exec(c, cfg, s->steps[v - 1][i]);
		if (r != M2M_OK)
			break;
		(void)snprintf(ver, sizeof(ver), "%ld", v);
		res = PQexecParams(c, "INSERT INTO m2m_schema_migrations (component, version) VALUES ($1, $2)", 2,
				   NULL, p, NULL, NULL, 0);
		r = m2mi_pg_result_err(c, cfg, res);
		PQclear(res);
		if (r == M2M_OK)
			m2m_log(M2M_LOG_INFO, "%s: schema of %s migrated to version %ld", cfg->tag, s->component, v);
	}
	return r;
}

m2m_err m2mi_pg_schema_setup(PGconn *c, const m2mi_pg_cfg *cfg, const m2mi_pg_schema *s)
{
	m2m_err r = m2mi_pg_exec(c, cfg, "BEGIN");

	if (r != M2M_OK)
		return r;
	r = migrate(c, cfg, s);
	if (r == M2M_OK)
		r = m2mi_pg_exec(c, cfg, "COMMIT");
	if (r != M2M_OK)
		(void)m2mi_pg_exec(c, cfg, "ROLLBACK");
	return r == M2M_E_EXISTS ? cfg->err : r;
}
