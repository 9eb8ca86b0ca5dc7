/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store's key listing for the operator (docs/procedures/console.md):
 * the Ke of an enrolee's current MEF Client Registration (TS-0003 §10.3.1) and its MEF Key
 * Registrations (§8.3.5), identifiers, SUIDs and dates only; the key columns are never read.
 */

#include "store/mefstore_keys.h"
#include "store/mefstore_sql.h"

m2m_err m2mi_mefstore_keys_list(m2m_mefstore *st, const char *client_id, m2mi_mef_key_fn fn, void *arg)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (st == NULL || client_id == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_mefs_prep(st,
				"SELECT 1, keid, 0, expiry, created_at FROM reg WHERE client_id = ?1"
				" UNION ALL SELECT 0, rel_key_id, suid, expiry, created_at FROM keyreg WHERE client_id = ?1"
				" ORDER BY 1 DESC, 5, 2",
				&s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, client_id);
	while ((rc = m2mi_mefs_step(s)) == M2MI_MEFS_ROW) {
		m2mi_mef_key_info k = {
			.is_ke = (int)m2mi_mefs_col_int64(s, 0) == 1, .id = (const char *)m2mi_mefs_col_text(s, 1),
			.suid = (int)m2mi_mefs_col_int64(s, 2), .expiry = m2mi_mefs_col_int64(s, 3),
			.created_at = m2mi_mefs_col_int64(s, 4),
		};
		if (k.id == NULL) {
			rc = -1; /* out of memory */
			break;
		}
		if ((r = fn(&k, arg)) != M2M_OK)
			break;
	}
	if (r == M2M_OK && rc != M2MI_MEFS_DONE)
		r = M2M_E_STORE;
	m2mi_mefs_done(st, s);
	return r;
}
