/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/escertke.c (ESCertKE, TS-0003 clause 8.7.2.2 and
 * 10.3.1): an initiator and a terminator exchange the four messages in memory and export the same
 * pairwiseE2EKey; a peer from another CA, a peer certificate naming another identity, truncated,
 * garbage, trailing and out-of-order messages, and TLS 1.3 / PSK ClientHellos are refused.
 */
#include "tls_test.h"

#include "m2msec/escertke.h"
#include "m2msec/exporter.h"

#define SP "//sp.example.com"
#define AE_ID "//sp.example.com/id-in/Cae1"
#define CSE_ID "//sp.example.com/id-in"

static const char *ca_pem, *other_pem;
static char ae_crt[256], ae_key[256], cse_crt[256], cse_key[256], rogue_crt[256], rogue_key[256],
	ae2_crt[256], ae2_key[256];

static int setup(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "m2m test CA", .ca = true, .from = -60, .to = 86400};
	EVP_PKEY *ck = tt_key_p256(), *ok = tt_key_p256();
	X509 *c, *o;
	static char ca_buf[256], other_buf[256];

	(void)state;
	c = tt_cert(ck, NULL, NULL, &ca_o);
	ca_o.cn = "other CA";
	o = tt_cert(ok, NULL, NULL, &ca_o);
	snprintf(ca_buf, sizeof(ca_buf), "%s", tt_write_cert("ca.pem", c));
	snprintf(other_buf, sizeof(other_buf), "%s", tt_write_cert("other.pem", o));
	ca_pem = ca_buf;
	other_pem = other_buf;
	tt_write_leaf(ck, c, "URI:m2m://sp.example.com/id-in/Cae1", "ae", ae_crt, ae_key, 256);
	tt_write_leaf(ck, c, "URI:m2m://sp.example.com/id-in/Cae2", "ae2", ae2_crt, ae2_key, 256);
	tt_write_leaf(ck, c, "DNS:id-in.sp.example.com", "cse", cse_crt, cse_key, 256);
	tt_write_leaf(ok, o, "URI:m2m://sp.example.com/id-in/Cae1", "rogue", rogue_crt, rogue_key, 256);
	X509_free(c);
	X509_free(o);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(ok);
	return 0;
}

static m2m_escertke_ctx *mkctx(const char *crt, const char *key, const char *anchors, bool ini)
{
	m2m_escertke_config cfg = {.cert_file = crt, .key_file = key, .trust_anchors = anchors, .sp_id = SP,
				   .cse_id = "/id-in"};
	m2m_escertke_ctx *c = NULL;
	char msg[256];

	assert_int_equal(m2m_escertke_ctx_new(&cfg, ini, &c, msg, sizeof(msg)), M2M_OK);
	return c;
}

struct run {
	m2m_escertke_ctx *ic, *tc;
	m2m_escertke *i, *t;
	uint8_t *m[5];
	size_t n[5];
};

static void run_free(struct run *r)
{
	m2m_escertke_free(r->i);
	m2m_escertke_free(r->t);
	m2m_escertke_ctx_free(r->ic);
	m2m_escertke_ctx_free(r->tc);
	for (int k = 0; k < 5; k++)
		free(r->m[k]);
	memset(r, 0, sizeof(*r));
}

/* Initiator ae_crt (or crt) expecting CSE_ID; terminator cse expecting from. */
static void run_init(struct run *r, const char *crt, const char *key, const char *ianchors, const char *from)
{
	memset(r, 0, sizeof(*r));
	r->ic = mkctx(crt, key, ianchors, true);
	r->tc = mkctx(cse_crt, cse_key, ca_pem, false);
	assert_int_equal(m2m_escertke_new(r->ic, CSE_ID, &r->i), M2M_OK);
	assert_int_equal(m2m_escertke_new(r->tc, from, &r->t), M2M_OK);
}

