/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CSE process's link to its MAF (cse_maf.c): Key
 * Identifiers of the MAF presented as TLS-PSK identities are retrieved from the MAF during the
 * handshake (MAF-based SAEF, Entity B; docs/procedures/maf.md "The CSE side").
 */
#ifndef M2MSEC_CLI_CSE_MAF_H
#define M2MSEC_CLI_CSE_MAF_H

#include "cli/remote_res.h"
#include "m2msec/config.h"

/* After svc_open (s->tls exists), before svc_listen: register the MAF Kc resolver when maf-url
 * is set (*out NULL otherwise). Errors are printed; returns CLI_OK or the exit code. Stop it
 * with remote_res_stop after the server's loops stopped (and after cse_mef_stop, whose profile
 * refresh gates it). */
int cse_maf_start(struct svc *s, const m2m_cse_config *cfg, struct remote_res **out);

#endif
