/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/tls_ctx.c: the cipher policy of TS-0003 clause 10.2
 * (mandatory suites present, nothing else offered), TLS 1.2 minimum, optional TLS 1.3, the
 * hardening options, SNI recording and the fail-closed configuration checks.
 */
#include "tls_test.h"
#include "m2msec/mem.h"

#define KEYHEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const char *psk_file(void)
{
	return tt_write("ctx.psk", "kpsa1@sp.example.com " KEYHEX " Cabc\n", 0600);
}

static m2m_tls *server(bool tls13)
{
	char path[256];
	m2m_tls_config cfg = {0};
	m2m_tls *tls = NULL;

	snprintf(path, sizeof(path), "%s", psk_file());
	cfg.psk_file = path;
	cfg.sp_id = "//sp.example.com";
	cfg.allow_tls13 = tls13;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_non_null(m2m_tls_ctx(tls));
	return tls;
}

static bool has_cipher(STACK_OF(SSL_CIPHER) *sk, const char *name)
{
	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
		if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)), name) == 0)
			return true;
	return false;
}

static void test_free_null_and_bad_args(void **state)
{
	m2m_tls_config cfg = {0};
	m2m_tls *tls = (m2m_tls *)0x1;

	m2m_tls_free(NULL);
	assert_null(m2m_tls_ctx(NULL));
	assert_int_equal(m2m_tls_new(NULL, &tls), M2M_E_INVAL);
	assert_null(tls);
	assert_int_equal(m2m_tls_new(&cfg, NULL), M2M_E_INVAL);
	assert_null(m2m_tls_peer_servername(NULL));
}

static void test_cipher_policy(void **state)
{
	static const char *const want[] = {
		"PSK-AES128-CBC-SHA256",         /* TS-0003 10.2.2 MUST */
		"ECDHE-ECDSA-AES128-SHA256",     /* TS-0003 10.2.3 MUST */
		"PSK-AES128-CCM8", "PSK-AES128-CCM", "PSK-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES128-CCM8", "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES128-GCM-SHA256",
		"TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_SHA256",
	};
	m2m_tls *tls = server(false);
	SSL_CTX *ctx = m2m_tls_ctx(tls);
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
	uint64_t opts = SSL_CTX_get_options(ctx);

	for (size_t i = 0; i < M2M_ARRAY_LEN(want); i++)
		assert_true(has_cipher(sk, want[i]));
	assert_int_equal(sk_SSL_CIPHER_num(sk), (int)M2M_ARRAY_LEN(want)); /* nothing else */
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_get_max_proto_version(ctx), TLS1_2_VERSION);
	assert_true(opts & SSL_OP_NO_RENEGOTIATION);
	assert_true(opts & SSL_OP_NO_COMPRESSION);
	assert_true(opts & SSL_OP_NO_TICKET);
	assert_true(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS);
	assert_int_equal(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);
	assert_int_equal(SSL_CTX_get_num_tickets(ctx), 0);
	m2m_tls_free(tls);
}

static void test_tls11_refused(void **state)
{
	struct tt_psk p;
	m2m_tls *tls = server(true);
	SSL_CTX *old, *ok;

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	old = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA:PSK-AES128-CBC-SHA256:@SECLEVEL=0");
	assert_int_equal(SSL_CTX_set_min_proto_version(old, TLS1_1_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION), 1);
	assert_false(tt_try(m2m_tls_ctx(tls), old));
	/* the same client allowed to speak TLS 1.2 gets through: the version was the reason */
	assert_int_equal(SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION), 1);
	assert_true(tt_try(m2m_tls_ctx(tls), old));
	ok = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA");
	assert_false(tt_try(m2m_tls_ctx(tls), ok)); /* SHA-1 CBC suite is not in the policy */
	SSL_CTX_free(old);
	SSL_CTX_free(ok);
	m2m_tls_free(tls);
}

static void negotiate(m2m_tls *tls, const char *cipher)
{
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	c = tt_psk_client(&p, TLS1_2_VERSION, cipher);
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_int_equal(SSL_version(conn.s), TLS1_2_VERSION);
	assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(conn.s)), cipher);
	tt_conn_free(&conn);
	SSL_CTX_free(c);
}

