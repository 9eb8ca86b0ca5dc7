/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_acp.c: <accessControlPolicy>
 * validation through the engine (invalid pv/pvs are 4000 with the parser's message), the
 * non-empty pvs rule on CREATE and UPDATE, placement, and the version bump on UPDATE.
 */
#include "cse_fixture.h"

#define PVS "{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}"

static void test_create(void **state)
{
	fx *f = *state;
	json_t *a;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"p\",\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":2,"
		  "\"acco\":[{\"actw\":[\"* * 8-17 * * 1-5 *\"]}]}]},\"pvs\":" PVS "}}");
	a = fx_attrs(f, "m2m:acp");
	assert_int_equal(json_integer_value(json_object_get(a, "ty")), 1);
	assert_non_null(json_object_get(a, "pv"));
	assert_null(json_object_get(a, "acpi"));
	/* an empty pv is allowed (it grants nothing) */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP, "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":" PVS "}}");
}

static void expect_400(fx *f, m2m_op op, const char *to, const char *pc, const char *msg)
{
	int rsc = fx_req(f, op, to, "CAdmin", op == M2M_OP_CREATE ? M2M_TY_ACP : 0, pc);

	if (rsc != M2M_RSC_BAD_REQUEST || strstr(fx_dbg(f), msg) == NULL)
		fail_msg("%s: rsc %d, message '%s', want 4000 with '%s'", pc, rsc, fx_dbg(f), msg);
}

static void test_invalid(void **state)
{
	fx *f = *state;

	fx_auth(f);
	expect_400(f, M2M_OP_CREATE, "cse-in", "{\"m2m:acp\":{\"pv\":{\"acr\":[]}}}", "pvs is mandatory");
	expect_400(f, M2M_OP_CREATE, "cse-in", "{\"m2m:acp\":{\"pvs\":" PVS "}}", "pv is mandatory");
	expect_400(f, M2M_OP_CREATE, "cse-in", "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[]}}}",
		   "pvs must contain at least one rule");
	expect_400(f, M2M_OP_CREATE, "cse-in", "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acop\":2}]},\"pvs\":" PVS "}}",
		   "attribute pv: ");
	expect_400(f, M2M_OP_CREATE, "cse-in",
		   "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"actw\":[\"61 * * * * * *\"]}]}]},"
		   "\"pvs\":" PVS "}}",
		   "acr[0].acco[0].actw[0]");
	expect_400(f, M2M_OP_CREATE, "cse-in", "{\"m2m:acp\":{\"pv\":{\"acr\":[],\"x\":1},\"pvs\":" PVS "}}",
		   "attribute pv: ");
	expect_400(f, M2M_OP_CREATE, "cse-in", "{\"m2m:acp\":{\"pv\":[],\"pvs\":" PVS "}}", "pv must be an object");
	/* UPDATE: pvs never becomes empty, pv/pvs never deleted */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP, "{\"m2m:acp\":{\"rn\":\"q\",\"pv\":{\"acr\":[]},\"pvs\":" PVS "}}");
	expect_400(f, M2M_OP_UPDATE, "cse-in/q", "{\"m2m:acp\":{\"pvs\":{\"acr\":[]}}}", "at least one rule");
	expect_400(f, M2M_OP_UPDATE, "cse-in/q", "{\"m2m:acp\":{\"pvs\":null}}", "cannot be deleted");
	expect_400(f, M2M_OP_UPDATE, "cse-in/q", "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[],\"acop\":1}]}}}",
		   "attribute pv: ");
	/* an ACP lives under the CSEBase or an AE only */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_ACP,
			     "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":" PVS "}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
}

static void test_update_bumps_version(void **state)
{
	fx *f = *state;
	m2m_resstore *s = NULL;
	int64_t v1 = 0, v2 = 0;
	char ri[64];
	int ty = 0;

	fx_auth(f);
	snprintf(ri, sizeof(ri), "%s",
		 fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP, "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":" PVS "}}"));
	assert_int_equal(m2m_resstore_open(f->db, &s), M2M_OK);
	assert_int_equal(m2m_resstore_version(s, ri, &ty, &v1), M2M_OK);
	assert_int_equal(ty, M2M_TY_ACP);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, ri, "CAdmin", 0,
			     "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":2}]}}}"),
		   M2M_RSC_UPDATED);
	assert_int_equal(m2m_resstore_version(s, ri, &ty, &v2), M2M_OK);
	assert_true(v2 > v1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(
				 json_object_get(fx_attrs(f, "m2m:acp"), "pv"), "acr"), 0), "acop")), 2);
	m2m_resstore_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_invalid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_bumps_version, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
