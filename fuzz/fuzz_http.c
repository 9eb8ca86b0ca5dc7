/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the oneM2M HTTP binding mapping
 * (bindings/http_parse.c, TS-0009 clause 6). The input is a raw request in a simple framing:
 * first line "METHOD TARGET [anything]", then "Name: value" lines up to an empty line, then the
 * body (the rest, binary). Lines end at '\n'; a '\r' before it is dropped. A request that maps is
 * answered by a fake CSE and the response is serialised; invariants are checked on both sides
 * (trap on violation): a mapped request has an operation, a target, an rqi and bounded lists; a
 * rejected one is cleared and has an error RSC; response headers never carry CR/LF; the body is
 * the compact JSON of the content and Content-Length matches it.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/http.h"

#define MAX_HEADERS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* NUL-terminate the line at *p (without its "\r\n" or "\n") and advance *p past it. */
static char *take_line(char **p, char *end, bool *had_eol)
{
	char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));

	*had_eol = nl != NULL;
	if (nl == NULL) {
		*p = end;
		*end = '\0';
		return line;
	}
	*p = nl + 1;
	if (nl > line && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	return line;
}

static void check_response(const m2m_request *req, const m2m_response *rsp)
{
	m2m_http_out out;
	json_t *back;

	if (m2m_http_serialize_response(req, rsp, &out) != M2M_OK)
		return; /* out of memory */
	CHECK(out.status >= 100 && out.status <= 599);
	for (size_t i = 0; i < out.nheaders; i++)
		CHECK(strpbrk(out.headers[i].value, "\r\n") == NULL);
	CHECK((out.body == NULL) == (rsp->pc == NULL));
	if (out.body != NULL) {
		CHECK(strlen(out.body) == out.body_len);
		back = json_loadb(out.body, out.body_len, JSON_REJECT_DUPLICATES, NULL);
		CHECK(back != NULL && json_equal(back, rsp->pc));
		json_decref(back);
	}
	m2m_http_out_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *end, *line, *method, *target, *sp;
	m2m_http_header hdrs[MAX_HEADERS];
	m2m_http_limits lim = {.max_header = 2048, .max_body = 1024};
	m2m_request req;
	m2m_response rsp;
	size_t nh = 0;
	bool eol;
	m2m_err rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	p = buf;
	end = buf + size;
	line = take_line(&p, end, &eol);
	method = line;
	sp = strchr(line, ' ');
	target = "";
	if (sp != NULL) {
		*sp = '\0';
		target = sp + 1;
		if ((sp = strchr(target, ' ')) != NULL)
			*sp = '\0';
	}
	while (eol && p < end) {
		char *colon;
		line = take_line(&p, end, &eol);
		if (line[0] == '\0')
			break;
		colon = strchr(line, ':');
		if (colon == NULL || nh == MAX_HEADERS)
			continue;
		*colon++ = '\0';
		while (*colon == ' ' || *colon == '\t')
			colon++;
		hdrs[nh++] = (m2m_http_header){line, colon};
	}

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	rc = m2m_http_parse_request(method, target, hdrs, nh, (const uint8_t *)p, (size_t)(end - p), &lim, &req,
				    &rsp);
	if (rc == M2M_OK) {
		CHECK(req.op >= M2M_OP_CREATE && req.op <= M2M_OP_NOTIFY);
		CHECK(req.to != NULL && req.to[0] != '\0' && req.rqi != NULL && req.rvi != NULL);
		/* a CREATE always has its ty; on any other operation ty is only carried (the CSE refuses
		 * it: TS-0004 Table 7.2.1.1-1, one rule for every binding) */
		CHECK(req.op != M2M_OP_CREATE || req.ty > 0);
		CHECK(req.fc.nty <= M2M_FC_MAX && req.fc.nlbl <= M2M_FC_MAX);
		CHECK(req.fc.ncty <= M2M_FC_MAX && req.fc.natr <= M2M_FC_MAX);
		CHECK(req.fc.fo >= 0 && req.fc.fo <= 2 && req.fc.lvl != 0 && req.fc.ofst != 0);
		for (size_t i = 0; i < req.fc.natr; i++)
			CHECK(req.fc.atr_n[i][0] != '\0' && req.fc.atr_v[i][0] != '\0');
		CHECK(req.pc == NULL || json_is_object(req.pc));
		rsp.rsc = req.op == M2M_OP_CREATE ? 2001 : 2000;
		rsp.pc = json_incref(req.pc);
		if (req.op == M2M_OP_CREATE)
			rsp.location = strdup(req.to);
		if (req.fc.fu == 1) { /* a partial discovery answer: X-M2M-CTS / X-M2M-CTO */
			rsp.cnst = 1;
			rsp.cnot = req.fc.ofst > 0 ? req.fc.ofst : 1;
		}
		check_response(&req, &rsp);
	} else {
		CHECK(rc == M2M_E_PROTO || rc == M2M_E_TOO_LARGE || rc == M2M_E_NOMEM || rc == M2M_E_HTTP_FRAMING);
		CHECK(req.to == NULL && req.pc == NULL && req.rqi == NULL);
		CHECK(rsp.rsc >= 4000);
		check_response(NULL, &rsp);
	}
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	free(buf);
	return 0;
}
