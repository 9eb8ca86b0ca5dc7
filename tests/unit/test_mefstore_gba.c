/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF store's bootstrap records
 * (store/mefstore_gba.c, m2msec/bsfstore.h; TS 33.220 clause 4.5.2): put and get back, a repeated
 * B-TID refused, expiry, unknown B-TIDs, refused arguments, and a store opened again keeps them.
 */
#include "m2msec/bsfstore.h"
#include "mef_fixture.h"

static void test_put_get_expire(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef), *st2 = NULL;
	uint8_t rand[16], r2[16], ksb[32];
	char btid[M2M_GBA_BTID_MAX], impi[64];
	m2m_key *ks = NULL, *got = NULL;
	int64_t exp = 0;
	size_t kl = 0;

	(void)state;
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++)
		ksb[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(m2m_key_new(ksb, 32, &ks), M2M_OK);
	assert_int_equal(m2m_gba_btid_format(rand, "mef.example.com", btid, sizeof(btid)), M2M_OK);
	assert_int_equal(m2m_mefstore_bootstrap_get(st, btid, FX_NOW, impi, sizeof(impi), r2, &got, &exp),
			 M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_bootstrap_put(st, btid, "u1@ims.example.org", ks, FX_NOW + 100, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_bootstrap_put(st, btid, "u1@ims.example.org", ks, FX_NOW + 100, FX_NOW),
			 M2M_E_EXISTS);
	assert_int_equal(m2m_mefstore_open(f->path, false, &st2), M2M_OK);
	assert_int_equal(m2m_mefstore_bootstrap_get(st2, btid, FX_NOW, impi, sizeof(impi), r2, &got, &exp), M2M_OK);
	assert_string_equal(impi, "u1@ims.example.org");
	assert_memory_equal(r2, rand, 16);
	assert_int_equal(exp, FX_NOW + 100);
	assert_memory_equal(m2m_key_bytes(got, &kl), ksb, 32);
	assert_string_equal(m2m_key_id(got), btid);
	m2m_key_free(got);
	got = NULL;
	/* over its lifetime: nothing returned */
	assert_int_equal(m2m_mefstore_bootstrap_get(st2, btid, FX_NOW + 100, impi, sizeof(impi), r2, &got, &exp),
			 M2M_E_KEY_EXPIRED);
	assert_null(got);
	/* refused */
	assert_int_equal(m2m_mefstore_bootstrap_put(st, "not-a-btid", "u1", ks, FX_NOW + 1, FX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_bootstrap_put(st, btid, "", ks, FX_NOW + 1, FX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_bootstrap_put(st, btid, "u1", ks, FX_NOW, FX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_bootstrap_get(NULL, btid, FX_NOW, NULL, 0, NULL, NULL, NULL), M2M_E_INVAL);
	m2m_key_free(ks);
	assert_int_equal(m2m_key_new(ksb, 16, &ks), M2M_OK);
	rand[0] = 0xff;
	assert_int_equal(m2m_gba_btid_format(rand, "mef.example.com", btid, sizeof(btid)), M2M_OK);
	assert_int_equal(m2m_mefstore_bootstrap_put(st, btid, "u1", ks, FX_NOW + 1, FX_NOW), M2M_E_KEY_LEN);
	m2m_key_free(ks);
	m2m_mefstore_close(st2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_expire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
