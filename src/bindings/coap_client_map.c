/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CLIENT direction of the oneM2M CoAP binding mapping (TS-0008 V3.9.0
 * clause 6.2; bindings/coap_client_map.h, docs/coap-binding.md section 5), the mirror of
 * coap_map.c (request in) and coap_rsp.c (response out): a request primitive becomes a CoAP
 * request (clauses 6.2.1, 6.2.2), and a CoAP response, an untrusted message from the network,
 * becomes a response primitive (clauses 6.2.3, 6.2.4) only when every option is one a response
 * may carry with a valid value and the response code agrees with the oneM2M-RSC (fail closed).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings/coap_client_map.h"

#define C(c, d) M2MI_COAP_CODE(c, d)

/* ---- request out ----------------------------------------------------------------------------- */

static bool text(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= max && m2mi_coap_text_ok((const uint8_t *)s, strlen(s));
}

static m2m_err add_str(m2mi_coap_out *out, uint16_t num, const char *s, size_t max)
{
	if (s == NULL)
		return M2M_OK;
	if (!text(s, max))
		return M2M_E_INVAL;
	return m2mi_coap_out_opt(out, num, s, strlen(s));
}

/* Clause 6.2.2.3, Table 6.2.2.3-1, the inverse of coap_map.c map_path: segments into out->loc
 * (one copy, split in place), each a Uri-Path option. */
static m2m_err add_path(m2mi_coap_out *out, const char *to)
{
	size_t n = strlen(to), start = 0, skip = 0;
	char *s;
	m2m_err r;

	if (n == 0 || !m2mi_coap_text_ok((const uint8_t *)to, n))
		return M2M_E_INVAL;
	if ((s = malloc(n + 2)) == NULL)
		return M2M_E_NOMEM;
	out->loc = s;
	if (to[0] == '/') { /* "//sp/x" -> "_" "sp" "x"; "/cse/x" -> "~" "cse" "x" */
		skip = to[1] == '/' ? 2 : 1;
		s[0] = skip == 2 ? '_' : '~';
		s[1] = '/';
		memcpy(s + 2, to + skip, n - skip + 1);
	} else {
		memcpy(s, to, n + 1);
	}
	n = strlen(s);
	for (size_t i = 0; i <= n; i++) {
		size_t l = i - start;
		if (i < n && s[i] != '/')
			continue;
		if (l == 0 || l > 255 || (l == 1 && s[start] == '.') || (l == 2 && s[start] == '.' && s[start + 1] == '.'))
			return M2M_E_INVAL;
		if ((r = m2mi_coap_out_opt(out, M2MI_COAP_OPT_URI_PATH, s + start, l)) != M2M_OK)
			return r;
		start = i + 1;
	}
	return M2M_OK;
}

static uint8_t method_of(m2m_op op)
{
	switch (op) {
	case M2M_OP_CREATE:
	case M2M_OP_NOTIFY:
		return M2MI_COAP_POST;
	case M2M_OP_RETRIEVE:
		return M2MI_COAP_GET;
	case M2M_OP_UPDATE:
		return M2MI_COAP_PUT;
	case M2M_OP_DELETE:
		return M2MI_COAP_DELETE;
	default:
		return 0;
	}
}

