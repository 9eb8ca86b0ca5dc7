/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the HTTPS handshake driver (bindings/http_hs.c) that
 * lets a handshake wait for an asynchronous PSK resolver (tls/psk_async.c),
 * TS-0003 clause 8.2.2.1 (TLS-PSK, psk_identity a key identifier whose key lives in another
 * service). The server runs ONE event-loop thread; a test resolver keeps every lookup pending
 * until the test answers it from the main thread (m2m_psk_wait_done_post), so ordering is
 * asserted, never timing: while one handshake waits, another client's handshake and a request
 * on an established connection are answered; then the key arrives and the waiting handshake
 * completes with the right association. Failure, deadline and disconnect fail closed; the
 * ASan build checks that nothing leaks or is used after free. One check uses
 * `openssl s_client -psk` as an independent peer.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tls_test.h"
#include "m2msec/http.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2 "f0e1d2c3b4a5968778695a4b3c2d1e0f"
#define ID_SYNC "kpsa1@sp.example.com"
#define ID_ASYNC "kpsa2@sp.example.com"
#define GET "GET /cse-in HTTP/1.1\r\nX-M2M-RI: rq-1\r\nX-M2M-RVI: 3\r\nX-M2M-Origin: Cabc\r\nHost: cse\r\n\r\n"

struct fx {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	m2m_psk_wait *pending; /* the lookup the test answers */
	int lookups;
	bool abandoned_seen;
	int calls;
	m2m_sa sa;
	m2m_tls *tls;
	m2m_http_server *srv;
	pthread_t t;
	int port;
};

/* The test resolver: ID_ASYNC is always looked up "remotely" (kept pending), others pass on. */
static m2m_err slow_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			  m2m_sa *binding)
{
	struct fx *f = ctx;

	(void)now;
	(void)key;
	(void)binding;
	if (strcmp(identity, ID_ASYNC) != 0 || w == NULL)
		return M2M_E_NOT_FOUND;
	pthread_mutex_lock(&f->mu);
	f->pending = w;
	f->lookups++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return M2M_OK; /* pending */
}

static void handler(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct fx *f = ctx;

	(void)ti;
	pthread_mutex_lock(&f->mu);
	f->calls++;
	f->sa = *sa;
	pthread_mutex_unlock(&f->mu);
	rsp->rsc = 2000;
	rsp->pc = json_pack("{s:s}", "to", req->to);
}

static void *run(void *arg)
{
	struct fx *f = arg;

	assert_int_equal(m2m_http_server_run(f->srv), M2M_OK);
	return NULL;
}

/* Server certificate, its key and the trust anchors of client certificates (tc fields). */
struct pki {
	char cert[256], key[256], anchors[256];
	EVP_PKEY *ca_k, *leaf_k;
	X509 *ca, *leaf;
};

static struct fx *start_tc(int lookup_ms, int header_s, const struct pki *pki)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[256];
	m2m_tls_config tc = {.sp_id = "//sp.example.com", .allow_tls13 = true};
	m2m_http_server_config cfg = {.https_listen = "127.0.0.1:0", .threads = 1,
				      .psk_lookup_timeout_ms = lookup_ms, .header_timeout_s = header_s};

	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	snprintf(path, sizeof(path), "%s", tt_write("async.psk", ID_SYNC " " K1 " Cabc\n", 0600));
	tc.psk_file = path;
	if (pki != NULL) {
		tc.cert_file = pki->cert;
		tc.key_file = pki->key;
		tc.trust_anchors = pki->anchors;
	}
	assert_int_equal(m2m_tls_new(&tc, &f->tls), M2M_OK);
	assert_false(m2m_tls_has_async(f->tls));
	assert_int_equal(m2m_tls_add_psk_resolver_async(f->tls, slow_start, f), M2M_OK);
	assert_true(m2m_tls_has_async(f->tls));
	cfg.tls = f->tls;
	assert_int_equal(m2m_http_server_new(&cfg, handler, f, &f->srv), M2M_OK);
	f->port = m2m_http_server_port(f->srv, true);
	assert_int_equal(pthread_create(&f->t, NULL, run, f), 0);
	return f;
}

static struct fx *start_h(int lookup_ms, int header_s)
{
	return start_tc(lookup_ms, header_s, NULL);
}

static struct fx *start(int lookup_ms)
{
	return start_h(lookup_ms, 0);
}

