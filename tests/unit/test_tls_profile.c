/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/tls_profile.c: the TLS part of the CSE's security
 * profile (docs/tls.md "Security profile"), with in-process handshakes. The accepted suites are
 * the intersection of the cipher policy (TS-0003 clause 10.2) and the profile's IANA names: a
 * suite outside it is not negotiated, an empty intersection refuses every handshake, a profile
 * naming only unknown suites or carrying a non-CA anchor is refused and the last good snapshot
 * stays; the profile's trust anchors are added to the configured ones; snapshots swap while
 * another thread runs handshakes.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "tls_test.h"
#include "tls/tls_int.h"

#define KEYHEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static EVP_PKEY *ca_k, *other_k, *leaf_k;
static X509 *ca, *other_ca;
static char other_pem[4096], leaf_pem[4096];
static m2m_tls *tls;

static const struct tt_cert_opts LEAF = {.cn = "leaf", .eku = "clientAuth", .from = -60, .to = 3600,
					 .san = "URI:m2m://sp.example.com/in-cse/Cdev1"};

static void to_pem(X509 *x, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	assert_true(n > 0 && (size_t)n < cap);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
}

static int setup(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "m2m test CA", .ca = true, .from = -60, .to = 86400};
	struct tt_cert_opts srv_o = {.cn = "cse-in", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth",
				     .from = -60, .to = 86400};
	EVP_PKEY *srv_k;
	X509 *srv, *leaf;
	char cert[256], key[256], anchors[256], psk[256], msg[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .allow_tls13 = true};

	(void)state;
	ca_k = tt_key_p256();
	other_k = tt_key_p256();
	leaf_k = tt_key_p256();
	srv_k = tt_key_p256();
	ca = tt_cert(ca_k, NULL, NULL, &ca_o);
	ca_o.cn = "profile CA";
	other_ca = tt_cert(other_k, NULL, NULL, &ca_o);
	srv = tt_cert(srv_k, ca, ca_k, &srv_o);
	leaf = tt_cert(leaf_k, ca, ca_k, &LEAF);
	to_pem(other_ca, other_pem, sizeof(other_pem));
	to_pem(leaf, leaf_pem, sizeof(leaf_pem));
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("prof-srv.pem", srv));
	snprintf(key, sizeof(key), "%s", tt_write_key("prof-srv.key", srv_k, 0600));
	snprintf(anchors, sizeof(anchors), "%s", tt_write_cert("prof-ca.pem", ca));
	snprintf(psk, sizeof(psk), "%s", tt_write("prof.psk", "kpsa1@sp.example.com " KEYHEX " Cabc\n", 0600));
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.psk_file = psk;
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_OK);
	X509_free(srv);
	X509_free(leaf);
	EVP_PKEY_free(srv_k);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	m2m_tls_free(tls);
	X509_free(ca);
	X509_free(other_ca);
	EVP_PKEY_free(ca_k);
	EVP_PKEY_free(other_k);
	EVP_PKEY_free(leaf_k);
	return 0;
}

/* A TLS-PSK handshake offering exactly one suite (TLS 1.2 cipher or, with v13, a TLS 1.3 suite). */
static bool psk_try(const char *cipher, bool v13)
{
	struct tt_psk p;
	SSL_CTX *c = v13 ? tt_client_ctx(TLS1_3_VERSION, TLS1_3_VERSION, NULL, cipher)
			 : tt_client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, cipher, NULL);
	bool ok;

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	SSL_CTX_set_app_data(c, &p);
	SSL_CTX_set_psk_client_callback(c, tt_psk_client_cb);
	ok = tt_try(m2m_tls_ctx(tls), c);
	SSL_CTX_free(c);
	return ok;
}

