/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the SQLite backend of the credential store (store/credstore_backend.h):
 * storage of TS-0003 clause 10.3 symmetric keys and clause 10.1 certificates with their
 * metadata. The file rules (created 0600, refused when group/other-accessible: docs/style.md
 * #12) are store/credstore_file.c's; this file checks they still hold once SQLite has opened the
 * file and made its -wal/-shm. The connection (store/sqlite_common.c) has a WAL journal,
 * synchronous=FULL, a busy timeout, secure_delete and a schema version table; prepared
 * statements with bound parameters only (prepared once per connection and kept: SQLITE_PREPARE_
 * PERSISTENT, reset and cleared after every use), and every write in one BEGIN IMMEDIATE transaction
 * that is rolled back on any error. Key bytes are bound straight from the caller's m2m_key
 * (SQLITE_STATIC: SQLite makes no heap copy) and read back straight into a new m2m_key. Look-ups
 * go through an exact memo of the last records read (store/credstore_memo.c), valid while PRAGMA
 * data_version shows no other connection's commit and cleared by this connection's own writes;
 * the WAL-index header tells without a read transaction that no commit happened since the last
 * data_version (store/sqlite_walwatch.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "store/credstore_backend.h"
#include "store/credstore_file.h"
#include "store/credstore_memo.h"
#include "store/credstore_sqlite.h"
#include "store/sqlite_common.h"
#include "store/sqlite_walwatch.h"

#define SCHEMA_VERSION 2 /* 2: cred.attrs (docs/credstore.md "Schema") */
#define BUSY_TIMEOUT_MS 5000

#define INFO_COLS_ "id, kind, owner, suid, not_before, not_after, state, revoked_at, created_at, last_used, attrs"
#define INFO_COLS INFO_COLS_

/* The statements kept per connection (prepared on first use, finalized on close): preparing
 * was a large share of a TLS-PSK or ESPrim key lookup (docs/benchmarks.md bench/e2e). */
enum {
	S_FETCH,
	S_TARGETS,
	S_TOUCH,
	S_EXISTS,
	S_COUNT_OWNER,
	S_DATA_VERSION,
	S_N
};

static const char *const stmt_sql[S_N] = {
	[S_FETCH] = "SELECT " INFO_COLS_ ", CASE WHEN ?2 THEN key_bytes END, CASE WHEN ?3 THEN cert_pem END"
		    " FROM cred WHERE id_fold = ?1",
	[S_TARGETS] = "SELECT target FROM cred_target WHERE cred_id = ?1 ORDER BY pos",
	/* an UPDATE only when it moves last_used forward (one-second resolution, the PostgreSQL
	 * backend's rule): a use within a second already recorded changes nothing */
	[S_TOUCH] = "UPDATE cred SET last_used = ?2 WHERE id = ?1 AND last_used < ?2",
	[S_EXISTS] = "SELECT count(*) FROM cred WHERE id = ?1",
	/* active = m2m_credstore_state_at: not revoked, inside [not_before, not_after) */
	[S_COUNT_OWNER] = ("SELECT COALESCE(SUM(state = 'active' AND not_before <= ?3 AND (not_after = 0 OR"
			   " not_after > ?3)), 0), COUNT(*) FROM cred WHERE kind = ?1 AND owner = ?2"),
	/* changes when any OTHER connection (any process) commits to the file: the memo's epoch */
	[S_DATA_VERSION] = "PRAGMA data_version",
};

typedef struct sqlite_be {
	sqlite3 *db;
	sqlite3_stmt *st[S_N]; /* kept statements, NULL until first use; used under mu only */
	pthread_mutex_t mu; /* one operation (and its transaction) at a time per handle; recursive:
			       a grouping transaction holds it from begin to end */
	bool in_tx;         /* inside m2m_credstore_begin: operations use savepoints */
	bool read_tx;       /* inside m2m_credstore_begin_read: every write is refused */
	m2mi_cred_memo *memo; /* exact lookup memo (docs/credstore.md "Lookup memo"); under mu */
	m2mi_wal_watch watch; /* no commit since version was read: no data_version to ask */
	int64_t version;
	uint64_t version_reads; /* PRAGMA data_version runs (tests: the header spares them) */
} sqlite_be;

static const char *const schema_v1[] = {
	"CREATE TABLE m2m_schema (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) STRICT",
	"CREATE TABLE cred ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" id_fold TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL CHECK (kind IN ('kpm','ke','km','kpsa','kc','cert')),"
	" owner TEXT,"
	" suid INTEGER NOT NULL DEFAULT 0,"
	" not_before INTEGER NOT NULL DEFAULT 0 CHECK (not_before >= 0),"
	" not_after INTEGER NOT NULL DEFAULT 0 CHECK (not_after >= 0),"
	" state TEXT NOT NULL CHECK (state IN ('active','revoked')),"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL DEFAULT 0,"
	" last_used INTEGER NOT NULL DEFAULT 0,"
	" key_bytes BLOB,"
	" cert_pem TEXT,"
	" attrs TEXT,"
	" CHECK ((kind = 'cert' AND key_bytes IS NULL AND cert_pem IS NOT NULL) OR"
	"        (kind <> 'cert' AND cert_pem IS NULL AND key_bytes IS NOT NULL AND length(key_bytes) BETWEEN 16 AND 64))"
	") STRICT",
	"CREATE TABLE cred_target ("
	" cred_id TEXT NOT NULL REFERENCES cred(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL,"
	" target TEXT NOT NULL,"
	" PRIMARY KEY (cred_id, pos), UNIQUE (cred_id, target)) STRICT",
	"INSERT INTO m2m_schema (component, version) VALUES ('credstore', 2)",
};

/* Schema 1 -> 2: the optional attrs text of a record; existing records get none. */
static const char *const upgrade_v2[] = {
	"ALTER TABLE cred ADD COLUMN attrs TEXT",
	"UPDATE m2m_schema SET version = 2 WHERE component = 'credstore'",
};


static m2m_err sq_err(int rc)
{
	return m2mi_sqlite_err(rc, M2M_E_STORE);
}

/* The error for a step that did not return what was expected; never M2M_OK. */
static m2m_err rc_err(int rc)
{
	m2m_err r = sq_err(rc);

	return r != M2M_OK ? r : M2M_E_STORE;
}

static m2m_err exec(sqlite3 *db, const char *sql)
{
	return m2mi_sqlite_exec(db, sql, M2M_E_STORE);
}

static m2m_err prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return sq_err(sqlite3_prepare_v3(db, sql, -1, 0, st, NULL));
}

/* A kept statement, prepared on its first use; give it back with put(). */
static m2m_err get(sqlite_be *be, int which, sqlite3_stmt **st)
{
	if (be->st[which] == NULL) {
		int rc = sqlite3_prepare_v3(be->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
					    &be->st[which], NULL);
		if (rc != SQLITE_OK) {
			be->st[which] = NULL;
			return sq_err(rc);
		}
	}
	*st = be->st[which];
	return M2M_OK;
}

/* Done with a kept statement: reset (ends its read of the snapshot) and unbind (no pointer to
 * the caller's buffers, key bytes included, stays behind). */
static void put(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static m2m_err tx_end(sqlite3 *db, m2m_err r)
{
	return m2mi_sqlite_tx_end(db, r, M2M_E_STORE);
}

static const m2mi_sqlite_cfg db_cfg = {
	.busy_ms = BUSY_TIMEOUT_MS,
	.sync = M2MI_SQLITE_SYNC_FULL,
	.secure_delete = true,
	.foreign_keys = true,
	.require_wal = true,
	.err = M2M_E_STORE,
};

static const m2mi_sqlite_schema db_schema = {
	.component = "credstore",
	.version = SCHEMA_VERSION,
	.marker = "m2m_schema",
	.only_if_empty = true,
	.create = schema_v1,
	.ncreate = sizeof(schema_v1) / sizeof(schema_v1[0]),
	.upgrade = upgrade_v2,
	.nupgrade = sizeof(upgrade_v2) / sizeof(upgrade_v2[0]),
	.err = M2M_E_STORE,
	.schema_err = M2M_E_STORE_SCHEMA,
};

/* An operation's own transaction, or a savepoint inside a grouping one (m2m_credstore_begin). */
static m2m_err op_begin(sqlite_be *be, bool write)
{
	if (be->in_tx && be->read_tx && write)
		return M2M_E_INVAL; /* a read transaction writes nothing (and takes no write lock) */
	if (be->in_tx)
		return exec(be->db, "SAVEPOINT op");
	return exec(be->db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static m2m_err op_end(sqlite_be *be, m2m_err r)
{
	m2m_err r2;

	if (!be->in_tx)
		return tx_end(be->db, r);
	if (r != M2M_OK)
		(void)exec(be->db, "ROLLBACK TO op");
	r2 = exec(be->db, "RELEASE op");
	return r != M2M_OK ? r : r2;
}

/* This connection writes: data_version will not show it, so the memo forgets everything. */
static void memo_write(sqlite_be *be)
{
	m2mi_cred_memo_clear(be->memo);
}

static void be_free(sqlite_be *be)
{
	if (be == NULL)
		return;
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(be->st[i]);
	sqlite3_close_v2(be->db);
	m2mi_wal_watch_close(&be->watch);
	m2mi_cred_memo_free(be->memo);
	pthread_mutex_destroy(&be->mu);
	free(be);
}

/* path is still the private file identified by before, and so are its companions. */
static m2m_err same_file(const char *path, const struct stat *before)
{
	struct stat now;
	m2m_err r = m2mi_credstore_file_check(path, &now);

	if (r == M2M_OK && (now.st_dev != before->st_dev || now.st_ino != before->st_ino))
		r = M2M_E_IO;
	return r;
}

static m2m_err sq_open(const char *path, bool create, void **out)
{
	sqlite_be *be = NULL;
	struct stat before;
	m2m_err r;

	*out = NULL;
	r = create ? m2mi_credstore_file_create(path, &before) : m2mi_credstore_file_check(path, &before);
	if (r != M2M_OK)
		return r;
	if ((be = calloc(1, sizeof(*be))) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	be->watch.fd = -1;
	if (m2mi_credstore_mutex_init(&be->mu) != 0) {
		free(be);
		be = NULL;
		r = M2M_E_INTERNAL;
		goto out;
	}
	if ((r = m2mi_cred_memo_new(&be->memo)) != M2M_OK ||
	    (r = m2mi_sqlite_open(path, M2M_E_STORE, &be->db)) != M2M_OK)
		goto out;
	/* SQLite opened the file we created or checked (no swap in between)... */
	if ((r = same_file(path, &before)) != M2M_OK)
		goto out;
	if ((r = m2mi_sqlite_configure(be->db, &db_cfg)) != M2M_OK ||
	    (r = m2mi_sqlite_schema_setup(be->db, &db_schema)) != M2M_OK)
		goto out;
	/* ...and the -wal/-shm it made on the way are private too. */
	if ((r = same_file(path, &before)) == M2M_OK)
		m2mi_wal_watch_open(&be->watch, path); /* configure made it WAL (require_wal) */
out:
	if (r != M2M_OK) {
		be_free(be);
		if (create)
			m2mi_credstore_file_remove(path);
		return r;
	}
	*out = be;
	return M2M_OK;
}

static void sq_close(void *p)
{
	be_free(p);
}

m2m_err m2mi_credstore_sqlite_sync_level(void *p, int64_t *level)
{
	sqlite_be *be = p;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	r = m2mi_sqlite_sync_level(be->db, M2M_E_STORE, level);
	pthread_mutex_unlock(&be->mu);
	return r;
}

void m2mi_credstore_sqlite_memo_stats(void *p, uint64_t *hits, uint64_t *version_reads)
{
	sqlite_be *be = p;

	pthread_mutex_lock(&be->mu);
	*hits = m2mi_cred_memo_hits(be->memo);
	*version_reads = be->version_reads;
	pthread_mutex_unlock(&be->mu);
}

/* ---- rows ------------------------------------------------------------------------------- */

/* The first ten columns of a row (INFO_COLS) into a new info; targets are read separately. */
static m2m_err row_info(sqlite3_stmt *st, m2m_cred_info **out)
{
	m2m_cred_info *c = NULL;
	const unsigned char *txt;
	m2m_err r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	if ((r = m2mi_sqlite_dup_col(st, 0, &c->id)) != M2M_OK ||
	    (r = m2mi_sqlite_dup_col(st, 2, &c->owner)) != M2M_OK)
		goto out;
	txt = sqlite3_column_text(st, 1);
	if (c->id == NULL || txt == NULL || m2m_credstore_kind_from_name((const char *)txt, &c->kind) != M2M_OK) {
		r = M2M_E_STORE;
		goto out;
	}
	c->suid = sqlite3_column_int(st, 3);
	c->not_before = sqlite3_column_int64(st, 4);
	c->not_after = sqlite3_column_int64(st, 5);
	txt = sqlite3_column_text(st, 6);
	if (txt != NULL && strcmp((const char *)txt, "active") == 0) /* public: state */
		c->state = M2M_CRED_STATE_ACTIVE;
	else if (txt != NULL && strcmp((const char *)txt, "revoked") == 0) /* public: state */
		c->state = M2M_CRED_STATE_REVOKED;
	else
		r = M2M_E_STORE;
	c->revoked_at = sqlite3_column_int64(st, 7);
	c->created_at = sqlite3_column_int64(st, 8);
	c->last_used = sqlite3_column_int64(st, 9);
	if (r == M2M_OK)
		r = m2mi_sqlite_dup_col(st, 10, &c->attrs);
out:
	if (r != M2M_OK) {
		m2m_credstore_info_free(c);
		return r;
	}
	*out = c;
	return M2M_OK;
}

static m2m_err read_targets(sqlite3_stmt *st, m2m_cred_info *c)
{
	m2m_err r = M2M_OK;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **t = NULL;
		if (c->ntargets >= M2M_CRED_MAX_TARGETS ||
		    (t = realloc(c->targets, (c->ntargets + 1) * sizeof(char *))) == NULL) {
			r = c->ntargets >= M2M_CRED_MAX_TARGETS ? M2M_E_STORE : M2M_E_NOMEM;
			break;
		}
		c->targets = t;
		if ((r = m2mi_sqlite_dup_col(st, 0, &c->targets[c->ntargets])) != M2M_OK)
			break;
		if (c->targets[c->ntargets++] == NULL) {
			r = M2M_E_STORE;
			break;
		}
	}
	if (r == M2M_OK && rc != SQLITE_DONE)
		r = rc_err(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

/* ---- operations ------------------------------------------------------------------------- */

/* Step a bound INSERT: a taken unique key is M2M_E_EXISTS. */
static m2m_err step_insert(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return M2M_E_EXISTS;
	return rc == SQLITE_DONE ? M2M_OK : rc_err(rc);
}

static m2m_err insert_targets(sqlite3 *db, const m2m_cred_info *c);

static m2m_err insert_locked(sqlite3 *db, const m2mi_cred_row *row)
{
	const m2m_cred_info *c = row->info;
	sqlite3_stmt *st = NULL;
	m2m_err r;

	r = prep(db, "INSERT INTO cred (id, id_fold, kind, owner, suid, not_before, not_after, state,"
		     " revoked_at, created_at, last_used, key_bytes, cert_pem, attrs)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', 0, ?8, 0, ?9, ?10, ?11)", &st);
	if (r != M2M_OK)
		return r;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, row->fold, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m2m_credstore_kind_name(c->kind), -1, SQLITE_STATIC);
	if (c->owner != NULL)
		sqlite3_bind_text(st, 4, c->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, c->suid);
	sqlite3_bind_int64(st, 6, c->not_before);
	sqlite3_bind_int64(st, 7, c->not_after);
	sqlite3_bind_int64(st, 8, c->created_at);
	/* SQLITE_STATIC: SQLite reads the m2m_key buffer in place, no unwiped heap copy. */
	if (row->key != NULL)
		sqlite3_bind_blob(st, 9, row->key, (int)row->keylen, SQLITE_STATIC);
	if (row->cert_pem != NULL)
		sqlite3_bind_text(st, 10, row->cert_pem, -1, SQLITE_STATIC);
	if (c->attrs != NULL)
		sqlite3_bind_text(st, 11, c->attrs, -1, SQLITE_STATIC);
	r = step_insert(st);
	sqlite3_clear_bindings(st);
	sqlite3_finalize(st);
	st = NULL;
	if (r != M2M_OK)
		return r;
	return insert_targets(db, c);
}

static m2m_err insert_targets(sqlite3 *db, const m2m_cred_info *c)
{
	sqlite3_stmt *st = NULL;
	m2m_err r = M2M_OK;

	if (c->ntargets == 0)
		return M2M_OK;
	if ((r = prep(db, "INSERT INTO cred_target (cred_id, pos, target) VALUES (?1, ?2, ?3)", &st)) != M2M_OK)
		return r;
	for (size_t i = 0; r == M2M_OK && i < c->ntargets; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, c->targets[i], -1, SQLITE_STATIC);
		r = step_insert(st);
	}
	sqlite3_finalize(st);
	return r;
}

static m2m_err sq_insert(void *p, const m2mi_cred_row *row)
{
	sqlite_be *be = p;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	memo_write(be);
	if ((r = op_begin(be, true)) == M2M_OK)
		r = op_end(be, insert_locked(be->db, row));
	pthread_mutex_unlock(&be->mu);
	return r;
}

static m2m_err fetch_locked(sqlite_be *be, const char *fold, m2m_cred_info **info, m2m_key **key,
			    char **pem)
{
	sqlite3_stmt *st = NULL, *tg = NULL;
	m2m_cred_info *c = NULL;
	m2m_err r;
	int rc;

	if ((r = get(be, S_FETCH, &st)) != M2M_OK)
		return r;
	sqlite3_bind_text(st, 1, fold, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, key != NULL);
	sqlite3_bind_int(st, 3, pem != NULL);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? M2M_E_NOT_FOUND : (rc_err(rc));
		goto out;
	}
	if ((r = row_info(st, &c)) != M2M_OK)
		goto out;
	if (key != NULL && sqlite3_column_type(st, 11) == SQLITE_BLOB) {
		const void *b = sqlite3_column_blob(st, 11);
		int n = sqlite3_column_bytes(st, 11);
		if (b == NULL || (r = m2m_key_new(b, (size_t)n, key)) != M2M_OK) {
			r = r != M2M_OK ? r : M2M_E_STORE;
			goto out;
		}
	}
	if (pem != NULL && (r = m2mi_sqlite_dup_col(st, 12, pem)) != M2M_OK)
		goto out;
	if ((r = get(be, S_TARGETS, &tg)) != M2M_OK || (r = read_targets(tg, c)) != M2M_OK)
		goto out;
	*info = c;
	c = NULL;
out:
	if (r != M2M_OK) {
		if (key != NULL) {
			m2m_key_free(*key);
			*key = NULL;
		}
		if (pem != NULL) {
			free(*pem);
			*pem = NULL;
		}
	}
	m2m_credstore_info_free(c);
	put(tg);
	put(st);
	return r;
}

/* The database as this connection last saw it: PRAGMA data_version, which changes when another
 * connection (this process or another) commits, never for this connection's own commits (those
 * clear the memo where they are made: memo_write). */
static m2m_err pragma_version(sqlite_be *be, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	m2m_err r;
	int rc;

	if ((r = get(be, S_DATA_VERSION, &st)) != M2M_OK)
		return r;
	be->version_reads++;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		r = rc_err(rc);
	put(st);
	return r;
}

/* data_version, without asking while the watch shows no commit since it was last read. */
static m2m_err data_version(sqlite_be *be, int64_t *v)
{
	m2m_err r;

	if (m2mi_wal_watch_quiet(&be->watch)) {
		*v = be->version;
		return M2M_OK;
	}
	r = pragma_version(be, v);
	m2mi_wal_watch_arm(&be->watch, r == M2M_OK);
	if (r == M2M_OK)
		be->version = *v;
	return r;
}

/* fetch_locked through the memo: a record the memo kept answers while data_version has not moved
 * since it was read (the read after it happened under the same or an older epoch: never staler).
 * Certificates (pem) are not kept. A memo that cannot keep a copy changes nothing but speed. */
static m2m_err fetch_memo(sqlite_be *be, const char *fold, m2m_cred_info **info, m2m_key **key,
			  char **pem)
{
	int64_t v = 0;
	m2m_err r;

	if (pem != NULL)
		return fetch_locked(be, fold, info, key, pem);
	if ((r = data_version(be, &v)) != M2M_OK)
		return r;
	m2mi_cred_memo_epoch(be->memo, v);
	if ((r = m2mi_cred_memo_get(be->memo, fold, info, key)) != M2M_E_NOT_FOUND)
		return r;
	if ((r = fetch_locked(be, fold, info, key, NULL)) == M2M_OK)
		(void)m2mi_cred_memo_put(be->memo, fold, *info, key != NULL ? *key : NULL);
	return r;
}

static m2m_err sq_fetch(void *p, const char *fold, m2m_cred_info **info, m2m_key **key, char **pem)
{
	sqlite_be *be = p;
	m2m_err r;

	*info = NULL;
	if (key != NULL)
		*key = NULL;
	if (pem != NULL)
		*pem = NULL;
	pthread_mutex_lock(&be->mu);
	/* One snapshot for the record and its targets. Outside a grouping transaction that is the
	 * implicit read transaction of the record's statement, which fetch_locked keeps open while it
	 * reads the targets (SQLite ends an implicit transaction when its last statement is reset):
	 * no BEGIN / ROLLBACK to parse and run on every look-up (a TLS handshake, an ESPrim request). */
	if (!be->in_tx)
		r = fetch_memo(be, fold, info, key, pem);
	else if ((r = op_begin(be, false)) == M2M_OK) {
		r = fetch_locked(be, fold, info, key, pem);
		(void)op_end(be, M2M_E_INTERNAL); /* read only: always ROLLBACK */
	}
	pthread_mutex_unlock(&be->mu);
	return r;
}

/* Collected under the lock, delivered after it, so that callbacks may use the store. */
static m2m_err list_locked(sqlite_be *be, unsigned kinds, m2m_cred_info ***all, size_t *n)
{
	sqlite3_stmt *st = NULL, *tg = NULL;
	m2m_err r;
	int rc;

	if ((r = prep(be->db, "SELECT " INFO_COLS " FROM cred ORDER BY kind, id", &st)) != M2M_OK ||
	    (r = get(be, S_TARGETS, &tg)) != M2M_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m2m_cred_info *c = NULL, **grown;
		if ((r = row_info(st, &c)) != M2M_OK)
			break;
		if ((kinds & (unsigned)c->kind) == 0) {
			m2m_credstore_info_free(c);
			continue;
		}
		if ((r = read_targets(tg, c)) != M2M_OK ||
		    (grown = realloc(*all, (*n + 1) * sizeof(**all))) == NULL) {
			m2m_credstore_info_free(c);
			r = r != M2M_OK ? r : M2M_E_NOMEM;
			break;
		}
		*all = grown;
		(*all)[(*n)++] = c;
	}
	if (r == M2M_OK && rc != SQLITE_DONE)
		r = rc_err(rc);
out:
	put(tg);
	sqlite3_finalize(st);
	return r;
}

static m2m_err sq_list(void *p, unsigned kinds, m2m_credstore_list_fn fn, void *arg)
{
	sqlite_be *be = p;
	m2m_cred_info **all = NULL;
	size_t n = 0;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	if ((r = op_begin(be, false)) == M2M_OK) {
		r = list_locked(be, kinds, &all, &n);
		(void)op_end(be, M2M_E_INTERNAL); /* read only: always ROLLBACK */
	}
	pthread_mutex_unlock(&be->mu);
	for (size_t i = 0; r == M2M_OK && i < n; i++)
		r = fn(all[i], arg);
	for (size_t i = 0; i < n; i++)
		m2m_credstore_info_free(all[i]);
	free(all);
	return r;
}

/* Run one bound UPDATE/DELETE on id in its own transaction; *changed gets the row count. */
static m2m_err write_one(sqlite_be *be, const char *sql, const char *id, int64_t now, bool bind_now,
			 int *changed)
{
	sqlite3_stmt *st = NULL;
	m2m_err r;
	int rc;

	*changed = 0;
	memo_write(be);
	if ((r = op_begin(be, true)) != M2M_OK)
		return r;
	if ((r = prep(be->db, sql, &st)) == M2M_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (bind_now)
			sqlite3_bind_int64(st, 2, now);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = rc_err(rc);
		else
			*changed = sqlite3_changes(be->db);
		sqlite3_finalize(st);
	}
	return op_end(be, r);
}

static m2m_err exists_locked(sqlite_be *be, const char *id)
{
	sqlite3_stmt *st = NULL;
	m2m_err r;
	int rc;

	if ((r = get(be, S_EXISTS, &st)) != M2M_OK)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = sqlite3_column_int64(st, 0) > 0 ? M2M_OK : M2M_E_NOT_FOUND;
	else
		r = rc_err(rc);
	put(st);
	return r;
}

static m2m_err sq_revoke(void *p, const char *id, int64_t now)
{
	sqlite_be *be = p;
	int changed = 0;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	r = write_one(be, "UPDATE cred SET state = 'revoked', revoked_at = ?2 WHERE id = ?1 AND state = 'active'",
		      id, now, true, &changed);
	if (r == M2M_OK && changed == 0)
		r = exists_locked(be, id); /* already revoked: OK; gone: NOT_FOUND */
	pthread_mutex_unlock(&be->mu);
	return r;
}

static m2m_err sq_touch(void *p, const char *id, int64_t now)
{
	sqlite_be *be = p;
	sqlite3_stmt *st = NULL;
	int changed = 0, rc;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	if ((r = op_begin(be, true)) == M2M_OK) {
		if ((r = get(be, S_TOUCH, &st)) == M2M_OK) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, now);
			if ((rc = sqlite3_step(st)) != SQLITE_DONE)
				r = rc_err(rc);
			else
				changed = sqlite3_changes(be->db);
			put(st);
		}
		if (r == M2M_OK && changed == 0)
			r = exists_locked(be, id); /* already as recent: OK; gone: NOT_FOUND */
		r = op_end(be, r);
	}
	/* the memo follows an own write it knows exactly (last_used = now), else forgets the record */
	if (r == M2M_OK && changed == 1)
		m2mi_cred_memo_touched(be->memo, id, now);
	else if (r == M2M_OK)
		m2mi_cred_memo_drop_id(be->memo, id);
	else
		memo_write(be);
	pthread_mutex_unlock(&be->mu);
	return r;
}

static m2m_err sq_remove(void *p, const char *id)
{
	sqlite_be *be = p;
	int changed = 0;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	/* cred_target rows go with ON DELETE CASCADE in the same transaction */
	r = write_one(be, "DELETE FROM cred WHERE id = ?1", id, 0, false, &changed);
	pthread_mutex_unlock(&be->mu);
	return r == M2M_OK && changed == 0 ? M2M_E_NOT_FOUND : r;
}

static m2m_err update_locked(sqlite3 *db, const char *id, unsigned what, const m2m_cred_info *v)
{
	sqlite3_stmt *st = NULL;
	m2m_err r;
	int rc;

	r = prep(db, "UPDATE cred SET not_after = CASE WHEN ?2 THEN ?3 ELSE not_after END,"
		     " attrs = CASE WHEN ?4 THEN ?5 ELSE attrs END WHERE id = ?1", &st);
	if (r != M2M_OK)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (what & M2M_CRED_SET_NOT_AFTER) != 0);
	sqlite3_bind_int64(st, 3, v->not_after);
	sqlite3_bind_int(st, 4, (what & M2M_CRED_SET_ATTRS) != 0);
	if (v->attrs != NULL)
		sqlite3_bind_text(st, 5, v->attrs, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? (sqlite3_changes(db) > 0 ? M2M_OK : M2M_E_NOT_FOUND) : rc_err(rc);
	sqlite3_finalize(st);
	if (r != M2M_OK || (what & M2M_CRED_SET_TARGETS) == 0)
		return r;
	if ((r = prep(db, "DELETE FROM cred_target WHERE cred_id = ?1", &st)) != M2M_OK)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc_err(rc);
	/* insert_targets names the record by c->id: the canonical id being updated */
	{
		m2m_cred_info t = *v;
		t.id = (char *)id;
		return insert_targets(db, &t);
	}
}

static m2m_err sq_update(void *p, const char *id, unsigned what, const m2m_cred_info *v)
{
	sqlite_be *be = p;
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	memo_write(be);
	if ((r = op_begin(be, true)) == M2M_OK)
		r = op_end(be, update_locked(be->db, id, what, v));
	pthread_mutex_unlock(&be->mu);
	return r;
}

/* write: BEGIN IMMEDIATE (the write lock up front, no upgrade deadlock later); else a deferred
 * BEGIN, which in WAL mode never waits for a writer. */
static m2m_err begin_tx(sqlite_be *be, bool write)
{
	m2m_err r;

	pthread_mutex_lock(&be->mu);
	if (be->in_tx) {
		pthread_mutex_unlock(&be->mu);
		return M2M_E_INVAL; /* no nesting */
	}
	if ((r = exec(be->db, write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")) != M2M_OK) {
		pthread_mutex_unlock(&be->mu);
		return r;
	}
	memo_write(be); /* a grouping transaction bypasses the memo; its writes clear it at sq_end */
	be->in_tx = true; /* the mutex stays held until sq_end */
	be->read_tx = !write;
	return M2M_OK;
}

static m2m_err sq_begin(void *p)
{
	return begin_tx(p, true);
}

static m2m_err sq_begin_read(void *p)
{
	return begin_tx(p, false);
}

static m2m_err sq_end(void *p, m2m_err r)
{
	sqlite_be *be = p;

	if (!be->in_tx)
		return r != M2M_OK ? r : M2M_E_INVAL;
	be->in_tx = false;
	be->read_tx = false;
	r = tx_end(be->db, r);
	memo_write(be);
	pthread_mutex_unlock(&be->mu);
	return r;
}

static m2m_err sq_count_owner(void *p, m2m_cred_kind kind, const char *owner, int64_t now, size_t *active,
			      size_t *all)
{
	sqlite_be *be = p;
	sqlite3_stmt *st = NULL;
	m2m_err r;
	int rc;

	pthread_mutex_lock(&be->mu);
	if ((r = get(be, S_COUNT_OWNER, &st)) == M2M_OK) {
		sqlite3_bind_text(st, 1, m2m_credstore_kind_name(kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			*active = (size_t)sqlite3_column_int64(st, 0);
			*all = (size_t)sqlite3_column_int64(st, 1);
		} else {
			r = rc_err(rc);
		}
	}
	put(st);
	pthread_mutex_unlock(&be->mu);
	return r;
}

const m2mi_credstore_ops m2mi_credstore_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.insert = sq_insert,
	.fetch = sq_fetch,
	.list = sq_list,
	.revoke = sq_revoke,
	.touch = sq_touch,
	.remove = sq_remove,
	.update = sq_update,
	.begin = sq_begin,
	.begin_read = sq_begin_read,
	.count_owner = sq_count_owner,
	.end = sq_end,
};
