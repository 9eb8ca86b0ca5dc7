/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pure mapping of the oneM2M CoAP binding (TS-0008 V3.9.0 clause 6.2)
 * between a CoAP message (bindings/coap_map.h, after the transport reassembled block-wise
 * transfers) and the request/response primitives: method (clause 6.2.1, Table 6.2.1-1), Uri-Path
 * (clause 6.2.2.3, Table 6.2.2.3-1), Uri-Query (clause 6.2.2.3, parsed by the HTTP binding's
 * query mapping, bindings/query_map.h), the oneM2M options (clause 6.2.2.4, Table 6.2.2.4.0-1),
 * Content-Format and Accept (clause 6.2.2.2) and payload (clause 6.2.3: JSON, or CBOR through
 * core/cbor_codec.c, TS-0004 clause 8.5); the way back is
 * bindings/coap_rsp.c. Option processing follows RFC 7252 clause 5.4. Everything that does not
 * map is refused (fail closed); docs/coap-binding.md has the rules.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings/coap_map.h"
#include "bindings/query_map.h"
#include "core/cbor_codec.h"
#include "m2msec/rsc.h"
#include "m2msec/utf8.h"

#define C(c, d) M2MI_COAP_CODE(c, d)
#define RVI_R1 "1" /* a Release-1 entity: no RVI in its requests, none in responses to it */

/* Release Version Indicators accepted (TS-0004 clause 6.4.1), as in the HTTP binding. */
static const char *const rvi_ok[] = {"2a", "3", "4", "5"};

enum kind { K_STR, K_UINT };
enum use { U_HOST, U_PORT, U_PATH, U_CF, U_QUERY, U_ACCEPT, U_BLOCK2, U_BLOCK1, U_PROXY, U_FR, U_RQI, U_RVI,
	   U_TY, U_VSI, U_RSPONLY, U_IGNORED };

/* The options this binding recognises (RFC 7252 clause 5.10, RFC 7959 clause 2.1, TS-0008 Table
 * 6.2.2.4.0-1) with their value length range and whether they may repeat. */
static const struct optdef {
	uint16_t num;
	uint16_t min, max;
	enum kind kind;
	bool rep;
	enum use use;
} optdefs[] = {
	{M2MI_COAP_OPT_URI_HOST, 1, 255, K_STR, false, U_HOST},
	{M2MI_COAP_OPT_URI_PORT, 0, 2, K_UINT, false, U_PORT},
	{M2MI_COAP_OPT_URI_PATH, 0, 255, K_STR, true, U_PATH},
	{M2MI_COAP_OPT_CONTENT_FORMAT, 0, 2, K_UINT, false, U_CF},
	{M2MI_COAP_OPT_URI_QUERY, 0, 255, K_STR, true, U_QUERY},
	{M2MI_COAP_OPT_ACCEPT, 0, 2, K_UINT, false, U_ACCEPT},
	{M2MI_COAP_OPT_BLOCK2, 0, 3, K_UINT, false, U_BLOCK2},
	{M2MI_COAP_OPT_BLOCK1, 0, 3, K_UINT, false, U_BLOCK1},
	{M2MI_COAP_OPT_PROXY_URI, 1, 1034, K_STR, false, U_PROXY},
	{M2MI_COAP_OPT_PROXY_SCHEME, 1, 255, K_STR, false, U_PROXY},
	{M2MI_COAP_OPT_OT, 15, 15, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_RTURI, 0, 255, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_TY, 0, 2, K_UINT, false, U_TY},
	{M2MI_COAP_OPT_RVI, 1, 2, K_STR, false, U_RVI},
	{M2MI_COAP_OPT_ASRI, 0, 255, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_FR, 0, 255, K_STR, false, U_FR},
	{M2MI_COAP_OPT_RQI, 0, 255, K_STR, false, U_RQI},
	{M2MI_COAP_OPT_RQET, 15, 15, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_RSET, 15, 15, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_OET, 15, 15, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_EC, 0, 1, K_UINT, false, U_IGNORED},
	{M2MI_COAP_OPT_RSC, 0, 2, K_UINT, false, U_RSPONLY},
	{M2MI_COAP_OPT_GID, 0, 255, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_CTO, 0, 2, K_UINT, false, U_RSPONLY},
	{M2MI_COAP_OPT_CTS, 0, 2, K_UINT, false, U_RSPONLY},
	{M2MI_COAP_OPT_ATI, 0, 255, K_STR, false, U_RSPONLY},
	{M2MI_COAP_OPT_VSI, 0, 255, K_STR, false, U_VSI},
	{M2MI_COAP_OPT_GTM, 0, 512, K_STR, false, U_IGNORED},
	{M2MI_COAP_OPT_AUS, 0, 255, K_STR, false, U_IGNORED},
};
#define NDEFS (sizeof(optdefs) / sizeof(optdefs[0]))

