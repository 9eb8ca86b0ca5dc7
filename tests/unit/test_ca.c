/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of pki/ca.c: CA directory layout and modes, the CA
 * certificate (TS-0003 clause 8.1.2.2 critical nameConstraints, clause 10.1.1.3 profile),
 * refusals (a second init, bad names and domains, open key permissions, a key that does not
 * match the certificate) and the accessors behind `m2msec ca show`.
 */
#include <time.h>

#include "ca_fixture.h"

static void test_init_files_and_modes(void **state)
{
	struct fx *f = *state;
	char path[256];
	struct stat st;
	X509 *x;
	BASIC_CONSTRAINTS *bc;
	NAME_CONSTRAINTS *nc;
	const ASN1_INTEGER *serial;

	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/ca.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/ca.crt", f->dir);
	x = file_cert(path);

	/* Self-signed: issuer == subject and the signature verifies with its own key. */
	assert_int_equal(X509_check_issued(x, x), X509_V_OK);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
	assert_p256_uncompressed(x);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(ext_critical(x, NID_basic_constraints));
	assert_true(ext_critical(x, NID_key_usage));
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	assert_int_equal(ASN1_STRING_cmp(X509_get0_subject_key_id(x), X509_get0_authority_key_id(x)), 0);

	/* nameConstraints: critical, DNS:d, URI:d, URI:.d */
	assert_true(ext_critical(x, NID_name_constraints));
	nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	assert_non_null(nc);
	assert_int_equal(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 3);
	assert_int_equal(sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 0)->base->type, GEN_DNS);
	assert_int_equal(sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 2)->base->type, GEN_URI);
	assert_string_equal(ASN1_STRING_get0_data(sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 2)->base->d.ia5),
			    ".sp.example.com");
	assert_null(nc->excludedSubtrees);
	NAME_CONSTRAINTS_free(nc);

	/* 16-byte positive serial. */
	serial = X509_get0_serialNumber(x);
	assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);
	assert_int_equal(ASN1_STRING_length(serial), 16);
	X509_free(x);

	/* Accessors agree with the file. */
	assert_string_equal(m2m_ca_subject(f->ca), "CN=Test CA");
	assert_int_equal(strlen(m2m_ca_serial(f->ca)), 32);
	assert_int_equal(strlen(m2m_ca_fingerprint(f->ca)), 64);
	assert_int_equal(m2m_ca_constraint_count(f->ca), 3);
	{
		bool permitted = false;
		assert_string_equal(m2m_ca_constraint(f->ca, 0, &permitted), "DNS:sp.example.com");
		assert_true(permitted);
		assert_string_equal(m2m_ca_constraint(f->ca, 1, NULL), "URI:sp.example.com");
		assert_string_equal(m2m_ca_constraint(f->ca, 2, NULL), "URI:.sp.example.com");
		assert_null(m2m_ca_constraint(f->ca, 3, NULL));
	}
	{
		int64_t nb, na, now = (int64_t)time(NULL);
		m2m_ca_validity(f->ca, &nb, &na);
		assert_true(nb <= now && nb >= now - 3600);
		assert_true(na - now > 3649LL * 86400 && na - now <= 3650LL * 86400);
	}
	assert_non_null(strstr(m2m_ca_cert_pem(f->ca), "-----BEGIN CERTIFICATE-----"));
}

static void test_init_twice_refused(void **state)
{
	struct fx *f = *state;
	char path[256], before[4096], after[4096];
	FILE *fp;
	size_t n1, n2;

	snprintf(path, sizeof(path), "%s/ca.crt", f->dir);
	fp = fopen(path, "r");
	n1 = fread(before, 1, sizeof(before), fp);
	fclose(fp);
	assert_int_equal(m2m_ca_init(f->dir, "Other CA", NULL, 0, 0), M2M_E_EXISTS);
	fp = fopen(path, "r");
	n2 = fread(after, 1, sizeof(after), fp);
	fclose(fp);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
}

