/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef subscriber add`: the operator command of the MEF's test HSS
 * (`[mef] hss-file`, m2msec/hss.h) for the GBA-based RSPF (TS-0003 clause 8.3.2.3). K and OPc
 * are read from 0600 files (never from the command line); the subscriber starts at SQN 0 with
 * AMF 8000. It works while the MEF runs (the file is locked and replaced atomically).
 * `--enrolee-id` with `--naf` (on add, or later with `set`) writes the subscriber's record in the
 * MEF store (m2msec/bsfstore.h): the Enrolee-ID handed to a NAF over Zn, the NAFs authorised for
 * it, and --gba-u for a GBA_U aware UICC (TS-0003 clause 8.3.2.3 "Bootstrap Instruction
 * Configuration", the GUSS). Without a record no NAF gets a key for the subscriber.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "m2msec/bsfstore.h"
#include "m2msec/hss.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"

static void usage(FILE *f)
{
	fputs("usage: m2msec mef subscriber add --config FILE --impi ID --k-file FILE --opc-file FILE\n"
	      "                                  [--enrolee-id ID --naf FQDN[,FQDN...] [--gba-u]]\n"
	      "       m2msec mef subscriber set --config FILE --impi ID --enrolee-id ID --naf FQDN[,...] [--gba-u]\n\n"
	      "add: a USIM subscription in the MEF's test HSS ([mef] hss-file, created 0600 when absent;\n"
	      "TS-0003 8.3.2.3, 3GPP TS 33.220): the enrolee bootstraps with it over Ub (bsf-listen).\n"
	      "set: the subscriber's record for Zn: its Enrolee-ID and the NAFs (Enrolment Targets) that\n"
	      "may fetch its NAF keys; replaces the previous record. No record: no NAF gets a key.\n"
	      "  --impi ID        the IMS private identity (printable ASCII, no space, <= 255 bytes)\n"
	      "  --k-file FILE    the subscriber key K: 16 bytes as 32 hex digits, mode 0600 or stricter\n"
	      "  --opc-file FILE  OPc (TS 35.206) the same way\n"
	      "  --enrolee-id ID  the AE-ID or CSE-ID a NAF binds the association to\n"
	      "  --naf LIST       authorised NAF FQDNs: a CSE's public domain name, a MAF-FQDN\n"
	      "  --gba-u          the UICC is GBA_U aware (Ks_int_NAF / Ks_ext_NAF may be served)\n", f);
}

enum { O_CONFIG = 1, O_IMPI, O_K, O_OPC, O_EID, O_NAF, O_GBAU };

struct args {
	const char *config, *impi, *k_file, *opc_file, *enrolee_id, *naf;
	bool gba_u;
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
	case O_EID: a->enrolee_id = optarg; return -1;
	case O_NAF: a->naf = optarg; return -1;
	case O_GBAU: a->gba_u = true; return -1;
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

static const struct option opts[] = {
	{"config", required_argument, NULL, O_CONFIG},  {"impi", required_argument, NULL, O_IMPI},
	{"k-file", required_argument, NULL, O_K},       {"opc-file", required_argument, NULL, O_OPC},
	{"enrolee-id", required_argument, NULL, O_EID}, {"naf", required_argument, NULL, O_NAF},
	{"gba-u", no_argument, NULL, O_GBAU},           {"help", no_argument, NULL, ADMIN_HELP},
	{NULL, 0, NULL, 0}};

/* The subscriber's Zn record in the MEF store (m2msec/bsfstore.h). */
static int set_record(const char *what, const struct args *a)
{
	m2m_mef_svc_config cfg;
	m2m_gba_subscriber sub = {0};
	m2m_mefstore *st = NULL;
	m2m_id *id = NULL;
	m2m_err r;
	int rc;

	if (strlen(a->enrolee_id) >= sizeof(sub.enrolee_id) || strlen(a->naf) >= sizeof(sub.nafs) ||
	    (m2m_id_parse(a->enrolee_id, strlen(a->enrolee_id), M2M_ID_AE_ID, &id) != M2M_OK &&
	     m2m_id_parse(a->enrolee_id, strlen(a->enrolee_id), M2M_ID_CSE_ID, &id) != M2M_OK)) {
		cli_errorf("%s: --enrolee-id %s: not an AE-ID or a CSE-ID", what, a->enrolee_id);
		return CLI_USAGE;
	}
	m2m_id_free(id);
	snprintf(sub.enrolee_id, sizeof(sub.enrolee_id), "%s", a->enrolee_id);
	snprintf(sub.nafs, sizeof(sub.nafs), "%s", a->naf);
	sub.gba_u = a->gba_u;
	if ((rc = mef_cli_open(what, a->config, true, &cfg, &st)) != CLI_OK)
		return rc;
	r = m2m_mefstore_gba_subscriber_set(st, a->impi, &sub);
	m2m_mefstore_close(st);
	if (r != M2M_OK) {
		cli_errorf("%s: %s", what, r == M2M_E_INVAL ? "--naf must be a comma list of FQDNs" : m2m_strerror(r));
		return r == M2M_E_INVAL ? CLI_USAGE : cli_exit_code(r);
	}
	return CLI_OK;
}

static int set(const char *what, int argc, char **argv)
{
	struct args a = {0};
	int rc;

	if ((rc = admin_getopt(what, argc, argv, opts, usage, set_opt, &a)) >= 0)
		return rc;
	if ((rc = admin_need(what, a.config, "--config")) >= 0 || (rc = admin_need(what, a.impi, "--impi")) >= 0 ||
	    (rc = admin_need(what, a.enrolee_id, "--enrolee-id")) >= 0 || (rc = admin_need(what, a.naf, "--naf")) >= 0)
		return rc;
	if ((rc = set_record(what, &a)) == CLI_OK)
		printf("subscriber %s: enrolee %s, NAFs %s%s\n", a.impi, a.enrolee_id, a.naf, a.gba_u ? ", GBA_U" : "");
	return rc;
}

static int add(const char *what, int argc, char **argv)
{
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
	if ((a.enrolee_id == NULL) != (a.naf == NULL) || (a.gba_u && a.naf == NULL)) {
		cli_errorf("%s: --enrolee-id and --naf go together (--gba-u with them)", what);
		return CLI_USAGE;
	}
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
	if (a.naf != NULL && (rc = set_record(what, &a)) != CLI_OK)
		goto out; /* the HSS entry stays: `subscriber set` completes it */
	printf("subscriber %s added\n", a.impi);
	rc = CLI_OK;
out:
	m2m_key_free(k);
	m2m_key_free(opc);
	return rc;
}

static int run(size_t i, const char *what, int argc, char **argv)
{
	return i == 0 ? add(what, argc, argv) : set(what, argc, argv);
}

int cli_mef_subscriber_main(int argc, char **argv)
{
	static const char *const cmds[] = {"add", "set"};

	return admin_main("mef subscriber", cmds, 2, argc, argv, usage, "command", "(try: add, set)", run);
}
