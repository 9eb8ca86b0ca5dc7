/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF service core (m2msec/mef.h): configuration, workers, the
 * security association of a connection (TS-0003 clause 8.3.2.1 MEF Handshake and clause 10.3.1
 * Enrolment Key Generation from the RFC 5705 exporter), the PSK resolver of the MEF Handshake
 * (psk_identity = KpmID), request dispatch to the procedures of docs/procedures/mef.md with one
 * store transaction per request, and the audit of every outcome (never a key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "m2msec/exporter.h"
#include "m2msec/id.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"
#include "services/mef/mef_int.h"

static void audit(m2m_mef *mef, const m2m_mef_audit *ev)
{
	if (mef->cfg.audit != NULL)
		mef->cfg.audit(mef->cfg.audit_ctx, ev);
	else
		m2mi_proc_audit_log("mef", ev->procedure, ev->outcome, ev->rsc, ev->client, true, ev->enrolee_id,
				    ev->key_id, ev->suid, ev->rqi);
}

/* The durability the operator asked for must be the one in effect on the connection, or the
 * MEF does not start (as the CSE's store-sync). */
static m2m_err store_sync_check(const m2m_mef *mef, m2m_mefstore *st)
{
	m2m_mefstore_sync got;
	m2m_err r = m2m_mefstore_sync_in_effect(st, &got);

	if (r == M2M_OK && got != mef->cfg.store_sync)
		r = M2M_E_STORE;
	return r;
}

m2m_err m2m_mef_new(const m2m_mef_config *cfg, m2m_mef **out)
{
	m2m_mef *mef;
	bool ok = true;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || cfg->store == NULL || !m2mi_proc_fqdn_ok(cfg->mef_fqdn) || !m2mi_proc_sp_id_ok(cfg->sp_id) ||
	    (cfg->auth_profile_suid != 0 && !m2m_suid_valid(cfg->auth_profile_suid)) ||
	    cfg->credential_lifetime < 0 || cfg->retry_duration < 0)
		return M2M_E_CONFIG;
	if ((mef = calloc(1, sizeof(*mef))) == NULL)
		return M2M_E_NOMEM;
	mef->cfg = *cfg;
	mef->mef_fqdn = m2mi_proc_dup(cfg->mef_fqdn, &ok);
	mef->sp_id = m2mi_proc_dup(cfg->sp_id, &ok);
	mef->store = m2mi_proc_dup(cfg->store, &ok);
	mef->est_uri = m2mi_proc_dup(cfg->est_uri, &ok);
	mef->maf_fqdns = m2mi_proc_dup(cfg->maf_fqdns, &ok);
	mef->cfg.maf_fqdns = mef->maf_fqdns;
	mef->hss_file = m2mi_proc_dup(cfg->hss_file, &ok);
	mef->cfg.hss_file = mef->hss_file;
	mef->cfg.mef_fqdn = mef->mef_fqdn;
	mef->cfg.sp_id = mef->sp_id;
	mef->cfg.store = mef->store;
	mef->cfg.est_uri = mef->est_uri;
	if (mef->cfg.credential_lifetime == 0)
		mef->cfg.credential_lifetime = 86400;
	if (mef->cfg.retry_duration == 0)
		mef->cfg.retry_duration = 86400;
	if (!ok || pthread_mutex_init(&mef->mu, NULL) != 0) {
		free(mef->mef_fqdn);
		free(mef->sp_id);
		free(mef->store);
		free(mef->est_uri);
		free(mef->maf_fqdns);
		free(mef->hss_file);
		free(mef);
		return M2M_E_NOMEM;
	}
	if ((r = m2m_mefstore_open_sync(mef->store, true, mef->cfg.store_sync, &mef->st)) != M2M_OK ||
	    (r = store_sync_check(mef, mef->st)) != M2M_OK) {
		m2m_mef_free(mef);
		return r;
	}
	m2m_log(M2M_LOG_INFO, "mef store: store-sync = %s (in effect)",
		mef->cfg.store_sync == M2M_MEFSTORE_SYNC_NORMAL ? "normal" : "full");
	*out = mef;
	return M2M_OK;
}

void m2m_mef_free(m2m_mef *mef)
{
	if (mef == NULL)
		return;
	m2m_mefstore_close(mef->st);
	pthread_mutex_destroy(&mef->mu);
	free(mef->mef_fqdn);
	free(mef->sp_id);
	free(mef->store);
	free(mef->est_uri);
	free(mef->maf_fqdns);
	free(mef->hss_file);
	free(mef);
}

