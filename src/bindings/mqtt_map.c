/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pure oneM2M MQTT binding mapping (TS-0010 V3.1.0): topic names
 * (clauses 6.4.2-6.4.4, 6.5.4) and the JSON request/response primitives in PUBLISH payloads
 * (clause 6.5, short names of TS-0004 clause 8.2). The security rules are those of clause 7.2:
 * the broker authenticates the client and enforces who may publish on which topic, so the
 * originator level of a req topic is the authenticated identity and the payload's From must
 * match it (4106), and the Credential-ID of a reg_req topic is the broker's, never the payload's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/mqtt.h"
#include "m2msec/rsc.h"

#define RQI_MAX 1024 /* rqi length, as X-M2M-RI of the HTTP binding */
#define STR_MAX 4096 /* any other string parameter */
#define IDS_MAX 64   /* rids / tids / tkns entries */
#define PREFIX "/oneM2M/"

static const char *const kinds[] = {NULL, "req", "resp", "reg_req", "reg_resp"};
static const char *const fmts[] = {NULL, "json", "xml", "cbor"};
/* Release Version Indicators accepted (TS-0004 clause 6.4.1), as the HTTP binding. */
static const char *const rvi_ok[] = {"2a", "3", "4", "5"};
#define RVI_R1 "1"
/* Request parameters that do not change what this CSE does and are tolerated. */
static const char *const ignored[] = {"ot", "rqet", "rset", "oet", "rt", "rp", "gid", "ec", "da", "nid"};

/* No control character (nor DEL): what may go into a primitive, a log or a topic. */
static bool clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* A topic level holding an ID: non-empty, bounded, no '/', no wildcard, clean. */
static bool level_ok(const char *s, size_t n)
{
	return n > 0 && n <= M2M_MQTT_SEG_MAX && memchr(s, '/', n) == NULL && memchr(s, '+', n) == NULL &&
	       memchr(s, '#', n) == NULL && clean(s, n);
}

/* ---- topics ------------------------------------------------------------------------------------ */

m2m_err m2m_mqtt_topic_parse(const char *topic, size_t len, m2m_mqtt_topic *out)
{
	const char *lv[4];
	size_t ln[4], n = 0, i;
	const char *p, *end;

	if (topic == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (len > M2M_MQTT_TOPIC_MAX || len <= strlen(PREFIX) || memcmp(topic, PREFIX, strlen(PREFIX)) != 0)
		return M2M_E_PROTO;
	p = topic + strlen(PREFIX);
	end = topic + len;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		if (n == 4)
			return M2M_E_PROTO; /* a fifth level */
		lv[n] = p;
		ln[n] = slash ? (size_t)(slash - p) : (size_t)(end - p);
		n++;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (n < 3)
		return M2M_E_PROTO;
	for (i = 1; i < 5; i++)
		if (strlen(kinds[i]) == ln[0] && memcmp(kinds[i], lv[0], ln[0]) == 0)
			out->kind = (m2m_mqtt_kind)i;
	if (out->kind == 0 || !level_ok(lv[1], ln[1]) || !level_ok(lv[2], ln[2]))
		goto bad;
	if (n == 4) {
		for (i = 1; i < 4; i++)
			if (strlen(fmts[i]) == ln[3] && memcmp(fmts[i], lv[3], ln[3]) == 0)
				out->fmt = (m2m_mqtt_fmt)i;
		if (out->fmt == M2M_MQTT_FMT_NONE)
			goto bad;
	}
	memcpy(out->orig, lv[1], ln[1]);
	memcpy(out->recv, lv[2], ln[2]);
	if (out->kind == M2M_MQTT_REG_REQ || out->kind == M2M_MQTT_REG_RESP)
		for (i = 0; i < ln[1]; i++) /* clause 6.4.4: '/' in the Credential-ID was sent as ':' */
			out->credential_id[i] = lv[1][i] == ':' ? '/' : lv[1][i];
	return M2M_OK;
bad:
	memset(out, 0, sizeof(*out));
	return M2M_E_PROTO;
}

m2m_err m2m_mqtt_id_encode(const char *id, char out[M2M_MQTT_SEG_MAX + 1])
{
	size_t j = 0, n;

	if (id == NULL || out == NULL)
		return M2M_E_INVAL;
	out[0] = '\0';
	n = strlen(id);
	if (!clean(id, n) || strpbrk(id, ":+#") != NULL)
		return M2M_E_ID_BAD_CHAR;
	if (id[0] == '/' && id[1] == '/') { /* absolute: "//" becomes ':' (Mcc', clause 6.4.2) */
		out[j++] = ':';
		id += 2;
	} else {
		while (*id == '/')
			id++;
	}
	if (*id == '\0')
		return M2M_E_ID_EMPTY;
	for (; *id; id++) {
		if (j == M2M_MQTT_SEG_MAX) {
			out[0] = '\0';
			return M2M_E_ID_TOO_LONG;
		}
		out[j++] = *id == '/' ? ':' : *id;
	}
	out[j] = '\0';
	return M2M_OK;
}

m2m_err m2m_mqtt_topic_format(m2m_mqtt_kind kind, const char *orig, const char *recv, char *buf, size_t cap)
{
	int n;

	if (orig == NULL || recv == NULL || buf == NULL || cap == 0 || kind < M2M_MQTT_REQ ||
	    kind > M2M_MQTT_REG_RESP)
		return M2M_E_INVAL;
	buf[0] = '\0';
	if (!level_ok(orig, strlen(orig)) || !level_ok(recv, strlen(recv)))
		return M2M_E_ID_BAD_CHAR;
	n = snprintf(buf, cap, PREFIX "%s/%s/%s/json", kinds[kind], orig, recv);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return M2M_E_TOO_LARGE;
	}
	return M2M_OK;
}

