/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF Key procedures (services/maf/maf_keyreg.c,
 * TS-0003 clauses 8.8.2.7-8.8.2.10): registration needs a MAF Client Registration (4103), Kc/KcID
 * from the session's export (relKeyID = hexBinary(KcID), the same KcID twice 4105) or a Key
 * Value, SUID outside 32..35 and the targets-count rules 4000, retrieval only by a listed target
 * (anyone else 4004, an expired key 4103, a revoked or de-registered source 4103), update and
 * de-registration only by the source (expiry only shrinks), a de-registered key 4004.
 */
#include "maf_fixture.h"

/* Register a, create a key with body, return its path (static). */
static const char *mk_key(mx *f, const m2m_maf_assoc *a, const char *body, json_t **pc_out)
{
	static char path[96];
	json_t *pc = NULL;

	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", body, &pc), 2001);
	snprintf(path, sizeof(path), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	if (pc_out != NULL)
		*pc_out = pc;
	else
		json_decref(pc);
	return path;
}

static void test_keyreg_session_kc(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 0x42), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	m2m_maf_assoc *t2 = mx_cert(f, "//sp.example.com/cse-other", M2M_ENTITY_CSE), *b = mx_km(f, MX_KMID_B, 2);
	json_t *pc = NULL, *o;
	char path[96], want[65];

	(void)state;
	/* clause 8.8.2.7 pre-condition: a MAF Client Registration */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 4103);
	assert_string_equal(f->last_outcome, "not-registered");
	(void)mx_register(f, a);
	snprintf(path, sizeof(path), "%s", mk_key(f, a, MX_KR("32", "[\"/cse-in\"]", ""), &pc));
	o = json_object_get(pc, "sec:mafKeyReg");
	/* relKeyID = hexBinary(KcID) of the export: the 16 most significant bytes (all 0x42) */
	assert_string_equal(json_string_value(json_object_get(o, "relKeyID")), "42424242424242424242424242424242");
	assert_string_equal(json_string_value(json_object_get(o, "keyID")), "42424242424242424242424242424242@" MX_FQDN);
	assert_string_equal(json_string_value(json_object_get(o, "sourceID")), MX_A);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "targetIDs"), 0)), MX_CSE_ABS);
	assert_int_equal(json_integer_value(json_object_get(o, "SUID")), 32);
	assert_null(json_object_get(o, "keyValue"));
	json_decref(pc);
	/* the same session's KcID again: 4105 */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 4105);
	assert_string_equal(f->last_outcome, "already-registered");
	/* Key Retrieval by the listed target: Kc = the 32 least significant bytes */
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	memset(want, '4', 64);
	for (int i = 1; i < 64; i += 2)
		want[i] = '2';
	want[64] = '\0';
	assert_string_equal(mx_str(pc, "sec:mafKeyReg", "keyValue"), want);
	json_decref(pc);
	/* lower-case relKeyID works too */
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, "mafKeyReg/42424242424242424242424242424242", NULL, NULL), 2000);
	/* not a listed target: 4004, whether the key exists or not (no oracle) */
	assert_int_equal(mx_run(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, b, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, t2, M2M_OP_RETRIEVE, "mafKeyReg/00000000000000000000000000000000", NULL, NULL), 4004);
	assert_int_equal(mx_run(f, t2, M2M_OP_RETRIEVE, "mafKeyReg/xyz", NULL, NULL), 4004);
	/* the source gets the record without keyValue */
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_null(mx_str(pc, "sec:mafKeyReg", "keyValue"));
	json_decref(pc);
	/* expired key: 4103 to a target */
	assert_int_equal(mx_run_at(f, t, M2M_OP_RETRIEVE, path, NULL, NULL, MX_NOW + 86401), 4103);
	assert_string_equal(f->last_outcome, "expired");
	/* an expired key is still no oracle to a stranger */
	assert_int_equal(mx_run_at(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL, MX_NOW + 86401), 4004);
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(b);
	m2m_maf_assoc_free(t);
	m2m_maf_assoc_free(t2);
	mx_free(f);
}

