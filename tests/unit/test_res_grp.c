/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_grp.c: <group> members (dedup, mnm,
 * member type per consistencyStrategy), group resource IDs in accessControlOriginators, and
 * deleted members leaving memberIDs in the DELETE itself (TS-0004 clause 7.4.13).
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
		  "{\"m2m:grp\":{\"rn\":\"g\",\"mt\":2,\"mnm\":10,\"mid\":[\"Cm1\",\"cse-in/m2\",\"Cm1\",\"cse-in/c\"],\"gn\":\"x\"}}");
	a = fx_attrs(f, "m2m:grp");
	assert_int_equal(json_array_size(json_object_get(a, "mid")), 2); /* duplicate and container dropped */
	assert_int_equal(json_integer_value(json_object_get(a, "cnm")), 2);
	assert_true(json_is_true(json_object_get(a, "mtv")));
	/* SET_MIXED keeps the container and turns the group mixed */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mt\":2,\"mnm\":9,\"csy\":3,\"mid\":[\"Cm1\",\"cse-in/c\"]}}");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "mt")), 0);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "cnm")), 2);
	/* ABANDON_GROUP refuses */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP,
			     "{\"m2m:grp\":{\"mt\":2,\"mnm\":9,\"csy\":2,\"mid\":[\"cse-in/c\"]}}"),
		   M2M_RSC_GROUP_MEMBER_TYPE_INCONSISTENT);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mt\":2,\"mnm\":9,\"csy\":4,\"mid\":[]}}"),
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
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mnm\":3}}"),
		   M2M_RSC_BAD_REQUEST); /* mid is mandatory */
}

/* TS-0004 7.4.13.2.1: a sub-group's fanOutPoint stands for the sub-group's memberType; what
 * cannot be checked here leaves memberTypeValidated false. */
static void test_subgroup_type(void **state)
{
	fx *f = *state;
	json_t *a;

	fx_plain(f);
	fx_ae(f, "Cm1", "m1");
	fx_ae(f, "Cx", "x");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"rn\":\"aes\",\"mt\":2,\"mnm\":5,\"mid\":[\"Cm1\"]}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"rn\":\"cnts\",\"mt\":3,\"mnm\":5,\"mid\":[]}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"top\",\"mt\":2,\"mnm\":5,"
		  "\"mid\":[\"cse-in/aes/fopt\",\"cse-in/cnts/fopt\",\"cse-in/aes\"]}}");
	a = fx_attrs(f, "m2m:grp");
	assert_int_equal(json_array_size(json_object_get(a, "mid")), 1); /* cnts: type 3; aes itself: type 9 */
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "mid"), 0)), "cse-in/aes/fopt");
	assert_true(json_is_true(json_object_get(a, "mtv")));
	/* a member on another CSE cannot be validated here: kept, mtv false */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"far\",\"mt\":2,\"mnm\":5,\"mid\":[\"/id-other/Cq\",\"Cm1\"]}}");
	assert_int_equal(json_array_size(json_object_get(fx_attrs(f, "m2m:grp"), "mid")), 2);
	assert_true(json_is_false(json_object_get(fx_attrs(f, "m2m:grp"), "mtv")));
	/* an Originator that may not retrieve the sub-group: RECEIVER_HAS_NO_PRIVILEGE */
	fx_bound(f, "Cx");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/x", "Cx", M2M_TY_GRP,
			     "{\"m2m:grp\":{\"mt\":2,\"mnm\":5,\"mid\":[\"cse-in/aes/fopt\"]}}"),
		   M2M_RSC_RECEIVER_HAS_NO_PRIVILEGE);
	/* MIXED: nothing to retrieve, nothing refused */
	fx_create(f, "cse-in/x", "Cx", M2M_TY_GRP, "{\"m2m:grp\":{\"mnm\":5,\"mid\":[\"cse-in/aes/fopt\"]}}");
	assert_true(json_is_true(json_object_get(fx_attrs(f, "m2m:grp"), "mtv")));
	/* a list far beyond the cap is refused before deduplication */
	{
		char *big = malloc(64 + 4 * M2MI_GRP_MAX_MEMBERS * 6 + 16), *p = big;
		p += sprintf(p, "{\"m2m:grp\":{\"mnm\":5,\"mid\":[");
		for (int i = 0; i <= 4 * M2MI_GRP_MAX_MEMBERS; i++)
			p += sprintf(p, "%s\"a\"", i ? "," : "");
		sprintf(p, "]}}");
		fx_plain(f);
		assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, big),
			   M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED);
		free(big);
	}
}