m2m_mefstore *m2m_mef_store(m2m_mef *mef)
{
	return mef != NULL ? mef->st : NULL;
}

m2m_err m2m_mef_worker_new(m2m_mef *mef, m2m_mef_worker **out)
{
	m2m_mef_worker *w;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (mef == NULL)
		return M2M_E_INVAL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return M2M_E_NOMEM;
	w->mef = mef;
	if ((r = m2m_mefstore_open_sync(mef->store, false, mef->cfg.store_sync, &w->st)) != M2M_OK ||
	    (r = store_sync_check(mef, w->st)) != M2M_OK || (r = m2m_kdf_new(&w->kdf)) != M2M_OK) {
		m2m_mef_worker_free(w);
		return r;
	}
	*out = w;
	return M2M_OK;
}

void m2m_mef_worker_free(m2m_mef_worker *w)
{
	if (w == NULL)
		return;
	m2m_mefstore_close(w->st);
	m2m_kdf_free(w->kdf);
	free(w);
}

/* ---- MEF Handshake: PSK resolver ---------------------------------------------------------- */

#define KPMID_CRED_PREFIX "10-" /* Credential-ID type 10 = KpmID (TS-0003 Table 12.3.2.1-1) */

m2m_err m2m_mef_psk_resolve(void *ctx, const char *identity, int64_t now, m2m_key **key, m2m_sa *binding)
{
	m2m_mef *mef = ctx;
	m2m_mef_enrolee *e = NULL;
	m2m_mef_audit ev = {.procedure = "psk-lookup"};
	m2m_err r;

	if (key != NULL)
		*key = NULL;
	if (mef == NULL || identity == NULL || key == NULL || binding == NULL)
		return M2M_E_INVAL;
	pthread_mutex_lock(&mef->mu);
	r = m2m_mefstore_kpm_lookup(mef->st, identity, now, key, &e);
	pthread_mutex_unlock(&mef->mu);
	if (r == M2M_OK)
		r = m2mi_proc_psk_binding(binding, M2M_ENTITY_UNKNOWN, e->expiry, e->enrolee_id, KPMID_CRED_PREFIX, identity);
	ev.outcome = r == M2M_OK ? "ok" : r == M2M_E_NOT_FOUND ? "unknown-client" : r == M2M_E_KEY_REVOKED ? "revoked"
		     : r == M2M_E_KEY_EXPIRED ? "expired" : "store-error";
	ev.client = identity;
	ev.enrolee_id = e != NULL ? e->enrolee_id : NULL;
	audit(mef, &ev);
	if (r != M2M_OK) {
		m2m_key_free(*key);
		*key = NULL;
		memset(binding, 0, sizeof(*binding));
	}
	m2m_mef_enrolee_free(e);
	return r;
}

/* ---- associations ------------------------------------------------------------------------- */

/* A MAF (TS-0003 clause 8.8.2.3: the MAF is an Enrolment Target of the MEF): a certificate
 * association whose DNS SAN is one of [mef] maf-fqdns. The TLS layer binds a DNS SAN
 * "<label>.<SP-FQDN>" to the CSE-ID "//<SP-FQDN>/<label>" (docs/tls.md); its public domain name
 * (m2m_mef_target_kdf_id, the inverse mapping) gives the FQDN back. Being listed decides: such
 * a certificate is a MAF only, never a CSE target nor an enrolee, so it cannot fetch a CSE's keys. */
static bool classify_maf(m2m_mef *mef, const m2m_sa *sa, m2m_mef_assoc *a)
{
	char fqdn[M2MI_MEF_ID_MAX];

	if (mef->maf_fqdns == NULL || sa->kind != M2M_SA_CERT || sa->entity != M2M_ENTITY_CSE ||
	    sa->bound_id[0] == '\0' || m2m_mef_target_kdf_id(sa->bound_id, mef->sp_id, fqdn, sizeof(fqdn)) != M2M_OK ||
	    !m2m_mef_fqdn_in_list(mef->maf_fqdns, fqdn) ||
	    m2m_mef_target_canon(fqdn, a->client_id, sizeof(a->client_id)) != M2M_OK) {
		a->client_id[0] = '\0';
		return false;
	}
	a->peer = M2M_MEF_PEER_MAF;
	return true;
}

/* Classify sa: MAF (listed FQDN certificate), enrolee (active record) or target (CSE-bound),
 * else none. */
