/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/est.c: the EST server logic of the MEF
 * (TS-0003 clause 8.3.6.2, RFC 7030 sections 4.1, 4.2, 4.5). A CSR claiming a foreign AE-ID,
 * carrying extra SANs, a non-P-256 key or a bad signature is refused with its exact HTTP status;
 * a valid one is issued, verified by `openssl verify` against the CA, recorded, and listed on
 * the CRL when superseded by re-enrolment or when the enrolee is revoked. A Node-ID CSR (TS-0003
 * clause 10.1.1.8) is issued only for a Node-ID the enrolee's --allow list names ("NODE:...").
 */
#include "mef_fixture.h"

#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "m2msec/est.h"
#include "pki/cert_profile.h"

typedef struct efx {
	fx *f;
	char cadir[160];
	m2m_est *est;
	m2m_mef_assoc *a;
} efx;

static efx *efx_new(void)
{
	static const char *const permit[] = {"sp.example.com"};
	efx *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->f = fx_new("https://mef.example.com/.well-known/est");
	snprintf(e->cadir, sizeof(e->cadir), "%s/ca", e->f->dir);
	assert_int_equal(m2m_ca_init(e->cadir, "MEF CA", permit, 1, 0), M2M_OK);
	assert_int_equal(m2m_est_new(e->cadir, 0, &e->est), M2M_OK);
	e->a = fx_enrolee(e->f, 0x42);
	return e;
}

static void efx_free(efx *e)
{
	char cmd[400];

	m2m_mef_assoc_free(e->a);
	m2m_est_free(e->est);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->cadir);
	assert_int_equal(system(cmd), 0);
	fx_free(e->f);
	free(e);
}

/* A base64 DER CSR for key (P-256 unless curve given) with SANs sans[0..n) (GENERAL_NAME text
 * "URI:..."/"DNS:..."); corrupt flips a signature bit. */
static char *make_csr(const char *curve, const char *const *sans, size_t n, bool corrupt, EVP_PKEY **keep)
{
	EVP_PKEY *k = EVP_EC_gen(curve != NULL ? curve : "P-256");
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *der = NULL;
	char joined[1024] = "", *b64;
	int len;

	assert_non_null(k);
	X509_REQ_set_pubkey(req, k);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC, (const unsigned char *)"dev",
				   -1, -1, 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, ",");
		strcat(joined, sans[i]);
	}
	if (n > 0) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, joined);
		assert_non_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
		X509_REQ_add_extensions(req, exts);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	if (corrupt) {
		const ASN1_BIT_STRING *sig;
		X509_REQ_get0_signature(req, &sig, NULL);
		((ASN1_BIT_STRING *)sig)->data[10] ^= 0x01;
	}
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	b64 = calloc(1, (size_t)len * 2 + 4);
	EVP_EncodeBlock((unsigned char *)b64, der, len);
	OPENSSL_free(der);
	X509_REQ_free(req);
	if (keep != NULL)
		*keep = k;
	else
		EVP_PKEY_free(k);
	return b64;
}

static int enroll(efx *e, const m2m_mef_assoc *a, X509 *peer, bool re, const char *b64, m2m_est_reply *out)
{
	assert_int_equal(m2m_est_enroll(e->est, e->f->w, a, peer, re, (const uint8_t *)b64, strlen(b64), FX_NOW, out),
			 M2M_OK);
	return out->status;
}

/* The one certificate of a base64 certs-only PKCS#7 answer. */
static X509 *cert_of(const m2m_est_reply *r)
{
	unsigned char *der = malloc(r->body_len);
	const unsigned char *p = der;
	char *clean = calloc(1, r->body_len + 1);
	size_t n = 0;
	int len;
	PKCS7 *p7;
	X509 *x;

	for (size_t i = 0; i < r->body_len; i++)
		if (r->body[i] != '\n')
			clean[n++] = r->body[i];
	len = EVP_DecodeBlock(der, (unsigned char *)clean, (int)n);
	while (n > 0 && clean[--n] == '=')
		len--;
	p7 = d2i_PKCS7(NULL, &p, len);
	assert_non_null(p7);
	assert_true(PKCS7_type_is_signed(p7));
	assert_int_equal(sk_X509_num(p7->d.sign->cert), 1);
	x = X509_dup(sk_X509_value(p7->d.sign->cert, 0));
	PKCS7_free(p7);
	free(clean);
	free(der);
	return x;
}

