/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_sqlite.c (TS-0003 clause 8.3 storage):
 * the durability (store-sync) of each connection, and the store file's own rules (a file
 * readable by others refused, an absent file not created by the CLI).
 */
#include <sys/stat.h>

#include "mef_fixture.h"
#include "services/mef/mef_int.h"
#include "store/mefstore_sql.h"

/* The SQLite file rules (the ".pg" pass has no file). */
static void test_file(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *other = NULL;
	char p[200];

	(void)state;
	if (pgf_uri() != NULL) {
		fx_free(f);
		skip();
	}
	/* a store readable by others is refused */
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(m2m_mefstore_open(f->path, false, &other), M2M_E_KEY_PERMS);
	assert_null(other);
	assert_int_equal(chmod(f->path, 0600), 0);
	snprintf(p, sizeof(p), "%s/absent.db", f->dir);
	assert_int_equal(m2m_mefstore_open(p, false, &other), M2M_E_NOT_FOUND);
	fx_free(f);
}

/* store-sync ([mef], docs/config.md): the PRAGMA synchronous in effect on the MEF service's
 * connections (the resolver's and a worker's) is the configured one, and the operator CLI's
 * connection (m2m_mefstore_open) is FULL whatever the service runs with. */
static void test_sync_levels(void **state)
{
	static const m2m_mefstore_sync levels[] = {M2M_MEFSTORE_SYNC_NORMAL, M2M_MEFSTORE_SYNC_FULL};
	fx *f = fx_new(NULL);
	m2m_mefstore *cli = NULL, *st = NULL;
	m2m_mefstore_sync got;

	(void)state;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		m2m_mef_config c = {.mef_fqdn = "mef.example.com", .store = f->path, .store_sync = levels[i]};
		m2m_mef *mef = NULL;
		m2m_mef_worker *w = NULL;

		assert_int_equal(m2m_mef_new(&c, &mef), M2M_OK);
		assert_int_equal(m2m_mef_worker_new(mef, &w), M2M_OK);
		got = (m2m_mefstore_sync)-1;
		assert_int_equal(m2m_mefstore_sync_in_effect(m2m_mef_store(mef), &got), M2M_OK);
		assert_int_equal(got, levels[i]);
		got = (m2m_mefstore_sync)-1;
		assert_int_equal(m2m_mefstore_sync_in_effect(w->st, &got), M2M_OK);
		assert_int_equal(got, levels[i]);
		/* the CLI, opened while the service runs NORMAL: still FULL */
		assert_int_equal(m2m_mefstore_open(f->path, false, &cli), M2M_OK);
		got = (m2m_mefstore_sync)-1;
		assert_int_equal(m2m_mefstore_sync_in_effect(cli, &got), M2M_OK);
		assert_int_equal(got, M2M_MEFSTORE_SYNC_FULL);
		m2m_mefstore_close(cli);
		m2m_mef_worker_free(w);
		m2m_mef_free(mef);
	}
	/* a bad level is refused before anything is opened */
	assert_int_equal(m2m_mefstore_open_sync(f->path, false, (m2m_mefstore_sync)7, &st), M2M_E_INVAL);
	assert_null(st);
	assert_int_equal(m2m_mefstore_sync_in_effect(NULL, &got), M2M_E_INVAL);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_sync_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
