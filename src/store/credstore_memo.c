/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the exact lookup memo of one credential-store connection
 * (store/credstore_memo.h). A TLS-PSK handshake or an ESPrim request looks its key up on every use
 * (TS-0003 clause 10.3: the revocation and validity check before use); the SQLite read behind
 * it was the largest cost of an ESPrim request outside JOSE (docs/benchmarks.md bench/e2e). The
 * memo keeps what the read gave, and only as long as its owner proves nothing could have changed
 * it (store/credstore_sqlite.c: PRAGMA data_version, cleared on its own writes). It keeps no
 * decision: validity against the clock is still evaluated on every use (store/credstore.c).
 * Bounded (M2MI_CRED_MEMO_SLOTS), key bytes only in m2m_key (zeroized when a slot is freed).
 */
#include <stdlib.h>
#include <string.h>

#include "store/credstore_memo.h"

typedef struct slot {
	char *fold;          /* NULL: free slot */
	m2m_cred_info *info;
	m2m_key *key;        /* NULL: fetched without key bytes */
	uint64_t used;       /* LRU clock value of the last get/put */
} slot;

struct m2mi_cred_memo {
	slot s[M2MI_CRED_MEMO_SLOTS];
	uint64_t clock;
	uint64_t hits;
	int64_t epoch;
	bool have_epoch;
};

static void slot_free(slot *s)
{
	free(s->fold);
	m2m_credstore_info_free(s->info);
	m2m_key_free(s->key); /* zeroizes the bytes */
	memset(s, 0, sizeof(*s));
}

static m2m_err dup_str(const char *in, char **out)
{
	*out = NULL;
	if (in != NULL && (*out = strdup(in)) == NULL)
		return M2M_E_NOMEM;
	return M2M_OK;
}

static m2m_err info_dup(const m2m_cred_info *in, m2m_cred_info **out)
{
	m2m_cred_info *c = calloc(1, sizeof(*c));
	m2m_err r;

	*out = NULL;
	if (c == NULL)
		return M2M_E_NOMEM;
	*c = *in;
	c->id = c->owner = c->attrs = NULL;
	c->targets = NULL;
	c->ntargets = 0;
	if ((r = dup_str(in->id, &c->id)) != M2M_OK || (r = dup_str(in->owner, &c->owner)) != M2M_OK ||
	    (r = dup_str(in->attrs, &c->attrs)) != M2M_OK)
		goto out;
	if (in->ntargets > 0 && (c->targets = calloc(in->ntargets, sizeof(char *))) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	for (; r == M2M_OK && c->ntargets < in->ntargets; c->ntargets++)
		r = dup_str(in->targets[c->ntargets], &c->targets[c->ntargets]);
out:
	if (r != M2M_OK) {
		m2m_credstore_info_free(c);
		return r;
	}
	*out = c;
	return M2M_OK;
}

m2m_err m2mi_cred_memo_new(m2mi_cred_memo **out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? M2M_OK : M2M_E_NOMEM;
}

void m2mi_cred_memo_clear(m2mi_cred_memo *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < M2MI_CRED_MEMO_SLOTS; i++)
		if (m->s[i].fold != NULL)
			slot_free(&m->s[i]);
}

void m2mi_cred_memo_free(m2mi_cred_memo *m)
{
	m2mi_cred_memo_clear(m);
	free(m);
}

void m2mi_cred_memo_epoch(m2mi_cred_memo *m, int64_t epoch)
{
	if (m->have_epoch && m->epoch == epoch)
		return;
	m2mi_cred_memo_clear(m);
	m->epoch = epoch;
	m->have_epoch = true;
}

static slot *find(m2mi_cred_memo *m, const char *fold)
{
	for (size_t i = 0; i < M2MI_CRED_MEMO_SLOTS; i++)
		if (m->s[i].fold != NULL && strcmp(m->s[i].fold, fold) == 0) /* public: identifiers */
			return &m->s[i];
	return NULL;
}

m2m_err m2mi_cred_memo_get(m2mi_cred_memo *m, const char *fold, m2m_cred_info **info, m2m_key **key)
{
	slot *s = find(m, fold);
	m2m_err r;

	*info = NULL;
	if (key != NULL)
		*key = NULL;
	if (s == NULL || (key != NULL && s->key == NULL))
		return M2M_E_NOT_FOUND;
	if ((r = info_dup(s->info, info)) != M2M_OK)
		return r;
	if (key != NULL && (r = m2m_key_dup(s->key, key)) != M2M_OK) {
		m2m_credstore_info_free(*info);
		*info = NULL;
		return r;
	}
	s->used = ++m->clock;
	m->hits++;
	return M2M_OK;
}

uint64_t m2mi_cred_memo_hits(const m2mi_cred_memo *m)
{
	return m->hits;
}

m2m_err m2mi_cred_memo_put(m2mi_cred_memo *m, const char *fold, const m2m_cred_info *info, const m2m_key *key)
{
	slot n = {0}, *s = find(m, fold);
	m2m_err r;

	if (s == NULL) { /* a free slot, else the least recently used */
		s = &m->s[0];
		for (size_t i = 0; i < M2MI_CRED_MEMO_SLOTS && s->fold != NULL; i++)
			if (m->s[i].fold == NULL || m->s[i].used < s->used)
				s = &m->s[i];
	}
	if ((r = dup_str(fold, &n.fold)) != M2M_OK || (r = info_dup(info, &n.info)) != M2M_OK ||
	    (key != NULL && (r = m2m_key_dup(key, &n.key)) != M2M_OK)) {
		slot_free(&n);
		return r;
	}
	if (s->fold != NULL)
		slot_free(s);
	n.used = ++m->clock;
	*s = n;
	return M2M_OK;
}

void m2mi_cred_memo_touched(m2mi_cred_memo *m, const char *id, int64_t now)
{
	for (size_t i = 0; i < M2MI_CRED_MEMO_SLOTS; i++)
		if (m->s[i].fold != NULL && strcmp(m->s[i].info->id, id) == 0) /* public: identifiers */
			m->s[i].info->last_used = now;
}

void m2mi_cred_memo_drop_id(m2mi_cred_memo *m, const char *id)
{
	for (size_t i = 0; i < M2MI_CRED_MEMO_SLOTS; i++)
		if (m->s[i].fold != NULL && strcmp(m->s[i].info->id, id) == 0) /* public: identifiers */
			slot_free(&m->s[i]);
}
