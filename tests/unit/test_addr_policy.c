/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/addr_policy.c: the notification destination policy
 * (docs/config.md notify-allow / notify-deny) against resolved addresses. */
#include <arpa/inet.h>
#include <stdio.h>

#include "m2m_test.h"
#include "core/addr_policy.h"

static bool ok(const m2mi_addr_policy *p, const char *addr)
{
	uint8_t a[16];

	if (strchr(addr, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
		return m2mi_addr_policy_allows(p, 6, a);
	}
	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	return m2mi_addr_policy_allows(p, 4, a);
}

static void mk(m2mi_addr_policy *p, const char *allow, const char *deny)
{
	char msg[160] = "";

	assert_int_equal(m2mi_addr_policy_init(p, allow, deny, msg, sizeof(msg)), M2M_OK);
}

static void test_defaults(void **state)
{
	m2mi_addr_policy p;
	const char *denied[] = {"127.0.0.1", "127.255.0.9", "0.0.0.0", "0.1.2.3", "169.254.169.254", "224.0.0.1",
				"239.255.255.250", "255.255.255.255", "240.0.0.1", "::1", "::", "::127.0.0.1",
				"fe80::1", "febf::1", "fec0::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
				"::ffff:0.0.0.0", "::ffff:224.0.0.1"};
	const char *allowed[] = {"10.1.2.3", "192.168.1.1", "8.8.8.8", "126.255.255.255", "128.0.0.1",
				 "2001:db8::1", "::ffff:10.0.0.1", "169.253.255.255"};

	(void)state;
	mk(&p, "", "");
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (ok(&p, denied[i]))
			fail_msg("%s must be denied by default", denied[i]);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!ok(&p, allowed[i]))
			fail_msg("%s must be allowed by default", allowed[i]);
	assert_false(m2mi_addr_policy_allows(&p, 5, (const uint8_t *)"0123456789abcdef")); /* unknown family */
	assert_false(m2mi_addr_policy_allows(NULL, 4, (const uint8_t *)"\x0a\0\0\1"));
}

static void test_configured(void **state)
{
	m2mi_addr_policy p;

	(void)state;
	/* a more specific allow lifts a built-in deny, for exactly that range */
	mk(&p, "127.0.0.1/32, ::1", "");
	assert_true(ok(&p, "127.0.0.1"));
	assert_true(ok(&p, "::ffff:127.0.0.1"));
	assert_true(ok(&p, "::1"));
	assert_false(ok(&p, "127.0.0.2"));
	assert_false(ok(&p, "::"));
	/* naming exactly a built-in range lifts it too */
	mk(&p, "127.0.0.0/8", "");
	assert_true(ok(&p, "127.9.9.9"));
	assert_false(ok(&p, "169.254.1.1"));
	/* a broad allow does not lift the more specific built-in denies */
	mk(&p, "0.0.0.0/0,::/0", "");
	assert_false(ok(&p, "127.0.0.1"));
	assert_false(ok(&p, "169.254.169.254"));
	assert_false(ok(&p, "fe80::1"));
	/* deny wins a tie; allow-list by denying everything */
	mk(&p, "10.0.0.0/8", "10.0.0.0/8");
	assert_false(ok(&p, "10.1.1.1"));
	mk(&p, "10.0.0.0/8, 2001:db8::/32", "0.0.0.0/0, ::/0");
	assert_true(ok(&p, "10.9.9.9"));
	assert_true(ok(&p, "2001:db8::5"));
	assert_false(ok(&p, "192.168.1.1"));
	assert_false(ok(&p, "2001:db9::1"));
	assert_false(ok(&p, "::ffff:192.168.1.1"));
	/* deny inside an allow */
	mk(&p, "10.0.0.0/8", "10.0.5.0/24");
	assert_true(ok(&p, "10.0.4.1"));
	assert_false(ok(&p, "10.0.5.1"));
}

static void test_malformed(void **state)
{
	m2mi_addr_policy p;
	char msg[160];
	const char *bad[] = {"10.0.0.0/33", "10.0.0", "1.2.3.4,", ",1.2.3.4", "1.2.3.4,,5.6.7.8", "localhost",
			     "::1/129", "fe80::1%eth0", "10.0.0.0/08", "1.2.3.4/-1"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		assert_int_equal(m2mi_addr_policy_init(&p, bad[i], "", msg, sizeof(msg)), M2M_E_CONFIG);
		assert_true(msg[0] != '\0');
		assert_int_equal(m2mi_addr_policy_init(&p, "", bad[i], msg, sizeof(msg)), M2M_E_CONFIG);
	}
	{ /* more ranges than the table holds */
		char big[M2MI_ADDR_RULES_MAX * 16] = "";
		size_t n = 0;
		for (int i = 0; i < M2MI_ADDR_RULES_MAX; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s10.%d.0.0/16", i ? "," : "", i);
		assert_int_equal(m2mi_addr_policy_init(&p, big, "", msg, sizeof(msg)), M2M_E_CONFIG);
	}
	mk(&p, "  ", " \t");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_configured),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
