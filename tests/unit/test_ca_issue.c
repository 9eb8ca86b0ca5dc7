/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of pki/ca_issue.c: leaf issuance to the TS-0003 clause
 * 10.1.1 profiles (DNS and AE-ID URI leaves) checked independently with OpenSSL's
 * X509_verify_cert, refusals (wildcards, names outside the CA's nameConstraints — with no files
 * left behind — duplicates, bad CN/days), CSR signing that copies nothing but the key, validity
 * and trust verdicts of m2m_ca_verify, and mutations of an issued certificate (docs/style.md #18).
 */
#include <time.h>

#include "ca_fixture.h"

/* Independent path validation: OpenSSL's verifier with ca.crt as trust anchor. */
static int ossl_verify(X509 *ca, X509 *leaf)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_true(X509_STORE_add_cert(st, ca));
	assert_true(X509_STORE_CTX_init(ctx, st, leaf, NULL));
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}

static void check_leaf(struct fx *f, X509 *leaf, const char *key_pem)
{
	X509 *cax = pem_cert(m2m_ca_cert_pem(f->ca));
	BIO *b;
	EVP_PKEY *k;

	assert_int_equal(ossl_verify(cax, leaf), 1);
	assert_p256_uncompressed(leaf);
	assert_true(ext_critical(leaf, NID_key_usage));
	assert_int_equal(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_non_null(X509_get0_subject_key_id(leaf));
	assert_int_equal(ASN1_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(cax)), 0);
	assert_int_equal(X509_check_issued(cax, leaf), X509_V_OK);
	if (key_pem != NULL) {
		b = BIO_new_mem_buf(key_pem, -1);
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		assert_non_null(k);
		assert_int_equal(X509_check_private_key(leaf, k), 1);
		EVP_PKEY_free(k);
		BIO_free(b);
	}
	X509_free(cax);
}

static void assert_san(X509 *x, int i, int type, const char *value)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *gn;

	assert_non_null(g);
	assert_true(i < sk_GENERAL_NAME_num(g));
	gn = sk_GENERAL_NAME_value(g, i);
	assert_int_equal(gn->type, type);
	assert_string_equal(ASN1_STRING_get0_data(gn->d.ia5), value);
	GENERAL_NAMES_free(g);
}

static void issue_ok(struct fx *f, const char *san, int type, const char *expect)
{
	const char *sans[] = {san};
	char *crt = NULL, *key = NULL;
	X509 *leaf;

	assert_int_equal(m2m_ca_issue(f->ca, sans, 1, 0, NULL, &crt, &key), M2M_OK);
	leaf = pem_cert(crt);
	check_leaf(f, leaf, key);
	assert_san(leaf, 0, type, expect);
	assert_int_equal(m2m_ca_verify(f->ca, crt, strlen(crt), 0), M2M_OK);
	X509_free(leaf);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);
}

static void test_issue_dns_and_uri(void **state)
{
	struct fx *f = *state;

	issue_ok(f, "cse-in.sp.example.com", GEN_DNS, "cse-in.sp.example.com");
	issue_ok(f, "sp.example.com", GEN_DNS, "sp.example.com");
	issue_ok(f, "MEF.SP.Example.com.", GEN_DNS, "mef.sp.example.com"); /* canonical */
	issue_ok(f, "m2m://sp.example.com/cse-in/Cabc", GEN_URI, "m2m://sp.example.com/cse-in/Cabc");
	issue_ok(f, "M2M://SP.example.com/cse-in/Cabc", GEN_URI, "m2m://sp.example.com/cse-in/Cabc");
	/* URI:.sp.example.com admits subdomain hosts. */
	issue_ok(f, "https://node1.sp.example.com:8443/x", GEN_URI, "https://node1.sp.example.com:8443/x");
}

