/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/tls_reload.c (m2m_tls_reload, the SIGHUP reload of
 * docs/operations.md): a Kpsa added to the psk-file (TS-0003 clause 8.2.2.1) is accepted by the
 * next handshake after the reload, a removed one is refused, a connection established before the
 * reload keeps its association, and a file that no longer loads leaves the loaded table in force
 * with a message that names no key. The certificate reload (TS-0003 clauses 8.2.2.2, 10.1.1): a
 * new server certificate is served by the next handshake while a connection made before keeps
 * its context; a client certificate of a CA added to the trust anchors is accepted from then on
 * and one of a removed CA refused; a key that does not match, an expired certificate or a file
 * with no anchor leaves the running context in force with a reason that names the file.
 */
#include <pthread.h>

#include "tls_test.h"

#include "m2msec/sa.h"
#include "tls/tls_int.h"

#define K1 "00112233445566778899aabbccddeeff"
#define K2 "ffeeddccbbaa99887766554433221100"

static bool connect_psk(m2m_tls *tls, const char *identity, const char *hexkey)
{
	struct tt_psk p;
	SSL_CTX *c;
	bool ok;

	tt_psk_set(&p, identity, hexkey);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256");
	ok = tt_try(m2m_tls_ctx(tls), c);
	SSL_CTX_free(c);
	return ok;
}

