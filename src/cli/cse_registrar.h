/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the Registree side of CSE registration (cse_registrar.c):
 * with `registrar` set, this CSE registers itself with its Registrar CSE (docs/procedures/transit.md).
 */
#ifndef M2MSEC_CLI_CSE_REGISTRAR_H
#define M2MSEC_CLI_CSE_REGISTRAR_H

#include "cli/service.h"
#include "m2msec/config.h"
#include "m2msec/cse.h"

struct cse_registrar;

/* Queue the registration when registrar is set (*out NULL otherwise); never waits for the
 * Registrar. Once registered, the Registrar's <remoteCSE> is created in cse (m2m_cse_add_registrar;
 * cse must outlive cse_registrar_stop). Errors (files that do not load) are printed; returns
 * CLI_OK or the exit code. */
int cse_registrar_start(struct svc *s, const m2m_cse_config *cfg, m2m_cse *cse, struct cse_registrar **out);
/* Stops the retries and the link (any thread but the link's). NULL is a no-op. */
void cse_registrar_stop(struct cse_registrar *r);

#endif