static void test_exchange_exports_equal_keys(void **state)
{
	struct run r;
	m2m_key *ki = NULL, *kt = NULL;
	char idi[128], idt[128];

	(void)state;
	run_init(&r, ae_crt, ae_key, ca_pem, "Cae1"); /* From as an AE would write it (CSE-relative) */
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(r.m[1][0], 22); /* a TLS handshake record: ClientHello */
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	assert_false(m2m_escertke_done(r.t));
	assert_int_equal(m2m_escertke_export(r.t, "id-in.sp.example.com", &kt, idt, sizeof(idt)), M2M_E_PROTO);
	assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[3], r.n[3], &r.m[4], &r.n[4]), M2M_OK);
	assert_true(m2m_escertke_done(r.t));
	assert_string_equal(m2m_escertke_peer(r.t), AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, r.m[4], r.n[4], &r.m[0], &r.n[0]), M2M_OK);
	assert_null(r.m[0]);
	assert_true(m2m_escertke_done(r.i));
	assert_string_equal(m2m_escertke_peer(r.i), CSE_ID);
	assert_int_equal(m2m_escertke_export(r.i, "id-in.sp.example.com", &ki, idi, sizeof(idi)), M2M_OK);
	assert_int_equal(m2m_escertke_export(r.t, "id-in.sp.example.com", &kt, idt, sizeof(idt)), M2M_OK);
	assert_true(m2m_key_equal(ki, kt));
	assert_int_equal(m2m_key_len(ki), 32);
	assert_string_equal(idi, idt);
	assert_int_equal(strlen(idi), 32 + 1 + strlen("id-in.sp.example.com"));
	assert_string_equal(m2m_key_id(kt), idt);
	/* a further step after done is out of order */
	assert_int_equal(m2m_escertke_step(r.t, r.m[3], r.n[3], &r.m[0], &r.n[0]), M2M_E_PROTO);
	m2m_key_free(ki);
	m2m_key_free(kt);
	run_free(&r);
}

static void test_two_exchanges_differ(void **state)
{
	m2m_key *k[2] = {NULL, NULL};
	char id[2][128];

	(void)state;
	for (int x = 0; x < 2; x++) {
		struct run r;

		run_init(&r, ae_crt, ae_key, ca_pem, AE_ID);
		assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
		assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
		assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_OK);
		assert_int_equal(m2m_escertke_step(r.t, r.m[3], r.n[3], &r.m[4], &r.n[4]), M2M_OK);
		assert_int_equal(m2m_escertke_export(r.t, "id-in.sp.example.com", &k[x], id[x], sizeof(id[x])), M2M_OK);
		run_free(&r);
	}
	assert_false(m2m_key_equal(k[0], k[1]));
	assert_string_not_equal(id[0], id[1]);
	m2m_key_free(k[0]);
	m2m_key_free(k[1]);
}

/* The initiator's certificate chains to another CA: the terminator refuses message 3. */
static void test_initiator_from_another_ca(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, rogue_crt, rogue_key, ca_pem, AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[3], r.n[3], &r.m[4], &r.n[4]), M2M_E_CERT_UNTRUSTED);
	assert_null(r.m[4]);
	assert_false(m2m_escertke_done(r.t));
	assert_string_equal(m2m_escertke_peer(r.t), "");
	run_free(&r);
}

/* The terminator is not trusted by the initiator (other anchors): refused at message 2. */
static void test_terminator_untrusted(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, ae_crt, ae_key, other_pem, AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_E_CERT_UNTRUSTED);
	run_free(&r);
}

