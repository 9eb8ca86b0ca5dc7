/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef group add|revoke` (docs/cli.md): fleet enrolment, an m2msec
 * extension beyond TS-0003 in the style of large IoT provisioning services. A group holds one
 * 32-byte group key; the Kpm of a member device is HMAC-SHA-256(groupKey, KpmID)
 * (m2m_mef_fleet_kpm), so a factory flashes devices without a per-device row: the MEF derives
 * the Kpm at the device's handshake (KpmID matching the group's prefix) and writes its row at
 * its first enrolment. Revoking the group stops every member that has no row of its own yet.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "m2msec/mem.h"

static void usage(FILE *f)
{
	fputs("usage: m2msec mef group add --config FILE --group-id ID --group-key-file FILE --kpm-prefix P\n"
	      "                            --enrolee-template T --target CSE-ID|MAF-FQDN [--target ...] [--expiry-days N]\n"
	      "       m2msec mef group revoke --config FILE --group-id ID\n\n"
	      "Fleet enrolment (m2msec extension): the Kpm of a device whose KpmID starts with P is\n"
	      "HMAC-SHA-256(groupKey, KpmID); its Enrolee-ID is T with {id} replaced by the KpmID's\n"
	      "relative part after P (e.g. Cdev-{id}). Works while the MEF runs.\n\n"
	      "  --group-id ID          [A-Za-z0-9._-]{1,64}\n"
	      "  --group-key-file FILE  the group key: 64 hex digits, file mode 0600 or stricter, or '-'\n"
	      "  --kpm-prefix P         KpmIDs of the group start with P (longest prefix wins)\n"
	      "  --enrolee-template T   Enrolee-ID template with {id}\n"
	      "  --target ID            an Enrolment Target (up to 8): a CSE-ID or a MAF-FQDN\n"
	      "  --expiry-days N        Enrolment Expiry of every member in days (default: [mef]\n"
	      "                         enrolment-expiry-days)\n\n"
	      "Exit status 0 ok, 1 failure, 2 bad usage or input.\n", f);
}

int cli_mef_group_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"group-id", required_argument, NULL, 'g'},
		{"group-key-file", required_argument, NULL, 'k'}, {"kpm-prefix", required_argument, NULL, 'p'},
		{"enrolee-template", required_argument, NULL, 'e'}, {"target", required_argument, NULL, 't'},
		{"expiry-days", required_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *config = NULL, *gid = NULL, *keyfile = NULL, *prefix = NULL, *tmpl = NULL, *what;
	m2m_mef_group g;
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	m2m_key *k = NULL;
	long days = -1;
	bool add;
	int c, rc;
	m2m_err r;

	memset(&g, 0, sizeof(g));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "revoke") != 0) {
		cli_errorf("mef group: unknown command '%s' (try --help)", argv[1]);
		return CLI_USAGE;
	}
	add = strcmp(argv[1], "add") == 0;
	what = add ? "mef group add" : "mef group revoke";
	argc--, argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'g': gid = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'p': prefix = optarg; break;
		case 'e': tmpl = optarg; break;
		case 't':
			if (g.ntargets == M2M_MEF_MAX_TARGETS) {
				cli_errorf("%s: at most %d --target", what, M2M_MEF_MAX_TARGETS);
				return CLI_USAGE;
			}
			g.targets[g.ntargets++] = optarg;
			break;
		case 'x':
			if ((rc = mef_cli_expiry_days(what, optarg, &days)) >= 0)
				return rc;
			break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_bad_option(what, argv);
		}
	}
	if ((rc = cli_no_operands(what, argc, argv)) >= 0)
		return rc;
	if (gid == NULL || (add && (keyfile == NULL || prefix == NULL || tmpl == NULL || g.ntargets == 0))) {
		cli_errorf("%s: %s required (try --help)", what,
			   add ? "--group-id, --group-key-file, --kpm-prefix, --enrolee-template and --target are"
			       : "--group-id is");
		return CLI_USAGE;
	}
	if (add) {
		if ((rc = mef_cli_key(what, keyfile, &k)) != CLI_OK)
			return rc;
	}
	if ((rc = mef_cli_open(what, config, add, &cfg, &st)) != CLI_OK) {
		m2m_key_free(k);
		return rc;
	}
	if (add) {
		g.group_id = (char *)gid;
		g.kpm_prefix = (char *)prefix;
		g.enrolee_tmpl = (char *)tmpl;
		g.expiry = (int64_t)time(NULL) + 86400 * (int64_t)(days > 0 ? days : cfg.enrolment_expiry_days);
		r = m2m_mefstore_group_add(st, &g, k, (int64_t)time(NULL));
	} else {
		r = m2m_mefstore_group_revoke(st, gid, (int64_t)time(NULL));
	}
	m2m_key_free(k);
	m2m_mefstore_close(st);
	if (r != M2M_OK) {
		cli_errorf("%s: %s: %s", what, gid, r == M2M_E_EXISTS ? "group id or prefix already exists" : m2m_strerror(r));
		return cli_exit_code(r) == CLI_USAGE ? CLI_USAGE : CLI_FAIL;
	}
	printf("%s %s\n", gid, add ? "added" : "revoked");
	return CLI_OK;
}
