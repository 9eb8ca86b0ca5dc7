/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_sqlite.c (TS-0003 clause 8.3.2.1
 * bootstrap configuration): idempotent add, conflicting add, rotate, fleet group lookup and
 * a revoked tombstone for a group member; the durability (store-sync) of each connection;
 * the per-connection statement cache.
 */
#include <sys/stat.h>

#include "mef_fixture.h"
#include "services/mef/mef_int.h"
#include "store/mefstore_sql.h"

static void test_store(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	uint8_t kb[32];
	m2m_key *k = NULL, *got = NULL;
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = FX_KPMID, .enrolee_id = FX_EID,
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_mef_group g = {.group_id = "batch1", .kpm_prefix = "fleet-", .enrolee_tmpl = "Cfleet-{id}",
			   .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_mef_enrolee *info = NULL;
	m2m_mef_add_result res;

	(void)state;
	memset(kb, 0x11, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, &res), M2M_OK);
	assert_int_equal(res, M2M_MEF_UNCHANGED);
	e.enrolee_id = "Cother";
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, &res), M2M_E_EXISTS);
	m2m_key_free(k);
	memset(kb, 0x33, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_rotate(st, FX_KPMID, k, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, FX_KPMID, FX_NOW, &got, NULL), M2M_OK);
	assert_true(m2m_key_equal(k, got));
	m2m_key_free(got);
	assert_int_equal(m2m_mefstore_group_add(st, &g, k, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "fleet-42@mef.example.com", FX_NOW, &got, &info), M2M_OK);
	assert_string_equal(info->enrolee_id, "Cfleet-42");
	m2m_mef_enrolee_free(info);
	m2m_key_free(got);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "fleet-43@mef.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "fleet-43@mef.example.com", FX_NOW, &got, NULL), M2M_E_KEY_REVOKED);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "none@mef.example.com", FX_NOW, &got, NULL), M2M_E_NOT_FOUND);
	/* a KpmID's FQDN part is case-insensitive, its relative part is not */
	e.client_id = "Dev2@MEF.Example.COM";
	e.enrolee_id = "Cdev2";
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, &res), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "Dev2@mef.example.com", FX_NOW, &got, &info), M2M_OK);
	assert_string_equal(info->client_id, "Dev2@mef.example.com");
	m2m_mef_enrolee_free(info);
	m2m_key_free(got);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "dev2@mef.example.com", FX_NOW, &got, NULL), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "Dev2@MEF.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(st, "Dev2@mef.example.com", FX_NOW, &got, NULL), M2M_E_KEY_REVOKED);
	m2m_key_free(k);
	fx_free(f);
}

/* Refusals of the library functions the CLI calls, each with its exact error. */
static void test_refusals(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef), *other = NULL;
	uint8_t kb[32];
	m2m_key *k = NULL, *short_k = NULL;
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "x@mef.example.com", .enrolee_id = "Cx",
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 10};
	char p[200];

	(void)state;
	memset(kb, 0x21, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_key_new(kb, 16, &short_k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "nobody@mef.example.com", FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_enrolee_rotate(st, "nobody@mef.example.com", k, FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, short_k, FX_NOW, NULL), M2M_E_KEY_LEN);
	e.expiry = FX_NOW;
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_RANGE);
	e.expiry = FX_NOW + 10;
	e.client_id = "no-at-sign";
	assert_true(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL) < 0);
	e.client_id = "x@mef.example.com";
	e.targets[0] = "Cnot-a-cse";
	assert_true(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL) < 0);
	e.targets[0] = FX_TARGET;
	e.allowed = "*";
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_INVAL);
	e.allowed = NULL;
	e.flavour = M2M_MEF_FLAVOUR_CERT;
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_INVAL);
	e.flavour = M2M_MEF_FLAVOUR_KPM;
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "x@mef.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, "x@mef.example.com", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_rotate(st, "x@mef.example.com", k, FX_NOW), M2M_E_KEY_REVOKED);
	/* re-adding a revoked enrolee is a conflict, not a silent revival */
	assert_int_equal(m2m_mefstore_enrolee_add(st, &e, k, FX_NOW, NULL), M2M_E_EXISTS);
	/* a store readable by others is refused */
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(m2m_mefstore_open(f->path, false, &other), M2M_E_KEY_PERMS);
	assert_null(other);
	assert_int_equal(chmod(f->path, 0600), 0);
	snprintf(p, sizeof(p), "%s/absent.db", f->dir);
	assert_int_equal(m2m_mefstore_open(p, false, &other), M2M_E_NOT_FOUND);
	m2m_key_free(k);
	m2m_key_free(short_k);
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

/* The per-connection statement cache (store/mefstore_sql.h): a statement comes back prepared
 * once, reset and with no binding left (no pointer to a caller's key bytes); one in use further
 * up the stack is never handed out twice; a statement that does not compile is not kept. */
static void test_stmt_cache(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = NULL;
	sqlite3_stmt *a = NULL, *b = NULL;
	static const uint8_t secret[4] = {1, 2, 3, 4};

	(void)state;
	assert_int_equal(m2m_mefstore_open(f->path, false, &st), M2M_OK);
	assert_int_equal(m2mi_mefs_prep(st, "SELECT ?1", &a), M2M_OK);
	sqlite3_bind_blob(a, 1, secret, sizeof(secret), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(a, 0), 4);
	/* nested use of the same SQL while a is out: a different statement */
	assert_int_equal(m2mi_mefs_prep(st, "SELECT ?1", &b), M2M_OK);
	assert_ptr_not_equal(a, b);
	m2mi_mefs_done(st, b);
	m2mi_mefs_done(st, a);
	/* given back: the same statement again, reset, its binding gone */
	assert_int_equal(m2mi_mefs_prep(st, "SELECT ?1", &b), M2M_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
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
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_sync_levels),
		cmocka_unit_test(test_stmt_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
