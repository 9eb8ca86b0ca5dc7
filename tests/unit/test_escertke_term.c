/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/escertke_term.c, the CSE as ESCertKE
 * Terminating End-Point (TS-0003 clause 8.7, TS-0001 clause 11.4.3 C.1a-C.1d, TS-0004 clause
 * 7.5.1.2.12): the library initiator (tls/escertke.c) runs the procedure through NOTIFYs to the
 * <CSEBase>; the key the CSE stores (KPSA, SUID 43, owner = the initiator) equals the initiator's
 * export; correlation by From, expiry (the request clock), the per-initiator key bound, and what
 * is not an ESCertKE message are checked with their exact RSCs.
 */
#include "tls_test.h"

#include "cse_fixture.h"
#include "m2msec/credstore.h"
#include "m2msec/escertke.h"
#include "m2msec/seci_e2e.h"

#define SP "//sp.example.com"
#define FQDN "id-in.sp.example.com"

static char ca_pem[256], cse_crt[256], cse_key[256], ae1_crt[256], ae1_key[256], ae2_crt[256], ae2_key[256];

static int group_setup(void **state)
{
	struct tt_cert_opts ca_o = {.cn = "m2m test CA", .ca = true, .from = -60, .to = 86400};
	EVP_PKEY *ck = tt_key_p256();
	X509 *c = tt_cert(ck, NULL, NULL, &ca_o);

	(void)state;
	snprintf(ca_pem, sizeof(ca_pem), "%s", tt_write_cert("ca.pem", c));
	tt_write_leaf(ck, c, "DNS:id-in.sp.example.com", "cse", cse_crt, cse_key, 256);
	tt_write_leaf(ck, c, "URI:m2m://sp.example.com/id-in/Cae1", "ae1", ae1_crt, ae1_key, 256);
	tt_write_leaf(ck, c, "URI:m2m://sp.example.com/id-in/Cae2", "ae2", ae2_crt, ae2_key, 256);
	X509_free(c);
	EVP_PKEY_free(ck);
	return 0;
}

