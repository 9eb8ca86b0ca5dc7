/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF as an Enrolment Target of the MEF (TS-0003
 * clause 8.8.2.3 step 2, clause 8.3.2.1 "Use of provisioned credentials"; services/mef/
 * mef_fetch.c, mef.c classify_maf, core/mef_policy.c): a certificate association whose DNS SAN
 * ("maf.sp.example.com", bound by the TLS layer to the CSE-ID "//sp.example.com/maf") is listed
 * in maf-fqdns is a MAF, never a CSE target; it fetches SUID 21 and gets Km of clause 10.3.2,
 * checked against an independent Python computation:
 *   hmac.new(b"\x05" * 32, b"oneM2M Enrolment Key to Master Credential derivation"
 *            + b"maf.sp.example.com", hashlib.sha256).hexdigest()
 * Every refusal with its exact RSC: SUID 22 by a MAF 4103, SUID 21 by a CSE 4103, a MAF not
 * listed for the enrolee 4004 (same as an unknown KeID), From another MAF 4106, expired 4103,
 * revoked 4004, and a MAF association refused by every other procedure.
 */
#include "mef_fixture.h"

#define MAF "maf.sp.example.com"
#define MAF_CSE "//sp.example.com/maf" /* what the TLS layer binds the DNS SAN to */
#define MAF2 "maf2.sp.example.com"
#define KAT_KM "ca0e61d948751565ba4810a63d2bf340fe6620d766668fa6679a3d4beaf29a78"

static const char *errstr(json_t *pc)
{
	return json_string_value(json_object_get(json_object_get(pc, "sec:fetchCredRsp"), "errorString"));
}

static void test_maf_fetch_km(void **state)
{
	fx *f = fx_new_maf(NULL, NULL, NULL, 0, MAF " " MAF2, "MAF.sp.example.com");
	m2m_mef_assoc *a = fx_enrolee(f, 0x05), *m = fx_target(f, MAF_CSE), *m2 = fx_target(f, "//sp.example.com/maf2"),
		      *t = fx_target(f, FX_TARGET);
	json_t *pc = NULL, *o;
	char path[160];

	(void)state;
	assert_int_equal(m2m_mef_assoc_peer(m), M2M_MEF_PEER_MAF);
	assert_string_equal(m2m_mef_assoc_client(m), MAF);
	assert_int_equal(m2m_mef_assoc_peer(t), M2M_MEF_PEER_TARGET);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, &pc), 2001);
	/* targetIDs stays CSE-IDs (the enrolee derives a SUID 22 key for each); the MAF apart */
	o = json_object_get(pc, "sec:mefClientReg");
	assert_int_equal(json_array_size(json_object_get(o, "targetIDs")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "targetIDs"), 0)), "//sp.example.com/cse-in");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "mafIDs"), 0)), MAF);
	json_decref(pc);

	snprintf(path, sizeof(path), "fetchCredentials/%s/21", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	o = json_object_get(pc, "sec:fetchCredRsp");
	assert_true(json_is_true(json_object_get(o, "status")));
	assert_string_equal(json_string_value(json_object_get(o, "credential")), KAT_KM);
	assert_string_equal(json_string_value(json_object_get(o, "enroleeID")), FX_EID);
	assert_string_equal(json_string_value(json_object_get(o, "keyID")), m2m_mef_assoc_keid(a));
	assert_int_equal(json_integer_value(json_object_get(o, "SUID")), 21);
	assert_true(json_integer_value(json_object_get(o, "lifetime")) > 0);
	assert_true(json_integer_value(json_object_get(o, "lifetime")) <= 1000); /* Enrolment Expiry */
	json_decref(pc);

	/* a CSE asking the MAF's SUID; a MAF asking a CSE's SUIDs */
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, &pc), 4103);
	assert_string_equal(errstr(pc), "SUID not allowed for this target");
	json_decref(pc);
	for (int suid = 22; suid <= 25; suid++) {
		snprintf(path, sizeof(path), "fetchCredentials/%s/%d", m2m_mef_assoc_keid(a), suid);
		assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, path, NULL, &pc), 4103);
		assert_string_equal(errstr(pc), "SUID not allowed for this target");
		json_decref(pc);
	}
	snprintf(path, sizeof(path), "fetchCredentials/%s/12", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	/* a MAF the enrolee does not list: the answer of an unknown KeID (no oracle) */
	snprintf(path, sizeof(path), "fetchCredentials/%s/21", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, m2, M2M_OP_RETRIEVE, path, NULL, &pc), 4004);
	assert_string_equal(errstr(pc), "unknown KeID");
	json_decref(pc);
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE,
				"fetchCredentials/0123456789ABCDEF0123456789ABCDEF@mef.example.com/21", NULL, &pc), 4004);
	assert_string_equal(errstr(pc), "unknown KeID");
	json_decref(pc);
	/* From: the MAF-FQDN (case-insensitive); another name is 4106 */
	assert_int_equal(fx_run_from(f, m, M2M_OP_RETRIEVE, path, MAF2, NULL, FX_NOW, NULL), 4106);
	/* the CSE-ID form is not the MAF's name */
	assert_int_equal(fx_run_from(f, m, M2M_OP_RETRIEVE, path, MAF_CSE, NULL, FX_NOW, NULL), 4106);
	assert_int_equal(fx_run_from(f, m, M2M_OP_RETRIEVE, path, "MAF.sp.example.com", NULL, FX_NOW, NULL), 2000);
	/* the Enrolment Expiry itself: expired */
	assert_int_equal(fx_run_from(f, m, M2M_OP_RETRIEVE, path, "MAF.sp.example.com", NULL, FX_NOW + 1000, &pc), 4103);
	assert_string_equal(errstr(pc), "enrolment expired");
	json_decref(pc);
	/* revocation deletes the registration: unknown afterwards */
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(m);
	m2m_mef_assoc_free(m2);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

