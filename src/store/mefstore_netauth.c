/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store's underlying-network authorization status per enrolee
 * (m2msec/mefstore.h, docs/procedures/mef.md "Underlying-network authorization"): the answer to
 * the 3GPP liaison of the seed (does oneM2M need to know that a device is authorized on the
 * operator's network, for communication management and delivery handling, TS-0001 clause 6.2.2
 * CMDH). The operator sets it (`m2msec mef enrolee set --network-authorized yes|no`); the MEF
 * hands it to an Enrolment Target with every fetchCredentials answer. Its own table, created on
 * first use (IF NOT EXISTS) as the other late tables of this store, so stores made before it
 * need no migration; a missing row means "no statement" = authorized, so every enrolee made
 * before keeps being delivered to. The status is no secret.
 */
#include <string.h>


#include "m2msec/mefstore.h"
#include "store/mefstore_sql.h"

static m2m_err ensure_table(m2m_mefstore *st)
{
	return m2mi_mefs_ensure(st,
			    "CREATE TABLE IF NOT EXISTS netauth (client_id TEXT PRIMARY KEY NOT NULL,"
			    " authorized INTEGER NOT NULL CHECK (authorized IN (0, 1)), updated INTEGER NOT NULL) STRICT");
}

m2m_err m2m_mefstore_netauth_set(m2m_mefstore *st, const char *client_id, bool authorized, int64_t now)
{
	char cid[M2MI_MEF_ID_MAX];
	m2m_mef_enrolee *e = NULL;
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;

	if (st == NULL || client_id == NULL)
		return M2M_E_INVAL;
	if (m2mi_mefstore_client_canon(client_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_E_NOT_FOUND;
	/* only a known enrolee (a row, or a member of an active group): a typo must not create a
	 * status nobody reads */
	if ((r = ensure_table(st)) != M2M_OK || (r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	r = m2mi_mefs_enrolee_row(st, cid, &e, NULL);
	if (r == M2M_E_NOT_FOUND)
		r = m2mi_mefs_group_member(st, cid, &e, NULL);
	m2m_mef_enrolee_free(e);
	if (r == M2M_OK &&
	    (r = m2mi_mefs_prep(st, "INSERT INTO netauth (client_id, authorized, updated) VALUES (?1, ?2, ?3)"
				    " ON CONFLICT (client_id) DO UPDATE SET authorized = excluded.authorized,"
				    " updated = excluded.updated",
				&s)) == M2M_OK) {
		m2mi_mefs_bind_text(s, 1, cid);
		m2mi_mefs_bind_int64(s, 2, authorized ? 1 : 0);
		m2mi_mefs_bind_int64(s, 3, now);
		r = m2mi_mefs_step_done(s);
		m2mi_mefs_done(st, s);
	}
	return m2mi_mefstore_end(st, r);
}

m2m_err m2m_mefstore_netauth_get(m2m_mefstore *st, const char *client_id, bool *authorized)
{
	char cid[M2MI_MEF_ID_MAX];
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (st == NULL || client_id == NULL || authorized == NULL)
		return M2M_E_INVAL;
	*authorized = true; /* no statement */
	if (m2mi_mefstore_client_canon(client_id, cid, sizeof(cid)) != M2M_OK)
		return M2M_OK;
	/* a read (it may run inside the fetch's transaction): no table yet means no statement yet */
	if ((r = m2mi_mefs_prep(st, "SELECT authorized FROM netauth WHERE client_id = ?1", &s)) != M2M_OK)
		return m2mi_mefs_no_table(st) ? M2M_OK : r;
	m2mi_mefs_bind_text(s, 1, cid);
	rc = m2mi_mefs_step(s);
	if (rc == M2MI_MEFS_ROW)
		*authorized = (int)m2mi_mefs_col_int64(s, 0) != 0;
	r = rc == M2MI_MEFS_ROW || rc == M2MI_MEFS_DONE ? M2M_OK : M2M_E_STORE;
	m2mi_mefs_done(st, s);
	if (r != M2M_OK)
		*authorized = false; /* indeterminate: fail closed */
	return r;
}
