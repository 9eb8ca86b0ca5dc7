/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/mem.c: wiping and constant-time equality. */
#include <stdlib.h>
#include "m2m_test.h"
#include "m2msec/mem.h"

static void test_memzero_wipes(void **state)
{
	uint8_t buf[37];
	memset(buf, 0xa5, sizeof(buf));
	m2m_memzero(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	m2m_memzero(NULL, 10); /* no-op, no crash */
	m2m_freezero(NULL, 10);
	m2m_freezero(malloc(16), 16);
}

static void test_ct_eq(void **state)
{
	uint8_t a[32], b[32];
	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(m2m_ct_eq(a, b, sizeof(a)));
	/* Every single-bit difference at every position is detected. */
	for (size_t i = 0; i < sizeof(b); i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			assert_false(m2m_ct_eq(a, b, sizeof(a)));
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_true(m2m_ct_eq(a, b, 0));
	assert_false(m2m_ct_eq(NULL, b, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memzero_wipes),
		cmocka_unit_test(test_ct_eq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
