/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_cin.c: <contentInstance> creation
 * (cs computed, st, mia), no UPDATE, the virtual la/ol children for RETRIEVE and DELETE, and
 * disableRetrieval.
 */
#include "cse_fixture.h"

static void test_create_and_size(void **state)
{
	fx *f = *state;
	json_t *a;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN,
		  "{\"m2m:cin\":{\"rn\":\"i1\",\"cnf\":\"text/plain:0\",\"con\":\"h\\u00e9llo\"}}");
	a = fx_attrs(f, "m2m:cin");
	assert_int_equal(json_integer_value(json_object_get(a, "cs")), 6); /* UTF-8 bytes */
	assert_int_equal(json_integer_value(json_object_get(a, "ty")), 4);
	assert_null(json_object_get(a, "acpi"));
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":{\"t\":21.5}}}");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cin"), "cs")), 10);
	/* no acpi on a contentInstance, content mandatory, cs read-only */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\",\"acpi\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"cnf\":\"a\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\",\"cs\":1}}"),
		   M2M_RSC_BAD_REQUEST);
	/* never updated */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c/i1", "CAdmin", 0, "{\"m2m:cin\":{\"con\":\"y\"}}"),
		   M2M_RSC_OPERATION_NOT_ALLOWED);
	/* a contentInstance has no children */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c/i1", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
}

static void test_latest_oldest(void **state)
{
	fx *f = *state;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/la", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/ol", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	for (int i = 1; i <= 3; i++) {
		char pc[64];
		snprintf(pc, sizeof(pc), "{\"m2m:cin\":{\"con\":\"v%d\"}}", i);
		fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, pc);
	}
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/la", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "v3");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/ol", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "v1");
	/* the same through the unstructured ID of the container */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	{
		char to[128];
		snprintf(to, sizeof(to), "/id-in/%s/la", fx_str(f, "m2m:cnt", "ri"));
		assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, to, "CAdmin", 0, NULL), M2M_RSC_OK);
		assert_string_equal(fx_str(f, "m2m:cin", "con"), "v3");
	}
	/* DELETE of la / ol removes that instance */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/c/ol", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/c/la", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/la", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "v2");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 1);
	/* la/ol cannot be created under or updated */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c/la", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}"),
		   M2M_RSC_OPERATION_NOT_ALLOWED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c/ol", "CAdmin", 0, "{\"m2m:cin\":{\"con\":\"x\"}}"),
		   M2M_RSC_OPERATION_NOT_ALLOWED);
	/* la of something that is no container */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/la", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
}

static void test_disable_retrieval_and_mia(void **state)
{
	fx *f = *state;
	char lim[M2M_RES_TIME_LEN];

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"d\",\"disr\":true,\"mia\":60}}");
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"x\",\"con\":\"secret\"}}");
	m2mi_time_fmt(f->now + 60, lim);
	assert_string_equal(fx_str(f, "m2m:cin", "et"), lim);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/d/x", "CAdmin", 0, NULL), M2M_RSC_OPERATION_NOT_ALLOWED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/d/la", "CAdmin", 0, NULL), M2M_RSC_OPERATION_NOT_ALLOWED);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/d/x", "CAdmin", 0, NULL), M2M_RSC_OPERATION_NOT_ALLOWED);
	/* TS-0001 Table 9.6.6-2: TRUE -> FALSE deletes every existing instance, so what was never
	 * retrievable never becomes so (issue 6: it used to become readable) */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/d", "CAdmin", 0, "{\"m2m:cnt\":{\"disr\":false}}"),
		   M2M_RSC_UPDATED);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 0);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cbs")), 0);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/d/x", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/d/la", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	/* FALSE -> FALSE (or an UPDATE without disr) keeps them */
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"x\",\"con\":\"secret\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/d", "CAdmin", 0, "{\"m2m:cnt\":{\"disr\":false}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/d/x", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "secret");
	/* past its maxInstanceAge the instance is gone */
	f->now += 61;
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/d/x", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	f->now -= 61;
}

/* A huge maxInstanceAge saturates instead of overflowing now + mia (issue 6: UBSan abort); the
 * instance then expires with its container. */
static void test_huge_mia_saturates(void **state)
{
	fx *f = *state;
	char pc[128], et[M2M_RES_TIME_LEN];

	fx_auth(f);
	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"rn\":\"h\",\"mia\":%lld,\"mbs\":%lld}}", (long long)INT64_MAX,
		 (long long)INT64_MAX);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, pc);
	snprintf(et, sizeof(et), "%s", fx_str(f, "m2m:cnt", "et"));
	fx_create(f, "cse-in/h", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"x\",\"con\":\"v\"}}");
	assert_string_equal(fx_str(f, "m2m:cin", "et"), et); /* the container's: mia did not lower it */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/h/x", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(m2mi_sat_add(INT64_MAX, 1), INT64_MAX);
	assert_int_equal(m2mi_sat_add(INT64_MIN, -1), INT64_MIN);
	assert_int_equal(m2mi_sat_add(5, -7), -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_size, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_latest_oldest, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disable_retrieval_and_mia, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_mia_saturates, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
