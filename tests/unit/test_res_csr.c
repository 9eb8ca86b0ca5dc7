/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_csr.c: <remoteCSE> registration
 * through the engine (TS-0004 clause 7.4.4.2.1): the CSE-ID credential check (4107), an AE-ID
 * From (4005), a From other than the bound CSE (4106), csi set from From, a second registration
 * (4117), placement under the CSEBase only (4108).
 */
#include "cse_fixture.h"

#define CSR(extra) "{\"m2m:csr\":{\"cb\":\"/id-mn/cse-mn\",\"rr\":true,\"srv\":[\"3\"]" extra "}}"

static void test_register(void **state)
{
	fx *f = *state;
	json_t *a;

	fx_auth(f); /* an association bound to each request's From, CSE-IDs as CSEs */
	fx_create(f, "cse-in", "/id-mn", M2M_TY_CSR, CSR(""));
	a = fx_attrs(f, "m2m:csr");
	assert_string_equal(json_string_value(json_object_get(a, "csi")), "/id-mn");
	assert_string_equal(json_string_value(json_object_get(a, "ri")), "id-mn");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-mn", M2M_TY_CSR, CSR(",\"rn\":\"again\"")),
		   M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-mn2", M2M_TY_CSR, CSR(",\"csi\":\"/id-x\"")),
		   M2M_RSC_BAD_REQUEST);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "/id-mn2", M2M_TY_CSR, CSR("")),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
}

static void test_refusals(void **state)
{
	fx *f = *state;

	/* the Registrar's <remoteCSE> needs a Registrar (test_54_forwarding.py: the real one) */
	assert_int_equal(m2m_cse_add_registrar(f->cse, f->now), M2M_E_INVAL);
	assert_int_equal(m2m_cse_add_registrar(NULL, f->now), M2M_E_INVAL);

	fx_plain(f); /* no association: 4107 */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-mn", M2M_TY_CSR, CSR("")),
		   M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	fx_bound(f, "Cae"); /* an AE's association, CSE-ID From: 4107 */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-mn", M2M_TY_CSR, CSR("")),
		   M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	fx_bound(f, "/id-mn"); /* a CSE's association ... */
	f->sa.entity = M2M_ENTITY_CSE;
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cae", M2M_TY_CSR, CSR("")), /* AE-ID From */
		   M2M_RSC_OPERATION_NOT_ALLOWED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-other", M2M_TY_CSR, CSR("")), /* another CSE */
		   M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
