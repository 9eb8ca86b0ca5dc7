/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of bindings/mqtt_map.c (TS-0010 V3.1.0 clauses 6.4, 6.5, 7.2). */
#include <stdlib.h>
#include "m2m_test.h"
#include "m2msec/mqtt.h"
#include "m2msec/rsc.h"

static const char *dbg(const m2m_response *rsp)
{
	const char *s = json_string_value(json_object_get(rsp->pc, "m2m:dbg"));
	return s ? s : "";
}

static m2m_err run(const char *topic, const char *payload, m2m_request *req, m2m_response *rsp)
{
	m2m_mqtt_topic t;

	m2m_request_init(req);
	m2m_response_init(rsp);
	assert_int_equal(m2m_mqtt_topic_parse(topic, strlen(topic), &t), M2M_OK);
	return m2m_mqtt_parse_request(&t, (const uint8_t *)payload, strlen(payload), 0, req, rsp);
}

static void expect_rsc(const char *topic, const char *payload, int rsc, const char *needle)
{
	m2m_request req;
	m2m_response rsp;
	m2m_err rc = run(topic, payload, &req, &rsp);

	if (rc == M2M_OK || rsp.rsc != rsc || (needle && strstr(dbg(&rsp), needle) == NULL))
		fail_msg("%s %s: rc %d rsc %d dbg '%s' (want %d '%s')", topic, payload, rc, rsp.rsc, dbg(&rsp), rsc,
			 needle ? needle : "");
	assert_null(req.to);
	assert_null(req.fr);
	assert_null(req.pc);
	m2m_response_clear(&rsp);
}

/* TS-0010 clauses 6.4.2-6.4.4, 6.5.4: the four kinds, optional type level, IDs as received. */
/* TS-0010 clause 6.4.2-6.4.4: topics are formed from the topic forms of the IDs. */
static void test_topic_format(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(m2m_mqtt_topic_format(M2M_MQTT_REQ, "CAE01", "cse-in", buf, sizeof(buf)), M2M_OK);
	assert_string_equal(buf, "/oneM2M/req/CAE01/cse-in/json");
	assert_int_equal(m2m_mqtt_topic_format(M2M_MQTT_REQ, "a/b", "c", buf, sizeof(buf)), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_mqtt_topic_format(M2M_MQTT_REQ, "a", "+", buf, sizeof(buf)), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_mqtt_topic_format(M2M_MQTT_REQ, "a", "b", buf, 10), M2M_E_TOO_LARGE);
	assert_string_equal(buf, "");

	m2m_mqtt_topic t;
	const char *rr = "/oneM2M/reg_req/k:1/cse-in";
	assert_int_equal(m2m_mqtt_topic_parse(rr, strlen(rr), &t), M2M_OK);
	assert_int_equal(m2m_mqtt_response_topic(&t, buf, sizeof(buf)), M2M_OK);
	assert_string_equal(buf, "/oneM2M/reg_resp/k:1/cse-in/json");
	t.kind = M2M_MQTT_RESP;
	assert_int_equal(m2m_mqtt_response_topic(&t, buf, sizeof(buf)), M2M_E_INVAL);
}

