/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/err.c: every code has a distinct, non-empty text. */
#include "m2m_test.h"
#include "m2msec/err.h"

static const m2m_err all_codes[] = {
#define ROW(name, value, text) (value),
	M2M_ERR_TABLE(ROW)
#undef ROW
};

static void test_codes_negative_and_described(void **state)
{
	for (size_t i = 0; i < M2M_ARRAY_LEN(all_codes); i++) {
		m2m_err c = all_codes[i];
		assert_true(c == M2M_OK || c < 0);
		assert_non_null(m2m_strerror(c));
		assert_true(strlen(m2m_strerror(c)) > 0);
		assert_string_not_equal(m2m_errname(c), "M2M_E_UNKNOWN");
		for (size_t j = i + 1; j < M2M_ARRAY_LEN(all_codes); j++) {
			assert_int_not_equal(c, all_codes[j]);
			assert_string_not_equal(m2m_strerror(c), m2m_strerror(all_codes[j]));
		}
	}
}

static void test_unknown_code(void **state)
{
	assert_string_equal(m2m_strerror(-9999), "unknown error");
	assert_string_equal(m2m_errname(12345), "M2M_E_UNKNOWN");
	assert_string_equal(m2m_errname(M2M_E_ID_BAD_HEX), "M2M_E_ID_BAD_HEX");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_negative_and_described),
		cmocka_unit_test(test_unknown_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
