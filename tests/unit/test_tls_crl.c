/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/tls_crl.c: client-certificate status checking with
 * a CRL (TS-0003 clause 8.1.2.2; RFC 5280 section 6.3). A leaf listed on the CA's CRL fails
 * verification (X509_V_ERR_CERT_REVOKED), an unlisted one passes; a CRL file that disappears at
 * a refresh, and a CRL past its nextUpdate, fail closed; an unusable file at start is refused.
 */
#include "ca_fixture.h"

#include "m2msec/tls.h"
#include "tls/tls_int.h"

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* X509_verify_cert of leaf against the fixture CA with the CRLs of c; the error code. */
static int verify(struct fx *f, m2mi_tls_crl *c, const char *leaf_pem, int64_t now)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *xs = X509_STORE_CTX_new();
	BIO *b = BIO_new_mem_buf(m2m_ca_cert_pem(f->ca), -1);
	X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL), *leaf;
	STACK_OF(X509_CRL) *held = m2mi_tls_crl_current(c, now);
	int err;

	BIO_free(b);
	b = BIO_new_mem_buf(leaf_pem, -1);
	leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(xs, store, leaf, NULL);
	X509_STORE_CTX_set0_crls(xs, held);
	X509_STORE_CTX_set_flags(xs, X509_V_FLAG_CRL_CHECK);
	err = X509_verify_cert(xs) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(xs);
	sk_X509_CRL_pop_free(held, X509_CRL_free);
	X509_STORE_CTX_free(xs);
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(leaf);
	return err;
}

static char *serial_of(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = BN_bn2hex(bn), *out = strdup(h);

	OPENSSL_free(h);
	BN_free(bn);
	X509_free(x);
	BIO_free(b);
	return out;
}

static void test_crl_check(void **state)
{
	struct fx *f = *state;
	const char *san1[] = {"m2m://sp.example.com/cse-in/Cdev1"}, *san2[] = {"m2m://sp.example.com/cse-in/Cdev2"};
	char *c1 = NULL, *k1 = NULL, *c2 = NULL, *k2 = NULL, *crl = NULL, *s1, path[300];
	int64_t now = (int64_t)time(NULL);
	m2mi_tls_crl *c = NULL;

	assert_int_equal(m2m_ca_issue(f->ca, san1, 1, 0, NULL, &c1, &k1), M2M_OK);
	assert_int_equal(m2m_ca_issue(f->ca, san2, 1, 0, NULL, &c2, &k2), M2M_OK);
	s1 = serial_of(c1);
	snprintf(path, sizeof(path), "%s/crl.pem", f->dir);
	/* nothing usable at start: refused */
	assert_int_equal(m2mi_tls_crl_new(path, 60, &c), M2M_E_CONFIG);
	write_file(path, "not a crl\n");
	assert_int_equal(m2mi_tls_crl_new(path, 60, &c), M2M_E_CONFIG);
	assert_null(c);

	m2m_ca_revoked rv = {s1, now - 10, M2M_CA_REASON_SUPERSEDED};
	assert_int_equal(m2m_ca_crl(f->ca, &rv, 1, now - 60, 3600, &crl), M2M_OK);
	write_file(path, crl);
	free(crl);
	assert_int_equal(m2mi_tls_crl_new(path, 60, &c), M2M_OK);
	assert_int_equal(verify(f, c, c1, now), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(verify(f, c, c2, now), X509_V_OK);

	/* refresh: an empty CRL replaces it (re-read once the period is over) */
	assert_int_equal(m2m_ca_crl(f->ca, NULL, 0, now - 60, 3600, &crl), M2M_OK);
	write_file(path, crl);
	free(crl);
	assert_int_equal(verify(f, c, c1, now), X509_V_ERR_CERT_REVOKED); /* not due yet */
	assert_int_equal(verify(f, c, c1, now + 61), X509_V_OK);
	/* the file vanishes: fail closed at the next refresh */
	unlink(path);
	assert_int_equal(verify(f, c, c2, now + 200), X509_V_ERR_UNABLE_TO_GET_CRL);
	/* an expired CRL (nextUpdate in the past) refuses as well */
	assert_int_equal(m2m_ca_crl(f->ca, NULL, 0, now - 7200, 3600, &crl), M2M_OK);
	write_file(path, crl);
	free(crl);
	assert_int_equal(verify(f, c, c2, now + 400), X509_V_ERR_CRL_HAS_EXPIRED);
	m2mi_tls_crl_free(c);
	unlink(path);
	free(s1);
	free(c1);
	free(c2);
	m2m_freezero(k1, strlen(k1) + 1);
	m2m_freezero(k2, strlen(k2) + 1);
}

/* crl-file without certificate clients, or a negative refresh, is a configuration error. */
static void test_crl_config(void **state)
{
	(void)state;
	m2m_tls_config cfg = {.crl_file = "/nonexistent/crl.pem", .sp_id = "//sp.example.com"};
	m2m_tls *tls = (m2m_tls *)1;
	char err[200] = "";

	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, err, sizeof(err)), M2M_E_CONFIG);
	assert_null(tls);
	assert_non_null(strstr(err, "crl-file needs cert and trust-anchors"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crl_check, setup, teardown),
		cmocka_unit_test(test_crl_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
