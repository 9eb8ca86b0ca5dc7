/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/config_maf.c (docs/config.md, [maf]): the MAF's
 * keys (TS-0003 clause 8.8, docs/procedures/maf.md), their defaults, the listener keys shared
 * with the CSE and the MEF, strict parsing, and validation naming the line at fault.
 */
#include <stdio.h>
#include <string.h>

#include "config_svc_fixture.h"
#include "m2m_test.h"
#include "m2msec/config.h"

/* parse(c, text, found, err, cap) = defaults + parse, and the shared checks' svc (config_svc_fixture.h) */
CFG_SVC_DEFINE(maf, "the credential store file");

static void test_defaults(void **state)
{
	m2m_maf_svc_config c;
	char err[256];

	(void)state;
	m2m_maf_config_defaults(&c);
	assert_string_equal(c.https_listen, "127.0.0.1:8445");
	assert_string_equal(c.store, "var/maf.db");
	assert_string_equal(c.log_level, "info");
	assert_true(c.tls13);
	assert_true(c.log_requests);
	assert_int_equal(c.header_timeout, 10);
	assert_int_equal(c.max_body, 65536);
	assert_int_equal(c.mef_cache_seconds, 60);
	assert_int_equal(c.max_key_lifetime, 86400);
	assert_int_equal(c.max_registration_lifetime, 365 * 86400);
	assert_int_equal(c.rate_limit_per_identity, 60);
	assert_int_equal(c.rate_limit_per_address, 600);
	assert_int_equal(c.psk_lookup_timeout_ms, 3000);
	assert_int_equal(c.psk_lookups_max, 256);
	assert_int_equal(c.max_keys_per_client, 64);
	assert_string_equal(c.mef_url, "");
	/* no maf-fqdn: refused (every KmID and Kc Key Identifier carries it, TS-0003 clause 10.6) */
	assert_int_equal(m2m_maf_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "maf-fqdn is required"));
}

static void test_all_keys(void **state)
{
	m2m_maf_svc_config c;
	bool found = false;
	char err[256] = "";
	const char *ini = "cse-id = /id-in\n[mef]\nmef-fqdn = x\n[maf]\nmaf-fqdn = maf.example.com\n"
			  "https-listen = [::1]:9445\nstore = /tmp/maf.db\ncert = c.pem\nkey = k.pem\n"
			  "trust-anchors = ta.pem\nmef-url = https://mef.example.com:8444\nmef-ca = mca.pem\n"
			  "mef-cert = mc.pem\nmef-key = mk.pem\nlog-file = maf.log\n"
			  CFG_SVC_LISTENER_INI
			  "sp-id = //sp.example.com\nmef-name = mef.example.com\nmef-cache-seconds = 5\n"
			  "max-key-lifetime = 3600\nmax-registration-lifetime = 86400\n"
			  "rate-limit-per-identity = 0\nrate-limit-per-address = 100\npsk-lookup-timeout-ms = 500\n"
			  "psk-lookups-max = 8\n";

	(void)state;
	assert_int_equal(parse(&c, ini, &found, err, sizeof(err)), M2M_OK);
	assert_true(found);
	assert_int_equal(m2m_maf_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.maf_fqdn, "maf.example.com");
	assert_string_equal(c.https_listen, "[::1]:9445");
	assert_string_equal(c.store, "/tmp/maf.db");
	assert_string_equal(c.cert, "c.pem");
	assert_string_equal(c.key, "k.pem");
	assert_string_equal(c.trust_anchors, "ta.pem");
	assert_string_equal(c.mef_url, "https://mef.example.com:8444");
	assert_string_equal(c.mef_ca, "mca.pem");
	assert_string_equal(c.mef_cert, "mc.pem");
	assert_string_equal(c.mef_key, "mk.pem");
	assert_string_equal(c.log_file, "maf.log");
	CFG_SVC_ASSERT_LISTENER(&c);
	assert_string_equal(c.sp_id, "//sp.example.com");
	assert_string_equal(c.mef_name, "mef.example.com");
	assert_int_equal(c.mef_cache_seconds, 5);
	assert_int_equal(c.max_key_lifetime, 3600);
	assert_int_equal(c.max_registration_lifetime, 86400);
	assert_int_equal(c.rate_limit_per_identity, 0);
	assert_int_equal(c.rate_limit_per_address, 100);
	assert_int_equal(c.psk_lookup_timeout_ms, 500);
	assert_int_equal(c.psk_lookups_max, 8);
	assert_int_equal(m2m_maf_config_line(&c, "maf-fqdn"), 5);
	assert_int_equal(m2m_maf_config_line(&c, "psk-lookups-max"), 33);
	assert_int_equal(m2m_maf_config_line(&c, "nope"), 0);
}

static void test_rejects(void **state)
{
	m2m_maf_svc_config c;
	bool found = true;
	char err[256];
	const struct cfg_svc_row rows[] = {
		{"[maf]\nca-dir = d\n", "line 2: unknown key 'ca-dir'"},           /* a MEF key */
		{"[maf]\nmaf-url = https://a.b:1\n", "line 2: unknown key 'maf-url'"}, /* a CSE key */
		{"[maf]\nmef-cache-seconds = 0\n", "line 2: invalid value for 'mef-cache-seconds'"},
		{"[maf]\nmax-key-lifetime = 59\n", "line 2: invalid value for 'max-key-lifetime'"},
		{"[maf]\nmax-key-lifetime = 1h\n", "line 2: invalid value for 'max-key-lifetime'"},
		{"[maf]\npsk-lookups-max = 0\n", "line 2: invalid value for 'psk-lookups-max'"},
		{"[maf]\nmax-keys-per-client = 0\n", "line 2: invalid value for 'max-keys-per-client'"},
		/* no store-sync: the credential store always commits with synchronous=FULL */
		{"[maf]\nstore-sync = full\n", "line 2: unknown key 'store-sync'"},
		{"[maf]\ntls13 = maybe\n", "line 2: invalid value for 'tls13'"},
	};

	(void)state;
	cfg_svc_parse_rejects(&svc, rows, M2M_ARRAY_LEN(rows));
	cfg_svc_shared_rejects(&svc); /* the engine's and the listener keys' */
	/* another service's section is skipped, and gives no [maf] */
	assert_int_equal(parse(&c, "[mef]\nmef-fqdn = a.b\nca-dir = d\n", &found, err, sizeof(err)), M2M_OK);
	assert_false(found);
}

