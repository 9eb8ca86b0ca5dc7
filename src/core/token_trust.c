/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the token issuer trust set of the Hosting CSE (TS-0003 clause 7.3.2.6.3
 * "Configuring CSEs for verifying Tokens from a Token Issuer": the ESData classes and algorithms
 * each issuer is permitted, and the credentials to verify them) and the parser of its
 * configuration text, the das-trust file (docs/procedures/das.md): one line per issuer,
 * `ISSUER-ID PATH-TO-CERTIFICATE-PEM [ALGS]`. The certificate only pins the issuer's public key
 * (the file is the trust anchor; no chain is built). Pure: the certificate files are read through
 * the caller's reader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjose/jwk.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/token_int.h"

/* Issuers one trust set holds (a das-trust file is operator-written; the bound keeps a mistake
 * from making every token lookup a long scan). */
#define TRUST_MAX 1024

struct m2m_token_trust {
	struct m2mi_token_issuer *v;
	size_t n, cap;
};

static const struct {
	unsigned bit;
	const char *name;
} alg_names[] = {
	{M2M_TOKEN_ALG_NONE, "none"},
	{M2M_TOKEN_ALG_ES256, "ES256"},
	{M2M_TOKEN_ALG_ES384, "ES384"},
	{M2M_TOKEN_ALG_ES512, "ES512"},
};

const char *m2m_token_alg_name(unsigned alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].bit == alg)
			return alg_names[i].name;
	return NULL;
}

m2m_err m2m_token_algs_parse(const char *list, unsigned *out)
{
	unsigned set = 0;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = 0;
	if (list == NULL || *list == '\0')
		return M2M_E_TOKEN_ALG;
	for (const char *p = list;;) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
			if (strlen(alg_names[i].name) == n && strncmp(p, alg_names[i].name, n) == 0)
				bit = alg_names[i].bit;
		if (bit == 0) /* HS256, RS256, a typo: never silently dropped */
			return M2M_E_TOKEN_ALG;
		set |= bit;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	*out = set;
	return M2M_OK;
}

m2m_err m2m_token_trust_new(m2m_token_trust **out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? M2M_OK : M2M_E_NOMEM;
}

void m2m_token_trust_free(m2m_token_trust *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].id);
		EVP_PKEY_free(t->v[i].pkey);
		cjose_jwk_release(t->v[i].jwk);
	}
	free(t->v);
	free(t);
}

size_t m2m_token_trust_count(const m2m_token_trust *t)
{
	return t ? t->n : 0;
}

const struct m2mi_token_issuer *m2mi_token_trust_find(const m2m_token_trust *t, const char *iss)
{
	for (size_t i = 0; t != NULL && iss != NULL && i < t->n; i++)
		if (strcmp(t->v[i].id, iss) == 0) /* public: issuer IDs */
			return &t->v[i];
	return NULL;
}

static int64_t asn1_secs(const ASN1_TIME *a)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

/* The cjose JWK of an EC public key and the algorithm of its curve (RFC 7518 §3.4). */
static m2m_err ec_jwk(EVP_PKEY *pk, void **jwk, unsigned *alg)
{
	char group[64];
	BIGNUM *x = NULL, *y = NULL;
	uint8_t xb[66], yb[66];
	cjose_jwk_ec_keyspec spec;
	size_t coord;
	cjose_err err;
	m2m_err r = M2M_E_TOKEN_KEY;

	*jwk = NULL;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1)
		return M2M_E_TOKEN_KEY;
	memset(&spec, 0, sizeof(spec));
	if (strcmp(group, "prime256v1") == 0) {
		spec.crv = CJOSE_JWK_EC_P_256, coord = 32, *alg = M2M_TOKEN_ALG_ES256;
	} else if (strcmp(group, "secp384r1") == 0) {
		spec.crv = CJOSE_JWK_EC_P_384, coord = 48, *alg = M2M_TOKEN_ALG_ES384;
	} else if (strcmp(group, "secp521r1") == 0) {
		spec.crv = CJOSE_JWK_EC_P_521, coord = 66, *alg = M2M_TOKEN_ALG_ES512;
	} else {
		return M2M_E_TOKEN_KEY;
	}
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
	    BN_bn2binpad(x, xb, (int)coord) != (int)coord || BN_bn2binpad(y, yb, (int)coord) != (int)coord)
		goto out;
	spec.x = xb, spec.xlen = coord, spec.y = yb, spec.ylen = coord;
	*jwk = cjose_jwk_create_EC_spec(&spec, &err);
	r = *jwk ? M2M_OK : M2M_E_CRYPTO;