/* A valid certificate of another AE than From: identity mismatch. */
static void test_identity_mismatch(void **state)
{
	struct run r;
	m2m_escertke *i2 = NULL;

	(void)state;
	run_init(&r, ae2_crt, ae2_key, ca_pem, AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[3], r.n[3], &r.m[4], &r.n[4]), M2M_E_AUTH);
	/* the initiator expecting another terminator refuses message 2 */
	free(r.m[1]);
	free(r.m[2]);
	r.m[1] = r.m[2] = NULL;
	m2m_escertke_free(r.t);
	assert_int_equal(m2m_escertke_new(r.tc, "Cae2", &r.t), M2M_OK);
	assert_int_equal(m2m_escertke_new(r.ic, "//sp.example.com/id-mn", &i2), M2M_OK);
	assert_int_equal(m2m_escertke_step(i2, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	free(r.m[3]);
	r.m[3] = NULL;
	assert_int_equal(m2m_escertke_step(i2, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_E_AUTH);
	m2m_escertke_free(i2);
	run_free(&r);
}

static void test_truncated_garbage_trailing(void **state)
{
	static const uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
	struct run r;
	uint8_t *o = NULL, *big;
	size_t on = 0;

	(void)state;
	run_init(&r, ae_crt, ae_key, ca_pem, AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	/* truncated message 1: no message 2 can be formed */
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1] - 3, &o, &on), M2M_E_PROTO);
	assert_null(o);
	/* the session is dead: even the whole message is refused now */
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &o, &on), M2M_E_PROTO);
	m2m_escertke_free(r.t);
	/* message 1 followed by trailing octets (another record) */
	assert_int_equal(m2m_escertke_new(r.tc, AE_ID, &r.t), M2M_OK);
	big = malloc(r.n[1] + 9);
	memcpy(big, r.m[1], r.n[1]);
	memcpy(big + r.n[1], "\x16\x03\x03", 3);
	assert_int_equal(m2m_escertke_step(r.t, big, r.n[1] + 3, &o, &on), M2M_E_PROTO); /* a cut header */
	assert_null(o);
	free(big);
	m2m_escertke_free(r.t);
	assert_int_equal(m2m_escertke_new(r.tc, AE_ID, &r.t), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, garbage, sizeof(garbage) - 1, &o, &on), M2M_E_PROTO);
	m2m_escertke_free(r.t);
	assert_int_equal(m2m_escertke_new(r.tc, AE_ID, &r.t), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, NULL, 0, &o, &on), M2M_E_PROTO); /* no input */
	m2m_escertke_free(r.t);
	assert_int_equal(m2m_escertke_new(r.tc, AE_ID, &r.t), M2M_OK);
	big = calloc(1, M2M_ESCERTKE_MSG_MAX + 1);
	assert_int_equal(m2m_escertke_step(r.t, big, M2M_ESCERTKE_MSG_MAX + 1, &o, &on), M2M_E_TOO_LARGE);
	free(big);
	/* message 1 followed by a whole record: taken as the start of message 3, which then fails */
	{
		struct run r2;

		run_init(&r2, ae_crt, ae_key, ca_pem, AE_ID);
		assert_int_equal(m2m_escertke_step(r2.i, NULL, 0, &r2.m[1], &r2.n[1]), M2M_OK);
		big = malloc(r2.n[1] + 9);
		memcpy(big, r2.m[1], r2.n[1]);
		memcpy(big + r2.n[1], "\x16\x03\x03\x00\x04\x0b\x00\x00\x10", 9);
		assert_int_equal(m2m_escertke_step(r2.t, big, r2.n[1] + 9, &r2.m[2], &r2.n[2]), M2M_OK);
		free(big);
		assert_int_equal(m2m_escertke_step(r2.i, r2.m[2], r2.n[2], &r2.m[3], &r2.n[3]), M2M_OK);
		assert_int_equal(m2m_escertke_step(r2.t, r2.m[3], r2.n[3], &o, &on), M2M_E_PROTO);
		assert_false(m2m_escertke_done(r2.t));
		run_free(&r2);
	}
	/* the initiator: a truncated message 2, then a message 4 with trailing octets */
	m2m_escertke_free(r.t);
	assert_int_equal(m2m_escertke_new(r.tc, AE_ID, &r.t), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2] - 10, &o, &on), M2M_E_PROTO);
	run_free(&r);

	run_init(&r, ae_crt, ae_key, ca_pem, AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &o, &on), M2M_E_PROTO); /* message 2 missing */
	run_free(&r);

	run_init(&r, ae_crt, ae_key, ca_pem, AE_ID);
	assert_int_equal(m2m_escertke_step(r.i, NULL, 0, &r.m[1], &r.n[1]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[1], r.n[1], &r.m[2], &r.n[2]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.i, r.m[2], r.n[2], &r.m[3], &r.n[3]), M2M_OK);
	assert_int_equal(m2m_escertke_step(r.t, r.m[3], r.n[3], &r.m[4], &r.n[4]), M2M_OK);
	r.m[4] = realloc(r.m[4], r.n[4] + 5);
	memcpy(r.m[4] + r.n[4], "\x16\x03\x03\x00\x00", 5);
	assert_int_equal(m2m_escertke_step(r.i, r.m[4], r.n[4] + 5, &o, &on), M2M_E_PROTO);
	assert_false(m2m_escertke_done(r.i));
	run_free(&r);
}

