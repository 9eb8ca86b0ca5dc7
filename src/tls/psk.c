/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Association Security Handshake of the PSK-based SAEFs on the server
 * side (TS-0003 clause 8.2.2.1, Provisioned Symmetric Key SAEF: (D)TLS-PSK per RFC 4279 with
 * psk_identity = KpsaID and psk = Kpsa; the same callback will serve the MAF-based SAEF of clause
 * 8.2.2.3, psk_identity = hexBinary(KcID)@MAF-FQDN, and MEF-provisioned KeIDs). The PSK
 * callback checks that the identity has the shape of a key identifier (clauses 10.3.4, 10.3.5,
 * 10.5), then asks a chain of resolvers in order: the psk-file, the credential store (the one
 * place that decides revocation and expiry), then any resolver added later. The first answer
 * wins; "not found" passes on; any other error ends the handshake. The key is copied into the
 * OpenSSL buffer and every copy wiped; the binding of clause 8.2.1 (bound AE-ID/CSE-ID and the
 * Credential-ID of clause 10.4) goes into the connection's slot for m2m_tls_peer_sa().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "m2msec/credstore.h"
#include "m2msec/gba.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "store/credstore_backend.h"
#include "tls/tls_int.h"

static m2m_err add_resolver(m2m_tls *tls, m2m_psk_resolve_fn fn, void *ctx)
{
	if (tls->nresolvers >= M2MI_TLS_RESOLVERS_MAX)
		return M2M_E_RANGE;
	tls->resolvers[tls->nresolvers].fn = fn;
	tls->resolvers[tls->nresolvers].afn = NULL;
	tls->resolvers[tls->nresolvers].ctx = ctx;
	tls->resolvers[tls->nresolvers].esprim_only = false;
	tls->nresolvers++;
	return M2M_OK;
}

m2m_err m2m_tls_add_psk_resolver(m2m_tls *tls, m2m_psk_resolve_fn fn, void *ctx)
{
	if (!m2mi_tls_ok(tls) || fn == NULL)
		return M2M_E_INVAL;
	return add_resolver(tls, fn, ctx);
}

static m2m_err add_async(m2m_tls *tls, m2m_psk_start_fn start_fn, void *ctx, bool esprim_only)
{
	if (!m2mi_tls_ok(tls) || start_fn == NULL)
		return M2M_E_INVAL;
	if (m2mi_psk_async_indices() != M2M_OK)
		return M2M_E_CRYPTO;
	if (tls->nresolvers >= M2MI_TLS_RESOLVERS_MAX)
		return M2M_E_RANGE;
	tls->resolvers[tls->nresolvers].fn = NULL;
	tls->resolvers[tls->nresolvers].afn = start_fn;
	tls->resolvers[tls->nresolvers].ctx = ctx;
	tls->resolvers[tls->nresolvers].esprim_only = esprim_only;
	tls->nresolvers++;
	tls->has_async = true;
	return M2M_OK;
}

m2m_err m2m_tls_add_psk_resolver_async(m2m_tls *tls, m2m_psk_start_fn start_fn, void *ctx)
{
	return add_async(tls, start_fn, ctx, false);
}

m2m_err m2m_tls_add_esprim_resolver_async(m2m_tls *tls, m2m_psk_start_fn start_fn, void *ctx)
{
	return add_async(tls, start_fn, ctx, true);
}

bool m2m_tls_has_async(const m2m_tls *tls)
{
	return m2mi_tls_ok(tls) && tls->has_async;
}

/* The psk-file resolver on the current table (m2m_tls_reload swaps it, tls_reload.c). */
static m2m_err psk_file_resolve(void *ctx, const char *identity, int64_t now, m2m_key **key, m2m_sa *binding)
{
	m2m_tls *tls = ctx;
	m2m_err r;

	if (pthread_rwlock_rdlock(&tls->psk_mu) != 0)
		return M2M_E_INTERNAL;
	r = m2mi_psk_file_resolve(tls->psk_table, identity, now, key, binding);
	pthread_rwlock_unlock(&tls->psk_mu);
	return r;
}

