/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the oneM2M JWT claim set (TS-0003 Table 7.3.2.6.2-1, TS-0004 Tables
 * 6.3.5.41-1, 6.3.5.42-1, 6.3.5.53-1): m2m_token_claims to JSON for the issuer and JSON back to
 * m2m_token_claims for the verifier, both with the same strict checks so an issuer cannot write
 * what its verifier refuses. Unknown claims are ignored (RFC 7519 §4: "claims that are not
 * understood MUST be ignored"), but inside tkps, which grants access, an unknown member is a
 * refusal (docs/style.md #9 fail closed). Pure: no clock, no I/O.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/token_int.h"
#include "m2msec/id.h"

/* NumericDate range accepted: 1970 .. 9999-12-31T23:59:59Z. */
#define DATE_MAX 253402300799ll

size_t m2mi_token_json_depth(const char *s, size_t n)
{
	size_t depth = 0, max = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max)
				max = depth;
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		}
	}
	return in_str ? SIZE_MAX : max;
}

/* A string claim: non-empty, at most M2M_TOKEN_STR_MAX bytes, no NUL inside (a holder
 * "Cabc\0x" must not compare equal to "Cabc"); with id, no white space or control character
 * either (an m2m:ID). */
static bool str_ok(const json_t *v, bool id)
{
	size_t n;
	const char *s;

	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > M2M_TOKEN_STR_MAX || strlen(s) != n)
		return false;
	if (id)
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
				return false;
	return true;
}

static bool typed_id_ok(const char *s, m2m_id_kind kind)
{
	m2m_id *id = NULL;
	m2m_err r = m2m_id_parse(s, strlen(s), kind, &id);

	m2m_id_free(id);
	return r == M2M_OK;
}

/* NumericDate (RFC 7519 §2): an integer, or a real rounded towards the inside of the window
 * (ceil for nbf, floor for exp) so rounding never widens it. */
static bool date_ok(const json_t *v, bool up, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > DATE_MAX)
			return false;
		*out = (int64_t)i;
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!isfinite(d) || d < 0 || d > (double)DATE_MAX)
		return false;
	*out = (int64_t)(up ? ceil(d) : floor(d));
	return true;
}

/* An array of 1..M2M_TOKEN_MAX_LIST IDs (kind M2M_ID_ANY: any m2m:ID string) into a new
 * NULL-free pointer array. */
static m2m_err id_list(const json_t *arr, m2m_id_kind kind, m2m_err bad, const char ***out, size_t *n)
{
	size_t cnt;
	const char **v;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return bad;
	cnt = json_array_size(arr);
	if (cnt > M2M_TOKEN_MAX_LIST)
		return M2M_E_TOKEN_TOO_LARGE;
	v = calloc(cnt, sizeof(*v));
	if (v == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const json_t *e = json_array_get(arr, i);
		if (!str_ok(e, true) || (kind != M2M_ID_ANY && !typed_id_ok(json_string_value(e), kind))) {
			free(v);
			return bad;
		}
		v[i] = json_string_value(e);
	}
	*out = v;
	*n = cnt;
	return M2M_OK;
}

/* One m2m:tokenPermission (TS-0004 Table 6.3.5.41-1; TS-0003 clause 7.3.2.5 item 1: ris is
 * required when pv is present). */
