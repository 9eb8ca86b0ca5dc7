/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_client_map.c, the client direction of the
 * oneM2M CoAP binding (TS-0008 V3.9.0 clause 6.2): a request encoded here and decoded by the
 * server direction (coap_map.c) gives back the same primitive; a response encoded by the server
 * direction (coap_rsp.c) decodes here to the same primitive; and every forged or malformed answer
 * (no RSC, code contradicting the RSC, another request's RQI, unknown critical option, request
 * option, bad Content-Format or content, repeated option, SZX 7) is refused.
 */
#include <stdlib.h>

#include "m2m_test.h"
#include "bindings/coap_client_map.h"
#include "bindings/coap_wire.h"

#define C(c, d) M2MI_COAP_CODE(c, d)

static uint8_t wire[4096];
static m2mi_coap_opt opts[64];

/* out -> datagram -> decoded msg (pointers into wire/opts). */
static void roundtrip(const m2mi_coap_out *out, uint8_t type, m2mi_coap_msg *msg)
{
	m2mi_coap_msg m = {0};
	size_t n;

	m.type = type;
	m.code = out->code;
	m.mid = 7;
	m.token = (const uint8_t *)"tk";
	m.token_len = 2;
	m.opts = out->opts;
	m.nopts = out->nopts;
	m.payload = (const uint8_t *)out->payload;
	m.payload_len = out->payload_len;
	assert_int_equal(m2mi_coap_encode(&m, wire, sizeof(wire), &n), M2M_OK);
	assert_int_equal(m2mi_coap_decode(wire, n, opts, M2M_ARRAY_LEN(opts), msg), M2M_OK);
}

static void request_back(m2m_request *req, long block2, m2m_request *back)
{
	m2mi_coap_out out;
	m2mi_coap_msg msg;
	m2m_response rsp;
	m2mi_coap_reqinfo info;

	assert_int_equal(m2mi_coap_from_request(req, block2, &out), M2M_OK);
	for (size_t i = 1; i < out.nopts; i++)
		assert_true(out.opts[i - 1].num <= out.opts[i].num);
	roundtrip(&out, M2MI_COAP_CON, &msg);
	m2m_request_init(back);
	m2m_response_init(&rsp);
	assert_int_equal(m2mi_coap_to_request(&msg, NULL, back, &rsp, &info), M2M_OK);
	m2m_response_clear(&rsp);
	m2mi_coap_out_clear(&out);
}

/* TS-0008 clauses 6.2.1, 6.2.2: what the server mapping reads is what the client wrote. */
static void test_request_roundtrip(void **state)
{
	m2m_request req, back;

	m2m_request_init(&req);
	req.op = M2M_OP_CREATE;
	req.ty = 2;
	req.to = strdup("//sp.example.com/cse-1/app");
	req.fr = strdup("Cae1");
	req.rqi = strdup("r-1");
	req.rvi = strdup("3");
	req.pc = json_pack("{s:{s:s}}", "m2m:ae", "rn", "x");
	req.rcn = 1;
	request_back(&req, M2MI_COAP_NO_BLOCK2, &back);
	assert_int_equal(back.op, M2M_OP_CREATE);
	assert_int_equal(back.ty, 2);
	assert_string_equal(back.to, "//sp.example.com/cse-1/app");
	assert_string_equal(back.fr, "Cae1");
	assert_string_equal(back.rqi, "r-1");
	assert_string_equal(back.rvi, "3");
	assert_int_equal(back.rcn, 1);
	assert_true(json_equal(back.pc, req.pc));
	m2m_request_clear(&back);

	/* CREATE without ty (a procedure-service collection): POST without oneM2M-TY, which the
	 * server direction reads as NOTIFY (clause 6.2.1) and the envelope turns into CREATE */
	req.ty = 0;
	free(req.to);
	req.to = strdup("mefClientReg");
	request_back(&req, M2MI_COAP_NO_BLOCK2, &back);
	assert_int_equal(back.op, M2M_OP_NOTIFY);
	assert_string_equal(back.to, "mefClientReg");
	m2m_request_clear(&back);

	req.op = M2M_OP_RETRIEVE; /* GET, no payload, SP-relative path, a Block2 asked for */
	req.rcn = -1;
	free(req.to);
	req.to = strdup("/cse-1/mefClientReg/x/mefClientCmd");
	request_back(&req, 2 << 4 | 6, &back);
	assert_int_equal(back.op, M2M_OP_RETRIEVE);
	assert_string_equal(back.to, "/cse-1/mefClientReg/x/mefClientCmd");
	assert_null(back.pc);
	m2m_request_clear(&back);

	req.op = M2M_OP_UPDATE;
	request_back(&req, M2MI_COAP_NO_BLOCK2, &back);
	assert_int_equal(back.op, M2M_OP_UPDATE);
	m2m_request_clear(&back);
	req.op = M2M_OP_DELETE;
	request_back(&req, M2MI_COAP_NO_BLOCK2, &back);
	assert_int_equal(back.op, M2M_OP_DELETE);
	m2m_request_clear(&back);
	m2m_request_clear(&req);
}

