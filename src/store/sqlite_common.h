/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of store/sqlite_common.c: what the SQLite stores
 * (credential store, TS-0003 clause 6.3 secure storage; resource store, TS-0001 clause 9.6)
 * share about a connection: result-code mapping, the hardened connection setup (extended result
 * codes, busy timeout, DEFENSIVE, no trusted schema, WAL) and the versioned schema bootstrap.
 * Each store passes its own differences (durability, secure_delete, error codes) as parameters.
 */
#ifndef M2M_STORE_SQLITE_COMMON_H
#define M2M_STORE_SQLITE_COMMON_H

#include <sqlite3.h>

#include "m2msec/err.h"

/* PRAGMA synchronous of a connection. */
typedef enum m2mi_sqlite_sync {
	M2MI_SQLITE_SYNC_NORMAL, /* WAL: durable at checkpoints (the resource store) */
	M2MI_SQLITE_SYNC_FULL,   /* every commit synced (credentials) */
} m2mi_sqlite_sync;

/* How a store wants its connection; the rest of the setup is the same for every store. */
typedef struct m2mi_sqlite_cfg {
	int busy_ms;               /* sqlite3_busy_timeout */
	m2mi_sqlite_sync sync;     /* PRAGMA synchronous */
	bool secure_delete;        /* PRAGMA secure_delete = ON: deleted key bytes are overwritten */
	bool foreign_keys;         /* PRAGMA foreign_keys = ON */
	bool require_wal;          /* fail unless journal_mode really became WAL */
	m2m_err err;               /* the store's generic error (M2M_E_STORE, M2M_E_RESSTORE) */
} m2mi_sqlite_cfg;

/* A store's schema: created in a new database, its version checked in an existing one. */
typedef struct m2mi_sqlite_schema {
	const char *component;     /* its row in m2m_schema (component, version) */
	int64_t version;           /* the only version understood */
	const char *marker;        /* a table whose absence means "not created yet" */
	bool only_if_empty;        /* refuse to create it next to other tables (somebody else's file) */
	const char *const *create; /* the statements creating the schema, m2m_schema row included */
	size_t ncreate;
	/* the statements upgrading a database of version - 1 to version (m2m_schema row included),
	 * run in the same locked transaction; none: version - 1 is refused like any other */
	const char *const *upgrade;
	size_t nupgrade;
	m2m_err err;               /* the store's generic error */
	m2m_err schema_err;        /* unknown version or foreign database */
} m2mi_sqlite_schema;

/* M2M_OK for SQLITE_OK/ROW/DONE, M2M_E_NOMEM, M2M_E_IO for CANTOPEN, M2M_E_STORAGE_FULL,
 * M2M_E_STORAGE_READONLY, else other. */
m2m_err m2mi_sqlite_err(int rc, m2m_err other);
/* Log a condition of the storage itself (full, read-only, I/O error, corrupt) of db's file,
 * rate-limited per condition; other codes are not logged. Never logs statements or values. */
void m2mi_sqlite_note(sqlite3 *db, int rc);
/* sqlite3_exec of sql (no result rows), mapped by m2mi_sqlite_err. */
m2m_err m2mi_sqlite_exec(sqlite3 *db, const char *sql, m2m_err other);
/* Column 0 of the first row of sql (arg bound to ?1 unless NULL) into *v; M2M_E_NOT_FOUND
 * without a row (*v is then -1). */
m2m_err m2mi_sqlite_query_int(sqlite3 *db, const char *sql, const char *arg, m2m_err other, int64_t *v);
/* A copy of text column col of the current row into *out (NULL for SQL NULL); M2M_E_NOMEM. */
m2m_err m2mi_sqlite_dup_col(sqlite3_stmt *st, int col, char **out);
/* End a transaction: COMMIT when r is M2M_OK, else (or when COMMIT fails) ROLLBACK. Returns the
 * final status. */
m2m_err m2mi_sqlite_tx_end(sqlite3 *db, m2m_err r, m2m_err other);
/* Open an existing file read-write with extended result codes, without following a symlink and
 * without a mutex (one thread per handle at a time). *out is NULL unless M2M_OK; open_err is
 * returned when SQLite cannot open it, and nothing stays open then. */
M2M_WUR m2m_err m2mi_sqlite_open(const char *path, m2m_err open_err, sqlite3 **out);
/* PRAGMA synchronous in effect on db (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA), read back. */
M2M_WUR m2m_err m2mi_sqlite_sync_level(sqlite3 *db, m2m_err other, int64_t *level);
/* Configure a new connection per cfg (see m2mi_sqlite_cfg); call before any other statement. */
M2M_WUR m2m_err m2mi_sqlite_configure(sqlite3 *db, const m2mi_sqlite_cfg *cfg);
/* Check the version of an existing s in a read transaction (no write lock, no wait for a
 * writer); otherwise create s, or refuse it, in one BEGIN IMMEDIATE transaction. */
M2M_WUR m2m_err m2mi_sqlite_schema_setup(sqlite3 *db, const m2mi_sqlite_schema *s);

#endif