static void test_keyreg_refusals(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);
	m2m_maf_assoc *nokc = NULL;
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE};

	(void)state;
	(void)mx_register(f, a);
	/* SUID outside 32..35 */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("22", "[\"/cse-in\"]", ""), NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("12", "[\"/cse-in\"]", ""), NULL), 4000);
	/* targets count: 32 / 33 exactly one; 34 / 35 one to eight */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\",\"/cse-2\"]", ""), NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("33", "[\"/cse-in\",\"/cse-2\"]", ""), NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("34", "[]", ""), NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				MX_KR("34", "[\"/cse-in\",\"/cse-2\"]", ",\"keyValue\":\"" MX_KEYVAL "\""), NULL), 2001);
	/* the same target twice */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				MX_KR("35", "[\"/cse-in\",\"/cse-in\"]", ",\"keyValue\":\"" MX_KEYVAL "\""), NULL), 4000);
	/* wrong fqdn, unknown member, missing expirationTime, past expirationTime, keyValue not 32 bytes */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				"{\"sec:keyRegCfg\":{\"fqdn\":\"x.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":32,"
				"\"targetIDs\":[\"/cse-in\"],\"expirationTime\":\"" MX_ET "\"}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ",\"y\":1"), NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				"{\"sec:keyRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":32,"
				"\"targetIDs\":[\"/cse-in\"]}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				"{\"sec:keyRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"a.example.com\",\"SUID\":32,"
				"\"targetIDs\":[\"/cse-in\"],\"expirationTime\":\"20000101T000000\"}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				MX_KR("32", "[\"/cse-in\"]", ",\"keyValue\":\"00112233445566778899aabbccddeeff\""), NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", "[1]", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", NULL, NULL), 4000);
	/* no Key Value and no session export: nothing to register (5000, nothing written) */
	snprintf(sa.credential_id, sizeof(sa.credential_id), "11-" MX_KMID_A);
	assert_int_equal(m2m_maf_assoc_new(f->maf, &sa, NULL, NULL, &nokc), M2M_OK);
	assert_int_equal(mx_run(f, nokc, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 5000);
	m2m_maf_assoc_free(nokc);
	m2m_maf_assoc_free(a);
	mx_free(f);
}

static void test_source_revoked_or_deregistered(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char path[96];

	(void)state;
	(void)mx_register(f, a);
	snprintf(path, sizeof(path), "%s", mk_key(f, a, MX_KR("32", "[\"/cse-in\"]", ""), NULL));
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	mx_revoke(f, MX_KMID_A);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	assert_string_equal(f->last_outcome, "revoked");
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(t);
	mx_free(f);
}

static void test_update_delete(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	m2m_maf_assoc *t2 = mx_cert(f, "//sp.example.com/cse-2", M2M_ENTITY_CSE);
	char path[96];
	json_t *pc = NULL;

	(void)state;
	(void)mx_register(f, a);
	snprintf(path, sizeof(path), "%s", mk_key(f, a, MX_KR("32", "[\"/cse-in\"]", ""), NULL));
	/* only the source updates or de-registers: a target gets 4004 */
	assert_int_equal(mx_run(f, t, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"labels\":[\"x\"]}}", NULL), 4004);
	assert_int_equal(mx_run(f, t, M2M_OP_DELETE, path, NULL, NULL), 4004);
	/* update: only expirationTime, labels, targetIDs (SUID 32: exactly one) */
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"SUID\":33}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"targetIDs\":[\"/a\",\"/b\"]}}", NULL), 4000);
	/* the expiry only shrinks: a later one keeps the current */
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"expirationTime\":\"" MX_ET "\"}}", &pc), 2004);
	assert_string_not_equal(mx_str(pc, "sec:mafKeyReg", "expirationTime"), MX_ET);
	json_decref(pc);
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"targetIDs\":[\"/cse-2\"]}}", &pc), 2004);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(pc, "sec:mafKeyReg"), "targetIDs"), 0)),
			    "//sp.example.com/cse-2");
	assert_null(mx_str(pc, "sec:mafKeyReg", "expirationTime")); /* only the members sent */
	json_decref(pc);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4004); /* no longer listed */
	assert_int_equal(mx_run(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	/* a shorter expiry applies */
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"expirationTime\":\"20000101T000000\"}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_NOTIFY, path, NULL, NULL), 4005);
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 2002);
	assert_int_equal(mx_run(f, t2, M2M_OP_RETRIEVE, path, NULL, NULL), 4004); /* de-registered key */
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 4004);
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(t);
	m2m_maf_assoc_free(t2);
	mx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyreg_session_kc),
		cmocka_unit_test(test_keyreg_refusals),
		cmocka_unit_test(test_source_revoked_or_deregistered),
		cmocka_unit_test(test_update_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
