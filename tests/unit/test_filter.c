/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/filter.c: each matching condition of the
 * Filter Criteria (TS-0004 clause 7.3.3.17, Table 7.3.3.17.0-1), ORing the values of one tag,
 * and filterOperation AND (default) / OR (clause 7.3.3.17.12).
 */
#include "cse_fixture.h"

static void fc_init(m2m_filter *fc)
{
	m2m_request req;

	m2m_request_init(&req); /* the documented "absent" values */
	*fc = req.fc;
}

static m2m_res row(int ty)
{
	m2m_res r = {0};

	r.ty = ty;
	r.rn = "abc";
	snprintf(r.ct, sizeof(r.ct), "20240101T000000");
	snprintf(r.lt, sizeof(r.lt), "20240601T000000");
	snprintf(r.et, sizeof(r.et), "20250101T000000");
	r.lbl = "[\"k\",\"room:1\"]";
	return r;
}

static void test_basic_conditions(void **state)
{
	m2m_filter fc;
	m2m_res r = row(M2M_TY_CNT);

	(void)state;
	fc_init(&fc);
	assert_false(m2mi_filter_any(&fc));
	assert_true(m2mi_filter_match(&fc, &r));
	/* ty any-of */
	fc.nty = 2;
	fc.ty[0] = 4;
	fc.ty[1] = 3;
	assert_true(m2mi_filter_match(&fc, &r));
	fc.ty[1] = 2;
	assert_false(m2mi_filter_match(&fc, &r));
	fc.nty = 0;
	/* lbl any-of (TS-0004 clause 7.3.3.17.5): one present label is enough */
	fc.lbl[0] = "k";
	fc.nlbl = 1;
	assert_true(m2mi_filter_match(&fc, &r));
	fc.lbl[1] = "z";
	fc.nlbl = 2;
	assert_true(m2mi_filter_match(&fc, &r));
	fc.lbl[0] = "y";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.nlbl = 0;
	/* createdAfter <= ct < createdBefore (clause 7.3.3.17.1): createdAfter is inclusive */
	fc.cra = "20240101T000000";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.cra = "20240101T000000,5";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.cra = "20231231T235959";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.crb = "20240101T000000";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.crb = "20240101T000001";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.cra = fc.crb = NULL;
}

static void test_time_windows(void **state)
{
	m2m_filter fc;
	m2m_res r = row(M2M_TY_CNT);

	(void)state;
	fc_init(&fc);
	/* modifiedSince <= lt < unmodifiedSince (clause 7.3.3.17.2) */
	fc.ms = "20240601T000000";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.ms = "20240601T000001";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.ms = NULL;
	fc.us = "20240601T000000";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.us = "20240601T000001";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.us = NULL;
	/* expireAfter <= et < expireBefore (clause 7.3.3.17.4); no et = never expires */
	fc.exa = "20250101T000000";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.exa = "20250101T000001";
	assert_false(m2mi_filter_match(&fc, &r));
	r.et[0] = '\0';
	assert_true(m2mi_filter_match(&fc, &r));
	fc.exa = NULL;
	fc.exb = "20990101T000000";
	assert_false(m2mi_filter_match(&fc, &r));
	snprintf(r.et, sizeof(r.et), "20250101T000000");
	assert_true(m2mi_filter_match(&fc, &r));
	fc.exb = "20250101T000000";
	assert_false(m2mi_filter_match(&fc, &r));
}

