/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the opening half of ESData (TS-0003 clause 8.5.2.2 steps D-E, 8.5.2.3
 * step C, 8.5.2.4): parse a compact or JSON JWE/JWS, check every header against the caller's
 * allow-list and the rules of docs/procedures/e2e.md BEFORE libjose sees a key, pick the
 * credential by algorithm and kid, decrypt / verify, and for Nested verify the inner JWS.
 * Fail closed: crit, zip, "none", an unknown algorithm and a credential of the wrong type are
 * each a distinct refusal.
 */
#include <stdlib.h>
#include <string.h>

#include <jose/b64.h>
#include <jose/jwe.h>
#include <jose/jws.h>

#include "core/b64_int.h"
#include "core/esdata_int.h"
#include "core/token_int.h"
#include "m2msec/mem.h"

struct hdr {
	unsigned alg, enc;
	const char *kid, *cty;
};

/* Compact to flattened JSON: 3 parts a JWS, 5 a JWE (m2m:e2eCompactJWS / JWE, TS-0004 6.3.3). */
static m2m_err from_compact(const char *in, size_t len, json_t **out)
{
	static const char *const jws_m[] = {"protected", "payload", "signature"};
	static const char *const jwe_m[] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};
	const char *part[6];
	size_t plen[6], n = 0, start = 0;
	json_t *obj;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || in[i] == '.') {
			if (n == 5)
				return M2M_E_ESD_FORMAT;
			part[n] = in + start;
			plen[n++] = i - start;
			start = i + 1;
		}
	}
	if (n != 3 && n != 5)
		return M2M_E_ESD_FORMAT;
	for (size_t i = 0; i < n; i++)
		if (!m2mi_b64url_chars(part[i], plen[i]))
			return M2M_E_ESD_FORMAT;
	/* JWS: header and signature non-empty; JWE: header and ciphertext non-empty */
	if (plen[0] == 0 || (n == 3 && plen[2] == 0) || (n == 5 && plen[3] == 0))
		return M2M_E_ESD_FORMAT;
	if ((obj = json_object()) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *m = n == 3 ? jws_m[i] : jwe_m[i];

		if (json_object_set_new(obj, m, json_stringn(part[i], plen[i])) != 0) {
			json_decref(obj);
			return M2M_E_NOMEM;
		}
	}
	*out = obj;
	return M2M_OK;
}

/* base64url text of a JSON string -> heap octets (+ NUL); NULL on bad input. */
static uint8_t *b64_dec(const json_t *s, size_t *n)
{
	size_t want = jose_b64_dec_buf(json_string_value(s), json_string_length(s), NULL, 0);
	uint8_t *o;

	if (want == SIZE_MAX || want > M2M_ESD_MAX_LEN || (o = malloc(want + 1)) == NULL)
		return NULL;
	if (jose_b64_dec_buf(json_string_value(s), json_string_length(s), o, want) != want) {
		free(o);
		return NULL;
	}
	o[want] = 0;
	*n = want;
	return o;
}

/* Decode a protected header (base64url JSON object, no duplicates, depth-limited). */
static m2m_err protected_hdr(const json_t *p, json_t **out)
{
	uint8_t *raw;
	json_t *h;
	size_t n = 0;

	*out = NULL;
	if (p == NULL)
		return M2M_OK;
	if (!json_is_string(p) || json_string_length(p) == 0)
		return M2M_E_ESD_FORMAT;
	if ((raw = b64_dec(p, &n)) == NULL)
		return M2M_E_ESD_FORMAT;
	if (m2mi_token_json_depth((const char *)raw, n) > M2M_ESD_MAX_DEPTH) {
		free(raw);
		return M2M_E_ESD_HEADER;
	}
	h = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (!json_is_object(h)) {
		json_decref(h);
		return M2M_E_ESD_HEADER;
	}
	*out = h;
	return M2M_OK;
}

