/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the ESPrim Object of TS-0003 clause 8.4.3.2 (JWE Compact, "alg":"dir",
 * "enc" A128GCM / A192GCM / A256GCM, protected header members of Table 8.4.3.2-2) and the
 * mapping of its refusals to TS-0004 Table 7.6.2-1. The header is parsed BEFORE any key is used
 * (every member, its type and the form of the five parts), so that each refusal is distinct:
 * 4000 unparsable, 4111 unsupported option, 4115 bad MAC, 5210 other decryption error. With
 * "alg":"dir" the JWE is one AES-GCM operation (RFC 7516 clause 5.1 / 5.2, RFC 7518 clause 5.3:
 * 96-bit IV, 128-bit tag, AAD = the ASCII of the base64url protected header), done here with
 * OpenSSL's EVP directly: a generic JOSE library would parse the header a second time, convert
 * the key to a JWK and back, and round-trip every header member through text, per object (the
 * bulk of an ESPrim request's crypto cost, docs/benchmarks.md "bench/e2e").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/esprim_int.h"
#include "core/token_int.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"

struct m2m_esprim_obj {
	char *text;
	size_t len;
	size_t off[5], plen[5]; /* the five parts in text */
	json_t *hdr_json; /* owns the strings the header points into (shared by reference) */
	m2m_esprim_rand oro, rro;
	m2m_esprim_hdr hdr;
	bool relative; /* a rand object's esrx was relative: the header depends on "now" */
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

#define IV_LEN 12
#define TAG_LEN 16

/* base64url without padding (RFC 7515 clause 2) of in[0..n) into out (room for n / 3 * 4 + 4
 * and a NUL); the length written. */
static size_t b64url_enc(const uint8_t *in, size_t n, char *out)
{
	int k = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	size_t m = k > 0 ? (size_t)k : 0;

	while (m > 0 && out[m - 1] == '=')
		m--;
	for (size_t i = 0; i < m; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	out[m] = '\0';
	return m;
}

/* The base64url alphabet's values, -1 outside it: one table look-up per character of an object
 * (about a kilobyte per request, decoded and checked several times). */
static int8_t b64tab[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_init(void)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	memset(b64tab, -1, sizeof(b64tab));
	for (int i = 0; i < 64; i++)
		b64tab[(unsigned char)a[i]] = (int8_t)i;
}

static int b64v(char c)
{
	return b64tab[(unsigned char)c];
}

/* Decode an unpadded base64url part of n characters into out (room for n / 4 * 3 + 2); false
 * on a character outside the alphabet or an impossible length. */
static bool b64url_dec(const char *in, size_t n, uint8_t *out, size_t *outlen)
{
	uint32_t acc = 0;
	size_t bits = 0, o = 0;

	if (n % 4 == 1 || pthread_once(&b64_once, b64_init) != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int v = b64v(in[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return true;
}

/* The AES-GCM implementations, fetched once: OpenSSL 3 would otherwise look the provider's
 * implementation up on every EVP_*Init of a legacy EVP_aes_*_gcm() (kept for the process). */
static EVP_CIPHER *gcm_impl[3];
static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;

static void gcm_fetch(void)
{
	gcm_impl[0] = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	gcm_impl[1] = EVP_CIPHER_fetch(NULL, "AES-192-GCM", NULL);
	gcm_impl[2] = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *gcm(int aead)
{
	int i = aead == M2M_ESPRIM_A128GCM ? 0 : aead == M2M_ESPRIM_A192GCM ? 1 : aead == M2M_ESPRIM_A256GCM ? 2 : -1;

	if (i < 0 || pthread_once(&gcm_once, gcm_fetch) != 0)
		return NULL;
	if (gcm_impl[i] != NULL)
		return gcm_impl[i];
	/* not fetchable (a provider set-up without it): the legacy form, fetched per use */
	return i == 0 ? EVP_aes_128_gcm() : i == 1 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
}

/* Printable ASCII without '"' and '\\': a JSON string body as it stands. */
static bool plain_str(const char *s)
{
	for (; s != NULL && *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* The protected header of Table 8.4.3.2-2 as compact JSON text (heap), NULL on failure. */
static char *header_text(const m2m_esprim_hdr *h)
{
	if (h->oro == NULL && h->rro == NULL && h->cty != NULL && plain_str(h->kid) && plain_str(h->cty)) {
		/* a Receiver's answer (no rand objects): written directly, the bytes json_dumps gives;
		 * ori and rri are NCNames */
#define ANSWER_HDR "{\"alg\":\"dir\",\"enc\":\"%s\",\"kid\":\"%s\",\"ori\":\"%s\",\"rri\":\"%s\",\"cty\":\"%s\"}"
		size_t cap = sizeof(ANSWER_HDR) + 8 + strlen(h->kid) + strlen(h->ori) + strlen(h->rri) + strlen(h->cty);
		char *t = malloc(cap);

		if (t != NULL)
			snprintf(t, cap, ANSWER_HDR, enc_name(h->aead), h->kid, h->ori, h->rri, h->cty);
#undef ANSWER_HDR
		return t;
	}
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "alg", "dir", "enc", enc_name(h->aead), "kid", h->kid, "ori",
			      h->ori, "rri", h->rri);
	char *s = NULL;

	if (j != NULL && (h->cty == NULL || json_object_set_new(j, "cty", json_string(h->cty)) == 0) &&
	    (h->oro == NULL || json_object_set_new(j, "oro", m2mi_esprim_rand_to_json(h->oro, true)) == 0) &&
	    (h->rro == NULL || json_object_set_new(j, "rro", m2mi_esprim_rand_to_json(h->rro, false)) == 0))
		s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static bool hdr_ok(const m2m_esprim_hdr *h)
{
	return h != NULL && enc_name(h->aead) != NULL && str_ok(h->kid, M2M_ESPRIM_KID_MAX) &&
	       m2mi_ncname(h->ori, M2M_ESPRIM_ID_MAX) && m2mi_ncname(h->rri, M2M_ESPRIM_ID_MAX) &&
	       (h->cty == NULL || str_ok(h->cty, M2M_ESPRIM_CTY_MAX));
}

char *m2mi_esprim_hdr_b64(const m2m_esprim_hdr *h)
{
	char *hs, *o = NULL;
	size_t hl;

	if (!hdr_ok(h) || (hs = header_text(h)) == NULL)
		return NULL;
	hl = strlen(hs);
	if ((o = malloc((hl / 3 + 1) * 4 + 1)) != NULL)
		b64url_enc((const uint8_t *)hs, hl, o);
	free(hs);
	return o;
}

m2m_err m2mi_esprim_seal_b64(const m2m_key *session_key, int aead, const char *hdr64, const uint8_t *pt,
			     size_t ptlen, char **out)
{
	EVP_CIPHER_CTX *x = NULL;
	uint8_t iv[IV_LEN], tag[TAG_LEN], *ct = NULL;
	const uint8_t *kb;
	size_t kl = 0, hl, cap, at;
	char *o = NULL;
	int l1 = 0, l2 = 0;
	m2m_err r = M2M_E_ESP_ENCRYPT;

	*out = NULL;
	if (ptlen > M2M_ESPRIM_MAX_LEN / 2)
		return M2M_E_TOO_LARGE;
	kb = m2m_key_bytes(session_key, &kl);
	if (kl != enc_len(aead) || hdr64 == NULL)
		return M2M_E_INVAL;
	hl = strlen(hdr64);
	/* header . (empty key) . IV . ciphertext . tag, each base64url */
	cap = hl + 2 + 16 + 1 + (ptlen / 3 + 1) * 4 + 1 + 24 + 1;
	if ((o = malloc(cap)) == NULL || (ct = malloc(ptlen + 1)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	memcpy(o, hdr64, hl);
	at = hl;
	if (RAND_bytes(iv, sizeof(iv)) != 1 || (x = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(x, gcm(aead), NULL, kb, iv) != 1 ||
	    EVP_EncryptUpdate(x, NULL, &l1, (const uint8_t *)o, (int)at) != 1 || /* AAD: the encoded header */
	    (ptlen > 0 && EVP_EncryptUpdate(x, ct, &l1, pt, (int)ptlen) != 1) ||
	    EVP_EncryptFinal_ex(x, ct + (ptlen > 0 ? l1 : 0), &l2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	o[at++] = '.';
	o[at++] = '.';
	at += b64url_enc(iv, sizeof(iv), o + at);
	o[at++] = '.';
	at += b64url_enc(ct, ptlen, o + at);
	o[at++] = '.';
	b64url_enc(tag, sizeof(tag), o + at);
	*out = o;
	o = NULL;
	r = M2M_OK;
out:
	EVP_CIPHER_CTX_free(x);
	m2m_freezero(ct, ptlen + 1);
	free(o);
	return r;
}

m2m_err m2m_esprim_seal(const m2m_key *session_key, const m2m_esprim_hdr *h, const uint8_t *pt, size_t ptlen,
			char **out)
{
	char *hdr64;
	size_t kl = 0;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (session_key == NULL || !hdr_ok(h) || (pt == NULL && ptlen))
		return M2M_E_INVAL;
	if (ptlen > M2M_ESPRIM_MAX_LEN / 2)
		return M2M_E_TOO_LARGE;
	(void)m2m_key_bytes(session_key, &kl);
	if (kl != enc_len(h->aead))
		return M2M_E_INVAL;
	if ((hdr64 = m2mi_esprim_hdr_b64(h)) == NULL)
		return M2M_E_ESP_ENCRYPT;
	r = m2mi_esprim_seal_b64(session_key, h->aead, hdr64, pt, ptlen, out);
	free(hdr64);
	return r;
}

static bool b64url_part(const char *s, size_t n)
{
	if (pthread_once(&b64_once, b64_init) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b64v(s[i]) < 0)
			return false;
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

/* The five parts of a compact object and their form (m2m:e2eCompactJWE, TS-0004 6.3.3). */
static m2m_err split(const char *text, size_t len, const char *part[5], size_t plen[5])
{
	size_t n = 0, start = 0;

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
	return M2M_OK;
}

/* o's copy of text and the places of its parts. */
static m2m_err keep_text(m2m_esprim_obj *o, const char *text, size_t len, const char *part[5], const size_t plen[5])
{
	if ((o->text = malloc(len + 1)) == NULL)
		return M2M_E_NOMEM;
	memcpy(o->text, text, len);
	o->text[len] = '\0';
	o->len = len;
	for (size_t i = 0; i < 5; i++) {
		o->off[i] = (size_t)(part[i] - text);
		o->plen[i] = plen[i];
	}
	return M2M_OK;
}

m2m_err m2mi_esprim_parse_same_hdr(const char *text, size_t len, const m2m_esprim_obj *like, m2m_esprim_obj **out)
{
	const char *part[5];
	size_t plen[5];
	m2m_esprim_obj *o;
	m2m_err r;

	*out = NULL;
	if (text == NULL || like == NULL)
		return M2M_E_INVAL;
	if ((r = split(text, len, part, plen)) != M2M_OK)
		return r;
	/* public: the header is no secret; byte for byte, so its parse would be exactly like's */
	if (like->relative || plen[0] != like->plen[0] || memcmp(part[0], like->text + like->off[0], plen[0]) != 0)
		return M2M_E_NOT_FOUND;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return M2M_E_NOMEM;
	o->hdr = like->hdr;
	o->oro = like->oro;
	o->rro = like->rro;
	o->hdr.oro = like->hdr.oro != NULL ? &o->oro : NULL;
	o->hdr.rro = like->hdr.rro != NULL ? &o->rro : NULL;
	o->hdr_json = json_incref(like->hdr_json); /* the strings of o->hdr point into it */
	if ((r = keep_text(o, text, len, part, plen)) != M2M_OK) {
		m2m_esprim_obj_free(o);
		return r;
	}
	*out = o;
	return M2M_OK;
}

bool m2mi_esprim_hdr_reusable(const m2m_esprim_obj *o)
{
	return o != NULL && !o->relative;
}

m2m_err m2m_esprim_parse(const char *text, size_t len, int64_t now, m2m_esprim_obj **out)
{
	const char *part[5];
	size_t plen[5], hl = 0;
	uint8_t *hraw = NULL;
	json_t *h = NULL, *v;
	m2m_esprim_obj *o = NULL;
	m2m_err r = M2M_E_ESP_FORMAT;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (text == NULL)
		return M2M_E_INVAL;
	if ((r = split(text, len, part, plen)) != M2M_OK)
		return r;
	r = M2M_E_ESP_FORMAT;
	if ((hraw = malloc(plen[0] / 4 * 3 + 3)) == NULL)
		return M2M_E_NOMEM;
	if (b64url_dec(part[0], plen[0], hraw, &hl) && m2mi_token_json_depth((const char *)hraw, hl) <= 4)
		h = json_loadb((const char *)hraw, hl, JSON_REJECT_DUPLICATES, NULL);
	free(hraw);
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
		o->relative = m2mi_esprim_rand_json_relative(v);
	}
	if ((v = json_object_get(h, "rro")) != NULL) {
		if (m2mi_esprim_rand_from_json(v, false, now, &o->rro) != M2M_OK)
			goto out;
		o->hdr.rro = &o->rro;
		o->relative = o->relative || m2mi_esprim_rand_json_relative(v);
	}
	if ((r = keep_text(o, text, len, part, plen)) != M2M_OK)
		goto out;
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
	EVP_CIPHER_CTX *x = NULL;
	uint8_t iv[IV_LEN + 2], tag[TAG_LEN + 2], *ct = NULL, *p = NULL;
	const uint8_t *kb;
	size_t kl = 0, ivl = 0, tl = 0, cl = 0;
	int l1 = 0, l2 = 0;
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
	/* the form of every part was checked by m2m_esprim_parse */
	if ((ct = malloc(o->plen[3] / 4 * 3 + 3)) == NULL || (p = malloc(o->plen[3] / 4 * 3 + 3)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	if (!b64url_dec(o->text + o->off[2], o->plen[2], iv, &ivl) || ivl != IV_LEN ||
	    !b64url_dec(o->text + o->off[4], o->plen[4], tag, &tl) || tl != TAG_LEN ||
	    !b64url_dec(o->text + o->off[3], o->plen[3], ct, &cl) || cl == 0 || cl > INT32_MAX)
		goto out;
	if ((x = EVP_CIPHER_CTX_new()) == NULL || EVP_DecryptInit_ex(x, gcm(o->hdr.aead), NULL, kb, iv) != 1 ||
	    EVP_DecryptUpdate(x, NULL, &l1, (const uint8_t *)o->text + o->off[0], (int)o->plen[0]) != 1 ||
	    EVP_DecryptUpdate(x, p, &l1, ct, (int)cl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(x, p + l1, &l2) != 1) {
		/* header, IV, tag and key length are checked: a failure here is the GCM tag (TS-0004
		 * Table 7.6.2-1 4115); nothing of the plaintext leaves */
		r = M2M_E_ESP_BAD_MAC;
		goto out;
	}
	cl = (size_t)l1 + (size_t)l2;
	p[cl] = 0;
	*pt = p;
	*ptlen = cl;
	p = NULL;
	r = M2M_OK;
out:
	EVP_CIPHER_CTX_free(x);
	m2m_freezero(p, o->plen[3] / 4 * 3 + 3);
	free(ct);
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
