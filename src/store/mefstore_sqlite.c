/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store on SQLite (m2msec/mefstore.h, store/mefstore_int.h): the
 * enrolee records of TS-0003 clause 8.3.2.1 (Bootstrap Credential / Instruction Configuration),
 * fleet groups (m2msec extension), the Ke of each MEF Client Registration with its Enrolment
 * Expiry (clauses 10.3.1, 10.7) and MEF Client Command state (clause 8.3.4.6), and MEF key
 * registrations (clause 8.3.5). File and connection rules are the credential store's (0600,
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

static m2m_err sq(int rc)
{
	m2m_err r = m2mi_sqlite_err(rc, M2M_E_STORE);

	return r;
}

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
	for (size_t i = 0; i < M2MI_MEFS_CACHE; i++)
		sqlite3_finalize(st->cache[i].s);
	sqlite3_close_v2(st->db);
	free(st);
}

/* A transaction control statement from the statement cache (sqlite3_exec would compile it
 * again on every request: BEGIN and COMMIT of each registration). */
static m2m_err tx_exec(m2m_mefstore *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	m2m_err r;
	int rc;

	if ((r = m2mi_mefs_prep(st, sql, &s)) != M2M_OK)
		return r;
	rc = sqlite3_step(s);
	m2mi_mefs_done(st, s);
	if (rc == SQLITE_DONE)
		return M2M_OK;
	m2mi_sqlite_note(st->db, rc);
	return (r = sq(rc)) != M2M_OK ? r : M2M_E_STORE;
}

m2m_err m2mi_mefstore_begin(m2m_mefstore *st)
{
	m2m_err r = tx_exec(st, "BEGIN IMMEDIATE");

	st->in_tx = r == M2M_OK;
	return r;
}

m2m_err m2mi_mefstore_begin_read(m2m_mefstore *st)
{
	m2m_err r = tx_exec(st, "BEGIN DEFERRED");

	st->in_tx = r == M2M_OK;
	return r;
}

/* COMMIT when r is M2M_OK, else (or when COMMIT fails) ROLLBACK, as m2mi_sqlite_tx_end. */
m2m_err m2mi_mefstore_end(m2m_mefstore *st, m2m_err r)
{
	if (!st->in_tx)
		return r;
	st->in_tx = false;
	if (r == M2M_OK && (r = tx_exec(st, "COMMIT")) == M2M_OK)
		return M2M_OK;
	if (!sqlite3_get_autocommit(st->db))
		(void)tx_exec(st, "ROLLBACK");
	return r;
}

/* ---- helpers ------------------------------------------------------------------------------ */

m2m_err m2mi_mefs_prep(m2m_mefstore *st, const char *sql, sqlite3_stmt **s)
{
	size_t i, slot = M2MI_MEFS_CACHE;
	m2m_err r;

	*s = NULL;
	/* by content, not by address: a caller may build its SQL in a buffer */
	for (i = 0; i < M2MI_MEFS_CACHE && st->cache[i].s != NULL; i++) {
		if (strcmp(st->cache[i].sql, sql) != 0)
			continue;
		if (st->cache[i].busy)
			break; /* in use further up the stack (nested use of one statement): a fresh one */
		st->cache[i].busy = true;
		*s = st->cache[i].s;
		return M2M_OK;
	}
	if (i < M2MI_MEFS_CACHE && st->cache[i].s == NULL)
		slot = i;
	if ((r = sq(sqlite3_prepare_v3(st->db, sql, -1, slot < M2MI_MEFS_CACHE ? SQLITE_PREPARE_PERSISTENT : 0, s,
				       NULL))) != M2M_OK)
		return r;
	if (slot < M2MI_MEFS_CACHE && sqlite3_sql(*s) != NULL) {
		st->cache[slot].sql = sqlite3_sql(*s); /* SQLite's own copy: lives as long as *s */
		st->cache[slot].s = *s;
		st->cache[slot].busy = true;
	}
	return M2M_OK;
}

