/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the ESPrim Object of TS-0003 clause 8.4.3.2 (JWE Compact, "alg":"dir",
 * "enc" A128GCM / A192GCM / A256GCM, protected header members of Table 8.4.3.2-2) and the
 * mapping of its refusals to TS-0004 Table 7.6.2-1. The JWE operations are libcjose's (as for
 * tokens, core/token_jws.c); what is ours is the parse of the header BEFORE cjose sees a key
 * (every member, its type and the form of the five parts), so that each refusal is distinct:
 * 4000 unparsable, 4111 unsupported option, 4115 bad MAC, 5210 other decryption error.
 */
#include <stdlib.h>
#include <string.h>

#include <cjose/base64.h>
#include <cjose/header.h>
#include <cjose/jwe.h>
#include <cjose/jwk.h>
#include <cjose/util.h>

#include "core/esprim_int.h"
#include "core/token_int.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"

struct m2m_esprim_obj {
	char *text;
	size_t len;
	json_t *hdr_json; /* owns the strings the header points into */
	m2m_esprim_rand oro, rro;
	m2m_esprim_hdr hdr;
};

static const char *enc_name(int aead)
{
	return aead == M2M_ESPRIM_A128GCM ? "A128GCM" : aead == M2M_ESPRIM_A192GCM ? "A192GCM"
		: aead == M2M_ESPRIM_A256GCM ? "A256GCM" : NULL;
}

static size_t enc_len(int aead)
{
	return aead == M2M_ESPRIM_A128GCM ? 16 : aead == M2M_ESPRIM_A192GCM ? 24 : aead == M2M_ESPRIM_A256GCM ? 32 : 0;
}

static bool str_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= max;
}

static bool set_rand(cjose_header_t *h, const char *name, const m2m_esprim_rand *r, bool originator)
{
	json_t *j = m2mi_esprim_rand_to_json(r, originator);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	cjose_err err;
	bool ok = s != NULL && cjose_header_set_raw(h, name, s, &err);

	free(s);
	json_decref(j);
	return ok;
}

m2m_err m2m_esprim_seal(const m2m_key *session_key, const m2m_esprim_hdr *h, const uint8_t *pt, size_t ptlen,
			char **out)
{
	cjose_header_t *hdr = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_jwe_t *jwe = NULL;
	const uint8_t *kb;
	size_t kl = 0;
	cjose_err err;
	char *s = NULL;
	m2m_err r = M2M_E_ESP_ENCRYPT;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (session_key == NULL || h == NULL || (pt == NULL && ptlen) || enc_name(h->aead) == NULL ||
	    !str_ok(h->kid, M2M_ESPRIM_KID_MAX) || !m2mi_ncname(h->ori, M2M_ESPRIM_ID_MAX) ||
	    !m2mi_ncname(h->rri, M2M_ESPRIM_ID_MAX) || (h->cty && !str_ok(h->cty, M2M_ESPRIM_CTY_MAX)))
		return M2M_E_INVAL;
	if (ptlen > M2M_ESPRIM_MAX_LEN / 2)
		return M2M_E_TOO_LARGE;
	kb = m2m_key_bytes(session_key, &kl);
	if (kl != enc_len(h->aead))
		return M2M_E_INVAL;
	if ((hdr = cjose_header_new(&err)) == NULL || !cjose_header_set(hdr, CJOSE_HDR_ALG, CJOSE_HDR_ALG_DIR, &err) ||
	    !cjose_header_set(hdr, CJOSE_HDR_ENC, enc_name(h->aead), &err) ||
	    !cjose_header_set(hdr, CJOSE_HDR_KID, h->kid, &err) || !cjose_header_set(hdr, "ori", h->ori, &err) ||
	    !cjose_header_set(hdr, "rri", h->rri, &err) ||
	    (h->cty && !cjose_header_set(hdr, CJOSE_HDR_CTY, h->cty, &err)) ||
	    (h->oro && !set_rand(hdr, "oro", h->oro, true)) || (h->rro && !set_rand(hdr, "rro", h->rro, false)))
		goto out;
	if ((jwk = cjose_jwk_create_oct_spec(kb, kl, &err)) == NULL ||
	    (jwe = cjose_jwe_encrypt(jwk, hdr, pt ? pt : (const uint8_t *)"", ptlen, &err)) == NULL ||
	    (s = cjose_jwe_export(jwe, &err)) == NULL)
		goto out;
	if ((*out = strdup(s)) != NULL)
		r = M2M_OK;
	else
		r = M2M_E_NOMEM;
	cjose_get_dealloc()(s);
out:
	cjose_jwe_release(jwe);
	cjose_jwk_release(jwk);
	cjose_header_release(hdr);
	return r;
}

