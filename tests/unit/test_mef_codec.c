/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/mef_codec.c (TS-0003 Tables 12.4.2-1, 12.4.3-1,
 * 12.3.2.4-1, clause 8.3.2.1): strict body codecs, unknown members and wrong types refused.
 */
#include <strings.h>

#include "mef_fixture.h"
#include "core/mef_codec.h"

static json_t *j(const char *s)
{
	json_t *v = json_loads(s, 0, NULL);
	assert_non_null(v);
	return v;
}

static void test_codec(void **state)
{
	m2mi_mef_client_reg c;
	m2mi_mef_key_reg k;
	json_t *v;
	int64_t id, t;
	int st, suid;
	char keid[128];

	(void)state;
	v = j("{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"httpPort\":80,\"labels\":[\"x\"]}}");
	assert_int_equal(m2mi_mef_parse_client_reg(v, false, &c), M2M_OK);
	assert_int_equal(c.http_port, 80);
	assert_int_equal(m2mi_mef_parse_client_reg(v, true, &c), M2M_E_PROTO);
	json_decref(v);
	v = j("{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"httpPort\":443}}");
	assert_int_equal(m2mi_mef_parse_client_reg(v, false, &c), M2M_E_PROTO);
	json_decref(v);
	v = j("{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22,\"targetIDs\":[\"/cse-in\"]}}");
	assert_int_equal(m2mi_mef_parse_key_reg(v, false, &k), M2M_OK);
	assert_int_equal(k.ntargets, 1);
	json_decref(v);
	v = j("{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":99}}");
	assert_int_equal(m2mi_mef_parse_key_reg(v, false, &k), M2M_E_PROTO);
	json_decref(v);
	v = j("{\"sec:mefClientCmd\":{\"cmdID\":1,\"cmdStatusCode\":20}}");
	assert_int_equal(m2mi_mef_parse_cmd_update(v, &id, &st), M2M_OK);
	assert_int_equal(st, 20);
	json_decref(v);
	v = j("{\"sec:mefClientCmd\":{\"cmdID\":\"1\",\"cmdStatusCode\":20}}");
	assert_int_equal(m2mi_mef_parse_cmd_update(v, &id, &st), M2M_E_PROTO);
	json_decref(v);
	assert_true(m2mi_mef_client_status_ok(305));
	assert_false(m2mi_mef_client_status_ok(10));
	assert_int_equal(m2mi_mef_parse_fetch_path("/fetchCredentials/0123456789abcdef0123456789ABCDEF@MEF.example.com/22",
						   keid, sizeof(keid), &suid), M2M_OK);
	assert_string_equal(keid, "0123456789ABCDEF0123456789ABCDEF@mef.example.com");
	assert_int_equal(m2mi_mef_parse_fetch_path("fetchCredentials/x@mef.example.com/22", keid, sizeof(keid), &suid), M2M_E_PROTO);
	assert_int_equal(m2mi_mef_parse_fetch_path("fetchCredentials/0123456789abcdef0123456789ABCDEF@mef.example.com/022",
						   keid, sizeof(keid), &suid), M2M_E_PROTO);
	assert_int_equal(m2mi_mef_ts_parse("20270115T080000", &t), M2M_OK);
	assert_int_equal(m2mi_mef_ts_parse("20270231T080000", &t), M2M_E_PROTO);
}

/* Every refusal of the strict parsers (each is a 4000 at the service). */
static void test_codec_refusals(void **state)
{
	static const char *const bad_reg[] = {
		"{}",
		"{\"sec:clientRegCfg\":[]}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\"}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\"},\"x\":1}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"*.example.com\",\"adminFQDN\":\"a.example.com\"}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"labels\":\"x\"}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"labels\":[1]}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"labels\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"httpPort\":-1}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"certEnrolInd\":1}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"expirationTime\":\"2027\"}}",
		"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"enroleeID\":\"\"}}",
	};
	static const char *const bad_key[] = {
		"{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":\"22\"}}",
		"{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22,\"targetIDs\":[]}}",
		"{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22,\"targetIDs\":[\"mef.example.com\"]}}",
		"{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22,\"keyValue\":\"zz112233445566778899aabbccddeeff\"}}",
		"{\"sec:keyRegCfg\":{\"SUID\":22}}",
	};
	m2mi_mef_client_reg c;
	m2mi_mef_key_reg k;
	json_t *v = NULL;
	uint8_t big[20000];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_reg) / sizeof(bad_reg[0]); i++) {
		v = j(bad_reg[i]);
		assert_int_equal(m2mi_mef_parse_client_reg(v, false, &c), M2M_E_PROTO);
		json_decref(v);
	}
	for (size_t i = 0; i < sizeof(bad_key) / sizeof(bad_key[0]); i++) {
		v = j(bad_key[i]);
		assert_int_equal(m2mi_mef_parse_key_reg(v, i == 4, &k), M2M_E_PROTO);
		for (size_t b = 0; b < sizeof(k.key); b++)
			assert_int_equal(k.key[b], 0); /* nothing of a refused key stays behind */
		json_decref(v);
	}
	/* oversize or non-object bodies, duplicate members */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	assert_int_equal(m2mi_mef_parse_json(big, sizeof(big), &v), M2M_E_PROTO);
	assert_int_equal(m2mi_mef_parse_json((const uint8_t *)"[1]", 3, &v), M2M_E_PROTO);
	assert_int_equal(m2mi_mef_parse_json((const uint8_t *)"{\"a\":1,\"a\":2}", 13, &v), M2M_E_PROTO);
	assert_null(v);
}

