/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's Zn link (cse_gba.h): with bsf-url set, the CSE is a NAF
 * (TS-0003 clause 8.3.2.3, "The Enrolment Target plays the role of a NAF"). A psk_identity that is
 * a B-TID of bsf-name (3GPP TS 33.222 clause 5.4.0.1) makes it RETRIEVE
 * /gbaNafKey/<B-TID>/<NAF FQDN>/<gba-naf-key> over its own mutually authenticated association
 * (bsf-ca / bsf-cert / bsf-key), without blocking other connections; NAF FQDN = the public domain
 * name of its CSE-ID. The wiring is the one every NAF shares (gba_naf.c, also the MAF's).
 */
#include "cli/cse_gba.h"
#include "cli/gba_naf.h"
#include "m2msec/mef.h"

int cse_gba_start(struct svc *s, const m2m_cse_config *cfg, struct remote_res **out)
{
	char naf[256];
	struct gba_naf_opts o = {
		.url = cfg->bsf_url, .ca = cfg->bsf_ca, .cert = cfg->bsf_cert, .key = cfg->bsf_key,
		.name = cfg->bsf_name, .cache_seconds = cfg->bsf_cache_seconds, .naf_key = cfg->gba_naf_key,
		.naf_fqdn = naf, .origin = cfg->cse_id, .timeout_ms = cfg->psk_lookup_timeout_ms,
		.lookups_max = cfg->psk_lookups_max,
	};

	*out = NULL;
	if (cfg->bsf_url[0] == '\0')
		return CLI_OK;
	if (m2m_mef_target_kdf_id(cfg->cse_id, cfg->sp_id, naf, sizeof(naf)) != M2M_OK)
		return svc_errorf(s, "cse-id", cfg->cse_id, "has no public domain name (the NAF FQDN)", CLI_USAGE);
	return gba_naf_start(s, &o, out);
}
