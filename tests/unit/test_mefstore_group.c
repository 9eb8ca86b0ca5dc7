/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF store's fleet groups (store/mefstore_group.c,
 * m2msec extension to TS-0003 clause 8.3.2.1): duplicate groups refused, a member's first
 * enrolment materialising its row with the templated Enrolee-ID, and group revocation stopping
 * members that still derive their Kpm from the group key.
 */
#include "mef_fixture.h"

static void test_fleet_member_enrols(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2m_mef_group g = {.group_id = "b1", .kpm_prefix = "fl-", .enrolee_tmpl = "Cfl-{id}",
			   .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE};
	m2m_mef_enrolee *e = NULL;
	m2m_mef_assoc *a = NULL;
	uint8_t gb[32], mat[48];
	m2m_key *gk = NULL, *ke = NULL, *kpm = NULL;

	(void)state;
	memset(gb, 0x77, sizeof(gb));
	assert_int_equal(m2m_key_new(gb, 32, &gk), M2M_OK);
	assert_int_equal(m2m_mefstore_group_add(st, &g, gk, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_group_add(st, &g, gk, FX_NOW), M2M_E_EXISTS);
	m2m_key_free(gk);
	memset(mat, 0x12, sizeof(mat));
	assert_int_equal(m2m_kdf_exporter_split(mat, "mef.example.com", &ke, NULL, 0), M2M_OK);
	snprintf(sa.bound_id, sizeof(sa.bound_id), "Cfl-9");
	snprintf(sa.credential_id, sizeof(sa.credential_id), "10-fl-9@mef.example.com");
	assert_int_equal(m2m_mef_assoc_new(f->mef, &sa, ke, NULL, &a), M2M_OK);
	assert_int_equal(m2m_mef_assoc_peer(a), M2M_MEF_PEER_ENROLEE);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(m2m_mefstore_enrolee_get(st, "fl-9@mef.example.com", &e), M2M_OK);
	assert_string_equal(e->group_id, "b1");
	assert_string_equal(e->keid, m2m_key_id(ke));
	m2m_mef_enrolee_free(e);
	/* revoking the group stops members that still derive their Kpm from it */
	assert_int_equal(m2m_mefstore_group_revoke(st, "b1", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "fl-9@mef.example.com", FX_NOW, &kpm, NULL), M2M_E_KEY_REVOKED);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "fl-10@mef.example.com", FX_NOW, &kpm, NULL), M2M_E_KEY_REVOKED);
	assert_null(kpm);
	m2m_mef_assoc_free(a);
	m2m_key_free(ke);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet_member_enrols),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
