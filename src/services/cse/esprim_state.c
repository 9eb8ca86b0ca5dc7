/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the memory of the CSE's ESPrim Receiver (esprim_rx.h, TS-0003 clause
 * 8.4.2 phase B and C.6): the shared receiverESPrimRandObject (clause 8.4.2 B.1a, published in
 * esi.esro; renewed when less than half of its lifetime is left, the previous one accepted until
 * its own expiry), the non-shared ones of seci sit 3 (B.2, bound to the Originator that asked,
 * at most M2MI_ESP_NS_PER_ORIG each and M2MI_ESP_NS_MAX in all: the oldest goes first), the
 * originatorESPrimRandObjects seen (so a later object may omit "oro", clause 8.4.3.2), and the
 * replay window of inner requests (esprim_replay.c, with its own lock), the memo of derived
 * sessionESPrimKeys, and the objects whose protected header a later object may reuse. Every table is fixed-size; one mutex guards the others (the HTTP loops, CoAP and MQTT threads share one CSE).
 * Rand values are public inputs of the session key (clause 10.3.8.2); the only secrets are the
 * memo's keys, each in an m2m_key (zeroized when dropped).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/esprim_int.h"
#include "m2msec/mem.h"
#include "services/cse/esprim_replay.h"
#include "services/cse/esprim_rx.h"

typedef struct ns_slot {
	bool used;
	m2m_esprim_rand r;
	char owner[M2M_ORIG_MAX];
	uint64_t seq;
} ns_slot;

typedef struct oro_slot {
	bool used;
	char kid[M2M_ESPRIM_KID_MAX + 1];
	m2m_esprim_rand r;
} oro_slot;

/* An object whose protected header may be reused (m2mi_esprim_parse_same_hdr), shared by
 * reference: a request holds it while cjose imports its object, outside the mutex. */
typedef struct hdr_memo {
	atomic_uint refs;
	m2m_esprim_obj *obj; /* read only once published */
} hdr_memo;

/* A derived sessionESPrimKey and exactly what it was derived from (clause 10.3.8.2). */
typedef struct memo_slot {
	m2m_key *pairwise; /* NULL: slot free */
	m2mi_esp_key *session; /* as a cjose JWK, made once, shared by reference with requests */
	char rro_value[M2M_ESPRIM_VALUE_MAX + 1];
	char oro_value[M2M_ESPRIM_VALUE_MAX + 1];
	int aead;
	int64_t expiry; /* the earlier of the two rand objects' */
	uint64_t used;  /* LRU stamp */
} memo_slot;

struct m2mi_esprim {
	pthread_mutex_t mu;
	int64_t lifetime;        /* esprim-rand-seconds */
	m2m_esprim_rand shared[2]; /* [0] current, [1] previous; esri "" = none */
	ns_slot ns[M2MI_ESP_NS_MAX];
	uint64_t seq;
	oro_slot oro[M2MI_ESP_ORO_MAX];
	m2mi_replay *replay;     /* esprim_replay.c */
	m2m_kdf *kdf;
	memo_slot sk[M2MI_ESP_SK_MAX];
	uint64_t sk_clock, sk_derived;
	hdr_memo *hdr[M2MI_ESP_HDR_MAX]; /* objects whose protected header may be reused */
};

static void hdr_unref(hdr_memo *m)
{
	if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1) {
		m2m_esprim_obj_free(m->obj);
		free(m);
	}
}

static const int keygen[] = {M2M_ESPRIM_KEYGEN_HMAC_SHA256};
static const int aeads[] = {M2M_ESPRIM_A128GCM, M2M_ESPRIM_A192GCM, M2M_ESPRIM_A256GCM};

m2m_err m2mi_esprim_new(const m2m_cse_config *cfg, m2mi_esprim **out)
{
	m2mi_esprim *e;
	m2m_err r;

	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return M2M_E_NOMEM;
	e->lifetime = cfg->esprim_rand_seconds > 0 ? cfg->esprim_rand_seconds : 3600;
	if ((r = m2m_kdf_new(&e->kdf)) != M2M_OK) {
		free(e);
		return r;
	}
	if ((r = m2mi_replay_new(M2MI_ESP_REPLAY_MAX, M2MI_ESP_BANNED_MAX, &e->replay)) != M2M_OK) {
		m2m_kdf_free(e->kdf);
		free(e);
		return r;
	}
	m2mi_esp_mutex_init(&e->mu);
	*out = e;
	return M2M_OK;
}

