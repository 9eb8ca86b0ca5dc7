/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store's bootstrap records (m2msec/bsfstore.h): the B-TID, IMPI,
 * RAND, Ks and lifetime of every successful GBA bootstrap on Ub (3GPP TS 33.220 clause 4.5.2,
 * TS-0003 clause 8.3.2.3). Its own table, created on first use (IF NOT EXISTS) so stores made
 * before it need no migration; Ks lives only here and in the UE.
 */
#include <stdlib.h>
#include <string.h>


#include "m2msec/bsfstore.h"
#include "store/mefstore_sql.h"

static m2m_err ensure_table(m2m_mefstore *st)
{
	return m2mi_mefs_ensure(st,
			    "CREATE TABLE IF NOT EXISTS gba_bootstrap (btid TEXT PRIMARY KEY NOT NULL,"
			    " impi TEXT NOT NULL, rand BLOB NOT NULL CHECK (length(rand) = 16),"
			    " ks BLOB NOT NULL CHECK (length(ks) = 32), expiry INTEGER NOT NULL,"
			    " created INTEGER NOT NULL) STRICT");
}

m2m_err m2m_mefstore_bootstrap_put(m2m_mefstore *st, const char *btid, const char *impi, const m2m_key *ks,
				   int64_t expiry, int64_t now)
{
	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	m2mi_mefs_stmt *s = NULL;
	const uint8_t *kb;
	size_t kl = 0, il;
	m2m_err r;

	if (st == NULL || btid == NULL || impi == NULL || ks == NULL || expiry <= now)
		return M2M_E_INVAL;
	il = strlen(impi);
	if (il == 0 || il > 255)
		return M2M_E_INVAL;
	if ((kb = m2m_key_bytes(ks, &kl)) == NULL || kl != 32)
		return M2M_E_KEY_LEN;
	if ((r = m2m_gba_btid_parse(btid, rand, NULL, 0)) != M2M_OK)
		return M2M_E_INVAL;
	if ((r = ensure_table(st)) != M2M_OK || (r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	if ((r = m2mi_mefs_prep(st, "DELETE FROM gba_bootstrap WHERE expiry <= ?1", &s)) == M2M_OK) {
		m2mi_mefs_bind_int64(s, 1, now);
		r = m2mi_mefs_step_done(s);
		m2mi_mefs_done(st, s);
	}
	if (r == M2M_OK &&
	    (r = m2mi_mefs_prep(st, "INSERT INTO gba_bootstrap (btid, impi, rand, ks, expiry, created)"
				    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				&s)) == M2M_OK) {
		m2mi_mefs_bind_text(s, 1, btid);
		m2mi_mefs_bind_text(s, 2, impi);
		m2mi_mefs_bind_blob(s, 3, rand, sizeof(rand));
		m2mi_mefs_bind_blob(s, 4, kb, kl);
		m2mi_mefs_bind_int64(s, 5, expiry);
		m2mi_mefs_bind_int64(s, 6, now);
		r = m2mi_mefs_step_done(s);
		m2mi_mefs_done(st, s);
	}
	return m2mi_mefstore_end(st, r);
}

m2m_err m2m_mefstore_bootstrap_get(m2m_mefstore *st, const char *btid, int64_t now, char *impi, size_t cap,
				   uint8_t rand[M2M_KDF_GBA_RAND_LEN], m2m_key **ks, int64_t *expiry)
{
	m2mi_mefs_stmt *s = NULL;
	int64_t exp;
	m2m_err r;
	int rc;

	if (ks != NULL)
		*ks = NULL;
	if (st == NULL || btid == NULL || (impi != NULL && cap == 0))
		return M2M_E_INVAL;
	/* no table yet: no bootstrap yet */
	if ((r = m2mi_mefs_prep(st, "SELECT impi, rand, ks, expiry FROM gba_bootstrap WHERE btid = ?1", &s)) != M2M_OK)
		return m2mi_mefs_no_table(st) ? M2M_E_NOT_FOUND : r;
	m2mi_mefs_bind_text(s, 1, btid);
	rc = m2mi_mefs_step(s);
	if (rc != M2MI_MEFS_ROW) {
		m2mi_mefs_done(st, s);
		return rc == M2MI_MEFS_DONE ? M2M_E_NOT_FOUND : M2M_E_STORE;
	}
	exp = m2mi_mefs_col_int64(s, 3);
	if (exp <= now) {
		r = M2M_E_KEY_EXPIRED;
	} else if (m2mi_mefs_col_bytes(s, 1) != M2M_KDF_GBA_RAND_LEN || m2mi_mefs_col_bytes(s, 2) != 32) {
		r = M2M_E_STORE;
	} else {
		if (impi != NULL)
			m2mi_mefs_cpy(impi, cap, m2mi_mefs_col_text(s, 0));
		if (rand != NULL)
			memcpy(rand, m2mi_mefs_col_blob(s, 1), M2M_KDF_GBA_RAND_LEN);
		if (expiry != NULL)
			*expiry = exp;
		if (ks != NULL && (r = m2m_key_new(m2mi_mefs_col_blob(s, 2), 32, ks)) == M2M_OK) {
			if ((r = m2m_key_set_id(*ks, btid)) == M2M_OK)
				m2m_key_set_validity(*ks, 0, exp);
			if (r != M2M_OK) {
				m2m_key_free(*ks);
				*ks = NULL;
			}
		}
	}
	m2mi_mefs_done(st, s);
	return r;
}
