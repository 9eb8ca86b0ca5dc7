/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/esprim_state.c, the ESPrim Receiver's
 * memory: the shared rand object (stable, renewed at half its lifetime, the previous one still
 * found), non-shared objects bound to their Originator and bounded per Originator, originator
 * objects remembered per kid, and the bounded replay window (replay refused; an object older
 * than what the window forgot refused).
 */
#include <stdio.h>

#include "esprim_fixture.h"
#include "services/cse/esprim_rx.h"

static m2mi_esprim *mk(void)
{
	m2m_cse_config cfg;
	m2mi_esprim *e = NULL;

	m2m_cse_config_defaults(&cfg);
	cfg.esprim_rand_seconds = 100;
	assert_int_equal(m2mi_esprim_new(&cfg, &e), M2M_OK);
	return e;
}

static void test_shared(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand a, b, c, f;

	(void)state;
	assert_int_equal(m2mi_esprim_shared(e, T0, &a), M2M_OK);
	assert_true(m2m_esprim_rand_id_shared(a.id));
	assert_int_equal(a.expiry, T0 + 100);
	assert_int_equal(m2mi_esprim_shared(e, T0 + 40, &b), M2M_OK);
	assert_string_equal(a.id, b.id); /* stable while more than half is left */
	assert_int_equal(m2mi_esprim_shared(e, T0 + 51, &c), M2M_OK);
	assert_string_not_equal(a.id, c.id); /* renewed */
	assert_int_equal(m2mi_esprim_find_rro(e, a.id, "//x/id-in/CAE1", &f), M2M_OK); /* previous still found */
	assert_int_equal(m2mi_esprim_find_rro(e, c.id, "//x/id-in/CAE1", &f), M2M_OK);
	assert_int_equal(m2mi_esprim_find_rro(e, "snope", "//x/id-in/CAE1", &f), M2M_E_ESP_RECV_RAND);
	m2mi_esprim_free(e);
}

static void test_non_shared(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand first, r, f;

	(void)state;
	assert_int_equal(m2mi_esprim_issue(e, "A", T0, &first), M2M_OK);
	assert_false(m2m_esprim_rand_id_shared(first.id));
	assert_int_equal(m2mi_esprim_find_rro(e, first.id, "A", &f), M2M_OK);
	assert_int_equal(m2mi_esprim_find_rro(e, first.id, "B", &f), M2M_E_ESP_RECV_RAND); /* not B's */
	for (int i = 0; i < M2MI_ESP_NS_PER_ORIG; i++)
		assert_int_equal(m2mi_esprim_issue(e, "A", T0, &r), M2M_OK);
	/* A's oldest made room for its newest; nobody else lost anything */
	assert_int_equal(m2mi_esprim_find_rro(e, first.id, "A", &f), M2M_E_ESP_RECV_RAND);
	assert_int_equal(m2mi_esprim_find_rro(e, r.id, "A", &f), M2M_OK);
	m2mi_esprim_free(e);
}

static void test_oro_and_replay(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand rro, oro, f;

	(void)state;
	fx_rands(&rro, &oro);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", oro.id, NULL, &f), M2M_E_ESP_ORIG_RAND);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", "other", &oro, &f), M2M_E_ESP_ORIG_RAND);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", oro.id, &oro, &f), M2M_OK);
	m2mi_esprim_keep_oro(e, "k", &oro);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", oro.id, NULL, &f), M2M_OK);
	assert_int_equal(m2mi_esprim_find_oro(e, "k2", oro.id, NULL, &f), M2M_E_ESP_ORIG_RAND); /* per kid */
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq1", T0), M2M_OK);
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq1", T0), M2M_E_EXISTS);
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq2", T0), M2M_OK);
	assert_int_equal(m2mi_esprim_replay(e, "k2", &oro, "rq1", T0), M2M_OK);
	/* fill the window with later objects: the earliest entries are forgotten and their
	 * originator rand object is refused from then on (esprim_replay.c; test_esprim_replay.c) */
	for (int i = 0; i < M2MI_ESP_REPLAY_MAX; i++) {
		m2m_esprim_rand later = oro;
		char rqi[16];
		later.expiry = oro.expiry + 10;
		snprintf(later.id, sizeof(later.id), "later");
		snprintf(rqi, sizeof(rqi), "x%d", i);
		assert_int_equal(m2mi_esprim_replay(e, "k", &later, rqi, T0), M2M_OK);
	}
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq9", T0), M2M_E_ESP_ORIG_RAND);
	m2mi_esprim_free(e);
}

