/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the replay window of the CSE's ESPrim Receiver (docs/procedures/e2e.md
 * "Replay"; TS-0001 clause 8.1.2: the Request Identifier is unique per Originator, TS-0003
 * clause 8.4.2 C.6). It remembers the last `window` accepted inner requests, each as a salted
 * SHA-256 of (kid, ori, inner rqi), in a ring (oldest overwritten first) with a hash index, so a
 * look-up and an insertion cost O(1) whatever the rate. Memory is fixed at creation.
 *
 * Fail closed: an entry that leaves the ring while its originator rand object is still valid
 * could be replayed undetected, so its (kid, ori) goes into a banned set (bounded, hash-indexed,
 * oldest first) and every later object of that originator rand object is refused (4113: the
 * Originator makes a new one, TS-0003 clause 8.4.2). When a ban itself must be forgotten while
 * still valid, the floor rises to its expiry and every object whose originator rand object
 * expires no later is refused. An object is thus either proven fresh or refused.
 *
 * The salt (random per process) keys the index: an Originator cannot aim its entries at one
 * bucket. Digests are truncated to 128 bits: a collision can only refuse a request, never accept
 * one, and is negligible at these sizes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "m2msec/mem.h"
#include "services/cse/esprim_replay.h"

#define NIL UINT32_MAX
#define DLEN 16

typedef struct rp_ent {
	uint8_t d[DLEN];   /* the entry's digest */
	uint8_t ban[DLEN]; /* window: the (kid, ori) digest to ban when it leaves early */
	int64_t expiry;    /* the originator rand object's; 0 = slot free */
	uint32_t next;     /* hash chain */
} rp_ent;

/* A ring of n entries with a chained hash index of nb (power of two) buckets. */
typedef struct rp_ring {
	rp_ent *ent;
	uint32_t *head;
	uint32_t n, nb, pos;
} rp_ring;

struct m2mi_replay {
	pthread_mutex_t mu;
	uint8_t salt[16];
	rp_ring win, bans;
	int64_t floor; /* objects expiring no later are refused */
};

static m2m_err ring_init(rp_ring *r, size_t n)
{
	size_t nb = 1;

	if (n == 0 || n >= NIL / 4)
		return M2M_E_INVAL;
	while (nb < 2 * n)
		nb <<= 1;
	if ((r->ent = calloc(n, sizeof(*r->ent))) == NULL || (r->head = malloc(nb * sizeof(*r->head))) == NULL)
		return M2M_E_NOMEM;
	memset(r->head, 0xff, nb * sizeof(*r->head)); /* NIL */
	r->n = (uint32_t)n;
	r->nb = (uint32_t)nb;
	return M2M_OK;
}

static uint32_t bucket(const rp_ring *r, const uint8_t d[DLEN])
{
	uint32_t h;

	memcpy(&h, d, sizeof(h));
	return h & (r->nb - 1);
}

/* The live entry with digest d, else NULL. */
static rp_ent *ring_find(const rp_ring *r, const uint8_t d[DLEN], int64_t now)
{
	for (uint32_t i = r->head[bucket(r, d)]; i != NIL; i = r->ent[i].next)
		if (r->ent[i].expiry > now && memcmp(r->ent[i].d, d, DLEN) == 0) /* public: salted digests */
			return &r->ent[i];
	return NULL;
}

/* Take the oldest slot for a new entry: *old gets what it held (expiry 0: nothing). */
static rp_ent *ring_take(rp_ring *r, rp_ent *old)
{
	uint32_t slot = r->pos, *p;
	rp_ent *e = &r->ent[slot];

	*old = *e;
	if (e->expiry != 0) { /* unlink it from its chain */
		for (p = &r->head[bucket(r, e->d)]; *p != slot; p = &r->ent[*p].next)
			;
		*p = e->next;
	}
	r->pos = (slot + 1) % r->n;
	return e;
}

static void ring_link(rp_ring *r, rp_ent *e)
{
	uint32_t *h = &r->head[bucket(r, e->d)];

	e->next = *h;
	*h = (uint32_t)(e - r->ent);
}

