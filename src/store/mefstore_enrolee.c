/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the enrolee records of the MEF store (m2msec/mefstore.h): the Bootstrap
 * Credential / Instruction Configuration of TS-0003 clause 8.3.2.1 per client (add, idempotent
 * import, revoke, rotate, get, list) and the Kpm lookup of a MEF Client Registration (clause
 * 10.3.1), a fleet group member resolving through its group. Written once against the neutral
 * statement API (store/mefstore_sql.h): the same code runs on SQLite and PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/id.h"
#include "m2msec/mef.h"
#include "store/mefstore_sql.h"

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

/* A copy of text column col into *out (NULL for SQL NULL). */
static m2m_err dup_col(m2mi_mefs_stmt *s, int col, char **out)
{
	*out = NULL;
	if (m2mi_mefs_col_null(s, col))
		return M2M_OK;
	return (*out = m2mi_mefs_dup_col(s, col)) != NULL ? M2M_OK : M2M_E_NOMEM;
}

static m2m_err row_enrolee(m2mi_mefs_stmt *s, m2m_mef_enrolee **out)
{
	char t[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = calloc(1, sizeof(*e));
	const unsigned char *fl = m2mi_mefs_col_text(s, 1), *state = m2mi_mefs_col_text(s, 7);
	m2m_err r = M2M_E_NOMEM;

	*out = NULL;
	if (e == NULL)
		return M2M_E_NOMEM;
	e->flavour = fl != NULL && fl[0] == 'c' ? M2M_MEF_FLAVOUR_CERT : M2M_MEF_FLAVOUR_KPM;
	if (dup_col(s, 0, &e->client_id) != M2M_OK || dup_col(s, 2, &e->enrolee_id) != M2M_OK ||
	    dup_col(s, 4, &e->allowed) != M2M_OK || dup_col(s, 5, &e->group_id) != M2M_OK)
		goto out;
	if ((r = m2mi_mefs_split(m2mi_mefs_col_text(s, 3), t, &e->ntargets)) != M2M_OK)
		goto out;
	for (size_t i = 0; i < e->ntargets; i++) {
		if ((e->targets[i] = strdup(t[i])) == NULL) {
			r = M2M_E_NOMEM;
			goto out;
		}
	}
	e->expiry = m2mi_mefs_col_int64(s, 6);
	e->state = state != NULL && state[0] == 'r' ? M2M_CRED_STATE_REVOKED : M2M_CRED_STATE_ACTIVE;
	e->created_at = m2mi_mefs_col_int64(s, 8);
	e->revoked_at = m2mi_mefs_col_int64(s, 9);
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
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	*e = NULL;
	if (kpm != NULL)
		*kpm = NULL;
	if ((r = m2mi_mefs_prep(st, "SELECT " ENR_COLS ", kpm FROM enrolee WHERE client_id = ?1", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, client_id);
	rc = m2mi_mefs_step(s);
	if (rc == M2MI_MEFS_DONE)
		r = M2M_E_NOT_FOUND;
	else if (rc != M2MI_MEFS_ROW)
		r = M2M_E_STORE;
	else if ((r = row_enrolee(s, e)) == M2M_OK && kpm != NULL && !m2mi_mefs_col_null(s, 10))
		r = m2m_key_new(m2mi_mefs_col_blob(s, 10), m2mi_mefs_col_bytes(s, 10), kpm);
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
/* The same Enrolment Expiry: the same instant, or the same lifetime counted from each call's now
 * (the CLI's --expiry-days / expiry_days: a re-run of the same command or batch file a second
 * later asks for the same enrolment, and keeps the first one's expiry). */
static bool same_expiry(const m2m_mef_enrolee *o, const m2m_mef_enrolee *e, int64_t now)
{
	return o->expiry == e->expiry || (e->expiry - now == o->expiry - o->created_at);
}

static bool same_enrolee(m2m_mefstore *st, const m2m_mef_enrolee *e, const m2m_key *kpm, const enr_cols *c,
			 int64_t now)
{
	m2m_mef_enrolee *o = NULL;
	m2m_key *k = NULL;
	char ot[sizeof(c->targets)];
	bool same = false;

	if (m2mi_mefs_enrolee_row(st, e->client_id, &o, &k) != M2M_OK)
		return false;
	same = o->state == M2M_CRED_STATE_ACTIVE && o->flavour == e->flavour && o->group_id == NULL &&
	       strcmp(o->enrolee_id, c->eid) == 0 && same_expiry(o, e, now) &&
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
	m2mi_mefs_stmt *s = NULL;
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
			  " expiry, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, 'active', ?8)"
			  " ON CONFLICT DO NOTHING", &s)) != M2M_OK)
		goto out;
	m2mi_mefs_bind_text(s, 1, e->client_id);
	m2mi_mefs_bind_text(s, 2, e->flavour == M2M_MEF_FLAVOUR_KPM ? "kpm" : "cert");
	if (kpm != NULL && (kb = m2m_key_bytes(kpm, &kl)) != NULL)
		m2mi_mefs_bind_blob(s, 3, kb, kl);
	m2mi_mefs_bind_text(s, 4, c.eid);
	m2mi_mefs_bind_text(s, 5, c.targets);
	if (e->allowed != NULL && e->allowed[0] != '\0')
		m2mi_mefs_bind_text(s, 6, e->allowed);
	m2mi_mefs_bind_int64(s, 7, e->expiry);
	m2mi_mefs_bind_int64(s, 8, now);
	/* ON CONFLICT DO NOTHING: a failed statement would end a PostgreSQL transaction, and the
	 * comparison below still has to read the row */
	if ((r = m2mi_mefs_step_done(s)) == M2M_OK && m2mi_mefs_changes(st) == 0)
		r = M2M_E_EXISTS;
	if (r == M2M_E_EXISTS && same_enrolee(st, e, kpm, &c, now)) {
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
	m2mi_mefs_stmt *s = NULL;
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
		m2mi_mefs_bind_text(s, 1, client_id);
		m2mi_mefs_bind_blob(s, 2, kb, kl);
		r = m2mi_mefs_step_done(s);
	}
	m2mi_mefs_done(st, s);
	m2m_mef_enrolee_free(e);
	return m2mi_mefstore_end(st, r);
}

/* The KeID of client_id's current registration into e->keid (NULL if none). */
static m2m_err attach_keid(m2m_mefstore *st, m2m_mef_enrolee *e)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r = m2mi_mefs_prep(st, "SELECT keid FROM reg WHERE client_id = ?1", &s);

	if (r != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, e->client_id);
	if (m2mi_mefs_step(s) == M2MI_MEFS_ROW && (e->keid = m2mi_mefs_dup_col(s, 0)) == NULL)
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
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (st == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_mefs_prep(st, "SELECT " ENR_COLS " FROM enrolee ORDER BY client_id", &s)) != M2M_OK)
		return r;
	while (r == M2M_OK && (rc = m2mi_mefs_step(s)) == M2MI_MEFS_ROW) {
		m2m_mef_enrolee *e = NULL;
		if ((r = row_enrolee(s, &e)) == M2M_OK && (r = attach_keid(st, e)) == M2M_OK)
			r = fn(e, arg);
		m2m_mef_enrolee_free(e);
	}
	if (r == M2M_OK && rc != M2MI_MEFS_DONE)
		r = M2M_E_STORE;
	m2mi_mefs_done(st, s);
	return r;
}

