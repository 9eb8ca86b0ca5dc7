/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/json_prim.c: the JSON request primitive shared
 * by the MQTT (TS-0010 clause 6.5.1) and WebSocket (TS-0020 clause 5.2) bindings, without any
 * topic, and its filter criteria ("fc", TS-0004 Table 6.3.5.8-1) mapped into exactly the fields
 * the HTTP query component fills (TS-0009 Table 6.2.2.2-1, bindings/query_map.h).
 */
#include <stdlib.h>
#include "m2m_test.h"
#include "bindings/json_prim.h"
#include "bindings/query_map.h"
#include "m2msec/rsc.h"

#define HEAD "{\"op\":2,\"to\":\"cse-in\",\"fr\":\"CAE01\",\"rqi\":\"r1\",\"rvi\":\"3\""

static const char *dbg(const m2m_response *rsp)
{
	const char *s = json_string_value(json_object_get(rsp->pc, "m2m:dbg"));
	return s ? s : "";
}

static m2m_err run(const char *payload, m2m_request *req, m2m_response *rsp)
{
	m2m_request_init(req);
	m2m_response_init(rsp);
	return m2mi_json_parse_request((const uint8_t *)payload, strlen(payload), 0, req, rsp);
}

static void expect_rsc(const char *payload, int rsc, const char *needle)
{
	m2m_request req;
	m2m_response rsp;
	m2m_err rc = run(payload, &req, &rsp);

	if (rc == M2M_OK || rsp.rsc != rsc || (needle && strstr(dbg(&rsp), needle) == NULL))
		fail_msg("%s: rc %d rsc %d dbg '%s' (want %d '%s')", payload, rc, rsp.rsc, dbg(&rsp), rsc,
			 needle ? needle : "");
	assert_null(req.to);
	assert_null(req.fr);
	assert_null(req.pc);
	assert_int_equal(req.fc.nty + req.fc.nlbl + req.fc.natr, 0);
	assert_null(req.fc.crb);
	assert_string_equal(rsp.rqi, "r1"); /* echoed */
	m2m_response_clear(&rsp);
}

/* No topic: From absent or anybody's maps (the CSE judges it against the association); ty maps
 * on any operation (the CSE judges its presence, TS-0004 Table 7.2.1.1-1). */
static void test_topic_free(void **state)
{
	m2m_request req;
	m2m_response rsp;

	(void)state;
	assert_int_equal(run("{\"op\":2,\"to\":\"cse-in\",\"rqi\":\"a\",\"rvi\":\"3\",\"ty\":3}", &req, &rsp), M2M_OK);
	assert_null(req.fr);
	assert_int_equal(req.op, M2M_OP_RETRIEVE);
	assert_int_equal(req.ty, 3);
	assert_string_equal(req.to, "cse-in");
	m2m_request_clear(&req);
	assert_int_equal(run("{\"op\":4,\"to\":\"x\",\"fr\":\"/id-mn\",\"rqi\":\"a\",\"rvi\":\"2a\",\"pc\":{\"a\":1}}",
			     &req, &rsp),
			 M2M_OK);
	assert_string_equal(req.fr, "/id-mn");
	assert_null(req.pc); /* DELETE: content dropped */
	m2m_request_clear(&req);
	assert_int_equal(m2mi_json_parse_request(NULL, 1, 0, &req, &rsp), M2M_E_INVAL);
	assert_int_equal(m2mi_json_parse_request((const uint8_t *)"{}", 2, 0, NULL, &rsp), M2M_E_INVAL);
	expect_rsc(HEAD ",\"ty\":0}", 4000, "\"ty\"");
	assert_int_equal(run(HEAD ",\"op\":2}", &req, &rsp), M2M_E_PROTO); /* a duplicate member */
	assert_int_equal(rsp.rsc, 4000);
	assert_null(req.to);
	m2m_response_clear(&rsp);
	expect_rsc("{\"op\":1,\"to\":\"a\",\"rqi\":\"r1\",\"rvi\":\"3\",\"ty\":2}", 4000, "\"pc\"");
	/* over the limit: 4000 */
	assert_int_equal(m2mi_json_parse_request((const uint8_t *)HEAD "}", strlen(HEAD "}"), 10, &req, &rsp),
			 M2M_E_TOO_LARGE);
	assert_int_equal(rsp.rsc, 4000);
	m2m_response_clear(&rsp);
}

