/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2m:securityInfo ("seci") codec for the end-to-end types 3-6 of
 * TS-0004 Table 6.3.4.2.35-1 (clause 6.3.5.48; short names sit, ero, epo, eckm of clause 8.2.5)
 * used by ESPrim (TS-0004 clauses 7.5.1.2.11, 7.5.1.2.13, 7.6.2) and ESCertKE (clause 7.5.1.2.12).
 * Types 1, 2, 7, 8 are the DAS codec's; m2m_seci_peek_type dispatches. Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/b64_int.h"
#include "core/esprim_int.h"
#include "core/token_int.h"
#include "m2msec/seci_e2e.h"

/* The members of each sit (clause 8.2.5 short names). */
static const char *const elems[] = {"dreq", "dres", "ero", "epo", "eckm", "darq", "dars"};

static json_t *load(const char *json, size_t len, m2m_err *r)
{
	json_t *j, *inner;
	size_t d;

	*r = M2M_E_SECI_FORMAT;
	if (json == NULL || len > M2M_SECI_MAX_LEN)
		return NULL;
	d = m2mi_token_json_depth(json, len);
	if (d == SIZE_MAX || d > 16)
		return NULL;
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(j) && json_object_size(j) == 1 && (inner = json_object_get(j, "m2m:seci")) != NULL) {
		json_incref(inner);
		json_decref(j);
		j = inner;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	*r = M2M_OK;
	return j;
}

static int sit_of(const json_t *j)
{
	const json_t *v = json_object_get(j, "sit");

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 8)
		return 0;
	return (int)json_integer_value(v);
}

m2m_err m2m_seci_peek_type(const char *json, size_t len, int *sit)
{
	m2m_err r;
	json_t *j = load(json, len, &r);

	if (sit == NULL) {
		json_decref(j);
		return M2M_E_INVAL;
	}
	*sit = j ? sit_of(j) : 0;
	json_decref(j);
	if (r != M2M_OK)
		return r;
	return *sit ? M2M_OK : M2M_E_SECI_FORMAT;
}

static bool compact_jwe_form(const char *s, size_t n)
{
	size_t dots = 0, start = 0;

	if (n == 0 || n > M2M_ESPRIM_MAX_LEN)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		/* each part base64url; parts [a] and [d] non-empty (TS-0004 Table 6.3.3-1) */
		if (!m2mi_b64url_chars(s + start, i - start) || ((dots == 0 || dots == 3) && i == start))
			return false;
		if (i < n)
			dots++;
		start = i + 1;
	}
	return dots == 4;
}

/* The text of sit 5 up to the epo's value, as m2m_seci_e2e_encode writes it. */
static const char esp_pre[] = "{\"m2m:seci\":{\"sit\":5,\"epo\":\"";

/* Exactly the text of an ESPrim Object (m2m_seci_e2e_encode's, a compact json_dumps'): the string
 * holds base64url and '.' only, so it is the value as it stands; its length in *n, or 0. */
static const char *esp_text(const char *json, size_t len, size_t *n)
{
	*n = 0;
	if (json == NULL || len <= sizeof(esp_pre) - 1 + 3 || memcmp(json, esp_pre, sizeof(esp_pre) - 1) != 0 ||
	    memcmp(json + len - 3, "\"}}", 3) != 0 ||
	    !compact_jwe_form(json + sizeof(esp_pre) - 1, len - (sizeof(esp_pre) - 1) - 3))
		return NULL;
	*n = len - (sizeof(esp_pre) - 1) - 3;
	return json + sizeof(esp_pre) - 1;
}

json_t *m2mi_seci_e2e_text_json(const char *json, size_t len)
{
	size_t n;
	const char *epo = esp_text(json, len, &n);
	json_t *inner, *j;

	if (epo == NULL)
		return NULL;
	/* what json_loadb gives for this text: base64url and '.' need no UTF-8 check */
	if ((inner = json_pack("{s:i}", "sit", M2M_SECI_ESPRIM)) == NULL ||
	    json_object_set_new(inner, "epo", json_stringn_nocheck(epo, n))) {
		json_decref(inner);
		return NULL;
	}
	j = json_pack("{s:o}", "m2m:seci", inner);
	return j;
}

char *m2mi_seci_e2e_json_text(const json_t *j, size_t *len)
{
	const json_t *inner, *sit, *epo;
	void *it;
	size_t n, cap;
	char *out;

	/* only {"m2m:seci":{"sit":5,"epo":STRING}} with its members in this order: json_dumps
	 * writes an object's members in insertion order, so the text below is its bytes */
	if (!json_is_object(j) || json_object_size(j) != 1 || (inner = json_object_get(j, "m2m:seci")) == NULL ||
	    !json_is_object(inner) || json_object_size(inner) != 2 || (it = json_object_iter((json_t *)inner)) == NULL ||
	    strcmp(json_object_iter_key(it), "sit") != 0 || (sit = json_object_iter_value(it)) == NULL ||
	    !json_is_integer(sit) || json_integer_value(sit) != M2M_SECI_ESPRIM ||
	    (it = json_object_iter_next((json_t *)inner, it)) == NULL || strcmp(json_object_iter_key(it), "epo") != 0 ||
	    (epo = json_object_iter_value(it)) == NULL || !json_is_string(epo))
		return NULL;
	n = json_string_length(epo);
	/* base64url and '.' only: nothing json_dumps would escape (and no NUL inside) */
	if (!compact_jwe_form(json_string_value(epo), n))
		return NULL;
	cap = sizeof(esp_pre) - 1 + n + 3 + 1;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	memcpy(out, esp_pre, sizeof(esp_pre) - 1);
	memcpy(out + sizeof(esp_pre) - 1, json_string_value(epo), n);
	memcpy(out + sizeof(esp_pre) - 1 + n, "\"}}", 4);
	if (len != NULL)
		*len = cap - 1;
	return out;
}

