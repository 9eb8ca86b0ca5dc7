/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_grp.c: <group> members (dedup, mnm,
 * member type per consistencyStrategy) and group resource IDs in accessControlOriginators.
 */
#include "cse_fixture.h"

static void test_members(void **state)
{
	fx *f = *state;
	json_t *a;

	fx_auth(f);
	fx_ae(f, "Cm1", "m1");
	fx_ae(f, "Cm2", "m2");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"g\",\"mt\":2,\"mid\":[\"Cm1\",\"cse-in/m2\",\"Cm1\",\"cse-in/c\"],\"gn\":\"x\"}}");
	a = fx_attrs(f, "m2m:grp");
	assert_int_equal(json_array_size(json_object_get(a, "mid")), 2); /* duplicate and container dropped */
	assert_int_equal(json_integer_value(json_object_get(a, "cnm")), 2);
	assert_true(json_is_true(json_object_get(a, "mtv")));
	/* SET_MIXED keeps the container and turns the group mixed */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mt\":2,\"csy\":3,\"mid\":[\"Cm1\",\"cse-in/c\"]}}");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "mt")), 0);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "cnm")), 2);
	/* ABANDON_GROUP refuses */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP,
			     "{\"m2m:grp\":{\"mt\":2,\"csy\":2,\"mid\":[\"cse-in/c\"]}}"),
		   M2M_RSC_GROUP_MEMBER_TYPE_INCONSISTENT);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mt\":2,\"csy\":4,\"mid\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	/* maxNrOfMembers */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP,
			     "{\"m2m:grp\":{\"mt\":2,\"mnm\":1,\"mid\":[\"Cm1\",\"Cm2\"]}}"),
		   M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/g", "CAdmin", 0, "{\"m2m:grp\":{\"mnm\":1}}"),
		   M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/g", "CAdmin", 0, "{\"m2m:grp\":{\"mid\":[\"Cm2\"]}}"),
		   M2M_RSC_UPDATED);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "cnm")), 1);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/g", "CAdmin", 0, "{\"m2m:grp\":{\"mt\":3}}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mid\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
}

static void test_group_in_acor(void **state)
{
	fx *f = *state;
	char grp[64], pc[512];

	fx_auth(f);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Cm1", "m1");
	fx_ae(f, "Cm2", "m2");
	fx_ae(f, "Cout", "out");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\"}}");
	/* members by AE-ID, by structured resource ID and by SP-relative AE-ID */
	snprintf(grp, sizeof(grp), "%s",
		 fx_create(f, "cse-in/own", "Cown", M2M_TY_GRP,
			   "{\"m2m:grp\":{\"rn\":\"team\",\"mt\":2,\"mid\":[\"cse-in/m1\",\"/id-in/Cm2\"]}}"));
	snprintf(pc, sizeof(pc),
		 "{\"m2m:acp\":{\"rn\":\"ga\",\"pv\":{\"acr\":[{\"acor\":[\"%s\"],\"acop\":2}]},"
		 "\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}",
		 grp);
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP, pc);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Cown", 0,
			     "{\"m2m:cnt\":{\"acpi\":[\"cse-in/own/ga\"]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cm1", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cm2", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cout", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Cm1", 0, "{\"m2m:cnt\":{\"lbl\":[]}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* membership changes take effect at once; a deleted group grants nothing */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, grp, "Cown", 0, "{\"m2m:grp\":{\"mid\":[\"Cout\"]}}"), M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cm1", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cout", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, grp, "Cown", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cout", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_members, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_group_in_acor, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