static m2m_err classify(m2m_mef *mef, const m2m_sa *sa, int64_t now, m2m_mef_assoc *a)
{
	const char *client = NULL;
	m2m_mef_enrolee *e = NULL;
	m2m_err r;

	a->peer = M2M_MEF_PEER_NONE;
	if (sa == NULL || sa->kind == M2M_SA_NONE)
		return M2M_OK;
	if (classify_maf(mef, sa, a))
		return M2M_OK;
	if (sa->kind == M2M_SA_PSK && strncmp(sa->credential_id, KPMID_CRED_PREFIX, 3) == 0)
		client = sa->credential_id + 3;
	else if (sa->kind == M2M_SA_CERT && sa->bound_id[0] != '\0')
		client = sa->bound_id;
	if (client != NULL) {
		char cid[M2MI_MEF_ID_MAX];
		if (m2mi_mefstore_client_canon(client, cid, sizeof(cid)) != M2M_OK)
			return M2M_OK; /* no such enrolee: nothing usable */
		pthread_mutex_lock(&mef->mu);
		r = m2mi_mefstore_enrolee_check(mef->st, cid, now, &e);
		pthread_mutex_unlock(&mef->mu);
		if (r == M2M_OK && ((sa->kind == M2M_SA_PSK) == (e->flavour == M2M_MEF_FLAVOUR_KPM))) {
			a->peer = M2M_MEF_PEER_ENROLEE;
			snprintf(a->client_id, sizeof(a->client_id), "%s", cid); /* canonical: the store's key */
		}
		m2m_mef_enrolee_free(e);
		if (r != M2M_OK && r != M2M_E_NOT_FOUND && r != M2M_E_KEY_REVOKED && r != M2M_E_KEY_EXPIRED)
			return r;
		if (a->peer == M2M_MEF_PEER_ENROLEE || sa->kind == M2M_SA_PSK)
			return M2M_OK; /* a KpmID association is never a target */
	}
	if (sa->entity == M2M_ENTITY_CSE && sa->bound_id[0] != '\0') {
		a->peer = M2M_MEF_PEER_TARGET;
		snprintf(a->client_id, sizeof(a->client_id), "%s", sa->bound_id);
	}
	return M2M_OK;
}

m2m_err m2m_mef_assoc_new(m2m_mef *mef, const m2m_sa *sa, const m2m_key *ke, const m2m_key *kc, m2m_mef_assoc **out)
{
	m2m_mef_assoc *a;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (mef == NULL || (ke != NULL && m2m_key_id(ke) == NULL))
		return M2M_E_INVAL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return M2M_E_NOMEM;
	if (sa != NULL)
		a->sa = *sa;
	r = classify(mef, sa, (int64_t)time(NULL), a);
	if (r == M2M_OK && a->peer == M2M_MEF_PEER_ENROLEE) {
		if (ke == NULL)
			r = M2M_E_INVAL;
		else if ((r = m2m_key_dup(ke, &a->ke)) == M2M_OK && kc != NULL)
			r = m2m_key_dup(kc, &a->kc);
	}
	if (r != M2M_OK) {
		m2m_mef_assoc_free(a);
		return r;
	}
	*out = a;
	return M2M_OK;
}

m2m_err m2m_mef_assoc_new_from_ssl(m2m_mef *mef, SSL *ssl, const m2m_sa *sa, m2m_mef_assoc **out)
{
	m2m_key *ke = NULL, *kc = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (mef == NULL || ssl == NULL || sa == NULL)
		return M2M_E_INVAL;
	/* Both ends export right after the handshake (TS-0003 clause 10.3.1); a target needs no Ke,
	 * but exporting is cheap and keeps the classification the one place that decides. */
	if ((r = m2m_tls_export_key(ssl, M2M_EXPORTER_BOOTSTRAP, mef->mef_fqdn, &ke, NULL, 0)) == M2M_OK &&
	    (r = m2m_tls_export_key(ssl, M2M_EXPORTER_CONNECTION, mef->mef_fqdn, &kc, NULL, 0)) == M2M_OK)
		r = m2m_mef_assoc_new(mef, sa, ke, kc, out);
	m2m_key_free(ke);
	m2m_key_free(kc);
	return r;
}

void m2m_mef_assoc_free(m2m_mef_assoc *a)
{
	if (a == NULL)
		return;
	m2m_key_free(a->ke);
	m2m_key_free(a->kc);
	m2m_freezero(a, sizeof(*a));
}

m2m_mef_peer m2m_mef_assoc_peer(const m2m_mef_assoc *a)
{
	return a != NULL ? a->peer : M2M_MEF_PEER_NONE;
}

