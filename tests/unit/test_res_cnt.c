/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_cnt.c: <container> CRUD, the
 * counters cni/cbs and stateTag, and the mni/mbs enforcement that deletes the oldest
 * <contentInstance> resources in the same transaction (TS-0004 clause 7.4.7.2.1).
 */
#include "cse_fixture.h"

static json_int_t cnt_int(fx *f, const char *path, const char *attr)
{
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, path, "CAdmin", 0, NULL), M2M_RSC_OK);
	return json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), attr));
}

static const char *cin(fx *f, const char *cnt, const char *con)
{
	char pc[256];

	snprintf(pc, sizeof(pc), "{\"m2m:cin\":{\"con\":\"%s\"}}", con);
	return fx_create(f, cnt, "CAdmin", M2M_TY_CIN, pc);
}

static void test_crud(void **state)
{
	fx *f = *state;
	const char *ri;

	fx_auth(f);
	ri = fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT,
		       "{\"m2m:cnt\":{\"rn\":\"box\",\"mni\":10,\"mbs\":100,\"mia\":3600,\"or\":\"x\",\"lbl\":[\"k:v\"]}}");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 0);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cbs")), 0);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, ri, "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cnt", "rn"), "box");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/box", "CAdmin", 0, "{\"m2m:cnt\":{\"disr\":false}}"),
		   M2M_RSC_UPDATED);
	/* nested containers, deleted with their parent */
	fx_create(f, "cse-in/box", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"inner\"}}");
	cin(f, "cse-in/box/inner", "v");
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/box", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/box/inner", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_int_equal(fx_rows(f, ri), 0);
	/* children of a container */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c2\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c2", "CAdmin", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"]}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c2", "CAdmin", M2M_TY_ACP,
			     "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
}

static void test_counters_and_state_tag(void **state)
{
	fx *f = *state;
	const char *c1;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"k\"}}");
	cin(f, "cse-in/k", "abc");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cin"), "st")), 1);
	c1 = cin(f, "cse-in/k", "de");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cin"), "st")), 2);
	assert_int_equal(cnt_int(f, "cse-in/k", "cni"), 2);
	assert_int_equal(cnt_int(f, "cse-in/k", "cbs"), 5);
	assert_int_equal(cnt_int(f, "cse-in/k", "st"), 2);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, c1, "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_int_equal(cnt_int(f, "cse-in/k", "cni"), 1);
	assert_int_equal(cnt_int(f, "cse-in/k", "cbs"), 3);
}

static void test_mni(void **state)
{
	fx *f = *state;
	char first[64], second[64];

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"m\",\"mni\":2}}");
	snprintf(first, sizeof(first), "%s", cin(f, "cse-in/m", "1"));
	snprintf(second, sizeof(second), "%s", cin(f, "cse-in/m", "2"));
	cin(f, "cse-in/m", "3");
	assert_int_equal(cnt_int(f, "cse-in/m", "cni"), 2);
	assert_int_equal(fx_rows(f, first), 0); /* the oldest went */
	assert_int_equal(fx_rows(f, second), 1);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/m/ol", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "2");
	/* lowering mni drops the oldest at once */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/m", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":1}}"), M2M_RSC_UPDATED);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 1);
	assert_int_equal(fx_rows(f, second), 0);
	/* mni 0 keeps nothing: an instance is refused */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/m", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":0}}"), M2M_RSC_UPDATED);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 0);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/m", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}"),
		   M2M_RSC_NOT_ACCEPTABLE);
	/* removing the limit */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/m", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":null}}"), M2M_RSC_UPDATED);
	cin(f, "cse-in/m", "a");
	cin(f, "cse-in/m", "b");
	assert_int_equal(cnt_int(f, "cse-in/m", "cni"), 2);
}

static void test_mbs(void **state)
{
	fx *f = *state;
	char a[64], b[64];

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"b\",\"mbs\":10}}");
	snprintf(a, sizeof(a), "%s", cin(f, "cse-in/b", "aaaa"));
	snprintf(b, sizeof(b), "%s", cin(f, "cse-in/b", "bbbb"));
	cin(f, "cse-in/b", "cccc"); /* 12 > 10: the oldest goes */
	assert_int_equal(cnt_int(f, "cse-in/b", "cbs"), 8);
	assert_int_equal(fx_rows(f, a), 0);
	cin(f, "cse-in/b", "dddddddddd"); /* exactly mbs: everything else goes */
	assert_int_equal(cnt_int(f, "cse-in/b", "cbs"), 10);
	assert_int_equal(cnt_int(f, "cse-in/b", "cni"), 1);
	assert_int_equal(fx_rows(f, b), 0);
	/* one instance larger than mbs: NOT_ACCEPTABLE (TS-0004 7.4.7.2.1), nothing changes */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/b", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"eeeeeeeeeee\"}}"),
		   M2M_RSC_NOT_ACCEPTABLE);
	assert_int_equal(cnt_int(f, "cse-in/b", "cni"), 1);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/b/la", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "dddddddddd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crud, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_counters_and_state_tag, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mni, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mbs, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
