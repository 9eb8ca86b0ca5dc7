/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE as ESCertKE Terminating End-Point (TS-0003 clause 8.7, TS-0001
 * clause 11.4.3, TS-0004 clause 7.5.1.2.12): a NOTIFY to this CSE's <CSEBase> ("/id-in/.",
 * "/id-in", "cse-in", absolute forms) whose Content is an m2m:seci of type 6 carries an ESCertKE
 * message (decoded and routed here by the one seci_handlers table of esprim_rx.c); message 1 opens a procedure recorded under the From of the request (C.1a), message 3
 * is correlated with it by From (C.1c), and each answer carries the next message in seci sit 6.
 * Procedures in progress are bounded in number (escertke-sessions) and lifetime
 * (escertke-lifetime); message 3 without a live procedure for its From (another From, a replay,
 * an expired one) is refused. On success the pairwiseE2EKey is stored in the credential store
 * (kind KPSA, SUID 43, id hex(pairwiseE2EKeyID)@<this CSE's domain name>, owner = the
 * initiator's identity from its certificate) where the ESPrim receiver finds it as a
 * pairwiseESPrimKey; at most escertke-keys such keys per initiator (the oldest goes).
 * An <AE> as Terminating End-Point is the AE's own business: the CSE holds no AE's private key,
 * so it never terminates for one (docs/procedures/e2e.md "ESCertKE").
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/esprim_int.h"
#include "m2msec/credstore.h"
#include "m2msec/escertke.h"
#include "m2msec/id.h"
#include "m2msec/log.h"
#include "m2msec/seci_e2e.h"
#include "services/cse/cse_int.h"

#define ECK_SUID 43 /* the ESCertKE-derived pairwiseESPrimKey (docs/procedures/e2e.md) */

struct eck_sess {
	char from[M2M_ORIG_MAX]; /* "" = free slot */
	m2m_escertke *e;
	int64_t expires;
};

struct m2mi_eck {
	m2m_escertke_ctx *ctx;
	m2m_credstore *store;
	pthread_mutex_t mu; /* sessions and store */
	char fqdn[256];     /* this CSE's domain name: the key identifiers' FQDN */
	int lifetime, keys;
	size_t n;
	struct eck_sess *sess;
};

m2m_err m2mi_eck_new(const m2m_cse_config *cfg, m2mi_eck **out)
{
	m2m_escertke_config ec = {.cert_file = cfg->cert, .key_file = cfg->key, .trust_anchors = cfg->trust_anchors,
				  .sp_id = cfg->sp_id, .cse_id = cfg->cse_id};
	m2mi_eck *k;
	m2m_id *id = NULL;
	char msg[256];
	m2m_err r;

	*out = NULL;
	if (!cfg->escertke)
		return M2M_OK;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->sess = calloc((size_t)cfg->escertke_sessions, sizeof(*k->sess))) == NULL) {
		free(k);
		return M2M_E_NOMEM;
	}
	pthread_mutex_init(&k->mu, NULL);
	k->n = (size_t)cfg->escertke_sessions;
	k->lifetime = cfg->escertke_lifetime;
	k->keys = cfg->escertke_keys;
	if ((r = m2m_escertke_ctx_new(&ec, false, &k->ctx, msg, sizeof(msg))) != M2M_OK) {
		m2m_log(M2M_LOG_ERROR, "escertke: %s%s%s", m2m_strerror(r), msg[0] ? ": " : "", msg);
		goto fail;
	}
	r = M2M_E_CONFIG;
	if (strncmp(cfg->sp_id, "//", 2) != 0 ||
	    (r = m2m_id_parse(cfg->cse_id, strlen(cfg->cse_id), M2M_ID_CSE_ID, &id)) != M2M_OK ||
	    (r = m2m_id_cse_domain_name(id, cfg->sp_id + 2, k->fqdn, sizeof(k->fqdn))) != M2M_OK ||
	    (r = m2m_credstore_open(cfg->cred_store, &k->store)) != M2M_OK) {
		m2m_log(M2M_LOG_ERROR, "escertke: cse-id / sp-id / cred-store: %s", m2m_strerror(r));
		goto fail;
	}
	m2m_id_free(id);
	*out = k;
	return M2M_OK;