static m2m_err fail(m2m_response *rsp, m2mi_coap_reqinfo *info, m2m_err err, int rsc, uint8_t code,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static m2m_err fail(m2m_response *rsp, m2mi_coap_reqinfo *info, m2m_err err, int rsc, uint8_t code,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m2m_response_verror(rsp, rsc, fmt, ap);
	va_end(ap);
	info->code = code;
	return err;
}

#define BAD(...) fail(rsp, info, M2M_E_PROTO, M2M_RSC_BAD_REQUEST, 0, __VA_ARGS__)
#define BADOPT(...) fail(rsp, info, M2M_E_PROTO, M2M_RSC_BAD_REQUEST, C(4, 2), __VA_ARGS__)
#define NOMEM() fail(rsp, info, M2M_E_NOMEM, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory")

/* Valid UTF-8 (RFC 7252 clause 3.2 "string") without control characters (no NUL, CR, LF: what
 * is copied into a primitive or a log). */
bool m2mi_coap_text_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return m2m_utf8_valid((const char *)s, n);
}

/* RFC 7252 clause 3.2 uint: big-endian, leading zero bytes allowed, 0 bytes is 0. */
static unsigned long uint_val(const m2mi_coap_opt *o)
{
	unsigned long v = 0;

	for (size_t i = 0; i < o->len; i++)
		v = (v << 8) | o->val[i];
	return v;
}

static const struct optdef *optdef(uint16_t num)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (optdefs[i].num == num)
			return &optdefs[i];
	return NULL;
}

static char *dup_val(const m2mi_coap_opt *o)
{
	return o != NULL && o->len > 0 ? strndup((const char *)o->val, o->len) : NULL;
}

/* The options of one request, sorted by use. */
struct picked {
	const m2mi_coap_opt *one[U_IGNORED + 1]; /* the single-valued ones */
	const m2mi_coap_opt *path[64];
	size_t npath;
	const m2mi_coap_opt *query[64];
	size_t nquery;
};

/* RFC 7252 clauses 5.4.1, 5.4.3, 5.4.5: an unrecognised critical (odd) option, a recognised one
 * with a value length outside its range or a repeated non-repeatable one is a Bad Option (4.02);
 * unrecognised elective (even) options are ignored. Fail closed: a malformed string value of a
 * recognised option is also a Bad Option. */
static m2m_err pick(const m2mi_coap_msg *msg, struct picked *pk, m2m_response *rsp, m2mi_coap_reqinfo *info)
{
	bool seen[NDEFS] = {false};

	memset(pk, 0, sizeof(*pk));
	if (msg->nopts > M2MI_COAP_MAX_NOPTS)
		return BADOPT("more than %d options", M2MI_COAP_MAX_NOPTS);
	for (size_t i = 0; i < msg->nopts; i++) {
		const m2mi_coap_opt *o = &msg->opts[i];
		const struct optdef *d = optdef(o->num);

		if (d == NULL) {
			if (o->num & 1)
				return BADOPT("unrecognised critical option %u", o->num);
			continue;
		}
		if (o->len < d->min || o->len > d->max)
			return BADOPT("option %u has a value of %zu bytes (allowed %u..%u)", o->num, o->len, d->min,
				      d->max);
		if (d->kind == K_STR && !m2mi_coap_text_ok(o->val, o->len))
			return BADOPT("option %u is not UTF-8 text without control characters", o->num);
		if (d->use == U_PATH || d->use == U_QUERY) {
			const m2mi_coap_opt **v = d->use == U_PATH ? pk->path : pk->query;
			size_t *n = d->use == U_PATH ? &pk->npath : &pk->nquery;
			if (*n >= 64)
				return BADOPT("more than 64 %s options", d->use == U_PATH ? "Uri-Path" : "Uri-Query");
			v[(*n)++] = o;
			continue;
		}
		/* U_IGNORED and U_RSPONLY hold several options: repeats are checked per number */
		if (seen[d - optdefs])
			return BADOPT("option %u given more than once", o->num);
		seen[d - optdefs] = true;
		pk->one[d->use] = o;
	}
	return M2M_OK;
}