static void test_issue_subject_and_sans(void **state)
{
	struct fx *f = *state;
	const char *sans[] = {"m2m://sp.example.com/cse-in/Cabcdefghijklmnopqrstuvwxyz0123456789abcdefghij",
			      "cse-in.sp.example.com"};
	char *crt = NULL, *key = NULL;
	char cn[128];
	X509 *leaf;

	/* Default CN = first SAN; when it does not fit, an empty subject and a critical SAN. */
	assert_int_equal(m2m_ca_issue(f->ca, sans + 1, 1, 30, NULL, &crt, &key), M2M_OK);
	leaf = pem_cert(crt);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "cse-in.sp.example.com");
	assert_false(ext_critical(leaf, NID_subject_alt_name));
	X509_free(leaf);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);

	assert_int_equal(m2m_ca_issue(f->ca, sans, 2, 30, NULL, &crt, &key), M2M_OK);
	leaf = pem_cert(crt);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
	assert_true(ext_critical(leaf, NID_subject_alt_name));
	assert_san(leaf, 1, GEN_DNS, "cse-in.sp.example.com");
	check_leaf(f, leaf, key);
	X509_free(leaf);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);

	assert_int_equal(m2m_ca_issue(f->ca, sans, 2, 30, "AE Cabc", &crt, &key), M2M_OK);
	leaf = pem_cert(crt);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "AE Cabc");
	{
		/* notAfter = now + 30 days */
		int day = 0, sec = 0;
		assert_true(ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(leaf)));
		assert_true(day == 29 || day == 30);
	}
	X509_free(leaf);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);
}

static void test_issue_refusals(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *san;
		m2m_err want;
	} cases[] = {
		{"*.sp.example.com", M2M_E_ID_WILDCARD},
		{"m2m://*.sp.example.com/cse-in/Cabc", M2M_E_CERT_NAME},
		{"https://sp.example.com/*", M2M_E_CERT_NAME},
		{"other.example.org", M2M_E_CERT_NAME},
		{"evilsp.example.com", M2M_E_CERT_NAME},
		{"m2m://other.example.org/cse-in/Cabc", M2M_E_CERT_NAME},
		{"https://evilsp.example.com/", M2M_E_CERT_NAME},
		{"https://user@sp.example.com/", M2M_E_ID_BAD_CHAR},
		{"https://sp.example.com/a:b", M2M_E_CERT_NAME},
		{"m2m://sp.example.com/cse-in", M2M_E_ID_BAD_FORM},
		{"://sp.example.com/", M2M_E_CERT_NAME},
		{"sp.example.com/path", M2M_E_ID_BAD_CHAR},
		{"", M2M_E_ID_EMPTY},
	};
	char *crt = (char *)0x1, *key = (char *)0x1;

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		const char *sans[] = {cases[i].san};
		m2m_err r = m2m_ca_issue(f->ca, sans, 1, 0, NULL, &crt, &key);
		if (cases[i].want == M2M_E_ID_BAD_CHAR || cases[i].want == M2M_E_ID_BAD_FORM)
			assert_true(r <= M2M_E_ID_EMPTY && r >= M2M_E_ID_BAD_LEN); /* any identifier error */
		else
			assert_int_equal(r, cases[i].want);
		assert_null(crt);
		assert_null(key);
	}
	{
		const char *dup[] = {"sp.example.com", "SP.example.com"};
		const char *many[M2M_CA_MAX_SANS + 1];
		for (size_t i = 0; i < M2M_ARRAY_LEN(many); i++)
			many[i] = "sp.example.com";
		assert_int_equal(m2m_ca_issue(f->ca, dup, 2, 0, NULL, &crt, &key), M2M_E_CERT_NAME);
		assert_int_equal(m2m_ca_issue(f->ca, many, M2M_ARRAY_LEN(many), 0, NULL, &crt, &key), M2M_E_RANGE);
		assert_int_equal(m2m_ca_issue(f->ca, dup, 0, 0, NULL, &crt, &key), M2M_E_INVAL);
		assert_int_equal(m2m_ca_issue(f->ca, dup, 1, -5, NULL, &crt, &key), M2M_E_RANGE);
		assert_int_equal(m2m_ca_issue(f->ca, dup, 1, 0, "*", &crt, &key), M2M_E_CERT_NAME);
		{
			/* Without a DNS SAN, OpenSSL checks a host-like CN against the DNS subtrees. */
			const char *uri[] = {"m2m://sp.example.com/cse-in/Cabc"};
			assert_int_equal(m2m_ca_issue(f->ca, uri, 1, 0, "evil.example.org", &crt, &key),
					 M2M_E_CERT_NAME);
		}
		assert_int_equal(m2m_ca_issue(f->ca, dup, 1, 0,
					      "0123456789012345678901234567890123456789012345678901234567890123456789",
					      &crt, &key),
				 M2M_E_INVAL);
		assert_int_equal(m2m_ca_issue(NULL, dup, 1, 0, NULL, &crt, &key), M2M_E_INVAL);
	}
}

