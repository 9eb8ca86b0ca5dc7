/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF store's security profiles
 * (store/mefstore_profile.c): insert, replace, get, not found, refused arguments, and a store
 * opened again keeps them.
 */
#include "mef_fixture.h"

static void test_set_get_reopen(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = NULL;
	char *text = (char *)1;

	(void)state;
	assert_int_equal(m2m_mefstore_profile_get(m2m_mef_store(f->mef), "/cse-in", &text), M2M_E_NOT_FOUND);
	assert_null(text);
	assert_int_equal(m2m_mefstore_profile_set(m2m_mef_store(f->mef), "/cse-in", "{\"a\":1}"), M2M_OK);
	assert_int_equal(m2m_mefstore_profile_set(m2m_mef_store(f->mef), "/cse-in", "{\"a\":2}"), M2M_OK);
	assert_int_equal(m2m_mefstore_open(f->path, false, &st), M2M_OK);
	assert_int_equal(m2m_mefstore_profile_get(st, "/cse-in", &text), M2M_OK);
	assert_string_equal(text, "{\"a\":2}");
	free(text);
	assert_int_equal(m2m_mefstore_profile_get(st, "/cse-mn", &text), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_profile_set(st, "cse-in", "{}"), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_profile_set(st, "/cse-in", NULL), M2M_E_INVAL);
	assert_int_equal(m2m_mefstore_profile_get(NULL, "/cse-in", &text), M2M_E_INVAL);
	m2m_mefstore_close(st);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