static m2m_err encode_request(const m2m_request *req, long block2, m2mi_coap_out *out)
{
	bool content = req->pc != NULL && (req->op == M2M_OP_CREATE || req->op == M2M_OP_UPDATE || req->op == M2M_OP_NOTIFY);
	m2m_err r;

	if ((out->code = method_of(req->op)) == 0 || req->to == NULL || !text(req->rqi, 255) || !text(req->rvi, 2))
		return M2M_E_INVAL;
	if (content) {
		if ((out->payload = json_dumps(req->pc, JSON_COMPACT)) == NULL)
			return M2M_E_NOMEM;
		out->payload_len = strlen(out->payload);
	}
	/* ascending option numbers: 11, 12, 15, 17, 23, 267, 271, 279, 283, 331 */
	if ((r = add_path(out, req->to)) != M2M_OK)
		return r;
	if (content && (r = m2mi_coap_out_uint(out, M2MI_COAP_OPT_CONTENT_FORMAT, M2MI_COAP_CF_JSON)) != M2M_OK)
		return r;
	/* Uri-Query "name=value" (clause 6.2.2.3): the few parameters a client of this library
	 * sets, from static texts (the option values must outlive this call) */
	if (req->rcn >= 0) {
		static const char *const rcn[] = {"rcn=0", "rcn=1", "rcn=2", "rcn=3", "rcn=4", "rcn=5", "rcn=6",
						  "rcn=7", "rcn=8", "rcn=9", "rcn=10", "rcn=11", "rcn=12"};
		if ((size_t)req->rcn >= sizeof(rcn) / sizeof(rcn[0]))
			return M2M_E_INVAL;
		if ((r = m2mi_coap_out_opt(out, M2MI_COAP_OPT_URI_QUERY, rcn[req->rcn], strlen(rcn[req->rcn]))) != M2M_OK)
			return r;
	}
	if (req->drt == 1 || req->drt == 2) {
		const char *d = req->drt == 1 ? "drt=1" : "drt=2";
		if ((r = m2mi_coap_out_opt(out, M2MI_COAP_OPT_URI_QUERY, d, 5)) != M2M_OK)
			return r;
	}
	if ((r = m2mi_coap_out_uint(out, M2MI_COAP_OPT_ACCEPT, M2MI_COAP_CF_JSON)) != M2M_OK)
		return r;
	if (block2 != M2MI_COAP_NO_BLOCK2) {
		if (block2 < 0 || block2 > 0xffffff || (block2 & 7) == 7)
			return M2M_E_INVAL;
		if ((r = m2mi_coap_out_uint(out, M2MI_COAP_OPT_BLOCK2, (unsigned long)block2)) != M2M_OK)
			return r;
	}
	if (req->op == M2M_OP_CREATE && req->ty > 0 && (r = m2mi_coap_out_uint(out, M2MI_COAP_OPT_TY, (unsigned long)req->ty)) != M2M_OK)
		return r;
	if ((r = add_str(out, M2MI_COAP_OPT_RVI, req->rvi, 2)) != M2M_OK ||
	    (r = add_str(out, M2MI_COAP_OPT_FR, req->fr, 255)) != M2M_OK ||
	    (r = add_str(out, M2MI_COAP_OPT_RQI, req->rqi, 255)) != M2M_OK)
		return r;
	return add_str(out, M2MI_COAP_OPT_VSI, req->vsi, 255);
}

m2m_err m2mi_coap_from_request(const m2m_request *req, long block2, m2mi_coap_out *out)
{
	m2m_err r;

	if (req == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = encode_request(req, block2, out)) != M2M_OK)
		m2mi_coap_out_clear(out);
	return r;
}

/* ---- response in ----------------------------------------------------------------------------- */

/* Options only a response carries (RFC 7252 clause 5.10, RFC 7959 clause 4); everything else
 * is looked up in coap_map.c's table. */
static const struct {
	uint16_t num, min, max;
	bool text, rep;
} rsp_only[] = {
	{M2MI_COAP_OPT_ETAG, 1, 8, false, false},
	{M2MI_COAP_OPT_LOCATION_PATH, 0, 255, true, true},
	{M2MI_COAP_OPT_MAX_AGE, 0, 4, false, false},
	{M2MI_COAP_OPT_LOCATION_QUERY, 0, 255, true, true},
	{M2MI_COAP_OPT_SIZE2, 0, 4, false, false},
};

/* Request-only options: a response carrying one is not an answer of this binding. */
static bool request_only(uint16_t num)
{
	return num == M2MI_COAP_OPT_IF_MATCH || num == M2MI_COAP_OPT_URI_HOST || num == M2MI_COAP_OPT_IF_NONE_MATCH ||
	       num == M2MI_COAP_OPT_URI_PORT || num == M2MI_COAP_OPT_URI_PATH || num == M2MI_COAP_OPT_URI_QUERY ||
	       num == M2MI_COAP_OPT_ACCEPT || num == M2MI_COAP_OPT_PROXY_URI || num == M2MI_COAP_OPT_PROXY_SCHEME ||
	       num == M2MI_COAP_OPT_TY || num == M2MI_COAP_OPT_NO_RESPONSE;
}

