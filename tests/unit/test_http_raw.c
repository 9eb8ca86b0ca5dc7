/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/http_raw.c: raw routes of the HTTP server.
 * A registered prefix gets plain HTTP (method, target, headers, body; status, media type, body
 * back) while every other path keeps the oneM2M mapping (TS-0009 clause 6); a prefix matches only
 * at a path boundary; ambiguous framing (RFC 9112 section 6.3) is refused before any route runs;
 * registration errors are exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "raw_http.h"

struct seen {
	pthread_mutex_t mu;
	int raw, m2m;
	char method[16], target[128], body[64], hdr[64];
};

static void on_m2m(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct seen *s = ctx;

	(void)ti;
	(void)sa;
	(void)req;
	pthread_mutex_lock(&s->mu);
	s->m2m++;
	pthread_mutex_unlock(&s->mu);
	rsp->rsc = 2000;
}

/* Further header fields of a raw answer (the console's CSP) are sent as given. */
static const m2m_http_header extra[] = {{"Content-Security-Policy", "default-src 'none'"}, {"X-Frame-Options", "DENY"}};

static void on_raw(void *ctx, int ti, const m2m_http_raw_request *req, m2m_http_raw_response *rsp)
{
	struct seen *s = ctx;

	(void)ti;
	pthread_mutex_lock(&s->mu);
	s->raw++;
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->target, sizeof(s->target), "%s", req->target);
	snprintf(s->body, sizeof(s->body), "%.*s", (int)req->body_len, req->body ? (const char *)req->body : "");
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, "X-Test") == 0)
			snprintf(s->hdr, sizeof(s->hdr), "%s", req->headers[i].value);
	pthread_mutex_unlock(&s->mu);
	assert_int_equal(req->sa->kind, M2M_SA_NONE);
	assert_null(req->ssl);
	rsp->status = 201;
	rsp->content_type = "application/x-test";
	rsp->body = strdup("raw-ok");
	rsp->body_len = 6;
	rsp->retry_after = 7;
	rsp->headers = extra;
	rsp->nheaders = sizeof(extra) / sizeof(extra[0]);
}

static void test_routes(void **state)
{
	(void)state;
	static struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	m2m_http_server_config cfg = {.http_listen = "127.0.0.1:0", .threads = 1};
	struct rh_server srv = {0};
	struct rh_resp r;
	int port;

	assert_int_equal(m2m_http_server_new(&cfg, on_m2m, &s, &srv.srv), M2M_OK);
	assert_int_equal(m2m_http_server_route(srv.srv, "/", on_raw, &s), M2M_E_INVAL);
	assert_int_equal(m2m_http_server_route(srv.srv, "nope", on_raw, &s), M2M_E_INVAL);
	assert_int_equal(m2m_http_server_route(srv.srv, "/.well-known/est/", on_raw, &s), M2M_OK);
	assert_int_equal(m2m_http_server_route(srv.srv, "/.well-known/est", on_raw, &s), M2M_E_EXISTS);
	assert_int_equal(m2m_http_server_route(srv.srv, "/a", on_raw, &s), M2M_OK);
	assert_int_equal(m2m_http_server_route(srv.srv, "/b", on_raw, &s), M2M_OK);
	assert_int_equal(m2m_http_server_route(srv.srv, "/c", on_raw, &s), M2M_OK);
	assert_int_equal(m2m_http_server_route(srv.srv, "/d", on_raw, &s), M2M_E_RANGE);
	port = m2m_http_server_port(srv.srv, false);
	rh_start(&srv);

	static const char enroll[] = "POST /.well-known/est/simpleenroll?x=1 HTTP/1.1\r\nHost: x\r\nX-Test: v1\r\n"
				     "Content-Type: application/pkcs10\r\nContent-Length: 4\r\nConnection: close\r\n\r\nMIIB";
	rh_do(port, enroll, sizeof(enroll) - 1, &r);
	assert_int_equal(r.status, 201);
	assert_non_null(strstr(r.raw, "Content-Type: application/x-test"));
	assert_non_null(strstr(r.raw, "Retry-After: 7"));
	assert_non_null(strstr(r.raw, "Content-Security-Policy: default-src 'none'\r\n"));
	assert_non_null(strstr(r.raw, "X-Frame-Options: DENY\r\n"));
	assert_int_equal(r.blen, 6);
	assert_memory_equal(r.body, "raw-ok", 6);
	assert_string_equal(s.method, "POST");
	assert_string_equal(s.target, "/.well-known/est/simpleenroll?x=1");
	assert_string_equal(s.body, "MIIB");
	assert_string_equal(s.hdr, "v1");
	assert_int_equal(s.raw, 1);

	/* a prefix only matches at a path boundary; everything else is oneM2M */
	rh_req(port, "GET", "/.well-known/estx", NULL, NULL, &r);
	assert_int_equal(s.raw, 1);
	rh_req(port, "GET", "/~/id-in/cse-in", NULL, NULL, &r);
	assert_int_equal(s.raw, 1);
	rh_req(port, "GET", "/a", NULL, NULL, &r);
	assert_int_equal(r.status, 201);
	assert_int_equal(s.raw, 2);

	/* ambiguous framing is refused before the route: 400, route not called */
	static const char smuggle[] = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
				      "Connection: close\r\n\r\nxx";
	rh_do(port, smuggle, sizeof(smuggle) - 1, &r);
	assert_int_equal(r.status, 400);
	assert_int_equal(s.raw, 2);
	rh_stop(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