/* TS-0004 Table 7.4.13.1-3: memberType optional (default MIXED, 0), maxNrOfMembers mandatory. */
static void test_optionality(void **state)
{
	fx *f = *state;
	char mid[1200 * 12], *p = mid;

	fx_plain(f);
	fx_ae(f, "Cm1", "m1");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"mid\":[\"Cm1\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_true(strstr(fx_dbg(f), "mnm") != NULL);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP,
			     "{\"m2m:grp\":{\"mnm\":null,\"mid\":[\"Cm1\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"mixed\",\"mnm\":5,\"mid\":[\"Cm1\",\"cse-in/c\"]}}");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "mt")), 0);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:grp"), "cnm")), 2); /* mixed keeps both */
	/* mnm cannot be removed by an UPDATE */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/mixed", "CAdmin", 0, "{\"m2m:grp\":{\"mnm\":null}}"),
		   M2M_RSC_BAD_REQUEST);
	/* whatever mnm says, this CSE's cap holds */
	p += snprintf(p, sizeof(mid), "{\"m2m:grp\":{\"mnm\":5000,\"mid\":[");
	for (int i = 0; i <= M2MI_GRP_MAX_MEMBERS; i++)
		p += snprintf(p, sizeof(mid) - (size_t)(p - mid), "%s\"x%d\"", i ? "," : "", i);
	snprintf(p, sizeof(mid) - (size_t)(p - mid), "]}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP, mid), M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED);
}

/* The group of the last reply: its mid as one string "a,b,..." and its cnm. */
static void grp_now(fx *f, const char *path, char *mids, size_t cap, json_int_t *cnm)
{
	json_t *a, *e;
	size_t i;

	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, path, "CAdmin", 0, NULL), M2M_RSC_OK);
	a = fx_attrs(f, "m2m:grp");
	mids[0] = '\0';
	json_array_foreach(json_object_get(a, "mid"), i, e)
		snprintf(mids + strlen(mids), cap - strlen(mids), "%s%s", i ? "," : "", json_string_value(e));
	*cnm = json_integer_value(json_object_get(a, "cnm"));
}

/* TS-0004 7.4.13: a member deleted here leaves mid (cnm follows) in the DELETE's transaction,
 * whichever ID form names it; a subtree delete prunes every member in it; a group inside the
 * deleted subtree is not updated; a member dropped by an UPDATE is no longer pruned. */
static void test_prune_on_delete(void **state)
{
	fx *f = *state;
	char mids[512], ri_a[64], lt[M2M_RES_TIME_LEN];
	json_int_t cnm;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"a\"}}");
	snprintf(ri_a, sizeof(ri_a), "%s", fx_str(f, "m2m:cnt", "ri"));
	fx_ae(f, "Cm1", "p");
	fx_create(f, "cse-in/p", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"b\"}}");
	fx_create(f, "cse-in/p/b", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"k\"}}");
	{
		char pc[512];

		snprintf(pc, sizeof(pc),
			 "{\"m2m:grp\":{\"rn\":\"g\",\"mnm\":9,\"mid\":[\"%s\",\"/id-in/cse-in/p/b\",\"cse-in/p/b/c\","
			 "\"cse-in/k\",\"/id-other/Cq\"]}}", ri_a);
		fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, pc);
	}
	fx_create(f, "cse-in/p", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"rn\":\"in\",\"mnm\":9,\"mid\":[\"cse-in/p/b\"]}}");
	snprintf(lt, sizeof(lt), "%s", fx_str(f, "m2m:grp", "lt"));
	/* by resourceID */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/a", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	grp_now(f, "cse-in/g", mids, sizeof(mids), &cnm);
	assert_string_equal(mids, "/id-in/cse-in/p/b,cse-in/p/b/c,cse-in/k,/id-other/Cq");
	assert_int_equal(cnm, 4);
	/* a subtree: SP-relative and structured members at once, the group inside it untouched */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/p", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	grp_now(f, "cse-in/g", mids, sizeof(mids), &cnm);
	assert_string_equal(mids, "cse-in/k,/id-other/Cq");
	assert_int_equal(cnm, 2);
	/* an UPDATE re-indexes: k left the group, so deleting k changes nothing there */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/g", "CAdmin", 0, "{\"m2m:grp\":{\"mid\":[\"/id-other/Cq\"]}}"),
		   M2M_RSC_UPDATED);
	snprintf(lt, sizeof(lt), "%s", fx_str(f, "m2m:grp", "lt"));
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/k", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	grp_now(f, "cse-in/g", mids, sizeof(mids), &cnm);
	assert_string_equal(mids, "/id-other/Cq");
	assert_int_equal(cnm, 1);
	assert_string_equal(fx_str(f, "m2m:grp", "lt"), lt);
	/* an instance evicted by mni leaves its groups too */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"q\",\"mni\":1}}");
	fx_create(f, "cse-in/q", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i1\",\"con\":\"x\"}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"gi\",\"mnm\":9,\"mid\":[\"cse-in/q/i1\",\"cse-in/q\"]}}");
	fx_create(f, "cse-in/q", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i2\",\"con\":\"y\"}}");
	grp_now(f, "cse-in/gi", mids, sizeof(mids), &cnm);
	assert_string_equal(mids, "cse-in/q");
	assert_int_equal(cnm, 1);
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
			   "{\"m2m:grp\":{\"rn\":\"team\",\"mt\":2,\"mnm\":5,\"mid\":[\"cse-in/m1\",\"/id-in/Cm2\"]}}"));
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
		cmocka_unit_test_setup_teardown(test_optionality, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_subgroup_type, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_prune_on_delete, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
