/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's link to its MEF (cse_mef.h): when mef-url is set, the
 * KeID resolver (remote/remote_key.c, MEF configuration, SUID 22) is registered as an
 * asynchronous PSK resolver on the CSE's TLS context and fetches keys over the MEF link
 * (remote/remote_link.c: a dedicated outbound loop, mutually authenticated TLS with mef-ca /
 * mef-cert / mef-key), both wired by remote_res.c; limits and shutdown order there. The same
 * link carries the security profile's RETRIEVE (mef-security-profile) and the refresh of the
 * underlying-network authorization the MEF reports with each KeID (cse_netauth.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cse_mef.h"
#include "cli/cse_netauth.h"
#include "cli/remote_res.h"
#include "m2msec/cse.h"
#include "m2msec/log.h"
#include "services/cse/sec_profile.h"

struct cse_mef {
	struct remote_res *rr;    /* rr->link: the MEF link; rr->rk: the KeID resolver */
	m2mi_remote_key *gated;   /* another resolver the profile's SUIDs gate (the MAF's, SUID 32) */
	/* the security profile (mef-security-profile): retrieved at start, refreshed by a thread */
	m2m_cse *cse;
	m2m_tls *tls;             /* the listener's: the profile's suites and trust anchors */
	char cse_id[M2M_CFG_STR];
	int interval_s;
	int64_t expiry;           /* of the last good profile, 0 = none given */
	pthread_t th;
	bool th_started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cse_netauth *na;   /* underlying-network authorization per KeID (cse_netauth.c) */
};

/* The TLS part (cipherSuites, trustAnchors), first: a profile the TLS layer refuses (only
 * unknown suites, an anchor that is no CA certificate) is malformed and changes nothing. */
static bool profile_tls(struct cse_mef *m, const m2mi_secprof *p)
{
	const char *const *suites, *const *anchors;
	size_t ns = m2mi_secprof_suites(p, &suites), na = m2mi_secprof_anchors(p, &anchors);
	m2m_err r = m2m_tls_set_profile(m->tls, suites, ns, anchors, na);

	if (r != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "security profile: cipherSuites/trustAnchors refused (%s): the last good "
				       "profile stays", m2m_strerror(r));
	return r == M2M_OK;
}

/* The profile's accepted SUIDs gate every resolver of this CSE (p NULL: refuse all). */
static void gate(struct cse_mef *m, const m2mi_secprof *p)
{
	m2mi_remote_key_set_suid_refused(m->rr->rk, !m2mi_secprof_suid_ok(p, m2mi_remote_key_suid(m->rr->rk)));
	if (m->gated != NULL)
		m2mi_remote_key_set_suid_refused(m->gated, !m2mi_secprof_suid_ok(p, m2mi_remote_key_suid(m->gated)));
}

void cse_mef_gate(struct cse_mef *m, m2mi_remote_key *rk)
{
	if (m != NULL)
		m->gated = rk;
}

/* RETRIEVE /securityProfile/<CSE-ID without its leading '/'> and apply it. */
static bool profile_fetch(struct cse_mef *m)
{
	char path[M2M_CFG_STR + 32], *body = NULL;
	size_t len = 0;
	int rsc = 0;
	int64_t now = (int64_t)time(NULL);
	m2mi_secprof *p = NULL;
	bool ok = false;

	snprintf(path, sizeof(path), "/securityProfile/%s", m->cse_id + 1);
	if (m2mi_remote_link_fetch_wait(m->rr->link, path, &rsc, &body, &len) != 0)
		return false;
	if (rsc == 2000 && body != NULL && m2mi_secprof_parse(body, len, m->cse_id, now, &p) == M2M_OK &&
	    profile_tls(m, p) && m2m_cse_set_security_profile(m->cse, body, len, now) == M2M_OK) {
		m->expiry = m2mi_secprof_expiry(p);
		gate(m, p);
		ok = true;
	}
	m2mi_secprof_free(p);
	free(body);
	return ok;
}

static void *profile_refresh(void *arg)
{
	struct cse_mef *m = arg;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += m->interval_s;
		if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0 && m->stop)
			break;
		if (m->stop)
			break;
		pthread_mutex_unlock(&m->mu);
		if (!profile_fetch(m)) {
			int64_t now = (int64_t)time(NULL);
			/* keep the last good profile until its lifetime ends, then fail closed */
			if (m->expiry != 0 && now >= m->expiry) {
				if (m2m_cse_set_security_profile(m->cse, NULL, 0, now) != M2M_OK)
					m2m_log(M2M_LOG_ERROR, "security profile: out of memory");
				gate(m, NULL);
				m2m_log(M2M_LOG_ERROR, "security profile expired and not refreshed: registrations over "
						       "security associations and KeIDs are refused");
			} else {
				m2m_log(M2M_LOG_WARN, "security profile refresh failed: the last good one stays");
			}
		}
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int cse_mef_profile_start(struct svc *s, struct cse_mef *m, m2m_cse *cse, const m2m_cse_config *cfg)
{
	if (m == NULL || !cfg->mef_security_profile)
		return CLI_OK;
	m->cse = cse;
	snprintf(m->cse_id, sizeof(m->cse_id), "%s", cfg->cse_id);
	m->interval_s = cfg->mef_cache_seconds < 5 ? 5 : cfg->mef_cache_seconds;
	if (!profile_fetch(m))
		return svc_errorf(s, "mef-security-profile", cfg->mef_url,
				  "cannot retrieve this CSE's security profile from the MEF (fail closed)", CLI_FAIL);
	if (pthread_create(&m->th, NULL, profile_refresh, m) != 0)
		return cli_fail("cse: mef", M2M_E_INTERNAL);
	m->th_started = true;
	m2m_log(M2M_LOG_INFO, "security profile of %s retrieved from the MEF, refreshed every %d s", cfg->cse_id,
		m->interval_s);
	return CLI_OK;
}

int cse_mef_netauth_start(struct cse_mef *m, m2m_cse *cse, const m2m_cse_config *cfg)
{
	if (m == NULL)
		return CLI_OK;
	if (cse_netauth_start(m->na, cse, m->rr->link, cfg->mef_cache_seconds) != 0)
		return cli_fail("cse: mef", M2M_E_INTERNAL);
	return CLI_OK;
}

int cse_mef_start(struct svc *s, const m2m_cse_config *cfg, struct cse_mef **out)
{
	struct remote_res_cfg rc = {
		.prefix = "mef", .peer = "MEF", .what = "KeIDs",
		.url = cfg->mef_url, .ca = cfg->mef_ca, .cert = cfg->mef_cert, .key = cfg->mef_key,
		.name = cfg->mef_name, .origin = cfg->cse_id, .suid = M2MI_MEF_SUID_SAEF,
		.timeout_ms = cfg->psk_lookup_timeout_ms, .lookups_max = cfg->psk_lookups_max,
		.cache_seconds = cfg->mef_cache_seconds,
		.esprim_suid = 23, /* usage-constrained ESPrim keys (TS-0004 Table 6.3.4.2.39-1) */
	};
	struct cse_mef *m;
	int rc_;

	*out = NULL;
	if (cfg->mef_url[0] == '\0')
		return CLI_OK;
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->na = cse_netauth_new()) == NULL) {
		free(m);
		return cli_fail("cse: mef", M2M_E_NOMEM);
	}
	rc.observe = cse_netauth_observe;
	rc.observe_ctx = m->na;
	if ((rc_ = remote_res_start(s, &rc, &m->rr)) != CLI_OK) {
		cse_netauth_free(m->na);
		free(m);
		return rc_;
	}
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->tls = s->tls;
	*out = m;
	return CLI_OK;
}

void cse_mef_stop(struct cse_mef *m)
{
	if (m == NULL)
		return;
	if (m->th_started) {
		pthread_mutex_lock(&m->mu);
		m->stop = true;
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
		pthread_join(m->th, NULL); /* a fetch in flight ends at its deadline */
	}
	cse_netauth_stop(m->na); /* before the link its fetches use */
	remote_res_stop(m->rr); /* the loops stopped: answer the held handshakes */
	cse_netauth_free(m->na); /* after the resolver: no observe call any more */
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
