/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of core/wildcard.c: the '*' match of filter labels (TS-0004 clause 7.3.3.17.9) and
 * of the DAS policy's patterns. */
#include <string.h>
#include "m2m_test.h"
#include "core/wildcard.h"

static void test_match(void **state)
{
	(void)state;
	assert_true(m2mi_wildcard_match("*", ""));
	assert_true(m2mi_wildcard_match("*", "anything"));
	assert_true(m2mi_wildcard_match("a**b", "ab"));
	assert_true(m2mi_wildcard_match("a*c", "abbbc"));
	assert_true(m2mi_wildcard_match("//sp/*/C*", "//sp/cse-in/Cdev1"));
	assert_true(m2mi_wildcard_match("exact", "exact"));
	assert_false(m2mi_wildcard_match("a*b", "a"));
	assert_false(m2mi_wildcard_match("", "a"));
	assert_false(m2mi_wildcard_match("exact", "exacT"));
	assert_false(m2mi_wildcard_match("a*c", "abcd"));
}

/* A pattern of many stars against a long text that never matches ends (no exponential
 * backtracking: one backtrack point). */
static void test_hostile(void **state)
{
	char s[4097], p[64];

	(void)state;
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	strcpy(p, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
	assert_false(m2mi_wildcard_match(p, s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
