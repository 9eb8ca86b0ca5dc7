/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the protecting half of ESData (TS-0003 clause 8.5, include/m2msec/esdata.h):
 * the algorithm table of Tables 8.5.3.2-3/-4 and 8.5.3.3-2, the credential checks, and
 * Encryption-only / Signature-only / Nested Sign-then-Encrypt in the Compact or JSON
 * Serialization. The JOSE operations are libjose's (libcjose has neither the JSON Serialization
 * nor RSA-OAEP-256 and ECDH-ES+A*KW; docs/dependencies.md); what is ours is the policy: which
 * algorithms, which key for which algorithm, the header rules, the limits and the 2^32 counter of
 * direct AES-GCM (clause 8.5.2.2.1).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jose/b64.h>
#include <jose/jwe.h>
#include <jose/jwk.h>
#include <jose/jws.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "core/esdata_int.h"
#include "m2msec/mem.h"

static const struct {
	unsigned bit;
	const char *name;
} algs[] = {
	{M2M_ESD_DIR, "dir"},
	{M2M_ESD_A128KW, "A128KW"},
	{M2M_ESD_A192KW, "A192KW"},
	{M2M_ESD_A256KW, "A256KW"},
	{M2M_ESD_RSA_OAEP_256, "RSA-OAEP-256"},
	{M2M_ESD_ECDH_ES, "ECDH-ES"},
	{M2M_ESD_ECDH_ES_A128KW, "ECDH-ES+A128KW"},
	{M2M_ESD_ECDH_ES_A192KW, "ECDH-ES+A192KW"},
	{M2M_ESD_ECDH_ES_A256KW, "ECDH-ES+A256KW"},
	{M2M_ESD_A128GCM, "A128GCM"},
	{M2M_ESD_A192GCM, "A192GCM"},
	{M2M_ESD_A256GCM, "A256GCM"},
	{M2M_ESD_HS256, "HS256"},
	{M2M_ESD_HS384, "HS384"},
	{M2M_ESD_HS512, "HS512"},
	{M2M_ESD_RS256, "RS256"},
	{M2M_ESD_RS384, "RS384"},
	{M2M_ESD_RS512, "RS512"},
	{M2M_ESD_ES256, "ES256"},
	{M2M_ESD_ES384, "ES384"},
	{M2M_ESD_ES512, "ES512"},
};

const char *m2m_esdata_alg_name(unsigned alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].bit == alg)
			return algs[i].name;
	return NULL;
}

unsigned m2m_esdata_alg_from_name(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0) /* public: algorithm names are not secret */
			return algs[i].bit;
	return 0;
}

int m2m_esdata_content_security(m2m_esdata_ser ser)
{
	return ser == M2M_ESD_JSON ? 2 : ser == M2M_ESD_COMPACT ? 1 : 0;
}

/* ---- shared helpers (esdata_int.h) ------------------------------------------------------------ */

static void silent(void *misc, const char *file, int line, uint64_t err, const char *fmt, va_list ap)
{
	(void)misc, (void)file, (void)line, (void)err, (void)fmt, (void)ap;
}

jose_cfg_t *m2mi_esd_cfg(void)
{
	jose_cfg_t *cfg = jose_cfg();

	if (cfg != NULL)
		jose_cfg_set_err_func(cfg, silent, NULL);
	return cfg;
}

size_t m2mi_esd_enc_len(unsigned enc)
{
	return enc == M2M_ESD_A128GCM ? 16 : enc == M2M_ESD_A192GCM ? 24 : enc == M2M_ESD_A256GCM ? 32 : 0;
}

bool m2mi_esd_cty_is_jose(const char *cty, bool *json)
{
	char low[32];
	size_t n = cty ? strlen(cty) : 0;
	const char *p = low;

	*json = false;
	if (n == 0 || n >= sizeof(low))
		return false;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)((cty[i] >= 'A' && cty[i] <= 'Z') ? cty[i] + 32 : cty[i]);
	if (strncmp(p, "application/", 12) == 0)
		p += 12;
	if (strcmp(p, "jose+json") == 0)
		return (*json = true);
	return strcmp(p, "jose") == 0;
}