static void test_topic_parse(void **state)
{
	m2m_mqtt_topic t;
	const char *ok = "/oneM2M/req/cse-in:CAE01/cse-in/json";

	assert_int_equal(m2m_mqtt_topic_parse(ok, strlen(ok), &t), M2M_OK);
	assert_int_equal(t.kind, M2M_MQTT_REQ);
	assert_int_equal(t.fmt, M2M_MQTT_FMT_JSON);
	assert_string_equal(t.orig, "cse-in:CAE01");
	assert_string_equal(t.recv, "cse-in");
	assert_string_equal(t.credential_id, "");
	assert_int_equal(m2m_mqtt_topic_parse("/oneM2M/resp/CAE01/cse-in", 25, &t), M2M_OK);
	assert_int_equal(t.kind, M2M_MQTT_RESP);
	assert_int_equal(t.fmt, M2M_MQTT_FMT_NONE);
	assert_int_equal(m2m_mqtt_topic_parse("/oneM2M/reg_req/dev:1@x.org/cse-in/cbor", 39, &t), M2M_OK);
	assert_int_equal(t.kind, M2M_MQTT_REG_REQ);
	assert_int_equal(t.fmt, M2M_MQTT_FMT_CBOR);
	assert_string_equal(t.credential_id, "dev/1@x.org"); /* ':' back to '/' (6.4.4) */
	assert_int_equal(m2m_mqtt_topic_parse("/oneM2M/reg_resp/k1/cse-in/xml", 30, &t), M2M_OK);
	assert_int_equal(t.kind, M2M_MQTT_REG_RESP);

	static const char *const bad[] = {
		"oneM2M/req/a/b", "/onem2m/req/a/b", "/oneM2M/req/a", "/oneM2M/req/a/b/json/x", "/oneM2M/get/a/b",
		"/oneM2M/req//b", "/oneM2M/req/a/", "/oneM2M/req/+/b", "/oneM2M/req/a/#", "/oneM2M/req/a/b/txt",
		"/oneM2M/req/a\x01/b", "/oneM2M/req/a/b/", "/oneM2M/", "/oneM2M/req/a/b/json/",
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		if (m2m_mqtt_topic_parse(bad[i], strlen(bad[i]), &t) != M2M_E_PROTO)
			fail_msg("topic '%s' accepted", bad[i]);
	/* An embedded NUL is seen through len. */
	assert_int_equal(m2m_mqtt_topic_parse("/oneM2M/req/a\0x/b", 17, &t), M2M_E_PROTO);

	char big[M2M_MQTT_TOPIC_MAX + 8], seg[M2M_MQTT_SEG_MAX + 2];
	memset(seg, 'a', sizeof(seg) - 1);
	seg[sizeof(seg) - 1] = '\0';
	snprintf(big, sizeof(big), "/oneM2M/req/%s/b", seg); /* one byte over the level limit */
	assert_int_equal(m2m_mqtt_topic_parse(big, strlen(big), &t), M2M_E_PROTO);
	seg[M2M_MQTT_SEG_MAX] = '\0';
	snprintf(big, sizeof(big), "/oneM2M/req/%s/b", seg);
	assert_int_equal(m2m_mqtt_topic_parse(big, strlen(big), &t), M2M_OK);
	assert_int_equal(m2m_mqtt_topic_parse(big, M2M_MQTT_TOPIC_MAX + 1, &t), M2M_E_PROTO);
	assert_int_equal(m2m_mqtt_topic_parse(NULL, 0, &t), M2M_E_INVAL);
}

/* TS-0010 clause 6.5.1: a request primitive in JSON short names. */
static void test_request_ok(void **state)
{
	m2m_request req;
	m2m_response rsp;

	assert_int_equal(run("/oneM2M/req/cse-in:CAE01/cse-in/json",
			     "{\"op\":1,\"to\":\"/cse-in/cb\",\"fr\":\"/cse-in/CAE01\",\"rqi\":\"r1\",\"rvi\":\"3\","
			     "\"ty\":3,\"pc\":{\"m2m:cnt\":{\"rn\":\"c\"}},\"rcn\":1,\"ot\":\"20260101T000000\","
			     "\"rids\":[\"R1\"],\"tkns\":[\"a.b.c\",\"d.e.f\"],\"drt\":2,\"ltids\":[\"l1\"],"
			     "\"tqi\":true,\"asi\":false,\"auri\":true}",
			     &req, &rsp),
			 M2M_OK);
	assert_int_equal(req.op, M2M_OP_CREATE);
	assert_int_equal(req.ty, 3);
	assert_int_equal(req.rcn, 1);
	assert_int_equal(req.drt, 2);
	assert_string_equal(req.to, "/cse-in/cb");
	assert_string_equal(req.fr, "/cse-in/CAE01");
	assert_string_equal(req.rqi, "r1");
	assert_string_equal(req.rvi, "3");
	assert_string_equal(req.tkns, "a.b.c+d.e.f");
	assert_int_equal(req.nrids, 1);
	assert_int_equal(req.nltids, 1);
	assert_true(req.tqi);
	assert_int_equal(req.asi, 1);
	assert_int_equal(req.auri, 2);
	assert_non_null(json_object_get(req.pc, "m2m:cnt"));
	m2m_request_clear(&req);

	/* C-type AE-ID stem as From and topic level; RETRIEVE drops a pc. */
	assert_int_equal(run("/oneM2M/req/CAE01/cse-in",
			     "{\"op\":2,\"to\":\"cse-in\",\"fr\":\"CAE01\",\"rqi\":\"r2\",\"rvi\":\"4\",\"pc\":{}}",
			     &req, &rsp),
			 M2M_OK);
	assert_int_equal(req.op, M2M_OP_RETRIEVE);
	assert_null(req.pc);
	m2m_request_clear(&req);

	/* Initial registration: the Credential-ID comes from the topic only (TS-0010 7.2). */
	m2m_mqtt_topic t;
	const char *rt = "/oneM2M/reg_req/dev:7@mef.org/cse-in/json";
	const char *p = "{\"op\":1,\"to\":\"cse-in\",\"fr\":\"Cnew\",\"rqi\":\"r3\",\"rvi\":\"3\",\"ty\":2,"
			"\"pc\":{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}}";
	assert_int_equal(m2m_mqtt_topic_parse(rt, strlen(rt), &t), M2M_OK);
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	assert_int_equal(m2m_mqtt_parse_request(&t, (const uint8_t *)p, strlen(p), 0, &req, &rsp), M2M_OK);
	assert_string_equal(t.credential_id, "dev/7@mef.org");
	assert_string_equal(req.fr, "Cnew");
	m2m_request_clear(&req);
}

/* TS-0010 clause 7.2: From is not judged by the mapping but by the CSE against the association
 * the topic stands for (mqtt_client.c, test_mqtt_client), so a From other than the topic's
 * originator maps; every malformed payload an exact RSC with nothing mapped. */
static void test_request_refused(void **state)
{
	const char *T = "/oneM2M/req/CAE01/cse-in/json";
	m2m_request req;
	m2m_response rsp;

	assert_int_equal(run(T, "{\"op\":2,\"to\":\"cse-in\",\"fr\":\"CAE02\",\"rqi\":\"r\",\"rvi\":\"3\"}", &req, &rsp),
			 M2M_OK);
	assert_string_equal(req.fr, "CAE02");
	m2m_request_clear(&req);
	assert_int_equal(run(T, "{\"op\":2,\"to\":\"cse-in\",\"rqi\":\"r\",\"rvi\":\"3\"}", &req, &rsp), M2M_OK);
	assert_null(req.fr);
	m2m_request_clear(&req);
	/* ty maps on any operation: the CSE decides its presence (TS-0004 Table 7.2.1.1-1) */
	assert_int_equal(run(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"ty\":2}", &req, &rsp),
			 M2M_OK);
	assert_int_equal(req.ty, 2);
	m2m_request_clear(&req);
	assert_int_equal(run(T, "{\"op\":1,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"pc\":{}}", &req, &rsp),
			 M2M_OK);
	assert_int_equal(req.ty, 0);
	m2m_request_clear(&req);
	/* filter criteria map (bindings/json_prim.c, test_json_prim) */
	assert_int_equal(run(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"fc\":{\"fu\":1}}",
			     &req, &rsp),
			 M2M_OK);
	assert_int_equal(req.fc.fu, 1);
	m2m_request_clear(&req);
	expect_rsc(T, "", 4000, "malformed JSON");
	expect_rsc(T, "{\"op\":2,", 4000, "malformed JSON");
	expect_rsc(T, "[1]", 4000, "JSON object");
	expect_rsc(T, "{\"op\":2,\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}", 4000, NULL);
	expect_rsc(T, "{\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}", 4000, "\"op\"");
	expect_rsc(T, "{\"op\":6,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}", 4000, "\"op\"");
	expect_rsc(T, "{\"op\":\"2\",\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}", 4000, "\"op\"");
	expect_rsc(T, "{\"op\":2,\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}", 4000, "\"to\"");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rvi\":\"3\"}", 4000, "\"rqi\"");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":7,\"rvi\":\"3\"}", 4000, "\"rqi\"");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\\n\",\"rvi\":\"3\"}", 4000, "\"rqi\"");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\\u0001b\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}", 4000, "\"to\"");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\"}", 4001, "release version 1");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"9\"}", 4001, NULL);
	expect_rsc(T, "{\"op\":1,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"ty\":2}", 4000, "\"pc\"");
	expect_rsc(T, "{\"op\":3,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"pc\":[]}", 4000, "\"pc\"");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"xx\":1}", 4000, "unknown");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"rids\":\"R1\"}", 4000, "rids");
	expect_rsc(T, "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\",\"tkns\":[\"a+b\"]}", 4000,
		   "tkns");
	expect_rsc("/oneM2M/req/CAE01/cse-in/xml", "<m2m:rqp/>", 4015, "JSON");
	/* reg_req carries only a registration CREATE (6.4.4) */
	expect_rsc("/oneM2M/reg_req/k1/cse-in", "{\"op\":2,\"to\":\"cse-in\",\"fr\":\"C\",\"rqi\":\"r\",\"rvi\":\"3\"}",
		   4000, "reg_req");
	expect_rsc("/oneM2M/reg_req/k1/cse-in",
		   "{\"op\":1,\"to\":\"cse-in\",\"rqi\":\"r\",\"rvi\":\"3\",\"ty\":3,\"pc\":{\"m2m:cnt\":{}}}", 4000,
		   "reg_req");

	/* the rqi is echoed on a refusal when it was valid, also on one of the topic's rules */
	assert_int_equal(run(T, "{\"op\":9,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r9\",\"rvi\":\"3\"}", &req, &rsp),
			 M2M_E_PROTO);
	assert_string_equal(rsp.rqi, "r9");
	m2m_response_clear(&rsp);
	assert_int_equal(run("/oneM2M/reg_req/k1/cse-in", "{\"op\":2,\"to\":\"a\",\"rqi\":\"r8\",\"rvi\":\"3\"}", &req, &rsp),
			 M2M_E_PROTO);
	assert_string_equal(rsp.rqi, "r8");
	assert_null(req.to);
	m2m_response_clear(&rsp);
}