/* Merge the three header sources (they must be disjoint, RFC 7516 §7.2.1) and check them. */
static m2m_err check_hdr(const json_t *prot, const json_t *shared, const json_t *per, bool jwe, unsigned allow,
			 json_t **merged, struct hdr *h)
{
	const json_t *src[3] = {prot, shared, per};
	json_t *m = json_object(), *v;
	const char *k;

	memset(h, 0, sizeof(*h));
	*merged = m;
	if (m == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < 3; i++) {
		if (src[i] == NULL)
			continue;
		if (!json_is_object(src[i]))
			return M2M_E_ESD_HEADER;
		json_object_foreach((json_t *)src[i], k, v) {
			if (json_object_get(m, k) || json_object_set(m, k, v) != 0)
				return M2M_E_ESD_HEADER;
		}
	}
	/* no extension is understood (crit), no compression (zip: decompression bombs), no
	 * unencoded payload (b64) */
	if (json_object_get(m, "crit") || json_object_get(m, "zip") || json_object_get(m, "b64"))
		return M2M_E_ESD_HEADER;
	v = json_object_get(m, "kid");
	if (v && (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > M2M_ESD_KID_MAX))
		return M2M_E_ESD_HEADER;
	h->kid = v ? json_string_value(v) : NULL;
	v = json_object_get(m, "cty");
	if (v && (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= 64))
		return M2M_E_ESD_HEADER;
	h->cty = v ? json_string_value(v) : NULL;
	v = json_object_get(m, "typ");
	if (v && !json_is_string(v))
		return M2M_E_ESD_HEADER;
	v = json_object_get(m, "alg");
	if (!json_is_string(v))
		return M2M_E_ESD_HEADER;
	if (strcmp(json_string_value(v), "none") == 0)
		return M2M_E_ESD_UNSECURED;
	h->alg = m2m_esdata_alg_from_name(json_string_value(v));
	if ((h->alg & (jwe ? M2M_ESD_KM_MASK : M2M_ESD_SIG_MASK)) == 0 || (h->alg & allow) == 0)
		return M2M_E_ESD_ALG;
	v = json_object_get(m, "enc");
	if (jwe) {
		if (!json_is_string(v))
			return M2M_E_ESD_HEADER;
		h->enc = m2m_esdata_alg_from_name(json_string_value(v));
		if ((h->enc & M2M_ESD_ENC_MASK) == 0 || (h->enc & allow) == 0)
			return M2M_E_ESD_ALG;
	} else if (v != NULL) {
		return M2M_E_ESD_HEADER;
	}
	return M2M_OK;
}

static bool kid_fits(const m2m_esdata_cred *c, const struct hdr *h)
{
	/* public: key identifiers are not secret */
	return c->kid == NULL || (h->kid != NULL && strcmp(c->kid, h->kid) == 0);
}

/* The entries (recipients / signatures) of a general or flattened object, as an array. */
static m2m_err entries(json_t *obj, const char *name, json_t **arr)
{
	json_t *a = json_object_get(obj, name);

	if (a != NULL) {
		if (!json_is_array(a) || json_array_size(a) == 0)
			return M2M_E_ESD_FORMAT;
		if (json_array_size(a) > M2M_ESD_MAX_CREDS)
			return M2M_E_ESD_TOO_LARGE;
		*arr = json_incref(a);
		return M2M_OK;
	}
	/* flattened: the object is its own single entry */
	*arr = json_pack("[O]", obj);
	return *arr ? M2M_OK : M2M_E_NOMEM;
}

/* The CEK of an RSA-OAEP-256 recipient as an oct JWK (random when the unwrap fails). */
static json_t *rsa_cek(json_t *rcp, EVP_PKEY *pkey, unsigned enc)
{
	json_t *eks = json_object_get(rcp, "encrypted_key"), *k, *jwk = NULL;
	uint8_t cek[32], *ek;
	size_t n = m2mi_esd_enc_len(enc), ekl = 0;

	if (!json_is_string(eks) || (ek = b64_dec(eks, &ekl)) == NULL)
		return NULL;
	if (m2mi_esd_rsa_unwrap(pkey, ek, ekl, cek, n) == M2M_OK && (k = jose_b64_enc(cek, n)) != NULL)
		jwk = json_pack("{s:s,s:o}", "kty", "oct", "k", k);
	m2m_memzero(cek, sizeof(cek));
	free(ek);
	return jwk;
}

static m2m_err open_obj(jose_cfg_t *cfg, json_t *obj, const m2m_esdata_open_opts *o, unsigned allow, int depth,
			uint8_t **pt, size_t *ptlen, m2m_esdata_info *info);

