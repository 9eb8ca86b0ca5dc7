/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the service shells' wiring of a remote-key resolver
 * (remote_res.c): one outbound association (remote/remote_link.c) to a key service and the
 * asynchronous TLS-PSK resolver over it (remote/remote_key.c), registered on the service's TLS
 * context. The CSE's MEF KeIDs (cse_mef.c), the CSE's MAF Key Identifiers (cse_maf.c) and the
 * MAF's Km from the MEF use this one function with their own configuration.
 */
#ifndef M2MSEC_CLI_REMOTE_RES_H
#define M2MSEC_CLI_REMOTE_RES_H

#include "cli/cli.h"
#include "cli/service.h"
#include "remote/remote_link.h"

struct remote_res {
	m2mi_remote_link *link; /* also for other RETRIEVEs to the service (the CSE's security profile) */
	m2mi_remote_key *rk;
	m2mi_remote_key *rk_esp; /* the ESPrim keys of the service (esprim_suid), NULL = none */
	m2mi_gba_naf gba_naf;   /* the NAF's Zn parameters (gba), borrowed by rk */
};

struct remote_res_cfg {
	const char *prefix;     /* "mef" / "maf": the configuration keys <prefix>-url, -ca, -cert, -key, -name */
	const char *peer;       /* "MEF" / "MAF", for messages */
	const char *what;       /* what arrives as psk_identity, for messages: "KeIDs" */
	const char *url, *ca, *cert, *key;
	const char *name;       /* the service's FQDN; "" = the host of url (an IP literal is refused) */
	const char *origin;     /* X-M2M-Origin of the RETRIEVEs */
	bool maf;               /* m2mi_remote_key_cfg_maf, else m2mi_remote_key_cfg_mef(name, suid) */
	int suid;               /* the MEF configuration's SUID */
	int timeout_ms;         /* psk-lookup-timeout-ms */
	int lookups_max;        /* psk-lookups-max: fetches queued or in flight */
	int cache_seconds;      /* <prefix>-cache-seconds */
	m2mi_remote_observe_fn observe; /* NULL or the service's hook (remote_key.h) */
	void *observe_ctx;
	const char *sp_id;      /* maf: with origin, the CSE-ID the MAF's answers must list in targetIDs */
	bool gba;               /* the NAF side of Zn: B-TIDs of name (m2mi_remote_key_cfg_gba) */
	const char *naf_fqdn;   /* gba: this entity's NAF FQDN (TS-0003 8.3.2.3) */
	m2m_gba_naf_kind naf_kind; /* gba: gba-naf-key */
	int esprim_suid;        /* the CSE: also fetch pairwiseESPrimKeys with this SUID (23 MEF, 33 MAF), 0 = no */
};

/* After svc_open (s->tls exists), before svc_listen: check the configuration (https-listen,
 * certificate, https:// URL, an FQDN), open the link, register the resolver. Errors are printed
 * naming the key; returns CLI_OK (*out set) or the exit code. */
int remote_res_start(struct svc *s, const struct remote_res_cfg *c, struct remote_res **out);
/* After the server's loops stopped (svc_run returned), before the server and TLS are freed:
 * waits are completed directly, the link answers what it holds, then the resolver goes. NULL ok. */
void remote_res_stop(struct remote_res *r);

#endif
