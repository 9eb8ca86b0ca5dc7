/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the enrolee library parts that need no server: the
 * KeID / Ke split and the Enrolment Target key (TS-0003 clauses 10.3.1, 10.3.7) against
 * tests/vectors/mef_vectors.txt, the CSR made on the device with the subjectAltName of
 * clause 10.1.1.5 / 10.1.1.7, the EST certs-only parser (RFC 7030 clause 4.1.3), the HTTP
 * response parser, the MEF address and the output files (atomic, 0600 secrets, 0700 dir).
 */
#include <sys/stat.h>

#include "tls_test.h"
#include "enrolee/enrolee_int.h"
#include "m2msec/kdf.h"
#include "pki/cert_profile.h"
#include "tls/tls_int.h"

/* Every "fetch" vector: exporter material -> KeID, and the target key of the enrolee side
 * (absolute target, as the MEF registration answer gives it) equals the MEF-side value. */
static void test_vectors(void **state)
{
	FILE *fp = fopen(M2M_SOURCE_DIR "/tests/vectors/mef_vectors.txt", "r");
	char line[1024], a[7][200], abs_t[400], hex[65];
	uint8_t mat[48];
	size_t n, count = 0;
	m2m_kdf *kdf = NULL;

	(void)state;
	assert_non_null(fp);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	while (fgets(line, sizeof(line), fp) != NULL) {
		m2m_key *ke = NULL, *tk = NULL;
		char keid[128];

		if (sscanf(line, "fetch %199s %199s %199s %199s %199s %199s %199s", a[0], a[1], a[2], a[3], a[4], a[5],
			   a[6]) != 7)
			continue;
		assert_int_equal(m2m_hex_decode(a[0], strlen(a[0]), mat, sizeof(mat), &n), M2M_OK);
		assert_int_equal(n, 48);
		assert_int_equal(m2m_kdf_exporter_split(mat, a[1], &ke, keid, sizeof(keid)), M2M_OK);
		assert_string_equal(keid, a[5]);
		snprintf(abs_t, sizeof(abs_t), "%s%s", a[4], a[3]); /* "//sp.example.com" "/cse-in" */
		assert_int_equal(m2mi_enr_target_key(kdf, ke, atoi(a[2]), abs_t, &tk), M2M_OK);
		assert_int_equal(m2m_key_export_hex(tk, hex, sizeof(hex)), M2M_OK);
		assert_string_equal(hex, a[6]);
		assert_string_equal(m2m_key_id(tk), a[5]); /* psk_identity = KeID */
		m2m_key_free(tk);
		m2m_key_free(ke);
		count++;
	}
	fclose(fp);
	assert_true(count >= 12);
	m2m_kdf_free(kdf);
}

static void test_subject_san(void **state)
{
	char out[300];

	(void)state;
	assert_int_equal(m2mi_enr_subject_san("Cdev1", "//sp.example.com/cse-in", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "m2m://sp.example.com/cse-in/Cdev1");
	assert_int_equal(m2mi_enr_subject_san("/cse-mn/Cdev1", "//sp.example.com/cse-in", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "m2m://sp.example.com/cse-mn/Cdev1");
	assert_int_equal(m2mi_enr_subject_san("//op.example.org/in/Cx", NULL, out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "m2m://op.example.org/in/Cx");
	assert_int_equal(m2mi_enr_subject_san("Sfleet", "//sp.example.com/cse-in", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "m2m://sp.example.com/Sfleet");
	/* clause 10.1.1.7: a CSE-ID is its public domain name (DNS) */
	assert_int_equal(m2mi_enr_subject_san("/cse-mn1", "//sp.example.com/cse-in", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "cse-mn1.sp.example.com");
	/* nothing to complete a stem with, or no identifier at all: refused */
	assert_int_not_equal(m2mi_enr_subject_san("Cdev1", NULL, out, sizeof(out)), M2M_OK);
	assert_int_not_equal(m2mi_enr_subject_san("Cdev1", "/cse-in", out, sizeof(out)), M2M_OK);
	assert_int_not_equal(m2mi_enr_subject_san("not an id", "//sp.example.com/cse-in", out, sizeof(out)), M2M_OK);
	assert_int_not_equal(m2mi_enr_subject_san("Cdev1", "//sp.example.com/cse-in", out, 10), M2M_OK);
}

static void check_csr(const char *san, int want_type)
{
	EVP_PKEY *pk = NULL;
	X509_REQ *rq = NULL;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *g;
	ASN1_IA5STRING *v;
	char *b64 = NULL;
	size_t len = 0;
	int type;

	assert_int_equal(m2mi_enr_csr_new(san, NULL, &pk, &rq), M2M_OK);
	assert_true(m2mi_tls_key_is_p256(pk)); /* clause 10.1.1: P-256 */
	assert_int_equal(X509_REQ_verify(rq, pk), 1);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(rq)), 0);
	exts = X509_REQ_get_extensions(rq);
	g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_non_null(g);
	assert_int_equal(sk_GENERAL_NAME_num(g), 1);
	v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(g, 0), &type);
	assert_int_equal(type, want_type);
	assert_int_equal(ASN1_STRING_length(v), (int)strlen(san));
	assert_memory_equal(ASN1_STRING_get0_data(v), san, strlen(san));
	/* RFC 5280 clause 4.2.1.6: empty subject, so the SAN is critical */
	assert_int_equal(X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts, 0)), 1);
	/* RFC 7030 clause 4.2.1: base64 DER in lines; it decodes back to the same request and
	 * holds only the public key */
	assert_int_equal(m2mi_enr_csr_b64(rq, &b64, &len), M2M_OK);
	assert_int_equal(strlen(b64), len);
	assert_non_null(strstr(b64, "\r\n"));
	assert_null(strstr(b64, "PRIVATE"));
	free(b64);
	GENERAL_NAMES_free(g);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(rq);
	EVP_PKEY_free(pk);
}

