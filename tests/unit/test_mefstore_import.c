/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF store's batch import (store/mefstore_import.c,
 * TS-0003 clause 8.3.2.1 bootstrap configuration): good rows kept, bad rows reported, re-run
 * idempotent; also listing without key bytes and certificate enrolees.
 */
#include "mef_fixture.h"

static m2m_err count_rows(const m2m_mef_enrolee *e, void *arg)
{
	(*(int *)arg)++;
	assert_non_null(e->client_id);
	return M2M_OK;
}

static m2m_err report(size_t i, m2m_err r, m2m_mef_add_result res, void *arg)
{
	int *codes = arg;

	codes[i] = r == M2M_OK ? (int)res : r;
	return M2M_OK;
}

static void test_import(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	uint8_t kb[32];
	m2m_key *k = NULL;
	m2m_mef_enrolee rows[3] = {
		{.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "a@mef.example.com", .enrolee_id = "Ca",
		 .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 100},
		{.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "b@mef.example.com", .enrolee_id = "not an id/",
		 .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 100},
		{.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = FX_KPMID, .enrolee_id = "Cchanged",
		 .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 100},
	};
	const m2m_key *kpms[3];
	int codes[3], n = 0;
	size_t added, unchanged, failed;
	m2m_mef_enrolee *got = NULL;

	(void)state;
	memset(kb, 0x55, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	kpms[0] = kpms[1] = kpms[2] = k;
	assert_int_equal(m2m_mefstore_enrolee_import(st, rows, kpms, 3, FX_NOW, report, codes, &added, &unchanged,
						     &failed), M2M_OK);
	assert_int_equal(codes[0], M2M_MEF_ADDED);
	assert_true(codes[1] < 0);
	assert_int_equal(codes[2], M2M_E_EXISTS);
	assert_int_equal(added, 1);
	assert_int_equal(failed, 2);
	assert_int_equal(m2m_mefstore_enrolee_import(st, rows, kpms, 1, FX_NOW, report, codes, &added, &unchanged,
						     &failed), M2M_OK);
	assert_int_equal(codes[0], M2M_MEF_UNCHANGED);
	assert_int_equal(unchanged, 1);
	/* the batch file run again 90 s later: expiry_days gives the same lifetime from a later now
	 * (the CLI computes now + days): unchanged, and the first run's expiry stays */
	rows[0].expiry += 90;
	assert_int_equal(m2m_mefstore_enrolee_import(st, rows, kpms, 1, FX_NOW + 90, report, codes, &added, &unchanged,
						     &failed), M2M_OK);
	assert_int_equal(codes[0], M2M_MEF_UNCHANGED);
	assert_int_equal(m2m_mefstore_enrolee_get(st, "a@mef.example.com", &got), M2M_OK);
	assert_true(got->expiry == FX_NOW + 100);
	m2m_mef_enrolee_free(got);
	/* another lifetime (a longer expiry_days) is other settings */
	rows[0].expiry += 86400;
	assert_int_equal(m2m_mefstore_enrolee_import(st, rows, kpms, 1, FX_NOW + 90, report, codes, &added, &unchanged,
						     &failed), M2M_OK);
	assert_int_equal(codes[0], M2M_E_EXISTS);
	assert_int_equal(m2m_mefstore_enrolee_list(st, count_rows, &n), M2M_OK);
	assert_int_equal(n, 2);
	m2m_key_free(k);
	fx_free(f);
}

static void test_cert_enrolee(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_CERT, .client_id = "Ccert1", .enrolee_id = "Ccert1",
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_sa sa = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_AE};
	m2m_mef_assoc *a = NULL;
	uint8_t mat[48];
	m2m_key *ke = NULL;

	(void)state;
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f->mef), &e, NULL, FX_NOW, NULL), M2M_OK);
	memset(mat, 0x66, sizeof(mat));
	assert_int_equal(m2m_kdf_exporter_split(mat, "mef.example.com", &ke, NULL, 0), M2M_OK);
	snprintf(sa.bound_id, sizeof(sa.bound_id), "Ccert1");
	assert_int_equal(m2m_mef_assoc_new(f->mef, &sa, ke, NULL, &a), M2M_OK);
	assert_int_equal(m2m_mef_assoc_peer(a), M2M_MEF_PEER_ENROLEE);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	m2m_mef_assoc_free(a);
	/* an unregistered certificate identity is neither enrolee nor (not a CSE) target */
	snprintf(sa.bound_id, sizeof(sa.bound_id), "Cstranger");
	assert_int_equal(m2m_mef_assoc_new(f->mef, &sa, ke, NULL, &a), M2M_OK);
	assert_int_equal(m2m_mef_assoc_peer(a), M2M_MEF_PEER_NONE);
	m2m_mef_assoc_free(a);
	m2m_key_free(ke);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_cert_enrolee),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