void m2mi_esprim_free(m2mi_esprim *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < M2MI_ESP_SK_MAX; i++) {
		m2m_key_free(e->sk[i].pairwise);
		m2mi_esp_key_unref(e->sk[i].session);
	}
	for (size_t i = 0; i < M2MI_ESP_HDR_MAX; i++)
		hdr_unref(e->hdr[i]);
	m2m_kdf_free(e->kdf);
	m2mi_replay_free(e->replay);
	pthread_mutex_destroy(&e->mu);
	m2m_freezero(e, sizeof(*e));
}

static m2m_err make(bool shared, int64_t expiry, m2m_esprim_rand *out)
{
	uint8_t rnd[M2M_ESPRIM_RAND_LEN], idrnd[M2M_ESPRIM_RANDID_LEN];
	m2m_err r;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes(idrnd, sizeof(idrnd)) != 1)
		return M2M_E_CRYPTO;
	r = m2m_esprim_rand_init(out, false, shared, rnd, idrnd, expiry, keygen, 1, aeads, 3);
	m2m_memzero(rnd, sizeof(rnd));
	return r;
}

/* Unique among the objects held (clause 8.4.2 B.1a.1: "unique ... while valid"). */
static bool id_taken(const m2mi_esprim *e, const char *id)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(e->shared[i].id, id) == 0)
			return true;
	for (size_t i = 0; i < M2MI_ESP_NS_MAX; i++)
		if (e->ns[i].used && strcmp(e->ns[i].r.id, id) == 0)
			return true;
	return false;
}

static m2m_err make_unique(m2mi_esprim *e, bool shared, int64_t expiry, m2m_esprim_rand *out)
{
	m2m_err r;

	for (int tries = 0; tries < 4; tries++)
		if ((r = make(shared, expiry, out)) != M2M_OK || !id_taken(e, out->id))
			return r;
	return M2M_E_CRYPTO;
}

m2m_err m2mi_esprim_shared(m2mi_esprim *e, int64_t now, m2m_esprim_rand *out)
{
	m2m_err r = M2M_OK;

	pthread_mutex_lock(&e->mu);
	if (e->shared[0].id[0] == '\0' || e->shared[0].expiry - now < e->lifetime / 2) {
		m2m_esprim_rand fresh;
		if ((r = make_unique(e, true, m2mi_sat_add(now, e->lifetime), &fresh)) == M2M_OK) {
			e->shared[1] = e->shared[0];
			e->shared[0] = fresh;
		}
	}
	if (r == M2M_OK)
		*out = e->shared[0];
	pthread_mutex_unlock(&e->mu);
	return r;
}

m2m_err m2mi_esprim_issue(m2mi_esprim *e, const char *orig, int64_t now, m2m_esprim_rand *out)
{
	size_t victim = M2MI_ESP_NS_MAX, mine = 0, oldest_mine = M2MI_ESP_NS_MAX;
	m2m_err r;

	if (strlen(orig) >= M2M_ORIG_MAX)
		return M2M_E_INVAL;
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < M2MI_ESP_NS_MAX; i++) {
		ns_slot *s = &e->ns[i];
		if (s->used && s->r.expiry <= now)
			s->used = false; /* expired: its slot is free */
		if (!s->used) {
			if (victim == M2MI_ESP_NS_MAX || e->ns[victim].used)
				victim = i;
			continue;
		}
		if (strcmp(s->owner, orig) == 0) {
			mine++;
			if (oldest_mine == M2MI_ESP_NS_MAX || s->seq < e->ns[oldest_mine].seq)
				oldest_mine = i;
		}
		if (victim == M2MI_ESP_NS_MAX || (e->ns[victim].used && s->seq < e->ns[victim].seq))
			victim = i;
	}
	if (mine >= M2MI_ESP_NS_PER_ORIG) /* one Originator cannot push the others out */
		victim = oldest_mine;
	if ((r = make_unique(e, false, m2mi_sat_add(now, e->lifetime), out)) == M2M_OK) {
		ns_slot *s = &e->ns[victim];
		s->used = true;
		s->r = *out;
		s->seq = ++e->seq;
		memcpy(s->owner, orig, strlen(orig) + 1);
	}
	pthread_mutex_unlock(&e->mu);
	return r;
}

