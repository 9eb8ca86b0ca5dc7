/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/httpc.c: URL checks (only http://, no
 * header injection), the request head, response parsing (status and X-M2M-RSC), refused
 * connections and the deadline against a silent peer.
 */
#include "cse_fixture.h"

static void test_urls(void **state)
{
	int status = -1, rsc = -1;

	(void)state;
	assert_int_equal(m2mi_http_notify("https://127.0.0.1/x", "/id-in", "{}", 500, &status, &rsc),
			 M2M_E_UNSUPPORTED);
	assert_int_equal(status, 0);
	assert_int_equal(rsc, 0);
	assert_int_equal(m2mi_http_notify("ftp://x/", "/id-in", "{}", 500, &status, &rsc), M2M_E_UNSUPPORTED);
	assert_int_equal(m2mi_http_notify("http://h/a b", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
	assert_int_equal(m2mi_http_notify("http://h/a\r\nX-Evil: 1", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
	assert_int_equal(m2mi_http_notify("http:///x", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
	assert_int_equal(m2mi_http_notify("http://h:0/x", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
	assert_int_equal(m2mi_http_notify("http://h:70000/x", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
	assert_int_equal(m2mi_http_notify("http://h:8a/x", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
	assert_int_equal(m2mi_http_notify("http://[::1/x", "/id-in", "{}", 500, &status, &rsc), M2M_E_INVAL);
}

static void test_exchange(void **state)
{
	fx_http *h = fx_http_start(201, 2000, 2);
	char url[128];
	int status = 0, rsc = 0;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a/b?c=d", h->port);
	assert_int_equal(m2mi_http_notify(url, "/id-in", "{\"m2m:sgn\":{}}", 5000, &status, &rsc), M2M_OK);
	assert_int_equal(status, 201);
	assert_int_equal(rsc, 2000);
	assert_int_equal(fx_http_wait(h, 1), 1);
	assert_string_equal(h->bodies[0], "{\"m2m:sgn\":{}}");
	assert_non_null(strstr(h->heads[0], "POST /a/b?c=d HTTP/1.1\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nX-M2M-Origin: /id-in\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nX-M2M-RI: ntf-"));
	assert_non_null(strstr(h->heads[0], "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(h->heads[0], "\r\nContent-Length: 14\r\n"));
	/* no path: "/" */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", h->port);
	assert_int_equal(m2mi_http_notify(url, "/id-in", "{}", 5000, &status, &rsc), M2M_OK);
	assert_int_equal(fx_http_wait(h, 2), 2);
	assert_non_null(strstr(h->heads[1], "POST / HTTP/1.1\r\n"));
	fx_http_stop(h);
}

static void test_unreachable_and_silent(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	char url[128];
	int status = 0, rsc = 0, lfd;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fx_closed_port());
	assert_int_equal(m2mi_http_notify(url, "/id-in", "{}", 2000, &status, &rsc), M2M_E_IO);
	/* a peer that accepts (backlog) but never answers: the deadline ends the exchange */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	assert_int_equal(m2mi_http_notify(url, "/id-in", "{}", 200, &status, &rsc), M2M_E_IO);
	assert_int_equal(status, 0);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_unreachable_and_silent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
