/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the connection caps of the HTTP server (bindings/conn_limit.h): with
 * nothing but a file-descriptor limit, two clients holding 10,000 idle connections each starved
 * every other client and the process itself (issue 6). A connection is counted when it is
 * accepted, before any TLS work, and refused cheaply when the process-wide cap or the cap of its
 * source address is reached. The threads of the server share one table: a hash of
 * address -> count under a mutex, taken once per accept and once per close (never per request).
 * The hash is keyed with a random seed so that a peer cannot aim many addresses at one chain;
 * entries exist only while their address has connections, so the table never holds more than
 * max_total entries.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bindings/conn_limit.h"

#define KEY_LEN 9 /* family + IPv4 address or IPv6 /64 prefix */

struct entry {
	struct entry *next;
	uint8_t key[KEY_LEN];
	size_t count;
};

struct m2mi_conn_limit {
	pthread_mutex_t mu;
	size_t max_total, max_addr, total;
	uint64_t seed;
	size_t nbuckets; /* power of two */
	struct entry **b;
};

static void make_key(int family, const uint8_t *ip, uint8_t key[KEY_LEN])
{
	memset(key, 0, KEY_LEN);
	if (family == 4 && ip != NULL) {
		key[0] = 4;
		memcpy(key + 1, ip, 4);
	} else if (family == 6 && ip != NULL) {
		key[0] = 6;
		memcpy(key + 1, ip, 8);
	}
}

/* FNV-1a over seed and key, then a 64-bit finaliser (splitmix64) to spread the low bits. */
static size_t bucket(const m2mi_conn_limit *l, const uint8_t key[KEY_LEN])
{
	uint64_t h = 0xcbf29ce484222325ull ^ l->seed;

	for (size_t i = 0; i < KEY_LEN; i++)
		h = (h ^ key[i]) * 0x100000001b3ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (size_t)h & (l->nbuckets - 1);
}

m2m_err m2mi_conn_limit_new(size_t max_total, size_t max_per_address, m2mi_conn_limit **out)
{
	m2mi_conn_limit *l;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (max_total == 0 || max_per_address == 0)
		return M2M_E_INVAL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return M2M_E_NOMEM;
	l->max_total = max_total;
	l->max_addr = max_per_address < max_total ? max_per_address : max_total;
	for (l->nbuckets = 256; l->nbuckets < max_total / 4 && l->nbuckets < 65536;)
		l->nbuckets *= 2;
	if (getrandom(&l->seed, sizeof(l->seed), 0) != (ssize_t)sizeof(l->seed))
		l->seed = (uint64_t)(uintptr_t)l; /* only spreads chains: not a secret */
	if ((l->b = calloc(l->nbuckets, sizeof(*l->b))) == NULL || pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l->b);
		free(l);
		return M2M_E_NOMEM;
	}
	*out = l;
	return M2M_OK;
}

void m2mi_conn_limit_free(m2mi_conn_limit *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nbuckets; i++) {
		for (struct entry *e = l->b[i], *n; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&l->mu);
	free(l->b);
	free(l);
}

static struct entry **find(m2mi_conn_limit *l, const uint8_t key[KEY_LEN])
{
	struct entry **p = &l->b[bucket(l, key)];

	while (*p != NULL && memcmp((*p)->key, key, KEY_LEN) != 0)
		p = &(*p)->next;
	return p;
}

m2mi_conn_verdict m2mi_conn_limit_acquire(m2mi_conn_limit *l, int family, const uint8_t *ip)
{
	uint8_t key[KEY_LEN];
	struct entry **p, *e;
	m2mi_conn_verdict v = M2MI_CONN_ADMIT;

	make_key(family, ip, key);
	pthread_mutex_lock(&l->mu);
	p = find(l, key);
	if (l->total >= l->max_total) {
		v = M2MI_CONN_OVER_TOTAL;
	} else if (*p != NULL && (*p)->count >= l->max_addr) {
		v = M2MI_CONN_OVER_ADDRESS;
	} else if (*p == NULL) {
		/* no memory for the entry: refused like a full table (fail closed) */
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			v = M2MI_CONN_OVER_TOTAL;
		} else {
			memcpy(e->key, key, KEY_LEN);
			*p = e;
		}
	}
	if (v == M2MI_CONN_ADMIT) {
		(*p)->count++;
		l->total++;
	}
	pthread_mutex_unlock(&l->mu);
	return v;
}

void m2mi_conn_limit_release(m2mi_conn_limit *l, int family, const uint8_t *ip)
{
	uint8_t key[KEY_LEN];
	struct entry **p, *e;

	make_key(family, ip, key);
	pthread_mutex_lock(&l->mu);
	p = find(l, key);
	if ((e = *p) != NULL) {
		l->total--;
		if (--e->count == 0) {
			*p = e->next;
			free(e);
		}
	}
	pthread_mutex_unlock(&l->mu);
}

size_t m2mi_conn_limit_total(m2mi_conn_limit *l)
{
	size_t n;

	pthread_mutex_lock(&l->mu);
	n = l->total;
	pthread_mutex_unlock(&l->mu);
	return n;
}

size_t m2mi_conn_limit_of(m2mi_conn_limit *l, int family, const uint8_t *ip)
{
	uint8_t key[KEY_LEN];
	size_t n;

	make_key(family, ip, key);
	pthread_mutex_lock(&l->mu);
	n = *find(l, key) != NULL ? (*find(l, key))->count : 0;
	pthread_mutex_unlock(&l->mu);
	return n;
}

void m2mi_addr_from_sockaddr(const struct sockaddr *sa, int *family, uint8_t ip[16])
{
	*family = 0;
	memset(ip, 0, 16);
	if (sa != NULL && sa->sa_family == AF_INET) {
		*family = 4;
		memcpy(ip, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*family = 4;
			memcpy(ip, a->s6_addr + 12, 4);
		} else {
			*family = 6;
			memcpy(ip, a->s6_addr, 16);
		}
	}
}