static void stop(struct fx *f)
{
	m2m_http_server_stop(f->srv);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	m2m_http_server_free(f->srv);
	m2m_tls_free(f->tls);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* The next pending lookup (the lookups counter reached n). */
static m2m_psk_wait *await_lookup(struct fx *f, int n)
{
	m2m_psk_wait *w;

	pthread_mutex_lock(&f->mu);
	while (f->lookups < n)
		pthread_cond_wait(&f->cv, &f->mu);
	w = f->pending;
	pthread_mutex_unlock(&f->mu);
	return w;
}

/* ---- a minimal TLS client ---------------------------------------------------------------------- */

struct cl {
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
	struct tt_psk psk;
	int port;
	atomic_bool done;
	bool ok;
};

static void cl_init_v(struct cl *c, int port, const char *identity, const char *hexkey, int v)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {20, 0};

	memset(c, 0, sizeof(*c));
	tt_psk_set(&c->psk, identity, hexkey);
	c->ctx = tt_psk_client(&c->psk, v, v == TLS1_3_VERSION ? NULL : "PSK-AES128-CCM8");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
}

static void cl_init(struct cl *c, int port, const char *identity, const char *hexkey)
{
	cl_init_v(c, port, identity, hexkey, TLS1_2_VERSION);
}

static void *cl_handshake(void *arg)
{
	struct cl *c = arg;

	c->ok = SSL_connect(c->ssl) == 1;
	atomic_store(&c->done, true);
	return NULL;
}

/* One GET and its status line; true for "HTTP/1.1 200". */
static bool cl_get(struct cl *c)
{
	char buf[4096];
	size_t n = 0;
	int r;

	if (SSL_write(c->ssl, GET, (int)strlen(GET)) != (int)strlen(GET))
		return false;
	while (n < sizeof(buf) - 1 && (r = SSL_read(c->ssl, buf + n, (int)(sizeof(buf) - 1 - n))) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL && strstr(buf, "}") != NULL)
			break;
	}
	return n > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

static void cl_free(struct cl *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	close(c->fd);
	ERR_clear_error();
}

static m2m_key *key_of(const char *hexkey)
{
	uint8_t b[64];
	size_t n = 0;
	m2m_key *k = NULL;

	assert_int_equal(m2m_hex_decode(hexkey, strlen(hexkey), b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	return k;
}

/* (i) + (ii): the waiting handshake does not hold up the loop, then completes. */
static void test_wait_does_not_block_loop(void **state)
{
	struct fx *f = start(0);
	struct cl est, a, b;
	pthread_t ta;
	m2m_psk_wait *w;
	m2m_sa sa = {.bound_id = "Casync", .suid = 0};

	(void)state;
	/* an established connection (synchronous psk-file key) */
	cl_init(&est, f->port, ID_SYNC, K1);
	assert_int_equal(SSL_connect(est.ssl), 1);
	/* client A presents an identity whose key is elsewhere: its handshake waits */
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	w = await_lookup(f, 1);
	assert_non_null(w);
	/* meanwhile, on the same (only) loop: a full handshake of B and requests on both */
	cl_init(&b, f->port, ID_SYNC, K1);
	assert_int_equal(SSL_connect(b.ssl), 1);
	assert_true(cl_get(&b));
	assert_true(cl_get(&est));
	assert_false(atomic_load(&a.done)); /* ordering: A still waits for its key */
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->calls, 2);
	assert_string_equal(f->sa.bound_id, "Cabc");
	pthread_mutex_unlock(&f->mu);
	/* the key arrives (from another thread: posted onto the loop) */
	assert_int_equal(m2m_psk_wait_done_post(w, M2M_OK, key_of(K2), &sa), M2M_OK);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_true(a.ok);
	assert_true(cl_get(&a));
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->calls, 3);
	assert_int_equal(f->sa.kind, M2M_SA_PSK);
	assert_string_equal(f->sa.bound_id, "Casync");
	assert_non_null(strstr(f->sa.credential_id, ID_ASYNC));
	pthread_mutex_unlock(&f->mu);
	assert_true(cl_get(&a)); /* keep-alive on the handed-over connection */
	cl_free(&a);
	cl_free(&b);
	cl_free(&est);
	stop(f);
}

/* (iii) the lookup fails: the handshake fails, nothing reaches the handler. */
static void test_lookup_failure(void **state)
{
	struct fx *f = start(0);
	struct cl a;
	pthread_t ta;
	m2m_psk_wait *w;

	(void)state;
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	w = await_lookup(f, 1);
	assert_int_equal(m2m_psk_wait_done_post(w, M2M_E_NOT_FOUND, NULL, NULL), M2M_OK);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_false(a.ok);
	cl_free(&a);
	/* a wrong key delivered by the lookup fails the same way */
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	w = await_lookup(f, 2);
	m2m_sa sa = {.bound_id = "Casync"};
	assert_int_equal(m2m_psk_wait_done_post(w, M2M_OK, key_of(K1), &sa), M2M_OK);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_false(a.ok);
	cl_free(&a);
	assert_int_equal(f->calls, 0);
	stop(f);
}

/* Posted onto the loop: whether the handshake gave up on w; if so, answer it (late). */
struct late {
	struct fx *f;
	m2m_psk_wait *w;
	bool ran, gone;
};

