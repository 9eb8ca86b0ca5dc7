/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's Zn link (cse_gba.h): with bsf-url set, the CSE is a NAF
 * (TS-0003 clause 8.3.2.3, "The Enrolment Target plays the role of a NAF"). A psk_identity that is
 * a B-TID of bsf-name (3GPP TS 33.222 clause 5.4.0.1) makes it RETRIEVE
 * /gbaNafKey/<B-TID>/<NAF FQDN>/<gba-naf-key> over its own mutually authenticated association
 * (bsf-ca / bsf-cert / bsf-key), without blocking other connections; NAF FQDN = the public domain
 * name of its CSE-ID. PSK = the NAF key; the association is bound to the subscriber's Enrolee-ID,
 * Credential-ID 12-<B-TID>, expiry = the bootstrap's; cached at most bsf-cache-seconds
 * (remote/gba_zn_rsp.c). The wiring is the one of the MEF's KeIDs (remote_res.c).
 */
#include "cli/cse_gba.h"
#include "m2msec/gba_zn.h"
#include "m2msec/mef.h"

int cse_gba_start(struct svc *s, const m2m_cse_config *cfg, struct remote_res **out)
{
	char naf[256];
	struct remote_res_cfg rc = {
		.prefix = "bsf", .peer = "BSF", .what = "B-TIDs",
		.url = cfg->bsf_url, .ca = cfg->bsf_ca, .cert = cfg->bsf_cert, .key = cfg->bsf_key,
		.name = cfg->bsf_name, .origin = cfg->cse_id, .gba = true, .naf_fqdn = naf,
		.timeout_ms = cfg->psk_lookup_timeout_ms, .lookups_max = cfg->psk_lookups_max,
		.cache_seconds = cfg->bsf_cache_seconds,
	};

	*out = NULL;
	if (cfg->bsf_url[0] == '\0')
		return CLI_OK;
	if (m2m_gba_naf_kind_parse(cfg->gba_naf_key, &rc.naf_kind) != M2M_OK) /* validated before */
		return svc_errorf(s, "gba-naf-key", cfg->gba_naf_key, "unknown NAF key kind", CLI_USAGE);
	if (m2m_mef_target_kdf_id(cfg->cse_id, cfg->sp_id, naf, sizeof(naf)) != M2M_OK)
		return svc_errorf(s, "cse-id", cfg->cse_id, "has no public domain name (the NAF FQDN)", CLI_USAGE);
	/* TS 33.222 clause 5.4.0.1: the NAF's TLS 1.2 identity hint; the UE answers with its B-TID */
	if (s->tls != NULL && m2m_tls_set_psk_hint(s->tls, rc.naf_kind == M2M_GBA_KS_INT_NAF ? M2M_GBA_PSK_HINT_UICC : M2M_GBA_PSK_HINT) !=
	    M2M_OK)
		return svc_errorf(s, "bsf-url", cfg->bsf_url, "cannot set the PSK identity hint", CLI_FAIL);
	return remote_res_start(s, &rc, out);
}
