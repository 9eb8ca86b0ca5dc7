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
#include "svc_fixture.h"

/* A self-signed P-256 certificate valid [nb, na), made at run time; *fp gets its fingerprint
 * (SHA-256 of the DER, uppercase hex), computed here independently of the module. */
static char *make_cert(int64_t nb, int64_t na, char fp[65])
{
	char *pem = sf_self_signed_pem("mef.example.com", (time_t)nb, (time_t)na);
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	uint8_t md[32];
	unsigned mdlen = 0;

	assert_non_null(x);
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	assert_int_equal(m2m_hex_encode(md, mdlen, true, fp, 65), M2M_OK);
	X509_free(x);
	BIO_free(b);
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
