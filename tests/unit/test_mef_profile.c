/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF's security profile procedure
 * (services/mef/mef_profile.c; docs/procedures/mef.md "Security profile"): a target reads its
 * own profile (2000, cseID set), never another CSE's (4103), only with RETRIEVE (4005), only as
 * an Enrolment Target (4103), 4004 when none is set, 4000 when malformed.
 */
#include "mef_fixture.h"

#define PROFILE "{\"sec:secProfile\":{\"SUIDs\":[22],\"appRules\":[]}}"

static void test_own_profile_only(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *t = fx_target(f, FX_TARGET), *other = fx_target(f, "/cse-mn"), *enr = fx_enrolee(f, 0x22);
	json_t *pc = NULL;

	(void)state;
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, "securityProfile/cse-in", NULL, NULL), 4004);
	assert_int_equal(m2m_mefstore_profile_set(m2m_mef_store(f->mef), FX_TARGET, PROFILE), M2M_OK);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, "/securityProfile/cse-in", NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:secProfile"), "cseID")),
			    "/cse-in");
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(json_object_get(pc, "sec:secProfile"), "SUIDs"), 0)),
			 22);
	json_decref(pc);
	/* another CSE cannot read it, an enrolee neither */
	assert_int_equal(fx_run(f, other, M2M_OP_RETRIEVE, "securityProfile/cse-in", NULL, NULL), 4103);
	assert_int_equal(fx_run(f, enr, M2M_OP_RETRIEVE, "securityProfile/cse-in", NULL, NULL), 4103);
	/* the other CSE's own profile, not set: 4004 */
	assert_int_equal(fx_run(f, other, M2M_OP_RETRIEVE, "securityProfile/cse-mn", NULL, NULL), 4004);
	assert_int_equal(fx_run(f, t, M2M_OP_DELETE, "securityProfile/cse-in", NULL, NULL), 4005);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, "securityProfile", NULL, NULL), 4000);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, "securityProfile/cse-in/x", NULL, NULL), 4000);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(other);
	m2m_mef_assoc_free(enr);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_profile_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
