/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the key-free shape check of an ESData object (m2m_esdata_shape): what a
 * Hosting CSE can check about the content of a <contentInstance> whose contentInfo carries an
 * m2m:contentSecurity of 1 or 2 (TS-0004 Table 6.3.4.2.38-1) without ever holding a key. The
 * CSE stores the object opaquely (TS-0003 clause 8.6.3: the Target fetches the ESData from the
 * Hosting CSE); this check only keeps a resource from claiming a protection its content does not
 * have, so a Target is not handed plaintext labelled as protected.
 *  - compact (contentSecurity 1, TS-0004 Table 6.3.3-1 m2m:e2eCompactJWS / m2m:e2eCompactJWE):
 *    3 parts [a].[b].[c] with [a] and [c] non-empty, or 5 parts [a].[b].[c].[d].[e] with [a] and
 *    [d] non-empty; every part base64url without padding (RFC 7515 §2); [a] a JSON object with a
 *    string "alg" other than "none", and for a JWE a string "enc" (RFC 7516 §4.1.1-2);
 *  - JSON (contentSecurity 2, RFC 7515 §7.2 / RFC 7516 §7.2): a JSON object that is a JWE
 *    ("ciphertext") or a JWS ("payload" with "signatures" or a flattened "signature"), every
 *    base64url member well-formed, every header an object, and "alg" present for each signature /
 *    recipient in one of its headers (never "none"). Other members are ignored (RFC 7516 §7.2.1).
 * Nothing is decrypted or verified: that is the Target's job (esdata_open.c). Pure, thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "m2msec/esdata.h"
#include "m2msec/mem.h"

#define SHAPE_DEPTH 8

static int b64u_val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '-' ? 62 : ch == '_' ? 63 : -1;
}

/* base64url without padding (RFC 7515 §2): alphabet, no length of 1 mod 4, zero unused bits. */
static bool b64u_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b64u_val((unsigned char)s[i]) < 0)
			return false;
	if (n % 4 == 1)
		return false;
	if (n % 4 == 2)
		return (b64u_val((unsigned char)s[n - 1]) & 0x0f) == 0;
	if (n % 4 == 3)
		return (b64u_val((unsigned char)s[n - 1]) & 0x03) == 0;
	return true;
}

/* Decode a checked base64url text (NUL-terminated heap copy, *out_len without it). */
static char *b64u_decode(const char *s, size_t n, size_t *out_len)
{
	char *out = malloc(n * 3 / 4 + 2);
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 6) | (uint32_t)b64u_val((unsigned char)s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static bool depth_ok(json_t *v, int depth)
{
	const char *k;
	json_t *e;
	size_t i;

	if (depth > SHAPE_DEPTH)
		return false;
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (!depth_ok(e, depth + 1))
				return false;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (!depth_ok(e, depth + 1))
				return false;
	}
	return true;
}

/* "alg" of a header: M2M_OK when a string other than "none"; *seen set when present. */
static m2m_err alg_of(json_t *hdr, bool *seen)
{
	json_t *a = json_object_get(hdr, "alg");

	if (a == NULL)
		return M2M_OK;
	if (!json_is_string(a) || json_string_length(a) == 0)
		return M2M_E_ESD_HEADER;
	if (strcmp(json_string_value(a), "none") == 0)
		return M2M_E_ESD_UNSECURED;
	*seen = true;
	return M2M_OK;
}

/* A base64url-encoded JSON object header (the protected header of either serialisation). */
static m2m_err b64_header(const char *s, size_t n, json_t **out)
{
	size_t dl = 0;
	char *d;

	*out = NULL;
	if (n == 0 || !b64u_ok(s, n) || (d = b64u_decode(s, n, &dl)) == NULL)
		return M2M_E_ESD_FORMAT;
	*out = json_loadb(d, dl, JSON_REJECT_DUPLICATES, NULL);
	free(d);
	if (*out == NULL || !json_is_object(*out) || !depth_ok(*out, 0)) {
		json_decref(*out);
		*out = NULL;
		return M2M_E_ESD_HEADER;
	}
	return M2M_OK;
}

static m2m_err shape_compact(const char *in, size_t len)
{
	const char *p[6];
	size_t n[5], parts = 0, start = 0;
	json_t *hdr = NULL, *enc;
	bool alg = false;
	m2m_err r;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || in[i] == '.') {
			if (parts == 5)
				return M2M_E_ESD_FORMAT;
			p[parts] = in + start;
			n[parts++] = i - start;
			start = i + 1;
		}
	}
	if (parts != 3 && parts != 5)
		return M2M_E_ESD_FORMAT;
	for (size_t i = 0; i < parts; i++)
		if (!b64u_ok(p[i], n[i]))
			return M2M_E_ESD_FORMAT;
	/* Table 6.3.3-1: JWS [a], [c] non-empty; JWE [a], [d] non-empty */
	if ((parts == 3 && n[2] == 0) || (parts == 5 && n[3] == 0))
		return M2M_E_ESD_FORMAT;
	if ((r = b64_header(p[0], n[0], &hdr)) != M2M_OK)
		return r;
	if ((r = alg_of(hdr, &alg)) == M2M_OK && !alg)
		r = M2M_E_ESD_HEADER;
	if (r == M2M_OK && parts == 5) {
		enc = json_object_get(hdr, "enc");
		if (!json_is_string(enc) || json_string_length(enc) == 0)
			r = M2M_E_ESD_HEADER;
	} else if (r == M2M_OK && json_object_get(hdr, "enc") != NULL) {
		r = M2M_E_ESD_HEADER; /* a JWS carries no "enc" */
	}
	json_decref(hdr);
	return r;
}