/* At the bench's rate (several thousand ESPrim requests/s, a few sessions whose originator rand
 * objects expire in the same second) no legitimate request is refused for seconds of traffic,
 * and a replay is still refused: the old window (4096 entries, evicting by expiry) refused every
 * session expiring in the same second once full. */
static void test_replay_rate(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand rro, oro, s[4];
	char rqi[16];

	(void)state;
	fx_rands(&rro, &oro);
	for (int i = 0; i < 4; i++) {
		s[i] = oro;
		snprintf(s[i].id, sizeof(s[i].id), "ses%d", i);
	}
	for (int i = 0; i < 25000; i++) { /* 5 s at 5000/s */
		snprintf(rqi, sizeof(rqi), "r%d", i);
		assert_int_equal(m2mi_esprim_replay(e, "k", &s[i % 4], rqi, T0), M2M_OK);
	}
	assert_int_equal(m2mi_esprim_replay(e, "k", &s[0], "r0", T0), M2M_E_EXISTS);
	assert_int_equal(m2mi_esprim_replay(e, "k", &s[3], "r24999", T0), M2M_E_EXISTS);
	m2mi_esprim_free(e);
}

/* The receiver's header memo (m2mi_esprim_parse): a second object with the same header gives the
 * header its own parse gives; a header with a relative esrx is parsed again at each "now". */
static void test_parse_memo(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand rro, oro;
	m2m_esprim_hdr h;
	m2m_key *k;
	m2m_esprim_obj *o1 = NULL, *o2 = NULL;
	char *t1 = NULL, *t2 = NULL;

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 10);
	h = (m2m_esprim_hdr){.aead = 10, .kid = "k@x", .ori = oro.id, .rri = rro.id, .cty = "application/json",
			     .oro = &oro};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"{}", 2, &t1), M2M_OK);
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"[]", 2, &t2), M2M_OK);
	assert_int_equal(m2mi_esprim_parse(e, t1, strlen(t1), T0, &o1), M2M_OK);
	assert_int_equal(m2mi_esprim_parse(e, t2, strlen(t2), T0, &o2), M2M_OK);
	assert_string_equal(m2m_esprim_obj_hdr(o2)->kid, "k@x");
	assert_memory_equal(m2m_esprim_obj_hdr(o2)->oro, &oro, sizeof(oro));
	m2m_esprim_obj_free(o1);
	m2m_esprim_obj_free(o2);
	assert_int_equal(m2mi_esprim_parse(e, "x.y", 3, T0, &o1), M2M_E_ESP_FORMAT);
	assert_null(o1);
	free(t1);
	free(t2);
	m2m_key_free(k);
	m2mi_esprim_free(e);
}

static m2m_key *pw_key(uint8_t fill)
{
	uint8_t b[32];
	m2m_key *k = NULL;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	return k;
}

/* Whether an object sealed with a opens with b (A128GCM): the same key, or a 4115. */
static bool same_key(const m2mi_esp_key *a, const m2mi_esp_key *b)
{
	m2m_esprim_hdr h = {.aead = M2M_ESPRIM_A128GCM, .kid = "k@x", .ori = "n1", .rri = "s1"};
	cjose_header_t *hdr = m2mi_esprim_hdr_new(&h);
	m2m_esprim_obj *o = NULL;
	char *text = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;
	m2m_err r;

	assert_non_null(hdr);
	assert_int_equal(m2mi_esprim_seal_key(a, h.aead, hdr, (const uint8_t *)"{}", 2, &text), M2M_OK);
	assert_int_equal(m2m_esprim_parse(text, strlen(text), T0, &o), M2M_OK);
	r = m2mi_esprim_open_key(o, b, &pt, &n);
	assert_true(r == M2M_OK || r == M2M_E_ESP_BAD_MAC);
	m2m_freezero(pt, n);
	m2m_esprim_obj_free(o);
	free(text);
	cjose_header_release(hdr);
	return r == M2M_OK;
}

