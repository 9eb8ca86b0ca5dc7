/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface between `m2msec esdata` (cmd_esdata.c) and its key fetch
 * from the MEF in the Trust Enabling Function role (esdata_tef.c, TS-0003 clause 8.6.3).
 */
#ifndef M2M_CLI_ESDATA_TEF_H
#define M2M_CLI_ESDATA_TEF_H

#include "m2msec/key.h"

/* The MEF connection options of `m2msec esdata` (the ones `m2msec enrol` takes). */
typedef struct cli_tef_opts {
	const char *mef, *mef_ca, *client_cert, *client_key, *mef_fqdn, *timeout, *key_id;
} cli_tef_opts;

/* Fetch the key o->key_id from the MEF (m2m_enrolee_tef_key): *key carries the Credential-ID
 * and *suid its SUID. Returns CLI_OK, CLI_USAGE (bad option, message printed) or CLI_FAIL (the
 * MEF unreachable or refusing: its RSC and reason printed). */
int cli_esdata_tef_key(const cli_tef_opts *o, m2m_key **key, int *suid);

#endif
