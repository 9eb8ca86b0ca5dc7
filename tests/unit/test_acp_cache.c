/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/acp_cache.c: the compiled-ACP cache of the
 * Hosting CSE (hit, version miss, invalidation while referenced, LRU eviction). */
#include <stdio.h>

#include "m2m_test.h"
#include "m2msec/acp.h"

static m2m_acp_rules *compile(const char *json)
{
	m2m_acp_rules *r = NULL;
	assert_int_equal(m2m_acp_rules_parse(json, strlen(json), &r, NULL, 0), M2M_OK);
	return r;
}

static m2m_acp_decision decide(const m2m_acp_rules *r)
{
	m2m_acp_request q;
	const m2m_acp_rules *sets[1] = {r};

	memset(&q, 0, sizeof(q));
	q.orig_cse = "Cabc";
	q.op = M2M_ACP_OP_RETRIEVE;
	return m2m_acp_decide(sets, 1, &q);
}

static void test_hit_and_version_miss(void **state)
{
	m2m_acp_cache *c = NULL;
	m2m_acp_rules *r = compile("{\"acr\":[{\"acor\":[\"Cabc\"],\"acop\":2}]}");
	m2m_acp_rules *got = (m2m_acp_rules *)0x1;

	assert_int_equal(m2m_acp_cache_new(8, &c), M2M_OK);
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 1, &got), M2M_E_NOT_FOUND);
	assert_null(got);
	assert_int_equal(m2m_acp_cache_put(c, "acp1", 1, r), M2M_OK);
	assert_int_equal(m2m_acp_cache_size(c), 1);
	m2m_acp_rules_unref(r); /* the cache keeps its own reference */
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 1, &got), M2M_OK);
	assert_ptr_equal(got, r);
	assert_int_equal(decide(got), M2M_ACP_PERMIT);
	m2m_acp_rules_unref(got);
	assert_int_equal(m2m_acp_cache_get(c, "acp2", 1, &got), M2M_E_NOT_FOUND);
	/* the ACP was updated: version 2 misses and drops the stale entry */
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 2, &got), M2M_E_NOT_FOUND);
	assert_null(got);
	assert_int_equal(m2m_acp_cache_size(c), 0);
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 1, &got), M2M_E_NOT_FOUND);
	m2m_acp_cache_free(c);
}

static void test_replace_same_ri(void **state)
{
	m2m_acp_cache *c = NULL;
	m2m_acp_rules *v1 = compile("{\"acr\":[{\"acor\":[\"Cabc\"],\"acop\":2}]}");
	m2m_acp_rules *v2 = compile("{\"acr\":[]}");
	m2m_acp_rules *got = NULL;

	assert_int_equal(m2m_acp_cache_new(4, &c), M2M_OK);
	assert_int_equal(m2m_acp_cache_put(c, "acp1", 1, v1), M2M_OK);
	assert_int_equal(m2m_acp_cache_put(c, "acp1", 1, v1), M2M_OK); /* same set again */
	assert_int_equal(m2m_acp_cache_put(c, "acp1", 2, v2), M2M_OK);
	assert_int_equal(m2m_acp_cache_size(c), 1);
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 2, &got), M2M_OK);
	assert_ptr_equal(got, v2);
	assert_int_equal(decide(got), M2M_ACP_DENY);
	m2m_acp_rules_unref(got);
	assert_int_equal(decide(v1), M2M_ACP_PERMIT); /* caller's reference survived */
	m2m_acp_rules_unref(v1);
	m2m_acp_rules_unref(v2);
	m2m_acp_cache_free(c);
}

static void test_invalidate_while_referenced(void **state)
{
	m2m_acp_cache *c = NULL;
	m2m_acp_rules *r = compile("{\"acr\":[{\"acor\":[\"Cabc\"],\"acop\":2}]}");
	m2m_acp_rules *held = NULL, *got = NULL;

	assert_int_equal(m2m_acp_cache_new(2, &c), M2M_OK);
	assert_int_equal(m2m_acp_cache_put(c, "acp1", 7, r), M2M_OK);
	m2m_acp_rules_unref(r);
	/* a request takes the rules ... */
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 7, &held), M2M_OK);
	/* ... the ACP is updated/deleted meanwhile ... */
	m2m_acp_cache_invalidate(c, "acp1");
	m2m_acp_cache_invalidate(c, "acp1"); /* twice is harmless */
	m2m_acp_cache_invalidate(c, "nope");
	assert_int_equal(m2m_acp_cache_size(c), 0);
	assert_int_equal(m2m_acp_cache_get(c, "acp1", 7, &got), M2M_E_NOT_FOUND);
	/* ... and even with the cache gone, the request still evaluates (ASan checks UAF) */
	m2m_acp_cache_free(c);
	assert_int_equal(decide(held), M2M_ACP_PERMIT);
	m2m_acp_rules_unref(held);
}

