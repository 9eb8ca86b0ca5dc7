/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the cache of keys fetched from a key service by identifier (key_cache.h;
 * the MEF's KeIDs, TS-0003 §8.3.2.1 fetchCredentials, §10.7 lifetimes; the MAF's Key
 * Identifiers, §8.8.2.8; "KeID" below stands for either). Why each rule:
 *  - a key is kept until min(its expiry from the service, fetch time + cache_seconds): never
 *    beyond what the service granted, and a revocation there takes effect here within
 *    cache_seconds (mef-cache-seconds / maf-cache-seconds);
 *  - an authoritative refusal (unknown KeID, not authorized, revoked, expired) is kept for a
 *    short time so a device retrying a bad KeID does not turn every handshake into a MEF fetch;
 *    a transient failure (timeout, MEF unreachable) is not kept: the next handshake asks again;
 *  - one fetch per KeID: concurrent handshakes for the same KeID queue on the pending entry;
 *  - at most `entries` entries and `fetches` pending: a flood of fresh KeIDs evicts the least
 *    recently used finished entries and then fails closed (M2MI_KC_FULL), memory stays bounded.
 * Entries are in a hash table (lookups) and a doubly linked LRU list (eviction).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/mem.h"
#include "core/lru.h"
#include "remote/key_cache.h"

typedef struct waiter {
	struct waiter *next;
	void *w;
} waiter;

typedef enum { E_PENDING, E_POSITIVE, E_NEGATIVE } e_state;

typedef struct entry {
	struct entry *hnext;        /* hash chain */
	m2mi_lru_node lru;          /* recency: head = most recently used */
	e_state state;
	char *keid;
	m2m_key *key;               /* E_POSITIVE */
	m2m_sa sa;                  /* E_POSITIVE */
	m2m_err err;                /* E_NEGATIVE */
	int64_t until;              /* E_POSITIVE / E_NEGATIVE: usable while now < until */
	waiter *waiters;            /* E_PENDING */
} entry;

#define LRU_ENTRY(n) M2MI_LRU_ENTRY(n, entry, lru)

struct m2mi_key_cache {
	pthread_mutex_t mu;
	m2mi_key_cache_limits lim;
	entry **buckets;
	size_t nbuckets;            /* power of two */
	m2mi_lru lru;
	size_t n, pending;
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

m2m_err m2mi_key_cache_new(const m2mi_key_cache_limits *lim, m2mi_key_cache **out)
{
	m2mi_key_cache *c;

	*out = NULL;
	if (lim == NULL || lim->entries < 1 || lim->fetches < 1 || lim->cache_seconds < 0 ||
	    lim->negative_seconds < 0 || lim->entries > (1u << 24))
		return M2M_E_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	c->lim = *lim;
	for (c->nbuckets = 16; c->nbuckets < lim->entries; c->nbuckets <<= 1)
		;
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return M2M_E_NOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return M2M_OK;
}

static entry **slot(m2mi_key_cache *c, const char *keid)
{
	entry **p = &c->buckets[hash(keid) & (c->nbuckets - 1)];

	while (*p != NULL && strcmp((*p)->keid, keid) != 0)
		p = &(*p)->hnext;
	return p;
}

/* Unlink e from the table and the LRU and free it (its waiters must have been taken). */
static void drop(m2mi_key_cache *c, entry *e)
{
	entry **p = slot(c, e->keid);

	*p = e->hnext;
	m2mi_lru_unlink(&c->lru, &e->lru);
	if (e->state == E_PENDING)
		c->pending--;
	c->n--;
	m2m_key_free(e->key);
	m2m_memzero(&e->sa, sizeof(e->sa));
	free(e->keid);
	free(e);
}

/* Make room for one entry: evict the least recently used finished entry. */
static bool make_room(m2mi_key_cache *c)
{
	entry *e;

	if (c->n < c->lim.entries)
		return true;
	for (e = LRU_ENTRY(c->lru.tail); e != NULL; e = LRU_ENTRY(e->lru.prev))
		if (e->state != E_PENDING) {
			drop(c, e);
			return true;
		}
	return false;
}

static bool add_waiter(entry *e, void *w)
{
	waiter *x = malloc(sizeof(*x));

	if (x == NULL)
		return false;
	x->w = w;
	x->next = e->waiters;
	e->waiters = x;
	return true;
}

m2mi_kc_result m2mi_key_cache_get(m2mi_key_cache *c, const char *keid, int64_t now, void *w, m2m_key **key,
				   m2m_sa *sa, m2m_err *err)
{
	m2mi_kc_result res = M2MI_KC_FULL;
	entry **p, *e;

	*key = NULL;
	*err = M2M_OK;
	pthread_mutex_lock(&c->mu);
	p = slot(c, keid);
	e = *p;
	if (e != NULL && e->state != E_PENDING && now >= e->until) {
		drop(c, e); /* expired: as if never cached */
		p = slot(c, keid);
		e = NULL;
	}
	if (e != NULL) {
		m2mi_lru_touch(&c->lru, &e->lru);
		if (e->state == E_POSITIVE) {
			*err = m2m_key_dup(e->key, key);
			if (*err == M2M_OK) {
				*sa = e->sa;
				res = M2MI_KC_HIT;
			} else {
				res = M2MI_KC_NEGATIVE;
			}
		} else if (e->state == E_NEGATIVE) {
			*err = e->err;
			res = M2MI_KC_NEGATIVE;
		} else if (w != NULL && add_waiter(e, w)) {
			res = M2MI_KC_PENDING;
		}
		goto out;
	}
	if (w == NULL || c->pending >= c->lim.fetches || !make_room(c))
		goto out;
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->keid = strdup(keid)) == NULL || !add_waiter(e, w)) {
		if (e)
			free(e->keid);
		free(e);
		goto out;
	}
	e->state = E_PENDING;
	p = slot(c, keid); /* make_room may have changed the chain */
	*p = e;
	m2mi_lru_push_front(&c->lru, &e->lru);
	c->n++;
	c->pending++;
	res = M2MI_KC_START;
