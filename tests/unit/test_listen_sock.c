/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/listen_sock.c: a loopback-only listener refuses
 * every other address before binding, an unparsable address is a configuration error, a taken
 * port is M2M_E_HTTP_BIND for the first opener (SO_REUSEPORT must not let a second process share
 * it silently), while a worker thread joining the bound port (port_override) succeeds.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "m2m_test.h"
#include "bindings/listen_sock.h"

static void test_refusals(void **state)
{
	static const char *const not_loopback[] = {"0.0.0.0:0", "192.0.2.1:0", "[::]:0"};
	static const char *const bad[] = {"nohost", "127.0.0.1:99999", "", "127.0.0.1:x"};
	int fd = -7, port = -7;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(not_loopback); i++) {
		assert_int_equal(m2mi_listen_socket(not_loopback[i], -1, true, 16, &fd, &port), M2M_E_CONFIG);
		assert_int_equal(fd, -1); /* no socket handed out */
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_int_equal(m2mi_listen_socket(bad[i], -1, false, 16, &fd, &port), M2M_E_CONFIG);
}

static void test_taken_port_and_shared_port(void **state)
{
	int fd = -1, fd2 = -1, fd3 = -1, port = 0, port2 = 0;
	char spec[64];

	(void)state;
	assert_int_equal(m2mi_listen_socket("127.0.0.1:0", -1, true, 16, &fd, &port), M2M_OK);
	assert_true(fd >= 0 && port > 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	/* a first opener on a port someone listens on: refused */
	assert_int_equal(m2mi_listen_socket(spec, -1, true, 16, &fd2, &port2), M2M_E_HTTP_BIND);
	/* another event-loop thread of the same listener joins it */
	assert_int_equal(m2mi_listen_socket("127.0.0.1:0", port, true, 16, &fd3, &port2), M2M_OK);
	assert_int_equal(port2, port);
	close(fd3);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_taken_port_and_shared_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