/* Entity kind of a bound identity: AE for an AE-ID, CSE for a CSE-ID, else UNKNOWN. */
static m2m_entity_kind entity_of(const char *bound, char *canon, size_t cap)
{
	m2m_entity_kind k = M2M_ENTITY_UNKNOWN;
	m2m_id *id = NULL;

	if (bound == NULL || bound[0] == '\0' || m2m_id_parse(bound, strlen(bound), M2M_ID_ANY, &id) != M2M_OK)
		return M2M_ENTITY_UNKNOWN;
	if (m2m_id_kind_of(id) == M2M_ID_AE_ID)
		k = M2M_ENTITY_AE;
	else if (m2m_id_kind_of(id) == M2M_ID_CSE_ID)
		k = M2M_ENTITY_CSE;
	if (k != M2M_ENTITY_UNKNOWN && m2mi_tls_copy(canon, cap, m2m_id_canonical(id)) != M2M_OK)
		k = M2M_ENTITY_UNKNOWN;
	m2m_id_free(id);
	return k;
}

/*
 * The credential-store resolver: Kpsa records only; m2m_credstore_lookup_key decides
 * revocation, expiry and not-yet-valid. The record's owner is the bound identity (an owner that
 * is not an AE-ID or CSE-ID leaves only the Credential-ID known, entity UNKNOWN).
 */
static m2m_err store_resolve(void *ctx, const char *identity, int64_t now, m2m_key **key, m2m_sa *binding)
{
	m2m_tls *tls = ctx;
	m2m_cred_info *info = NULL;
	m2m_key *k = NULL;
	m2m_err r;

	*key = NULL;
	{ /* a B-TID (TS 33.222) is no credential-store identifier: the NAF's resolver decides */
		uint8_t rnd[M2M_KDF_GBA_RAND_LEN];
		bool btid = m2m_gba_btid_parse(identity, rnd, NULL, 0) == M2M_OK;
		m2m_memzero(rnd, sizeof(rnd));
		if (btid)
			return M2M_E_NOT_FOUND;
	}
	pthread_mutex_lock(&tls->store_lock);
	/* key and record from one read of the store (the ESPrim Receiver resolves a kid for every
	 * protected request: a second read was a quarter of its cost, bench/e2e section 2) */
	r = m2m_credstore_lookup(tls->store, identity, M2M_CRED_KIND_KPSA, now, &k, &info);
	pthread_mutex_unlock(&tls->store_lock);
	if (r != M2M_OK)
		goto out;
	memset(binding, 0, sizeof(*binding));
	binding->kind = M2M_SA_PSK;
	binding->entity = entity_of(info->owner, binding->bound_id, sizeof(binding->bound_id));
	binding->suid = info->suid;
	binding->expiry = info->not_after;
	if (snprintf(binding->credential_id, sizeof(binding->credential_id), "%d-%s", M2M_CRED_KPSAID_KCID,
		     m2m_key_id(k)) >= (int)sizeof(binding->credential_id)) {
		r = M2M_E_RANGE;
		goto out;
	}
	*key = k;
	k = NULL;
out:
	m2m_key_free(k);
	m2m_credstore_info_free(info);
	return r;
}

/*
 * The credential store on another server (PostgreSQL, docs/scale-out.md): the lookup is a network
 * round trip, so inside a handshake it runs on one worker thread of this m2m_tls while the
 * handshake waits in the paused-handshake mechanism of psk_async.c (its deadline
 * psk-lookup-timeout-ms and cap psk-lookups-max are the transport's, as for a MEF KeID). The
 * answer is never cached: each handshake asks the store (revocation bound 0). One thread is
 * enough: the store handle is one connection under a mutex (store/credstore_pg.c). A lookup
 * the worker cannot take (queue full, cap reached: w NULL) fails closed at once.
 */
#define STORE_QUEUE_MAX 1024

struct store_job {
	struct store_job *next;
	m2m_psk_wait *w;
	char identity[M2MI_PSK_IDENTITY_MAX + 1];
};

struct m2mi_store_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	struct store_job *head, *tail;
	size_t n;
	bool stopping; /* m2m_tls_free: the loops have stopped */
	m2m_tls *tls;
};

