/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the matching conditions of the Filter Criteria (TS-0004 clause 7.3.3.17,
 * Table 7.3.3.17.0-1; short names of TS-0009 Table 6.2.2.2-1) on one stored resource. Each
 * condition tag is one criterion; the values of one tag are ORed (clause 7.3.3.17.0):
 *   ty      resourceType any of (7.3.3.17.6)        lbl   labels any of (7.3.3.17.5)
 *   cra/crb createdAfter <= ct < createdBefore        ms/us modifiedSince <= lt < unmodifiedSince
 *   exa/exb expireAfter <= et < expireBefore          sza/szb sizeAbove <= cs < sizeBelow
 *   cty     typeOfContent of cnf any of (7.3.3.17.8)  attribute name=value pairs (7.3.3.17.9),
 *           rn included, any of, '*' matches 0 or more characters.
 * A window (cra/crb, ms/us, exa/exb, sza/szb) is one criterion: clauses 7.3.3.17.1-7.3.3.17.7
 * define its two bounds as one condition. Different criteria are ANDed, or ORed with
 * filterOperation 2 (clause 7.3.3.17.12, Table 6.3.4.2.34-1). sza/szb and cty apply to
 * <contentInstance> resources only (the only type with contentSize/contentInfo here): other
 * resources do not satisfy them. No condition at all matches everything.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "services/cse/cse_int.h"

bool m2mi_filter_any(const m2m_filter *fc)
{
	return fc->nty || fc->nlbl || fc->rn || fc->cra || fc->crb || fc->ms || fc->us || fc->exa || fc->exb ||
	       fc->sza >= 0 || fc->szb >= 0 || fc->ncty || fc->natr;
}

bool m2mi_filter_needs_body(const m2m_filter *fc)
{
	return fc->ncty > 0 || fc->natr > 0;
}

static bool labels_match(const m2m_filter *fc, const char *lbl_json)
{
	json_t *have, *e;
	bool ok = false;
	size_t j;

	if (lbl_json == NULL || (have = json_loads(lbl_json, 0, NULL)) == NULL)
		return false;
	json_array_foreach(have, j, e)
		for (size_t i = 0; !ok && i < fc->nlbl; i++)
			ok = json_is_string(e) && strcmp(json_string_value(e), fc->lbl[i]) == 0;
	json_decref(have);
	return ok;
}

/* lo <= t < hi for the bounds given; t "" (no expirationTime) is later than every bound. */
static bool window(const char *t, const char *lo, const char *hi)
{
	bool never = t[0] == '\0';

	if (lo != NULL && !never && strcmp(lo, t) > 0)
		return false;
	if (hi != NULL && (never || strcmp(t, hi) >= 0))
		return false;
	return true;
}

/* One attribute value (or a list element) against the wanted text. */
static bool value_match(const json_t *v, const char *want)
{
	char num[32];

	if (json_is_string(v))
		return m2mi_wildcard_match(want, json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return m2mi_wildcard_match(want, num);
	}
	if (json_is_boolean(v))
		return strcmp(want, json_is_true(v) ? "true" : "false") == 0 ||
		       strcmp(want, json_is_true(v) ? "1" : "0") == 0;
	return false;
}

static bool attr_value_match(const json_t *v, const char *want)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return value_match(v, want);
	json_array_foreach(v, i, e)
		if (value_match(e, want))
			return true;
	return false;
}

/* contentType: the typeOfContent part (before ':') of cnf, case-insensitive like media types. */
static bool cty_match(const m2m_filter *fc, const json_t *attr)
{
	const char *cnf = json_string_value(json_object_get(attr, "cnf"));
	size_t n;

	if (cnf == NULL)
		return false;
	n = strcspn(cnf, ":");
	for (size_t i = 0; i < fc->ncty; i++)
		if (strlen(fc->cty[i]) == n && strncasecmp(fc->cty[i], cnf, n) == 0)
			return true;
	return false;
}

static bool attrs_match(const m2m_filter *fc, const m2m_res *r, const json_t *attr)
{
	if (fc->rn != NULL && r->rn != NULL && m2mi_wildcard_match(fc->rn, r->rn))
		return true;
	for (size_t i = 0; attr != NULL && i < fc->natr; i++) {
		const json_t *v = json_object_get(attr, fc->atr_n[i]);
		if (v != NULL && attr_value_match(v, fc->atr_v[i]))
			return true;
	}
	return false;
}

/* The attributes inside the stored body {"m2m:xxx": {...}} or {...}. */
static json_t *inner_of(json_t *body)
{
	json_t *in = json_object_iter_value(json_object_iter(body));

	return json_object_size(body) == 1 && json_is_object(in) ? in : body;
}

bool m2mi_filter_match(const m2m_filter *fc, const m2m_res *r)
{
	bool crit[8], any_true = false, all_true = true, cin = r->ty == M2M_TY_CIN;
	size_t n = 0;
	json_t *body = NULL, *attr = NULL;

	if (m2mi_filter_needs_body(fc) && r->body != NULL && (body = json_loads(r->body, 0, NULL)) != NULL)
		attr = inner_of(body);
	if (fc->nty > 0) {
		bool any = false;
		for (size_t i = 0; i < fc->nty && i < M2M_FC_MAX; i++)
			any = any || fc->ty[i] == r->ty;
		crit[n++] = any;
	}
	if (fc->nlbl > 0)
		crit[n++] = labels_match(fc, r->lbl);
	if (fc->cra != NULL || fc->crb != NULL)
		crit[n++] = r->ct[0] != '\0' && window(r->ct, fc->cra, fc->crb);
	if (fc->ms != NULL || fc->us != NULL)
		crit[n++] = r->lt[0] != '\0' && window(r->lt, fc->ms, fc->us);
	if (fc->exa != NULL || fc->exb != NULL)
		crit[n++] = window(r->et, fc->exa, fc->exb);
	if (fc->sza >= 0 || fc->szb >= 0)
		crit[n++] = cin && (fc->sza < 0 || r->size >= fc->sza) && (fc->szb < 0 || r->size < fc->szb);
	if (fc->ncty > 0)
		crit[n++] = cin && attr != NULL && cty_match(fc, attr);
	if (fc->rn != NULL || fc->natr > 0)
		crit[n++] = attrs_match(fc, r, attr);
	json_decref(body);
	for (size_t i = 0; i < n; i++) {
		any_true = any_true || crit[i];
		all_true = all_true && crit[i];
	}
	if (n == 0)
		return true;
	return fc->fo == 2 ? any_true : all_true;
}
