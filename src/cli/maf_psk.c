/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF process's TLS-PSK resolvers (maf_psk.h), both asynchronous so
 * that no event loop ever waits for the MEF (docs/tls.md "Asynchronous PSK lookup"):
 *  - KmID (TS-0003 clause 8.8.2.2): m2m_maf_km_lookup answers from the credential store. A Km
 *    that came from the MEF and was last checked longer than mef-cache-seconds ago is re-checked
 *    first (docs/procedures/maf.md "Km from the MEF"): RETRIEVE fetchCredentials/<KeID>/21 over
 *    the MEF link; the answer goes to m2m_maf_km_rechecked (4004 / 4103 revoke the Km) and the
 *    handshake completes only on a 2000 (an unreachable MEF fails it, revoking nothing).
 *  - KeID of the MEF (clause 8.8.2.3, remote provisioning): the shared remote-key resolver
 *    (remote/remote_key.c, MEF configuration, wired by remote_res.c) with SUID 21 fetches Km = HMAC-SHA-256(Ke, label || MAF-ID)
 *    from the MEF; the TLS layer keeps a copy of it (m2m_tls_keep_psk) for the association.
 *  - B-TID of the BSF (the MAF as NAF, TS-0003 clause 8.3.2.3; bsf-url): the one NAF resolver
 *    every NAF shares (gba_naf.c) fetches Km = Ks_(ext/int)_NAF for the MAF-FQDN over Zn. A Km
 *    registered by such a peer is re-checked over Zn (RETRIEVE gbaNafKey/<B-TID>/<MAF-FQDN>/
 *    <gba-naf-key> over the BSF link), never over fetchCredentials.
 * Shutdown as for the CSE (cse_mef.c): after the loops stopped, waits are completed directly.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ctype.h>

#include "cli/gba_naf.h"
#include "cli/maf_psk.h"
#include "m2msec/gba.h"
#include "m2msec/gba_zn.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "cli/remote_res.h"
#include "remote/httpc.h"

struct maf_psk {
	m2m_maf *maf;
	struct remote_res *res;       /* NULL without mef-url: the MEF link and the KeID resolver */
	m2mi_remote_link *link;       /* res->link (re-checks of a Km from the MEF) */
	char mef_name[M2M_CFG_STR];
	struct remote_res *bsf;       /* NULL without bsf-url: the BSF link and the B-TID resolver */
	char bsf_name[M2M_CFG_STR];
	char naf_fqdn[254];           /* the MAF-FQDN, lowercase */
	_Atomic(m2mi_remote_wait_done_fn) done; /* m2m_psk_wait_done_post; direct after the loops stop */
};

/* One re-check in flight: the handshake waits on w with the Km already looked up. */
struct recheck {
	struct maf_psk *p;
	m2m_psk_wait *w;
	m2m_key *km;
	m2m_sa binding;
	char kmid[M2M_SA_ID_MAX];
	char keid[M2M_SA_ID_MAX];
	bool zn;                      /* keid is a B-TID: the answer is the BSF's (Zn) */
};

static m2m_err done_direct(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	m2m_psk_wait_done(w, err, key, sa);
	return M2M_OK;
}

static void finish(struct recheck *rc, m2m_err err)
{
	m2mi_remote_wait_done_fn done = atomic_load(&rc->p->done);

	if (err == M2M_OK) {
		(void)done(rc->w, M2M_OK, rc->km, &rc->binding); /* the key passes in any case */
		rc->km = NULL;
	} else {
		(void)done(rc->w, err, NULL, NULL);
	}
	m2m_key_free(rc->km);
	m2m_freezero(rc, sizeof(*rc));
}

