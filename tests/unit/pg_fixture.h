/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the PostgreSQL half of the store test fixtures: when M2MSEC_TEST_PG_URI
 * names a real server's database (ctest's ".pg" pass through tests/system/pg_harness.py), a test
 * written for a store file runs against that database instead — the same test, not a copy.
 */
#ifndef M2M_TEST_PG_FIXTURE_H
#define M2M_TEST_PG_FIXTURE_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2m_test.h"

/* The database URI of this run, or NULL (the SQLite pass). */
static inline const char *pgf_uri(void)
{
	const char *u = getenv("M2MSEC_TEST_PG_URI");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* Run sql on the run's database; the first column of the first row as a number (0: none). */
static inline long long pgf_query(const char *sql)
{
	PGconn *c = PQconnectdb(pgf_uri());
	PGresult *res;
	long long n = 0;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, sql);
	assert_true(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return n;
}

/* PostgreSQL pass: an empty credential store database, and its URI in path (true). */
static inline bool pgf_cred_store(char *path, size_t cap)
{
	if (pgf_uri() == NULL)
		return false;
	(void)pgf_query("DROP TABLE IF EXISTS cred_target, cred CASCADE");
	(void)pgf_query("DO $$ BEGIN IF to_regclass('m2m_schema_migrations') IS NOT NULL THEN"
			" DELETE FROM m2m_schema_migrations WHERE component = 'credstore'; END IF; END $$");
	assert_true(strlen(pgf_uri()) < cap);
	snprintf(path, cap, "%s", pgf_uri());
	return true;
}

/* PostgreSQL pass: an empty MEF store database (every table of store/mefstore_pg.c gone, and
 * its schema version), and its URI in path (true). */
static inline bool pgf_mef_store(char *path, size_t cap)
{
	if (pgf_uri() == NULL)
		return false;
	(void)pgf_query("DROP TABLE IF EXISTS reg, keyreg, enrolee, grp, estcert, gba_bootstrap, gba_subscriber,"
			" netauth, secprofile CASCADE");
	(void)pgf_query("DO $$ BEGIN IF to_regclass('m2m_schema_migrations') IS NOT NULL THEN"
			" DELETE FROM m2m_schema_migrations WHERE component = 'mefstore'; END IF; END $$");
	assert_true(strlen(pgf_uri()) < cap);
	snprintf(path, cap, "%s", pgf_uri());
	return true;
}

#endif
