/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_enrolee.c (TS-0003 clause 8.3.2.1
 * bootstrap configuration): idempotent add, conflicting add, rotate, fleet group lookup and a
 * revoked tombstone for a group member, and the refusals the CLI relies on. They run on SQLite
 * and again on PostgreSQL (ctest's ".pg" pass, tests/unit/pg_fixture.h).
 */
#include "mef_fixture.h"

static void test_store(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	uint8_t kb[32];
	m2m_key *k = NULL, *got = NULL;
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = FX_KPMID, .enrolee_id = FX_EID,
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_mef_group g = {.group_id = "batch1", .kpm_prefix = "fleet-", .enrolee_tmpl = "Cfleet-{id}",
			   .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_mef_enrolee *info = NULL;
	m2m_mef_add_result res;

	(void)state;
	memset(kb, 0x11, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, &res), M2M_OK);
	assert_int_equal(res, M2M_MEF_UNCHANGED);
	e.enrolee_id = "Cother";
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, &res), M2M_E_EXISTS);
	m2m_key_free(k);
	memset(kb, 0x33, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_rotate(st, FX_KPMID, k, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, FX_KPMID, FX_NOW, &got, NULL), M2M_OK);
	assert_true(m2m_key_equal(k, got));
	m2m_key_free(got);
	assert_int_equal(m2m_mefstore_group_add(st, &g, k, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "fleet-42@mef.example.com", FX_NOW, &got, &info), M2M_OK);
	assert_string_equal(info->enrolee_id, "Cfleet-42");
	m2m_mef_enrolee_free(info);
	m2m_key_free(got);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "fleet-43@mef.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "fleet-43@mef.example.com", FX_NOW, &got, NULL), M2M_E_KEY_REVOKED);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "none@mef.example.com", FX_NOW, &got, NULL), M2M_E_NOT_FOUND);
	/* a KpmID's FQDN part is case-insensitive, its relative part is not */
	e.client_id = "Dev2@MEF.Example.COM";
	e.enrolee_id = "Cdev2";
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, &res), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "Dev2@mef.example.com", FX_NOW, &got, &info), M2M_OK);
	assert_string_equal(info->client_id, "Dev2@mef.example.com");
	m2m_mef_enrolee_free(info);
	m2m_key_free(got);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "dev2@mef.example.com", FX_NOW, &got, NULL), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "Dev2@MEF.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "Dev2@mef.example.com", FX_NOW, &got, NULL), M2M_E_KEY_REVOKED);
	m2m_key_free(k);
	fx_free(f);
}

/* Refusals of the library functions the CLI calls, each with its exact error. */
static void test_refusals(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	uint8_t kb[32];
	m2m_key *k = NULL, *short_k = NULL;
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "x@mef.example.com", .enrolee_id = "Cx",
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 10};

	(void)state;
	memset(kb, 0x21, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_key_new(kb, 16, &short_k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "nobody@mef.example.com", FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_enrolee_rotate(st, "nobody@mef.example.com", k, FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, short_k, FX_NOW, NULL), M2M_E_KEY_LEN);
	e.expiry = FX_NOW;
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_RANGE);
	e.expiry = FX_NOW + 10;
	e.client_id = "no-at-sign";
	assert_true(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL) < 0);
	e.client_id = "x@mef.example.com";
	e.targets[0] = "Cnot-a-cse";
	assert_true(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL) < 0);
	e.targets[0] = FX_TARGET;
	e.allowed = "*";
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_INVAL);
	e.allowed = NULL;
	e.flavour = M2M_MEF_FLAVOUR_CERT;
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_INVAL);
	e.flavour = M2M_MEF_FLAVOUR_KPM;
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "x@mef.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "x@mef.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_rotate(st, "x@mef.example.com", k, FX_NOW), M2M_E_KEY_REVOKED);
	/* re-adding a revoked enrolee is a conflict, not a silent revival */
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_EXISTS);
	m2m_key_free(k);
	m2m_key_free(short_k);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
