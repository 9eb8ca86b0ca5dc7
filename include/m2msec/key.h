/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one type that holds symmetric key material in m2msec: Kpm, Ke, Km,
 * Kpsa, Kc, pairwiseESPrimKey, sessionESPrimKey and the end-to-end keys of TS-0003 clause 10.3.
 * The handle is opaque (no way to printf it by accident), its bytes are wiped with
 * OPENSSL_cleanse on free, and equality is constant-time. Alongside the bytes it carries the
 * key's identifier (KeID, KpsaID, KmID, ...), its Security Usage Identifier (SUID, TS-0004
 * Table 6.3.4.2.39-1) and its validity window, so that a key never travels without the limits
 * on its use.
 */
#ifndef M2MSEC_KEY_H
#define M2MSEC_KEY_H

#include "m2msec/err.h"

/* Every TS-0003 symmetric key is 16..64 bytes; the KDF outputs are 32. */
#define M2M_KEY_MIN 16
#define M2M_KEY_MAX 64
#define M2M_KEY_LEN 32

typedef struct m2m_key m2m_key;

/* Copy len bytes (M2M_KEY_MIN..M2M_KEY_MAX) into a new key. *out is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_key_new(const uint8_t *bytes, size_t len, m2m_key **out);
/* A new key of len random bytes from the OpenSSL private DRBG. */
M2M_API M2M_WUR m2m_err m2m_key_generate(size_t len, m2m_key **out);
/* An independent copy (bytes, identifier, SUID, validity). */
M2M_API M2M_WUR m2m_err m2m_key_dup(const m2m_key *key, m2m_key **out);
/* Wipe and free; NULL is a no-op. */
M2M_API void m2m_key_free(m2m_key *key);
/*
 * The key-split rule of TS-0003 clauses 8.3.5.1 step 10 and 8.8.1 for a key distributed by the
 * MEF or the MAF: a protocol needing one symmetric key uses the first half of it (nkeys 1,
 * index 0); a protocol needing two (encryption + integrity) uses the two halves (nkeys 2, index
 * 0 or 1). (D)TLS-PSK needs one: psk = Kc[0 .. len/2 - 1]. The new key carries no id, SUID or
 * window. M2M_E_INVAL for another nkeys/index; M2M_E_KEY_LEN when key's length is odd or the
 * half is shorter than M2M_KEY_MIN.
 */
M2M_API M2M_WUR m2m_err m2m_key_split(const m2m_key *key, int nkeys, int index, m2m_key **out);

/* The raw bytes, for handing to a MAC or a TLS PSK callback only. Never log them. */
M2M_API const uint8_t *m2m_key_bytes(const m2m_key *key, size_t *len);
M2M_API size_t m2m_key_len(const m2m_key *key);
/* Explicit export as lowercase hex (2*len+1 bytes): for the CLI that derives a key on request. */
M2M_API M2M_WUR m2m_err m2m_key_export_hex(const m2m_key *key, char *out, size_t outcap);

/* Identifier (KeID, KpsaID, KmID, KcID@MAF-FQDN, ...); NULL when none was set. */
M2M_API M2M_WUR m2m_err m2m_key_set_id(m2m_key *key, const char *id);
M2M_API const char *m2m_key_id(const m2m_key *key);
/* SUID (TS-0004 m2m:suid); 0 = unconstrained. */
M2M_API void m2m_key_set_suid(m2m_key *key, int suid);
M2M_API int m2m_key_suid(const m2m_key *key);
/* Validity window in seconds since the Unix epoch, UTC; 0 means unbounded on that side. */
M2M_API void m2m_key_set_validity(m2m_key *key, int64_t not_before, int64_t not_after);
M2M_API void m2m_key_validity(const m2m_key *key, int64_t *not_before, int64_t *not_after);
/* M2M_OK, M2M_E_KEY_NOT_YET_VALID or M2M_E_KEY_EXPIRED at time now. */
M2M_API M2M_WUR m2m_err m2m_key_check_validity(const m2m_key *key, int64_t now);

/* Constant-time comparison of the key bytes (lengths compared first; length is not secret). */
M2M_API M2M_WUR bool m2m_key_equal(const m2m_key *a, const m2m_key *b);

#endif
