/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the JSON request primitive mapping shared by the MQTT binding (TS-0010
 * V3.1.0 clause 6.5.1) and the WebSocket binding (TS-0020 V3.0.1 clause 5.2): one JSON object with
 * the short names of TS-0004 clause 8.2 becomes an m2m_request. The filter criteria ("fc", TS-0004
 * Table 6.3.5.8-1) are re-encoded as the query component of the HTTP binding (TS-0009 Table
 * 6.2.2.2-1) and mapped by the same parser (bindings/query_map.h), as the CoAP binding does with
 * its Uri-Query options: every binding accepts exactly the same conditions with the same limits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings/json_prim.h"
#include "bindings/query_map.h"
#include "m2msec/mqtt.h"
#include "m2msec/rsc.h"

#define RQI_MAX 1024 /* rqi length, as X-M2M-RI of the HTTP binding */
#define STR_MAX 4096 /* any other string parameter */
#define IDS_MAX 64   /* rids / tids / tkns entries */

/* Release Version Indicators accepted (TS-0004 clause 6.4.1), as the HTTP binding. */
static const char *const rvi_ok[] = {"2a", "3", "4", "5"};
#define RVI_R1 "1"
/* Request parameters that do not change what this CSE does and are tolerated. */
static const char *const ignored[] = {"ot", "rqet", "rset", "oet", "rt", "rp", "gid", "ec", "da", "nid"};

/* No control character (nor DEL): what may go into a primitive or a log. */
static bool clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static m2m_err fail(m2m_response *rsp, m2m_err err, int rsc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static m2m_err fail(m2m_response *rsp, m2m_err err, int rsc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m2m_response_verror(rsp, rsc, fmt, ap);
	va_end(ap);
	return err;
}

#define BAD(...) fail(rsp, M2M_E_PROTO, M2M_RSC_BAD_REQUEST, __VA_ARGS__)
#define NOMEM() fail(rsp, M2M_E_NOMEM, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory")

/* A string member: absent -> *out NULL and M2M_OK; present -> non-empty, clean, <= max bytes. */
static m2m_err str_member(json_t *o, const char *k, size_t max, char **out, m2m_response *rsp)
{
	json_t *v = json_object_get(o, k);
	const char *s;
	size_t n;

	if (v == NULL)
		return M2M_OK;
	if (!json_is_string(v))
		return BAD("\"%s\" must be a string", k);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n || !clean(s, n))
		return BAD("\"%s\" must be 1..%zu bytes without control characters", k, max);
	if ((*out = strdup(s)) == NULL)
		return NOMEM();
	return M2M_OK;
}

/* An integer member in [min, max]: absent -> M2M_OK with *out untouched. */
static m2m_err int_member(json_t *o, const char *k, long min, long max, int *out, m2m_response *rsp)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return M2M_OK;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return BAD("\"%s\" must be an integer in %ld..%ld", k, min, max);
	*out = (int)json_integer_value(v);
	return M2M_OK;
}

/* A list of IDs (rids, tids, tkns): an array of 1..IDS_MAX clean strings. A list given as one
 * space-separated string is not accepted (TS-0004 JSON lists are arrays). */
static m2m_err list_member(json_t *o, const char *k, char ***v, size_t *nv, m2m_response *rsp)
{
	json_t *a = json_object_get(o, k), *e;
	size_t i;

	if (a == NULL)
		return M2M_OK;
	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > IDS_MAX)
		return BAD("\"%s\" must be an array of 1..%d strings", k, IDS_MAX);
	if ((*v = calloc(json_array_size(a), sizeof(char *))) == NULL)
		return NOMEM();
	json_array_foreach(a, i, e) {
		const char *s = json_string_value(e);
		if (s == NULL || s[0] == '\0' || strlen(s) != json_string_length(e) || strlen(s) > STR_MAX ||
		    !clean(s, strlen(s)) || strchr(s, '+') != NULL)
			return BAD("\"%s\" entries must be non-empty strings without '+' or control characters", k);
		if (((*v)[i] = strdup(s)) == NULL)
			return NOMEM();
		(*nv)++;
	}
	return M2M_OK;
}

/* Tokens as the binding-independent raw '+'-joined value (the form of TS-0009 clause 6.4.19). */
static m2m_err tokens(json_t *o, m2m_request *req, m2m_response *rsp)
{
	char **t = NULL;
	size_t nt = 0, len = 0;
	m2m_err rc = list_member(o, "tkns", &t, &nt, rsp);

	for (size_t i = 0; rc == M2M_OK && i < nt; i++)
		len += strlen(t[i]) + 1;
	if (rc == M2M_OK && nt > 0) {
		if ((req->tkns = malloc(len)) == NULL) {
			rc = NOMEM();
		} else {
			req->tkns[0] = '\0';
			for (size_t i = 0, j = 0; i < nt; i++) {
				size_t l = strlen(t[i]);
				if (i > 0)
					req->tkns[j++] = '+';
				memcpy(req->tkns + j, t[i], l + 1);
				j += l;
			}
		}
	}
	for (size_t i = 0; i < nt; i++)
		free(t[i]);
	free(t);
	return rc;
}