static m2m_err open_jwe(jose_cfg_t *cfg, json_t *jwe, const m2m_esdata_open_opts *o, unsigned allow, int depth,
			uint8_t **pt, size_t *ptlen, m2m_esdata_info *info)
{
	json_t *prot = NULL, *rcps = NULL, *merged = NULL;
	struct hdr h;
	bool tried = false, nested = false, json = false;
	m2m_err r, skipped = M2M_OK;

	if (!json_is_string(json_object_get(jwe, "ciphertext")) || !json_is_string(json_object_get(jwe, "iv")) ||
	    !json_is_string(json_object_get(jwe, "tag")))
		return M2M_E_ESD_FORMAT;
	if ((r = protected_hdr(json_object_get(jwe, "protected"), &prot)) != M2M_OK ||
	    (r = entries(jwe, "recipients", &rcps)) != M2M_OK)
		goto out;
	r = M2M_E_ESD_KEY;
	for (size_t i = 0; i < json_array_size(rcps); i++) {
		json_t *rcp = json_array_get(rcps, i);
		m2m_err hr;

		json_decref(merged);
		hr = check_hdr(prot, json_object_get(jwe, "unprotected"), json_object_get(rcp, "header"), true,
			       allow, &merged, &h);
		/* a recipient of an algorithm this caller does not allow is skipped (it is meant for
		 * another target); a malformed one, or "none", refuses the whole object */
		if (hr == M2M_E_ESD_ALG && json_array_size(rcps) > 1) {
			skipped = hr;
			continue;
		}
		if (hr != M2M_OK) {
			r = hr;
			goto out;
		}
		nested = m2mi_esd_cty_is_jose(h.cty, &json);
		if (o->expect && o->expect != (nested ? M2M_ESD_CLASS_NESTED : M2M_ESD_CLASS_ENC)) {
			r = M2M_E_ESD_CLASS;
			goto out;
		}
		for (size_t k = 0; k < o->nkeys; k++) {
			const m2m_esdata_cred *c = &o->keys[k];
			json_t *jwk, *cek;
			void *p;
			size_t pl = 0;

			if (c->alg != h.alg || !kid_fits(c, &h) || m2mi_esd_cred_ok(c, h.enc, true) != M2M_OK)
				continue;
			tried = true;
			if ((jwk = m2mi_esd_jwk(cfg, c, false)) == NULL) {
				r = M2M_E_NOMEM;
				goto out;
			}
			if (c->alg == M2M_ESD_RSA_OAEP_256)
				cek = rsa_cek(rcp, c->pkey, h.enc);
			else
				cek = jose_jwe_dec_jwk(cfg, jwe, rcp == jwe ? NULL : rcp, jwk);
			m2mi_esd_jwk_free(jwk);
			p = cek ? jose_jwe_dec_cek(cfg, jwe, cek, &pl) : NULL;
			m2mi_esd_jwk_free(cek);
			if (p == NULL)
				continue;
			if (info) {
				info->km = h.alg;
				info->enc = h.enc;
				snprintf(info->kid, sizeof(info->kid), "%s", h.kid ? h.kid : "");
				snprintf(info->cty, sizeof(info->cty), "%s", h.cty ? h.cty : "");
			}
			if (!nested) {
				*pt = p;
				*ptlen = pl;
				r = M2M_OK;
				goto out;
			}
			/* Nested Sign-then-Encrypt: the plaintext is a JWS signed with a
			 * certificate key (clause 8.5.2.4), no HMAC */
			{
				json_t *inner = NULL;
				m2m_esdata_open_opts io = *o;

				io.expect = M2M_ESD_CLASS_SIG;
				if (json)
					inner = json_loadb(p, pl, JSON_REJECT_DUPLICATES, NULL);
				else
					r = from_compact(p, pl, &inner);
				m2m_freezero(p, pl);
				if (json && !json_is_object(inner))
					r = M2M_E_ESD_FORMAT;
				else if (inner != NULL)
					r = open_obj(cfg, inner, &io, allow & ~M2M_ESD_HS_MASK, depth + 1, pt,
						     ptlen, info);
				json_decref(inner);
				if (r == M2M_OK && info)
					info->cls = M2M_ESD_CLASS_NESTED;
				goto out;
			}
		}
	}
	if (tried)
		r = M2M_E_ESD_DECRYPT;
	else if (skipped)
		r = skipped;
out:
	json_decref(merged);
	json_decref(rcps);
	json_decref(prot);
	if (r == M2M_OK && info && info->cls == 0)
		info->cls = M2M_ESD_CLASS_ENC;
	return r;
}

