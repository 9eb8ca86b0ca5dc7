/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/http_conn.c (issue 6 §3): a plain-HTTP server
 * with two threads on an ephemeral loopback port, low caps and a 1 s header deadline, driven by
 * raw sockets from several loopback source addresses. Assertions are about answers and closed
 * sockets; every wait is bounded by a generous receive timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/http.h"

#define REQ "GET /cse-in HTTP/1.1\r\nHost: x\r\nX-M2M-RI: r\r\nX-M2M-RVI: 3\r\nX-M2M-Origin: Cx\r\n\r\n"

struct fixture {
	m2m_http_server *srv;
	pthread_t t;
	m2m_err rc;
	int port;
};

static void handler(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	rsp->rsc = 2000;
}

static void *run_thread(void *arg)
{
	struct fixture *f = arg;

	f->rc = m2m_http_server_run(f->srv);
	return NULL;
}

static void start(struct fixture *f, size_t total, size_t per_addr, int header_s)
{
	m2m_http_server_config cfg = {
		.http_listen = "127.0.0.1:0", .threads = 2, .max_connections = total,
		.max_connections_per_address = per_addr, .header_timeout_s = header_s,
	};

	assert_int_equal(m2m_http_server_new(&cfg, handler, NULL, &f->srv), M2M_OK);
	f->port = m2m_http_server_port(f->srv, false);
	assert_int_equal(pthread_create(&f->t, NULL, run_thread, f), 0);
}

static void stop(struct fixture *f)
{
	m2m_http_server_stop(f->srv);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	assert_int_equal(f->rc, M2M_OK);
	m2m_http_server_free(f->srv);
}

/* A connection from 127.0.0.<src> (receive timeout 20 s). */
static int dial(const struct fixture *f, int src)
{
	struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
	struct timeval tv = {20, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	from.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)src);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)f->port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

/* 1: the request is answered; 0: the server closed the connection; -1: neither in time. */
static int ask(int fd, const char *req, size_t n)
{
	char buf[2048];
	ssize_t got;

	if (n > 0 && send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n)
		return 0;
	got = recv(fd, buf, sizeof(buf), 0);
	if (got > 0)
		return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 1 : -1;
	return got == 0 || errno == ECONNRESET ? 0 : -1;
}

/* Over the cap of its address, or of the process, a connection is closed unanswered; the
 * others are served, across both threads; a close makes room again. */
static void test_caps(void **state)
{
	struct fixture f;
	int a[3], b[3], fd;

	start(&f, 5, 3, 30);
	for (int i = 0; i < 3; i++) {
		a[i] = dial(&f, 2);
		assert_int_equal(ask(a[i], REQ, strlen(REQ)), 1);
	}
	fd = dial(&f, 2); /* the fourth from 127.0.0.2 */
	assert_int_equal(ask(fd, REQ, strlen(REQ)), 0);
	close(fd);
	for (int i = 0; i < 2; i++) {
		b[i] = dial(&f, 3);
		assert_int_equal(ask(b[i], REQ, strlen(REQ)), 1);
	}
	fd = dial(&f, 4); /* the sixth of the process */
	assert_int_equal(ask(fd, REQ, strlen(REQ)), 0);
	close(fd);
	/* the closes reach the server asynchronously: ask until the room shows (bounded) */
	close(a[0]);
	b[2] = -1;
	for (int tries = 0; tries < 200 && b[2] < 0; tries++) {
		fd = dial(&f, 4);
		if (ask(fd, REQ, strlen(REQ)) == 1)
			b[2] = fd;
		else
			close(fd), usleep(50000);
	}
	assert_true(b[2] >= 0);
	for (int i = 1; i < 3; i++)
		close(a[i]);
	for (int i = 0; i < 3; i++)
		close(b[i]);
	stop(&f);
	(void)state;
}

/* Slowloris: a request that never completes is closed at the deadline although bytes keep
 * arriving; a prompt request on a fresh connection is answered. */