/* Curve name an ES* / ECDH key must have, "" for any of the three (ECDH-ES). */
static const char *es_curve(unsigned alg)
{
	return alg == M2M_ESD_ES256 ? "prime256v1" : alg == M2M_ESD_ES384 ? "secp384r1"
		: alg == M2M_ESD_ES512 ? "secp521r1" : "";
}

static bool pkey_private(EVP_PKEY *k)
{
	BIGNUM *bn = NULL;
	bool has = false;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
		has = EVP_PKEY_get_bn_param(k, "priv", &bn) == 1;
	else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
		has = EVP_PKEY_get_bn_param(k, "d", &bn) == 1;
	BN_clear_free(bn);
	return has;
}

m2m_err m2mi_esd_cred_ok(const m2m_esdata_cred *c, unsigned enc, bool need_private)
{
	unsigned a = c->alg;
	size_t want = 0, kl = c->key ? m2m_key_len(c->key) : 0;
	char group[32];

	if (a == 0 || (a & (a - 1)) != 0 || (a & (M2M_ESD_KM_MASK | M2M_ESD_SIG_MASK)) != a)
		return M2M_E_ESD_ALG;
	if (c->kid != NULL && (c->kid[0] == '\0' || strlen(c->kid) > M2M_ESD_KID_MAX))
		return M2M_E_ESD_HEADER;
	if (a == M2M_ESD_DIR)
		want = m2mi_esd_enc_len(enc);
	else if (a == M2M_ESD_A128KW)
		want = 16;
	else if (a == M2M_ESD_A192KW)
		want = 24;
	else if (a == M2M_ESD_A256KW)
		want = 32;
	if (want != 0 || (a & M2M_ESD_HS_MASK)) {
		/* symmetric: exact length for wrap / direct; HMAC keys at least the hash length
		 * (RFC 7518 §3.2). A public key is never taken as an HMAC secret. */
		size_t hmin = a == M2M_ESD_HS256 ? 32 : a == M2M_ESD_HS384 ? 48 : 64;

		if (c->key == NULL || c->pkey != NULL)
			return M2M_E_ESD_KEY;
		if ((a & M2M_ESD_HS_MASK) ? kl < hmin : kl != want)
			return M2M_E_ESD_KEY;
		return M2M_OK;
	}
	if (c->pkey == NULL || c->key != NULL)
		return M2M_E_ESD_KEY;
	if (need_private && !pkey_private(c->pkey))
		return M2M_E_ESD_KEY;
	if (a == M2M_ESD_RSA_OAEP_256 || a == M2M_ESD_RS256 || a == M2M_ESD_RS384 || a == M2M_ESD_RS512)
		return EVP_PKEY_get_base_id(c->pkey) == EVP_PKEY_RSA && EVP_PKEY_get_bits(c->pkey) >= 2048
			       ? M2M_OK
			       : M2M_E_ESD_KEY;
	if (EVP_PKEY_get_base_id(c->pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(c->pkey, "group", group, sizeof(group), NULL) != 1)
		return M2M_E_ESD_KEY;
	if (es_curve(a)[0] != '\0')
		return strcmp(group, es_curve(a)) == 0 ? M2M_OK : M2M_E_ESD_KEY;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
			       strcmp(group, "secp521r1") == 0
		       ? M2M_OK
		       : M2M_E_ESD_KEY;
}

void m2mi_esd_jwk_free(json_t *jwk)
{
	const char *k;
	json_t *v;

	if (jwk == NULL)
		return;
	/* wipe the secret members before jansson frees them */
	json_object_foreach(jwk, k, v) {
		if (json_is_string(v) && (strcmp(k, "k") == 0 || strcmp(k, "d") == 0 || strcmp(k, "p") == 0 ||
					  strcmp(k, "q") == 0 || strcmp(k, "dp") == 0 || strcmp(k, "dq") == 0 ||
					  strcmp(k, "qi") == 0))
			m2m_memzero((void *)json_string_value(v), json_string_length(v));
	}
	json_decref(jwk);
}

json_t *m2mi_esd_jwk(jose_cfg_t *cfg, const m2m_esdata_cred *c, bool public_only)
{
	json_t *jwk = NULL;

	if (c->key != NULL) {
		size_t len;
		const uint8_t *b = m2m_key_bytes(c->key, &len);
		json_t *k = jose_b64_enc(b, len);

		jwk = k ? json_pack("{s:s,s:o}", "kty", "oct", "k", k) : NULL;
	} else if (c->pkey != NULL) {
		jwk = jose_openssl_jwk_from_EVP_PKEY(cfg, c->pkey);
		if (jwk != NULL && public_only && !jose_jwk_pub(cfg, jwk)) {
			m2mi_esd_jwk_free(jwk);
			jwk = NULL;
		}
	}
	/* "alg" pins the key to its algorithm; not for dir, where libjose takes the JWK as the CEK
	 * and requires the CEK's alg to be the "enc" */
	if (jwk != NULL && c->alg != M2M_ESD_DIR &&
	    json_object_set_new(jwk, "alg", json_string(m2m_esdata_alg_name(c->alg))) != 0) {
		m2mi_esd_jwk_free(jwk);
		jwk = NULL;
	}
	return jwk;
}

m2m_err m2mi_esd_rsa_wrap(EVP_PKEY *pkey, const uint8_t *cek, size_t cek_len, uint8_t **ek, size_t *ek_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	size_t n = 0;
	m2m_err r = M2M_E_CRYPTO;

	*ek = NULL;
	if (ctx != NULL && EVP_PKEY_encrypt_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA256", NULL) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA256", NULL) == 1 &&
	    EVP_PKEY_encrypt(ctx, NULL, &n, cek, cek_len) == 1 && (*ek = malloc(n)) != NULL &&
	    EVP_PKEY_encrypt(ctx, *ek, &n, cek, cek_len) == 1) {
		*ek_len = n;
		r = M2M_OK;
	} else {
		free(*ek);
		*ek = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return r;
}

m2m_err m2mi_esd_rsa_unwrap(EVP_PKEY *pkey, const uint8_t *ek, size_t ek_len, uint8_t *cek, size_t cek_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	uint8_t buf[512];
	size_t n = sizeof(buf);
	bool ok = ctx != NULL && ek_len <= sizeof(buf) && EVP_PKEY_decrypt_init(ctx) == 1 &&
		  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
		  EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA256", NULL) == 1 &&
		  EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA256", NULL) == 1 &&
		  EVP_PKEY_decrypt(ctx, buf, &n, ek, ek_len) == 1 && n == cek_len;

	EVP_PKEY_CTX_free(ctx);
	if (ok)
		memcpy(cek, buf, cek_len);
	m2m_memzero(buf, sizeof(buf));
	/* RFC 7516 §11.5: a random CEK on failure, so the caller fails at the tag as for a wrong key */
	if (!ok && RAND_priv_bytes(cek, (int)cek_len) != 1)
		return M2M_E_CRYPTO;
	return M2M_OK;
}

/* ---- protect ---------------------------------------------------------------------------------- */

/* Add one recipient entry (header h, encrypted key ek) to jwe as libjose does: flattened for
 * the first, the general "recipients" array from the second on. */
static m2m_err add_recipient(json_t *jwe, json_t *h, json_t *ek)
{
	json_t *rcps = json_object_get(jwe, "recipients"), *e = json_pack("{s:O,s:O}", "header", h, "encrypted_key", ek);

	if (e == NULL)
		return M2M_E_NOMEM;
	if (rcps == NULL && json_object_get(jwe, "encrypted_key") == NULL) {
		json_decref(e);
		return json_object_set(jwe, "header", h) == 0 && json_object_set(jwe, "encrypted_key", ek) == 0
			       ? M2M_OK
			       : M2M_E_NOMEM;
	}
	if (rcps == NULL) {
		json_t *first = json_object();

		if (first == NULL || json_object_set(first, "encrypted_key", json_object_get(jwe, "encrypted_key")) ||
		    (json_object_get(jwe, "header") &&
		     json_object_set(first, "header", json_object_get(jwe, "header"))) ||
		    json_object_set_new(jwe, "recipients", rcps = json_array()) || json_array_append_new(rcps, first)) {
			json_decref(e);
			return M2M_E_NOMEM;
		}
		json_object_del(jwe, "encrypted_key");
		json_object_del(jwe, "header");
	}
	return json_array_append_new(rcps, e) == 0 ? M2M_OK : M2M_E_NOMEM;
}

/* RSA-OAEP-256 recipient (see esdata_int.h): the CEK is generated here when this is the first
 * recipient, as libjose would. */
static m2m_err rsa_recipient(jose_cfg_t *cfg, json_t *jwe, json_t *h, json_t *cek, unsigned enc,
			     EVP_PKEY *pkey)
{
	uint8_t raw[32], *ek = NULL;
	size_t n = m2mi_esd_enc_len(enc), ekl = 0;
	json_t *k = json_object_get(cek, "k"), *eks = NULL;
	m2m_err r;

	if (k == NULL) {
		if (json_object_set_new(cek, "alg", json_string(m2m_esdata_alg_name(enc))) ||
		    !jose_jwk_gen(cfg, cek) || (k = json_object_get(cek, "k")) == NULL)
			return M2M_E_CRYPTO;
	}
	if (!json_is_string(k) || jose_b64_dec_buf(json_string_value(k), json_string_length(k), NULL, 0) != n ||
	    jose_b64_dec_buf(json_string_value(k), json_string_length(k), raw, sizeof(raw)) != n)
		return M2M_E_CRYPTO;
	r = m2mi_esd_rsa_wrap(pkey, raw, n, &ek, &ekl);
	m2m_memzero(raw, sizeof(raw));
	if (r == M2M_OK && (eks = jose_b64_enc(ek, ekl)) == NULL)
		r = M2M_E_NOMEM;
	if (r == M2M_OK)
		r = add_recipient(jwe, h, eks);
	json_decref(eks);
	free(ek);
	return r;
}


/* The compact form of a flattened object: the listed members (strings, "" when absent). */
static char *compact(const json_t *obj, const char *const *members, size_t n)
{
	size_t len = 0;
	char *out, *p;

	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, members[i]);

		if (v != NULL && !json_is_string(v))
			return NULL;
		len += (v ? json_string_length(v) : 0) + 1;
	}
	if ((out = malloc(len)) == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, members[i]);
		size_t l = v ? json_string_length(v) : 0;

		if (l)
			memcpy(p, json_string_value(v), l);
		p += l;
		*p++ = i + 1 < n ? '.' : '\0';
	}
	return out;
}

