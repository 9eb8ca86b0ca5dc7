/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the connection setup the SQLite stores share (store/sqlite_common.h): the
 * credential store (TS-0003 clause 6.3 secure storage of credentials) and the resource store
 * (TS-0001 clause 9.6 resource tree). A connection gets extended result codes, a busy timeout,
 * SQLITE_DBCONFIG_DEFENSIVE (no writes to sqlite_schema, no dangerous pragmas), untrusted schema
 * (no SQL functions with side effects from views or triggers stored in the file) and a WAL
 * journal; each store chooses its durability and whether deleted content is overwritten. The
 * schema bootstrap runs in one BEGIN IMMEDIATE transaction: a new database gets the store's
 * tables and its row in m2m_schema, an existing one must carry exactly the expected version or
 * the one before it when the store gives the upgrade (run in the same transaction).
 */
#include <pthread.h>
#include <string.h>

#include "core/metrics.h"
#include "m2msec/log.h"
#include "store/sqlite_common.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/*
 * Library-wide SQLite settings, applied once before the first connection. Memory statistics
 * off: with them every sqlite3_malloc/free of every connection takes one process-wide mutex
 * (SQLITE_MUTEX_STATIC_MEM), which the CSE's worker threads, each with its own connection,
 * would otherwise contend on per statement. When something else already initialised SQLite,
 * sqlite3_config answers SQLITE_MISUSE and changes nothing: that is harmless.
 */
static void lib_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlite3_initialize();
}

m2m_err m2mi_sqlite_err(int rc, m2m_err other)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return M2M_OK;
	case SQLITE_NOMEM: return M2M_E_NOMEM;
	case SQLITE_CANTOPEN: return M2M_E_IO;
	case SQLITE_FULL: return M2M_E_STORAGE_FULL;
	case SQLITE_READONLY: return M2M_E_STORAGE_READONLY;
	default: return other;
	}
}

/*
 * A full disk or a read-only file used to give every request a bare 5000 and the operator
 * nothing (issue 6). Conditions of the storage itself are logged with the file and SQLite's
 * generic text for the code (sqlite3_errstr: never a statement, never a value), once per
 * condition and minute with the count of the repeats: a full disk fails every write.
 */
static m2m_log_limiter rl_full = M2M_LOG_LIMITER_INIT(60000);
static m2m_log_limiter rl_readonly = M2M_LOG_LIMITER_INIT(60000);
static m2m_log_limiter rl_io = M2M_LOG_LIMITER_INIT(60000);
static m2m_log_limiter rl_corrupt = M2M_LOG_LIMITER_INIT(60000);

void m2mi_sqlite_note(sqlite3 *db, int rc)
{
	const char *path = db != NULL ? sqlite3_db_filename(db, "main") : NULL;
	m2m_log_limiter *rl;

	switch (rc & 0xff) {
	case SQLITE_FULL: rl = &rl_full; m2mi_metrics_store_error(M2MI_STORE_FULL); break;
	case SQLITE_READONLY: rl = &rl_readonly; m2mi_metrics_store_error(M2MI_STORE_READONLY); break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN: rl = &rl_io; m2mi_metrics_store_error(M2MI_STORE_IO); break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: rl = &rl_corrupt; m2mi_metrics_store_error(M2MI_STORE_CORRUPT); break;
	default: return; /* constraints, busy, misuse: the callers' business */
	}
	m2m_log_rl(rl, M2M_LOG_ERROR, "store %s: %s (SQLite code %d)", path != NULL && path[0] ? path : "(memory)",
		   sqlite3_errstr(rc), rc);
}

m2m_err m2mi_sqlite_exec(sqlite3 *db, const char *sql, m2m_err other)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		m2mi_sqlite_note(db, rc);
	return m2mi_sqlite_err(rc, other);
}

m2m_err m2mi_sqlite_query_int(sqlite3 *db, const char *sql, const char *arg, m2m_err other, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	m2m_err r;
	int rc;

	*v = -1;
	if ((r = m2mi_sqlite_err(sqlite3_prepare_v3(db, sql, -1, 0, &st, NULL), other)) != M2M_OK)
		return r;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		r = rc == SQLITE_DONE ? M2M_E_NOT_FOUND : m2mi_sqlite_err(rc, other);
	sqlite3_finalize(st);
	return r;
}

m2m_err m2mi_sqlite_dup_col(sqlite3_stmt *st, int col, char **out)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	*out = NULL;
	if (t == NULL)
		return M2M_OK;
	return (*out = strdup((const char *)t)) != NULL ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2mi_sqlite_tx_end(sqlite3 *db, m2m_err r, m2m_err other)
{
	if (r == M2M_OK && (r = m2mi_sqlite_exec(db, "COMMIT", other)) == M2M_OK)
		return M2M_OK;
	if (!sqlite3_get_autocommit(db))
		(void)m2mi_sqlite_exec(db, "ROLLBACK", other);
	return r;
}

