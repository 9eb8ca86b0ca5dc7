/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the GBA key material and identifiers the GBA-based
 * RSPF (TS-0003 clause 8.3.2.3, clause 8.1.3, Annex A) is built on, after 3GPP TS 33.220:
 *  - Ks = CK || IK (clause 4.5.2);
 *  - the NAF-specific keys Ks_NAF (GBA_ME), Ks_ext_NAF and Ks_int_NAF (GBA_U) of Annex B.3 with
 *    the right P0 for each ("gba-me" for Ks_NAF and Ks_ext_NAF, "gba-u" for Ks_int_NAF only);
 *  - NAF_Id = NAF FQDN || Ua security protocol identifier (Annex H), and the one Ua identifier
 *    m2msec uses for oneM2M (a spec gap, chosen here and only here);
 *  - the B-TID base64(RAND)@BSF-FQDN (clause 4.5.2), formatted and strictly parsed.
 * Within oneM2M the MEF is the BSF, Ke = Ks, KeID = B-TID, and Km or Kpsa is the NAF key for the
 * Enrolment Target (the NAF). Pure: no I/O.
 */
#ifndef M2MSEC_GBA_H
#define M2MSEC_GBA_H

#include "m2msec/err.h"
#include "m2msec/kdf.h"
#include "m2msec/key.h"

/* TS 33.222 clause 5.4.0.1: the PSK identity hint a NAF offers; the UE answers with the B-TID. */
#define M2M_GBA_PSK_HINT "3GPP-bootstrapping"
/* The same for a NAF that uses Ks_int_NAF (GBA_U with the client in the UICC). */
#define M2M_GBA_PSK_HINT_UICC "3GPP-bootstrapping-uicc"
#define M2M_GBA_UA_ID_LEN 5
/*
 * The oneM2M Ua security protocol identifier (TS-0003 names none: digest gap). oneM2M holds no
 * organisation octet in TS 33.220 Annex H.2, and the 3GPP TLS-PSK identifiers (0x01,0x00,0x01,
 * yy,zz) bind the key to the negotiated cipher suite, which the BSF cannot know when a NAF fetches
 * the key over Zn. So m2msec uses the private range of Annex H.2 (first octet 0xFF) with one fixed
 * value for (D)TLS-PSK between an enrolee and its Enrolment Target, whatever the suite or binding.
 * Change it only here (docs/procedures/gba.md).
 */
#define M2M_GBA_UA_ONEM2M_PSK "\xff\x00\x00\x00\x01"
/* The longest B-TID: 24 base64 characters, '@', an FQDN of up to 253 characters, NUL. */
#define M2M_GBA_BTID_MAX (24 + 1 + 253 + 1)
/* The longest NAF_Id: an FQDN of up to 253 characters and the 5-octet Ua identifier. */
#define M2M_GBA_NAF_ID_MAX (253 + M2M_GBA_UA_ID_LEN)

typedef enum m2m_gba_naf_kind {
	M2M_GBA_KS_NAF = 0,     /* GBA_ME: KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) */
	M2M_GBA_KS_EXT_NAF = 1, /* GBA_U, to the ME: KDF(Ks, "gba-me", ...) (Annex B.3) */
	M2M_GBA_KS_INT_NAF = 2, /* GBA_U, kept in the UICC: KDF(Ks, "gba-u", ...) */
} m2m_gba_naf_kind;

/* Ks = CK || IK (16 + 16 bytes, else M2M_E_KEY_LEN): a new 32-byte key. *ks is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_gba_ks(const m2m_key *ck, const m2m_key *ik, m2m_key **ks);

/*
 * NAF_Id = FQDN || ua (TS 33.220 Annex H; ua is M2M_GBA_UA_ID_LEN octets, e.g.
 * M2M_GBA_UA_ONEM2M_PSK). The FQDN is validated (M2M_E_ID_BAD_FQDN) and written in lowercase, so
 * the BSF and the NAF derive the same key whatever case each was configured with. out needs
 * strlen(fqdn) + 5 bytes (M2M_E_RANGE); *len receives the length.
 */
M2M_API M2M_WUR m2m_err m2m_gba_naf_id(const char *fqdn, const uint8_t ua[M2M_GBA_UA_ID_LEN], uint8_t *out,
				       size_t cap, size_t *len);

/*
 * The NAF key of the given kind (TS 33.220 Annex B.3) through m2m_kdf_gba_naf: ks 32 bytes,
 * rand 16 bytes, impi UTF-8, naf_id 1..M2M_KDF_INPUT_MAX bytes. An unknown kind is M2M_E_INVAL.
 */
M2M_API M2M_WUR m2m_err m2m_gba_naf_key(m2m_kdf *kdf, const m2m_key *ks, m2m_gba_naf_kind kind,
					const uint8_t rand[M2M_KDF_GBA_RAND_LEN], const char *impi,
					const uint8_t *naf_id, size_t naf_id_len, m2m_key **out);

/* B-TID = base64(RAND) "@" BSF-FQDN (TS 33.220 clause 4.5.2); the FQDN is validated and written
 * lowercase. out needs M2M_GBA_BTID_MAX bytes at most (M2M_E_RANGE when too small). */
M2M_API M2M_WUR m2m_err m2m_gba_btid_format(const uint8_t rand[M2M_KDF_GBA_RAND_LEN], const char *bsf_fqdn,
					    char *out, size_t cap);

/*
 * Parse a B-TID strictly: exactly one '@', before it the canonical 24-character base64 of a
 * 16-byte RAND, after it a valid FQDN. rand receives RAND; bsf_fqdn (may be NULL) receives the FQDN
 * in lowercase (cap bytes, M2M_E_RANGE). A malformed B-TID is M2M_E_ID_BAD_FORM (base64 part) or
 * M2M_E_ID_BAD_FQDN / M2M_E_ID_NO_AT / M2M_E_ID_TOO_LONG / M2M_E_ID_EMPTY.
 */
M2M_API M2M_WUR m2m_err m2m_gba_btid_parse(const char *btid, uint8_t rand[M2M_KDF_GBA_RAND_LEN], char *bsf_fqdn,
					   size_t cap);

#endif
