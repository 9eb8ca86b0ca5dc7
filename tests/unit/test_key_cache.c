/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the key cache (remote/key_cache.c) with
 * an injected clock: a fetched key is kept no longer than its lifetime nor mef-cache-seconds
 * (TS-0003 §8.3.2.1, §10.7; docs/procedures/mef.md), concurrent lookups of one KeID share one
 * fetch, authoritative refusals are cached for a bounded time and transient ones not at all,
 * and the entry and fetch caps bound memory (LRU eviction, then fail closed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "remote/key_cache.h"

#define K1 "0123456789ABCDEF0123456789ABCDEF@mef.example.com"
#define K2 "11111111111111111111111111111111@mef.example.com"
#define K3 "22222222222222222222222222222222@mef.example.com"

struct woken {
	int n;
	void *w[8];
	m2m_err err[8];
	bool had_key[8];
	char bound[8][M2M_SA_ID_MAX];
};

static void wake(void *arg, void *w, m2m_err err, const m2m_key *key, const m2m_sa *sa)
{
	struct woken *k = arg;

	assert_true(k->n < 8);
	k->w[k->n] = w;
	k->err[k->n] = err;
	k->had_key[k->n] = key != NULL;
	snprintf(k->bound[k->n], sizeof(k->bound[0]), "%s", sa ? sa->bound_id : "");
	k->n++;
}

static m2mi_key_cache *mk(size_t entries, size_t fetches, int cache_s, int neg_s)
{
	m2mi_key_cache_limits lim = {entries, fetches, cache_s, neg_s};
	m2mi_key_cache *c = NULL;

	assert_int_equal(m2mi_key_cache_new(&lim, &c), M2M_OK);
	return c;
}

static void answer(m2mi_key_cache *c, const char *keid, int64_t now, int64_t expiry, struct woken *k)
{
	uint8_t b[32];
	m2m_key *key = NULL;
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE, .suid = 22, .expiry = expiry};

	memset(b, 0x5a, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &key), M2M_OK);
	snprintf(sa.bound_id, sizeof(sa.bound_id), "Cdev1");
	snprintf(sa.credential_id, sizeof(sa.credential_id), "12-%s", keid);
	m2mi_key_cache_complete(c, keid, now, M2M_OK, key, &sa, wake, k);
}

static m2mi_kc_result get(m2mi_key_cache *c, const char *keid, int64_t now, void *w, m2m_err *err)
{
	m2m_key *key = NULL;
	m2m_sa sa;
	m2mi_kc_result r = m2mi_key_cache_get(c, keid, now, w, &key, &sa, err);

	if (r == M2MI_KC_HIT) {
		assert_non_null(key);
		assert_string_equal(sa.bound_id, "Cdev1");
		assert_int_equal(sa.suid, 22);
	} else {
		assert_null(key);
	}
	m2m_key_free(key);
	return r;
}

/* Kept until min(expiry, fetch time + cache_seconds): both bounds, exactly at the boundary. */
static void test_lifetime_bounds(void **state)
{
	int w1, w2;
	struct woken k = {0};
	m2m_err err;
	m2mi_key_cache *c = mk(8, 4, 60, 5);

	(void)state;
	assert_int_equal(get(c, K1, 1000, &w1, &err), M2MI_KC_START);
	answer(c, K1, 1000, 1000 + 86400, &k);
	assert_int_equal(k.n, 1);
	assert_ptr_equal(k.w[0], &w1);
	assert_true(k.had_key[0]);
	assert_string_equal(k.bound[0], "Cdev1");
	assert_int_equal(get(c, K1, 1059, &w2, &err), M2MI_KC_HIT);
	/* mef-cache-seconds reached: a revocation at the MEF is seen from now on */
	assert_int_equal(get(c, K1, 1060, &w2, &err), M2MI_KC_START);
	/* the key's own lifetime is shorter than the cache bound */
	answer(c, K1, 1060, 1070, &k);
	assert_int_equal(get(c, K1, 1069, &w2, &err), M2MI_KC_HIT);
	assert_int_equal(get(c, K1, 1070, &w2, &err), M2MI_KC_START);
	/* an already expired answer is not usable: the waiter gets KEY_EXPIRED */
	k.n = 0;
	answer(c, K1, 1070, 1070, &k);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.err[0], M2M_E_KEY_EXPIRED);
	assert_false(k.had_key[0]);
	m2mi_key_cache_free(c, NULL, NULL);

	/* mef-cache-seconds = 0: every handshake asks the MEF */
	c = mk(8, 4, 0, 5);
	assert_int_equal(get(c, K1, 1000, &w1, &err), M2MI_KC_START);
	answer(c, K1, 1000, 5000, &k);
	assert_int_equal(get(c, K1, 1000, &w1, &err), M2MI_KC_START);
	m2mi_key_cache_free(c, NULL, NULL);
}

/* Concurrent handshakes for one KeID: one fetch, every waiter woken once with the key. */
static void test_coalescing(void **state)
{
	int w1, w2, w3, w4;
	struct woken k = {0};
	m2m_err err;
	m2mi_key_cache *c = mk(8, 4, 60, 5);

	(void)state;
	assert_int_equal(get(c, K1, 10, &w1, &err), M2MI_KC_START);
	assert_int_equal(get(c, K1, 10, &w2, &err), M2MI_KC_PENDING);
	assert_int_equal(get(c, K1, 11, &w3, &err), M2MI_KC_PENDING);
	/* no waiter possible (w NULL): nothing to queue on, fail closed */
	assert_int_equal(get(c, K1, 11, NULL, &err), M2MI_KC_FULL);
	assert_int_equal(get(c, K2, 11, &w4, &err), M2MI_KC_START);
	answer(c, K1, 12, 1000, &k);
	assert_int_equal(k.n, 3);
	for (int i = 0; i < 3; i++)
		assert_true(k.had_key[i] && k.err[i] == M2M_OK);
	/* a late answer for a KeID nobody waits for is dropped */
	answer(c, K3, 12, 1000, &k);
	assert_int_equal(k.n, 3);
	/* freeing with a fetch in flight wakes its waiter with an error (exactly one done call) */
	m2mi_key_cache_free(c, wake, &k);
	assert_int_equal(k.n, 4);
	assert_ptr_equal(k.w[3], &w4);
	assert_int_equal(k.err[3], M2M_E_INTERNAL);
}