static bool spec(uint16_t num, size_t *min, size_t *max, bool *txt, bool *rep)
{
	for (size_t i = 0; i < sizeof(rsp_only) / sizeof(rsp_only[0]); i++)
		if (rsp_only[i].num == num) {
			*min = rsp_only[i].min;
			*max = rsp_only[i].max;
			*txt = rsp_only[i].text;
			*rep = rsp_only[i].rep;
			return true;
		}
	return m2mi_coap_opt_spec(num, min, max, txt, rep);
}

static unsigned long uint_val(const m2mi_coap_opt *o)
{
	unsigned long v = 0;

	for (size_t i = 0; i < o->len; i++)
		v = (v << 8) | o->val[i];
	return v;
}

static const m2mi_coap_opt *first(const m2mi_coap_msg *msg, uint16_t num)
{
	for (size_t i = 0; i < msg->nopts; i++)
		if (msg->opts[i].num == num)
			return &msg->opts[i];
	return NULL;
}

m2m_err m2mi_coap_rsp_check(const m2mi_coap_msg *msg, m2mi_coap_rspinfo *info)
{
	unsigned cls;

	if (msg == NULL || info == NULL || (msg->opts == NULL && msg->nopts > 0))
		return M2M_E_INVAL;
	memset(info, 0, sizeof(*info));
	cls = M2MI_COAP_CLASS(msg->code);
	if ((cls != 2 && cls != 4 && cls != 5) || msg->type == M2MI_COAP_RST || msg->token_len > 8)
		return M2M_E_PROTO;
	for (size_t i = 0; i < msg->nopts; i++) {
		const m2mi_coap_opt *o = &msg->opts[i];
		size_t min, max;
		bool txt, rep;

		if (o->val == NULL && o->len > 0)
			return M2M_E_INVAL;
		if (request_only(o->num))
			return M2M_E_PROTO;
		if (!spec(o->num, &min, &max, &txt, &rep)) {
			if (o->num & 1) /* RFC 7252 clause 5.4.1: unrecognised critical option */
				return M2M_E_PROTO;
			continue;
		}
		if (o->len < min || o->len > max || (txt && !m2mi_coap_text_ok(o->val, o->len)))
			return M2M_E_PROTO;
		/* options arrive in ascending order (coap_wire.c): a repeat is the one just before */
		if (!rep && i > 0 && msg->opts[i - 1].num == o->num)
			return M2M_E_PROTO;
		if (o->num == M2MI_COAP_OPT_BLOCK2) {
			unsigned long v = uint_val(o);
			if ((v & 7) == 7) /* RFC 7959 clause 2.2: SZX 7 is reserved */
				return M2M_E_PROTO;
			info->has_block2 = true;
			info->block2_num = (uint32_t)(v >> 4);
			info->block2_more = (v & 8) != 0;
			info->block2_szx = (unsigned)(v & 7);
		} else if (o->num == M2MI_COAP_OPT_ETAG) {
			info->etag = o->val;
			info->etag_len = o->len;
		}
	}
	return M2M_OK;
}

static bool cf_json(unsigned long cf)
{
	return cf == M2MI_COAP_CF_JSON || cf == M2MI_COAP_CF_RES_JSON || cf == M2MI_COAP_CF_NTFY_JSON;
}

static char *dup_opt(const m2mi_coap_opt *o)
{
	return strndup((const char *)o->val, o->len);
}