static void test_request_refused(void **state)
{
	static const char *const bad_to[] = {"", "a//b", "a/./b", "../x", "a\nb", "/", "//"};
	m2m_request req;
	m2mi_coap_out out;

	m2m_request_init(&req);
	req.op = M2M_OP_RETRIEVE;
	req.rqi = strdup("r");
	req.rvi = strdup("3");
	assert_int_equal(m2mi_coap_from_request(&req, M2MI_COAP_NO_BLOCK2, &out), M2M_E_INVAL); /* no to */
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad_to); i++) {
		free(req.to);
		req.to = strdup(bad_to[i]);
		assert_int_equal(m2mi_coap_from_request(&req, M2MI_COAP_NO_BLOCK2, &out), M2M_E_INVAL);
		assert_null(out.loc);
	}
	free(req.to);
	req.to = strdup("cse");
	assert_int_equal(m2mi_coap_from_request(&req, 7, &out), M2M_E_INVAL); /* SZX 7 */
	free(req.rvi);
	req.rvi = NULL;
	assert_int_equal(m2mi_coap_from_request(&req, M2MI_COAP_NO_BLOCK2, &out), M2M_E_INVAL);
	req.rvi = strdup("3");
	req.op = M2M_OP_NONE;
	assert_int_equal(m2mi_coap_from_request(&req, M2MI_COAP_NO_BLOCK2, &out), M2M_E_INVAL);
	m2m_request_clear(&req);
}

/* TS-0008 clauses 6.2.3, 6.2.4: a server answer read back (coap_rsp.c -> here). */
static void test_response_roundtrip(void **state)
{
	m2m_request req;
	m2m_response rsp, back;
	m2mi_coap_out out;
	m2mi_coap_msg msg;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_CREATE;
	req.rqi = strdup("q1");
	req.rvi = strdup("3");
	rsp.rsc = 2001;
	rsp.pc = json_pack("{s:{s:s}}", "sec:mefClientReg", "keyID", "k");
	rsp.location_s = strdup("//sp/cse/reg-1");
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, NULL, &out), M2M_OK);
	roundtrip(&out, M2MI_COAP_ACK, &msg);
	m2m_response_init(&back);
	assert_int_equal(m2mi_coap_to_response(&msg, "q1", &back), M2M_OK);
	assert_int_equal(back.rsc, 2001);
	assert_string_equal(back.rqi, "q1");
	assert_string_equal(back.rvi, "3");
	assert_string_equal(back.location, "//sp/cse/reg-1");
	assert_true(json_equal(back.pc, rsp.pc));
	m2m_response_clear(&back);
	/* another request's RQI: not our answer */
	assert_int_equal(m2mi_coap_to_response(&msg, "q2", &back), M2M_E_PROTO);
	assert_null(back.pc);
	m2mi_coap_out_clear(&out);

	/* an error answer: 4.03 with 4103 and its m2m:dbg */
	m2m_response_clear(&rsp);
	m2m_response_init(&rsp);
	m2m_response_error(&rsp, 4103, "denied");
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, NULL, &out), M2M_OK);
	roundtrip(&out, M2MI_COAP_CON, &msg);
	assert_int_equal(m2mi_coap_to_response(&msg, "q1", &back), M2M_OK);
	assert_int_equal(back.rsc, 4103);
	assert_string_equal(json_string_value(json_object_get(back.pc, "m2m:dbg")), "denied");
	m2m_response_clear(&back);
	m2mi_coap_out_clear(&out);
	m2m_response_clear(&rsp);
	m2m_request_clear(&req);
}

/* A hand-made response: code, options, payload. */
static m2m_err decode_rsp(uint8_t code, const m2mi_coap_opt *o, size_t n, const char *payload, m2m_response *back)
{
	m2mi_coap_msg msg = {0};

	msg.type = M2MI_COAP_ACK;
	msg.code = code;
	msg.opts = o;
	msg.nopts = n;
	msg.payload = (const uint8_t *)payload;
	msg.payload_len = payload != NULL ? strlen(payload) : 0;
	m2m_response_init(back);
	return m2mi_coap_to_response(&msg, "q", back);
}

#define O(num, s) {num, (const uint8_t *)(s), sizeof(s) - 1}

