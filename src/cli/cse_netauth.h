/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CSE process's refresh of the underlying-network
 * authorization its MEF reports with each credential (cse_netauth.c, docs/procedures/mef.md
 * "Underlying-network authorization").
 */
#ifndef M2MSEC_CLI_CSE_NETAUTH_H
#define M2MSEC_CLI_CSE_NETAUTH_H

#include "m2msec/cse.h"
#include "remote/remote_key.h"
#include "remote/remote_link.h"

struct cse_netauth;

/* A table of the KeIDs seen (at most CSE_NETAUTH_KEYS, the oldest goes first); NULL when out
 * of memory. */
struct cse_netauth *cse_netauth_new(void);
/* The same for the B-TIDs of the CSE as NAF (cse_gba.c): re-fetched over Zn for naf (copied). */
struct cse_netauth *cse_netauth_new_zn(const m2mi_gba_naf *naf);
/* The m2mi_remote_observe_fn of the CSE's MEF resolver (ctx = the table): every fetch during a
 * handshake records its KeID and hands its status to the CSE (once attached). */
void cse_netauth_observe(void *ctx, const char *key_id, m2m_err err, const m2m_key *key, const m2m_sa *sa);
/* Attach the CSE and start the refresh thread: every interval_s seconds (>= 1) each recorded
 * KeID is fetched again over link, one at a time, each bounded by the link's deadline. 0 ok
 * (also for na NULL), -1 failed. */
int cse_netauth_start(struct cse_netauth *na, m2m_cse *cse, m2mi_remote_link *link, int interval_s);
/* Stop the thread (a fetch in flight ends at its deadline); the table stays until _free. */
void cse_netauth_stop(struct cse_netauth *na);
/* After the resolver is gone (no more observe calls). NULL ok. */
void cse_netauth_free(struct cse_netauth *na);

#endif