static void test_psk_suites_negotiate(void **state)
{
	m2m_tls *tls = server(false);

	negotiate(tls, "PSK-AES128-CCM8");
	negotiate(tls, "PSK-AES128-CCM");
	negotiate(tls, "PSK-AES128-GCM-SHA256");
	negotiate(tls, "PSK-AES128-CBC-SHA256");
	m2m_tls_free(tls);
}

static void test_server_prefers_ccm8(void **state)
{
	m2m_tls *tls = server(false);
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CCM8");
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(conn.s)), "PSK-AES128-CCM8");
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	m2m_tls_free(tls);
}

static void tls13_psk(bool enabled, const char *suite)
{
	m2m_tls *tls = server(enabled);
	struct tt_psk p;
	struct tt_conn conn;
	m2m_sa sa;
	SSL_CTX *c;

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	c = tt_psk_client(&p, TLS1_3_VERSION, NULL);
	assert_int_equal(SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION), 1);
	assert_int_equal(SSL_CTX_set_ciphersuites(c, suite), 1);
	if (enabled) {
		assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
		assert_int_equal(SSL_version(conn.s), TLS1_3_VERSION);
		assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(conn.s)), suite);
		assert_int_equal(m2m_tls_peer_sa(tls, conn.s, &sa), M2M_OK);
		assert_int_equal(sa.kind, M2M_SA_PSK);
		assert_string_equal(sa.bound_id, "Cabc");
		tt_conn_free(&conn);
	} else {
		assert_false(tt_try(m2m_tls_ctx(tls), c));
	}
	SSL_CTX_free(c);
	m2m_tls_free(tls);
}

static void test_tls13_psk_enabled(void **state)
{
	tls13_psk(true, "TLS_AES_128_GCM_SHA256");
	tls13_psk(true, "TLS_AES_128_CCM_8_SHA256");
	tls13_psk(true, "TLS_AES_128_CCM_SHA256");
}

static void test_tls13_refused_when_disabled(void **state)
{
	tls13_psk(false, "TLS_AES_128_GCM_SHA256");
}

static void test_sni_recorded_not_rejected(void **state)
{
	m2m_tls *tls = server(false);
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8");
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, "unknown-name.elsewhere.example", &conn));
	assert_string_equal(m2m_tls_peer_servername(conn.s), "unknown-name.elsewhere.example");
	tt_conn_free(&conn);
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_null(m2m_tls_peer_servername(conn.s));
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	m2m_tls_free(tls);
}

static void test_renegotiation_refused(void **state)
{
	m2m_tls *tls = server(false);
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	char b[8];

	tt_psk_set(&p, "kpsa1@sp.example.com", KEYHEX);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8");
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_int_equal(SSL_renegotiate(conn.s), 0); /* the server never starts one */
	ERR_clear_error();
	assert_int_equal(SSL_renegotiate(conn.c), 1);
	(void)SSL_do_handshake(conn.c);         /* sends a ClientHello */
	(void)SSL_read(conn.s, b, sizeof(b));   /* server answers no_renegotiation */
	(void)SSL_read(conn.c, b, sizeof(b));
	assert_int_equal(SSL_total_renegotiations(conn.s), 0); /* never started on the server */
	assert_true(SSL_write(conn.c, "x", 1) <= 0);           /* the client gave up */
	ERR_clear_error();
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	m2m_tls_free(tls);
}

static void test_config_fails_closed(void **state)
{
	m2m_tls_config cfg = {0};
	m2m_tls *tls = (m2m_tls *)0x1;
	char msg[256];

	cfg.cert_file = "/nonexistent.pem"; /* certificate without key */
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	assert_null(tls);
	cfg.cert_file = NULL;
	cfg.trust_anchors = "/nonexistent.pem"; /* trust anchors without a certificate */
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	cfg.trust_anchors = NULL;
	cfg.sp_id = "sp.example.com"; /* not an M2M-SP-ID */
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	assert_non_null(strstr(msg, "sp-id"));
	cfg.sp_id = NULL;
	cfg.psk_file = "/nonexistent/psk";
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_NOT_FOUND);
	assert_null(tls);
}

