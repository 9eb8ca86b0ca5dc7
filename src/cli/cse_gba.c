/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's Zn link (cse_gba.h): with bsf-url set, the CSE is a NAF
 * (TS-0003 clause 8.3.2.3, "The Enrolment Target plays the role of a NAF"). A psk_identity that is
 * a B-TID of bsf-name (3GPP TS 33.222 clause 5.4.0.1) makes it RETRIEVE
 * /gbaNafKey/<B-TID>/<NAF FQDN>/<gba-naf-key> over its own mutually authenticated association
 * (bsf-ca / bsf-cert / bsf-key), without blocking other connections; NAF FQDN = the public domain
 * name of its CSE-ID. The wiring is the one every NAF shares (gba_naf.c, also the MAF's). The
 * Zn answers' networkAuthorized (the GBA subscriber's status in the HSS) is observed and refreshed
 * over Zn like the MEF's KeIDs (cse_netauth.c).
 */
#include <stdlib.h>

#include "cli/cse_gba.h"
#include "cli/cse_netauth.h"
#include "cli/gba_naf.h"
#include "m2msec/gba_zn.h"
#include "m2msec/mef.h"

struct cse_gba {
	struct remote_res *rr;   /* rr->link: the BSF link; rr->rk: the B-TID resolver */
	struct cse_netauth *na;  /* the GBA subscribers' network-access status per B-TID */
};

int cse_gba_start(struct svc *s, const m2m_cse_config *cfg, struct cse_gba **out)
{
	char naf[254];
	m2mi_gba_naf zn = {{0}, M2M_GBA_KS_NAF};
	struct cse_gba *g;
	struct gba_naf_opts o = {
		.url = cfg->bsf_url, .ca = cfg->bsf_ca, .cert = cfg->bsf_cert, .key = cfg->bsf_key,
		.name = cfg->bsf_name, .cache_seconds = cfg->bsf_cache_seconds, .naf_key = cfg->gba_naf_key,
		.naf_fqdn = naf, .origin = cfg->cse_id, .timeout_ms = cfg->psk_lookup_timeout_ms,
		.lookups_max = cfg->psk_lookups_max, .observe = cse_netauth_observe,
	};
	int rc;

	*out = NULL;
	if (cfg->bsf_url[0] == '\0')
		return CLI_OK;
	if (m2m_mef_target_kdf_id(cfg->cse_id, cfg->sp_id, naf, sizeof(naf)) != M2M_OK)
		return svc_errorf(s, "cse-id", cfg->cse_id, "has no public domain name (the NAF FQDN)", CLI_USAGE);
	snprintf(zn.fqdn, sizeof(zn.fqdn), "%s", naf);
	if (m2m_gba_naf_kind_parse(cfg->gba_naf_key, &zn.kind) != M2M_OK) /* validated before */
		return svc_errorf(s, "gba-naf-key", cfg->gba_naf_key, "unknown NAF key kind", CLI_USAGE);
	if ((g = calloc(1, sizeof(*g))) == NULL || (g->na = cse_netauth_new_zn(&zn)) == NULL) {
		free(g);
		return cli_fail("cse: bsf", M2M_E_NOMEM);
	}
	o.observe_ctx = g->na;
	if ((rc = gba_naf_start(s, &o, &g->rr)) != CLI_OK) {
		cse_netauth_free(g->na);
		free(g);
		return rc;
	}
	*out = g;
	return CLI_OK;
}

int cse_gba_netauth_start(struct cse_gba *g, m2m_cse *cse, const m2m_cse_config *cfg)
{
	if (g == NULL)
		return CLI_OK;
	if (cse_netauth_start(g->na, cse, g->rr->link, cfg->bsf_cache_seconds) != 0)
		return cli_fail("cse: bsf", M2M_E_INTERNAL);
	return CLI_OK;
}

void cse_gba_stop(struct cse_gba *g)
{
	if (g == NULL)
		return;
	cse_netauth_stop(g->na); /* before the link its fetches use */
	remote_res_stop(g->rr);  /* the loops stopped: answer the held handshakes */
	cse_netauth_free(g->na); /* after the resolver: no observe call any more */
	free(g);
}
