/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/esprim_rx.c that need no running CSE (the
 * NOTIFY handling is tested end to end by tests/system/test_55_esprim.py): which requests are
 * outer ESPrim NOTIFYs, and the e2eSecInfo attribute check (TS-0004 clause 6.3.5.52).
 */
#include "m2m_test.h"
#include "services/cse/esprim_rx.h"

static void test_seci_request(void **state)
{
	m2m_request req;

	(void)state;
	m2m_request_init(&req);
	req.op = M2M_OP_NOTIFY;
	req.pc = json_pack("{s:{s:i}}", "m2m:seci", "sit", 3);
	assert_true(m2mi_seci_request(&req));
	req.op = M2M_OP_CREATE;
	assert_false(m2mi_seci_request(&req));
	req.op = M2M_OP_NOTIFY;
	json_decref(req.pc);
	req.pc = json_pack("{s:{},s:{}}", "m2m:seci", "m2m:sgn");
	assert_false(m2mi_seci_request(&req)); /* a seci with something else: not ours */
	m2m_request_clear(&req);
}

static void test_esi(void **state)
{
	json_t *v;
	static const char *good[] = {
		"{}", "{\"esf\":[13,23]}", "{\"escert\":[\"MIIB\"]}",
		"{\"esro\":{\"esri\":\"s0102030405060708\",\"esrv\":\"v0102\",\"esrx\":\"20991231T000000\","
		"\"esks\":[1],\"espa\":[12]}}",
	};
	static const char *bad[] = {
		"[]", "{\"esf\":13}", "{\"esf\":[\"x\"]}", "{\"esf\":[-1]}", "{\"escert\":[1]}",
		"{\"esro\":{\"esri\":\"s1\"}}", "{\"esro\":\"s1\"}", "{\"other\":1}",
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(good); i++) {
		v = json_loads(good[i], 0, NULL);
		assert_non_null(v);
		assert_true(m2mi_esi_ok(v));
		json_decref(v);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		assert_false(m2mi_esi_ok(v));
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_seci_request), cmocka_unit_test(test_esi)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
