/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CSE process's Zn link (cse_gba.c): the CSE as NAF of
 * the GBA-based RSPF (TS-0003 clause 8.3.2.3; docs/procedures/gba.md "Zn"): B-TIDs presented as
 * TLS-PSK identities are resolved by fetching the NAF key from the MEF/BSF during the handshake,
 * and the GBA subscriber's network-access status the BSF hands with it is refreshed over Zn.
 */
#ifndef M2MSEC_CLI_CSE_GBA_H
#define M2MSEC_CLI_CSE_GBA_H

#include "cli/remote_res.h"
#include "m2msec/config.h"
#include "m2msec/cse.h"

struct cse_gba;

/* After svc_open, before svc_listen: register the B-TID resolver when bsf-url is set (*out NULL
 * otherwise). Errors are printed; returns CLI_OK or the exit code. */
int cse_gba_start(struct svc *s, const m2m_cse_config *cfg, struct cse_gba **out);
/* Once the CSE exists: hand it the statuses and start their refresh (every bsf-cache-seconds, at
 * least 1 s; cse_netauth.c). g NULL: nothing. CLI_OK or the exit code. */
int cse_gba_netauth_start(struct cse_gba *g, m2m_cse *cse, const m2m_cse_config *cfg);
/* After the server's loops stopped (svc_run returned), before the server and TLS are freed. */
void cse_gba_stop(struct cse_gba *g);

#endif
