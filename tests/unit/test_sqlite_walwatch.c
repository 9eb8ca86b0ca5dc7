/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of store/sqlite_walwatch.c, the commit watch of an SQLite
 * database in WAL mode: after it is armed it reports "quiet" until any connection (this one,
 * another in the process, another process) commits, through checkpoints and restarts of the log;
 * a failed read disarms it; without a -shm file it never reports "quiet". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "m2m_test.h"
#include "store/sqlite_walwatch.h"

struct fx {
	char dir[64], path[128];
	sqlite3 *a, *b; /* a: the watcher's connection (keeps the -shm), b: another writer */
	m2mi_wal_watch w;
};

static void exec(sqlite3 *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-walwatch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(sqlite3_open(f->path, &f->a), SQLITE_OK);
	exec(f->a, "PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (0)");
	assert_int_equal(sqlite3_open(f->path, &f->b), SQLITE_OK);
	m2mi_wal_watch_open(&f->w, f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	m2mi_wal_watch_close(&f->w);
	sqlite3_close(f->b);
	sqlite3_close(f->a);
	m2m_test_rmdir(f->dir);
	free(f);
	return 0;
}

/* What a caller does: ask, and on "changed" read the state and arm. */
static bool quiet_then_arm(struct fx *f)
{
	bool q = m2mi_wal_watch_quiet(&f->w);

	if (!q)
		m2mi_wal_watch_arm(&f->w, true);
	return q;
}

static void test_quiet_until_a_commit(void **state)
{
	struct fx *f = *state;

	assert_false(quiet_then_arm(f)); /* never armed */
	assert_true(quiet_then_arm(f));
	assert_true(quiet_then_arm(f));
	exec(f->b, "UPDATE t SET v = v + 1");
	assert_false(quiet_then_arm(f));
	assert_true(quiet_then_arm(f));
	exec(f->a, "UPDATE t SET v = v + 1"); /* the watcher's own connection too */
	assert_false(quiet_then_arm(f));
	assert_true(quiet_then_arm(f));
	exec(f->b, "SELECT * FROM t"); /* a read commits nothing */
	assert_true(quiet_then_arm(f));
}

/* Checkpoints of every kind, and the log started over by the commit after them. */
static void test_checkpoints_and_restarts(void **state)
{
	static const char *const ck[] = {"PRAGMA wal_checkpoint(PASSIVE)", "PRAGMA wal_checkpoint(FULL)",
					 "PRAGMA wal_checkpoint(RESTART)", "PRAGMA wal_checkpoint(TRUNCATE)"};
	struct fx *f = *state;

	for (int i = 0; i < 64; i++) {
		(void)quiet_then_arm(f);
		assert_true(quiet_then_arm(f));
		exec(f->b, ck[i % 4]);
		(void)quiet_then_arm(f); /* a checkpoint may look like a change: only ever the safe way */
		exec(f->b, "UPDATE t SET v = v + 1");
		assert_false(quiet_then_arm(f));
	}
}

static void test_other_process(void **state)
{
	struct fx *f = *state;
	pid_t pid;
	int ws = 0;

	(void)quiet_then_arm(f);
	assert_true(quiet_then_arm(f));
	if ((pid = fork()) == 0) {
		sqlite3 *db = NULL;
		int rc = sqlite3_open(f->path, &db) == SQLITE_OK
				 ? sqlite3_exec(db, "UPDATE t SET v = v + 1", NULL, NULL, NULL)
				 : SQLITE_ERROR;
		sqlite3_close(db);
		_exit(rc == SQLITE_OK ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_false(quiet_then_arm(f));
}

/* A failed read of the state disarms; a commit between the check and the read re-asks later. */
static void test_disarm_and_race(void **state)
{
	struct fx *f = *state;

	(void)quiet_then_arm(f);
	assert_true(m2mi_wal_watch_quiet(&f->w));
	exec(f->b, "UPDATE t SET v = v + 1");
	assert_false(m2mi_wal_watch_quiet(&f->w));
	m2mi_wal_watch_arm(&f->w, false);
	assert_false(m2mi_wal_watch_quiet(&f->w)); /* unchanged header, but disarmed */
	m2mi_wal_watch_arm(&f->w, true);
	assert_true(m2mi_wal_watch_quiet(&f->w));
	/* a commit after the check read the header and before the caller's state read: armed with
	 * the older header, the next check still sees the change */
	exec(f->b, "UPDATE t SET v = v + 1");
	assert_false(m2mi_wal_watch_quiet(&f->w));
	exec(f->b, "UPDATE t SET v = v + 1");
	m2mi_wal_watch_arm(&f->w, true);
	assert_false(m2mi_wal_watch_quiet(&f->w));
}

static void test_inert_without_shm(void **state)
{
	m2mi_wal_watch w;

	(void)state;
	m2mi_wal_watch_open(&w, "/nonexistent/m2m-walwatch.db");
	assert_int_equal(w.fd, -1);
	assert_false(m2mi_wal_watch_quiet(&w));
	m2mi_wal_watch_arm(&w, true);
	assert_false(m2mi_wal_watch_quiet(&w));
	m2mi_wal_watch_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quiet_until_a_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_and_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disarm_and_race, setup, teardown),
		cmocka_unit_test(test_inert_without_shm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
