/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the response half of the oneM2M CoAP binding mapping (TS-0008 V3.9.0
 * clauses 6.2.1, 6.2.3, 6.2.4): an m2m_response becomes a CoAP response code (Table 6.2.4-1,
 * through core/rsc.c), an ascending option list (Location-Path, Content-Format, Max-Age,
 * oneM2M-RVI, -RQI, -RSC, -CTO, -CTS) and a JSON or CBOR payload (the Content-Format the request
 * negotiated, TS-0008 clause 6.2.2.2). docs/coap-binding.md section 2.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/coap_map.h"
#include "core/cbor_codec.h"
#include "m2msec/rsc.h"

#define C(c, d) M2MI_COAP_CODE(c, d)
#define RVI_R1 "1" /* a Release-1 entity gets no RVI (TS-0004 Table 6.4.2-1) */

uint8_t m2mi_coap_code_of(int rsc, m2m_op op)
{
	int c;

	if (rsc == 0)
		rsc = M2M_RSC_INTERNAL_SERVER_ERROR;
	if (rsc == M2M_RSC_OK) /* Table 6.2.4-1: 2.05 for a RETRIEVE, 2.04 for a NOTIFY */
		return op == M2M_OP_NOTIFY ? C(2, 4) : C(2, 5);
	c = m2m_rsc_coap_code(rsc); /* class*100 + detail (core/rsc.c holds the table) */
	return C(c / 100, c % 100);
}

#define COAP_OPT_ATI 327 /* Assigned Token Identifiers (TS-0008 clause 6.2.2.4) */

m2m_err m2mi_coap_out_opt(m2mi_coap_out *out, uint16_t num, const void *val, size_t len)
{
	if (out->nopts >= M2MI_COAP_OUT_MAX_OPTS)
		return M2M_E_RANGE;
	out->opts[out->nopts++] = (m2mi_coap_opt){num, val, len};
	return M2M_OK;
}

/* RFC 7252 clause 3.2: uint in the fewest bytes (0 is zero bytes). */
m2m_err m2mi_coap_out_uint(m2mi_coap_out *out, uint16_t num, unsigned long v)
{
	uint8_t *b;
	size_t n = 0;

	if (out->nnum >= sizeof(out->num) / sizeof(out->num[0]))
		return M2M_E_RANGE;
	b = out->num[out->nnum++];
	for (unsigned long t = v; t != 0 && n < 4; t >>= 8)
		n++;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return m2mi_coap_out_opt(out, num, b, n);
}

static bool clean_str(const char *s)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= 255 && m2mi_coap_text_ok((const uint8_t *)s, strlen(s));
}

/* TS-0008 clause 6.2.3: the created resource's URI as Location-Path options, written like
 * Uri-Path ("~" / "_" first for SP-relative / absolute). A location that does not split into
 * clean segments of at most 255 bytes is left out rather than sent damaged. */
static m2m_err add_location(m2mi_coap_out *out, const char *loc)
{
	size_t n, start = 0, saved = out->nopts;
	char *s;

	if (loc == NULL || !m2mi_coap_text_ok((const uint8_t *)loc, strlen(loc)))
		return M2M_OK;
	/* "//sp/x" -> "_/sp/x", "/cse/x" -> "~/cse/x", "x/y" as it is */
	n = strlen(loc);
	if ((s = malloc(n + 3)) == NULL)
		return M2M_E_NOMEM;
	if (loc[0] == '/') {
		s[0] = loc[1] == '/' ? '_' : '~';
		memcpy(s + 1, loc + (loc[1] == '/'), n + 1 - (loc[1] == '/'));
	} else {
		memcpy(s, loc, n + 1);
	}
	out->loc = s;
	n = strlen(s);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (i == start || i - start > 255 || m2mi_coap_out_opt(out, M2MI_COAP_OPT_LOCATION_PATH, s + start, i - start) != M2M_OK) {
			out->nopts = saved;
			return M2M_OK;
		}
		start = i + 1;
	}
	return M2M_OK;
}

