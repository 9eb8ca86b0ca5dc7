/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/entityid.c: the CSE-ID, AE-ID and M2M-SP-ID forms
 * of TS-0001 Table 7.2-1 (the table's own examples), the C-stem/S-stem placement rules, the bare
 * "C"/"S" registration values (TS-0001 clause 10.2.2.2) and the M2M_ID_ANY classification.
 */
#include "m2m_test.h"
#include "m2msec/id.h"
#include "core/id_int.h"

static m2m_err parse(const char *s, m2m_id_kind kind, m2m_id **id)
{
	return m2m_id_parse(s, strlen(s), kind, id);
}

static void test_spec_examples(void **state)
{
	static const char *const cse[] = {"/123A38ZZY", "/CSE090112", "/3ace4fd3",
					  "//www.m2mprovider.com/C3219", "//m2m.thingscompany.com/ab3f124a"};
	static const char *const ae[] = {"C190XX7T", "Ca3e3f3ab", "S190XX7T", "Sa3e3f3ab",
					 "/CSE090112/C190XX7T", "/3ace4fd3/Ca3e3f3ab", "/S190XX7T",
					 "/Sa3e3f3ab", "//m2m.prov.com/CSE3219/C9886",
					 "//m2m.things.com/ab3f124a/Ca2efb3f4", "//m2m.things.com/S98821"};
	static const char *const sp[] = {"//www.m2mprovider.com", "//globalm2m.org",
					 "//automotive.m2m.telematics-service-company.com"};
	m2m_id *id = NULL;

	for (size_t i = 0; i < M2M_ARRAY_LEN(cse); i++) {
		assert_int_equal(parse(cse[i], M2M_ID_CSE_ID, &id), M2M_OK);
		assert_string_equal(m2m_id_canonical(id), cse[i]);
		assert_non_null(m2m_id_cse(id));
		assert_null(m2m_id_stem(id));
		m2m_id_free(id);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(ae); i++) {
		assert_int_equal(parse(ae[i], M2M_ID_AE_ID, &id), M2M_OK);
		assert_string_equal(m2m_id_canonical(id), ae[i]);
		assert_non_null(m2m_id_stem(id));
		m2m_id_free(id);
		assert_int_equal(parse(ae[i], M2M_ID_ANY, &id), M2M_OK);
		assert_int_equal(m2m_id_kind_of(id), M2M_ID_AE_ID);
		m2m_id_free(id);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(sp); i++) {
		assert_int_equal(parse(sp[i], M2M_ID_ANY, &id), M2M_OK);
		assert_int_equal(m2m_id_kind_of(id), M2M_ID_SP_ID);
		assert_int_equal(m2m_id_form_of(id), M2M_ID_FORM_ABSOLUTE);
		assert_string_equal(m2m_id_fqdn(id), sp[i] + 2);
		assert_null(m2m_id_cse(id));
		m2m_id_free(id);
	}
}

static void test_stem_placement(void **state)
{
	m2m_id *id = NULL;

	/* C-stem: always under its registrar CSE */
	assert_int_equal(parse("/cse-in/Cabc", M2M_ID_AE_ID, &id), M2M_OK);
	assert_string_equal(m2m_id_cse(id), "cse-in");
	assert_string_equal(m2m_id_stem(id), "Cabc");
	assert_null(m2m_id_fqdn(id));
	m2m_id_free(id);
	assert_int_equal(parse("/Cabc", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	assert_int_equal(parse("//sp.example.com/Cabc", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	/* S-stem: never under a CSE */
	assert_int_equal(parse("/Sabc", M2M_ID_AE_ID, &id), M2M_OK);
	assert_null(m2m_id_cse(id));
	m2m_id_free(id);
	assert_int_equal(parse("/cse-in/Sabc", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	assert_int_equal(parse("//sp.example.com/cse-in/Sabc", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	/* a CSE-ID may itself start with 'S': "/S1/C2" is CSE "/S1" plus C-stem "C2" */
	assert_int_equal(parse("/S1/C2", M2M_ID_AE_ID, &id), M2M_OK);
	assert_string_equal(m2m_id_cse(id), "S1");
	assert_string_equal(m2m_id_stem(id), "C2");
	m2m_id_free(id);
	assert_int_equal(parse("/S1/S2", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
}

static void test_bare_stems(void **state)
{
	m2m_id *id = NULL;

	assert_int_equal(parse("C", M2M_ID_AE_ID, &id), M2M_OK);
	assert_int_equal(m2m_id_form_of(id), M2M_ID_FORM_CSE_RELATIVE);
	assert_string_equal(m2m_id_stem(id), "C");
	m2m_id_free(id);
	assert_int_equal(parse("S", M2M_ID_ANY, &id), M2M_OK);
	assert_int_equal(m2m_id_kind_of(id), M2M_ID_AE_ID);
	m2m_id_free(id);
	/* a registered AE never has the bare request value as its stem */
	assert_int_equal(parse("/cse-in/C", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	assert_int_equal(parse("/S", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	assert_int_equal(parse("//sp.example.com/S", M2M_ID_AE_ID, &id), M2M_E_ID_BAD_FORM);
	/* ... but "/S" is a fine CSE-ID */
	assert_int_equal(parse("/S", M2M_ID_ANY, &id), M2M_OK);
	assert_int_equal(m2m_id_kind_of(id), M2M_ID_CSE_ID);
	m2m_id_free(id);
}

static void test_unreserved_set(void **state)
{
	char buf[8];
	m2m_id *id = NULL;

	for (int c = 1; c < 128; c++) {
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '-' || c == '.' || c == '_' || c == '~';
		m2m_err want = ok ? M2M_OK : c == '*' ? M2M_E_ID_WILDCARD : c == '/' ? M2M_E_ID_BAD_FORM
											 : M2M_E_ID_BAD_CHAR;
		m2m_err r;
		buf[0] = '/';
		buf[1] = 'a';
		buf[2] = (char)c;
		buf[3] = 'b';
		r = m2m_id_parse(buf, 4, M2M_ID_CSE_ID, &id);
		if (r != want)
			fail_msg("char 0x%02x: expected %s, got %s", c, m2m_errname(want), m2m_errname(r));
		m2m_id_free(id);
		id = NULL;
	}
}

static void test_classify(void **state)
{
	assert_int_equal(m2mi_entityid_classify("//a.b", 5), M2M_ID_SP_ID);
	assert_int_equal(m2mi_entityid_classify("//", 2), M2M_ID_SP_ID);
	assert_int_equal(m2mi_entityid_classify("//a.b/x", 7), M2M_ID_CSE_ID);
	assert_int_equal(m2mi_entityid_classify("//a.b/Sx", 8), M2M_ID_AE_ID);
	assert_int_equal(m2mi_entityid_classify("//a.b/S", 7), M2M_ID_CSE_ID);
	assert_int_equal(m2mi_entityid_classify("//a.b/x/Cy", 10), M2M_ID_AE_ID);
	assert_int_equal(m2mi_entityid_classify("/", 1), M2M_ID_CSE_ID);
	assert_int_equal(m2mi_entityid_classify("/x", 2), M2M_ID_CSE_ID);
	assert_int_equal(m2mi_entityid_classify("/Sx", 3), M2M_ID_AE_ID);
	assert_int_equal(m2mi_entityid_classify("/x/y", 4), M2M_ID_AE_ID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_examples),
		cmocka_unit_test(test_stem_placement),
		cmocka_unit_test(test_bare_stems),
		cmocka_unit_test(test_unreserved_set),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
