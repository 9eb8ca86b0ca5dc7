/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the one wiring of an entity as NAF of the GBA-based RSPF
 * (gba_naf.c; TS-0003 clause 8.3.2.3, docs/procedures/gba.md "Zn"): the CSE (cse_gba.c) and the
 * MAF (maf_psk.c) both accept B-TIDs of their BSF as TLS-PSK identities through this one
 * resolver of the shared remote-key machinery, configured by the same keys (bsf-url, bsf-ca,
 * bsf-cert, bsf-key, bsf-name, bsf-cache-seconds, gba-naf-key).
 */
#ifndef M2MSEC_CLI_GBA_NAF_H
#define M2MSEC_CLI_GBA_NAF_H

#include "cli/remote_res.h"

struct gba_naf_opts {
	const char *url, *ca, *cert, *key, *name; /* bsf-url .. bsf-name */
	int cache_seconds;                        /* bsf-cache-seconds */
	const char *naf_key;                      /* gba-naf-key (validated by the configuration) */
	const char *naf_fqdn;                     /* this NAF's FQDN: the CSE's public domain name, the MAF-FQDN */
	const char *origin;                       /* X-M2M-Origin of the Zn RETRIEVEs */
	int timeout_ms, lookups_max;              /* psk-lookup-timeout-ms, psk-lookups-max */
	m2mi_remote_observe_fn observe;           /* NULL or the service's hook (remote_key.h) */
	void *observe_ctx;
};

/* After svc_open, before svc_listen: with url set, set the TLS identity hint of TS 33.222
 * clause 5.4.0.1 and register the B-TID resolver (*out; NULL without url). Errors are printed
 * naming the key; returns CLI_OK or the exit code. Stop with remote_res_stop after the loops. */
int gba_naf_start(struct svc *s, const struct gba_naf_opts *o, struct remote_res **out);

#endif
