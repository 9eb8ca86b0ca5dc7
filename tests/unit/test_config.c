/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/config.c (docs/config.md): strict INI parsing, through
 * the CSE's public API and through the engine with a table of its own. */
#include <stdio.h>

#include "m2m_test.h"
#include "core/config_int.h"
#include "m2msec/config.h"

static m2m_err parse(m2m_cse_config *c, const char *text, char *err, size_t cap)
{
	m2m_cse_config_defaults(c);
	return m2m_cse_config_parse(c, text, strlen(text), err, cap);
}

static void test_defaults_are_strict(void **state)
{
	m2m_cse_config c;
	char err[256];
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.cse_id, "/id-in");
	assert_string_equal(c.name, "cse-in");
	assert_string_equal(c.https_listen, "127.0.0.1:8443");
	assert_string_equal(c.http_listen, "off");
	assert_string_equal(c.admin_originator, "CAdmin");
	assert_false(c.admin_plain_http);
	/* defaults alone have no credential for the TLS listener: refused, not opened insecurely */
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "psk-file"));
}

static void test_parse_all_keys(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const char *ini = "# comment\n[cse]\ncse-id = /id-x\nname=cse-x\nsp-id = //sp.example.com\n"
			  "store = /tmp/x.db\nhttps-listen = [::1]:9443\nhttp-listen = 127.0.0.1:8080\n"
			  "cert = c.pem\nkey = k.pem\ntrust-anchors = ta.pem\npsk-file = psk.txt\n"
			  "admin-originator = CRoot\ndev-admin-over-plain-http = on\ntls13 = false\n"
			  "threads = 2\nmax-body = 4096\nmax-header = 2048\n"
			  "log-level = debug\nlog-file = /tmp/l.log\n; end\n";
	assert_int_equal(parse(&c, ini, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.cse_id, "/id-x");
	assert_string_equal(c.https_listen, "[::1]:9443");
	assert_true(c.admin_plain_http);
	assert_false(c.tls13);
	assert_int_equal(c.threads, 2);
	assert_int_equal(c.max_body, 4096);
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
}

static void test_rejects(void **state)
{
	m2m_cse_config c;
	char err[256];
	const struct { const char *ini; const char *want; } rows[] = {
		{"nmae = x\n", "line 1: unknown key 'nmae'"},
		{"name = a\nname = b\n", "line 2: key 'name' given twice"},
		{"\n\ntls13 = maybe\n", "line 3: invalid value for 'tls13'"},
		{"threads = -1\n", "invalid value"},
		{"max-body = 12abc\n", "invalid value"},
		{"log-level = loud\n", "invalid value"},
		{"just a line\n", "expected key = value"},
		{"[mfe]\n", "line 1: unknown section [mfe]"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&c, rows[i].ini, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, rows[i].want));
	}
}

