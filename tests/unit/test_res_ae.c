/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_ae.c: <AE> registration (AE-ID
 * assignment with C/S stems, 4117 on a duplicate, binding to the association's identity),
 * App-ID rules, the AE as its own creator, update and deregistration.
 */
#include "cse_fixture.h"

#define AE_PC "{\"m2m:ae\":{\"api\":\"Nmyapp\",\"rr\":false,\"srv\":[\"3\"]}}"

static void test_assignment(void **state)
{
	fx *f = *state;
	char aei[64];
	json_t *a;

	fx_auth(f);
	/* From absent: a fresh C-stem */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", NULL, M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	a = fx_attrs(f, "m2m:ae");
	assert_non_null(json_string_value(json_object_get(a, "aei")));
	snprintf(aei, sizeof(aei), "%s", json_string_value(json_object_get(a, "aei")));
	assert_int_equal(aei[0], 'C');
	assert_int_equal(strlen(aei), 17);
	assert_string_equal(json_string_value(json_object_get(a, "ri")), aei);
	assert_string_equal(json_string_value(json_object_get(a, "rn")), aei);
	assert_string_equal(f->rsp.location, aei);
	/* "C" and "S" ask for a stem of that class */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "C", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	assert_int_equal(fx_str(f, "m2m:ae", "aei")[0], 'C');
	assert_string_not_equal(fx_str(f, "m2m:ae", "aei"), aei);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "S", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	assert_int_equal(fx_str(f, "m2m:ae", "aei")[0], 'S');
	/* a named stem */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cmine", M2M_TY_AE,
			     "{\"m2m:ae\":{\"rn\":\"mine\",\"api\":\"Rmyapp\",\"rr\":true,\"srv\":[\"3\"],"
			     "\"poa\":[\"http://127.0.0.1:9\"]}}"),
		   M2M_RSC_CREATED);
	assert_string_equal(fx_str(f, "m2m:ae", "aei"), "Cmine");
	assert_string_equal(f->rsp.location, "Cmine");
	/* registered twice */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cmine", M2M_TY_AE, AE_PC),
		   M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED);
	/* other From forms are not AE-ID-Stems */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-in/Cx", M2M_TY_AE, AE_PC), M2M_RSC_BAD_REQUEST);
}

static void test_binding(void **state)
{
	fx *f = *state;

	/* over an association bound to Cdev1: From absent receives the bound AE-ID */
	fx_bound(f, "Cdev1");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", NULL, M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	assert_string_equal(fx_str(f, "m2m:ae", "aei"), "Cdev1");
	/* a second registration of the same identity */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev1", M2M_TY_AE, AE_PC),
		   M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED);
	/* a different stem than the bound identity */
	fx_bound(f, "Cdev2");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev3", M2M_TY_AE, AE_PC),
		   M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	/* asking for an S-stem while bound to a C-stem */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "S", M2M_TY_AE, AE_PC), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "C", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	assert_string_equal(fx_str(f, "m2m:ae", "aei"), "Cdev2");
	/* SP-relative bound identity of this CSE */
	fx_bound(f, "/id-in/Cdev4");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev4", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	/* an association bound to a CSE cannot register an AE */
	fx_bound(f, "/id-mn");
	f->sa.entity = M2M_ENTITY_CSE;
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", NULL, M2M_TY_AE, AE_PC), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	/* an association that only knows the Credential-ID: From decides, no binding */
	fx_bound(f, "");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cfree", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	/* ... but that is no claim to the AE-ID: the association bound to Cfree takes it over, and
	 * the credential-only one cannot take it back (issue 6: squatting a bound AE-ID) */
	fx_bound(f, "Cfree");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cfree", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "Cfree", "Cfree", 0, NULL), M2M_RSC_OK);
	fx_bound(f, "");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cfree", M2M_TY_AE, AE_PC),
		   M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED);
}

static void test_attributes(void **state)
{
	fx *f = *state;

	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cx1", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"app\",\"rr\":true,\"srv\":[\"3\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cx1", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"Napp\",\"rr\":true,\"srv\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cx1", M2M_TY_AE, "{\"m2m:ae\":{\"api\":\"Napp\",\"rr\":true}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cx1", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"Napp\",\"rr\":true,\"srv\":[\"3\"],\"aei\":\"Cx9\"}}"),
		   M2M_RSC_BAD_REQUEST);
	fx_ae(f, "Cx1", "x1");
	/* an AE registers with the CSEBase only */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/x1", "Cx2", M2M_TY_AE, AE_PC),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	/* the AE is its own creator: it may use and update its resource */
	fx_create(f, "cse-in/x1", "Cx1", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "Cx1", "Cx1", 0, "{\"m2m:ae\":{\"apn\":\"name\",\"rr\":false}}"),
		   M2M_RSC_UPDATED);
	assert_string_equal(fx_str(f, "m2m:ae", "apn"), "name");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "Cx1", "Cx1", 0, "{\"m2m:ae\":{\"api\":\"Nother\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "Cx1", "Cx1", 0, "{\"m2m:ae\":{\"srv\":null}}"), M2M_RSC_BAD_REQUEST);
	/* another AE may not */
	fx_ae(f, "Cx2", "x2");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/x1", "Cx2", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* deregistration removes the subtree; the AE-ID is free again */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/x1", "Cx1", 0, NULL), M2M_RSC_DELETED);
	assert_null(f->rsp.pc);
	assert_int_equal(fx_rows(f, "Cx1"), 0);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/x1/data", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	fx_ae(f, "Cx1", "x1");
}

/* Without a security association (plain HTTP) only a CSE-assigned AE-ID can be registered: an
 * AE-ID of choice could be one a credential is bound to, whose holder would then get 4117 (issue
 * 6). The authenticated holder of an AE-ID replaces a registration made without authentication. */
static void test_plain_registration(void **state)
{
	fx *f = *state;
	char aei[64];

	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev1", M2M_TY_AE, AE_PC), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Sdev1", M2M_TY_AE, AE_PC), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_int_equal(fx_rows(f, "Cdev1"), 0);
	/* the holder of the credential bound to Cdev1 registers normally */
	fx_bound(f, "Cdev1");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev1", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	/* a CSE-assigned AE-ID is fine over plain HTTP, but confers no creator rights */
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "C", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	snprintf(aei, sizeof(aei), "%s", fx_str(f, "m2m:ae", "aei"));
	assert_true(aei[0] == 'C' && strlen(aei) == 17);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, aei, aei, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* an authenticated holder of that AE-ID later takes it over instead of getting 4117 */
	fx_bound(f, aei);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", aei, M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, aei, aei, 0, NULL), M2M_RSC_OK);
	/* and an authenticated registration is never taken over */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", aei, M2M_TY_AE, AE_PC),
		   M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED);
	/* the admin over plain HTTP (dev-admin-over-plain-http) still registers its own AE-ID */
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_AE, AE_PC), M2M_RSC_CREATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assignment, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_binding, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_attributes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plain_registration, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
