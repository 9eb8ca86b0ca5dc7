/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/aka.c (3GPP TS 33.102 clause 6.3, for the GBA RSPF of
 * TS-0003 clause 8.3.2.3): an authentication vector built on TS 35.207 test set 1 (AUTN = SQN xor
 * AK || AMF || MAC-A from the published f1 and f5), the USIM accepting it, and the refusals: wrong
 * K, tampered RAND or AUTN, a replayed vector and an SQN beyond the window, each SQN failure
 * answered with an AUTS that the HSS verifies and resynchronises from.
 */
#include "m2m_test.h"
#include "m2msec/aka.h"
#include "m2msec/hex.h"

/* TS 35.207 test set 1. */
#define K1 "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC1 "cd63cb71954a9f4e48a5994e37a02baf"
#define RAND1 "23553cbe9637a89d218ae64dae47bf35"
#define SQN1 0xff9bb4d0b607ULL
/* published f1 (MAC-A), f2 (RES), f3 (CK), f5 (AK) and f5* of set 1 */
#define F1 "4a9ffac354dfafb3"
#define F2 "a54211d5e3ba50bf"
#define F3 "b40ba9a3c58b2a05bbf0d987b21bf8cb"
#define F5 "aa689c648370"
#define F5S "451e8beca43b"

static const uint8_t amf1[2] = {0xb9, 0xb9};

static void unhex(const char *h, uint8_t *out, size_t want)
{
	size_t n = 0;

	assert_int_equal(m2m_hex_decode(h, strlen(h), out, want, &n), M2M_OK);
	assert_int_equal(n, want);
}

static m2m_key *key_hex(const char *h)
{
	uint8_t b[16];
	m2m_key *k = NULL;

	unhex(h, b, 16);
	assert_int_equal(m2m_key_new(b, 16, &k), M2M_OK);
	return k;
}

static m2m_milenage *hss(const char *k_hex)
{
	m2m_key *k = key_hex(k_hex), *opc = key_hex(OPC1);
	m2m_milenage *m = NULL;

	assert_int_equal(m2m_milenage_new(k, opc, &m), M2M_OK);
	m2m_key_free(k);
	m2m_key_free(opc);
	return m;
}

static m2m_usim *usim(const char *k_hex, uint64_t sqn_ms)
{
	m2m_key *k = key_hex(k_hex), *opc = key_hex(OPC1);
	m2m_usim *u = NULL;

	assert_int_equal(m2m_usim_new(k, opc, sqn_ms, &u), M2M_OK);
	m2m_key_free(k);
	m2m_key_free(opc);
	return u;
}

static void test_av_matches_published_set_1(void **state)
{
	uint8_t rand[16], want[16], ak[6], sq[6];
	m2m_milenage *m = hss(K1);
	m2m_aka_av av;

	unhex(RAND1, rand, 16);
	assert_int_equal(m2m_aka_av_generate(m, rand, SQN1, amf1, &av), M2M_OK);
	assert_memory_equal(av.rand, rand, 16);
	unhex(F5, ak, 6);
	assert_int_equal(m2m_aka_sqn_encode(SQN1, sq), M2M_OK);
	for (int i = 0; i < 6; i++)
		assert_int_equal(av.autn[i], sq[i] ^ ak[i]);
	assert_memory_equal(av.autn + 6, amf1, 2);
	unhex(F1, want, 8);
	assert_memory_equal(av.autn + 8, want, 8);
	unhex(F2, want, 8);
	assert_memory_equal(av.xres, want, 8);
	unhex(F3, want, 16);
	assert_memory_equal(m2m_key_bytes(av.ck, NULL), want, 16);
	m2m_aka_av_clear(&av);
	/* a fresh RAND from the DRBG when none is given */
	assert_int_equal(m2m_aka_av_generate(m, NULL, 1, amf1, &av), M2M_OK);
	assert_memory_not_equal(av.rand, rand, 16);
	m2m_aka_av_clear(&av);
	m2m_milenage_free(m);
}

static void test_usim_accepts_and_advances(void **state)
{
	m2m_milenage *m = hss(K1);
	m2m_usim *u = usim(K1, 41);
	m2m_aka_result res;
	m2m_aka_av av;

	assert_int_equal(m2m_aka_av_generate(m, NULL, 42, amf1, &av), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_OK);
	assert_memory_equal(res.res, av.xres, 8);
	assert_true(m2m_key_equal(res.ck, av.ck));
	assert_true(m2m_key_equal(res.ik, av.ik));
	assert_int_equal(m2m_usim_sqn_ms(u), 42);
	m2m_aka_result_clear(&res);
	assert_null(res.ck);
	m2m_aka_av_clear(&av);
	m2m_usim_free(u);
	m2m_milenage_free(m);
}

