/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the JWS side of oneM2M JWTs (TS-0003 clauses 7.3.2.5, 7.3.2.6.2-7.3.2.6.3):
 * issuing (ES256 compact JWS, header {"alg","typ":"JWT"}, no cty) and the Hosting CSE's two-stage
 * validation of a received token (include/m2msec/token.h). The JOSE operations are libcjose's;
 * what is ours is the policy around them, checked BEFORE cjose sees the token: size and nesting
 * limits, the m2m:dynAuthJWT form (TS-0004 Table 6.3.3-1), the header rules, the algorithm
 * allow-list per issuer (so "none", HMAC-with-a-public-key and a curve other than the
 * certificate's can never reach a verifier), and the exact signature length.
 * Pure: the time is the caller's (opts->now).
 */
#include <stdlib.h>
#include <string.h>

#include <cjose/base64.h>
#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <cjose/util.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/token_int.h"
#include "m2msec/mem.h"

struct m2m_token_signer {
	cjose_jwk_t *jwk; /* private EC key */
	unsigned alg;
};

/* ---- signer ---------------------------------------------------------------------------------- */

static EVP_PKEY *cert_key(const char *pem, size_t len)
{
	BIO *bio = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = x ? X509_get_pubkey(x) : NULL;

	X509_free(x);
	BIO_free(bio);
	return k;
}

m2m_err m2m_token_signer_new(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
			     m2m_token_signer **out)
{
	EVP_PKEY *priv = NULL, *pub = NULL;
	BIO *bio = NULL;
	BIGNUM *d = NULL, *x = NULL, *y = NULL;
	uint8_t db[66], xb[66], yb[66];
	char group[64];
	cjose_jwk_ec_keyspec spec;
	size_t coord = 0;
	unsigned alg = 0;
	cjose_err err;
	m2m_err r = M2M_E_TOKEN_KEY;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (key_pem == NULL || cert_pem == NULL || key_len > INT32_MAX)
		return M2M_E_INVAL;
	memset(&spec, 0, sizeof(spec));
	if ((bio = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL)
		return M2M_E_NOMEM;
	priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if ((pub = cert_key(cert_pem, cert_len)) == NULL) {
		r = M2M_E_CERT;
		goto out;
	}
	/* the signing key is the certificate's key (docs/procedures/das.md): a mismatch would issue
	 * tokens no CSE trusting that certificate can verify */
	if (priv == NULL || EVP_PKEY_eq(priv, pub) != 1 || EVP_PKEY_get_base_id(priv) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(priv, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1)
		goto out;
	if (strcmp(group, "prime256v1") == 0)
		spec.crv = CJOSE_JWK_EC_P_256, coord = 32, alg = M2M_TOKEN_ALG_ES256;
	else if (strcmp(group, "secp384r1") == 0)
		spec.crv = CJOSE_JWK_EC_P_384, coord = 48, alg = M2M_TOKEN_ALG_ES384;
	else if (strcmp(group, "secp521r1") == 0)
		spec.crv = CJOSE_JWK_EC_P_521, coord = 66, alg = M2M_TOKEN_ALG_ES512;
	else
		goto out;
	if (EVP_PKEY_get_bn_param(priv, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    EVP_PKEY_get_bn_param(priv, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(priv, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
	    BN_bn2binpad(d, db, (int)coord) != (int)coord || BN_bn2binpad(x, xb, (int)coord) != (int)coord ||
	    BN_bn2binpad(y, yb, (int)coord) != (int)coord)
		goto out;
	spec.d = db, spec.dlen = coord, spec.x = xb, spec.xlen = coord, spec.y = yb, spec.ylen = coord;
	r = M2M_E_NOMEM;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		goto out;
	(*out)->alg = alg;
	if (((*out)->jwk = cjose_jwk_create_EC_spec(&spec, &err)) == NULL) {
		free(*out);
		*out = NULL;
		r = M2M_E_CRYPTO;
		goto out;
	}
	r = M2M_OK;
out:
	OPENSSL_cleanse(db, sizeof(db));
	BN_clear_free(d);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	return r;
}

void m2m_token_signer_free(m2m_token_signer *s)
{
	if (s == NULL)
		return;
	cjose_jwk_release(s->jwk); /* cjose frees the EC_KEY with EC_KEY_free (clears d) */
	free(s);
}

unsigned m2m_token_signer_alg(const m2m_token_signer *s)
{
	return s ? s->alg : 0;
}

m2m_err m2m_token_sign(const m2m_token_claims *c, const m2m_token_signer *s, char **out)
{
	char *payload = NULL;
	cjose_header_t *hdr = NULL;
	cjose_jws_t *jws = NULL;
	const char *ser = NULL;
	cjose_err err;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (s == NULL || c == NULL)
		return M2M_E_INVAL;
	if ((r = m2m_token_claims_json(c, &payload)) != M2M_OK)
		return r;
	r = M2M_E_CRYPTO;
	/* TS-0003 clause 7.3.2.6.2: the JWS header has typ "JWT" and no cty */
	if ((hdr = cjose_header_new(&err)) == NULL ||
	    !cjose_header_set(hdr, CJOSE_HDR_ALG, m2m_token_alg_name(s->alg), &err) ||
	    !cjose_header_set(hdr, "typ", "JWT", &err))
		goto out;
	if ((jws = cjose_jws_sign(s->jwk, hdr, (const uint8_t *)payload, strlen(payload), &err)) == NULL ||
	    !cjose_jws_export(jws, &ser, &err) || ser == NULL)
		goto out;
	if (strlen(ser) > M2M_TOKEN_MAX_LEN) {
		r = M2M_E_TOKEN_TOO_LARGE;
		goto out;
	}
	r = (*out = strdup(ser)) ? M2M_OK : M2M_E_NOMEM;
out:
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	free(payload);
	return r;
}

/* ---- verification ---------------------------------------------------------------------------- */

static int b64url_val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '-' ? 62 : ch == '_' ? 63 : -1;
}

/* Canonical base64url without padding (RFC 7515 §2): only the alphabet, no length of 1 mod 4
 * and no set bit after the last byte, so one token has exactly one text (the cache key). */
static bool b64url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b64url_val(s[i]) < 0)
			return false;
	if (n % 4 == 1)
		return false;
	if (n % 4 == 2)
		return (b64url_val(s[n - 1]) & 0x0f) == 0;
	if (n % 4 == 3)
		return (b64url_val(s[n - 1]) & 0x03) == 0;
	return true;
}

/* Decode one base64url part and parse it as a JSON object within the nesting limit.
 * M2M_E_TOKEN_TOO_LARGE over the limit, bad otherwise. */
static m2m_err part_json(const char *s, size_t n, m2m_err bad, json_t **out)
{
	uint8_t *raw = NULL;
	size_t rn = 0;
	cjose_err err;
	m2m_err r = bad;

	*out = NULL;
	if (n == 0 || !cjose_base64url_decode(s, n, &raw, &rn, &err))
		return bad;
	if (m2mi_token_json_depth((const char *)raw, rn) > M2M_TOKEN_MAX_DEPTH) {
		r = m2mi_token_json_depth((const char *)raw, rn) == SIZE_MAX ? bad : M2M_E_TOKEN_TOO_LARGE;
	} else {
		/* duplicate names are refused: two "aud" or two "alg" must not be read two ways */
		*out = json_loadb((const char *)raw, rn, JSON_REJECT_DUPLICATES, NULL);
		if (*out != NULL && json_is_object(*out)) {
			r = M2M_OK;
		} else {
			json_decref(*out);
			*out = NULL;
		}
	}
	cjose_get_dealloc()(raw);
	return r;
}

static unsigned alg_of(const char *name)
{
	static const unsigned bits[] = {M2M_TOKEN_ALG_NONE, M2M_TOKEN_ALG_ES256, M2M_TOKEN_ALG_ES384,
					M2M_TOKEN_ALG_ES512};

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (strcmp(name, m2m_token_alg_name(bits[i])) == 0)
			return bits[i];
	return 0;
}

/* The JOSE header (RFC 7515 §4, TS-0003 clause 7.3.2.6.2): typ "JWT", no cty (not nested), no
 * crit (no extension is understood: RFC 7515 §4.1.11 requires refusal), no b64/zip. */
static m2m_err header_check(const json_t *h, unsigned *alg)
{
	const json_t *typ = json_object_get(h, "typ"), *a = json_object_get(h, "alg");

	*alg = 0;
	if (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0 ||
	    json_object_get(h, "cty") != NULL || json_object_get(h, "crit") != NULL ||
	    json_object_get(h, "b64") != NULL || json_object_get(h, "zip") != NULL || !json_is_string(a) ||
	    strlen(json_string_value(a)) != json_string_length(a))
		return M2M_E_TOKEN_HEADER;
	*alg = alg_of(json_string_value(a));
	return M2M_OK;
}

static size_t sig_len(unsigned alg)
{
	return alg == M2M_TOKEN_ALG_ES256 ? 64 : alg == M2M_TOKEN_ALG_ES384 ? 96 : 132;
}

static m2m_err signature_check(const char *text, size_t len, const char *sig, size_t sn, unsigned alg,
			       const struct m2mi_token_issuer *is)
{
	uint8_t *raw = NULL;
	size_t rn = 0;
	cjose_jws_t *jws;
	cjose_err err;
	bool ok;

	/* RFC 7518 §3.4: R || S, each exactly the curve's size; anything else is refused before
	 * cjose splits it */
	if (sn == 0 || !cjose_base64url_decode(sig, sn, &raw, &rn, &err))
		return M2M_E_TOKEN_SIGNATURE;
	cjose_get_dealloc()(raw);
	if (rn != sig_len(alg) || is->jwk == NULL)
		return M2M_E_TOKEN_SIGNATURE;
	if ((jws = cjose_jws_import(text, len, &err)) == NULL)
		return M2M_E_TOKEN_FORMAT;
	ok = cjose_jws_verify(jws, is->jwk, &err);
	cjose_jws_release(jws);
	return ok ? M2M_OK : M2M_E_TOKEN_SIGNATURE;
}

static void token_free(m2m_token *t)
{
	if (t == NULL)
		return;
	m2mi_token_claims_clear(t);
	json_decref(t->payload);
	free(t);
}

m2m_err m2m_token_parse(const char *text, size_t len, const m2m_token_trust *trust,
			const m2m_token_verify_opts *opts, m2m_token **out)
{
	const char *d1, *d2, *sig;
	json_t *hdr = NULL;
	m2m_token *t = NULL;
	const struct m2mi_token_issuer *is;
	const json_t *iss;
	unsigned alg, allowed;
	size_t max, dots = 0;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (text == NULL || trust == NULL || opts == NULL)
		return M2M_E_INVAL;
	max = opts->max_len ? opts->max_len : M2M_TOKEN_MAX_LEN;
	allowed = opts->algs ? opts->algs : M2M_TOKEN_ALG_ES256;
	if (len > max)
		return M2M_E_TOKEN_TOO_LARGE;
	for (size_t i = 0; i < len; i++)
		dots += text[i] == '.';
	if (dots == 4)
		return M2M_E_TOKEN_CLASS; /* JWE (Encryption-only or Nested): not supported, refused */
	if (len == 0 || dots != 2)
		return M2M_E_TOKEN_FORMAT;
	d1 = memchr(text, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - text));
	sig = d2 + 1;
	/* m2m:e2eCompactJWS [a].[b].[c]: [a] non-empty, every part base64url (no padding) */
	if (d1 == text || !b64url_chars(text, (size_t)(d1 - text)) || !b64url_chars(d1 + 1, (size_t)(d2 - d1 - 1)) ||
	    !b64url_chars(sig, len - (size_t)(sig - text)))
		return M2M_E_TOKEN_FORMAT;
	if ((r = part_json(text, (size_t)(d1 - text), M2M_E_TOKEN_HEADER, &hdr)) != M2M_OK)
		return r;
	r = header_check(hdr, &alg);
	json_decref(hdr);
	if (r != M2M_OK)
		return r;
	if (alg == M2M_TOKEN_ALG_NONE && !(allowed & M2M_TOKEN_ALG_NONE))
		return M2M_E_TOKEN_UNSECURED;
	if (alg == 0 || !(allowed & alg))
		return M2M_E_TOKEN_ALG; /* HS256, RS256, unknown, or one this CSE does not permit */
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return M2M_E_NOMEM;
	atomic_init(&t->refs, 1);
	t->alg = alg;
	if ((r = part_json(d1 + 1, (size_t)(d2 - d1 - 1), M2M_E_TOKEN_CLAIMS, &t->payload)) != M2M_OK)
		goto fail;
	/* the issuer decides which key and which algorithms (clause 7.3.2.6.3) */
	r = M2M_E_TOKEN_CLAIMS;
	iss = json_object_get(t->payload, "iss");
	if (!json_is_string(iss) || strlen(json_string_value(iss)) != json_string_length(iss))
		goto fail;
	r = M2M_E_TOKEN_ISSUER;
	is = m2mi_token_trust_find(trust, json_string_value(iss));
	if (is == NULL || opts->now < is->not_before || opts->now > is->not_after)
		goto fail;
	if (!(is->algs & alg)) {
		r = alg == M2M_TOKEN_ALG_NONE ? M2M_E_TOKEN_UNSECURED : M2M_E_TOKEN_ALG;
		goto fail;
	}
	if (alg == M2M_TOKEN_ALG_NONE) {
		r = M2M_E_TOKEN_FORMAT;
		if (sig != text + len) /* RFC 7519 §6.1: the unsecured JWS has an empty signature */
			goto fail;
	} else if ((r = signature_check(text, len, sig, len - (size_t)(sig - text), alg, is)) != M2M_OK) {
		goto fail;
	}
	if ((r = m2mi_token_claims_decode(t)) != M2M_OK)
		goto fail;
	if (EVP_Digest(text, len, t->digest, NULL, EVP_sha256(), NULL) != 1) {
		r = M2M_E_CRYPTO;
		goto fail;
	}
	*out = t;
	return M2M_OK;
fail:
	token_free(t);
	return r;
}

/* One audience entry against an absolute CSE-ID: '*' matches a run of characters within one
 * '/'-segment (TS-0003 clause 7.1.3, Table 7.1.3-2: "//'*'/myCSE*"). */
static bool glob(const char *p, const char *s)
{
	const char *star = NULL, *mark = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p == *s && *p != '\0') {
			p++;
			s++;
		} else if (star != NULL && *mark != '/') {
			p = star + 1;
			s = ++mark;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool m2m_token_audience_match(const m2m_token *tok, const char *cse_id)
{
	if (tok == NULL || cse_id == NULL)
		return false;
	for (size_t i = 0; i < tok->c.naudience; i++)
		if (glob(tok->c.audience[i], cse_id))
			return true;
	return false;
}

m2m_err m2m_token_check(const m2m_token *tok, const m2m_token_verify_opts *opts)
{
	int64_t skew;

	if (tok == NULL || opts == NULL || opts->skew < 0)
		return M2M_E_INVAL;
	skew = opts->skew;
	if (opts->audience != NULL && (tok->c.naudience > 0 || !opts->audience_optional) &&
	    !m2m_token_audience_match(tok, opts->audience))
		return M2M_E_TOKEN_AUDIENCE;
	/* clause 7.3.2.3 step 7.1.3: "exactly match" */
	if (opts->holder != NULL && strcmp(tok->c.holder, opts->holder) != 0) /* public: IDs */
		return M2M_E_TOKEN_HOLDER;
	if (opts->now < tok->c.not_before - skew)
		return M2M_E_TOKEN_NOT_YET_VALID;
	if (opts->now > tok->c.not_after + skew)
		return M2M_E_TOKEN_EXPIRED;
	return M2M_OK;
}

m2m_err m2m_token_verify(const char *text, size_t len, const m2m_token_trust *trust,
			 const m2m_token_verify_opts *opts, m2m_token **out)
{
	m2m_err r = m2m_token_parse(text, len, trust, opts, out);

	if (r == M2M_OK && (r = m2m_token_check(*out, opts)) != M2M_OK) {
		m2m_token_unref(*out);
		*out = NULL;
	}
	return r;
}

m2m_token *m2m_token_ref(m2m_token *tok)
{
	if (tok != NULL)
		atomic_fetch_add(&tok->refs, 1);
	return tok;
}

void m2m_token_unref(m2m_token *tok)
{
	if (tok != NULL && atomic_fetch_sub(&tok->refs, 1) == 1)
		token_free(tok);
}

const m2m_token_claims *m2m_token_claims_of(const m2m_token *tok)
{
	return tok ? &tok->c : NULL;
}

unsigned m2m_token_alg(const m2m_token *tok)
{
	return tok ? tok->alg : 0;
}

const uint8_t *m2m_token_digest(const m2m_token *tok)
{
	return tok ? tok->digest : NULL;
}

int m2m_token_err_rsc(m2m_err err)
{
	switch (err) {
	case M2M_E_TOKEN_FORMAT:
	case M2M_E_TOKEN_TOO_LARGE:
	case M2M_E_TOKEN_HEADER:
	case M2M_E_TOKEN_CLAIMS:
	case M2M_E_TOKEN_PERMISSIONS:
	case M2M_E_TOKEN_CLASS:
		return 4000; /* BAD_REQUEST */
	case M2M_E_TOKEN_ALG:
	case M2M_E_TOKEN_UNSECURED:
	case M2M_E_TOKEN_ISSUER:
	case M2M_E_TOKEN_SIGNATURE:
	case M2M_E_TOKEN_AUDIENCE:
	case M2M_E_TOKEN_HOLDER:
	case M2M_E_TOKEN_EXPIRED:
	case M2M_E_TOKEN_NOT_YET_VALID:
	case M2M_E_TOKEN_REVOKED:
		return 4103; /* ORIGINATOR_HAS_NO_PRIVILEGE */
	default:
		return 5000; /* INTERNAL_SERVER_ERROR */
	}
}