static void *store_worker(void *arg)
{
	struct m2mi_store_pool *p = arg;

	for (;;) {
		struct store_job *j;
		m2m_key *k = NULL;
		m2m_sa b;
		m2m_err r;
		bool direct;

		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			return NULL; /* m2mi_psk_store_pool_free answers what is queued */
		}
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->n--;
		pthread_mutex_unlock(&p->mu);
		memset(&b, 0, sizeof(b));
		/* the time of the lookup, not of the queueing: a revocation meanwhile is honoured */
		r = store_resolve(p->tls, j->identity, (int64_t)time(NULL), &k, &b);
		pthread_mutex_lock(&p->mu);
		direct = p->stopping; /* the loops are gone: nothing would run a posted answer */
		pthread_mutex_unlock(&p->mu);
		if (direct)
			m2m_psk_wait_done(j->w, r, k, r == M2M_OK ? &b : NULL);
		else
			(void)m2m_psk_wait_done_post(j->w, r, k, r == M2M_OK ? &b : NULL);
		m2m_memzero(&b, sizeof(b));
		m2m_freezero(j, sizeof(*j));
	}
}

static bool is_btid(const char *identity)
{
	uint8_t rnd[M2M_KDF_GBA_RAND_LEN];
	bool btid = m2m_gba_btid_parse(identity, rnd, NULL, 0) == M2M_OK;

	m2m_memzero(rnd, sizeof(rnd));
	return btid;
}

static m2m_err store_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			   m2m_sa *binding)
{
	m2m_tls *tls = ctx;
	struct m2mi_store_pool *p = tls->store_pool;
	struct store_job *j;
	size_t len = strnlen(identity, M2MI_PSK_IDENTITY_MAX + 1);

	if (p == NULL) /* stopped (m2m_tls_stop_lookups): no loop runs any more, nothing to wait on */
		return M2M_E_STORE;

	(void)now;
	(void)binding;
	*key = NULL;
	if (is_btid(identity))
		return M2M_E_NOT_FOUND; /* the NAF's resolver decides (store_resolve) */
	if (w == NULL || len > M2MI_PSK_IDENTITY_MAX)
		return M2M_E_STORE; /* no wait possible (psk-lookups-max): never on the loop; fail closed */
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return M2M_E_NOMEM;
	memcpy(j->identity, identity, len + 1);
	j->w = w;
	pthread_mutex_lock(&p->mu);
	if (p->stopping || p->n >= STORE_QUEUE_MAX) {
		pthread_mutex_unlock(&p->mu);
		m2m_freezero(j, sizeof(*j));
		return M2M_E_STORE;
	}
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->n++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return M2M_OK; /* waiting: the worker answers through w */
}

static m2m_err store_pool_start(m2m_tls *tls)
{
	struct m2mi_store_pool *p;

	if (tls->nresolvers == 0 || tls->resolvers[tls->nresolvers - 1].fn != store_resolve)
		return M2M_E_INTERNAL;
	if (m2mi_psk_async_indices() != M2M_OK)
		return M2M_E_CRYPTO;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return M2M_E_NOMEM;
	p->tls = tls;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return M2M_E_INTERNAL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0 || pthread_create(&p->th, NULL, store_worker, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p); /* a cond that was initialised is trivially destroyed with the pool */
		return M2M_E_INTERNAL;
	}
	tls->store_pool = p;
	tls->resolvers[tls->nresolvers - 1].afn = store_start;
	tls->has_async = true;
	return M2M_OK;
}

void m2m_tls_stop_lookups(m2m_tls *tls)
{
	if (m2mi_tls_ok(tls))
		m2mi_psk_store_pool_free(tls);
}

void m2mi_psk_store_pool_free(m2m_tls *tls)
{
	struct m2mi_store_pool *p = tls->store_pool;
	struct store_job *j;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL); /* at most one lookup, bounded by the store's statement deadline */
	while ((j = p->head) != NULL) { /* each wait gets its one done call (fails closed) */
		p->head = j->next;
		m2m_psk_wait_done(j->w, M2M_E_STORE, NULL, NULL);
		m2m_freezero(j, sizeof(*j));
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	tls->store_pool = NULL;
}

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len);

void m2mi_psk_install(SSL_CTX *ctx)
{
	SSL_CTX_set_psk_server_callback(ctx, psk_server_cb);
}