/* The shared key registration representation (<mefKeyReg> / <mafKeyReg>): every member under
 * the wrapper's name, labels only when an array, keyValue only with a key. */
static void test_keyreg_json(void **state)
{
	static const uint8_t kb[32] = {0xab};
	const char *t[] = {"/cse-in", "CAE1"};
	json_t *lbl = json_loads("[\"a\"]", 0, NULL), *o, *in;
	m2mi_keyreg_view v = {.rel_key_id = "00", .key_id = "00@mef.example.com", .source_id = "CAE0",
			      .admin_fqdn = NULL, .expiry = 0, .suid = 22, .targets = t, .ntargets = 2, .labels = lbl};
	m2m_key *k = NULL;

	(void)state;
	assert_int_equal(m2m_key_new(kb, sizeof(kb), &k), M2M_OK);
	o = m2mi_keyreg_json("sec:mafKeyReg", &v, k);
	in = json_object_get(o, "sec:mafKeyReg");
	assert_non_null(in);
	assert_string_equal(json_string_value(json_object_get(in, "keyID")), "00@mef.example.com");
	assert_string_equal(json_string_value(json_object_get(in, "adminFQDN")), "");
	assert_int_equal(json_integer_value(json_object_get(in, "SUID")), 22);
	assert_int_equal(json_array_size(json_object_get(in, "targetIDs")), 2);
	assert_int_equal(json_array_size(json_object_get(in, "labels")), 1);
	assert_int_equal(strncasecmp(json_string_value(json_object_get(in, "keyValue")), "ab00", 4), 0);
	json_decref(o);
	v.labels = json_object_get(lbl, "x"); /* NULL: no labels */
	o = m2mi_keyreg_json("sec:mefKeyReg", &v, NULL);
	in = json_object_get(o, "sec:mefKeyReg");
	assert_null(json_object_get(in, "labels"));
	assert_null(json_object_get(in, "keyValue"));
	json_decref(o);
	json_decref(lbl);
	m2m_key_free(k);
}

/* The longest labels (8 of 63 bytes, every byte escaped to 6: "\u0001") fill exactly
 * M2MI_MEF_LABELS_TEXT, the one size the MEF store and the MAF keep them in; a smaller buffer is
 * M2M_E_RANGE with nothing written, never a cut (unparsable) text. */
static void test_labels_text_bound(void **state)
{
	m2mi_mef_labels l = {.n = M2MI_MEF_LABELS_MAX, .present = true};
	char out[M2MI_MEF_LABELS_TEXT];
	json_t *v;

	(void)state;
	for (size_t i = 0; i < M2MI_MEF_LABELS_MAX; i++)
		memset(l.v[i], 0x01, M2MI_MEF_LABEL_MAX - 1);
	assert_int_equal(m2mi_mef_labels_text(&l, out, sizeof(out)), M2M_OK);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	v = j(out);
	assert_int_equal(json_array_size(v), M2MI_MEF_LABELS_MAX);
	assert_int_equal(json_string_length(json_array_get(v, 7)), M2MI_MEF_LABEL_MAX - 1);
	json_decref(v);
	assert_int_equal(m2mi_mef_labels_text(&l, out, sizeof(out) - 1), M2M_E_RANGE);
	assert_string_equal(out, "");
	/* absent labels: "" and OK; present but empty: "[]" */
	l.present = false;
	assert_int_equal(m2mi_mef_labels_text(&l, out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "");
	l.present = true;
	l.n = 0;
	assert_int_equal(m2mi_mef_labels_text(&l, out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "[]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_codec_refusals),
		cmocka_unit_test(test_keyreg_json),
		cmocka_unit_test(test_labels_text_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