m2m_err m2m_seci_e2e_decode(const char *json, size_t len, int64_t now, m2m_seci_e2e *out)
{
	m2m_err r;
	json_t *j;
	size_t n;
	const char *epo;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if ((epo = esp_text(json, len, &n)) != NULL) {
		out->sit = M2M_SECI_ESPRIM;
		out->epo = strndup(epo, n);
		return out->epo != NULL ? M2M_OK : M2M_E_NOMEM;
	}
	if ((j = load(json, len, &r)) == NULL)
		return r;
	r = m2mi_seci_e2e_from_json(j, now, out);
	json_decref(j);
	return r;
}

m2m_err m2mi_seci_e2e_from_json(const json_t *j, int64_t now, m2m_seci_e2e *out)
{
	m2m_err r;
	const json_t *v;
	int sit;
	const char *own;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return M2M_E_SECI_FORMAT;
	sit = sit_of(j);
	r = M2M_E_SECI_FORMAT;
	if (sit == 0)
		goto out;
	if (sit < 3 || sit > 6) {
		r = M2M_E_UNSUPPORTED; /* the DAS codec's */
		goto out;
	}
	/* only the element of this sit may be present */
	own = sit == 4 ? "ero" : sit == 5 ? "epo" : sit == 6 ? "eckm" : NULL;
	for (size_t i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		if (json_object_get(j, elems[i]) && (own == NULL || strcmp(elems[i], own) != 0))
			goto out;
	v = own ? json_object_get(j, own) : NULL;
	if (own && v == NULL)
		goto out;
	out->sit = sit;
	if (sit == 4) {
		r = m2mi_esprim_rand_from_json(v, false, now, &out->ero);
		goto out;
	}
	if (sit == 5) {
		if (!json_is_string(v) || !compact_jwe_form(json_string_value(v), json_string_length(v)) ||
		    (out->epo = strdup(json_string_value(v))) == NULL)
			goto out;
	} else if (sit == 6) {
		size_t n = json_is_string(v) ? json_string_length(v) : 0;
		int dl;

		if (n == 0 || n % 4 != 0 || n / 4 * 3 > M2M_SECI_ECKM_MAX + 2 ||
		    (out->eckm = malloc(n / 4 * 3 + 1)) == NULL)
			goto out;
		dl = EVP_DecodeBlock(out->eckm, (const unsigned char *)json_string_value(v), (int)n);
		if (dl < 0)
			goto out;
		/* EVP_DecodeBlock counts the '=' padding as zero octets */
		out->eckm_len = (size_t)dl - (json_string_value(v)[n - 1] == '=') - (json_string_value(v)[n - 2] == '=');
		if (out->eckm_len == 0 || out->eckm_len > M2M_SECI_ECKM_MAX)
			goto out;
	}
	r = M2M_OK;
out:
	if (r != M2M_OK)
		m2m_seci_e2e_clear(out);
	return r;
}

m2m_err m2m_seci_e2e_encode(const m2m_seci_e2e *s, char **out)
{
	json_t *j = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (s != NULL && s->sit == M2M_SECI_ESPRIM && s->epo != NULL && compact_jwe_form(s->epo, strlen(s->epo))) {
		/* the ESPrim Object per request: base64url and '.' need no escaping, so the text is
		 * written directly (the bytes json_dumps would give) */
		size_t n = strlen(s->epo), cap = sizeof(esp_pre) + n + 3;

		if ((*out = malloc(cap)) == NULL)
			return M2M_E_NOMEM;
		snprintf(*out, cap, "%s%s\"}}", esp_pre, s->epo);
		return M2M_OK;
	}
	if ((r = m2mi_seci_e2e_to_json(s, &j)) != M2M_OK)
		return r;
	*out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *out ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2mi_seci_e2e_to_json(const m2m_seci_e2e *s, json_t **out)
{
	json_t *inner = NULL, *j;

	*out = NULL;
	if (s == NULL || s->sit < 3 || s->sit > 6 || (inner = json_pack("{s:i}", "sit", s->sit)) == NULL)
		return M2M_E_INVAL;
	if (s->sit == 4) {
		json_t *e = m2mi_esprim_rand_to_json(&s->ero, false);

		if (e == NULL || json_object_set_new(inner, "ero", e))
			goto bad;
	} else if (s->sit == 5) {
		size_t n = s->epo != NULL ? strlen(s->epo) : 0;

		/* base64url and '.' only (compact_jwe_form): ASCII, no UTF-8 check needed */
		if (s->epo == NULL || !compact_jwe_form(s->epo, n) ||
		    json_object_set_new(inner, "epo", json_stringn_nocheck(s->epo, n)))
			goto bad;
	} else if (s->sit == 6) {
		char *b;

		if (s->eckm == NULL || s->eckm_len == 0 || s->eckm_len > M2M_SECI_ECKM_MAX ||
		    (b = malloc((s->eckm_len + 2) / 3 * 4 + 1)) == NULL)
			goto bad;
		EVP_EncodeBlock((unsigned char *)b, s->eckm, (int)s->eckm_len);
		if (json_object_set_new(inner, "eckm", json_string(b))) {
			free(b);
			goto bad;
		}
		free(b);
	}
	if ((j = json_pack("{s:o}", "m2m:seci", inner)) == NULL)
		return M2M_E_NOMEM;
	*out = j;
	return M2M_OK;
bad:
	json_decref(inner);
	return M2M_E_INVAL;
}

void m2m_seci_e2e_clear(m2m_seci_e2e *s)
{
	if (s == NULL)
		return;
	free(s->epo);
	free(s->eckm);
	memset(s, 0, sizeof(*s));
}
