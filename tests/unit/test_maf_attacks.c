/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the attacker's unit tests of the MAF service core (services/maf/,
 * TS-0003 clause 8.8.2; docs/procedures/maf.md): what a client holding a valid credential for
 * something else can make the MAF do. Another client's key or registration is 4004 whatever the
 * operation; a KmID differing only in case cannot shadow another client's; SP-relative and
 * absolute target IDs compare in absolute form only; a revoked Kc is refused 4103 and audited
 * "revoked"; labels survive whatever they contain; a client's keys are capped (4000
 * "key-limit"); remote provisioning replaces its Km record instead of adding one per
 * registration.
 */
#include "maf_fixture.h"

#include "services/maf/maf_int.h"

#define KR_VAL(target) MX_KR("32", "[\"" target "\"]", ",\"keyValue\":\"" MX_KEYVAL "\"")

/* Client B (a valid Km of its own) against client A's key and registration: 4004 for all. */
static void test_other_clients_key(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *b = mx_km(f, MX_KMID_B, 2);
	m2m_maf_assoc *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char path[96], rid[64], rpath[128], lower[96];

	(void)state;
	snprintf(rid, sizeof(rid), "%s", mx_register(f, a));
	(void)mx_register(f, b);
	snprintf(path, sizeof(path), "%s", mx_key_reg(f, a, KR_VAL("/cse-in")));
	snprintf(rpath, sizeof(rpath), "mafClientReg/%s", rid);
	/* B is registered and holds keys of its own, but A's key is not B's */
	(void)mx_key_reg(f, b, KR_VAL("/cse-in"));
	assert_int_equal(mx_run(f, b, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, b, M2M_OP_UPDATE, path, "{\"sec:keyRegCfg\":{\"targetIDs\":[\"" MX_B "\"]}}", NULL),
			 4004);
	assert_int_equal(mx_run(f, b, M2M_OP_DELETE, path, NULL, NULL), 4004);
	/* hex in the other case is the same key: still not B's */
	snprintf(lower, sizeof(lower), "%s", path);
	for (char *p = lower + strlen("mafKeyReg/"); *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	assert_int_equal(mx_run(f, b, M2M_OP_DELETE, lower, NULL, NULL), 4004);
	/* nor is A's registration */
	assert_int_equal(mx_run(f, b, M2M_OP_RETRIEVE, rpath, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, b, M2M_OP_DELETE, rpath, NULL, NULL), 4004);
	/* A's key is intact and still retrievable by its target */
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, rpath, NULL, NULL), 2000);
	MX_DONE(f, a, b, t);
}

/* KmIDs are case-insensitive (TS-0003 clause 10.6): another case is the same record, never a
 * second one that would shadow it, and a handshake in another case binds the same owner. */
static void test_kmid_case_no_shadow(void **state)
{
	mx *f = mx_new();
	m2m_credstore *st = NULL;
	m2m_key *k = NULL, *got = NULL;
	uint8_t kb[32];
	m2m_cred_info ci = {.kind = M2M_CRED_KIND_KM, .id = "DEVA@MAF.EXAMPLE.COM", .owner = MX_B};
	m2m_sa bind;
	char recheck[M2M_SA_ID_MAX];

	(void)state;
	memset(kb, 0x77, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, sizeof(kb), &k), M2M_OK);
	assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
	assert_int_equal(m2m_credstore_add(st, &ci, k, NULL, NULL), M2M_E_EXISTS);
	m2m_credstore_close(st);
	m2m_key_free(k);
	assert_int_equal(m2m_maf_km_lookup(f->maf, "DevA@Maf.Example.Com", MX_NOW, &got, &bind, recheck, sizeof(recheck)),
			 M2M_OK);
	assert_string_equal(bind.bound_id, MX_A);
	m2m_key_free(got);
	mx_free(f);
}

/* Targets compare in absolute form: "/cse-in" of this MAF's SP is "//sp.example.com/cse-in",
 * never the CSE of the same name in another SP, whichever form the registration used. */