/* Serialise obj: compact members or JSON text. */
static m2m_err finish(json_t *obj, m2m_esdata_ser ser, bool jwe, char **out)
{
	static const char *const jws_m[] = {"protected", "payload", "signature"};
	static const char *const jwe_m[] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};

	if (ser == M2M_ESD_COMPACT) {
		/* every header member must be integrity protected in the compact form */
		if (json_object_get(obj, "header") || json_object_get(obj, "unprotected") ||
		    json_object_get(obj, "recipients") || json_object_get(obj, "signatures"))
			return M2M_E_INTERNAL;
		*out = jwe ? compact(obj, jwe_m, 5) : compact(obj, jws_m, 3);
	} else {
		*out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	}
	return *out ? M2M_OK : M2M_E_NOMEM;
}

static m2m_err sign(jose_cfg_t *cfg, const uint8_t *pt, size_t ptlen, const m2m_esdata_protect_opts *o,
		    char **out)
{
	json_t *jws = json_pack("{s:o}", "payload", jose_b64_enc(pt, ptlen));
	m2m_err r = M2M_OK;

	if (jws == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < o->nsigners && r == M2M_OK; i++) {
		const m2m_esdata_cred *c = &o->signers[i];
		json_t *prot = json_pack("{s:s}", "alg", m2m_esdata_alg_name(c->alg));
		json_t *sig = prot ? json_pack("{s:o}", "protected", prot) : NULL;
		json_t *jwk = sig ? m2mi_esd_jwk(cfg, c, false) : NULL;

		if (jwk == NULL || (c->kid && json_object_set_new(prot, "kid", json_string(c->kid))) ||
		    (o->cty && json_object_set_new(prot, "cty", json_string(o->cty))))
			r = M2M_E_NOMEM;
		else if (!jose_jws_sig(cfg, jws, sig, jwk))
			r = M2M_E_CRYPTO;
		m2mi_esd_jwk_free(jwk);
		json_decref(sig);
	}
	if (r == M2M_OK)
		r = finish(jws, o->ser, false, out);
	json_decref(jws);
	return r;
}

