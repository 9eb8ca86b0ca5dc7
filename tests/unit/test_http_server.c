/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/http_server.c (TS-0009 over TLS, TS-0003 clause
 * 8.2.1): the server runs with 2 threads on an ephemeral loopback port with a stub handler and is
 * driven through raw sockets (keep-alive, limits, methods, SO_REUSEPORT spreading, graceful stop)
 * and through a TLS-PSK client (the association reaches the handler).
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tls_test.h"
#include "m2msec/http.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2 "f0e1d2c3b4a5968778695a4b3c2d1e0f"
#define MAX_HEADER 1024
#define MAX_BODY 2048

struct stub {
	pthread_mutex_t mu;
	int calls;
	unsigned threads_seen;  /* bit per thread index */
	m2m_sa sa;
	int ip_family;
	uint8_t ip[4];
	m2m_http_server *srv;
};

struct fixture {
	struct stub stub;
	m2m_http_server *srv;
	m2m_tls *tls;
	pthread_t t;
	m2m_err rc;
};

static void stub_handler(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct stub *s = ctx;

	pthread_mutex_lock(&s->mu);
	s->calls++;
	s->threads_seen |= 1u << ti;
	s->sa = *sa;
	s->ip_family = req->ip_family;
	memcpy(s->ip, req->ip, 4);
	pthread_mutex_unlock(&s->mu);
	rsp->rsc = req->op == M2M_OP_CREATE ? 2001 : 2000;
	rsp->pc = json_pack("{s:s,s:s,s:s?}", "to", req->to, "op", m2m_op_name(req->op), "fr", req->fr);
	if (req->op == M2M_OP_CREATE)
		rsp->location = strdup("/id-in/new1");
	if (strcmp(req->to, "cse-in/stop") == 0)
		m2m_http_server_stop(s->srv); /* a request in flight while the server stops */
}

static int calls(struct fixture *f)
{
	int n;

	pthread_mutex_lock(&f->stub.mu);
	n = f->stub.calls;
	pthread_mutex_unlock(&f->stub.mu);
	return n;
}

static void *run_thread(void *arg)
{
	struct fixture *f = arg;

	f->rc = m2m_http_server_run(f->srv);
	return NULL;
}

static void start(struct fixture *f, m2m_http_server_config *cfg)
{
	pthread_mutex_init(&f->stub.mu, NULL);
	assert_int_equal(m2m_http_server_new(cfg, stub_handler, &f->stub, &f->srv), M2M_OK);
	f->stub.srv = f->srv;
	assert_int_equal(pthread_create(&f->t, NULL, run_thread, f), 0);
}

static void stop(struct fixture *f)
{
	m2m_http_server_stop(f->srv);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	assert_int_equal(f->rc, M2M_OK);
	m2m_http_server_free(f->srv);
	m2m_tls_free(f->tls);
	pthread_mutex_destroy(&f->stub.mu);
}

/* ---- a tiny HTTP/1.1 client over a socket or TLS ------------------------------------------- */

struct io {
	int fd;
	SSL *ssl;
	char buf[16384];
	size_t len;
};

struct resp {
	int status;
	char head[4096];
	char body[8192];
	size_t blen;
};

