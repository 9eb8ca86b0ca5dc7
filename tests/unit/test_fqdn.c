/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/fqdn.c: the host name rules behind every issuer
 * FQDN and M2M-SP-ID (TS-0003 clauses 10.3.4-10.6, TS-0001 Table 7.2-1): label and total length
 * limits at their exact boundaries, the character set, the trailing dot and the canonical form.
 */
#include "m2m_test.h"
#include "m2msec/id.h"
#include "core/id_int.h"

/* A name of total length `total` made of 63-character labels plus one shorter last label. */
static void make_name(char *buf, size_t total)
{
	size_t i = 0;

	while (i < total) {
		size_t n = total - i > 64 ? 63 : total - i;
		memset(buf + i, 'a', n);
		i += n;
		if (i < total)
			buf[i++] = '.';
	}
	buf[total] = '\0';
}

static void test_boundaries(void **state)
{
	char buf[400];
	char label[70];

	make_name(buf, 253);
	assert_int_equal(m2m_id_check_fqdn(buf, 253), M2M_OK);
	buf[253] = '.'; /* 253 plus the trailing dot is still fine */
	assert_int_equal(m2m_id_check_fqdn(buf, 254), M2M_OK);
	make_name(buf, 254);
	assert_int_equal(m2m_id_check_fqdn(buf, 254), M2M_E_ID_BAD_FQDN);

	memset(label, 'b', 63);
	memcpy(label + 63, ".com", 5);
	assert_int_equal(m2m_id_check_fqdn(label, strlen(label)), M2M_OK);
	memset(label, 'b', 64);
	memcpy(label + 64, ".com", 5);
	assert_int_equal(m2m_id_check_fqdn(label, strlen(label)), M2M_E_ID_BAD_FQDN);
	assert_int_equal(m2m_id_check_fqdn("a.b", 3), M2M_OK);
	assert_int_equal(m2m_id_check_fqdn("a.b.", 4), M2M_OK);
}

static void test_rules(void **state)
{
	static const struct {
		const char *in;
		m2m_err err;
	} cases[] = {
		{"example.com", M2M_OK},
		{"EXAMPLE.com", M2M_OK},
		{"a-b.c-d.example", M2M_OK},
		{"0a.9b", M2M_OK},
		{"123.example.org", M2M_OK},
		{"example.x1", M2M_OK},
		{"example", M2M_E_ID_BAD_FQDN},
		{"example.", M2M_E_ID_BAD_FQDN},
		{".", M2M_E_ID_BAD_FQDN},
		{"..", M2M_E_ID_BAD_FQDN},
		{"a..b", M2M_E_ID_BAD_FQDN},
		{".a.b", M2M_E_ID_BAD_FQDN},
		{"a.b..", M2M_E_ID_BAD_FQDN},
		{"-a.b", M2M_E_ID_BAD_FQDN},
		{"a-.b", M2M_E_ID_BAD_FQDN},
		{"a.-b", M2M_E_ID_BAD_FQDN},
		{"a.b-", M2M_E_ID_BAD_FQDN},
		{"a_b.com", M2M_E_ID_BAD_FQDN},
		{"a b.com", M2M_E_ID_BAD_FQDN},
		{"a.b\n", M2M_E_ID_BAD_FQDN},
		{"a:b.com", M2M_E_ID_BAD_FQDN},
		{"a@b.com", M2M_E_ID_BAD_FQDN},
		{"192.168.1.1", M2M_E_ID_BAD_FQDN},
		{"10.0.0.1.", M2M_E_ID_BAD_FQDN},
		{"*.example.com", M2M_E_ID_WILDCARD},
		{"a.*.example.com", M2M_E_ID_WILDCARD},
		{"a*b.example.com", M2M_E_ID_WILDCARD},
		{"", M2M_E_ID_EMPTY},
		{"\xff.example.com", M2M_E_ID_BAD_UTF8},
		{"\xc3\xa9.example.com", M2M_E_ID_BAD_CHAR},
	};

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		m2m_err r = m2m_id_check_fqdn(cases[i].in, strlen(cases[i].in));
		if (r != cases[i].err)
			fail_msg("'%s': expected %s, got %s", cases[i].in, m2m_errname(cases[i].err), m2m_errname(r));
	}
	assert_int_equal(m2m_id_check_fqdn(NULL, 3), M2M_E_INVAL);
	assert_int_equal(m2m_id_check_fqdn("a\0b.com", 7), M2M_E_ID_BAD_CHAR);
}

static void test_canonical(void **state)
{
	m2mi_idbuf b = {0};

	assert_int_equal(m2mi_fqdn_canon("MEF.Example.COM.", 16, &b), M2M_OK);
	assert_string_equal(b.b, "mef.example.com");
	assert_int_equal(b.n, 15);
	b.n = 0;
	assert_int_equal(m2mi_fqdn_canon("a_b.com", 7, &b), M2M_E_ID_BAD_FQDN);
	assert_int_equal(b.n, 0); /* nothing appended on failure */
	assert_int_equal(m2mi_fqdn_canon("a.b", 3, NULL), M2M_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
