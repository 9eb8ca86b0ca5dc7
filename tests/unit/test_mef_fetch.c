/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of fetchCredentials (services/mef/mef_fetch.c, TS-0003
 * clause 8.3.2.1, key of clause 10.3.7): the key matches an independent Python computation
 * (hmac.new(Ke, label + b"22" + b"cse-in.sp.example.com", sha256)); a foreign target gets the
 * answer of an unknown KeID (4004); a SUID outside 22-25 is 4103; revocation and expiry 4103;
 * a malformed path 4000; an enrolee association 4103; a From other than the
 * authenticated target 4106; the m2msec member networkAuthorized follows the operator's
 * m2m_mefstore_netauth_set (docs/procedures/mef.md "Underlying-network authorization").
 */
#include "mef_fixture.h"

#define KAT_UCSK "b0fbca607d36b4950624c868d418bc9c8a5644a35d6835952959532ac0705b1e"

static void test_fetch(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x05), *t = fx_target(f, FX_TARGET), *t2 = fx_target(f, "/cse-other");
	json_t *pc = NULL, *o;
	char path[160];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	snprintf(path, sizeof(path), "fetchCredentials/%s/22", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	o = json_object_get(pc, "sec:fetchCredRsp");
	assert_true(json_is_true(json_object_get(o, "status")));
	assert_string_equal(json_string_value(json_object_get(o, "credential")), KAT_UCSK);
	assert_string_equal(json_string_value(json_object_get(o, "enroleeID")), FX_EID);
	assert_true(json_integer_value(json_object_get(o, "lifetime")) <= 1000);
	assert_true(json_is_true(json_object_get(o, "networkAuthorized"))); /* no statement: authorized */
	json_decref(pc);
	/* the operator says the underlying network does not authorize it: the next answer says so,
	 * the credential itself is unchanged; and back */
	assert_int_equal(m2m_mefstore_netauth_set(m2m_mef_store(f->mef), FX_KPMID, false, FX_NOW), M2M_OK);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	o = json_object_get(pc, "sec:fetchCredRsp");
	assert_true(json_is_false(json_object_get(o, "networkAuthorized")));
	assert_string_equal(json_string_value(json_object_get(o, "credential")), KAT_UCSK);
	json_decref(pc);
	assert_int_equal(m2m_mefstore_netauth_set(m2m_mef_store(f->mef), FX_KPMID, true, FX_NOW), M2M_OK);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_true(json_is_true(json_object_get(json_object_get(pc, "sec:fetchCredRsp"), "networkAuthorized")));
	json_decref(pc);
	/* From naming another CSE than the authenticated one */
	assert_int_equal(fx_run_from(f, t, M2M_OP_RETRIEVE, path, "/cse-other", NULL, FX_NOW, NULL), 4106);
	assert_int_equal(fx_run_from(f, t, M2M_OP_RETRIEVE, path, "//sp.example.com/cse-in", NULL, FX_NOW, NULL), 2000);
	/* a target not provisioned for this enrolee: same as unknown */
	assert_int_equal(fx_run(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE,
				"fetchCredentials/0123456789ABCDEF0123456789ABCDEF@mef.example.com/22", NULL, NULL), 4004);
	snprintf(path, sizeof(path), "fetchCredentials/%s/40", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	snprintf(path, sizeof(path), "fetchCredentials/%s/abc", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4000);
	snprintf(path, sizeof(path), "fetchCredentials/%s/22", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	assert_int_equal(fx_run(f, t, M2M_OP_DELETE, path, NULL, NULL), 4005);
	/* revocation removes every key derived from Ke: the KeID is unknown afterwards */
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(t2);
	fx_free(f);
}

/* Expired enrolment: 4103 "enrolment expired"; re-enrolment: the old KeID is unknown (4004). */
static void test_fetch_expired_and_reenrolled(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x05), *b = fx_enrolee(f, 0x06), *t = fx_target(f, FX_TARGET);
	m2m_request req;
	m2m_response rsp;
	json_t *pc = NULL;
	char path[160], path_b[160];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	snprintf(path, sizeof(path), "fetchCredentials/%s/22", m2m_mef_assoc_keid(a));
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_RETRIEVE;
	req.to = strdup(path);
	m2m_mef_handle(f->w, t, &req, &rsp, FX_NOW + 1000); /* the Enrolment Expiry itself */
	assert_int_equal(rsp.rsc, 4103);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rsp.pc, "sec:fetchCredRsp"), "errorString")),
			    "enrolment expired");
	assert_true(json_is_false(json_object_get(json_object_get(rsp.pc, "sec:fetchCredRsp"), "status")));
	m2m_response_clear(&rsp);
	m2m_response_init(&rsp);
	m2m_mef_handle(f->w, t, &req, &rsp, FX_NOW + 999); /* the last valid second: lifetime 1 */
	assert_int_equal(rsp.rsc, 2000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rsp.pc, "sec:fetchCredRsp"), "lifetime")), 1);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	/* re-enrolment in a new session: the old KeID stops working, the new one works */
	assert_int_equal(fx_run(f, b, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 4004);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:fetchCredRsp"), "errorString")),
			    "unknown KeID");
	json_decref(pc);
	snprintf(path_b, sizeof(path_b), "fetchCredentials/%s/23", m2m_mef_assoc_keid(b));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path_b, NULL, NULL), 2000);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(b);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_fetch_expired_and_reenrolled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