const char *m2m_mef_assoc_keid(const m2m_mef_assoc *a)
{
	return a != NULL && a->ke != NULL ? m2m_key_id(a->ke) : NULL;
}

const char *m2m_mef_assoc_client(const m2m_mef_assoc *a)
{
	return a != NULL && a->client_id[0] != '\0' ? a->client_id : NULL;
}

const m2m_sa *m2m_mef_assoc_sa(const m2m_mef_assoc *a)
{
	return a != NULL ? &a->sa : NULL;
}

m2m_err m2m_mef_assoc_enrolee(m2m_mef_worker *w, const m2m_mef_assoc *a, int64_t now, m2m_mef_enrolee **out)
{
	m2m_mef_enrolee *e = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (w == NULL || a == NULL)
		return M2M_E_INVAL;
	if (a->peer != M2M_MEF_PEER_ENROLEE)
		return M2M_E_AUTH;
	if ((r = m2mi_mefstore_enrolee_check(w->st, a->client_id, now, &e)) != M2M_OK)
		return r == M2M_E_NOT_FOUND ? M2M_E_KEY_REVOKED : r; /* vanished since the handshake */
	m2m_mef_enrolee_free(e);
	/* the public getter adds the KeID of the current registration */
	return m2m_mefstore_enrolee_get(w->st, a->client_id, out);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static const char *procedure(const char *to)
{
	if (m2mi_proc_starts(to, "gbaNafKey"))
		return "gba-naf-key";
	return m2mi_proc_starts(to, "fetchCredentials") ? "fetch-credentials" : NULL;
}

/* fetchCredentials only reads: a deferred transaction lets fetches run beside each other and
 * beside one writer (WAL); everything else writes and takes the write lock up front. */
static m2m_err begin(void *w, const char *to, m2m_op op)
{
	m2m_mefstore *st = ((m2m_mef_worker *)w)->st;

	(void)op; /* every fetchCredentials operation only reads; no other MEF procedure does */
	return m2mi_proc_starts(to, "fetchCredentials") || m2mi_proc_starts(to, "gbaNafKey") /* Zn only reads */
		       ? m2mi_mefstore_begin_read(st)
		       : m2mi_mefstore_begin(st);
}

static m2m_err dispatch(void *w, const void *a, const char *to, m2m_request *req, m2m_response *rsp, int64_t now,
			m2mi_proc_out *o)
{
	if (m2mi_proc_starts(to, "fetchCredentials"))
		return m2mi_mef_fetch(w, a, req, rsp, now, o);
	if (m2mi_proc_starts(to, "gbaNafKey"))
		return m2mi_mef_zn(w, a, req, rsp, now, o);
	if (m2mi_proc_starts(to, "mefClientReg"))
		return m2mi_mef_client(w, a, req, rsp, now, o);
	if (m2mi_proc_starts(to, "mefKeyReg"))
		return m2mi_mef_key_proc(w, a, req, rsp, now, o);
	if (m2mi_proc_starts(to, "securityProfile"))
		return m2mi_mef_profile(w, a, req, rsp, now, o);
	return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such MEF resource");
}

static m2m_err end(void *w, m2m_err r)
{
	return m2mi_mefstore_end(((m2m_mef_worker *)w)->st, r);
}

static const char *const collections[] = {"mefClientReg", "mefKeyReg", NULL};
static const m2mi_proc_ops ops = {"MEF", collections, procedure, begin, dispatch, end};

void m2m_mef_handle(m2m_mef_worker *w, const m2m_mef_assoc *a, m2m_request *req, m2m_response *rsp, int64_t now)
{
	m2mi_proc_out o = {.proc = "request", .outcome = "ok"};

	bool audited = m2mi_proc_handle(&ops, w, a, a != NULL && a->peer != M2M_MEF_PEER_NONE, m2m_mef_assoc_client(a),
					req, rsp, now, &o);

	/* an enrolment: the CREATE of a mefClientReg (TS-0003 §8.3.4.2 MEF Client Registration) */
	if (req->op == M2M_OP_CREATE && strcmp(o.proc, "client-registration") == 0) /* public: labels */
		m2mi_metrics_enrolment(m2m_rsc_is_success(rsp->rsc));
	if (audited)
		audit(w->mef, &(m2m_mef_audit){o.proc, o.outcome, o.rsc, o.client, m2mi_proc_nz(o.enrolee_id),
					       m2mi_proc_nz(o.key_id), o.suid, o.rqi});
}
