/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/cin_security.c: a <contentInstance> whose
 * contentInfo carries m2m:contentSecurity (TS-0004 Table 6.3.4.2.38-1) must hold content of
 * that serialisation, else 4000 BAD_REQUEST and nothing is written; a fitting object is stored
 * and returned unchanged (the CSE has no key and needs none).
 */
#include "cse_fixture.h"

#define JWS "eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA.AAAA"
#define JWE "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4R0NNIn0.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
#define JWS_JSON_STR \
	"\"{\\\"payload\\\":\\\"cGF5bG9hZA\\\",\\\"header\\\":{\\\"alg\\\":\\\"HS256\\\"},\\\"signature\\\":\\\"AAAA\\\"}\""
#define JWS_JSON "{\"payload\":\"cGF5bG9hZA\",\"header\":{\"alg\":\"HS256\"},\"signature\":\"AAAA\"}"

static int cin(fx *f, const char *rn, const char *cnf, const char *con_json)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"m2m:cin\":{\"rn\":\"%s\",\"cnf\":\"%s\",\"con\":%s}}", rn, cnf, con_json);
	return fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, body);
}

static void test_accept_refuse(void **state)
{
	fx *f = *state;
	char b64[256];
	static const char *const xml_b64 = "PEVuY3J5cHRlZERhdGEvPg=="; /* <EncryptedData/> */
	/* base64 of JWS_JSON (contentSecurity 3) */
	static const char *const json_b64 =
		"eyJwYXlsb2FkIjoiY0dGNWJHOWhaQSIsImhlYWRlciI6eyJhbGciOiJIUzI1NiJ9LCJzaWduYXR1cmUiOiJBQUFBIn0=";

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	/* accepted: each value with a content of its kind; 0 / absent take anything */
	assert_rsc(f, cin(f, "a0", "text/plain:0:0", "\"21.5\""), M2M_RSC_CREATED);
	assert_rsc(f, cin(f, "a1", "application/json:0:1", "\"" JWS "\""), M2M_RSC_CREATED);
	assert_string_equal(json_string_value(json_object_get(fx_attrs(f, "m2m:cin"), "con")), JWS);
	assert_rsc(f, cin(f, "a1e", "application/json:0:1", "\"" JWE "\""), M2M_RSC_CREATED);
	assert_rsc(f, cin(f, "a2o", "application/json:0:2", JWS_JSON), M2M_RSC_CREATED);
	assert_non_null(json_object_get(json_object_get(fx_attrs(f, "m2m:cin"), "con"), "signature"));
	assert_rsc(f, cin(f, "a2s", "application/json:0:2", JWS_JSON_STR), M2M_RSC_CREATED); /* as a string */
	snprintf(b64, sizeof(b64), "\"%s\"", json_b64);
	assert_rsc(f, cin(f, "a3", "application/json:0:3", b64), M2M_RSC_CREATED);
	snprintf(b64, sizeof(b64), "\"%s\"", xml_b64);
	assert_rsc(f, cin(f, "a5", "application/xml:0:5", b64), M2M_RSC_CREATED);
	assert_rsc(f, cin(f, "a4", "application/xml:0:4", "\"<EncryptedData/>\""), M2M_RSC_CREATED);

	/* refused, 4000, nothing stored */
	static const struct {
		const char *cnf, *con;
	} bad[] = {
		{"text/plain:0:1", "\"21.5\""},                         /* plaintext claiming compact */
		{"text/plain:0:1", "{\"t\":21.5}"},                     /* not a string */
		{"text/plain:0:1", "\"" "eyJhbGciOiJub25lIn0.cGF5bG9hZA.AAAA" "\""}, /* alg none */
		{"text/plain:0:1", "\"eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA\""}, /* truncated */
		{"text/plain:0:1", JWS_JSON_STR},                  /* JSON under the compact flag */
		{"text/plain:0:2", "\"" JWS "\""},                      /* compact under the JSON flag */
		{"text/plain:0:2", "{\"t\":21.5}"},                     /* JSON, but not JOSE */
		{"text/plain:0:2", "42"},
		{"text/plain:0:3", "\"" JWS "\""},                      /* not base64 of JSON */
		{"text/plain:0:3", JWS_JSON},                            /* not base64 at all */
		{"text/plain:0:4", "\"21.5\""},                         /* not XML */
		{"text/plain:0:5", "\"<EncryptedData/>\""},             /* XML, but not base64 */
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		char rn[16];
		snprintf(rn, sizeof(rn), "b%zu", i);
		if (cin(f, rn, bad[i].cnf, bad[i].con) != M2M_RSC_BAD_REQUEST)
			fail_msg("case %zu (%s) not refused with 4000", i, bad[i].cnf);
		assert_non_null(strstr(fx_dbg(f), "contentSecurity"));
		snprintf(rn, sizeof(rn), "cse-in/c/b%zu", i);
		assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, rn, "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	}
	/* the container's counters only count the accepted instances */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_refuse, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
