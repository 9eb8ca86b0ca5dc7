/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements per-key token buckets (core/ratelimit.h) for the MEF's limits per client
 * identity and per source address (docs/procedures/mef.md, "Rate limits").
 *
 * A bucket holds at most per_minute tokens and refills continuously at per_minute per 60 s; a
 * request takes one. Amounts are integers in units of 1/60000 token, so one millisecond refills
 * exactly per_minute units and nothing is lost to rounding. The table is fixed at creation:
 * `capacity` entries, a hash index of twice as many chains, and a doubly linked recency list;
 * a new key when the table is full reuses the least recently used entry. The index hash is
 * FNV-1a over a per-table random seed and the key, so a peer cannot precompute colliding keys;
 * a chain is in any case never longer than the table.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/ratelimit.h"

#define UNIT 60000u /* units per token: 1 ms refills per_minute units */
#define NIL ((uint32_t)-1)

struct entry {
	uint8_t key[M2MI_RATELIMIT_KEY_MAX];
	uint16_t len;
	bool used;
	uint64_t units;   /* tokens * UNIT */
	int64_t last_ms;  /* time of the last refill */
	uint32_t chain;   /* next entry in the same hash chain */
	uint32_t prev, next; /* recency list: head = most recent */
};

struct m2mi_ratelimit {
	pthread_mutex_t mu;
	uint64_t max_units;
	unsigned per_minute;
	uint32_t cap, nbuckets, count, head, tail;
	uint64_t seed;
	uint32_t *index;  /* nbuckets chain heads */
	struct entry *e;  /* cap entries */
};

static uint32_t hash(const m2mi_ratelimit *rl, const uint8_t *k, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ rl->seed;

	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	return (uint32_t)(h % rl->nbuckets);
}

m2m_err m2mi_ratelimit_new(unsigned per_minute, size_t capacity, m2mi_ratelimit **out)
{
	m2mi_ratelimit *rl;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (per_minute == 0 || capacity == 0 || capacity > (1u << 24))
		return M2M_E_INVAL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return M2M_E_NOMEM;
	rl->per_minute = per_minute;
	rl->max_units = (uint64_t)per_minute * UNIT;
	rl->cap = (uint32_t)capacity;
	rl->nbuckets = rl->cap * 2;
	rl->head = rl->tail = NIL;
	rl->index = malloc(rl->nbuckets * sizeof(*rl->index));
	rl->e = calloc(rl->cap, sizeof(*rl->e));
	if (rl->index == NULL || rl->e == NULL || pthread_mutex_init(&rl->mu, NULL) != 0) {
		free(rl->index);
		free(rl->e);
		free(rl);
		return M2M_E_NOMEM;
	}
	if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1)
		rl->seed = (uint64_t)(uintptr_t)rl; /* still unpredictable enough for an index */
	for (uint32_t i = 0; i < rl->nbuckets; i++)
		rl->index[i] = NIL;
	*out = rl;
	return M2M_OK;
}

void m2mi_ratelimit_free(m2mi_ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->index);
	free(rl->e);
	free(rl);
}

static void unlink_recent(m2mi_ratelimit *rl, uint32_t i)
{
	struct entry *x = &rl->e[i];

	if (x->prev != NIL)
		rl->e[x->prev].next = x->next;
	else
		rl->head = x->next;
	if (x->next != NIL)
		rl->e[x->next].prev = x->prev;
	else
		rl->tail = x->prev;
}

static void push_recent(m2mi_ratelimit *rl, uint32_t i)
{
	rl->e[i].prev = NIL;
	rl->e[i].next = rl->head;
	if (rl->head != NIL)
		rl->e[rl->head].prev = i;
	rl->head = i;
	if (rl->tail == NIL)
		rl->tail = i;
}

/* Remove entry i from its hash chain. */
static void unchain(m2mi_ratelimit *rl, uint32_t i)
{
	uint32_t *p = &rl->index[hash(rl, rl->e[i].key, rl->e[i].len)];

	while (*p != NIL && *p != i)
		p = &rl->e[*p].chain;
	if (*p == i)
		*p = rl->e[i].chain;
}

static uint32_t find_or_add(m2mi_ratelimit *rl, const uint8_t *k, size_t n, int64_t now_ms)
{
	uint32_t h = hash(rl, k, n), i;

	for (i = rl->index[h]; i != NIL; i = rl->e[i].chain)
		if (rl->e[i].len == n && memcmp(rl->e[i].key, k, n) == 0) {
			unlink_recent(rl, i);
			push_recent(rl, i);
			return i;
		}
	if (rl->count < rl->cap) {
		i = rl->count++;
	} else { /* full: forget the least recently used key */
		i = rl->tail;
		unlink_recent(rl, i);
		unchain(rl, i);
	}
	memcpy(rl->e[i].key, k, n);
	rl->e[i].len = (uint16_t)n;
	rl->e[i].used = true;
	rl->e[i].units = rl->max_units;
	rl->e[i].last_ms = now_ms;
	rl->e[i].chain = rl->index[h];
	rl->index[h] = i;
	push_recent(rl, i);
	return i;
}

bool m2mi_ratelimit_take(m2mi_ratelimit *rl, const void *key, size_t len, int64_t now_ms, int *retry_after_s)
{
	struct entry *x;
	bool ok;

	if (retry_after_s != NULL)
		*retry_after_s = 1;
	if (rl == NULL || key == NULL || len == 0 || len > M2MI_RATELIMIT_KEY_MAX)
		return false;
	pthread_mutex_lock(&rl->mu);
	x = &rl->e[find_or_add(rl, key, len, now_ms)];
	if (now_ms > x->last_ms) {
		uint64_t dt = (uint64_t)(now_ms - x->last_ms);
		uint64_t add = dt > rl->max_units / rl->per_minute ? rl->max_units : dt * rl->per_minute;
		x->units = x->units + add > rl->max_units ? rl->max_units : x->units + add;
		x->last_ms = now_ms;
	}
	ok = x->units >= UNIT;
	if (ok) {
		x->units -= UNIT;
	} else if (retry_after_s != NULL) {
		uint64_t ms = (UNIT - x->units + rl->per_minute - 1) / rl->per_minute; /* until one token */
		uint64_t s = (ms + 999) / 1000;
		*retry_after_s = s < 1 ? 1 : s > 3600 ? 3600 : (int)s;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

size_t m2mi_ratelimit_size(m2mi_ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->mu);
	n = rl->count;
	pthread_mutex_unlock(&rl->mu);
	return n;
}
