/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/gba_ub.c, the UE and BSF steps of GBA bootstrapping
 * over HTTP Digest AKA (3GPP TS 33.220 clause 4.5.2, RFC 3310; TS-0003 clause 8.3.2.3), run end to
 * end in memory through the real header formatting and parsing: a bootstrap that succeeds with the
 * same Ks on both sides, a wrong RES, an answer to another challenge, a UE with the wrong K (MAC
 * failure, nothing sent), a replayed challenge resynchronised through AUTS, and a tampered AUTS.
 */
#include "m2m_test.h"
#include "m2msec/gba_ub.h"
#include "m2msec/hex.h"

#define K1 "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC1 "cd63cb71954a9f4e48a5994e37a02baf"
#define IMPI "001010000000001@ims.mnc001.mcc001.3gppnetwork.org"

static const uint8_t amf[2] = {0x80, 0x00};

static m2m_key *key_hex(const char *h)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_key *k = NULL;

	assert_int_equal(m2m_hex_decode(h, 32, b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, 16, &k), M2M_OK);
	return k;
}

struct ub {
	m2m_milenage *hss;
	m2m_usim *ue;
	m2m_aka_av av;
};

static void setup(struct ub *t, const char *ue_k, uint64_t sqn_ms)
{
	m2m_key *k = key_hex(K1), *uk = key_hex(ue_k), *opc = key_hex(OPC1);

	memset(t, 0, sizeof(*t));
	assert_int_equal(m2m_milenage_new(k, opc, &t->hss), M2M_OK);
	assert_int_equal(m2m_usim_new(uk, opc, sqn_ms, &t->ue), M2M_OK);
	m2m_key_free(k);
	m2m_key_free(uk);
	m2m_key_free(opc);
}

static void teardown_ub(struct ub *t)
{
	m2m_aka_av_clear(&t->av);
	m2m_milenage_free(t->hss);
	m2m_usim_free(t->ue);
}

/* BSF: a vector at sqn and the challenge header, parsed as the UE would. */
static void challenge(struct ub *t, uint64_t sqn, m2m_digest *ch)
{
	char nonce[M2M_DIGEST_NONCE_MAX + 1], hdr[1024];

	m2m_aka_av_clear(&t->av);
	assert_int_equal(m2m_aka_av_generate(t->hss, NULL, sqn, amf, &t->av), M2M_OK);
	assert_int_equal(m2m_digest_aka_nonce(t->av.rand, t->av.autn, (const uint8_t *)"t1", 2, nonce, sizeof(nonce)),
			 M2M_OK);
	assert_int_equal(m2m_digest_format_challenge("bsf.example.com", nonce, NULL, false, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CHALLENGE, ch), M2M_OK);
}

/* UE answer -> header -> BSF parse. */
static void to_bsf(const m2m_gba_answer *a, m2m_digest *cred)
{
	char hdr[M2M_DIGEST_HDR_MAX];

	assert_int_equal(m2m_digest_format_credentials(&a->cred, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, cred), M2M_OK);
}

static void test_bootstrap_ok_same_ks(void **state)
{
	struct ub t;
	m2m_digest ch, cred;
	m2m_gba_answer a;
	m2m_key *ks = NULL;

	setup(&t, K1, 0);
	challenge(&t, 1, &ch);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "cn0", 1, &a), M2M_OK);
	to_bsf(&a, &cred);
	assert_string_equal(cred.username, IMPI);
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "GET", NULL), M2M_OK);
	assert_int_equal(m2m_gba_ks(t.av.ck, t.av.ik, &ks), M2M_OK);
	assert_true(m2m_key_equal(ks, a.ks));
	assert_memory_equal(a.rand, t.av.rand, 16);
	assert_int_equal(m2m_usim_sqn_ms(t.ue), 1);
	/* the wrong method, a tampered response, an answer to another challenge */
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "POST", NULL), M2M_E_AUTH);
	cred.response[0] = cred.response[0] == 'a' ? 'b' : 'a';
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "GET", NULL), M2M_E_AUTH);
	cred.response[0] = a.cred.response[0];
	challenge(&t, 2, &ch);
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "GET", NULL), M2M_E_AUTH);
	m2m_key_free(ks);
	m2m_gba_answer_clear(&a);
	assert_null(a.ks);
	teardown_ub(&t);
}

