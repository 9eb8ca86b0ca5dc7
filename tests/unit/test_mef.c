/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF core (services/mef/mef.c): association
 * classification, the MEF Handshake PSK resolver (TS-0003 clause 8.3.2.1) and the dispatch
 * refusals (4107 without an association, 4004 for an unknown resource).
 */
#include "mef_fixture.h"

static void test_psk_resolver(void **state)
{
	fx *f = fx_new(NULL);
	m2m_key *k = NULL;
	m2m_sa b;

	(void)state;
	assert_int_equal(m2m_mef_psk_resolve(f->mef, FX_KPMID, FX_NOW, &k, &b), M2M_OK);
	assert_int_equal(m2m_key_len(k), 32);
	assert_string_equal(b.bound_id, FX_EID);
	assert_string_equal(b.credential_id, "10-" FX_KPMID);
	m2m_key_free(k);
	/* unknown KpmID: the next resolver may try; expired: the handshake fails */
	assert_int_equal(m2m_mef_psk_resolve(f->mef, "nobody@mef.example.com", FX_NOW, &k, &b), M2M_E_NOT_FOUND);
	assert_null(k);
	assert_int_equal(m2m_mef_psk_resolve(f->mef, FX_KPMID, FX_NOW + 1000, &k, &b), M2M_E_KEY_EXPIRED);
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mef_psk_resolve(f->mef, FX_KPMID, FX_NOW, &k, &b), M2M_E_KEY_REVOKED);
	assert_null(k);
	fx_free(f);
}

static void test_classify_and_dispatch(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *e = fx_enrolee(f, 0xAB), *t = fx_target(f, FX_TARGET), *n = NULL;
	m2m_sa none = {.kind = M2M_SA_PSK};

	(void)state;
	assert_int_equal(m2m_mef_assoc_peer(e), M2M_MEF_PEER_ENROLEE);
	assert_non_null(m2m_mef_assoc_keid(e));
	assert_int_equal(m2m_mef_assoc_peer(t), M2M_MEF_PEER_TARGET);
	snprintf(none.credential_id, sizeof(none.credential_id), "10-x@mef.example.com");
	assert_int_equal(m2m_mef_assoc_new(f->mef, &none, NULL, NULL, &n), M2M_OK);
	assert_int_equal(m2m_mef_assoc_peer(n), M2M_MEF_PEER_NONE);
	assert_int_equal(fx_run(f, NULL, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4107);
	assert_int_equal(fx_run(f, n, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4107);
	assert_int_equal(fx_run(f, e, M2M_OP_RETRIEVE, "nothing", NULL, NULL), 4004);
	/* a target may not register as a MEF client */
	assert_int_equal(fx_run(f, t, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4103);
	m2m_mef_assoc_free(e);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(n);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_resolver),
		cmocka_unit_test(test_classify_and_dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
