/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store's GBA subscriber records (m2msec/bsfstore.h): per IMPI, the
 * Enrolee-ID and the NAFs (Enrolment Targets) the BSF may hand a NAF key to, and the GBA_U
 * capability of the UICC (TS-0003 clause 8.3.2.3 "Bootstrap Instruction Configuration", the GUSS
 * of 3GPP TS 33.220 clause 4.4.7). Zn (services/mef/mef_zn.c) reads it; `m2msec mef subscriber`
 * writes it. Its own table, created on first write; a missing table means no record.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>


#include "m2msec/bsfstore.h"
#include "m2msec/id.h"
#include "store/mefstore_sql.h"

/* Lowercase copy of a comma list of FQDNs into out; false when an item is empty or no FQDN. */
static bool canon_nafs(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), start = 0;

	if (n == 0 || n >= cap)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (in[i] != ',' && in[i] != '\0')
			continue;
		if (i == start || m2m_id_check_fqdn(in + start, i - start) != M2M_OK || in[i - 1] == '.')
			return false;
		start = i + 1;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	return true;
}

bool m2m_gba_subscriber_naf_listed(const m2m_gba_subscriber *sub, const char *naf)
{
	const char *p;
	size_t l;

	if (sub == NULL || naf == NULL || (l = strlen(naf)) == 0)
		return false;
	for (p = sub->nafs; *p != '\0';) {
		const char *c = strchr(p, ',');
		size_t il = c != NULL ? (size_t)(c - p) : strlen(p);
		if (il == l && strncasecmp(p, naf, l) == 0)
			return true;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return false;
}

m2m_err m2m_mefstore_gba_subscriber_set(m2m_mefstore *st, const char *impi, const m2m_gba_subscriber *sub)
{
	char nafs[M2M_GBA_SUB_NAFS_MAX];
	m2mi_mefs_stmt *s = NULL;
	size_t il, el;
	m2m_err r;

	if (st == NULL || impi == NULL || sub == NULL)
		return M2M_E_INVAL;
	il = strlen(impi);
	el = strnlen(sub->enrolee_id, sizeof(sub->enrolee_id));
	if (il == 0 || il > 255 || el == 0 || el >= sizeof(sub->enrolee_id) ||
	    !canon_nafs(sub->nafs, nafs, sizeof(nafs)))
		return M2M_E_INVAL;
	if (m2mi_mefs_ensure(st,
			 "CREATE TABLE IF NOT EXISTS gba_subscriber (impi TEXT PRIMARY KEY NOT NULL,"
			 " enrolee_id TEXT NOT NULL, nafs TEXT NOT NULL, gba_u INTEGER NOT NULL) STRICT") != M2M_OK)
		return M2M_E_STORE;
	if ((r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	if ((r = m2mi_mefs_prep(st, "INSERT INTO gba_subscriber (impi, enrolee_id, nafs, gba_u) VALUES (?1, ?2, ?3, ?4)"
				    " ON CONFLICT (impi) DO UPDATE SET enrolee_id = excluded.enrolee_id, nafs = excluded.nafs,"
				    " gba_u = excluded.gba_u",
				&s)) == M2M_OK) {
		m2mi_mefs_bind_text(s, 1, impi);
		m2mi_mefs_bind_text(s, 2, sub->enrolee_id);
		m2mi_mefs_bind_text(s, 3, nafs);
		m2mi_mefs_bind_int64(s, 4, sub->gba_u ? 1 : 0);
		r = m2mi_mefs_step_done(s);
		m2mi_mefs_done(st, s);
	}
	return m2mi_mefstore_end(st, r);
}

m2m_err m2m_mefstore_gba_subscriber_get(m2m_mefstore *st, const char *impi, m2m_gba_subscriber *sub)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r;
	int rc;

	if (sub != NULL)
		memset(sub, 0, sizeof(*sub));
	if (st == NULL || impi == NULL || sub == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_mefs_prep(st, "SELECT enrolee_id, nafs, gba_u FROM gba_subscriber WHERE impi = ?1", &s)) !=
	    M2M_OK)
		return m2mi_mefs_no_table(st) ? M2M_E_NOT_FOUND : r;
	m2mi_mefs_bind_text(s, 1, impi);
	rc = m2mi_mefs_step(s);
	if (rc == M2MI_MEFS_ROW) {
		m2mi_mefs_cpy(sub->enrolee_id, sizeof(sub->enrolee_id), m2mi_mefs_col_text(s, 0));
		m2mi_mefs_cpy(sub->nafs, sizeof(sub->nafs), m2mi_mefs_col_text(s, 1));
		sub->gba_u = (int)m2mi_mefs_col_int64(s, 2) != 0;
		r = M2M_OK;
	} else {
		r = rc == M2MI_MEFS_DONE ? M2M_E_NOT_FOUND : M2M_E_STORE;
	}
	m2mi_mefs_done(st, s);
	return r;
}