m2m_err m2mi_coap_from_response(const m2m_request *req, const m2m_response *rsp, const m2mi_coap_reqinfo *info,
				m2mi_coap_out *out)
{
	m2m_op op = req != NULL ? req->op : M2M_OP_NONE;
	int rsc;
	const char *ri, *rvi;
	m2m_err rc = M2M_OK;

	if (rsp == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	rsc = rsp->rsc != 0 ? rsp->rsc : M2M_RSC_INTERNAL_SERVER_ERROR;
	out->code = info != NULL && info->code != 0 ? info->code : m2mi_coap_code_of(rsc, op);
	ri = rsp->rqi ? rsp->rqi : req ? req->rqi : NULL;
	rvi = rsp->rvi ? rsp->rvi : req && req->rvi ? req->rvi : "3";
	/* Table 6.2.4-1 wants the payload of a 2.04 answering a NOTIFY empty, but the answers of
	 * the end-to-end security NOTIFYs (TS-0004 clause 7.6.2: an m2m:seci with the rand object
	 * or the protected inner response, TS-0003 clause 8.4) are Content: it is sent (RFC 7252
	 * clause 5.9.1.4 lets a 2.04 carry the result). An ordinary NOTIFY answer has none. */
	if (rsp->pc != NULL) {
		if (info != NULL && m2mi_coap_cf_is_cbor(info->content_format)) {
			/* TS-0004 clause 8.5: the same value in CBOR (core/cbor_codec.c) */
			uint8_t *b;
			if ((rc = m2mi_cbor_encode(rsp->pc, &b, &out->payload_len)) != M2M_OK)
				return rc;
			out->payload = (char *)b;
		} else {
			out->payload = json_dumps(rsp->pc, JSON_COMPACT);
			if (out->payload == NULL)
				return M2M_E_NOMEM;
			out->payload_len = strlen(out->payload);
		}
	}
	/* ascending option numbers: 8, 12, 14, 271, 283, 307, 319, 323 */
	if (op == M2M_OP_CREATE && (rsp->location != NULL || rsp->location_s != NULL))
		rc = add_location(out, (req->drt == 2 && rsp->location != NULL) || rsp->location_s == NULL
					       ? rsp->location
					       : rsp->location_s);
	if (rc == M2M_OK && out->payload != NULL)
		rc = m2mi_coap_out_uint(out, M2MI_COAP_OPT_CONTENT_FORMAT,
			      info != NULL && info->content_format != 0 ? info->content_format : M2MI_COAP_CF_JSON);
	if (rc == M2M_OK && rsp->retry_after > 0) /* RFC 7252 clause 5.9.3.4: Max-Age with 5.03 */
		rc = m2mi_coap_out_uint(out, M2MI_COAP_OPT_MAX_AGE, (unsigned long)rsp->retry_after);
	if (rc == M2M_OK && strcmp(rvi, RVI_R1) != 0 && clean_str(rvi) && strlen(rvi) <= 2)
		rc = m2mi_coap_out_opt(out, M2MI_COAP_OPT_RVI, rvi, strlen(rvi));
	if (rc == M2M_OK && clean_str(ri))
		rc = m2mi_coap_out_opt(out, M2MI_COAP_OPT_RQI, ri, strlen(ri));
	if (rc == M2M_OK) /* TS-0008 clause 6.2.4: always, many RSCs share one code */
		rc = m2mi_coap_out_uint(out, M2MI_COAP_OPT_RSC, (unsigned long)rsc);
	if (rc == M2M_OK && rsp->cnst == 1 && rsp->cnot > 0) {
		rc = m2mi_coap_out_uint(out, M2MI_COAP_OPT_CTO, (unsigned long)rsp->cnot);
		if (rc == M2M_OK)
			rc = m2mi_coap_out_uint(out, M2MI_COAP_OPT_CTS, 1);
	}
	/* TS-0008 clause 6.2.2.4: ATI (327), "lti1:tkid1+lti2:tkid2" like TS-0009's X-M2M-ATI */
	if (rc == M2M_OK && rsp->ati != NULL && clean_str(rsp->ati) && strlen(rsp->ati) <= 1024)
		rc = m2mi_coap_out_opt(out, COAP_OPT_ATI, rsp->ati, strlen(rsp->ati));
	if (rc != M2M_OK)
		m2mi_coap_out_clear(out);
	return rc;
}

void m2mi_coap_out_clear(m2mi_coap_out *out)
{
	if (out == NULL)
		return;
	free(out->payload);
	free(out->loc);
	memset(out, 0, sizeof(*out));
}
