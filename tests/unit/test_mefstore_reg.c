/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_reg.c (TS-0003 clauses 10.3.1, 10.7):
 * a registration stores Ke under its KeID with the Enrolment Expiry; the same KeID twice is
 * M2M_E_EXISTS; de-registration deletes it.
 */
#include "mef_fixture.h"
#include "store/mefstore_int.h"

static void test_reg(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2mi_mef_reg reg, got;
	uint8_t kb[32];
	m2m_key *ke = NULL, *k2 = NULL;

	(void)state;
	memset(&reg, 0, sizeof(reg));
	memset(kb, 0x44, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &ke), M2M_OK);
	snprintf(reg.keid, sizeof(reg.keid), "44444444444444444444444444444444@mef.example.com");
	snprintf(reg.reg_id, sizeof(reg.reg_id), "44444444444444444444444444444444");
	snprintf(reg.client_id, sizeof(reg.client_id), FX_KPMID);
	snprintf(reg.enrolee_id, sizeof(reg.enrolee_id), FX_EID);
	snprintf(reg.targets[0], sizeof(reg.targets[0]), FX_TARGET);
	reg.ntargets = 1;
	reg.expiry = reg.reg_et = FX_NOW + 1000;
	assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_reg_put(st, &reg, ke, FX_NOW), M2M_OK);
	assert_int_equal(m2mi_mefstore_reg_put(st, &reg, ke, FX_NOW), M2M_E_EXISTS);
	assert_int_equal(m2mi_mefstore_reg_get(st, NULL, reg.keid, &got, &k2), M2M_OK);
	assert_true(m2m_key_equal(ke, k2));
	assert_int_equal(got.expiry, FX_NOW + 1000);
	assert_int_equal(m2mi_mefstore_reg_delete(st, reg.reg_id), M2M_OK);
	assert_int_equal(m2mi_mefstore_reg_get(st, reg.reg_id, NULL, &got, NULL), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_mefstore_end(st, M2M_OK), M2M_OK);
	m2m_key_free(ke);
	m2m_key_free(k2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