/* Authoritative refusals are cached for negative_seconds; transient ones are not cached. */
static void test_negative_cache(void **state)
{
	int w1;
	struct woken k = {0};
	m2m_err err;
	m2mi_key_cache *c = mk(8, 4, 60, 5);

	(void)state;
	assert_int_equal(get(c, K1, 100, &w1, &err), M2MI_KC_START);
	m2mi_key_cache_complete(c, K1, 100, M2M_E_NOT_FOUND, NULL, NULL, wake, &k);
	assert_int_equal(k.err[0], M2M_E_NOT_FOUND);
	assert_int_equal(get(c, K1, 104, &w1, &err), M2MI_KC_NEGATIVE);
	assert_int_equal(err, M2M_E_NOT_FOUND);
	assert_int_equal(get(c, K1, 105, &w1, &err), M2MI_KC_START);
	/* MEF unreachable: not cached, the next handshake asks again */
	m2mi_key_cache_complete(c, K1, 105, M2M_E_IO, NULL, NULL, wake, &k);
	assert_int_equal(k.err[1], M2M_E_IO);
	assert_int_equal(m2mi_key_cache_size(c), 0);
	assert_int_equal(get(c, K1, 105, &w1, &err), M2MI_KC_START);
	m2mi_key_cache_complete(c, K1, 105, M2M_E_KEY_REVOKED, NULL, NULL, wake, &k);
	assert_int_equal(get(c, K1, 106, &w1, &err), M2MI_KC_NEGATIVE);
	assert_int_equal(err, M2M_E_KEY_REVOKED);
	m2mi_key_cache_flush(c);
	assert_int_equal(m2mi_key_cache_size(c), 0);
	m2mi_key_cache_free(c, NULL, NULL);
}

/* The entry cap evicts the least recently used finished entry; the fetch cap and an all-pending
 * table fail closed instead of growing. */
static void test_bounds_lru(void **state)
{
	int w;
	struct woken k = {0};
	m2m_err err;
	char id[80];
	m2mi_key_cache *c = mk(2, 2, 60, 5);

	(void)state;
	assert_int_equal(get(c, K1, 0, &w, &err), M2MI_KC_START);
	answer(c, K1, 0, 1000, &k);
	assert_int_equal(get(c, K2, 0, &w, &err), M2MI_KC_START);
	answer(c, K2, 0, 1000, &k);
	assert_int_equal(get(c, K1, 1, &w, &err), M2MI_KC_HIT); /* K1 now most recent */
	assert_int_equal(get(c, K3, 2, &w, &err), M2MI_KC_START); /* evicts K2 */
	assert_int_equal(m2mi_key_cache_size(c), 2);
	assert_int_equal(get(c, K1, 3, &w, &err), M2MI_KC_HIT);
	/* K2 was evicted: it needs a fetch, which evicts K1 (K3 is pending) */
	assert_int_equal(get(c, K2, 3, &w, &err), M2MI_KC_START);
	assert_int_equal(m2mi_key_cache_size(c), 2);
	/* both entries pending, both fetch slots used: a fresh KeID fails closed */
	assert_int_equal(get(c, K1, 3, &w, &err), M2MI_KC_FULL);
	m2mi_key_cache_free(c, NULL, NULL);

	/* a flood of fresh KeIDs with a small fetch cap: never more entries than the cap */
	c = mk(16, 4, 60, 5);
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%032X@mef.example.com", i);
		m2mi_kc_result r = get(c, id, i, &w, &err);
		if (r == M2MI_KC_START)
			m2mi_key_cache_complete(c, id, i, M2M_E_NOT_FOUND, NULL, NULL, NULL, NULL);
		assert_true(m2mi_key_cache_size(c) <= 16);
	}
	assert_int_equal(m2mi_key_cache_size(c), 16);
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "F%031X@mef.example.com", i);
		assert_int_equal(get(c, id, 2000, &w, &err), M2MI_KC_START);
	}
	assert_int_equal(get(c, K1, 2000, &w, &err), M2MI_KC_FULL); /* fetch cap 4 */
	m2mi_key_cache_free(c, NULL, NULL);
}

static void test_bad_limits(void **state)
{
	m2mi_key_cache *c = (m2mi_key_cache *)1;
	m2mi_key_cache_limits lim = {0, 1, 60, 5};

	(void)state;
	assert_int_equal(m2mi_key_cache_new(&lim, &c), M2M_E_INVAL);
	assert_null(c);
	lim.entries = 1;
	lim.fetches = 0;
	assert_int_equal(m2mi_key_cache_new(&lim, &c), M2M_E_INVAL);
	m2mi_key_cache_free(NULL, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifetime_bounds),
		cmocka_unit_test(test_coalescing),
		cmocka_unit_test(test_negative_cache),
		cmocka_unit_test(test_bounds_lru),
		cmocka_unit_test(test_bad_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
