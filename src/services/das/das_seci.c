/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the codec of the dynamic authorization consultation (m2msec/das.h):
 * m2m:securityInfo "seci" (TS-0004 Table 6.3.5.48-1) with securityInfoType "sit" 1 and
 * m2m:dynAuthDasRequest "dreq" (Table 6.3.5.46-1), sit 2 and m2m:dynAuthDasResponse "dres"
 * (Table 6.3.5.47-1), short names of TS-0004 §8.2.5. Both directions are parsed strictly
 * (untrusted input on both sides: a CSE's request at the DAS, a DAS's answer at the CSE): a
 * mistyped or unknown member is a refusal, every list and string is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2msec/das.h"

void m2m_das_dreq_init(m2m_das_dreq *d)
{
	memset(d, 0, sizeof(*d));
	d->asi = -1;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void m2m_das_dreq_clear(m2m_das_dreq *d)
{
	if (d == NULL)
		return;
	free(d->originator);
	free(d->oip);
	free(d->rts);
	free(d->trid);
	strv_free(d->orid, d->norid);
	strv_free(d->rfa, d->nrfa);
	strv_free(d->tids, d->ntids);
	m2m_das_dreq_init(d);
}

void m2m_das_dres_init(m2m_das_dres *d)
{
	memset(d, 0, sizeof(*d));
	d->asri = -1;
}

void m2m_das_dres_clear(m2m_das_dres *d)
{
	if (d == NULL)
		return;
	json_decref(d->gp);
	strv_free(d->tkns, d->ntkns);
	m2m_das_dres_init(d);
}

/* A string member: non-empty, at most max bytes, no NUL. */
static m2m_err get_str(const json_t *v, size_t max, char **out)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return M2M_E_PROTO;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n)
		return M2M_E_PROTO;
	return (*out = strdup(s)) != NULL ? M2M_OK : M2M_E_NOMEM;
}

