/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the offline unit tests of enrolee/enrolee_tef.c (m2m_enrolee_tef_key,
 * the Target side of the MEF as Trust Enabling Function, TS-0003 clause 8.6.3): the key
 * identifier rules (Credential-ID "<SUID>-<32 hex>@<MEF-FQDN>" of TS-0003 clause 10.4 with an
 * ESData SUID, or the bare keyID; the MEF's own FQDN) are enforced before any network I/O, and a
 * missing MEF address is M2M_E_CONFIG. The exchange itself runs against the real MEF in
 * tests/system/test_57_esdata_tef.py.
 */
#include "m2m_test.h"

#include "m2msec/enrol.h"

#define REL "0123456789ABCDEF0123456789abcdef"

static void test_key_id_rules(void **state)
{
	static const char *const bad[] = {
		"", "nope", REL, REL "@", "@mef.sp.example.com", "0123@mef.sp.example.com",
		REL "0@mef.sp.example.com", "0123456789ABCDEF0123456789ABCDEG@mef.sp.example.com",
		"22-" REL "@mef.sp.example.com", /* SAEF, not ESData (TS-0004 Table 6.3.4.2.39-1) */
		"13-" REL "@mef.sp.example.com", "1-" REL "@mef.sp.example.com", "014-" REL "@mef.sp.example.com",
		"14-" REL "@mef.other.example.com", /* another TEF */
		REL "@mef.other.example.com",
	};
	m2m_enrolee *e = NULL;
	m2m_key *k = (m2m_key *)1;
	int suid = -1;

	(void)state;
	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_fqdn(e, "mef.sp.example.com"), M2M_OK);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		k = (m2m_key *)1;
		if (m2m_enrolee_tef_key(e, bad[i], &k, &suid) != M2M_E_INVAL)
			fail_msg("accepted key id '%s'", bad[i]);
		assert_null(k);
		assert_int_equal(suid, 0);
	}
	assert_int_equal(m2m_enrolee_tef_key(e, NULL, &k, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_tef_key(NULL, "14-" REL "@mef.sp.example.com", &k, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_tef_key(e, "14-" REL "@mef.sp.example.com", NULL, NULL), M2M_E_INVAL);
	/* well-formed (any ESData SUID, or none; hex case and FQDN case free), but no MEF address */
	assert_int_equal(m2m_enrolee_tef_key(e, "14-" REL "@mef.sp.example.com", &k, &suid), M2M_E_CONFIG);
	assert_int_equal(m2m_enrolee_tef_key(e, "15-" REL "@MEF.sp.example.com", &k, &suid), M2M_E_CONFIG);
	assert_int_equal(m2m_enrolee_tef_key(e, "24-" REL "@mef.sp.example.com", &k, &suid), M2M_E_CONFIG);
	assert_int_equal(m2m_enrolee_tef_key(e, "25-" REL "@mef.sp.example.com", &k, &suid), M2M_E_CONFIG);
	assert_int_equal(m2m_enrolee_tef_key(e, REL "@mef.sp.example.com", &k, &suid), M2M_E_CONFIG);
	assert_null(k);
	m2m_enrolee_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
