/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_hs.c, the CoAP server's DTLS handshake
 * driver for asynchronous PSK lookups (TS-0003 clause 8.2.2.1, a psk_identity whose key lives
 * in another service): a real DTLS 1.2 PSK handshake over two connected loopback UDP sockets,
 * the server end on the DTLS SSL_CTX of the HTTPS policy (m2mi_tls_dtls_ctx_new). Covered: a
 * pending lookup pauses only that handshake (paused, counted in flight, deadline set), an answer
 * posted from another thread arrives through the call queue, wakes it and the handshake ends
 * with the resolver's binding (m2m_tls_peer_sa); the deadline fails it closed and a late answer
 * is wiped; releasing a paused handshake unwinds it; without an asynchronous resolver nothing
 * is attached; the DTLS context carries the policy's PSK and ECDHE_ECDSA CCM_8 suites.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_test.h"
#include "bindings/coap_hs.h"
#include "tls/tls_int.h"

#define KA "f0e1d2c3b4a5968778695a4b3c2d1e0f"
#define ID_ASYNC "kpsa2@sp.example.com"

static m2m_psk_wait *pending;

static m2m_key *key_a(void)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_key *k = NULL;

	assert_int_equal(m2m_hex_decode(KA, strlen(KA), b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	return k;
}

static m2m_err start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
		     m2m_sa *binding)
{
	(void)ctx;
	(void)now;
	(void)key;
	(void)binding;
	if (strcmp(identity, ID_ASYNC) != 0 || w == NULL)
		return M2M_E_NOT_FOUND;
	pending = w;
	return M2M_OK; /* pending */
}

struct fx {
	m2m_tls *tls;
	SSL_CTX *sctx, *cctx;
	struct tt_psk psk;
	m2mi_coap_hs_loop loop;
	m2mi_coap_hs hs;
	SSL *c, *s;
	int fd[2];
};

