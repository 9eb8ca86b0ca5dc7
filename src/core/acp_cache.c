/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the reference counting of compiled access-control rule sets and the
 * cache of them kept by the Hosting CSE
 * (TS-0003 clause 7.1.1: every request is evaluated against the privileges/selfPrivileges of
 * the <accessControlPolicy> resources named by the target's accessControlPolicyIDs, so each ACP
 * is parsed once and reused). Keyed by ACP resource ID; an entry is valid only for the version
 * the CSE stored it under (the CSE bumps the version on every UPDATE, so a stale entry is a
 * miss). Bounded: the least recently used entry is evicted. Entries hold a reference
 * (m2m_acp_rules_ref), and a hit hands the caller its own, so invalidation or eviction while a
 * request still evaluates never frees rules under it. Pure and lock-free: one cache per
 * event-loop thread.
 */
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/acp_int.h"
#include "core/lru.h"

#define CACHE_MAGIC 0x41435043u /* "ACPC" */
#define CACHE_MAX_CAPACITY (1u << 24)

struct cache_entry {
	struct cache_entry *hnext;       /* bucket chain */
	m2mi_lru_node lru;               /* recency list, head = most recently used */
	m2m_acp_rules *rules;            /* one reference owned by the cache */
	uint64_t version;
	uint32_t hash;
	size_t rilen;
	char ri[];
};

struct m2m_acp_cache {
	uint32_t magic;
	size_t capacity, n, mask;
	struct cache_entry **buckets;
	m2mi_lru lru;
};

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

m2m_err m2m_acp_cache_new(size_t capacity, m2m_acp_cache **out)
{
	m2m_acp_cache *c = NULL;
	size_t nb = 16;
	m2m_err r = M2M_E_INVAL;

	if (out)
		*out = NULL;
	if (!out || capacity == 0 || capacity > CACHE_MAX_CAPACITY)
		goto out;
	while (nb < 2 * capacity)
		nb <<= 1;
	r = M2M_E_NOMEM;
	if (!(c = calloc(1, sizeof(*c))) || !(c->buckets = calloc(nb, sizeof(*c->buckets))))
		goto out;
	c->magic = CACHE_MAGIC;
	c->capacity = capacity;
	c->mask = nb - 1;
	*out = c;
	c = NULL;
	r = M2M_OK;
out:
	if (c)
		free(c->buckets);
	free(c);
	return r;
}

static struct cache_entry **find_slot(m2m_acp_cache *c, const char *ri, size_t n, uint32_t h)
{
	struct cache_entry **pp = &c->buckets[h & c->mask];

	for (; *pp; pp = &(*pp)->hnext)
		if ((*pp)->hash == h && (*pp)->rilen == n && memcmp((*pp)->ri, ri, n) == 0)
			return pp;
	return pp; /* *pp == NULL: insertion point */
}

/* Unlink the entry at *pp from both structures and drop its reference. */
static void remove_at(m2m_acp_cache *c, struct cache_entry **pp)
{
	struct cache_entry *e = *pp;

	*pp = e->hnext;
	m2mi_lru_unlink(&c->lru, &e->lru);
	m2m_acp_rules_unref(e->rules);
	free(e);
	c->n--;
}

static bool cache_ok(const m2m_acp_cache *c, const char *ri)
{
	return c && c->magic == CACHE_MAGIC && ri;
}

m2m_err m2m_acp_cache_get(m2m_acp_cache *cache, const char *ri, uint64_t version,
			  m2m_acp_rules **out)
{
	struct cache_entry **pp;
	size_t n;
	uint32_t h;

	if (out)
		*out = NULL;
	if (!out || !cache_ok(cache, ri))
		return M2M_E_INVAL;
	n = strlen(ri);
	h = fnv1a(ri, n);
	pp = find_slot(cache, ri, n, h);
	if (!*pp) {
		m2mi_metrics_cache(M2MI_CACHE_ACP, false);
		return M2M_E_NOT_FOUND;
	}
	if ((*pp)->version != version) {
		remove_at(cache, pp); /* stale: the ACP was updated */
		m2mi_metrics_cache(M2MI_CACHE_ACP, false);
		return M2M_E_NOT_FOUND;
	}
	m2mi_metrics_cache(M2MI_CACHE_ACP, true);
	m2mi_lru_touch(&cache->lru, &(*pp)->lru);
	*out = m2m_acp_rules_ref((*pp)->rules);
	return M2M_OK;
}

