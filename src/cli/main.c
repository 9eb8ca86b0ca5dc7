/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec multi-call executable: `m2msec <subcommand> ...`. Each
 * subcommand lives in src/cli/cmd_<name>.c; later issues add cse, mef, maf, das and enrol.
 */
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	cli_main_fn fn;
	const char *summary;
} commands[] = {
	{"key", cli_key_main, "derive TS-0003 clause 10.3 keys (Km, Kpsa, usage-constrained, exporter split)"},
	{"id", cli_id_main, "parse and validate oneM2M identifiers (KeID, KpsaID, KmID, Credential-ID, ...)"},
	{"cred", cli_cred_main, "manage the credential store (add, list, show, revoke)"},
	{"ca", cli_ca_main, "a small P-256 certificate authority (init, issue, show) per TS-0003 clause 10.1"},
	{"cse", cli_cse_main, "run the secure CSE (HTTPS, TLS-PSK/certificates, access control)"},
};

static void usage(FILE *f)
{
	fputs("usage: m2msec <command> [options]   (m2msec <command> --help for details)\n\n"
	      "m2msec is the oneM2M TS-0003 security stack.\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
	fputs("\nexit status: 0 success, 1 runtime failure, 2 bad usage or input\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("m2msec 0.1.0");
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_errorf("unknown command '%s' (try m2msec --help)", argv[1]);
	return CLI_USAGE;
}