static void udp_pair(int fd[2])
{
	struct sockaddr_in a[2];
	socklen_t l = sizeof(a[0]);

	for (int i = 0; i < 2; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].sin_family = AF_INET;
		a[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		assert_true(fd[i] >= 0);
		assert_int_equal(bind(fd[i], (struct sockaddr *)&a[i], sizeof(a[i])), 0);
		l = sizeof(a[i]);
		assert_int_equal(getsockname(fd[i], (struct sockaddr *)&a[i], &l), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(connect(fd[i], (struct sockaddr *)&a[1 - i], sizeof(a[0])), 0);
}

static SSL *end(SSL_CTX *ctx, int fd)
{
	SSL *s = SSL_new(ctx);
	BIO *b = BIO_new_dgram(fd, BIO_NOCLOSE);
	struct sockaddr_storage peer;
	socklen_t l = sizeof(peer);

	assert_non_null(s);
	assert_non_null(b);
	assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &l), 0);
	(void)BIO_ctrl(b, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
	SSL_set_bio(s, b, b);
	return s;
}

static void fx_up(struct fx *f, bool async, int lookup_ms)
{
	m2m_tls_config tc = {.sp_id = "//sp.example.com"};

	memset(f, 0, sizeof(*f));
	pending = NULL;
	assert_int_equal(m2m_tls_new(&tc, &f->tls), M2M_OK);
	if (async)
		assert_int_equal(m2m_tls_add_psk_resolver_async(f->tls, start, NULL), M2M_OK);
	assert_int_equal(m2mi_tls_dtls_ctx_new(f->tls, &f->sctx), M2M_OK);
	assert_int_equal(m2mi_coap_hs_loop_init(&f->loop, 4, lookup_ms), M2M_OK);
	tt_psk_set(&f->psk, ID_ASYNC, KA);
	f->cctx = SSL_CTX_new(DTLS_client_method());
	assert_int_equal(SSL_CTX_set_cipher_list(f->cctx, "PSK-AES128-CCM8"), 1);
	SSL_CTX_set_app_data(f->cctx, &f->psk);
	SSL_CTX_set_psk_client_callback(f->cctx, tt_psk_client_cb);
	udp_pair(f->fd);
	f->c = end(f->cctx, f->fd[0]);
	f->s = end(f->sctx, f->fd[1]);
	SSL_set_connect_state(f->c);
	assert_int_equal(m2mi_coap_hs_attach(&f->loop, &f->hs, f->s, f->tls), M2M_OK);
	assert_int_equal(f->hs.attached, async);
}

static void fx_down(struct fx *f)
{
	m2mi_coap_hs_release(&f->hs, f->s);
	SSL_free(f->c);
	SSL_free(f->s);
	close(f->fd[0]);
	close(f->fd[1]);
	m2mi_coap_hs_loop_fini(&f->loop);
	SSL_CTX_free(f->cctx);
	SSL_CTX_free(f->sctx);
	m2m_tls_free(f->tls);
	ERR_clear_error();
}

/* Both ends until the server pauses (1), both finish (2) or the server fails (0). */
static int drive(struct fx *f)
{
	bool cdone = false;

	for (int i = 0; i < 64; i++) {
		if (!cdone)
			cdone = SSL_do_handshake(f->c) == 1;
		ERR_clear_error();
		switch (m2mi_coap_hs_step(&f->loop, &f->hs, f->s, m2mi_coap_hs_now_ms())) {
		case M2MI_COAP_HS_FAILED:
			return 0;
		case M2MI_COAP_HS_DONE:
			if (cdone || SSL_do_handshake(f->c) == 1)
				return 2;
			break;
		case M2MI_COAP_HS_AGAIN:
			if (m2mi_coap_hs_paused(&f->hs, f->s))
				return 1;
			break;
		}
	}
	return 0;
}

struct post_arg {
	m2m_psk_wait *w;
};

static void *answer_thread(void *arg)
{
	struct post_arg *a = arg;
	m2m_sa sa = {.bound_id = "Casync", .expiry = 4102444800};

	assert_int_equal(m2m_psk_wait_done_post(a->w, M2M_OK, key_a(), &sa), M2M_OK);
	return NULL;
}

static void test_pause_post_resume(void **state)
{
	struct fx f;
	struct post_arg a;
	pthread_t th;
	m2m_sa got;

	(void)state;
	fx_up(&f, true, 0);
	assert_int_equal(drive(&f), 1);
	assert_non_null(pending);
	assert_int_equal(f.loop.inflight, 1);
	assert_true(f.hs.deadline_ms > 0);
	assert_false(f.hs.woken);
	/* still paused: a step changes nothing */
	assert_int_equal(m2mi_coap_hs_step(&f.loop, &f.hs, f.s, m2mi_coap_hs_now_ms()), M2MI_COAP_HS_AGAIN);
	assert_true(m2mi_coap_hs_paused(&f.hs, f.s));
	a.w = pending;
	assert_int_equal(pthread_create(&th, NULL, answer_thread, &a), 0);
	pthread_join(th, NULL);
	assert_false(f.hs.woken); /* the answer waits in the queue for the CoAP thread */
	m2mi_call_queue_run(f.loop.calls);
	assert_true(f.hs.woken);
	assert_false(m2mi_coap_hs_paused(&f.hs, f.s));
	assert_int_equal(drive(&f), 2);
	assert_int_equal(f.loop.inflight, 0);
	assert_false(f.hs.attached);
	assert_int_equal(SSL_get_mode(f.s) & SSL_MODE_ASYNC, 0);
	assert_int_equal(m2m_tls_peer_sa(f.tls, f.s, &got), M2M_OK);
	assert_int_equal(got.kind, M2M_SA_PSK);
	assert_string_equal(got.bound_id, "Casync");
	assert_int_equal(SSL_version(f.s), DTLS1_2_VERSION);
	assert_string_equal(SSL_get_cipher_name(f.s), "PSK-AES128-CCM8");
	fx_down(&f);
}

static void test_deadline_fails_closed(void **state)
{
	struct fx f;
	m2m_sa sa = {.bound_id = "Clate"};

	(void)state;
	fx_up(&f, true, 100);
	assert_int_equal(drive(&f), 1);
	assert_false(m2mi_coap_hs_expire(&f.hs, f.s, f.hs.deadline_ms - 1)); /* not yet */
	assert_true(m2mi_coap_hs_expire(&f.hs, f.s, f.hs.deadline_ms));
	assert_int_equal(m2mi_coap_hs_step(&f.loop, &f.hs, f.s, m2mi_coap_hs_now_ms()), M2MI_COAP_HS_FAILED);
	assert_int_equal(f.loop.inflight, 0);
	assert_false(m2m_tls_async_waiting(f.s));
	m2m_psk_wait_done(pending, M2M_OK, key_a(), &sa); /* late: wiped, the wait freed */
	assert_int_equal(m2m_tls_peer_sa(f.tls, f.s, &sa), M2M_E_AUTH);
	fx_down(&f);
}

static void test_release_unwinds(void **state)
{
	struct fx f;

	(void)state;
	fx_up(&f, true, 0);
	assert_int_equal(drive(&f), 1);
	m2mi_coap_hs_release(&f.hs, f.s);
	assert_false(m2m_tls_async_waiting(f.s));
	assert_int_equal(f.loop.inflight, 0);
	m2m_psk_wait_done(pending, M2M_E_IO, NULL, NULL); /* the resolver's own single done */
	fx_down(&f);
}

static void test_no_async_resolver(void **state)
{
	struct fx f;
	STACK_OF(SSL_CIPHER) *sk;
	bool psk8 = false, ecdsa8 = false;

	(void)state;
	fx_up(&f, false, 0); /* nothing attached: no resolver knows the identity, refused */
	assert_int_equal(SSL_get_mode(f.s) & SSL_MODE_ASYNC, 0);
	sk = SSL_get_ciphers(f.s);
	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		const char *n = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
		psk8 |= strcmp(n, "PSK-AES128-CCM8") == 0;
		ecdsa8 |= strcmp(n, "ECDHE-ECDSA-AES128-CCM8") == 0;
	}
	assert_true(psk8);   /* TS-0003 10.2.2: DTLS MUST implement TLS_PSK_WITH_AES_128_CCM_8 */
	assert_true(ecdsa8); /* TS-0003 10.2.3: ... and TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 */
	assert_int_equal(drive(&f), 0);
	assert_null(pending);
	fx_down(&f);
	assert_int_equal(m2mi_tls_dtls_ctx_new(NULL, &f.sctx), M2M_E_INVAL);
	assert_null(f.sctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_post_resume),
		cmocka_unit_test(test_deadline_fails_closed),
		cmocka_unit_test(test_release_unwinds),
		cmocka_unit_test(test_no_async_resolver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