out:
	BN_free(x);
	BN_free(y);
	return r;
}

m2m_err m2m_token_trust_add(m2m_token_trust *t, const char *issuer, const char *cert_pem, size_t cert_len,
			    unsigned algs)
{
	struct m2mi_token_issuer e;
	X509 *x = NULL;
	BIO *bio = NULL;
	unsigned key_alg = 0;
	m2m_err r;

	if (t == NULL || issuer == NULL || *issuer == '\0' || strlen(issuer) > M2M_TOKEN_STR_MAX)
		return M2M_E_INVAL;
	if ((algs & ~(M2M_TOKEN_ALG_NONE | M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_ES384 | M2M_TOKEN_ALG_ES512)) != 0)
		return M2M_E_TOKEN_ALG;
	if (m2mi_token_trust_find(t, issuer) != NULL)
		return M2M_E_EXISTS;
	if (t->n >= TRUST_MAX)
		return M2M_E_TOO_LARGE;
	memset(&e, 0, sizeof(e));
	if (cert_pem == NULL) {
		/* only an issuer of unsecured tokens has no credential (clause 7.3.2.6.3) */
		if (algs != M2M_TOKEN_ALG_NONE)
			return M2M_E_TOKEN_KEY;
		e.not_after = INT64_MAX;
	} else {
		if (cert_len > INT32_MAX || (bio = BIO_new_mem_buf(cert_pem, (int)cert_len)) == NULL)
			return M2M_E_NOMEM;
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (x == NULL)
			return M2M_E_CERT;
		e.pkey = X509_get_pubkey(x);
		e.not_before = asn1_secs(X509_get0_notBefore(x));
		e.not_after = asn1_secs(X509_get0_notAfter(x));
		X509_free(x);
		r = e.pkey ? ec_jwk(e.pkey, &e.jwk, &key_alg) : M2M_E_TOKEN_KEY;
		if (r == M2M_OK && (e.not_before < 0 || e.not_after < 0))
			r = M2M_E_CERT;
		if (r == M2M_OK && algs == 0)
			algs = key_alg;
		/* one key, one algorithm: ES384 with a P-256 key is a confusion, not a choice */
		if (r == M2M_OK && (algs & ~(key_alg | M2M_TOKEN_ALG_NONE)) != 0)
			r = M2M_E_TOKEN_ALG;
		if (r != M2M_OK) {
			EVP_PKEY_free(e.pkey);
			cjose_jwk_release(e.jwk);
			return r;
		}
	}
	e.algs = algs;
	if ((e.id = strdup(issuer)) == NULL)
		goto nomem;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		void *v = realloc(t->v, cap * sizeof(*t->v));
		if (v == NULL)
			goto nomem;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = e;
	return M2M_OK;
nomem:
	free(e.id);
	EVP_PKEY_free(e.pkey);
	cjose_jwk_release(e.jwk);
	return M2M_E_NOMEM;
}