static void test_reload_adds_and_removes(void **state)
{
	char path[256], err[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	m2m_tls *tls = NULL;
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	m2m_sa sa;

	(void)state;
	snprintf(path, sizeof(path), "%s", tt_write("reload.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1));
	assert_false(connect_psk(tls, "kpsa2@sp.example.com", K2));

	/* an association established before the reload */
	tt_psk_set(&p, "kpsa1@sp.example.com", K1);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256");
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));

	tt_write("reload.psk", "kpsa2@sp.example.com " K2 " Ctwo\n", 0600);
	assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_string_equal(err, "");
	assert_true(connect_psk(tls, "kpsa2@sp.example.com", K2));
	assert_false(connect_psk(tls, "kpsa1@sp.example.com", K1)); /* removed: refused for a new one */
	assert_int_equal(m2m_tls_peer_sa(tls, conn.s, &sa), M2M_OK); /* the old one keeps its binding */
	assert_string_equal(sa.bound_id, "Cone");
	tt_conn_free(&conn);
	SSL_CTX_free(c);

	/* a broken file: the loaded table stays, the message names the line, not the key */
	tt_write("reload.psk", "kpsa3@sp.example.com 0011 Cthree\n", 0600);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_non_null(strstr(err, "psk file: "));
	assert_null(strstr(err, "0011"));
	assert_true(connect_psk(tls, "kpsa2@sp.example.com", K2));
	/* a file readable by others is refused the same way */
	tt_write("reload.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0644);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_true(connect_psk(tls, "kpsa2@sp.example.com", K2));
	m2m_tls_free(tls);
}

static void test_reload_nothing(void **state)
{
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .psk_file = NULL};
	m2m_tls *tls = NULL;
	char path[256], err[64];

	(void)state;
	assert_int_equal(m2m_tls_reload(NULL, err, sizeof(err)), M2M_E_INVAL);
	/* an unchanged file reloads to the same table */
	snprintf(path, sizeof(path), "%s", tt_write("same.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1));
	m2m_tls_free(tls);
}

/* A client SSL_CTX presenting leaf/key (a certificate handshake: no PSK callback). */
static SSL_CTX *cert_client(X509 *leaf, EVP_PKEY *k)
{
	SSL_CTX *c = tt_client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", NULL);

	if (leaf != NULL) {
		assert_int_equal(SSL_CTX_use_certificate(c, leaf), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(c, k), 1);
	}
	return c;
}

/* The serial number of the certificate a server SSL presents (its context's). */
static long served_serial(SSL *s)
{
	return ASN1_INTEGER_get(X509_get0_serialNumber(SSL_get_certificate(s)));
}

static void test_reload_certificate(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "ca", .ca = true, .from = -60, .to = 3600};
	struct tt_cert_opts so = {.cn = "cse", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth", .from = -60,
				  .to = 3600};
	struct tt_cert_opts co = {.cn = "ae", .san = "URI:m2m://sp.example.com/cse-in/Cabc", .from = -60, .to = 3600};
	EVP_PKEY *ka = tt_key_p256(), *kb = tt_key_p256(), *k1 = tt_key_p256(), *k2 = tt_key_p256();
	EVP_PKEY *kc = tt_key_p256();
	X509 *ca_a = tt_cert(ka, NULL, NULL, &ca_o), *ca_b = tt_cert(kb, NULL, NULL, &ca_o);
	X509 *s1 = tt_cert(k1, ca_a, ka, &so), *s2 = tt_cert(k2, ca_a, ka, &so), *s3;
	X509 *ca_ = tt_cert(kc, ca_a, ka, &co), *cb_ = tt_cert(kc, ca_b, kb, &co);
	char cert[256], key[256], anchors[256], err[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	SSL_CTX *client_a = cert_client(ca_, kc), *client_b = cert_client(cb_, kc);
	m2m_tls *tls = NULL;
	struct tt_conn old, fresh;
	long serial1 = ASN1_INTEGER_get(X509_get0_serialNumber(s1));
	long serial2 = ASN1_INTEGER_get(X509_get0_serialNumber(s2));
	m2m_sa sa;

	(void)state;
	so.from = -7200;
	so.to = -3600;
	s3 = tt_cert(k2, ca_a, ka, &so); /* expired */
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("rl-srv.pem", s1));
	snprintf(key, sizeof(key), "%s", tt_write_key("rl-srv.key", k1, 0600));
	snprintf(anchors, sizeof(anchors), "%s", tt_write_cert("rl-ca.pem", ca_a));
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_true(tt_handshake(m2m_tls_ctx(tls), client_a, NULL, &old));
	assert_int_equal(served_serial(old.s), serial1);
	assert_false(tt_try(m2m_tls_ctx(tls), client_b)); /* CA b is no anchor yet */

	/* new certificate and key, anchors: CA b instead of CA a */
	tt_write_cert("rl-srv.pem", s2);
	tt_write_key("rl-srv.key", k2, 0600);
	tt_write_cert("rl-ca.pem", ca_b);
	assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_string_equal(err, "");
	assert_true(tt_handshake(m2m_tls_ctx(tls), client_b, NULL, &fresh));
	assert_int_equal(served_serial(fresh.s), serial2);
	assert_int_equal(m2m_tls_peer_sa(tls, fresh.s, &sa), M2M_OK);
	tt_conn_free(&fresh);
	assert_false(tt_try(m2m_tls_ctx(tls), client_a)); /* CA a removed: refused for new handshakes */
	/* the connection made before keeps its context, its certificate and its association */
	assert_int_equal(served_serial(old.s), serial1);
	assert_int_equal(m2m_tls_peer_sa(tls, old.s, &sa), M2M_OK);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cabc");
	{
		char b = 'y';
		assert_int_equal(SSL_write(old.c, &b, 1), 1);
		assert_int_equal(SSL_read(old.s, &b, 1), 1);
	}
	tt_conn_free(&old);

	/* a key that does not match: the running context stays, the reason names the key file */
	tt_write_key("rl-srv.key", k1, 0600);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_string_equal(err, "key file: key does not match the certificate");
	assert_true(tt_handshake(m2m_tls_ctx(tls), client_b, NULL, &fresh));
	assert_int_equal(served_serial(fresh.s), serial2);
	tt_conn_free(&fresh);
	/* an expired certificate (with its matching key) */
	tt_write_cert("rl-srv.pem", s3);
	tt_write_key("rl-srv.key", k2, 0600);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_non_null(strstr(err, "certificate expired"));
	/* anchors that hold no certificate */
	tt_write_cert("rl-srv.pem", s2);
	tt_write("rl-ca.pem", "not a certificate\n", 0644);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_non_null(strstr(err, "trust anchors: "));
	/* a key readable by others */
	tt_write_cert("rl-ca.pem", ca_b);
	tt_write_key("rl-srv.key", k2, 0644);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_non_null(strstr(err, "key file: "));
	assert_true(tt_handshake(m2m_tls_ctx(tls), client_b, NULL, &fresh));
	assert_int_equal(served_serial(fresh.s), serial2);
	tt_conn_free(&fresh);

	m2m_tls_free(tls);
	SSL_CTX_free(client_a);
	SSL_CTX_free(client_b);
	X509_free(ca_a);
	X509_free(ca_b);
	X509_free(s1);
	X509_free(s2);
	X509_free(s3);
	X509_free(ca_);
	X509_free(cb_);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(kc);
}

/* Handshakes on other threads while the context is swapped (docs/operations.md "Signals": the
 * read-locked reference of m2mi_tls_ctx_get / m2m_tls_ssl_new against the write-locked swap):
 * every one completes, on the old or the new context; run under TSan/ASan by the lead's builds. */
struct hammer {
	m2m_tls *tls;
	X509 *leaf;
	EVP_PKEY *key;
	int ok;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	SSL_CTX *c = cert_client(h->leaf, h->key);

	for (int i = 0; i < 40; i++) {
		SSL_CTX *s = m2mi_tls_ctx_get(h->tls);
		SSL *one = m2m_tls_ssl_new(h->tls);
		struct tt_conn conn;
		if (s != NULL && one != NULL && tt_handshake(s, c, NULL, &conn)) {
			h->ok++;
			tt_conn_free(&conn);
		}
		SSL_free(one);
		SSL_CTX_free(s);
	}
	SSL_CTX_free(c);
	return NULL;
}

static void test_reload_concurrent_handshakes(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "ca", .ca = true, .from = -60, .to = 3600};
	struct tt_cert_opts so = {.cn = "cse", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth", .from = -60,
				  .to = 3600};
	struct tt_cert_opts co = {.cn = "ae", .san = "URI:m2m://sp.example.com/cse-in/Cabc", .from = -60, .to = 3600};
	EVP_PKEY *ka = tt_key_p256(), *k = tt_key_p256(), *kc = tt_key_p256();
	X509 *ca = tt_cert(ka, NULL, NULL, &ca_o), *x = tt_cert(k, ca, ka, &so), *leaf = tt_cert(kc, ca, ka, &co);
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	char cert[256], key[256], anchors[256], err[256];
	struct hammer h[2];
	pthread_t t[2];
	m2m_tls *tls = NULL;
	unsigned gen0;

	(void)state;
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("hm-srv.pem", x));
	snprintf(key, sizeof(key), "%s", tt_write_key("hm-srv.key", k, 0600));
	snprintf(anchors, sizeof(anchors), "%s", tt_write_cert("hm-ca.pem", ca));
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	gen0 = m2mi_tls_generation(tls);
	for (int i = 0; i < 2; i++) {
		h[i] = (struct hammer){tls, leaf, kc, 0};
		assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
	}
	for (int i = 0; i < 20; i++)
		assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(h[i].ok, 40);
	}
	assert_int_equal(m2mi_tls_generation(tls), gen0 + 20);
	m2m_tls_free(tls);
	X509_free(x);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kc);
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *text;
	long n;

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	text = calloc(1, (size_t)n + 1);
	memcpy(text, data, (size_t)n);
	BIO_free(b);
	return text;
}

