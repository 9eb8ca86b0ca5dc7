/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/acp_ip.c: accessControlIpAddresses CIDR entries
 * (TS-0004 clause 6.3.5.27, m2m:ipv4 / m2m:ipv6). */
#include <arpa/inet.h>

#include "m2m_test.h"
#include "core/acp_int.h"

static bool in4(const char *net, const char *addr)
{
	struct m2mi_acp_net4 n;
	uint8_t a[4];
	char msg[128];

	assert_int_equal(m2mi_acp_ip_parse4(net, strlen(net), &n, msg, sizeof(msg)), M2M_OK);
	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	return m2mi_acp_ip_match4(&n, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
					      (uint32_t)a[2] << 8 | a[3]);
}

static bool in6(const char *net, const char *addr)
{
	struct m2mi_acp_net6 n;
	uint8_t a[16];
	uint64_t hi = 0, lo = 0;
	char msg[128];

	assert_int_equal(m2mi_acp_ip_parse6(net, strlen(net), &n, msg, sizeof(msg)), M2M_OK);
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | a[i];
		lo = lo << 8 | a[8 + i];
	}
	return m2mi_acp_ip_match6(&n, hi, lo);
}

static void bad4(const char *s)
{
	struct m2mi_acp_net4 n;
	char msg[128] = "";
	assert_int_equal(m2mi_acp_ip_parse4(s, strlen(s), &n, msg, sizeof(msg)), M2M_E_ACP_IP);
	assert_true(strlen(msg) > 0);
}

static void bad6(const char *s)
{
	struct m2mi_acp_net6 n;
	char msg[128] = "";
	assert_int_equal(m2mi_acp_ip_parse6(s, strlen(s), &n, msg, sizeof(msg)), M2M_E_ACP_IP);
	assert_true(strlen(msg) > 0);
}

static void test_ipv4(void **state)
{
	assert_true(in4("10.125.0.0/16", "10.125.200.7"));
	assert_false(in4("10.125.0.0/16", "10.126.0.1"));
	assert_true(in4("122.77.12.1", "122.77.12.1"));
	assert_false(in4("122.77.12.1", "122.77.12.2"));
	assert_true(in4("0.0.0.0/0", "203.0.113.9"));
	assert_true(in4("192.168.1.7/24", "192.168.1.200")); /* host bits cleared */
	assert_true(in4("192.168.1.1/32", "192.168.1.1"));
	assert_false(in4("192.168.1.1/32", "192.168.1.0"));
	assert_true(in4("128.0.0.0/1", "255.1.1.1"));
	assert_false(in4("128.0.0.0/1", "127.255.255.255"));
}

static void test_ipv6(void **state)
{
	assert_true(in6("Fadf:ddd0::/32", "fadf:ddd0:1::5"));
	assert_false(in6("Fadf:ddd0::/32", "fadf:ddd1::5"));
	assert_true(in6("::/0", "2001:db8::1"));
	assert_true(in6("abcd:ffff:abb0:aaaa::/64", "abcd:ffff:abb0:aaaa:1:2:3:4"));
	assert_false(in6("abcd:ffff:abb0:aaaa::/64", "abcd:ffff:abb0:aaab::"));
	assert_true(in6("2001:db8::1", "2001:db8::1"));
	assert_false(in6("2001:db8::1", "2001:db8::2"));
	assert_true(in6("2001:db8::ff00/120", "2001:db8::ffaa"));
	assert_false(in6("2001:db8::ff00/120", "2001:db8::1:ffaa"));
	assert_true(in6("2001:db8:0:0:8000::/65", "2001:db8::ffff:1:1:1"));
	assert_false(in6("2001:db8:0:0:8000::/65", "2001:db8::7fff:1:1:1"));
}

static void test_rejects(void **state)
{
	bad4("10.0.0.0/33");
	bad4("300.1.1.1");
	bad4("1.2.3");
	bad4("1.2.3.4.5");
	bad4("01.2.3.4");
	bad4("1.2.3.4/");
	bad4("1.2.3.4/08");
	bad4("1.2.3.4/-1");
	bad4("1.2.3.4/+8");
	bad4("1.2.3.4/ 8");
	bad4("1.2.3.4/1a");
	bad4("");
	bad4("/8");
	bad4("::1");
	bad4("a.b.c.d");
	bad4("1.2.3.4/8/8");
	bad6("2001:db8::/129");
	bad6("2001:db8:::1");
	bad6("fe80::1%eth0");
	bad6("10.0.0.1");
	bad6("2001:db8::/1000");
	bad6("gggg::");
	{
		char big[200];
		memset(big, '1', sizeof(big));
		big[sizeof(big) - 1] = '\0';
		bad6(big);
	}
	{
		struct m2mi_acp_net4 n;
		char msg[128];
		assert_int_equal(m2mi_acp_ip_parse4("1.2.3.4\0/8", 10, &n, msg, sizeof(msg)),
				 M2M_E_ACP_IP); /* embedded NUL */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