static void test_outside_permit_leaves_no_files(void **state)
{
	struct fx *f = *state;
	const char *sans[] = {"other.example.org"};
	char *crt = NULL, *key = NULL, prefix[256], path[300];
	struct stat st;

	/* The CLI writes only after a successful issue; here issuance itself fails. */
	snprintf(prefix, sizeof(prefix), "%s/leaf", f->base);
	assert_int_equal(m2m_ca_issue(f->ca, sans, 1, 0, NULL, &crt, &key), M2M_E_CERT_NAME);
	assert_int_equal(m2m_ca_write_leaf(prefix, crt, key), M2M_E_INVAL);
	snprintf(path, sizeof(path), "%s.crt", prefix);
	assert_int_equal(stat(path, &st), -1);

	/* write_leaf: modes, and refusing an existing prefix leaves nothing new behind. */
	sans[0] = "mn-cse.sp.example.com";
	assert_int_equal(m2m_ca_issue(f->ca, sans, 1, 0, NULL, &crt, &key), M2M_OK);
	assert_int_equal(m2m_ca_write_leaf(prefix, crt, key), M2M_OK);
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(m2m_ca_write_leaf(prefix, crt, key), M2M_E_EXISTS);
	{
		DIR *d = opendir(f->base);
		struct dirent *e;
		int n = 0;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		assert_int_equal(n, 3); /* ca/, leaf.crt, leaf.key: no temporaries */
	}
	free(crt);
	m2m_freezero(key, strlen(key) + 1);
}

static char *make_csr(const char *curve, bool compressed, bool corrupt)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(k);
	if (compressed)
		assert_true(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
							   "compressed"));
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
				   (const unsigned char *)"evil.example.org", -1, -1, 0);
	X509_REQ_set_pubkey(req, k);
	/* Requested extensions the CA must ignore. */
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE"));
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:evil.example.org"));
	X509_REQ_add_extensions(req, exts);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	if (corrupt) {
		ASN1_BIT_STRING *sig = NULL;
		X509_REQ_get0_signature(req, (const ASN1_BIT_STRING **)&sig, NULL);
		sig->data[sig->length - 3] ^= 0x01;
	}
	assert_true(PEM_write_bio_X509_REQ(b, req));
	n = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, data, (size_t)n);
	BIO_free(b);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return out;
}

static void test_issue_csr(void **state)
{
	struct fx *f = *state;
	const char *sans[] = {"m2m://sp.example.com/cse-in/Cdev1"};
	char *csr, *crt = (char *)0x1;
	X509 *leaf;

	csr = make_csr("P-256", true, false);
	assert_int_equal(m2m_ca_issue_csr(f->ca, csr, strlen(csr), sans, 1, 0, NULL, &crt), M2M_OK);
	leaf = pem_cert(crt);
	check_leaf(f, leaf, NULL);
	assert_san(leaf, 0, GEN_URI, "m2m://sp.example.com/cse-in/Cdev1");
	{
		GENERAL_NAMES *g = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
		assert_int_equal(sk_GENERAL_NAME_num(g), 1); /* the requested DNS SAN was not copied */
		GENERAL_NAMES_free(g);
	}
	X509_free(leaf);
	free(crt);
	free(csr);

	csr = make_csr("P-256", false, true);
	assert_int_equal(m2m_ca_issue_csr(f->ca, csr, strlen(csr), sans, 1, 0, NULL, &crt), M2M_E_CERT);
	assert_null(crt);
	free(csr);
	csr = make_csr("P-384", false, false);
	assert_int_equal(m2m_ca_issue_csr(f->ca, csr, strlen(csr), sans, 1, 0, NULL, &crt), M2M_E_CERT);
	free(csr);
	assert_int_equal(m2m_ca_issue_csr(f->ca, "garbage", 7, sans, 1, 0, NULL, &crt), M2M_E_CERT);
}

