/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/config_mef.c (docs/config.md, [mef]): the MEF's
 * keys (TS-0003 §8.3), their defaults, the listener keys shared with the CSE, and its validation
 * naming the line at fault.
 */
#include <stdio.h>

#include "config_svc_fixture.h"
#include "m2m_test.h"
#include "m2msec/config.h"

/* parse(c, text, found, err, cap) = defaults + parse, and the shared checks' svc (config_svc_fixture.h) */
CFG_SVC_DEFINE(mef, "the SQLite database file");

static void test_defaults(void **state)
{
	m2m_mef_svc_config c;
	char err[256];

	(void)state;
	m2m_mef_config_defaults(&c);
	assert_string_equal(c.https_listen, "127.0.0.1:8444");
	assert_string_equal(c.store, "var/mef.db");
	assert_string_equal(c.log_level, "info");
	assert_true(c.tls13);
	assert_true(c.log_requests);
	assert_int_equal(c.header_timeout, 10);
	assert_int_equal(c.enrolment_expiry_days, 365);
	assert_int_equal(c.rate_limit_per_identity, 60);
	assert_int_equal(c.rate_limit_per_address, 600);
	assert_false(c.store_sync_full); /* store-sync = normal */
	/* no mef-fqdn: refused (every KeID carries it) */
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "mef-fqdn is required"));
}

static void test_all_keys(void **state)
{
	m2m_mef_svc_config c;
	bool found = false;
	char err[256] = "";
	const char *ini = "cse-id = /id-in\n[cse]\nname = x\n[mef]\nmef-fqdn = mef.example.com\n"
			  "https-listen = [::1]:9444\nstore = /tmp/m.db\ncert = c.pem\nkey = k.pem\n"
			  "trust-anchors = ta.pem\nca-dir = ca\nlog-file = m.log\n"
			  CFG_SVC_LISTENER_INI
			  "enrolment-expiry-days = 30\nrate-limit-per-identity = 0\nrate-limit-per-address = 100\n"
			  "store-sync = full\n";

	(void)state;
	assert_int_equal(parse(&c, ini, &found, err, sizeof(err)), M2M_OK);
	assert_true(found);
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.mef_fqdn, "mef.example.com");
	assert_string_equal(c.https_listen, "[::1]:9444");
	assert_string_equal(c.ca_dir, "ca");
	CFG_SVC_ASSERT_LISTENER(&c);
	assert_int_equal(c.enrolment_expiry_days, 30);
	assert_int_equal(c.rate_limit_per_identity, 0);
	assert_int_equal(c.rate_limit_per_address, 100);
	assert_true(c.store_sync_full);
	assert_int_equal(m2m_mef_config_line(&c, "store-sync"), 25);
	assert_int_equal(m2m_mef_config_line(&c, "mef-fqdn"), 5);
	assert_int_equal(m2m_mef_config_line(&c, "rate-limit-per-address"), 24);
	assert_int_equal(m2m_mef_config_line(&c, "nope"), 0);
}

static void test_rejects(void **state)
{
	m2m_mef_svc_config c;
	bool found = true;
	char err[256];
	const struct cfg_svc_row rows[] = {
		{"[mef]\nenrolment-expiry-days = 0\n", "line 2: invalid value for 'enrolment-expiry-days'"},
		{"[mef]\nenrolment-expiry-days = 36501\n", "line 2: invalid value for 'enrolment-expiry-days'"},
		{"[mef]\nstore-sync = FULL\n", "line 2: invalid value for 'store-sync'"},
		{"[mef]\nstore-sync = off\n", "line 2: invalid value for 'store-sync'"},
		{"[mef]\nstore-sync =\n", "line 2: invalid value for 'store-sync'"},
		{"[mef]\nstore-sync = full\nstore-sync = normal\n", "line 3: key 'store-sync' given twice"},
	};

	(void)state;
	cfg_svc_parse_rejects(&svc, rows, M2M_ARRAY_LEN(rows));
	cfg_svc_shared_rejects(&svc); /* the engine's and the listener keys' */
	/* keys before any header are the CSE's: not a [mef] section, and not checked here */
	assert_int_equal(parse(&c, "mef-fqdx = 1\n", &found, err, sizeof(err)), M2M_OK);
	assert_false(found);
}

