/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/config_cse.c (docs/config.md, [cse]): the CSE's
 * section in a file that also configures other services, and the keys of its association with
 * the MEF (mef-url, mef-ca, mef-cert, mef-key, mef-cache-seconds; TS-0003 §8.3.5) and of its
 * broker connection (mqtt-broker, mqtt-ca, mqtt-cert, mqtt-key; TS-0010 clause 7.3).
 */
#include <stdio.h>

#include "m2m_test.h"
#include "m2msec/config.h"

static m2m_err parse(m2m_cse_config *c, const char *text, char *err, size_t cap)
{
	m2m_cse_config_defaults(c);
	return m2m_cse_config_parse(c, text, strlen(text), err, cap);
}

/* Keys before any header are [cse]; [mef]/[maf]/[das] are skipped, even with keys the CSE does
 * not know; the CSE's own keys after a later [cse] header count, with their lines. */
static void test_multi_section(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const char *ini = "name = top\n[mef]\nmef-fqdn = mef.example.com\nname = not-the-cse\n"
			  "[maf]\nanything = 1\n[das]\n[cse]\ncse-id = /id-x\n";

	(void)state;
	assert_int_equal(parse(&c, ini, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.name, "top");
	assert_string_equal(c.cse_id, "/id-x");
	assert_int_equal(m2m_cse_config_line(&c, "name"), 1);
	assert_int_equal(m2m_cse_config_line(&c, "cse-id"), 9);
	/* the implicit section and an explicit [cse] are one section: a key twice is refused */
	assert_int_equal(parse(&c, "name = a\n[mef]\n[cse]\nname = b\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 4: key 'name' given twice");
	/* other sections still have to be INI */
	assert_int_equal(parse(&c, "[mef]\nnot a line\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: expected key = value");
	assert_int_equal(parse(&c, "[mef]\n[ca]\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: unknown section [ca]");
	/* a [mef] key in [cse] is a typo for the CSE */
	assert_int_equal(parse(&c, "[cse]\nmef-fqdn = x.y\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: unknown key 'mef-fqdn'");
}

static void test_mef_keys(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const char *ok = "psk-file = p\nmef-url = https://127.0.0.1:8444\nmef-ca = ca.pem\n"
			 "mef-cert = c.pem\nmef-key = k.pem\nmef-cache-seconds = 5\n";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_int_equal(c.mef_cache_seconds, 60);
	assert_string_equal(c.mef_url, "");
	assert_int_equal(parse(&c, ok, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.mef_url, "https://127.0.0.1:8444");
	assert_int_equal(c.mef_cache_seconds, 5);
	assert_int_equal(parse(&c, "mef-cache-seconds = -1\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_int_equal(parse(&c, "mef-cache-seconds = 86401\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'mef-cache-seconds'");
	/* asynchronous PSK lookup limits (docs/tls.md): defaults, range, exact refusal */
	assert_int_equal(c.psk_lookup_timeout_ms, 3000);
	assert_int_equal(c.psk_lookups_max, 256);
	assert_int_equal(parse(&c, "psk-lookup-timeout-ms = 500\npsk-lookups-max = 16\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(c.psk_lookup_timeout_ms, 500);
	assert_int_equal(c.psk_lookups_max, 16);
	assert_string_equal(c.mef_name, "");
	assert_int_equal(parse(&c, "psk-lookup-timeout-ms = 99\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'psk-lookup-timeout-ms'");
	assert_int_equal(parse(&c, "psk-lookups-max = 0\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'psk-lookups-max'");

	const struct { const char *ini; const char *want; } bad[] = {
		{"psk-file = p\nmef-url = https://127.0.0.1:8444\nmef-ca = a\nmef-cert = c\n",
		 "line 4: mef-cert and mef-key must be given together"},
		{"psk-file = p\nmef-url = https://127.0.0.1:8444\nmef-ca = a\nmef-key = k\n",
		 "line 4: mef-cert and mef-key must be given together"},
		{"psk-file = p\nmef-url = https://127.0.0.1:8444\n",
		 "line 2: mef-url needs mef-ca (the CA that authenticates the MEF)"},
		{"psk-file = p\nmef-url = http://127.0.0.1:8444\nmef-ca = a\n",
		 "line 2: mef-url must be https://HOST:PORT"},
		{"psk-file = p\nmef-url = https://mef.example.com\nmef-ca = a\n",
		 "line 2: mef-url must be https://HOST:PORT"},
		{"psk-file = p\nmef-ca = a\n", "line 2: needs mef-url"},
		{"psk-file = p\nmef-security-profile = true\n", "line 2: needs mef-url"},
		{"psk-file = p\nmef-url = https://127.0.0.1:8444\nmef-ca = a\nmef-cert = c\nmef-key = k\n"
		 "mef-name = 127.0.0.1\n",
		 "line 6: mef-name must be the MEF's FQDN such as mef.example.com"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		assert_int_equal(parse(&c, bad[i].ini, err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, bad[i].want);
	}
}

/* wss-listen (TS-0020, docs/websocket-binding.md): off by default; host:port; needs a credential
 * source like https-listen (TS-0020 clause 7: one of the SAEFs before the opening handshake). */
static void test_wss_listen(void **state)
{
	m2m_cse_config c;
	char err[256] = "";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.wss_listen, "off");
	assert_int_equal(parse(&c, "psk-file = p\nwss-listen = 127.0.0.1:8446\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.wss_listen, "127.0.0.1:8446");
	assert_int_equal(parse(&c, "psk-file = p\nwss-listen = nowhere\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: wss-listen must be host:port");
	assert_int_equal(parse(&c, "https-listen = off\nhttp-listen = 127.0.0.1:1\nwss-listen = 127.0.0.1:2\n", err,
			       sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 3: wss-listen needs psk-file, cred-store and/or cert + key");
}

/* Indirect dynamic authorization (docs/procedures/das.md "The CSE side"): ES256 only by default
 * (TS-0003 clause 7.3.2.6.3: "none" only when configured), a bounded token cache, das-token-uri
 * https only. */
static void test_token_keys(void **state)
{
	m2m_cse_config c;
	char err[256] = "";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.token_algorithms, "ES256");
	assert_int_equal(c.token_cache_size, 1024);
	assert_string_equal(c.das_trust, "");
	assert_string_equal(c.das_token_uri, "");
	assert_int_equal(parse(&c, "psk-file = p\ndas-trust = t.txt\ntoken-algorithms = ES256,none\n"
				   "token-cache-size = 7\ndas-token-uri = https://das.example.com/t\n", err, sizeof(err)),
			 M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.das_trust, "t.txt");
	assert_int_equal(c.token_cache_size, 7);
	assert_int_equal(parse(&c, "psk-file = p\ntoken-algorithms = HS256\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: token-algorithms must be a comma list of none, ES256, ES384, ES512");
	assert_int_equal(parse(&c, "psk-file = p\ndas-token-uri = http://das\n", err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: das-token-uri must be an https:// URI");
	assert_int_equal(parse(&c, "token-cache-size = 0\n", err, sizeof(err)), M2M_E_CONFIG);
}

/* TS-0010 clause 7.3: the CSE reaches its broker over TLS only, authenticates the broker (mqtt-ca)
 * and itself (mqtt-cert + mqtt-key); its CSE-ID must be a topic level (clause 6.4.2). Every
 * refusal names the line that made the configuration inconsistent. */
static void test_mqtt_keys(void **state)
{
	m2m_cse_config c;
	char err[256];
	const char *ok = "psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8883\nmqtt-ca = ca.pem\n"
			 "mqtt-cert = c.pem\nmqtt-key = k.pem\nmqtt-acl-enforced = true\n";
	const struct {
		const char *ini;
		const char *want;
	} rows[] = {
		{"psk-file = p\nmqtt-broker = mqtt://127.0.0.1:1883\nmqtt-ca = a\nmqtt-cert = c\nmqtt-key = k\n",
		 "line 2: mqtt-broker must be mqtts://HOST:PORT (or off)"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1\nmqtt-ca = a\nmqtt-cert = c\nmqtt-key = k\n",
		 "line 2: mqtt-broker must be mqtts://HOST:PORT (or off)"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:0\nmqtt-ca = a\nmqtt-cert = c\nmqtt-key = k\n",
		 "line 2: mqtt-broker must be mqtts://HOST:PORT (or off)"},
		{"psk-file = p\nmqtt-broker = 127.0.0.1:8883\nmqtt-ca = a\nmqtt-cert = c\nmqtt-key = k\n",
		 "line 2: mqtt-broker must be mqtts://HOST:PORT (or off)"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8883\nmqtt-cert = c\nmqtt-key = k\n",
		 "line 2: mqtt-broker needs mqtt-ca"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8883\nmqtt-ca = a\n",
		 "line 2: mqtt-broker needs mqtt-cert and mqtt-key"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8883\nmqtt-ca = a\nmqtt-cert = c\n",
		 "line 4: mqtt-cert and mqtt-key must be given together"},
		{"psk-file = p\nmqtt-key = k\n", "line 2: mqtt-cert and mqtt-key must be given together"},
		{"psk-file = p\nmqtt-ca = a\n", "line 2: needs mqtt-broker"},
		{"psk-file = p\nmqtt-cert = c\nmqtt-key = k\n", "line 2: needs mqtt-broker"},
		{"psk-file = p\nmqtt-broker = off\nmqtt-ca = a\n", "line 3: needs mqtt-broker"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8883\nmqtt-ca = a\nmqtt-cert = c\nmqtt-key = k\n",
		 "line 2: mqtt-broker needs mqtt-acl-enforced = true"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8883\nmqtt-ca = a\nmqtt-cert = c\nmqtt-key = k\n"
		 "mqtt-acl-enforced = false\n",
		 "line 2: mqtt-broker needs mqtt-acl-enforced = true"},
		{"psk-file = p\nmqtt-acl-enforced = true\n", "line 2: needs mqtt-broker"},
		{"cse-id = /id+x\npsk-file = p\nmqtt-broker = mqtts://h.example:8883\nmqtt-ca = a\nmqtt-cert = c\n"
		 "mqtt-key = k\nmqtt-acl-enforced = true\n",
		 "line 1: cse-id cannot be an MQTT topic level"},
		{"cse-id = /id:x\npsk-file = p\nmqtt-broker = mqtts://h.example:8883\nmqtt-ca = a\nmqtt-cert = c\n"
		 "mqtt-key = k\nmqtt-acl-enforced = true\n",
		 "line 1: cse-id cannot be an MQTT topic level"},
		/* a PSK towards the broker (TS-0010 7.3 "any SAEF"): identity + key file, alone */
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-psk-identity = kpsa-cse@sp.example\n"
		 "mqtt-acl-enforced = true\n",
		 "line 3: mqtt-psk-identity and mqtt-psk-file must be given together"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-psk-file = k.hex\n",
		 "line 3: mqtt-psk-identity and mqtt-psk-file must be given together"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-psk-identity = i@sp.example\n"
		 "mqtt-psk-file = k.hex\nmqtt-cert = c\nmqtt-key = k\nmqtt-acl-enforced = true\n",
		 "line 3: the CSE authenticates to its broker with mqtt-cert or with a PSK, not both"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-ca = a\nmqtt-psk-identity = i@sp.example\n"
		 "mqtt-psk-file = k.hex\nmqtt-acl-enforced = true\n",
		 "line 3: mqtt-ca is not used with a PSK"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-psk-identity = a:b\n"
		 "mqtt-psk-file = k.hex\nmqtt-acl-enforced = true\n",
		 "line 3: mqtt-psk-identity must be printable ASCII without space or ':'"},
		{"psk-file = p\nmqtt-psk-identity = i@sp.example\nmqtt-psk-file = k.hex\n", "line 2: needs mqtt-broker"},
		{"psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-psk-identity = i@sp.example\n"
		 "mqtt-psk-file = k.hex\n",
		 "line 2: mqtt-broker needs mqtt-acl-enforced = true"},
	};
	const char *ok_psk = "psk-file = p\nmqtt-broker = mqtts://127.0.0.1:8884\nmqtt-psk-identity = i@sp.example\n"
			     "mqtt-psk-file = k.hex\nmqtt-acl-enforced = true\n";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_int_equal(parse(&c, ok_psk, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.mqtt_psk_identity, "i@sp.example");
	assert_string_equal(c.mqtt_psk_file, "k.hex");
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.mqtt_broker, "off");
	assert_string_equal(c.mqtt_ca, "");
	assert_false(c.mqtt_acl_enforced);
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(parse(&c, rows[i].ini, err, sizeof(err)), M2M_OK);
		err[0] = '\0';
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		if (strstr(err, rows[i].want) == NULL)
			fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].want);
	}
	assert_int_equal(parse(&c, ok, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.mqtt_broker, "mqtts://127.0.0.1:8883");
	assert_string_equal(c.mqtt_ca, "ca.pem");
	assert_string_equal(c.mqtt_cert, "c.pem");
	assert_string_equal(c.mqtt_key, "k.pem");
	assert_true(c.mqtt_acl_enforced);
	assert_int_equal(parse(&c, "mqtt-broker = off\nmqtt-broker = off\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 2: key 'mqtt-broker' given twice");
}

/* registrar* (docs/procedures/transit.md): the Registree's association with its Registrar. */
static void test_registrar_keys(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const char *ok = "cse-id = /id-mn\npsk-file = p\nregistrar = https://127.0.0.1:8443\nregistrar-ca = ca.pem\n"
			 "registrar-cert = c.pem\nregistrar-key = k.pem\nregistrar-cse-id = /id-in\n";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.registrar, "");
	assert_int_equal(parse(&c, ok, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.registrar_cse_id, "/id-in");
	{
		m2m_cse_config p;
		m2m_cse_config_defaults(&p);
		assert_int_equal(p.forward_timeout_ms, 5000);
		assert_int_equal(parse(&p, "cse-id = /id-mn\npsk-file = p\nregistrar = https://127.0.0.1:8443\n"
					   "registrar-ca = ca.pem\nregistrar-cse-id = /id-in\nregistrar-psk-identity = "
					   "kpsa-mn@sp\nregistrar-psk-file = mn.psk\npoa = https://127.0.0.1:9443\n"
					   "forward-ca = a\nforward-cert = c\nforward-key = k\nforward-timeout = 800\n",
				       err, sizeof(err)),
				 M2M_OK);
		assert_int_equal(m2m_cse_config_validate(&p, err, sizeof(err)), M2M_OK);
		assert_string_equal(p.registrar_psk_identity, "kpsa-mn@sp");
		assert_int_equal(p.forward_timeout_ms, 800);
	}
	const struct { const char *ini; const char *want; } bad[] = {
		{"psk-file = p\nregistrar-ca = a\n", "line 2: needs registrar"},
		{"psk-file = p\nregistrar-cse-id = /id-in\n", "line 2: needs registrar"},
		{"psk-file = p\nregistrar = http://127.0.0.1:1\n", "line 2: registrar must be https://HOST:PORT"},
		{"psk-file = p\nregistrar = https://127.0.0.1:1\nregistrar-ca = a\nregistrar-cert = c\n",
		 "line 2: registrar needs registrar-ca and registrar-cert + registrar-key (or the registrar-psk-*)"},
		{"psk-file = p\nregistrar-psk-identity = kpsa@sp\n", "line 2: needs registrar"},
		{"psk-file = p\nregistrar = https://127.0.0.1:1\nregistrar-ca = a\nregistrar-psk-identity = i\n",
		 "line 4: registrar-psk-identity and registrar-psk-file go together, instead of registrar-cert and "
		 "registrar-key"},
		{"psk-file = p\nregistrar = https://127.0.0.1:1\nregistrar-ca = a\nregistrar-psk-identity = i\n"
		 "registrar-psk-file = f\nregistrar-cert = c\nregistrar-key = k\n",
		 "line 4: registrar-psk-identity and registrar-psk-file go together, instead of registrar-cert and "
		 "registrar-key"},
		{"psk-file = p\nforward-ca = a\nforward-cert = c\n",
		 "forward-ca, forward-cert and forward-key must be given together"}, /* forward-key: no line */
		{"psk-file = p\npoa = http://127.0.0.1:1\n", "line 2: poa must be https://HOST:PORT"},
		{"psk-file = p\nregistrar = https://127.0.0.1:1\nregistrar-ca = a\nregistrar-cert = c\n"
		 "registrar-key = k\nregistrar-cse-id = /id-in\n", /* this CSE's own CSE-ID */
		 "line 6: registrar-cse-id must be the Registrar's SP-relative CSE-ID such as /id-in"},
		{"cse-id = /id-mn\npsk-file = p\nregistrar = https://127.0.0.1:1\nregistrar-ca = a\n"
		 "registrar-cert = c\nregistrar-key = k\nregistrar-cse-id = id-in\n",
		 "line 7: registrar-cse-id must be the Registrar's SP-relative CSE-ID such as /id-in"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		assert_int_equal(parse(&c, bad[i].ini, err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, bad[i].want);
	}
}

/* The CSE as NAF (docs/procedures/gba.md "Zn"): bsf-url with its three files, gba-naf-key. */
static void test_bsf_keys(void **state)
{
	m2m_cse_config c;
	char err[256] = "";
	const char *ok = "psk-file = p\nbsf-url = https://127.0.0.1:8444\nbsf-ca = ca.pem\nbsf-cert = c.pem\n"
			 "bsf-key = k.pem\nbsf-name = mef.example.com\nbsf-cache-seconds = 5\ngba-naf-key = ks-int-naf\n";

	(void)state;
	m2m_cse_config_defaults(&c);
	assert_string_equal(c.bsf_url, "");
	assert_string_equal(c.gba_naf_key, "ks-naf");
	assert_int_equal(c.bsf_cache_seconds, 60);
	assert_int_equal(parse(&c, ok, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_OK);
	assert_string_equal(c.bsf_name, "mef.example.com");
	assert_int_equal(c.bsf_cache_seconds, 5);
	assert_string_equal(c.gba_naf_key, "ks-int-naf");
	const struct { const char *ini; const char *want; } bad[] = {
		{"psk-file = p\nbsf-ca = a\n", "line 2: needs bsf-url"},
		{"psk-file = p\nbsf-name = mef.example.com\n", "line 2: needs bsf-url"},
		{"psk-file = p\nbsf-url = http://127.0.0.1:1\n", "line 2: bsf-url must be https://HOST:PORT"},
		{"psk-file = p\nbsf-url = https://127.0.0.1:1\nbsf-ca = a\nbsf-cert = c\n",
		 "line 2: bsf-url needs bsf-ca, bsf-cert and bsf-key (Zn is mutually authenticated)"},
		{"psk-file = p\nbsf-url = https://127.0.0.1:1\nbsf-ca = a\nbsf-cert = c\nbsf-key = k\n"
		 "bsf-name = not an fqdn\n",
		 "line 6: bsf-name must be the BSF's FQDN such as mef.example.com"},
		{"psk-file = p\ngba-naf-key = gba-u\n", "line 2: gba-naf-key must be ks-naf, ks-ext-naf or ks-int-naf"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		assert_int_equal(parse(&c, bad[i].ini, err, sizeof(err)), M2M_OK);
		assert_int_equal(m2m_cse_config_validate(&c, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, bad[i].want);
	}
}

/* The store threads of a PostgreSQL store (docs/config.md, docs/architecture.md): defaults,
 * 0 = off, ranges refused with the key named. */
static void test_store_thread_keys(void **state)
{
	m2m_cse_config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, "", err, sizeof(err)), M2M_OK);
	assert_int_equal(c.store_threads, 4);
	assert_int_equal(c.store_queue, 1024);
	assert_int_equal(c.store_queue_ms, 5000);
	assert_int_equal(parse(&c, "store-threads = 0\nstore-queue = 1\nstore-queue-ms = 300\n", err, sizeof(err)),
			 M2M_OK);
	assert_int_equal(c.store_threads, 0);
	assert_int_equal(c.store_queue, 1);
	assert_int_equal(c.store_queue_ms, 300);
	assert_int_equal(parse(&c, "store-threads = 65\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'store-threads'");
	assert_int_equal(parse(&c, "store-queue = 0\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'store-queue'");
	assert_int_equal(parse(&c, "store-queue-ms = 0\n", err, sizeof(err)), M2M_E_CONFIG);
	assert_string_equal(err, "line 1: invalid value for 'store-queue-ms'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_section),
		cmocka_unit_test(test_mef_keys),
		cmocka_unit_test(test_wss_listen),
		cmocka_unit_test(test_mqtt_keys),
		cmocka_unit_test(test_token_keys),
		cmocka_unit_test(test_registrar_keys),
		cmocka_unit_test(test_bsf_keys),
		cmocka_unit_test(test_store_thread_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
