/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of pki/crl.c (RFC 5280 section 5; TS-0003 clause 8.1.2.2
 * certificate status): a CRL of the CA listing given serials verifies with `openssl crl
 * -CAfile` against that CA, carries the reasons, and bad entries are refused.
 */
#include "ca_fixture.h"

static void check_openssl(const char *dir, const char *pem, const char *grep)
{
	char path[300], cmd[900];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/t.crl", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(pem, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "openssl crl -in '%s' -CAfile '%s/ca.crt' -noout -text 2>&1 | grep -q '%s'", path,
		 dir, grep);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

static void test_crl_build(void **state)
{
	struct fx *f = *state;
	int64_t now = (int64_t)time(NULL);
	m2m_ca_revoked rv[2] = {{"0A1B2C", now - 60, M2M_CA_REASON_SUPERSEDED},
				{"7f00ff", now - 30, M2M_CA_REASON_NONE}};
	char *pem = NULL;

	assert_int_equal(m2m_ca_crl(f->ca, rv, 2, now, 3600, &pem), M2M_OK);
	assert_non_null(strstr(pem, "-----BEGIN X509 CRL-----"));
	check_openssl(f->dir, pem, "verify OK");
	check_openssl(f->dir, pem, "Serial Number: 0A1B2C");
	check_openssl(f->dir, pem, "Serial Number: 7F00FF");
	check_openssl(f->dir, pem, "Superseded");
	check_openssl(f->dir, pem, "X509v3 CRL Number");
	free(pem);
	/* an empty CRL is valid too */
	assert_int_equal(m2m_ca_crl(f->ca, NULL, 0, now, 0, &pem), M2M_OK);
	check_openssl(f->dir, pem, "No Revoked Certificates");
	free(pem);
}

static void test_crl_refused(void **state)
{
	struct fx *f = *state;
	int64_t now = (int64_t)time(NULL);
	m2m_ca_revoked bad_hex = {"12xz", now, 0}, bad_date = {"12", 0, 0}, bad_reason = {"12", now, 11};
	char *pem = (char *)1;

	assert_int_equal(m2m_ca_crl(f->ca, &bad_hex, 1, now, 0, &pem), M2M_E_INVAL);
	assert_null(pem);
	assert_int_equal(m2m_ca_crl(f->ca, &bad_date, 1, now, 0, &pem), M2M_E_INVAL);
	assert_int_equal(m2m_ca_crl(f->ca, &bad_reason, 1, now, 0, &pem), M2M_E_INVAL);
	assert_int_equal(m2m_ca_crl(f->ca, NULL, 1, now, 0, &pem), M2M_E_INVAL);
	assert_int_equal(m2m_ca_crl(f->ca, NULL, 0, now, (int64_t)M2M_CA_DAYS_MAX * 86400 + 1, &pem), M2M_E_RANGE);
	assert_int_equal(m2m_ca_crl(NULL, NULL, 0, now, 0, &pem), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crl_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
