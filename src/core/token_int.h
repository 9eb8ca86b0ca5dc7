/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the library-internal pieces shared by the token modules (TS-0003 clause
 * 7.3.2.4-7.3.2.6): the layout of a parsed token (token_claims.c fills it, token_jws.c verifies
 * it, token_cache.c keys it by digest) and of a trusted issuer (token_trust.c).
 */
#ifndef M2M_CORE_TOKEN_INT_H
#define M2M_CORE_TOKEN_INT_H

#include <stdatomic.h>

#include <jansson.h>

#include "m2msec/token.h"

struct evp_pkey_st;

/* One trusted issuer: its m2m:ID, its certificate's public key, allowed algorithms and the
 * certificate's validity window (UTC seconds). */
struct m2mi_token_issuer {
	char *id;
	struct evp_pkey_st *pkey; /* NULL for an issuer trusted for "none" only */
	void *jwk;                /* cjose_jwk_t of pkey (public) */
	unsigned algs;
	int64_t not_before, not_after;
};

const struct m2mi_token_issuer *m2mi_token_trust_find(const m2m_token_trust *t, const char *iss);

struct m2m_token {
	atomic_uint refs;
	m2m_token_claims c;   /* pointers into payload (json strings) and the arrays below */
	json_t *payload;      /* the claim set; owns every string of c */
	const char **aud;     /* c.audience */
	m2m_token_perm *perms;/* c.perms */
	unsigned alg;
	uint8_t digest[32];   /* SHA-256 of the compact text */
};

/* Fill tok->c from tok->payload (an object), validating every claim (M2M_E_TOKEN_CLAIMS,
 * M2M_E_TOKEN_PERMISSIONS, M2M_E_TOKEN_TOO_LARGE, M2M_E_NOMEM). */
m2m_err m2mi_token_claims_decode(m2m_token *tok);
/* Release what m2mi_token_claims_decode allocated (not payload). */
void m2mi_token_claims_clear(m2m_token *tok);
/* Largest nesting depth of the JSON text s[0..n) (brackets outside strings); SIZE_MAX when a
 * string is unterminated. Bounds the recursion of the JSON parser before it runs. */
size_t m2mi_token_json_depth(const char *s, size_t n);

#endif
