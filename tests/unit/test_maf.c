/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF service core (services/maf/maf.c, TS-0003
 * clause 8.8.2.2 MAF Handshake and clause 8.8.2.3 Km from the MEF): configuration checks, the
 * classification of associations (no association 4107, Km / certificate clients, remote
 * provisioning), the PSK lookup of a KmID with its binding and re-check of a Km from the MEF,
 * the MEF's answer to the re-check, dispatch (unknown To 4004, POST = CREATE) and the audit.
 */
#include "maf_fixture.h"

static void test_config(void **state)
{
	m2m_maf_config c = {.maf_fqdn = "maf.example.com", .store = "/nonexistent/x/maf.db"};
	m2m_maf *m = (m2m_maf *)1;

	(void)state;
	assert_int_equal(m2m_maf_new(NULL, &m), M2M_E_CONFIG);
	assert_null(m);
	c.maf_fqdn = "not a host";
	assert_int_equal(m2m_maf_new(&c, &m), M2M_E_CONFIG);
	c.maf_fqdn = "maf.example.com";
	c.sp_id = "sp.example.com"; /* an SP-ID starts with // */
	assert_int_equal(m2m_maf_new(&c, &m), M2M_E_CONFIG);
	c.sp_id = NULL;
	c.max_key_lifetime = -1;
	assert_int_equal(m2m_maf_new(&c, &m), M2M_E_CONFIG);
	c.max_key_lifetime = 0;
	assert_int_not_equal(m2m_maf_new(&c, &m), M2M_OK); /* store directory missing */
	assert_null(m);
}

static void test_assoc_classes(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1), *c = mx_cert(f, "//sp.example.com/cse-in", M2M_ENTITY_CSE);
	m2m_maf_assoc *node = mx_cert(f, "", M2M_ENTITY_UNKNOWN), *unk = mx_km(f, "nobody@maf.example.com", 2);
	m2m_maf_assoc *none = NULL;
	m2m_sa sa = {.kind = M2M_SA_NONE};

	(void)state;
	assert_int_equal(m2m_maf_assoc_peer(a), M2M_MAF_PEER_CLIENT);
	assert_string_equal(m2m_maf_assoc_client(a), MX_A);
	assert_int_equal(m2m_maf_assoc_peer(c), M2M_MAF_PEER_CLIENT);
	assert_int_equal(m2m_maf_assoc_peer(node), M2M_MAF_PEER_NONE); /* a Node-ID binds no AE/CSE-ID */
	assert_int_equal(m2m_maf_assoc_peer(unk), M2M_MAF_PEER_NONE);
	assert_null(m2m_maf_assoc_client(unk));
	assert_int_equal(m2m_maf_assoc_new(f->maf, &sa, NULL, NULL, &none), M2M_OK);
	assert_int_equal(m2m_maf_assoc_peer(none), M2M_MAF_PEER_NONE);
	/* docs/procedures/maf.md "Transport": no association, no procedure (4107) */
	assert_int_equal(mx_run(f, none, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL), 4107);
	assert_string_equal(f->last_outcome, "no-association");
	assert_int_equal(mx_run(f, NULL, M2M_OP_RETRIEVE, "mafKeyReg/00112233445566778899AABBCCDDEEFF", NULL, NULL), 4107);
	assert_int_equal(mx_run(f, node, M2M_OP_CREATE, "mafKeyReg", NULL, NULL), 4107);
	assert_int_equal(mx_run(f, unk, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL), 4107);
	/* a revoked Km classifies as nothing usable */
	mx_revoke(f, MX_KMID_B);
	m2m_maf_assoc *b = mx_km(f, MX_KMID_B, 3);
	assert_int_equal(m2m_maf_assoc_peer(b), M2M_MAF_PEER_CLIENT); /* classified; procedures refuse */
	assert_int_equal(mx_run(f, b, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL), 4103);
	assert_string_equal(f->last_outcome, "revoked");
	MX_DONE(f, b, a, c, node, unk, none);
}

static void test_dispatch(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 1);
	int n;

	(void)state;
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, "mefClientReg", NULL, NULL), 4004);
	assert_string_equal(f->last_outcome, "not-found");
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, "", NULL, NULL), 4004);
	/* TS-0009: a POST without ty arrives as NOTIFY; to a collection it is the CREATE */
	assert_int_equal(mx_run(f, a, M2M_OP_NOTIFY, "/mafClientReg", MX_REG_BODY, NULL), 2001);
	assert_string_equal(f->last_proc, "client-registration");
	assert_string_equal(f->last_outcome, "ok");
	assert_int_equal(mx_run(f, a, M2M_OP_NOTIFY, "mafClientReg/X", NULL, NULL), 4004);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, "mafClientReg", NULL, NULL), 4005);
	assert_string_equal(f->last_outcome, "operation-not-allowed");
	n = f->naudit;
	assert_int_equal(mx_run(f, a, M2M_OP_DELETE, "mafKeyReg", NULL, NULL), 4005);
	assert_int_equal(f->naudit, n + 1); /* every outcome audited once */
	MX_DONE(f, a);
}