/* Move every member of the (unprotected) "header" of obj into the protected header prot. */
static m2m_err header_to_protected(json_t *obj, json_t *prot)
{
	json_t *h = json_object_get(obj, "header");
	const char *k;
	json_t *v;

	if (h == NULL)
		return M2M_OK;
	json_object_foreach(h, k, v) {
		if (json_object_get(prot, k) || json_object_set(prot, k, v) != 0)
			return M2M_E_INTERNAL;
	}
	return json_object_del(obj, "header") == 0 ? M2M_OK : M2M_E_INTERNAL;
}

static m2m_err encrypt(jose_cfg_t *cfg, const uint8_t *pt, size_t ptlen, const m2m_esdata_protect_opts *o,
		       const char *cty, char **out)
{
	json_t *prot = json_pack("{s:s}", "enc", m2m_esdata_alg_name(o->enc));
	json_t *jwe = prot ? json_pack("{s:o}", "protected", prot) : NULL;
	json_t *cek = json_object();
	m2m_err r = M2M_OK;

	if (jwe == NULL || cek == NULL || (cty && json_object_set_new(prot, "cty", json_string(cty)))) {
		r = M2M_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < o->nrcpts && r == M2M_OK; i++) {
		const m2m_esdata_cred *c = &o->rcpts[i];
		json_t *h = json_pack("{s:s}", "alg", m2m_esdata_alg_name(c->alg));
		json_t *rcp = h ? json_pack("{s:o}", "header", h) : NULL;
		json_t *jwk = rcp ? m2mi_esd_jwk(cfg, c, true) : NULL;

		if (jwk == NULL || (c->kid && json_object_set_new(h, "kid", json_string(c->kid))))
			r = M2M_E_NOMEM;
		else if (c->alg == M2M_ESD_RSA_OAEP_256)
			r = rsa_recipient(cfg, jwe, h, cek, o->enc, c->pkey);
		else if (!jose_jwe_enc_jwk(cfg, jwe, rcp, jwk, cek))
			r = M2M_E_CRYPTO;
		m2mi_esd_jwk_free(jwk);
		json_decref(rcp);
	}
	/* compact: alg, kid and an ECDH-ES "epk" are protected (RFC 7516 §7.1) */
	if (r == M2M_OK && o->ser == M2M_ESD_COMPACT)
		r = header_to_protected(jwe, prot);
	if (r == M2M_OK && !jose_jwe_enc_cek(cfg, jwe, cek, pt, ptlen))
		r = M2M_E_CRYPTO;
	if (r == M2M_OK)
		r = finish(jwe, o->ser, true, out);
out:
	m2mi_esd_jwk_free(cek);
	json_decref(jwe);
	return r;
}