/* Location-Path segments back to an ID ("~" first: "/" + rest, "_": "//" + rest). */
static m2m_err location(const m2mi_coap_msg *msg, char **out)
{
	size_t total = 3, j = 0, seg = 0;
	char *d;

	for (size_t i = 0; i < msg->nopts; i++)
		if (msg->opts[i].num == M2MI_COAP_OPT_LOCATION_PATH)
			total += msg->opts[i].len + 1;
	if (total == 3)
		return M2M_OK;
	if ((d = malloc(total)) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < msg->nopts; i++) {
		const m2mi_coap_opt *o = &msg->opts[i];
		if (o->num != M2MI_COAP_OPT_LOCATION_PATH)
			continue;
		if (o->len == 0 || memchr(o->val, '/', o->len) != NULL) {
			free(d);
			return M2M_E_PROTO;
		}
		if (seg++ == 0 && o->len == 1 && (o->val[0] == '~' || o->val[0] == '_')) {
			d[j++] = '/';
			if (o->val[0] == '_')
				d[j++] = '/';
			continue;
		}
		if (j > 0 && d[j - 1] != '/')
			d[j++] = '/';
		memcpy(d + j, o->val, o->len);
		j += o->len;
	}
	d[j] = '\0';
	*out = d;
	return M2M_OK;
}

static m2m_err map_response(const m2mi_coap_msg *msg, const char *want_rqi, m2m_response *rsp)
{
	const m2mi_coap_opt *rsc = first(msg, M2MI_COAP_OPT_RSC), *rqi = first(msg, M2MI_COAP_OPT_RQI);
	const m2mi_coap_opt *rvi = first(msg, M2MI_COAP_OPT_RVI), *cf = first(msg, M2MI_COAP_OPT_CONTENT_FORMAT);
	const m2mi_coap_opt *cts = first(msg, M2MI_COAP_OPT_CTS), *cto = first(msg, M2MI_COAP_OPT_CTO);
	const m2mi_coap_opt *age = first(msg, M2MI_COAP_OPT_MAX_AGE);
	unsigned long v;
	m2m_err r;

	/* TS-0008 clause 6.2.4: the RSC travels in its own option; many RSCs share one code */
	if (rsc == NULL || (v = uint_val(rsc)) < 1000 || v > 6999)
		return M2M_E_PROTO;
	if ((v < 4000) != (M2MI_COAP_CLASS(msg->code) == 2))
		return M2M_E_PROTO; /* a 2.xx with an error RSC, or an error code with a success RSC */
	rsp->rsc = (int)v;
	if (rqi != NULL) {
		if (want_rqi != NULL && (strlen(want_rqi) != rqi->len || memcmp(want_rqi, rqi->val, rqi->len) != 0))
			return M2M_E_PROTO; /* not the answer to this request */
		if (rqi->len > 0 && (rsp->rqi = dup_opt(rqi)) == NULL)
			return M2M_E_NOMEM;
	}
	if (rvi != NULL && (rsp->rvi = dup_opt(rvi)) == NULL)
		return M2M_E_NOMEM;
	if (cts != NULL && uint_val(cts) == 1) {
		rsp->cnst = 1;
		rsp->cnot = cto != NULL ? (long)uint_val(cto) : 0;
	}
	if (age != NULL && msg->code == C(5, 3))
		rsp->retry_after = uint_val(age) > INT_MAX ? INT_MAX : (int)uint_val(age);
	if ((r = location(msg, &rsp->location)) != M2M_OK)
		return r;
	if (msg->payload_len > 0) {
		json_error_t jerr;
		if (cf == NULL || !cf_json(uint_val(cf)))
			return M2M_E_PROTO;
		rsp->pc = json_loadb((const char *)msg->payload, msg->payload_len, JSON_REJECT_DUPLICATES, &jerr);
		if (rsp->pc == NULL || !json_is_object(rsp->pc))
			return M2M_E_PROTO;
	}
	return M2M_OK;
}

m2m_err m2mi_coap_to_response(const m2mi_coap_msg *msg, const char *want_rqi, m2m_response *rsp)
{
	m2mi_coap_rspinfo info;
	m2m_err r;

	if (msg == NULL || rsp == NULL || (msg->payload == NULL && msg->payload_len > 0))
		return M2M_E_INVAL;
	if ((r = m2mi_coap_rsp_check(msg, &info)) == M2M_OK)
		r = map_response(msg, want_rqi, rsp);
	if (r != M2M_OK) {
		m2m_response_clear(rsp);
		m2m_response_init(rsp);
	}
	return r;
}