static void late_answer(void *arg)
{
	struct late *l = arg;
	bool gone = m2m_psk_wait_abandoned(l->w);

	if (gone) {
		m2m_sa sa = {.bound_id = "Casync"};
		m2m_psk_wait_done(l->w, M2M_OK, key_of(K2), &sa); /* wiped, never used */
	}
	pthread_mutex_lock(&l->f->mu);
	l->gone = gone;
	l->ran = true;
	pthread_cond_broadcast(&l->f->cv);
	pthread_mutex_unlock(&l->f->mu);
}

/* Ask the loop until it says the handshake of w gave up; w is then answered (late). */
static void await_abandoned(struct fx *f, m2m_psk_wait *w)
{
	struct late l = {.f = f, .w = w};

	while (!l.gone) {
		l.ran = false;
		assert_int_equal(m2m_http_server_post(f->srv, 0, late_answer, &l), M2M_OK);
		pthread_mutex_lock(&f->mu);
		while (!l.ran)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
		if (!l.gone)
			usleep(10000); /* not yet: ask again (no timing is asserted) */
	}
}

/* (iv) the lookup deadline passes: the handshake fails; the late answer is dropped. */
static void test_deadline(void **state)
{
	struct fx *f = start(50);
	struct cl a;
	pthread_t ta;
	m2m_psk_wait *w;

	(void)state;
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	w = await_lookup(f, 1);
	assert_int_equal(pthread_join(ta, NULL), 0); /* never answered: ends by the deadline */
	assert_false(a.ok);
	await_abandoned(f, w);
	cl_free(&a);
	assert_int_equal(f->calls, 0);
	stop(f);
}

/* (v) the client leaves while its lookup is pending: no crash, no leak, late answer dropped. */
static void test_disconnect(void **state)
{
	struct fx *f = start(60000);
	struct cl a;
	pthread_t ta;
	m2m_psk_wait *w;

	(void)state;
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	w = await_lookup(f, 1);
	shutdown(a.fd, SHUT_RDWR);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_false(a.ok);
	close(a.fd);
	a.fd = -1;
	await_abandoned(f, w); /* the 60 s deadline is not what ended it */
	SSL_free(a.ssl);
	SSL_CTX_free(a.ctx);
	ERR_clear_error();
	stop(f);
}

/* TLS 1.3 through the driver: the waiting handshake completes, SNI is kept, close_notify. */
static void test_tls13(void **state)
{
	struct fx *f = start(0);
	struct cl a;
	pthread_t ta;
	m2m_sa sa = {.bound_id = "Casync"};
	char buf[64];

	(void)state;
	cl_init_v(&a, f->port, ID_ASYNC, K2, TLS1_3_VERSION);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	assert_int_equal(m2m_psk_wait_done_post(await_lookup(f, 1), M2M_OK, key_of(K2), &sa), M2M_OK);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_true(a.ok);
	assert_int_equal(SSL_version(a.ssl), TLS1_3_VERSION);
	assert_true(cl_get(&a));
	assert_string_equal(f->sa.bound_id, "Casync");
	/* the server's close (at stop) is a close_notify, not a bare TCP close */
	m2m_http_server_stop(f->srv);
	assert_int_equal(SSL_read(a.ssl, buf, sizeof(buf)), 0);
	assert_int_equal(SSL_get_error(a.ssl, 0), SSL_ERROR_ZERO_RETURN);
	cl_free(&a);
	stop(f);
}

/* A certificate handshake (ECDHE-ECDSA, TS-0003 clause 8.2.2.2) also goes through the driver:
 * the client certificate still maps to the bound identity, SNI is accepted. */