static m2m_err open_jws(jose_cfg_t *cfg, json_t *jws, const m2m_esdata_open_opts *o, unsigned allow, uint8_t **pt,
			size_t *ptlen, m2m_esdata_info *info)
{
	json_t *sigs = NULL, *merged = NULL, *prot = NULL;
	struct hdr h;
	bool tried = false;
	m2m_err r, skipped = M2M_OK;

	if (o->expect && o->expect != M2M_ESD_CLASS_SIG)
		return M2M_E_ESD_CLASS;
	if (!json_is_string(json_object_get(jws, "payload")))
		return M2M_E_ESD_FORMAT;
	if ((r = entries(jws, "signatures", &sigs)) != M2M_OK)
		return r;
	r = M2M_E_ESD_KEY;
	for (size_t i = 0; i < json_array_size(sigs); i++) {
		json_t *sig = json_array_get(sigs, i);
		m2m_err hr;

		if (!json_is_string(json_object_get(sig, "signature"))) {
			r = M2M_E_ESD_FORMAT;
			goto out;
		}
		json_decref(prot);
		json_decref(merged);
		merged = NULL;
		if ((hr = protected_hdr(json_object_get(sig, "protected"), &prot)) == M2M_OK)
			hr = check_hdr(prot, NULL, json_object_get(sig, "header"), false, allow, &merged, &h);
		if (hr == M2M_E_ESD_ALG && json_array_size(sigs) > 1) {
			skipped = hr; /* a signature for another verifier (see open_jwe) */
			continue;
		}
		if (hr != M2M_OK) {
			r = hr;
			goto out;
		}
		for (size_t k = 0; k < o->nverifiers; k++) {
			const m2m_esdata_cred *c = &o->verifiers[k];
			json_t *jwk;
			bool ok;

			if (c->alg != h.alg || !kid_fits(c, &h) || m2mi_esd_cred_ok(c, 0, false) != M2M_OK)
				continue;
			tried = true;
			if ((jwk = m2mi_esd_jwk(cfg, c, (c->alg & M2M_ESD_HS_MASK) == 0)) == NULL) {
				r = M2M_E_NOMEM;
				goto out;
			}
			ok = jose_jws_ver(cfg, jws, sig == jws ? NULL : sig, jwk, false);
			m2mi_esd_jwk_free(jwk);
			if (!ok)
				continue;
			*pt = b64_dec(json_object_get(jws, "payload"), ptlen);
			r = *pt ? M2M_OK : M2M_E_ESD_FORMAT;
			if (r == M2M_OK && info) {
				info->cls = M2M_ESD_CLASS_SIG;
				info->sig = h.alg;
				if (info->kid[0] == '\0')
					snprintf(info->kid, sizeof(info->kid), "%s", h.kid ? h.kid : "");
				snprintf(info->cty, sizeof(info->cty), "%s", h.cty ? h.cty : "");
			}
			goto out;
		}
	}
	if (tried)
		r = M2M_E_ESD_SIGNATURE;
	else if (skipped)
		r = skipped;
out:
	json_decref(prot);
	json_decref(merged);
	json_decref(sigs);
	return r;
}

static m2m_err open_obj(jose_cfg_t *cfg, json_t *obj, const m2m_esdata_open_opts *o, unsigned allow, int depth,
			uint8_t **pt, size_t *ptlen, m2m_esdata_info *info)
{
	if (depth > 1)
		return M2M_E_ESD_TOO_LARGE; /* Nested is exactly one JWE around one JWS */
	if (json_object_get(obj, "ciphertext") != NULL) {
		if (depth > 0)
			return M2M_E_ESD_CLASS; /* encrypt-then-encrypt is not a class */
		return open_jwe(cfg, obj, o, allow, depth, pt, ptlen, info);
	}
	if (json_object_get(obj, "payload") != NULL)
		return open_jws(cfg, obj, o, allow, pt, ptlen, info);
	return M2M_E_ESD_FORMAT;
}

m2m_err m2m_esdata_open(const char *in, size_t len, const m2m_esdata_open_opts *o, uint8_t **pt, size_t *ptlen,
			m2m_esdata_info *info)
{
	size_t max, pl = 0;
	unsigned allow;
	json_t *obj = NULL;
	jose_cfg_t *cfg = NULL;
	uint8_t *p = NULL;
	m2m_esdata_info tmp;
	m2m_err r;

	if (pt == NULL || ptlen == NULL)
		return M2M_E_INVAL;
	*pt = NULL;
	*ptlen = 0;
	if (info == NULL)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if (o == NULL || in == NULL || (o->nkeys && o->keys == NULL) || (o->nverifiers && o->verifiers == NULL))
		return M2M_E_INVAL;
	max = o->max_len ? o->max_len : M2M_ESD_MAX_LEN;
	allow = (o->algs ? o->algs : M2M_ESD_ALGS_SPEC) & (M2M_ESD_KM_MASK | M2M_ESD_ENC_MASK | M2M_ESD_SIG_MASK);
	if (len > max)
		return M2M_E_ESD_TOO_LARGE;
	while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r' || in[len - 1] == ' '))
		len--;
	if (len > 0 && in[0] == '{') {
		size_t d = m2mi_token_json_depth(in, len);

		if (d == SIZE_MAX)
			return M2M_E_ESD_FORMAT;
		if (d > M2M_ESD_MAX_DEPTH)
			return M2M_E_ESD_TOO_LARGE;
		obj = json_loadb(in, len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(obj)) {
			json_decref(obj);
			return M2M_E_ESD_FORMAT;
		}
		info->ser = M2M_ESD_JSON;
	} else {
		if ((r = from_compact(in, len, &obj)) != M2M_OK)
			return r;
		info->ser = M2M_ESD_COMPACT;
	}
	if ((cfg = m2mi_esd_cfg()) == NULL) {
		json_decref(obj);
		return M2M_E_NOMEM;
	}
	r = open_obj(cfg, obj, o, allow, 0, &p, &pl, info);
	json_decref(obj);
	jose_cfg_decref(cfg);
	if (r != M2M_OK)
		return r;
	*pt = p;
	*ptlen = pl;
	return M2M_OK;
}