static void test_km_lookup(void **state)
{
	mx *f = mx_new();
	m2m_key *km = NULL;
	m2m_sa b;
	char ke[M2M_SA_ID_MAX];

	(void)state;
	assert_int_equal(m2m_maf_km_lookup(f->maf, "DEVA@MAF.example.com", MX_NOW, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_non_null(km);
	assert_int_equal(b.kind, M2M_SA_PSK);
	assert_int_equal(b.entity, M2M_ENTITY_AE);
	assert_string_equal(b.bound_id, MX_A);
	assert_string_equal(b.credential_id, "11-" MX_KMID_A);
	assert_string_equal(ke, ""); /* a provisioned Km needs no re-check */
	assert_string_equal(f->last_proc, "psk-lookup");
	m2m_key_free(km);
	assert_int_equal(m2m_maf_km_lookup(f->maf, "nobody@maf.example.com", MX_NOW, &km, &b, ke, sizeof(ke)),
			 M2M_E_NOT_FOUND);
	assert_null(km);
	assert_string_equal(f->last_outcome, "unknown-client");
	assert_int_equal(m2m_maf_km_lookup(f->maf, "not a kmid", MX_NOW, &km, &b, ke, sizeof(ke)), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_maf_km_lookup(f->maf, MX_KMID_A, MX_NOW, &km, &b, ke, 4), M2M_E_INVAL);
	mx_add_km(f, "old@maf.example.com", "Cold", 0x33, MX_NOW - 1);
	assert_int_equal(m2m_maf_km_lookup(f->maf, "old@maf.example.com", MX_NOW, &km, &b, ke, sizeof(ke)),
			 M2M_E_KEY_EXPIRED);
	assert_string_equal(f->last_outcome, "expired");
	mx_revoke(f, MX_KMID_B);
	assert_int_equal(m2m_maf_km_lookup(f->maf, MX_KMID_B, MX_NOW, &km, &b, ke, sizeof(ke)), M2M_E_KEY_REVOKED);
	assert_string_equal(f->last_outcome, "revoked");
	assert_null(km);
	assert_string_equal(b.bound_id, "");
	mx_free(f);
}

#define KEID "00112233445566778899AABBCCDDEEFF@mef.example.com"

static void test_remote_provisioning(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *r = mx_remote(f, KEID, "Cenr", MX_NOW + 5000), *other = mx_remote(f, "00112233445566778899AABBCCDDEEFF@evil.example.com", "Cenr", 0);
	m2m_key *km = NULL;
	m2m_sa b;
	json_t *pc = NULL;
	char ke[M2M_SA_ID_MAX], kmid[128];

	(void)state;
	assert_int_equal(m2m_maf_assoc_peer(r), M2M_MAF_PEER_REMOTE);
	assert_int_equal(m2m_maf_assoc_peer(other), M2M_MAF_PEER_NONE); /* not the configured MEF */
	{
		m2m_maf_assoc *nobody = mx_remote(f, KEID, "", 0);
		assert_int_equal(m2m_maf_assoc_peer(nobody), M2M_MAF_PEER_REMOTE);
		/* no AE-ID / CSE-ID for the enrolment: nothing to bind the Km to (4103) */
		assert_int_equal(mx_run(f, nobody, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, NULL), 4103);
		m2m_maf_assoc_free(nobody);
	}
	/* clause 8.8.2.3: such an association may only perform MAF Client Registration (4103) */
	assert_int_equal(mx_run(f, r, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 4103);
	assert_string_equal(f->last_outcome, "not-authorized");
	assert_int_equal(mx_run(f, r, M2M_OP_RETRIEVE, "mafKeyReg/00112233445566778899AABBCCDDEEFF", NULL, NULL), 4103);
	assert_int_equal(mx_run(f, r, M2M_OP_RETRIEVE, "mafClientReg/00112233445566778899AABBCCDDEEFF", NULL, NULL), 4103);
	assert_int_equal(mx_run(f, r, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
	snprintf(kmid, sizeof(kmid), "%s", mx_str(pc, "sec:mafClientReg", "assignedSymmKeyID"));
	assert_string_equal(mx_str(pc, "sec:mafClientReg", "mafClientID"), "Cenr");
	assert_int_equal(strlen(kmid), 32 + 1 + strlen(MX_FQDN));
	/* a second remote registration replaces the first (one registration per client) */
	{
		char kmid2[128], p1[96];
		m2m_maf_assoc *k1;
		snprintf(p1, sizeof(p1), "mafClientReg/%s", mx_str(pc, "sec:mafClientReg", "mafClientRegID"));
		(void)p1;
		json_decref(pc);
		k1 = mx_km(f, kmid, 9);
		assert_int_equal(m2m_maf_assoc_peer(k1), M2M_MAF_PEER_CLIENT);
		assert_string_equal(m2m_maf_assoc_client(k1), "Cenr");
		assert_int_equal(mx_run(f, k1, M2M_OP_RETRIEVE, p1, NULL, NULL), 2000);
		assert_int_equal(mx_run(f, r, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
		snprintf(kmid2, sizeof(kmid2), "%s", mx_str(pc, "sec:mafClientReg", "assignedSymmKeyID"));
		assert_string_not_equal(kmid, kmid2);
		assert_int_equal(mx_run(f, k1, M2M_OP_RETRIEVE, p1, NULL, NULL), 4004);
		m2m_maf_assoc_free(k1);
	}
	json_decref(pc);
	/* the client uses the assigned KmID from then on; its expiry is capped by the MEF's lifetime */
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_int_equal(b.expiry, MX_NOW + 5000);
	assert_string_equal(ke, ""); /* just checked */
	m2m_key_free(km);
	/* older than mef_recheck_seconds (60): the KeID to re-check comes back */
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW + 61, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_string_equal(ke, KEID);
	m2m_key_free(km);
	/* the MEF still knows it: the check time moves, the lifetime may shrink */
	assert_int_equal(m2m_maf_km_rechecked(f->maf, kmid, M2M_OK, MX_NOW + 3000, MX_NOW + 61), M2M_OK);
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW + 62, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_string_equal(ke, "");
	assert_int_equal(b.expiry, MX_NOW + 3000);
	m2m_key_free(km);
	/* an unreachable MEF changes nothing */
	assert_int_equal(m2m_maf_km_rechecked(f->maf, kmid, M2M_E_IO, 0, MX_NOW + 200), M2M_OK);
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW + 200, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_string_equal(ke, KEID);
	m2m_key_free(km);
	/* the MEF's 4004 / 4103: the enrolment was revoked, so is the Km */
	assert_int_equal(m2m_maf_km_rechecked(f->maf, kmid, M2M_E_AUTH, 0, MX_NOW + 201), M2M_OK);
	assert_string_equal(f->last_proc, "km-recheck");
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW + 202, &km, &b, ke, sizeof(ke)), M2M_E_KEY_REVOKED);
	/* a provisioned Km is not re-checked */
	assert_int_equal(m2m_maf_km_rechecked(f->maf, MX_KMID_A, M2M_E_AUTH, 0, MX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_maf_km_lookup(f->maf, MX_KMID_A, MX_NOW, &km, &b, ke, sizeof(ke)), M2M_OK);
	m2m_key_free(km);
	MX_DONE(f, r, other);
}

static void test_remote_disabled(void **state)
{
	mx *f = mx_new_cfg(NULL);
	m2m_maf_assoc *r = mx_remote(f, KEID, "Cenr", 0);

	(void)state;
	assert_int_equal(m2m_maf_assoc_peer(r), M2M_MAF_PEER_NONE); /* no MEF configured */
	MX_DONE(f, r);
}

/* The store is the state: a MAF restarted on the same file knows its registrations and keys. */
static void test_restart_keeps_state(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 0x42), *t;
	m2m_maf_config c = {.maf_fqdn = MX_FQDN, .sp_id = "//sp.example.com", .audit = mx_audit, .audit_ctx = f};
	char path[96];

	(void)state;
	snprintf(path, sizeof(path), "mafClientReg/%s", mx_register(f, a));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 2001);
	m2m_maf_assoc_free(a);
	m2m_maf_worker_free(f->w);
	m2m_maf_free(f->maf);
	c.store = f->path;
	assert_int_equal(m2m_maf_new(&c, &f->maf), M2M_OK);
	assert_int_equal(m2m_maf_worker_new(f->maf, &f->w), M2M_OK);
	a = mx_km(f, MX_KMID_A, 0x42);
	t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, "mafKeyReg/42424242424242424242424242424242", NULL, NULL), 2000);
	MX_DONE(f, a, t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_assoc_classes),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_km_lookup),
		cmocka_unit_test(test_remote_provisioning),
		cmocka_unit_test(test_remote_disabled),
		cmocka_unit_test(test_restart_keeps_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
