/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF core (services/mef/mef.c): association
 * classification, the MEF Handshake PSK resolver (TS-0003 clause 8.3.2.1) and the dispatch
 * refusals (4107 without an association, 4004 for an unknown resource) and the audit
 * hook (one event per outcome with its cause, never a key).
 */
#include "mef_fixture.h"

static void test_psk_resolver(void **state)
{
	fx *f = fx_new(NULL);
	m2m_key *k = NULL;
	m2m_sa b;

	(void)state;
	assert_int_equal(m2m_mef_psk_resolve(f->mef, FX_KPMID, FX_NOW, &k, &b), M2M_OK);
	assert_int_equal(m2m_key_len(k), 32);
	assert_string_equal(b.bound_id, FX_EID);
	assert_string_equal(b.credential_id, "10-" FX_KPMID);
	m2m_key_free(k);
	/* unknown KpmID: the next resolver may try; expired: the handshake fails */
	assert_int_equal(m2m_mef_psk_resolve(f->mef, "nobody@mef.example.com", FX_NOW, &k, &b), M2M_E_NOT_FOUND);
	assert_null(k);
	assert_int_equal(m2m_mef_psk_resolve(f->mef, FX_KPMID, FX_NOW + 1000, &k, &b), M2M_E_KEY_EXPIRED);
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mef_psk_resolve(f->mef, FX_KPMID, FX_NOW, &k, &b), M2M_E_KEY_REVOKED);
	assert_null(k);
	fx_free(f);
}

static void test_classify_and_dispatch(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *e = fx_enrolee(f, 0xAB), *t = fx_target(f, FX_TARGET), *n = NULL;
	m2m_sa none = {.kind = M2M_SA_PSK};

	(void)state;
	assert_int_equal(m2m_mef_assoc_peer(e), M2M_MEF_PEER_ENROLEE);
	assert_non_null(m2m_mef_assoc_keid(e));
	assert_int_equal(m2m_mef_assoc_peer(t), M2M_MEF_PEER_TARGET);
	snprintf(none.credential_id, sizeof(none.credential_id), "10-x@mef.example.com");
	assert_int_equal(m2m_mef_assoc_new(f->mef, &none, NULL, NULL, &n), M2M_OK);
	assert_int_equal(m2m_mef_assoc_peer(n), M2M_MEF_PEER_NONE);
	assert_int_equal(fx_run(f, NULL, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4107);
	assert_int_equal(fx_run(f, n, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4107);
	assert_int_equal(fx_run(f, e, M2M_OP_RETRIEVE, "nothing", NULL, NULL), 4004);
	/* a target may not register as a MEF client */
	assert_int_equal(fx_run(f, t, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4103);
	m2m_mef_assoc_free(e);
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(n);
	fx_free(f);
}

/* The audit hook: one event per outcome, with the cause, never a key. */
struct audit_log {
	char lines[16][512];
	int n;
};

static void capture(void *ctx, const m2m_mef_audit *ev)
{
	struct audit_log *l = ctx;

	if (l->n < 16)
		snprintf(l->lines[l->n++], sizeof(l->lines[0]), "%s|%s|%d|%s|%s|%s|%d", ev->procedure, ev->outcome, ev->rsc,
			 ev->client ? ev->client : "-", ev->enrolee_id ? ev->enrolee_id : "-",
			 ev->key_id ? ev->key_id : "-", ev->suid);
}

static void test_audit(void **state)
{
	struct audit_log l = {.n = 0};
	fx *f = fx_new_audit(NULL, capture, &l);
	m2m_mef_assoc *a = fx_enrolee(f, 0x05), *t = fx_target(f, FX_TARGET);
	m2m_key *k = NULL;
	m2m_sa b;
	char path[160], want[512];

	(void)state;
	assert_int_equal(m2m_mef_psk_resolve(f->mef, "ghost@mef.example.com", FX_NOW, &k, &b), M2M_E_NOT_FOUND);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	snprintf(path, sizeof(path), "fetchCredentials/%s/22", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, "fetchCredentials/x/22", NULL, NULL), 4000);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.lines[0], "psk-lookup|unknown-client|0|ghost@mef.example.com|-|-|0");
	snprintf(want, sizeof(want), "client-registration|ok|2001|" FX_KPMID "|" FX_EID "|%s|0", m2m_mef_assoc_keid(a));
	assert_string_equal(l.lines[1], want);
	snprintf(want, sizeof(want), "fetch-credentials|ok|2000|" FX_TARGET "|" FX_EID "|%s|22", m2m_mef_assoc_keid(a));
	assert_string_equal(l.lines[2], want);
	assert_string_equal(l.lines[3], "fetch-credentials|malformed|4000|" FX_TARGET "|-|-|0");
	/* the delivered key (test_mef_fetch.c KAT for this Ke) appears in no event */
	for (int i = 0; i < l.n; i++)
		assert_null(strstr(l.lines[i], "b0fbca607d36b495"));
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

/* Accessors for the transport (rate limiting) and the EST helper (CSR SAN policy). */
static void test_assoc_accessors(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x0B), *t = fx_target(f, FX_TARGET);
	m2m_mef_enrolee *e = NULL;

	(void)state;
	assert_string_equal(m2m_mef_assoc_client(a), FX_KPMID);
	assert_string_equal(m2m_mef_assoc_client(t), FX_TARGET);
	assert_int_equal(m2m_mef_assoc_sa(t)->kind, M2M_SA_CERT);
	assert_int_equal(m2m_mef_assoc_enrolee(f->w, t, FX_NOW, &e), M2M_E_AUTH);
	assert_int_equal(m2m_mef_assoc_enrolee(f->w, a, FX_NOW, &e), M2M_OK);
	assert_string_equal(e->enrolee_id, FX_EID);
	assert_null(e->keid);
	assert_true(m2m_mef_claim_allowed(e->enrolee_id, e->allowed, FX_EID));
	assert_false(m2m_mef_claim_allowed(e->enrolee_id, e->allowed, "Cforeign"));
	m2m_mef_enrolee_free(e);
	e = NULL;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(m2m_mef_assoc_enrolee(f->w, a, FX_NOW, &e), M2M_OK);
	assert_string_equal(e->keid, m2m_mef_assoc_keid(a));
	m2m_mef_enrolee_free(e);
	e = NULL;
	assert_int_equal(m2m_mef_assoc_enrolee(f->w, a, FX_NOW + 1000, &e), M2M_E_KEY_EXPIRED);
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mef_assoc_enrolee(f->w, a, FX_NOW, &e), M2M_E_KEY_REVOKED);
	assert_null(e);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_resolver),
		cmocka_unit_test(test_classify_and_dispatch),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_assoc_accessors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