static void ban(m2mi_replay *w, const uint8_t d[DLEN], int64_t expiry, int64_t now)
{
	rp_ent *b = ring_find(&w->bans, d, now), old;

	if (b != NULL) {
		if (expiry > b->expiry)
			b->expiry = expiry;
		return;
	}
	b = ring_take(&w->bans, &old);
	if (old.expiry > now && old.expiry > w->floor)
		w->floor = old.expiry; /* a ban forgotten while valid: fail closed by expiry */
	memcpy(b->d, d, DLEN);
	b->expiry = expiry;
	ring_link(&w->bans, b);
}

m2m_err m2mi_replay_new(size_t window, size_t banned, m2mi_replay **out)
{
	m2mi_replay *w;
	m2m_err r;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return M2M_E_NOMEM;
	m2mi_esp_mutex_init(&w->mu);
	if ((r = ring_init(&w->win, window)) != M2M_OK || (r = ring_init(&w->bans, banned)) != M2M_OK ||
	    (r = RAND_bytes(w->salt, sizeof(w->salt)) == 1 ? M2M_OK : M2M_E_CRYPTO) != M2M_OK) {
		m2mi_replay_free(w);
		return r;
	}
	*out = w;
	return M2M_OK;
}

void m2mi_replay_free(m2mi_replay *w)
{
	if (w == NULL)
		return;
	free(w->win.ent);
	free(w->win.head);
	free(w->bans.ent);
	free(w->bans.head);
	pthread_mutex_destroy(&w->mu);
	m2m_freezero(w, sizeof(*w));
}

/* SHA-256 fetched once (a legacy EVP_sha256() is looked up again on every init in OpenSSL 3). */
static EVP_MD *sha256_impl;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_impl = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	if (pthread_once(&sha256_once, sha256_fetch) == 0 && sha256_impl != NULL)
		return sha256_impl;
	return EVP_sha256();
}

/* bd = H(salt, kid NUL ori NUL), rd = H(salt, kid NUL ori NUL rqi), both truncated. */
static bool digests(const m2mi_replay *w, const char *kid, const char *ori, const char *rqi, uint8_t bd[DLEN],
		    uint8_t rd[DLEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new(), *md2 = EVP_MD_CTX_new();
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int n = 0, n2 = 0;
	bool ok = md != NULL && md2 != NULL && EVP_DigestInit_ex(md, sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(md, w->salt, sizeof(w->salt)) == 1 && EVP_DigestUpdate(md, kid, strlen(kid) + 1) == 1 &&
		  EVP_DigestUpdate(md, ori, strlen(ori) + 1) == 1 && EVP_MD_CTX_copy_ex(md2, md) == 1 &&
		  EVP_DigestFinal_ex(md2, full, &n) == 1 && n >= DLEN;

	if (ok)
		memcpy(bd, full, DLEN);
	ok = ok && EVP_DigestUpdate(md, rqi, strlen(rqi)) == 1 && EVP_DigestFinal_ex(md, full, &n2) == 1 && n2 >= DLEN;
	if (ok)
		memcpy(rd, full, DLEN);
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(md2);
	return ok;
}

m2m_err m2mi_replay_check(m2mi_replay *w, const char *kid, const char *ori, int64_t oro_expiry, const char *rqi,
			  int64_t now)
{
	uint8_t bd[DLEN], rd[DLEN];
	rp_ent *e, old;
	m2m_err r = M2M_OK;

	if (kid == NULL || ori == NULL)
		return M2M_E_INVAL;
	if (oro_expiry <= now)
		return M2M_E_ESP_ORIG_RAND; /* expired: never fresh (and 0 marks a free slot) */
	if (!digests(w, kid, ori, rqi != NULL ? rqi : "", bd, rd))
		return M2M_E_CRYPTO;
	pthread_mutex_lock(&w->mu);
	if (oro_expiry <= w->floor || ring_find(&w->bans, bd, now) != NULL) {
		r = M2M_E_ESP_ORIG_RAND; /* the window can no longer prove this object fresh */
		goto out;
	}
	if (ring_find(&w->win, rd, now) != NULL) {
		r = M2M_E_EXISTS;
		goto out;
	}
	e = ring_take(&w->win, &old);
	if (old.expiry > now) /* forgotten while its originator rand object is valid */
		ban(w, old.ban, old.expiry, now);
	memcpy(e->d, rd, DLEN);
	memcpy(e->ban, bd, DLEN);
	e->expiry = oro_expiry;
	ring_link(&w->win, e);
out:
	pthread_mutex_unlock(&w->mu);
	return r;
}
