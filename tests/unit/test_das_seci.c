/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/das/das_seci.c: m2m:securityInfo with sit 1
 * dreq and sit 2 dres (TS-0004 Tables 6.3.5.46-1, 6.3.5.47-1, 6.3.5.48-1, short names §8.2.5),
 * round trips and every refusal, and m2m:absRelTimestamp.
 */
#include <stdlib.h>

#include "m2m_test.h"
#include "m2msec/das.h"

#define NOW 1800000000 /* 2027-01-15T08:00:00Z */

static json_t *js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	assert_non_null(v);
	return v;
}

static m2m_err dreq_of(const char *text, m2m_das_dreq *q)
{
	json_t *v = js(text);
	m2m_err r = m2m_das_dreq_parse(v, NOW, q);

	json_decref(v);
	return r;
}

static void test_dreq_full(void **state)
{
	m2m_das_dreq q, q2;
	json_t *out = NULL;

	(void)state;
	assert_int_equal(dreq_of("{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"//sp/id-in/Cae\",\"trt\":4,\"op\":2,"
				 "\"oip\":{\"ip6\":\"::1\"},\"olo\":{\"cnty\":1},\"orid\":[\"r1@sp\",\"r2@sp\"],"
				 "\"rts\":\"20270115T080000\",\"trid\":\"/id-in/cnt-1\",\"ppl\":\"60000\","
				 "\"rfa\":[\"r3@sp\"],\"tids\":[\"t1@sp\"],\"asi\":true}}}", &q),
			 M2M_OK);
	assert_string_equal(q.originator, "//sp/id-in/Cae");
	assert_int_equal(q.trt, 4);
	assert_int_equal(q.op, 2);
	assert_string_equal(q.oip, "::1");
	assert_true(q.oip_v6);
	assert_int_equal(q.norid, 2);
	assert_string_equal(q.orid[1], "r2@sp");
	assert_string_equal(q.rts, "20270115T080000");
	assert_string_equal(q.trid, "/id-in/cnt-1");
	assert_int_equal(q.ppl, 60);
	assert_int_equal(q.nrfa, 1);
	assert_int_equal(q.ntids, 1);
	assert_int_equal(q.asi, 1);
	/* round trip through the encoder */
	assert_int_equal(m2m_das_dreq_to_json(&q, &out), M2M_OK);
	assert_int_equal(m2m_das_dreq_parse(out, NOW, &q2), M2M_OK);
	assert_string_equal(q2.originator, q.originator);
	assert_int_equal(q2.ppl, 60);
	assert_string_equal(q2.oip, "::1");
	assert_int_equal(q2.norid, 2);
	assert_int_equal(q2.asi, 1);
	json_decref(out);
	m2m_das_dreq_clear(&q2);
	m2m_das_dreq_clear(&q);
	/* the minimum: or, op, trid */
	assert_int_equal(dreq_of("{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"Cae\",\"op\":5,\"trid\":\"x\"}}}", &q),
			 M2M_OK);
	assert_int_equal(q.asi, -1);
	assert_null(q.oip);
	m2m_das_dreq_clear(&q);
}

static void test_dreq_bad(void **state)
{
	static const char *const bad[] = {
		"[]", "{\"m2m:seci\":1}", "{\"m2m:seci\":{\"sit\":2,\"dreq\":{}}}", "{\"m2m:seci\":{\"sit\":1}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":[]}}", "{\"m2m:seci\":{\"sit\":\"1\",\"dreq\":{}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"op\":2,\"trid\":\"x\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"trid\":\"x\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":7,\"trid\":\"x\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"\",\"op\":2,\"trid\":\"x\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":5,\"op\":2,\"trid\":\"x\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"zz\":1}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"trt\":0}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"orid\":\"r\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"orid\":[1]}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"oip\":{}}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"oip\":{\"ip4\":\"1\",\"ip6\":\"2\"}}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"ppl\":\"20200101T000000\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"ppl\":-1}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"ppl\":\"1e5\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"rts\":\"2027011x\"}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"asi\":1}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\"},\"dres\":{}}}",
		"{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\"}},\"other\":1}",
	};
	m2m_das_dreq q;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		if (dreq_of(bad[i], &q) != M2M_E_PROTO)
			fail_msg("accepted: %s", bad[i]);
		assert_null(q.originator);
		assert_null(q.trid);
	}
	{ /* list bound */
		json_t *v = js("{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"a\",\"op\":2,\"trid\":\"x\",\"tids\":[]}}}");
		json_t *l = json_object_get(json_object_get(json_object_get(v, "m2m:seci"), "dreq"), "tids");
		for (int i = 0; i <= M2M_DAS_MAX_LIST; i++)
			json_array_append_new(l, json_string("t@sp"));
		assert_int_equal(m2m_das_dreq_parse(v, NOW, &q), M2M_E_PROTO);
		json_array_remove(l, 0);
		assert_int_equal(m2m_das_dreq_parse(v, NOW, &q), M2M_OK);
		assert_int_equal(q.ntids, M2M_DAS_MAX_LIST);
		m2m_das_dreq_clear(&q);
		json_decref(v);
	}
	assert_int_equal(m2m_das_dreq_parse(NULL, NOW, NULL), M2M_E_INVAL);
}

