/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the BSF role of the MEF (services/mef/bsf.c,
 * m2msec/bsf.h; TS 33.220 clause 4.5.2, RFC 3310, TS 24.109 clause 5.2) without a network: raw
 * requests to m2m_bsf_handle, a software USIM answering. A bootstrap stores Ks = CK || IK under
 * the B-TID of the 200 body; a replayed answer is 403; no Authorization / malformed / another
 * method are 400 / 405; the pending challenges are bounded (503) and the per-IMPI rate limit
 * answers 429.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "m2msec/bsf.h"
#include "m2msec/bsfstore.h"
#include "m2msec/gba_ub.h"
#include "m2msec/hss.h"
#include "mef_fixture.h"

#define IMPI "u1@ims.example.org"
#define BSF_FQDN "mef.example.com"

struct t {
	fx *f;
	char hss[200];
	m2m_bsf *b;
	m2m_usim *u;
};

static void t_new(struct t *t, size_t max_pending, unsigned rate)
{
	uint8_t kb[16], ob[16];
	m2m_key *k = NULL, *opc = NULL;
	m2m_bsf_config c = {.bsf_fqdn = BSF_FQDN, .lifetime_s = 600, .max_pending = max_pending, .rate_per_minute = rate};

	t->f = fx_new(NULL);
	snprintf(t->hss, sizeof(t->hss), "%s/hss.txt", t->f->dir);
	for (int i = 0; i < 16; i++) {
		kb[i] = (uint8_t)(i * 7);
		ob[i] = (uint8_t)(i * 13 + 1);
	}
	assert_int_equal(m2m_key_new(kb, 16, &k), M2M_OK);
	assert_int_equal(m2m_key_new(ob, 16, &opc), M2M_OK);
	assert_int_equal(m2m_hss_add(t->hss, IMPI, k, opc), M2M_OK);
	assert_int_equal(m2m_usim_new(k, opc, 0, &t->u), M2M_OK);
	c.hss_file = t->hss;
	assert_int_equal(m2m_bsf_new(&c, t->f->mef, &t->b), M2M_OK);
	m2m_key_free(k);
	m2m_key_free(opc);
}

static void t_free(struct t *t)
{
	char p[256];

	m2m_bsf_free(t->b);
	m2m_usim_free(t->u);
	unlink(t->hss);
	snprintf(p, sizeof(p), "%s.lock", t->hss);
	unlink(p);
	fx_free(t->f);
}

/* One GET with Authorization value authz (NULL = none) at now -> rsp (the caller clears it). */
static int get_at(struct t *t, const char *method, const char *authz, int64_t now, m2m_http_raw_response *rsp)
{
	m2m_http_header h = {"authorization", authz};
	m2m_http_raw_request req = {.method = method, .target = M2M_BSF_PATH, .headers = &h, .nheaders = authz ? 1 : 0};

	memset(rsp, 0, sizeof(*rsp));
	m2m_bsf_handle(t->b, &req, now, rsp);
	return rsp->status;
}

static int get(struct t *t, const char *method, const char *authz, m2m_http_raw_response *rsp)
{
	return get_at(t, method, authz, FX_NOW, rsp);
}

static void clear(m2m_http_raw_response *rsp)
{
	free(rsp->body);
	free(rsp->www_authenticate);
	memset(rsp, 0, sizeof(*rsp));
}

static const char *initial = "Digest username=\"" IMPI "\", realm=\"" BSF_FQDN "\", nonce=\"\", uri=\"/bsf\", response=\"\"";

