/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF as NAF in the MAF service core (services/maf/
 * maf.c, TS-0003 clause 8.3.2.3 with clause 8.8.2.3; docs/procedures/gba.md "The MAF as NAF"): a
 * PSK association whose Credential-ID names a B-TID of the configured BSF, with the NAF key as
 * Km, is the peer kind GBA; it may only register (MAF Client Registration) and its Km is kept
 * under a MAF-assigned KmID whose re-check names the B-TID (a Zn RETRIEVE, maf_psk.c).
 */
#include "maf_fixture.h"

#define BSF "mef.example.com"
#define BTID "AAECAwQFBgcICQoLDA0ODw==@" BSF

static mx *mx_new_gba(const char *bsf_fqdn)
{
	mx *f = calloc(1, sizeof(*f));
	m2m_maf_config c = {.maf_fqdn = MX_FQDN, .sp_id = "//sp.example.com", .audit = mx_audit,
			    .bsf_fqdn = bsf_fqdn};

	assert_non_null(f);
	c.audit_ctx = f;
	sf_tmp_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "/tmp/m2mmafgXXXXXX", "maf.db");
	c.store = f->path;
	assert_int_equal(m2m_maf_new(&c, &f->maf), M2M_OK);
	assert_int_equal(m2m_maf_worker_new(f->maf, &f->w), M2M_OK);
	return f;
}

/* the association the NAF resolver makes (remote/gba_zn_rsp.c): "12-<B-TID>", bound to eid */
static m2m_maf_assoc *gba_assoc(mx *f, const char *btid, const char *eid, bool with_km)
{
	uint8_t kb[32];
	m2m_key *km = NULL;
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE, .expiry = MX_NOW + 3600};
	m2m_maf_assoc *a = NULL;

	memset(kb, 0x6b, sizeof(kb));
	snprintf(sa.credential_id, sizeof(sa.credential_id), "12-%s", btid);
	snprintf(sa.bound_id, sizeof(sa.bound_id), "%s", eid);
	assert_int_equal(m2m_key_new(kb, 32, &km), M2M_OK);
	assert_int_equal(m2m_maf_assoc_new(f->maf, &sa, NULL, with_km ? km : NULL, &a), M2M_OK);
	m2m_key_free(km);
	return a;
}

static void test_gba_peer(void **state)
{
	mx *f = mx_new_gba(BSF), *plain = mx_new_gba(NULL);
	m2m_maf_assoc *g = gba_assoc(f, BTID, "Cgba1", true);
	m2m_maf_assoc *other = gba_assoc(f, "AAECAwQFBgcICQoLDA0ODw==@other.example.com", "Cgba1", true);
	m2m_maf_assoc *nokm = gba_assoc(f, BTID, "Cgba1", false);
	m2m_maf_assoc *bad = gba_assoc(f, "AAECAwQFBgcICQoLDA0OD@" BSF, "Cgba1", true);
	m2m_maf_assoc *notnaf = gba_assoc(plain, BTID, "Cgba1", true);
	m2m_key *km = NULL;
	m2m_sa b;
	json_t *pc = NULL;
	char ke[M2M_SA_ID_MAX], kmid[128];

	(void)state;
	assert_int_equal(m2m_maf_assoc_peer(g), M2M_MAF_PEER_GBA);
	assert_string_equal(m2m_maf_assoc_client(g), BTID);
	assert_int_equal(m2m_maf_assoc_peer(other), M2M_MAF_PEER_NONE);  /* another BSF's B-TID */
	assert_int_equal(m2m_maf_assoc_peer(nokm), M2M_MAF_PEER_NONE);   /* no NAF key: nothing to register */
	assert_int_equal(m2m_maf_assoc_peer(bad), M2M_MAF_PEER_NONE);    /* not a B-TID */
	assert_int_equal(m2m_maf_assoc_peer(notnaf), M2M_MAF_PEER_NONE); /* a MAF without bsf-url */
	/* like remote provisioning (clause 8.8.2.3): MAF Client Registration only (4103) */
	assert_int_equal(mx_run(f, g, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), NULL), 4103);
	assert_string_equal(f->last_outcome, "not-authorized");
	assert_int_equal(mx_run(f, g, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
	assert_string_equal(mx_str(pc, "sec:mafClientReg", "mafClientID"), "Cgba1");
	snprintf(kmid, sizeof(kmid), "%s", mx_str(pc, "sec:mafClientReg", "assignedSymmKeyID"));
	json_decref(pc);
	/* the Km is the NAF key, bound to the Enrolee-ID, capped by the bootstrap's expiry; its
	 * re-check names the B-TID (Zn), once older than mef_recheck_seconds (60) */
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_string_equal(b.bound_id, "Cgba1");
	assert_true(b.expiry != 0 && b.expiry <= MX_NOW + 3600);
	assert_string_equal(ke, "");
	m2m_key_free(km);
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW + 61, &km, &b, ke, sizeof(ke)), M2M_OK);
	assert_string_equal(ke, BTID);
	m2m_key_free(km);
	/* the BSF's refusal (4103: NAF no longer authorised, bootstrap expired) revokes it */
	assert_int_equal(m2m_maf_km_rechecked(f->maf, kmid, M2M_E_AUTH, 0, MX_NOW + 62), M2M_OK);
	assert_string_equal(f->last_outcome, "revoked");
	assert_int_equal(m2m_maf_km_lookup(f->maf, kmid, MX_NOW + 63, &km, &b, ke, sizeof(ke)), M2M_E_KEY_REVOKED);
	m2m_maf_assoc_free(g);
	m2m_maf_assoc_free(other);
	m2m_maf_assoc_free(nokm);
	m2m_maf_assoc_free(bad);
	m2m_maf_assoc_free(notnaf);
	mx_free(f);
	mx_free(plain);
}

static void test_config(void **state)
{
	m2m_maf_config c = {.maf_fqdn = MX_FQDN, .store = "/tmp/x.db", .bsf_fqdn = "not a host"};
	m2m_maf *m = NULL;

	(void)state;
	assert_int_equal(m2m_maf_new(&c, &m), M2M_E_CONFIG);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gba_peer),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
