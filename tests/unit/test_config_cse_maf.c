/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the [cse] keys of the CSE's association with the MAF
 * (core/config_cse.c, docs/config.md; maf-url, maf-ca, maf-cert, maf-key, maf-cache-seconds,
 * maf-name; docs/procedures/maf.md "The CSE side", TS-0003 §8.8.2.8): defaults, ranges and every
 * cross-field refusal with its exact message and line.
 */
#include <stdio.h>

#include "m2m_test.h"
#include "m2msec/config.h"

static m2m_err parse(m2m_cse_config *c, const char *text, char *err, size_t cap)
{
	m2m_cse_config_defaults(c);
	return m2m_cse_config_parse(c, text, strlen(text), err, cap);
}

static void test_defaults_and_good(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const char *ok = "psk-file = p\nmaf-url = https://127.0.0.1:8445\nmaf-ca = ca.pem\nmaf-cert = c.pem\n"
			 "maf-key = k.pem\nmaf-cache-seconds = 0\nmaf-name = MAF.example.com\n";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_int_equal(c.maf_cache_seconds, 60);
	assert_string_equal(c.maf_url, "");
	assert_string_equal(c.maf_name, "");
	assert_int_equal(parse(&c, "psk-file = p\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK); /* no MAF: fine */
	assert_int_equal(parse(&c, ok, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.maf_url, "https://127.0.0.1:8445");
	assert_string_equal(c.maf_ca, "ca.pem");
	assert_string_equal(c.maf_cert, "c.pem");
	assert_string_equal(c.maf_key, "k.pem");
	assert_string_equal(c.maf_name, "MAF.example.com");
	assert_int_equal(c.maf_cache_seconds, 0);
	assert_int_equal(m2m_cse_config_line(&c, "maf-name"), 7);
	/* a host name in maf-url is the FQDN itself; the MEF may run beside it under another FQDN */
	assert_int_equal(parse(&c, "psk-file = p\nmaf-url = https://maf.example.com:443\nmaf-ca = a\nmaf-cert = c\n"
				   "maf-key = k\nmef-url = https://127.0.0.1:8444\nmef-ca = a\nmef-name = mef.example.com\n",
			       err, sizeof(err)),
			 M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
}

static void test_ranges(void **state)
{
	m2m_cse_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&c, "maf-cache-seconds = 86400\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(parse(&c, "maf-cache-seconds = -1\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'maf-cache-seconds'");
	assert_int_equal(parse(&c, "\nmaf-cache-seconds = 86401\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: invalid value for 'maf-cache-seconds'");
	assert_int_equal(parse(&c, "maf-cache-seconds = 1x\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'maf-cache-seconds'");
	assert_int_equal(parse(&c, "maf-url = a\nmaf-url = b\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: key 'maf-url' given twice");
	assert_int_equal(parse(&c, "maf-uri = https://x.y:1\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: unknown key 'maf-uri'");
}

static void test_cross_field(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const struct {
		const char *ini;
		const char *want;
	} bad[] = {
		{"psk-file = p\nmaf-url = https://127.0.0.1:8445\nmaf-ca = a\nmaf-cert = c\n",
		 "line 4: maf-cert and maf-key must be given together"},
		{"psk-file = p\nmaf-url = https://127.0.0.1:8445\nmaf-ca = a\nmaf-key = k\n",
		 "line 4: maf-cert and maf-key must be given together"},
		{"psk-file = p\nmaf-url = https://127.0.0.1:8445\nmaf-cert = c\nmaf-key = k\n",
		 "line 2: maf-url needs maf-ca (the CA that authenticates the MAF)"},
		{"psk-file = p\nmaf-url = https://127.0.0.1:8445\nmaf-ca = a\n",
		 "line 2: maf-url needs maf-cert and maf-key (the MAF hands Kc to authenticated targets only)"},
		{"psk-file = p\nmaf-url = http://127.0.0.1:8445\nmaf-ca = a\nmaf-cert = c\nmaf-key = k\n",
		 "line 2: maf-url must be https://HOST:PORT"},
		{"psk-file = p\nmaf-url = https://maf.example.com\nmaf-ca = a\nmaf-cert = c\nmaf-key = k\n",
		 "line 2: maf-url must be https://HOST:PORT"},
		{"psk-file = p\nmaf-url = https://maf.example.com:0\nmaf-ca = a\nmaf-cert = c\nmaf-key = k\n",
		 "line 2: maf-url must be https://HOST:PORT"},
		{"psk-file = p\nmaf-ca = a\n", "line 2: needs maf-url"},
		{"psk-file = p\nmaf-cert = c\nmaf-key = k\n", "line 2: needs maf-url"},
		{"psk-file = p\nmaf-name = maf.example.com\n", "line 2: needs maf-url"},
		{"psk-file = p\nmaf-url = https://127.0.0.1:8445\nmaf-ca = a\nmaf-cert = c\nmaf-key = k\n"
		 "maf-name = 127.0.0.1\n",
		 "line 6: maf-name must be the MAF's FQDN such as maf.example.com"},
		/* one FQDN for both: a "<32 hex>@FQDN" identity would be ambiguous */
		{"psk-file = p\nmef-url = https://127.0.0.1:8444\nmef-ca = a\nmef-name = Keys.example.com\n"
		 "maf-url = https://127.0.0.1:8445\nmaf-ca = a\nmaf-cert = c\nmaf-key = k\nmaf-name = keys.example.com\n",
		 "line 9: the MAF's FQDN must differ from the MEF's (KcIDs and KeIDs have the same shape)"},
		{"psk-file = p\nmef-url = https://keys.example.com:1\nmef-ca = a\n"
		 "maf-url = https://keys.example.com:2\nmaf-ca = a\nmaf-cert = c\nmaf-key = k\n",
		 "line 4: the MAF's FQDN must differ from the MEF's (KcIDs and KeIDs have the same shape)"},
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		assert_int_equal(parse(&c, bad[i].ini, err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		if (strcmp(err, bad[i].want) != 0)
			fail_msg("case %zu: got '%s'", i, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_good),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_cross_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
