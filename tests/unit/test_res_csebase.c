/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_csebase.c: the <CSEBase> created at
 * first start, its default admin ACP (admin only when authenticated, AE registration for all),
 * the attributes that may be updated, and that it cannot be deleted.
 */
#include "cse_fixture.h"

static void test_first_start(void **state)
{
	fx *f = *state;
	json_t *a, *acp;

	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	a = fx_attrs(f, "m2m:cb");
	assert_string_equal(json_string_value(json_object_get(a, "ri")), "cse-in");
	assert_string_equal(json_string_value(json_object_get(a, "rn")), "cse-in");
	assert_string_equal(json_string_value(json_object_get(a, "csi")), "/id-in");
	assert_int_equal(json_integer_value(json_object_get(a, "cst")), 1);
	assert_int_equal(json_array_size(json_object_get(a, "srt")), 12);
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "acpi"), 0)), M2MI_ADMIN_ACP);
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "poa"), 0)), "https://127.0.0.1:8443");
	assert_null(json_object_get(a, "et"));
	/* the admin ACP */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/" M2MI_ADMIN_ACP, "CAdmin", 0, NULL), M2M_RSC_OK);
	acp = fx_attrs(f, "m2m:acp");
	assert_int_equal(json_array_size(json_object_get(json_object_get(acp, "pv"), "acr")), 2);
	assert_int_equal(json_array_size(json_object_get(json_object_get(acp, "pvs"), "acr")), 1);
	/* SP-relative, absolute and "-" forms of the CSEBase */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "//m2msec.example.com/id-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "-", "CAdmin", 0, NULL), M2M_RSC_OK);
}

static void test_default_policy(void **state)
{
	fx *f = *state;

	fx_auth(f);
	fx_ae(f, "Cdev", "dev"); /* AE CREATE is open to all */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "Cdev", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev", M2M_TY_CNT, "{\"m2m:cnt\":{}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/" M2MI_ADMIN_ACP, "Cdev", 0, NULL),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* acaf: a registered AE named like the admin would still not be authenticated; the admin
	 * AE-ID is reserved anyway (test_cse) */
}

static void test_update_delete(void **state)
{
	fx *f = *state;

	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"lbl\":[\"site:a\"],\"poa\":[]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"csi\":\"/x\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"et\":\"20991231T000000\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_OPERATION_NOT_ALLOWED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(json_string_value(json_array_get(json_object_get(fx_attrs(f, "m2m:cb"), "lbl"), 0)),
			    "site:a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_start, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_default_policy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_delete, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