m2m_err m2mi_psk_setup(m2m_tls *tls, const m2m_tls_config *cfg, char *errmsg, size_t errcap)
{
	char msg[200];
	m2m_err r;

	/* the callback itself is installed by m2mi_tls_ctx_build (m2mi_psk_install) */
	if (cfg->psk_file != NULL) {
		if ((r = m2mi_psk_file_load(cfg->psk_file, &tls->psk_table, msg, sizeof(msg))) != M2M_OK) {
			snprintf(errmsg, errcap, "psk file: %s", msg);
			return r;
		}
		if ((tls->psk_file = strdup(cfg->psk_file)) == NULL)
			return M2M_E_NOMEM;
		if (pthread_rwlock_init(&tls->psk_mu, NULL) != 0)
			return M2M_E_INTERNAL;
		tls->psk_mu_init = true;
		if ((r = add_resolver(tls, psk_file_resolve, tls)) != M2M_OK)
			return r;
	}
	if (cfg->store != NULL) {
		if (pthread_mutex_init(&tls->store_lock, NULL) != 0)
			return M2M_E_INTERNAL;
		tls->store_lock_init = true;
		tls->store = cfg->store;
		if ((r = add_resolver(tls, store_resolve, tls)) != M2M_OK)
			return r;
		/* A store on another server: the handshake waits off the loop (store_start). */
		if (m2mi_credstore_is_remote(cfg->store) && (r = store_pool_start(tls)) != M2M_OK)
			return r;
	}
	return M2M_OK;
}

/* Complete and check what a resolver returned; any doubt fails closed. */
static m2m_err finish_binding(const char *canon_identity, const m2m_key *key, int64_t now, m2m_sa *b)
{
	int64_t nb = 0, na = 0;
	char bound[M2M_SA_ID_MAX];
	m2m_err r;

	if ((r = m2m_key_check_validity(key, now)) != M2M_OK)
		return r;
	b->kind = M2M_SA_PSK;
	b->bound_id[sizeof(b->bound_id) - 1] = '\0';
	b->credential_id[sizeof(b->credential_id) - 1] = '\0';
	if (b->bound_id[0] != '\0') {
		m2m_entity_kind k = entity_of(b->bound_id, bound, sizeof(bound));
		if (k == M2M_ENTITY_UNKNOWN || (b->entity != M2M_ENTITY_UNKNOWN && b->entity != k))
			return M2M_E_AUTH;
		b->entity = k;
		memcpy(b->bound_id, bound, sizeof(bound));
	} else if (b->entity != M2M_ENTITY_UNKNOWN) {
		return M2M_E_AUTH; /* an entity kind without an identity */
	}
	if (b->credential_id[0] == '\0' &&
	    snprintf(b->credential_id, sizeof(b->credential_id), "%d-%s", M2M_CRED_KPSAID_KCID,
		     canon_identity) >= (int)sizeof(b->credential_id))
		return M2M_E_RANGE;
	m2m_key_validity(key, &nb, &na);
	if (b->expiry == 0 || (na != 0 && na < b->expiry))
		b->expiry = na;
	if (b->suid == 0)
		b->suid = m2m_key_suid(key);
	return M2M_OK;
}

/* The chain; ssl (may be NULL) lets an asynchronous resolver pause the handshake; with kick
 * (outside a handshake) an asynchronous resolver may keep a wait instead: M2M_OK, *key NULL. */
