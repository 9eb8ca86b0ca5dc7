/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/config.c (docs/config.md): strict INI parsing. */
#include "m2m_test.h"
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
		{"[mef]\n", "unknown section"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&c, rows[i].ini, err, sizeof(err)), M2M_E_CONFIG);
		assert_non_null(strstr(err, rows[i].want));
	}
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
		{"psk-file = p\nsp-id = sp.example.com\n", "sp-id"},
		{"psk-file = p\ncert = c.pem\n", "together"},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_strict),
		cmocka_unit_test(test_parse_all_keys),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_listen_split),
		cmocka_unit_test(test_store_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
