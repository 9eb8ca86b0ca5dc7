/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF service core (m2msec/maf.h): configuration, workers, the
 * security association of a connection (TS-0003 clause 8.8.2.2 MAF Handshake: a Km client, a
 * certificate client, remote provisioning of Km through the MEF, clause 8.8.2.3, or a GBA
 * bootstrapped client whose Km is the NAF key for the MAF-FQDN, clause 8.3.2.3; Kc/KcID from
 * the RFC 5705 exporter, clause 10.3.1), the MAF Handshake's PSK lookup with the re-check of a
 * Km that came from the MEF, request dispatch to the procedures of docs/procedures/maf.md with
 * one credential-store transaction per request, and the audit of every outcome (never a key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/pem.h>

#include "m2msec/exporter.h"
#include "m2msec/gba.h"
#include "m2msec/id.h"
#include "m2msec/kdf.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"
#include "services/maf/maf_int.h"
#include "store/credstore_cert.h"

#define KMID_CRED_PREFIX "11-" /* Credential-ID type 11 = KmID (TS-0003 Table 12.3.2.1-1) */

static void audit(m2m_maf *maf, const m2m_maf_audit *ev)
{
	if (maf->cfg.audit != NULL)
		maf->cfg.audit(maf->cfg.audit_ctx, ev);
	else
		m2mi_proc_audit_log("maf", ev->procedure, ev->outcome, ev->rsc, ev->client, false, NULL, ev->key_id,
				    ev->suid, ev->rqi);
}

static m2m_err store_open(const char *path, bool create_ok, m2m_credstore **out)
{
	m2m_err r = m2m_credstore_open(path, out);

	if (r == M2M_E_NOT_FOUND && create_ok)
		r = m2m_credstore_create(path, out);
	return r;
}

m2m_err m2m_maf_new(const m2m_maf_config *cfg, m2m_maf **out)
{
	m2m_maf *maf;
	bool ok = true;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || cfg->store == NULL || !m2mi_proc_fqdn_ok(cfg->maf_fqdn) ||
	    (cfg->mef_fqdn != NULL && !m2mi_proc_fqdn_ok(cfg->mef_fqdn)) ||
	    (cfg->bsf_fqdn != NULL && !m2mi_proc_fqdn_ok(cfg->bsf_fqdn)) || !m2mi_proc_sp_id_ok(cfg->sp_id) ||
	    cfg->max_key_lifetime < 0 || cfg->max_reg_lifetime < 0 || cfg->mef_recheck_seconds < 0 ||
	    cfg->max_key_lifetime > M2MI_MAF_LIFETIME_MAX || cfg->max_reg_lifetime > M2MI_MAF_LIFETIME_MAX ||
	    cfg->max_keys_per_client < 0)
		return M2M_E_CONFIG; /* now + a cap must not overflow */
	if ((maf = calloc(1, sizeof(*maf))) == NULL)
		return M2M_E_NOMEM;
	maf->cfg = *cfg;
	maf->maf_fqdn = m2mi_proc_dup(cfg->maf_fqdn, &ok);
	maf->sp_id = m2mi_proc_dup(cfg->sp_id, &ok);
	maf->store = m2mi_proc_dup(cfg->store, &ok);
	maf->mef_fqdn = m2mi_proc_dup(cfg->mef_fqdn, &ok);
	maf->bsf_fqdn = m2mi_proc_dup(cfg->bsf_fqdn, &ok);
	maf->cfg.bsf_fqdn = maf->bsf_fqdn;
	maf->cfg.maf_fqdn = maf->maf_fqdn;
	maf->cfg.sp_id = maf->sp_id;
	maf->cfg.store = maf->store;
	maf->cfg.mef_fqdn = maf->mef_fqdn;
	if (maf->cfg.max_key_lifetime == 0)
		maf->cfg.max_key_lifetime = 86400;
	if (maf->cfg.max_reg_lifetime == 0)
		maf->cfg.max_reg_lifetime = 365 * 86400;
	if (maf->cfg.mef_recheck_seconds == 0)
		maf->cfg.mef_recheck_seconds = 60;
	if (maf->cfg.max_keys_per_client == 0)
		maf->cfg.max_keys_per_client = M2MI_MAF_KEYS_PER_CLIENT;
	if (!ok || pthread_mutex_init(&maf->mu, NULL) != 0) {
		free(maf->maf_fqdn);
		free(maf->sp_id);
		free(maf->store);
		free(maf->mef_fqdn);
		free(maf->bsf_fqdn);
		free(maf);
		return M2M_E_NOMEM;
	}
	if ((r = store_open(maf->store, true, &maf->st)) != M2M_OK) {
		m2m_maf_free(maf);
		return r;
	}
	*out = maf;
	return M2M_OK;
}

