/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal helpers shared by the ESData protect (esdata.c) and open
 * (esdata_open.c) halves, TS-0003 clause 8.5.3: a silent libjose configuration, the algorithm
 * table, the check that a credential fits its algorithm, and its conversion to a JWK.
 */
#ifndef M2M_CORE_ESDATA_INT_H
#define M2M_CORE_ESDATA_INT_H

#include <jansson.h>
#include <jose/cfg.h>

#include "m2msec/esdata.h"

/* A libjose configuration whose error handler is silent (library code never prints). */
jose_cfg_t *m2mi_esd_cfg(void);
/* M2M_OK when cred fits its algorithm (one bit, key or pkey of the right type and size), else
 * M2M_E_ESD_KEY. enc: the content encryption bit (for dir, whose key is the CEK). */
m2m_err m2mi_esd_cred_ok(const m2m_esdata_cred *c, unsigned enc, bool need_private);
/* A new JWK for cred ({"kty":"oct"} for a symmetric key; the public half only when
 * public_only). "alg" is set to the credential's algorithm. NULL on failure. The caller wipes
 * and frees it with m2mi_esd_jwk_free. */
json_t *m2mi_esd_jwk(jose_cfg_t *cfg, const m2m_esdata_cred *c, bool public_only);
void m2mi_esd_jwk_free(json_t *jwk);
/* Key length in bytes of a content encryption bit (16, 24, 32; 0 otherwise). */
size_t m2mi_esd_enc_len(unsigned enc);
/* True when a (lower-cased) cty names a JOSE object: "jose", "jose+json", "application/jose",
 * "application/jose+json" (RFC 7515 §4.1.10: the "application/" prefix may be omitted). */
bool m2mi_esd_cty_is_jose(const char *cty, bool *json);

/*
 * RSA-OAEP-256 key management (RFC 7518 §4.3: RSAES-OAEP, SHA-256, MGF1-SHA-256) through
 * OpenSSL: libjose 11 (Debian 12) does not register RSA-OAEP* with OpenSSL 3 (fixed upstream
 * after that release) and libcjose has only SHA-1 OAEP. Only the key wrap is ours; the JWE
 * itself stays libjose's. wrap: encrypt the CEK octets for pkey into *ek (heap). unwrap:
 * decrypt into cek[0..cek_len); on ANY failure cek is filled with random octets instead and
 * M2M_OK returned, so a padding failure is indistinguishable from a tag failure (RFC 7516
 * §11.5) and the caller fails at the content tag.
 */
m2m_err m2mi_esd_rsa_wrap(EVP_PKEY *pkey, const uint8_t *cek, size_t cek_len, uint8_t **ek, size_t *ek_len);
m2m_err m2mi_esd_rsa_unwrap(EVP_PKEY *pkey, const uint8_t *ek, size_t ek_len, uint8_t *cek, size_t cek_len);

#endif