static void test_validate_names_the_line(void **state)
{
	const struct cfg_svc_row rows[] = {
		{"[maf]\nmaf-fqdn = maf\n", "line 2: maf-fqdn must be an FQDN such as maf.example.com"},
		{"[maf]\nmaf-fqdn = maf.example.com.\n", "line 2: maf-fqdn must be an FQDN such as maf.example.com"},
		{"[maf]\nmaf-fqdn = a@example.com\n", "line 2: maf-fqdn must be an FQDN such as maf.example.com"},
		{"[maf]\nmaf-fqdn = a.b\nmef-cert = c\n", "line 3: mef-cert needs mef-url"},
		{"[maf]\nmaf-fqdn = a.b\nmef-name = m.b\n", "line 3: mef-name needs mef-url"},
		{"[maf]\nmaf-fqdn = a.b\nmef-url = http://m.b:1\nmef-ca = a\nmef-cert = c\nmef-key = k\n",
		 "line 3: mef-url must be https://HOST:PORT"},
		{"[maf]\nmaf-fqdn = a.b\nmef-url = https://m.b:1\nmef-ca = a\nmef-cert = c\n",
		 "line 3: mef-url needs mef-cert and mef-key (the MAF's certificate towards the MEF)"},
		{"[maf]\nmaf-fqdn = a.b\nmef-url = https://m.b:1\nmef-cert = c\nmef-key = k\n",
		 "line 3: mef-url needs mef-ca (the CA that authenticates the MEF)"},
		{"[maf]\nmaf-fqdn = a.b\nmef-url = https://127.0.0.1:1\nmef-ca = a\nmef-cert = c\nmef-key = k\n"
		 "mef-name = 127.0.0.1\n",
		 "line 7: mef-name must be an FQDN such as mef.example.com"},
	};

	(void)state;
	cfg_svc_validate_rejects(&svc, rows, M2M_ARRAY_LEN(rows)); /* the listener keys: test_rejects */
}

/* The MAF as NAF (docs/procedures/gba.md "The MAF as NAF"): the CSE's keys, one definition and
 * one check (config_int.h M2MI_CFG_BSF_KEYS, config.c m2mi_cfg_check_bsf), so the same messages. */
static void test_bsf_keys(void **state)
{
	m2m_maf_svc_config c;
	char err[256] = "";
	bool found = false;
	const struct cfg_svc_row rows[] = {
		{"[maf]\nmaf-fqdn = a.b\nbsf-ca = a\n", "line 3: needs bsf-url"},
		{"[maf]\nmaf-fqdn = a.b\nbsf-name = mef.example.com\n", "line 3: needs bsf-url"},
		{"[maf]\nmaf-fqdn = a.b\nbsf-url = http://127.0.0.1:1\n", "line 3: bsf-url must be https://HOST:PORT"},
		{"[maf]\nmaf-fqdn = a.b\nbsf-url = https://127.0.0.1:1\nbsf-ca = a\nbsf-cert = c\n",
		 "line 3: bsf-url needs bsf-ca, bsf-cert and bsf-key (Zn is mutually authenticated)"},
		{"[maf]\nmaf-fqdn = a.b\nbsf-url = https://127.0.0.1:1\nbsf-ca = a\nbsf-cert = c\nbsf-key = k\n"
		 "bsf-name = not an fqdn\n",
		 "line 7: bsf-name must be the BSF's FQDN such as mef.example.com"},
		{"[maf]\nmaf-fqdn = a.b\ngba-naf-key = gba-u\n",
		 "line 3: gba-naf-key must be ks-naf, ks-ext-naf or ks-int-naf"},
	};
	const char *ok = "[maf]\nmaf-fqdn = maf.example.com\nbsf-url = https://127.0.0.1:8444\nbsf-ca = ca.pem\n"
			 "bsf-cert = c.pem\nbsf-key = k.pem\nbsf-name = mef.example.com\nbsf-cache-seconds = 5\n"
			 "gba-naf-key = ks-ext-naf\n";

	(void)state;
	m2m_maf_config_defaults(&c);
	assert_string_equal(c.bsf_url, "");
	assert_string_equal(c.gba_naf_key, "ks-naf");
	assert_int_equal(c.bsf_cache_seconds, 60);
	assert_int_equal(m2m_maf_config_parse(&c, ok, strlen(ok), &found, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_maf_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.bsf_url, "https://127.0.0.1:8444");
	assert_string_equal(c.bsf_name, "mef.example.com");
	assert_int_equal(c.bsf_cache_seconds, 5);
	assert_string_equal(c.gba_naf_key, "ks-ext-naf");
	assert_int_equal(m2m_maf_config_line(&c, "gba-naf-key"), 9);
	cfg_svc_validate_rejects(&svc, rows, M2M_ARRAY_LEN(rows));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bsf_keys),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_validate_names_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
