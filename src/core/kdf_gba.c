/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the GBA NAF-specific key derivation of 3GPP TS 33.220 Annex B, which
 * TS-0003 clause 8.3.2.3 (GBA-based Remote Security Provisioning Framework) uses to obtain Km or
 * Kpsa: the MEF plays the BSF, Ke = Ks = CK || IK, and the Enrolment Target is the NAF.
 *
 *   Ks_NAF     = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id)       (GBA_ME)
 *   Ks_ext_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id)       (GBA_U, handed to the ME)
 *   Ks_int_NAF = KDF(Ks, "gba-u",  RAND, IMPI, NAF_Id)       (GBA_U, kept in the UICC)
 *   KDF(Key, P0..P3) = HMAC-SHA-256(Key, FC || P0 || L0 || P1 || L1 || P2 || L2 || P3 || L3)
 * with FC = 0x01 and Li the length of Pi as two big-endian bytes (TS 33.220 Annex B.2).
 * NAF_Id = NAF FQDN || Ua security protocol identifier, supplied by the caller as bytes.
 * Pure: no I/O.
 */
#include <string.h>

#include "core/kdf_int.h"
#include "m2msec/utf8.h"

#define GBA_FC 0x01

/* Absorb Pi || Li (Li = two-byte big-endian length of Pi). */
static m2m_err gba_param(m2m_kdf *kdf, const void *p, size_t n)
{
	uint8_t l[2] = {(uint8_t)(n >> 8), (uint8_t)(n & 0xff)};
	m2m_err r;

	if ((r = m2mi_kdf_update(kdf, p, n)) != M2M_OK)
		return r;
	return m2mi_kdf_update(kdf, l, sizeof(l));
}

m2m_err m2m_kdf_gba_naf(m2m_kdf *kdf, const m2m_key *ks, bool gba_u, const uint8_t rand[M2M_KDF_GBA_RAND_LEN],
			const char *impi, const uint8_t *naf_id, size_t naf_id_len, m2m_key **out)
{
	const char *p0 = gba_u ? M2M_KDF_GBA_U : M2M_KDF_GBA_ME;
	const uint8_t fc = GBA_FC;
	const uint8_t *kb;
	size_t kl, impi_len;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!m2mi_kdf_ok(kdf) || rand == NULL || naf_id == NULL || naf_id_len == 0)
		return M2M_E_INVAL;
	if (naf_id_len > M2M_KDF_INPUT_MAX)
		return M2M_E_TOO_LARGE;
	/* Ks = CK || IK, 32 bytes. */
	if ((r = m2mi_kdf_key_bytes(ks, M2M_KEY_LEN, &kb, &kl)) != M2M_OK)
		return r;
	/* IMPI: a UTF-8 character string (TS 33.220 B.2.1), hashed as given. */
	if (impi == NULL || impi[0] == '\0')
		return M2M_E_ID_EMPTY;
	if ((impi_len = strnlen(impi, M2M_ID_MAX + 1)) > M2M_ID_MAX)
		return M2M_E_ID_TOO_LONG;
	if (!m2m_utf8_valid(impi, impi_len))
		return M2M_E_ID_BAD_UTF8;
	if ((r = m2mi_kdf_begin(kdf, kb, kl)) != M2M_OK || (r = m2mi_kdf_update(kdf, &fc, 1)) != M2M_OK ||
	    (r = gba_param(kdf, p0, strlen(p0))) != M2M_OK ||
	    (r = gba_param(kdf, rand, M2M_KDF_GBA_RAND_LEN)) != M2M_OK ||
	    (r = gba_param(kdf, impi, impi_len)) != M2M_OK || (r = gba_param(kdf, naf_id, naf_id_len)) != M2M_OK)
		return r;
	return m2mi_kdf_end_key(kdf, out);
}
