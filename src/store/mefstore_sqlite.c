/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the opening of the MEF store (m2msec/mefstore.h) and its SQLite file:
 * the choice of backend (a postgresql:// URI opens store/mefstore_pg.c instead), the SQLite
 * schema of the enrolee records of TS-0003 clause 8.3.2.1 (Bootstrap Credential / Instruction
 * Configuration), fleet groups (m2msec extension), the Ke of each MEF Client Registration with
 * its Enrolment Expiry (clauses 10.3.1, 10.7) and MEF Client Command state (clause 8.3.4.6) and
 * MEF key registrations (clause 8.3.5), the transactions of both backends, and the helpers the
 * procedures share (store/mefstore_sql.h; the procedures themselves are in the other
 * mefstore_*.c files, written once for both backends). File and connection rules are the credential store's (0600,
 * WAL, secure_delete so a replaced Ke is overwritten); bound parameters only; key bytes bound
 * straight from m2m_key. Durability is per connection (m2m_mefstore_sync): FULL for the operator
 * CLI (m2m_mefstore_open), the configured store-sync for the MEF service's connections.
 *
 * Mixing levels on one file is safe because in WAL mode PRAGMA synchronous only decides when
 * this connection fsyncs the WAL, never what is written or in which order: every commit appends
 * its frames to the one WAL, a FULL commit fsyncs the WAL file (so also every earlier NORMAL
 * commit in it), and a checkpoint, whichever connection runs it, syncs the WAL before copying
 * frames into the database (unless synchronous=OFF, never used here). A NORMAL commit lost to a
 * power cut is therefore a whole transaction at the tail of the WAL, never a FULL commit made
 * after it (SQLite "Write-Ahead Logging" and PRAGMA synchronous: in WAL mode NORMAL is durable
 * at checkpoints, consistent always).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "m2msec/id.h"
#include "m2msec/mef.h"
#include "m2msec/mem.h"
#include "store/credstore_file.h"
#include "store/mefstore_int.h"
#include "store/sqlite_common.h"
#include "store/mefstore_sql.h"
#include "store/pg_common.h"

#define SCHEMA_VERSION 1

static const char *const schema_v1[] = {
	"CREATE TABLE m2m_schema (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) STRICT",
	"CREATE TABLE enrolee (client_id TEXT PRIMARY KEY NOT NULL,"
	" flavour TEXT NOT NULL CHECK (flavour IN ('kpm','cert')), kpm BLOB,"
	" enrolee_id TEXT NOT NULL, targets TEXT NOT NULL, allowed TEXT, group_id TEXT,"
	" expiry INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('active','revoked')),"
	" created_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0) STRICT",
	"CREATE TABLE grp (group_id TEXT PRIMARY KEY NOT NULL, gkey BLOB NOT NULL CHECK (length(gkey) = 32),"
	" prefix TEXT NOT NULL UNIQUE, tmpl TEXT NOT NULL, targets TEXT NOT NULL, expiry INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('active','revoked')), created_at INTEGER NOT NULL) STRICT",
	"CREATE TABLE reg (keid TEXT PRIMARY KEY NOT NULL, reg_id TEXT NOT NULL UNIQUE,"
	" client_id TEXT NOT NULL UNIQUE REFERENCES enrolee(client_id),"
	" ke BLOB NOT NULL CHECK (length(ke) = 32), enrolee_id TEXT NOT NULL, targets TEXT NOT NULL,"
	" expiry INTEGER NOT NULL, reg_et INTEGER NOT NULL, labels TEXT NOT NULL, admin_fqdn TEXT NOT NULL,"
	" cert_req INTEGER NOT NULL, cmd_id INTEGER NOT NULL, cmd_class INTEGER NOT NULL,"
	" cmd_status INTEGER NOT NULL, cmd_step INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT",
	"CREATE TABLE keyreg (rel_key_id TEXT PRIMARY KEY NOT NULL, client_id TEXT NOT NULL,"
	" source_id TEXT NOT NULL, suid INTEGER NOT NULL, targets TEXT NOT NULL,"
	" key BLOB NOT NULL CHECK (length(key) BETWEEN 16 AND 64), expiry INTEGER NOT NULL,"
	" labels TEXT NOT NULL, admin_fqdn TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT",
	"INSERT INTO m2m_schema (component, version) VALUES ('mefstore', 1)",
};

/* .sync is set per connection (m2m_mefstore_open_sync). */
static const m2mi_sqlite_cfg db_cfg = {
	.busy_ms = 5000, .sync = M2MI_SQLITE_SYNC_FULL, .secure_delete = true,
	.foreign_keys = true, .require_wal = true, .err = M2M_E_STORE,
};

