/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the verified-token cache of the Hosting CSE (TS-0003 clause 7.3.2.3 step
 * 7.1.5 "the Hosting CSE may cache any new Token(s)"): security-validated tokens (stage 1 of
 * include/m2msec/token.h, the expensive signature check) keyed by the SHA-256 of their compact
 * text, bounded in count (least recently used evicted, core/lru.h) and by each token's notAfter,
 * with revocation by token ID (deleting a <token> resource): the cached copies are dropped and
 * the ID is remembered until the token would have expired anyway, so presenting the same token
 * again is refused instead of re-verified. Stage 2 (audience, holder, window) stays per request.
 * One mutex: a revocation made on one thread is seen by every thread's next lookup.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/metrics.h"
#include "core/lru.h"
#include "core/token_int.h"

struct entry {
	m2mi_lru_node lru;
	struct entry *next; /* hash chain */
	m2m_token *tok;
};

struct revoked {
	char *id;
	int64_t until;
};

struct m2m_token_cache {
	pthread_mutex_t mu;
	size_t cap, n, nbuckets;
	struct entry **buckets;
	m2mi_lru lru;
	struct revoked *rev;
	size_t nrev;
};

m2m_err m2m_token_cache_new(size_t capacity, m2m_token_cache **out)
{
	m2m_token_cache *c;
	size_t nb = 16;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (capacity == 0 || capacity > (1u << 24))
		return M2M_E_RANGE;
	while (nb < capacity * 2)
		nb *= 2;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	c->rev = calloc(capacity, sizeof(*c->rev));
	if (c->buckets == NULL || c->rev == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->buckets);
		free(c->rev);
		free(c);
		return M2M_E_NOMEM;
	}
	c->cap = capacity;
	c->nbuckets = nb;
	*out = c;
	return M2M_OK;
}

static size_t bucket_of(const m2m_token_cache *c, const uint8_t *d)
{
	uint64_t h;

	memcpy(&h, d, sizeof(h)); /* a SHA-256 prefix is already uniform */
	return (size_t)(h & (c->nbuckets - 1));
}

/* Unlink e from its chain and the LRU list and free it (caller holds mu). */
static void drop(m2m_token_cache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[bucket_of(c, e->tok->digest)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	m2mi_lru_unlink(&c->lru, &e->lru);
	m2m_token_unref(e->tok);
	free(e);
	c->n--;
}

void m2m_token_cache_free(m2m_token_cache *c)
{
	if (c == NULL)
		return;
	while (c->lru.head != NULL)
		drop(c, M2MI_LRU_ENTRY(c->lru.head, struct entry, lru));
	for (size_t i = 0; i < c->nrev; i++)
		free(c->rev[i].id);
	free(c->rev);
	free(c->buckets);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct entry *find(const m2m_token_cache *c, const uint8_t d[32])
{
	for (struct entry *e = c->buckets[bucket_of(c, d)]; e != NULL; e = e->next)
		if (memcmp(e->tok->digest, d, 32) == 0) /* public: digests of tokens */
			return e;
	return NULL;
}

m2m_err m2m_token_cache_get(m2m_token_cache *c, const char *text, size_t len, int64_t now, int64_t skew,
			    m2m_token **out)
{
	uint8_t d[32];
	struct entry *e;
	m2m_err r = M2M_E_NOT_FOUND;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (c == NULL || text == NULL || skew < 0)
		return M2M_E_INVAL;
	if (EVP_Digest(text, len, d, NULL, EVP_sha256(), NULL) != 1)
		return M2M_E_CRYPTO;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, d)) != NULL) {
		if (now > e->tok->c.not_after + skew) {
			drop(c, e); /* bounded by exp: an expired token leaves at its first lookup */
		} else {
			m2mi_lru_touch(&c->lru, &e->lru);
			*out = m2m_token_ref(e->tok);
			r = M2M_OK;
		}
	}
	pthread_mutex_unlock(&c->mu);
	m2mi_metrics_cache(M2MI_CACHE_TOKEN, r == M2M_OK);
	return r;
}

/* Forget revocations whose token has expired (caller holds mu). */
static void prune_revoked(m2m_token_cache *c, int64_t now)
{
	for (size_t i = 0; i < c->nrev;) {
		if (c->rev[i].until < now) {
			free(c->rev[i].id);
			c->rev[i] = c->rev[--c->nrev];
		} else {
			i++;
		}
	}
}

static bool is_revoked(const m2m_token_cache *c, const char *id)
{
	for (size_t i = 0; i < c->nrev; i++)
		if (strcmp(c->rev[i].id, id) == 0) /* public: token IDs */
			return true;
	return false;
}

m2m_err m2m_token_cache_put(m2m_token_cache *c, m2m_token *tok, int64_t now, int64_t skew)
{
	struct entry *e;
	m2m_err r = M2M_OK;

	if (c == NULL || tok == NULL || skew < 0)
		return M2M_E_INVAL;
	if (now > tok->c.not_after + skew)
		return M2M_E_TOKEN_EXPIRED;
	pthread_mutex_lock(&c->mu);
	prune_revoked(c, now);
	if (is_revoked(c, tok->c.token_id)) {
		r = M2M_E_TOKEN_REVOKED;
	} else if ((e = find(c, tok->digest)) != NULL) {
		m2mi_lru_touch(&c->lru, &e->lru);
	} else if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = M2M_E_NOMEM;
	} else {
		if (c->n >= c->cap)
			drop(c, M2MI_LRU_ENTRY(c->lru.tail, struct entry, lru));
		e->tok = m2m_token_ref(tok);
		e->next = c->buckets[bucket_of(c, tok->digest)];
		c->buckets[bucket_of(c, tok->digest)] = e;
		m2mi_lru_push_front(&c->lru, &e->lru);
		c->n++;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

m2m_err m2m_token_cache_revoke(m2m_token_cache *c, const char *token_id, int64_t until, int64_t now,
			       size_t *dropped)
{
	size_t k = 0;
	m2m_err r = M2M_OK;

	if (dropped != NULL)
		*dropped = 0;
	if (c == NULL || token_id == NULL || *token_id == '\0')
		return M2M_E_INVAL;
	pthread_mutex_lock(&c->mu);
	prune_revoked(c, now);
	if (!is_revoked(c, token_id)) {
		char *id = c->nrev < c->cap ? strdup(token_id) : NULL;
		if (c->nrev >= c->cap) {
			r = M2M_E_STORAGE_FULL;
		} else if (id == NULL) {
			r = M2M_E_NOMEM;
		} else {
			c->rev[c->nrev].id = id;
			c->rev[c->nrev++].until = until;
		}
	}
	/* drop the cached copies even when remembering failed: never serve a revoked token */
	for (m2mi_lru_node *n = c->lru.head; n != NULL;) {
		struct entry *e = M2MI_LRU_ENTRY(n, struct entry, lru);
		n = n->next;
		if (strcmp(e->tok->c.token_id, token_id) == 0) { /* public: token IDs */
			drop(c, e);
			k++;
		}
	}
	pthread_mutex_unlock(&c->mu);
	if (dropped != NULL)
		*dropped = k;
	return r;
}

void m2m_token_cache_clear(m2m_token_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	while (c->lru.head != NULL)
		drop(c, M2MI_LRU_ENTRY(c->lru.head, struct entry, lru));
	pthread_mutex_unlock(&c->mu);
}

size_t m2m_token_cache_count(m2m_token_cache *c)
{
	size_t n;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}
