/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/peer.c: the Certificate-Based SAEF of TS-0003
 * clause 8.2.2.2 in-process with a CA, server and client certificates generated at run time.
 * An AE-ID certificate (URI SAN) binds the Absolute AE-ID, a CSE-ID certificate (DNS SAN in our
 * SP) the Absolute CSE-ID; self-signed, expired, not-yet-valid, foreign-CA, wildcard, SAN-less,
 * A Node-ID certificate (clause 10.1.1.8) yields the Credential-ID 34-<Node-ID> and no bound
 * identity (clause 8.2.1). Self-signed, expired, not-yet-valid, foreign-CA, wildcard, SAN-less,
 * ambiguous, wrong-usage, CA and non-P-256 leaves all fail the handshake (clauses 8.1.2.5,
 * 10.1.1), PSK clients still get in, and every byte flip of a leaf signature is refused.
 */
#include <time.h>

#include "tls_test.h"
#include "pki/cert_profile.h"
#include "tls/tls_int.h"

#define KEYHEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static EVP_PKEY *ca_k, *other_k, *leaf_k;
static X509 *ca, *other_ca;
static m2m_tls *tls, *tls_no_anchors;

static const struct tt_cert_opts LEAF = {.cn = "leaf", .eku = "clientAuth", .from = -60, .to = 3600};

static int setup(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "m2m test CA", .ca = true, .from = -60, .to = 86400};
	struct tt_cert_opts srv_o = {.cn = "cse-in", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth",
				     .from = -60, .to = 86400};
	EVP_PKEY *srv_k;
	X509 *srv;
	char cert[256], key[256], anchors[256], psk[256], msg[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .allow_tls13 = true};

	ca_k = tt_key_p256();
	other_k = tt_key_p256();
	leaf_k = tt_key_p256();
	srv_k = tt_key_p256();
	ca = tt_cert(ca_k, NULL, NULL, &ca_o);
	ca_o.cn = "other CA";
	other_ca = tt_cert(other_k, NULL, NULL, &ca_o);
	srv = tt_cert(srv_k, ca, ca_k, &srv_o);
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("peer-srv.pem", srv));
	snprintf(key, sizeof(key), "%s", tt_write_key("peer-srv.key", srv_k, 0600));
	snprintf(anchors, sizeof(anchors), "%s", tt_write_cert("peer-ca.pem", ca));
	snprintf(psk, sizeof(psk), "%s", tt_write("peer.psk", "kpsa1@sp.example.com " KEYHEX " Cabc\n", 0600));
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.psk_file = psk;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls_no_anchors, msg, sizeof(msg)), M2M_OK);
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_OK);
	X509_free(srv);
	EVP_PKEY_free(srv_k);
	return 0;
}

static int teardown(void **state)
{
	m2m_tls_free(tls);
	m2m_tls_free(tls_no_anchors);
	X509_free(ca);
	X509_free(other_ca);
	EVP_PKEY_free(ca_k);
	EVP_PKEY_free(other_k);
	EVP_PKEY_free(leaf_k);
	return 0;
}

/* Handshake with a client certificate; on success the binding is in sa. */
static bool connect_cert(m2m_tls *t, X509 *leaf, EVP_PKEY *key, int ver, const char *cipher, m2m_sa *sa)
{
	SSL_CTX *c = tt_client_ctx(TLS1_2_VERSION, ver,
				   cipher != NULL ? cipher : "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256");
	struct tt_conn conn;
	bool ok;

	if (leaf != NULL) {
		assert_int_equal(SSL_CTX_use_certificate(c, leaf), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(c, key), 1);
	}
	ok = tt_handshake(m2m_tls_ctx(t), c, NULL, &conn);
	if (ok) {
		assert_int_equal(SSL_version(conn.s), ver);
		assert_int_equal(m2m_tls_peer_sa(t, conn.s, sa), M2M_OK);
	} else {
		assert_int_equal(m2m_tls_peer_sa(t, conn.s, sa), M2M_E_AUTH);
	}
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	return ok;
}

static void fingerprint(X509 *x, char *out, size_t cap)
{
	uint8_t md[32];
	unsigned int n = 0;

	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	assert_int_equal(m2m_hex_encode(md, n, true, out, cap), M2M_OK);
}

static void test_uri_san_binds_ae(void **state)
{
	struct tt_cert_opts o = LEAF;
	X509 *x;
	m2m_sa sa;
	char fp[65], want[80];
	int64_t now = (int64_t)time(NULL);

	o.san = "URI:m2m://sp.example.com/cse-in/Cabc";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	fingerprint(x, fp, sizeof(fp));
	snprintf(want, sizeof(want), "33-%s", fp);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		memset(&sa, 0x55, sizeof(sa));
		assert_true(connect_cert(tls, x, leaf_k, v, NULL, &sa));
		assert_int_equal(sa.kind, M2M_SA_CERT);
		assert_int_equal(sa.entity, M2M_ENTITY_AE);
		assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cabc");
		assert_string_equal(sa.credential_id, want);
		assert_int_equal(sa.suid, 0);
		assert_true(sa.expiry >= now + 3600 - 5 && sa.expiry <= now + 3600 + 5);
	}
	X509_free(x);
}

