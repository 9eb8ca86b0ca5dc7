/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/utf8.c: NFKC of KDF inputs (TS-0003 clause 10.3.2). */
#include <stdlib.h>
#include "m2m_test.h"
#include "m2msec/utf8.h"

static void check_nfkc(const char *in, const char *want)
{
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(m2m_utf8_nfkc(in, strlen(in), &out, &n), M2M_OK);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
}

static void test_nfkc(void **state)
{
	check_nfkc("maf.example.com", "maf.example.com");
	/* Full-width Latin letters and digits fold to ASCII. */
	check_nfkc("\xef\xbc\xad\xef\xbc\xa1\xef\xbc\xa6\xef\xbc\x91", "MAF1");
	/* Ligature "fi" (U+FB01) decomposes; e + combining acute composes to U+00E9. */
	check_nfkc("\xef\xac\x81", "fi");
	check_nfkc("e\xcc\x81", "\xc3\xa9");
}

static void test_rejects(void **state)
{
	char *out = (char *)0x1;
	size_t n;
	char big[M2M_ID_MAX + 2];

	assert_int_equal(m2m_utf8_nfkc("", 0, &out, &n), M2M_E_ID_EMPTY);
	assert_null(out);
	assert_int_equal(m2m_utf8_nfkc("\xff\xfe", 2, &out, &n), M2M_E_ID_BAD_UTF8);
	assert_int_equal(m2m_utf8_nfkc("\xc0\xaf", 2, &out, &n), M2M_E_ID_BAD_UTF8); /* overlong '/' */
	assert_int_equal(m2m_utf8_nfkc("\xed\xa0\x80", 3, &out, &n), M2M_E_ID_BAD_UTF8); /* surrogate */
	assert_int_equal(m2m_utf8_nfkc("a\0b", 3, &out, &n), M2M_E_ID_BAD_UTF8);
	memset(big, 'a', sizeof(big));
	assert_int_equal(m2m_utf8_nfkc(big, sizeof(big), &out, &n), M2M_E_ID_TOO_LONG);
	assert_false(m2m_utf8_valid("\xe2\x82", 2));
	assert_true(m2m_utf8_valid("\xe2\x82\xac", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nfkc),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