static void test_init_bad_args(void **state)
{
	struct fx *f = *state;
	static const char *const wild[] = {"*.sp.example.com"};
	static const char *const bad[] = {"not a domain"};
	static const char *const ok[] = {"sp.example.com"};
	char dir[256];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/bad", f->base);
	assert_int_equal(m2m_ca_init(dir, "CA", wild, 1, 0), M2M_E_ID_WILDCARD);
	assert_true(m2m_ca_init(dir, "CA", bad, 1, 0) <= M2M_E_ID_EMPTY);
	assert_int_equal(m2m_ca_init(dir, "", ok, 1, 0), M2M_E_INVAL);
	assert_int_equal(m2m_ca_init(dir, "CA*", ok, 1, 0), M2M_E_CERT_NAME);
	assert_int_equal(m2m_ca_init(dir, "CA", ok, 1, -1), M2M_E_RANGE);
	assert_int_equal(m2m_ca_init(dir, "CA", ok, 1, M2M_CA_DAYS_MAX + 1), M2M_E_RANGE);
	assert_int_equal(m2m_ca_init(NULL, "CA", ok, 1, 0), M2M_E_INVAL);
	assert_int_equal(m2m_ca_init(dir, "CA", NULL, 1, 0), M2M_E_INVAL);
	assert_int_equal(stat(dir, &st), -1); /* nothing was created */
	snprintf(dir, sizeof(dir), "%s/missing/parent", f->base);
	assert_int_equal(m2m_ca_init(dir, "CA", ok, 1, 0), M2M_E_NOT_FOUND);
}

static void test_key_perms(void **state)
{
	struct fx *f = *state;
	char path[256];
	m2m_ca *ca = (m2m_ca *)0x1;

	snprintf(path, sizeof(path), "%s/ca.key", f->dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(m2m_ca_open(f->dir, &ca), M2M_E_KEY_PERMS);
	assert_null(ca);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(m2m_ca_open(f->dir, &ca), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(m2m_ca_open(f->dir, &ca), M2M_OK);
	m2m_ca_free(ca);
	assert_int_equal(m2m_ca_open(f->base, &ca), M2M_E_NOT_FOUND);
	m2m_ca_free(NULL);
}

static void test_open_refuses_mismatch(void **state)
{
	struct fx *f = *state;
	char dir2[256], a[300], b[300];
	m2m_ca *ca = (m2m_ca *)0x1;

	/* ca.key of another CA next to this ca.crt: M2M_E_CERT. */
	snprintf(dir2, sizeof(dir2), "%s/ca2", f->base);
	assert_int_equal(m2m_ca_init(dir2, "CA 2", NULL, 0, 0), M2M_OK);
	snprintf(a, sizeof(a), "%s/ca.key", f->dir);
	snprintf(b, sizeof(b), "%s/ca.key", dir2);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(m2m_ca_open(f->dir, &ca), M2M_E_CERT);
	assert_null(ca);
	assert_int_equal(m2m_ca_open(NULL, &ca), M2M_E_INVAL);
	assert_int_equal(m2m_ca_open(f->dir, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_ca_constraint_count(NULL), 0);
	assert_null(m2m_ca_cert_pem(NULL));
}

static void test_unconstrained_ca(void **state)
{
	struct fx *f = *state;
	const char *sans[] = {"anything.example.org"};
	char dir[256], *crt = NULL, *key = NULL;
	m2m_ca *ca = NULL;

	snprintf(dir, sizeof(dir), "%s/free", f->base);
	assert_int_equal(mkdir(dir, 0755), 0); /* an existing empty directory is reused and tightened */
	assert_int_equal(m2m_ca_init(dir, "Free CA", NULL, 0, 1), M2M_OK);
	{
		struct stat st;
		assert_int_equal(stat(dir, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
	assert_int_equal(m2m_ca_open(dir, &ca), M2M_OK);
	assert_int_equal(m2m_ca_constraint_count(ca), 0);
	assert_int_equal(m2m_ca_issue(ca, sans, 1, 0, NULL, &crt, &key), M2M_OK);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);
	m2m_ca_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_files_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_twice_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_perms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconstrained_ca, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
