/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the fixture of the token unit tests (TS-0003 clauses 7.3.2.4-7.3.2.6):
 * an EC key and its self-signed certificate made with OpenSSL, a signer and a trust set for the
 * issuer ISS, and a forger that signs ANY header and payload with that key through cjose, so a
 * test can build each malformed token with a valid signature and see the exact refusal.
 */
#ifndef M2M_TOKEN_FIXTURE_H
#define M2M_TOKEN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjose/base64.h>
#include <cjose/jwk.h>
#include <openssl/ecdsa.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "m2m_test.h"
#include "m2msec/token.h"

#define ISS "//sp.example.com/id-in/Cdas"
#define HOLDER "//sp.example.com/id-in/Cae1"
#define CSE "//sp.example.com/id-in"
#define NOW 1800000000
#define JTI "0123abcd@sp.example.com"

struct tfx {
	EVP_PKEY *pk;
	char *key_pem, *cert_pem;
	size_t key_len, cert_len;
	m2m_token_signer *signer;
	m2m_token_trust *trust;
	cjose_jwk_t *jwk; /* private, for forging */
};

static inline char *pem_of(EVP_PKEY *pk, X509 *x, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (x)
		PEM_write_bio_X509(b, x);
	else
		PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	out = malloc((size_t)n + 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

/* A self-signed certificate of pk valid from nb to na (UTC seconds). */
static inline X509 *self_cert(EVP_PKEY *pk, int64_t nb, int64_t na)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"das", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	return x;
}

static inline cjose_jwk_t *jwk_of(EVP_PKEY *pk, int crv, size_t coord)
{
	BIGNUM *d = NULL, *x = NULL, *y = NULL;
	uint8_t db[66], xb[66], yb[66];
	cjose_jwk_ec_keyspec s;
	cjose_err err;

	EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d);
	EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x);
	EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
	BN_bn2binpad(d, db, (int)coord);
	BN_bn2binpad(x, xb, (int)coord);
	BN_bn2binpad(y, yb, (int)coord);
	BN_free(d);
	BN_free(x);
	BN_free(y);
	s = (cjose_jwk_ec_keyspec){(cjose_jwk_ec_curve)crv, db, coord, xb, coord, yb, coord};
	return cjose_jwk_create_EC_spec(&s, &err);
}

static inline struct tfx *tfx_new_curve(const char *group, int crv, size_t coord)
{
	struct tfx *f = calloc(1, sizeof(*f));
	X509 *x;

	f->pk = EVP_EC_gen(group);
	assert_non_null(f->pk);
	x = self_cert(f->pk, NOW - 86400, NOW + 86400);
	f->key_pem = pem_of(f->pk, NULL, &f->key_len);
	f->cert_pem = pem_of(f->pk, x, &f->cert_len);
	X509_free(x);
	assert_int_equal(m2m_token_signer_new(f->key_pem, f->key_len, f->cert_pem, f->cert_len, &f->signer), M2M_OK);
	assert_int_equal(m2m_token_trust_new(&f->trust), M2M_OK);
	assert_int_equal(m2m_token_trust_add(f->trust, ISS, f->cert_pem, f->cert_len, 0), M2M_OK);
	f->jwk = jwk_of(f->pk, crv, coord);
	assert_non_null(f->jwk);
	return f;
}

static inline struct tfx *tfx_new(void)
{
	return tfx_new_curve("P-256", CJOSE_JWK_EC_P_256, 32);
}

static inline void tfx_free(struct tfx *f)
{
	m2m_token_signer_free(f->signer);
	m2m_token_trust_free(f->trust);
	cjose_jwk_release(f->jwk);
	EVP_PKEY_free(f->pk);
	free(f->key_pem);
	free(f->cert_pem);
	free(f);
}

/* b64u(hdr).b64u(payload) signed ECDSA-SHA256 with f's key by OpenSSL directly (not cjose: the
 * test does not trust the code under test to make its inputs), raw R||S; malloc'd. */
static inline char *forge(const struct tfx *f, const char *hdr, const char *payload)
{
	char *a = NULL, *b = NULL, *sg = NULL, *out;
	size_t an = 0, bn = 0, sn = 0, dl = 0;
	uint8_t der[160], raw[64];
	const uint8_t *p = der;
	cjose_err err;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es;

	cjose_base64url_encode((const uint8_t *)hdr, strlen(hdr), &a, &an, &err);
	cjose_base64url_encode((const uint8_t *)payload, strlen(payload), &b, &bn, &err);
	out = malloc(an + bn + 200);
	sprintf(out, "%s.%s", a, b);
	dl = sizeof(der);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, f->pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dl, (const uint8_t *)out, strlen(out)), 1);
	es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	cjose_base64url_encode(raw, 64, &sg, &sn, &err);
	strcat(out, ".");
	strcat(out, sg);
	free(a);
	free(b);
	free(sg);
	return out;
}

/* An unsigned compact JWS: b64u(hdr).b64u(payload).sig (sig as given). */
static inline char *compact(const char *hdr, const char *payload, const char *sig)
{
	char *a = NULL, *b = NULL, *out;
	size_t an = 0, bn = 0;
	cjose_err err;

	cjose_base64url_encode((const uint8_t *)hdr, strlen(hdr), &a, &an, &err);
	cjose_base64url_encode((const uint8_t *)payload, strlen(payload), &b, &bn, &err);
	out = malloc(an + bn + strlen(sig) + 3);
	sprintf(out, "%s.%s.%s", a, b, sig);
	free(a);
	free(b);
	return out;
}

/* The standard claim set with nbf/exp around NOW, as JSON (extra members appended verbatim). */
static inline char *claims(const char *extra)
{
	char *s = malloc(2048);

	snprintf(s, 2048,
		 "{\"tkvr\":\"1\",\"jti\":\"" JTI "\",\"iss\":\"" ISS "\",\"azp\":\"" HOLDER "\","
		 "\"nbf\":%d,\"exp\":%d,\"aud\":[\"" CSE "\"]%s%s}",
		 NOW - 10, NOW + 600, extra && *extra ? "," : "", extra ? extra : "");
	return s;
}

static inline m2m_token_verify_opts tfx_opts(void)
{
	return (m2m_token_verify_opts){.audience = CSE, .holder = HOLDER, .now = NOW, .skew = M2M_TOKEN_DEFAULT_SKEW};
}

/* Verify text with f's trust and o; returns the error, releases the token. */
static inline m2m_err tfx_verify(const struct tfx *f, const char *text, const m2m_token_verify_opts *o)
{
	m2m_token *t = NULL;
	m2m_err r = m2m_token_verify(text, strlen(text), f->trust, o, &t);

	if (r == M2M_OK)
		assert_non_null(t);
	else
		assert_null(t);
	m2m_token_unref(t);
	return r;
}

#endif
