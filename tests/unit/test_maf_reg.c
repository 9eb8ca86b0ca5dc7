/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF Client procedures (services/maf/maf_reg.c,
 * TS-0003 clauses 8.8.2.3-8.8.2.6, Tables 8.8.2.3-1 ... 8.8.2.6-1): registration with its field
 * list and caps, wrong fqdn / malformed / past expiry 4000, a replaced registration's ID 4004,
 * retrieval, update and de-registration only by the client of the registration (else 4004), an
 * expired registration 4103, de-registration deleting the client's key registrations, and the
 * certificate client whose registration is a credential-store record of kind cert.
 */
#include <sqlite3.h>

#include "maf_fixture.h"

static void test_register(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);
	json_t *pc = NULL, *o;

	(void)state;
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
	o = json_object_get(pc, "sec:mafClientReg");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "mafClientRegID"))), 32);
	assert_string_equal(json_string_value(json_object_get(o, "mafClientID")), MX_A);
	assert_string_equal(json_string_value(json_object_get(o, "adminFQDN")), "admin.example.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "labels"), 0)), "l1");
	assert_null(json_object_get(o, "assignedSymmKeyID")); /* only for remote provisioning */
	/* expiry capped at now + 1 year (max_reg_lifetime default) */
	assert_string_not_equal(json_string_value(json_object_get(o, "expirationTime")), MX_ET);
	json_decref(pc);
	m2m_maf_assoc_free(a);
	mx_free(f);
}

static void test_register_refusals(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);

	(void)state;
	/* fqdn of another MAF (Table 8.8.2.3-1: the MAF-FQDN) */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"other.example.com\",\"adminFQDN\":\"a.example.com\","
				"\"expirationTime\":\"" MX_ET "\"}}", NULL), 4000);
	assert_string_equal(f->last_outcome, "malformed");
	/* expirationTime is mandatory for the MAF */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"a.example.com\"}}", NULL),
			 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"a.example.com\","
				"\"expirationTime\":\"20000101T000000\"}}", NULL), 4000);
	/* unknown member, wrong wrapper, the MEF's extensions */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"a.example.com\","
				"\"expirationTime\":\"" MX_ET "\",\"x\":1}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg", "{\"sec:keyRegCfg\":{}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"a.example.com\","
				"\"expirationTime\":\"" MX_ET "\",\"certEnrolInd\":true}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg", NULL, NULL), 4000);
	m2m_maf_assoc_free(a);
	mx_free(f);
}

static void test_retrieve_update_delete(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *b = mx_km(f, MX_KMID_B, 2);
	char id[64], path[96], old[96];
	json_t *pc = NULL, *o;

	(void)state;
	snprintf(id, sizeof(id), "%s", mx_register(f, a));
	snprintf(old, sizeof(old), "mafClientReg/%s", id);
	/* a new registration replaces the previous one: the old ID stops working */
	snprintf(path, sizeof(path), "mafClientReg/%s", mx_register(f, a));
	assert_string_not_equal(path, old);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, old, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	o = json_object_get(json_object_get(pc, "sec:mafClientReg"), "mafClientCfg");
	assert_string_equal(json_string_value(json_object_get(o, "fqdn")), MX_FQDN);
	assert_string_equal(json_string_value(json_object_get(o, "adminFQDN")), "admin.example.com");
	json_decref(pc);
	/* anyone else: 4004, as for an unknown ID (no oracle) */
	assert_int_equal(mx_run(f, b, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, b, M2M_OP_DELETE, path, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, "mafClientReg/nothing", NULL, NULL), 4004);
	/* Registration Update: expirationTime and labels only */
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:clientRegCfg\":{\"adminFQDN\":\"x.example.com\"}}", NULL),
			 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:clientRegCfg\":{}}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:clientRegCfg\":{\"labels\":[\"l2\"]}}", &pc), 2004);
	o = json_object_get(pc, "sec:mafClientReg");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "labels"), 0)), "l2");
	assert_null(json_object_get(o, "expirationTime")); /* only the members sent */
	json_decref(pc);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, path, "{\"x\":1}", NULL), 4000);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, path, MX_REG_BODY, NULL), 4005);
	/* an expired registration: 4103 */
	assert_int_equal(mx_run_at(f, a, M2M_OP_RETRIEVE, path, NULL, NULL, MX_NOW + 400L * 86400), 4103);
	assert_string_equal(f->last_outcome, "expired");
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 2002);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 4004);
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(b);
	mx_free(f);
}

static void test_deregister_drops_keys(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char path[96], kpath[96];
	json_t *pc = NULL;

	(void)state;
	snprintf(path, sizeof(path), "mafClientReg/%s", mx_register(f, a));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), &pc), 2001);
	snprintf(kpath, sizeof(kpath), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, kpath, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 2002);
	/* the client's key registrations went with it (clause 8.8.2.6) */
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, kpath, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 4103);
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(t);
	mx_free(f);
}

/* One registration per client, across its credentials (docs/procedures/maf.md): a registration
 * through a second Km replaces the first; the keys stay until the client de-registers. */
