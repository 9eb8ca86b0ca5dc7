/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the intrusive recency list shared by the bounded caches (core/acp_cache.c,
 * remote/key_cache.c): an entry embeds an m2mi_lru_node, the cache holds an m2mi_lru
 * (head = most recently used, tail = the eviction candidate). Only the links: the caller owns
 * the entries, their lookup table and its locking. Pure; header-only so both layers inline it.
 * (core/ratelimit.c keeps its own index-linked list: its entries live in one fixed array.)
 */
#ifndef M2M_CORE_LRU_H
#define M2M_CORE_LRU_H

#include <stddef.h>

typedef struct m2mi_lru_node {
	struct m2mi_lru_node *prev, *next;
} m2mi_lru_node;

typedef struct m2mi_lru {
	m2mi_lru_node *head, *tail; /* NULL, NULL when empty (a zeroed m2mi_lru is empty) */
} m2mi_lru;

/* The entry of type `type` whose member `member` is node n (NULL stays NULL). */
#define M2MI_LRU_ENTRY(n, type, member) \
	((n) == NULL ? NULL : (type *)(void *)((char *)(n) - offsetof(type, member)))

/* Take n out of l (n must be on l). */
static inline void m2mi_lru_unlink(m2mi_lru *l, m2mi_lru_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

/* Put n (not on l) at the most recently used end of l. */
static inline void m2mi_lru_push_front(m2mi_lru *l, m2mi_lru_node *n)
{
	n->prev = NULL;
	n->next = l->head;
	if (l->head)
		l->head->prev = n;
	l->head = n;
	if (!l->tail)
		l->tail = n;
}

/* Mark n (on l) as just used. */
static inline void m2mi_lru_touch(m2mi_lru *l, m2mi_lru_node *n)
{
	m2mi_lru_unlink(l, n);
	m2mi_lru_push_front(l, n);
}

#endif