#define SAN_OWN "URI:m2m://sp.example.com/cse-in/Cdev1"

/* A base64 DER P-256 CSR whose SAN is built by the CA's profile code from sans[0..n) ("NODE:"
 * has no OpenSSL config spelling). */
static char *make_profile_csr(const char *const *sans, size_t n)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	GENERAL_NAMES *g = NULL;
	char first[M2MI_SAN_MAX + 1], *b64;
	unsigned char *der = NULL;
	int len;

	assert_non_null(k);
	X509_REQ_set_pubkey(req, k);
	assert_int_equal(m2mi_cert_profile_sans(sans, n, &g, first, sizeof(first)), M2M_OK);
	sk_X509_EXTENSION_push(exts, X509V3_EXT_i2d(NID_subject_alt_name, 0, g));
	X509_REQ_add_extensions(req, exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(g);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	b64 = calloc(1, (size_t)len * 2 + 4);
	EVP_EncodeBlock((unsigned char *)b64, der, len);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return b64;
}

/* A second PSK enrolee "Cdev2" whose record allows the given patterns. */
static m2m_mef_assoc *enrolee_allowing(efx *e, const char *allowed)
{
	m2m_mef_enrolee en = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "dev2@mef.example.com",
			      .enrolee_id = "Cdev2", .targets = {FX_TARGET}, .ntargets = 1,
			      .allowed = (char *)allowed, .expiry = FX_NOW + 1000};
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE};
	uint8_t kb[32], mat[48];
	m2m_key *kpm = NULL, *ke = NULL;
	m2m_mef_assoc *a = NULL;

	memset(kb, 0x22, sizeof(kb));
	memset(mat, 0x43, sizeof(mat));
	assert_int_equal(m2m_key_new(kb, 32, &kpm), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(e->f->mef), &en, kpm, FX_NOW - 10, NULL), M2M_OK);
	m2m_key_free(kpm);
	snprintf(sa.bound_id, sizeof(sa.bound_id), "Cdev2");
	snprintf(sa.credential_id, sizeof(sa.credential_id), "10-dev2@mef.example.com");
	assert_int_equal(m2m_kdf_exporter_split(mat, "mef.example.com", &ke, NULL, 0), M2M_OK);
	assert_int_equal(m2m_mef_assoc_new(e->f->mef, &sa, ke, NULL, &a), M2M_OK);
	m2m_key_free(ke);
	return a;
}

#define NODE_OWN "urn:gsma:imei:90420156-025763-0"

/* TS-0003 clauses 8.3.6, 10.1.1.8: a Node-ID is certified only when the enrolee's record names it
 * (exact "NODE:<id>" or "NODE:<prefix>*"); a foreign Node-ID is 403, a Node-ID next to another
 * SAN 400; an enrolee without Node-ID patterns gets none, and an AE-ID pattern allows no Node-ID. */
static void test_node_id_claims(void **state)
{
	(void)state;
	efx *e = efx_new();
	m2m_mef_assoc *a2 = enrolee_allowing(e, "NODE:" NODE_OWN " NODE:urn:dev:ops:acme-* Cdev2x urn:x:*");
	m2m_est_reply r = {0};
	const char *own[] = {"NODE:" NODE_OWN}, *pre[] = {"NODE:urn:dev:ops:acme-42"},
		   *foreign[] = {"NODE:urn:gsma:imei:99999999-999999-9"}, *longer[] = {"NODE:" NODE_OWN "0"},
		   *bare[] = {"NODE:urn:x:1"}, *two[] = {"NODE:" NODE_OWN, "gw1.sp.example.com"};
	char nid[M2MI_NODE_ID_MAX + 1], *c;
	GENERAL_NAMES *g;
	X509 *x;

	c = make_profile_csr(own, 1);
	assert_int_equal(enroll(e, a2, NULL, false, c, &r), 200);
	x = cert_of(&r);
	g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(g), 1);
	assert_int_equal(m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(g, 0), nid, sizeof(nid)), M2M_OK);
	assert_string_equal(nid, NODE_OWN);
	assert_int_equal(m2mi_cert_profile_check(x), M2M_OK);
	GENERAL_NAMES_free(g);
	X509_free(x);
	/* the same Node-ID for the enrolee without Node-ID patterns */
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 403);
	assert_string_equal(r.outcome, "claim-refused");
	free(c);
	c = make_profile_csr(pre, 1);
	assert_int_equal(enroll(e, a2, NULL, false, c, &r), 200);
	free(c);
	const char *const *refused[] = {foreign, longer, bare};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		c = make_profile_csr(refused[i], 1);
		assert_int_equal(enroll(e, a2, NULL, false, c, &r), 403);
		assert_string_equal(r.outcome, "claim-refused");
		free(c);
	}
	c = make_profile_csr(two, 2);
	assert_int_equal(enroll(e, a2, NULL, false, c, &r), 400);
	assert_string_equal(r.outcome, "bad-san");
	free(c);
	m2m_est_reply_clear(&r);
	m2m_mef_assoc_free(a2);
	efx_free(e);
}