static m2m_err perm_decode(const json_t *o, m2m_token_perm *p)
{
	const char *k;
	const json_t *v;
	m2m_err r;
	const char **ris = NULL, **rids = NULL;
	m2m_acp_rules *rules = NULL;
	char *pv_json = NULL;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(o) || json_object_size(o) == 0)
		return M2M_E_TOKEN_PERMISSIONS;
	json_object_foreach((json_t *)o, k, v) {
		if (strcmp(k, "ris") != 0 && strcmp(k, "pv") != 0 && strcmp(k, "rids") != 0)
			return M2M_E_TOKEN_PERMISSIONS;
	}
	if ((v = json_object_get(o, "ris")) != NULL &&
	    (r = id_list(v, M2M_ID_ANY, M2M_E_TOKEN_PERMISSIONS, &ris, &p->nris)) != M2M_OK)
		return r;
	if ((v = json_object_get(o, "rids")) != NULL &&
	    (r = id_list(v, M2M_ID_ROLE_ID, M2M_E_TOKEN_PERMISSIONS, &rids, &p->nrids)) != M2M_OK)
		goto fail;
	if ((v = json_object_get(o, "pv")) != NULL) {
		r = M2M_E_TOKEN_PERMISSIONS;
		if (ris == NULL || !json_is_object(v) ||
		    m2m_acp_rules_from_json(v, &rules, NULL, 0) != M2M_OK)
			goto fail;
		r = M2M_E_NOMEM;
		if ((pv_json = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
			goto fail;
	}
	p->ris = ris;
	p->rids = rids;
	p->pv = rules;
	p->pv_json = pv_json;
	return M2M_OK;
fail:
	free(ris);
	free(rids);
	m2m_acp_rules_unref(rules);
	free(pv_json);
	p->nris = p->nrids = 0;
	return r;
}

static void perm_clear(m2m_token_perm *p)
{
	free((void *)p->ris);
	free((void *)p->rids);
	m2m_acp_rules_unref((m2m_acp_rules *)p->pv);
	free((void *)p->pv_json);
	memset(p, 0, sizeof(*p));
}

void m2mi_token_claims_clear(m2m_token *tok)
{
	for (size_t i = 0; tok->perms != NULL && i < tok->c.nperms; i++)
		perm_clear(&tok->perms[i]);
	free(tok->perms);
	free(tok->aud);
	tok->perms = NULL;
	tok->aud = NULL;
	memset(&tok->c, 0, sizeof(tok->c));
}

/* tkps = m2m:tokenPermissions {"pm": [ m2m:tokenPermission ... ]} (TS-0004 Table 6.3.5.53-1). */
static m2m_err perms_decode(m2m_token *tok, const json_t *tkps)
{
	const json_t *pm;
	size_t n;

	if (!json_is_object(tkps))
		return M2M_E_TOKEN_PERMISSIONS;
	tok->c.has_perms = true;
	if (json_object_size(tkps) == 0)
		return M2M_OK;
	pm = json_object_get(tkps, "pm");
	if (pm == NULL || json_object_size(tkps) != 1 || !json_is_array(pm))
		return M2M_E_TOKEN_PERMISSIONS;
	n = json_array_size(pm);
	if (n > M2M_TOKEN_MAX_LIST)
		return M2M_E_TOKEN_TOO_LARGE;
	if (n == 0)
		return M2M_OK;
	if ((tok->perms = calloc(n, sizeof(*tok->perms))) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		m2m_err r = perm_decode(json_array_get(pm, i), &tok->perms[i]);
		if (r != M2M_OK)
			return r; /* the caller clears the ones already decoded (nperms counts them) */
		tok->c.nperms = i + 1;
	}
	tok->c.perms = tok->perms;
	return M2M_OK;
}

static const char *opt_str(const json_t *o, const char *name, bool id, m2m_err *r)
{
	const json_t *v = json_object_get(o, name);

	if (v == NULL)
		return NULL;
	if (!str_ok(v, id))
		*r = M2M_E_TOKEN_CLAIMS;
	return json_string_value(v);
}

m2m_err m2mi_token_claims_decode(m2m_token *tok)
{
	const json_t *o = tok->payload, *v;
	m2m_err r = M2M_OK;
	m2m_token_claims *c = &tok->c;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return M2M_E_TOKEN_CLAIMS;
	/* the required claims (TS-0004 Table 6.3.5.42-1 multiplicity 1) */
	c->version = opt_str(o, "tkvr", false, &r);
	c->token_id = opt_str(o, "jti", true, &r);
	c->issuer = opt_str(o, "iss", true, &r);
	c->holder = opt_str(o, "azp", true, &r);
	c->name = opt_str(o, "tknm", false, &r);
	c->extension = opt_str(o, "tkex", false, &r);
	if (r != M2M_OK || c->version == NULL || c->token_id == NULL || c->issuer == NULL || c->holder == NULL)
		return M2M_E_TOKEN_CLAIMS;
	if (!typed_id_ok(c->token_id, M2M_ID_TOKEN_ID)) /* m2m:tokenID name@issuer-fqdn */
		return M2M_E_TOKEN_CLAIMS;
	if (!date_ok(json_object_get(o, "nbf"), true, &c->not_before) ||
	    !date_ok(json_object_get(o, "exp"), false, &c->not_after) || c->not_after < c->not_before)
		return M2M_E_TOKEN_CLAIMS;
	/* aud: RFC 7519 §4.1.3 allows one string or an array of strings */
	if ((v = json_object_get(o, "aud")) != NULL) {
		if (json_is_string(v)) {
			if (!str_ok(v, true) || (tok->aud = calloc(1, sizeof(*tok->aud))) == NULL)
				return str_ok(v, true) ? M2M_E_NOMEM : M2M_E_TOKEN_CLAIMS;
			tok->aud[0] = json_string_value(v);
			c->naudience = 1;
		} else if ((r = id_list(v, M2M_ID_ANY, M2M_E_TOKEN_CLAIMS, &tok->aud, &c->naudience)) != M2M_OK) {
			return r;
		}
		c->audience = tok->aud;
	}
	if ((v = json_object_get(o, "tkps")) != NULL && (r = perms_decode(tok, v)) != M2M_OK)
		return r;
	return M2M_OK;
}

/* ---- encoding (the issuer) ------------------------------------------------------------------ */

static m2m_err set_str(json_t *o, const char *k, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL) /* NULL or not UTF-8 */
		return M2M_E_TOKEN_CLAIMS;
	return json_object_set_new(o, k, v) == 0 ? M2M_OK : M2M_E_NOMEM;
}

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		json_t *s = v[i] ? json_string(v[i]) : NULL;
		if (s == NULL || json_array_append_new(a, s) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static m2m_err perms_encode(json_t *o, const m2m_token_claims *c)
{
	json_t *pm = json_array(), *tkps = json_object();

	if (pm == NULL || tkps == NULL || json_object_set_new(tkps, "pm", pm) != 0) {
		json_decref(pm);
		json_decref(tkps);
		return M2M_E_NOMEM;
	}
	for (size_t i = 0; i < c->nperms; i++) {
		const m2m_token_perm *p = &c->perms[i];
		json_t *e = json_object();
		json_array_append_new(pm, e);
		if (e == NULL)
			goto bad;
		if (p->nris > 0 && json_object_set_new(e, "ris", str_array(p->ris, p->nris)) != 0)
			goto bad;
		if (p->pv_json != NULL) {
			json_t *pv = json_loads(p->pv_json, JSON_REJECT_DUPLICATES, NULL);
			if (pv == NULL || json_object_set_new(e, "pv", pv) != 0)
				goto bad;
		}
		if (p->nrids > 0 && json_object_set_new(e, "rids", str_array(p->rids, p->nrids)) != 0)
			goto bad;
	}
	return json_object_set_new(o, "tkps", tkps) == 0 ? M2M_OK : M2M_E_NOMEM;
bad:
	json_decref(tkps);
	return M2M_E_TOKEN_PERMISSIONS;
}

static m2m_err claims_encode(const m2m_token_claims *c, json_t **out)
{
	json_t *o = json_object();
	m2m_err r = M2M_E_NOMEM;

	*out = NULL;
	if (o == NULL)
		return M2M_E_NOMEM;
	/* the claim names of TS-0003 Table 7.3.2.6.2-1 */
	if ((r = set_str(o, "tkvr", c->version)) != M2M_OK || (r = set_str(o, "jti", c->token_id)) != M2M_OK ||
	    (r = set_str(o, "iss", c->issuer)) != M2M_OK || (r = set_str(o, "azp", c->holder)) != M2M_OK)
		goto fail;
	r = M2M_E_NOMEM;
	if (json_object_set_new(o, "nbf", json_integer(c->not_before)) != 0 ||
	    json_object_set_new(o, "exp", json_integer(c->not_after)) != 0)
		goto fail;
	if ((c->name != NULL && (r = set_str(o, "tknm", c->name)) != M2M_OK) ||
	    (c->extension != NULL && (r = set_str(o, "tkex", c->extension)) != M2M_OK))
		goto fail;
	r = M2M_E_TOKEN_CLAIMS;
	if (c->naudience > 0 && json_object_set_new(o, "aud", str_array(c->audience, c->naudience)) != 0)
		goto fail;
	if ((c->has_perms || c->nperms > 0) && (r = perms_encode(o, c)) != M2M_OK)
		goto fail;
	*out = o;
	return M2M_OK;
fail:
	json_decref(o);
	return r;
}

m2m_err m2m_token_claims_json(const m2m_token_claims *c, char **out)
{
	json_t *o = NULL;
	m2m_token tok;
	char *s;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (c == NULL)
		return M2M_E_INVAL;
	if ((r = claims_encode(c, &o)) != M2M_OK)
		return r;
	/* Decode what was written with the verifier's rules: the issuer refuses what a CSE would. */
	memset(&tok, 0, sizeof(tok));
	tok.payload = o;
	r = m2mi_token_claims_decode(&tok);
	m2mi_token_claims_clear(&tok);
	if (r == M2M_OK) {
		s = json_dumps(o, JSON_COMPACT);
		if (s == NULL)
			r = M2M_E_NOMEM;
		else if (strlen(s) > M2M_TOKEN_MAX_LEN)
			r = M2M_E_TOKEN_TOO_LARGE;
		if (r == M2M_OK)
			*out = s;
		else
			free(s);
	}
	json_decref(o);
	return r;
}

m2m_err m2m_token_format_id(const uint8_t rnd[16], const char *fqdn, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n;

	if (out != NULL && cap > 0)
		out[0] = '\0';
	if (rnd == NULL || fqdn == NULL || out == NULL)
		return M2M_E_INVAL;
	n = strlen(fqdn);
	if (n == 0 || m2m_id_check_fqdn(fqdn, n) != M2M_OK)
		return M2M_E_INVAL;
	if (cap < 34 + n)
		return M2M_E_RANGE;
	for (size_t i = 0; i < 16; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[32] = '@';
	for (size_t i = 0; i <= n; i++) /* the issuerID FQDN "in all lowercase" */
		out[33 + i] = (char)(fqdn[i] >= 'A' && fqdn[i] <= 'Z' ? fqdn[i] + 32 : fqdn[i]);
	return M2M_OK;
}
