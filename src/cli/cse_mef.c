/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's link to its MEF (cse_mef.h): when mef-url is set, the
 * KeID resolver (remote/remote_key.c, MEF configuration) is registered as an asynchronous PSK
 * resolver on the CSE's TLS context and fetches keys over the MEF link (remote/remote_link.c: a dedicated
 * outbound loop, mutually authenticated TLS with mef-ca / mef-cert / mef-key). Limits: the
 * cache holds keys at most mef-cache-seconds (and never beyond their lifetime), refusals 5 s;
 * one fetch deadline = psk-lookup-timeout-ms, fetches in flight <= psk-lookups-max.
 * Shutdown (docs/tls.md): after the server's loops stopped, waits are completed directly
 * (m2m_psk_wait_done), then the link answers what it holds, then the resolver goes.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cse_mef.h"
#include "m2msec/cse.h"
#include "m2msec/log.h"
#include "remote/httpc.h"
#include "remote/remote_link.h"
#include "services/cse/sec_profile.h"

#define NEGATIVE_SECONDS 5  /* an unknown or refused KeID is asked again after this */
#define CACHE_ENTRIES 4096  /* keys and refusals kept (LRU beyond) */

struct cse_mef {
	m2mi_remote_link *link;
	m2mi_remote_key *mc;
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
};

/* One synchronous RETRIEVE over the link (bounded by its deadline). */
struct sync_fetch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int result, rsc;
	char *body;
	size_t len;
};

static void sync_done(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	struct sync_fetch *f = arg;

	(void)status;
	pthread_mutex_lock(&f->mu);
	f->result = result;
	f->rsc = rsc;
	if (result == 0 && body != NULL && (f->body = malloc(len + 1)) != NULL) {
		memcpy(f->body, body, len);
		f->body[len] = '\0';
		f->len = len;
	}
	f->done = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

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

/* RETRIEVE /securityProfile/<CSE-ID without its leading '/'> and apply it. */
static bool profile_fetch(struct cse_mef *m)
{
	struct sync_fetch f = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, -1, 0, NULL, 0};
	char path[M2M_CFG_STR + 32];
	int64_t now = (int64_t)time(NULL);
	m2mi_secprof *p = NULL;
	bool ok = false;

	snprintf(path, sizeof(path), "/securityProfile/%s", m->cse_id + 1);
	if (m2mi_remote_link_fetch(m->link, path, sync_done, &f) != 0)
		return false;
	pthread_mutex_lock(&f.mu);
	while (!f.done)
		pthread_cond_wait(&f.cv, &f.mu);
	pthread_mutex_unlock(&f.mu);
	if (f.result == 0 && f.rsc == 2000 && f.body != NULL &&
	    m2mi_secprof_parse(f.body, f.len, m->cse_id, now, &p) == M2M_OK && profile_tls(m, p) &&
	    m2m_cse_set_security_profile(m->cse, f.body, f.len, now) == M2M_OK) {
		m->expiry = m2mi_secprof_expiry(p);
		m2mi_remote_key_set_suid_refused(m->mc, !m2mi_secprof_suid_ok(p, m2mi_remote_key_suid(m->mc)));
		ok = true;
	}
	m2mi_secprof_free(p);
	free(f.body);
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
				m2mi_remote_key_set_suid_refused(m->mc, true);
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

static m2m_err done_direct(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	m2m_psk_wait_done(w, err, key, sa);
	return M2M_OK;
}

int cse_mef_start(struct svc *s, const m2m_cse_config *cfg, struct cse_mef **out)
{
	struct cse_mef *m;
	m2mi_url u;
	bool tls = false;
	unsigned char ip[16];
	const char *name;
	m2m_err r;

	*out = NULL;
	if (cfg->mef_url[0] == '\0')
		return CLI_OK;
	if (s->tls == NULL)
		return svc_errorf(s, "mef-url", cfg->mef_url, "needs https-listen (KeIDs arrive over TLS-PSK)",
				  CLI_USAGE);
	/* The MEF hands keys only to an authenticated Enrolment Target (docs/procedures/mef.md); checked
	 * here, after the files named in the configuration were found. */
	if (cfg->mef_cert[0] == '\0' || cfg->mef_key[0] == '\0')
		return svc_errorf(s, "mef-url", cfg->mef_url,
				  "needs mef-cert and mef-key (this CSE's certificate towards the MEF)", CLI_USAGE);
	if (m2mi_url_parse_any(cfg->mef_url, &u, &tls) != M2M_OK || !tls)
		return svc_errorf(s, "mef-url", cfg->mef_url, "must be https://HOST:PORT", CLI_USAGE);
	name = cfg->mef_name[0] ? cfg->mef_name : u.host;
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
		return svc_errorf(s, "mef-url", cfg->mef_url,
				  "the host is an IP address: set mef-name to the MEF's FQDN", CLI_USAGE);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return cli_fail("cse: mef", M2M_E_NOMEM);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->tls = s->tls;
	{
		m2mi_remote_link_cfg lc = {cfg->mef_url, cfg->mef_ca, cfg->mef_cert, cfg->mef_key, name, cfg->cse_id,
					cfg->psk_lookup_timeout_ms, (size_t)cfg->psk_lookups_max};
		if ((r = m2mi_remote_link_new(&lc, &m->link)) != M2M_OK) {
			free(m);
			return svc_errorf(s, r == M2M_E_KEY_PERMS ? "mef-key" : "mef-cert",
					  r == M2M_E_KEY_PERMS ? cfg->mef_key : cfg->mef_cert,
					  r == M2M_E_KEY_PERMS ? "key file must be mode 0600"
							       : "cannot load mef-ca / mef-cert / mef-key",
					  cli_exit_code(r));
		}
	}
	{
		m2mi_remote_key_cfg cc = {
			.lim = {CACHE_ENTRIES, (size_t)cfg->psk_lookups_max, cfg->mef_cache_seconds, NEGATIVE_SECONDS},
			.fetch = m2mi_remote_link_fetch,
			.fetch_ctx = m->link,
		};
		m2mi_remote_key_cfg_mef(&cc, name, M2MI_MEF_SUID_SAEF);
		if ((r = m2mi_remote_key_new(&cc, &m->mc)) != M2M_OK ||
		    (r = m2m_tls_add_psk_resolver_async(s->tls, m2mi_remote_key_start, m->mc)) != M2M_OK) {
			cse_mef_stop(m);
			return svc_errorf(s, "mef-name", name, m2m_strerror(r), cli_exit_code(r));
		}
	}
	m2m_log(M2M_LOG_INFO, "MEF %s (%s): KeIDs *@%s fetched during the handshake, cached <= %d s", cfg->mef_url,
		name, name, cfg->mef_cache_seconds);
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
	if (m->mc)
		m2mi_remote_key_set_done(m->mc, done_direct); /* no loop runs any more */
	m2mi_remote_link_free(m->link);                          /* answers what it holds */
	m2mi_remote_key_free(m->mc);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