static void test_target_sp_relative_vs_absolute(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);
	m2m_maf_assoc *rel = mx_cert(f, MX_CSE, M2M_ENTITY_CSE), *abs = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	m2m_maf_assoc *other = mx_cert(f, "//other.example.com/cse-in", M2M_ENTITY_CSE);
	char p1[96], p2[96];

	(void)state;
	(void)mx_register(f, a);
	snprintf(p1, sizeof(p1), "%s", mx_key_reg(f, a, KR_VAL("/cse-in")));
	snprintf(p2, sizeof(p2), "%s", mx_key_reg(f, a, KR_VAL("//sp.example.com/cse-in")));
	assert_int_equal(mx_run(f, rel, M2M_OP_RETRIEVE, p1, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, abs, M2M_OP_RETRIEVE, p1, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, rel, M2M_OP_RETRIEVE, p2, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, other, M2M_OP_RETRIEVE, p1, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, other, M2M_OP_RETRIEVE, p2, NULL, NULL), 4004);
	MX_DONE(f, a, rel, abs, other);
}

/* A Kc record revoked in the store (m2msec cred revoke) is refused 4103 and audited "revoked",
 * not "expired": the audit names the one cause (docs/procedures/maf.md "Audit"). */
static void test_revoked_kc_audited_revoked(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char path[96], kid[128];

	(void)state;
	(void)mx_register(f, a);
	snprintf(path, sizeof(path), "%s", mx_key_reg(f, a, KR_VAL("/cse-in")));
	snprintf(kid, sizeof(kid), "%s@" MX_FQDN, path + strlen("mafKeyReg/"));
	mx_revoke(f, kid);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	assert_string_equal(f->last_outcome, "revoked");
	/* expired stays "expired" */
	snprintf(path, sizeof(path), "%s", mx_key_reg(f, a, KR_VAL("/cse-in")));
	assert_int_equal(mx_run_at(f, t, M2M_OP_RETRIEVE, path, NULL, NULL, MX_NOW + 86401), 4103);
	assert_string_equal(f->last_outcome, "expired");
	MX_DONE(f, a, t);
}

/* Ends a body at p with eight labels lbl: ["lbl",...]}} */
static void end_labels(char *p, const char *lbl)
{
	for (int i = 0; i < 8; i++)
		p += sprintf(p, "%s\"%s\"", i ? "," : "", lbl);
	sprintf(p, "]}}");
}

/* Labels are any UTF-8 up to 63 bytes, eight of them: quotes and control characters escape to
 * several bytes each in the stored JSON, and nothing may be cut or silently dropped. */
static void test_labels_survive_escaping(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);
	char lbl[64 * 6 + 8], body[8192], rpath[128], *p;
	json_t *pc = NULL, *arr;
	const char *rid;

	(void)state;
	/* one label: 63 bytes of '"' and '\x01' (escaped as \" and \u0001) */
	p = lbl;
	for (int i = 0; i < 63; i++)
		p += sprintf(p, "%s", i % 2 ? "\\u0001" : "\\\"");
	p = body + sprintf(body, "{\"sec:clientRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"admin.example.com\","
				 "\"expirationTime\":\"" MX_ET "\",\"labels\":[");
	end_labels(p, lbl);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg", body, &pc), 2001);
	arr = json_object_get(json_object_get(pc, "sec:mafClientReg"), "labels");
	assert_int_equal(json_array_size(arr), 8);
	rid = mx_str(pc, "sec:mafClientReg", "mafClientRegID");
	snprintf(rpath, sizeof(rpath), "mafClientReg/%s", rid);
	json_decref(pc);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, rpath, NULL, &pc), 2000);
	arr = json_object_get(json_object_get(pc, "sec:mafClientReg"), "labels");
	assert_int_equal(json_array_size(arr), 8);
	assert_int_equal(json_string_length(json_array_get(arr, 7)), 63);
	json_decref(pc);
	/* the same labels on a key registration */
	p = body + sprintf(body, "{\"sec:keyRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"admin.example.com\","
				 "\"SUID\":32,\"targetIDs\":[\"/cse-in\"],\"expirationTime\":\"" MX_ET "\",\"labels\":[");
	end_labels(p, lbl);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", body, &pc), 2001);
	snprintf(rpath, sizeof(rpath), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, rpath, NULL, &pc), 2000);
	arr = json_object_get(json_object_get(pc, "sec:mafKeyReg"), "labels");
	assert_int_equal(json_array_size(arr), 8);
	assert_int_equal(json_string_length(json_array_get(arr, 0)), 63);
	json_decref(pc);
	MX_DONE(f, a);
}

