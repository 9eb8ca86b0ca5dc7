/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of what the services' operator commands (`m2msec mef
 * enrolee ...`, `m2msec maf client ...`; src/cli/admin.c) share: the configuration section read
 * as the service reads it, required options, the list/show output (UTC times, JSON strings).
 */
#ifndef M2M_CLI_ADMIN_H
#define M2M_CLI_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/service.h"

/* Fill cfg from the [sec] section of config for the command what (errors "<what>: FILE: ..."):
 * "--config FILE is required" when config is NULL. Returns CLI_OK or the exit code. */
int admin_config(const char *what, const char *config, const struct svc_section *sec, void *cfg);
/* -1 when v is set, else "<what>: <opt> is required (try --help)" printed and CLI_USAGE. */
int admin_need(const char *what, const char *v, const char *opt);
/* t as "YYYY-MM-DDTHH:MM:SSZ" (UTC), "-" when t <= 0. */
void admin_time(int64_t t, char *buf, size_t cap);
/* ,"key":"v" (no comma when !comma; null when v is NULL) with '"', '\' and controls escaped. */
void admin_json_str(FILE *f, const char *key, const char *v, bool comma);

struct option;

#define ADMIN_HELP 'h'         /* the val of --help in an admin_getopt table */
#define ADMIN_NOT_MINE (-2)    /* admin_getopt's set(): c is not an option of this command */

/* getopt_long over argv with opts (their vals: the command's own, and ADMIN_HELP for --help,
 * which prints usage to stdout); set(arg, c, what) takes each other option (optarg set) and
 * returns -1 to go on, an exit code, or ADMIN_NOT_MINE (a bad option). Operands are refused.
 * Returns -1 to go on, else the exit code. */
int admin_getopt(const char *what, int argc, char **argv, const struct option *opts, void (*usage)(FILE *f),
		 int (*set)(void *arg, int c, const char *what), void *arg);

/* An operator command "<prefix> <cmd> ..." of cmds (ncmds names): no operand or --help/-h
 * prints usage; an unknown cmd is "<prefix>: unknown <noun> 'X' <hint>" (CLI_USAGE); else
 * run(i, what = "<prefix> <cmds[i]>", argc - 1, argv + 1). */
int admin_main(const char *prefix, const char *const *cmds, size_t ncmds, int argc, char **argv,
	       void (*usage)(FILE *f), const char *noun, const char *hint,
	       int (*run)(size_t i, const char *what, int argc, char **argv));

#endif