/* The sessionESPrimKey memo (clause 10.3.8.2): a hit gives exactly the derived key (the memo's
 * cjose JWK, by reference), a different pairwise key (same kid re-provisioned), rand value or
 * aead derives anew, an expired rand object drops its entry, and at most M2MI_ESP_SK_MAX keys are
 * held; a key handed out outlives its entry's eviction. */
static void test_session_memo(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand rro, oro;
	m2m_key *p = pw_key(0x5a), *q = pw_key(0x5b), *want_k;
	m2mi_esp_key *want = NULL, *a = NULL, *b = NULL;
	uint64_t derived = 0;

	(void)state;
	fx_rands(&rro, &oro);
	want_k = fx_session(&rro, &oro, M2M_ESPRIM_A128GCM); /* pairwise 0x5a.. like p */
	assert_int_equal(m2mi_esp_key_new(want_k, &want), M2M_OK);
	assert_int_equal(m2mi_esprim_session(e, p, &rro, &oro, M2M_ESPRIM_A128GCM, T0, &a), M2M_OK);
	assert_int_equal(m2mi_esprim_session(e, p, &rro, &oro, M2M_ESPRIM_A128GCM, T0 + 1, &b), M2M_OK);
	assert_ptr_equal(a, b); /* the second was a hit: the same JWK */
	assert_true(same_key(a, want) && same_key(want, b));
	assert_int_equal(m2mi_esprim_sk_held(e, &derived), 1);
	assert_int_equal(derived, 1);
	m2mi_esp_key_unref(b);
	assert_int_equal(m2mi_esprim_session(e, q, &rro, &oro, M2M_ESPRIM_A128GCM, T0, &b), M2M_OK);
	assert_false(same_key(a, b)); /* another pairwise key: never the memo of the first */
	m2mi_esp_key_unref(b);
	assert_int_equal(m2mi_esprim_session(e, p, &rro, &oro, M2M_ESPRIM_A256GCM, T0, &b), M2M_OK);
	assert_int_equal(m2mi_esprim_sk_held(e, &derived), 3);
	assert_int_equal(derived, 3);
	m2mi_esp_key_unref(b);
	/* oro expires at T0 + 1800: its entries go, whatever the LRU */
	assert_int_equal(m2mi_esprim_session(e, p, &rro, &oro, M2M_ESPRIM_A128GCM, T0 + 1800, &b), M2M_OK);
	assert_true(same_key(b, want));
	assert_int_equal(m2mi_esprim_sk_held(e, &derived), 1);
	assert_int_equal(derived, 4);
	m2mi_esp_key_unref(b);
	/* bounded */
	for (int i = 0; i < 2 * M2MI_ESP_SK_MAX; i++) {
		m2m_esprim_rand o2 = oro;
		snprintf(o2.value, sizeof(o2.value), "v%032x", (unsigned)i);
		assert_int_equal(m2mi_esprim_session(e, p, &rro, &o2, M2M_ESPRIM_A128GCM, T0, &b), M2M_OK);
		m2mi_esp_key_unref(b);
	}
	assert_int_equal(m2mi_esprim_sk_held(e, &derived), M2MI_ESP_SK_MAX);
	assert_true(same_key(a, want)); /* a's entry was evicted long ago: a still holds its key */
	m2mi_esp_key_unref(a);
	m2mi_esp_key_unref(want);
	m2m_key_free(want_k);
	m2m_key_free(p);
	m2m_key_free(q);
	m2mi_esprim_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_shared), cmocka_unit_test(test_non_shared),
					   cmocka_unit_test(test_oro_and_replay), cmocka_unit_test(test_replay_rate), cmocka_unit_test(test_parse_memo),
					   cmocka_unit_test(test_session_memo)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
