/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/pg_common.c that need no server: recognising a
 * PostgreSQL URI and redacting its password (userinfo and password= parameter) for every log
 * line; a refused connection is logged without the password. The server-side behaviour
 * (migrations, reconnection, locks) is tested in test_resstore_pg.c against a real server.
 */
#include "m2m_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "store/pg_common.h"

static void test_is_uri(void **state)
{
	(void)state;
	assert_true(m2mi_pg_is_uri("postgresql://h/db"));
	assert_true(m2mi_pg_is_uri("postgres://h/db"));
	assert_false(m2mi_pg_is_uri("postgresql:h"));
	assert_false(m2mi_pg_is_uri("/var/lib/x.db"));
	assert_false(m2mi_pg_is_uri(NULL));
}

static void check(const char *uri, const char *want)
{
	char out[256];

	m2mi_pg_redact(uri, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_redact(void **state)
{
	char small[12];

	(void)state;
	check("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db");
	check("postgresql://u:s3cret@h/db?sslmode=require&password=x2&a=b",
	      "postgresql://u:***@h/db?sslmode=require&password=***&a=b");
	check("postgres://u@h/db?password=zz", "postgres://u@h/db?password=***");
	check("postgresql://h/db", "postgresql://h/db");
	check("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"); /* the last '@' ends the userinfo */
	check("postgresql://h/db?apassword=x", "postgresql://h/db?apassword=x");
	m2mi_pg_redact("postgresql://u:secretsecret@h/db", small, sizeof(small));
	assert_null(strstr(small, "secret"));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static char logbuf[2048];

static void log_sink(void *ctx, const m2m_log_event *ev)
{
	(void)ctx;
	snprintf(logbuf + strlen(logbuf), sizeof(logbuf) - strlen(logbuf), "%s\n", ev->msg != NULL ? ev->msg : "");
}

/* Nothing listens on port 1: the refusal is logged with the URI redacted. */
static void test_connect_refused_logs_no_password(void **state)
{
	m2mi_pg_cfg cfg = {.err = M2M_E_RESSTORE, .tag = "resource store"};
	PGconn *c = (PGconn *)1;

	(void)state;
	logbuf[0] = '\0';
	m2m_log_set_sink(log_sink, NULL, M2M_LOG_DEBUG);
	assert_int_equal(m2mi_pg_connect("postgresql://u:TopSecret9@127.0.0.1:1/db?connect_timeout=2", &cfg, &c),
			 M2M_E_RESSTORE);
	m2m_log_set_sink(NULL, NULL, M2M_LOG_ERROR);
	assert_null(c);
	assert_non_null(strstr(logbuf, "postgresql://u:***@127.0.0.1:1/db"));
	assert_null(strstr(logbuf, "TopSecret9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_uri),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_connect_refused_logs_no_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