static bool b64url_part(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* Decoded length of an unpadded base64url part of n characters (SIZE_MAX when impossible). */
static size_t b64_len(size_t n)
{
	return n % 4 == 1 ? SIZE_MAX : n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

static const char *get_str(const json_t *h, const char *name)
{
	const json_t *v = json_object_get(h, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void m2m_esprim_obj_free(m2m_esprim_obj *o)
{
	if (o == NULL)
		return;
	free(o->text);
	json_decref(o->hdr_json);
	free(o);
}

m2m_err m2m_esprim_parse(const char *text, size_t len, int64_t now, m2m_esprim_obj **out)
{
	const char *part[5];
	size_t plen[5], n = 0, start = 0, hl = 0;
	uint8_t *hraw = NULL;
	json_t *h = NULL, *v;
	m2m_esprim_obj *o = NULL;
	cjose_err err;
	m2m_err r = M2M_E_ESP_FORMAT;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (text == NULL)
		return M2M_E_INVAL;
	if (len > M2M_ESPRIM_MAX_LEN)
		return M2M_E_ESP_FORMAT;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '.') {
			if (n == 5)
				return M2M_E_ESP_FORMAT;
			part[n] = text + start;
			plen[n++] = i - start;
			start = i + 1;
		}
	}
	/* m2m:e2eCompactJWE: [a].[b].[c].[d].[e] with [a] and [d] non-empty (TS-0004 6.3.3); for
	 * ESPrim the encrypted key is always empty (TS-0003 Table 8.4.3.2-1), the GCM IV 96 bits
	 * and the tag 128 bits (RFC 7518 §5.3) */
	if (n != 5 || plen[0] == 0 || plen[3] == 0 || plen[1] != 0 || b64_len(plen[2]) != 12 ||
	    b64_len(plen[4]) != 16)
		return M2M_E_ESP_FORMAT;
	for (size_t i = 0; i < 5; i++)
		if (!b64url_part(part[i], plen[i]))
			return M2M_E_ESP_FORMAT;
	if (!cjose_base64url_decode(part[0], plen[0], &hraw, &hl, &err))
		return M2M_E_ESP_FORMAT;
	if (m2mi_token_json_depth((const char *)hraw, hl) <= 4)
		h = json_loadb((const char *)hraw, hl, JSON_REJECT_DUPLICATES, NULL);
	cjose_get_dealloc()(hraw);
	if (!json_is_object(h))
		goto out;
	/* 4111: anything but dir + A*GCM, and any extension we would have to understand */
	if (!json_is_string(json_object_get(h, "alg")) || !json_is_string(json_object_get(h, "enc"))) {
		r = M2M_E_ESP_FORMAT;
		goto out;
	}
	if (strcmp(get_str(h, "alg"), "dir") != 0 || json_object_get(h, "crit") || json_object_get(h, "zip")) {
		r = M2M_E_ESP_UNSUPPORTED;
		goto out;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	o->hdr.aead = strcmp(get_str(h, "enc"), "A128GCM") == 0   ? M2M_ESPRIM_A128GCM
		      : strcmp(get_str(h, "enc"), "A192GCM") == 0 ? M2M_ESPRIM_A192GCM
		      : strcmp(get_str(h, "enc"), "A256GCM") == 0 ? M2M_ESPRIM_A256GCM
								   : 0;
	if (o->hdr.aead == 0) {
		r = M2M_E_ESP_UNSUPPORTED;
		goto out;
	}
	o->hdr.kid = get_str(h, "kid");
	o->hdr.ori = get_str(h, "ori");
	o->hdr.rri = get_str(h, "rri");
	o->hdr.cty = get_str(h, "cty");
	if (!str_ok(o->hdr.kid, M2M_ESPRIM_KID_MAX) || !m2mi_ncname(o->hdr.ori, M2M_ESPRIM_ID_MAX) ||
	    !m2mi_ncname(o->hdr.rri, M2M_ESPRIM_ID_MAX) ||
	    (json_object_get(h, "cty") && !str_ok(o->hdr.cty, M2M_ESPRIM_CTY_MAX)))
		goto out;
	if ((v = json_object_get(h, "oro")) != NULL) {
		if (m2mi_esprim_rand_from_json(v, true, now, &o->oro) != M2M_OK)
			goto out;
		o->hdr.oro = &o->oro;
	}
	if ((v = json_object_get(h, "rro")) != NULL) {
		if (m2mi_esprim_rand_from_json(v, false, now, &o->rro) != M2M_OK)
			goto out;
		o->hdr.rro = &o->rro;
	}
	if ((o->text = malloc(len + 1)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	memcpy(o->text, text, len);
	o->text[len] = '\0';
	o->len = len;
	o->hdr_json = h;
	h = NULL;
	*out = o;
	o = NULL;
	r = M2M_OK;
out:
	json_decref(h);
	m2m_esprim_obj_free(o);
	return r;
}

const m2m_esprim_hdr *m2m_esprim_obj_hdr(const m2m_esprim_obj *o)
{
	return o ? &o->hdr : NULL;
}

m2m_err m2m_esprim_open(const m2m_esprim_obj *o, const m2m_key *session_key, uint8_t **pt, size_t *ptlen)
{
	cjose_jwk_t *jwk = NULL;
	cjose_jwe_t *jwe = NULL;
	uint8_t *p = NULL;
	const uint8_t *kb;
	size_t kl = 0, n = 0;
	cjose_err err = {0};
	m2m_err r = M2M_E_ESP_DECRYPT;

	if (pt == NULL || ptlen == NULL)
		return M2M_E_INVAL;
	*pt = NULL;
	*ptlen = 0;
	if (o == NULL || session_key == NULL)
		return M2M_E_INVAL;
	kb = m2m_key_bytes(session_key, &kl);
	if (kl != enc_len(o->hdr.aead))
		return M2M_E_ESP_DECRYPT;
	if ((jwk = cjose_jwk_create_oct_spec(kb, kl, &err)) == NULL ||
	    (jwe = cjose_jwe_import(o->text, o->len, &err)) == NULL)
		goto out;
	p = cjose_jwe_decrypt(jwe, jwk, &n, &err);
	if (p == NULL) {
		/* the header, IV and tag were checked by m2m_esprim_parse and the key length
		 * above, so a crypto failure here is the GCM tag (TS-0004 Table 7.6.2-1) */
		r = err.code == CJOSE_ERR_CRYPTO ? M2M_E_ESP_BAD_MAC : M2M_E_ESP_DECRYPT;
		goto out;
	}
	if ((*pt = malloc(n + 1)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	memcpy(*pt, p, n);
	(*pt)[n] = 0;
	*ptlen = n;
	r = M2M_OK;
out:
	if (p != NULL) {
		m2m_memzero(p, n);
		cjose_get_dealloc()(p);
	}
	cjose_jwe_release(jwe);
	cjose_jwk_release(jwk);
	return r;
}

m2m_err m2m_esprim_check_from(const char *inner_from, const char *key_identity)
{
	if (inner_from == NULL || key_identity == NULL || inner_from[0] == '\0')
		return M2M_E_ESP_IMPERSONATION;
	/* public: identities are not secret */
	return strcmp(inner_from, key_identity) == 0 ? M2M_OK : M2M_E_ESP_IMPERSONATION;
}

int m2m_esprim_err_rsc(m2m_err err)
{
	switch (err) {
	case M2M_E_ESP_FORMAT:
	case M2M_E_ESP_RAND_OBJ:
		return M2M_RSC_BAD_REQUEST;
	case M2M_E_ESP_UNSUPPORTED:
		return M2M_RSC_ESPRIM_UNSUPPORTED_OPTION;
	case M2M_E_ESP_KEY_ID:
		return M2M_RSC_ESPRIM_UNKNOWN_KEY_ID;
	case M2M_E_ESP_ORIG_RAND:
		return M2M_RSC_ESPRIM_UNKNOWN_ORIG_RAND_ID;
	case M2M_E_ESP_RECV_RAND:
		return M2M_RSC_ESPRIM_UNKNOWN_RECV_RAND_ID;
	case M2M_E_ESP_BAD_MAC:
		return M2M_RSC_ESPRIM_BAD_MAC;
	case M2M_E_ESP_IMPERSONATION:
		return M2M_RSC_ESPRIM_IMPERSONATION_ERROR;
	case M2M_E_ESP_DECRYPT:
		return M2M_RSC_ESPRIM_DECRYPTION_ERROR;
	case M2M_E_ESP_ENCRYPT:
		return M2M_RSC_ESPRIM_ENCRYPTION_ERROR;
	default:
		return M2M_RSC_INTERNAL_SERVER_ERROR;
	}
}
