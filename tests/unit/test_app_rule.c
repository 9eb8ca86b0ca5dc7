/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/app_rule.c: '*' patterns of TS-0001 Table
 * 9.6.29-2, which rules apply to a Credential-ID (or to no association), the App-ID/AE-ID-Stem
 * combination check of TS-0001 clause 10.2.2.2 step 003 and the allowedApp-IDs pattern rule of
 * TS-0004 clause 7.4.29.2.1.
 */
#include "m2m_test.h"
#include "m2msec/app_rule.h"

static void test_match(void **state)
{
	(void)state;
	assert_true(m2m_app_rule_match("*", ""));
	assert_true(m2m_app_rule_match("*", "anything"));
	assert_true(m2m_app_rule_match("C123*X", "C123X"));
	assert_true(m2m_app_rule_match("C123*X", "C123abcX"));
	assert_true(m2m_app_rule_match("C123*X", "C123XXX"));
	assert_false(m2m_app_rule_match("C123*X", "C123Xa"));
	assert_false(m2m_app_rule_match("C123*X", "C12X"));
	assert_true(m2m_app_rule_match("C*", "Cabc"));
	assert_false(m2m_app_rule_match("C*", "Sabc"));
	assert_true(m2m_app_rule_match("*a*b*", "xaxxbx"));
	assert_false(m2m_app_rule_match("*a*b*", "xbxxax"));
	assert_true(m2m_app_rule_match("Cabc", "Cabc"));
	assert_false(m2m_app_rule_match("Cabc", "cabc")); /* case-sensitive */
	assert_false(m2m_app_rule_match("Cabc", "Cabcd"));
	assert_false(m2m_app_rule_match("", "a"));
	assert_true(m2m_app_rule_match("", ""));
	assert_false(m2m_app_rule_match(NULL, "a"));
	assert_false(m2m_app_rule_match("*", NULL));
	/* a pathological pattern terminates (iterative matcher) */
	assert_false(m2m_app_rule_match("*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static const char *const cred1[] = {"12-kpsa1@sp.example.com"};
static const char *const credany[] = {"*"};
static const char *const apps[] = {"Nweather*", "Rsensor"};
static const char *const aes[] = {"Cdev1", "S*"};
static const char *const anyae[] = {"*"};

static void test_check(void **state)
{
	m2m_app_rule r[2] = {
		{.has_apci = true, .apci = cred1, .n_apci = 1, .aai = apps, .n_aai = 2, .aae = aes, .n_aae = 2},
		{.has_apci = false, .aai = apps, .n_aai = 1, .aae = anyae, .n_aae = 1},
	};

	(void)state;
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa1@sp.example.com", "Nweather.x", "Cdev1"), M2M_APP_RULE_ALLOW);
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa1@sp.example.com", "Rsensor", "Sxyz"), M2M_APP_RULE_ALLOW);
	/* the credential has rules, the combination is not allowed */
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa1@sp.example.com", "Rother", "Cdev1"), M2M_APP_RULE_MISMATCH);
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa1@sp.example.com", "Rsensor", "Cdev2"), M2M_APP_RULE_MISMATCH);
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa1@sp.example.com", NULL, "Cdev1"), M2M_APP_RULE_MISMATCH);
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa1@sp.example.com", "Rsensor", ""), M2M_APP_RULE_MISMATCH);
	/* another credential: the rule is not for it */
	assert_int_equal(m2m_app_rule_check(r, 1, "12-kpsa2@sp.example.com", "Rsensor", "Cdev1"),
			 M2M_APP_RULE_NO_SUBSCRIPTION);
	/* no association: only rules without applicableCredIDs apply */
	assert_int_equal(m2m_app_rule_check(r, 1, NULL, "Rsensor", "Cdev1"), M2M_APP_RULE_NO_SUBSCRIPTION);
	assert_int_equal(m2m_app_rule_check(r, 2, NULL, "Nweather1", "Cany"), M2M_APP_RULE_ALLOW);
	assert_int_equal(m2m_app_rule_check(r, 2, NULL, "Rsensor", "Cany"), M2M_APP_RULE_MISMATCH);
	/* ... and a rule without applicableCredIDs never applies to an association */
	assert_int_equal(m2m_app_rule_check(r + 1, 1, "12-kpsa1@sp.example.com", "Nweather1", "Cany"),
			 M2M_APP_RULE_NO_SUBSCRIPTION);
	/* an association whose Credential-ID is unknown matches not even '*' */
	r[0].apci = credany;
	assert_int_equal(m2m_app_rule_check(r, 1, "", "Rsensor", "Cdev1"), M2M_APP_RULE_NO_SUBSCRIPTION);
	assert_int_equal(m2m_app_rule_check(r, 1, "12-other@x", "Rsensor", "Cdev1"), M2M_APP_RULE_ALLOW);
	/* absent allowed lists allow nothing */
	r[0].n_aae = 0;
	assert_int_equal(m2m_app_rule_check(r, 1, "12-other@x", "Rsensor", "Cdev1"), M2M_APP_RULE_MISMATCH);
	r[0].aai = NULL;
	r[0].n_aae = 2;
	assert_int_equal(m2m_app_rule_check(r, 1, "12-other@x", "Rsensor", "Cdev1"), M2M_APP_RULE_MISMATCH);
	/* no rules at all */
	assert_int_equal(m2m_app_rule_check(NULL, 0, "12-other@x", "Rsensor", "Cdev1"), M2M_APP_RULE_NO_SUBSCRIPTION);
	assert_int_equal(m2m_app_rule_check(NULL, 3, NULL, "Rsensor", "Cdev1"), M2M_APP_RULE_NO_SUBSCRIPTION);
}

static void test_app_pattern(void **state)
{
	(void)state;
	assert_true(m2m_app_rule_app_pattern_ok("*"));
	assert_true(m2m_app_rule_app_pattern_ok("R123*X"));
	assert_true(m2m_app_rule_app_pattern_ok("Nweather"));
	assert_false(m2m_app_rule_app_pattern_ok("r123"));
	assert_false(m2m_app_rule_app_pattern_ok("C1"));
	assert_false(m2m_app_rule_app_pattern_ok(""));
	assert_false(m2m_app_rule_app_pattern_ok(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_app_pattern),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
