/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/certname.c: the public domain name of a CSE-ID
 * (TS-0003 clause 10.1.1.7, TS-0001 clause 6.5.1.1) and the full URI of an AE-ID (TS-0003 clause
 * 10.1.1.5), including round trips, refusals and output-buffer limits.
 */
#include "m2m_test.h"
#include "m2msec/id.h"

static m2m_id *must_parse(const char *s, m2m_id_kind kind)
{
	m2m_id *id = NULL;
	assert_int_equal(m2m_id_parse(s, strlen(s), kind, &id), M2M_OK);
	return id;
}

static void test_cse_domain_name(void **state)
{
	m2m_id *rel = must_parse("/CSE-in1", M2M_ID_CSE_ID);
	m2m_id *abs = must_parse("//SP.Example.com/cse-in", M2M_ID_CSE_ID);
	m2m_id *ae = must_parse("/cse-in/Cabc", M2M_ID_AE_ID);
	char out[300];

	assert_int_equal(m2m_id_cse_domain_name(rel, "sp.example.com", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "cse-in1.sp.example.com");
	assert_int_equal(m2m_id_cse_domain_name(rel, "SP.example.COM.", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "cse-in1.sp.example.com");
	assert_int_equal(m2m_id_cse_domain_name(abs, NULL, out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "cse-in.sp.example.com");
	assert_int_equal(m2m_id_cse_domain_name(abs, "sp.example.com.", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "cse-in.sp.example.com");
	/* exact output size, then one byte short */
	assert_int_equal(m2m_id_cse_domain_name(abs, NULL, out, strlen("cse-in.sp.example.com") + 1), M2M_OK);
	assert_int_equal(m2m_id_cse_domain_name(abs, NULL, out, strlen("cse-in.sp.example.com")), M2M_E_RANGE);
	assert_string_equal(out, "");
	/* refusals */
	assert_int_equal(m2m_id_cse_domain_name(rel, NULL, out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_id_cse_domain_name(abs, "other.example.com", out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_id_cse_domain_name(rel, "localhost", out, sizeof(out)), M2M_E_ID_BAD_FQDN);
	assert_int_equal(m2m_id_cse_domain_name(rel, "*.example.com", out, sizeof(out)), M2M_E_ID_WILDCARD);
	assert_int_equal(m2m_id_cse_domain_name(ae, "sp.example.com", out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_id_cse_domain_name(NULL, "sp.example.com", out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_id_cse_domain_name(rel, "sp.example.com", NULL, 10), M2M_E_INVAL);
	m2m_id_free(rel);
	m2m_id_free(abs);
	m2m_id_free(ae);
}

static void test_cse_not_a_label(void **state)
{
	static const char *const bad[] = {"/cse_in", "/cse~1", "/cse.in", "/-cse", "/cse-",
					  "/a234567890123456789012345678901234567890123456789012345678901234"};
	char out[300], big[300];
	m2m_id *id;

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		id = must_parse(bad[i], M2M_ID_CSE_ID);
		assert_int_equal(m2m_id_cse_domain_name(id, "sp.example.com", out, sizeof(out)), M2M_E_ID_BAD_FQDN);
		m2m_id_free(id);
	}
	/* the CSE label must fit within 253 characters together with the SP name */
	memset(big, 'a', 250);
	memcpy(big + 250, ".bc", 4);
	id = must_parse("/cse", M2M_ID_CSE_ID);
	assert_int_equal(m2m_id_cse_domain_name(id, big, out, sizeof(out)), M2M_E_ID_BAD_FQDN);
	m2m_id_free(id);
}

static void test_ae_uri(void **state)
{
	static const char *const abs[] = {"//sp.example.com/cse-in/Cabc", "//sp.example.com/Sxyz"};
	char out[300];
	m2m_id *id, *back = NULL;

	for (size_t i = 0; i < M2M_ARRAY_LEN(abs); i++) {
		id = must_parse(abs[i], M2M_ID_AE_ID);
		assert_int_equal(m2m_id_ae_uri(id, out, sizeof(out)), M2M_OK);
		assert_memory_equal(out, "m2m:", 4);
		assert_string_equal(out + 4, abs[i]);
		assert_int_equal(m2m_id_from_ae_uri(out, strlen(out), &back), M2M_OK);
		assert_string_equal(m2m_id_canonical(back), abs[i]);
		assert_int_equal(m2m_id_form_of(back), M2M_ID_FORM_ABSOLUTE);
		assert_int_equal(m2m_id_ae_uri(id, out, strlen(abs[i]) + 4), M2M_E_RANGE);
		m2m_id_free(back);
		m2m_id_free(id);
	}
	id = must_parse("//SP.Example.com./cse-in/Cabc", M2M_ID_AE_ID);
	assert_int_equal(m2m_id_ae_uri(id, out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "m2m://sp.example.com/cse-in/Cabc");
	m2m_id_free(id);
	/* only an absolute AE-ID has a URI */
	id = must_parse("/cse-in/Cabc", M2M_ID_AE_ID);
	assert_int_equal(m2m_id_ae_uri(id, out, sizeof(out)), M2M_E_ID_BAD_FORM);
	m2m_id_free(id);
	id = must_parse("//sp.example.com/cse-in", M2M_ID_CSE_ID);
	assert_int_equal(m2m_id_ae_uri(id, out, sizeof(out)), M2M_E_INVAL);
	m2m_id_free(id);
	assert_int_equal(m2m_id_ae_uri(NULL, out, sizeof(out)), M2M_E_INVAL);
}

static void test_from_ae_uri_refusals(void **state)
{
	static const struct {
		const char *in;
		m2m_err err;
	} cases[] = {
		{"", M2M_E_ID_EMPTY},
		{"m2m:", M2M_E_ID_EMPTY},
		{"http://sp.example.com/cse-in/Cabc", M2M_E_ID_BAD_FORM},
		{"//sp.example.com/cse-in/Cabc", M2M_E_ID_BAD_FORM},
		{"m2m:/cse-in/Cabc", M2M_E_ID_BAD_FORM},
		{"m2m:Cabc", M2M_E_ID_BAD_FORM},
		{"m2m://sp.example.com/cse-in", M2M_E_ID_BAD_FORM},
		{"m2m://localhost/cse-in/Cabc", M2M_E_ID_BAD_FQDN},
		{"m2m://*.example.com/cse-in/Cabc", M2M_E_ID_WILDCARD},
		{"m2m://sp.example.com/cse-in/C\xff", M2M_E_ID_BAD_UTF8},
		{"\xffm2m://sp.example.com/cse-in/Cabc", M2M_E_ID_BAD_UTF8},
	};
	m2m_id *id = (m2m_id *)0x1;

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		m2m_err r = m2m_id_from_ae_uri(cases[i].in, strlen(cases[i].in), &id);
		if (r != cases[i].err)
			fail_msg("'%s': expected %s, got %s", cases[i].in, m2m_errname(cases[i].err), m2m_errname(r));
		assert_null(id);
	}
	assert_int_equal(m2m_id_from_ae_uri("M2M://sp.example.com/Sx", 23, &id), M2M_OK);
	assert_string_equal(m2m_id_canonical(id), "//sp.example.com/Sx");
	m2m_id_free(id);
	assert_int_equal(m2m_id_from_ae_uri("m2m://a.b/Sx", 12, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_id_from_ae_uri(NULL, 12, &id), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cse_domain_name),
		cmocka_unit_test(test_cse_not_a_label),
		cmocka_unit_test(test_ae_uri),
		cmocka_unit_test(test_from_ae_uri_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
