/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of remote/httpc.c: URL checks (only http://, no
 * header injection), the request head, response parsing (status and X-M2M-RSC), refused
 * connections, the deadline against a silent peer, the destination policy decided on the
 * resolved address before any connection, and exchanges running side by side on one loop.
 */
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cse_fixture.h"

typedef struct res {
	int done, result, status, rsc;
} res;

static void on_done(void *arg, int result, int status, int rsc)
{
	res *r = arg;

	r->done++;
	r->result = result;
	r->status = status;
	r->rsc = rsc;
}

static m2mi_addr_policy loopback_ok(void)
{
	m2mi_addr_policy p;
	char msg[160];

	assert_int_equal(m2mi_addr_policy_init(&p, "127.0.0.0/8", "", msg, sizeof(msg)), M2M_OK);
	return p;
}

/* One exchange on a fresh loop; the result code. */
static int post(const m2mi_addr_policy *pol, const char *url, const char *body, int ms, res *r)
{
	struct event_base *base = event_base_new();
	m2mi_httpc *h = NULL;

	memset(r, 0, sizeof(*r));
	assert_non_null(base);
	assert_int_equal(m2mi_httpc_new(base, pol, &h), M2M_OK);
	if (m2mi_httpc_post(h, url, "/id-in", body, ms, on_done, r) != M2MI_HTTPC_OK) {
		m2mi_httpc_free(h);
		event_base_free(base);
		return -1;
	}
	assert_int_equal(r->done, 0); /* never from inside the call */
	while (r->done == 0)
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	assert_int_equal(r->done, 1);
	m2mi_httpc_free(h);
	event_base_free(base);
	return r->result;
}

