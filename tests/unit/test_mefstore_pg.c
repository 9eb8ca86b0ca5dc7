/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_pg.c that only PostgreSQL has, against
 * the real server named by M2MSEC_TEST_PG_URI (ctest runs it through tests/system/pg_harness.py;
 * the backend-independent behaviour is test_mefstore_* and test_mef_*, run on both): the schema
 * as a versioned migration (a newer one refused), a store not created yet, key bytes stored as
 * exactly their bytes (TS-0003 clause 10.3.1 Ke), a connection lost inside a transaction failing
 * it with nothing written and the next one reconnecting (a read outside a transaction run again
 * on the new session), the store-wide write lock between two
 * handles (two MEF instances), and a refused login logged without the password.
 */
#include "m2msec/log.h"
#include "mef_fixture.h"
#include "store/mefstore_sql.h"

/* Terminate the store's own server connections (application_name m2msec, pg_common.c). */
static long long kill_store_conns(void)
{
	return pgf_query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			 " WHERE application_name = 'm2msec'");
}

static m2m_mefstore *fresh(char *uri, size_t cap)
{
	m2m_mefstore *st = NULL;

	assert_true(pgf_mef_store(uri, cap)); /* run through tests/system/pg_harness.py */
	/* not created yet: opening without create is "not found", as an absent file */
	assert_int_equal(m2m_mefstore_open(uri, false, &st), M2M_E_NOT_FOUND);
	assert_null(st);
	assert_int_equal(m2m_mefstore_open(uri, true, &st), M2M_OK);
	return st;
}

static m2m_err add(m2m_mefstore *st, const char *client_id, uint8_t fill)
{
	uint8_t kb[32];
	m2m_key *k = NULL;
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = (char *)client_id, .enrolee_id = FX_EID,
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_err r;

	memset(kb, fill, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	r = m2m_mefstore_enrolee_add(st, &e, k, FX_NOW - 10, NULL);
	m2m_key_free(k);
	return r;
}

static void test_schema(void **state)
{
	char uri[300];
	m2m_mefstore *st = fresh(uri, sizeof(uri)), *again = NULL;

	(void)state;
	assert_int_equal(pgf_query("SELECT max(version) FROM m2m_schema_migrations WHERE component = 'mefstore'"), 1);
	/* a second open of a migrated database changes nothing */
	assert_int_equal(m2m_mefstore_open(uri, true, &again), M2M_OK);
	m2m_mefstore_close(again);
	assert_int_equal(pgf_query("SELECT count(*) FROM m2m_schema_migrations WHERE component = 'mefstore'"), 1);
	/* the Kpm is stored as exactly its 32 bytes (bytea, sent in binary) */
	assert_int_equal(add(st, FX_KPMID, 0x9c), M2M_OK);
	assert_int_equal(pgf_query("SELECT octet_length(kpm) FROM enrolee"), 32);
	assert_int_equal(pgf_query("SELECT get_byte(kpm, 31) FROM enrolee"), 0x9c);
	m2m_mefstore_close(st);
	/* a database migrated by a newer program is refused, never written */
	(void)pgf_query("INSERT INTO m2m_schema_migrations (component, version) VALUES ('mefstore', 2)");
	again = NULL;
	assert_int_equal(m2m_mefstore_open(uri, false, &again), M2M_E_STORE_SCHEMA);
	assert_null(again);
	(void)pgf_query("DELETE FROM m2m_schema_migrations WHERE component = 'mefstore' AND version = 2");
}

static void test_lost_inside_transaction(void **state)
{
	char uri[300];
	m2m_mefstore *st = fresh(uri, sizeof(uri));
	m2m_mef_enrolee *e = NULL;

	(void)state;
	assert_int_equal(add(st, FX_KPMID, 1), M2M_OK);
	assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
	assert_int_equal(m2mi_mefs_exec1(st, "UPDATE enrolee SET revoked_at = ?2 WHERE client_id = ?1", FX_KPMID, 9),
			 M2M_OK);
	assert_int_equal(kill_store_conns(), 1);
	/* the next statement and the transaction fail cleanly: nothing half-written */
	assert_int_equal(m2mi_mefs_exec1(st, "DELETE FROM enrolee WHERE client_id = ?1", FX_KPMID, 0), M2M_E_STORE);
	assert_int_equal(m2mi_mefstore_end(st, M2M_OK), M2M_E_STORE);
	assert_int_equal(pgf_query("SELECT revoked_at FROM enrolee"), 0);
	/* the next request connects again and its statements are prepared again */
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_get(st, FX_KPMID, &e), M2M_OK);
	assert_int_equal(e->state, M2M_CRED_STATE_REVOKED);
	m2m_mef_enrolee_free(e);
	/* a session dropped while idle is replaced at the next BEGIN: that request succeeds */
	assert_int_equal(kill_store_conns(), 1);
	assert_int_equal(add(st, "dev2@mef.example.com", 2), M2M_OK);
	assert_int_equal(pgf_query("SELECT count(*) FROM enrolee"), 2);
	/* a read outside any transaction (the PSK lookup of a MEF handshake) too: it wrote nothing,
	 * so it runs once more on a new session */
	{
		m2m_key *kpm = NULL;

		assert_int_equal(kill_store_conns(), 1);
		assert_int_equal(m2m_mefstore_kpm_lookup(st, "dev2@mef.example.com", FX_NOW, &kpm, NULL), M2M_OK);
		assert_int_equal(m2m_key_len(kpm), 32);
		m2m_key_free(kpm);
	}
	m2m_mefstore_close(st);
}

