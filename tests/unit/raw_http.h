/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the helpers shared by test_http_raw.c and test_est_route.c: an
 * m2m_http_server on loopback plain HTTP run in a thread, and a one-shot HTTP/1.1 client
 * ("Connection: close", read to EOF).
 */
#ifndef M2M_TEST_RAW_HTTP_H
#define M2M_TEST_RAW_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "m2msec/http.h"

struct rh_server {
	m2m_http_server *srv;
	pthread_t t;
	m2m_err rc;
};

static void *rh_run(void *arg)
{
	struct rh_server *s = arg;

	s->rc = m2m_http_server_run(s->srv);
	return NULL;
}

static inline void rh_start(struct rh_server *s)
{
	assert_int_equal(pthread_create(&s->t, NULL, rh_run, s), 0);
}

static inline void rh_stop(struct rh_server *s)
{
	m2m_http_server_stop(s->srv);
	assert_int_equal(pthread_join(s->t, NULL), 0);
	assert_int_equal(s->rc, M2M_OK);
	m2m_http_server_free(s->srv);
}

struct rh_resp {
	int status;
	char raw[65536];
	size_t len;
	const char *body;
	size_t blen;
};

/* Send req (complete head and body) to port; read the answer to EOF. */
static inline void rh_do(int port, const char *req, size_t n, struct rh_resp *r)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t k;
	const char *sep;

	memset(r, 0, sizeof(*r));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, req, n), (ssize_t)n);
	while (r->len < sizeof(r->raw) - 1 && (k = read(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len)) > 0)
		r->len += (size_t)k;
	close(fd);
	r->raw[r->len] = '\0';
	assert_true(sscanf(r->raw, "HTTP/1.1 %d", &r->status) == 1);
	sep = strstr(r->raw, "\r\n\r\n");
	assert_non_null(sep);
	r->body = sep + 4;
	r->blen = r->len - (size_t)(r->body - r->raw);
}

static inline void rh_req(int port, const char *method, const char *path, const char *ctype, const char *body,
			  struct rh_resp *r)
{
	static char buf[32768];
	size_t bl = body != NULL ? strlen(body) : 0;
	int n = snprintf(buf, sizeof(buf),
			 "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%sContent-Length: %zu\r\n\r\n%s", method,
			 path, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "", bl, body ? body : "");
	rh_do(port, buf, (size_t)n, r);
}

#endif