static void test_wrong_res_refused(void **state)
{
	struct ub t;
	m2m_digest ch, cred;
	m2m_gba_answer a;

	setup(&t, K1, 0);
	challenge(&t, 1, &ch);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "cn0", 1, &a), M2M_OK);
	to_bsf(&a, &cred);
	/* the BSF expected another XRES (e.g. a UE that computed RES with stale state) */
	t.av.xres[7] ^= 1;
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "GET", NULL), M2M_E_AUTH);
	m2m_gba_answer_clear(&a);
	teardown_ub(&t);
}

static void test_wrong_k_sends_nothing(void **state)
{
	struct ub t;
	m2m_digest ch;
	m2m_gba_answer a;

	setup(&t, "565b5ce8b199b49faa5f0a2ee238a6bc", 0);
	challenge(&t, 1, &ch);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "cn0", 1, &a), M2M_E_AKA_MAC);
	assert_null(a.ks);
	assert_string_equal(a.cred.response, "");
	assert_int_equal(m2m_usim_sqn_ms(t.ue), 0);
	teardown_ub(&t);
}

static void test_replay_resynchronised(void **state)
{
	struct ub t;
	m2m_digest ch, cred;
	m2m_gba_answer a;
	uint64_t sqn_ms = 0, next = 0;

	setup(&t, K1, 500);
	/* the HSS lost its SQN and hands out 7 (a replay from the USIM's point of view) */
	challenge(&t, 7, &ch);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "cn1", 1, &a), M2M_E_AKA_SYNC);
	assert_null(a.ks);
	assert_string_not_equal(a.cred.auts, "");
	to_bsf(&a, &cred);
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "GET", &sqn_ms), M2M_E_AKA_SYNC);
	assert_int_equal(sqn_ms, 500);
	/* a tampered AUTS (still signed with the empty password) is a MAC failure */
	{
		m2m_digest bad = cred;
		char hdr[M2M_DIGEST_HDR_MAX];

		bad.auts[0] = bad.auts[0] == 'A' ? 'B' : 'A';
		assert_int_equal(m2m_digest_aka_response(bad.username, bad.realm, NULL, 0, "GET", bad.uri, bad.nonce,
							 bad.nc, bad.cnonce, "auth", bad.response),
				 M2M_OK);
		assert_int_equal(m2m_digest_format_credentials(&bad, hdr, sizeof(hdr)), M2M_OK);
		assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, &bad), M2M_OK);
		assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &bad, "GET", &sqn_ms), M2M_E_AKA_MAC);
	}
	m2m_gba_answer_clear(&a);
	/* continue from SQN_MS: the next challenge passes */
	assert_int_equal(m2m_aka_sqn_next(500, &next), M2M_OK);
	challenge(&t, next, &ch);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "cn2", 2, &a), M2M_OK);
	to_bsf(&a, &cred);
	assert_int_equal(m2m_gba_bsf_check(t.hss, &t.av, &cred, "GET", NULL), M2M_OK);
	m2m_gba_answer_clear(&a);
	teardown_ub(&t);
}

static void test_errors(void **state)
{
	struct ub t;
	m2m_digest ch;
	m2m_gba_answer a;
	char big[300];

	setup(&t, K1, 0);
	challenge(&t, 1, &ch);
	memset(big, 'u', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, big, "GET", "/", "c", 1, &a), M2M_E_TOO_LARGE);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "", 1, &a), M2M_E_INVAL);
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "c", 0, &a), M2M_E_INVAL);
	assert_int_equal(m2m_gba_ue_answer(NULL, &ch, IMPI, "GET", "/", "c", 1, &a), M2M_E_INVAL);
	strcpy(ch.nonce, "bm9ub25jZQ==");
	assert_int_equal(m2m_gba_ue_answer(t.ue, &ch, IMPI, "GET", "/", "c", 1, &a), M2M_E_PROTO);
	assert_int_equal(m2m_usim_sqn_ms(t.ue), 0);
	assert_int_equal(m2m_gba_bsf_check(NULL, &t.av, &ch, "GET", NULL), M2M_E_INVAL);
	m2m_gba_answer_clear(NULL);
	teardown_ub(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap_ok_same_ks), cmocka_unit_test(test_wrong_res_refused),
		cmocka_unit_test(test_wrong_k_sends_nothing), cmocka_unit_test(test_replay_resynchronised),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