static bool io_connect(struct io *io, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};

	memset(io, 0, sizeof(*io));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	io->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(io->fd >= 0);
	setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return connect(io->fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

static void io_close(struct io *io)
{
	SSL_free(io->ssl); /* NULL: no-op */
	close(io->fd);
}

static void io_send(struct io *io, const char *data, size_t n)
{
	if (io->ssl != NULL)
		assert_int_equal(SSL_write(io->ssl, data, (int)n), (int)n);
	else
		assert_int_equal(send(io->fd, data, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* More bytes into io->buf; false on EOF, error or timeout. */
static bool io_fill(struct io *io)
{
	ssize_t r;

	if (io->len == sizeof(io->buf))
		return false;
	if (io->ssl != NULL)
		r = SSL_read(io->ssl, io->buf + io->len, (int)(sizeof(io->buf) - io->len));
	else
		r = recv(io->fd, io->buf + io->len, sizeof(io->buf) - io->len, 0);
	if (r <= 0)
		return false;
	io->len += (size_t)r;
	return true;
}

static const char *hdr(const struct resp *r, const char *name, char *val, size_t cap)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	p = strcasestr(r->head, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	snprintf(val, cap, "%.*s", (int)(e - p), p);
	return val;
}

/* Read one response (no body after a HEAD); false when the connection closed first. */
static bool io_response_to(struct io *io, struct resp *r, bool head)
{
	char *end, v[32];
	size_t hl, cl;

	memset(r, 0, sizeof(*r));
	while ((end = memmem(io->buf, io->len, "\r\n\r\n", 4)) == NULL)
		if (!io_fill(io))
			return false;
	hl = (size_t)(end - io->buf) + 4;
	assert_true(hl < sizeof(r->head));
	memcpy(r->head, io->buf, hl);
	assert_int_equal(sscanf(r->head, "HTTP/1.1 %d", &r->status), 1);
	cl = !head && hdr(r, "Content-Length", v, sizeof(v)) ? strtoul(v, NULL, 10) : 0;
	assert_true(cl < sizeof(r->body));
	while (io->len < hl + cl)
		if (!io_fill(io))
			return false;
	memcpy(r->body, io->buf + hl, cl);
	r->blen = cl;
	memmove(io->buf, io->buf + hl + cl, io->len - hl - cl);
	io->len -= hl + cl;
	return true;
}

static bool io_response(struct io *io, struct resp *r) { return io_response_to(io, r, false); }

static bool io_eof(struct io *io) { return !io_fill(io) && io->len == 0; }

static void expect_hdr(const struct resp *r, const char *name, const char *want)
{
	char v[256];

	if (hdr(r, name, v, sizeof(v)) == NULL || strcmp(v, want) != 0)
		fail_msg("header %s: got '%s', want '%s' in\n%s", name, hdr(r, name, v, sizeof(v)) ? v : "(none)",
			 want, r->head);
}

#define STD "X-M2M-RI: rq-1\r\nX-M2M-RVI: 3\r\nX-M2M-Origin: Cabc\r\nHost: cse\r\n"

/* ---- plain HTTP server, 2 threads -------------------------------------------------------------- */

static int setup_plain(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	m2m_http_server_config cfg = {.http_listen = "127.0.0.1:0", .threads = 2, .max_header = MAX_HEADER,
				      .max_body = MAX_BODY};

	start(f, &cfg);
	*state = f;
	return 0;
}

static int teardown_plain(void **state)
{
	stop(*state);
	free(*state);
	return 0;
}

static void test_ports_threads(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(m2m_http_server_threads(f->srv), 2);
	assert_int_equal(m2m_http_server_port(f->srv, true), -1);
	assert_true(m2m_http_server_port(f->srv, false) > 0);
	assert_int_equal(m2m_http_server_port(NULL, false), -1);
}

static void test_keepalive(void **state)
{
	struct fixture *f = *state;
	struct io io;
	struct resp r;
	static const char create[] = "POST /~/id-in/cse-in HTTP/1.1\r\n" STD
				     "Content-Type: application/json;ty=2\r\nContent-Length: 23\r\n\r\n"
				     "{\"m2m:ae\":{\"rn\":\"ae1\"}}";
	const char *get = "GET /cse-in/ae1?rcn=1 HTTP/1.1\r\n" STD "\r\n";

	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	for (int i = 0; i < 2; i++) { /* two requests on one connection */
		io_send(&io, get, strlen(get));
		assert_true(io_response(&io, &r));
		assert_int_equal(r.status, 200);
		expect_hdr(&r, "X-M2M-RSC", "2000");
		expect_hdr(&r, "X-M2M-RI", "rq-1");
		expect_hdr(&r, "X-M2M-RVI", "3");
		expect_hdr(&r, "Content-Type", "application/json");
		assert_non_null(strstr(r.head, "HTTP/1.1 200 \r\n")); /* no Reason-Phrase */
		assert_string_equal(r.body, "{\"to\":\"cse-in/ae1\",\"op\":\"RETRIEVE\",\"fr\":\"Cabc\"}");
	}
	io_send(&io, create, sizeof(create) - 1);
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 201);
	expect_hdr(&r, "X-M2M-RSC", "2001");
	expect_hdr(&r, "Content-Location", "/id-in/new1");
	assert_string_equal(r.body, "{\"to\":\"/id-in/cse-in\",\"op\":\"CREATE\",\"fr\":\"Cabc\"}");
	io_close(&io);

	pthread_mutex_lock(&f->stub.mu);
	assert_int_equal(f->stub.sa.kind, M2M_SA_NONE);
	assert_int_equal(f->stub.ip_family, 4);
	assert_memory_equal(f->stub.ip, "\x7f\x00\x00\x01", 4);
	pthread_mutex_unlock(&f->stub.mu);
}

static void test_errors_keep_connection(void **state)
{
	struct fixture *f = *state;
	struct io io;
	struct resp r;
	int before = calls(f);
	const char *bad = "GET /cse-in HTTP/1.1\r\nX-M2M-RVI: 3\r\n\r\n";
	const char *patch = "PATCH /cse-in HTTP/1.1\r\n" STD "Content-Length: 0\r\n\r\n";
	const char *xml = "POST /cse-in HTTP/1.1\r\n" STD "Content-Type: application/xml\r\nContent-Length: 3\r\n\r\n<a>";
	const char *get = "GET /cse-in HTTP/1.1\r\n" STD "\r\n";

	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	io_send(&io, bad, strlen(bad));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 400);
	expect_hdr(&r, "X-M2M-RSC", "4000");
	assert_non_null(strstr(r.body, "X-M2M-RI"));
	io_send(&io, patch, strlen(patch));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 405);
	expect_hdr(&r, "X-M2M-RSC", "4005");
	expect_hdr(&r, "Allow", "GET, POST, PUT, DELETE");
	io_send(&io, xml, strlen(xml));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 415);
	expect_hdr(&r, "X-M2M-RSC", "4015");
	assert_int_equal(calls(f), before); /* nothing reached the handler */
	io_send(&io, get, strlen(get));     /* and the connection is still usable */
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 200);
	io_close(&io);
}