/* TS-0003 clause 8.3.4.6 certSubjectType 1 (Node) and clause 10.1.1.8: the CSR carries the
 * Node-ID in the CA's otherName encoding; anything that is not a Node-ID makes no request. */
static void test_node_csr(void **state)
{
	char san[300], nid[M2MI_NODE_ID_MAX + 1], long_id[M2MI_NODE_ID_MAX + 2];
	EVP_PKEY *pk = NULL;
	X509_REQ *rq = NULL;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *g;

	(void)state;
	assert_true(m2mi_enr_node_san("urn:gsma:imei:90420156-025763-0", san, sizeof(san)));
	assert_string_equal(san, "NODE:urn:gsma:imei:90420156-025763-0");
	assert_false(m2mi_enr_node_san("urn:gsma:*", san, sizeof(san)));
	assert_false(m2mi_enr_node_san("a b", san, sizeof(san)));
	assert_false(m2mi_enr_node_san("", san, sizeof(san)));
	assert_false(m2mi_enr_node_san("urn:x:1", san, 8));
	memset(long_id, 'n', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_false(m2mi_enr_node_san(long_id, san, sizeof(san)));
	assert_int_equal(m2mi_enr_csr_new("NODE:urn:x:1", NULL, &pk, &rq), M2M_OK);
	assert_int_equal(X509_REQ_verify(rq, pk), 1);
	exts = X509_REQ_get_extensions(rq);
	g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(g), 1);
	assert_int_equal(m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(g, 0), nid, sizeof(nid)), M2M_OK);
	assert_string_equal(nid, "urn:x:1");
	GENERAL_NAMES_free(g);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(rq);
	EVP_PKEY_free(pk);
	pk = NULL;
	rq = NULL;
	assert_int_equal(m2mi_enr_csr_new("NODE:urn:*", NULL, &pk, &rq), M2M_E_CERT_NAME);
	assert_null(pk);
	assert_null(rq);
}

static void test_csr(void **state)
{
	EVP_PKEY *pk = NULL;
	X509_REQ *rq = NULL;

	(void)state;
	check_csr("m2m://sp.example.com/cse-in/Cdev1", GEN_URI);
	check_csr("cse-mn1.sp.example.com", GEN_DNS);
	assert_int_equal(m2mi_enr_csr_new("", NULL, &pk, &rq), M2M_E_INVAL);
	assert_null(pk);
	assert_null(rq);
}