/* The MEF's answer to the re-check (link thread, or the caller of m2mi_remote_link_free). */
static void recheck_done(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	struct recheck *rc = arg;
	int64_t now = (int64_t)time(NULL), nb = 0, expiry = 0;
	m2m_key *k = NULL;
	m2m_sa sa;
	m2m_err mef = M2M_E_IO, r;

	(void)status;
	if (result == 0 && rc->zn)
		mef = m2mi_gba_parse_zn_rsp(rsc, body, len, rc->keid, M2M_SUID_RSPF_MAF, now, &k, &sa);
	else if (result == 0)
		mef = m2mi_mef_parse_fetch_rsp(rsc, body, len, rc->keid, M2M_SUID_RSPF_MAF, now, &k, &sa);
	if (mef == M2M_OK) {
		m2m_key_validity(k, &nb, &expiry);
		/* the MEF must still derive the Km stored for this KeID; another key is no answer the
		 * mapping defines: the handshake fails, nothing is revoked (M2M_E_PROTO) */
		if (!m2m_key_equal(k, rc->km))
			mef = M2M_E_PROTO;
	}
	m2m_key_free(k);
	m2m_memzero(&sa, sizeof(sa));
	r = m2m_maf_km_rechecked(rc->p->maf, rc->kmid, mef, expiry, now);
	if (mef == M2M_OK && r == M2M_OK && expiry != 0 && (rc->binding.expiry == 0 || expiry < rc->binding.expiry))
		rc->binding.expiry = expiry;
	finish(rc, mef != M2M_OK ? mef : r);
}

/* The KmID resolver (m2m_psk_start_fn). */
static m2m_err km_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			m2m_sa *binding)
{
	struct maf_psk *p = ctx;
	char keid[M2M_SA_ID_MAX] = "", path[M2M_GBA_ZN_PATH_MAX + M2M_SA_ID_MAX];
	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	m2mi_remote_link *link;
	struct recheck *rc;
	bool zn;
	m2m_key *km = NULL;
	m2m_err r;

	*key = NULL;
	if ((r = m2m_maf_km_lookup(p->maf, identity, now, &km, binding, keid, sizeof(keid))) != M2M_OK)
		return r; /* M2M_E_NOT_FOUND lets the KeID resolver try */
	if (keid[0] == '\0') {
		*key = km;
		return M2M_OK;
	}
	/* A re-check is due: over Zn for a B-TID, else over fetchCredentials; without that link or
	 * a way to wait, fail closed. */
	zn = m2m_gba_btid_parse(keid, rand, NULL, 0) == M2M_OK;
	m2m_memzero(rand, sizeof(rand));
	link = zn ? (p->bsf != NULL ? p->bsf->link : NULL) : p->link;
	if (zn && link != NULL &&
	    m2m_gba_zn_path(keid, p->bsf->gba_naf.fqdn, p->bsf->gba_naf.kind, path, sizeof(path)) != M2M_OK)
		link = NULL;
	else if (!zn)
		snprintf(path, sizeof(path), "/fetchCredentials/%s/%d", keid, M2M_SUID_RSPF_MAF);
	if (link == NULL || w == NULL || (rc = calloc(1, sizeof(*rc))) == NULL) {
		m2m_key_free(km);
		return M2M_E_AUTH;
	}
	rc->p = p;
	rc->w = w;
	rc->km = km;
	rc->binding = *binding;
	rc->zn = zn;
	snprintf(rc->kmid, sizeof(rc->kmid), "%s", identity);
	snprintf(rc->keid, sizeof(rc->keid), "%s", keid);
	if (m2mi_remote_link_fetch(link, path, recheck_done, rc) != 0) {
		m2m_key_free(rc->km);
		m2m_freezero(rc, sizeof(*rc));
		return M2M_E_AUTH; /* the link is full or stopping: this handshake fails, nothing revoked */
	}
	return M2M_OK; /* the handshake waits for recheck_done */
}

static m2m_err wait_done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	return m2m_psk_wait_done_post(w, err, key, sa);
}

const char *maf_psk_bsf_name(const struct maf_psk *p)
{
	return p != NULL ? p->bsf_name : "";
}

const char *maf_psk_mef_name(const struct maf_psk *p)
{
	return p != NULL ? p->mef_name : "";
}

/* The name remote_res_start checks: <prefix>-name, else the (non-IP) host of <prefix>-url. */
static void name_of(const char *name, const char *url, char *out, size_t cap)
{
	m2mi_url u;
	bool tls = false;

	out[0] = '\0';
	if (name[0] != '\0')
		snprintf(out, cap, "%s", name);
	else if (url[0] != '\0' && m2mi_url_parse_any(url, &u, &tls) == M2M_OK)
		snprintf(out, cap, "%s", u.host);
}

