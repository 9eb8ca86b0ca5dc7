/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Master Credential of an enrolment directory (m2msec/enrol.h
 * m2m_enrolee_dir_km): Entity A's side of remote provisioning of a MAF Km (TS-0003 clause
 * 8.8.2.3 step 2, clause 10.3.2): Km = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Master
 * Credential derivation" || MAF-ID) from the Ke and KeID that `m2msec enrol` wrote (DIR/ke,
 * DIR/keid), the same value the MEF answers a MAF's fetchCredentials/<KeID>/21 with
 * (docs/procedures/mef.md). The MAF-ID is the MAF-FQDN, lowercased as the MEF does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/enrol.h"
#include "m2msec/file.h"
#include "enrolee/enrolee_int.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/kdf.h"
#include "m2msec/mef.h"
#include "m2msec/mem.h"

/* Trailing whitespace (the newline the writer adds) off buf[0..*len). */
static void rstrip(char *buf, size_t *len)
{
	while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r' || buf[*len - 1] == ' '))
		buf[--*len] = '\0';
}

/* DIR/name into a new buffer (secret: owner-only file), stripped. */
static m2m_err read_in(const char *dir, const char *name, unsigned flags, char **out, size_t *len)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return M2M_E_INVAL;
	m2m_err r = m2m_file_read(path, 1024, flags, out, len);

	if (r == M2M_OK)
		rstrip(*out, len);
	return r;
}

m2m_err m2mi_enr_dir_ke(const char *dir, m2m_key **ke)
{
	char *hex = NULL, *keid = NULL;
	size_t hlen = 0, klen = 0, blen = 0;
	uint8_t kb[M2M_KDF_OUT_LEN];
	m2m_id *id = NULL;
	m2m_err r;

	*ke = NULL;
	if ((r = read_in(dir, "keid", 0, &keid, &klen)) != M2M_OK)
		return r;
	r = m2m_id_parse(keid, klen, M2M_ID_KEID, &id); /* the enrolment's KeID (clause 10.3.4) */
	m2m_id_free(id);
	if (r == M2M_OK && (r = read_in(dir, "ke", M2M_FILE_SECRET, &hex, &hlen)) == M2M_OK) {
		r = hlen != 2 * sizeof(kb) ? M2M_E_KEY_LEN : m2m_hex_decode(hex, hlen, kb, sizeof(kb), &blen);
		m2m_freezero(hex, hlen + 1);
	}
	if (r == M2M_OK && (r = m2m_key_new(kb, blen, ke)) == M2M_OK && (r = m2m_key_set_id(*ke, keid)) != M2M_OK) {
		m2m_key_free(*ke);
		*ke = NULL;
	}
	m2m_memzero(kb, sizeof(kb));
	free(keid);
	return r;
}

m2m_err m2m_enrolee_dir_km(const char *dir, const char *maf_id, m2m_key **km)
{
	char maf[256];
	m2m_key *ke = NULL;
	m2m_kdf *kdf = NULL;
	m2m_err r;

	if (km != NULL)
		*km = NULL;
	if (dir == NULL || dir[0] == '\0' || maf_id == NULL || km == NULL)
		return M2M_E_INVAL;
	/* the MEF keys the MAF by its lowercase FQDN (m2m_mef_target_canon) */
	if (maf_id[0] == '/' || m2m_mef_target_canon(maf_id, maf, sizeof(maf)) != M2M_OK)
		return M2M_E_ID_BAD_FORM;
	if ((r = m2mi_enr_dir_ke(dir, &ke)) != M2M_OK)
		return r;
	if ((r = m2m_kdf_new(&kdf)) == M2M_OK && (r = m2m_kdf_km(kdf, ke, maf, km)) == M2M_OK &&
	    (r = m2m_key_set_id(*km, m2m_key_id(ke))) != M2M_OK) { /* psk_identity = KeID (clause 8.8.2.2) */
		m2m_key_free(*km);
		*km = NULL;
	}
	m2m_kdf_free(kdf);
	m2m_key_free(ke);
	return r;
}
