/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CSE process's Zn link (cse_gba.c): the CSE as NAF of
 * the GBA-based RSPF (TS-0003 clause 8.3.2.3; docs/procedures/gba.md "Zn"): B-TIDs presented as
 * TLS-PSK identities are resolved by fetching the NAF key from the MEF/BSF during the handshake.
 */
#ifndef M2MSEC_CLI_CSE_GBA_H
#define M2MSEC_CLI_CSE_GBA_H

#include "cli/remote_res.h"
#include "m2msec/config.h"

/* After svc_open, before svc_listen: register the B-TID resolver when bsf-url is set (*out NULL
 * otherwise). Errors are printed; returns CLI_OK or the exit code. Stop it with remote_res_stop
 * after the server's loops stopped. */
int cse_gba_start(struct svc *s, const m2m_cse_config *cfg, struct remote_res **out);

#endif
