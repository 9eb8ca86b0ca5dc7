/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef subscriber add`: the operator command of the MEF's test HSS
 * (`[mef] hss-file`, m2msec/hss.h) for the GBA-based RSPF (TS-0003 clause 8.3.2.3). K and OPc
 * are read from 0600 files (never from the command line); the subscriber starts at SQN 0 with
 * AMF 8000. It works while the MEF runs (the file is locked and replaced atomically).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "m2msec/hss.h"
#include "m2msec/mem.h"

static void usage(FILE *f)
{
	fputs("usage: m2msec mef subscriber add --config FILE --impi ID --k-file FILE --opc-file FILE\n\n"
	      "Add a USIM subscription to the MEF's test HSS ([mef] hss-file, created 0600 when absent;\n"
	      "TS-0003 8.3.2.3, 3GPP TS 33.220): the enrolee bootstraps with it over Ub (bsf-listen).\n"
	      "  --impi ID       the IMS private identity (printable ASCII, no space, <= 255 bytes)\n"
	      "  --k-file FILE   the subscriber key K: 16 bytes as 32 hex digits, mode 0600 or stricter\n"
	      "  --opc-file FILE OPc (TS 35.206) the same way\n", f);
}

enum { O_CONFIG = 1, O_IMPI, O_K, O_OPC };

struct args {
	const char *config, *impi, *k_file, *opc_file;
};

static int set_opt(void *arg, int c, const char *what)
{
	struct args *a = arg;

	(void)what;
	switch (c) {
	case O_CONFIG: a->config = optarg; return -1;
	case O_IMPI: a->impi = optarg; return -1;
	case O_K: a->k_file = optarg; return -1;
	case O_OPC: a->opc_file = optarg; return -1;
	default: return ADMIN_NOT_MINE;
	}
}

/* 16 bytes as hex from a 0600 file; names the file, never its content. */
static int key16(const char *what, const char *opt, const char *file, m2m_key **out)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_err r = cli_secret_hex(NULL, file, 1024, b, sizeof(b), &n);

	if (r == M2M_OK && n != sizeof(b))
		r = M2M_E_KEY_LEN;
	if (r == M2M_OK)
		r = m2m_key_new(b, sizeof(b), out);
	m2m_memzero(b, sizeof(b));
	if (r != M2M_OK) {
		cli_errorf("%s: %s %s: %s", what, opt, file,
			   r == M2M_E_KEY_LEN || r == M2M_E_TOO_LARGE ? "must hold 16 bytes (32 hex digits)"
								     : m2m_strerror(r));
		return r == M2M_E_IO || r == M2M_E_INTERNAL || r == M2M_E_KEY_PERMS ? CLI_FAIL : CLI_USAGE;
	}
	return CLI_OK;
}

static int add(const char *what, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, O_CONFIG}, {"impi", required_argument, NULL, O_IMPI},
		{"k-file", required_argument, NULL, O_K},      {"opc-file", required_argument, NULL, O_OPC},
		{"help", no_argument, NULL, ADMIN_HELP},       {NULL, 0, NULL, 0}};
	struct args a = {0};
	m2m_mef_svc_config cfg;
	m2m_key *k = NULL, *opc = NULL;
	m2m_err r;
	int rc;

	if ((rc = admin_getopt(what, argc, argv, opts, usage, set_opt, &a)) >= 0)
		return rc;
	if ((rc = admin_need(what, a.config, "--config")) >= 0 || (rc = admin_need(what, a.impi, "--impi")) >= 0 ||
	    (rc = admin_need(what, a.k_file, "--k-file")) >= 0 || (rc = admin_need(what, a.opc_file, "--opc-file")) >= 0)
		return rc;
	if ((rc = admin_config(what, a.config, &cli_mef_section, &cfg)) != CLI_OK)
		return rc;
	if (cfg.hss_file[0] == '\0') {
		cli_errorf("%s: %s: [mef] has no hss-file", what, a.config);
		return CLI_USAGE;
	}
	if ((rc = key16(what, "--k-file", a.k_file, &k)) != CLI_OK ||
	    (rc = key16(what, "--opc-file", a.opc_file, &opc)) != CLI_OK)
		goto out;
	if ((r = m2m_hss_add(cfg.hss_file, a.impi, k, opc)) != M2M_OK) {
		cli_errorf("%s: %s: %s", what, r == M2M_E_EXISTS || r == M2M_E_INVAL ? a.impi : cfg.hss_file,
			   r == M2M_E_EXISTS ? "subscriber already exists"
			   : r == M2M_E_INVAL ? "not a valid IMPI"
					      : m2m_strerror(r));
		rc = r == M2M_E_EXISTS || r == M2M_E_INVAL ? CLI_USAGE : cli_exit_code(r);
		goto out;
	}
	printf("subscriber %s added\n", a.impi);
	rc = CLI_OK;
out:
	m2m_key_free(k);
	m2m_key_free(opc);
	return rc;
}

static int run(size_t i, const char *what, int argc, char **argv)
{
	(void)i;
	return add(what, argc, argv);
}

int cli_mef_subscriber_main(int argc, char **argv)
{
	static const char *const cmds[] = {"add"};

	return admin_main("mef subscriber", cmds, 1, argc, argv, usage, "command", "(try: add)", run);
}
