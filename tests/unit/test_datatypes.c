/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/datatypes.c: m2m:serializations (csz)
 * and m2m:contentInfo (cnf) of TS-0004 Table 6.3.3-1, alone and through the CSE (4000 in a
 * CREATE or UPDATE, nothing written).
 */
#include "cse_fixture.h"

static void test_cnf(void **state)
{
	static const char *const ok[] = {
		"text/plain:0", "application/xml:1", "application/xml:1:0", "application/xml:1:5",
		"application/vnd.onem2m-res+json:2", "image/svg+xml:0:3", "a/b:0",
	};
	static const char *const bad[] = {
		"", "text/plain", "text/plain:", "text/plain:3", "text/plain:0:", "text/plain:0:6", "text/plain:00",
		"text/plain:0:1:1", "text:0", "/plain:0", "text/:0", "-text/plain:0", "text/plain; charset=utf-8:0",
		"text/pl ain:0", "text//plain:0", "text/plain:0 ", "a",
	};
	char longname[200];

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(ok); i++)
		if (!m2mi_cnf_ok(ok[i]))
			fail_msg("refused %s", ok[i]);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		if (m2mi_cnf_ok(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	assert_false(m2mi_cnf_ok(NULL));
	memset(longname, 'a', 128);
	snprintf(longname + 128, sizeof(longname) - 128, "/b:0");
	assert_false(m2mi_cnf_ok(longname)); /* restricted-name is at most 127 characters */
	snprintf(longname + 127, sizeof(longname) - 127, "/b:0");
	assert_true(m2mi_cnf_ok(longname));
}

static void test_csz(void **state)
{
	static const char *const ok[] = {"[\"json\"]", "[\"xml\",\"json\",\"cbor\"]"};
	static const char *const bad[] = {"[]", "[\"JSON\"]", "[\"json\",\"yaml\"]", "[1]", "\"json\"", "{}", "[null]"};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(ok); i++) {
		json_t *v = json_loads(ok[i], JSON_DECODE_ANY, NULL);
		assert_true(m2mi_csz_ok(v));
		json_decref(v);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		json_t *v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		if (m2mi_csz_ok(v))
			fail_msg("accepted %s", bad[i]);
		json_decref(v);
	}
	assert_false(m2mi_csz_ok(NULL));
}

static void test_through_cse(void **state)
{
	fx *f = *state;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN,
			     "{\"m2m:cin\":{\"rn\":\"i\",\"cnf\":\"text/plain\",\"con\":\"x\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_non_null(strstr(fx_dbg(f), "cnf"));
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/i", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i\",\"cnf\":\"text/plain:0\",\"con\":\"x\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cz", M2M_TY_AE,
			     "{\"m2m:ae\":{\"rn\":\"z\",\"api\":\"Nz\",\"rr\":true,\"srv\":[\"3\"],\"csz\":[\"yaml\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_non_null(strstr(fx_dbg(f), "csz"));
	assert_int_equal(fx_rows(f, "Cz"), 0);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cz", M2M_TY_AE,
			     "{\"m2m:ae\":{\"rn\":\"z\",\"api\":\"Nz\",\"rr\":true,\"srv\":[\"3\"],\"csz\":[\"json\"]}}"),
		   M2M_RSC_CREATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/z", "CAdmin", 0, "{\"m2m:ae\":{\"csz\":[]}}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/z", "CAdmin", 0, "{\"m2m:ae\":{\"csz\":[\"cbor\",\"xml\"]}}"),
		   M2M_RSC_UPDATED);
	/* desiredIdentifierResultType: 1 or 2 (TS-0004 Table 6.3.4.2.8-1) */
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL);
	f->req.drt = 3;
	assert_rsc(f, fx_send(f), M2M_RSC_BAD_REQUEST);
	/* a CREATE answers both identifier forms; the binding picks one per drt */
	fx_prepare(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"j\",\"con\":\"y\"}}");
	f->req.drt = 2;
	assert_rsc(f, fx_send(f), M2M_RSC_CREATED);
	assert_string_equal(f->rsp.location_s, "cse-in/c/j");
	assert_string_equal(f->rsp.location, fx_str(f, "m2m:cin", "ri"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cnf),
		cmocka_unit_test(test_csz),
		cmocka_unit_test_setup_teardown(test_through_cse, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
