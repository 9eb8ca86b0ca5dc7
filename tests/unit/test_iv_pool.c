/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/iv_pool.c: the AES-GCM IVs of ESPrim objects
 * (TS-0003 clause 8.4.3.2, RFC 7518 clause 5.3) never repeat, within a thread, across threads
 * and across a fork (the child's pool is discarded, so parent and child never hand out the same
 * bytes); lengths outside 1..16 are refused. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "m2m_test.h"
#include "core/iv_pool.h"

#define N 2000 /* > 60 pool refills of 32 IVs */

static int cmp12(const void *a, const void *b)
{
	return memcmp(a, b, 12);
}

static void assert_all_distinct(uint8_t (*iv)[12], size_t n)
{
	qsort(iv, n, 12, cmp12);
	for (size_t i = 1; i < n; i++)
		assert_true(memcmp(iv[i - 1], iv[i], 12) != 0);
}

static void test_lengths(void **state)
{
	uint8_t b[17] = {0}, zero[17] = {0};

	(void)state;
	assert_false(m2mi_iv_random(b, 0));
	assert_false(m2mi_iv_random(b, 17));
	assert_memory_equal(b, zero, sizeof(b)); /* nothing written on a refusal */
	assert_true(m2mi_iv_random(b, 16));
	assert_true(m2mi_iv_random(b, 1));
}

static void *draw(void *arg)
{
	uint8_t (*iv)[12] = arg;

	for (size_t i = 0; i < N; i++)
		if (!m2mi_iv_random(iv[i], 12))
			return (void *)1;
	return NULL;
}

/* Two threads, two pools: 2 * N IVs, no two equal. */
static void test_distinct_across_threads(void **state)
{
	uint8_t (*iv)[12] = calloc(2 * N, 12);
	pthread_t t;
	void *r1 = NULL;

	(void)state;
	assert_non_null(iv);
	assert_int_equal(pthread_create(&t, NULL, draw, iv + N), 0);
	assert_null(draw(iv));
	assert_int_equal(pthread_join(t, &r1), 0);
	assert_null(r1);
	assert_all_distinct(iv, 2 * N);
	free(iv);
}

/* After a fork the child draws from a new pool: its IVs are none of the parent's next ones. */
static void test_fork_does_not_share_the_pool(void **state)
{
	uint8_t (*iv)[12] = calloc(2 * 40, 12);
	uint8_t first[12];
	int fd[2];
	pid_t pid;
	int ws = 0;

	(void)state;
	assert_non_null(iv);
	assert_true(m2mi_iv_random(first, 12)); /* the pool is filled before the fork */
	assert_int_equal(pipe(fd), 0);
	if ((pid = fork()) == 0) {
		uint8_t c[40][12];
		bool ok = true;

		for (int i = 0; i < 40; i++)
			ok = ok && m2mi_iv_random(c[i], 12);
		ok = ok && write(fd[1], c, sizeof(c)) == (ssize_t)sizeof(c);
		_exit(ok ? 0 : 1);
	}
	assert_true(pid > 0);
	close(fd[1]);
	for (int i = 0; i < 40; i++)
		assert_true(m2mi_iv_random(iv[i], 12));
	assert_int_equal(read(fd[0], iv + 40, 40 * 12), 40 * 12);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_all_distinct(iv, 2 * 40);
	free(iv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_distinct_across_threads),
		cmocka_unit_test(test_fork_does_not_share_the_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