static void test_wrong_k_and_tampering_are_mac_failures(void **state)
{
	m2m_milenage *m = hss(K1);
	m2m_usim *u = usim("565b5ce8b199b49faa5f0a2ee238a6bc", 0) /* K1 with one bit flipped */, *good = usim(K1, 0);
	m2m_aka_result res;
	m2m_aka_av av;

	assert_int_equal(m2m_aka_av_generate(m, NULL, 5, amf1, &av), M2M_OK);
	/* wrong K: MAC-A does not verify; nothing released, SQN_MS unchanged */
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_E_AKA_MAC);
	assert_null(res.ck);
	assert_null(res.ik);
	assert_int_equal(m2m_usim_sqn_ms(u), 0);
	/* every bit position of AUTN and one of RAND */
	for (int i = 0; i < M2M_AKA_AUTN_LEN; i++) {
		av.autn[i] ^= 0x01;
		assert_int_equal(m2m_usim_authenticate(good, av.rand, av.autn, &res), M2M_E_AKA_MAC);
		av.autn[i] ^= 0x01;
	}
	av.rand[7] ^= 0x80;
	assert_int_equal(m2m_usim_authenticate(good, av.rand, av.autn, &res), M2M_E_AKA_MAC);
	av.rand[7] ^= 0x80;
	assert_int_equal(m2m_usim_sqn_ms(good), 0);
	assert_int_equal(m2m_usim_authenticate(good, av.rand, av.autn, &res), M2M_OK);
	m2m_aka_result_clear(&res);
	m2m_aka_av_clear(&av);
	m2m_usim_free(u);
	m2m_usim_free(good);
	m2m_milenage_free(m);
}

/* The USIM answered SYNC with AUTS; the HSS recovers SQN_MS and a new vector passes. */
static void resync(m2m_milenage *m, m2m_usim *u, const m2m_aka_av *failed, const m2m_aka_result *res)
{
	uint64_t sqn_ms = 0;
	m2m_aka_result ok;
	m2m_aka_av av;

	assert_int_equal(m2m_aka_auts_verify(m, failed->rand, res->auts, &sqn_ms), M2M_OK);
	assert_int_equal(sqn_ms, m2m_usim_sqn_ms(u));
	assert_int_equal(m2m_aka_av_generate(m, NULL, sqn_ms + 1, amf1, &av), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &ok), M2M_OK);
	assert_int_equal(m2m_usim_sqn_ms(u), sqn_ms + 1);
	m2m_aka_result_clear(&ok);
	m2m_aka_av_clear(&av);
}

static void test_replay_is_sync_failure_then_resynchronised(void **state)
{
	m2m_milenage *m = hss(K1);
	m2m_usim *u = usim(K1, 100);
	m2m_aka_result res;
	m2m_aka_av av, old;

	assert_int_equal(m2m_aka_av_generate(m, NULL, 101, amf1, &av), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_OK);
	m2m_aka_result_clear(&res);
	/* the same RAND/AUTN again: MAC is fine, SQN is not fresh -> AUTS, no RES/CK/IK */
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_E_AKA_SYNC);
	assert_null(res.ck);
	assert_int_equal(m2m_usim_sqn_ms(u), 101);
	resync(m, u, &av, &res);
	m2m_aka_result_clear(&res);
	/* an older vector than SQN_MS */
	assert_int_equal(m2m_aka_av_generate(m, NULL, 50, amf1, &old), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, old.rand, old.autn, &res), M2M_E_AKA_SYNC);
	resync(m, u, &old, &res);
	m2m_aka_result_clear(&res);
	m2m_aka_av_clear(&old);
	m2m_aka_av_clear(&av);
	m2m_usim_free(u);
	m2m_milenage_free(m);
}

static void test_sqn_beyond_window_then_resynchronised(void **state)
{
	m2m_milenage *m = hss(K1);
	m2m_usim *u = usim(K1, 1000);
	m2m_aka_result res;
	m2m_aka_av av;

	/* exactly delta ahead is accepted, one more is not */
	assert_int_equal(m2m_aka_av_generate(m, NULL, 1000 + M2M_AKA_SQN_DELTA + 1, amf1, &av), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_E_AKA_SYNC);
	resync(m, u, &av, &res);
	m2m_aka_result_clear(&res);
	m2m_aka_av_clear(&av);
	assert_int_equal(m2m_aka_av_generate(m, NULL, 1001 + M2M_AKA_SQN_DELTA, amf1, &av), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_OK);
	m2m_aka_result_clear(&res);
	m2m_aka_av_clear(&av);
	m2m_usim_free(u);
	m2m_milenage_free(m);
}