/* TS-0008 clause 6.2.2.3, Table 6.2.2.3-1: first Uri-Path "~" = SP-relative ("/" + rest), "_" =
 * absolute ("//" + rest), else CSE-relative. Segments are taken as they are (CoAP options are
 * not percent-encoded) and must be non-empty, not "." or "..", without '/'; one trailing empty
 * segment ("coap://h/a/") is dropped like the HTTP binding's trailing '/'. */
static m2m_err map_path(const struct picked *pk, char **to)
{
	size_t n = pk->npath, first = 0, total = 3, j;
	const char *prefix = "";
	char *d;

	*to = NULL;
	if (n > 0 && pk->path[n - 1]->len == 0)
		n--;
	if (n > 0 && pk->path[0]->len == 1 && (pk->path[0]->val[0] == '~' || pk->path[0]->val[0] == '_')) {
		prefix = pk->path[0]->val[0] == '~' ? "/" : "//";
		first = 1;
	}
	if (first >= n)
		return M2M_E_PROTO;
	for (size_t i = first; i < n; i++) {
		const m2mi_coap_opt *o = pk->path[i];
		if (o->len == 0 || memchr(o->val, '/', o->len) != NULL || (o->len == 1 && o->val[0] == '.') ||
		    (o->len == 2 && o->val[0] == '.' && o->val[1] == '.'))
			return M2M_E_PROTO;
		total += o->len + 1;
	}
	if ((d = malloc(total)) == NULL)
		return M2M_E_NOMEM;
	j = strlen(prefix);
	memcpy(d, prefix, j);
	for (size_t i = first; i < n; i++) {
		if (i > first)
			d[j++] = '/';
		memcpy(d + j, pk->path[i]->val, pk->path[i]->len);
		j += pk->path[i]->len;
	}
	d[j] = '\0';
	*to = d;
	return M2M_OK;
}

static bool unreserved(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

/* Append bytes percent-encoded except unreserved ones and, with keep_plus, '+' (the list
 * separator of TS-0009 Table 6.2.2.2-1): the shared query parser then decodes exactly these
 * bytes, so a '&', '=' or '%' inside a CoAP value cannot start another parameter. */
static size_t pct_append(char *d, const uint8_t *s, size_t n, bool keep_plus)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (unreserved(s[i]) || (keep_plus && s[i] == '+')) {
			d[j++] = (char)s[i];
		} else {
			d[j++] = '%';
			d[j++] = hex[s[i] >> 4];
			d[j++] = hex[s[i] & 15];
		}
	}
	return j;
}

static bool name_is(const m2mi_coap_opt *o, size_t nn, const char *name)
{
	return nn == strlen(name) && memcmp(o->val, name, nn) == 0;
}

/* TS-0008 clause 6.2.2.3: one Uri-Query option per "name=value". tkns goes to req->tkns (the
 * '+'-joined token list, TS-0009 clause 6.4.19's form); the rest (rids, tids, ltids, tqi, asi,
 * auri included) is re-encoded as one query component
 * for the HTTP binding's parser, so both bindings accept exactly the same parameters. */
static m2m_err map_query(const struct picked *pk, m2m_request *req, m2m_response *rsp, m2mi_coap_reqinfo *info)
{
	size_t cap = 1, j = 0;
	char *q;
	m2m_err rc;

	for (size_t i = 0; i < pk->nquery; i++)
		cap += pk->query[i]->len * 3 + 1;
	if ((q = malloc(cap)) == NULL)
		return NOMEM();
	for (size_t i = 0; i < pk->nquery; i++) {
		const m2mi_coap_opt *o = pk->query[i];
		const uint8_t *eq = o->len ? memchr(o->val, '=', o->len) : NULL;
		size_t nn = eq ? (size_t)(eq - o->val) : o->len;

		if (o->len == 0)
			continue;
		if (name_is(o, nn, "tkns")) {
			if (req->tkns != NULL || eq == NULL || eq + 1 == o->val + o->len) {
				free(q);
				return BAD("query parameter tkns given more than once or without a value");
			}
			if ((req->tkns = strndup((const char *)eq + 1, o->len - nn - 1)) == NULL) {
				free(q);
				return NOMEM();
			}
			continue;
		}
		if (j > 0)
			q[j++] = '&';
		j += pct_append(q + j, o->val, nn, false);
		if (eq != NULL) {
			q[j++] = '=';
			j += pct_append(q + j, eq + 1, o->len - nn - 1, true);
		}
	}
	q[j] = '\0';
	rc = m2mi_query_map(q, j, req, rsp);
	free(q);
	if (rc == M2M_E_NOMEM)
		info->code = 0;
	return rc;
}

