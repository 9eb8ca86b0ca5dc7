/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of pki/cert_facts.c (fingerprint, TS-0003 clause 10.4). */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "m2m_test.h"
#include "pki/cert_facts.h"

static X509 *make_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	assert_non_null(k);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 86400));   /* 1970-01-02 */
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), 4102444800)); /* 2100-01-01 */
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return x;
}

static void test_fingerprint(void **state)
{
	X509 *x = make_cert();
	uint8_t md[32];
	unsigned int n = 0;
	char up[M2MI_CERT_FINGERPRINT_HEX], lo[M2MI_CERT_FINGERPRINT_HEX], small[10];

	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	assert_int_equal(m2mi_cert_fingerprint(x, true, up, sizeof(up)), M2M_OK);
	assert_int_equal(m2mi_cert_fingerprint(x, false, lo, sizeof(lo)), M2M_OK);
	assert_int_equal(strlen(up), 64);
	for (size_t i = 0; i < 64; i++) {
		assert_int_equal(toupper((unsigned char)lo[i]), up[i]);
		unsigned v = (unsigned)strtoul((char[]){lo[i], 0}, NULL, 16);
		assert_int_equal(v, i % 2 ? (md[i / 2] & 0xfu) : (md[i / 2] >> 4));
	}
	assert_int_equal(m2mi_cert_fingerprint(x, true, small, sizeof(small)), M2M_E_RANGE);
	assert_int_equal(m2mi_cert_fingerprint(NULL, true, up, sizeof(up)), M2M_E_INVAL);
	X509_free(x);
}

static void test_times(void **state)
{
	X509 *x = make_cert();
	int64_t t = 0;

	assert_int_equal(m2mi_cert_time(X509_get0_notBefore(x), &t), M2M_OK);
	assert_int_equal(t, 86400);
	assert_int_equal(m2mi_cert_time(X509_get0_notAfter(x), &t), M2M_OK); /* GeneralizedTime */
	assert_int_equal(t, 4102444800);
	assert_int_equal(m2mi_cert_time(NULL, &t), M2M_E_CERT);
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
