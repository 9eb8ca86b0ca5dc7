/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements what the services' operator commands share (admin.h): `m2msec mef
 * enrolee ...` and `m2msec maf client ...` read their service's section with the service's own
 * reader (svc_load: the same defaults, validation and messages), and print list/show lines and
 * JSON objects in one format (never key bytes: the callers pass identifiers and states only).
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli/admin.h"
#include "cli/cli.h"

int admin_config(const char *what, const char *config, const struct svc_section *sec, void *cfg)
{
	const struct svc s = {.name = what, .path = config};

	if (config == NULL) {
		cli_errorf("%s: --config FILE is required (try --help)", what);
		return CLI_USAGE;
	}
	return svc_load(&s, sec, cfg);
}

int admin_need(const char *what, const char *v, const char *opt)
{
	if (v != NULL)
		return -1;
	cli_errorf("%s: %s is required (try --help)", what, opt);
	return CLI_USAGE;
}

void admin_time(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, cap, "-");
		return;
	}
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void admin_json_str(FILE *f, const char *key, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	if (v == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int admin_getopt(const char *what, int argc, char **argv, const struct option *opts, void (*usage)(FILE *f),
		 int (*set)(void *arg, int c, const char *what), void *arg)
{
	int c, rc;

	optind = 1;
	opterr = 0; /* one line in the format of every other subcommand, not getopt's own */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == ADMIN_HELP) {
			usage(stdout);
			return CLI_OK;
		}
		if (c == '?' || c == ':' || (rc = set(arg, c, what)) == ADMIN_NOT_MINE)
			return cli_bad_option(what, argv);
		if (rc >= 0)
			return rc;
	}
	return cli_no_operands(what, argc, argv);
}

int admin_main(const char *prefix, const char *const *cmds, size_t ncmds, int argc, char **argv,
	       void (*usage)(FILE *f), const char *noun, const char *hint,
	       int (*run)(size_t i, const char *what, int argc, char **argv))
{
	char what[64];

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	for (size_t i = 0; i < ncmds; i++) {
		if (strcmp(argv[1], cmds[i]) != 0)
			continue;
		snprintf(what, sizeof(what), "%s %s", prefix, cmds[i]);
		return run(i, what, argc - 1, argv + 1);
	}
	cli_errorf("%s: unknown %s '%s' %s", prefix, noun, argv[1], hint);
	return CLI_USAGE;
}