static void test_urls(void **state)
{
	m2mi_addr_policy p = loopback_ok();
	m2mi_url u;
	res r;

	(void)state;
	assert_int_equal(m2mi_url_parse("https://127.0.0.1/x", &u), M2M_E_UNSUPPORTED);
	assert_int_equal(m2mi_url_parse("ftp://x/", &u), M2M_E_UNSUPPORTED);
	assert_int_equal(m2mi_url_parse("http://h/a b", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http://h/a\r\nX-Evil: 1", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http:///x", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http://h:0/x", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http://h:70000/x", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http://h:8a/x", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http://[::1/x", &u), M2M_E_INVAL);
	assert_int_equal(m2mi_url_parse("http://user@10.0.0.1/x", &u), M2M_E_INVAL);  /* userinfo */
	assert_int_equal(m2mi_url_parse("http://[127.0.0.1]/x", &u), M2M_E_INVAL);  /* not v6 */
	assert_int_equal(m2mi_url_parse("http://[::1]:8080/p?q", &u), M2M_OK);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/p?q");
	assert_int_equal(m2mi_httpc_post(NULL, "ftp://x/", "/id-in", "{}", 100, on_done, &r), M2MI_HTTPC_FAILED);
	assert_int_equal(post(&p, "http://h/a b", "{}", 100, &r), -1);
}

static void test_exchange(void **state)
{
	fx_http *h = fx_http_start(201, 2000, 2);
	m2mi_addr_policy p = loopback_ok();
	char url[128];
	res r;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a/b?c=d", h->port);
	assert_int_equal(post(&p, url, "{\"m2m:sgn\":{}}", 5000, &r), M2MI_HTTPC_OK);
	assert_int_equal(r.status, 201);
	assert_int_equal(r.rsc, 2000);
	assert_int_equal(fx_http_wait(h, 1), 1);
	assert_string_equal(h->bodies[0], "{\"m2m:sgn\":{}}");
	assert_non_null(strstr(h->heads[0], "POST /a/b?c=d HTTP/1.1\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nX-M2M-Origin: /id-in\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nX-M2M-RI: ntf-"));
	assert_non_null(strstr(h->heads[0], "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nContent-Length: 14\r\n"));
	assert_null(strstr(h->heads[0], "X-M2M-EC")); /* no Event Category unless asked */
	/* no path: "/" */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", h->port);
	assert_int_equal(post(&p, url, "{}", 5000, &r), M2MI_HTTPC_OK);
	assert_int_equal(fx_http_wait(h, 2), 2);
	assert_non_null(strstr(h->heads[1], "POST / HTTP/1.1\r\n"));
	fx_http_stop(h);
}

typedef struct bres {
	int done, result, status, rsc;
	size_t len;
} bres;

static void on_body(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	bres *r = arg;

	(void)body;
	r->done++;
	r->result = result;
	r->status = status;
	r->rsc = rsc;
	r->len = len;
}

/* m2mi_httpc_notify (the DAS consultation, TS-0004 7.5.1.2.10): POST with the caller's X-M2M-RI,
 * Accept, the body; the answer to the body callback; no header injection through rqi or origin. */
static void test_notify_with_answer(void **state)
{
	fx_http *h = fx_http_start(200, 2000, 1);
	struct event_base *base = event_base_new();
	m2mi_httpc *c = NULL;
	char url[128];
	bres r = {0};

	(void)state;
	assert_int_equal(m2mi_httpc_new(base, NULL, &c), M2M_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/id-in/Cdas", h->port);
	assert_int_equal(m2mi_httpc_notify(c, url, "//sp/id-in", "das-x\r\nX-Evil: 1", "{}", 5000, on_body, &r),
			 M2MI_HTTPC_FAILED);
	assert_int_equal(m2mi_httpc_notify(c, url, "//sp/id-in\n", "das-x", "{}", 5000, on_body, &r), M2MI_HTTPC_FAILED);
	assert_int_equal(m2mi_httpc_notify(c, url, "//sp/id-in", "das-x", NULL, 5000, on_body, &r), M2MI_HTTPC_FAILED);
	assert_int_equal(m2mi_httpc_notify(c, url, "//sp/id-in", "das-cnt1", "{\"m2m:seci\":{}}", 5000, on_body, &r),
			 M2MI_HTTPC_OK);
	assert_int_equal(r.done, 0); /* never from inside the call */
	while (r.done == 0)
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.result, M2MI_HTTPC_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.rsc, 2000);
	assert_int_equal(r.len, 0);
	assert_int_equal(fx_http_wait(h, 1), 1);
	assert_string_equal(h->bodies[0], "{\"m2m:seci\":{}}");
	assert_non_null(strstr(h->heads[0], "POST /id-in/Cdas HTTP/1.1\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nX-M2M-RI: das-cnt1\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nX-M2M-Origin: //sp/id-in\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nAccept: application/json\r\n"));
	m2mi_httpc_free(c);
	event_base_free(base);
	fx_http_stop(h);
}

/* Every builder shares one preamble (req_new): every header value with CR or LF is refused, the
 * Event Category NOTIFY's origin included (it once went unchecked); any operation goes out with
 * its method (TS-0009 Table 6.2.2-1), From, rqi and rvi as given. */
static void test_request_ops(void **state)
{
	static const struct {
		int op, ty;
		const char *body, *line, *ct;
	} ops[] = {
		{1, 3, "{\"m2m:cnt\":{}}", "POST /~/id-mn/x HTTP/1.1\r\n", "application/json;ty=3"},
		{2, 0, NULL, "GET /~/id-mn/x HTTP/1.1\r\n", NULL},
		{3, 0, "{\"m2m:cnt\":{\"lbl\":[]}}", "PUT /~/id-mn/x HTTP/1.1\r\n", "application/json\r\n"},
		{4, 0, NULL, "DELETE /~/id-mn/x HTTP/1.1\r\n", NULL},
		{5, 0, "{\"m2m:sgn\":{}}", "POST /~/id-mn/x HTTP/1.1\r\n", "application/json\r\n"},
	};
	fx_http *h = fx_http_start(200, 2000, 5);
	struct event_base *base = event_base_new();
	m2mi_httpc *c = NULL;
	char url[128];
	res pr = {0};
	bres r = {0};

	(void)state;
	assert_int_equal(m2mi_httpc_new(base, NULL, &c), M2M_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/~/id-mn/x", h->port);
	assert_int_equal(m2mi_httpc_post_ec(c, url, "/id-in\r\nX-Evil: 1", 4, "{}", 5000, on_done, &pr),
			 M2MI_HTTPC_FAILED);
	{
		m2mi_httpc_msg bad[] = {
			{2, 0, "/id-in/C\r\nX: 1", "r1", NULL, NULL, NULL}, {2, 0, "/id-in/C", "r1\n", NULL, NULL, NULL},
			{2, 0, "/id-in/C", "r1", "3\r\nX: 1", NULL, NULL},  {1, 0, "/id-in/C", "r1", NULL, "{}", NULL},
			{3, 0, "/id-in/C", "r1", NULL, NULL, NULL},         {6, 0, "/id-in/C", "r1", NULL, NULL, NULL},
			{2, 0, NULL, "r1", NULL, NULL, NULL},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_int_equal(m2mi_httpc_request(c, url, &bad[i], 5000, on_body, &r), M2MI_HTTPC_FAILED);
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		m2mi_httpc_msg m = {ops[i].op, ops[i].ty, "/id-in/Cb1", "fwd-7", "4", ops[i].body, NULL};
		memset(&r, 0, sizeof(r));
		assert_int_equal(m2mi_httpc_request(c, url, &m, 5000, on_body, &r), M2MI_HTTPC_OK);
		while (r.done == 0)
			assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
		assert_int_equal(r.result, M2MI_HTTPC_OK);
		assert_int_equal(r.rsc, 2000);
		assert_int_equal(fx_http_wait(h, (int)i + 1), (int)i + 1);
		assert_non_null(strstr(h->heads[i], ops[i].line));
		assert_non_null(strstr(h->heads[i], "\r\nX-M2M-Origin: /id-in/Cb1\r\n"));
		assert_non_null(strstr(h->heads[i], "\r\nX-M2M-RI: fwd-7\r\n"));
		assert_non_null(strstr(h->heads[i], "\r\nX-M2M-RVI: 4\r\n"));
		if (ops[i].body != NULL) {
			assert_string_equal(h->bodies[i], ops[i].body);
			assert_non_null(strstr(h->heads[i], ops[i].ct));
		} else {
			assert_null(strstr(h->heads[i], "Content-Type"));
			assert_null(strstr(h->heads[i], "Content-Length"));
		}
	}
	m2mi_httpc_free(c);
	event_base_free(base);
	fx_http_stop(h);
}

static void test_unreachable_and_silent(void **state)
{
	m2mi_addr_policy p = loopback_ok();
	char url[128];
	int lfd, port;
	res r;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fx_closed_port());
	assert_int_equal(post(&p, url, "{}", 2000, &r), M2MI_HTTPC_FAILED);
	/* a peer that accepts (backlog) but never answers: the deadline ends the exchange */
	lfd = fx_silent_listener(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	assert_int_equal(post(&p, url, "{}", 200, &r), M2MI_HTTPC_FAILED);
	assert_int_equal(r.status, 0);
	close(lfd);
}

/* docs/config.md notify-allow: loopback is refused by default, before any connection. */
static void test_policy(void **state)
{
	fx_http *h = fx_http_start(200, 2000, 4);
	m2mi_addr_policy def;
	char url[128], msg[160];
	res r;

	(void)state;
	assert_int_equal(m2mi_addr_policy_init(&def, "", "", msg, sizeof(msg)), M2M_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", h->port);
	assert_int_equal(post(&def, url, "{}", 2000, &r), M2MI_HTTPC_DENIED);
	snprintf(url, sizeof(url), "http://[::ffff:127.0.0.1]:%d/", h->port);
	assert_int_equal(post(&def, url, "{}", 2000, &r), M2MI_HTTPC_DENIED);
	snprintf(url, sizeof(url), "http://0.0.0.0:%d/", h->port);
	assert_int_equal(post(&def, url, "{}", 2000, &r), M2MI_HTTPC_DENIED);
	snprintf(url, sizeof(url), "http://[::1]:%d/", h->port);
	assert_int_equal(post(&def, url, "{}", 2000, &r), M2MI_HTTPC_DENIED);
	/* a name is decided on what it resolves to: localhost is loopback (or unresolvable) */
	snprintf(url, sizeof(url), "http://localhost:%d/", h->port);
	assert_int_not_equal(post(&def, url, "{}", 2000, &r), M2MI_HTTPC_OK);
	assert_int_equal(h->n, 0); /* nothing ever connected */
	fx_http_stop(h);
}

/* One loop, two exchanges: the answering receiver completes while the silent one is pending. */
static void test_side_by_side(void **state)
{
	fx_http *h = fx_http_start(200, 2000, 1);
	m2mi_addr_policy p = loopback_ok();
	struct event_base *base = event_base_new();
	m2mi_httpc *c = NULL;
	char slow[128], fast[128];
	int lfd, port;
	res rs = {0}, rf = {0};

	(void)state;
	lfd = fx_silent_listener(&port);
	snprintf(slow, sizeof(slow), "http://127.0.0.1:%d/", port);
	snprintf(fast, sizeof(fast), "http://127.0.0.1:%d/", h->port);
	assert_int_equal(m2mi_httpc_new(base, &p, &c), M2M_OK);
	assert_int_equal(m2mi_httpc_post(c, slow, "/id-in", "{}", 60000, on_done, &rs), M2MI_HTTPC_OK);
	assert_int_equal(m2mi_httpc_post(c, fast, "/id-in", "{}", 60000, on_done, &rf), M2MI_HTTPC_OK);
	while (rf.done == 0)
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	assert_int_equal(rf.result, M2MI_HTTPC_OK);
	assert_int_equal(rs.done, 0); /* still waiting for the silent peer */
	m2mi_httpc_free(c);           /* drops it without a callback */
	assert_int_equal(rs.done, 0);
	event_base_free(base);
	close(lfd);
	fx_http_stop(h);
}

/* An outbound socket gets TCP_NODELAY (a fresh TCP socket has it off, checked first). */
static void test_tune_socket_nodelay(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), v = -1;
	socklen_t l = sizeof(v);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
	assert_int_equal(v, 0);
	m2mi_httpc_tune_socket(fd);
	l = sizeof(v);
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
	assert_int_not_equal(v, 0);
	close(fd);
	m2mi_httpc_tune_socket(-1); /* no socket: nothing happens */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_notify_with_answer),
		cmocka_unit_test(test_request_ops),
		cmocka_unit_test(test_unreachable_and_silent),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_side_by_side),
		cmocka_unit_test(test_tune_socket_nodelay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