static void test_dns_san_binds_cse(void **state)
{
	struct tt_cert_opts o = LEAF;
	X509 *x;
	m2m_sa sa;
	char fp[65], want[80];

	o.san = "DNS:cse-mn1.sp.example.com,IP:192.0.2.1,email:ops@example.com,URI:https://example.com/x";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	fingerprint(x, fp, sizeof(fp));
	snprintf(want, sizeof(want), "32-%s", fp);
	assert_true(connect_cert(tls, x, leaf_k, TLS1_2_VERSION, NULL, &sa));
	assert_int_equal(sa.kind, M2M_SA_CERT);
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-mn1");
	assert_string_equal(sa.credential_id, want);
	assert_true(connect_cert(tls, x, leaf_k, TLS1_3_VERSION, NULL, &sa));
	X509_free(x);
	/* DNS names are case-insensitive; a trailing dot is the same name */
	o.san = "DNS:CSE-MN2.SP.Example.COM.";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	assert_true(connect_cert(tls, x, leaf_k, TLS1_2_VERSION, NULL, &sa));
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-mn2");
	X509_free(x);
	/* the same identity twice is not ambiguous */
	o.san = "DNS:cse-mn3.sp.example.com,DNS:cse-mn3.sp.example.com";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	assert_true(connect_cert(tls, x, leaf_k, TLS1_2_VERSION, NULL, &sa));
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-mn3");
	X509_free(x);
}

static void test_mandatory_cert_suites(void **state)
{
	static const char *const suites[] = {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-CCM8",
					     "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES128-GCM-SHA256"};
	struct tt_cert_opts o = LEAF;
	X509 *x;
	m2m_sa sa;

	o.san = "URI:m2m://sp.example.com/cse-in/Cabc";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	for (size_t i = 0; i < M2M_ARRAY_LEN(suites); i++)
		assert_true(connect_cert(tls, x, leaf_k, TLS1_2_VERSION, suites[i], &sa));
	/* without trust anchors no client certificate can be verified */
	assert_false(connect_cert(tls_no_anchors, x, leaf_k, TLS1_2_VERSION, NULL, &sa));
	X509_free(x);
}

struct bad_leaf {
	const char *what;
	struct tt_cert_opts o;
	int issuer;   /* 0 = our CA, 1 = self-signed, 2 = other CA */
	int keytype;  /* 0 = P-256, 1 = RSA-2048, 2 = P-384 */
	m2m_err direct; /* m2mi_peer_binding result (M2M_OK: only the chain is wrong) */
};