/* A certificate handshake with a leaf of issuer (TLS 1.2, ECDHE-ECDSA). */
static bool cert_try(X509 *issuer, EVP_PKEY *issuer_k)
{
	SSL_CTX *c = tt_client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", NULL);
	X509 *leaf = tt_cert(leaf_k, issuer, issuer_k, &LEAF);
	bool ok;

	assert_int_equal(SSL_CTX_use_certificate(c, leaf), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c, leaf_k), 1);
	ok = tt_try(m2m_tls_ctx(tls), c);
	SSL_CTX_free(c);
	X509_free(leaf);
	return ok;
}

static m2m_err set1(const char *suite)
{
	return m2m_tls_set_profile(tls, &suite, 1, NULL, 0);
}

static void test_no_profile_is_the_policy(void **state)
{
	(void)state;
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
	assert_true(psk_try("PSK-AES128-CBC-SHA256", false));
	assert_true(psk_try("PSK-AES128-GCM-SHA256", false));
	assert_true(psk_try("TLS_AES_128_GCM_SHA256", true));
	/* outside the policy without any profile */
	assert_false(psk_try("PSK-AES256-GCM-SHA384", false));
}

static void test_intersection(void **state)
{
	(void)state;
	/* TS-0003 §10.2: only the suites of the profile that the policy has */
	assert_int_equal(set1("TLS_PSK_WITH_AES_128_GCM_SHA256"), M2M_OK);
	assert_true(psk_try("PSK-AES128-GCM-SHA256", false));
	assert_false(psk_try("PSK-AES128-CBC-SHA256", false));
	assert_false(psk_try("PSK-AES128-CCM8", false));
	assert_false(psk_try("TLS_AES_128_GCM_SHA256", true)); /* no TLS 1.3 suite listed */
	/* a TLS 1.3 suite only: TLS 1.2 is refused */
	assert_int_equal(set1("TLS_AES_128_GCM_SHA256"), M2M_OK);
	assert_true(psk_try("TLS_AES_128_GCM_SHA256", true));
	assert_false(psk_try("TLS_AES_128_CCM_SHA256", true));
	assert_false(psk_try("PSK-AES128-GCM-SHA256", false));
	/* a profile never widens the policy: a suite outside it stays refused */
	{
		const char *s[] = {"TLS_PSK_WITH_AES_256_GCM_SHA384", "TLS_PSK_WITH_AES_128_CBC_SHA256"};
		assert_int_equal(m2m_tls_set_profile(tls, s, 2, NULL, 0), M2M_OK);
		assert_false(psk_try("PSK-AES256-GCM-SHA384", false));
		assert_true(psk_try("PSK-AES128-CBC-SHA256", false));
	}
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
	assert_true(psk_try("PSK-AES128-CBC-SHA256", false));
}

/* The client offers a suite outside the profile that the server prefers: the connection's list
 * must be narrowed (slow path), not left to the policy order. */
static void test_narrowed_when_client_offers_more(void **state)
{
	struct tt_psk p;
	SSL_CTX *c = tt_client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256", NULL);
	struct tt_conn conn;

	(void)state;
	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	SSL_CTX_set_app_data(c, &p);
	SSL_CTX_set_psk_client_callback(c, tt_psk_client_cb);
	/* without a profile the server's preference (GCM before CBC) wins */
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(conn.s)), "PSK-AES128-GCM-SHA256");
	tt_conn_free(&conn);
	assert_int_equal(set1("TLS_PSK_WITH_AES_128_CBC_SHA256"), M2M_OK);
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(conn.s)), "PSK-AES128-CBC-SHA256");
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
}

static void test_empty_intersection_refuses(void **state)
{
	(void)state;
	/* known to OpenSSL, outside our policy: every handshake fails (fail closed) */
	assert_int_equal(set1("TLS_PSK_WITH_AES_256_GCM_SHA384"), M2M_OK);
	assert_false(psk_try("PSK-AES128-GCM-SHA256", false));
	assert_false(psk_try("PSK-AES128-CBC-SHA256", false));
	assert_false(psk_try("TLS_AES_128_GCM_SHA256", true));
	assert_false(cert_try(ca, ca_k));
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
}