static void test_validate_names_the_line(void **state)
{
	const struct cfg_svc_row rows[] = {
		{"[mef]\nmef-fqdn = mef\n", "line 2: mef-fqdn must be an FQDN such as mef.example.com"},
		{"[mef]\nmef-fqdn = -a.example.com\n", "line 2: mef-fqdn must be an FQDN such as mef.example.com"},
		{"[mef]\nmef-fqdn = a..example.com\n", "line 2: mef-fqdn must be an FQDN such as mef.example.com"},
		{"[mef]\nmef-fqdn = a@example.com\n", "line 2: mef-fqdn must be an FQDN such as mef.example.com"},
		{"[mef]\nmef-fqdn = a.b\nest-uri = http://a.b/est\n",
		 "line 3: est-uri must be an https:// URI (the EST base, e.g. https://mef.example.com:8444/.well-known/est)"},
	};

	(void)state;
	cfg_svc_validate_rejects(&svc, rows, M2M_ARRAY_LEN(rows)); /* the listener keys: test_rejects */
}

/* maf-fqdns (TS-0003 §8.8.2.3): FQDNs one label under sp-id's FQDN, the DNS SANs the TLS layer
 * binds; anything else is refused at start with the key named. */
static void test_maf_fqdns(void **state)
{
	static const char *const bad[] = {
		"sp-id = //sp.example.com\nmaf-fqdns = maf.other.com\n",      /* outside the SP */
		"sp-id = //sp.example.com\nmaf-fqdns = a.maf.sp.example.com\n", /* deeper */
		"sp-id = //sp.example.com\nmaf-fqdns = sp.example.com\n",      /* the SP itself */
		"sp-id = //sp.example.com\nmaf-fqdns = *.sp.example.com\n",    /* wildcard */
		"maf-fqdns = maf.sp.example.com\n",                             /* no sp-id */
		"sp-id = //sp.example.com\nmaf-fqdns = maf.sp.example.com bad_x.sp.example.com\n",
	};
	m2m_mef_svc_config c;
	char err[256] = "", ini[512];

	(void)state;
	snprintf(ini, sizeof(ini), "[mef]\nmef-fqdn = mef.example.com\nsp-id = sp.example.com\n"
				   "maf-fqdns = maf.sp.example.com  MAF2.SP.example.com\n");
	assert_int_equal(parse(&c, ini, NULL, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.maf_fqdns, "maf.sp.example.com  MAF2.SP.example.com");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(ini, sizeof(ini), "[mef]\nmef-fqdn = mef.example.com\n%s", bad[i]);
		assert_int_equal(parse(&c, ini, NULL, err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, "maf-fqdns"));
	}
	m2m_mef_config_defaults(&c);
	assert_string_equal(c.maf_fqdns, "");
}

/* The console (docs/procedures/console.md) opens only with a CA and an identity for the admin
 * certificate and with the MEF's certificate: anything missing is refused, the key named. */
static void test_admin_listen(void **state)
{
	static const char *const bad[] = {
		"admin-listen = 127.0.0.1:8447\nadmin-ca = ca.crt\n",                     /* no identity */
		"admin-listen = 127.0.0.1:8447\nadmin-identity = admin.sp.example.com\n", /* no CA */
		"admin-listen = nowhere\nadmin-ca = ca.crt\nadmin-identity = a.sp.example.com\n",
	};
	m2m_mef_svc_config c;
	char err[256] = "", ini[512];

	(void)state;
	snprintf(ini, sizeof(ini), "[mef]\nmef-fqdn = mef.example.com\ncert = m.crt\nkey = m.key\ntrust-anchors = t.crt\n"
				   "admin-listen = 127.0.0.1:8447\nadmin-ca = ca.crt\nadmin-identity = admin.sp.example.com\n");
	assert_int_equal(parse(&c, ini, NULL, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.admin_identity, "admin.sp.example.com");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(ini, sizeof(ini), "[mef]\nmef-fqdn = mef.example.com\ncert = m.crt\nkey = m.key\ntrust-anchors = t.crt\n%s", bad[i]);
		assert_int_equal(parse(&c, ini, NULL, err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_mef_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, "admin-listen"));
	}
	m2m_mef_config_defaults(&c);
	assert_string_equal(c.admin_listen, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_validate_names_the_line),
		cmocka_unit_test(test_maf_fqdns),
		cmocka_unit_test(test_admin_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
