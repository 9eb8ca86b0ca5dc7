/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the service shells' wiring of a remote-key resolver (remote_res.h): the
 * checks every outbound key association needs (TLS-PSK identities arrive only over https-listen;
 * the service hands keys only to an authenticated entity, so a client certificate; https://; the
 * FQDN of the identifiers, which an IP literal is not), the link (a dedicated outbound loop,
 * mutually authenticated TLS) and the resolver over it. Limits: the cache holds keys at most
 * <prefix>-cache-seconds (never beyond their lifetime), refusals 5 s; one fetch deadline =
 * psk-lookup-timeout-ms, fetches in flight <= psk-lookups-max. Shutdown (docs/tls.md): after the
 * server's loops stopped, waits are completed directly (m2m_psk_wait_done), then the link
 * answers what it holds, then the resolver goes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/remote_res.h"
#include "m2msec/log.h"
#include "remote/httpc.h"

#define NEGATIVE_SECONDS 5 /* an unknown or refused identifier is asked again after this */
#define CACHE_ENTRIES 4096 /* keys and refusals kept (LRU beyond) */

static m2m_err done_direct(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	m2m_psk_wait_done(w, err, key, sa);
	return M2M_OK;
}

int remote_res_start(struct svc *s, const struct remote_res_cfg *c, struct remote_res **out)
{
	struct remote_res *rr;
	char k_url[32], k_cert[32], k_key[32], k_name[32], msg[160], me[16] = "";
	m2mi_url u;
	bool tls = false;
	unsigned char ip[16];
	const char *name;
	m2m_err r;

	*out = NULL;
	snprintf(k_url, sizeof(k_url), "%s-url", c->prefix);
	snprintf(k_cert, sizeof(k_cert), "%s-cert", c->prefix);
	snprintf(k_key, sizeof(k_key), "%s-key", c->prefix);
	snprintf(k_name, sizeof(k_name), "%s-name", c->prefix);
	for (size_t i = 0; s->name[i] && i + 1 < sizeof(me); i++)
		me[i] = (char)toupper((unsigned char)s->name[i]);
	if (s->tls == NULL) {
		snprintf(msg, sizeof(msg), "needs https-listen (%s arrive over TLS-PSK)", c->what);
		return svc_errorf(s, k_url, c->url, msg, CLI_USAGE);
	}
	/* The service hands keys only to an authenticated entity (docs/procedures/mef.md, maf.md);
	 * checked here, after the files named in the configuration were found. */
	if (c->cert[0] == '\0' || c->key[0] == '\0') {
		snprintf(msg, sizeof(msg), "needs %s and %s (this %s's certificate towards the %s)", k_cert, k_key, me,
			 c->peer);
		return svc_errorf(s, k_url, c->url, msg, CLI_USAGE);
	}
	if (m2mi_url_parse_any(c->url, &u, &tls) != M2M_OK || !tls)
		return svc_errorf(s, k_url, c->url, "must be https://HOST:PORT", CLI_USAGE);
	name = c->name[0] ? c->name : u.host;
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
		snprintf(msg, sizeof(msg), "the host is an IP address: set %s to the %s's FQDN", k_name, c->peer);
		return svc_errorf(s, k_url, c->url, msg, CLI_USAGE);
	}
	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		return cli_fail(c->prefix, M2M_E_NOMEM);
	{
		m2mi_remote_link_cfg lc = {c->url, c->ca, c->cert, c->key, name, c->origin, c->timeout_ms,
					   (size_t)c->lookups_max, NULL, NULL, NULL};
		if ((r = m2mi_remote_link_new(&lc, &rr->link)) != M2M_OK) {
			free(rr);
			snprintf(msg, sizeof(msg), "cannot load %s-ca / %s / %s", c->prefix, k_cert, k_key);
			return svc_errorf(s, r == M2M_E_KEY_PERMS ? k_key : k_cert, r == M2M_E_KEY_PERMS ? c->key : c->cert,
					  r == M2M_E_KEY_PERMS ? "key file must be mode 0600" : msg, cli_exit_code(r));
		}
	}
	{
		m2mi_remote_key_cfg kc = {
			.lim = {CACHE_ENTRIES, (size_t)c->lookups_max, c->cache_seconds, NEGATIVE_SECONDS},
			.fetch = m2mi_remote_link_fetch,
			.fetch_ctx = rr->link,
			.observe = c->observe,
			.observe_ctx = c->observe_ctx,
		};
		char self_abs[512] = "";
		m2m_id *sid = NULL;
		if (c->maf && c->origin != NULL && c->origin[0] == '/' && c->origin[1] != '/' && c->sp_id != NULL)
			snprintf(self_abs, sizeof(self_abs), "%s%s", c->sp_id, c->origin); /* SP-relative CSE-ID */
		/* the MAF answers canonical IDs (the SP's FQDN in lowercase): compare with the same */
		if (self_abs[0] != '\0' && m2m_id_parse(self_abs, strlen(self_abs), M2M_ID_CSE_ID, &sid) == M2M_OK)
			snprintf(self_abs, sizeof(self_abs), "%s", m2m_id_canonical(sid));
		m2m_id_free(sid);
		if (c->maf) {
			kc.self_abs = self_abs;
			kc.self_rel = c->origin; /* the key must be for this CSE (TS-0003 §8.8.2.8) */
		}
		if (c->gba) {
			snprintf(rr->gba_naf.fqdn, sizeof(rr->gba_naf.fqdn), "%s", c->naf_fqdn);
			rr->gba_naf.kind = c->naf_kind;
			m2mi_remote_key_cfg_gba(&kc, name, &rr->gba_naf);
		} else if (c->maf)
			m2mi_remote_key_cfg_maf(&kc, name);
		else
			m2mi_remote_key_cfg_mef(&kc, name, c->suid);
		if ((r = m2mi_remote_key_new(&kc, &rr->rk)) != M2M_OK ||
		    (r = m2m_tls_add_psk_resolver_async(s->tls, m2mi_remote_key_start, rr->rk)) != M2M_OK) {
			remote_res_stop(rr);
			return svc_errorf(s, k_name, name, m2m_strerror(r), cli_exit_code(r));
		}
		/* The pairwiseESPrimKeys the service keeps for this CSE (TS-0003 8.4.2 A: MEF / RSPF
		 * SUID 23, MAF SUID 33): the same identifiers under another SUID, so a resolver of their
		 * own (own cache, no network-authorization hook) that only the ESPrim Receiver asks
		 * (m2m_tls_esprim_lookup); the link is shared. */
		if (c->esprim_suid != 0 && !c->gba) {
			kc.suid = c->esprim_suid;
			kc.observe = NULL;
			kc.observe_ctx = NULL;
			if ((r = m2mi_remote_key_new(&kc, &rr->rk_esp)) != M2M_OK ||
			    (r = m2m_tls_add_esprim_resolver_async(s->tls, m2mi_remote_key_start, rr->rk_esp)) != M2M_OK) {
				remote_res_stop(rr);
				return svc_errorf(s, k_name, name, m2m_strerror(r), cli_exit_code(r));
			}
		}
	}
	m2m_log(M2M_LOG_INFO, "%s %s (%s): %s *@%s fetched during the handshake, cached <= %d s", c->peer, c->url,
		name, c->what, name, c->cache_seconds);
	*out = rr;
	return CLI_OK;
}

void remote_res_stop(struct remote_res *rr)
{
	if (rr == NULL)
		return;
	if (rr->rk)
		m2mi_remote_key_set_done(rr->rk, done_direct); /* no loop runs any more */
	if (rr->rk_esp)
		m2mi_remote_key_set_done(rr->rk_esp, done_direct);
	m2mi_remote_link_free(rr->link);                       /* answers what it holds */
	m2mi_remote_key_free(rr->rk);
	m2mi_remote_key_free(rr->rk_esp);
	free(rr);
}
