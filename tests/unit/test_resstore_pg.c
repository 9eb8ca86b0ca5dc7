/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/resstore_pg.c that only PostgreSQL has, against
 * the real server named by M2MSEC_TEST_PG_URI (ctest runs this binary through
 * tests/system/pg_harness.py): the versioned migrations (recorded, idempotent, a newer schema
 * refused with M2M_E_RESSTORE_SCHEMA); a connection lost inside a transaction fails the request
 * cleanly with nothing written and the next transaction reconnects; a write transaction locks
 * the parent it read, so a second instance reading it waits and then sees the committed counter
 * (TS-0004 clause 7.4.6.2.1 currentNrOfInstances), and a lock held too long fails the request
 * instead of blocking it without bound; store-sync maps to synchronous_commit.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/resstore.h"

static const char *uri(void)
{
	const char *u = getenv("M2MSEC_TEST_PG_URI");

	assert_non_null(u); /* run through tests/system/pg_harness.py */
	return u;
}

/* Run sql; the first column of the first row as a number (0 without rows). */
static int64_t q(const char *sql)
{
	PGconn *c = PQconnectdb(uri());
	PGresult *res;
	int64_t n = 0;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, sql);
	assert_true(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return n;
}

static int fresh(void **state)
{
	(void)state;
	(void)q("DROP TABLE IF EXISTS grp_member, res, m2m_schema_migrations");
	return 0;
}

static m2m_err put(m2m_resstore *s, const char *ri, const char *pi, const char *path, const char *body)
{
	m2m_res r = {.ri = (char *)ri, .pi = (char *)pi, .rn = (char *)ri, .path = (char *)path,
		     .body = (char *)body, .ty = 3, .ver = 1};

	snprintf(r.ct, sizeof(r.ct), "20240101T000000");
	snprintf(r.lt, sizeof(r.lt), "20240101T000000");
	return m2m_resstore_insert(s, &r);
}

static void test_migrations(void **state)
{
	m2m_resstore *s = NULL;

	(void)state;
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_OK);
	m2m_resstore_free(s);
	assert_int_equal(q("SELECT max(version) FROM m2m_schema_migrations WHERE component = 'resstore'"), 1);
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_OK); /* already there: nothing redone */
	m2m_resstore_free(s);
	assert_int_equal(q("SELECT count(*) FROM m2m_schema_migrations"), 1);
	/* a newer program migrated this database: refused, never half-understood */
	(void)q("INSERT INTO m2m_schema_migrations (component, version) VALUES ('resstore', 2)");
	s = (m2m_resstore *)1;
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_E_RESSTORE_SCHEMA);
	assert_null(s);
}

/* The server end of this process's connections that are idle inside a transaction. */
static int64_t kill_idle_in_tx(void)
{
	return q("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'm2msec'"
		 " AND state = 'idle in transaction'");
}