static void test_dres(void **state)
{
	m2m_das_dres a, b;
	json_t *v, *out = NULL;
	char *text;
	char *tk[] = {"a.b.c"};

	(void)state;
	/* what the DAS writes, read back as the CSE reads it */
	m2m_das_dres_init(&a);
	a.has_dai = true;
	a.gp = js("{\"acr\":[{\"acor\":[\"//sp/id-in/Cae\"],\"acop\":2}]}");
	a.pl = NOW + 3600;
	assert_int_equal(m2m_das_dres_to_json(&a, &out), M2M_OK);
	a.tkns = tk;
	a.ntkns = 1;
	json_decref(out);
	assert_int_equal(m2m_das_dres_to_json(&a, &out), M2M_OK);
	a.tkns = NULL;
	a.ntkns = 0;
	text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"m2m:seci\":{\"dres\":{\"dai\":{\"gp\":{\"acr\":[{\"acop\":2,\"acor\":"
				  "[\"//sp/id-in/Cae\"]}]},\"pl\":\"20270115T090000\"},\"tkns\":[\"a.b.c\"]},\"sit\":2}}");
	free(text);
	assert_int_equal(m2m_das_dres_parse(out, NOW, &b), M2M_OK);
	assert_true(b.has_dai);
	assert_int_equal(b.pl, NOW + 3600);
	assert_true(json_equal(b.gp, a.gp));
	assert_int_equal(b.ntkns, 1);
	assert_string_equal(b.tkns[0], "a.b.c");
	m2m_das_dres_clear(&b);
	json_decref(out);
	m2m_das_dres_clear(&a);
	/* nothing granted: an empty dres, or no dres at all */
	m2m_das_dres_init(&a);
	assert_int_equal(m2m_das_dres_to_json(&a, &out), M2M_OK);
	text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"m2m:seci\":{\"dres\":{},\"sit\":2}}");
	free(text);
	json_decref(out);
	v = js("{\"m2m:seci\":{\"sit\":2}}");
	assert_int_equal(m2m_das_dres_parse(v, NOW, &b), M2M_OK);
	assert_false(b.has_dai);
	assert_int_equal(b.ntkns, 0);
	json_decref(v);
	/* relative pl (milliseconds) */
	v = js("{\"m2m:seci\":{\"sit\":2,\"dres\":{\"dai\":{\"pl\":\"5000\"}}}}");
	assert_int_equal(m2m_das_dres_parse(v, NOW, &b), M2M_OK);
	assert_int_equal(b.pl, NOW + 5);
	assert_null(b.gp);
	m2m_das_dres_clear(&b);
	json_decref(v);
}

static void test_dres_bad(void **state)
{
	static const char *const bad[] = {
		"{\"m2m:seci\":{\"sit\":1,\"dres\":{}}}", /* not a response: no grant (TS-0004 7.5.1.2.10) */
		"{\"m2m:seci\":{\"sit\":3}}", "{\"m2m:seci\":{\"sit\":2,\"dres\":[]}}", "{\"m2m:dbg\":\"x\"}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"dai\":1}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"dai\":{\"gp\":[]}}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"dai\":{\"pl\":\"tomorrow\"}}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"dai\":{\"gp\":{},\"x\":1}}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"tkns\":\"a.b.c\"}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"tkns\":[\"\"]}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"asri\":\"yes\"}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dres\":{\"bogus\":1}}}",
		"{\"m2m:seci\":{\"sit\":2,\"dreq\":{}}}",
	};
	m2m_das_dres b;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		json_t *v = js(bad[i]);
		if (m2m_das_dres_parse(v, NOW, &b) != M2M_E_PROTO)
			fail_msg("accepted: %s", bad[i]);
		assert_null(b.gp);
		assert_int_equal(b.ntkns, 0);
		json_decref(v);
	}
}

static void test_abs_rel(void **state)
{
	int64_t t;
	json_t *v;

	(void)state;
	v = js("\"20270115T080000\"");
	assert_int_equal(m2m_das_abs_rel_time(v, 0, &t), M2M_OK);
	assert_int_equal(t, NOW);
	json_decref(v);
	v = js("\"19700101T000000\"");
	assert_int_equal(m2m_das_abs_rel_time(v, 5, &t), M2M_OK);
	assert_int_equal(t, 0);
	json_decref(v);
	v = js("1500");
	assert_int_equal(m2m_das_abs_rel_time(v, 10, &t), M2M_OK);
	assert_int_equal(t, 11);
	json_decref(v);
	static const char *const bad[] = {"\"20271315T080000\"", "\"2027011aT080000\"", "\"20270115 080000\"", "-1",
					  "\"\"", "1.5", "true", "\"12x\"", "\"99999999999999999999\""};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		v = js(bad[i]);
		if (m2m_das_abs_rel_time(v, 0, &t) != M2M_E_PROTO)
			fail_msg("accepted: %s", bad[i]);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dreq_full), cmocka_unit_test(test_dreq_bad), cmocka_unit_test(test_dres),
		cmocka_unit_test(test_dres_bad),  cmocka_unit_test(test_abs_rel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