/* service-subscription = off|enforce (docs/config.md), default off; anything else refused. */
static void test_service_subscription(void **state)
{
	m2m_cse_config c;
	char err[256];

	m2m_cse_config_defaults(&c);
	assert_false(c.service_subscription);
	assert_int_equal(parse(&c, "service-subscription = enforce\n", err, sizeof(err)), M2M_OK);
	assert_true(c.service_subscription);
	assert_int_equal(parse(&c, "service-subscription = off\n", err, sizeof(err)), M2M_OK);
	assert_false(c.service_subscription);
	assert_int_equal(parse(&c, "service-subscription = on\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "line 1: invalid value for 'service-subscription'"));
	assert_int_equal(parse(&c, "service-subscription = true\n", err, sizeof(err)), M2M_E_CONFIG);
}

static void test_validate(void **state)
{
	m2m_cse_config c;
	char err[256];
	const struct { const char *ini; const char *want; } rows[] = {
		{"psk-file = p\nhttp-listen = 0.0.0.0:8080\n", "loopback"},
		{"psk-file = p\nhttp-listen = 10.1.2.3:8080\n", "loopback"},
		{"psk-file = p\ndev-admin-over-plain-http = on\n", "needs a loopback http-listen"},
		{"psk-file = p\ncse-id = id-in\n", "cse-id"},
		{"psk-file = p\nsp-id = sp.example.com/x\n", "line 2: sp-id"},
		{"psk-file = p\nsp-id = //localhost\n", "line 2: sp-id"},
		{"psk-file = p\ncert = c.pem\n", "line 2: cert and key must be given together"},
		{"psk-file = p\nhttps-listen = nonsense\n", "https-listen"},
		{"psk-file = p\nadmin-originator = admin\n", "admin-originator"},
		{"https-listen = off\n", "no listener"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(parse(&c, rows[i].ini, err, sizeof(err)), M2M_OK);
		err[0] = '\0';
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, rows[i].want));
	}
	assert_int_equal(parse(&c, "https-listen = off\nhttp-listen = localhost:8080\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
}

/* docs/config.md: errors name the line; cross-field ones name the line that set the key at fault
 * (a key left at its default has no line, so the message names the key only). */
static void test_validate_names_the_line(void **state)
{
	m2m_cse_config c;
	char err[256];
	const struct { const char *ini; const char *want; } rows[] = {
		{"# c\n\nkey = k.pem\npsk-file = p\n", "line 3: cert and key must be given together"},
		{"psk-file = p\n\nhttp-listen = 0.0.0.0:1\n", "line 3: http-listen must be a loopback"},
		{"psk-file = p\ndev-admin-over-plain-http = on\n", "line 2: dev-admin-over-plain-http needs"},
		{"name = x\n\n\n\nhttps-listen = 127.0.0.1:1\n", "line 5: https-listen needs psk-file"},
		{"name = x\nhttps-listen = off\n", "line 2: no listener"},
		{"psk-file = p\n\ncse-id = x\n", "line 3: cse-id must be"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(parse(&c, rows[i].ini, err, sizeof(err)), M2M_OK);
		err[0] = '\0';
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		if (strstr(err, rows[i].want) == NULL)
			fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].want);
	}
	/* a key at its default: no line number is invented */
	assert_int_equal(parse(&c, "name = x\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "https-listen needs psk-file, cred-store and/or cert + key");
	assert_int_equal(m2m_cse_config_line(&c, "name"), 1);
	assert_int_equal(m2m_cse_config_line(&c, "cert"), 0);
	assert_int_equal(m2m_cse_config_line(&c, "no-such-key"), 0);
}

/* TS-0001 Table 7.2-1 writes the SP-ID //FQDN; the bare FQDN is accepted and normalised. */
static void test_sp_id_bare_fqdn(void **state)
{
	m2m_cse_config c;
	char err[256];
	assert_int_equal(parse(&c, "psk-file = p\nsp-id = sp.example.com\n", err, sizeof(err)), M2M_OK);
	assert_string_equal(c.sp_id, "//sp.example.com");
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_int_equal(parse(&c, "psk-file = p\nsp-id = //sp.example.com\n", err, sizeof(err)), M2M_OK);
	assert_string_equal(c.sp_id, "//sp.example.com");
	/* a value that only fits without the two slashes is too long, not truncated */
	{
		char ini[M2M_CFG_STR + 32];
		char v[M2M_CFG_STR];
		memset(v, 'a', sizeof(v) - 2);
		v[sizeof(v) - 2] = '\0';
		v[5] = '.';
		snprintf(ini, sizeof(ini), "sp-id = %s\n", v);
		assert_int_equal(parse(&c, ini, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, "line 1: invalid value for 'sp-id'"));
	}
}

/* Denial-of-service limits and the request log (issue 6 §3, §5). */
static void test_limits_and_log_keys(void **state)
{
	m2m_cse_config c;
	char err[256] = "";

	m2m_cse_config_defaults(&c);
	assert_int_equal(c.max_connections, 0); /* derived from RLIMIT_NOFILE */
	assert_int_equal(c.max_connections_per_address, 0);
	assert_int_equal(c.header_timeout, 10);
	assert_true(c.log_requests);
	assert_int_equal(parse(&c, "psk-file = p\nmax-connections = 5000\nmax-connections-per-address = 64\n"
				   "header-timeout = 3\nlog-requests = false\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(c.max_connections, 5000);
	assert_int_equal(c.max_connections_per_address, 64);
	assert_int_equal(c.header_timeout, 3);
	assert_false(c.log_requests);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_int_equal(parse(&c, "max-connections = -1\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_int_equal(parse(&c, "log-requests = sometimes\n", err, sizeof(err)), M2M_E_CONFIG);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(parse(&c, i ? "psk-file = p\nheader-timeout = 3601\n" : "psk-file = p\nheader-timeout = 0\n",
				       err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, "header-timeout"));
	}
	(void)state;
}

static void test_listen_split(void **state)
{
	char h[64];
	int p;
	assert_int_equal(m2m_config_split_listen("127.0.0.1:8443", h, sizeof(h), &p), M2M_OK);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(p, 8443);
	assert_int_equal(m2m_config_split_listen("[::1]:0", h, sizeof(h), &p), M2M_OK);
	assert_string_equal(h, "::1");
	assert_int_equal(m2m_config_split_listen("::1:80", h, sizeof(h), &p), M2M_E_CONFIG);
	assert_int_equal(m2m_config_split_listen("host:99999", h, sizeof(h), &p), M2M_E_CONFIG);
	assert_int_equal(m2m_config_split_listen(":80", h, sizeof(h), &p), M2M_E_CONFIG);
	assert_true(m2m_config_is_loopback("127.0.0.1"));
	assert_true(m2m_config_is_loopback("127.1.2.3"));
	assert_true(m2m_config_is_loopback("::1"));
	assert_false(m2m_config_is_loopback("127.0.0.1.evil.com"));
	assert_false(m2m_config_is_loopback("0.0.0.0"));
	assert_false(m2m_config_is_loopback("128.0.0.1"));
}

/* The discovery bounds (docs/config.md): defaults, parsing, and 0 refused. */
static void test_discovery_keys(void **state)
{
	m2m_cse_config c;
	char err[256];

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_int_equal(c.discovery_scan_max, 10000);
	assert_int_equal(c.discovery_lim_default, 1000);
	assert_int_equal(parse(&c, "psk-file = p\ndiscovery-scan-max = 50\ndiscovery-lim-default = 7\n", err,
			       sizeof(err)),
			 M2M_OK);
	assert_int_equal(c.discovery_scan_max, 50);
	assert_int_equal(c.discovery_lim_default, 7);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_int_equal(parse(&c, "discovery-scan-max = -5\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_int_equal(parse(&c, "psk-file = p\ndiscovery-scan-max = 0\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "discovery-scan-max"));
	assert_int_equal(parse(&c, "psk-file = p\ndiscovery-lim-default = 0\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_non_null(strstr(err, "discovery-lim-default"));
}

/* The engine alone (core/config_int.h), with a table of its own for the [das] section: types,
 * ranges, string capacity, per-key lines, skipped and unknown sections. */
struct eng_cfg {
	unsigned key_line[M2M_CFG_MAX_KEYS];
	char s[4];
	int n;
	size_t z;
	bool b;
	char lvl[8];
};

#define E struct eng_cfg
static const struct m2mi_cfg_key eng_keys[] = {
	M2MI_STR(E, "s", s),
	M2MI_INT(E, "n", n, 5, 10),
	M2MI_SIZE(E, "z", z, 256, 1024),
	M2MI_KEY(E, "b", M2MI_CFG_BOOL, b),
	M2MI_LEVEL(E, "lvl", lvl),
};
static const struct m2mi_cfg_section eng_sec = {"das", eng_keys, M2M_ARRAY_LEN(eng_keys), offsetof(E, key_line),
						false};

static m2m_err eng_parse(E *c, const char *text, bool *found, char *err, size_t cap)
{
	memset(c, 0, sizeof(*c));
	return m2mi_cfg_parse(c, &eng_sec, text, strlen(text), found, err, cap);
}

static void test_engine(void **state)
{
	E c;
	bool found;
	char err[256] = "", big[1200];
	const char *ok = "s = top\n; the implicit section is the CSE's, not [das]\n[cse]\nn = 1\n[mef]\n"
			 "[das]\n  s =  abc \t\nn=10\nz = 1024\nb = yes\nlvl = warn\n[maf]\nq = 1\n";
	const struct { const char *ini; const char *want; } rows[] = {
		{"[das]\ns = abcd\n", "line 2: invalid value for 's'"},      /* does not fit in 4 bytes */
		{"[das]\nn = 4\n", "line 2: invalid value for 'n'"},
		{"[das]\nn = 11\n", "line 2: invalid value for 'n'"},
		{"[das]\nn = 99999999999999999999\n", "line 2: invalid value for 'n'"},
		{"[das]\nz = 255\n", "line 2: invalid value for 'z'"},
		{"[das]\nz = -300\n", "line 2: invalid value for 'z'"},
		{"[das]\nb = maybe\n", "line 2: invalid value for 'b'"},
		{"[das]\nlvl = verbose\n", "line 2: invalid value for 'lvl'"},
		{"[das]\nx = 1\n", "line 2: unknown key 'x'"},
		{"[das]\nn = 5\n\n[cse]\n[das]\nn = 6\n", "line 6: key 'n' given twice"},
		{"[DAS]\n", "line 1: unknown section [DAS]"},
		{"[das\n", "line 1: unknown section [das"},
		{"[]\n", "line 1: unknown section []"},
		{"[cse]\n=\n[das]\n = 1\n", "line 4: unknown key ''"},
	};

	(void)state;
	assert_int_equal(eng_parse(&c, ok, &found, err, sizeof(err)), M2M_OK);
	assert_true(found);
	assert_string_equal(c.s, "abc");
	assert_int_equal(c.n, 10);
	assert_int_equal(c.z, 1024);
	assert_true(c.b);
	assert_string_equal(c.lvl, "warn");
	assert_int_equal(m2mi_cfg_line(&c, &eng_sec, "s"), 7);
	assert_int_equal(m2mi_cfg_line(&c, &eng_sec, "lvl"), 11);
	assert_int_equal(m2mi_cfg_line(&c, &eng_sec, "nope"), 0);
	assert_int_equal(m2mi_cfg_fail_at(&c, &eng_sec, err, sizeof(err), "n", "n is %d", c.n), M2M_E_CONFIG);
	assert_string_equal(err, "line 8: n is 10");
	memset(c.key_line, 0, sizeof(c.key_line));
	assert_int_equal(m2mi_cfg_fail_at(&c, &eng_sec, err, sizeof(err), "n", "default"), M2M_E_CONFIG);
	assert_string_equal(err, "default");
	/* a header alone is a section found; no header, no section */
	assert_int_equal(eng_parse(&c, "[das]\n", &found, err, sizeof(err)), M2M_OK);
	assert_true(found);
	assert_int_equal(eng_parse(&c, "s = x\n[mef]\n", &found, err, sizeof(err)), M2M_OK);
	assert_false(found);
	assert_string_equal(c.s, "");
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(eng_parse(&c, rows[i].ini, NULL, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, rows[i].want);
	}
	assert_int_equal(m2mi_cfg_parse(&c, &eng_sec, "[das]\0", 6, NULL, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 0: configuration contains a NUL byte");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(eng_parse(&c, big, NULL, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: line too long");
	assert_int_equal(m2mi_cfg_parse(NULL, &eng_sec, "", 0, NULL, err, sizeof(err)), M2M_E_INVAL);
	assert_int_equal(m2mi_cfg_parse(&c, &eng_sec, NULL, 3, NULL, err, sizeof(err)), M2M_E_INVAL);
	assert_int_equal(m2mi_cfg_parse(&c, &eng_sec, NULL, 0, NULL, err, sizeof(err)), M2M_OK);
}

/* store-sync (docs/config.md): normal by default, full on request, anything else is an error
 * that names the key and the line. */
static void test_store_sync(void **state)
{
	static const char *const bad[] = {"store-sync = FULL\n", "store-sync = off\n", "store-sync =\n",
					  "store-sync = full full\n", "store-sync = extra\n"};
	m2m_cse_config c;
	char err[256] = "";

	m2m_cse_config_defaults(&c);
	assert_false(c.store_sync_full);
	assert_int_equal(parse(&c, "store-sync = full\n", err, sizeof(err)), M2M_OK);
	assert_true(c.store_sync_full);
	assert_int_equal(parse(&c, "store-sync=normal\n", err, sizeof(err)), M2M_OK);
	assert_false(c.store_sync_full);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&c, bad[i], err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, "line 1: invalid value for 'store-sync'");
	}
	assert_int_equal(parse(&c, "threads = 2\n\nstore-sync = fsync\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 3: invalid value for 'store-sync'");
	assert_int_equal(parse(&c, "store-sync = full\nstore-sync = normal\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: key 'store-sync' given twice");
}

/* The CoAP binding's listeners (TS-0008 clause 7, docs/config.md): coap-listen is loopback only
 * like http-listen; coaps-listen needs a way to authenticate clients (a PSK source or trust
 * anchors) and the HTTPS listener whose policy it shares. */
static void test_coap_listen_keys(void **state)
{
	m2m_cse_config c;
	char err[256];
	const struct { const char *ini; const char *want; } rows[] = {
		{"psk-file = p\ncoap-listen = 0.0.0.0:5683\n", "line 2: coap-listen must be a loopback"},
		{"psk-file = p\ncoap-listen = 10.0.0.1:5683\n", "line 2: coap-listen must be a loopback"},
		{"psk-file = p\ncoap-listen = nonsense\n", "line 2: coap-listen must be host:port"},
		{"psk-file = p\ncoaps-listen = nonsense\n", "line 2: coaps-listen must be host:port"},
		{"cert = c\nkey = k\ncoaps-listen = 127.0.0.1:5684\n", "line 3: coaps-listen needs psk-file, cred-store"},
		{"psk-file = p\nhttp-listen = 127.0.0.1:1\nhttps-listen = off\ncoaps-listen = 127.0.0.1:5684\n",
		 "line 4: coaps-listen needs https-listen"},
	};
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.coaps_listen, "off");
	assert_string_equal(c.coap_listen, "off");
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(parse(&c, rows[i].ini, err, sizeof(err)), M2M_OK);
		err[0] = '\0';
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		if (strstr(err, rows[i].want) == NULL)
			fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].want);
	}
	assert_int_equal(parse(&c, "psk-file = p\ncoaps-listen = 0.0.0.0:5684\ncoap-listen = [::1]:5683\n", err,
			       sizeof(err)), M2M_OK);
	assert_string_equal(c.coaps_listen, "0.0.0.0:5684");
	assert_string_equal(c.coap_listen, "[::1]:5683");
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	/* certificates alone (TS-0003 8.2.2.2 over DTLS): trust anchors are a way to authenticate */
	assert_int_equal(parse(&c, "cert = c\nkey = k\ntrust-anchors = t\ncoaps-listen = 127.0.0.1:5684\n", err,
			       sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_int_equal(parse(&c, "coap-listen = 127.0.0.1:1\ncoap-listen = 127.0.0.1:2\n", err, sizeof(err)),
			 M2M_E_CONFIG);
	assert_string_equal(err, "line 2: key 'coap-listen' given twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_strict),
		cmocka_unit_test(test_parse_all_keys),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_service_subscription),
		cmocka_unit_test(test_validate_names_the_line),
		cmocka_unit_test(test_sp_id_bare_fqdn),
		cmocka_unit_test(test_listen_split),
		cmocka_unit_test(test_discovery_keys),
		cmocka_unit_test(test_limits_and_log_keys),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_store_sync),
		cmocka_unit_test(test_coap_listen_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
