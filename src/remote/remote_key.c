/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the asynchronous remote-key resolver (remote_key.h): a psk_identity
 * "<32 hex>@FQDN" of the configured key service (a KeID of a MEF, TS-0003 §10.3.4; a Key
 * Identifier of a MAF, §10.3.5) makes the process RETRIEVE the key from that service during the
 * handshake (MEF: §8.3.2.1 fetchCredentials; MAF: §8.8.2.8 Key Retrieval), without blocking its
 * loop:
 *  - start (HTTP loop thread, inside OpenSSL's ASYNC job: small stack, no big buffers) answers a
 *    cache hit or a cached refusal at once, otherwise queues the handshake on the identifier's
 *    single fetch (key_cache.c) and returns "pending";
 *  - the transport answers on its own thread; the configured parser checks the answer (it must
 *    be for exactly the identifier and SUID asked for), the result is cached and handed to every
 *    waiting handshake through m2m_psk_wait_done_post;
 *  - the association is bound to what the service reports (the parser's m2m_sa: the entity,
 *    Credential-ID "12-<identifier>", SUID, expiry), so the originator checks (4106/4107) and
 *    ACPs apply exactly as for provisioned keys;
 *  - anything unexpected is a refusal (fail closed); the handshake deadline of the HTTP server
 *    bounds a slow service, and the transport deadline ends the fetch, so each wait gets its
 *    answer.
 * What differs between the MEF and the MAF (identifier kind, path, parser) is the configuration
 * (mef_fetch_rsp.c, maf_key_rsp.c), not a copy of this code.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2msec/gba_zn.h"
#include "m2msec/mem.h"
#include "core/metrics.h"
#include "remote/remote_key.h"

struct m2mi_remote_key {
	char fqdn[256];
	m2m_id_kind kind;
	int suid;
	m2mi_remote_path_fn path;
	m2mi_remote_parse_fn parse;
	m2mi_key_cache *cache;
	m2mi_remote_fetch_fn fetch;
	void *fetch_ctx;
	_Atomic(m2mi_remote_wait_done_fn) done; /* swapped at shutdown (m2mi_remote_key_set_done) */
	atomic_bool suid_refused;               /* the security profile does not accept our SUID */
	int64_t (*clock)(void);
	m2mi_remote_observe_fn observe;
	void *observe_ctx;
	char self_abs[256], self_rel[256]; /* "" = no targetIDs check */
	m2mi_remote_match_fn match;
	const void *match_ctx;
};

/* One fetch in flight (the transport's argument). */
typedef struct fetch {
	m2mi_remote_key *rk;
	char kid[M2M_SA_ID_MAX]; /* a KeID / KcID, or a B-TID */
} fetch;

static int64_t wall(void)
{
	return (int64_t)time(NULL);
}

m2m_err m2mi_remote_rsc_error(int rsc)
{
	if (rsc == 4004)
		return M2M_E_NOT_FOUND; /* unknown identifier, or this entity is not a target of it */
	if (rsc == 4103)
		return M2M_E_AUTH;      /* revoked, expired, SUID not allowed, not a target */
	return M2M_E_PROTO;
}

m2m_err m2mi_remote_key_new(const m2mi_remote_key_cfg *cfg, m2mi_remote_key **out)
{
	m2mi_remote_key *rk;
	m2m_err r;

	*out = NULL;
	if (cfg == NULL || cfg->fqdn == NULL || cfg->fetch == NULL || cfg->parse == NULL ||
	    (cfg->match == NULL && (cfg->path == NULL || (cfg->kind != M2M_ID_KEID && cfg->kind != M2M_ID_KCID))) ||
	    strlen(cfg->fqdn) >= sizeof(rk->fqdn) ||
	    m2m_id_check_fqdn(cfg->fqdn, strlen(cfg->fqdn)) != M2M_OK)
		return M2M_E_INVAL;
	if ((rk = calloc(1, sizeof(*rk))) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; cfg->fqdn[i]; i++) /* identifiers carry the FQDN in lowercase (canonical) */
		rk->fqdn[i] = (char)(cfg->fqdn[i] >= 'A' && cfg->fqdn[i] <= 'Z' ? cfg->fqdn[i] + 32 : cfg->fqdn[i]);
	rk->kind = cfg->kind;
	rk->suid = cfg->suid;
	rk->path = cfg->path;
	rk->parse = cfg->parse;
	rk->fetch = cfg->fetch;
	rk->fetch_ctx = cfg->fetch_ctx;
	atomic_init(&rk->done, cfg->done ? cfg->done : m2m_psk_wait_done_post);
	rk->clock = cfg->clock ? cfg->clock : wall;
	rk->observe = cfg->observe;
	rk->observe_ctx = cfg->observe_ctx;
	rk->match = cfg->match;
	rk->match_ctx = cfg->match_ctx;
	snprintf(rk->self_abs, sizeof(rk->self_abs), "%s", cfg->self_abs != NULL ? cfg->self_abs : "");
	snprintf(rk->self_rel, sizeof(rk->self_rel), "%s", cfg->self_rel != NULL ? cfg->self_rel : "");
	if ((r = m2mi_key_cache_new(&cfg->lim, &rk->cache)) != M2M_OK) {
		free(rk);
		return r;
	}
	*out = rk;
	return M2M_OK;
}

/* Wake one waiting handshake: each gets its own copy of the key (m2m_psk_wait_done consumes). */
static void wake(void *arg, void *w, m2m_err err, const m2m_key *key, const m2m_sa *sa)
{
	m2mi_remote_key *rk = arg;
	m2m_key *copy = NULL;

	if (err == M2M_OK && (err = m2m_key_dup(key, &copy)) != M2M_OK)
		copy = NULL;
	(void)atomic_load(&rk->done)(w, err, err == M2M_OK ? copy : NULL, err == M2M_OK ? sa : NULL);
}

void m2mi_remote_key_free(m2mi_remote_key *rk)
{
	if (rk == NULL)
		return;
	m2mi_key_cache_free(rk->cache, wake, rk);
	free(rk);
}

void m2mi_remote_key_set_done(m2mi_remote_key *rk, m2mi_remote_wait_done_fn done)
{
	atomic_store(&rk->done, done);
}

void m2mi_remote_key_set_suid_refused(m2mi_remote_key *rk, bool refused)
{
	atomic_store(&rk->suid_refused, refused);
}

int m2mi_remote_key_suid(const m2mi_remote_key *rk)
{
	return rk->suid;
}

size_t m2mi_remote_key_cached(m2mi_remote_key *rk)
{
	return m2mi_key_cache_size(rk->cache);
}

/* The transport's answer (any thread). */
static void on_rsp(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	fetch *f = arg;
	m2mi_remote_key *rk = f->rk;
	int64_t now = rk->clock();
	m2m_key *key = NULL;
	m2m_sa sa;
	m2m_err err;

	(void)status;
	memset(&sa, 0, sizeof(sa));
	if (result != 0)
		err = M2M_E_IO; /* service unreachable or too slow: refuse now, ask again next time */
	else
		err = rk->parse(rsc, body, len, f->kid, rk->suid, now, &key, &sa);
	if (err == M2M_OK && (rk->self_abs[0] != '\0' || rk->self_rel[0] != '\0') &&
	    !m2mi_maf_rsp_names(body, len, rk->self_abs, rk->self_rel))
		err = M2M_E_PROTO; /* a key not for this entity: fail closed, not cached */
	if (err != M2M_OK && key != NULL) { /* a parser must not hand out a key with an error */
		m2m_key_free(key);
		key = NULL;
	}
	m2mi_metrics_fetch(rk->kind == M2M_ID_KCID ? M2MI_LINK_MAF : M2MI_LINK_MEF, err == M2M_OK);
	if (rk->observe != NULL)
		rk->observe(rk->observe_ctx, f->kid, err, key, err == M2M_OK ? &sa : NULL);
	m2mi_key_cache_complete(rk->cache, f->kid, now, err, key, err == M2M_OK ? &sa : NULL, wake, rk);
	m2m_memzero(&sa, sizeof(sa));
	free(f);
}

m2m_err m2mi_remote_key_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			      m2m_sa *binding)
{
	m2mi_remote_key *rk = ctx;
	m2m_id *id = NULL;
	fetch *f;
	char path[M2M_GBA_ZN_PATH_MAX];
	m2m_err err = M2M_OK;
	m2mi_kc_result res;

	*key = NULL;
	if (rk->match != NULL) { /* identities that are no m2m_id: the BSF's B-TIDs */
		char kid[M2M_SA_ID_MAX];
		if (rk->match(rk->match_ctx, identity, rk->fqdn, kid, sizeof(kid), path, sizeof(path)) != 0)
			return M2M_E_NOT_FOUND;
		if (atomic_load(&rk->suid_refused))
			return M2M_E_AUTH;
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return M2M_E_NOMEM;
		f->rk = rk;
		snprintf(f->kid, sizeof(f->kid), "%s", kid);
		goto lookup;
	}
	if (m2m_id_parse(identity, strlen(identity), rk->kind, &id) != M2M_OK)
		return M2M_E_NOT_FOUND; /* not this kind of identifier: another resolver's identity */
	if (strcmp(m2m_id_fqdn(id), rk->fqdn) != 0 || strlen(m2m_id_canonical(id)) >= sizeof(f->kid)) {
		m2m_id_free(id);
		return M2M_E_NOT_FOUND; /* an identifier of another service */
	}
	if (atomic_load(&rk->suid_refused)) {
		m2m_id_free(id);
		return M2M_E_AUTH; /* security profile: SUID not accepted (or no valid profile) */
	}
	if (rk->path(id, rk->suid, path, sizeof(path)) != 0 || (f = calloc(1, sizeof(*f))) == NULL) {
		m2m_id_free(id);
		return M2M_E_NOMEM;
	}
	f->rk = rk;
	snprintf(f->kid, sizeof(f->kid), "%s", m2m_id_canonical(id));
	m2m_id_free(id);
lookup:
	res = m2mi_key_cache_get(rk->cache, f->kid, now, w, key, binding, &err);
	if (res != M2MI_KC_FULL) /* a hit or a cached refusal answers at once; else a fetch is waited on */
		m2mi_metrics_cache(M2MI_CACHE_PSK, res == M2MI_KC_HIT || res == M2MI_KC_NEGATIVE);
	switch (res) {
	case M2MI_KC_HIT:
		free(f);
		return M2M_OK;
	case M2MI_KC_NEGATIVE:
		free(f);
		return err != M2M_OK ? err : M2M_E_AUTH;
	case M2MI_KC_PENDING:
		free(f);
		return M2M_OK; /* *key NULL: wait for the fetch in flight */
	case M2MI_KC_FULL:
		free(f);
		return M2M_E_AUTH; /* no waiting possible or too many fetches: fail closed */
	case M2MI_KC_START:
		break;
	}
	if (rk->fetch(rk->fetch_ctx, path, on_rsp, f) != 0) {
		/* not started: end the pending entry (wakes w through done, asynchronously) */
		m2mi_metrics_fetch(rk->kind == M2M_ID_KCID ? M2MI_LINK_MAF : M2MI_LINK_MEF, false);
		m2mi_key_cache_complete(rk->cache, f->kid, rk->clock(), M2M_E_IO, NULL, NULL, wake, rk);
		free(f);
	}
	return M2M_OK;
}