static bool cf_json(unsigned long cf)
{
	return cf == M2MI_COAP_CF_JSON || cf == M2MI_COAP_CF_RES_JSON || cf == M2MI_COAP_CF_NTFY_JSON;
}

/* The CBOR request formats: application/cbor and the resource / notification ones of TS-0008
 * Table 6.2.2.2-1 (the whole-primitive formats 10012/10013 do not apply to a payload). */
static bool cf_cbor(unsigned long cf)
{
	return cf == M2MI_COAP_CF_CBOR || cf == M2MI_COAP_CF_RES_CBOR || cf == M2MI_COAP_CF_NTFY_CBOR;
}

bool m2mi_coap_cf_is_cbor(unsigned long cf)
{
	return cf_cbor(cf);
}

/* Accept values this binding can answer with (TS-0008 clause 6.2.2.2). */
static bool accept_ok(unsigned long cf)
{
	return cf == M2MI_COAP_CF_JSON || cf == M2MI_COAP_CF_RES_JSON || cf == M2MI_COAP_CF_CBOR ||
	       cf == M2MI_COAP_CF_RES_CBOR;
}

/* The payload as one object: JSON (duplicate keys rejected) or CBOR (TS-0004 clause 8.5.1,
 * core/cbor_codec.c, the same value a JSON twin gives). */
static m2m_err parse_payload(const m2mi_coap_msg *msg, bool cbor, m2m_request *req, m2m_response *rsp,
			     m2mi_coap_reqinfo *info)
{
	json_error_t jerr;
	char why[128];
	m2m_err rc;

	if (cbor) {
		rc = m2mi_cbor_decode(msg->payload, msg->payload_len, NULL, &req->pc, why, sizeof(why));
		if (rc == M2M_E_NOMEM)
			return NOMEM();
		if (rc != M2M_OK)
			return BAD("malformed CBOR content: %s", why);
		if (!json_is_object(req->pc))
			return BAD("content must be a CBOR map");
		return M2M_OK;
	}
	req->pc = json_loadb((const char *)msg->payload, msg->payload_len, JSON_REJECT_DUPLICATES, &jerr);
	if (req->pc == NULL)
		return BAD("malformed JSON content: %.96s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
	if (!json_is_object(req->pc))
		return BAD("content must be a JSON object");
	return M2M_OK;
}

/* TS-0008 clauses 6.2.1 (POST with or without TY), 6.2.2.2 (Content-Format), 6.2.3 (payload). */
static m2m_err map_content(const m2mi_coap_msg *msg, const struct picked *pk, m2m_request *req, m2m_response *rsp,
			   m2mi_coap_reqinfo *info)
{
	const m2mi_coap_opt *ty = pk->one[U_TY], *cf = pk->one[U_CF];

	if (ty != NULL && uint_val(ty) == 0)
		return BAD("oneM2M-TY must be a positive integer");
	/* mapped on any method: its presence outside CREATE is refused by the CSE for every binding
	 * (TS-0004 Table 7.2.1.1-1, services/cse/cse.c), not by a copy of the rule here */
	if (ty != NULL)
		req->ty = (int)uint_val(ty);
	if (req->op == M2M_OP_CREATE && ty == NULL)
		req->op = M2M_OP_NOTIFY;
	if (req->op == M2M_OP_RETRIEVE || req->op == M2M_OP_DELETE)
		return M2M_OK; /* Content-Format tolerated and payload ignored, as in the HTTP binding */
	if (cf != NULL && !cf_json(uint_val(cf)) && !cf_cbor(uint_val(cf)))
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_UNSUPPORTED_MEDIA_TYPE, 0,
			    "Content-Format %lu is not supported (JSON 50, 10001, 10003; CBOR 60, 10010, 10011)",
			    uint_val(cf));
	/* without a usable Accept, a CBOR request is answered in CBOR (docs/coap-binding.md §1.5) */
	if (cf != NULL && cf_cbor(uint_val(cf)) && msg->payload_len > 0 &&
	    (pk->one[U_ACCEPT] == NULL || !accept_ok(uint_val(pk->one[U_ACCEPT]))))
		info->content_format = M2MI_COAP_CF_CBOR;
	if (msg->payload_len == 0) {
		if (req->op == M2M_OP_CREATE || req->op == M2M_OP_UPDATE)
			return BAD("%s needs content", m2m_op_name(req->op));
		return M2M_OK;
	}
	if (cf == NULL)
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_UNSUPPORTED_MEDIA_TYPE, 0,
			    "a payload needs Content-Format application/json (50) or application/cbor (60)");
	return parse_payload(msg, cf_cbor(uint_val(cf)), req, rsp, info);
}