static m2m_err count_all(const m2m_cred_info *info, void *arg)
{
	(void)info;
	(*(size_t *)arg)++;
	return M2M_OK;
}

/* A client cannot grow the store without bound: at most M2MI_MAF_KEYS_PER_CLIENT unexpired key
 * registrations; one more is 4000 "key-limit" with nothing written; other clients, a
 * de-registered key or expired keys free the room. */
static void test_keys_per_client_capped(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *b = mx_km(f, MX_KMID_B, 2);
	char first[96];
	json_t *pc = NULL;

	(void)state;
	(void)mx_register(f, a);
	(void)mx_register(f, b);
	snprintf(first, sizeof(first), "%s", mx_key_reg(f, a, KR_VAL("/cse-in")));
	for (int i = 1; i < M2MI_MAF_KEYS_PER_CLIENT; i++)
		(void)mx_key_reg(f, a, KR_VAL("/cse-in"));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", KR_VAL("/cse-in"), &pc), 4000);
	assert_string_equal(f->last_outcome, "key-limit");
	assert_non_null(strstr(json_string_value(json_object_get(pc, "m2m:dbg")), "too many"));
	json_decref(pc);
	/* another client is not affected */
	(void)mx_key_reg(f, b, KR_VAL("/cse-in"));
	/* a de-registered key frees its place */
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, first, NULL, NULL), 2002);
	(void)mx_key_reg(f, a, KR_VAL("/cse-in"));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", KR_VAL("/cse-in"), NULL), 4000);
	/* expired keys do not count, and once the client's records reach the cap they go: the store
	 * holds A's new key and B's, not 64 expired ones */
	assert_int_equal(mx_run_at(f, a, M2M_OP_CREATE, "mafKeyReg", KR_VAL("/cse-in"), NULL, MX_NOW + 86401), 2001);
	{
		m2m_credstore *st = NULL;
		size_t n = 0;
		assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
		assert_int_equal(m2m_credstore_list(st, M2M_CRED_KIND_KC, count_all, &n), M2M_OK);
		m2m_credstore_close(st);
		assert_int_equal(n, 2);
	}
	MX_DONE(f, a, b);
}

/* An enrolee registering again and again through its KeID (clause 8.8.2.3) must not grow the
 * store: the Km records of its older registrations go (the oldest KmID stops working), and the
 * keys registered through an old KmID stay usable. */
static void test_remote_registration_replaces(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *r = mx_remote(f, "00112233445566778899AABBCCDDEEFF@mef.example.com", "Cenr", 0), *k1;
	m2m_maf_assoc *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	m2m_credstore *st = NULL;
	char kmid[128], path[96], ke[M2M_SA_ID_MAX];
	json_t *pc = NULL;
	m2m_key *km = NULL;
	m2m_sa b;
	size_t n = 0;

	(void)state;
	assert_int_equal(mx_run(f, r, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
	snprintf(kmid, sizeof(kmid), "%s", mx_str(pc, "sec:mafClientReg", "assignedSymmKeyID"));
	json_decref(pc);
	k1 = mx_km(f, kmid, 9);
	snprintf(path, sizeof(path), "%s", mx_key_reg(f, k1, KR_VAL("/cse-in")));
	for (int i = 1; i <= 20; i++)
		assert_int_equal(mx_run_at(f, r, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL, MX_NOW + i), 2001);
	/* two pre-provisioned Km records of the fixture, the newest for the enrolment and the three
	 * before it (a concurrent run of the same enrolment keeps its KmID) */
	assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
	assert_int_equal(m2m_credstore_list(st, M2M_CRED_KIND_KM, count_all, &n), M2M_OK);
	m2m_credstore_close(st);
	assert_int_equal(n, 2 + 1 + 3);
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW, &km, &b, ke, sizeof(ke)), M2M_E_NOT_FOUND);
	/* the key registered through the first KmID is still the target's */
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	MX_DONE(f, r, k1, t);
}

