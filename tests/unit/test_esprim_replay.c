/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/esprim_replay.c, the ESPrim Receiver's
 * replay window (docs/procedures/e2e.md "Replay"; TS-0001 clause 8.1.2, TS-0003 clause 8.4.2
 * C.6): a repeated (kid, ori, rqi) is refused (4000 in the CSE), an entry that leaves the ring
 * while valid bans its originator rand object (4113), a ban forgotten while valid raises the
 * floor, expired entries leave without a ban, and no accepted request is ever accepted twice
 * however many others came after it.
 */
#include <stdio.h>

#include "m2m_test.h"
#include "services/cse/esprim_replay.h"

#define T0 INT64_C(1764892800)

static m2mi_replay *mk(size_t window, size_t banned)
{
	m2mi_replay *w = NULL;

	assert_int_equal(m2mi_replay_new(window, banned, &w), M2M_OK);
	return w;
}

static m2m_err chk(m2mi_replay *w, const char *ori, int64_t exp, int rq, int64_t now)
{
	char rqi[32];

	snprintf(rqi, sizeof(rqi), "rq%d", rq);
	return m2mi_replay_check(w, "kid@sp", ori, exp, rqi, now);
}

static void test_basic(void **state)
{
	m2mi_replay *w = mk(16, 4), *bad = NULL;

	(void)state;
	assert_int_equal(m2mi_replay_new(0, 4, &bad), M2M_E_INVAL);
	assert_null(bad);
	assert_int_equal(m2mi_replay_check(w, "k", "o1", T0 + 100, "r", T0), M2M_OK);
	assert_int_equal(m2mi_replay_check(w, "k", "o1", T0 + 100, "r", T0), M2M_E_EXISTS);
	assert_int_equal(m2mi_replay_check(w, "k", "o1", T0 + 100, "r2", T0), M2M_OK);
	assert_int_equal(m2mi_replay_check(w, "k2", "o1", T0 + 100, "r", T0), M2M_OK); /* per kid */
	assert_int_equal(m2mi_replay_check(w, "k", "o2", T0 + 100, "r", T0), M2M_OK);  /* per ori */
	/* the fields are separated: ("k","o1r") is not ("k","o1") + "r" */
	assert_int_equal(m2mi_replay_check(w, "k", "o1r", T0 + 100, "", T0), M2M_OK);
	assert_int_equal(m2mi_replay_check(w, "k", "o3", T0 + 100, NULL, T0), M2M_OK);
	assert_int_equal(m2mi_replay_check(w, "k", "o3", T0 + 100, "", T0), M2M_E_EXISTS); /* NULL is "" */
	/* an expired originator rand object is never fresh */
	assert_int_equal(m2mi_replay_check(w, "k", "o4", T0, "r", T0), M2M_E_ESP_ORIG_RAND);
	assert_int_equal(m2mi_replay_check(w, NULL, "o4", T0 + 100, "r", T0), M2M_E_INVAL);
	m2mi_replay_free(w);
}

/* The window holds exactly its capacity; the next insertion forgets the oldest entry and bans
 * its originator rand object, so its replay is still refused, as is every later object of it. */
static void test_capacity_and_ban(void **state)
{
	m2mi_replay *w = mk(16, 8);
	char ori[16];

	(void)state;
	for (int i = 0; i < 16; i++) {
		snprintf(ori, sizeof(ori), "o%d", i);
		assert_int_equal(chk(w, ori, T0 + 100, i, T0), M2M_OK);
	}
	for (int i = 0; i < 16; i++) {
		snprintf(ori, sizeof(ori), "o%d", i);
		assert_int_equal(chk(w, ori, T0 + 100, i, T0), M2M_E_EXISTS);
	}
	assert_int_equal(chk(w, "o16", T0 + 100, 16, T0), M2M_OK); /* forgets (o0, rq0) */
	assert_int_equal(chk(w, "o0", T0 + 100, 0, T0), M2M_E_ESP_ORIG_RAND);  /* its replay */
	assert_int_equal(chk(w, "o0", T0 + 100, 99, T0), M2M_E_ESP_ORIG_RAND); /* a new request of o0 */
	assert_int_equal(chk(w, "o1", T0 + 100, 1, T0), M2M_E_EXISTS);        /* still held */
	assert_int_equal(chk(w, "o1", T0 + 100, 99, T0), M2M_OK);             /* o1 goes on */
	/* the ban ends with the originator rand object (which is refused as expired from then) */
	assert_int_equal(chk(w, "o0", T0 + 100, 99, T0 + 100), M2M_E_ESP_ORIG_RAND);
	m2mi_replay_free(w);
}