static void test_auts_conceals_sqn_with_published_f5star(void **state)
{
	uint8_t rand[16], aks[6], sq[6], auts[14];
	m2m_milenage *m = hss(K1);
	m2m_usim *u = usim(K1, SQN1);
	m2m_aka_result res;
	m2m_aka_av av;
	uint64_t s = 0;

	unhex(RAND1, rand, 16);
	/* a vector at SQN_MS itself (a replay) with the set-1 RAND: AUTS[0..5] = SQN_MS xor f5* */
	assert_int_equal(m2m_aka_av_generate(m, rand, SQN1, amf1, &av), M2M_OK);
	assert_int_equal(m2m_usim_authenticate(u, av.rand, av.autn, &res), M2M_E_AKA_SYNC);
	unhex(F5S, aks, 6);
	assert_int_equal(m2m_aka_sqn_encode(SQN1, sq), M2M_OK);
	for (int i = 0; i < 6; i++)
		assert_int_equal(res.auts[i], sq[i] ^ aks[i]);
	/* a tampered AUTS or the wrong RAND does not verify */
	memcpy(auts, res.auts, 14);
	auts[13] ^= 1;
	assert_int_equal(m2m_aka_auts_verify(m, rand, auts, &s), M2M_E_AKA_MAC);
	assert_int_equal(s, 0);
	auts[13] ^= 1, auts[0] ^= 1;
	assert_int_equal(m2m_aka_auts_verify(m, rand, auts, &s), M2M_E_AKA_MAC);
	rand[0] ^= 1;
	assert_int_equal(m2m_aka_auts_verify(m, rand, res.auts, &s), M2M_E_AKA_MAC);
	rand[0] ^= 1;
	assert_int_equal(m2m_aka_auts_verify(m, rand, res.auts, &s), M2M_OK);
	assert_int_equal(s, SQN1);
	m2m_aka_result_clear(&res);
	m2m_aka_av_clear(&av);
	m2m_usim_free(u);
	m2m_milenage_free(m);
}

static void test_errors(void **state)
{
	uint8_t sq[6], rand[16] = {0}, auts[14] = {0};
	m2m_milenage *m = hss(K1);
	m2m_key *k = key_hex(K1);
	m2m_usim *u = (m2m_usim *)0x1;
	m2m_aka_result res;
	m2m_aka_av av;
	uint64_t s;

	uint64_t next = 9;

	assert_int_equal(m2m_aka_sqn_next(41, &next), M2M_OK);
	assert_int_equal(next, 42);
	assert_int_equal(m2m_aka_sqn_next(M2M_AKA_SQN_MAX, &next), M2M_E_RANGE);
	assert_int_equal(next, 0);
	assert_true(m2m_aka_sqn_fresh(5, 6));
	assert_false(m2m_aka_sqn_fresh(5, 5));
	assert_false(m2m_aka_sqn_fresh(5, 4));
	assert_true(m2m_aka_sqn_fresh(5, 5 + M2M_AKA_SQN_DELTA));
	assert_false(m2m_aka_sqn_fresh(5, 6 + M2M_AKA_SQN_DELTA));
	assert_false(m2m_aka_sqn_fresh(M2M_AKA_SQN_MAX - 1, M2M_AKA_SQN_MAX + 1));
	assert_int_equal(m2m_aka_sqn_encode(M2M_AKA_SQN_MAX + 1, sq), M2M_E_RANGE);
	assert_int_equal(m2m_aka_sqn_encode(M2M_AKA_SQN_MAX, sq), M2M_OK);
	assert_int_equal(m2m_aka_sqn_decode(sq), M2M_AKA_SQN_MAX);
	assert_int_equal(m2m_aka_av_generate(m, NULL, 0, amf1, &av), M2M_E_RANGE);
	assert_int_equal(m2m_aka_av_generate(m, NULL, M2M_AKA_SQN_MAX + 1, amf1, &av), M2M_E_RANGE);
	assert_null(av.ck);
	assert_int_equal(m2m_aka_av_generate(NULL, NULL, 1, amf1, &av), M2M_E_INVAL);
	assert_int_equal(m2m_aka_av_generate(m, NULL, 1, NULL, &av), M2M_E_INVAL);
	assert_int_equal(m2m_aka_auts_verify(m, rand, auts, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_aka_auts_verify(NULL, rand, auts, &s), M2M_E_INVAL);
	assert_int_equal(m2m_usim_new(k, k, M2M_AKA_SQN_MAX + 1, &u), M2M_E_RANGE);
	assert_null(u);
	assert_int_equal(m2m_usim_new(k, NULL, 0, &u), M2M_E_INVAL);
	assert_int_equal(m2m_usim_authenticate(NULL, rand, rand, &res), M2M_E_INVAL);
	assert_int_equal(m2m_usim_sqn_ms(NULL), 0);
	m2m_usim_free(NULL);
	m2m_aka_av_clear(NULL);
	m2m_aka_result_clear(NULL);
	m2m_key_free(k);
	m2m_milenage_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_av_matches_published_set_1),
		cmocka_unit_test(test_usim_accepts_and_advances),
		cmocka_unit_test(test_wrong_k_and_tampering_are_mac_failures),
		cmocka_unit_test(test_replay_is_sync_failure_then_resynchronised),
		cmocka_unit_test(test_sqn_beyond_window_then_resynchronised),
		cmocka_unit_test(test_auts_conceals_sqn_with_published_f5star),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