void m2mi_mefs_done(m2m_mefstore *st, sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < M2MI_MEFS_CACHE && st->cache[i].s != NULL; i++) {
		if (st->cache[i].s == s) {
			(void)sqlite3_reset(s); /* its error was reported by the step that failed */
			(void)sqlite3_clear_bindings(s);
			st->cache[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(s);
}

m2m_err m2mi_mefs_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_DONE ? M2M_OK : rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE
						? M2M_E_EXISTS : (sq(rc) != M2M_OK ? sq(rc) : M2M_E_STORE);
}

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

char *m2mi_mefs_dup_col(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? strdup((const char *)t) : NULL;
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

static bool allowed_ok(const char *a)
{
	size_t n = 0;

	if (a == NULL)
		return true;
	for (const char *p = a; *p != '\0';) {
		size_t l;
		while (*p == ' ')
			p++;
		if ((l = strcspn(p, " ")) == 0)
			break;
		if (++n > M2M_MEF_MAX_ALLOWED || l >= M2MI_MEF_ID_MAX || (l == 1 && p[0] == '*'))
			return false;
		p += l;
	}
	return strlen(a) < 2048;
}

/* ---- enrolees ----------------------------------------------------------------------------- */

#define ENR_COLS "client_id, flavour, enrolee_id, targets, allowed, group_id, expiry, state, created_at, revoked_at"

static m2m_err row_enrolee(sqlite3_stmt *s, m2m_mef_enrolee **out)
{
	char t[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = calloc(1, sizeof(*e));
	const unsigned char *fl = sqlite3_column_text(s, 1), *state = sqlite3_column_text(s, 7);
	m2m_err r = M2M_E_NOMEM;

	*out = NULL;
	if (e == NULL)
		return M2M_E_NOMEM;
	e->flavour = fl != NULL && fl[0] == 'c' ? M2M_MEF_FLAVOUR_CERT : M2M_MEF_FLAVOUR_KPM;
	if (m2mi_sqlite_dup_col(s, 0, &e->client_id) != M2M_OK || m2mi_sqlite_dup_col(s, 2, &e->enrolee_id) != M2M_OK ||
	    m2mi_sqlite_dup_col(s, 4, &e->allowed) != M2M_OK || m2mi_sqlite_dup_col(s, 5, &e->group_id) != M2M_OK)
		goto out;
	if ((r = m2mi_mefs_split(sqlite3_column_text(s, 3), t, &e->ntargets)) != M2M_OK)
		goto out;
	for (size_t i = 0; i < e->ntargets; i++) {
		if ((e->targets[i] = strdup(t[i])) == NULL) {
			r = M2M_E_NOMEM;
			goto out;
		}
	}
	e->expiry = sqlite3_column_int64(s, 6);
	e->state = state != NULL && state[0] == 'r' ? M2M_CRED_STATE_REVOKED : M2M_CRED_STATE_ACTIVE;
	e->created_at = sqlite3_column_int64(s, 8);
	e->revoked_at = sqlite3_column_int64(s, 9);
	*out = e;
	return M2M_OK;
out:
	m2m_mef_enrolee_free(e);
	return r;
}

void m2m_mef_enrolee_free(m2m_mef_enrolee *e)
{
	if (e == NULL)
		return;
	free(e->client_id);
	free(e->enrolee_id);
	for (size_t i = 0; i < M2M_MEF_MAX_TARGETS; i++)
		free(e->targets[i]);
	free(e->allowed);
	free(e->group_id);
	free(e->keid);
	free(e);
}

/* The row of client_id (any state) and its Kpm when kpm != NULL (NULL for cert / group rows). */
m2m_err m2mi_mefs_enrolee_row(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **e, m2m_key **kpm)
{
	sqlite3_stmt *s = NULL;
	m2m_err r;
	int rc;

	*e = NULL;
	if (kpm != NULL)
		*kpm = NULL;
	if ((r = m2mi_mefs_prep(st, "SELECT " ENR_COLS ", kpm FROM enrolee WHERE client_id = ?1", &s)) != M2M_OK)
		return r;
	sqlite3_bind_text(s, 1, client_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		r = M2M_E_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		r = M2M_E_STORE;
	else if ((r = row_enrolee(s, e)) == M2M_OK && kpm != NULL && sqlite3_column_type(s, 10) == SQLITE_BLOB)
		r = m2m_key_new(sqlite3_column_blob(s, 10), (size_t)sqlite3_column_bytes(s, 10), kpm);
	m2mi_mefs_done(st, s);
	if (r != M2M_OK) {
		m2m_mef_enrolee_free(*e);
		*e = NULL;
	}
	return r;
}

/* State of e at now as the m2m_err a lookup returns. */
static m2m_err enrolee_state(const m2m_mef_enrolee *e, int64_t now)
{
	if (e->state == M2M_CRED_STATE_REVOKED)
		return M2M_E_KEY_REVOKED;
	return e->expiry <= now ? M2M_E_KEY_EXPIRED : M2M_OK;
}

/* Row or group member; a row shadows the group (a revoked tombstone stays revoked). */
static m2m_err resolve(m2m_mefstore *st, const char *client_id, int64_t now, m2m_mef_enrolee **e, m2m_key **kpm)
{
	m2m_key *k = NULL;
	m2m_err r = m2mi_mefs_enrolee_row(st, client_id, e, kpm != NULL ? &k : NULL);

	if (r == M2M_OK && kpm != NULL && k == NULL && (*e)->group_id != NULL) {
		/* a materialised group member keeps deriving its Kpm from the group key */
		m2m_mef_enrolee *g = NULL;
		if ((r = m2mi_mefs_group_member(st, client_id, &g, &k)) == M2M_OK && g->state == M2M_CRED_STATE_REVOKED)
			r = M2M_E_KEY_REVOKED;
		m2m_mef_enrolee_free(g);
	} else if (r == M2M_E_NOT_FOUND) {
		r = m2mi_mefs_group_member(st, client_id, e, kpm != NULL ? &k : NULL);
	}
	if (r == M2M_OK)
		r = enrolee_state(*e, now);
	if (r == M2M_OK && kpm != NULL && k == NULL && (*e)->flavour == M2M_MEF_FLAVOUR_KPM)
		r = M2M_E_STORE;
	if (r != M2M_OK) {
		m2m_key_free(k);
		m2m_mef_enrolee_free(*e);
		*e = NULL;
		return r;
	}
	if (kpm != NULL)
		*kpm = k;
	return M2M_OK;
}

m2m_err m2mi_mefstore_enrolee_check(m2m_mefstore *st, const char *client_id, int64_t now, m2m_mef_enrolee **e)
{
	char cid[M2MI_MEF_ID_MAX];

	*e = NULL;
	if (m2mi_mefstore_client_canon(client_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_E_NOT_FOUND;
	return resolve(st, cid, now, e, NULL);
}

m2m_err m2m_mefstore_kpm_lookup(m2m_mefstore *st, const char *kpm_id, int64_t now, m2m_key **kpm,
				m2m_mef_enrolee **info)
{
	char cid[M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = NULL;
	m2m_key *k = NULL;
	m2m_err r;

	if (kpm != NULL)
		*kpm = NULL;
	if (info != NULL)
		*info = NULL;
	if (st == NULL || kpm_id == NULL || kpm == NULL)
		return M2M_E_INVAL;
	if (m2mi_mefstore_client_canon(kpm_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_E_NOT_FOUND;
	kpm_id = cid;
	if ((r = resolve(st, kpm_id, now, &e, &k)) == M2M_OK && e->flavour != M2M_MEF_FLAVOUR_KPM)
		r = M2M_E_NOT_FOUND;
	if (r == M2M_OK && (r = m2m_key_set_id(k, kpm_id)) == M2M_OK) {
		m2m_key_set_validity(k, 0, e->expiry);
		*kpm = k;
		k = NULL;
		if (info != NULL) {
			*info = e;
			e = NULL;
		}
	}
	m2m_key_free(k);
	m2m_mef_enrolee_free(e);
	return r;
}

/* Validate and canonicalise e into the columns. */
typedef struct enr_cols {
	char eid[M2MI_MEF_ID_MAX];
	char targets[M2M_MEF_MAX_TARGETS * M2MI_MEF_ID_MAX];
} enr_cols;

static m2m_err check_enrolee(const m2m_mef_enrolee *e, const m2m_key *kpm, int64_t now, enr_cols *c)
{
	char t[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX];
	m2m_id *id = NULL;
	m2m_err r;

	if (e->client_id == NULL || e->ntargets == 0 || e->ntargets > M2M_MEF_MAX_TARGETS)
		return M2M_E_INVAL;
	if (e->flavour == M2M_MEF_FLAVOUR_KPM) {
		if (kpm == NULL || m2m_key_len(kpm) != M2M_KEY_LEN)
			return M2M_E_KEY_LEN;
		if ((r = m2m_id_parse(e->client_id, strlen(e->client_id), M2M_ID_KPSAID, &id)) != M2M_OK)
			return r;
		m2m_id_free(id);
	} else if (e->flavour != M2M_MEF_FLAVOUR_CERT || kpm != NULL || strlen(e->client_id) >= M2MI_MEF_ID_MAX) {
		return M2M_E_INVAL;
	}
	if ((r = m2mi_mefs_canon_id(e->enrolee_id, false, c->eid, sizeof(c->eid))) != M2M_OK)
		return r;
	for (size_t i = 0; i < e->ntargets; i++)
		if ((r = m2m_mef_target_canon(e->targets[i], t[i], sizeof(t[i]))) != M2M_OK)
			return r;
	if (e->expiry <= now)
		return M2M_E_RANGE;
	if (!allowed_ok(e->allowed))
		return M2M_E_INVAL;
	return m2mi_mefs_join(t, NULL, e->ntargets, c->targets, sizeof(c->targets));
}

/* Same content as the stored row (idempotent import)? */
static bool same_enrolee(m2m_mefstore *st, const m2m_mef_enrolee *e, const m2m_key *kpm, const enr_cols *c)
{
	m2m_mef_enrolee *o = NULL;
	m2m_key *k = NULL;
	char ot[sizeof(c->targets)];
	bool same = false;

	if (m2mi_mefs_enrolee_row(st, e->client_id, &o, &k) != M2M_OK)
		return false;
	same = o->state == M2M_CRED_STATE_ACTIVE && o->flavour == e->flavour && o->group_id == NULL &&
	       strcmp(o->enrolee_id, c->eid) == 0 && o->expiry == e->expiry &&
	       m2mi_mefs_join(NULL, o->targets, o->ntargets, ot, sizeof(ot)) == M2M_OK && strcmp(ot, c->targets) == 0 &&
	       strcmp(o->allowed != NULL ? o->allowed : "", e->allowed != NULL ? e->allowed : "") == 0 &&
	       ((kpm == NULL && k == NULL) || (kpm != NULL && k != NULL && m2m_key_equal(kpm, k)));
	m2m_key_free(k);
	m2m_mef_enrolee_free(o);
	return same;
}

m2m_err m2m_mefstore_enrolee_add(m2m_mefstore *st, const m2m_mef_enrolee *e, const m2m_key *kpm, int64_t now,
				 m2m_mef_add_result *res)
{
	sqlite3_stmt *s = NULL;
	m2m_mef_enrolee ce;
	char cid[M2MI_MEF_ID_MAX];
	enr_cols c;
	const uint8_t *kb;
	size_t kl = 0;
	m2m_err r;

	if (res != NULL)
		*res = 0;
	if (st == NULL || e == NULL)
		return M2M_E_INVAL;
	if ((r = check_enrolee(e, kpm, now, &c)) != M2M_OK)
		return r;
	if ((r = m2mi_mefstore_client_canon(e->client_id, cid, sizeof(cid))) != M2M_OK)
		return r;
	ce = *e;
	ce.client_id = cid;
	e = &ce;
	if ((r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	if ((r = m2mi_mefs_prep(st, "INSERT INTO enrolee (client_id, flavour, kpm, enrolee_id, targets, allowed, group_id,"
			  " expiry, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, 'active', ?8)", &s)) != M2M_OK)
		goto out;
	sqlite3_bind_text(s, 1, e->client_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, e->flavour == M2M_MEF_FLAVOUR_KPM ? "kpm" : "cert", -1, SQLITE_STATIC);
	if (kpm != NULL && (kb = m2m_key_bytes(kpm, &kl)) != NULL)
		sqlite3_bind_blob(s, 3, kb, (int)kl, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, c.eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c.targets, -1, SQLITE_STATIC);
	if (e->allowed != NULL && e->allowed[0] != '\0')
		sqlite3_bind_text(s, 6, e->allowed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, e->expiry);
	sqlite3_bind_int64(s, 8, now);
	r = m2mi_mefs_step_done(s);
	if (r == M2M_E_EXISTS && same_enrolee(st, e, kpm, &c)) {
		r = M2M_OK;
		if (res != NULL)
			*res = M2M_MEF_UNCHANGED;
	} else if (r == M2M_OK && res != NULL) {
		*res = M2M_MEF_ADDED;
	}
out:
	m2mi_mefs_done(st, s);
	return m2mi_mefstore_end(st, r);
}

m2m_err m2mi_mefs_exec1(m2m_mefstore *st, const char *sql, const char *a, int64_t n)
{
	sqlite3_stmt *s = NULL;
	m2m_err r = m2mi_mefs_prep(st, sql, &s);

	if (r != M2M_OK)
		return r;
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, n);
	r = m2mi_mefs_step_done(s);
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2m_mefstore_enrolee_revoke(m2m_mefstore *st, const char *client_id, int64_t now)
{
	char cid[M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = NULL;
	m2m_err r;

	if (st == NULL || client_id == NULL)
		return M2M_E_INVAL;
	if (m2mi_mefstore_client_canon(client_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_E_NOT_FOUND;
	client_id = cid;
	if ((r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	r = m2mi_mefs_enrolee_row(st, client_id, &e, NULL);
	if (r == M2M_E_NOT_FOUND && m2mi_mefs_group_member(st, client_id, &e, NULL) == M2M_OK)
		r = m2mi_mefs_insert_member(st, e, "revoked", now); /* tombstone before first enrolment */
	else if (r == M2M_OK && e->state != M2M_CRED_STATE_REVOKED)
		r = m2mi_mefs_exec1(st, "UPDATE enrolee SET state = 'revoked', revoked_at = ?2 WHERE client_id = ?1", client_id, now);
	/* Every key derived from its Ke goes with it (TS-0003 clause 10.7: nothing outlives Ke). */
	if (r == M2M_OK)
		r = m2mi_mefs_exec1(st, "DELETE FROM keyreg WHERE client_id = ?1", client_id, 0);
	if (r == M2M_OK)
		r = m2mi_mefs_exec1(st, "DELETE FROM reg WHERE client_id = ?1", client_id, 0);
	m2m_mef_enrolee_free(e);
	return m2mi_mefstore_end(st, r);
}

m2m_err m2m_mefstore_enrolee_rotate(m2m_mefstore *st, const char *client_id, const m2m_key *new_kpm, int64_t now)
{
	char cid[M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = NULL;
	sqlite3_stmt *s = NULL;
	const uint8_t *kb;
	size_t kl = 0;
	m2m_err r;

	if (st == NULL || client_id == NULL || new_kpm == NULL)
		return M2M_E_INVAL;
	if (m2mi_mefstore_client_canon(client_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_E_NOT_FOUND;
	client_id = cid;
	if ((kb = m2m_key_bytes(new_kpm, &kl)) == NULL || kl != M2M_KEY_LEN)
		return M2M_E_KEY_LEN;
	if ((r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	r = m2mi_mefs_enrolee_row(st, client_id, &e, NULL);
	if (r == M2M_E_NOT_FOUND && m2mi_mefs_group_member(st, client_id, &e, NULL) == M2M_OK)
		r = m2mi_mefs_insert_member(st, e, "active", now); /* a group member gets its own Kpm */
	else if (r == M2M_OK && e->state == M2M_CRED_STATE_REVOKED)
		r = M2M_E_KEY_REVOKED;
	if (r == M2M_OK && e->flavour != M2M_MEF_FLAVOUR_KPM)
		r = M2M_E_INVAL;
	if (r == M2M_OK && (r = m2mi_mefs_prep(st, "UPDATE enrolee SET kpm = ?2 WHERE client_id = ?1", &s)) == M2M_OK) {
		sqlite3_bind_text(s, 1, client_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, kb, (int)kl, SQLITE_STATIC);
		r = m2mi_mefs_step_done(s);
	}
	m2mi_mefs_done(st, s);
	m2m_mef_enrolee_free(e);
	return m2mi_mefstore_end(st, r);
}

/* The KeID of client_id's current registration into e->keid (NULL if none). */
static m2m_err attach_keid(m2m_mefstore *st, m2m_mef_enrolee *e)
{
	sqlite3_stmt *s = NULL;
	m2m_err r = m2mi_mefs_prep(st, "SELECT keid FROM reg WHERE client_id = ?1", &s);

	if (r != M2M_OK)
		return r;
	sqlite3_bind_text(s, 1, e->client_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && (e->keid = m2mi_mefs_dup_col(s, 0)) == NULL)
		r = M2M_E_NOMEM;
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2m_mefstore_enrolee_get(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **out)
{
	char cid[M2MI_MEF_ID_MAX];
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (st == NULL || client_id == NULL)
		return M2M_E_INVAL;
	if (m2mi_mefstore_client_canon(client_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_E_NOT_FOUND;
	client_id = cid;
	r = m2mi_mefs_enrolee_row(st, client_id, out, NULL);
	if (r == M2M_E_NOT_FOUND)
		r = m2mi_mefs_group_member(st, client_id, out, NULL);
	if (r == M2M_OK && (r = attach_keid(st, *out)) != M2M_OK) {
		m2m_mef_enrolee_free(*out);
		*out = NULL;
	}
	return r;
}

m2m_err m2m_mefstore_enrolee_list(m2m_mefstore *st, m2m_mefstore_enrolee_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (st == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_mefs_prep(st, "SELECT " ENR_COLS " FROM enrolee ORDER BY client_id", &s)) != M2M_OK)
		return r;
	while (r == M2M_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		m2m_mef_enrolee *e = NULL;
		if ((r = row_enrolee(s, &e)) == M2M_OK && (r = attach_keid(st, e)) == M2M_OK)
			r = fn(e, arg);
		m2m_mef_enrolee_free(e);
	}
	if (r == M2M_OK && rc != SQLITE_DONE)
		r = M2M_E_STORE;
	m2mi_mefs_done(st, s);
	return r;
}

