/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF Client Registrations and MEF Key Registrations of the MEF store
 * (store/mefstore_int.h; TS-0003 clauses 8.3.5, 10.3.1, 10.7, 8.3.4.6): each registration holds
 * its Ke (32 bytes, bound straight from the m2m_key) under its KeID with the Enrolment Expiry;
 * a new registration of the same client replaces the old one and everything derived from it.
 * These run inside the request's transaction (m2mi_mefstore_begin/end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/mefstore_sql.h"

/* ---- registrations and key registrations (inside the caller's transaction) ---------------- */

#define REG_COLS "keid, reg_id, client_id, enrolee_id, targets, expiry, reg_et, labels, admin_fqdn, cert_req," \
		 " cmd_id, cmd_class, cmd_status, cmd_step, ke"

/* r of a statement that must change exactly one row: M2M_E_NOT_FOUND when it changed none. */
static m2m_err one_changed(m2m_mefstore *st, m2m_err r)
{
	return r == M2M_OK && m2mi_mefs_changes(st) != 1 ? M2M_E_NOT_FOUND : r;
}

m2m_err m2mi_mefstore_reg_put(m2m_mefstore *st, const m2mi_mef_reg *reg, const m2m_key *ke, int64_t now)
{
	char tj[M2M_MEF_MAX_TARGETS * M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = NULL;
	m2mi_mefs_stmt *s = NULL;
	const uint8_t *kb;
	size_t kl = 0;
	m2m_err r;

	if ((kb = m2m_key_bytes(ke, &kl)) == NULL || kl != M2M_KEY_LEN)
		return M2M_E_KEY_LEN;
	if ((r = m2mi_mefs_join((char(*)[M2MI_MEF_ID_MAX])reg->targets, NULL, reg->ntargets, tj, sizeof(tj))) != M2M_OK)
		return r;
	if ((r = m2mi_mefstore_reg_get(st, NULL, reg->keid, &(m2mi_mef_reg){0}, NULL)) != M2M_E_NOT_FOUND)
		return r == M2M_OK ? M2M_E_EXISTS : r; /* this KeID is registered already: a replay */
	/* A group member gets its row at its first enrolment. */
	if (m2mi_mefs_enrolee_row(st, reg->client_id, &e, NULL) == M2M_E_NOT_FOUND) {
		if ((r = m2mi_mefs_group_member(st, reg->client_id, &e, NULL)) != M2M_OK || (r = m2mi_mefs_insert_member(st, e, "active", now)) != M2M_OK)
			goto out;
	}
	/* Re-enrolment: the previous Ke and everything derived from it go. */
	if ((r = m2mi_mefs_exec1(st, "DELETE FROM keyreg WHERE client_id = ?1", reg->client_id, 0)) != M2M_OK ||
	    (r = m2mi_mefs_exec1(st, "DELETE FROM reg WHERE client_id = ?1", reg->client_id, 0)) != M2M_OK)
		goto out;
	if ((r = m2mi_mefs_prep(st, "INSERT INTO reg (" REG_COLS ", created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			  " ?10, ?11, ?12, ?13, ?14, ?15, ?16)", &s)) != M2M_OK)
		goto out;
	m2mi_mefs_bind_text(s, 1, reg->keid);
	m2mi_mefs_bind_text(s, 2, reg->reg_id);
	m2mi_mefs_bind_text(s, 3, reg->client_id);
	m2mi_mefs_bind_text(s, 4, reg->enrolee_id);
	m2mi_mefs_bind_text(s, 5, tj);
	m2mi_mefs_bind_int64(s, 6, reg->expiry);
	m2mi_mefs_bind_int64(s, 7, reg->reg_et);
	m2mi_mefs_bind_text(s, 8, reg->labels);
	m2mi_mefs_bind_text(s, 9, reg->admin_fqdn);
	m2mi_mefs_bind_int64(s, 10, reg->cert_req ? 1 : 0);
	m2mi_mefs_bind_int64(s, 11, reg->cmd_id);
	m2mi_mefs_bind_int64(s, 12, reg->cmd_class);
	m2mi_mefs_bind_int64(s, 13, reg->cmd_status);
	m2mi_mefs_bind_int64(s, 14, reg->cmd_step);
	m2mi_mefs_bind_blob(s, 15, kb, kl);
	m2mi_mefs_bind_int64(s, 16, now);
	r = m2mi_mefs_step_done(s);
out:
	m2mi_mefs_done(st, s);
	m2m_mef_enrolee_free(e);
	return r;
}

m2m_err m2mi_mefstore_reg_get(m2m_mefstore *st, const char *reg_id, const char *keid, m2mi_mef_reg *reg, m2m_key **ke)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (ke != NULL)
		*ke = NULL;
	memset(reg, 0, sizeof(*reg));
	if ((reg_id == NULL) == (keid == NULL))
		return M2M_E_INVAL;
	r = m2mi_mefs_prep(st, reg_id != NULL ? "SELECT " REG_COLS " FROM reg WHERE reg_id = ?1" : "SELECT " REG_COLS " FROM reg WHERE keid = ?1", &s);
	if (r != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, reg_id != NULL ? reg_id : keid);
	rc = m2mi_mefs_step(s);
	if (rc == M2MI_MEFS_DONE) {
		r = M2M_E_NOT_FOUND;
		goto out;
	}
	if (rc != M2MI_MEFS_ROW) {
		r = M2M_E_STORE;
		goto out;
	}
	m2mi_mefs_cpy(reg->keid, sizeof(reg->keid), m2mi_mefs_col_text(s, 0));
	m2mi_mefs_cpy(reg->reg_id, sizeof(reg->reg_id), m2mi_mefs_col_text(s, 1));
	m2mi_mefs_cpy(reg->client_id, sizeof(reg->client_id), m2mi_mefs_col_text(s, 2));
	m2mi_mefs_cpy(reg->enrolee_id, sizeof(reg->enrolee_id), m2mi_mefs_col_text(s, 3));
	if ((r = m2mi_mefs_split(m2mi_mefs_col_text(s, 4), reg->targets, &reg->ntargets)) != M2M_OK)
		goto out;
	reg->expiry = m2mi_mefs_col_int64(s, 5);
	reg->reg_et = m2mi_mefs_col_int64(s, 6);
	m2mi_mefs_cpy(reg->labels, sizeof(reg->labels), m2mi_mefs_col_text(s, 7));
	m2mi_mefs_cpy(reg->admin_fqdn, sizeof(reg->admin_fqdn), m2mi_mefs_col_text(s, 8));
	reg->cert_req = (int)m2mi_mefs_col_int64(s, 9) != 0;
	reg->cmd_id = m2mi_mefs_col_int64(s, 10);
	reg->cmd_class = (int)m2mi_mefs_col_int64(s, 11);
	reg->cmd_status = (int)m2mi_mefs_col_int64(s, 12);
	reg->cmd_step = (int)m2mi_mefs_col_int64(s, 13);
	if (ke != NULL && (r = m2m_key_new(m2mi_mefs_col_blob(s, 14), m2mi_mefs_col_bytes(s, 14), ke)) == M2M_OK) {
		if ((r = m2m_key_set_id(*ke, reg->keid)) == M2M_OK)
			m2m_key_set_validity(*ke, 0, reg->expiry);
	}
out:
	m2mi_mefs_done(st, s);
	if (r != M2M_OK && ke != NULL) {
		m2m_key_free(*ke);
		*ke = NULL;
	}
	return r;
}

m2m_err m2mi_mefstore_reg_update(m2m_mefstore *st, const m2mi_mef_reg *reg)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r = m2mi_mefs_prep(st, "UPDATE reg SET reg_et = ?2, labels = ?3, cmd_id = ?4, cmd_class = ?5, cmd_status = ?6,"
			     " cmd_step = ?7 WHERE reg_id = ?1", &s);

	if (r != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, reg->reg_id);
	m2mi_mefs_bind_int64(s, 2, reg->reg_et);
	m2mi_mefs_bind_text(s, 3, reg->labels);
	m2mi_mefs_bind_int64(s, 4, reg->cmd_id);
	m2mi_mefs_bind_int64(s, 5, reg->cmd_class);
	m2mi_mefs_bind_int64(s, 6, reg->cmd_status);
	m2mi_mefs_bind_int64(s, 7, reg->cmd_step);
	r = one_changed(st, m2mi_mefs_step_done(s));
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2mi_mefstore_reg_delete(m2m_mefstore *st, const char *reg_id)
{
	m2mi_mef_reg reg;
	m2m_err r = m2mi_mefstore_reg_get(st, reg_id, NULL, &reg, NULL);

	if (r == M2M_OK)
		r = m2mi_mefs_exec1(st, "DELETE FROM keyreg WHERE client_id = ?1", reg.client_id, 0);
	if (r == M2M_OK)
		r = m2mi_mefs_exec1(st, "DELETE FROM reg WHERE reg_id = ?1", reg_id, 0);
	return r;
}

m2m_err m2mi_mefstore_keyreg_put(m2m_mefstore *st, const m2mi_mef_keyreg *kr, const m2m_key *key, int64_t now)
{
	char tj[M2M_MEF_MAX_TARGETS * M2MI_MEF_ID_MAX];
	m2mi_mefs_stmt *s = NULL;
	const uint8_t *kb;
	size_t kl = 0;
	m2m_err r;

	if ((kb = m2m_key_bytes(key, &kl)) == NULL)
		return M2M_E_KEY_LEN;
	if ((r = m2mi_mefs_join((char(*)[M2MI_MEF_ID_MAX])kr->targets, NULL, kr->ntargets, tj, sizeof(tj))) != M2M_OK && kr->ntargets > 0)
		return r;
	if ((r = m2mi_mefs_prep(st, "INSERT INTO keyreg (rel_key_id, client_id, source_id, suid, targets, key, expiry, labels,"
			  " admin_fqdn, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, kr->rel_key_id);
	m2mi_mefs_bind_text(s, 2, kr->client_id);
	m2mi_mefs_bind_text(s, 3, kr->source_id);
	m2mi_mefs_bind_int64(s, 4, kr->suid);
	m2mi_mefs_bind_text(s, 5, kr->ntargets > 0 ? tj : "");
	m2mi_mefs_bind_blob(s, 6, kb, kl);
	m2mi_mefs_bind_int64(s, 7, kr->expiry);
	m2mi_mefs_bind_text(s, 8, kr->labels);
	m2mi_mefs_bind_text(s, 9, kr->admin_fqdn);
	m2mi_mefs_bind_int64(s, 10, now);
	r = m2mi_mefs_step_done(s);
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2mi_mefstore_keyreg_get(m2m_mefstore *st, const char *rel_key_id, m2mi_mef_keyreg *kr, m2m_key **key)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (key != NULL)
		*key = NULL;
	memset(kr, 0, sizeof(*kr));
	if ((r = m2mi_mefs_prep(st, "SELECT rel_key_id, client_id, source_id, suid, targets, expiry, labels, admin_fqdn, key"
			  " FROM keyreg WHERE rel_key_id = ?1", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, rel_key_id);
	rc = m2mi_mefs_step(s);
	if (rc != M2MI_MEFS_ROW) {
		m2mi_mefs_done(st, s);
		return rc == M2MI_MEFS_DONE ? M2M_E_NOT_FOUND : M2M_E_STORE;
	}
	m2mi_mefs_cpy(kr->rel_key_id, sizeof(kr->rel_key_id), m2mi_mefs_col_text(s, 0));
	m2mi_mefs_cpy(kr->client_id, sizeof(kr->client_id), m2mi_mefs_col_text(s, 1));
	m2mi_mefs_cpy(kr->source_id, sizeof(kr->source_id), m2mi_mefs_col_text(s, 2));
	kr->suid = (int)m2mi_mefs_col_int64(s, 3);
	r = m2mi_mefs_split(m2mi_mefs_col_text(s, 4), kr->targets, &kr->ntargets);
	kr->expiry = m2mi_mefs_col_int64(s, 5);
	m2mi_mefs_cpy(kr->labels, sizeof(kr->labels), m2mi_mefs_col_text(s, 6));
	m2mi_mefs_cpy(kr->admin_fqdn, sizeof(kr->admin_fqdn), m2mi_mefs_col_text(s, 7));
	if (r == M2M_OK && key != NULL) {
		r = m2m_key_new(m2mi_mefs_col_blob(s, 8), m2mi_mefs_col_bytes(s, 8), key);
		if (r == M2M_OK) {
			m2m_key_set_suid(*key, kr->suid);
			m2m_key_set_validity(*key, 0, kr->expiry);
		}
	}
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2mi_mefstore_keyreg_update(m2m_mefstore *st, const m2mi_mef_keyreg *kr)
{
	char tj[M2M_MEF_MAX_TARGETS * M2MI_MEF_ID_MAX] = "";
	m2mi_mefs_stmt *s = NULL;
	m2m_err r = M2M_OK;

	if (kr->ntargets > 0)
		r = m2mi_mefs_join((char(*)[M2MI_MEF_ID_MAX])kr->targets, NULL, kr->ntargets, tj, sizeof(tj));
	if (r != M2M_OK || (r = m2mi_mefs_prep(st, "UPDATE keyreg SET expiry = ?2, labels = ?3, targets = ?4 WHERE rel_key_id = ?1", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, kr->rel_key_id);
	m2mi_mefs_bind_int64(s, 2, kr->expiry);
	m2mi_mefs_bind_text(s, 3, kr->labels);
	m2mi_mefs_bind_text(s, 4, tj);
	r = one_changed(st, m2mi_mefs_step_done(s));
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2mi_mefstore_keyreg_delete(m2m_mefstore *st, const char *rel_key_id)
{
	return one_changed(st, m2mi_mefs_exec1(st, "DELETE FROM keyreg WHERE rel_key_id = ?1", rel_key_id, 0));
}
