/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the "%d/" credential paths of core/config.c
 * (docs/operations.md "Units"): a string value "%d/name" is the file "name" in
 * $CREDENTIALS_DIRECTORY (systemd LoadCredential=), in every service's section; without the
 * variable it is a configuration error naming the key and the line; other values are untouched.
 */
#include <stdlib.h>

#include "m2m_test.h"
#include "m2msec/config.h"

static void test_expands_in_every_section(void **state)
{
	static const char cse[] = "cse-id = /id-in\nkey = %d/server.key\ncert = %d/server.crt\npsk-file = a%d/x\n";
	static const char mef[] = "[mef]\nmef-fqdn = mef.example.com\nkey = %d/mef.key\n";
	m2m_cse_config c;
	m2m_mef_svc_config m;
	char err[256] = "";
	bool found = false;

	(void)state;
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "/run/credentials/m2msec-cse.service", 1), 0);
	m2m_cse_config_defaults(&c);
	assert_int_equal(m2m_cse_config_parse(&c, cse, strlen(cse), err, sizeof(err)), M2M_OK);
	assert_string_equal(c.key, "/run/credentials/m2msec-cse.service/server.key");
	assert_string_equal(c.cert, "/run/credentials/m2msec-cse.service/server.crt");
	assert_string_equal(c.psk_file, "a%d/x"); /* only a leading %d/ */
	m2m_mef_config_defaults(&m);
	assert_int_equal(m2m_mef_config_parse(&m, mef, strlen(mef), &found, err, sizeof(err)), M2M_OK);
	assert_true(found);
	assert_string_equal(m.key, "/run/credentials/m2msec-cse.service/mef.key");
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void test_refused_without_the_directory(void **state)
{
	static const char cse[] = "cse-id = /id-in\n\nkey = %d/server.key\n";
	m2m_cse_config c;
	char err[256] = "", big[600];

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	m2m_cse_config_defaults(&c);
	assert_int_equal(m2m_cse_config_parse(&c, cse, strlen(cse), err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 3: 'key' names a credential (%d/...) but $CREDENTIALS_DIRECTORY is not set "
				 "(systemd LoadCredential=)");
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
	assert_int_equal(m2m_cse_config_parse(&c, cse, strlen(cse), err, sizeof(err)), M2M_E_CONFIG);
	/* a directory that makes the path too long for the field */
	memset(big, 'd', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", big, 1), 0);
	m2m_cse_config_defaults(&c);
	assert_int_equal(m2m_cse_config_parse(&c, cse, strlen(cse), err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 3: invalid value for 'key'");
	unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expands_in_every_section),
		cmocka_unit_test(test_refused_without_the_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
