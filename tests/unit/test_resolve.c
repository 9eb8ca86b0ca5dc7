/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/resolve.c: the To forms (structured,
 * unstructured, SP-relative, absolute, "-"), other CSEs/SPs, and expiry.
 */
#include "cse_fixture.h"

static void test_forms(void **state)
{
	fx *f = *state;
	char ri[64], to[256];
	static const char *const bad[] = {
		"/id-other/cse-in", "//other.example.com/id-in/cse-in/box", "cse-in/box/", "/id-in/", "//m2msec.example.com",
		"cse-in//box", "/id-inx/box", "--/box",
	};

	fx_auth(f);
	snprintf(ri, sizeof(ri), "%s", fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"box\"}}"));
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/box", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, ri, "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "-/box", "CAdmin", 0, NULL), M2M_RSC_OK);
	snprintf(to, sizeof(to), "/id-in/%s", ri);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, to, "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-in/cse-in/box", "CAdmin", 0, NULL), M2M_RSC_OK);
	snprintf(to, sizeof(to), "//m2msec.example.com/id-in/%s", ri);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, to, "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "//m2msec.example.com/id-in/cse-in/box", "CAdmin", 0, NULL),
		   M2M_RSC_OK);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		if (fx_req(f, M2M_OP_RETRIEVE, bad[i], "CAdmin", 0, NULL) != M2M_RSC_NOT_FOUND)
			fail_msg("%s: rsc %d", bad[i], f->rsp.rsc);
	/* CREATE through an unstructured parent ID builds the structured path */
	fx_create(f, to, "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"in\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/box/in", "CAdmin", 0, NULL), M2M_RSC_OK);
}

static void test_lookup_internal(void **state)
{
	fx *f = *state;
	m2mi_ctx c;
	m2m_res r = {0};

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"e\",\"et\":\"20990101T000000\"}}");
	memset(&c, 0, sizeof(c));
	c.cse = f->cse;
	c.cfg = &f->cse->cfg;
	c.w = f->w;
	c.st = f->w->store;
	m2mi_time_fmt(f->now, c.now_s);
	assert_int_equal(m2mi_lookup(&c, "cse-in/e", &r), M2M_OK);
	assert_int_equal(r.ty, M2M_TY_CNT);
	assert_false(m2mi_expired(&c, &r));
	m2m_res_clear(&r);
	m2mi_time_fmt(4102444800LL, c.now_s);
	assert_int_equal(m2mi_lookup(&c, "cse-in/e", &r), M2M_E_NOT_FOUND);
	assert_null(r.ri);
	assert_int_equal(m2mi_lookup(&c, NULL, &r), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_lookup(&c, "cse-in", &r), M2M_OK); /* the CSEBase never expires */
	m2m_res_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forms, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_internal, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