static void test_oversize_header(void **state)
{
	struct fixture *f = *state;
	struct io io;
	struct resp r;
	char req[2 * MAX_HEADER];
	int before = calls(f);

	/* just over max-header, under libevent's backstop: 431 + X-M2M-RSC 4000, then close */
	snprintf(req, sizeof(req), "GET /cse-in HTTP/1.1\r\n" STD "X-Pad: %0*d\r\n\r\n", MAX_HEADER, 7);
	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	io_send(&io, req, strlen(req));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 431);
	expect_hdr(&r, "X-M2M-RSC", "4000");
	expect_hdr(&r, "Connection", "close");
	assert_null(hdr(&r, "X-M2M-RI", req, 8)); /* not echoed from an oversize head */
	assert_non_null(strstr(r.body, "exceed the limit"));
	assert_true(io_eof(&io));
	io_close(&io);
	assert_int_equal(calls(f), before);
}

static void test_oversize_body(void **state)
{
	struct fixture *f = *state;
	struct io io;
	struct resp r;
	char req[4 * MAX_BODY];
	int before = calls(f), n;

	n = snprintf(req, sizeof(req), "PUT /cse-in/ae1 HTTP/1.1\r\n" STD
		     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", MAX_BODY + 1);
	memset(req + n, ' ', MAX_BODY + 1);
	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	io_send(&io, req, (size_t)n + MAX_BODY + 1);
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 413);
	expect_hdr(&r, "X-M2M-RSC", "4000");
	expect_hdr(&r, "X-M2M-RI", "rq-1");
	expect_hdr(&r, "Connection", "close");
	assert_true(io_eof(&io));
	io_close(&io);
	assert_int_equal(calls(f), before);
}

/* Far beyond the limits libevent itself refuses (its bare HTML pages): still nothing reaches the
 * handler and the connection is closed (docs/http-binding.md). */
static void test_backstop(void **state)
{
	struct fixture *f = *state;
	struct io io;
	struct resp r;
	static char req[8 * MAX_HEADER];
	int before = calls(f);
	const char *big = "PUT /cse-in/ae1 HTTP/1.1\r\n" STD "Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n";

	snprintf(req, sizeof(req), "GET /cse-in HTTP/1.1\r\n" STD "X-Pad: %0*d\r\n\r\n", 5 * MAX_HEADER, 7);
	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	io_send(&io, req, strlen(req));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 400);
	assert_true(io_eof(&io));
	io_close(&io);

	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	io_send(&io, big, strlen(big));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 413);
	io_close(&io);
	assert_int_equal(calls(f), before);
}

static void test_head(void **state)
{
	struct fixture *f = *state;
	struct io io;
	struct resp r;
	const char *head = "HEAD /cse-in HTTP/1.1\r\n" STD "\r\n";

	assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
	io_send(&io, head, strlen(head));
	assert_true(io_response_to(&io, &r, true));
	assert_int_equal(r.status, 405);
	expect_hdr(&r, "X-M2M-RSC", "4005");
	assert_true(io_eof(&io)); /* no body followed, and the connection is closed */
	io_close(&io);
}

/* SO_REUSEPORT: the kernel spreads connections over both threads. 64 connections all landing on
 * one thread would happen with probability 2^-63. */