/* The same filter as a JSON "fc" and as an HTTP query component give the same m2m_filter. */
static void same_as_query(const char *fc, const char *query)
{
	m2m_request a, b;
	m2m_response ra, rb;
	char p[1024];

	snprintf(p, sizeof(p), HEAD ",\"fc\":%s}", fc);
	assert_int_equal(run(p, &a, &ra), M2M_OK);
	m2m_request_init(&b);
	m2m_response_init(&rb);
	assert_int_equal(m2mi_query_map(query, strlen(query), &b, &rb), M2M_OK);
	assert_int_equal(a.fc.fu, b.fc.fu);
	assert_int_equal(a.fc.lim, b.fc.lim);
	assert_int_equal(a.fc.lvl, b.fc.lvl);
	assert_int_equal(a.fc.ofst, b.fc.ofst);
	assert_int_equal(a.fc.fo, b.fc.fo);
	assert_int_equal(a.fc.sza, b.fc.sza);
	assert_int_equal(a.fc.szb, b.fc.szb);
	assert_int_equal(a.fc.nty, b.fc.nty);
	for (size_t i = 0; i < a.fc.nty; i++)
		assert_int_equal(a.fc.ty[i], b.fc.ty[i]);
	assert_int_equal(a.fc.nlbl, b.fc.nlbl);
	for (size_t i = 0; i < a.fc.nlbl; i++)
		assert_string_equal(a.fc.lbl[i], b.fc.lbl[i]);
	assert_int_equal(a.fc.ncty, b.fc.ncty);
	for (size_t i = 0; i < a.fc.ncty; i++)
		assert_string_equal(a.fc.cty[i], b.fc.cty[i]);
	assert_int_equal(a.fc.natr, b.fc.natr);
	for (size_t i = 0; i < a.fc.natr; i++) {
		assert_string_equal(a.fc.atr_n[i], b.fc.atr_n[i]);
		assert_string_equal(a.fc.atr_v[i], b.fc.atr_v[i]);
	}
	assert_true((a.fc.crb == NULL) == (b.fc.crb == NULL) && (a.fc.cra == NULL) == (b.fc.cra == NULL));
	if (a.fc.crb != NULL)
		assert_string_equal(a.fc.crb, b.fc.crb);
	if (a.fc.cra != NULL)
		assert_string_equal(a.fc.cra, b.fc.cra);
	assert_true((a.fc.arp == NULL) == (b.fc.arp == NULL));
	m2m_request_clear(&a);
	m2m_request_clear(&b);
}

static void test_filter_criteria(void **state)
{
	m2m_request req;
	m2m_response rsp;

	(void)state;
	same_as_query("{\"fu\":1}", "fu=1");
	same_as_query("{\"fu\":2,\"ty\":[2,3],\"lbl\":[\"a b\",\"k&v=1+2\"],\"lim\":5}",
		      "fu=2&ty=2+3&lbl=a%20b+k%26v%3D1%2B2&lim=5");
	same_as_query("{\"crb\":\"20300101T000000\",\"cra\":\"20200101T000000,5\",\"lvl\":2,\"ofst\":1,\"fo\":2}",
		      "crb=20300101T000000&cra=20200101T000000,5&lvl=2&ofst=1&fo=2");
	same_as_query("{\"sza\":0,\"szb\":10,\"cty\":[\"text/plain:0\"],\"arp\":\"la\"}",
		      "sza=0&szb=10&cty=text%2Fplain%3A0&arp=la");
	same_as_query("{\"atr\":[{\"nm\":\"api\",\"val\":\"N*\"},{\"nm\":\"rr\",\"val\":false},{\"nm\":\"mni\",\"val\":3}]}",
		      "api=N*&rr=false&mni=3");
	assert_int_equal(run(HEAD ",\"rcn\":1,\"fc\":{}}", &req, &rsp), M2M_OK); /* an empty fc: nothing */
	assert_int_equal(req.fc.fu, 0);
	assert_int_equal(req.rcn, 1);
	m2m_request_clear(&req);
	/* refusals: the JSON shape, then the query mapping's own value rules */
	expect_rsc(HEAD ",\"fc\":[1]}", 4000, "JSON object");
	expect_rsc(HEAD ",\"fc\":{\"fu\":\"1\"}}", 4000, "integer");
	expect_rsc(HEAD ",\"fc\":{\"fu\":3}}", 4000, "fu");
	expect_rsc(HEAD ",\"fc\":{\"lim\":-1}}", 4000, "lim");
	expect_rsc(HEAD ",\"fc\":{\"ty\":2}}", 4000, "array");
	expect_rsc(HEAD ",\"fc\":{\"ty\":[]}}", 4000, "array");
	expect_rsc(HEAD ",\"fc\":{\"ty\":[\"2\"]}}", 4000, "integers");
	expect_rsc(HEAD ",\"fc\":{\"ty\":[0]}}", 4000, "ty");
	expect_rsc(HEAD ",\"fc\":{\"lbl\":[\"\"]}}", 4000, "lbl");
	expect_rsc(HEAD ",\"fc\":{\"crb\":\"yesterday\"}}", 4000, "crb");
	expect_rsc(HEAD ",\"fc\":{\"crb\":5}}", 4000, "string");
	expect_rsc(HEAD ",\"fc\":{\"arp\":\"/abs\"}}", 4000, "arp");
	/* parameters that are not filter criteria cannot be smuggled in through fc, nor through an
	 * attribute condition's name */
	expect_rsc(HEAD ",\"fc\":{\"rcn\":1}}", 4000, "unsupported filter criterion");
	expect_rsc(HEAD ",\"fc\":{\"drt\":2}}", 4000, "unsupported filter criterion");
	expect_rsc(HEAD ",\"fc\":{\"sts\":2}}", 4000, "unsupported filter criterion");
	expect_rsc(HEAD ",\"fc\":{\"atr\":[{\"nm\":\"rcn\",\"val\":\"1\"}]}}", 4000, "\"nm\"");
	expect_rsc(HEAD ",\"fc\":{\"atr\":[{\"nm\":\"con\",\"val\":\"x\"}]}}", 4000, "\"nm\"");
	expect_rsc(HEAD ",\"fc\":{\"atr\":[{\"nm\":\"api\"}]}}", 4000, "\"val\"");
	expect_rsc(HEAD ",\"fc\":{\"atr\":[{\"nm\":\"api\",\"val\":[1]}]}}", 4000, "value");
	expect_rsc(HEAD ",\"fc\":{\"atr\":{\"nm\":\"api\",\"val\":\"x\"}}}", 4000, "atr");
	expect_rsc(HEAD ",\"fc\":{\"lbl\":[\"a\\u0001b\"]}}", 4000, "lbl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topic_free),
		cmocka_unit_test(test_filter_criteria),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
