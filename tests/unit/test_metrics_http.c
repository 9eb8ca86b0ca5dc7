/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/metrics_http.c (docs/operations.md): the
 * listener refuses every address that is not loopback before binding, answers GET /metrics with
 * the text format 0.0.4 content type and the registry's exposition, 405 (Allow: GET) for another
 * method on /metrics and 404 for another path.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "m2m_test.h"
#include "bindings/metrics_http.h"
#include "core/metrics.h"

/* Send one request (Connection: close) and return the whole answer (static buffer). */
static const char *ask(int port, const char *method, const char *path)
{
	static char buf[65536];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char req[256];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", method,
		 path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return buf;
}

static void test_loopback_only(void **state)
{
	static const char *const bad[] = {"0.0.0.0:0", "192.0.2.1:0", "[::]:0", "nohost", "127.0.0.1:99999", ""};
	m2mi_metrics_http *m = (void *)1;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		assert_int_equal(m2mi_metrics_http_start(bad[i], &m), M2M_E_CONFIG);
		assert_null(m);
	}
	assert_int_equal(m2mi_metrics_http_start(NULL, &m), M2M_E_INVAL);
	m2mi_metrics_http_stop(NULL);
}

static void test_serves_metrics(void **state)
{
	m2mi_metrics_http *m = NULL;
	const char *r;
	int port;

	(void)state;
	m2mi_metrics_enable(false);
	assert_int_equal(m2mi_metrics_http_start("127.0.0.1:0", &m), M2M_OK);
	assert_true(m2mi_metrics_enabled()); /* a listener turns counting on */
	port = m2mi_metrics_http_port(m);
	assert_true(port > 0);
	m2mi_metrics_enrolment(true);
	r = ask(port, "GET", "/metrics");
	assert_true(strncmp(r, "HTTP/1.1 200", 12) == 0);
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\nm2msec_enrolments_total{outcome=\"ok\"} 1\n"));
	r = ask(port, "GET", "/metrics?x=1");
	assert_true(strncmp(r, "HTTP/1.1 200", 12) == 0);
	r = ask(port, "POST", "/metrics");
	assert_true(strncmp(r, "HTTP/1.1 405", 12) == 0);
	assert_non_null(strstr(r, "Allow: GET\r\n"));
	r = ask(port, "GET", "/");
	assert_true(strncmp(r, "HTTP/1.1 404", 12) == 0);
	r = ask(port, "GET", "/metrics/x");
	assert_true(strncmp(r, "HTTP/1.1 404", 12) == 0);
	r = ask(port, "DELETE", "/other");
	assert_true(strncmp(r, "HTTP/1.1 404", 12) == 0);
	m2mi_metrics_http_stop(m);
	m2mi_metrics_enable(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_only),
		cmocka_unit_test(test_serves_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
