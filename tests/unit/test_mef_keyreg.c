/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF Key procedures (services/mef/mef_keyreg.c,
 * TS-0003 clause 8.3.5): registration needs a MEF Client Registration (4103), a listed target
 * retrieves the Key Value, an unlisted one gets 4004, only the source updates or de-registers,
 * malformed bodies are 4000, and the key goes when the source re-enrols.
 */
#include "mef_fixture.h"

#define KEYVAL "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KR_BODY "{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22," \
		"\"targetIDs\":[\"/cse-in\"],\"keyValue\":\"" KEYVAL "\"}}"

static void test_keyreg(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x07), *b = fx_enrolee(f, 0x08), *t = fx_target(f, FX_TARGET);
	m2m_mef_assoc *t2 = fx_target(f, "/cse-other");
	json_t *pc = NULL, *o;
	char path[96];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", KR_BODY, NULL), 4103);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg",
				"{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":22}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", KR_BODY, &pc), 2001);
	o = json_object_get(pc, "sec:mefKeyReg");
	assert_null(json_object_get(o, "keyValue"));
	assert_string_equal(json_string_value(json_object_get(o, "sourceID")), FX_EID);
	snprintf(path, sizeof(path), "mefKeyReg/%s", json_string_value(json_object_get(o, "relKeyID")));
	json_decref(pc);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "keyValue")), KEYVAL);
	json_decref(pc);
	assert_int_equal(fx_run(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, t, M2M_OP_DELETE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"SUID\":23}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"labels\":[\"l\"]}}", NULL), 2004);
	/* re-enrolment of the source: its key registrations go with the old Ke */
	assert_int_equal(fx_run(f, b, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, b, M2M_OP_CREATE, "mefKeyReg", KR_BODY, &pc), 2001);
	snprintf(path, sizeof(path), "mefKeyReg/%s",
		 json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "relKeyID")));
	json_decref(pc);
	assert_int_equal(fx_run(f, b, M2M_OP_DELETE, path, NULL, NULL), 2002);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(b);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(t2);
	fx_free(f);
}

/* Labels are any UTF-8 up to 63 bytes, eight of them (docs/procedures/mef.md, TS-0003
 * sec:clientRegCfg / sec:keyRegCfg): quotes and control characters escape to up to 6 bytes each
 * in the stored JSON text, and nothing may be cut, dropped or refused. */
static void test_labels_survive_escaping(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x09), *t = fx_target(f, FX_TARGET);
	char lbl[64 * 6 + 8], labels[8 * sizeof(lbl) + 16], body[8192], path[128], *p;
	json_t *pc = NULL, *arr;

	(void)state;
	/* one label: 63 bytes alternating '"' and '\x01' (escaped as \" and \u0001) */
	p = lbl;
	for (int i = 0; i < 63; i++)
		p += sprintf(p, "%s", i % 2 ? "\\u0001" : "\\\"");
	p = labels + sprintf(labels, "[");
	for (int i = 0; i < 8; i++)
		p += sprintf(p, "%s\"%s\"", i ? "," : "", lbl);
	sprintf(p, "]");
	snprintf(body, sizeof(body), "{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"admin.example.com\","
		 "\"labels\":%s}}", labels);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", body, &pc), 2001);
	assert_int_equal(json_array_size(json_object_get(json_object_get(pc, "sec:mefClientReg"), "labels")), 8);
	json_decref(pc);
	/* Configuration Retrieval gives them back whole */
	snprintf(path, sizeof(path), "mefClientReg/%.32s", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	arr = json_object_get(json_object_get(pc, "sec:mefClientReg"), "labels");
	assert_int_equal(json_array_size(arr), 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(json_string_length(json_array_get(arr, i)), 63);
		assert_memory_equal(json_string_value(json_array_get(arr, i)), "\"\x01\"\x01", 4);
	}
	json_decref(pc);
	/* the same labels on a key registration, read back by its target (Key Retrieval) */
	snprintf(body, sizeof(body), "{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\","
		 "\"SUID\":22,\"targetIDs\":[\"/cse-in\"],\"keyValue\":\"" KEYVAL "\",\"labels\":%s}}", labels);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", body, &pc), 2001);
	assert_int_equal(json_array_size(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "labels")), 8);
	snprintf(path, sizeof(path), "mefKeyReg/%s",
		 json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "relKeyID")));
	json_decref(pc);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	arr = json_object_get(json_object_get(pc, "sec:mefKeyReg"), "labels");
	assert_int_equal(json_array_size(arr), 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(json_string_length(json_array_get(arr, i)), 63);
	json_decref(pc);
	/* and through a Key Registration Update */
	snprintf(body, sizeof(body), "{\"sec:keyRegCfg\":{\"labels\":%s}}", labels);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, body, NULL), 2004);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_int_equal(json_array_size(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "labels")), 8);
	json_decref(pc);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

/* A MEF whose MEF-FQDN is a full 253 bytes: KeID and KeyID "<RelativeID>@<MEF-FQDN>" are 286
 * bytes (TS-0003 clause 10.3.1), and must work whole: registration, Configuration Retrieval, Key
 * Registration under that KeID, keyID of the answer, fetchCredentials by the target. */