static void test_response_refused(void **state)
{
	const m2mi_coap_opt cf = O(M2MI_COAP_OPT_CONTENT_FORMAT, "\x32"), rsc2000 = O(M2MI_COAP_OPT_RSC, "\x07\xd0"),
			    rsc4103 = O(M2MI_COAP_OPT_RSC, "\x10\x07"), rqi = O(M2MI_COAP_OPT_RQI, "q");
	const struct {
		uint8_t code;
		m2mi_coap_opt o[4];
		size_t n;
		const char *payload;
	} bad[] = {
		{C(2, 5), {rqi}, 1, NULL},                                       /* no RSC */
		{C(2, 5), {rsc4103}, 1, NULL},                                   /* 2.05 with an error RSC */
		{C(4, 3), {rsc2000}, 1, NULL},                                   /* 4.03 with 2000 */
		{C(2, 5), {O(M2MI_COAP_OPT_RSC, "\x00\x01")}, 1, NULL},          /* RSC 1: no such code */
		{C(2, 5), {rsc2000, O(M2MI_COAP_OPT_RSC, "\x07\xd0")}, 2, NULL}, /* repeated RSC */
		{C(2, 5), {rsc2000, O(1001, "x")}, 2, NULL},                     /* unknown critical option */
		{C(2, 5), {O(M2MI_COAP_OPT_URI_PATH, "x"), rsc2000}, 2, NULL},   /* a request option */
		{C(2, 5), {rsc2000, O(M2MI_COAP_OPT_TY, "\x02")}, 2, NULL},      /* oneM2M-TY */
		{C(2, 5), {rsc2000}, 1, "{}"},                                   /* payload, no Content-Format */
		{C(2, 5), {O(M2MI_COAP_OPT_CONTENT_FORMAT, "\x3c"), rsc2000}, 2, "{}"}, /* CBOR */
		{C(2, 5), {cf, rsc2000}, 2, "[1]"},                              /* not an object */
		{C(2, 5), {cf, rsc2000}, 2, "{\"a\":1,\"a\":2}"},                /* duplicate names */
		{C(2, 5), {cf, rsc2000}, 2, "{\"a\":"},                          /* truncated */
		{C(2, 5), {O(M2MI_COAP_OPT_BLOCK2, "\x0f"), rsc2000}, 2, NULL},   /* SZX 7 */
		{C(2, 5), {O(M2MI_COAP_OPT_RQI, "q\x01"), rsc2000}, 2, NULL},    /* control character */
		{C(2, 5), {O(M2MI_COAP_OPT_RVI, "345"), rsc2000}, 2, NULL},      /* RVI too long */
		{C(0, 1), {rsc2000}, 1, NULL},                                   /* a request code */
		{C(3, 0), {rsc2000}, 1, NULL},                                   /* class 3 */
		{C(2, 1), {O(M2MI_COAP_OPT_LOCATION_PATH, ""), rsc2000}, 2, NULL}, /* empty segment */
	};
	m2m_response back;

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		assert_int_equal(decode_rsp(bad[i].code, bad[i].o, bad[i].n, bad[i].payload, &back), M2M_E_PROTO);
		assert_int_equal(back.rsc, 0);
		assert_null(back.pc);
	}
	/* an unknown elective option is ignored; 5.03 with Max-Age gives retry_after */
	{
		const m2mi_coap_opt ok[] = {O(M2MI_COAP_OPT_MAX_AGE, "\x05"), O(1000, "x"),
					    O(M2MI_COAP_OPT_RSC, "\x13\x89")}; /* 5001 */
		assert_int_equal(decode_rsp(C(5, 3), ok, 3, NULL, &back), M2M_OK);
		assert_int_equal(back.rsc, 5001);
		assert_int_equal(back.retry_after, 5);
		m2m_response_clear(&back);
	}
}

static void test_rsp_check_block2(void **state)
{
	const m2mi_coap_opt o[] = {O(M2MI_COAP_OPT_ETAG, "ab"), O(M2MI_COAP_OPT_BLOCK2, "\x2e"),
				   O(M2MI_COAP_OPT_RSC, "\x07\xd0")};
	m2mi_coap_msg msg = {0};
	m2mi_coap_rspinfo info;

	msg.type = M2MI_COAP_ACK;
	msg.code = C(2, 5);
	msg.opts = o;
	msg.nopts = 3;
	assert_int_equal(m2mi_coap_rsp_check(&msg, &info), M2M_OK);
	assert_true(info.has_block2);
	assert_int_equal(info.block2_num, 2);
	assert_true(info.block2_more);
	assert_int_equal(info.block2_szx, 6);
	assert_int_equal(info.etag_len, 2);
	msg.type = M2MI_COAP_RST;
	assert_int_equal(m2mi_coap_rsp_check(&msg, &info), M2M_E_PROTO);
	assert_int_equal(m2mi_coap_rsp_check(NULL, &info), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_response_roundtrip),
		cmocka_unit_test(test_response_refused),
		cmocka_unit_test(test_rsp_check_block2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