static char *certs_only_b64(X509 *x, bool with_cert, bool breaks)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	char *b64, *out;
	int n;
	size_t k = 0;

	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	if (with_cert)
		assert_int_equal(PKCS7_add_certificate(p7, x), 1);
	n = i2d_PKCS7(p7, &der);
	b64 = calloc(1, 4 * ((size_t)n + 2) / 3 + 8);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	out = calloc(1, 2 * strlen(b64) + 4);
	for (size_t i = 0; b64[i] != '\0'; i++) {
		out[k++] = b64[i];
		if (breaks && i % 64 == 63) {
			out[k++] = '\r';
			out[k++] = '\n';
		}
	}
	free(b64);
	OPENSSL_free(der);
	PKCS7_free(p7);
	return out;
}

static void test_certs_only(void **state)
{
	EVP_PKEY *k = tt_key_p256();
	struct tt_cert_opts o = {.cn = "ca", .ca = true, .to = 3600};
	X509 *x = tt_cert(k, NULL, NULL, &o);
	STACK_OF(X509) *sk = NULL;
	char *b;

	(void)state;
	b = certs_only_b64(x, true, true);
	assert_int_equal(m2mi_enr_parse_certs_only(b, strlen(b), &sk), M2M_OK);
	assert_int_equal(sk_X509_num(sk), 1);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 0), x), 0);
	sk_X509_pop_free(sk, X509_free);
	/* one byte cut off: not a whole PKCS#7 */
	b[strlen(b) - 3] = '\0';
	assert_int_equal(m2mi_enr_parse_certs_only(b, strlen(b), &sk), M2M_E_PROTO);
	assert_null(sk);
	free(b);
	b = certs_only_b64(x, false, false); /* no certificate in it */
	assert_int_equal(m2mi_enr_parse_certs_only(b, strlen(b), &sk), M2M_E_PROTO);
	free(b);
	assert_int_equal(m2mi_enr_parse_certs_only("", 0, &sk), M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_certs_only("!!!!", 4, &sk), M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_certs_only("QUJD", 4, &sk), M2M_E_PROTO); /* "ABC" */
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_http_response(void **state)
{
	const char *ok = "HTTP/1.1 201 \r\nX-M2M-RSC: 2001\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	m2mi_enr_rsp r;
	size_t used = 0;

	(void)state;
	assert_int_equal(m2mi_enr_parse_response(ok, strlen(ok), &r, &used), M2M_OK);
	assert_int_equal(r.status, 201);
	assert_int_equal(r.rsc, 2001);
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(r.body, "{}");
	assert_int_equal(used, strlen(ok));
	m2mi_enr_rsp_clear(&r);
	assert_int_equal(m2mi_enr_parse_response(ok, strlen(ok) - 1, &r, &used), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_enr_parse_response(ok, 20, &r, &used), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n", 45, &r, &used),
			 M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.1 200 \r\nContent-Length: 99999999\r\n\r\n", 43, &r, &used),
			 M2M_E_TOO_LARGE);
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.1 200 \r\nContent-Length: -1\r\n\r\n", 37, &r, &used),
			 M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_response("SMTP/1.1 200 \r\n\r\n", 17, &r, &used), M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.1 2000 \r\n\r\n", 18, &r, &used), M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.1 099 \r\n\r\n", 17, &r, &used), M2M_E_PROTO);
	/* found by fuzz_enrolee_rsp: no digits, white space after the version, no NUL after it */
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.\0 \r\n\r\n", 13, &r, &used), M2M_E_PROTO);
	assert_int_equal(m2mi_enr_parse_response("HTTP/1.1 \r\n\r\n", 13, &r, &used), M2M_E_PROTO);
}

static void test_hostport(void **state)
{
	char h[64], p[8];

	(void)state;
	assert_int_equal(m2mi_enr_split_hostport("mef.example.com:8443", h, sizeof(h), p, sizeof(p)), M2M_OK);
	assert_string_equal(h, "mef.example.com");
	assert_string_equal(p, "8443");
	assert_int_equal(m2mi_enr_split_hostport("[::1]:443", h, sizeof(h), p, sizeof(p)), M2M_OK);
	assert_string_equal(h, "::1");
	assert_int_equal(m2mi_enr_split_hostport("mef.example.com", h, sizeof(h), p, sizeof(p)), M2M_E_INVAL);
	assert_int_equal(m2mi_enr_split_hostport("h:0", h, sizeof(h), p, sizeof(p)), M2M_E_INVAL);
	assert_int_equal(m2mi_enr_split_hostport("h:65536", h, sizeof(h), p, sizeof(p)), M2M_E_INVAL);
	assert_int_equal(m2mi_enr_split_hostport("h:+1", h, sizeof(h), p, sizeof(p)), M2M_E_INVAL);
	assert_int_equal(m2mi_enr_split_hostport(":1", h, sizeof(h), p, sizeof(p)), M2M_E_INVAL);
	assert_int_equal(m2mi_enr_split_hostport("::1:443", h, sizeof(h), p, sizeof(p)), M2M_E_INVAL);
}