static void test_certificate(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "m2m test CA", .ca = true, .from = -60, .to = 86400};
	struct tt_cert_opts srv_o = {.cn = "cse-in", .san = "DNS:cse-in.sp.example.com", .eku = "serverAuth",
				     .from = -60, .to = 86400};
	struct tt_cert_opts leaf_o = {.cn = "leaf", .san = "URI:m2m://sp.example.com/cse-in/Cabc",
				      .eku = "clientAuth", .from = -60, .to = 3600};
	struct pki pki;
	EVP_PKEY *srv_k = tt_key_p256();
	X509 *srv;
	struct fx *f;
	struct cl a;

	(void)state;
	pki.ca_k = tt_key_p256();
	pki.leaf_k = tt_key_p256();
	pki.ca = tt_cert(pki.ca_k, NULL, NULL, &ca_o);
	srv = tt_cert(srv_k, pki.ca, pki.ca_k, &srv_o);
	pki.leaf = tt_cert(pki.leaf_k, pki.ca, pki.ca_k, &leaf_o);
	snprintf(pki.cert, sizeof(pki.cert), "%s", tt_write_cert("hs-srv.pem", srv));
	snprintf(pki.key, sizeof(pki.key), "%s", tt_write_key("hs-srv.key", srv_k, 0600));
	snprintf(pki.anchors, sizeof(pki.anchors), "%s", tt_write_cert("hs-ca.pem", pki.ca));
	f = start_tc(0, 0, &pki);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		cl_init_v(&a, f->port, ID_SYNC, K1, v);
		SSL_CTX_free(a.ctx);
		a.ctx = tt_client_ctx(TLS1_2_VERSION, v, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256");
		assert_int_equal(SSL_CTX_use_certificate(a.ctx, pki.leaf), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(a.ctx, pki.leaf_k), 1);
		SSL_free(a.ssl);
		a.ssl = SSL_new(a.ctx);
		SSL_set_fd(a.ssl, a.fd);
		assert_int_equal(SSL_set_tlsext_host_name(a.ssl, "cse-in.sp.example.com"), 1);
		assert_int_equal(SSL_connect(a.ssl), 1);
		assert_true(cl_get(&a));
		pthread_mutex_lock(&f->mu);
		assert_int_equal(f->sa.kind, M2M_SA_CERT);
		assert_string_equal(f->sa.bound_id, "//sp.example.com/cse-in/Cabc");
		pthread_mutex_unlock(&f->mu);
		cl_free(&a);
	}
	assert_int_equal(f->lookups, 0);
	stop(f);
	X509_free(srv);
	X509_free(pki.ca);
	X509_free(pki.leaf);
	EVP_PKEY_free(srv_k);
	EVP_PKEY_free(pki.ca_k);
	EVP_PKEY_free(pki.leaf_k);
}

/* The header deadline (accept to complete request) also ends a handshake stalled in a lookup. */
static void test_header_deadline(void **state)
{
	struct fx *f = start_h(600000, 1);
	struct cl a;
	pthread_t ta;
	m2m_psk_wait *w;

	(void)state;
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	w = await_lookup(f, 1);
	assert_int_equal(pthread_join(ta, NULL), 0); /* ends although the lookup deadline is 10 min */
	assert_false(a.ok);
	await_abandoned(f, w);
	cl_free(&a);
	stop(f);
}

/* The server stops while a lookup is pending: the paused handshake is unwound. */
static void test_stop_while_pending(void **state)
{
	struct fx *f = start(60000);
	struct cl a;
	pthread_t ta;

	(void)state;
	cl_init(&a, f->port, ID_ASYNC, K2);
	assert_int_equal(pthread_create(&ta, NULL, cl_handshake, &a), 0);
	(void)await_lookup(f, 1);
	m2m_http_server_stop(f->srv);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_false(a.ok);
	cl_free(&a);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	/* the resolver still holds its reference: with the loop gone, answer on this thread */
	m2m_psk_wait_done(f->pending, M2M_E_NOT_FOUND, NULL, NULL);
	m2m_http_server_free(f->srv);
	m2m_tls_free(f->tls);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* An independent peer: openssl s_client -psk waits for the key, then gets its answer. */
static void test_s_client(void **state)
{
	struct fx *f;
	char cmd[512];
	FILE *p;
	m2m_psk_wait *w;
	m2m_sa sa = {.bound_id = "Casync"};
	char line[512];
	bool ok = false;

	(void)state;
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	f = start(0);
	snprintf(cmd, sizeof(cmd),
		 "(printf 'GET /cse-in HTTP/1.1\\r\\nX-M2M-RI: rq-1\\r\\nX-M2M-RVI: 3\\r\\nX-M2M-Origin: Cabc\\r\\n"
		 "Host: cse\\r\\nConnection: close\\r\\n\\r\\n') | openssl s_client -quiet -ign_eof "
		 "-connect 127.0.0.1:%d -tls1_2 -cipher PSK-AES128-CCM8 -psk_identity %s -psk %s 2>/dev/null",
		 f->port, ID_ASYNC, K2);
	p = popen(cmd, "r");
	assert_non_null(p);
	w = await_lookup(f, 1);
	assert_int_equal(m2m_psk_wait_done_post(w, M2M_OK, key_of(K2), &sa), M2M_OK);
	while (fgets(line, sizeof(line), p) != NULL)
		if (strncmp(line, "HTTP/1.1 200", 12) == 0)
			ok = true;
	(void)pclose(p);
	assert_true(ok);
	assert_string_equal(f->sa.bound_id, "Casync");
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_does_not_block_loop), cmocka_unit_test(test_lookup_failure),
		cmocka_unit_test(test_deadline), cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_stop_while_pending), cmocka_unit_test(test_s_client),
		cmocka_unit_test(test_tls13), cmocka_unit_test(test_header_deadline),
		cmocka_unit_test(test_certificate),
	};

	/* A client whose socket the test shut down may write an alert: EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