static void test_connection_lost(void **state)
{
	m2m_resstore *s = NULL;
	m2m_res r = {0};

	(void)state;
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(put(s, "p", NULL, "p", "{}"), M2M_OK);
	assert_int_equal(kill_idle_in_tx(), 1);
	/* the request in flight fails (5000 at the CSE) and nothing of it was written */
	assert_int_equal(put(s, "p2", NULL, "p2", "{}"), M2M_E_RESSTORE);
	assert_int_equal(m2m_resstore_commit(s), M2M_E_RESSTORE);
	m2m_resstore_rollback(s);
	assert_int_equal(q("SELECT count(*) FROM res"), 0);
	/* the next request reconnects */
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(put(s, "p", NULL, "p", "{}"), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	/* lost while idle: the begin notices and reconnects at once */
	(void)q("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'm2msec'");
	assert_int_equal(m2m_resstore_begin(s, false), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "p", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	m2m_resstore_free(s);
}

/* A read transaction's BEGIN travels with its first statement and its COMMIT is not waited for
 * (store/resstore_pg.c): it still reads one snapshot, leaves no transaction open on the server
 * once the next operation runs, and survives the connection dropped in between. */
static void test_read_transactions(void **state)
{
	m2m_resstore *s = NULL;
	m2m_res r = {0};

	(void)state;
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(put(s, "p", NULL, "p", "{\"v\":1}"), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	/* one snapshot: a change committed by another session after the first read is not seen */
	assert_int_equal(m2m_resstore_begin(s, false), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "p", &r), M2M_OK);
	m2m_res_clear(&r);
	(void)q("UPDATE res SET body = '{\"v\":2}' WHERE ri = 'p'");
	assert_int_equal(m2m_resstore_get(s, "p", &r), M2M_OK);
	assert_string_equal(r.body, "{\"v\":1}");
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	/* a read transaction that read nothing, then a write: nothing left open, the write lands */
	assert_int_equal(m2m_resstore_begin(s, false), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(put(s, "p2", NULL, "p2", "{}"), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	assert_int_equal(q("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'm2msec'"
			   " AND state LIKE 'idle in transaction%'"), 0);
	assert_int_equal(q("SELECT count(*) FROM res"), 2);
	/* the connection dropped after a read transaction's COMMIT went out: the next read reconnects */
	assert_int_equal(m2m_resstore_begin(s, false), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "p", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	(void)q("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'm2msec'");
	assert_int_equal(m2m_resstore_begin(s, false), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "p2", &r), M2M_OK);
	m2m_res_clear(&r);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	m2m_resstore_free(s);
}

struct second {
	m2m_err r;
	char body[64];
};

/* The second instance: read the parent in a write transaction, as the CSE does before it
 * counts a new child. */
static void *second_run(void *arg)
{
	struct second *b = arg;
	m2m_resstore *s = NULL;
	m2m_res r = {0};

	if ((b->r = m2m_resstore_open(uri(), &s)) == M2M_OK && (b->r = m2m_resstore_begin(s, true)) == M2M_OK &&
	    (b->r = m2m_resstore_get(s, "cnt", &r)) == M2M_OK) {
		snprintf(b->body, sizeof(b->body), "%s", r.body);
		b->r = m2m_resstore_commit(s);
	}
	m2m_res_clear(&r);
	m2m_resstore_free(s);
	return NULL;
}

static void test_parent_locked(void **state)
{
	struct second b = {0};
	m2m_resstore *s = NULL;
	m2m_res r = {0};
	pthread_t t;
	int spins = 0;

	(void)state;
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(put(s, "cnt", NULL, "cnt", "{\"cni\":0}"), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "cnt", &r), M2M_OK);
	assert_int_equal(pthread_create(&t, NULL, second_run, &b), 0);
	/* the second instance must be waiting for our row lock before we change the counter */
	while (q("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'm2msec' AND wait_event_type = 'Lock'")
	       == 0) {
		assert_true(++spins < 2000); /* it never waits: the read is not locked */
		usleep(5000);
	}
	free(r.body);
	r.body = strdup("{\"cni\":1}");
	r.ver = 2;
	assert_int_equal(m2m_resstore_update(s, &r), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	pthread_join(t, NULL);
	assert_int_equal(b.r, M2M_OK);
	assert_string_equal(b.body, "{\"cni\":1}"); /* what it counts from is the committed value */
	m2m_res_clear(&r);
	m2m_resstore_free(s);
}

/* A row another instance holds longer than lock_timeout: the read fails cleanly (5000 at the
 * CSE) instead of waiting without bound, and the handle is usable afterwards. */
static void test_lock_wait_bounded(void **state)
{
	PGconn *other = PQconnectdb(uri());
	m2m_resstore *s = NULL;
	m2m_res r = {0};
	PGresult *res;

	(void)state;
	assert_int_equal(m2m_resstore_open(uri(), &s), M2M_OK);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(put(s, "held", NULL, "held", "{}"), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	assert_int_equal(PQstatus(other), CONNECTION_OK);
	res = PQexec(other, "BEGIN; SELECT 1 FROM res WHERE ri = 'held' FOR UPDATE");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "held", &r), M2M_E_RESSTORE); /* lock_timeout */
	m2m_resstore_rollback(s);
	PQfinish(other); /* its transaction ends with it */
	assert_int_equal(m2m_resstore_begin(s, true), M2M_OK);
	assert_int_equal(m2m_resstore_get(s, "held", &r), M2M_OK);
	assert_int_equal(m2m_resstore_commit(s), M2M_OK);
	m2m_res_clear(&r);
	m2m_resstore_free(s);
}

static void test_sync(void **state)
{
	m2m_resstore_opts full = {.sync = M2M_RESSTORE_SYNC_FULL};
	m2m_resstore_sync got;
	m2m_resstore *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(m2m_resstore_open_opts(uri(), &full, &a), M2M_OK);
	assert_int_equal(m2m_resstore_sync_in_effect(a, &got), M2M_OK);
	assert_int_equal(got, M2M_RESSTORE_SYNC_FULL);
	assert_int_equal(m2m_resstore_open_opts(uri(), NULL, &b), M2M_OK);
	assert_int_equal(m2m_resstore_sync_in_effect(b, &got), M2M_OK);
	assert_int_equal(got, M2M_RESSTORE_SYNC_NORMAL);
	m2m_resstore_free(a);
	m2m_resstore_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_migrations, fresh),
		cmocka_unit_test_setup(test_connection_lost, fresh),
		cmocka_unit_test_setup(test_read_transactions, fresh),
		cmocka_unit_test_setup(test_parent_locked, fresh),
		cmocka_unit_test_setup(test_lock_wait_bounded, fresh),
		cmocka_unit_test_setup(test_sync, fresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