/* A KmID the operator revoked (m2msec maf client revoke) stays revoked for its keys when the
 * enrolment registers again and its old record goes: its keys are not moved to the new KmID. */
static void test_remote_replace_keeps_revocation(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *r = mx_remote(f, "00112233445566778899AABBCCDDEEFF@mef.example.com", "Cenr", 0), *k1;
	m2m_maf_assoc *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char kmid[128], path[96];
	json_t *pc = NULL;

	(void)state;
	assert_int_equal(mx_run(f, r, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
	snprintf(kmid, sizeof(kmid), "%s", mx_str(pc, "sec:mafClientReg", "assignedSymmKeyID"));
	json_decref(pc);
	k1 = mx_km(f, kmid, 9);
	snprintf(path, sizeof(path), "%s", mx_key_reg(f, k1, KR_VAL("/cse-in")));
	mx_revoke(f, kmid);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	for (int i = 1; i <= 5; i++)
		assert_int_equal(mx_run_at(f, r, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL, MX_NOW + i), 2001);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	MX_DONE(f, r, k1, t);
}

/* max_keys_per_client sets the cap (here 3); a negative one is a configuration error. */
static void test_key_cap_configured(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);
	m2m_maf_config c = {.maf_fqdn = MX_FQDN, .store = f->path, .max_keys_per_client = -1};
	m2m_maf *bad = NULL;

	(void)state;
	assert_int_equal(m2m_maf_new(&c, &bad), M2M_E_CONFIG);
	f->maf->cfg.max_keys_per_client = 3;
	(void)mx_register(f, a);
	for (int i = 0; i < 3; i++)
		(void)mx_key_reg(f, a, KR_VAL("/cse-in"));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", KR_VAL("/cse-in"), NULL), 4000);
	assert_string_equal(f->last_outcome, "key-limit");
	MX_DONE(f, a);
}

/* Expiry arithmetic: a cap so large that "now + cap" would overflow is a configuration error,
 * not undefined behaviour deciding a key's expiry. */
static void test_lifetime_cap_overflow(void **state)
{
	m2m_maf_config c = {.maf_fqdn = MX_FQDN, .store = "/nonexistent/maf.db", .max_key_lifetime = INT64_MAX};
	m2m_maf *maf = NULL;

	(void)state;
	assert_int_equal(m2m_maf_new(&c, &maf), M2M_E_CONFIG);
	c.max_key_lifetime = 0;
	c.max_reg_lifetime = INT64_MAX - 10;
	assert_int_equal(m2m_maf_new(&c, &maf), M2M_E_CONFIG);
	assert_null(maf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_clients_key),
		cmocka_unit_test(test_kmid_case_no_shadow),
		cmocka_unit_test(test_target_sp_relative_vs_absolute),
		cmocka_unit_test(test_revoked_kc_audited_revoked),
		cmocka_unit_test(test_labels_survive_escaping),
		cmocka_unit_test(test_keys_per_client_capped),
		cmocka_unit_test(test_remote_registration_replaces),
		cmocka_unit_test(test_remote_replace_keeps_revocation),
		cmocka_unit_test(test_lifetime_cap_overflow),
		cmocka_unit_test(test_key_cap_configured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