void maf_psk_mef_name_of(const m2m_maf_svc_config *cfg, char *out, size_t cap)
{
	name_of(cfg->mef_name, cfg->mef_url, out, cap);
}

void maf_psk_bsf_name_of(const m2m_maf_svc_config *cfg, char *out, size_t cap)
{
	name_of(cfg->bsf_name, cfg->bsf_url, out, cap);
}

/* The KeID resolver and the MEF link: the one wiring every service shares (remote_res.c). */
static int start_mef(struct svc *s, const m2m_maf_svc_config *cfg, struct maf_psk *p)
{
	struct remote_res_cfg c = {
		.prefix = "mef", .peer = "MEF", .what = "KeIDs (remote provisioning of Km, SUID 21)",
		.url = cfg->mef_url, .ca = cfg->mef_ca, .cert = cfg->mef_cert, .key = cfg->mef_key,
		.name = cfg->mef_name, .origin = cfg->maf_fqdn, /* the MEF knows the MAF by its FQDN certificate */
		.maf = false, .suid = M2M_SUID_RSPF_MAF, .timeout_ms = cfg->psk_lookup_timeout_ms,
		.lookups_max = cfg->psk_lookups_max, .cache_seconds = cfg->mef_cache_seconds,
	};
	int rc;

	if ((rc = remote_res_start(s, &c, &p->res)) != CLI_OK)
		return rc;
	maf_psk_mef_name_of(cfg, p->mef_name, sizeof(p->mef_name));
	p->link = p->res->link;
	return CLI_OK;
}

/* The B-TID resolver and the BSF link: the one NAF wiring (gba_naf.c), NAF FQDN = MAF-FQDN. */
static int start_bsf(struct svc *s, const m2m_maf_svc_config *cfg, struct maf_psk *p)
{
	struct gba_naf_opts o = {
		.url = cfg->bsf_url, .ca = cfg->bsf_ca, .cert = cfg->bsf_cert, .key = cfg->bsf_key,
		.name = cfg->bsf_name, .cache_seconds = cfg->bsf_cache_seconds, .naf_key = cfg->gba_naf_key,
		.naf_fqdn = p->naf_fqdn, .origin = cfg->maf_fqdn, .timeout_ms = cfg->psk_lookup_timeout_ms,
		.lookups_max = cfg->psk_lookups_max,
	};
	int rc;

	/* the NAF FQDN in the spelling Zn compares (lowercase, docs/procedures/gba.md "Zn") */
	for (size_t i = 0; cfg->maf_fqdn[i] != '\0' && i + 1 < sizeof(p->naf_fqdn); i++)
		p->naf_fqdn[i] = (char)tolower((unsigned char)cfg->maf_fqdn[i]);
	if ((rc = gba_naf_start(s, &o, &p->bsf)) != CLI_OK)
		return rc;
	maf_psk_bsf_name_of(cfg, p->bsf_name, sizeof(p->bsf_name));
	return CLI_OK;
}

int maf_psk_start(struct svc *s, const m2m_maf_svc_config *cfg, m2m_maf *maf, struct maf_psk **out)
{
	struct maf_psk *p;
	int rc;
	m2m_err r;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return cli_fail("maf: psk", M2M_E_NOMEM);
	p->maf = maf;
	atomic_init(&p->done, wait_done);
	/* the KmID resolver first: a KmID is never a KeID of the MEF (it names this MAF) */
	if ((r = m2m_tls_add_psk_resolver_async(s->tls, km_start, p)) != M2M_OK ||
	    (r = m2m_tls_keep_psk(s->tls, true)) != M2M_OK) {
		maf_psk_stop(p);
		return cli_fail("maf: psk resolver", r);
	}
	if (cfg->mef_url[0] != '\0' && (rc = start_mef(s, cfg, p)) != CLI_OK) {
		maf_psk_stop(p);
		return rc;
	}
	if (cfg->bsf_url[0] != '\0' && (rc = start_bsf(s, cfg, p)) != CLI_OK) {
		maf_psk_stop(p);
		return rc;
	}
	*out = p;
	return CLI_OK;
}

void maf_psk_stop(struct maf_psk *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->done, done_direct); /* no loop runs any more */
	remote_res_stop(p->res);             /* the link answers what it holds (re-checks included) */
	remote_res_stop(p->bsf);
	free(p);
}
