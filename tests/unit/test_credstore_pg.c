/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/credstore_pg.c that only PostgreSQL has, against
 * the real server named by M2MSEC_TEST_PG_URI (ctest runs it through tests/system/pg_harness.py;
 * the backend-independent behaviour is test_credstore / test_credstore_attrs, run on both): a
 * connection the server dropped between operations is replaced without failing the next one; a
 * connection lost inside a grouping transaction fails it with M2M_E_STORE and nothing of it is
 * written; a revocation, deletion or update notifies channel m2m_cred with the canonical id (the
 * other instances' caches, docs/scale-out.md); key bytes are stored as exactly their bytes
 * (TS-0003 clause 10.3 keys).
 */
#include <sys/select.h>

#include "m2m_test.h"
#include "m2msec/credstore.h"
#include "pg_fixture.h"

#define KPSA "Kpsa-1@sp.example.com"
#define KPSA2 "Kpsa-2@sp.example.com"

static m2m_credstore *fresh(void)
{
	char uri[300];
	m2m_credstore *s = NULL;

	assert_true(pgf_cred_store(uri, sizeof(uri))); /* run through tests/system/pg_harness.py */
	assert_int_equal(m2m_credstore_create(uri, &s), M2M_OK);
	return s;
}

static m2m_err add(m2m_credstore *s, const char *id, uint8_t fill)
{
	uint8_t b[32];
	m2m_key *k = NULL;
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)id, .owner = "Cae1", .created_at = 100};
	m2m_err r;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	r = m2m_credstore_add(s, &in, k, NULL, NULL);
	m2m_key_free(k);
	return r;
}

/* Terminate the store's own server connections (application_name m2msec, pg_common.c). */
static long long kill_store_conns(void)
{
	return pgf_query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			 " WHERE application_name = 'm2msec'");
}

static void test_reconnect_between_operations(void **state)
{
	m2m_credstore *s = fresh();
	m2m_key *k = NULL;

	(void)state;
	assert_int_equal(add(s, KPSA, 7), M2M_OK);
	assert_int_equal(kill_store_conns(), 1);
	/* a read after the server dropped the idle connection: reconnected, answered */
	assert_int_equal(m2m_credstore_lookup_key(s, KPSA, M2M_CRED_KIND_KPSA, 200, &k), M2M_OK);
	assert_int_equal(m2m_key_len(k), 32);
	m2m_key_free(k);
	/* and a write after another drop */
	assert_int_equal(kill_store_conns(), 1);
	assert_int_equal(add(s, KPSA2, 8), M2M_OK);
	assert_int_equal(pgf_query("SELECT count(*) FROM cred"), 2);
	/* exactly the key's bytes, as bytea */
	assert_int_equal(pgf_query("SELECT octet_length(key_bytes) FROM cred WHERE id = '" KPSA2 "'"), 32);
	assert_int_equal(pgf_query("SELECT get_byte(key_bytes, 31) FROM cred WHERE id = '" KPSA2 "'"), 8);
	m2m_credstore_close(s);
}

static void test_lost_inside_transaction(void **state)
{
	m2m_credstore *s = fresh();
	m2m_key *k = NULL;

	(void)state;
	assert_int_equal(m2m_credstore_begin(s), M2M_OK);
	assert_int_equal(add(s, KPSA, 7), M2M_OK);
	assert_int_equal(kill_store_conns(), 1);
	/* the next operation in the transaction and the transaction itself fail cleanly */
	assert_int_equal(add(s, KPSA2, 8), M2M_E_STORE);
	assert_int_equal(m2m_credstore_end(s, M2M_OK), M2M_E_STORE);
	/* nothing half-written; the handle works again */
	assert_int_equal(pgf_query("SELECT count(*) FROM cred"), 0);
	assert_int_equal(m2m_credstore_lookup_key(s, KPSA, M2M_CRED_KIND_KPSA, 200, &k), M2M_E_NOT_FOUND);
	assert_int_equal(add(s, KPSA, 7), M2M_OK);
	m2m_credstore_close(s);
}