static m2m_err resolve(m2m_tls *tls, SSL *ssl, const struct m2mi_psk_kick *kick, bool esprim, const char *identity,
		       int64_t now, m2m_key **key, m2m_sa *binding)
{
	m2m_id *id = NULL;
	m2m_id_kind kind;
	m2m_key *k = NULL;
	size_t len;
	m2m_err r = M2M_E_NOT_FOUND;

	*key = NULL;
	memset(binding, 0, sizeof(*binding));
	if (!m2mi_tls_ok(tls) || identity == NULL)
		return M2M_E_INVAL;
	/* Refused before any lookup unless it has the shape of a key identifier. */
	len = strnlen(identity, M2MI_PSK_IDENTITY_MAX + 1);
	if (len > M2MI_PSK_IDENTITY_MAX)
		return M2M_E_ID_BAD_FORM;
	if (m2m_id_parse(identity, len, M2M_ID_ANY, &id) != M2M_OK) {
		/* TS 33.222 clause 5.4.0.1: a UE bootstrapped by GBA presents its B-TID; a resolver of
		 * the NAF (remote/gba_zn_rsp.c) decides whether it is one of its BSF's. */
		uint8_t rnd[M2M_KDF_GBA_RAND_LEN];
		r = m2m_gba_btid_parse(identity, rnd, NULL, 0);
		m2m_memzero(rnd, sizeof(rnd));
		if (r != M2M_OK)
			return M2M_E_ID_BAD_FORM;
		r = M2M_E_NOT_FOUND;
		kind = M2M_ID_KEID; /* the B-TID is the KeID (TS-0003 clause 8.3.2.3) */
	} else {
		kind = m2m_id_kind_of(id);
	}
	if (kind != M2M_ID_KPSAID && kind != M2M_ID_KEID && kind != M2M_ID_KCID) {
		r = M2M_E_ID_BAD_FORM;
		goto out;
	}
	m2mi_tls_metrics_mark(ssl, kind == M2M_ID_KEID ? M2MI_HS_PSK_MEF : kind == M2M_ID_KCID ? M2MI_HS_PSK_MAF
											: M2MI_HS_PSK);
	for (size_t i = 0; i < tls->nresolvers; i++) {
		/* An ESPrim lookup asks the local resolvers and the remote ones that fetch ESPrim keys
		 * (their own SUID and cache: a MEF KeID names a SUID 22 key and a SUID 23 key alike);
		 * a handshake or a plain lookup never asks the latter (TS-0004 Table 6.3.4.2.39-1: an
		 * ESPrim key is no hop-by-hop key). */
		if (tls->resolvers[i].esprim_only ? !esprim : esprim && tls->resolvers[i].afn != NULL)
			continue;
		memset(binding, 0, sizeof(*binding));
		/* A resolver with a synchronous twin (the credential store on PostgreSQL) waits only inside
		 * a handshake: it has no cache for a kick's second ask to find the answer in. */
		if (tls->resolvers[i].afn != NULL && kick != NULL && tls->resolvers[i].fn == NULL) {
			r = m2mi_psk_async_kick(&tls->resolvers[i], kick, identity, now, &k, binding);
			if (r == M2M_OK && k == NULL) { /* the resolver waits: kick comes with its answer */
				m2m_id_free(id);
				memset(binding, 0, sizeof(*binding));
				return M2M_OK;
			}
		} else if (tls->resolvers[i].afn != NULL && (ssl != NULL || tls->resolvers[i].fn == NULL)) {
			r = m2mi_psk_async_call(&tls->resolvers[i], ssl, identity, now, &k, binding);
			/* the lookup may have waited: the validity checks below use the time of the answer */
			if (ssl != NULL)
				now = (int64_t)time(NULL);
		} else
			r = tls->resolvers[i].fn(tls->resolvers[i].ctx, identity, now, &k, binding);
		if (r == M2M_OK && k == NULL)
			r = M2M_E_INTERNAL;
		if (r != M2M_E_NOT_FOUND) {
			if (r == M2M_OK && kind == M2M_ID_KPSAID)
				m2mi_tls_metrics_mark(ssl, tls->resolvers[i].fn == psk_file_resolve ? M2MI_HS_PSK_FILE
								  : tls->resolvers[i].fn == store_resolve ? M2MI_HS_PSK_STORE
								  : M2MI_HS_PSK);
			break;
		}
		m2m_key_free(k);
		k = NULL;
	}
	if (r != M2M_OK)
		goto out;
	if ((r = finish_binding(id != NULL ? m2m_id_canonical(id) : identity, k, now, binding)) != M2M_OK)
		goto out;
	*key = k;
	k = NULL;
out:
	if (r != M2M_OK)
		memset(binding, 0, sizeof(*binding));
	m2m_key_free(k);
	m2m_id_free(id);
	return r;
}

