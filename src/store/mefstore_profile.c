/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store's security profiles (docs/procedures/mef.md "Security
 * profile"): per CSE-ID, the JSON profile the operator set (`m2msec mef profile set`) and the
 * CSE retrieves. Its own table, created on first use (IF NOT EXISTS), so stores made before it
 * need no migration. The profile holds no secret.
 */
#include <stdlib.h>
#include <string.h>


#include "m2msec/mefstore.h"
#include "store/mefstore_sql.h"

#define PROFILE_MAX 65536

static m2m_err ensure_table(m2m_mefstore *st)
{
	return m2mi_mefs_ensure(st,
			    "CREATE TABLE IF NOT EXISTS secprofile (cse_id TEXT PRIMARY KEY NOT NULL,"
			    " profile TEXT NOT NULL) STRICT");
}

m2m_err m2m_mefstore_profile_set(m2m_mefstore *st, const char *cse_id, const char *profile)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;

	if (st == NULL || cse_id == NULL || cse_id[0] != '/' || profile == NULL || strlen(profile) > PROFILE_MAX)
		return M2M_E_INVAL;
	if ((r = ensure_table(st)) != M2M_OK ||
	    (r = m2mi_mefs_prep(st, "INSERT INTO secprofile (cse_id, profile) VALUES (?1, ?2) ON CONFLICT (cse_id)"
				    " DO UPDATE SET profile = excluded.profile",
				&s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, cse_id);
	m2mi_mefs_bind_text(s, 2, profile);
	r = m2mi_mefs_step_done(s);
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2m_mefstore_profile_get(m2m_mefstore *st, const char *cse_id, char **profile)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (profile != NULL)
		*profile = NULL;
	if (st == NULL || cse_id == NULL || profile == NULL)
		return M2M_E_INVAL;
	/* a read (it may run inside a read transaction): no table yet means no profile yet (prepare
	 * re-reads a schema another connection changed, so a table created since is seen) */
	if ((r = m2mi_mefs_prep(st, "SELECT profile FROM secprofile WHERE cse_id = ?1", &s)) != M2M_OK)
		return m2mi_mefs_no_table(st) ? M2M_E_NOT_FOUND : r;
	m2mi_mefs_bind_text(s, 1, cse_id);
	rc = m2mi_mefs_step(s);
	if (rc == M2MI_MEFS_ROW)
		r = (*profile = m2mi_mefs_dup_col(s, 0)) != NULL ? M2M_OK : M2M_E_NOMEM;
	else
		r = rc == M2MI_MEFS_DONE ? M2M_E_NOT_FOUND : M2M_E_STORE;
	m2mi_mefs_done(st, s);
	return r;
}