static m2m_err line_err(char *errmsg, size_t errcap, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static m2m_err line_err(char *errmsg, size_t errcap, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errmsg != NULL && errcap > 0) {
		n = snprintf(errmsg, errcap, "line %u: ", line);
		if (n >= 0 && (size_t)n < errcap) {
			va_start(ap, fmt);
			vsnprintf(errmsg + n, errcap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return M2M_E_TOKEN_TRUST;
}

/* Split the next white-space separated field of s[*i..n) into buf. */
static bool field(const char *s, size_t n, size_t *i, char *buf, size_t cap, size_t *flen)
{
	size_t b;

	while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
	b = *i;
	while (*i < n && s[*i] != ' ' && s[*i] != '\t')
		(*i)++;
	*flen = *i - b;
	if (*flen == 0 || *flen >= cap)
		return false;
	memcpy(buf, s + b, *flen);
	buf[*flen] = '\0';
	return true;
}

static m2m_err parse_line(m2m_token_trust *t, const char *s, size_t n, unsigned line, m2m_token_cert_reader read,
			  void *ctx, char *errmsg, size_t errcap)
{
	char issuer[M2M_TOKEN_STR_MAX + 1], path[1024], algtxt[64];
	size_t i = 0, fl;
	unsigned algs = 0;
	char *pem = NULL;
	size_t pem_len = 0;
	m2m_err r;

	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 && s[k] != '\t')
			return line_err(errmsg, errcap, line, "control character in the line");
	if (!field(s, n, &i, issuer, sizeof(issuer), &fl))
		return line_err(errmsg, errcap, line, "issuer ID too long (at most %d bytes)", M2M_TOKEN_STR_MAX);
	if (!field(s, n, &i, path, sizeof(path), &fl))
		return line_err(errmsg, errcap, line, fl == 0 ? "expected 'ISSUER-ID PATH-TO-CERTIFICATE-PEM [ALGS]'"
							     : "certificate path too long");
	if (field(s, n, &i, algtxt, sizeof(algtxt), &fl)) {
		if (m2m_token_algs_parse(algtxt, &algs) != M2M_OK)
			return line_err(errmsg, errcap, line,
					"unknown algorithm list '%.40s' (ES256, ES384, ES512, none; comma-separated)",
					algtxt);
	} else if (fl != 0) {
		return line_err(errmsg, errcap, line, "algorithm list too long");
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n)
		return line_err(errmsg, errcap, line, "unexpected fourth field");
	if (m2mi_token_trust_find(t, issuer) != NULL)
		return line_err(errmsg, errcap, line, "issuer %.200s is listed twice", issuer);
	if (strcmp(path, "-") == 0) {
		if (algs != M2M_TOKEN_ALG_NONE)
			return line_err(errmsg, errcap, line, "'-' (no certificate) is only allowed with the algorithm list 'none'");
		r = m2m_token_trust_add(t, issuer, NULL, 0, algs);
	} else {
		if ((r = read(ctx, path, &pem, &pem_len)) != M2M_OK)
			return line_err(errmsg, errcap, line, "certificate %.300s: %s", path, m2m_strerror(r));
		r = m2m_token_trust_add(t, issuer, pem, pem_len, algs);
		free(pem);
	}
	switch (r) {
	case M2M_OK:
		return M2M_OK;
	case M2M_E_NOMEM:
		return r;
	case M2M_E_CERT:
		return line_err(errmsg, errcap, line, "certificate %.300s: not a PEM X.509 certificate", path);
	case M2M_E_TOKEN_KEY:
		return line_err(errmsg, errcap, line,
				"certificate %.300s: key is not EC P-256, P-384 or P-521 (ES256/ES384/ES512)", path);
	case M2M_E_TOKEN_ALG:
		return line_err(errmsg, errcap, line, "algorithm list '%.40s' does not fit the key of %.300s",
				algtxt, path);
	case M2M_E_TOO_LARGE:
		return line_err(errmsg, errcap, line, "more than %d issuers", TRUST_MAX);
	default:
		return line_err(errmsg, errcap, line, "%s", m2m_strerror(r));
	}
}

m2m_err m2m_token_trust_parse(m2m_token_trust *t, const char *text, size_t len, m2m_token_cert_reader read,
			      void *read_ctx, char *errmsg, size_t errcap)
{
	unsigned line = 0;
	size_t before;

	if (errmsg != NULL && errcap > 0)
		errmsg[0] = '\0';
	if (t == NULL || (text == NULL && len > 0) || read == NULL)
		return M2M_E_INVAL;
	before = t->n;
	for (size_t pos = 0; pos < len;) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, b = 0;
		m2m_err r;

		pos += n + (nl ? 1 : 0);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		while (b < n && (s[b] == ' ' || s[b] == '\t'))
			b++;
		if (b == n || s[b] == '#')
			continue;
		if ((r = parse_line(t, s + b, n - b, line, read, read_ctx, errmsg, errcap)) != M2M_OK)
			return r;
	}
	if (t->n == before) {
		if (errmsg != NULL && errcap > 0)
			snprintf(errmsg, errcap, "no trusted issuer in the file (expected "
						 "'ISSUER-ID PATH-TO-CERTIFICATE-PEM [ALGS]' lines)");
		return M2M_E_TOKEN_TRUST;
	}
	return M2M_OK;
}
