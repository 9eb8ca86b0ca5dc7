/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the TS-0003 clause 10.3 key derivations:
 *  - Km from Ke                         (clause 10.3.2)
 *  - Kpsa from Ke                       (clause 10.3.3)
 *  - end-to-end keys from Kpsa          (clause 10.3.6, RFC 5869 extract + expand)
 *  - usage-constrained key from Ke      (clause 10.3.7)
 *  - sessionESPrimKey                   (clause 10.3.8.2)
 *  - GBA NAF key Ks_(ext)_NAF           (3GPP TS 33.220 Annex B, via TS-0003 clause 8.3.2.3)
 *  - the split of a 48-byte TLS exporter output into key and identifier (clause 10.3.1,
 *    10.3.4, 10.3.5); the exporter call itself is in m2msec/exporter.h.
 * Every output is a new 32-byte m2m_key. docs/keys.md lists every key, its formula and each
 * choice made where the specification is silent.
 *
 * A derivation context (m2m_kdf) fetches HMAC-SHA-256 once and re-keys it for each derivation.
 * It is NOT thread-safe: use one context per thread. Derivations are pure (no I/O).
 */
#ifndef M2MSEC_KDF_H
#define M2MSEC_KDF_H

#include "m2msec/err.h"
#include "m2msec/key.h"

/* TLS exporter labels (RFC 5705), TS-0003 clause 10.3.1; the export length is 48 bytes. */
#define M2M_EXPORTER_BOOTSTRAP "EXPORTER-oneM2M-Bootstrap"   /* Ke + RelativeKeID */
#define M2M_EXPORTER_CONNECTION "EXPORTER-oneM2M-Connection" /* Kc + KcID */
#define M2M_EXPORTER_ESCERTKE "EXPORTER-oneM2M-ESCertKE"     /* pairwiseE2EKey + its ID */
#define M2M_EXPORTER_LEN 48
/* Of the 48 bytes: the 16 most significant are the relative identifier, the 32 least the key. */
#define M2M_EXPORTER_REL_LEN 16

/* Derivation labels (the exact ASCII strings of TS-0003, no terminating NUL is hashed). */
#define M2M_KDF_LABEL_KM "oneM2M Enrolment Key to Master Credential derivation"
#define M2M_KDF_LABEL_KPSA "oneM2M Enrolment Key to Provisioned Secure Connection Key derivation"
#define M2M_KDF_LABEL_UCSK "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
#define M2M_KDF_LABEL_SESSION_ESPRIM "oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"
#define M2M_KDF_LABEL_E2E_MSG_AUTH "E2E Message Authentication Key"
#define M2M_KDF_LABEL_E2E_MSG_CONF "E2E Message Confidentiality Key"
#define M2M_KDF_LABEL_E2E_ATT_AUTH "E2E Attribute Authenticity Key"
#define M2M_KDF_LABEL_E2E_ATT_CONF "E2E Attribute Confidentiality Key"
#define M2M_KDF_GBA_ME "gba-me" /* P0 for Ks_NAF and Ks_ext_NAF */
#define M2M_KDF_GBA_U "gba-u"   /* P0 for Ks_int_NAF (Ks_ext_NAF takes "gba-me", TS 33.220 B.3) */

/* Every derived key is HMAC-SHA-256 output: 32 bytes. */
#define M2M_KDF_OUT_LEN 32
/* GBA RAND (3GPP TS 33.220 Annex B: L1 = 0x00 0x10). */
#define M2M_KDF_GBA_RAND_LEN 16
/* Limits on opaque inputs (esprimRandValue, E2E salt, GBA NAF_Id), in bytes. */
#define M2M_KDF_INPUT_MAX 1024

typedef struct m2m_kdf m2m_kdf;

/* A context holding HMAC-SHA-256 fetched once. *out is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_kdf_new(m2m_kdf **out);
/* Wipe and free; NULL is a no-op. */
M2M_API void m2m_kdf_free(m2m_kdf *kdf);

/*
 * Clause 10.3.2: Km = HMAC-SHA-256(Ke, M2M_KDF_LABEL_KM || NFKC(MAF-ID)).
 * ke must be 32 bytes (M2M_E_KEY_LEN). maf_id is NUL-terminated UTF-8; empty, non-UTF-8 or
 * over M2M_ID_MAX bytes give the m2m_utf8_nfkc error. The new key carries no identifier (the
 * MAF assigns KmID). *km is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_kdf_km(m2m_kdf *kdf, const m2m_key *ke, const char *maf_id, m2m_key **km);

/* Clause 10.3.3: Kpsa = HMAC-SHA-256(Ke, M2M_KDF_LABEL_KPSA || NFKC(Enrolee-B-ID)); the
 * Enrolee-B-ID is a CSE-ID or AE-ID. Same rules as m2m_kdf_km. */
M2M_API M2M_WUR m2m_err m2m_kdf_kpsa(m2m_kdf *kdf, const m2m_key *ke, const char *enrolee_b_id,
				     m2m_key **kpsa);