/* RFC 7959 clause 2.2: SZX 7 is reserved; a Block1 with M set means the transport handed over
 * a payload that is not complete (clause 2.9.2, 4.08). */
static m2m_err check_blocks(const struct picked *pk, m2m_response *rsp, m2mi_coap_reqinfo *info)
{
	const m2mi_coap_opt *b1 = pk->one[U_BLOCK1], *b2 = pk->one[U_BLOCK2];

	if ((b1 != NULL && (uint_val(b1) & 7) == 7) || (b2 != NULL && (uint_val(b2) & 7) == 7))
		return BAD("block size exponent 7 is reserved (RFC 7959 clause 2.2)");
	if (b1 != NULL && (uint_val(b1) & 8))
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_BAD_REQUEST, C(4, 8),
			    "the request body is incomplete (Block1 with more blocks)");
	return M2M_OK;
}

static m2m_err map_request(const m2mi_coap_msg *msg, m2m_request *req, m2m_response *rsp, m2mi_coap_reqinfo *info)
{
	static const m2m_op ops[] = {M2M_OP_NONE, M2M_OP_RETRIEVE, M2M_OP_CREATE, M2M_OP_UPDATE, M2M_OP_DELETE};
	struct picked pk;
	const m2mi_coap_opt *rqi, *rvi, *acc;
	bool rvi_known = false;
	m2m_err rc;

	if (M2MI_COAP_CLASS(msg->code) != 0 || msg->code == 0 || msg->token_len > 8 || msg->type > M2MI_COAP_NON)
		return BAD("not a CoAP request (code %u.%02u, type %u)", M2MI_COAP_CLASS(msg->code),
			   M2MI_COAP_DETAIL(msg->code), msg->type);
	if (msg->code > M2MI_COAP_DELETE) /* FETCH, PATCH, iPATCH (RFC 8132) and unassigned methods */
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_OPERATION_NOT_ALLOWED, 0,
			    "method 0.%02u is not a oneM2M operation (GET, POST, PUT, DELETE)", msg->code);
	req->op = ops[msg->code];
	if ((rc = pick(msg, &pk, rsp, info)) != M2M_OK)
		return rc;
	acc = pk.one[U_ACCEPT];
	if (acc != NULL && accept_ok(uint_val(acc))) /* refusals below answer in that format too */
		info->content_format = (uint16_t)uint_val(acc);
	if (pk.one[U_PROXY] != NULL) /* RFC 7252 clause 5.7.2: this server is no forward proxy */
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_NOT_IMPLEMENTED, C(5, 5), "proxying is not supported");
	if (pk.one[U_RSPONLY] != NULL)
		return BAD("option %u belongs to responses only", pk.one[U_RSPONLY]->num);
	rqi = pk.one[U_RQI];
	if (rqi == NULL || rqi->len == 0)
		return BAD("oneM2M-RQI (request identifier) is missing");
	rvi = pk.one[U_RVI];
	if (rvi == NULL || (rvi->len == 1 && rvi->val[0] == '1')) {
		/* TS-0004 7.3.2.1: without RVI the request is Release 1 (as in the HTTP binding) */
		rc = fail(rsp, info, M2M_E_PROTO, M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED, 0,
			  "release version 1 (a request without oneM2M-RVI) is not supported (2a, 3, 4, 5)");
		free(rsp->rvi);
		rsp->rvi = strdup(RVI_R1);
		return rsp->rvi != NULL ? rc : NOMEM();
	}
	for (size_t i = 0; i < sizeof(rvi_ok) / sizeof(rvi_ok[0]); i++)
		rvi_known |= strlen(rvi_ok[i]) == rvi->len && memcmp(rvi_ok[i], rvi->val, rvi->len) == 0;
	if (!rvi_known)
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED, 0,
			    "release version '%.*s' is not supported (2a, 3, 4, 5)", (int)rvi->len,
			    (const char *)rvi->val);
	if ((rc = check_blocks(&pk, rsp, info)) != M2M_OK)
		return rc;
	rc = map_path(&pk, &req->to);
	if (rc == M2M_E_NOMEM)
		return NOMEM();
	if (rc != M2M_OK)
		return BAD("Uri-Path does not map to a resource ID (TS-0008 clause 6.2.2.3)");
	if ((rc = map_query(&pk, req, rsp, info)) != M2M_OK)
		return rc;
	if ((rc = map_content(msg, &pk, req, rsp, info)) != M2M_OK)
		return rc;
	/* TS-0008 clause 6.2.2.2: checked last, other errors take precedence */
	if (acc != NULL && !accept_ok(uint_val(acc)))
		return fail(rsp, info, M2M_E_PROTO, M2M_RSC_NOT_ACCEPTABLE, 0,
			    "Accept %lu is not supported (JSON 50, 10001; CBOR 60, 10010)", uint_val(acc));
	req->rqi = dup_val(rqi);
	req->rvi = dup_val(rvi);
	req->fr = dup_val(pk.one[U_FR]);
	req->vsi = dup_val(pk.one[U_VSI]);
	if (req->rqi == NULL || req->rvi == NULL || (pk.one[U_FR] && pk.one[U_FR]->len && req->fr == NULL) ||
	    (pk.one[U_VSI] && pk.one[U_VSI]->len && req->vsi == NULL))
		return NOMEM();
	return M2M_OK;
}