static void test_bootstrap_then_replay(void **state)
{
	struct t t;
	m2m_http_raw_response rsp;
	m2m_digest ch;
	m2m_gba_answer a;
	char cred[M2M_DIGEST_HDR_MAX], btid[M2M_GBA_BTID_MAX], impi[64];
	m2m_key *ks = NULL;
	const char *p, *e;

	(void)state;
	t_new(&t, 0, 0);
	assert_int_equal(get(&t, "GET", initial, &rsp), 401);
	assert_non_null(rsp.www_authenticate);
	assert_int_equal(m2m_digest_parse(rsp.www_authenticate, strlen(rsp.www_authenticate), M2M_DIGEST_CHALLENGE, &ch),
			 M2M_OK);
	assert_string_equal(ch.realm, BSF_FQDN);
	clear(&rsp);
	assert_int_equal(m2m_gba_ue_answer(t.u, &ch, IMPI, "GET", "/bsf", "c1", 1, &a), M2M_OK);
	assert_int_equal(m2m_digest_format_credentials(&a.cred, cred, sizeof(cred)), M2M_OK);
	assert_int_equal(get(&t, "GET", cred, &rsp), 200);
	assert_string_equal(rsp.content_type, M2M_BSF_CONTENT_TYPE);
	assert_non_null(p = strstr(rsp.body, "<btid>"));
	p += 6;
	assert_non_null(e = strstr(p, "</btid>"));
	snprintf(btid, sizeof(btid), "%.*s", (int)(e - p), p);
	assert_non_null(strstr(rsp.body, "<lifetime>"));
	clear(&rsp);
	assert_int_equal(m2m_mefstore_bootstrap_get(m2m_mef_store(t.f->mef), btid, FX_NOW, impi, sizeof(impi), NULL, &ks,
						    NULL),
			 M2M_OK);
	assert_string_equal(impi, IMPI);
	assert_true(m2m_key_equal(ks, a.ks)); /* Ks = CK || IK on both sides */
	m2m_key_free(ks);
	/* the same answer again: the challenge was used up */
	assert_int_equal(get(&t, "GET", cred, &rsp), 403);
	clear(&rsp);
	m2m_gba_answer_clear(&a);
	t_free(&t);
}

/* A challenge answered after its 60 s (m2m_bsf_config.challenge_ttl_s default) is refused. */
static void test_expired_challenge(void **state)
{
	struct t t;
	m2m_http_raw_response rsp;
	m2m_digest ch;
	m2m_gba_answer a;
	char cred[M2M_DIGEST_HDR_MAX];

	(void)state;
	t_new(&t, 0, 0);
	assert_int_equal(get(&t, "GET", initial, &rsp), 401);
	assert_int_equal(m2m_digest_parse(rsp.www_authenticate, strlen(rsp.www_authenticate), M2M_DIGEST_CHALLENGE, &ch),
			 M2M_OK);
	clear(&rsp);
	assert_int_equal(m2m_gba_ue_answer(t.u, &ch, IMPI, "GET", "/bsf", "c1", 1, &a), M2M_OK);
	assert_int_equal(m2m_digest_format_credentials(&a.cred, cred, sizeof(cred)), M2M_OK);
	assert_int_equal(get_at(&t, "GET", cred, FX_NOW + 60, &rsp), 403);
	clear(&rsp);
	m2m_gba_answer_clear(&a);
	t_free(&t);
}

static void test_malformed_and_method(void **state)
{
	struct t t;
	m2m_http_raw_response rsp;
	uint64_t sqn = 9;

	(void)state;
	t_new(&t, 0, 0);
	assert_int_equal(get(&t, "GET", NULL, &rsp), 400);
	clear(&rsp);
	assert_int_equal(get(&t, "GET", "Basic abc", &rsp), 400);
	clear(&rsp);
	assert_int_equal(get(&t, "GET", "Digest username=\"" IMPI "\", realm=\"x\"", &rsp), 400);
	clear(&rsp);
	assert_int_equal(get(&t, "POST", initial, &rsp), 405);
	clear(&rsp);
	assert_int_equal(m2m_hss_sqn(t.hss, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 0); /* no vector spent */
	assert_int_equal(get(&t, "GET", "Digest username=\"nobody@x.org\", realm=\"x\", nonce=\"\", uri=\"/bsf\", response=\"\"",
			     &rsp),
			 403);
	clear(&rsp);
	t_free(&t);
}

static void test_pending_bound_and_rate_limit(void **state)
{
	struct t t;
	m2m_http_raw_response rsp;

	(void)state;
	t_new(&t, 1, 0);
	assert_int_equal(get(&t, "GET", initial, &rsp), 401);
	clear(&rsp);
	assert_int_equal(get(&t, "GET", initial, &rsp), 503);
	assert_true(rsp.retry_after > 0);
	clear(&rsp);
	t_free(&t);
	t_new(&t, 0, 1);
	assert_int_equal(get(&t, "GET", initial, &rsp), 401);
	clear(&rsp);
	assert_int_equal(get(&t, "GET", initial, &rsp), 429);
	assert_true(rsp.retry_after > 0);
	clear(&rsp);
	t_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap_then_replay),
		cmocka_unit_test(test_expired_challenge),
		cmocka_unit_test(test_malformed_and_method),
		cmocka_unit_test(test_pending_bound_and_rate_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
