/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the fleet groups of the MEF store (m2msec extension to the Bootstrap
 * Credential Configuration of TS-0003 clause 8.3.2.1): a group holds one group key, a KpmID
 * prefix, an Enrolee-ID template and the targets and Enrolment Expiry of its members; a member
 * device's Kpm = HMAC-SHA-256(groupKey, KpmID) (m2m_mef_fleet_kpm), so it has no row until its
 * first enrolment (or a revocation tombstone). docs/procedures/mef.md "Fleet enrolment".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/mef.h"
#include "store/mefstore_sql.h"

void m2m_mef_group_free(m2m_mef_group *g)
{
	if (g == NULL)
		return;
	free(g->group_id);
	free(g->kpm_prefix);
	free(g->enrolee_tmpl);
	for (size_t i = 0; i < M2M_MEF_MAX_TARGETS; i++)
		free(g->targets[i]);
	free(g);
}

/* The enrolee record a group member would get, and its Kpm (kpm may be NULL). */
m2m_err m2mi_mefs_group_member(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **out, m2m_key **kpm)
{
	char t[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX], eid[M2MI_MEF_ID_MAX];
	m2mi_mefs_stmt *s = NULL;
	m2m_mef_enrolee *e = NULL;
	m2m_key *gk = NULL;
	m2m_err r;
	size_t plen;

	*out = NULL;
	/* Longest prefix first: a more specific batch wins. */
	if ((r = m2mi_mefs_prep(st, "SELECT group_id, prefix, tmpl, targets, expiry, state, created_at, gkey FROM grp"
			  " WHERE substr(?1, 1, length(prefix)) = prefix ORDER BY length(prefix) DESC LIMIT 1", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, client_id);
	if (m2mi_mefs_step(s) != M2MI_MEFS_ROW) {
		m2mi_mefs_done(st, s);
		return M2M_E_NOT_FOUND;
	}
	r = M2M_E_NOMEM;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto out;
	e->flavour = M2M_MEF_FLAVOUR_KPM;
	plen = strlen((const char *)m2mi_mefs_col_text(s, 1));
	{
		/* "{id}" in the template: the KpmID's relative part (before '@') after the prefix. */
		const char *tmpl = (const char *)m2mi_mefs_col_text(s, 2), *at = strchr(client_id, '@');
		const char *mark = strstr(tmpl, "{id}");
		size_t idl = (at != NULL ? (size_t)(at - client_id) : strlen(client_id));
		idl = idl > plen ? idl - plen : 0;
		if (mark == NULL)
			snprintf(eid, sizeof(eid), "%s", tmpl);
		else if (snprintf(eid, sizeof(eid), "%.*s%.*s%s", (int)(mark - tmpl), tmpl, (int)idl, client_id + plen,
				  mark + 4) >= (int)sizeof(eid)) {
			r = M2M_E_RANGE;
			goto out;
		}
	}
	if ((e->client_id = strdup(client_id)) == NULL || (e->enrolee_id = strdup(eid)) == NULL ||
	    (e->group_id = m2mi_mefs_dup_col(s, 0)) == NULL)
		goto out;
	if ((r = m2mi_mefs_split(m2mi_mefs_col_text(s, 3), t, &e->ntargets)) != M2M_OK)
		goto out;
	r = M2M_E_NOMEM;
	for (size_t i = 0; i < e->ntargets; i++)
		if ((e->targets[i] = strdup(t[i])) == NULL)
			goto out;
	e->expiry = m2mi_mefs_col_int64(s, 4);
	e->state = m2mi_mefs_col_text(s, 5)[0] == 'r' ? M2M_CRED_STATE_REVOKED : M2M_CRED_STATE_ACTIVE;
	e->created_at = m2mi_mefs_col_int64(s, 6);
	r = M2M_OK;
	if (kpm != NULL) {
		if ((r = m2m_key_new(m2mi_mefs_col_blob(s, 7), m2mi_mefs_col_bytes(s, 7), &gk)) == M2M_OK)
			r = m2m_mef_fleet_kpm(gk, client_id, kpm);
	}
out:
	m2mi_mefs_done(st, s);
	m2m_key_free(gk);
	if (r != M2M_OK)
		m2m_mef_enrolee_free(e);
	else
		*out = e;
	return r;
}

/* Materialise a group member's row (state 'active' or 'revoked'). */
m2m_err m2mi_mefs_insert_member(m2m_mefstore *st, const m2m_mef_enrolee *g, const char *state, int64_t now)
{
	char tj[M2M_MEF_MAX_TARGETS * M2MI_MEF_ID_MAX];
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;

	if ((r = m2mi_mefs_join(NULL, g->targets, g->ntargets, tj, sizeof(tj))) != M2M_OK ||
	    (r = m2mi_mefs_prep(st, "INSERT INTO enrolee (client_id, flavour, kpm, enrolee_id, targets, allowed, group_id,"
			  " expiry, state, created_at, revoked_at) VALUES (?1, 'kpm', NULL, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8)",
		      &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, g->client_id);
	m2mi_mefs_bind_text(s, 2, g->enrolee_id);
	m2mi_mefs_bind_text(s, 3, tj);
	m2mi_mefs_bind_text(s, 4, g->group_id);
	m2mi_mefs_bind_int64(s, 5, g->expiry);
	m2mi_mefs_bind_text(s, 6, state);
	m2mi_mefs_bind_int64(s, 7, now);
	m2mi_mefs_bind_int64(s, 8, state[0] == 'r' ? now : 0);
	r = m2mi_mefs_step_done(s);
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2m_mefstore_group_add(m2m_mefstore *st, const m2m_mef_group *g, const m2m_key *gk, int64_t now)
{
	char t[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX], tj[sizeof(t)];
	m2mi_mefs_stmt *s = NULL;
	const uint8_t *kb;
	size_t kl = 0;
	m2m_err r;

	if (st == NULL || g == NULL || g->group_id == NULL || g->kpm_prefix == NULL || g->kpm_prefix[0] == '\0' ||
	    g->enrolee_tmpl == NULL || g->ntargets == 0 || g->ntargets > M2M_MEF_MAX_TARGETS ||
	    strspn(g->group_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(g->group_id) ||
	    g->group_id[0] == '\0' || strlen(g->group_id) > 64)
		return M2M_E_INVAL;
	if (gk == NULL || (kb = m2m_key_bytes(gk, &kl)) == NULL || kl != M2M_KEY_LEN)
		return M2M_E_KEY_LEN;
	if (g->expiry <= now)
		return M2M_E_RANGE;
	for (size_t i = 0; i < g->ntargets; i++)
		if ((r = m2m_mef_target_canon(g->targets[i], t[i], sizeof(t[i]))) != M2M_OK)
			return r;
	if ((r = m2mi_mefs_join(t, NULL, g->ntargets, tj, sizeof(tj))) != M2M_OK || (r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	if ((r = m2mi_mefs_prep(st, "INSERT INTO grp (group_id, gkey, prefix, tmpl, targets, expiry, state, created_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7)", &s)) == M2M_OK) {
		m2mi_mefs_bind_text(s, 1, g->group_id);
		m2mi_mefs_bind_blob(s, 2, kb, kl);
		m2mi_mefs_bind_text(s, 3, g->kpm_prefix);
		m2mi_mefs_bind_text(s, 4, g->enrolee_tmpl);
		m2mi_mefs_bind_text(s, 5, tj);
		m2mi_mefs_bind_int64(s, 6, g->expiry);
		m2mi_mefs_bind_int64(s, 7, now);
		r = m2mi_mefs_step_done(s);
	}
	m2mi_mefs_done(st, s);
	return m2mi_mefstore_end(st, r);
}

m2m_err m2m_mefstore_group_revoke(m2m_mefstore *st, const char *group_id, int64_t now)
{
	m2m_err r;

	if (st == NULL || group_id == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	r = m2mi_mefs_exec1(st, "UPDATE grp SET state = 'revoked' WHERE group_id = ?1", group_id, 0);
	if (r == M2M_OK && m2mi_mefs_changes(st) == 0)
		r = M2M_E_NOT_FOUND;
	(void)now;
	return m2mi_mefstore_end(st, r);
}