static void test_one_registration_per_client(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a1, *a2, *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char p1[96], p2[96], kpath[96];
	json_t *pc = NULL;

	(void)state;
	mx_add_km(f, "deva2@maf.example.com", MX_A, 0x77, 0);
	a1 = mx_km(f, MX_KMID_A, 1);
	a2 = mx_km(f, "deva2@maf.example.com", 2);
	snprintf(p1, sizeof(p1), "mafClientReg/%s", mx_register(f, a1));
	assert_int_equal(mx_run(f, a1, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), &pc), 2001);
	snprintf(kpath, sizeof(kpath), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	snprintf(p2, sizeof(p2), "mafClientReg/%s", mx_register(f, a2));
	assert_int_equal(mx_run(f, a1, M2M_OP_RETRIEVE, p1, NULL, NULL), 4004); /* replaced */
	assert_int_equal(mx_run(f, a2, M2M_OP_RETRIEVE, p1, NULL, NULL), 4004);
	assert_int_equal(mx_run(f, a2, M2M_OP_RETRIEVE, p2, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, a1, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 4103);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, kpath, NULL, NULL), 2000); /* its keys stay */
	assert_int_equal(mx_run(f, a2, M2M_OP_DELETE, p2, NULL, NULL), 2002);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, kpath, NULL, NULL), 4004); /* ... until it de-registers */
	m2m_maf_assoc_free(a1);
	m2m_maf_assoc_free(a2);
	m2m_maf_assoc_free(t);
	mx_free(f);
}

/* One store transaction per request: a De-Registration whose key deletion fails mid-way leaves
 * the registration and every key as they were (5000, nothing half-written). */
static void test_deregister_all_or_nothing(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char path[96], k1[96], k2[96];
	json_t *pc = NULL;
	sqlite3 *db = NULL;

	(void)state;
	snprintf(path, sizeof(path), "mafClientReg/%s", mx_register(f, a));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), &pc), 2001);
	snprintf(k1, sizeof(k1), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				MX_KR("32", "[\"/cse-in\"]", ",\"keyValue\":\"" MX_KEYVAL "\""), &pc), 2001);
	snprintf(k2, sizeof(k2), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	/* the second key deletion fails */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE n (x INTEGER); CREATE TRIGGER t BEFORE DELETE ON cred"
					  " WHEN old.kind = 'kc' AND (SELECT count(*) FROM n) > 0 BEGIN SELECT RAISE(ABORT, 'x'); END;"
					  " CREATE TRIGGER u AFTER DELETE ON cred WHEN old.kind = 'kc' BEGIN INSERT INTO n VALUES (1); END;",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 5000);
	assert_string_equal(f->last_outcome, "store-error");
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, k1, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, k2, NULL, NULL), 2000);
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(t);
	mx_free(f);
}

static int revoked;

static m2m_err revoke_cb(const m2m_cred_info *info, void *arg)
{
	assert_string_equal(info->owner, "Cacme");
	assert_non_null(strstr(info->attrs, "\"reg\""));
	revoked++;
	return m2m_credstore_revoke(arg, info->id, MX_NOW);
}

static void test_cert_client(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *c = mx_cert(f, "Cacme", M2M_ENTITY_AE), *c2 = mx_cert(f, "Cacme", M2M_ENTITY_AE);
	char *pem = mx_make_cert();
	m2m_credstore *st = NULL;
	char path[96];

	(void)state;
	/* without its certificate a certificate client cannot hold a registration (5000, nothing written) */
	assert_int_equal(mx_run(f, c, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL), 5000);
	assert_int_equal(m2m_maf_assoc_set_cert(c, pem), M2M_OK);
	assert_int_equal(m2m_maf_assoc_set_cert(c, "junk"), M2M_E_CERT);
	snprintf(path, sizeof(path), "mafClientReg/%s", mx_register(f, c));
	assert_int_equal(mx_run(f, c, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	/* the same certificate on a new connection finds its registration */
	assert_int_equal(m2m_maf_assoc_set_cert(c2, pem), M2M_OK);
	assert_int_equal(mx_run(f, c2, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, c2, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ",\"keyValue\":\"" MX_KEYVAL "\""), NULL), 2001);
	/* the registration is a record of kind cert owned by the client: revoking it revokes the client */
	assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
	assert_int_equal(m2m_credstore_list(st, M2M_CRED_KIND_CERT, revoke_cb, st), M2M_OK);
	m2m_credstore_close(st);
	assert_int_equal(revoked, 1);
	assert_int_equal(mx_run(f, c2, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	assert_string_equal(f->last_outcome, "revoked");
	assert_int_equal(mx_run(f, c2, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL), 4103);
	free(pem);
	m2m_maf_assoc_free(c);
	m2m_maf_assoc_free(c2);
	mx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_register_refusals),
		cmocka_unit_test(test_retrieve_update_delete),
		cmocka_unit_test(test_deregister_drops_keys),
		cmocka_unit_test(test_cert_client),
		cmocka_unit_test(test_one_registration_per_client),
		cmocka_unit_test(test_deregister_all_or_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