/* The first oneM2M-RQI, when it is one that may be echoed. */
static const m2mi_coap_opt *echo_rqi(const m2mi_coap_msg *msg)
{
	for (size_t i = 0; i < msg->nopts; i++)
		if (msg->opts[i].num == M2MI_COAP_OPT_RQI)
			return msg->opts[i].len > 0 && msg->opts[i].len <= 255 && m2mi_coap_text_ok(msg->opts[i].val, msg->opts[i].len)
				       ? &msg->opts[i]
				       : NULL;
	return NULL;
}

m2m_err m2mi_coap_to_request(const m2mi_coap_msg *msg, const m2mi_coap_limits *limits, m2m_request *req,
			     m2m_response *rsp, m2mi_coap_reqinfo *info)
{
	m2mi_coap_limits lim = {M2MI_COAP_DEFAULT_MAX_OPTIONS, M2MI_COAP_DEFAULT_MAX_PAYLOAD};
	size_t optbytes = 0;
	m2m_err rc;

	if (msg == NULL || req == NULL || rsp == NULL || info == NULL || (msg->opts == NULL && msg->nopts > 0) ||
	    (msg->payload == NULL && msg->payload_len > 0) || (msg->token == NULL && msg->token_len > 0))
		return M2M_E_INVAL;
	for (size_t i = 0; i < msg->nopts; i++) {
		if (msg->opts[i].val == NULL && msg->opts[i].len > 0)
			return M2M_E_INVAL;
		optbytes += msg->opts[i].len;
	}
	info->code = 0;
	info->content_format = M2MI_COAP_CF_JSON;
	if (limits != NULL && limits->max_options > 0)
		lim.max_options = limits->max_options;
	if (limits != NULL && limits->max_payload > 0)
		lim.max_payload = limits->max_payload;
	if (optbytes > lim.max_options)
		rc = fail(rsp, info, M2M_E_TOO_LARGE, M2M_RSC_BAD_REQUEST, C(4, 13),
			  "options (%zu bytes) exceed the limit of %zu bytes", optbytes, lim.max_options);
	else if (msg->payload_len > lim.max_payload)
		rc = fail(rsp, info, M2M_E_TOO_LARGE, M2M_RSC_BAD_REQUEST, C(4, 13),
			  "payload (%zu bytes) exceeds the limit of %zu bytes", msg->payload_len, lim.max_payload);
	else
		rc = map_request(msg, req, rsp, info);
	if (rc != M2M_OK) {
		m2m_request_clear(req);
		if (rsp->rqi == NULL && echo_rqi(msg) != NULL)
			rsp->rqi = dup_val(echo_rqi(msg)); /* best effort */
	}
	return rc;
}

/* The request option table above, for the client direction (bindings/coap_client_map.c): one
 * table of value lengths and kinds for both directions. */
bool m2mi_coap_opt_spec(uint16_t num, size_t *min, size_t *max, bool *text, bool *repeat)
{
	const struct optdef *d = optdef(num);

	if (d == NULL)
		return false;
	*min = d->min;
	*max = d->max;
	*text = d->kind == K_STR;
	*repeat = d->rep;
	return true;
}
