/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of store/credstore_memo.c and its use by the SQLite backend
 * (store/credstore_sqlite.c): the lookup memo is exact. A revocation, a key replaced under the
 * same identifier (rotation) or a delete committed by ANOTHER connection (a second handle, a
 * second process) is seen by the very next lookup through a warm memo; so are this connection's
 * own writes; expiry is evaluated against the clock on every hit (TS-0003 clause 10.3: the
 * check before use). The memo is bounded and forgets by LRU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "m2m_test.h"
#include "m2msec/credstore.h"
#include "store/credstore_backend.h"
#include "store/credstore_memo.h"
#include "store/credstore_sqlite.h"

#define KID "kpsa-1@sp.example.com"
#define FOLD "kpsa-1@sp.example.com" /* already lowercase */

struct fx {
	char dir[64];
	char path[128];
	m2m_credstore *w; /* the other connection: writes */
	void *be;         /* the connection whose memo is under test */
};

static m2m_key *mkkey(uint8_t fill)
{
	uint8_t b[32];
	m2m_key *k = NULL;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	return k;
}

static void add(m2m_credstore *s, const char *id, uint8_t fill, int64_t na)
{
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)id, .not_after = na, .created_at = 100};
	m2m_key *k = mkkey(fill);

	assert_int_equal(m2m_credstore_add(s, &in, k, NULL, NULL), M2M_OK);
	m2m_key_free(k);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-credmemo-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/creds.db", f->dir);
	assert_int_equal(m2m_credstore_create(f->path, &f->w), M2M_OK);
	add(f->w, KID, 0x11, 0);
	assert_int_equal(m2mi_credstore_sqlite_ops.open(f->path, false, &f->be), M2M_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	m2mi_credstore_sqlite_ops.close(f->be);
	m2m_credstore_close(f->w);
	m2m_test_rmdir(f->dir);
	free(f);
	return 0;
}

/* One fetch through be: state and first key byte; M2M_E_NOT_FOUND passes through. */
static m2m_err fetch(struct fx *f, m2m_cred_state *st, uint8_t *b0)
{
	m2m_cred_info *c = NULL;
	m2m_key *k = NULL;
	m2m_err r = m2mi_credstore_sqlite_ops.fetch(f->be, FOLD, &c, &k, NULL);

	if (r == M2M_OK) {
		*st = c->state;
		*b0 = m2m_key_bytes(k, NULL)[0];
	}
	m2m_credstore_info_free(c);
	m2m_key_free(k);
	return r;
}

static uint64_t hits(struct fx *f)
{
	uint64_t h, v;

	m2mi_credstore_sqlite_memo_stats(f->be, &h, &v);
	return h;
}

static uint64_t version_reads(struct fx *f)
{
	uint64_t h, v;

	m2mi_credstore_sqlite_memo_stats(f->be, &h, &v);
	return v;
}

/* Two fetches: the second was answered by the memo (it is warm), and without a PRAGMA
 * data_version: the WAL-index header showed that nothing was committed in between. */
static void warm(struct fx *f)
{
	m2m_cred_state st;
	uint8_t b0;
	uint64_t h, v;

	assert_int_equal(fetch(f, &st, &b0), M2M_OK);
	m2mi_credstore_sqlite_memo_stats(f->be, &h, &v);
	assert_int_equal(fetch(f, &st, &b0), M2M_OK);
	assert_int_equal(st, M2M_CRED_STATE_ACTIVE);
	assert_int_equal(hits(f), h + 1);
	assert_int_equal(version_reads(f), v);
}

static void test_other_handle_revoke(void **state)
{
	struct fx *f = *state;
	m2m_cred_state st;
	uint8_t b0;

	uint64_t v;

	warm(f);
	v = version_reads(f);
	assert_int_equal(m2m_credstore_revoke(f->w, KID, 200), M2M_OK);
	assert_int_equal(fetch(f, &st, &b0), M2M_OK);
	assert_int_equal(st, M2M_CRED_STATE_REVOKED);
	assert_int_equal(version_reads(f), v + 1); /* the header moved */
}