static void test_limits(void **state)
{
	m2m_mqtt_topic t;
	m2m_request req;
	m2m_response rsp;
	const char *p = "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"r\",\"rvi\":\"3\"}";

	assert_int_equal(m2m_mqtt_topic_parse("/oneM2M/req/CAE01/b", 19, &t), M2M_OK);
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	assert_int_equal(m2m_mqtt_parse_request(&t, (const uint8_t *)p, strlen(p), strlen(p) - 1, &req, &rsp),
			 M2M_E_TOO_LARGE);
	assert_int_equal(rsp.rsc, 4000);
	assert_null(req.to);
	m2m_response_clear(&rsp);
	assert_int_equal(m2m_mqtt_parse_request(&t, (const uint8_t *)p, strlen(p), strlen(p), &req, &rsp), M2M_OK);
	m2m_request_clear(&req);
	t.kind = M2M_MQTT_RESP;
	assert_int_equal(m2m_mqtt_parse_request(&t, (const uint8_t *)p, strlen(p), 0, &req, &rsp), M2M_E_INVAL);

	/* rqi of exactly 1024 bytes passes, 1025 is refused */
	char big[1200], rqi[1026];
	memset(rqi, 'q', 1025);
	rqi[1025] = '\0';
	snprintf(big, sizeof(big), "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"%s\",\"rvi\":\"3\"}", rqi);
	expect_rsc("/oneM2M/req/CAE01/b", big, 4000, "\"rqi\"");
	rqi[1024] = '\0';
	snprintf(big, sizeof(big), "{\"op\":2,\"to\":\"a\",\"fr\":\"CAE01\",\"rqi\":\"%s\",\"rvi\":\"3\"}", rqi);
	assert_int_equal(run("/oneM2M/req/CAE01/b", big, &req, &rsp), M2M_OK);
	m2m_request_clear(&req);
}

