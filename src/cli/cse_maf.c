/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE process's link to its MAF (cse_maf.h): with maf-url set, the CSE
 * is Entity B of MAF-based SAEF (TS-0003 §8.2.2.3). A psk_identity "<32 hex>@<maf-name>" (a Key
 * Identifier, §10.3.5) makes it RETRIEVE /mafKeyReg/<relKeyID> with X-M2M-Origin = its CSE-ID
 * over its own mutually authenticated association (maf-ca / maf-cert / maf-key), without
 * blocking other connections (§8.8.2.8 MAF Key Retrieval). psk = the first half of Kc (§8.8.1);
 * the association is bound to the sourceID the MAF reports, Credential-ID 12-<Key Identifier>,
 * expiry = the key's expirationTime; cached at most maf-cache-seconds, refusals 5 s
 * (remote/maf_key_rsp.c). The wiring is the one of the MEF's KeIDs (remote_res.c).
 */
#include "cli/cse_maf.h"

int cse_maf_start(struct svc *s, const m2m_cse_config *cfg, struct remote_res **out)
{
	struct remote_res_cfg rc = {
		.prefix = "maf", .peer = "MAF", .what = "MAF Key Identifiers",
		.url = cfg->maf_url, .ca = cfg->maf_ca, .cert = cfg->maf_cert, .key = cfg->maf_key,
		.name = cfg->maf_name, .origin = cfg->cse_id, .maf = true, .sp_id = cfg->sp_id,
		.timeout_ms = cfg->psk_lookup_timeout_ms, .lookups_max = cfg->psk_lookups_max,
		.cache_seconds = cfg->maf_cache_seconds,
		.esprim_suid = 33, /* Kc with the ESPrim SUID (docs/procedures/e2e.md, docs/keys.md choice 8) */
	};

	*out = NULL;
	if (cfg->maf_url[0] == '\0')
		return CLI_OK;
	return remote_res_start(s, &rc, out);
}
