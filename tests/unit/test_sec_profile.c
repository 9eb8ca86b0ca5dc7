/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the security profile a CSE receives from its MEF
 * (services/cse/sec_profile.c; docs/procedures/mef.md "Security profile"): parsing (only this
 * CSE's profile, bounded lists), accepted SUIDs, the per-credential allowedAEs decision
 * (TS-0001 §9.6.29 applicableCredIDs / allowedAEs) and the lifetime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "services/cse/sec_profile.h"

#define GOOD                                                                                       \
	"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22,23],"                             \
	"\"cipherSuites\":[\"TLS_AES_128_GCM_SHA256\"],"                                           \
	"\"appRules\":[{\"applicableCredIDs\":[\"12-*@mef.sp.example.com\"],\"allowedAEs\":[\"Cmef*\"]}," \
	"{\"applicableCredIDs\":[\"12-kpsa-dev1@sp.example.com\"],\"allowedAEs\":[\"Cdev1\"]}],"     \
	"\"lifetime\":600}}"

static m2m_err parse(const char *j, m2mi_secprof **p)
{
	return m2mi_secprof_parse(j, strlen(j), "/id-in", 1000, p);
}

static void test_parse_and_decide(void **state)
{
	m2mi_secprof *p = NULL;
	const char *keid_cred = "12-0123456789ABCDEF0123456789ABCDEF@mef.sp.example.com";

	(void)state;
	assert_int_equal(parse(GOOD, &p), M2M_OK);
	assert_true(m2mi_secprof_suid_ok(p, 22));
	assert_true(m2mi_secprof_suid_ok(p, 23));
	assert_false(m2mi_secprof_suid_ok(p, 24));
	assert_int_equal(m2mi_secprof_expiry(p), 1600);
	/* a KeID credential may register the AE-IDs of its rule only */
	assert_true(m2mi_secprof_ae_allowed(p, keid_cred, "Cmefdev1"));
	assert_false(m2mi_secprof_ae_allowed(p, keid_cred, "Cdev1"));
	assert_true(m2mi_secprof_ae_allowed(p, "12-kpsa-dev1@sp.example.com", "Cdev1"));
	assert_false(m2mi_secprof_ae_allowed(p, "12-kpsa-dev1@sp.example.com", "Cdev2"));
	/* a credential no rule names is not restricted by the profile */
	assert_true(m2mi_secprof_ae_allowed(p, "12-kpsa-admin@sp.example.com", "CAdmin"));
	/* missing inputs: deny */
	assert_false(m2mi_secprof_ae_allowed(p, NULL, "Cmefdev1"));
	assert_false(m2mi_secprof_ae_allowed(NULL, keid_cred, "Cmefdev1"));
	assert_false(m2mi_secprof_suid_ok(NULL, 22));
	m2mi_secprof_free(p);
}

static void test_refused(void **state)
{
	m2mi_secprof *p = (m2mi_secprof *)1;
	const char *bad[] = {
		"not json",
		"{}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-other\",\"SUIDs\":[22]}}", /* another CSE's profile */
		"{\"sec:secProfile\":{\"SUIDs\":[22]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\"}}",                  /* SUIDs mandatory */
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[99]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[\"22\"]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"appRules\":[{\"allowedAEs\":[\"C*\"]}]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"appRules\":[{\"applicableCredIDs\":[\"\"],\"allowedAEs\":[\"C*\"]}]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"lifetime\":0}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"cseID\":\"/id-in\"}}", /* duplicate */
		/* cipherSuites / trustAnchors: non-empty lists of non-empty strings */
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"cipherSuites\":[]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"cipherSuites\":\"TLS_AES_128_GCM_SHA256\"}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"cipherSuites\":[7]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"trustAnchors\":[]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"trustAnchors\":[\"\"]}}",
		"{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],\"trustAnchors\":\"PEM\"}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = (m2mi_secprof *)1;
		assert_int_equal(parse(bad[i], &p), M2M_E_PROTO);
		assert_null(p);
	}
	assert_int_equal(parse("{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[]}}", &p), M2M_OK);
	assert_false(m2mi_secprof_suid_ok(p, 22)); /* no SUID accepted: no KeID fetch */
	assert_int_equal(m2mi_secprof_expiry(p), 0);
	m2mi_secprof_free(p);
}

static void test_tls_members(void **state)
{
	const char *const *v = NULL;
	m2mi_secprof *p = NULL;

	(void)state;
	assert_int_equal(parse(GOOD, &p), M2M_OK);
	assert_int_equal(m2mi_secprof_suites(p, &v), 1);
	assert_string_equal(v[0], "TLS_AES_128_GCM_SHA256");
	assert_int_equal(m2mi_secprof_anchors(p, &v), 0);
	assert_null(v);
	m2mi_secprof_free(p);
	assert_int_equal(parse("{\"sec:secProfile\":{\"cseID\":\"/id-in\",\"SUIDs\":[22],"
			       "\"trustAnchors\":[\"-----BEGIN CERTIFICATE-----\\nA\\n\",\"B\"]}}",
			       &p),
			 M2M_OK);
	assert_int_equal(m2mi_secprof_suites(p, &v), 0); /* absent: no restriction */
	assert_int_equal(m2mi_secprof_anchors(p, &v), 2);
	assert_string_equal(v[0], "-----BEGIN CERTIFICATE-----\nA\n");
	assert_string_equal(v[1], "B");
	m2mi_secprof_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_decide),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_tls_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