/* TS-0010 clause 6.5.2: {"rsc","rqi","pc","to","fr"}. */
static void test_response(void **state)
{
	m2m_request req;
	m2m_response rsp;
	char *out;
	size_t n;
	json_t *j;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.fr = strdup("CAE01");
	req.rqi = strdup("r1");
	req.rvi = strdup("4");
	rsp.rsc = 2000;
	rsp.pc = json_pack("{s:{s:s}}", "m2m:cnt", "rn", "c");
	rsp.ati = strdup("lti1:a@x.org+lti2:b@x.org");
	assert_int_equal(m2m_mqtt_format_response(&req, &rsp, "/cse-in", &out, &n), M2M_OK);
	/* ati as m2m:dynAuthLocalTokenIdAssignments (TS-0004 Table 6.3.5.43-1) */
	assert_non_null(strstr(out, "\"ati\":{\"ltia\":[{\"lti\":\"lti1\",\"tkid\":\"a@x.org\"},{\"lti\":\"lti2\",\"tkid\":\"b@x.org\"}]}"));
	assert_int_equal(strlen(out), n);
	j = json_loads(out, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "rsc")), 2000);
	assert_string_equal(json_string_value(json_object_get(j, "rqi")), "r1");
	assert_string_equal(json_string_value(json_object_get(j, "rvi")), "4");
	assert_string_equal(json_string_value(json_object_get(j, "to")), "CAE01");
	assert_string_equal(json_string_value(json_object_get(j, "fr")), "/cse-in");
	assert_true(json_equal(json_object_get(j, "pc"), rsp.pc));
	json_decref(j);
	free(out);
	m2m_response_clear(&rsp);
	m2m_request_clear(&req);

	/* a refused Release-1 request: rsc 4001, no rvi; rsc 0 becomes 5000 */
	m2m_response_init(&rsp);
	m2m_response_error(&rsp, 4001, "x");
	rsp.rvi = strdup("1");
	assert_int_equal(m2m_mqtt_format_response(NULL, &rsp, NULL, &out, &n), M2M_OK);
	assert_null(strstr(out, "\"rvi\""));
	assert_non_null(strstr(out, "\"rsc\":4001"));
	free(out);
	m2m_response_clear(&rsp);
	m2m_response_init(&rsp);
	assert_int_equal(m2m_mqtt_format_response(NULL, &rsp, NULL, &out, &n), M2M_OK);
	assert_non_null(strstr(out, "\"rsc\":5000"));
	free(out);
	assert_int_equal(m2m_mqtt_format_response(NULL, NULL, NULL, &out, &n), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topic_parse), cmocka_unit_test(test_topic_format),
		cmocka_unit_test(test_request_ok),  cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_limits),      cmocka_unit_test(test_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