m2m_err m2m_mqtt_response_topic(const m2m_mqtt_topic *t, char *buf, size_t cap)
{
	if (t == NULL || (t->kind != M2M_MQTT_REQ && t->kind != M2M_MQTT_REG_REQ))
		return M2M_E_INVAL;
	return m2m_mqtt_topic_format(t->kind == M2M_MQTT_REQ ? M2M_MQTT_RESP : M2M_MQTT_REG_RESP, t->orig, t->recv,
				     buf, cap);
}

/* ---- request payload (clause 6.5.1) ----------------------------------------------------------- */

static m2m_err fail(m2m_response *rsp, m2m_err err, int rsc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static m2m_err fail(m2m_response *rsp, m2m_err err, int rsc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m2m_response_error(rsp, rsc, "%s", msg);
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

static m2m_err map(const m2m_mqtt_topic *t, json_t *o, m2m_request *req, m2m_response *rsp)
{
	char enc[M2M_MQTT_SEG_MAX + 1];
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
	if ((rc = str_member(o, "fr", STR_MAX, &req->fr, rsp)) != M2M_OK)
		return rc;
	if (t->kind == M2M_MQTT_REQ) {
		/* TS-0010 clause 7.2: the broker lets only the authenticated client publish with its ID as
		 * originator level; a From naming anybody else is a spoof. */
		if (req->fr == NULL)
			return fail(rsp, M2M_E_PROTO, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
				    "\"fr\" is missing (it must equal the topic's originator)");
		if (m2m_mqtt_id_encode(req->fr, enc) != M2M_OK || strcmp(enc, t->orig) != 0)
			return fail(rsp, M2M_E_PROTO, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
				    "\"fr\" does not match the topic's originator");
	}
	if ((rc = str_member(o, "to", STR_MAX, &req->to, rsp)) != M2M_OK)
		return rc;
	if (req->to == NULL)
		return BAD("\"to\" (target) is missing");
	if ((rc = int_member(o, "ty", 1, 65535, &req->ty, rsp)) != M2M_OK)
		return rc;
	if ((req->op == M2M_OP_CREATE) != (req->ty > 0))
		return BAD(req->ty > 0 ? "\"ty\" is only allowed on CREATE" : "CREATE needs \"ty\"");
	if (t->kind == M2M_MQTT_REG_REQ && (req->op != M2M_OP_CREATE || (req->ty != M2M_TY_AE && req->ty != M2M_TY_CSR)))
		return BAD("a reg_req topic carries only the CREATE of an AE or remoteCSE (TS-0010 6.4.4)");
	if ((rc = int_member(o, "rcn", 0, 12, &req->rcn, rsp)) != M2M_OK ||
	    (rc = int_member(o, "drt", 1, 2, &req->drt, rsp)) != M2M_OK ||
	    (rc = str_member(o, "vsi", STR_MAX, &req->vsi, rsp)) != M2M_OK ||
	    (rc = list_member(o, "rids", &req->rids, &req->nrids, rsp)) != M2M_OK ||
	    (rc = list_member(o, "tids", &req->tids, &req->ntids, rsp)) != M2M_OK || (rc = tokens(o, req, rsp)) != M2M_OK ||
	    (rc = list_member(o, "ltids", &req->ltids, &req->nltids, rsp)) != M2M_OK ||
	    (rc = da_flags(o, req, rsp)) != M2M_OK)
		return rc;
	if (json_object_get(o, "fc") != NULL)
		return fail(rsp, M2M_E_PROTO, M2M_RSC_NOT_IMPLEMENTED,
			    "filter criteria (\"fc\") over MQTT are not implemented yet");
	v = json_object_get(o, "pc");
	if (v != NULL && !json_is_object(v))
		return BAD("\"pc\" must be a JSON object");
	if (v == NULL && (req->op == M2M_OP_CREATE || req->op == M2M_OP_UPDATE))
		return BAD("%s needs \"pc\"", m2m_op_name(req->op));
	if (v != NULL && req->op != M2M_OP_RETRIEVE && req->op != M2M_OP_DELETE)
		req->pc = json_incref(v);
	return M2M_OK;
}

m2m_err m2m_mqtt_parse_request(const m2m_mqtt_topic *t, const uint8_t *payload, size_t len, size_t max_payload,
			       m2m_request *req, m2m_response *rsp)
{
	json_error_t jerr;
	json_t *o = NULL, *ri;
	m2m_err rc;

	if (t == NULL || (payload == NULL && len > 0) || req == NULL || rsp == NULL ||
	    (t->kind != M2M_MQTT_REQ && t->kind != M2M_MQTT_REG_REQ))
		return M2M_E_INVAL;
	if (max_payload == 0)
		max_payload = M2M_MQTT_DEFAULT_MAX_PAYLOAD;
	if (len > max_payload)
		return fail(rsp, M2M_E_TOO_LARGE, M2M_RSC_BAD_REQUEST, "payload (%zu bytes) exceeds the limit of %zu bytes",
			    len, max_payload);
	if (t->fmt == M2M_MQTT_FMT_XML || t->fmt == M2M_MQTT_FMT_CBOR)
		return fail(rsp, M2M_E_PROTO, M2M_RSC_UNSUPPORTED_MEDIA_TYPE,
			    "only the JSON serialization is supported (topic type json)");
	o = len > 0 ? json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (o == NULL)
		rc = BAD("malformed JSON payload");
	else if (!json_is_object(o))
		rc = BAD("the payload must be a JSON object (a request primitive)");
	else
		rc = map(t, o, req, rsp);
	if (rc != M2M_OK) {
		m2m_request_clear(req);
		ri = json_object_get(o, "rqi");
		if (rsp->rqi == NULL && json_is_string(ri) && json_string_length(ri) > 0 &&
		    json_string_length(ri) <= RQI_MAX && strlen(json_string_value(ri)) == json_string_length(ri) &&
		    clean(json_string_value(ri), json_string_length(ri)))
			rsp->rqi = strdup(json_string_value(ri)); /* echo when possible; best effort */
	}
	json_decref(o);
	return rc;
}

/* ---- response payload (clause 6.5.2) ---------------------------------------------------------- */

static int set_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, k, json_string(v));
}

