/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface shared by the `m2msec das` command files (TS-0003 clause
 * 7.3, docs/procedures/das.md): the [das] configuration section for the service shell and the
 * operator's token commands.
 */
#ifndef M2M_CLI_CMD_DAS_H
#define M2M_CLI_CMD_DAS_H

#include "cli/service.h"

/* The [das] section on the service shell (svc_load): defaults, parse, validate, line. */
extern const struct svc_section cli_das_section;

/* `m2msec das token issue|verify ...` (cmd_das_token.c); argv[0] is "token". */
int cli_das_token_main(int argc, char **argv);

#endif