/* ---- filter criteria (TS-0004 Table 6.3.5.8-1) as a query component --------------------------- */

/* What a filter-criteria member holds in JSON; the value's own rules (ranges, timestamp format,
 * list sizes) are the query mapping's. Conditions this CSE does not implement (sts, stb, chty,
 * pty, clbl, palb, lbq, catr, patr, smf, cfs, cfq) are refused like their query parameters. */
enum fck { FC_INT, FC_STR, FC_INTS, FC_STRS, FC_ATR };

static const struct {
	const char *name;
	enum fck kind;
} fc_members[] = {
	{"crb", FC_STR}, {"cra", FC_STR}, {"ms", FC_STR}, {"us", FC_STR}, {"exb", FC_STR}, {"exa", FC_STR},
	{"arp", FC_STR}, {"fu", FC_INT}, {"lim", FC_INT}, {"lvl", FC_INT}, {"ofst", FC_INT}, {"fo", FC_INT},
	{"sza", FC_INT}, {"szb", FC_INT}, {"ty", FC_INTS}, {"lbl", FC_STRS}, {"cty", FC_STRS}, {"atr", FC_ATR},
};

struct qbuf {
	char *p;
	size_t n, cap;
	bool nomem;
};

static void qput(struct qbuf *q, const char *s, size_t n)
{
	char *p;

	if (q->nomem)
		return;
	if (q->n + n + 1 > q->cap) {
		size_t cap = q->cap ? q->cap : 128;
		while (cap < q->n + n + 1)
			cap *= 2;
		if ((p = realloc(q->p, cap)) == NULL) {
			q->nomem = true;
			return;
		}
		q->p = p;
		q->cap = cap;
	}
	memcpy(q->p + q->n, s, n);
	q->n += n;
	q->p[q->n] = '\0';
}

/* Percent-encode everything but RFC 3986 unreserved characters: '&', '=', '+' and '%' of a value
 * never become query syntax; the query mapping decodes them back. */
static void qput_enc(struct qbuf *q, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};
		bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				  (c != 0 && strchr("-._~", c) != NULL);
		if (unreserved)
			qput(q, (const char *)&s[i], 1);
		else
			qput(q, e, 3);
	}
}

/* One scalar value: an integer as decimal, a string encoded; anything else is refused. */
static bool qput_value(struct qbuf *q, json_t *v, bool want_int)
{
	char num[32];

	if (want_int) {
		if (!json_is_integer(v))
			return false;
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		qput(q, num, strlen(num));
		return true;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v))
		return false;
	qput_enc(q, json_string_value(v), json_string_length(v));
	return true;
}

/* attribute: [{"nm": short name, "val": value}, ...] (TS-0004 Table 6.3.5.9-1) -> nm=val&... */
static m2m_err fc_atr(struct qbuf *q, json_t *a, m2m_response *rsp)
{
	json_t *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return BAD("\"fc\" member \"atr\" must be a non-empty array of {\"nm\", \"val\"}");
	json_array_foreach(a, i, e) {
		json_t *nm = json_object_get(e, "nm"), *val = json_object_get(e, "val");
		const char *n = json_string_value(nm);
		char b[8];

		if (!json_is_object(e) || json_object_size(e) != 2 || n == NULL ||
		    !m2mi_query_attr_name(n, json_string_length(nm)) || val == NULL)
			return BAD("\"fc\" attribute conditions need a supported \"nm\" and a \"val\"");
		if (q->n > 0)
			qput(q, "&", 1);
		qput(q, n, strlen(n));
		qput(q, "=", 1);
		if (json_is_boolean(val)) {
			snprintf(b, sizeof(b), "%s", json_is_true(val) ? "true" : "false");
			qput(q, b, strlen(b));
		} else if (!qput_value(q, val, json_is_integer(val))) {
			return BAD("\"fc\" attribute \"%.16s\" needs a string, integer or boolean value", n);
		}
	}
	return M2M_OK;
}

