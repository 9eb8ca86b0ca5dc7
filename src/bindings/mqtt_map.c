/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pure oneM2M MQTT binding mapping (TS-0010 V3.1.0): topic names
 * (clauses 6.4.2-6.4.4, 6.5.4) and the JSON request/response primitives in PUBLISH payloads
 * (clause 6.5, short names of TS-0004 clause 8.2; the JSON itself is bindings/json_prim.c's).
 * The security rules are those of clause 7.2: the broker authenticates the client and enforces
 * who may publish on which topic, so the originator level of a req topic is the authenticated
 * identity (the association the CSE judges From against, mqtt_client.c), and the Credential-ID
 * of a reg_req topic is the broker's, never the payload's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings/json_prim.h"
#include "m2msec/mqtt.h"
#include "m2msec/rsc.h"

#define PREFIX "/oneM2M/"

static const char *const kinds[] = {NULL, "req", "resp", "reg_req", "reg_resp"};
static const char *const fmts[] = {NULL, "json", "xml", "cbor"};
#define RVI_R1 "1" /* a Release-1 entity: no rvi in the responses to it */

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

/*
 * The JSON primitive itself is mapped by bindings/json_prim.c (shared with the WebSocket
 * binding); the topic adds only what a topic proves. On a req topic nothing about From is judged
 * here: the topic's originator level is the identity the broker authenticated, the CSE binds the
 * request's association to it (mqtt_client.c) and its originator rules (core/originator.c) judge
 * From against it exactly as over HTTPS (4000 for a form a Registree AE may not use, 4106 for
 * anybody else). A reg_req topic carries only the registration it is for (clause 6.4.4).
 */
m2m_err m2m_mqtt_parse_request(const m2m_mqtt_topic *t, const uint8_t *payload, size_t len, size_t max_payload,
			       m2m_request *req, m2m_response *rsp)
{
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
	if ((rc = m2mi_json_parse_request(payload, len, max_payload, req, rsp)) != M2M_OK)
		return rc;
	if (t->kind == M2M_MQTT_REG_REQ && (req->op != M2M_OP_CREATE || (req->ty != M2M_TY_AE && req->ty != M2M_TY_CSR))) {
		m2m_request_clear(req);
		m2mi_json_echo_rqi(payload, len, rsp);
		return fail(rsp, M2M_E_PROTO, M2M_RSC_BAD_REQUEST,
			    "a reg_req topic carries only the CREATE of an AE or remoteCSE (TS-0010 6.4.4)");
	}
	return M2M_OK;
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
