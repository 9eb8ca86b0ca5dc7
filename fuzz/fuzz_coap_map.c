/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the oneM2M CoAP binding (TS-0008 clause 6.2):
 * the input is one raw CoAP datagram (RFC 7252 clause 3). It is decoded by bindings/coap_wire.c
 * (re-encoded and decoded again: the same message must come back), then mapped by
 * bindings/coap_map.c; a request that maps is answered by a fake CSE and the response is mapped
 * and encoded back. Invariants trap: a mapped request has an operation, a target, an rqi and an
 * rvi; a refused one is cleared and carries an error RSC; the response options are ascending
 * and its RSC option matches the response.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/coap_wire.h"
#include "m2msec/rsc.h"

#define MAX_OPTS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_same(const m2mi_coap_msg *a, const m2mi_coap_msg *b)
{
	CHECK(a->type == b->type && a->code == b->code && a->mid == b->mid && a->token_len == b->token_len);
	CHECK(a->nopts == b->nopts && a->payload_len == b->payload_len);
	for (size_t i = 0; i < a->nopts; i++)
		CHECK(a->opts[i].num == b->opts[i].num && a->opts[i].len == b->opts[i].len &&
		      (a->opts[i].len == 0 || memcmp(a->opts[i].val, b->opts[i].val, a->opts[i].len) == 0));
	CHECK(a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static void answer(const m2m_request *req, const m2m_response *rsp, const m2mi_coap_reqinfo *info)
{
	m2mi_coap_out out;
	m2mi_coap_msg m = {0};
	static m2mi_coap_opt o2[M2MI_COAP_OUT_MAX_OPTS];
	static uint8_t buf[1 << 17];
	m2mi_coap_msg back;
	size_t n;

	if (m2mi_coap_from_response(req, rsp, info, &out) != M2M_OK)
		return;
	for (size_t i = 1; i < out.nopts; i++)
		CHECK(out.opts[i - 1].num <= out.opts[i].num);
	CHECK(M2MI_COAP_CLASS(out.code) >= 2);
	m.type = M2MI_COAP_ACK;
	m.code = out.code;
	m.opts = out.opts;
	m.nopts = out.nopts;
	m.payload = (const uint8_t *)out.payload;
	m.payload_len = out.payload_len;
	if (m2mi_coap_encode(&m, buf, sizeof(buf), &n) == M2M_OK) {
		CHECK(m2mi_coap_decode(buf, n, o2, M2MI_COAP_OUT_MAX_OPTS, &back) == M2M_OK);
		check_same(&m, &back);
	}
	m2mi_coap_out_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static m2mi_coap_opt opts[MAX_OPTS], opts2[MAX_OPTS];
	static uint8_t buf[1 << 17];
	m2mi_coap_msg msg, again;
	m2mi_coap_reqinfo info;
	m2m_request req;
	m2m_response rsp;
	size_t n;
	m2m_err rc;

	if (size > 65535 || m2mi_coap_decode(data, size, opts, MAX_OPTS, &msg) != M2M_OK)
		return 0;
	CHECK(m2mi_coap_encode(&msg, buf, sizeof(buf), &n) == M2M_OK);
	CHECK(m2mi_coap_decode(buf, n, opts2, MAX_OPTS, &again) == M2M_OK);
	check_same(&msg, &again);

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	rc = m2mi_coap_to_request(&msg, NULL, &req, &rsp, &info);
	if (rc == M2M_OK) {
		CHECK(req.op != M2M_OP_NONE && req.to != NULL && req.to[0] != '\0');
		CHECK(req.rqi != NULL && req.rvi != NULL);
		CHECK(req.op != M2M_OP_CREATE || req.ty > 0);
		rsp.rsc = req.op == M2M_OP_CREATE ? M2M_RSC_CREATED : M2M_RSC_OK;
		rsp.pc = req.pc != NULL ? json_incref(req.pc) : json_pack("{s:s}", "m2m:dbg", "ok");
		if (req.op == M2M_OP_CREATE)
			rsp.location_s = strdup(req.to);
	} else {
		CHECK(rc == M2M_E_PROTO || rc == M2M_E_TOO_LARGE || rc == M2M_E_NOMEM);
		CHECK(req.to == NULL && req.rqi == NULL && req.pc == NULL);
		CHECK(rsp.rsc >= 4000 && rsp.pc != NULL);
	}
	answer(&req, &rsp, &info);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	return 0;
}
