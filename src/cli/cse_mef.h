/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CSE process's link to its MEF (cse_mef.c): KeIDs
 * presented as TLS-PSK identities are fetched from the MEF during the handshake.
 */
#ifndef M2MSEC_CLI_CSE_MEF_H
#define M2MSEC_CLI_CSE_MEF_H

#include "cli/cli.h"
#include "cli/service.h"
#include "m2msec/config.h"
#include "m2msec/cse.h"
#include "remote/remote_key.h"

struct cse_mef;

/* After svc_open (s->tls exists), before svc_listen: register the KeID resolver when mef-url is
 * set (*out NULL otherwise). Errors are printed; returns CLI_OK or the exit code. */
int cse_mef_start(struct svc *s, const m2m_cse_config *cfg, struct cse_mef **out);
/* Let the security profile's accepted SUIDs gate rk too (the MAF's resolver, cse_maf.c); before
 * cse_mef_profile_start. m NULL: no-op. */
void cse_mef_gate(struct cse_mef *m, m2mi_remote_key *rk);
/* After m2m_cse_new: with mef-security-profile, retrieve the profile (the CSE does not start
 * without it) and start its refresh (every mef-cache-seconds, at least 5 s). */
int cse_mef_profile_start(struct svc *s, struct cse_mef *m, m2m_cse *cse, const m2m_cse_config *cfg);
/* After the server's loops stopped (svc_run returned), before the server and TLS are freed. */
/* After m2m_cse_new: hand the underlying-network authorization the MEF reports to cse and start
 * its refresh (every mef-cache-seconds, at least 1 s; cse_netauth.c). NULL m: nothing. */
int cse_mef_netauth_start(struct cse_mef *m, m2m_cse *cse, const m2m_cse_config *cfg);
void cse_mef_stop(struct cse_mef *m);

#endif