static void test_reuseport_spread(void **state)
{
	struct fixture *f = *state;
	const char *get = "GET /cse-in HTTP/1.1\r\n" STD "\r\n";

	for (int i = 0; i < 64; i++) {
		struct io io;
		struct resp r;
		assert_true(io_connect(&io, m2m_http_server_port(f->srv, false)));
		io_send(&io, get, strlen(get));
		assert_true(io_response(&io, &r));
		assert_int_equal(r.status, 200);
		io_close(&io);
	}
	pthread_mutex_lock(&f->stub.mu);
	assert_int_equal(f->stub.threads_seen, 3);
	pthread_mutex_unlock(&f->stub.mu);
}

static void test_bind_conflict(void **state)
{
	struct fixture *f = *state;
	char addr[64];
	m2m_http_server_config cfg = {.http_listen = addr, .threads = 1};
	m2m_http_server *srv = (m2m_http_server *)1;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", m2m_http_server_port(f->srv, false));
	assert_int_equal(m2m_http_server_new(&cfg, stub_handler, NULL, &srv), M2M_E_HTTP_BIND);
	assert_null(srv);
}

/* ---- configuration errors, stop before run ---------------------------------------------------- */

static void test_config_refused(void **state)
{
	static const struct {
		const char *https, *http;
		int threads;
		m2m_err want;
	} rows[] = {
		{NULL, "0.0.0.0:0", 1, M2M_E_CONFIG},   /* plain HTTP must stay on loopback */
		{NULL, "[::]:0", 1, M2M_E_CONFIG},
		{NULL, "192.0.2.1:0", 1, M2M_E_CONFIG},
		{"127.0.0.1:0", NULL, 1, M2M_E_CONFIG}, /* HTTPS without a TLS context */
		{NULL, NULL, 1, M2M_E_CONFIG},
		{NULL, "off", 1, M2M_E_CONFIG},
		{NULL, "127.0.0.1", 1, M2M_E_CONFIG},
		{NULL, "127.0.0.1:0", -1, M2M_E_CONFIG},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		m2m_http_server_config cfg = {.https_listen = rows[i].https, .http_listen = rows[i].http,
					      .threads = rows[i].threads};
		m2m_http_server *srv = (m2m_http_server *)1;
		assert_int_equal(m2m_http_server_new(&cfg, stub_handler, NULL, &srv), rows[i].want);
		assert_null(srv);
	}
	m2m_http_server_config ok = {.http_listen = "127.0.0.1:0"};
	m2m_http_server *srv = NULL;
	assert_int_equal(m2m_http_server_new(&ok, NULL, NULL, &srv), M2M_E_INVAL);
	assert_int_equal(m2m_http_server_new(&ok, stub_handler, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_http_server_run(NULL), M2M_E_INVAL);
	m2m_http_server_free(NULL);
	m2m_http_server_stop(NULL);
}

static void test_stop_before_run(void **state)
{
	m2m_http_server_config cfg = {.http_listen = "localhost:0", .threads = 3};
	m2m_http_server *srv = NULL;

	assert_int_equal(m2m_http_server_new(&cfg, stub_handler, NULL, &srv), M2M_OK);
	assert_int_equal(m2m_http_server_threads(srv), 3);
	m2m_http_server_stop(srv);
	m2m_http_server_stop(srv);
	assert_int_equal(m2m_http_server_run(srv), M2M_OK);
	assert_int_equal(m2m_http_server_run(srv), M2M_E_INVAL); /* runs once */
	m2m_http_server_free(srv);
}

/* The handler stops the server: the response in flight still arrives complete, with
 * Connection: close; then the port no longer accepts. */
static void test_graceful_stop(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	m2m_http_server_config cfg = {.http_listen = "127.0.0.1:0", .threads = 2};
	struct io io, idle;
	struct resp r;
	int port;
	const char *req = "GET /cse-in/stop HTTP/1.1\r\n" STD "\r\n";

	start(f, &cfg);
	port = m2m_http_server_port(f->srv, false);
	assert_true(io_connect(&idle, port)); /* an idle keep-alive connection */
	assert_true(io_connect(&io, port));
	io_send(&io, req, strlen(req));
	assert_true(io_response(&io, &r));
	assert_int_equal(r.status, 200);
	expect_hdr(&r, "Connection", "close");
	assert_non_null(strstr(r.body, "cse-in/stop"));
	assert_int_equal(pthread_join(f->t, NULL), 0);
	assert_int_equal(f->rc, M2M_OK);
	assert_true(io_eof(&io));
	assert_true(io_eof(&idle)); /* closed when run returned, not at free */
	io_close(&io);
	io_close(&idle);
	assert_false(io_connect(&io, port));
	close(io.fd);
	m2m_http_server_free(f->srv);
	pthread_mutex_destroy(&f->stub.mu);
	free(f);
}

/* ---- HTTPS: the TLS-PSK association reaches the handler ---------------------------------------- */

static bool tls_connect(struct io *io, int port, SSL_CTX *c)
{
	assert_true(io_connect(io, port));
	io->ssl = SSL_new(c);
	SSL_set_fd(io->ssl, io->fd);
	return SSL_connect(io->ssl) == 1;
}

static void test_https_psk(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[256];
	m2m_tls_config tc = {.sp_id = "//sp.example.com", .allow_tls13 = true};
	m2m_http_server_config cfg = {.https_listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0", .threads = 2};
	struct tt_psk good, bad;
	SSL_CTX *cgood, *cbad;
	struct io io;
	struct resp r;
	const char *get = "GET /cse-in HTTP/1.1\r\n" STD "\r\n";
	const char *close_get = "GET /cse-in HTTP/1.1\r\n" STD "Connection: close\r\n\r\n";

	snprintf(path, sizeof(path), "%s", tt_write("http.psk", "kpsa1@sp.example.com " K1 " Cabc\n", 0600));
	tc.psk_file = path;
	assert_int_equal(m2m_tls_new(&tc, &f->tls), M2M_OK);
	cfg.tls = f->tls;
	start(f, &cfg);
	assert_true(m2m_http_server_port(f->srv, true) > 0);

	tt_psk_set(&good, "kpsa1@sp.example.com", K1);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) { /* 0x303, 0x304 */
		cgood = tt_psk_client(&good, v, "PSK-AES128-CCM8");
		assert_true(tls_connect(&io, m2m_http_server_port(f->srv, true), cgood));
		for (int i = 0; i < 2; i++) { /* keep-alive: the cached association is reused */
			io_send(&io, get, strlen(get));
			assert_true(io_response(&io, &r));
			assert_int_equal(r.status, 200);
			expect_hdr(&r, "X-M2M-RSC", "2000");
		}
		pthread_mutex_lock(&f->stub.mu);
		assert_int_equal(f->stub.sa.kind, M2M_SA_PSK);
		assert_string_equal(f->stub.sa.bound_id, "Cabc");
		pthread_mutex_unlock(&f->stub.mu);
		/* Connection: close ends the TLS session with a close_notify, not a bare TCP close */
		io_send(&io, close_get, strlen(close_get));
		assert_true(io_response(&io, &r));
		expect_hdr(&r, "Connection", "close");
		int n = SSL_read(io.ssl, io.buf, (int)sizeof(io.buf));
		assert_int_equal(n, 0);
		assert_int_equal(SSL_get_error(io.ssl, n), SSL_ERROR_ZERO_RETURN);
		io_close(&io);
		SSL_CTX_free(cgood);
	}

	/* a wrong key never gets a request through */
	int before = calls(f);
	tt_psk_set(&bad, "kpsa1@sp.example.com", K2);
	cbad = tt_psk_client(&bad, TLS1_2_VERSION, "PSK-AES128-CCM8");
	assert_false(tls_connect(&io, m2m_http_server_port(f->srv, true), cbad));
	io_close(&io);
	SSL_CTX_free(cbad);
	/* plain HTTP on the TLS port is not TLS: no request is served */
	assert_true(io_connect(&io, m2m_http_server_port(f->srv, true)));
	io_send(&io, get, strlen(get));
	assert_false(io_response(&io, &r));
	io_close(&io);
	assert_int_equal(calls(f), before);
	ERR_clear_error();
	stop(f);
	free(f);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_ports_threads), cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_errors_keep_connection), cmocka_unit_test(test_oversize_header),
		cmocka_unit_test(test_oversize_body), cmocka_unit_test(test_backstop), cmocka_unit_test(test_head),
		cmocka_unit_test(test_reuseport_spread), cmocka_unit_test(test_bind_conflict),
	};
	const struct CMUnitTest alone[] = {
		cmocka_unit_test(test_config_refused), cmocka_unit_test(test_stop_before_run),
		cmocka_unit_test(test_graceful_stop), cmocka_unit_test(test_https_psk),
	};

	return cmocka_run_group_tests_name("plain", plain, setup_plain, teardown_plain) +
	       cmocka_run_group_tests_name("alone", alone, NULL, NULL);
}