/* A member that must be absent or a base64url string (non-empty when required). */
static bool b64_member(json_t *o, const char *name, bool required)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return !required;
	if (!json_is_string(v) || (required && json_string_length(v) == 0))
		return false;
	return b64u_ok(json_string_value(v), json_string_length(v));
}

/* The protected header of o (absent: *hdr NULL) and its "alg". */
static m2m_err json_protected(json_t *o, json_t **hdr, bool *alg)
{
	json_t *v = json_object_get(o, "protected");
	m2m_err r;

	*hdr = NULL;
	if (v == NULL)
		return M2M_OK;
	if (!json_is_string(v))
		return M2M_E_ESD_FORMAT;
	if ((r = b64_header(json_string_value(v), json_string_length(v), hdr)) != M2M_OK)
		return r;
	return alg_of(*hdr, alg);
}

/* One signature / recipient entry: optional protected + "header" object; "alg" somewhere. */
static m2m_err json_entry(json_t *e, const char *b64name, bool b64_required, bool shared_alg)
{
	json_t *hdr = NULL, *h = json_object_get(e, "header");
	bool alg = shared_alg;
	m2m_err r;

	if (!json_is_object(e) || (h != NULL && !json_is_object(h)) || !b64_member(e, b64name, b64_required))
		return M2M_E_ESD_FORMAT;
	if ((r = json_protected(e, &hdr, &alg)) == M2M_OK && h != NULL)
		r = alg_of(h, &alg);
	json_decref(hdr);
	if (r == M2M_OK && !alg)
		r = M2M_E_ESD_HEADER;
	return r;
}

static m2m_err shape_json_jwe(json_t *o)
{
	json_t *hdr = NULL, *u = json_object_get(o, "unprotected"), *rc = json_object_get(o, "recipients"), *e;
	bool alg = false;
	m2m_err r;
	size_t i;

	if (!b64_member(o, "ciphertext", true) || !b64_member(o, "iv", false) || !b64_member(o, "tag", false) ||
	    !b64_member(o, "aad", false) || (u != NULL && !json_is_object(u)))
		return M2M_E_ESD_FORMAT;
	if ((r = json_protected(o, &hdr, &alg)) == M2M_OK && u != NULL)
		r = alg_of(u, &alg);
	json_decref(hdr);
	if (r != M2M_OK)
		return r;
	if (rc == NULL) /* flattened (RFC 7516 §7.2.2) */
		return json_object_get(o, "encrypted_key") != NULL || json_object_get(o, "header") != NULL || alg
			       ? json_entry(o, "encrypted_key", false, alg)
			       : M2M_E_ESD_HEADER;
	if (!json_is_array(rc) || json_array_size(rc) == 0 || json_array_size(rc) > M2M_ESD_MAX_CREDS ||
	    json_object_get(o, "encrypted_key") != NULL || json_object_get(o, "header") != NULL)
		return M2M_E_ESD_FORMAT;
	json_array_foreach(rc, i, e)
		if ((r = json_entry(e, "encrypted_key", false, alg)) != M2M_OK)
			return r;
	return M2M_OK;
}

static m2m_err shape_json_jws(json_t *o)
{
	json_t *sigs = json_object_get(o, "signatures"), *e;
	m2m_err r;
	size_t i;

	if (!json_is_string(json_object_get(o, "payload")) || !b64_member(o, "payload", false))
		return M2M_E_ESD_FORMAT;
	if (sigs == NULL) /* flattened (RFC 7515 §7.2.2) */
		return json_entry(o, "signature", true, false);
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 || json_array_size(sigs) > M2M_ESD_MAX_CREDS ||
	    json_object_get(o, "signature") != NULL)
		return M2M_E_ESD_FORMAT;
	json_array_foreach(sigs, i, e)
		if ((r = json_entry(e, "signature", true, false)) != M2M_OK)
			return r;
	return M2M_OK;
}

static m2m_err shape_json(json_t *o)
{
	bool jwe, jws;

	if (!json_is_object(o))
		return M2M_E_ESD_FORMAT;
	if (!depth_ok(o, 0))
		return M2M_E_ESD_TOO_LARGE;
	jwe = json_object_get(o, "ciphertext") != NULL;
	jws = json_object_get(o, "payload") != NULL;
	if (jwe == jws)
		return M2M_E_ESD_FORMAT;
	return jwe ? shape_json_jwe(o) : shape_json_jws(o);
}

m2m_err m2m_esdata_shape(const char *in, size_t len, m2m_esdata_ser ser)
{
	json_t *o;
	m2m_err r;

	if (in == NULL)
		return M2M_E_INVAL;
	if (len > M2M_ESD_MAX_LEN)
		return M2M_E_ESD_TOO_LARGE;
	if (ser == M2M_ESD_COMPACT)
		return shape_compact(in, len);
	if (ser != M2M_ESD_JSON)
		return M2M_E_INVAL;
	if ((o = json_loadb(in, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return M2M_E_ESD_FORMAT;
	r = shape_json(o);
	json_decref(o);
	return r;
}