static m2m_err fc_member(struct qbuf *q, const char *k, json_t *v, m2m_response *rsp)
{
	size_t m = 0, i;
	json_t *e;

	while (m < sizeof(fc_members) / sizeof(fc_members[0]) && strcmp(fc_members[m].name, k) != 0)
		m++;
	if (m == sizeof(fc_members) / sizeof(fc_members[0]))
		return BAD("unsupported filter criterion \"%.16s\" in \"fc\"", k);
	if (fc_members[m].kind == FC_ATR)
		return fc_atr(q, v, rsp);
	if (q->n > 0)
		qput(q, "&", 1);
	qput(q, k, strlen(k));
	qput(q, "=", 1);
	if (fc_members[m].kind == FC_INT || fc_members[m].kind == FC_STR)
		return qput_value(q, v, fc_members[m].kind == FC_INT) ? M2M_OK
			: BAD("\"fc\" member \"%s\" must be %s", k, fc_members[m].kind == FC_INT ? "an integer"
												   : "a non-empty string");
	/* lists: JSON arrays (TS-0004 clause 8.4), '+'-joined like TS-0009 Table 6.2.2.2-1 */
	if (!json_is_array(v) || json_array_size(v) == 0)
		return BAD("\"fc\" member \"%s\" must be a non-empty array", k);
	json_array_foreach(v, i, e) {
		if (i > 0)
			qput(q, "+", 1);
		if (!qput_value(q, e, fc_members[m].kind == FC_INTS))
			return BAD("\"fc\" member \"%s\" must be an array of %s", k,
				   fc_members[m].kind == FC_INTS ? "integers" : "non-empty strings");
	}
	return M2M_OK;
}

static m2m_err filter_criteria(json_t *fc, m2m_request *req, m2m_response *rsp)
{
	struct qbuf q = {0};
	const char *k;
	json_t *v;
	m2m_err rc = M2M_OK;

	if (!json_is_object(fc))
		return BAD("\"fc\" (filter criteria) must be a JSON object");
	json_object_foreach(fc, k, v) {
		if ((rc = fc_member(&q, k, v, rsp)) != M2M_OK)
			break;
	}
	if (rc == M2M_OK && q.nomem)
		rc = NOMEM();
	if (rc == M2M_OK && q.n > 0)
		rc = m2mi_query_map(q.p, q.n, req, rsp);
	free(q.p);
	return rc;
}

/* ---- the primitive ------------------------------------------------------------------------------ */

/* tqi, asi, auri (TS-0004 Table 8.2.2-1 short names): JSON booleans (asi/auri parsed, not acted
 * upon: docs/procedures/das.md). */
static m2m_err da_flags(json_t *o, m2m_request *req, m2m_response *rsp)
{
	static const char *const names[] = {"tqi", "asi", "auri"};

	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(o, names[i]);
		if (v == NULL)
			continue;
		if (!json_is_boolean(v))
			return BAD("\"%s\" must be a boolean", names[i]);
		if (i == 0)
			req->tqi = json_is_true(v);
		else
			*(i == 1 ? &req->asi : &req->auri) = json_is_true(v) ? 2 : 1;
	}
	return M2M_OK;
}

static bool member_known(const char *k)
{
	static const char *const known[] = {"op", "to", "fr", "rqi", "rvi", "ty", "pc", "rcn", "drt", "vsi",
					    "rids", "tids", "tkns", "fc", "ltids", "tqi", "asi", "auri"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(k, known[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strcmp(k, ignored[i]) == 0)
			return true;
	return false;
}

static m2m_err check_rvi(json_t *o, m2m_request *req, m2m_response *rsp)
{
	json_t *v = json_object_get(o, "rvi");
	bool known = false;
	m2m_err rc;

	if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), RVI_R1) == 0)) {
		/* TS-0004 7.3.2.1: no rvi = a Release-1 request (4001); its response carries no rvi. */
		rc = fail(rsp, M2M_E_PROTO, M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED,
			  "release version 1 (a request without rvi) is not supported (2a, 3, 4, 5)");
		free(rsp->rvi);
		rsp->rvi = strdup(RVI_R1);
		return rsp->rvi != NULL ? rc : NOMEM();
	}
	if (!json_is_string(v))
		return BAD("\"rvi\" must be a string");
	for (size_t i = 0; i < sizeof(rvi_ok) / sizeof(rvi_ok[0]); i++)
		known |= strcmp(json_string_value(v), rvi_ok[i]) == 0;
	if (!known)
		return fail(rsp, M2M_E_PROTO, M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED,
			    "release version '%.8s' is not supported (2a, 3, 4, 5)", json_string_value(v));
	return (req->rvi = strdup(json_string_value(v))) ? M2M_OK : NOMEM();
}