/* A MAF is not a CSE: it cannot use a CSE target's procedures, even when an enrolee lists the
 * CSE-ID its certificate maps to; without maf-fqdns the same certificate is a plain CSE target. */
static void test_maf_not_cse(void **state)
{
	fx *f = fx_new_maf(NULL, NULL, NULL, 0, MAF, "/maf");
	fx *g = fx_new_maf(NULL, NULL, NULL, 0, NULL, "/maf");
	m2m_mef_assoc *a = fx_enrolee(f, 0x05), *m = fx_target(f, MAF_CSE), *c = fx_target(g, MAF_CSE);
	char path[160];

	(void)state;
	assert_int_equal(m2m_mef_assoc_peer(m), M2M_MEF_PEER_MAF);
	assert_int_equal(m2m_mef_assoc_peer(c), M2M_MEF_PEER_TARGET);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	snprintf(path, sizeof(path), "fetchCredentials/%s/22", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, path, NULL, NULL), 4103);
	/* listed as a CSE-ID only, not as a MAF-FQDN: no Km */
	snprintf(path, sizeof(path), "fetchCredentials/%s/21", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, "securityProfile/maf", NULL, NULL), 4103);
	assert_int_equal(fx_run(f, m, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4103);
	assert_int_equal(fx_run(f, m, M2M_OP_RETRIEVE, "mefKeyReg/0123456789ABCDEF0123456789ABCDEF", NULL, NULL), 4004);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(m);
	m2m_mef_assoc_free(c);
	fx_free(f);
	fx_free(g);
}

static void test_policy(void **state)
{
	const char *t[] = {"/cse-in", "maf.example.com", "//sp.example.com/x"};
	char out[256];

	(void)state;
	assert_true(m2m_mef_peer_suid_allowed(M2M_MEF_PEER_MAF, 21));
	assert_false(m2m_mef_peer_suid_allowed(M2M_MEF_PEER_MAF, 22));
	assert_false(m2m_mef_peer_suid_allowed(M2M_MEF_PEER_TARGET, 21));
	assert_true(m2m_mef_peer_suid_allowed(M2M_MEF_PEER_TARGET, 25));
	assert_false(m2m_mef_peer_suid_allowed(M2M_MEF_PEER_ENROLEE, 21));
	assert_false(m2m_mef_peer_suid_allowed(M2M_MEF_PEER_NONE, 21));
	assert_true(m2m_mef_fqdn_in_list("a.example.com  MAF.example.com", "maf.EXAMPLE.com."));
	assert_false(m2m_mef_fqdn_in_list("maf.example.com", "af.example.com"));
	assert_false(m2m_mef_fqdn_in_list("maf.example.com", "maf.example.co"));
	assert_false(m2m_mef_fqdn_in_list("", "maf.example.com"));
	assert_false(m2m_mef_fqdn_in_list(NULL, "maf.example.com"));
	assert_true(m2m_mef_maf_listed(t, 3, "MAF.example.com"));
	assert_false(m2m_mef_maf_listed(t, 3, "/cse-in"));
	assert_false(m2m_mef_maf_listed(t, 3, "cse-in.sp.example.com"));
	assert_int_equal(m2m_mef_target_canon("MAF.Example.COM", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "maf.example.com");
	assert_int_equal(m2m_mef_target_canon("/cse-in", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "/cse-in");
	assert_int_equal(m2m_mef_target_canon("//sp.example.com/cse-in", out, sizeof(out)), M2M_OK);
	assert_int_equal(m2m_mef_target_canon("maf", out, sizeof(out)), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_mef_target_canon("*.example.com", out, sizeof(out)), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_mef_target_canon("maf.example.com.", out, sizeof(out)), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_mef_target_canon("", out, sizeof(out)), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_mef_target_canon("/cse in", out, sizeof(out)), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_mef_target_canon("maf.example.com", out, 4), M2M_E_RANGE);
}

/* The store keeps a MAF-FQDN target lowercase and refuses a malformed one (nothing written). */
static void test_store_targets(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_CERT, .client_id = "Cdev9", .enrolee_id = "Cdev9",
			     .targets = {"MAF.Example.com"}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_mef_enrolee *got = NULL;

	(void)state;
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f->mef), &e, NULL, FX_NOW, NULL), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_get(m2m_mef_store(f->mef), "Cdev9", &got), M2M_OK);
	assert_int_equal(got->ntargets, 1);
	assert_string_equal(got->targets[0], "maf.example.com");
	m2m_mef_enrolee_free(got);
	e.client_id = "Cdev8";
	e.enrolee_id = "Cdev8";
	e.targets[0] = "maf";
	assert_int_not_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f->mef), &e, NULL, FX_NOW, NULL), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_get(m2m_mef_store(f->mef), "Cdev8", &got), M2M_E_NOT_FOUND);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maf_fetch_km),
		cmocka_unit_test(test_maf_not_cse),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_store_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
