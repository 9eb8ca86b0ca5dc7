/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/credid.c: every sec:credIDTypeID value of TS-0003
 * Table 12.3.2.1-1 and every m2m:suid value of TS-0004 Table 6.3.4.2.39-1 is accepted, every other
 * number 0..999 refused; the Credential-ID value character set of TS-0003 clause 10.4.
 */
#include <stdio.h>

#include "m2m_test.h"
#include "m2msec/id.h"

static bool in_cred_table(int t)
{
	static const int table[] = {10, 11, 12, 13, 14, 15, 16, 30, 31, 32, 33, 34,
				    41, 42, 43, 44, 45, 51, 52, 53, 54, 55};
	for (size_t i = 0; i < M2M_ARRAY_LEN(table); i++)
		if (table[i] == t)
			return true;
	return false;
}

static bool in_suid_table(int v)
{
	static const int table[] = {10, 11, 12, 13, 14, 15, 21, 22, 23, 24, 25,
				    32, 33, 34, 35, 40, 41, 42, 43, 44, 45};
	for (size_t i = 0; i < M2M_ARRAY_LEN(table); i++)
		if (table[i] == v)
			return true;
	return false;
}

static void test_every_cred_type(void **state)
{
	char buf[48];
	m2m_id *id = NULL;

	for (int t = 0; t < 1000; t++) {
		int n = snprintf(buf, sizeof(buf), "%d-kpsa1@sp.example.com", t);
		m2m_err r = m2m_id_parse(buf, (size_t)n, M2M_ID_CREDENTIAL_ID, &id);
		if (in_cred_table(t)) {
			assert_int_equal(r, M2M_OK);
			assert_int_equal(m2m_id_number(id), t);
			assert_string_equal(m2m_id_relative(id), "kpsa1@sp.example.com");
			assert_string_equal(m2m_id_canonical(id), buf);
			assert_null(m2m_id_fqdn(id));
			m2m_id_free(id);
		} else {
			assert_int_equal(r, M2M_E_ID_BAD_TYPE);
			assert_null(id);
		}
	}
}

static void test_every_suid(void **state)
{
	char buf[16];
	m2m_id *id = NULL;

	for (int v = -5; v < 1000; v++) {
		int n = snprintf(buf, sizeof(buf), "%d", v);
		m2m_err r = m2m_id_parse(buf, (size_t)n, M2M_ID_SUID, &id);
		assert_int_equal(m2m_suid_valid(v), in_suid_table(v));
		if (in_suid_table(v)) {
			assert_int_equal(r, M2M_OK);
			assert_int_equal(m2m_id_number(id), v);
			assert_string_equal(m2m_id_canonical(id), buf);
			m2m_id_free(id);
		} else {
			assert_int_equal(r, v < 0 ? M2M_E_ID_BAD_CHAR : M2M_E_ID_BAD_TYPE);
		}
	}
	assert_false(m2m_suid_valid(31)); /* used by TS-0003 clause 8.3.9.9, absent from TS-0004 */
	assert_false(m2m_suid_valid(2147483647));
}

static void test_value_chars(void **state)
{
	char buf[8];
	m2m_id *id = NULL;

	for (int c = 1; c < 128; c++) {
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '.' || c == '_' || c == '-' || c == '@';
		m2m_err r;
		snprintf(buf, sizeof(buf), "11-a%cb", c);
		r = m2m_id_parse(buf, 6, M2M_ID_CREDENTIAL_ID, &id);
		if (ok) {
			assert_int_equal(r, M2M_OK);
			m2m_id_free(id);
		} else {
			assert_int_equal(r, c == '*' ? M2M_E_ID_WILDCARD : M2M_E_ID_BAD_CHAR);
		}
	}
	/* the first '-' separates the type; later ones belong to the value */
	assert_int_equal(m2m_id_parse("12-a-b-c", 8, M2M_ID_CREDENTIAL_ID, &id), M2M_OK);
	assert_string_equal(m2m_id_relative(id), "a-b-c");
	m2m_id_free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cred_type),
		cmocka_unit_test(test_every_suid),
		cmocka_unit_test(test_value_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