static m2m_err check_opts(const m2m_esdata_protect_opts *o)
{
	m2m_err r;

	if (o->ser != M2M_ESD_COMPACT && o->ser != M2M_ESD_JSON)
		return M2M_E_INVAL;
	if (o->nsigners + o->nrcpts == 0 || (o->nsigners && o->signers == NULL) || (o->nrcpts && o->rcpts == NULL))
		return M2M_E_INVAL;
	if (o->nsigners > M2M_ESD_MAX_CREDS || o->nrcpts > M2M_ESD_MAX_CREDS)
		return M2M_E_ESD_TOO_LARGE;
	if (o->ser == M2M_ESD_COMPACT && (o->nsigners > 1 || o->nrcpts > 1))
		return M2M_E_ESD_FORMAT;
	if (o->cty != NULL && (o->cty[0] == '\0' || strlen(o->cty) >= 64))
		return M2M_E_ESD_HEADER;
	for (size_t i = 0; i < o->nsigners; i++) {
		if ((o->signers[i].alg & M2M_ESD_SIG_MASK) == 0)
			return M2M_E_ESD_ALG;
		/* Nested: "Digital Signature using Source End-Point Certificate" only (clause 8.5.2.4) */
		if (o->nrcpts && (o->signers[i].alg & M2M_ESD_HS_MASK))
			return M2M_E_ESD_CLASS;
		if ((r = m2mi_esd_cred_ok(&o->signers[i], 0, true)) != M2M_OK)
			return r;
	}
	if (o->nrcpts && m2mi_esd_enc_len(o->enc) == 0)
		return M2M_E_ESD_ALG;
	for (size_t i = 0; i < o->nrcpts; i++) {
		unsigned a = o->rcpts[i].alg;

		if ((a & M2M_ESD_KM_MASK) == 0)
			return M2M_E_ESD_ALG;
		/* Direct modes use the key as CEK: one recipient only (clause 8.5.2.2.1) */
		if ((a == M2M_ESD_DIR || a == M2M_ESD_ECDH_ES) && o->nrcpts != 1)
			return M2M_E_ESD_CLASS;
		if ((r = m2mi_esd_cred_ok(&o->rcpts[i], o->enc, false)) != M2M_OK)
			return r;
		if (a == M2M_ESD_DIR && o->direct_uses == NULL)
			return M2M_E_INVAL;
	}
	return M2M_OK;
}