/* A security profile's own anchors (m2m_tls_set_profile) stay, but the configured ones it was
 * built on follow the reload: a CA removed from trust-anchors is refused although a profile is set. */
static void test_reload_rebases_profile_anchors(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "ca", .ca = true, .from = -60, .to = 3600};
	struct tt_cert_opts so = {.cn = "cse", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth", .from = -60,
				  .to = 3600};
	struct tt_cert_opts co = {.cn = "ae", .san = "URI:m2m://sp.example.com/cse-in/Cabc", .from = -60, .to = 3600};
	EVP_PKEY *k[3], *ks = tt_key_p256(), *kc = tt_key_p256();
	X509 *ca[3], *leaf[3], *srv;
	SSL_CTX *cl[3];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	char cert[256], key[256], anchors[256], err[256], *pem;
	const char *profile_anchor[1];
	m2m_tls *tls = NULL;

	(void)state;
	for (int i = 0; i < 3; i++) {
		k[i] = tt_key_p256();
		ca[i] = tt_cert(k[i], NULL, NULL, &ca_o);
		leaf[i] = tt_cert(kc, ca[i], k[i], &co);
		cl[i] = cert_client(leaf[i], kc);
	}
	srv = tt_cert(ks, ca[0], k[0], &so);
	snprintf(cert, sizeof(cert), "%s", tt_write_cert("pr-srv.pem", srv));
	snprintf(key, sizeof(key), "%s", tt_write_key("pr-srv.key", ks, 0600));
	snprintf(anchors, sizeof(anchors), "%s", tt_write_cert("pr-ca.pem", ca[0]));
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.trust_anchors = anchors;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	profile_anchor[0] = pem = pem_of(ca[1]);
	assert_int_equal(m2m_tls_set_profile(tls, NULL, 0, profile_anchor, 1), M2M_OK);
	assert_true(tt_try(m2m_tls_ctx(tls), cl[0]));
	assert_true(tt_try(m2m_tls_ctx(tls), cl[1]));
	assert_false(tt_try(m2m_tls_ctx(tls), cl[2]));

	tt_write_cert("pr-ca.pem", ca[2]); /* configured: CA 0 out, CA 2 in */
	assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_false(tt_try(m2m_tls_ctx(tls), cl[0]));
	assert_true(tt_try(m2m_tls_ctx(tls), cl[1])); /* the profile's own anchor */
	assert_true(tt_try(m2m_tls_ctx(tls), cl[2]));

	m2m_tls_free(tls);
	free(pem);
	X509_free(srv);
	EVP_PKEY_free(ks);
	EVP_PKEY_free(kc);
	for (int i = 0; i < 3; i++) {
		SSL_CTX_free(cl[i]);
		X509_free(leaf[i]);
		X509_free(ca[i]);
		EVP_PKEY_free(k[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_certificate),
		cmocka_unit_test(test_reload_concurrent_handshakes),
		cmocka_unit_test(test_reload_rebases_profile_anchors),
		cmocka_unit_test(test_reload_adds_and_removes),
		cmocka_unit_test(test_reload_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