/* Two handles (two MEF instances): a write transaction holds the store-wide lock, so another
 * instance's write waits for it (here: past lock_timeout, a clean M2M_E_STORE with nothing
 * written); a read transaction does not wait. Once the first commits, the second sees it. */
static void test_write_lock(void **state)
{
	char uri[300];
	m2m_mefstore *a = fresh(uri, sizeof(uri)), *b = NULL;
	m2m_mef_enrolee *e = NULL;

	(void)state;
	assert_int_equal(m2m_mefstore_open(uri, false, &b), M2M_OK);
	assert_int_equal(add(a, FX_KPMID, 1), M2M_OK);
	assert_int_equal(m2mi_mefstore_begin(a), M2M_OK);
	assert_int_equal(m2mi_mefs_exec1(a, "UPDATE enrolee SET revoked_at = ?2 WHERE client_id = ?1", FX_KPMID, 5),
			 M2M_OK);
	assert_int_equal(m2mi_mefstore_begin_read(b), M2M_OK);
	assert_int_equal(m2mi_mefs_enrolee_row(b, FX_KPMID, &e, NULL), M2M_OK);
	assert_int_equal(e->revoked_at, 0); /* a's write is not committed */
	m2m_mef_enrolee_free(e);
	assert_int_equal(m2mi_mefstore_end(b, M2M_OK), M2M_OK);
	assert_int_equal(add(b, "dev2@mef.example.com", 2), M2M_E_STORE);
	assert_int_equal(pgf_query("SELECT count(*) FROM enrolee"), 1);
	assert_int_equal(m2mi_mefstore_end(a, M2M_OK), M2M_OK);
	assert_int_equal(add(b, "dev2@mef.example.com", 2), M2M_OK);
	assert_int_equal(m2mi_mefs_enrolee_row(b, FX_KPMID, &e, NULL), M2M_OK);
	assert_int_equal(e->revoked_at, 5);
	m2m_mef_enrolee_free(e);
	m2m_mefstore_close(b);
	m2m_mefstore_close(a);
}

static char logged[8192];

static void log_sink(void *ctx, const m2m_log_event *ev)
{
	size_t l = strlen(logged);

	(void)ctx;
	(void)snprintf(logged + l, sizeof(logged) - l, "%s\n", ev->msg);
}

static void test_wrong_password(void **state)
{
	char uri[300], bad[320];
	const char *at, *colon;
	m2m_mefstore *st = NULL;

	(void)state;
	assert_true(pgf_mef_store(uri, sizeof(uri)));
	/* postgresql://user:PASSWORD@host...: the same URI with another password */
	assert_non_null(at = strchr(uri, '@'));
	assert_non_null(colon = strchr(uri + strlen("postgresql://"), ':'));
	assert_true(colon < at);
	snprintf(bad, sizeof(bad), "%.*sWrongSecret42%s", (int)(colon + 1 - uri), uri, at);
	logged[0] = '\0';
	m2m_log_set_sink(log_sink, NULL, M2M_LOG_DEBUG);
	assert_int_equal(m2m_mefstore_open(bad, true, &st), M2M_E_STORE);
	m2m_log_set_sink(NULL, NULL, M2M_LOG_ERROR);
	assert_null(st);
	assert_non_null(strstr(logged, "MEF store"));
	assert_null(strstr(logged, "WrongSecret42"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_lost_inside_transaction),
		cmocka_unit_test(test_write_lock),
		cmocka_unit_test(test_wrong_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
