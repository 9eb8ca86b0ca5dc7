/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF store's underlying-network authorization
 * (store/mefstore_netauth.c): no statement = authorized, set no / yes, an unknown enrolee
 * refused without a row, a KpmID in another case is the same enrolee, refused arguments, and a
 * store opened again keeps the status.
 */
#include "mef_fixture.h"

static void test_set_get_reopen(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef), *st2 = NULL;
	bool yes = false;

	(void)state;
	assert_int_equal(m2m_mefstore_netauth_get(st, FX_KPMID, &yes), M2M_OK); /* before the table exists */
	assert_true(yes);
	assert_int_equal(m2m_mefstore_netauth_set(st, FX_KPMID, false, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_netauth_get(st, FX_KPMID, &yes), M2M_OK);
	assert_false(yes);
	/* the FQDN part of a KpmID is case-insensitive: the same enrolee */
	assert_int_equal(m2m_mefstore_netauth_get(st, "dev1@MEF.example.com", &yes), M2M_OK);
	assert_false(yes);
	/* unknown enrolee: refused, and nothing recorded for it */
	assert_int_equal(m2m_mefstore_netauth_set(st, "nobody@mef.example.com", false, FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_netauth_get(st, "nobody@mef.example.com", &yes), M2M_OK);
	assert_true(yes);
	assert_int_equal(m2m_mefstore_netauth_set(st, NULL, false, FX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_netauth_set(NULL, FX_KPMID, false, FX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_netauth_get(st, FX_KPMID, NULL), M2M_E_INVAL);
	/* another connection (the operator CLI while the MEF runs) sees it, and sets it back */
	assert_int_equal(m2m_mefstore_open(f->path, false, &st2), M2M_OK);
	assert_int_equal(m2m_mefstore_netauth_get(st2, FX_KPMID, &yes), M2M_OK);
	assert_false(yes);
	assert_int_equal(m2m_mefstore_netauth_set(st2, FX_KPMID, true, FX_NOW), M2M_OK);
	m2m_mefstore_close(st2);
	assert_int_equal(m2m_mefstore_netauth_get(st, FX_KPMID, &yes), M2M_OK);
	assert_true(yes);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