static m2m_err get_list(const json_t *v, size_t max_each, char ***out, size_t *n)
{
	size_t i, cnt;
	m2m_err r;

	if (!json_is_array(v) || (cnt = json_array_size(v)) > M2M_DAS_MAX_LIST)
		return M2M_E_PROTO;
	if (cnt == 0)
		return M2M_OK;
	if ((*out = calloc(cnt, sizeof(char *))) == NULL)
		return M2M_E_NOMEM;
	for (i = 0; i < cnt; i++) {
		if ((r = get_str(json_array_get(v, i), max_each, &(*out)[i])) != M2M_OK) {
			*n = i;
			return r;
		}
	}
	*n = cnt;
	return M2M_OK;
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	/* proleptic Gregorian, independent of the process time zone (no timegm) */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

m2m_err m2m_das_abs_rel_time(const json_t *v, int64_t now, int64_t *out)
{
	long long ms;

	if (v == NULL || out == NULL)
		return M2M_E_INVAL;
	if (json_is_integer(v)) {
		ms = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		int Y, M, D, h, mi, se;
		char *end;
		if (n == 15 && s[8] == 'T') {
			char c;
			if (sscanf(s, "%4d%2d%2dT%2d%2d%2d%c", &Y, &M, &D, &h, &mi, &se, &c) != 6 || Y < 1970 ||
			    Y > 9999 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || se > 60 || h < 0 ||
			    mi < 0 || se < 0)
				return M2M_E_PROTO;
			for (size_t i = 0; i < n; i++)
				if (i != 8 && (s[i] < '0' || s[i] > '9'))
					return M2M_E_PROTO;
			*out = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + se;
			return M2M_OK;
		}
		if (n == 0 || n > 18 || s[0] < '0' || s[0] > '9')
			return M2M_E_PROTO;
		ms = strtoll(s, &end, 10);
		if (*end != '\0')
			return M2M_E_PROTO;
	} else {
		return M2M_E_PROTO;
	}
	/* relative: milliseconds from now (m2m:absRelTimestamp, TS-0004 Table 6.3.3-1) */
	if (ms < 0 || ms > 100LL * 366 * 86400 * 1000)
		return M2M_E_PROTO;
	*out = now + (int64_t)(ms / 1000);
	return M2M_OK;
}

/* The seci object of a primitive Content with sit == want. */
static m2m_err seci_of(const json_t *pc, int want, const char *payload, const json_t **body)
{
	const json_t *seci = json_object_get(pc, "m2m:seci");
	const json_t *sit = json_object_get(seci, "sit");
	const char *k;
	const json_t *v;

	if (!json_is_object(pc) || json_object_size(pc) != 1 || !json_is_object(seci) || !json_is_integer(sit) ||
	    json_integer_value(sit) != want)
		return M2M_E_PROTO;
	json_object_foreach((json_t *)seci, k, v) {
		if (strcmp(k, "sit") != 0 && strcmp(k, payload) != 0)
			return M2M_E_PROTO;
	}
	*body = json_object_get(seci, payload);
	return M2M_OK;
}

static m2m_err dreq_member(m2m_das_dreq *d, const char *k, const json_t *v, int64_t now)
{
	if (strcmp(k, "or") == 0)
		return get_str(v, M2M_DAS_STR_MAX, &d->originator);
	if (strcmp(k, "trt") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			return M2M_E_PROTO;
		d->trt = (int)json_integer_value(v);
		return M2M_OK;
	}
	if (strcmp(k, "op") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 6)
			return M2M_E_PROTO;
		d->op = (int)json_integer_value(v);
		return M2M_OK;
	}
	if (strcmp(k, "oip") == 0) {
		const json_t *a4 = json_object_get(v, "ip4"), *a6 = json_object_get(v, "ip6");
		if (!json_is_object(v) || json_object_size(v) != 1 || (a4 == NULL) == (a6 == NULL))
			return M2M_E_PROTO;
		d->oip_v6 = a6 != NULL;
		return get_str(a4 != NULL ? a4 : a6, 64, &d->oip);
	}
	if (strcmp(k, "olo") == 0)
		return M2M_OK; /* originatorLocation: accepted, not used by the policy */
	if (strcmp(k, "orid") == 0)
		return get_list(v, M2M_DAS_STR_MAX, &d->orid, &d->norid);
	if (strcmp(k, "rts") == 0) {
		int64_t t;
		if (m2m_das_abs_rel_time(v, now, &t) != M2M_OK)
			return M2M_E_PROTO;
		char buf[32];
		if (json_is_string(v))
			return get_str(v, 32, &d->rts);
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return (d->rts = strdup(buf)) != NULL ? M2M_OK : M2M_E_NOMEM;
	}
	if (strcmp(k, "trid") == 0)
		return get_str(v, M2M_DAS_STR_MAX, &d->trid);
	if (strcmp(k, "ppl") == 0) {
		int64_t t;
		/* a future instant within 100 years (what the encoder can write back as milliseconds) */
		if (m2m_das_abs_rel_time(v, now, &t) != M2M_OK || t <= now || t - now > 100LL * 366 * 86400)
			return M2M_E_PROTO;
		d->ppl = t - now;
		return M2M_OK;
	}
	if (strcmp(k, "rfa") == 0)
		return get_list(v, M2M_DAS_STR_MAX, &d->rfa, &d->nrfa);
	if (strcmp(k, "tids") == 0)
		return get_list(v, M2M_DAS_STR_MAX, &d->tids, &d->ntids);
	if (strcmp(k, "asi") == 0) {
		if (!json_is_boolean(v))
			return M2M_E_PROTO;
		d->asi = json_is_true(v) ? 1 : 0;
		return M2M_OK;
	}
	return M2M_E_PROTO; /* unknown member: refused, never silently dropped */
}

