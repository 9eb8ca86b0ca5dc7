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
 *    (remote/remote_key.c, MEF configuration) with SUID 21 fetches Km = HMAC-SHA-256(Ke, label || MAF-ID)
 *    from the MEF; the TLS layer keeps a copy of it (m2m_tls_keep_psk) for the association.
 * Shutdown as for the CSE (cse_mef.c): after the loops stopped, waits are completed directly.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/maf_psk.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "remote/httpc.h"
#include "remote/remote_link.h"

#define NEGATIVE_SECONDS 5  /* an unknown or refused KeID is asked again after this */
#define CACHE_ENTRIES 4096  /* keys and refusals kept (LRU beyond) */

struct maf_psk {
	m2m_maf *maf;
	m2mi_remote_link *link;      /* NULL without mef-url */
	m2mi_remote_key *mc;
	char mef_name[M2M_CFG_STR];
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
	if (result == 0)
		mef = m2mi_mef_parse_fetch_rsp(rsc, body, len, rc->keid, M2M_SUID_RSPF_MAF, now, &k, &sa);
	if (mef == M2M_OK) {
		m2m_key_validity(k, &nb, &expiry);
		/* the MEF still derives the Km of this KeID: it must be the one stored */
		if (!m2m_key_equal(k, rc->km))
			mef = M2M_E_AUTH;
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
	char keid[M2M_SA_ID_MAX] = "", path[M2M_SA_ID_MAX + 32];
	struct recheck *rc;
	m2m_key *km = NULL;
	m2m_err r;

	*key = NULL;
	if ((r = m2m_maf_km_lookup(p->maf, identity, now, &km, binding, keid, sizeof(keid))) != M2M_OK)
		return r; /* M2M_E_NOT_FOUND lets the KeID resolver try */
	if (keid[0] == '\0') {
		*key = km;
		return M2M_OK;
	}
	/* A re-check is due: without the MEF link or a way to wait, fail closed. */
	if (p->link == NULL || w == NULL || (rc = calloc(1, sizeof(*rc))) == NULL) {
		m2m_key_free(km);
		return M2M_E_AUTH;
	}
	rc->p = p;
	rc->w = w;
	rc->km = km;
	rc->binding = *binding;
	snprintf(rc->kmid, sizeof(rc->kmid), "%s", identity);
	snprintf(rc->keid, sizeof(rc->keid), "%s", keid);
	snprintf(path, sizeof(path), "/fetchCredentials/%s/%d", keid, M2M_SUID_RSPF_MAF);
	if (m2mi_remote_link_fetch(p->link, path, recheck_done, rc) != 0) {
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

const char *maf_psk_mef_name(const struct maf_psk *p)
{
	return p != NULL ? p->mef_name : "";
}

static int start_mef(struct svc *s, const m2m_maf_svc_config *cfg, struct maf_psk *p)
{
	m2mi_url u;
	bool tls = false;
	unsigned char ip[16];
	m2m_err r;

	if (m2mi_url_parse_any(cfg->mef_url, &u, &tls) != M2M_OK || !tls)
		return svc_errorf(s, "mef-url", cfg->mef_url, "must be https://HOST:PORT", CLI_USAGE);
	snprintf(p->mef_name, sizeof(p->mef_name), "%s", cfg->mef_name[0] ? cfg->mef_name : u.host);
	if (inet_pton(AF_INET, p->mef_name, ip) == 1 || inet_pton(AF_INET6, p->mef_name, ip) == 1)
		return svc_errorf(s, "mef-url", cfg->mef_url,
				  "the host is an IP address: set mef-name to the MEF's FQDN", CLI_USAGE);
	{
		/* X-M2M-Origin towards the MEF: the MAF is known there by its FQDN certificate */
		m2mi_remote_link_cfg lc = {cfg->mef_url, cfg->mef_ca, cfg->mef_cert, cfg->mef_key, p->mef_name,
					cfg->maf_fqdn, cfg->psk_lookup_timeout_ms, (size_t)cfg->psk_lookups_max};
		if ((r = m2mi_remote_link_new(&lc, &p->link)) != M2M_OK)
			return svc_errorf(s, r == M2M_E_KEY_PERMS ? "mef-key" : "mef-cert",
					  r == M2M_E_KEY_PERMS ? cfg->mef_key : cfg->mef_cert,
					  r == M2M_E_KEY_PERMS ? "key file must be mode 0600"
							       : "cannot load mef-ca / mef-cert / mef-key",
					  cli_exit_code(r));
	}
	{
		m2mi_remote_key_cfg cc = {
			.lim = {CACHE_ENTRIES, (size_t)cfg->psk_lookups_max, cfg->mef_cache_seconds, NEGATIVE_SECONDS},
			.fetch = m2mi_remote_link_fetch,
			.fetch_ctx = p->link,
		};
		m2mi_remote_key_cfg_mef(&cc, p->mef_name, M2M_SUID_RSPF_MAF);
		if ((r = m2mi_remote_key_new(&cc, &p->mc)) != M2M_OK ||
		    (r = m2m_tls_add_psk_resolver_async(s->tls, m2mi_remote_key_start, p->mc)) != M2M_OK)
			return svc_errorf(s, "mef-name", p->mef_name, m2m_strerror(r), cli_exit_code(r));
	}
	m2m_log(M2M_LOG_INFO, "MEF %s (%s): KeIDs *@%s give Km (SUID %d) fetched during the handshake; Km from the "
			      "MEF re-checked after %d s", cfg->mef_url, p->mef_name, p->mef_name, M2M_SUID_RSPF_MAF,
		cfg->mef_cache_seconds);
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
	*out = p;
	return CLI_OK;
}

void maf_psk_stop(struct maf_psk *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->done, done_direct); /* no loop runs any more */
	if (p->mc)
		m2mi_remote_key_set_done(p->mc, done_direct);
	m2mi_remote_link_free(p->link); /* answers what it holds (re-checks included) */
	m2mi_remote_key_free(p->mc);
	free(p);
}