static void test_rejected_leaves(void **state)
{
	/* L(san, from, to, eku, ku, ca): a leaf valid for an hour unless stated otherwise */
#define L(san, from, to, eku, ku, ca) {"leaf", san, ca, ku, eku, from, to}
#define AE "URI:m2m://sp.example.com/cse-in/Cabc"
#define OK_(san) L(san, -60, 3600, "clientAuth", NULL, false)
	static const struct bad_leaf cases[] = {
		{"self-signed", OK_(AE), 1, 0, 0},
		{"other CA", OK_(AE), 2, 0, 0},
		{"expired", L(AE, -7200, -3600, "clientAuth", NULL, false), 0, 0, 0},
		{"not yet valid", L(AE, 3600, 7200, "clientAuth", NULL, false), 0, 0, 0},
		{"wildcard DNS", OK_("DNS:*.sp.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"wildcard DNS + good URI", OK_(AE ",DNS:*.sp.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"wildcard URI", OK_("URI:m2m://sp.example.com/cse-in/C*"), 0, 0, M2M_E_CERT_NAME},
		{"no SAN", OK_(NULL), 0, 0, M2M_E_CERT_NAME},
		{"only unusable SANs", OK_("IP:192.0.2.1,URI:https://sp.example.com/"), 0, 0, M2M_E_CERT_NAME},
		{"DNS outside the SP", OK_("DNS:cse-in.other.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"DNS two labels deep", OK_("DNS:a.cse-in.sp.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"DNS is the SP", OK_("DNS:sp.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"DNS suffix trick", OK_("DNS:cse-in.sp.example.com.attacker.net"), 0, 0, M2M_E_CERT_NAME},
		{"DNS lookalike SP", OK_("DNS:cse-in.evilsp.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"m2m URI not an AE-ID", OK_("URI:m2m://sp.example.com/"), 0, 0, M2M_E_CERT_NAME},
		{"two identities", OK_(AE ",DNS:cse-in.sp.example.com"), 0, 0, M2M_E_CERT_NAME},
		{"two AE-IDs", OK_(AE ",URI:m2m://sp.example.com/cse-in/Cdef"), 0, 0, M2M_E_CERT_NAME},
		{"EKU serverAuth only", L(AE, -60, 3600, "serverAuth", NULL, false), 0, 0, M2M_E_CERT},
		{"keyUsage without digitalSignature", L(AE, -60, 3600, "clientAuth", "critical,keyAgreement", false), 0, 0,
		 M2M_E_CERT},
		{"CA certificate as leaf", L(AE, -60, 3600, "clientAuth", NULL, true), 0, 0, M2M_E_CERT},
		{"RSA key", OK_(AE), 0, 1, M2M_E_CERT},
		{"P-384 key", OK_(AE), 0, 2, M2M_E_CERT},
	};
#undef OK_
#undef AE
#undef L
	EVP_PKEY *rsa = tt_key_rsa(), *p384 = EVP_EC_gen("P-384");
	m2m_sa sa;
	m2m_err r;

	assert_non_null(p384);
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		const struct bad_leaf *b = &cases[i];
		EVP_PKEY *k = b->keytype == 0 ? leaf_k : b->keytype == 1 ? rsa : p384;
		X509 *x = b->issuer == 1 ? tt_cert(k, NULL, NULL, &b->o)
			  : tt_cert(k, b->issuer == 2 ? other_ca : ca, b->issuer == 2 ? other_k : ca_k, &b->o);

		for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++)
			if (connect_cert(tls, x, k, v, NULL, &sa))
				fail_msg("%s: accepted over %s", b->what, v == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
		assert_int_equal(sa.kind, M2M_SA_NONE);
		/* the reason: profile/SAN rules (direct != 0), else RFC 5280 path validation */
		r = m2mi_peer_binding(x, "sp.example.com", &sa);
		if (r != b->direct)
			fail_msg("%s: direct check gave %s", b->what, m2m_errname(r));
		X509_free(x);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p384);
}

static void test_no_client_certificate(void **state)
{
	m2m_sa sa;

	assert_false(connect_cert(tls, NULL, NULL, TLS1_2_VERSION, NULL, &sa));
	assert_false(connect_cert(tls, NULL, NULL, TLS1_3_VERSION, NULL, &sa));
	assert_false(connect_cert(tls_no_anchors, NULL, NULL, TLS1_2_VERSION, NULL, &sa));
}

/* A listener with certificates still serves PSK clients (they are never asked for one). */
static void test_psk_clients_alongside(void **state)
{
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	m2m_sa sa;

	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
		c = tt_psk_client(&p, v, "PSK-AES128-CCM8");
		assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
		assert_int_equal(m2m_tls_peer_sa(tls, conn.s, &sa), M2M_OK);
		assert_int_equal(sa.kind, M2M_SA_PSK);
		assert_string_equal(sa.bound_id, "Cabc");
		tt_conn_free(&conn);
		/* unknown identity: TLS 1.3 falls back to a certificate handshake, which needs a
		 * client certificate this client does not have */
		p.identity = "nobody@sp.example.com";
		assert_false(tt_try(m2m_tls_ctx(tls), c));
		SSL_CTX_free(c);
	}
}

static void test_binding_direct(void **state)
{
	struct tt_cert_opts o = LEAF;
	X509 *x;
	m2m_sa sa;

	assert_int_equal(m2mi_peer_binding(NULL, "sp.example.com", &sa), M2M_E_INVAL);
	o.san = "DNS:cse-mn1.sp.example.com";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	assert_int_equal(m2mi_peer_binding(x, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2mi_peer_binding(x, "sp.example.com", &sa), M2M_OK);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-mn1");
	assert_int_equal(m2mi_peer_binding(x, "", &sa), M2M_E_CERT_NAME); /* no SP: DNS unusable */
	assert_int_equal(sa.kind, M2M_SA_NONE);
	assert_int_equal(m2mi_peer_binding(x, "example.com", &sa), M2M_E_CERT_NAME);
	X509_free(x);
	o.san = "URI:M2M://sp.example.com/cse-in/Cabc"; /* the scheme is case-insensitive */
	o.eku = NULL;                                  /* absent EKU is allowed */
	x = tt_cert(leaf_k, ca, ca_k, &o);
	assert_int_equal(m2mi_peer_binding(x, NULL, &sa), M2M_OK);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cabc");
	X509_free(x);
}

/* A leaf signed by the test CA whose SAN is made by the CA's own profile code (the Node-ID
 * otherName has no OpenSSL config spelling). */
static X509 *profile_cert(const char *const *sans, size_t n)
{
	struct tt_cert_opts o = LEAF;
	GENERAL_NAMES *g = NULL;
	char first[M2MI_SAN_MAX + 1];
	X509 *x;

	o.san = NULL;
	x = tt_cert(leaf_k, ca, ca_k, &o);
	assert_int_equal(m2mi_cert_profile_sans(sans, n, &g, first, sizeof(first)), M2M_OK);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, X509V3_ADD_DEFAULT), 1);
	assert_true(X509_sign(x, ca_k, EVP_sha256()) > 0);
	GENERAL_NAMES_free(g);
	return x;
}

/* TS-0003 clause 8.2.1: a Node-ID certificate associates the security context with "the
 * Credential-ID formed from the globally unique Node identifier" (credIDTypeID 34), no AE-ID or
 * CSE-ID; a host name next to it changes nothing, a CSE-ID of our SP next to it is ambiguous. */
static void test_node_id_binds_credential_only(void **state)
{
	const char *node[] = {"NODE:urn:gsma:imei:90420156-025763-0;svn=42"};
	const char *node_host[] = {"NODE:urn:x:1", "gw1.example.org"};
	const char *node_cse[] = {"NODE:urn:x:1", "cse-mn1.sp.example.com"};
	char long_id[M2MI_NODE_ID_MAX + 8] = "NODE:";
	const char *node_long[] = {long_id};
	X509 *x;
	m2m_sa sa;

	x = profile_cert(node, 1);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		memset(&sa, 0x55, sizeof(sa));
		assert_true(connect_cert(tls, x, leaf_k, v, NULL, &sa));
		assert_int_equal(sa.kind, M2M_SA_CERT);
		assert_int_equal(sa.entity, M2M_ENTITY_UNKNOWN);
		assert_string_equal(sa.bound_id, "");
		assert_string_equal(sa.credential_id, "34-urn:gsma:imei:90420156-025763-0;svn=42");
		assert_int_equal(sa.suid, 0);
	}
	X509_free(x);
	x = profile_cert(node_host, 2);
	assert_int_equal(m2mi_peer_binding(x, "sp.example.com", &sa), M2M_OK);
	assert_string_equal(sa.credential_id, "34-urn:x:1");
	assert_int_equal(sa.entity, M2M_ENTITY_UNKNOWN);
	X509_free(x);
	x = profile_cert(node_cse, 2);
	assert_int_equal(m2mi_peer_binding(x, "sp.example.com", &sa), M2M_E_CERT_NAME);
	assert_int_equal(sa.kind, M2M_SA_NONE);
	assert_false(connect_cert(tls, x, leaf_k, TLS1_3_VERSION, NULL, &sa));
	X509_free(x);
	/* a Node-ID too long for a Credential-ID ("34-" + 256) is refused, never truncated */
	memset(long_id + 5, 'n', M2MI_NODE_ID_MAX);
	long_id[5 + M2MI_NODE_ID_MAX] = '\0';
	x = profile_cert(node_long, 1);
	assert_int_equal(m2mi_peer_binding(x, "sp.example.com", &sa), M2M_E_CERT_NAME);
	X509_free(x);
}

/* style.md #18: every byte flip in the signature of a valid leaf is refused. */
static void test_leaf_signature_mutations(void **state)
{
	struct tt_cert_opts o = LEAF;
	X509 *x, *m;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len, refused = 0, tried = 0;
	m2m_sa sa;

	o.san = "URI:m2m://sp.example.com/cse-in/Cabc";
	x = tt_cert(leaf_k, ca, ca_k, &o);
	assert_true(connect_cert(tls, x, leaf_k, TLS1_2_VERSION, NULL, &sa));
	assert_true((len = i2d_X509(x, &der)) > 80);
	/* the ECDSA signature BIT STRING is the last ~72 bytes of the DER */
	for (int i = len - 64; i < len; i++) {
		der[i] ^= 0xff;
		p = der;
		m = d2i_X509(NULL, &p, len);
		tried++;
		if (m == NULL || !connect_cert(tls, m, leaf_k, TLS1_2_VERSION, NULL, &sa))
			refused++;
		X509_free(m);
		der[i] ^= 0xff;
	}
	assert_int_equal(refused, tried);
	OPENSSL_free(der);
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_san_binds_ae),
		cmocka_unit_test(test_dns_san_binds_cse),
		cmocka_unit_test(test_mandatory_cert_suites),
		cmocka_unit_test(test_rejected_leaves),
		cmocka_unit_test(test_no_client_certificate),
		cmocka_unit_test(test_psk_clients_alongside),
		cmocka_unit_test(test_binding_direct),
		cmocka_unit_test(test_node_id_binds_credential_only),
		cmocka_unit_test(test_leaf_signature_mutations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
