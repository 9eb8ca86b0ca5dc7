/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's link to its MEF (cse_mef.h): when mef-url is set, the
 * KeID resolver (services/cse/mef_client.c) is registered as an asynchronous PSK resolver on the
 * CSE's TLS context and fetches keys over the MEF link (services/cse/mef_link.c: a dedicated
 * outbound loop, mutually authenticated TLS with mef-ca / mef-cert / mef-key). Limits: the
 * cache holds keys at most mef-cache-seconds (and never beyond their lifetime), refusals 5 s;
 * one fetch deadline = psk-lookup-timeout-ms, fetches in flight <= psk-lookups-max.
 * Shutdown (docs/tls.md): after the server's loops stopped, waits are completed directly
 * (m2m_psk_wait_done), then the link answers what it holds, then the resolver goes.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cse_mef.h"
#include "m2msec/log.h"
#include "services/cse/httpc_tls.h"
#include "services/cse/mef_link.h"

#define NEGATIVE_SECONDS 5  /* an unknown or refused KeID is asked again after this */
#define CACHE_ENTRIES 4096  /* keys and refusals kept (LRU beyond) */

struct cse_mef {
	m2mi_mef_link *link;
	m2mi_mef_client *mc;
};

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
	if (m2mi_url_parse_any(cfg->mef_url, &u, &tls) != M2M_OK || !tls)
		return svc_errorf(s, "mef-url", cfg->mef_url, "must be https://HOST:PORT", CLI_USAGE);
	name = cfg->mef_name[0] ? cfg->mef_name : u.host;
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
		return svc_errorf(s, "mef-url", cfg->mef_url,
				  "the host is an IP address: set mef-name to the MEF's FQDN", CLI_USAGE);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return cli_fail("cse: mef", M2M_E_NOMEM);
	{
		m2mi_mef_link_cfg lc = {cfg->mef_url, cfg->mef_ca, cfg->mef_cert, cfg->mef_key, name, cfg->cse_id,
					cfg->psk_lookup_timeout_ms, (size_t)cfg->psk_lookups_max};
		if ((r = m2mi_mef_link_new(&lc, &m->link)) != M2M_OK) {
			free(m);
			return svc_errorf(s, r == M2M_E_KEY_PERMS ? "mef-key" : "mef-cert",
					  r == M2M_E_KEY_PERMS ? cfg->mef_key : cfg->mef_cert,
					  r == M2M_E_KEY_PERMS ? "key file must be mode 0600"
							       : "cannot load mef-ca / mef-cert / mef-key",
					  cli_exit_code(r));
		}
	}
	{
		m2mi_mef_client_cfg cc = {
			.mef_fqdn = name,
			.lim = {CACHE_ENTRIES, (size_t)cfg->psk_lookups_max, cfg->mef_cache_seconds, NEGATIVE_SECONDS},
			.fetch = m2mi_mef_link_fetch,
			.fetch_ctx = m->link,
		};
		if ((r = m2mi_mef_client_new(&cc, &m->mc)) != M2M_OK ||
		    (r = m2m_tls_add_psk_resolver_async(s->tls, m2mi_mef_keid_start, m->mc)) != M2M_OK) {
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
	if (m->mc)
		m2mi_mef_client_set_done(m->mc, done_direct); /* no loop runs any more */
	m2mi_mef_link_free(m->link);                          /* answers what it holds */
	m2mi_mef_client_free(m->mc);
	free(m);
}