/* ati as m2m:dynAuthLocalTokenIdAssignments (TS-0004 Table 6.3.5.43-1) from the binding form
 * "lti1:tkid1+lti2:tkid2" the CSE writes. */
static json_t *ati_json(const char *ati)
{
	json_t *ltia = json_array();

	for (const char *p = ati; ltia != NULL && *p != '\0';) {
		size_t n = strcspn(p, "+"), k = strcspn(p, ":");
		if (k < n)
			json_array_append_new(ltia, json_pack("{s:s%, s:s%}", "lti", p, k, "tkid", p + k + 1, n - k - 1));
		p += n + (p[n] == '+');
	}
	return json_pack("{s:o*}", "ltia", ltia);
}

m2m_err m2m_mqtt_format_response(const m2m_request *req, const m2m_response *rsp, const char *responder,
				 char **out, size_t *out_len)
{
	const char *rqi, *rvi;
	json_t *o;
	int bad = 0;

	if (rsp == NULL || out == NULL || out_len == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	*out_len = 0;
	rqi = rsp->rqi ? rsp->rqi : req ? req->rqi : NULL;
	rvi = rsp->rvi ? rsp->rvi : (req && req->rvi) ? req->rvi : "3";
	if ((o = json_object()) == NULL)
		return M2M_E_NOMEM;
	bad |= json_object_set_new(o, "rsc", json_integer(rsp->rsc ? rsp->rsc : M2M_RSC_INTERNAL_SERVER_ERROR));
	bad |= set_str(o, "rqi", rqi);
	if (strcmp(rvi, RVI_R1) != 0)
		bad |= set_str(o, "rvi", rvi);
	if (rsp->pc != NULL)
		bad |= json_object_set(o, "pc", rsp->pc);
	if (rsp->cnst > 0)
		bad |= json_object_set_new(o, "cnst", json_integer(rsp->cnst));
	if (rsp->cnot > 0)
		bad |= json_object_set_new(o, "cnot", json_integer(rsp->cnot));
	if (rsp->ati != NULL)
		bad |= json_object_set_new(o, "ati", ati_json(rsp->ati));
	bad |= set_str(o, "to", req ? req->fr : NULL);
	bad |= set_str(o, "fr", responder);
	if (bad == 0)
		*out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (*out == NULL)
		return M2M_E_NOMEM;
	*out_len = strlen(*out);
	return M2M_OK;
}
