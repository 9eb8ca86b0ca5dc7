/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_rsp.c: the response half of the oneM2M
 * CoAP binding (TS-0008 V3.9.0 clauses 6.2.3, 6.2.4): every row of Table 6.2.4-1 the CSE emits,
 * the options of an answer and the Location-Path of a CREATE.
 */
#include <stdlib.h>

#include "m2m_test.h"
#include "bindings/coap_map.h"

#define C(c, d) M2MI_COAP_CODE(c, d)

/* ---- response: TS-0008 clause 6.2.4, Table 6.2.4-1 -------------------------------------------- */

static void test_code_table(void **state)
{
	static const struct { int rsc; int c, d; } rows[] = {
		{2001, 2, 1}, {2002, 2, 2}, {2004, 2, 4}, {4000, 4, 0}, {4001, 5, 1}, {4004, 4, 4}, {4005, 4, 5},
		{4008, 5, 4}, {4015, 4, 15}, {4101, 4, 3}, {4102, 4, 0}, {4103, 4, 3}, {4104, 4, 0}, {4105, 4, 3},
		{4106, 4, 3}, {4107, 4, 3}, {4108, 4, 3}, {4109, 4, 3}, {4110, 4, 0}, {4111, 4, 3}, {4112, 4, 3},
		{4113, 4, 3}, {4114, 4, 3}, {4115, 4, 3}, {4116, 4, 3}, {4117, 4, 3}, {4126, 4, 3}, {4127, 4, 3},
		{5000, 5, 0}, {5001, 5, 1}, {5103, 4, 4}, {5105, 4, 3}, {5106, 4, 0}, {5107, 4, 4}, {5203, 4, 3},
		{5204, 5, 0}, {5205, 4, 3}, {5207, 4, 6}, {5210, 5, 0}, {5211, 5, 0}, {6010, 4, 0},
		{9999, 5, 0}, {0, 5, 0}, /* unknown and unset: fail safe */
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++)
		assert_int_equal(m2mi_coap_code_of(rows[i].rsc, M2M_OP_CREATE), C(rows[i].c, rows[i].d));
	assert_int_equal(m2mi_coap_code_of(2000, M2M_OP_RETRIEVE), C(2, 5));
	assert_int_equal(m2mi_coap_code_of(2000, M2M_OP_NOTIFY), C(2, 4));
}

static const m2mi_coap_opt *find(const m2mi_coap_out *o, uint16_t num, size_t nth)
{
	for (size_t i = 0; i < o->nopts; i++)
		if (o->opts[i].num == num && nth-- == 0)
			return &o->opts[i];
	return NULL;
}

static void assert_opt(const m2mi_coap_out *o, uint16_t num, size_t nth, const void *v, size_t len)
{
	const m2mi_coap_opt *p = find(o, num, nth);
	assert_non_null(p);
	assert_int_equal(p->len, len);
	assert_memory_equal(p->val, v, len);
}

static void assert_sorted(const m2mi_coap_out *o)
{
	for (size_t i = 1; i < o->nopts; i++)
		assert_true(o->opts[i - 1].num <= o->opts[i].num);
}