static const m2mi_sqlite_schema db_schema = {
	.component = "mefstore", .version = SCHEMA_VERSION, .marker = "m2m_schema",
	.only_if_empty = true, .create = schema_v1, .ncreate = sizeof(schema_v1) / sizeof(schema_v1[0]),
	.err = M2M_E_STORE, .schema_err = M2M_E_STORE_SCHEMA,
};

m2m_err m2m_mefstore_open(const char *path, bool create, m2m_mefstore **out)
{
	return m2m_mefstore_open_sync(path, create, M2M_MEFSTORE_SYNC_FULL, out);
}

m2m_err m2m_mefstore_sync_in_effect(m2m_mefstore *st, m2m_mefstore_sync *out)
{
	int64_t level = -1;
	m2m_err r;

	if (st == NULL || out == NULL)
		return M2M_E_INVAL;
	if (st->pg != NULL) {
		bool full = false;

		if ((r = m2mi_mefs_pg_sync_full(st, &full)) == M2M_OK)
			*out = full ? M2M_MEFSTORE_SYNC_FULL : M2M_MEFSTORE_SYNC_NORMAL;
		return r;
	}
	if ((r = m2mi_sqlite_sync_level(st->db, M2M_E_STORE, &level)) != M2M_OK)
		return r;
	if (level == 1)
		*out = M2M_MEFSTORE_SYNC_NORMAL;
	else if (level == 2)
		*out = M2M_MEFSTORE_SYNC_FULL;
	else
		return M2M_E_STORE; /* OFF or EXTRA: not what anybody configured */
	return M2M_OK;
}

m2m_err m2m_mefstore_open_sync(const char *path, bool create, m2m_mefstore_sync sync, m2m_mefstore **out)
{
	m2m_mefstore *st = NULL;
	m2mi_sqlite_cfg cfg = db_cfg;
	struct stat before;
	bool made = false;
	m2m_err r;

	if (out == NULL || path == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (sync != M2M_MEFSTORE_SYNC_FULL && sync != M2M_MEFSTORE_SYNC_NORMAL)
		return M2M_E_INVAL;
	if (m2mi_pg_is_uri(path)) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return M2M_E_NOMEM;
		if ((r = m2mi_mefs_pg_open(path, create, sync == M2M_MEFSTORE_SYNC_FULL, st)) != M2M_OK) {
			m2m_mefstore_close(st);
			return r;
		}
		*out = st;
		return M2M_OK;
	}
	cfg.sync = sync == M2M_MEFSTORE_SYNC_FULL ? M2MI_SQLITE_SYNC_FULL : M2MI_SQLITE_SYNC_NORMAL;
	r = m2mi_credstore_file_check(path, &before);
	if (r == M2M_E_NOT_FOUND && create) {
		if ((r = m2mi_credstore_file_create(path, &before)) == M2M_OK)
			made = true;
	}
	if (r != M2M_OK)
		return r;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	if ((r = m2mi_sqlite_open(path, M2M_E_STORE, &st->db)) != M2M_OK ||
	    (r = m2mi_sqlite_configure(st->db, &cfg)) != M2M_OK ||
	    (r = m2mi_sqlite_schema_setup(st->db, &db_schema)) != M2M_OK)
		goto out;
	r = m2mi_credstore_file_check(path, &before); /* -wal/-shm private too */
out:
	if (r != M2M_OK) {
		m2m_mefstore_close(st);
		if (made)
			m2mi_credstore_file_remove(path);
		return r;
	}
	*out = st;
	return M2M_OK;
}

void m2m_mefstore_close(m2m_mefstore *st)
{
	if (st == NULL)
		return;
	m2mi_mefs_cache_clear(st);
	if (st->pg != NULL)
		m2mi_mefs_pg_close(st);
	sqlite3_close_v2(st->db);
	free(st);
}

/* A transaction control statement from the statement cache (sqlite3_exec would compile it
 * again on every request: BEGIN and COMMIT of each registration). */
static m2m_err tx_exec(m2m_mefstore *st, const char *sql)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;

	if ((r = m2mi_mefs_prep(st, sql, &s)) != M2M_OK)
		return r;
	r = m2mi_mefs_step_done(s);
	m2mi_mefs_done(st, s);
	return r == M2M_E_EXISTS ? M2M_E_STORE : r;
}