/* An entry whose originator rand object has expired leaves without a ban; a valid one bans. */
static void test_expired_leave_quietly(void **state)
{
	m2mi_replay *w = mk(8, 1);

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(chk(w, "old", T0 + 10, i, T0), M2M_OK);
	/* at T0 + 20 "old" has expired: the last four push its entries out, no ban, no refusal */
	for (int i = 0; i < 8; i++)
		assert_int_equal(chk(w, "live", T0 + 30, i, T0 + 20), M2M_OK);
	assert_int_equal(chk(w, "live", T0 + 30, 8, T0 + 20), M2M_OK); /* pushes out (live, rq0) */
	assert_int_equal(chk(w, "live", T0 + 30, 9, T0 + 20), M2M_E_ESP_ORIG_RAND);
	assert_int_equal(chk(w, "live", T0 + 30, 0, T0 + 20), M2M_E_ESP_ORIG_RAND); /* the replay */
	assert_int_equal(chk(w, "other", T0 + 25, 0, T0 + 20), M2M_OK);
	m2mi_replay_free(w);
}

/* A ban forgotten while valid (the banned set overflows) raises the floor to its expiry: every
 * object expiring no later is refused; a later one is accepted. */
static void test_ban_overflow_floor(void **state)
{
	m2mi_replay *w = mk(1, 2);

	(void)state;
	assert_int_equal(chk(w, "a", T0 + 50, 0, T0), M2M_OK);
	assert_int_equal(chk(w, "b", T0 + 60, 0, T0), M2M_OK); /* bans a */
	assert_int_equal(chk(w, "c", T0 + 70, 0, T0), M2M_OK); /* bans b */
	assert_int_equal(chk(w, "d", T0 + 40, 0, T0), M2M_OK); /* bans c, forgets a: floor T0 + 50 */
	assert_int_equal(chk(w, "a", T0 + 50, 0, T0), M2M_E_ESP_ORIG_RAND); /* a's replay still refused */
	assert_int_equal(chk(w, "e", T0 + 45, 0, T0), M2M_E_ESP_ORIG_RAND); /* under the floor */
	assert_int_equal(chk(w, "f", T0 + 51, 0, T0), M2M_OK);
	assert_int_equal(chk(w, "b", T0 + 60, 1, T0), M2M_E_ESP_ORIG_RAND); /* banned */
	m2mi_replay_free(w);
}

/* However many requests follow, no accepted one is accepted again (a small window, many
 * sessions): each replay is refused, as a replay or by the ban of its originator rand object. */
static void test_never_twice(void **state)
{
	enum { N = 20000, S = 10 };
	m2mi_replay *w = mk(1024, 64);
	char ori[16];
	int ok = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(ori, sizeof(ori), "s%d", i % S);
		ok += chk(w, ori, T0 + 100, i, T0) == M2M_OK;
	}
	assert_true(ok >= 1024); /* the window's worth at least */
	for (int i = 0; i < N; i++) {
		snprintf(ori, sizeof(ori), "s%d", i % S);
		assert_int_not_equal(chk(w, ori, T0 + 100, i, T0), M2M_OK);
	}
	m2mi_replay_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_basic), cmocka_unit_test(test_capacity_and_ban),
					   cmocka_unit_test(test_expired_leave_quietly),
					   cmocka_unit_test(test_ban_overflow_floor), cmocka_unit_test(test_never_twice)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
