/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the token verifier (core/token_jws.c,
 * core/token_claims.c; TS-0003 clauses 7.3.2.5-7.3.2.6): untrusted compact tokens as they arrive
 * in tkns. The issuer of the trust set is trusted for ES256 AND "none", so unsigned inputs reach
 * the claim-set parser too. The first input byte picks the mode: even = the input is the compact
 * token; odd = the rest is a claim-set JSON wrapped as an unsecured token. Invariants besides
 * memory safety: a success has every required claim, passes its own content check, re-encodes
 * with m2m_token_claims_json (what the verifier accepts the issuer can write), and a cache
 * put/get returns the same token.
 */
#include <stdlib.h>
#include <string.h>

#include <cjose/base64.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "m2msec/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISS "i"

static m2m_token_trust *g_trust;

static void init(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	X509_set_version(x, 2);
	ASN1_TIME_set(X509_getm_notBefore(x), 0);
	ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z");
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &pem);
	if (m2m_token_trust_new(&g_trust) != M2M_OK ||
	    m2m_token_trust_add(g_trust, ISS, pem, (size_t)n, M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_NONE) != M2M_OK)
		abort();
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void check(const char *text, size_t len)
{
	m2m_token_verify_opts o = {.algs = M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_NONE, .now = 1800000000,
				   .skew = 60, .audience = "//sp.example.com/id-in", .audience_optional = true};
	m2m_token *t = NULL, *hit = NULL;
	const m2m_token_claims *c;
	char *json = NULL;
	m2m_token_cache *cache = NULL;

	if (m2m_token_parse(text, len, g_trust, &o, &t) != M2M_OK) {
		if (t != NULL)
			abort();
		return;
	}
	c = m2m_token_claims_of(t);
	if (c->version == NULL || c->token_id == NULL || c->holder == NULL || strcmp(c->issuer, ISS) != 0 ||
	    c->not_after < c->not_before || (c->nperms > 0 && c->perms == NULL))
		abort();
	for (size_t i = 0; i < c->nperms; i++)
		if ((c->perms[i].pv != NULL) != (c->perms[i].pv_json != NULL) ||
		    (c->perms[i].pv != NULL && c->perms[i].nris == 0))
			abort();
	o.holder = c->holder;
	(void)m2m_token_check(t, &o);
	if (m2m_token_claims_json(c, &json) != M2M_OK)
		abort();
	free(json);
	if (m2m_token_cache_new(4, &cache) != M2M_OK)
		abort();
	if (m2m_token_cache_put(cache, t, c->not_before, 0) == M2M_OK &&
	    (m2m_token_cache_get(cache, text, len, c->not_before, 0, &hit) != M2M_OK || hit != t))
		abort();
	m2m_token_unref(hit);
	m2m_token_cache_free(cache);
	m2m_token_unref(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (g_trust == NULL)
		init();
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		check((const char *)data + 1, size - 1);
	} else {
		static const char hdr[] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."; /* {"alg":"none","typ":"JWT"} */
		char *b = NULL, *tok;
		size_t bn = 0;
		cjose_err err;
		if (!cjose_base64url_encode(data + 1, size - 1, &b, &bn, &err))
			return 0;
		tok = malloc(sizeof(hdr) + bn + 1);
		if (tok != NULL) {
			memcpy(tok, hdr, sizeof(hdr) - 1);
			memcpy(tok + sizeof(hdr) - 1, b, bn);
			tok[sizeof(hdr) - 1 + bn] = '.';
			check(tok, sizeof(hdr) + bn);
			free(tok);
		}
		free(b);
	}
	return 0;
}
