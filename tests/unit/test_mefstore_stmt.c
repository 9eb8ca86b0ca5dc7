/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_stmt.c, the MEF store's neutral
 * statement API (store/mefstore_sql.h): the per-connection statement cache and transactions,
 * on SQLite and again on PostgreSQL (ctest's ".pg" pass).
 */
#include "mef_fixture.h"
#include "store/mefstore_sql.h"

/* The per-connection statement cache (store/mefstore_sql.h): a statement comes back prepared
 * once, reset and with no binding left (no pointer to a caller's key bytes); one in use further
 * up the stack is never handed out twice; a statement that does not compile is not kept. */
static void test_stmt_cache(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = NULL;
	m2mi_mefs_stmt *a = NULL, *b = NULL;
	static const uint8_t secret[4] = {1, 2, 3, 4};

	(void)state;
	assert_int_equal(m2m_mefstore_open(f->path, false, &st), M2M_OK);
	assert_int_equal(m2mi_mefs_prep(st, "SELECT ?1", &a), M2M_OK);
	m2mi_mefs_bind_blob(a, 1, secret, sizeof(secret));
	assert_int_equal(m2mi_mefs_step(a), M2MI_MEFS_ROW);
	assert_int_equal(m2mi_mefs_col_bytes(a, 0), 4);
	/* nested use of the same SQL while a is out: a different statement */
	assert_int_equal(m2mi_mefs_prep(st, "SELECT ?1", &b), M2M_OK);
	assert_ptr_not_equal(a, b);
	m2mi_mefs_done(st, b);
	m2mi_mefs_done(st, a);
	/* given back: the same statement again, reset, its binding gone */
	assert_int_equal(m2mi_mefs_prep(st, "SELECT ?1", &b), M2M_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(m2mi_mefs_step(b), M2MI_MEFS_ROW);
	assert_true(m2mi_mefs_col_null(b, 0));
	m2mi_mefs_done(st, b);
	/* the same text from another buffer finds it too (cached by content) */
	{
		char sql[16];
		snprintf(sql, sizeof(sql), "SELECT ?%d", 1);
		assert_int_equal(m2mi_mefs_prep(st, sql, &b), M2M_OK);
		assert_ptr_equal(a, b);
		m2mi_mefs_done(st, b);
	}
	b = NULL;
	assert_int_equal(m2mi_mefs_prep(st, "SELECT FROM nowhere", &b), M2M_E_STORE);
	assert_null(b);
	m2mi_mefs_done(st, NULL);
	/* BEGIN / COMMIT / ROLLBACK come from the cache too: a failed request changes nothing, a
	 * good one is committed, and both can repeat on the same connection */
	for (int i = 0; i < 2; i++) {
		m2m_mef_enrolee *e = NULL;

		assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
		assert_int_equal(m2mi_mefs_exec1(st, "UPDATE enrolee SET revoked_at = ?2 WHERE client_id = ?1", FX_KPMID, 7),
				 M2M_OK);
		assert_int_equal(m2mi_mefstore_end(st, M2M_E_STORE), M2M_E_STORE);
		assert_int_equal(m2mi_mefs_enrolee_row(st, FX_KPMID, &e, NULL), M2M_OK);
		assert_int_equal(e->revoked_at, 0);
		m2m_mef_enrolee_free(e);
		e = NULL;
		assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
		assert_int_equal(m2mi_mefs_exec1(st, "UPDATE enrolee SET revoked_at = ?2 WHERE client_id = ?1", FX_KPMID, 7 + i),
				 M2M_OK);
		assert_int_equal(m2mi_mefstore_end(st, M2M_OK), M2M_OK);
		assert_int_equal(m2mi_mefs_enrolee_row(m2m_mef_store(f->mef), FX_KPMID, &e, NULL), M2M_OK);
		assert_int_equal(e->revoked_at, 7 + i);
		m2m_mef_enrolee_free(e);
		assert_int_equal(m2mi_mefs_exec1(st, "UPDATE enrolee SET revoked_at = 0 WHERE client_id = ?1", FX_KPMID, 0),
				 M2M_OK);
	}
	m2m_mefstore_close(st);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stmt_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