/* A CSE with escertke on (or off) and esprim as given, its own store and credential store. */
static fx *open_cse_esp(bool on, int keys, bool esprim)
{
	fx *f = calloc(1, sizeof(*f));
	m2m_credstore *cs = NULL;
	char p[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2meck.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
	m2m_cse_config_defaults(&f->cfg);
	snprintf(f->cfg.store, sizeof(f->cfg.store), "%s", f->db);
	snprintf(f->cfg.sp_id, sizeof(f->cfg.sp_id), SP);
	snprintf(f->cfg.cse_id, sizeof(f->cfg.cse_id), "/id-in");
	snprintf(f->cfg.cert, sizeof(f->cfg.cert), "%s", cse_crt);
	snprintf(f->cfg.key, sizeof(f->cfg.key), "%s", cse_key);
	snprintf(f->cfg.trust_anchors, sizeof(f->cfg.trust_anchors), "%s", ca_pem);
	snprintf(p, sizeof(p), "%s/cred.db", f->dir);
	assert_int_equal(m2m_credstore_create(p, &cs), M2M_OK);
	m2m_credstore_close(cs);
	snprintf(f->cfg.cred_store, sizeof(f->cfg.cred_store), "%s", p);
	f->cfg.escertke = on;
	f->cfg.escertke_keys = keys;
	f->cfg.esprim = esprim;
	assert_int_equal(m2m_cse_new(&f->cfg, &f->cse), M2M_OK);
	assert_int_equal(m2m_cse_worker_new(f->cse, &f->w), M2M_OK);
	f->now = (int64_t)time(NULL);
	f->authed = true;
	m2m_request_init(&f->req);
	m2m_response_init(&f->rsp);
	return f;
}

/* NOTIFY seci sit 6 carrying m to the <CSEBase> (To in one of its forms) from fr; *out = the answer. */
static int send_msg(fx *f, const char *to, const char *fr, const uint8_t *m, size_t n, uint8_t **out, size_t *on)
{
	m2m_seci_e2e s = {.sit = M2M_SECI_ESCERTKE, .eckm = (uint8_t *)m, .eckm_len = n}, got;
	char *text = NULL, *ans;

	assert_int_equal(m2m_seci_e2e_encode(&s, &text), M2M_OK);
	fx_prepare(f, M2M_OP_NOTIFY, to, fr, 0, text);
	free(text);
	if (fx_send(f) == M2M_RSC_OK && out != NULL) {
		ans = json_dumps(f->rsp.pc, JSON_COMPACT);
		assert_int_equal(m2m_seci_e2e_decode(ans, strlen(ans), f->now, &got), M2M_OK);
		free(ans);
		*out = got.eckm;
		*on = got.eckm_len;
		got.eckm = NULL;
		m2m_seci_e2e_clear(&got);
	}
	return f->rsp.rsc;
}

static fx *open_cse(bool on, int keys)
{
	return open_cse_esp(on, keys, true);
}

struct ini {
	m2m_escertke_ctx *ctx;
	m2m_escertke *e;
	uint8_t *m[5];
	size_t n[5];
};

static void ini_open(struct ini *i, const char *crt, const char *key)
{
	m2m_escertke_config c = {.cert_file = crt, .key_file = key, .trust_anchors = ca_pem, .sp_id = SP,
				 .cse_id = "/id-in"};

	memset(i, 0, sizeof(*i));
	assert_int_equal(m2m_escertke_ctx_new(&c, true, &i->ctx, NULL, 0), M2M_OK);
	assert_int_equal(m2m_escertke_new(i->ctx, SP "/id-in", &i->e), M2M_OK);
	assert_int_equal(m2m_escertke_step(i->e, NULL, 0, &i->m[1], &i->n[1]), M2M_OK);
}

static void ini_close(struct ini *i)
{
	for (int k = 0; k < 5; k++)
		free(i->m[k]);
	m2m_escertke_free(i->e);
	m2m_escertke_ctx_free(i->ctx);
}

/* Messages 1-2 with the CSE, message 3 formed. */
static void first_half(fx *f, struct ini *i, const char *fr)
{
	assert_int_equal(send_msg(f, "/id-in", fr, i->m[1], i->n[1], &i->m[2], &i->n[2]), M2M_RSC_OK);
	assert_int_equal(m2m_escertke_step(i->e, i->m[2], i->n[2], &i->m[3], &i->n[3]), M2M_OK);
}

static size_t count_keys(fx *f)
{
	m2m_credstore *cs = NULL;
	size_t active = 0, all = 0;

	assert_int_equal(m2m_credstore_open(f->cfg.cred_store, &cs), M2M_OK);
	assert_int_equal(m2m_credstore_count_owner(cs, M2M_CRED_KIND_KPSA, SP "/id-in/Cae1", f->now, &active, &all),
			 M2M_OK);
	m2m_credstore_close(cs);
	return all;
}

static void test_exchange_stores_the_initiators_key(void **state)
{
	fx *f = open_cse(true, 16);
	struct ini i;
	m2m_key *mine = NULL, *stored = NULL;
	m2m_cred_info *info = NULL;
	m2m_credstore *cs = NULL;
	char kid[128];
	uint8_t *none = NULL;
	size_t nn = 0;

	(void)state;
	ini_open(&i, ae1_crt, ae1_key);
	first_half(f, &i, "Cae1");
	/* "/id-in/." (TS-0001 11.4.2 NOTE 2) addresses the <CSEBase> too */
	assert_int_equal(send_msg(f, "/id-in/.", "Cae1", i.m[3], i.n[3], &i.m[4], &i.n[4]), M2M_RSC_OK);
	assert_int_equal(m2m_escertke_step(i.e, i.m[4], i.n[4], &none, &nn), M2M_OK);
	assert_int_equal(m2m_escertke_export(i.e, FQDN, &mine, kid, sizeof(kid)), M2M_OK);
	assert_int_equal(m2m_credstore_open(f->cfg.cred_store, &cs), M2M_OK);
	assert_int_equal(m2m_credstore_lookup(cs, kid, M2M_CRED_KIND_KPSA, f->now, &stored, &info), M2M_OK);
	assert_true(m2m_key_equal(mine, stored)); /* both ends hold the same pairwiseE2EKey */
	assert_int_equal(info->suid, 43);
	assert_string_equal(info->owner, SP "/id-in/Cae1");
	assert_int_equal(info->not_after, 0); /* TS-0003 8.4.2 A: no lifetime = never expires */
	m2m_credstore_info_free(info);
	m2m_credstore_close(cs);
	m2m_key_free(mine);
	m2m_key_free(stored);
	/* replay of message 3: no procedure in progress */
	assert_int_equal(send_msg(f, "/id-in", "Cae1", i.m[3], i.n[3], NULL, NULL), M2M_RSC_BAD_REQUEST);
	ini_close(&i);
	fx_close(f);
}

static void test_correlation_by_from_and_expiry(void **state)
{
	fx *f = open_cse(true, 16);
	struct ini i;

	(void)state;
	ini_open(&i, ae1_crt, ae1_key);
	first_half(f, &i, "Cae1");
	/* C.1c: message 3 is correlated by From; Cae2 has no procedure */
	assert_int_equal(send_msg(f, "/id-in", "Cae2", i.m[3], i.n[3], NULL, NULL), M2M_RSC_BAD_REQUEST);
	/* past escertke-lifetime (the request clock) the procedure of Cae1 is gone */
	f->now += f->cfg.escertke_lifetime;
	assert_int_equal(send_msg(f, "/id-in", "Cae1", i.m[3], i.n[3], NULL, NULL), M2M_RSC_BAD_REQUEST);
	assert_non_null(strstr(fx_dbg(f), "expired"));
	assert_int_equal(count_keys(f), 0);
	ini_close(&i);
	fx_close(f);
}

static void test_certificate_of_another_from(void **state)
{
	fx *f = open_cse(true, 16);
	struct ini i;

	(void)state;
	ini_open(&i, ae2_crt, ae2_key); /* Cae2's certificate, From Cae1 */
	first_half(f, &i, "Cae1");
	assert_int_equal(send_msg(f, "/id-in", "Cae1", i.m[3], i.n[3], NULL, NULL),
			 M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_int_equal(count_keys(f), 0);
	ini_close(&i);
	fx_close(f);
}

static void test_keys_per_initiator_bounded(void **state)
{
	fx *f = open_cse(true, 2);
	char first[128] = "";

	(void)state;
	for (int k = 0; k < 3; k++) {
		struct ini i;
		m2m_key *key = NULL;
		char kid[128];
		uint8_t *none = NULL;
		size_t nn = 0;

		ini_open(&i, ae1_crt, ae1_key);
		first_half(f, &i, "Cae1");
		assert_int_equal(send_msg(f, "/id-in", "Cae1", i.m[3], i.n[3], &i.m[4], &i.n[4]), M2M_RSC_OK);
		assert_int_equal(m2m_escertke_step(i.e, i.m[4], i.n[4], &none, &nn), M2M_OK);
		assert_int_equal(m2m_escertke_export(i.e, FQDN, &key, kid, sizeof(kid)), M2M_OK);
		if (k == 0)
			snprintf(first, sizeof(first), "%s", kid);
		m2m_key_free(key);
		ini_close(&i);
		f->now++;
	}
	assert_int_equal(count_keys(f), 2);
	{
		m2m_credstore *cs = NULL;
		m2m_key *key = NULL;

		assert_int_equal(m2m_credstore_open(f->cfg.cred_store, &cs), M2M_OK);
		assert_int_equal(m2m_credstore_lookup_key(cs, first, M2M_CRED_KIND_KPSA, f->now, &key), M2M_E_NOT_FOUND);
		m2m_credstore_close(cs);
	}
	fx_close(f);
}

static void test_not_escertke(void **state)
{
	fx *f = open_cse(false, 16);
	struct ini i;

	(void)state;
	ini_open(&i, ae1_crt, ae1_key);
	assert_int_equal(send_msg(f, "/id-in", "Cae1", i.m[1], i.n[1], NULL, NULL), M2M_RSC_NOT_IMPLEMENTED);
	assert_non_null(strstr(fx_dbg(f), "escertke"));
	fx_close(f);
	f = open_cse(true, 16);
	/* addressed to something else than the <CSEBase>: not the CSE's procedure */
	/* (the ESPrim Receiver's seci dispatch answers it: there is no such <AE>) */
	assert_int_equal(send_msg(f, "/id-in/Cae9", "Cae1", i.m[1], i.n[1], NULL, NULL), M2M_RSC_NOT_FOUND);
	assert_null(strstr(fx_dbg(f), "ESCertKE"));
	/* another securityInfo type falls through to the ESPrim Receiver (esprim_rx.c): sit 3 -> 4 */
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in", "Cae1", 0, "{\"m2m:seci\":{\"sit\":3}}");
	assert_int_equal(fx_send(f), M2M_RSC_OK);
	assert_null(strstr(fx_dbg(f), "ESCertKE"));
	/* a NOTIFY with a Resource Type is malformed before it is ESCertKE's (TS-0004 Table 7.2.1.1-1) */
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in", "Cae1", 4, "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"AAAA\"}}");
	assert_int_equal(fx_send(f), M2M_RSC_BAD_REQUEST);
	assert_null(strstr(fx_dbg(f), "ESCertKE"));
	/* sit 6 with a malformed element */
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in", "Cae1", 0, "{\"m2m:seci\":{\"sit\":6,\"eckm\":\"@@@@\"}}");
	assert_int_equal(fx_send(f), M2M_RSC_BAD_REQUEST);
	ini_close(&i);
	fx_close(f);
}

/* ESCertKE and ESPrim are switched independently although one table (esprim_rx.c seci_handlers)
 * routes both: with esprim = false an ESCertKE message is still answered and the ESPrim types are
 * refused 5001 naming esprim; with escertke off and esprim on, the reverse. */
static void test_switches_independent(void **state)
{
	fx *f = open_cse_esp(true, 16, false);
	struct ini i;

	(void)state;
	ini_open(&i, ae1_crt, ae1_key);
	first_half(f, &i, "Cae1");
	assert_non_null(i.m[2]);
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in", "Cae1", 0, "{\"m2m:seci\":{\"sit\":3}}");
	assert_int_equal(fx_send(f), M2M_RSC_NOT_IMPLEMENTED);
	assert_non_null(strstr(fx_dbg(f), "esprim"));
	fx_close(f);
	f = open_cse_esp(false, 16, true);
	assert_int_equal(send_msg(f, "cse-in", "Cae1", i.m[1], i.n[1], NULL, NULL), M2M_RSC_NOT_IMPLEMENTED);
	assert_non_null(strstr(fx_dbg(f), "escertke"));
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in/.", "Cae1", 0, "{\"m2m:seci\":{\"sit\":3}}");
	assert_int_equal(fx_send(f), M2M_RSC_OK);
	ini_close(&i);
	fx_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_stores_the_initiators_key),
		cmocka_unit_test(test_correlation_by_from_and_expiry),
		cmocka_unit_test(test_certificate_of_another_from),
		cmocka_unit_test(test_keys_per_initiator_bounded),
		cmocka_unit_test(test_not_escertke),
		cmocka_unit_test(test_switches_independent),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
