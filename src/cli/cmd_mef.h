/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface between `m2msec mef` (cmd_mef.c) and its operator commands
 * `m2msec mef enrolee ...` (cmd_mef_enrolee.c, cmd_mef_import.c) and `m2msec mef group ...`
 * (cmd_mef_group.c): they open the MEF store named by the configuration's [mef] section directly
 * (SQLite WAL: they work while the MEF runs).
 */
#ifndef M2M_CLI_CMD_MEF_H
#define M2M_CLI_CMD_MEF_H

#include <stdbool.h>
#include <stdint.h>

#include "m2msec/config.h"
#include "m2msec/mefstore.h"

struct svc_section;
/* The [mef] section (cmd_mef.c): the service and its operator commands read it alike. */
extern const struct svc_section cli_mef_section;

int cli_mef_enrolee_main(int argc, char **argv);
int cli_mef_group_main(int argc, char **argv);
int cli_mef_profile_main(int argc, char **argv);
/* `m2msec mef subscriber add` (cmd_mef_subscriber.c): the test HSS of the BSF role. */
int cli_mef_subscriber_main(int argc, char **argv);
/* `m2msec mef enrolee import` (argv[0] = "import"). */
int cli_mef_import_main(int argc, char **argv);

/* Read and validate the [mef] section of config into cfg and open its store (created when
 * create). Errors printed as "m2msec: <what>: ..."; returns CLI_OK or the exit code. */
int mef_cli_open(const char *what, const char *config, bool create, m2m_mef_svc_config *cfg, m2m_mefstore **st);
/* --expiry-days: a whole number of days 1..36500 into *days (-1), else printed (CLI_USAGE). */
int mef_cli_expiry_days(const char *what, const char *arg, long *days);
/* Read a 32-byte key as hex from file ("-" = standard input; a file must be 0600 or stricter)
 * into a new m2m_key *out (the caller frees it). Errors printed; returns CLI_OK or the exit code. */
int mef_cli_key(const char *what, const char *file, m2m_key **out);

#endif