static void test_ts_and_uri(void **state)
{
	char auth[64];
	const char *path = NULL;

	(void)state;
	assert_int_equal(m2mi_enr_parse_ts("20270101T000000"), 1798761600);
	assert_int_equal(m2mi_enr_parse_ts("20270101T00000"), 0);
	assert_int_equal(m2mi_enr_parse_ts("20270101X000000"), 0);
	assert_int_equal(m2mi_enr_parse_ts("2027010aT000000"), 0);
	assert_int_equal(m2mi_enr_parse_ts(NULL), 0);
	/* the MEF's parser: a date that does not exist is malformed, not normalised */
	assert_int_equal(m2mi_enr_parse_ts("20270231T000000"), 0);
	assert_int_equal(m2mi_enr_parse_ts("20271301T000000"), 0);
	assert_true(m2mi_enr_uri_split("https://mef.example.com:8443/.well-known/est", auth, sizeof(auth), &path));
	assert_string_equal(auth, "mef.example.com:8443");
	assert_string_equal(path, "/.well-known/est");
	assert_true(m2mi_enr_uri_split("https://mef.example.com", auth, sizeof(auth), &path));
	assert_string_equal(auth, "mef.example.com:443");
	assert_string_equal(path, "");
	assert_false(m2mi_enr_uri_split("http://mef.example.com/x", auth, sizeof(auth), &path)); /* TLS only */
	assert_false(m2mi_enr_uri_split("https:///x", auth, sizeof(auth), &path));
	assert_false(m2mi_enr_uri_split(NULL, auth, sizeof(auth), &path));
}

static void test_files(void **state)
{
	char dir[300], p[400], buf[64];
	struct stat st;
	m2m_enrolee *e = NULL;
	FILE *fp;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", tt_dir());
	assert_int_equal(m2mi_enr_write_file(dir, "s", "one", 3, 0600), M2M_OK);
	assert_int_equal(m2mi_enr_write_file(dir, "s", "two!", 4, 0600), M2M_OK); /* replaced whole */
	snprintf(p, sizeof(p), "%s/s", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 4);
	assert_non_null(fp = fopen(p, "r"));
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "two!");
	assert_int_equal(m2mi_enr_write_file(dir, "pub", "x", 1, 0644), M2M_OK);
	snprintf(p, sizeof(p), "%s/pub", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(m2mi_enr_write_file("/nonexistent-dir-m2m", "s", "x", 1, 0600), M2M_E_IO);
	/* no results yet: nothing written */
	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	snprintf(p, sizeof(p), "%s/never", dir);
	assert_int_equal(m2m_enrolee_write(e, p), M2M_E_INVAL);
	assert_int_not_equal(stat(p, &st), 0);
	m2m_enrolee_free(e);
}

static void test_settings(void **state)
{
	m2m_enrolee *e = NULL;
	m2m_key *k = NULL;
	uint8_t kb[32] = {1};

	(void)state;
	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_enrolee_set_psk(e, "dev1", k), M2M_E_INVAL); /* KpmID needs @fqdn */
	assert_int_equal(m2m_enrolee_set_psk(e, "@mef.example.com", k), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_set_psk(e, "dev1@mef", k), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_set_psk(e, "dev1@mef.example.com", k), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_fqdn(e, "*.example.com"), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_set_deadline(e, 0), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_set_deadline(e, 3601), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_set_mef(e, "no-port"), M2M_E_INVAL);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_CONFIG); /* no MEF address */
	assert_null(m2m_enrolee_keid(e));
	assert_null(m2m_enrolee_target_key(e, 0));
	m2m_key_free(k);
	m2m_enrolee_free(e);
	m2m_enrolee_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),  cmocka_unit_test(test_subject_san),   cmocka_unit_test(test_csr),
		cmocka_unit_test(test_node_csr),
		cmocka_unit_test(test_certs_only), cmocka_unit_test(test_http_response), cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_files),    cmocka_unit_test(test_settings),   cmocka_unit_test(test_ts_and_uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