static void test_malformed_keeps_last_good(void **state)
{
	const char *unknown[] = {"TLS_NOT_A_SUITE", "PSK-AES128-GCM-SHA256" /* OpenSSL name, not IANA */};
	const char *mixed[] = {"TLS_NOT_A_SUITE", "TLS_PSK_WITH_AES_128_CBC_SHA256"};
	const char *leaf[] = {leaf_pem}, *junk[] = {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
	const char *good = "TLS_PSK_WITH_AES_128_GCM_SHA256";

	(void)state;
	assert_int_equal(set1(good), M2M_OK);
	assert_int_equal(m2m_tls_set_profile(tls, unknown, 2, NULL, 0), M2M_E_PROTO);
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, leaf, 1), M2M_E_PROTO); /* not a CA */
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, junk, 1), M2M_E_PROTO);
	assert_int_equal(m2m_tls_set_profile(tls, &good, 1, NULL, 1), M2M_E_INVAL);
	assert_int_equal(m2m_tls_set_profile(NULL, &good, 1, NULL, 0), M2M_E_INVAL);
	/* the last good profile is still the one applied */
	assert_true(psk_try("PSK-AES128-GCM-SHA256", false));
	assert_false(psk_try("PSK-AES128-CBC-SHA256", false));
	/* an unknown name beside a known one is ignored (forward compatible) */
	assert_int_equal(m2m_tls_set_profile(tls, mixed, 2, NULL, 0), M2M_OK);
	assert_true(psk_try("PSK-AES128-CBC-SHA256", false));
	assert_false(psk_try("PSK-AES128-GCM-SHA256", false));
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
}

static void test_trust_anchors_added(void **state)
{
	const char *anchors[] = {other_pem};

	(void)state;
	assert_true(cert_try(ca, ca_k));
	assert_false(cert_try(other_ca, other_k)); /* not a configured anchor */
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, anchors, 1), M2M_OK);
	assert_true(cert_try(other_ca, other_k)); /* the profile's anchor lets it in */
	assert_true(cert_try(ca, ca_k));          /* the configured anchor stays */
	/* a refresh without the anchor removes it again (built once per snapshot) */
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
	assert_false(cert_try(other_ca, other_k));
	assert_true(cert_try(ca, ca_k));
}

struct race {
	_Atomic bool stop;
	_Atomic int swaps;
};

static void *swapper(void *arg)
{
	struct race *r = arg;
	const char *a[] = {"TLS_PSK_WITH_AES_128_GCM_SHA256"}, *b[] = {"TLS_PSK_WITH_AES_128_GCM_SHA256",
								      "TLS_PSK_WITH_AES_128_CBC_SHA256"};
	const char *anchors[] = {other_pem};

	while (!r->stop) {
		bool odd = (atomic_fetch_add(&r->swaps, 1) & 1) != 0;
		if (m2m_tls_set_profile(tls, odd ? a : b, odd ? 1 : 2, anchors, odd ? 0 : 1) != M2M_OK)
			break;
	}
	return NULL;
}

static void test_swap_while_handshaking(void **state)
{
	struct race r = {false, 0};
	pthread_t th;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, swapper, &r), 0);
	while (atomic_load(&r.swaps) < 1) /* the swapper runs (no timing assumption) */
		sched_yield();
	/* GCM is in both snapshots: every handshake succeeds whichever one it meets */
	for (int i = 0; i < 50; i++)
		assert_true(psk_try("PSK-AES128-GCM-SHA256", false));
	r.stop = true;
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(r.swaps > 0);
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, NULL, 0), M2M_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_profile_is_the_policy),
		cmocka_unit_test(test_intersection),
		cmocka_unit_test(test_narrowed_when_client_offers_more),
		cmocka_unit_test(test_empty_intersection_refuses),
		cmocka_unit_test(test_malformed_keeps_last_good),
		cmocka_unit_test(test_trust_anchors_added),
		cmocka_unit_test(test_swap_while_handshaking),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