m2m_err m2mi_sqlite_sync_level(sqlite3 *db, m2m_err other, int64_t *level)
{
	return m2mi_sqlite_query_int(db, "PRAGMA synchronous", NULL, other, level);
}

/* A pragma whose answer must be want (journal_mode may silently stay what it was). */
static m2m_err pragma_expect(sqlite3 *db, const char *sql, const char *want, m2m_err other)
{
	sqlite3_stmt *st = NULL;
	m2m_err r;

	if ((r = m2mi_sqlite_err(sqlite3_prepare_v3(db, sql, -1, 0, &st, NULL), other)) != M2M_OK)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_text(st, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(st, 0), want) != 0) /* public: pragma */
		r = other;
	sqlite3_finalize(st);
	return r;
}

m2m_err m2mi_sqlite_open(const char *path, m2m_err open_err, sqlite3 **out)
{
	sqlite3 *db = NULL;

	*out = NULL;
	(void)pthread_once(&lib_once, lib_init);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW |
					       SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK) {
		sqlite3_close_v2(db); /* SQLite allocates a handle even when the open fails */
		return open_err;
	}
	*out = db;
	return M2M_OK;
}

m2m_err m2mi_sqlite_configure(sqlite3 *db, const m2mi_sqlite_cfg *cfg)
{
	const char *wal = "PRAGMA journal_mode = WAL";
	m2m_err r;

	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_busy_timeout(db, cfg->busy_ms) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK)
		return cfg->err;
	if (cfg->secure_delete && (r = m2mi_sqlite_exec(db, "PRAGMA secure_delete = ON", cfg->err)) != M2M_OK)
		return r;
	if (cfg->foreign_keys && (r = m2mi_sqlite_exec(db, "PRAGMA foreign_keys = ON", cfg->err)) != M2M_OK)
		return r;
	r = cfg->require_wal ? pragma_expect(db, wal, "wal", cfg->err) : m2mi_sqlite_exec(db, wal, cfg->err);
	if (r != M2M_OK)
		return r;
	return m2mi_sqlite_exec(db, cfg->sync == M2MI_SQLITE_SYNC_FULL ? "PRAGMA synchronous = FULL"
								      : "PRAGMA synchronous = NORMAL",
				cfg->err);
}

/*
 * The common case, an existing database of the expected version, checked in a read transaction:
 * a WAL reader neither waits for nor blocks a writer, so opening one more connection (a CSE
 * worker, the credential CLI) never queues behind another connection's write transaction. Any
 * doubt (no table, another version, an error) sends the caller to the locked path, which decides.
 */
static bool schema_current(sqlite3 *db, const m2mi_sqlite_schema *s)
{
	int64_t n = -1, version = -1;
	bool ok;

	if (m2mi_sqlite_exec(db, "BEGIN", s->err) != M2M_OK)
		return false;
	ok = m2mi_sqlite_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
				   s->marker, s->err, &n) == M2M_OK && n == 1 &&
	     m2mi_sqlite_query_int(db, "SELECT version FROM m2m_schema WHERE component = ?1", s->component,
				   s->schema_err, &version) == M2M_OK && version == s->version;
	(void)m2mi_sqlite_tx_end(db, M2M_OK, s->err);
	return ok;
}

m2m_err m2mi_sqlite_schema_setup(sqlite3 *db, const m2mi_sqlite_schema *s)
{
	int64_t n = -1, version = -1;
	m2m_err r;

	if (schema_current(db, s))
		return M2M_OK;
	if ((r = m2mi_sqlite_exec(db, "BEGIN IMMEDIATE", s->err)) != M2M_OK)
		return r;
	r = m2mi_sqlite_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
				  s->marker, s->err, &n);
	if (r == M2M_OK && n == 0) {
		if (s->only_if_empty)
			r = m2mi_sqlite_query_int(db, "SELECT count(*) FROM sqlite_schema", NULL, s->err, &n);
		if (r == M2M_OK && n != 0)
			r = s->schema_err; /* somebody else's database */
		for (size_t i = 0; r == M2M_OK && i < s->ncreate; i++)
			r = m2mi_sqlite_exec(db, s->create[i], s->err);
	} else if (r == M2M_OK) {
		/* no m2m_schema table, no row or another version: not a schema this code knows */
		r = m2mi_sqlite_query_int(db, "SELECT version FROM m2m_schema WHERE component = ?1", s->component,
					  s->schema_err, &version);
		if (r == M2M_OK && version == s->version - 1 && s->nupgrade > 0) /* migrate on open */
			for (size_t i = 0; r == M2M_OK && i < s->nupgrade; i++)
				r = m2mi_sqlite_exec(db, s->upgrade[i], s->err);
		else if (r == M2M_E_NOT_FOUND || (r == M2M_OK && version != s->version))
			r = s->schema_err;
	}
	return m2mi_sqlite_tx_end(db, r, s->err);
}