static void test_size_and_content_type(void **state)
{
	m2m_filter fc;
	m2m_res cin = row(M2M_TY_CIN), cnt = row(M2M_TY_CNT);

	(void)state;
	fc_init(&fc);
	cin.size = 10;
	cin.body = "{\"m2m:cin\":{\"cnf\":\"text/plain:0\",\"con\":\"0123456789\",\"cr\":\"CSam\",\"st\":3}}";
	/* sizeAbove <= cs < sizeBelow (clause 7.3.3.17.7), <contentInstance> only */
	fc.sza = 10;
	assert_true(m2mi_filter_match(&fc, &cin));
	assert_false(m2mi_filter_match(&fc, &cnt));
	fc.sza = 11;
	assert_false(m2mi_filter_match(&fc, &cin));
	fc.sza = -1;
	fc.szb = 10;
	assert_false(m2mi_filter_match(&fc, &cin));
	fc.szb = 11;
	assert_true(m2mi_filter_match(&fc, &cin));
	fc.szb = -1;
	/* contentType: typeOfContent of cnf, any of (clause 7.3.3.17.8) */
	fc.cty[0] = "application/json";
	fc.ncty = 1;
	assert_true(m2mi_filter_needs_body(&fc));
	assert_false(m2mi_filter_match(&fc, &cin));
	fc.cty[1] = "TEXT/plain";
	fc.ncty = 2;
	assert_true(m2mi_filter_match(&fc, &cin));
	assert_false(m2mi_filter_match(&fc, &cnt));
	cin.body = NULL; /* a listing without bodies never matches an attribute condition */
	assert_false(m2mi_filter_match(&fc, &cin));
}

static void test_attributes(void **state)
{
	m2m_filter fc;
	m2m_res r = row(M2M_TY_CNT);

	(void)state;
	fc_init(&fc);
	r.body = "{\"m2m:cnt\":{\"cr\":\"CSam01\",\"cni\":3,\"disr\":false,\"acpi\":[\"a1\",\"a2\"]}}";
	fc.atr_n[0] = "cr";
	fc.atr_v[0] = "CSam*";
	fc.natr = 1;
	assert_true(m2mi_filter_match(&fc, &r));
	fc.atr_v[0] = "*01";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.atr_v[0] = "C*a*1";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.atr_v[0] = "CSam";
	assert_false(m2mi_filter_match(&fc, &r));
	/* several attribute conditions: any of (clause 7.3.3.17.9) */
	fc.atr_n[1] = "cni";
	fc.atr_v[1] = "3";
	fc.natr = 2;
	assert_true(m2mi_filter_match(&fc, &r));
	fc.atr_v[1] = "4";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.atr_n[1] = "disr";
	fc.atr_v[1] = "false";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.atr_n[1] = "acpi"; /* list attributes: any element */
	fc.atr_v[1] = "a2";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.atr_n[1] = "missing";
	assert_false(m2mi_filter_match(&fc, &r));
	/* rn is an attribute condition too, with wildcards */
	fc.natr = 0;
	fc.rn = "a*";
	assert_true(m2mi_filter_match(&fc, &r));
	fc.rn = "b*";
	assert_false(m2mi_filter_match(&fc, &r));
	assert_true(m2mi_wildcard_match("*", ""));
	assert_true(m2mi_wildcard_match("a**b", "ab"));
	assert_false(m2mi_wildcard_match("a*b", "a"));
	assert_false(m2mi_wildcard_match("", "a"));
}

static void test_filter_operation(void **state)
{
	m2m_filter fc;
	m2m_res r = row(M2M_TY_CNT);

	(void)state;
	fc_init(&fc);
	fc.lbl[0] = "k";
	fc.nlbl = 1;
	fc.nty = 1;
	fc.ty[0] = M2M_TY_AE;
	/* AND by default and with fo=1: the type does not match */
	assert_false(m2mi_filter_match(&fc, &r));
	fc.fo = 1;
	assert_false(m2mi_filter_match(&fc, &r));
	/* OR with fo=2 (Table 6.3.4.2.34-1) */
	fc.fo = 2;
	assert_true(m2mi_filter_match(&fc, &r));
	fc.lbl[0] = "none";
	assert_false(m2mi_filter_match(&fc, &r));
	fc.cra = "20000101T000000";
	assert_true(m2mi_filter_match(&fc, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_conditions), cmocka_unit_test(test_time_windows),
		cmocka_unit_test(test_size_and_content_type), cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_filter_operation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