static void test_header_deadline(void **state)
{
	struct fixture f;
	int fd, closed = -1;

	start(&f, 100, 100, 1);
	fd = dial(&f, 2);
	for (size_t i = 0; i < strlen(REQ) - 2 && closed != 0; i++) {
		struct timeval tv = {0, 200000};
		char c;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (send(fd, &REQ[i], 1, MSG_NOSIGNAL) != 1)
			closed = 0;
		else if (recv(fd, &c, 1, 0) == 0)
			closed = 0;
	}
	if (closed != 0) {
		struct timeval tv = {20, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		closed = ask(fd, NULL, 0);
	}
	assert_int_equal(closed, 0);
	close(fd);
	fd = dial(&f, 2);
	assert_int_equal(ask(fd, REQ, strlen(REQ)), 1);
	assert_int_equal(ask(fd, REQ, strlen(REQ)), 1); /* keep-alive: the deadline was re-armed */
	close(fd);
	/* a connection that sends nothing at all is closed as well */
	fd = dial(&f, 5);
	assert_int_equal(ask(fd, NULL, 0), 0);
	close(fd);
	stop(&f);
	(void)state;
}

/* ---- per-connection service state (m2m_http_conn_hooks; the MEF's association) ------------- */

static m2m_http_server *hook_srv;
static atomic_int hook_opens, hook_closes, hook_seq;
static atomic_bool hook_refuse;

static m2m_err hook_open(void *ctx, int ti, struct ssl_st *ssl, const m2m_sa *sa, void **state)
{
	int *n;

	assert_null(ssl); /* plain HTTP */
	assert_int_equal(sa->kind, M2M_SA_NONE);
	if (atomic_load(&hook_refuse))
		return M2M_E_AUTH;
	if ((n = malloc(sizeof(*n))) == NULL)
		return M2M_E_NOMEM;
	*n = atomic_fetch_add(&hook_seq, 1) + 1;
	*state = n;
	atomic_fetch_add(&hook_opens, 1);
	return M2M_OK;
}

static void hook_close(void *ctx, void *state)
{
	assert_non_null(state);
	free(state);
	atomic_fetch_add(&hook_closes, 1);
}

/* 2000 only when the request sees its connection's state. */
static void hook_handler(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	const int *n = m2m_http_conn_state(hook_srv, ti);

	rsp->rsc = n != NULL && *n > 0 ? 2000 : 5000;
}

/* open runs once per connection (not per request), its state reaches the handler, an error from
 * it closes the connection unanswered, and every opened state is closed (at close or shutdown). */
static void test_conn_hooks(void **state)
{
	struct fixture f;
	m2m_http_server_config cfg = {.http_listen = "127.0.0.1:0", .threads = 2, .header_timeout_s = 30};
	m2m_http_conn_hooks hooks = {hook_open, hook_close, NULL};
	int a, b, c;

	assert_int_equal(m2m_http_server_new(&cfg, hook_handler, NULL, &f.srv), M2M_OK);
	hook_srv = f.srv;
	m2m_http_server_set_conn_hooks(f.srv, &hooks);
	f.port = m2m_http_server_port(f.srv, false);
	assert_int_equal(pthread_create(&f.t, NULL, run_thread, &f), 0);
	a = dial(&f, 2);
	assert_int_equal(ask(a, REQ, strlen(REQ)), 1);
	assert_int_equal(ask(a, REQ, strlen(REQ)), 1); /* keep-alive: same state */
	b = dial(&f, 3);
	assert_int_equal(ask(b, REQ, strlen(REQ)), 1);
	assert_int_equal(atomic_load(&hook_opens), 2);
	atomic_store(&hook_refuse, true);
	c = dial(&f, 4);
	assert_int_equal(ask(c, REQ, strlen(REQ)), 0);
	close(a); /* closed by the client: the state goes at the close ... */
	close(c);
	stop(&f); /* ... and b's at the shutdown */
	close(b);
	assert_int_equal(atomic_load(&hook_closes), 2);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_caps), cmocka_unit_test(test_header_deadline),
					   cmocka_unit_test(test_conn_hooks)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
