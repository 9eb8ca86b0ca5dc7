/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the `coaps-listen` key of [mef] and [maf] (core/
 * config_mef.c, config_maf.c, the shared check of core/config.c; docs/config.md): default off,
 * parsed as host:port, a malformed value refused with the line at fault named, "off" accepted.
 */
#include <stdio.h>
#include <string.h>

#include "m2m_test.h"
#include "m2msec/config.h"

static void test_mef_coaps_listen(void **state)
{
	m2m_mef_svc_config c;
	bool found = false;
	char err[256] = "";

	(void)state;
	m2m_mef_config_defaults(&c);
	assert_string_equal(c.coaps_listen, ""); /* off */
	assert_int_equal(m2m_mef_config_parse(&c, "[mef]\nmef-fqdn = mef.example.com\ncoaps-listen = [::1]:5684\n",
					      strlen("[mef]\nmef-fqdn = mef.example.com\ncoaps-listen = [::1]:5684\n"),
					      &found, err, sizeof(err)),
			 M2M_OK);
	assert_true(found);
	assert_string_equal(c.coaps_listen, "[::1]:5684");
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_mef_config_line(&c, "coaps-listen"), 3);

	m2m_mef_config_defaults(&c);
	assert_int_equal(m2m_mef_config_parse(&c, "[mef]\nmef-fqdn = mef.example.com\ncoaps-listen = nonsense\n",
					      strlen("[mef]\nmef-fqdn = mef.example.com\ncoaps-listen = nonsense\n"),
					      &found, err, sizeof(err)),
			 M2M_OK);
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 3: coaps-listen must be host:port");

	snprintf(c.coaps_listen, sizeof(c.coaps_listen), "off");
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_OK);
}

static void test_maf_coaps_listen(void **state)
{
	m2m_maf_svc_config c;
	bool found = false;
	char err[256] = "";
	/* checked before the mef-* group, whose absence ends the validation early */
	const char *ini = "[maf]\nmaf-fqdn = maf.example.com\ncoaps-listen = 127.0.0.1\n";

	(void)state;
	m2m_maf_config_defaults(&c);
	assert_string_equal(c.coaps_listen, "");
	assert_int_equal(m2m_maf_config_parse(&c, ini, strlen(ini), &found, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_maf_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 3: coaps-listen must be host:port");
	snprintf(c.coaps_listen, sizeof(c.coaps_listen), "127.0.0.1:0");
	assert_int_equal(m2m_maf_config_validate(&c, err, sizeof(err)), M2M_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mef_coaps_listen),
		cmocka_unit_test(test_maf_coaps_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