fail:
	m2m_id_free(id);
	m2mi_eck_free(k);
	return r;
}

void m2mi_eck_free(m2mi_eck *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++)
		m2m_escertke_free(k->sess[i].e);
	free(k->sess);
	m2m_escertke_ctx_free(k->ctx);
	m2m_credstore_close(k->store);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

/* A ClientHello record: handshake (22), TLS major 3, first message type client_hello (1). */
static bool is_hello(const uint8_t *m, size_t n)
{
	return n > 5 && m[0] == 22 && m[1] == 3 && m[5] == 1;
}

/* Under mu: the slot of from (expired ones are freed on the way), or NULL. */
static struct eck_sess *find(m2mi_eck *k, const char *from, int64_t now)
{
	struct eck_sess *hit = NULL;

	for (size_t i = 0; i < k->n; i++) {
		struct eck_sess *s = &k->sess[i];

		if (s->from[0] != '\0' && s->expires <= now) {
			m2m_escertke_free(s->e);
			memset(s, 0, sizeof(*s));
		}
		if (s->from[0] != '\0' && strcmp(s->from, from) == 0) /* public: identifiers */
			hit = s;
	}
	return hit;
}

struct oldest {
	const char *owner;
	char id[M2M_SA_ID_MAX];
	int64_t at;
};

static m2m_err oldest_cb(const m2m_cred_info *info, void *arg)
{
	struct oldest *o = arg;

	if (info->suid == ECK_SUID && info->owner != NULL && strcmp(info->owner, o->owner) == 0 && /* public */
	    (o->id[0] == '\0' || info->created_at < o->at)) {
		snprintf(o->id, sizeof(o->id), "%s", info->id);
		o->at = info->created_at;
	}
	return M2M_OK;
}

/* Store the key (under mu); the initiator's oldest ESCertKE key goes when it holds escertke-keys. */
static m2m_err store_key(m2mi_eck *k, const m2m_key *key, const char *id, const char *owner, int64_t now)
{
	m2m_cred_info info = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)id, .owner = (char *)owner,
			      .suid = ECK_SUID, .created_at = now};
	size_t active = 0, all = 0;
	m2m_err r;

	if ((r = m2m_credstore_count_owner(k->store, M2M_CRED_KIND_KPSA, owner, now, &active, &all)) != M2M_OK)
		return r;
	if (all >= (size_t)k->keys) {
		struct oldest o = {.owner = owner};

		if ((r = m2m_credstore_list(k->store, M2M_CRED_KIND_KPSA, oldest_cb, &o)) != M2M_OK)
			return r;
		if (o.id[0] != '\0' && (r = m2m_credstore_delete(k->store, o.id)) != M2M_OK)
			return r;
	}
	return m2m_credstore_add(k->store, &info, key, NULL, NULL);
}

/* The answer: seci sit 6 with the next message (the codec's object itself, no text round trip). */
static int answer(m2mi_ctx *c, const uint8_t *m, size_t n)
{
	m2m_seci_e2e s = {.sit = M2M_SECI_ESCERTKE, .eckm = (uint8_t *)m, .eckm_len = n};
	json_t *j = NULL;

	if (m2mi_seci_e2e_to_json(&s, &j) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "ESCertKE: the answer could not be formed");
	json_decref(c->rsp->pc);
	c->rsp->pc = j;
	c->rsp->rsc = M2M_RSC_OK;
	return 0;
}

static int refuse(m2mi_ctx *c, m2m_err e)
{
	if (e == M2M_E_CERT_UNTRUSTED || e == M2M_E_CERT || e == M2M_E_CERT_NAME || e == M2M_E_AUTH)
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
				 "ESCertKE: the initiator's certificate does not authenticate the originator (%s)",
				 m2m_strerror(e));
	if (e == M2M_E_NOMEM)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "ESCertKE: out of memory");
	return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "ESCertKE: the message is not the expected TLS 1.2 flight");
}