static void test_cacerts_csrattrs(void **state)
{
	(void)state;
	efx *e = efx_new();
	m2m_est_reply r = {0};
	X509 *x;

	assert_int_equal(m2m_est_cacerts(e->est, &r), M2M_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/pkcs7-mime; smime-type=certs-only");
	x = cert_of(&r);
	assert_int_equal(X509_check_ca(x), 1);
	X509_free(x);
	assert_int_equal(m2m_est_csrattrs(e->est, &r), M2M_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/csrattrs");
	/* 0x30 0x40 ... = "MEA" in base64; the whole CsrAttrs is 66 bytes -> 88 chars + newlines */
	assert_memory_equal(r.body, "MEAGCSqGSIb3DQEJBzAS", 20);
	m2m_est_reply_clear(&r);
	efx_free(e);
}

static void test_refusals(void **state)
{
	(void)state;
	efx *e = efx_new();
	m2m_est_reply r = {0};
	const char *own[] = {SAN_OWN}, *foreign[] = {"URI:m2m://sp.example.com/cse-in/Cother"},
		   *extra[] = {SAN_OWN, "DNS:cse-in.sp.example.com"}, *othersp[] = {"URI:m2m://evil.example.com/cse-in/Cdev1"},
		   *ip[] = {"IP:127.0.0.1"};
	char *c;

	c = make_csr(NULL, foreign, 1, false, NULL);
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 403);
	assert_string_equal(r.outcome, "claim-refused");
	free(c);
	c = make_csr(NULL, extra, 2, false, NULL);
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 400);
	assert_string_equal(r.outcome, "bad-san");
	free(c);
	c = make_csr(NULL, othersp, 1, false, NULL);
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 400);
	free(c);
	c = make_csr(NULL, ip, 1, false, NULL);
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 400);
	free(c);
	c = make_csr(NULL, own, 0, false, NULL); /* no SAN at all */
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 400);
	free(c);
	c = make_csr("P-384", own, 1, false, NULL);
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 400);
	assert_string_equal(r.outcome, "bad-key");
	free(c);
	c = make_csr(NULL, own, 1, true, NULL);
	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 400);
	assert_string_equal(r.outcome, "malformed");
	free(c);
	assert_int_equal(enroll(e, e->a, NULL, false, "not base64!", &r), 400);
	/* no association at all: 401; a target association is no enrolee: 403 */
	c = make_csr(NULL, own, 1, false, NULL);
	assert_int_equal(enroll(e, NULL, NULL, false, c, &r), 401);
	m2m_mef_assoc *t = fx_target(e->f, "/cse-in");
	assert_int_equal(enroll(e, t, NULL, false, c, &r), 403);
	m2m_mef_assoc_free(t);
	/* re-enrolment without the current certificate */
	assert_int_equal(enroll(e, e->a, NULL, true, c, &r), 403);
	assert_string_equal(r.outcome, "not-holder");
	free(c);
	m2m_est_reply_clear(&r);
	efx_free(e);
}

struct seen {
	char serial[8][48];
	int reason[8];
	size_t n;
};

static void on_rv(void *arg, const m2m_ca_revoked *rv)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->serial[s->n], 48, "%s", rv->serial_hex);
		s->reason[s->n++] = rv->reason;
	}
}

static void serial_of(X509 *x, char *out)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = BN_bn2hex(bn);

	snprintf(out, 48, "%s", h);
	OPENSSL_free(h);
	BN_free(bn);
}

