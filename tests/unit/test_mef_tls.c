/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the in-process TLS tests of the MEF Handshake (TS-0003 clause 8.3.2.1)
 * and Enrolment Key Generation (clause 10.3.1): a real TLS-PSK handshake over a memory BIO pair
 * with m2m_mef_psk_resolve registered in the TLS resolver chain (psk_identity = KpmID),
 * m2m_mef_assoc_new_from_ssl on the server end, and the enrolee's own export on the client end:
 * both ends agree on KeID and Ke (the fetched usage-constrained key equals the client-side
 * derivation). A wrong Kpm, an unknown KpmID and a revoked enrolee fail the handshake.
 */
#include "tls_test.h"
#include "mef_fixture.h"
#include "m2msec/exporter.h"

#define KPM_HEX "1111111111111111111111111111111111111111111111111111111111111111"
#define BAD_HEX "1111111111111111111111111111111111111111111111111111111111111112"

static m2m_tls *mef_tls(fx *f)
{
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	m2m_tls *tls = NULL;

	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, m2m_mef_psk_resolve, f->mef), M2M_OK);
	return tls;
}

static bool try_psk(m2m_tls *tls, const char *id, const char *hex)
{
	struct tt_psk p;
	SSL_CTX *c;
	bool ok;

	tt_psk_set(&p, id, hex);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8:PSK-AES128-CBC-SHA256");
	ok = tt_try(m2m_tls_ctx(tls), c);
	SSL_CTX_free(c);
	return ok;
}

static void test_handshake_and_export(void **state)
{
	fx *f = fx_new(NULL);
	m2m_tls *tls = mef_tls(f);
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	m2m_sa sa;
	m2m_mef_assoc *a = NULL, *t = fx_target(f, FX_TARGET);
	m2m_key *cke = NULL, *ucsk = NULL;
	m2m_kdf *kdf = NULL;
	char to[200], hex[65];
	json_t *pc = NULL;
	m2m_request req;
	m2m_response rsp;

	(void)state;
	tt_psk_set(&p, FX_KPMID, KPM_HEX);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8");
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));
	assert_int_equal(m2m_tls_peer_sa(tls, conn.s, &sa), M2M_OK);
	assert_int_equal(m2m_mef_assoc_new_from_ssl(f->mef, conn.s, &sa, &a), M2M_OK);
	assert_int_equal(m2m_mef_assoc_peer(a), M2M_MEF_PEER_ENROLEE);
	/* the enrolee's side of clause 10.3.1 */
	assert_int_equal(m2m_tls_export_key(conn.c, M2M_EXPORTER_BOOTSTRAP, "mef.example.com", &cke, NULL, 0), M2M_OK);
	assert_string_equal(m2m_key_id(cke), m2m_mef_assoc_keid(a));
	/* registration with the real (HTTP-binding-shaped) request, then the target's fetch */
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_NOTIFY; /* POST without ty */
	req.to = strdup("mefClientReg");
	req.pc = json_loads(FX_REG_BODY, 0, NULL);
	m2m_mef_handle(f->w, a, &req, &rsp, FX_NOW);
	assert_int_equal(rsp.rsc, 2001);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	snprintf(to, sizeof(to), "/fetchCredentials/%s/22", m2m_key_id(cke));
	assert_int_equal(fx_run(f, t, M2M_OP_RETRIEVE, to, NULL, &pc), 2000);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_ucsk(kdf, cke, 22, "cse-in.sp.example.com", &ucsk), M2M_OK);
	assert_int_equal(m2m_key_export_hex(ucsk, hex, sizeof(hex)), M2M_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:fetchCredRsp"), "credential")), hex);
	json_decref(pc);
	m2m_kdf_free(kdf);
	m2m_key_free(ucsk);
	m2m_key_free(cke);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	m2m_tls_free(tls);
	fx_free(f);
}

static void test_handshake_refusals(void **state)
{
	fx *f = fx_new(NULL);
	m2m_tls *tls = mef_tls(f);

	(void)state;
	assert_true(try_psk(tls, FX_KPMID, KPM_HEX)); /* the control succeeds */
	assert_false(try_psk(tls, FX_KPMID, BAD_HEX));
	assert_false(try_psk(tls, "unknown@mef.example.com", KPM_HEX));
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_false(try_psk(tls, FX_KPMID, KPM_HEX));
	m2m_tls_free(tls);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_export),
		cmocka_unit_test(test_handshake_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