static m2m_err map(json_t *o, m2m_request *req, m2m_response *rsp)
{
	const char *k;
	json_t *v;
	int op = 0;
	m2m_err rc;

	json_object_foreach(o, k, v) {
		if (!member_known(k))
			return BAD("unknown request parameter \"%.32s\"", k);
	}
	if ((rc = str_member(o, "rqi", RQI_MAX, &req->rqi, rsp)) != M2M_OK)
		return rc;
	if (req->rqi == NULL)
		return BAD("\"rqi\" (request identifier) is missing");
	if ((rc = check_rvi(o, req, rsp)) != M2M_OK)
		return rc;
	if (json_object_get(o, "op") == NULL)
		return BAD("\"op\" (operation) is missing");
	if ((rc = int_member(o, "op", M2M_OP_CREATE, M2M_OP_NOTIFY, &op, rsp)) != M2M_OK)
		return rc;
	req->op = (m2m_op)op;
	if ((rc = str_member(o, "fr", STR_MAX, &req->fr, rsp)) != M2M_OK ||
	    (rc = str_member(o, "to", STR_MAX, &req->to, rsp)) != M2M_OK)
		return rc;
	if (req->to == NULL)
		return BAD("\"to\" (target) is missing");
	/* mapped on any operation: the CSE refuses it outside CREATE and requires it there (TS-0004
	 * Table 7.2.1.1-1), one rule for every binding (services/cse/cse.c) */
	if ((rc = int_member(o, "ty", 1, 65535, &req->ty, rsp)) != M2M_OK)
		return rc;
	if ((rc = int_member(o, "rcn", 0, 12, &req->rcn, rsp)) != M2M_OK ||
	    (rc = int_member(o, "drt", 1, 2, &req->drt, rsp)) != M2M_OK ||
	    (rc = str_member(o, "vsi", STR_MAX, &req->vsi, rsp)) != M2M_OK ||
	    (rc = list_member(o, "rids", &req->rids, &req->nrids, rsp)) != M2M_OK ||
	    (rc = list_member(o, "tids", &req->tids, &req->ntids, rsp)) != M2M_OK || (rc = tokens(o, req, rsp)) != M2M_OK ||
	    (rc = list_member(o, "ltids", &req->ltids, &req->nltids, rsp)) != M2M_OK ||
	    (rc = da_flags(o, req, rsp)) != M2M_OK)
		return rc;
	if ((v = json_object_get(o, "fc")) != NULL && (rc = filter_criteria(v, req, rsp)) != M2M_OK)
		return rc;
	v = json_object_get(o, "pc");
	if (v != NULL && !json_is_object(v))
		return BAD("\"pc\" must be a JSON object");
	if (v == NULL && (req->op == M2M_OP_CREATE || req->op == M2M_OP_UPDATE))
		return BAD("%s needs \"pc\"", m2m_op_name(req->op));
	if (v != NULL && req->op != M2M_OP_RETRIEVE && req->op != M2M_OP_DELETE)
		req->pc = json_incref(v);
	return M2M_OK;
}

static void echo_rqi(json_t *o, m2m_response *rsp)
{
	json_t *ri = json_object_get(o, "rqi");

	if (rsp->rqi == NULL && json_is_string(ri) && json_string_length(ri) > 0 && json_string_length(ri) <= RQI_MAX &&
	    strlen(json_string_value(ri)) == json_string_length(ri) && clean(json_string_value(ri), json_string_length(ri)))
		rsp->rqi = strdup(json_string_value(ri)); /* echo when possible; best effort */
}

void m2mi_json_echo_rqi(const uint8_t *payload, size_t len, m2m_response *rsp)
{
	json_t *o;

	if (payload == NULL || len == 0 || rsp == NULL || rsp->rqi != NULL)
		return;
	o = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
	echo_rqi(o, rsp);
	json_decref(o);
}

m2m_err m2mi_json_parse_request(const uint8_t *payload, size_t len, size_t max_payload, m2m_request *req,
				m2m_response *rsp)
{
	json_error_t jerr;
	json_t *o;
	m2m_err rc;

	if ((payload == NULL && len > 0) || req == NULL || rsp == NULL)
		return M2M_E_INVAL;
	if (max_payload == 0)
		max_payload = M2M_MQTT_DEFAULT_MAX_PAYLOAD;
	if (len > max_payload)
		return fail(rsp, M2M_E_TOO_LARGE, M2M_RSC_BAD_REQUEST, "payload (%zu bytes) exceeds the limit of %zu bytes",
			    len, max_payload);
	o = len > 0 ? json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (o == NULL)
		rc = BAD("malformed JSON payload");
	else if (!json_is_object(o))
		rc = BAD("the payload must be a JSON object (a request primitive)");
	else
		rc = map(o, req, rsp);
	if (rc != M2M_OK) {
		m2m_request_clear(req);
		echo_rqi(o, rsp);
	}
	json_decref(o);
	return rc;
}