m2m_err m2m_das_dreq_parse(const json_t *pc, int64_t now, m2m_das_dreq *out)
{
	const json_t *dreq, *v;
	const char *k;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	m2m_das_dreq_init(out);
	if ((r = seci_of(pc, M2M_DAS_SIT_REQUEST, "dreq", &dreq)) != M2M_OK)
		return r;
	if (!json_is_object(dreq))
		return M2M_E_PROTO;
	json_object_foreach((json_t *)dreq, k, v) {
		if ((r = dreq_member(out, k, v, now)) != M2M_OK)
			goto fail;
	}
	if (out->originator == NULL || out->op == 0 || out->trid == NULL) {
		r = M2M_E_PROTO; /* or, op, trid: multiplicity 1 (TS-0004 Table 6.3.5.46-1) */
		goto fail;
	}
	return M2M_OK;
fail:
	m2m_das_dreq_clear(out);
	return r;
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static m2m_err wrap(json_t *body, int sit, const char *name, json_t **out)
{
	json_t *seci = json_object(), *pc = json_object();

	if (body == NULL || seci == NULL || pc == NULL || json_object_set_new(seci, "sit", json_integer(sit)) != 0 ||
	    json_object_set_new(seci, name, body) != 0 || json_object_set_new(pc, "m2m:seci", seci) != 0) {
		json_decref(seci);
		json_decref(pc);
		return M2M_E_NOMEM;
	}
	*out = pc;
	return M2M_OK;
}

m2m_err m2m_das_dreq_to_json(const m2m_das_dreq *d, json_t **out)
{
	json_t *o;
	int bad = 0;

	if (d == NULL || out == NULL || d->originator == NULL || d->trid == NULL || d->op < 1 || d->op > 6)
		return M2M_E_INVAL;
	*out = NULL;
	if ((o = json_object()) == NULL)
		return M2M_E_NOMEM;
	bad |= json_object_set_new(o, "or", json_string(d->originator));
	bad |= json_object_set_new(o, "op", json_integer(d->op));
	bad |= json_object_set_new(o, "trid", json_string(d->trid));
	if (d->trt > 0)
		bad |= json_object_set_new(o, "trt", json_integer(d->trt));
	if (d->oip != NULL)
		bad |= json_object_set_new(o, "oip", json_pack("{s:s}", d->oip_v6 ? "ip6" : "ip4", d->oip));
	if (d->norid > 0)
		bad |= json_object_set_new(o, "orid", strv_json(d->orid, d->norid));
	if (d->rts != NULL)
		bad |= json_object_set_new(o, "rts", json_string(d->rts));
	if (d->ppl > 0) /* relative milliseconds */
		bad |= json_object_set_new(o, "ppl", json_integer((json_int_t)d->ppl * 1000));
	if (d->nrfa > 0)
		bad |= json_object_set_new(o, "rfa", strv_json(d->rfa, d->nrfa));
	if (d->ntids > 0)
		bad |= json_object_set_new(o, "tids", strv_json(d->tids, d->ntids));
	if (d->asi >= 0)
		bad |= json_object_set_new(o, "asi", json_boolean(d->asi));
	if (bad) {
		json_decref(o);
		return M2M_E_NOMEM;
	}
	return wrap(o, M2M_DAS_SIT_REQUEST, "dreq", out);
}

m2m_err m2m_das_dres_parse(const json_t *pc, int64_t now, m2m_das_dres *out)
{
	const json_t *dres, *v;
	const char *k;
	m2m_err r = M2M_OK;

	if (out == NULL)
		return M2M_E_INVAL;
	m2m_das_dres_init(out);
	if ((r = seci_of(pc, M2M_DAS_SIT_RESPONSE, "dres", &dres)) != M2M_OK)
		return r;
	if (dres == NULL)
		return M2M_OK; /* sit 2 without dres: nothing granted */
	if (!json_is_object(dres))
		return M2M_E_PROTO;
	json_object_foreach((json_t *)dres, k, v) {
		if (strcmp(k, "dai") == 0) {
			const json_t *gp = json_object_get(v, "gp"), *pl = json_object_get(v, "pl");
			if (!json_is_object(v) || json_object_size(v) != (size_t)(gp != NULL) + (pl != NULL) ||
			    (gp != NULL && !json_is_object(gp)) ||
			    (pl != NULL && m2m_das_abs_rel_time(pl, now, &out->pl) != M2M_OK)) {
				r = M2M_E_PROTO;
				break;
			}
			out->has_dai = true;
			out->gp = gp != NULL ? json_deep_copy(gp) : NULL;
			if (gp != NULL && out->gp == NULL)
				r = M2M_E_NOMEM;
		} else if (strcmp(k, "tkns") == 0) {
			r = get_list(v, M2M_TOKEN_MAX_LEN, &out->tkns, &out->ntkns);
		} else if (strcmp(k, "asri") == 0 && json_is_boolean(v)) {
			out->asri = json_is_true(v) ? 1 : 0;
		} else {
			r = M2M_E_PROTO;
		}
		if (r != M2M_OK)
			break;
	}
	if (r != M2M_OK)
		m2m_das_dres_clear(out);
	return r;
}

m2m_err m2m_das_dres_to_json(const m2m_das_dres *d, json_t **out)
{
	json_t *o;
	int bad = 0;

	if (d == NULL || out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((o = json_object()) == NULL)
		return M2M_E_NOMEM;
	if (d->has_dai) {
		json_t *dai = json_object();
		if (dai == NULL) {
			json_decref(o);
			return M2M_E_NOMEM;
		}
		if (d->gp != NULL)
			bad |= json_object_set(dai, "gp", d->gp);
		if (d->pl > 0) {
			struct tm tm;
			time_t t = (time_t)d->pl;
			char buf[32];
			if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y%m%dT%H%M%S", &tm) != 15)
				bad = 1;
			else
				bad |= json_object_set_new(dai, "pl", json_string(buf));
		}
		bad |= json_object_set_new(o, "dai", dai);
	}
	if (d->ntkns > 0)
		bad |= json_object_set_new(o, "tkns", strv_json(d->tkns, d->ntkns));
	if (d->asri >= 0)
		bad |= json_object_set_new(o, "asri", json_boolean(d->asri));
	if (bad) {
		json_decref(o);
		return M2M_E_NOMEM;
	}
	return wrap(o, M2M_DAS_SIT_RESPONSE, "dres", out);
}
