/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/mef_policy.c: the fleet Kpm against an independent
 * Python HMAC-SHA-256 (groupKey = 32 x 0x22, KpmID "dev1@mef.example.com"), the claim policy,
 * SUIDs per target kind (TS-0004 Table 6.3.4.2.39-1), target listing and TS-0003 clause 10.7.
 */
#include "mef_fixture.h"

static void test_policy(void **state)
{
	uint8_t gb[32], out[2 * 32 + 1];
	m2m_key *g = NULL, *k = NULL;
	char tid[128];
	const char *targets[] = {"/cse-in"};

	(void)state;
	memset(gb, 0x22, sizeof(gb));
	assert_int_equal(m2m_key_new(gb, 32, &g), M2M_OK);
	assert_int_equal(m2m_mef_fleet_kpm(g, "dev1@mef.example.com", &k), M2M_OK);
	assert_int_equal(m2m_key_export_hex(k, (char *)out, sizeof(out)), M2M_OK);
	assert_string_equal((char *)out, "eabb646db634c259cac6c44984e3119f9b04bd0243beb40aec60c44e7afb1d0a");
	m2m_key_free(k);
	m2m_key_free(g);
	assert_true(m2m_mef_claim_allowed("Cdev1", NULL, NULL));
	assert_true(m2m_mef_claim_allowed("Cdev1", NULL, "Cdev1"));
	assert_false(m2m_mef_claim_allowed("Cdev1", NULL, "Cdev2"));
	assert_true(m2m_mef_claim_allowed("Cdev1", "Cfleet-* Cx", "Cfleet-7"));
	assert_true(m2m_mef_claim_allowed("Cdev1", "Cfleet-* Cx", "Cx"));
	assert_false(m2m_mef_claim_allowed("Cdev1", "*", "Cx"));
	assert_false(m2m_mef_claim_allowed("Cdev1", "Cfleet-*", "not an id/"));
	assert_true(m2m_mef_suid_allowed(M2M_ENTITY_CSE, 22));
	assert_false(m2m_mef_suid_allowed(M2M_ENTITY_CSE, 40));
	assert_false(m2m_mef_suid_allowed(M2M_ENTITY_AE, 22));
	assert_int_equal(m2m_mef_target_kdf_id("/cse-in", "//sp.example.com", tid, sizeof(tid)), M2M_OK);
	assert_string_equal(tid, "cse-in.sp.example.com");
	assert_true(m2m_mef_target_listed(targets, 1, "//sp.example.com/cse-in", "//sp.example.com"));
	assert_false(m2m_mef_target_listed(targets, 1, "/cse-other", "//sp.example.com"));
	/* without an SP-ID: SP-relative only equals SP-relative, an absolute caller matches nothing */
	assert_true(m2m_mef_target_listed(targets, 1, "/cse-in", NULL));
	assert_false(m2m_mef_target_listed(targets, 1, "//sp.example.com/cse-in", NULL));
	assert_int_equal(m2m_mef_target_kdf_id("/cse-in", NULL, tid, sizeof(tid)), M2M_E_INVAL);
	assert_int_equal(m2m_mef_target_kdf_id("//sp.example.com/cse-in", NULL, tid, sizeof(tid)), M2M_OK);
	assert_int_equal(m2m_mef_derived_expiry(100, 50, 10), 60);
	assert_int_equal(m2m_mef_derived_expiry(100, 95, 10), 100);
	assert_int_equal(m2m_mef_derived_expiry(100, 100, 10), 0);
}

/* A key registration's target (sec:keyRegCfg targetIDs, up to 255 bytes) SP-relative under a
 * long SP-ID: its absolute form is longer than either and must still match the authenticated
 * caller (and an ID differing only past the old 300-byte mark must not). */
static void test_target_listed_long(void **state)
{
	char sp[2 + 64], tgt[256], caller[600], other[600];
	const char *targets[1] = {tgt};

	(void)state;
	/* "//" + a 62-byte FQDN (two labels) */
	snprintf(sp, sizeof(sp), "//%.50s.%.11s", "ssssssssssssssssssssssssssssssssssssssssssssssssss", "example.com");
	tgt[0] = '/';
	memset(tgt + 1, 'C', 254);
	tgt[255] = '\0';
	snprintf(caller, sizeof(caller), "%s%s", sp, tgt);
	assert_true(strlen(caller) > 300);
	assert_true(m2m_mef_target_listed(targets, 1, caller, sp));
	assert_true(m2m_mef_target_listed(targets, 1, tgt, sp));
	snprintf(other, sizeof(other), "%s", caller);
	other[strlen(other) - 1] = 'D';
	assert_false(m2m_mef_target_listed(targets, 1, other, sp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_target_listed_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