m2m_err m2m_acp_cache_put(m2m_acp_cache *cache, const char *ri, uint64_t version,
			  m2m_acp_rules *rules)
{
	struct cache_entry **pp, *e;
	size_t n;
	uint32_t h;

	if (!cache_ok(cache, ri) || !rules || rules->magic != M2MI_ACP_MAGIC)
		return M2M_E_INVAL;
	n = strlen(ri);
	if (n > M2M_ACP_STR_MAX)
		return M2M_E_TOO_LARGE;
	h = fnv1a(ri, n);
	pp = find_slot(cache, ri, n, h);
	if (*pp) {
		e = *pp;
		m2m_acp_rules_ref(rules); /* before unref: rules may be the same set */
		m2m_acp_rules_unref(e->rules);
		e->rules = rules;
		e->version = version;
		m2mi_lru_touch(&cache->lru, &e->lru);
		return M2M_OK;
	}
	if (!(e = calloc(1, sizeof(*e) + n + 1)))
		return M2M_E_NOMEM;
	memcpy(e->ri, ri, n);
	e->rilen = n;
	e->hash = h;
	e->version = version;
	e->rules = m2m_acp_rules_ref(rules);
	*pp = e;
	m2mi_lru_push_front(&cache->lru, &e->lru);
	cache->n++;
	if (cache->n > cache->capacity) { /* evict the least recently used */
		struct cache_entry *old = M2MI_LRU_ENTRY(cache->lru.tail, struct cache_entry, lru);
		remove_at(cache, find_slot(cache, old->ri, old->rilen, old->hash));
	}
	return M2M_OK;
}

void m2m_acp_cache_invalidate(m2m_acp_cache *cache, const char *ri)
{
	struct cache_entry **pp;
	size_t n;

	if (!cache_ok(cache, ri))
		return;
	n = strlen(ri);
	pp = find_slot(cache, ri, n, fnv1a(ri, n));
	if (*pp)
		remove_at(cache, pp);
}

size_t m2m_acp_cache_size(const m2m_acp_cache *cache)
{
	return cache && cache->magic == CACHE_MAGIC ? cache->n : 0;
}

void m2m_acp_cache_free(m2m_acp_cache *cache)
{
	if (!cache || cache->magic != CACHE_MAGIC)
		return;
	while (cache->lru.head) {
		struct cache_entry *e = M2MI_LRU_ENTRY(cache->lru.head, struct cache_entry, lru);
		remove_at(cache, find_slot(cache, e->ri, e->rilen, e->hash));
	}
	cache->magic = 0;
	free(cache->buckets);
	free(cache);
}

size_t m2m_acp_rules_count(const m2m_acp_rules *rules)
{
	return rules && rules->magic == M2MI_ACP_MAGIC ? rules->nrules : 0;
}

m2m_acp_rules *m2m_acp_rules_ref(m2m_acp_rules *rules)
{
	if (rules && rules->magic == M2MI_ACP_MAGIC)
		rules->refs++;
	return rules;
}

void m2m_acp_rules_unref(m2m_acp_rules *rules)
{
	if (!rules || rules->magic != M2MI_ACP_MAGIC || --rules->refs > 0)
		return;
	m2mi_acp_rules_destroy(rules);
}

void m2m_acp_rules_free(m2m_acp_rules *rules)
{
	m2m_acp_rules_unref(rules);
}