/* A write transaction: on SQLite BEGIN IMMEDIATE takes the database's one write lock; on
 * PostgreSQL the backend takes the same store-wide lock (store/mefstore_pg.c), so two MEF
 * instances on one database serialise their writes exactly as two on one file do. */
m2m_err m2mi_mefstore_begin(m2m_mefstore *st)
{
	m2m_err r = st->pg != NULL ? m2mi_mefs_pg_tx(st, 0) : tx_exec(st, "BEGIN IMMEDIATE");

	st->in_tx = r == M2M_OK;
	return r;
}

m2m_err m2mi_mefstore_begin_read(m2m_mefstore *st)
{
	m2m_err r = st->pg != NULL ? m2mi_mefs_pg_tx(st, 1) : tx_exec(st, "BEGIN DEFERRED");

	st->in_tx = r == M2M_OK;
	return r;
}

/* COMMIT when r is M2M_OK, else (or when COMMIT fails) ROLLBACK, as m2mi_sqlite_tx_end. */
m2m_err m2mi_mefstore_end(m2m_mefstore *st, m2m_err r)
{
	if (!st->in_tx)
		return r;
	st->in_tx = false;
	if (st->pg != NULL) {
		if (r == M2M_OK && (r = m2mi_mefs_pg_tx(st, 2)) == M2M_OK)
			return M2M_OK;
		(void)m2mi_mefs_pg_tx(st, 3);
		return r;
	}
	if (r == M2M_OK && (r = tx_exec(st, "COMMIT")) == M2M_OK)
		return M2M_OK;
	if (!sqlite3_get_autocommit(st->db))
		(void)tx_exec(st, "ROLLBACK");
	return r;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* targets[] joined with '\n' into out. */
m2m_err m2mi_mefs_join(char t[][M2MI_MEF_ID_MAX], char *const *tp, size_t n, char *out, size_t cap)
{
	size_t j = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *s = tp != NULL ? tp[i] : t[i];
		size_t l = strlen(s);
		if (l == 0 || strchr(s, '\n') != NULL || j + l + 2 > cap)
			return M2M_E_RANGE;
		if (j > 0)
			out[j++] = '\n';
		memcpy(out + j, s, l + 1);
		j += l;
	}
	return M2M_OK;
}

m2m_err m2mi_mefs_split(const unsigned char *txt, char t[][M2MI_MEF_ID_MAX], size_t *n)
{
	const char *p = (const char *)txt;

	*n = 0;
	while (p != NULL && *p != '\0' && *n < M2M_MEF_MAX_TARGETS) {
		size_t l = strcspn(p, "\n");
		if (l >= M2MI_MEF_ID_MAX)
			return M2M_E_STORE;
		memcpy(t[*n], p, l);
		t[(*n)++][l] = '\0';
		p += l;
		if (*p == '\n')
			p++;
	}
	return M2M_OK;
}

void m2mi_mefs_cpy(char *dst, size_t cap, const unsigned char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? (const char *)src : "");
}

/* Canonical AE-ID / CSE-ID (kind AE or CSE, or only CSE when cse_only). */
m2m_err m2mi_mefs_canon_id(const char *s, bool cse_only, char *out, size_t cap)
{
	m2m_id *id = NULL;
	m2m_err r;

	if (s == NULL || (r = m2m_id_parse(s, strlen(s), cse_only ? M2M_ID_CSE_ID : M2M_ID_ANY, &id)) != M2M_OK)
		return M2M_E_ID_BAD_FORM;
	if (m2m_id_kind_of(id) != M2M_ID_CSE_ID && m2m_id_kind_of(id) != M2M_ID_AE_ID)
		r = M2M_E_ID_BAD_TYPE;
	else if (snprintf(out, cap, "%s", m2m_id_canonical(id)) >= (int)cap)
		r = M2M_E_RANGE;
	m2m_id_free(id);
	return r;
}

m2m_err m2mi_mefstore_client_canon(const char *in, char *out, size_t cap)
{
	m2m_id *id = NULL;
	int n;

	if (in == NULL || cap == 0)
		return M2M_E_INVAL;
	/* A KpmID has the KpsaID shape: its FQDN part is case-insensitive (lowercase canonical). */
	if (m2m_id_parse(in, strlen(in), M2M_ID_KPSAID, &id) == M2M_OK)
		n = snprintf(out, cap, "%s", m2m_id_canonical(id));
	else
		n = snprintf(out, cap, "%s", in);
	m2m_id_free(id);
	return n > 0 && (size_t)n < cap ? M2M_OK : M2M_E_RANGE;
}

