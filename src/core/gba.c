/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the GBA key material and identifiers of 3GPP TS 33.220 that the GBA-based
 * RSPF (TS-0003 clause 8.3.2.3) uses: Ks = CK || IK, the NAF keys of Annex B.3 by kind (Ks_NAF,
 * Ks_ext_NAF with P0 "gba-me", Ks_int_NAF with P0 "gba-u"), NAF_Id = FQDN || Ua identifier
 * (Annex H) and the B-TID base64(RAND)@BSF-FQDN of clause 4.5.2. FQDNs are lowercased and must not
 * end with a dot, so each identifier has one spelling on the BSF, the UE and the NAF. Pure.
 */
#include <ctype.h>
#include <string.h>

#include "core/b64_int.h"
#include "m2msec/gba.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"

#define RAND_B64_LEN M2MI_B64_LEN(M2M_KDF_GBA_RAND_LEN) /* 24 */

m2m_err m2m_gba_ks(const m2m_key *ck, const m2m_key *ik, m2m_key **ks)
{
	const uint8_t *c, *i;
	uint8_t buf[32];
	size_t cl = 0, il = 0;
	m2m_err r;

	if (ks == NULL)
		return M2M_E_INVAL;
	*ks = NULL;
	if (ck == NULL || ik == NULL || (c = m2m_key_bytes(ck, &cl)) == NULL || (i = m2m_key_bytes(ik, &il)) == NULL)
		return M2M_E_INVAL;
	if (cl != 16 || il != 16)
		return M2M_E_KEY_LEN;
	memcpy(buf, c, 16);
	memcpy(buf + 16, i, 16);
	r = m2m_key_new(buf, sizeof(buf), ks);
	m2m_memzero(buf, sizeof(buf));
	return r;
}

/* A valid FQDN without a trailing dot (one spelling), length n. */
static m2m_err fqdn_ok(const char *s, size_t *n)
{
	size_t l;
	m2m_err r;

	if (s == NULL || s[0] == '\0')
		return M2M_E_ID_EMPTY;
	if ((l = strnlen(s, 254)) > 253)
		return M2M_E_ID_TOO_LONG;
	if (s[l - 1] == '.')
		return M2M_E_ID_BAD_FQDN;
	if ((r = m2m_id_check_fqdn(s, l)) != M2M_OK)
		return r;
	*n = l;
	return M2M_OK;
}

static void lower_copy(char *d, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
}

m2m_err m2m_gba_naf_id(const char *fqdn, const uint8_t ua[M2M_GBA_UA_ID_LEN], uint8_t *out, size_t cap,
		       size_t *len)
{
	size_t n = 0;
	m2m_err r;

	if (len != NULL)
		*len = 0;
	if (ua == NULL || out == NULL || len == NULL)
		return M2M_E_INVAL;
	if ((r = fqdn_ok(fqdn, &n)) != M2M_OK)
		return r;
	if (cap < n + M2M_GBA_UA_ID_LEN)
		return M2M_E_RANGE;
	lower_copy((char *)out, fqdn, n);
	memcpy(out + n, ua, M2M_GBA_UA_ID_LEN);
	*len = n + M2M_GBA_UA_ID_LEN;
	return M2M_OK;
}

m2m_err m2m_gba_naf_key(m2m_kdf *kdf, const m2m_key *ks, m2m_gba_naf_kind kind,
			const uint8_t rand[M2M_KDF_GBA_RAND_LEN], const char *impi, const uint8_t *naf_id,
			size_t naf_id_len, m2m_key **out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	/* TS 33.220 Annex B.3: only Ks_int_NAF takes P0 = "gba-u". */
	switch (kind) {
	case M2M_GBA_KS_NAF:
	case M2M_GBA_KS_EXT_NAF:
		return m2m_kdf_gba_naf(kdf, ks, false, rand, impi, naf_id, naf_id_len, out);
	case M2M_GBA_KS_INT_NAF:
		return m2m_kdf_gba_naf(kdf, ks, true, rand, impi, naf_id, naf_id_len, out);
	}
	return M2M_E_INVAL;
}

m2m_err m2m_gba_btid_format(const uint8_t rand[M2M_KDF_GBA_RAND_LEN], const char *bsf_fqdn, char *out,
			    size_t cap)
{
	size_t n = 0;
	m2m_err r;

	if (rand == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if ((r = fqdn_ok(bsf_fqdn, &n)) != M2M_OK)
		return r;
	if (cap < RAND_B64_LEN + 1 + n + 1)
		return M2M_E_RANGE;
	if ((r = m2mi_b64_encode(rand, M2M_KDF_GBA_RAND_LEN, out, cap)) != M2M_OK)
		return r;
	out[RAND_B64_LEN] = '@';
	lower_copy(out + RAND_B64_LEN + 1, bsf_fqdn, n);
	out[RAND_B64_LEN + 1 + n] = '\0';
	return M2M_OK;
}

m2m_err m2m_gba_btid_parse(const char *btid, uint8_t rand[M2M_KDF_GBA_RAND_LEN], char *bsf_fqdn, size_t cap)
{
	const char *at;
	size_t len, n = 0, got = 0;
	m2m_err r;

	if (rand == NULL || (bsf_fqdn != NULL && cap == 0))
		return M2M_E_INVAL;
	if (bsf_fqdn != NULL)
		bsf_fqdn[0] = '\0';
	if (btid == NULL || btid[0] == '\0')
		return M2M_E_ID_EMPTY;
	if ((len = strnlen(btid, M2M_GBA_BTID_MAX)) >= M2M_GBA_BTID_MAX)
		return M2M_E_ID_TOO_LONG;
	if ((at = memchr(btid, '@', len)) == NULL)
		return M2M_E_ID_NO_AT;
	/* base64 has no '@': a second one is in the FQDN part and fails its check there */
	if ((size_t)(at - btid) != RAND_B64_LEN ||
	    m2mi_b64_decode(btid, RAND_B64_LEN, rand, M2M_KDF_GBA_RAND_LEN, &got) != M2M_OK ||
	    got != M2M_KDF_GBA_RAND_LEN) {
		m2m_memzero(rand, M2M_KDF_GBA_RAND_LEN);
		return M2M_E_ID_BAD_FORM;
	}
	if ((r = fqdn_ok(at + 1, &n)) != M2M_OK) {
		m2m_memzero(rand, M2M_KDF_GBA_RAND_LEN);
		return r == M2M_E_ID_EMPTY ? M2M_E_ID_BAD_FQDN : r;
	}
	if (bsf_fqdn != NULL) {
		if (cap < n + 1) {
			m2m_memzero(rand, M2M_KDF_GBA_RAND_LEN);
			return M2M_E_RANGE;
		}
		lower_copy(bsf_fqdn, at + 1, n);
		bsf_fqdn[n] = '\0';
	}
	return M2M_OK;
}