/* A ClientHello of a standard TLS client: TLS 1.3 only, or PSK suites only, is refused. */
static void hello_refused(SSL_CTX *cctx)
{
	m2m_escertke_ctx *tc = mkctx(cse_crt, cse_key, ca_pem, false);
	m2m_escertke *t = NULL;
	SSL *c = SSL_new(cctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	uint8_t buf[4096], *o = NULL;
	size_t on = 0;
	int n;

	SSL_set_bio(c, rb, wb);
	SSL_set_connect_state(c);
	assert_int_equal(SSL_do_handshake(c), -1);
	n = BIO_read(wb, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(m2m_escertke_new(tc, AE_ID, &t), M2M_OK);
	assert_int_equal(m2m_escertke_step(t, buf, (size_t)n, &o, &on), M2M_E_PROTO);
	assert_null(o);
	m2m_escertke_free(t);
	m2m_escertke_ctx_free(tc);
	SSL_free(c);
}

static void test_tls13_and_psk_not_negotiable(void **state)
{
	SSL_CTX *c13 = tt_client_ctx(TLS1_3_VERSION, TLS1_3_VERSION, NULL, NULL);
	static struct tt_psk p;
	SSL_CTX *cpsk;

	(void)state;
	tt_psk_set(&p, "kpsa1@sp.example.com", "000102030405060708090a0b0c0d0e0f");
	cpsk = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256:PSK-AES128-CCM8");
	hello_refused(c13);
	hello_refused(cpsk);
	SSL_CTX_free(c13);
	SSL_CTX_free(cpsk);
}

static void test_bad_config(void **state)
{
	m2m_escertke_config cfg = {.cert_file = ae_crt, .key_file = ae_key, .trust_anchors = ca_pem, .sp_id = "sp",
				   .cse_id = "/id-in"};
	m2m_escertke_ctx *c = NULL;
	m2m_escertke *e = NULL;
	char msg[256];

	(void)state;
	assert_int_equal(m2m_escertke_ctx_new(&cfg, true, &c, msg, sizeof(msg)), M2M_E_CONFIG);
	cfg.sp_id = SP;
	cfg.key_file = tt_write("loose.key", "x", 0644);
	assert_int_equal(m2m_escertke_ctx_new(&cfg, true, &c, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	cfg.key_file = cse_key; /* not the certificate's key */
	assert_int_equal(m2m_escertke_ctx_new(&cfg, true, &c, msg, sizeof(msg)), M2M_E_CERT);
	assert_null(c);
	c = mkctx(ae_crt, ae_key, ca_pem, true);
	assert_int_not_equal(m2m_escertke_new(c, "not an id!", &e), M2M_OK);
	assert_null(e);
	m2m_escertke_ctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_exports_equal_keys),
		cmocka_unit_test(test_two_exchanges_differ),
		cmocka_unit_test(test_initiator_from_another_ca),
		cmocka_unit_test(test_terminator_untrusted),
		cmocka_unit_test(test_identity_mismatch),
		cmocka_unit_test(test_truncated_garbage_trailing),
		cmocka_unit_test(test_tls13_and_psk_not_negotiable),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
