/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef profile set|show --config FILE --cse-id ID [--file F]`: the
 * operator's tool for the security profile the MEF holds per CSE (docs/procedures/mef.md
 * "Security profile", docs/cli.md). `set` checks the profile the way the CSE will (cseID is set
 * to ID; the CSE parses it with the same code) before storing it, so a CSE never receives a
 * profile it would refuse; works while the MEF runs (the store is SQLite).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "m2msec/config.h"
#include "m2msec/id.h"
#include "m2msec/mefstore.h"
#include "m2msec/tls.h"
#include "services/cse/sec_profile.h"

#define PROFILE_FILE_MAX 65536

static void usage(FILE *f)
{
	fputs("usage: m2msec mef profile set --config FILE --cse-id CSE-ID --file PROFILE.json\n"
	      "       m2msec mef profile show --config FILE --cse-id CSE-ID\n\n"
	      "Set or show the security profile the MEF hands to the CSE CSE-ID (SP-relative, e.g.\n"
	      "/id-in): {\"sec:secProfile\": {\"SUIDs\": [22], \"appRules\": [{\"applicableCredIDs\":\n"
	      "[...], \"allowedAEs\": [...]}], \"lifetime\": 3600}} (docs/procedures/mef.md).\n", f);
}

/* The TLS members as the CSE's TLS layer will take them (docs/tls.md "Security profile"), on a
 * throwaway PSK-only context with TLS 1.3 on: some suite known, every anchor a CA certificate. */
static bool tls_members_ok(const m2mi_secprof *p)
{
	m2m_tls_config tc = {.allow_tls13 = true};
	const char *const *suites, *const *anchors;
	size_t ns = m2mi_secprof_suites(p, &suites), na = m2mi_secprof_anchors(p, &anchors);
	m2m_tls *t = NULL;
	bool ok;

	if (ns == 0 && na == 0)
		return true;
	ok = m2m_tls_new_ex(&tc, &t, NULL, 0) == M2M_OK && m2m_tls_set_profile(t, suites, ns, anchors, na) == M2M_OK;
	m2m_tls_free(t);
	return ok;
}

static int set(m2m_mefstore *st, const char *cse_id, const char *file)
{
	char *text = NULL, *out = NULL;
	size_t len = 0;
	json_t *root = NULL, *p;
	m2mi_secprof *chk = NULL;
	int rc = CLI_USAGE;
	m2m_err r;

	if ((r = cli_read_file(file, PROFILE_FILE_MAX, 0, &text, &len)) != M2M_OK)
		return cli_fail(file, r);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	p = json_object_get(root, "sec:secProfile");
	if (!json_is_object(p) || json_object_set_new(p, "cseID", json_string(cse_id)) != 0 ||
	    (out = json_dumps(root, JSON_COMPACT)) == NULL ||
	    m2mi_secprof_parse(out, strlen(out), cse_id, (int64_t)time(NULL), &chk) != M2M_OK) {
		cli_errorf("mef profile: %s: not a valid sec:secProfile (SUIDs, appRules with applicableCredIDs "
			   "and allowedAEs, lifetime; docs/procedures/mef.md)", file);
		goto out;
	}
	if (!tls_members_ok(chk)) {
		cli_errorf("mef profile: %s: cipherSuites names no suite the TLS library knows (IANA names such as "
			   "TLS_PSK_WITH_AES_128_CCM_8), or a trustAnchors entry is not a PEM CA certificate", file);
		goto out;
	}
	if ((r = m2m_mefstore_profile_set(st, cse_id, out)) != M2M_OK) {
		rc = cli_fail("mef profile: store", r);
		goto out;
	}
	printf("security profile of %s set\n", cse_id);
	rc = CLI_OK;
out:
	m2mi_secprof_free(chk);
	free(out);
	json_decref(root);
	free(text);
	return rc;
}

int cli_mef_profile_main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"cse-id", required_argument, NULL, 'i'},
					     {"file", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *config = NULL, *cse_id = NULL, *file = NULL, *verb;
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	m2m_id *id = NULL;
	char *text = NULL;
	int c, rc;

	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, ":c:i:f:h", opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'i')
			cse_id = optarg;
		else if (c == 'f')
			file = optarg;
		else {
			cli_errorf("mef profile: unknown or incomplete option (try --help)");
			return CLI_USAGE;
		}
	}
	if ((strcmp(verb, "set") != 0 && strcmp(verb, "show") != 0) || config == NULL || cse_id == NULL ||
	    (strcmp(verb, "set") == 0) != (file != NULL)) {
		usage(stderr);
		return CLI_USAGE;
	}
	/* SP-relative CSE-ID: the key of the profile, what the CSE's association is bound to */
	if (m2m_id_parse(cse_id, strlen(cse_id), M2M_ID_CSE_ID, &id) != M2M_OK || cse_id[0] != '/' ||
	    cse_id[1] == '/') {
		m2m_id_free(id);
		cli_errorf("mef profile: --cse-id %s: must be an SP-relative CSE-ID such as /id-in", cse_id);
		return CLI_USAGE;
	}
	m2m_id_free(id);
	if ((rc = mef_cli_open("mef profile", config, true, &cfg, &st)) != CLI_OK)
		return rc;
	if (strcmp(verb, "set") == 0) {
		rc = set(st, cse_id, file);
	} else {
		m2m_err r = m2m_mefstore_profile_get(st, cse_id, &text);
		if (r == M2M_OK)
			printf("%s\n", text);
		else
			cli_errorf("mef profile: %s: %s", cse_id, r == M2M_E_NOT_FOUND ? "no profile" : m2m_strerror(r));
		rc = r == M2M_OK ? CLI_OK : cli_exit_code(r);
		free(text);
	}
	m2m_mefstore_close(st);
	return rc;
}