m2m_err m2m_tls_set_psk_hint(m2m_tls *tls, const char *hint)
{
	size_t n = hint != NULL ? strlen(hint) : 0;

	if (!m2mi_tls_ok(tls) || n == 0 || n >= sizeof(tls->psk_hint))
		return M2M_E_INVAL;
	for (size_t i = 0; i < n; i++)
		if (hint[i] < 0x21 || hint[i] > 0x7e)
			return M2M_E_INVAL;
	memcpy(tls->psk_hint, hint, n + 1);
	/* also kept in psk_hint: every context built later (a reload, the DTLS twin) sends it */
	if (pthread_rwlock_wrlock(&tls->ctx_mu) != 0)
		return M2M_E_INTERNAL;
	n = SSL_CTX_use_psk_identity_hint(tls->ctx, hint) == 1;
	pthread_rwlock_unlock(&tls->ctx_mu);
	return n ? M2M_OK : M2M_E_CRYPTO;
}

m2m_err m2mi_psk_resolve(m2m_tls *tls, const char *identity, int64_t now, m2m_key **key, m2m_sa *binding)
{
	return resolve(tls, NULL, NULL, false, identity, now, key, binding);
}

m2m_err m2m_tls_psk_lookup(m2m_tls *tls, const char *identity, int64_t now, void (*kick)(void *), void *kick_arg,
			   m2m_key **key, m2m_sa *binding)
{
	struct m2mi_psk_kick k = {kick, kick_arg};

	if (key == NULL || binding == NULL)
		return M2M_E_INVAL;
	return resolve(tls, NULL, kick != NULL ? &k : NULL, false, identity, now, key, binding);
}

m2m_err m2m_tls_esprim_lookup(m2m_tls *tls, const char *identity, int64_t now, void (*kick)(void *), void *kick_arg,
			      m2m_key **key, m2m_sa *binding)
{
	struct m2mi_psk_kick k = {kick, kick_arg};

	if (key == NULL || binding == NULL)
		return M2M_E_INVAL;
	return resolve(tls, NULL, kick != NULL ? &k : NULL, true, identity, now, key, binding);
}

/* RFC 4279 server callback (also used by OpenSSL 3.0 for TLS 1.3 external PSKs with SHA-256
 * suites). Returns the key length, or 0 to refuse: the handshake then fails. */
static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len)
{
	m2m_tls *tls = m2mi_tls_of_ssl(ssl);
	m2m_key *key = NULL;
	m2m_sa sa;
	const uint8_t *b;
	size_t n = 0;
	unsigned int ret = 0;
	m2m_err r;

	if (tls == NULL || identity == NULL) {
		r = M2M_E_INVAL;
		goto out;
	}
	if ((r = resolve(tls, ssl, NULL, false, identity, (int64_t)time(NULL), &key, &sa)) != M2M_OK)
		goto out;
	/* A key scoped to end-to-end security (TS-0004 Table 6.3.4.2.39-1: SUID x3 ESPrim, x4/x5
	 * ESData; e.g. an ESCertKE pairwiseE2EKey, SUID 43) never becomes a hop-by-hop TLS key; the
	 * chain still resolves it for the ESPrim receiver (m2mi_psk_resolve). */
	if (sa.suid >= 13 && sa.suid <= 45 && sa.suid % 10 >= 3 && sa.suid % 10 <= 5) {
		r = M2M_E_AUTH;
		goto out;
	}
	b = m2m_key_bytes(key, &n);
	if (b == NULL || n == 0 || n > max_psk_len) {
		r = M2M_E_KEY_LEN;
		goto out;
	}
	if ((r = m2mi_tls_set_sa(ssl, &sa)) != M2M_OK)
		goto out;
	if ((r = m2mi_psk_keep(tls, ssl, key)) != M2M_OK)
		goto out;
	memcpy(psk, b, n);
	ret = (unsigned int)n;
out:
	/* A malformed identity is not echoed: a confused client may have put its key there. */
	if (r != M2M_OK)
		m2mi_tls_log_refused(__func__, "PSK identity", r == M2M_E_ID_BAD_FORM ? "(malformed)" : identity, r);
	m2m_key_free(key);
	m2m_memzero(&sa, sizeof(sa));
	return ret;
}