/* The next notification on l within a few seconds (the payload), or NULL. */
static char *next_notify(PGconn *l)
{
	for (int i = 0; i < 50; i++) {
		PGnotify *n;
		fd_set fds;
		struct timeval tv = {0, 100000};

		assert_int_equal(PQconsumeInput(l), 1);
		if ((n = PQnotifies(l)) != NULL) {
			char *p = strdup(n->extra);

			assert_string_equal(n->relname, "m2m_cred");
			PQfreemem(n);
			return p;
		}
		FD_ZERO(&fds);
		FD_SET(PQsocket(l), &fds);
		(void)select(PQsocket(l) + 1, &fds, NULL, NULL, &tv);
	}
	return NULL;
}

static void test_changes_notify(void **state)
{
	m2m_credstore *s = fresh();
	PGconn *l = PQconnectdb(pgf_uri());
	PGresult *res;
	m2m_cred_info v = {.attrs = "{}"};
	char *got;

	(void)state;
	assert_int_equal(PQstatus(l), CONNECTION_OK);
	res = PQexec(l, "LISTEN m2m_cred");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(add(s, KPSA, 7), M2M_OK);
	assert_int_equal(m2m_credstore_revoke(s, KPSA, 300), M2M_OK);
	assert_non_null(got = next_notify(l));
	assert_string_equal(got, KPSA);
	free(got);
	assert_int_equal(m2m_credstore_update(s, KPSA, M2M_CRED_SET_ATTRS, &v), M2M_OK);
	assert_non_null(got = next_notify(l));
	assert_string_equal(got, KPSA);
	free(got);
	assert_int_equal(m2m_credstore_delete(s, KPSA), M2M_OK);
	assert_non_null(got = next_notify(l));
	assert_string_equal(got, KPSA);
	free(got);
	/* a rolled-back revocation notifies nobody */
	assert_int_equal(add(s, KPSA2, 8), M2M_OK);
	assert_int_equal(m2m_credstore_begin(s), M2M_OK);
	assert_int_equal(m2m_credstore_revoke(s, KPSA2, 300), M2M_OK);
	assert_int_equal(m2m_credstore_end(s, M2M_E_INTERNAL), M2M_E_INTERNAL);
	assert_null(next_notify(l));
	PQfinish(l);
	m2m_credstore_close(s);
}

/* A lookup records its time as the record's last use; a second lookup in the same second writes
 * nothing (the row version, xmin, stays): no commit to flush per handshake. */
static void test_touch_writes_only_changes(void **state)
{
	m2m_credstore *s = fresh();
	m2m_cred_info *info = NULL;
	m2m_key *k = NULL;
	long long x1;

	(void)state;
	assert_int_equal(add(s, KPSA, 7), M2M_OK);
	assert_int_equal(m2m_credstore_lookup_key(s, KPSA, M2M_CRED_KIND_KPSA, 200, &k), M2M_OK);
	m2m_key_free(k);
	x1 = pgf_query("SELECT xmin::text::bigint FROM cred WHERE id = '" KPSA "'");
	assert_int_equal(m2m_credstore_lookup_key(s, KPSA, M2M_CRED_KIND_KPSA, 200, &k), M2M_OK);
	m2m_key_free(k);
	assert_int_equal(pgf_query("SELECT xmin::text::bigint FROM cred WHERE id = '" KPSA "'"), x1);
	assert_int_equal(m2m_credstore_lookup_key(s, KPSA, M2M_CRED_KIND_KPSA, 150, &k), M2M_OK); /* never back */
	m2m_key_free(k);
	assert_int_equal(m2m_credstore_lookup_key(s, KPSA, M2M_CRED_KIND_KPSA, 201, &k), M2M_OK);
	m2m_key_free(k);
	assert_int_equal(m2m_credstore_get_info(s, KPSA, &info), M2M_OK);
	assert_int_equal(info->last_used, 201);
	m2m_credstore_info_free(info);
	m2m_credstore_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconnect_between_operations),
		cmocka_unit_test(test_lost_inside_transaction),
		cmocka_unit_test(test_changes_notify),
		cmocka_unit_test(test_touch_writes_only_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