static void test_verify_time_and_trust(void **state)
{
	struct fx *f = *state;
	static const char *const permit[] = {"sp.example.com"};
	const char *sans[] = {"cse-in.sp.example.com"};
	char *crt = NULL, *key = NULL, dir2[256];
	int64_t now = (int64_t)time(NULL);
	m2m_ca *other = NULL;

	assert_int_equal(m2m_ca_issue(f->ca, sans, 1, 10, NULL, &crt, &key), M2M_OK);
	assert_int_equal(m2m_ca_verify(f->ca, crt, strlen(crt), now + 86400), M2M_OK);
	assert_int_equal(m2m_ca_verify(f->ca, crt, strlen(crt), now + 11 * 86400), M2M_E_CERT_EXPIRED);
	assert_int_equal(m2m_ca_verify(f->ca, crt, strlen(crt), now - 86400), M2M_E_CERT_EXPIRED);
	snprintf(dir2, sizeof(dir2), "%s/ca2", f->base);
	assert_int_equal(m2m_ca_init(dir2, "Other CA", permit, 1, 5), M2M_OK);
	assert_int_equal(m2m_ca_open(dir2, &other), M2M_OK);
	assert_int_equal(m2m_ca_verify(other, crt, strlen(crt), 0), M2M_E_CERT_UNTRUSTED);
	assert_int_equal(m2m_ca_verify(f->ca, "junk", 4, 0), M2M_E_CERT);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);

	/* A leaf never outlives its CA (5 days here). */
	assert_int_equal(m2m_ca_issue(other, sans, 1, 365, NULL, &crt, &key), M2M_OK);
	{
		X509 *leaf = pem_cert(crt), *cax = pem_cert(m2m_ca_cert_pem(other));
		assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(cax)), 0);
		X509_free(leaf);
		X509_free(cax);
	}
	free(crt);
	m2m_freezero(key, strlen(key) + 1);
	m2m_ca_free(other);
}

/* docs/style.md #18: every bit flip, byte flip and truncation of the DER leaf fails. */
static void test_verify_mutations(void **state)
{
	struct fx *f = *state;
	const char *sans[] = {"m2m://sp.example.com/cse-in/Cabc"};
	char *crt = NULL, *key = NULL;
	unsigned char *der = NULL;
	char *buf;
	int len;
	X509 *leaf;

	assert_int_equal(m2m_ca_issue(f->ca, sans, 1, 0, NULL, &crt, &key), M2M_OK);
	leaf = pem_cert(crt);
	len = i2d_X509(leaf, &der);
	assert_true(len > 0);
	buf = malloc((size_t)len);
	memcpy(buf, der, (size_t)len);
	assert_int_equal(m2m_ca_verify(f->ca, buf, (size_t)len, 0), M2M_OK);
	for (int i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] = (char)(der[i] ^ (1 << bit));
			assert_int_not_equal(m2m_ca_verify(f->ca, buf, (size_t)len, 0), M2M_OK);
		}
		buf[i] = (char)(der[i] ^ 0xff);
		assert_int_not_equal(m2m_ca_verify(f->ca, buf, (size_t)len, 0), M2M_OK);
		buf[i] = (char)der[i];
	}
	for (int n = 0; n < len; n++)
		assert_int_not_equal(m2m_ca_verify(f->ca, buf, (size_t)n, 0), M2M_OK);
	free(buf);
	OPENSSL_free(der);
	X509_free(leaf);
	free(crt);
	m2m_freezero(key, strlen(key) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_issue_dns_and_uri, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_subject_and_sans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_permit_leaves_no_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_csr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_time_and_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_mutations, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