void m2m_maf_free(m2m_maf *maf)
{
	if (maf == NULL)
		return;
	m2m_credstore_close(maf->st);
	pthread_mutex_destroy(&maf->mu);
	free(maf->maf_fqdn);
	free(maf->sp_id);
	free(maf->store);
	free(maf->mef_fqdn);
	free(maf->bsf_fqdn);
	free(maf);
}

m2m_err m2m_maf_worker_new(m2m_maf *maf, m2m_maf_worker **out)
{
	m2m_maf_worker *w;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (maf == NULL)
		return M2M_E_INVAL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return M2M_E_NOMEM;
	w->maf = maf;
	if ((r = store_open(maf->store, false, &w->st)) != M2M_OK) {
		m2m_maf_worker_free(w);
		return r;
	}
	*out = w;
	return M2M_OK;
}

void m2m_maf_worker_free(m2m_maf_worker *w)
{
	if (w == NULL)
		return;
	m2m_credstore_close(w->st);
	free(w);
}

/* ---- registration attributes -------------------------------------------------------------- */

m2m_err m2mi_maf_reg_parse(const char *attrs, m2mi_maf_reg *out)
{
	json_t *j, *reg, *v;
	m2m_err r = M2M_OK;

	memset(out, 0, sizeof(*out));
	if (attrs == NULL || attrs[0] == '\0')
		return M2M_OK;
	if ((j = json_loads(attrs, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(j)) {
		json_decref(j);
		return M2M_E_STORE; /* the store holds only what we wrote: anything else is damage */
	}
	if ((v = json_object_get(j, "keid")) != NULL && json_is_string(v))
		snprintf(out->keid, sizeof(out->keid), "%s", json_string_value(v));
	if ((v = json_object_get(j, "checked")) != NULL && json_is_integer(v))
		out->checked = (int64_t)json_integer_value(v);
	if ((reg = json_object_get(j, "reg")) != NULL) {
		const json_t *id = json_object_get(reg, "id"), *ad = json_object_get(reg, "admin"),
			     *ex = json_object_get(reg, "exp"), *lb = json_object_get(reg, "labels");
		char *lt = NULL;
		if (!json_is_string(id) || !json_is_string(ad) || !json_is_integer(ex) ||
		    json_string_length(id) != M2MI_MAF_REGID_LEN) {
			r = M2M_E_STORE;
		} else {
			out->present = true;
			snprintf(out->id, sizeof(out->id), "%s", json_string_value(id));
			snprintf(out->admin, sizeof(out->admin), "%s", json_string_value(ad));
			out->exp = (int64_t)json_integer_value(ex);
			if (json_is_array(lb) && (lt = json_dumps(lb, JSON_COMPACT)) != NULL)
				snprintf(out->labels, sizeof(out->labels), "%s", lt);
			free(lt);
		}
	}
	json_decref(j);
	return r;
}

char *m2mi_maf_reg_text(const m2mi_maf_reg *reg)
{
	json_t *j = json_object(), *r;
	char *s = NULL;

	if (j == NULL)
		return NULL;
	if (reg->keid[0] != '\0') {
		json_object_set_new(j, "keid", json_string(reg->keid));
		json_object_set_new(j, "checked", json_integer((json_int_t)reg->checked));
	}
	if (reg->present && (r = json_pack("{s:s,s:s,s:I}", "id", reg->id, "admin", reg->admin, "exp",
					   (json_int_t)reg->exp)) != NULL) {
		if (reg->labels[0] != '\0')
			json_object_set_new(r, "labels", json_loads(reg->labels, 0, NULL));
		json_object_set_new(j, "reg", r);
	}
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* ---- MAF Handshake: PSK lookup ------------------------------------------------------------ */

/* An identifier that does not parse (the M2M_E_ID_* range of m2msec/err.h). */
static bool id_err(m2m_err r)
{
	return r <= M2M_E_ID_EMPTY && r >= M2M_E_ID_BAD_LEN;
}

static m2m_entity_kind entity_of(const char *id)
{
	m2m_id *p = NULL;
	m2m_entity_kind k = M2M_ENTITY_UNKNOWN;

	if (id != NULL && m2m_id_parse(id, strlen(id), M2M_ID_ANY, &p) == M2M_OK)
		k = m2m_id_kind_of(p) == M2M_ID_AE_ID ? M2M_ENTITY_AE : m2m_id_kind_of(p) == M2M_ID_CSE_ID ? M2M_ENTITY_CSE
														: M2M_ENTITY_UNKNOWN;
	m2m_id_free(p);
	return k;
}

m2m_err m2m_maf_km_lookup(m2m_maf *maf, const char *kmid, int64_t now, m2m_key **km, m2m_sa *binding,
			  char *recheck_keid, size_t cap)
{
	m2m_maf_audit ev = {.procedure = "psk-lookup"};
	m2m_cred_info *info = NULL;
	m2mi_maf_reg reg;
	m2m_err r;

	if (km != NULL)
		*km = NULL;
	if (recheck_keid != NULL && cap > 0)
		recheck_keid[0] = '\0';
	if (maf == NULL || kmid == NULL || km == NULL || binding == NULL || recheck_keid == NULL || cap < M2M_SA_ID_MAX)
		return M2M_E_INVAL;
	pthread_mutex_lock(&maf->mu);
	r = m2m_credstore_lookup(maf->st, kmid, M2M_CRED_KIND_KM, now, km, &info);
	pthread_mutex_unlock(&maf->mu);
	if (id_err(r))
		r = M2M_E_NOT_FOUND; /* not even a KmID: unknown, with the same answer */
	if (r == M2M_OK && (info->owner == NULL || entity_of(info->owner) == M2M_ENTITY_UNKNOWN))
		r = M2M_E_NOT_FOUND; /* a Km bound to nobody authenticates nobody */
	if (r == M2M_OK && (r = m2mi_maf_reg_parse(info->attrs, &reg)) == M2M_OK) {
		r = m2mi_proc_psk_binding(binding, entity_of(info->owner), info->not_after, info->owner,
					  KMID_CRED_PREFIX, info->id);
		if (reg.keid[0] != '\0' && now - reg.checked >= maf->cfg.mef_recheck_seconds)
			snprintf(recheck_keid, cap, "%s", reg.keid);
	}
	ev.outcome = r == M2M_OK ? "ok" : r == M2M_E_KEY_REVOKED ? "revoked"
		     : r == M2M_E_KEY_EXPIRED || r == M2M_E_KEY_NOT_YET_VALID ? "expired"
		     : r == M2M_E_STORE || r == M2M_E_NOMEM ? "store-error" : "unknown-client";
	ev.client = info != NULL && info->owner != NULL ? info->owner : kmid;
	ev.key_id = kmid;
	audit(maf, &ev);
	if (r != M2M_OK) {
		m2m_key_free(*km);
		*km = NULL;
		memset(binding, 0, sizeof(*binding));
		recheck_keid[0] = '\0';
		if (r != M2M_E_KEY_REVOKED && r != M2M_E_KEY_EXPIRED && r != M2M_E_STORE && r != M2M_E_NOMEM &&
		    r != M2M_E_INVAL && r != M2M_E_RANGE)
			r = r == M2M_E_KEY_NOT_YET_VALID ? M2M_E_KEY_EXPIRED : M2M_E_NOT_FOUND;
	}
	m2m_credstore_info_free(info);
	return r;
}

m2m_err m2m_maf_km_rechecked(m2m_maf *maf, const char *kmid, m2m_err mef_result, int64_t expiry, int64_t now)
{
	m2m_maf_audit ev = {.procedure = "km-recheck"};
	m2m_cred_info *info = NULL, upd;
	m2mi_maf_reg reg;
	char *text = NULL;
	m2m_err r;

	if (maf == NULL || kmid == NULL)
		return M2M_E_INVAL;
	pthread_mutex_lock(&maf->mu);
	r = m2m_credstore_get_info(maf->st, kmid, &info);
	if (r == M2M_OK && info->kind != M2M_CRED_KIND_KM)
		r = M2M_E_NOT_FOUND;
	if (r == M2M_OK)
		r = m2mi_maf_reg_parse(info->attrs, &reg);
	if (r == M2M_OK && reg.keid[0] == '\0')
		r = M2M_E_INVAL; /* not a Km from the MEF */
	if (r == M2M_OK && (mef_result == M2M_E_NOT_FOUND || mef_result == M2M_E_AUTH)) {
		r = m2m_credstore_revoke(maf->st, info->id, now);
		ev.outcome = r == M2M_OK ? "revoked" : "store-error";
	} else if (r == M2M_OK && mef_result == M2M_OK) {
		memset(&upd, 0, sizeof(upd));
		reg.checked = now;
		/* the MEF's lifetime only shortens the Km; the registration's expiry stays a cap */
		upd.not_after = info->not_after;
		if (expiry > 0 && (upd.not_after == 0 || expiry < upd.not_after))
			upd.not_after = expiry;
		if ((upd.attrs = text = m2mi_maf_reg_text(&reg)) == NULL)
			r = M2M_E_NOMEM;
		else
			r = m2m_credstore_update(maf->st, info->id, M2M_CRED_SET_NOT_AFTER | M2M_CRED_SET_ATTRS, &upd);
		ev.outcome = r == M2M_OK ? "ok" : "store-error";
	} else if (r == M2M_OK) {
		ev.outcome = "internal"; /* the MEF was not reachable: nothing changes */
	} else {
		ev.outcome = r == M2M_E_NOT_FOUND ? "unknown-client" : r == M2M_E_INVAL ? "not-found" : "store-error";
	}
	pthread_mutex_unlock(&maf->mu);
	ev.client = info != NULL ? info->owner : NULL;
	ev.key_id = kmid;
	audit(maf, &ev);
	free(text);
	m2m_credstore_info_free(info);
	return r;
}

/* ---- associations ------------------------------------------------------------------------- */

/* The KeID of a remote-provisioning peer: PSK identity "<type>-<KeID>" of the configured MEF. */
static bool remote_keid(const m2m_maf *maf, const m2m_sa *sa, char *out, size_t cap)
{
	const char *cid = sa->credential_id, *dash = strchr(cid, '-'), *at;
	m2m_id *id = NULL;
	bool ok;

	if (maf->mef_fqdn == NULL || dash == NULL)
		return false;
	ok = m2m_id_parse(dash + 1, strlen(dash + 1), M2M_ID_KEID, &id) == M2M_OK;
	at = strrchr(dash + 1, '@');
	ok = ok && at != NULL && strcasecmp(at + 1, maf->mef_fqdn) == 0; /* host names: any case */
	if (ok)
		snprintf(out, cap, "%s", m2m_id_canonical(id));
	m2m_id_free(id);
	return ok;
}

/* The B-TID of a GBA peer: PSK identity "<type>-<B-TID>" of the configured BSF, in the spelling
 * the BSF issued (the resolver, remote/gba_zn_rsp.c, takes no other). */
static bool gba_btid(const m2m_maf *maf, const m2m_sa *sa, char *out, size_t cap)
{
	const char *dash = strchr(sa->credential_id, '-');
	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	char fq[254];
	bool ok;

	if (maf->bsf_fqdn == NULL || dash == NULL || strlen(dash + 1) >= cap)
		return false;
	ok = m2m_gba_btid_parse(dash + 1, rand, fq, sizeof(fq)) == M2M_OK && strcasecmp(fq, maf->bsf_fqdn) == 0;
	m2m_memzero(rand, sizeof(rand));
	if (ok)
		snprintf(out, cap, "%s", dash + 1);
	return ok;
}

static m2m_err classify(m2m_maf *maf, const m2m_sa *sa, const m2m_key *km, m2m_maf_assoc *a)
{
	m2m_cred_info *info = NULL;
	m2m_err r = M2M_OK;

	a->peer = M2M_MAF_PEER_NONE;
	if (sa == NULL || sa->kind == M2M_SA_NONE)
		return M2M_OK;
	if (sa->kind == M2M_SA_PSK && strncmp(sa->credential_id, KMID_CRED_PREFIX, 3) == 0) {
		pthread_mutex_lock(&maf->mu);
		r = m2m_credstore_get_info(maf->st, sa->credential_id + 3, &info);
		pthread_mutex_unlock(&maf->mu);
		if (r == M2M_OK && info->kind == M2M_CRED_KIND_KM && info->owner != NULL &&
		    entity_of(info->owner) != M2M_ENTITY_UNKNOWN) {
			a->peer = M2M_MAF_PEER_CLIENT;
			snprintf(a->client_id, sizeof(a->client_id), "%s", info->owner);
			snprintf(a->cred_id, sizeof(a->cred_id), "%s", info->id);
		}
		m2m_credstore_info_free(info);
		return r == M2M_OK || r == M2M_E_NOT_FOUND || id_err(r) ? M2M_OK : r;
	}
	if (sa->kind == M2M_SA_PSK && km != NULL && remote_keid(maf, sa, a->client_id, sizeof(a->client_id))) {
		a->peer = M2M_MAF_PEER_REMOTE;
		return M2M_OK;
	}
	if (sa->kind == M2M_SA_PSK && km != NULL && gba_btid(maf, sa, a->client_id, sizeof(a->client_id))) {
		a->peer = M2M_MAF_PEER_GBA;
		return M2M_OK;
	}
	if (sa->kind == M2M_SA_CERT && sa->bound_id[0] != '\0' &&
	    (sa->entity == M2M_ENTITY_AE || sa->entity == M2M_ENTITY_CSE)) {
		m2m_id *id = NULL;
		/* the store keeps owners canonical: so does the association */
		if (m2m_id_parse(sa->bound_id, strlen(sa->bound_id), M2M_ID_ANY, &id) == M2M_OK &&
		    (m2m_id_kind_of(id) == M2M_ID_AE_ID || m2m_id_kind_of(id) == M2M_ID_CSE_ID)) {
			a->peer = M2M_MAF_PEER_CLIENT;
			snprintf(a->client_id, sizeof(a->client_id), "%s", m2m_id_canonical(id));
		}
		m2m_id_free(id);
	}
	return M2M_OK;
}

m2m_err m2m_maf_assoc_new(m2m_maf *maf, const m2m_sa *sa, const m2m_key *kc, const m2m_key *km, m2m_maf_assoc **out)
{
	m2m_maf_assoc *a;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (maf == NULL || (kc != NULL && m2m_key_id(kc) == NULL))
		return M2M_E_INVAL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return M2M_E_NOMEM;
	if (sa != NULL)
		a->sa = *sa;
	r = classify(maf, sa, km, a);
	if (r == M2M_OK && kc != NULL)
		r = m2m_key_dup(kc, &a->kc);
	if (r == M2M_OK && km != NULL && (a->peer == M2M_MAF_PEER_REMOTE || a->peer == M2M_MAF_PEER_GBA))
		r = m2m_key_dup(km, &a->km);
	if (r != M2M_OK) {
		m2m_maf_assoc_free(a);
		return r;
	}
	*out = a;
	return M2M_OK;
}

m2m_err m2m_maf_assoc_set_cert(m2m_maf_assoc *a, const char *cert_pem)
{
	char *fp = NULL, *norm = NULL;
	int64_t nb, na;
	m2m_err r;

	if (a == NULL || cert_pem == NULL)
		return M2M_E_INVAL;
	if (a->peer != M2M_MAF_PEER_CLIENT || a->sa.kind != M2M_SA_CERT)
		return M2M_E_INVAL;
	if ((r = m2mi_credstore_cert_parse(cert_pem, &fp, &nb, &na, &norm)) != M2M_OK)
		return r;
	free(a->cert_pem);
	a->cert_pem = norm;
	snprintf(a->cred_id, sizeof(a->cred_id), "%s", fp);
	free(fp);
	return M2M_OK;
}

static m2m_err peer_cert_pem(SSL *ssl, char **out)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	BIO *b;
	BUF_MEM *m = NULL;
	m2m_err r = M2M_E_CRYPTO;

	*out = NULL;
	if (x == NULL)
		return M2M_E_NOT_FOUND;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return M2M_E_NOMEM;
	if (PEM_write_bio_X509(b, x) == 1 && BIO_get_mem_ptr(b, &m) == 1 && m != NULL &&
	    (*out = strndup(m->data, m->length)) != NULL)
		r = M2M_OK;
	BIO_free(b);
	return r;
}

m2m_err m2m_maf_assoc_new_from_ssl(m2m_maf *maf, SSL *ssl, const m2m_sa *sa, const m2m_key *km, m2m_maf_assoc **out)
{
	m2m_key *kc = NULL;
	char *pem = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (maf == NULL || ssl == NULL || sa == NULL)
		return M2M_E_INVAL;
	/* TS-0003 clause 10.3.1: both ends export Kc/KcID right after the handshake */
	if ((r = m2m_tls_export_key(ssl, M2M_EXPORTER_CONNECTION, maf->maf_fqdn, &kc, NULL, 0)) != M2M_OK)
		return r;
	r = m2m_maf_assoc_new(maf, sa, kc, km, out);
	m2m_key_free(kc);
	if (r == M2M_OK && sa->kind == M2M_SA_CERT && (*out)->peer == M2M_MAF_PEER_CLIENT &&
	    (r = peer_cert_pem(ssl, &pem)) == M2M_OK)
		r = m2m_maf_assoc_set_cert(*out, pem);
	free(pem);
	if (r != M2M_OK) {
		m2m_maf_assoc_free(*out);
		*out = NULL;
	}
	return r;
}

void m2m_maf_assoc_free(m2m_maf_assoc *a)
{
	if (a == NULL)
		return;
	m2m_key_free(a->kc);
	m2m_key_free(a->km);
	free(a->cert_pem);
	m2m_freezero(a, sizeof(*a));
}

m2m_maf_peer m2m_maf_assoc_peer(const m2m_maf_assoc *a)
{
	return a != NULL ? a->peer : M2M_MAF_PEER_NONE;
}

const char *m2m_maf_assoc_client(const m2m_maf_assoc *a)
{
	return a != NULL && a->client_id[0] != '\0' ? a->client_id : NULL;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

/* A RETRIEVE (Key Retrieval, Configuration Retrieval, or a refusal) only reads: a read
 * transaction runs beside the other workers' retrievals and beside a registration holding the
 * write lock (WAL), so retrievals neither serialise nor queue behind a registration's fsync;
 * every other operation may write and takes the write lock up front (all or nothing). A write
 * attempted inside the read transaction fails, so a RETRIEVE can never write. */
static m2m_err begin(void *w, const char *to, m2m_op op)
{
	m2m_credstore *st = ((m2m_maf_worker *)w)->st;

	(void)to;
	return op == M2M_OP_RETRIEVE ? m2m_credstore_begin_read(st) : m2m_credstore_begin(st);
}

static m2m_err dispatch(void *w, const void *a, const char *to, m2m_request *req, m2m_response *rsp, int64_t now,
			m2mi_proc_out *o)
{
	if (m2mi_proc_starts(to, "mafClientReg"))
		return m2mi_maf_client(w, a, req, rsp, now, o);
	if (m2mi_proc_starts(to, "mafKeyReg"))
		return m2mi_maf_key_proc(w, a, req, rsp, now, o);
	return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such MAF resource");
}

static m2m_err end(void *w, m2m_err r)
{
	return m2m_credstore_end(((m2m_maf_worker *)w)->st, r);
}

static const char *const collections[] = {"mafClientReg", "mafKeyReg", NULL};
static const m2mi_proc_ops ops = {"MAF", collections, NULL, begin, dispatch, end};

void m2m_maf_handle(m2m_maf_worker *w, const m2m_maf_assoc *a, m2m_request *req, m2m_response *rsp, int64_t now)
{
	m2mi_proc_out o = {.proc = "request", .outcome = "ok"};

	if (m2mi_proc_handle(&ops, w, a, a != NULL && a->peer != M2M_MAF_PEER_NONE, m2m_maf_assoc_client(a), req, rsp, now,
			     &o))
		audit(w->maf, &(m2m_maf_audit){o.proc, o.outcome, o.rsc, o.client, m2mi_proc_nz(o.key_id), o.suid, o.rqi});
}