static void test_issue_reenroll_revoke(void **state)
{
	(void)state;
	efx *e = efx_new();
	m2m_est_reply r = {0};
	const char *own[] = {SAN_OWN}, *other[] = {"URI:m2m://sp.example.com/cse-in/Cdev2"};
	EVP_PKEY *k = NULL;
	char *c = make_csr(NULL, own, 1, false, &k), path[256], cmd[700], s1[48], s2[48];
	struct seen seen = {0};
	X509 *x1, *x2;
	FILE *fp;

	assert_int_equal(enroll(e, e->a, NULL, false, c, &r), 200);
	x1 = cert_of(&r);
	/* the device's key, not one of the server's */
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x1), k), 1);
	snprintf(path, sizeof(path), "%s/leaf.pem", e->f->dir);
	fp = fopen(path, "w");
	PEM_write_X509(fp, x1);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -CAfile '%s/ca.crt' '%s' >/dev/null 2>&1", e->cadir, path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	serial_of(x1, s1);
	assert_int_equal(m2m_mefstore_est_revoked(m2m_mef_store(e->f->mef), FX_NOW, on_rv, &seen), M2M_OK);
	assert_int_equal(seen.n, 0);

	/* re-enrolment by the holder for another identity: refused; for the same: issued */
	free(c);
	c = make_csr(NULL, other, 1, false, NULL);
	assert_int_equal(enroll(e, NULL, x1, true, c, &r), 403);
	free(c);
	c = make_csr(NULL, own, 1, false, NULL);
	assert_int_equal(enroll(e, NULL, x1, true, c, &r), 200);
	x2 = cert_of(&r);
	serial_of(x2, s2);
	assert_string_not_equal(s1, s2);
	/* the old certificate is superseded: on the CRL, and no second re-enrolment with it */
	assert_int_equal(m2m_mefstore_est_revoked(m2m_mef_store(e->f->mef), FX_NOW, on_rv, &seen), M2M_OK);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.serial[0], s1);
	assert_int_equal(seen.reason[0], M2M_CA_REASON_SUPERSEDED);
	assert_int_equal(enroll(e, NULL, x1, true, c, &r), 403);

	/* revoking the enrolee revokes its certificates */
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(e->f->mef), FX_KPMID, FX_NOW), M2M_OK);
	seen.n = 0;
	assert_int_equal(m2m_mefstore_est_revoked(m2m_mef_store(e->f->mef), FX_NOW, on_rv, &seen), M2M_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(enroll(e, NULL, x2, true, c, &r), 403);
	assert_string_equal(r.outcome, "revoked");

	/* the CRL lists both and verifies against the CA */
	char *crl = NULL;
	assert_int_equal(m2m_est_crl(e->est, m2m_mef_store(e->f->mef), FX_NOW, 0, &crl), M2M_OK);
	snprintf(path, sizeof(path), "%s/crl.pem", e->f->dir);
	fp = fopen(path, "w");
	fputs(crl, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "openssl crl -in '%s' -CAfile '%s/ca.crt' -noout -text 2>&1 | grep -c 'Serial Number' | grep -qx 2",
		 path, e->cadir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "openssl crl -in '%s' -CAfile '%s/ca.crt' -noout 2>&1 | grep -q 'verify OK'", path,
		 e->cadir);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	free(crl);
	free(c);
	X509_free(x1);
	X509_free(x2);
	EVP_PKEY_free(k);
	m2m_est_reply_clear(&r);
	efx_free(e);
}

/* A CSR made by an independent tool (openssl req, key generated there) is accepted. */
static void test_openssl_csr(void **state)
{
	(void)state;
	efx *e = efx_new();
	m2m_est_reply r = {0};
	char cmd[900], path[300], body[4096] = "";
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/csr.b64", e->f->dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s/k.pem' -subj /CN=dev1"
		 " -addext subjectAltName=URI:m2m://sp.example.com/cse-in/Cdev1 -outform DER 2>/dev/null | base64 > '%s'",
		 e->f->dir, path);
	assert_int_equal(system(cmd), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(body, 1, sizeof(body) - 1, fp);
	fclose(fp);
	body[n] = '\0';
	assert_true(n > 100);
	assert_int_equal(enroll(e, e->a, NULL, false, body, &r), 200);
	snprintf(cmd, sizeof(cmd), "rm -f '%s' '%s/k.pem'", path, e->f->dir);
	assert_int_equal(system(cmd), 0);
	m2m_est_reply_clear(&r);
	efx_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cacerts_csrattrs),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_issue_reenroll_revoke),
		cmocka_unit_test(test_openssl_csr),
		cmocka_unit_test(test_node_id_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