m2m_err m2mi_esprim_find_rro(m2mi_esprim *e, const char *rri, const char *owner, m2m_esprim_rand *out)
{
	m2m_err r = M2M_E_ESP_RECV_RAND;

	pthread_mutex_lock(&e->mu);
	for (int i = 0; i < 2 && r != M2M_OK; i++)
		if (e->shared[i].id[0] != '\0' && strcmp(e->shared[i].id, rri) == 0) {
			*out = e->shared[i];
			r = M2M_OK;
		}
	for (size_t i = 0; i < M2MI_ESP_NS_MAX && r != M2M_OK; i++)
		if (e->ns[i].used && strcmp(e->ns[i].r.id, rri) == 0 && strcmp(e->ns[i].owner, owner) == 0) {
			*out = e->ns[i].r;
			r = M2M_OK;
		}
	pthread_mutex_unlock(&e->mu);
	return r;
}

m2m_err m2mi_esprim_find_oro(m2mi_esprim *e, const char *kid, const char *ori, const m2m_esprim_rand *hdr_oro,
			     m2m_esprim_rand *out)
{
	m2m_err r = M2M_E_ESP_ORIG_RAND;

	if (hdr_oro != NULL) {
		if (strcmp(hdr_oro->id, ori) != 0)
			return M2M_E_ESP_ORIG_RAND; /* "ori" must name the object carried */
		*out = *hdr_oro;
		return M2M_OK;
	}
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < M2MI_ESP_ORO_MAX && r != M2M_OK; i++)
		if (e->oro[i].used && strcmp(e->oro[i].r.id, ori) == 0 && strcmp(e->oro[i].kid, kid) == 0) {
			*out = e->oro[i].r;
			r = M2M_OK;
		}
	pthread_mutex_unlock(&e->mu);
	return r;
}

void m2mi_esprim_keep_oro(m2mi_esprim *e, const char *kid, const m2m_esprim_rand *oro)
{
	size_t victim = 0;

	if (strlen(kid) > M2M_ESPRIM_KID_MAX)
		return;
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < M2MI_ESP_ORO_MAX; i++) {
		oro_slot *s = &e->oro[i];
		if (s->used && strcmp(s->r.id, oro->id) == 0 && strcmp(s->kid, kid) == 0) {
			victim = i; /* the same object again: refresh in place */
			break;
		}
		if (!s->used || (e->oro[victim].used && s->r.expiry < e->oro[victim].r.expiry))
			victim = i;
	}
	e->oro[victim].used = true;
	memcpy(e->oro[victim].kid, kid, strlen(kid) + 1);
	e->oro[victim].r = *oro;
	pthread_mutex_unlock(&e->mu);
}

m2m_err m2mi_esprim_parse(m2mi_esprim *e, const char *text, size_t len, int64_t now, m2m_esprim_obj **out)
{
	uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a of the encoded header: a slot, no trust */
	hdr_memo *like, *keep, *old;
	size_t slot;
	m2m_err r = M2M_E_NOT_FOUND;

	*out = NULL;
	if (text == NULL)
		return M2M_E_INVAL;
	for (size_t i = 0; i < len && text[i] != '.'; i++)
		h = (h ^ (unsigned char)text[i]) * UINT64_C(1099511628211);
	slot = (size_t)(h % M2MI_ESP_HDR_MAX);
	/* a reference under the mutex, cjose's import outside it: the threads of the CSE do not
	 * queue behind each other's parse (it was a measured contention, docs/benchmarks.md) */
	pthread_mutex_lock(&e->mu);
	if ((like = e->hdr[slot]) != NULL)
		atomic_fetch_add(&like->refs, 1);
	pthread_mutex_unlock(&e->mu);
	if (like != NULL) { /* the parts checked, the header compared byte for byte */
		r = m2mi_esprim_parse_same_hdr(text, len, like->obj, out);
		hdr_unref(like);
	}
	if (r != M2M_E_NOT_FOUND) /* reused, or what the parse's first step would refuse */
		return r;
	if ((r = m2m_esprim_parse(text, len, now, out)) != M2M_OK)
		return r;
	if ((keep = calloc(1, sizeof(*keep))) == NULL)
		return M2M_OK; /* not kept: only slower */
	if ((keep->obj = m2mi_esprim_hdr_memo(*out)) == NULL) {
		free(keep); /* a header with a relative esrx depends on now: never reused */
		return M2M_OK;
	}
	atomic_init(&keep->refs, 1);
	pthread_mutex_lock(&e->mu);
	old = e->hdr[slot];
	e->hdr[slot] = keep;
	pthread_mutex_unlock(&e->mu);
	hdr_unref(old);
	return M2M_OK;
}