out:
	pthread_mutex_unlock(&c->mu);
	return res;
}

static bool authoritative(m2m_err err)
{
	return err == M2M_E_NOT_FOUND || err == M2M_E_AUTH || err == M2M_E_KEY_REVOKED || err == M2M_E_KEY_EXPIRED;
}

static void wake_all(waiter *ws, m2mi_kc_wake_fn wake, void *arg, m2m_err err, const m2m_key *key, const m2m_sa *sa)
{
	while (ws != NULL) {
		waiter *n = ws->next;
		if (wake)
			wake(arg, ws->w, err, key, sa);
		free(ws);
		ws = n;
	}
}

void m2mi_key_cache_complete(m2mi_key_cache *c, const char *keid, int64_t now, m2m_err err, m2m_key *key,
			      const m2m_sa *sa, m2mi_kc_wake_fn wake, void *arg)
{
	waiter *ws = NULL;
	entry *e;
	m2m_key *copy = NULL;
	int64_t until = 0;

	if (err == M2M_OK && (key == NULL || sa == NULL))
		err = M2M_E_INTERNAL;
	if (err == M2M_OK) {
		until = now + c->lim.cache_seconds;
		if (sa->expiry > 0 && sa->expiry < until)
			until = sa->expiry;
		if (sa->expiry > 0 && sa->expiry <= now)
			err = M2M_E_KEY_EXPIRED; /* the MEF granted nothing usable */
	}
	pthread_mutex_lock(&c->mu);
	e = *slot(c, keid);
	if (e != NULL && e->state == E_PENDING) {
		ws = e->waiters;
		e->waiters = NULL;
		c->pending--;
		if (err == M2M_OK && until > now && m2m_key_dup(key, &copy) == M2M_OK) {
			e->state = E_POSITIVE;
			e->key = copy;
			e->sa = *sa;
			e->until = until;
		} else if (err != M2M_OK && authoritative(err) && c->lim.negative_seconds > 0) {
			e->state = E_NEGATIVE;
			e->err = err;
			e->until = now + c->lim.negative_seconds;
		} else {
			e->state = E_NEGATIVE; /* keep drop()'s pending count right */
			drop(c, e);
		}
	}
	pthread_mutex_unlock(&c->mu);
	wake_all(ws, wake, arg, err, err == M2M_OK ? key : NULL, err == M2M_OK ? sa : NULL);
	m2m_key_free(key);
}

size_t m2mi_key_cache_size(m2mi_key_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->mu);
	n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void m2mi_key_cache_flush(m2mi_key_cache *c)
{
	entry *e, *prev;

	pthread_mutex_lock(&c->mu);
	for (e = LRU_ENTRY(c->lru.tail); e != NULL; e = prev) {
		prev = LRU_ENTRY(e->lru.prev);
		if (e->state != E_PENDING)
			drop(c, e);
	}
	pthread_mutex_unlock(&c->mu);
}

void m2mi_key_cache_free(m2mi_key_cache *c, m2mi_kc_wake_fn wake, void *arg)
{
	if (c == NULL)
		return;
	while (c->lru.head != NULL) {
		entry *e = LRU_ENTRY(c->lru.head);
		waiter *ws = e->waiters;
		e->waiters = NULL;
		drop(c, e);
		wake_all(ws, wake, arg, M2M_E_INTERNAL, NULL, NULL);
	}
	pthread_mutex_destroy(&c->mu);
	free(c->buckets);
	free(c);
}
