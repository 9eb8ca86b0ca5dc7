/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one wiring of an entity as NAF (gba_naf.h): a psk_identity that is a
 * B-TID of bsf-name (3GPP TS 33.222 clause 5.4.0.1) makes the entity RETRIEVE
 * /gbaNafKey/<B-TID>/<NAF FQDN>/<gba-naf-key> over its own mutually authenticated association
 * (bsf-ca / bsf-cert / bsf-key) without blocking other connections (remote_res.c,
 * remote/gba_zn_rsp.c). PSK = the NAF key; the association is bound to the subscriber's
 * Enrolee-ID, Credential-ID 12-<B-TID>, expiry = the bootstrap's; cached at most
 * bsf-cache-seconds. The CSE (cse_gba.c) and the MAF (maf_psk.c) differ only in their NAF FQDN.
 */
#include "cli/gba_naf.h"
#include "m2msec/gba_zn.h"

int gba_naf_start(struct svc *s, const struct gba_naf_opts *o, struct remote_res **out)
{
	struct remote_res_cfg rc = {
		.prefix = "bsf", .peer = "BSF", .what = "B-TIDs",
		.url = o->url, .ca = o->ca, .cert = o->cert, .key = o->key,
		.name = o->name, .origin = o->origin, .gba = true, .naf_fqdn = o->naf_fqdn,
		.timeout_ms = o->timeout_ms, .lookups_max = o->lookups_max,
		.cache_seconds = o->cache_seconds, .observe = o->observe, .observe_ctx = o->observe_ctx,
	};

	*out = NULL;
	if (o->url[0] == '\0')
		return CLI_OK;
	if (m2m_gba_naf_kind_parse(o->naf_key, &rc.naf_kind) != M2M_OK) /* validated before */
		return svc_errorf(s, "gba-naf-key", o->naf_key, "unknown NAF key kind", CLI_USAGE);
	/* TS 33.222 clause 5.4.0.1: the NAF's TLS 1.2 identity hint; the UE answers with its B-TID */
	if (s->tls != NULL && m2m_tls_set_psk_hint(s->tls, rc.naf_kind == M2M_GBA_KS_INT_NAF ? M2M_GBA_PSK_HINT_UICC : M2M_GBA_PSK_HINT) !=
	    M2M_OK)
		return svc_errorf(s, "bsf-url", o->url, "cannot set the PSK identity hint", CLI_FAIL);
	return remote_res_start(s, &rc, out);
}
