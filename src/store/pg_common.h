/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements what every PostgreSQL-backed store shares (store/resstore_pg.c now, the
 * credential and MEF stores later): recognising a postgresql:// URI, its redaction for logs (the
 * password never leaves this module), a bounded connection (connect_timeout, statement_timeout,
 * lock_timeout, TCP keepalives, synchronous_commit), statements prepared by index, SQLSTATE to
 * m2m_err mapping, and the versioned migrations of a store's schema (table m2m_schema_migrations:
 * one row per applied version and component, applied under an advisory lock so two processes
 * starting together migrate once; a database newer than the program is refused).
 */
#ifndef M2M_STORE_PG_COMMON_H
#define M2M_STORE_PG_COMMON_H

#include <libpq-fe.h>

#include "m2msec/err.h"

/* Defaults of the deadlines (the URI may override connect_timeout and, through its options
 * parameter, statement_timeout / lock_timeout; docs/config.md). */
#define M2MI_PG_CONNECT_TIMEOUT_S "5"
#define M2MI_PG_STATEMENT_TIMEOUT_MS 5000
#define M2MI_PG_LOCK_TIMEOUT_MS 4000

/* s starts with postgresql:// or postgres:// */
bool m2mi_pg_is_uri(const char *s);

/* Copy uri into out (cap bytes, truncated, always terminated) with the password of the
 * userinfo and any password= parameter replaced by "***". */
void m2mi_pg_redact(const char *uri, char *out, size_t cap);

typedef struct m2mi_pg_cfg {
	bool sync_full;  /* synchronous_commit = on (else off: a server crash may drop the last commits) */
	m2m_err err;     /* the store's generic error (M2M_E_RESSTORE, M2M_E_STORE) */
	const char *tag; /* the store's name in log lines ("resource store") */
} m2mi_pg_cfg;

/* Connect to uri and apply the session settings. On failure *out is NULL, err is returned and
 * one rate-limited line names the redacted URI and libpq's reason (password scrubbed). */
M2M_WUR m2m_err m2mi_pg_connect(const char *uri, const m2mi_pg_cfg *cfg, PGconn **out);

/* A command without parameters (BEGIN, SAVEPOINT ...): M2M_OK, or cfg->err after logging. */
m2m_err m2mi_pg_exec(PGconn *c, const m2mi_pg_cfg *cfg, const char *sql);

/* Prepare sql[i] as statement "<prefix><i>" for every i < n. */
M2M_WUR m2m_err m2mi_pg_prepare(PGconn *c, const m2mi_pg_cfg *cfg, const char *prefix, const char *const *sql,
				size_t n);

/* The m2m_err of a finished result: M2M_OK for COMMAND_OK/TUPLES_OK, M2M_E_EXISTS for a
 * constraint violation (class 23: unique, check, not null), M2M_E_STORAGE_FULL for 53100, M2M_E_STORAGE_READONLY for 25006,
 * else cfg->err (logged, rate-limited, with SQLSTATE). NULL res (out of memory or the
 * connection gone) is cfg->err. */
m2m_err m2mi_pg_result_err(PGconn *c, const m2mi_pg_cfg *cfg, const PGresult *res);

/* The connection is unusable (lost): the caller reconnects before its next transaction. */
bool m2mi_pg_lost(const PGconn *c);

/* res failed because the server ended the session (SQLSTATE class 08, or 57P01..57P03: shut
 * down, terminated by an administrator, cannot connect now), even if libpq has not yet seen the
 * socket close: the caller treats the connection as lost. */
bool m2mi_pg_conn_gone(const PGresult *res);

/* One store's schema as a sequence of migrations: steps[v - 1] (nsteps[v - 1] statements) turns
 * version v - 1 into v; version = the number of steps, the only version this program writes. */
typedef struct m2mi_pg_schema {
	const char *component;
	const char *const *const *steps;
	const size_t *nsteps;
	int version;
	m2m_err schema_err; /* the database is newer than this program */
} m2mi_pg_schema;

/* The applied schema version of component outside any migration (0: none, or no migrations
 * table yet): a store's create (M2M_E_EXISTS when > 0) and open (M2M_E_NOT_FOUND when 0). */
M2M_WUR m2m_err m2mi_pg_schema_version(PGconn *c, const m2mi_pg_cfg *cfg, const char *component, long *v);

/* Bring the database to s->version in one transaction under an advisory lock; refuse a newer
 * one (s->schema_err, logged with both versions). */
M2M_WUR m2m_err m2mi_pg_schema_setup(PGconn *c, const m2mi_pg_cfg *cfg, const m2mi_pg_schema *s);

#endif
