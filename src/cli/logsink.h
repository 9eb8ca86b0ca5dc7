/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the interface of the executable's JSON-lines log sink (src/cli/logsink.c). */
#ifndef M2M_CLI_LOGSINK_H
#define M2M_CLI_LOGSINK_H

#include "m2msec/log.h"
#include "m2msec/err.h"

/* Install the JSON-lines sink: path NULL/"" = stderr; level "debug"|"info"|"warn"|"error". */
m2m_err cli_logsink_install(const char *path, const char *level);

#endif
