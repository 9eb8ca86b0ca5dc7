/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF store's GBA subscriber records
 * (store/mefstore_gba_sub.c, m2msec/bsfstore.h; TS-0003 clause 8.3.2.3 "Bootstrap Instruction
 * Configuration"): no record before the first write, set and get back (NAF FQDNs lowercased), a
 * replacement, the NAF list check (any case, whole items only) and refused records.
 */
#include "m2msec/bsfstore.h"
#include "mef_fixture.h"

static void test_set_get(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2m_gba_subscriber s = {.enrolee_id = "Cgba1", .nafs = "CSE-in.sp.example.com,maf.example.com"}, g;

	(void)state;
	assert_int_equal(m2m_mefstore_gba_subscriber_get(st, "u1@ims", &g), M2M_E_NOT_FOUND); /* no table yet */
	assert_int_equal(m2m_mefstore_gba_subscriber_set(st, "u1@ims", &s), M2M_OK);
	assert_int_equal(m2m_mefstore_gba_subscriber_get(st, "u2@ims", &g), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_gba_subscriber_get(st, "u1@ims", &g), M2M_OK);
	assert_string_equal(g.enrolee_id, "Cgba1");
	assert_string_equal(g.nafs, "cse-in.sp.example.com,maf.example.com");
	assert_false(g.gba_u);
	assert_true(m2m_gba_subscriber_naf_listed(&g, "cse-in.sp.example.com"));
	assert_true(m2m_gba_subscriber_naf_listed(&g, "MAF.example.com"));
	assert_false(m2m_gba_subscriber_naf_listed(&g, "example.com"));
	assert_false(m2m_gba_subscriber_naf_listed(&g, "cse-in.sp.example"));
	assert_false(m2m_gba_subscriber_naf_listed(&g, ""));
	/* replaced */
	s.gba_u = true;
	snprintf(s.nafs, sizeof(s.nafs), "maf.example.com");
	assert_int_equal(m2m_mefstore_gba_subscriber_set(st, "u1@ims", &s), M2M_OK);
	assert_int_equal(m2m_mefstore_gba_subscriber_get(st, "u1@ims", &g), M2M_OK);
	assert_true(g.gba_u);
	assert_false(m2m_gba_subscriber_naf_listed(&g, "cse-in.sp.example.com"));
	/* refused: empty or malformed NAF lists, no Enrolee-ID, no IMPI */
	static const char *const bad[] = {"", ",", "a.example.com,", ",a.example.com", "a.example.com,,b.example.com",
					  "bad fqdn", "a.example.com."};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(s.nafs, sizeof(s.nafs), "%s", bad[i]);
		assert_int_equal(m2m_mefstore_gba_subscriber_set(st, "u1@ims", &s), M2M_E_INVAL);
	}
	snprintf(s.nafs, sizeof(s.nafs), "a.example.com");
	s.enrolee_id[0] = '\0';
	assert_int_equal(m2m_mefstore_gba_subscriber_set(st, "u1@ims", &s), M2M_E_INVAL);
	snprintf(s.enrolee_id, sizeof(s.enrolee_id), "Cgba1");
	assert_int_equal(m2m_mefstore_gba_subscriber_set(st, "", &s), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_gba_subscriber_get(st, "u1@ims", &g), M2M_OK);
	assert_string_equal(g.nafs, "maf.example.com"); /* nothing partial */
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