static void test_long_mef_fqdn(void **state)
{
	char fq[254], body[1024], path[512], want[300];
	fx *f = calloc(1, sizeof(*f));
	m2m_mef_config c = {.mef_fqdn = fq, .sp_id = "//sp.example.com"};
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "dev1@k.example.com", .enrolee_id = FX_EID,
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE};
	uint8_t kb[32];
	m2m_key *kpm = NULL, *ke;
	m2m_mef_assoc *a = NULL, *t;
	json_t *pc = NULL, *o;

	(void)state;
	memset(fq, 'm', sizeof(fq));
	fq[63] = fq[127] = fq[191] = '.';
	fq[sizeof(fq) - 1] = '\0';
	memset(kb, 0x11, sizeof(kb));
	sf_tmp_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "/tmp/m2mmefXXXXXX", "mef.db");
	c.store = f->path;
	assert_int_equal(m2m_mef_new(&c, &f->mef), M2M_OK);
	assert_int_equal(m2m_mef_worker_new(f->mef, &f->w), M2M_OK);
	assert_int_equal(m2m_key_new(kb, 32, &kpm), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f->mef), &e, kpm, FX_NOW - 10, NULL), M2M_OK);
	m2m_key_free(kpm);
	ke = sf_exporter_key(0x0a, fq);
	assert_int_equal(strlen(m2m_key_id(ke)), 32 + 1 + 253);
	snprintf(sa.bound_id, sizeof(sa.bound_id), FX_EID);
	snprintf(sa.credential_id, sizeof(sa.credential_id), "10-dev1@k.example.com");
	assert_int_equal(m2m_mef_assoc_new(f->mef, &sa, ke, NULL, &a), M2M_OK);
	t = fx_target(f, FX_TARGET);
	snprintf(body, sizeof(body), "{\"sec:clientRegCfg\":{\"fqdn\":\"%s\",\"adminFQDN\":\"admin.example.com\"}}", fq);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", body, &pc), 2001);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefClientReg"), "keyID")),
			    m2m_key_id(ke));
	json_decref(pc);
	snprintf(path, sizeof(path), "mefClientReg/%.32s", m2m_key_id(ke));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefClientReg"), "keyID")),
			    m2m_key_id(ke));
	json_decref(pc);
	snprintf(body, sizeof(body), "{\"sec:keyRegCfg\":{\"fqdn\":\"%s\",\"adminFQDN\":\"a.example.com\",\"SUID\":22,"
		 "\"targetIDs\":[\"/cse-in\"],\"keyValue\":\"" KEYVAL "\"}}", fq);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", body, &pc), 2001);
	o = json_object_get(pc, "sec:mefKeyReg");
	snprintf(want, sizeof(want), "%s@%s", json_string_value(json_object_get(o, "relKeyID")), fq);
	assert_string_equal(json_string_value(json_object_get(o, "keyID")), want);
	snprintf(path, sizeof(path), "mefKeyReg/%s", json_string_value(json_object_get(o, "relKeyID")));
	json_decref(pc);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "keyID")), want);
	json_decref(pc);
	snprintf(path, sizeof(path), "fetchCredentials/%s/22", m2m_key_id(ke));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	m2m_key_free(ke);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

/* The largest valid sec:keyRegCfg: 8 targetIDs of 255 bytes and a 253-byte adminFQDN (each
 * M2MI_MEF_STR_MAX - 1 at most) are stored and answered whole, and a listed target retrieves. */
static void test_longest_targets_admin(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x0b), *t;
	char tg[8][256], adm[254], body[4096], path[96], *p;
	json_t *pc = NULL, *o, *arr;

	(void)state;
	memset(adm, 'a', sizeof(adm));
	adm[63] = adm[127] = adm[191] = '.';
	adm[sizeof(adm) - 1] = '\0';
	p = body + sprintf(body, "{\"sec:keyRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"%s\",\"SUID\":24,"
			   "\"keyValue\":\"" KEYVAL "\",\"targetIDs\":[", adm);
	for (int i = 0; i < 8; i++) {
		tg[i][0] = '/';
		memset(tg[i] + 1, 'C', 254);
		tg[i][254] = (char)('0' + i);
		tg[i][255] = '\0';
		p += sprintf(p, "%s\"%s\"", i ? "," : "", tg[i]);
	}
	sprintf(p, "]}}");
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefKeyReg", body, &pc), 2001);
	snprintf(path, sizeof(path), "mefKeyReg/%s",
		 json_string_value(json_object_get(json_object_get(pc, "sec:mefKeyReg"), "relKeyID")));
	json_decref(pc);
	t = fx_target(f, tg[7]);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	o = json_object_get(pc, "sec:mefKeyReg");
	assert_string_equal(json_string_value(json_object_get(o, "adminFQDN")), adm);
	arr = json_object_get(o, "targetIDs");
	assert_int_equal(json_array_size(arr), 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(json_string_value(json_array_get(arr, i)), tg[i]);
	assert_string_equal(json_string_value(json_object_get(o, "keyValue")), KEYVAL);
	json_decref(pc);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(a);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyreg),
		cmocka_unit_test(test_labels_survive_escaping),
		cmocka_unit_test(test_long_mef_fqdn),
		cmocka_unit_test(test_longest_targets_admin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
