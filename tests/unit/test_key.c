/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/key.c: the one key-material type. */
#include "m2m_test.h"
#include "m2msec/key.h"

static void test_new_free_and_limits(void **state)
{
	uint8_t b[M2M_KEY_MAX + 1] = {0};
	m2m_key *k = (m2m_key *)0x1;

	assert_int_equal(m2m_key_new(b, M2M_KEY_MIN - 1, &k), M2M_E_KEY_LEN);
	assert_null(k);
	assert_int_equal(m2m_key_new(b, M2M_KEY_MAX + 1, &k), M2M_E_KEY_LEN);
	assert_int_equal(m2m_key_new(NULL, 32, &k), M2M_E_INVAL);
	assert_int_equal(m2m_key_new(b, 32, &k), M2M_OK);
	assert_int_equal(m2m_key_len(k), 32);
	m2m_key_free(k);
	m2m_key_free(NULL);
}

static void test_equal_is_exact(void **state)
{
	uint8_t b[32];
	m2m_key *a = NULL, *c = NULL, *d = NULL;

	memset(b, 0x42, sizeof(b));
	assert_int_equal(m2m_key_new(b, 32, &a), M2M_OK);
	assert_int_equal(m2m_key_dup(a, &c), M2M_OK);
	assert_true(m2m_key_equal(a, c));
	b[31] ^= 1;
	assert_int_equal(m2m_key_new(b, 32, &d), M2M_OK);
	assert_false(m2m_key_equal(a, d));
	m2m_key_free(d);
	assert_int_equal(m2m_key_new(b, 16, &d), M2M_OK);
	assert_false(m2m_key_equal(a, d)); /* different lengths never equal */
	assert_false(m2m_key_equal(a, NULL));
	m2m_key_free(a);
	m2m_key_free(c);
	m2m_key_free(d);
}

static void test_metadata_and_validity(void **state)
{
	m2m_key *k = NULL, *c = NULL;
	char hex[2 * M2M_KEY_MAX + 1];
	const uint8_t *p;
	size_t n;

	assert_int_equal(m2m_key_generate(32, &k), M2M_OK);
	assert_null(m2m_key_id(k));
	assert_int_equal(m2m_key_set_id(k, "kpsa1@sp.example.com"), M2M_OK);
	m2m_key_set_suid(k, 12);
	m2m_key_set_validity(k, 1000, 2000);
	assert_int_equal(m2m_key_dup(k, &c), M2M_OK);
	assert_string_equal(m2m_key_id(c), "kpsa1@sp.example.com");
	assert_int_equal(m2m_key_suid(c), 12);
	assert_int_equal(m2m_key_check_validity(c, 999), M2M_E_KEY_NOT_YET_VALID);
	assert_int_equal(m2m_key_check_validity(c, 1000), M2M_OK);
	assert_int_equal(m2m_key_check_validity(c, 1999), M2M_OK);
	assert_int_equal(m2m_key_check_validity(c, 2000), M2M_E_KEY_EXPIRED);
	m2m_key_set_validity(c, 0, 0);
	assert_int_equal(m2m_key_check_validity(c, INT64_MAX), M2M_OK);
	assert_int_equal(m2m_key_export_hex(k, hex, sizeof(hex)), M2M_OK);
	assert_int_equal(strlen(hex), 64);
	p = m2m_key_bytes(k, &n);
	assert_non_null(p);
	assert_int_equal(n, 32);
	assert_int_equal(m2m_key_export_hex(k, hex, 10), M2M_E_RANGE);
	m2m_key_free(k);
	m2m_key_free(c);
}

static void test_generate_is_random(void **state)
{
	m2m_key *a = NULL, *b = NULL;
	assert_int_equal(m2m_key_generate(32, &a), M2M_OK);
	assert_int_equal(m2m_key_generate(32, &b), M2M_OK);
	assert_false(m2m_key_equal(a, b));
	m2m_key_free(a);
	m2m_key_free(b);
}

/* TS-0003 clause 8.8.1: one key = first half, two keys = the two halves (bytes written out by
 * hand here, not computed by the code under test). */
static void test_split_halves(void **state)
{
	uint8_t b[32];
	const uint8_t *p;
	size_t n;
	m2m_key *k = NULL, *h = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	assert_int_equal(m2m_key_set_id(k, "00@maf.example.com"), M2M_OK);
	assert_int_equal(m2m_key_split(k, 1, 0, &h), M2M_OK);
	p = m2m_key_bytes(h, &n);
	assert_int_equal(n, 16);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[15], 15);
	assert_null(m2m_key_id(h));
	m2m_key_free(h);
	assert_int_equal(m2m_key_split(k, 2, 1, &h), M2M_OK);
	p = m2m_key_bytes(h, &n);
	assert_int_equal(n, 16);
	assert_int_equal(p[0], 16);
	assert_int_equal(p[15], 31);
	m2m_key_free(h);
	assert_int_equal(m2m_key_split(k, 1, 1, &h), M2M_E_INVAL);
	assert_null(h);
	assert_int_equal(m2m_key_split(k, 3, 0, &h), M2M_E_INVAL);
	m2m_key_free(k);
	assert_int_equal(m2m_key_new(b, 17, &k), M2M_OK);
	assert_int_equal(m2m_key_split(k, 1, 0, &h), M2M_E_KEY_LEN);
	m2m_key_free(k);
	assert_int_equal(m2m_key_new(b, 16, &k), M2M_OK);
	assert_int_equal(m2m_key_split(k, 1, 0, &h), M2M_E_KEY_LEN); /* 8 bytes < M2M_KEY_MIN */
	m2m_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free_and_limits),
		cmocka_unit_test(test_equal_is_exact),
		cmocka_unit_test(test_metadata_and_validity),
		cmocka_unit_test(test_generate_is_random),
		cmocka_unit_test(test_split_halves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