/*
 * The WAL-index header through the log's whole life: commits by another connection with
 * checkpoints in between (PASSIVE, RESTART, TRUNCATE: the next commit starts the log over from
 * frame 1 with new salts) and a checkpoint with nothing new. Every commit is seen by the next
 * fetch through a warm memo; a checkpoint alone changes no answer.
 */
static void test_other_commits_across_checkpoints(void **state)
{
	static const char *const ckpt[] = {NULL, "PRAGMA wal_checkpoint(PASSIVE)", "PRAGMA wal_checkpoint(RESTART)",
					   "PRAGMA wal_checkpoint(TRUNCATE)"};
	struct fx *f = *state;
	sqlite3 *db = NULL;
	m2m_cred_state st;
	uint8_t b0 = 0;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	for (int i = 0; i < 40; i++) {
		const char *c = ckpt[i % 4];

		warm(f);
		assert_int_equal(m2m_credstore_delete(f->w, KID), M2M_OK);
		add(f->w, KID, (uint8_t)(0x40 + i), 0); /* same identifier, new key bytes */
		if (c != NULL && i % 8 < 4) /* after the commit... */
			assert_int_equal(sqlite3_exec(db, c, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(fetch(f, &st, &b0), M2M_OK);
		assert_int_equal(b0, 0x40 + i);
		if (c != NULL && i % 8 >= 4) /* ...or between two look-ups with nothing new */
			assert_int_equal(sqlite3_exec(db, c, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(fetch(f, &st, &b0), M2M_OK);
		assert_int_equal(b0, 0x40 + i);
	}
	sqlite3_close(db);
}

static void test_other_handle_rotation_and_delete(void **state)
{
	struct fx *f = *state;
	m2m_cred_state st;
	uint8_t b0 = 0;

	warm(f);
	assert_int_equal(m2m_credstore_delete(f->w, KID), M2M_OK);
	add(f->w, KID, 0x22, 0); /* same identifier, new key bytes */
	assert_int_equal(fetch(f, &st, &b0), M2M_OK);
	assert_int_equal(b0, 0x22);
	warm(f);
	assert_int_equal(m2m_credstore_delete(f->w, KID), M2M_OK);
	assert_int_equal(fetch(f, &st, &b0), M2M_E_NOT_FOUND);
}

static void test_other_process_revoke(void **state)
{
	struct fx *f = *state;
	m2m_cred_state st;
	uint8_t b0;
	pid_t pid;
	int ws = 0;

	warm(f);
	if ((pid = fork()) == 0) {
		m2m_credstore *s = NULL;
		m2m_err r = m2m_credstore_open(f->path, &s);
		if (r == M2M_OK)
			r = m2m_credstore_revoke(s, KID, 300);
		m2m_credstore_close(s);
		_exit(r == M2M_OK ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_int_equal(fetch(f, &st, &b0), M2M_OK);
	assert_int_equal(st, M2M_CRED_STATE_REVOKED);
}

/* This connection's own writes: data_version does not move for them, the memo is cleared. */
static void test_own_writes(void **state)
{
	struct fx *f = *state;
	m2m_cred_info v = {.not_after = 5000};
	m2m_cred_info *c = NULL;
	m2m_cred_state st;
	uint8_t b0;

	warm(f);
	assert_int_equal(m2mi_credstore_sqlite_ops.update(f->be, KID, M2M_CRED_SET_NOT_AFTER, &v), M2M_OK);
	assert_int_equal(m2mi_credstore_sqlite_ops.fetch(f->be, FOLD, &c, NULL, NULL), M2M_OK);
	assert_int_equal(c->not_after, 5000);
	m2m_credstore_info_free(c);
	c = NULL;
	/* touch: the memo follows last_used (a second touch in the same second writes nothing) */
	assert_int_equal(m2mi_credstore_sqlite_ops.touch(f->be, KID, 700), M2M_OK);
	assert_int_equal(m2mi_credstore_sqlite_ops.fetch(f->be, FOLD, &c, NULL, NULL), M2M_OK);
	assert_int_equal(c->last_used, 700);
	m2m_credstore_info_free(c);
	warm(f);
	assert_int_equal(m2mi_credstore_sqlite_ops.revoke(f->be, KID, 800), M2M_OK);
	assert_int_equal(fetch(f, &st, &b0), M2M_OK);
	assert_int_equal(st, M2M_CRED_STATE_REVOKED);
	assert_int_equal(m2mi_credstore_sqlite_ops.remove(f->be, KID), M2M_OK);
	assert_int_equal(fetch(f, &st, &b0), M2M_E_NOT_FOUND);
}

/* Expiry reached while the record is kept: the check before use still refuses it. */
static void test_expiry_while_cached(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = NULL;
	m2m_key *k = NULL;

	add(f->w, "kpsa-2@sp.example.com", 0x33, 1000);
	assert_int_equal(m2m_credstore_open(f->path, &s), M2M_OK);
	assert_int_equal(m2m_credstore_lookup_read(s, "kpsa-2@sp.example.com", M2M_CRED_KIND_KPSA, 998, &k, NULL),
			 M2M_OK);
	m2m_key_free(k);
	assert_int_equal(m2m_credstore_lookup_read(s, "kpsa-2@sp.example.com", M2M_CRED_KIND_KPSA, 999, &k, NULL),
			 M2M_OK);
	m2m_key_free(k);
	assert_int_equal(m2m_credstore_lookup_read(s, "kpsa-2@sp.example.com", M2M_CRED_KIND_KPSA, 1000, &k, NULL),
			 M2M_E_KEY_EXPIRED);
	assert_null(k);
	m2m_credstore_close(s);
}

/* The memo alone: bounded, LRU, epoch change forgets, no key bytes answer no request for them. */
static void test_memo_bounded(void **state)
{
	m2mi_cred_memo *m = NULL;
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .state = M2M_CRED_STATE_ACTIVE};
	m2m_cred_info *c = NULL;
	m2m_key *k = mkkey(0x44), *got = NULL;
	char id[48];

	(void)state;
	assert_int_equal(m2mi_cred_memo_new(&m), M2M_OK);
	m2mi_cred_memo_epoch(m, 1);
	for (int i = 0; i <= M2MI_CRED_MEMO_SLOTS; i++) {
		snprintf(id, sizeof(id), "k%d", i);
		in.id = id;
		assert_int_equal(m2mi_cred_memo_put(m, id, &in, i == 2 ? NULL : k), M2M_OK);
		if (i == 5) { /* k0 used again: k1 is the least recently used when k32 comes */
			assert_int_equal(m2mi_cred_memo_get(m, "k0", &c, &got), M2M_OK);
			m2m_credstore_info_free(c);
			m2m_key_free(got);
		}
	}
	assert_int_equal(m2mi_cred_memo_get(m, "k1", &c, NULL), M2M_E_NOT_FOUND); /* evicted (LRU) */
	assert_int_equal(m2mi_cred_memo_get(m, "k2", &c, &got), M2M_E_NOT_FOUND); /* no key bytes kept */
	assert_int_equal(m2mi_cred_memo_get(m, "k2", &c, NULL), M2M_OK);
	m2m_credstore_info_free(c);
	assert_int_equal(m2mi_cred_memo_get(m, "k0", &c, &got), M2M_OK);
	assert_string_equal(c->id, "k0");
	assert_int_equal(m2m_key_bytes(got, NULL)[0], 0x44);
	m2m_credstore_info_free(c);
	m2m_key_free(got);
	m2mi_cred_memo_drop_id(m, "k0");
	assert_int_equal(m2mi_cred_memo_get(m, "k0", &c, NULL), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_cred_memo_get(m, "k5", &c, NULL), M2M_OK);
	m2m_credstore_info_free(c);
	m2mi_cred_memo_epoch(m, 1); /* unchanged: kept */
	assert_int_equal(m2mi_cred_memo_get(m, "k5", &c, NULL), M2M_OK);
	m2m_credstore_info_free(c);
	m2mi_cred_memo_epoch(m, 2); /* another connection committed: forgotten */
	assert_int_equal(m2mi_cred_memo_get(m, "k5", &c, NULL), M2M_E_NOT_FOUND);
	assert_null(c);
	m2mi_cred_memo_free(m);
	m2mi_cred_memo_free(NULL);
	m2m_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_handle_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_handle_rotation_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_commits_across_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_while_cached, setup, teardown),
		cmocka_unit_test(test_memo_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
