/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface between `m2msec maf` (cmd_maf.c) and its operator commands
 * `m2msec maf client ...` (cmd_maf_admin.c): they open the MAF's credential store named by the
 * configuration's [maf] section directly (SQLite WAL: they work while the MAF runs).
 */
#ifndef M2M_CLI_CMD_MAF_H
#define M2M_CLI_CMD_MAF_H

#include <stdbool.h>

#include "m2msec/config.h"
#include "m2msec/credstore.h"

struct svc_section;
/* The [maf] section (cmd_maf.c): the service and its operator commands read it alike. */
extern const struct svc_section cli_maf_section;

int cli_maf_admin_main(int argc, char **argv);

/* Read and validate the [maf] section of config into cfg and open its store (created when
 * create). Errors printed as "m2msec: <what>: ..."; returns CLI_OK or the exit code. */
int maf_cli_open(const char *what, const char *config, bool create, m2m_maf_svc_config *cfg, m2m_credstore **st);

#endif