/*
 * Clause 10.3.7: HMAC-SHA-256(Ke, M2M_KDF_LABEL_UCSK || SUID || NFKC(Enrolment-Target-ID)).
 * SUID is hashed as its decimal ASCII text without leading zeros ("22"), the form it has in
 * every oneM2M serialisation (the clause does not say; docs/keys.md). suid must be a valid
 * m2m:suid (M2M_E_ID_BAD_TYPE). The new key has its SUID set to suid.
 */
M2M_API M2M_WUR m2m_err m2m_kdf_ucsk(m2m_kdf *kdf, const m2m_key *ke, int suid, const char *target_id,
				     m2m_key **out);

/*
 * Clause 10.3.8.2: sessionESPrimKey = HMAC-SHA256(pairwiseESPrimKey,
 *     receiverESPrimRandObject || originatorESPrimRandObject || M2M_KDF_LABEL_SESSION_ESPRIM).
 * rcv_rand/orig_rand are the esprimRandValue (esrv) octets exactly as carried in the two rand
 * objects (the clause does not say which bytes; docs/keys.md), each 1..M2M_KDF_INPUT_MAX bytes
 * (M2M_E_INVAL / M2M_E_TOO_LARGE). pairwise_key may be any m2m_key length.
 */
M2M_API M2M_WUR m2m_err m2m_kdf_session_esprim(m2m_kdf *kdf, const m2m_key *pairwise_key,
					       const uint8_t *rcv_rand, size_t rcv_len,
					       const uint8_t *orig_rand, size_t orig_len, m2m_key **out);

/* The four end-to-end keys of clause 10.3.6.2 (a documented value type: four owned keys). */
typedef struct m2m_kdf_e2e_keys {
	m2m_key *msg_auth; /* Ke2e_msg_auth = T(1) */
	m2m_key *msg_conf; /* Ke2e_msg_conf = T(2) */
	m2m_key *att_auth; /* Ke2e_att_auth = T(3) */
	m2m_key *att_conf; /* Ke2e_att_conf = T(4) */
} m2m_kdf_e2e_keys;

/*
 * Clause 10.3.6.1: Ke2e_master = HMAC-SHA-256(Salt, Kpsa) (RFC 5869 HKDF-Extract). salt NULL
 * (or salt_len 0) means 32 zero bytes, as RFC 5869 does when no salt is provided; otherwise
 * 1..M2M_KDF_INPUT_MAX bytes. kpsa may be any m2m_key length (for source-generated credentials
 * pass the random value as a key).
 */
M2M_API M2M_WUR m2m_err m2m_kdf_e2e_master(m2m_kdf *kdf, const m2m_key *kpsa, const uint8_t *salt,
					   size_t salt_len, m2m_key **master);
/* Clause 10.3.6.2: T(i) = HMAC-SHA-256(master, T(i-1) || label_i || i), T(0) empty. All four
 * members of *out are NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_kdf_e2e_expand(m2m_kdf *kdf, const m2m_key *master, m2m_kdf_e2e_keys *out);
/* Both steps; the master key is wiped before returning. */
M2M_API M2M_WUR m2m_err m2m_kdf_e2e(m2m_kdf *kdf, const m2m_key *kpsa, const uint8_t *salt, size_t salt_len,
				    m2m_kdf_e2e_keys *out);
/* Free the four keys and set the members to NULL; NULL is a no-op. */
M2M_API void m2m_kdf_e2e_keys_clear(m2m_kdf_e2e_keys *keys);

/*
 * 3GPP TS 33.220 Annex B (TS-0003 clause 8.3.2.3, GBA RSPF): Ks_NAF = HMAC-SHA-256(Ks, S),
 * S = 0x01 || P0 || L0 || RAND || L1 || IMPI || L2 || NAF_Id || L3, Li two-byte big-endian lengths.
 * P0 = "gba-me" (Ks_NAF of GBA_ME and Ks_ext_NAF of GBA_U), or "gba-u" when gba_u (Ks_int_NAF
 * only: TS 33.220 Annex B.3; m2m_gba_naf_key in m2msec/gba.h picks P0 by key kind). ks = CK || IK must be
 * 32 bytes (M2M_E_KEY_LEN). impi is NUL-terminated UTF-8 (not normalised). naf_id is
 * NAF FQDN || Ua security protocol identifier, 1..M2M_KDF_INPUT_MAX bytes.
 */
M2M_API M2M_WUR m2m_err m2m_kdf_gba_naf(m2m_kdf *kdf, const m2m_key *ks, bool gba_u,
					const uint8_t rand[M2M_KDF_GBA_RAND_LEN], const char *impi,
					const uint8_t *naf_id, size_t naf_id_len, m2m_key **out);

/*
 * Clause 10.3.1 split with 10.3.4/10.3.5 identifier: material[0..15] (16 most significant bytes)
 * is the relative ID, material[16..47] the key. The key identifier hexBinary(rel)@fqdn
 * (uppercase hex, lowercase FQDN, m2m_id_format_key_id) is set on the key and, if key_id is not
 * NULL, written there (needs 32 + 1 + strlen(fqdn) + 1 bytes, else M2M_E_RANGE). fqdn is
 * validated (M2M_E_ID_BAD_FQDN). Pure: takes no context. *key is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_kdf_exporter_split(const uint8_t material[M2M_EXPORTER_LEN], const char *fqdn,
					       m2m_key **key, char *key_id, size_t key_id_cap);

#endif
