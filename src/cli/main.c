/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec multi-call executable: `m2msec <subcommand> ...`. Each
 * subcommand lives in src/cli/cmd_<name>.c; later issues add cse, mef, maf, das and enrol.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

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
	{"mef", cli_mef_main, "run the M2M Enrolment Function (TS-0003 8.3 remote security provisioning)"},
	{"enrol", cli_enrol_main, "enrol this device with a MEF (TS-0003 clause 8.3): Ke, KeID, target key, EST"},
	{"maf", cli_maf_main, "run the M2M Authentication Function (TS-0003 8.8: Km, Kc for the MAF-based SAEF)"},
	{"maf-client", cli_maf_client_main, "Entity A with a MAF (TS-0003 clause 8.2.2.3): register Kc for a target"},
	{"mqtt-acl", cli_mqtt_acl_main, "write the mosquitto ACL and psk_file of the MQTT binding (TS-0010 7.4)"},
	{"das", cli_das_main, "Dynamic Authorization Server tools (TS-0003 7.3): issue and verify tokens"},
	{"esdata", cli_esdata_main, "End-to-End Security of Data (TS-0003 8.5): protect, decrypt, verify"},
	{"esprim", cli_esprim_main, "End-to-End Security of Primitives (TS-0004 7.6.2): one protected request"},
	{"escertke", cli_escertke_main, "establish a pairwiseE2EKey with a CSE by ESCertKE (TS-0003 8.7)"},
};

static void usage(FILE *f)
{
	fputs("usage: m2msec [--allow-core-dumps] <command> [options]   (m2msec <command> --help for details)\n\n"
	      "m2msec is the oneM2M TS-0003 security stack.\n\n"
	      "  --allow-core-dumps  keep core dumps and ptrace access (debugging only: a core of the\n"
	      "                      CSE holds every Kpsa and the server key)\n\ncommands:\n", f);
	/* The names padded to the longest one, so the summaries line up whatever names are added. */
	int width = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if ((int)strlen(commands[i].name) > width)
			width = (int)strlen(commands[i].name);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-*s %s\n", width, commands[i].name, commands[i].summary);
	fputs("\nexit status: 0 success, 1 runtime failure, 2 bad usage or input\n", f);
}

/*
 * Every subcommand handles keys (the CSE holds every Kpsa and its TLS key in memory): no core
 * file (RLIMIT_CORE 0, soft and hard, so nothing below can raise it again) and not dumpable
 * (PR_SET_DUMPABLE 0: no core through a core_pattern pipe either, and no ptrace or
 * /proc/PID/mem by another process of the same user). Done before any secret is read.
 */
static void no_core_dumps(void)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		cli_errorf("warning: cannot disable core dumps");
}

int main(int argc, char **argv)
{
	bool allow_core = argc >= 2 && strcmp(argv[1], "--allow-core-dumps") == 0;

	if (allow_core) {
		argv[1] = argv[0];
		argv++;
		argc--;
	} else {
		no_core_dumps();
	}
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
