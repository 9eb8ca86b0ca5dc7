/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/kdf_gba.c: the GBA NAF key of 3GPP TS 33.220
 * Annex B (TS-0003 clause 8.3.2.3) against S built byte by byte here and a one-shot HMAC, the
 * gba-me/gba-u separation, and the error cases. Known answers are in test_kdf.c.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "m2m_test.h"
#include "m2msec/kdf.h"

static const uint8_t rnd[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void test_matches_annex_b(void **state)
{
	static const char impi[] = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
	static const uint8_t naf[] = "maf.example.com\x01\x00\x00\x00\x02"; /* FQDN || Ua id */
	const size_t naf_len = sizeof(naf) - 1, impi_len = sizeof(impi) - 1;
	uint8_t ks[32], s[256], ref[32];
	unsigned int rl = 0;
	size_t n = 0;
	m2m_kdf *kdf = NULL;
	m2m_key *k, *me = NULL, *u = NULL;

	for (size_t i = 0; i < sizeof(ks); i++)
		ks[i] = (uint8_t)(0xc0 ^ i);
	/* S = FC || P0 || L0 || P1 || L1 || P2 || L2 || P3 || L3 */
	s[n++] = 0x01;
	memcpy(s + n, "gba-me", 6), n += 6, s[n++] = 0, s[n++] = 6;
	memcpy(s + n, rnd, 16), n += 16, s[n++] = 0, s[n++] = 16;
	memcpy(s + n, impi, impi_len), n += impi_len, s[n++] = 0, s[n++] = (uint8_t)impi_len;
	memcpy(s + n, naf, naf_len), n += naf_len, s[n++] = 0, s[n++] = (uint8_t)naf_len;
	assert_non_null(HMAC(EVP_sha256(), ks, 32, s, n, ref, &rl));
	assert_int_equal(m2m_key_new(ks, 32, &k), M2M_OK);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_gba_naf(kdf, k, false, rnd, impi, naf, naf_len, &me), M2M_OK);
	assert_int_equal(m2m_key_len(me), 32);
	assert_memory_equal(m2m_key_bytes(me, NULL), ref, 32);
	assert_int_equal(m2m_kdf_gba_naf(kdf, k, true, rnd, impi, naf, naf_len, &u), M2M_OK);
	assert_false(m2m_key_equal(me, u));
	m2m_key_free(me);
	m2m_key_free(u);
	m2m_key_free(k);
	m2m_kdf_free(kdf);
}

static void test_errors(void **state)
{
	uint8_t b[64] = {7}, big[M2M_KDF_INPUT_MAX + 1] = {0};
	static const uint8_t naf[] = "naf.example.com";
	m2m_kdf *kdf = NULL;
	m2m_key *ks = NULL, *k16 = NULL, *out = (m2m_key *)0x1;

	assert_int_equal(m2m_key_new(b, 32, &ks), M2M_OK);
	assert_int_equal(m2m_key_new(b, 16, &k16), M2M_OK);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_gba_naf(kdf, k16, false, rnd, "u@x.org", naf, 15, &out), M2M_E_KEY_LEN);
	assert_null(out);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, rnd, "", naf, 15, &out), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, rnd, NULL, naf, 15, &out), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, rnd, "u\xff", naf, 15, &out), M2M_E_ID_BAD_UTF8);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, rnd, "u@x.org", naf, 0, &out), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, rnd, "u@x.org", big, sizeof(big), &out), M2M_E_TOO_LARGE);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, NULL, "u@x.org", naf, 15, &out), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_gba_naf(NULL, ks, false, rnd, "u@x.org", naf, 15, &out), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_gba_naf(kdf, ks, false, rnd, "u@x.org", naf, 15, NULL), M2M_E_INVAL);
	assert_null(out);
	m2m_key_free(ks);
	m2m_key_free(k16);
	m2m_kdf_free(kdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_annex_b),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
