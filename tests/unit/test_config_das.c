/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/config_das.c (docs/config.md, [das]): the keys of
 * the Dynamic Authorization Server (TS-0003 clause 7.3; the Fixed interface das-id,
 * https-listen, store, cert, key, trust-anchors, policy, log-file), their defaults, strict
 * parsing and validation naming the line at fault, and the FQDN of das-id (token IDs).
 */
#include <stdio.h>

#include "m2m_test.h"
#include "m2msec/config.h"

#define GOOD "[das]\ndas-id = //SP.example.com/id-in/Cdas\ncert = das.crt\nkey = das.key\n"

static m2m_err parse(m2m_das_svc_config *c, const char *text, bool *found, char *err, size_t cap)
{
	m2m_das_config_defaults(c);
	return m2m_das_config_parse(c, text, strlen(text), found, err, cap);
}

static void test_defaults_and_keys(void **state)
{
	m2m_das_svc_config c;
	char err[256] = "";
	bool found = false;

	(void)state;
	m2m_das_config_defaults(&c);
	assert_string_equal(c.https_listen, "127.0.0.1:8446");
	assert_string_equal(c.store, "var/das.db");
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.max_token_lifetime, 86400);
	assert_int_equal(c.header_timeout, 10);
	assert_int_equal(m2m_das_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "das-id is required"));
	assert_int_equal(parse(&c,
			       "[cse]\ncse-id = /id-in\n" GOOD "https-listen = 127.0.0.1:9446\nstore = d.db\n"
			       "trust-anchors = ca.pem\npolicy = das.policy\nlog-file = das.log\n"
			       "max-token-lifetime = 3600\nthreads = 2\n",
			       &found, err, sizeof(err)),
			 M2M_OK);
	assert_true(found);
	assert_string_equal(c.das_id, "//SP.example.com/id-in/Cdas");
	assert_string_equal(c.https_listen, "127.0.0.1:9446");
	assert_string_equal(c.store, "d.db");
	assert_string_equal(c.cert, "das.crt");
	assert_string_equal(c.key, "das.key");
	assert_string_equal(c.trust_anchors, "ca.pem");
	assert_string_equal(c.policy, "das.policy");
	assert_string_equal(c.log_file, "das.log");
	assert_int_equal(c.max_token_lifetime, 3600);
	assert_int_equal(c.threads, 2);
	assert_int_equal(m2m_das_config_line(&c, "policy"), 10);
	assert_int_equal(m2m_das_config_validate(&c, err, sizeof(err)), M2M_OK);
	{
		char fqdn[64];
		assert_int_equal(m2m_das_config_fqdn(&c, fqdn, sizeof(fqdn)), M2M_OK);
		assert_string_equal(fqdn, "sp.example.com"); /* lower case: m2m:tokenID issuerID */
	}
	/* no [das] section */
	assert_int_equal(parse(&c, "[cse]\ncse-id = /id-in\n", &found, err, sizeof(err)), M2M_OK);
	assert_false(found);
}

static void test_rejects(void **state)
{
	static const struct {
		const char *ini, *want;
	} rows[] = {
		{GOOD "das-idd = x\n", "line 5: unknown key 'das-idd'"},
		{GOOD "das-id = //b/c/Cd\n", "line 5: key 'das-id' given twice"},
		{GOOD "max-token-lifetime = 0\n", "line 5: invalid value for 'max-token-lifetime'"},
		{"[dass]\n", "line 1: unknown section [dass]"},
	};
	m2m_das_svc_config c;
	char err[256];
	bool found;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&c, rows[i].ini, &found, err, sizeof(err)), M2M_E_CONFIG);
		if (strstr(err, rows[i].want) == NULL)
			fail_msg("'%s' lacks '%s'", err, rows[i].want);
	}
}

static void test_validate(void **state)
{
	static const struct {
		const char *ini, *want;
	} rows[] = {
		{"[das]\ndas-id = Cdas\ncert = a\nkey = b\n", "line 2: das-id must be an Absolute AE-ID"},
		{"[das]\ndas-id = /id-in/Cdas\ncert = a\nkey = b\n", "line 2: das-id must be an Absolute AE-ID"},
		{"[das]\ndas-id = //sp.example.com\ncert = a\nkey = b\n", "line 2: das-id must be an Absolute AE-ID"},
		{"[das]\ndas-id = //sp.example.com/id-in/Cdas\n", "cert and key are required"},
		{"[das]\ndas-id = //sp.example.com/id-in/Cdas\ncert = a\n", "line 3: cert and key must be given together"},
		{GOOD "https-listen = nope\n", "line 5: https-listen must be host:port"},
	};
	m2m_das_svc_config c;
	char err[256];
	bool found;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(parse(&c, rows[i].ini, &found, err, sizeof(err)), M2M_OK);
		err[0] = '\0';
		assert_int_equal(m2m_das_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		if (strstr(err, rows[i].want) == NULL)
			fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_keys),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