m2m_err m2m_esdata_protect(const uint8_t *pt, size_t ptlen, const m2m_esdata_protect_opts *o, char **out,
			   size_t *outlen)
{
	jose_cfg_t *cfg = NULL;
	char *inner = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (outlen)
		*outlen = 0;
	if (o == NULL || (pt == NULL && ptlen != 0))
		return M2M_E_INVAL;
	if (ptlen > M2M_ESD_MAX_PLAINTEXT)
		return M2M_E_ESD_TOO_LARGE;
	if ((r = check_opts(o)) != M2M_OK)
		return r;
	/* clause 8.5.2.2.1: direct AES-GCM under one key at most 2^32 times; the count is the
	 * caller's (it must survive restarts), taken before the key is used */
	if (o->nrcpts == 1 && o->rcpts[0].alg == M2M_ESD_DIR) {
		if (*o->direct_uses >= M2M_ESD_DIRECT_LIMIT)
			return M2M_E_ESD_LIMIT;
		(*o->direct_uses)++;
	}
	if ((cfg = m2mi_esd_cfg()) == NULL)
		return M2M_E_NOMEM;
	if (o->nsigners) {
		if ((r = sign(cfg, pt, ptlen, o, &inner)) != M2M_OK)
			goto out;
		if (o->nrcpts == 0) {
			*out = inner;
			inner = NULL;
		} else {
			/* Nested: the JWS (same serialisation) is the JWE plaintext, cty says so */
			r = encrypt(cfg, (const uint8_t *)inner, strlen(inner), o,
				    o->ser == M2M_ESD_COMPACT ? "JOSE" : "JOSE+JSON", out);
		}
	} else {
		r = encrypt(cfg, pt, ptlen, o, o->cty, out);
	}
out:
	free(inner);
	jose_cfg_decref(cfg);
	if (r == M2M_OK && outlen)
		*outlen = strlen(*out);
	return r;
}
