/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface shared by the TS-0003 clause 10.3 derivation files
 * (core/kdf.c, core/kdf_e2e.c, core/kdf_gba.c): one HMAC-SHA-256 EVP_MAC fetched once per
 * m2m_kdf context and re-keyed with EVP_MAC_init for each derivation, so a derivation costs one
 * HMAC and one allocation (the output m2m_key). Not part of the public API.
 */
#ifndef M2M_CORE_KDF_INT_H
#define M2M_CORE_KDF_INT_H

#include "m2msec/kdf.h"

/* True for a live context from m2m_kdf_new. */
bool m2mi_kdf_ok(const m2m_kdf *kdf);
/* Bytes of a valid key; M2M_E_INVAL for a bad handle, M2M_E_KEY_LEN when need != 0 and the
 * length differs. */
m2m_err m2mi_kdf_key_bytes(const m2m_key *key, size_t need, const uint8_t **bytes, size_t *len);
/* Start HMAC-SHA-256 under key[0..len). */
m2m_err m2mi_kdf_begin(m2m_kdf *kdf, const uint8_t *key, size_t len);
/* Absorb n bytes (n may be 0). */
m2m_err m2mi_kdf_update(m2m_kdf *kdf, const void *p, size_t n);
/* Finish into out[32]. */
m2m_err m2mi_kdf_end_raw(m2m_kdf *kdf, uint8_t out[M2M_KDF_OUT_LEN]);
/* Finish into a new 32-byte m2m_key; the intermediate buffer is wiped. */
m2m_err m2mi_kdf_end_key(m2m_kdf *kdf, m2m_key **out);

#endif