static void test_server_certificate(void **state)
{
	EVP_PKEY *ca_k = tt_key_p256(), *k = tt_key_p256(), *rsa = tt_key_rsa();
	struct tt_cert_opts ca_o = {.cn = "ca", .ca = true, .from = -60, .to = 3600};
	struct tt_cert_opts o = {.cn = "cse", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth",
				 .from = -60, .to = 3600};
	X509 *ca = tt_cert(ca_k, NULL, NULL, &ca_o), *x = tt_cert(k, ca, ca_k, &o);
	X509 *xr = tt_cert(rsa, ca, ca_k, &o);
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	char cert[256], key[256], msg[256];
	m2m_tls *tls = NULL;

	snprintf(cert, sizeof(cert), "%s", tt_write_cert("srv.pem", x));
	snprintf(key, sizeof(key), "%s", tt_write_key("srv.key", k, 0644));
	cfg.cert_file = cert;
	cfg.key_file = key;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	assert_null(tls);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_OK);
	m2m_tls_free(tls);
	assert_int_equal(chmod(key, 0400), 0); /* stricter is fine */
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_OK);
	m2m_tls_free(tls);
	tls = NULL;
	/* key of another certificate */
	snprintf(key, sizeof(key), "%s", tt_write_key("ca.key", ca_k, 0600));
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CERT);
	/* RSA server certificate: not the TS-0003 10.1.1 profile */
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("rsa.pem", xr));
	snprintf(key, sizeof(key), "%s", tt_write_key("rsa.key", rsa, 0600));
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CERT);
	assert_non_null(strstr(msg, "P-256"));
	assert_null(tls);
	X509_free(ca);
	X509_free(x);
	X509_free(xr);
	EVP_PKEY_free(ca_k);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rsa);
}

/* The BSF's Ub (TS 33.220 clause 4.5.2): server authentication only, an anonymous client
 * completes the handshake with association NONE; without the flag the same client is refused. */
static void test_server_auth_only(void **state)
{
	EVP_PKEY *ca_k = tt_key_p256(), *k = tt_key_p256();
	struct tt_cert_opts ca_o = {.cn = "ca", .ca = true, .from = -60, .to = 3600};
	struct tt_cert_opts o = {.cn = "bsf", .san = "DNS:mef.sp.example.com", .eku = "serverAuth", .from = -60, .to = 3600};
	X509 *ca = tt_cert(ca_k, NULL, NULL, &ca_o), *x = tt_cert(k, ca, ca_k, &o);
	m2m_tls_config cfg = {.server_auth_only = true};
	char cert[256], key[256], anchors[256], msg[256];
	m2m_tls *tls = NULL, *mutual = NULL;
	SSL_CTX *client = tt_client_ctx(TLS1_2_VERSION, TLS1_3_VERSION, NULL, NULL);
	struct tt_conn conn;
	m2m_sa sa;

	(void)state;
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("bsf.pem", x));
	snprintf(key, sizeof(key), "%s", tt_write_key("bsf.key", k, 0600));
	snprintf(anchors, sizeof(anchors), "%s", tt_write_cert("bsfca.pem", ca));
	/* refused: no certificate, or any client credential */
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	cfg.trust_anchors = NULL;
	cfg.psk_file = "/nonexistent/psk";
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	cfg.psk_file = NULL;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_OK);
	assert_true(tt_handshake(m2m_tls_ctx(tls), client, NULL, &conn));
	assert_int_equal(m2m_tls_peer_sa(tls, conn.s, &sa), M2M_OK);
	assert_int_equal(sa.kind, M2M_SA_NONE);
	tt_conn_free(&conn);
	/* the same certificate with client authentication: the anonymous client gets nothing */
	cfg.server_auth_only = false;
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new_ex(&cfg, &mutual, msg, sizeof(msg)), M2M_OK);
	assert_false(tt_try(m2m_tls_ctx(mutual), client));
	m2m_tls_free(mutual);
	m2m_tls_free(tls);
	SSL_CTX_free(client);
	X509_free(ca);
	X509_free(x);
	EVP_PKEY_free(ca_k);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_null_and_bad_args),
		cmocka_unit_test(test_server_auth_only),
		cmocka_unit_test(test_cipher_policy),
		cmocka_unit_test(test_tls11_refused),
		cmocka_unit_test(test_psk_suites_negotiate),
		cmocka_unit_test(test_server_prefers_ccm8),
		cmocka_unit_test(test_tls13_psk_enabled),
		cmocka_unit_test(test_tls13_refused_when_disabled),
		cmocka_unit_test(test_sni_recorded_not_rejected),
		cmocka_unit_test(test_renegotiation_refused),
		cmocka_unit_test(test_config_fails_closed),
		cmocka_unit_test(test_server_certificate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
