/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/hex.c (hexBinary, TS-0003 clause 10.3.4). */
#include "m2m_test.h"
#include "m2msec/hex.h"

static void test_roundtrip_both_cases(void **state)
{
	const uint8_t in[] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
	char lower[13], upper[13];
	uint8_t out[6];
	size_t n;

	assert_int_equal(m2m_hex_encode(in, sizeof(in), false, lower, sizeof(lower)), M2M_OK);
	assert_string_equal(lower, "0001abcdefff");
	assert_int_equal(m2m_hex_encode(in, sizeof(in), true, upper, sizeof(upper)), M2M_OK);
	assert_string_equal(upper, "0001ABCDEFFF");
	assert_int_equal(m2m_hex_decode(upper, 12, out, sizeof(out), &n), M2M_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, in, 6);
	assert_int_equal(m2m_hex_decode("0001aBcDeFfF", 12, out, sizeof(out), &n), M2M_OK);
	assert_memory_equal(out, in, 6);
}

static void test_rejects(void **state)
{
	uint8_t out[4];
	size_t n = 99;
	char small[4];
	const uint8_t two[2] = {1, 2};

	assert_int_equal(m2m_hex_decode("abc", 3, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(n, 0);
	assert_int_equal(m2m_hex_decode("zz", 2, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(m2m_hex_decode("0g", 2, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(m2m_hex_decode("G0", 2, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(m2m_hex_decode("/0", 2, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(m2m_hex_decode(":0", 2, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(m2m_hex_decode("@0", 2, out, sizeof(out), &n), M2M_E_ID_BAD_HEX);
	assert_int_equal(m2m_hex_decode("0000000000", 10, out, sizeof(out), &n), M2M_E_RANGE);
	assert_int_equal(m2m_hex_encode(two, 2, false, small, sizeof(small)), M2M_E_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_both_cases),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