static void test_response_retrieve(void **state)
{
	m2m_request req;
	m2m_response rsp;
	m2mi_coap_out out;
	m2mi_coap_reqinfo info = {0, 10001};

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_RETRIEVE;
	req.rqi = strdup("q7");
	req.rvi = strdup("4");
	rsp.rsc = 2000;
	rsp.pc = json_pack("{s:{s:s}}", "m2m:cb", "csi", "/cse");
	rsp.cnst = 1;
	rsp.cnot = 300;
	rsp.ati = strdup("lti1:t1@sp.example.com");
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, &info, &out), M2M_OK);
	assert_opt(&out, 327, 0, "lti1:t1@sp.example.com", 22); /* ATI, TS-0008 clause 6.2.2.4 */
	assert_int_equal(out.code, C(2, 5));
	assert_opt(&out, M2MI_COAP_OPT_CONTENT_FORMAT, 0, "\x27\x11", 2); /* 10001: what Accept asked */
	assert_opt(&out, M2MI_COAP_OPT_RVI, 0, "4", 1);
	assert_opt(&out, M2MI_COAP_OPT_RQI, 0, "q7", 2);
	assert_opt(&out, M2MI_COAP_OPT_RSC, 0, "\x07\xd0", 2);
	assert_opt(&out, M2MI_COAP_OPT_CTO, 0, "\x01\x2c", 2);
	assert_opt(&out, M2MI_COAP_OPT_CTS, 0, "\x01", 1);
	assert_null(find(&out, M2MI_COAP_OPT_MAX_AGE, 0));
	assert_sorted(&out);
	assert_int_equal(out.payload_len, strlen("{\"m2m:cb\":{\"csi\":\"/cse\"}}"));
	assert_memory_equal(out.payload, "{\"m2m:cb\":{\"csi\":\"/cse\"}}", out.payload_len);
	m2mi_coap_out_clear(&out);
	assert_null(out.payload);

	/* Accept vnd.onem2m-res+cbor (10010): the same value in CBOR (TS-0004 clause 8.5); the bytes
	 * are /usr/bin/python3 -c 'import cbor2; print(cbor2.dumps({"m2m:cb":{"csi":"/cse"}}).hex())' */
	info.content_format = 10010;
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, &info, &out), M2M_OK);
	assert_opt(&out, M2MI_COAP_OPT_CONTENT_FORMAT, 0, "\x27\x1a", 2);
	assert_int_equal(out.payload_len, 18);
	assert_memory_equal(out.payload, "\xa1\x66m2m:cb\xa1\x63" "csi\x64/cse", 18);
	m2mi_coap_out_clear(&out);

	/* NOTIFY answered 2000 without Content: 2.04 with an empty payload (Table 6.2.4-1) */
	req.op = M2M_OP_NOTIFY;
	{
		json_t *pc = rsp.pc;

		rsp.pc = NULL;
		assert_int_equal(m2mi_coap_from_response(&req, &rsp, NULL, &out), M2M_OK);
		assert_int_equal(out.code, C(2, 4));
		assert_null(out.payload);
		assert_null(find(&out, M2MI_COAP_OPT_CONTENT_FORMAT, 0));
		m2mi_coap_out_clear(&out);
		rsp.pc = pc;
	}
	/* an end-to-end security NOTIFY's answer (TS-0004 7.6.2: m2m:seci) keeps its Content */
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, NULL, &out), M2M_OK);
	assert_int_equal(out.code, C(2, 4));
	assert_non_null(out.payload);
	assert_true(out.payload_len > 0);
	m2mi_coap_out_clear(&out);

	/* rate limited: Max-Age carries the delay (RFC 7252 clause 5.9.3.4); rsc 0 is 5000 */
	rsp.rsc = 0;
	rsp.retry_after = 30;
	free(rsp.rvi);
	rsp.rvi = strdup("1"); /* Release-1 peer: no RVI */
	rsp.rqi = strdup("bad\nrqi");
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, NULL, &out), M2M_OK);
	assert_int_equal(out.code, C(5, 0));
	assert_opt(&out, M2MI_COAP_OPT_MAX_AGE, 0, "\x1e", 1);
	assert_opt(&out, M2MI_COAP_OPT_CONTENT_FORMAT, 0, "\x32", 1);
	assert_opt(&out, M2MI_COAP_OPT_RSC, 0, "\x13\x88", 2);
	assert_null(find(&out, M2MI_COAP_OPT_RVI, 0));
	assert_null(find(&out, M2MI_COAP_OPT_RQI, 0)); /* a control character: left out */
	assert_sorted(&out);
	m2mi_coap_out_clear(&out);

	/* the request mapping's code wins (4.02 Bad Option) */
	info.code = C(4, 2);
	rsp.rsc = 4000;
	assert_int_equal(m2mi_coap_from_response(NULL, &rsp, &info, &out), M2M_OK);
	assert_int_equal(out.code, C(4, 2));
	m2mi_coap_out_clear(&out);
	assert_int_equal(m2mi_coap_from_response(NULL, NULL, NULL, &out), M2M_E_INVAL);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	m2mi_coap_out_clear(NULL);
}

static void location(const char *loc_s, const char *loc, int drt, const char *const *segs, size_t n)
{
	m2m_request req;
	m2m_response rsp;
	m2mi_coap_out out;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_CREATE;
	req.drt = drt;
	rsp.rsc = 2001;
	rsp.location_s = loc_s ? strdup(loc_s) : NULL;
	rsp.location = loc ? strdup(loc) : NULL;
	assert_int_equal(m2mi_coap_from_response(&req, &rsp, NULL, &out), M2M_OK);
	assert_int_equal(out.code, C(2, 1));
	for (size_t i = 0; i < n; i++)
		assert_opt(&out, M2MI_COAP_OPT_LOCATION_PATH, i, segs[i], strlen(segs[i]));
	assert_null(find(&out, M2MI_COAP_OPT_LOCATION_PATH, n));
	assert_sorted(&out);
	m2mi_coap_out_clear(&out);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
}

/* TS-0008 clause 6.2.3: Location-Path of a CREATE, written like Uri-Path (Table 6.2.2.3-1). */
static void test_response_location(void **state)
{
	const char *const s1[] = {"cse", "ae1"}, *const s2[] = {"CAE1"}, *const s3[] = {"~", "CSE178", "cin1"};
	const char *const s4[] = {"_", "sp.org", "CSE178", "cin1"};

	location("cse/ae1", "CAE1", 0, s1, 2);
	location("cse/ae1", "CAE1", 2, s2, 1);
	location(NULL, "CAE1", 0, s2, 1);
	location("/CSE178/cin1", NULL, 0, s3, 3);
	location("//sp.org/CSE178/cin1", NULL, 1, s4, 4);
	location("a//b", NULL, 0, NULL, 0); /* empty segment: left out */
	location("a\nb", NULL, 0, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_table),
		cmocka_unit_test(test_response_retrieve),
		cmocka_unit_test(test_response_location),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
