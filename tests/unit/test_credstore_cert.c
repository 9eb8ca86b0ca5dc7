/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of store/credstore_cert.c: certificate records of the
 * credential store (TS-0003 clause 10.1): fingerprint identifier, window, one PEM per record. */
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "m2m_test.h"
#include "m2msec/hex.h"
#include "store/credstore_cert.h"

/* A self-signed P-256 certificate valid [nb, na), made at run time; *fp gets its fingerprint. */
static char *make_cert(int64_t nb, int64_t na, char fp[65])
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	uint8_t md[32];
	unsigned mdlen = 0;
	char *data = NULL, *pem;
	long len;

	assert_non_null(pk);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"mef.example.com", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	assert_int_equal(m2m_hex_encode(md, mdlen, true, fp, 65), M2M_OK);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	len = BIO_get_mem_data(b, &data);
	pem = strndup(data, (size_t)len);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pk);
	return pem;
}

static void test_parse_valid(void **state)
{
	char want[65], *fp = NULL, *norm = NULL, *with_text;
	char *pem = make_cert(1700000000, 1800000000, want);
	int64_t nb = 0, na = 0;
	size_t n = strlen(pem);

	assert_int_equal(m2mi_credstore_cert_parse(pem, &fp, &nb, &na, &norm), M2M_OK);
	assert_string_equal(fp, want);
	assert_int_equal(nb, 1700000000);
	assert_int_equal(na, 1800000000);
	assert_string_equal(norm, pem);
	free(fp);
	free(norm);
	/* text around the block is not kept: the normalised PEM is the certificate only */
	with_text = malloc(n + 32);
	snprintf(with_text, n + 32, "subject=mef\n%s\n", pem);
	assert_int_equal(m2mi_credstore_cert_parse(with_text, &fp, &nb, &na, &norm), M2M_OK);
	assert_string_equal(fp, want);
	assert_string_equal(norm, pem);
	free(fp);
	free(norm);
	free(with_text);
	free(pem);
}

static void test_parse_rejects(void **state)
{
	char f1[65], f2[65], *fp = (char *)0x1, *norm = (char *)0x1, *both, *big;
	char *a = make_cert(1700000000, 1800000000, f1), *b = make_cert(1700000000, 1800000000, f2);
	int64_t nb = 0, na = 0;
	size_t na_len = strlen(a), nb_len = strlen(b);

	assert_int_equal(m2mi_credstore_cert_parse("hello", &fp, &nb, &na, &norm), M2M_E_CERT);
	assert_null(fp);
	assert_null(norm);
	assert_int_equal(m2mi_credstore_cert_parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
						   &fp, &nb, &na, &norm), M2M_E_CERT);
	assert_int_equal(m2mi_credstore_cert_parse(NULL, &fp, &nb, &na, &norm), M2M_E_INVAL);
	both = malloc(na_len + nb_len + 1);
	memcpy(both, a, na_len);
	memcpy(both + na_len, b, nb_len + 1);
	assert_int_equal(m2mi_credstore_cert_parse(both, &fp, &nb, &na, &norm), M2M_E_CERT);
	assert_null(fp);
	/* truncation of a valid PEM fails */
	both[na_len / 2] = '\0';
	assert_int_equal(m2mi_credstore_cert_parse(both, &fp, &nb, &na, &norm), M2M_E_CERT);
	big = malloc(M2MI_CERT_PEM_MAX + 2);
	memset(big, 'A', M2MI_CERT_PEM_MAX + 1);
	big[M2MI_CERT_PEM_MAX + 1] = '\0';
	assert_int_equal(m2mi_credstore_cert_parse(big, &fp, &nb, &na, &norm), M2M_E_TOO_LARGE);
	free(big);
	free(both);
	free(a);
	free(b);
}

static void test_window_before_1970_is_unbounded(void **state)
{
	char want[65], *fp = NULL, *norm = NULL;
	char *pem = make_cert(-86400, 1800000000, want);
	int64_t nb = -5, na = 0;

	assert_int_equal(m2mi_credstore_cert_parse(pem, &fp, &nb, &na, &norm), M2M_OK);
	assert_int_equal(nb, 0);
	assert_int_equal(na, 1800000000);
	free(fp);
	free(norm);
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_window_before_1970_is_unbounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
