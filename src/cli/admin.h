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

#endif
