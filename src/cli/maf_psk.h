/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the MAF process's TLS-PSK resolvers (maf_psk.c): the
 * MAF Handshake with KmID/Km (TS-0003 clause 8.8.2.2) and the remote provisioning of Km through
 * the MEF (clause 8.8.2.3, KeID of the MEF as psk_identity), over the MAF's own association with
 * the MEF ([maf] mef-url, mef-ca, mef-cert, mef-key), and the MAF as NAF (clause 8.3.2.3, B-TID of
 * the BSF as psk_identity, [maf] bsf-url ...).
 */
#ifndef M2MSEC_CLI_MAF_PSK_H
#define M2MSEC_CLI_MAF_PSK_H

#include "cli/cli.h"
#include "cli/service.h"
#include "m2msec/config.h"
#include "m2msec/maf.h"

struct maf_psk;

/* After svc_open (s->tls exists), before the first handshake: register the KmID resolver and,
 * with mef-url, the KeID resolver of the MEF (SUID 21) and the MEF link, with bsf-url the B-TID
 * resolver and the BSF link. Errors are printed;
 * returns CLI_OK or the exit code. */
int maf_psk_start(struct svc *s, const m2m_maf_svc_config *cfg, m2m_maf *maf, struct maf_psk **out);
/* The FQDN of the MEF's KeIDs by the configuration: mef-name, else the host of mef-url ("" without
 * mef-url). */
void maf_psk_mef_name_of(const m2m_maf_svc_config *cfg, char *out, size_t cap);
/* The FQDN of the BSF's B-TIDs by the configuration: bsf-name, else the host of bsf-url. */
void maf_psk_bsf_name_of(const m2m_maf_svc_config *cfg, char *out, size_t cap);
/* The FQDN of the BSF's B-TIDs ("" without bsf-url). */
const char *maf_psk_bsf_name(const struct maf_psk *p);
/* The FQDN of the MEF's KeIDs ("" without mef-url). */
const char *maf_psk_mef_name(const struct maf_psk *p);
/* After the server's loops stopped (svc_run returned), before the server and TLS are freed. */
void maf_psk_stop(struct maf_psk *p);

#endif
