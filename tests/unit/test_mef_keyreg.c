/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF Key procedures (services/mef/mef_keyreg.c,
 * TS-0003 clause 8.3.5): registration needs a MEF Client Registration (4103), a listed target
 * retrieves the Key Value, an unlisted one gets 4004, only the source updates or de-registers,
 * malformed bodies are 4000, and the key goes when the source re-enrols.
 */
#include "mef_fixture.h"

#define KEYVAL "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KR_BODY "{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22," \
		"\"targetIDs\":[\"/cse-in\"],\"keyValue\":\"" KEYVAL "\"}}"

static void test_keyreg(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x07), *b = fx_enrolee(f, 0x08), *t = fx_target(f, FX_TARGET);
	m2m_mef_assoc *t2 = fx_target(f, "/cse-other");
	json_t *pc = NULL, *o;
	char path[96];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", KR_BODY, NULL), 4103);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg",
				"{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", KR_BODY, &pc), 2001);
	o = json_object_get(pc, "sec:mefKeyReg");
	assert_null(json_object_get(o, "keyValue"));
	assert_string_equal(json_string_value(json_object_get(o, "sourceID")), FX_EID);
	snprintf(path, sizeof(path), "mefKeyReg/%s", json_string_value(json_object_get(o, "relKeyID")));
	json_decref(pc);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "keyValue")), KEYVAL);
	json_decref(pc);
	assert_int_equal(fx_run(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, t, M2M_OP_DELETE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"SUID\":23}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"labels\":[\"l\"]}}", NULL), 2004);
	/* re-enrolment of the source: its key registrations go with the old Ke */
	assert_int_equal(fx_run(f, b, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, b, M2M_OP_CREATE, "mefKeyReg", KR_BODY, &pc), 2001);
	snprintf(path, sizeof(path), "mefKeyReg/%s",
		 json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "relKeyID")));
	json_decref(pc);
	assert_int_equal(fx_run(f, b, M2M_OP_DELETE, path, NULL, NULL), 2002);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(b);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(t2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyreg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