static void test_lru_eviction(void **state)
{
	m2m_acp_cache *c = NULL;
	m2m_acp_rules *r = compile("{\"acr\":[]}");
	m2m_acp_rules *got = NULL;
	char ri[32];

	assert_int_equal(m2m_acp_cache_new(3, &c), M2M_OK);
	assert_int_equal(m2m_acp_cache_put(c, "a", 1, r), M2M_OK);
	assert_int_equal(m2m_acp_cache_put(c, "b", 1, r), M2M_OK);
	assert_int_equal(m2m_acp_cache_put(c, "c", 1, r), M2M_OK);
	assert_int_equal(m2m_acp_cache_get(c, "a", 1, &got), M2M_OK); /* a is now most recent */
	m2m_acp_rules_unref(got);
	assert_int_equal(m2m_acp_cache_put(c, "d", 1, r), M2M_OK);   /* evicts b */
	assert_int_equal(m2m_acp_cache_size(c), 3);
	assert_int_equal(m2m_acp_cache_get(c, "b", 1, &got), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_acp_cache_get(c, "a", 1, &got), M2M_OK);
	m2m_acp_rules_unref(got);
	assert_int_equal(m2m_acp_cache_get(c, "c", 1, &got), M2M_OK);
	m2m_acp_rules_unref(got);
	assert_int_equal(m2m_acp_cache_get(c, "d", 1, &got), M2M_OK);
	m2m_acp_rules_unref(got);
	/* churn through many keys: size stays bounded, every reference is released */
	for (int i = 0; i < 1000; i++) {
		snprintf(ri, sizeof(ri), "/cse-in/acp%d", i);
		assert_int_equal(m2m_acp_cache_put(c, ri, (uint64_t)i, r), M2M_OK);
		assert_true(m2m_acp_cache_size(c) <= 3);
	}
	assert_int_equal(m2m_acp_cache_get(c, "/cse-in/acp999", 999, &got), M2M_OK);
	m2m_acp_rules_unref(got);
	m2m_acp_cache_free(c);
	m2m_acp_rules_unref(r);
}

static void test_misuse(void **state)
{
	m2m_acp_cache *c = (m2m_acp_cache *)0x1;
	m2m_acp_rules *r = compile("{}");
	m2m_acp_rules *got = (m2m_acp_rules *)0x1;
	char big[M2M_ACP_STR_MAX + 2];

	assert_int_equal(m2m_acp_cache_new(0, &c), M2M_E_INVAL);
	assert_null(c);
	assert_int_equal(m2m_acp_cache_new(1, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_acp_cache_new(1, &c), M2M_OK);
	assert_int_equal(m2m_acp_cache_get(c, NULL, 1, &got), M2M_E_INVAL);
	assert_null(got);
	assert_int_equal(m2m_acp_cache_get(NULL, "a", 1, &got), M2M_E_INVAL);
	assert_int_equal(m2m_acp_cache_get(c, "a", 1, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_acp_cache_put(c, "a", 1, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_acp_cache_put(NULL, "a", 1, r), M2M_E_INVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(m2m_acp_cache_put(c, big, 1, r), M2M_E_TOO_LARGE);
	m2m_acp_cache_invalidate(NULL, "a");
	m2m_acp_cache_invalidate(c, NULL);
	assert_int_equal(m2m_acp_cache_size(NULL), 0);
	m2m_acp_cache_free(c);
	m2m_acp_cache_free(NULL);
	m2m_acp_rules_unref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_version_miss),
		cmocka_unit_test(test_replace_same_ri),
		cmocka_unit_test(test_invalidate_while_referenced),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