m2m_err m2mi_esprim_replay(m2mi_esprim *e, const char *kid, const m2m_esprim_rand *oro, const char *rqi,
			   int64_t now)
{
	return m2mi_replay_check(e->replay, kid, oro->id, oro->expiry, rqi, now);
}

static void memo_drop(memo_slot *s)
{
	m2m_key_free(s->pairwise);
	m2mi_esp_key_unref(s->session); /* the key cleared once the last request holding it is done */
	memset(s, 0, sizeof(*s));
}

/* The slot holding the key for these inputs, else NULL; expired entries are dropped on the way
 * and *victim is the slot to fill (a free one, else the least recently used). */
static memo_slot *memo_find(m2mi_esprim *e, const m2m_key *pairwise, const m2m_esprim_rand *rro,
			const m2m_esprim_rand *oro, int aead, int64_t now, memo_slot **victim)
{
	memo_slot *hit = NULL;

	*victim = NULL;
	for (size_t i = 0; i < M2MI_ESP_SK_MAX; i++) {
		memo_slot *s = &e->sk[i];
		if (s->pairwise != NULL && s->expiry <= now)
			memo_drop(s); /* a rand object expired: the key is of no further use */
		if (s->pairwise == NULL) {
			if (*victim == NULL || (*victim)->pairwise != NULL)
				*victim = s;
			continue;
		}
		if (*victim == NULL || ((*victim)->pairwise != NULL && s->used < (*victim)->used))
			*victim = s;
		/* the public inputs first (cheap, not secret); the pairwise key in constant time */
		if (hit == NULL && s->aead == aead && strcmp(s->rro_value, rro->value) == 0 &&
		    strcmp(s->oro_value, oro->value) == 0 && m2m_key_equal(s->pairwise, pairwise))
			hit = s;
	}
	return hit;
}

m2m_err m2mi_esprim_session(m2mi_esprim *e, const m2m_key *pairwise, const m2m_esprim_rand *rro,
			    const m2m_esprim_rand *oro, int aead, int64_t now, m2mi_esp_key **out)
{
	memo_slot *hit, *victim;
	m2m_key *sk = NULL;
	m2m_err r;

	*out = NULL;
	if (pairwise == NULL || rro == NULL || oro == NULL)
		return M2M_E_INVAL;
	pthread_mutex_lock(&e->mu);
	if ((hit = memo_find(e, pairwise, rro, oro, aead, now, &victim)) != NULL) {
		hit->used = ++e->sk_clock;
		*out = m2mi_esp_key_ref(hit->session);
		r = M2M_OK;
		goto out;
	}
	e->sk_derived++;
	if ((r = m2m_esprim_session_key(e->kdf, pairwise, rro, oro, aead, &sk)) != M2M_OK ||
	    (r = m2mi_esp_key_new(sk, out)) != M2M_OK || victim == NULL)
		goto out;
	/* memoise; failing to (out of memory) only costs a derivation next time */
	memo_drop(victim);
	if (m2m_key_dup(pairwise, &victim->pairwise) != M2M_OK) {
		memo_drop(victim);
		goto out;
	}
	victim->session = m2mi_esp_key_ref(*out);
	memcpy(victim->rro_value, rro->value, sizeof(victim->rro_value));
	memcpy(victim->oro_value, oro->value, sizeof(victim->oro_value));
	victim->aead = aead;
	victim->expiry = rro->expiry < oro->expiry ? rro->expiry : oro->expiry;
	victim->used = ++e->sk_clock;
out:
	pthread_mutex_unlock(&e->mu);
	m2m_key_free(sk);
	return r;
}

size_t m2mi_esprim_sk_held(m2mi_esprim *e, uint64_t *derived)
{
	size_t n = 0;

	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < M2MI_ESP_SK_MAX; i++)
		n += e->sk[i].pairwise != NULL;
	if (derived != NULL)
		*derived = e->sk_derived;
	pthread_mutex_unlock(&e->mu);
	return n;
}