/* Step e for From (message 1 or 3), keep it or finish it; e is consumed. */
static int run(m2mi_ctx *c, m2mi_eck *k, m2m_escertke *e, const m2m_seci_e2e *s)
{
	uint8_t *out = NULL;
	size_t n = 0;
	m2m_key *key = NULL;
	char id[M2M_SA_ID_MAX];
	m2m_err r;
	int rsc;

	if ((r = m2m_escertke_step(e, s->eckm, s->eckm_len, &out, &n)) != M2M_OK) {
		m2m_escertke_free(e);
		return refuse(c, r);
	}
	if (!m2m_escertke_done(e)) { /* message 2: keep the procedure for message 3 */
		struct eck_sess *slot = NULL;

		pthread_mutex_lock(&k->mu);
		/* frees the expired slots; a procedure of the same From that raced in is replaced */
		if ((slot = find(k, c->orig.absolute, c->now)) != NULL)
			m2m_escertke_free(slot->e);
		for (size_t i = 0; i < k->n && slot == NULL; i++)
			if (k->sess[i].from[0] == '\0')
				slot = &k->sess[i];
		if (slot != NULL) {
			snprintf(slot->from, sizeof(slot->from), "%s", c->orig.absolute);
			slot->e = e;
			slot->expires = c->now + k->lifetime;
		}
		pthread_mutex_unlock(&k->mu);
		if (slot == NULL) {
			m2m_escertke_free(e);
			free(out);
			return m2mi_fail(c, M2M_RSC_NOT_ACCEPTABLE, "ESCertKE: too many procedures in progress");
		}
		rsc = answer(c, out, n);
		free(out);
		return rsc;
	}
	/* message 4: export and store before answering, so both ends hold the key or neither */
	r = m2m_escertke_export(e, k->fqdn, &key, id, sizeof(id));
	if (r == M2M_OK) {
		pthread_mutex_lock(&k->mu);
		r = store_key(k, key, id, m2m_escertke_peer(e), c->now);
		pthread_mutex_unlock(&k->mu);
	}
	m2m_key_free(key);
	m2m_escertke_free(e);
	if (r != M2M_OK) {
		free(out);
		m2m_log(M2M_LOG_ERROR, "escertke: the pairwiseE2EKey could not be stored: %s", m2m_strerror(r));
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "ESCertKE: the key could not be stored");
	}
	m2m_log(M2M_LOG_INFO, "escertke: pairwiseE2EKey %s established with %s", id, c->orig.absolute);
	rsc = answer(c, out, n);
	free(out);
	return rsc;
}

int m2mi_eck_message(m2mi_ctx *c, const m2m_seci_e2e *in)
{
	m2mi_eck *k = c->cse->eck;
	m2m_escertke *e = NULL;
	m2m_err r;

	if (k == NULL) /* the caller checks the switch; never reached otherwise */
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "ESCertKE is not enabled on this CSE (escertke)");
	if (!c->has_orig)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "ESCertKE: the From parameter is required");
	/* TS-0001 11.4.3 C.1c: the procedure of this From, taken out while it runs */
	pthread_mutex_lock(&k->mu);
	struct eck_sess *slot = find(k, c->orig.absolute, c->now);
	if (slot != NULL) {
		e = slot->e;
		memset(slot, 0, sizeof(*slot));
	}
	pthread_mutex_unlock(&k->mu);
	if (is_hello(in->eckm, in->eckm_len)) {
		/* message 1 (C.1a): a new procedure; one in progress for this From is abandoned */
		m2m_escertke_free(e);
		e = NULL;
		if ((r = m2m_escertke_new(k->ctx, c->orig.absolute, &e)) != M2M_OK)
			return refuse(c, r);
	} else if (e == NULL) {
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST,
				 "ESCertKE: no procedure in progress for this originator (message 1 missing or expired)");
	}
	return run(c, k, e, in);
}
