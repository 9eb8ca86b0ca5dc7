/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec key milenage`: the MILENAGE functions (3GPP TS 35.206) on request,
 * for checking a USIM or an HSS entry of the GBA-based RSPF (TS-0003 clause 8.3.2.3) by hand and
 * against the published test data (TS 35.207 / TS 35.208). Prints f1, f1*, f2, f3, f4, f5 and f5*
 * as one JSON object of lowercase hex. K, OP and OPc are secrets: they are read as hex from the
 * option, from stdin ("-") or from a 0600 file (--X-file), wiped from the process arguments once
 * read, and never appear in an error. RAND, SQN and AMF are public and given inline.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"
#include "m2msec/milenage.h"

#define TEXT_MAX 256 /* longest hex text accepted for one secret */

enum mopt { M_K, M_K_FILE, M_OPC, M_OPC_FILE, M_OP, M_OP_FILE, M_RAND, M_SQN, M_AMF, M_N };

static const struct option mopts[] = {
	{"k", required_argument, NULL, M_K},       {"k-file", required_argument, NULL, M_K_FILE},
	{"opc", required_argument, NULL, M_OPC},   {"opc-file", required_argument, NULL, M_OPC_FILE},
	{"op", required_argument, NULL, M_OP},     {"op-file", required_argument, NULL, M_OP_FILE},
	{"rand", required_argument, NULL, M_RAND}, {"sqn", required_argument, NULL, M_SQN},
	{"amf", required_argument, NULL, M_AMF},   {NULL, 0, NULL, 0},
};

static const char usage[] =
	"usage: m2msec key milenage --k HEX|- [--k-file PATH] (--opc HEX|- [--opc-file PATH] |\n"
	"                           --op HEX|- [--op-file PATH]) --rand HEX32 --sqn HEX12 --amf HEX4\n\n"
	"MILENAGE (3GPP TS 35.206): K, OP/OPc and RAND are 16 bytes, SQN 6, AMF 2. --op computes\n"
	"OPc = OP xor E_K(OP) first. Prints {\"mac_a\" (f1), \"mac_s\" (f1*), \"res\" (f2), \"ck\" (f3),\n"
	"\"ik\" (f4), \"ak\" (f5), \"ak_star\" (f5*)} as lowercase hex. A secret X may be '-' (stdin) or\n"
	"come from --X-file PATH (mode 0600 or stricter).\n";

struct mreq {
	const char *v[M_N];
	bool stdin_used;
};

#define WHAT "key milenage"

/* One 16-byte secret from --X, --X - or --X-file; wipes the inline value from argv. */
static int load16(struct mreq *rq, int hex, int file, uint8_t out[16])
{
	size_t n = 0;
	m2m_err r;

	if (rq->v[hex] != NULL && rq->v[file] != NULL) {
		cli_errorf(WHAT ": give only one of --%s and --%s", mopts[hex].name, mopts[file].name);
		return CLI_USAGE;
	}
	if (rq->v[file] == NULL && strcmp(rq->v[hex], "-") == 0) {
		if (rq->stdin_used) {
			cli_errorf(WHAT ": only one option may read from stdin");
			return CLI_USAGE;
		}
		rq->stdin_used = true;
	}
	r = cli_secret_hex(rq->v[file] != NULL ? NULL : rq->v[hex], rq->v[file], TEXT_MAX, out, 16, &n);
	if (rq->v[file] == NULL && strcmp(rq->v[hex], "-") != 0) /* the key out of /proc/PID/cmdline */
		m2m_memzero((char *)rq->v[hex], strlen(rq->v[hex]));
	if (r == M2M_OK && n != 16)
		r = M2M_E_KEY_LEN;
	if (r == M2M_E_TOO_LARGE)
		r = M2M_E_KEY_LEN;
	if (r != M2M_OK) {
		m2m_memzero(out, 16);
		cli_errorf(WHAT ": --%s: %s", mopts[rq->v[file] != NULL ? file : hex].name, m2m_strerror(r));
		return cli_exit_code(r);
	}
	return CLI_OK;
}

/* A public value of exactly want bytes, given inline as hex. */
static int load_pub(struct mreq *rq, int o, uint8_t *out, size_t want)
{
	size_t n = 0;
	m2m_err r;

	r = cli_secret_hex(rq->v[o], NULL, 0, out, want, &n);
	if (r == M2M_OK && n != want)
		r = M2M_E_RANGE;
	if (r == M2M_E_TOO_LARGE)
		r = M2M_E_RANGE;
	if (r != M2M_OK) {
		cli_errorf(WHAT ": --%s must be %zu bytes of hex", mopts[o].name, want);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int parse(struct mreq *rq, int argc, char **argv)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", mopts, NULL)) != -1) {
		if (c < 0 || c >= M_N)
			return cli_bad_option(WHAT, argv);
		if (rq->v[c] != NULL) {
			cli_errorf(WHAT ": --%s given twice", mopts[c].name);
			return CLI_USAGE;
		}
		rq->v[c] = optarg;
	}
	if (cli_no_operands(WHAT, argc, argv) != -1)
		return CLI_USAGE;
	if (rq->v[M_K] == NULL && rq->v[M_K_FILE] == NULL) {
		cli_errorf(WHAT ": missing --k");
		return CLI_USAGE;
	}
	bool has_opc = rq->v[M_OPC] != NULL || rq->v[M_OPC_FILE] != NULL;
	bool has_op = rq->v[M_OP] != NULL || rq->v[M_OP_FILE] != NULL;
	if (has_opc == has_op) {
		cli_errorf(WHAT ": give exactly one of --opc and --op");
		return CLI_USAGE;
	}
	for (int o = M_RAND; o <= M_AMF; o++)
		if (rq->v[o] == NULL) {
			cli_errorf(WHAT ": missing --%s", mopts[o].name);
			return CLI_USAGE;
		}
	return CLI_OK;
}

static void put(const char *name, const uint8_t *b, size_t n, const char *sep)
{
	char hex[2 * 16 + 1];

	if (m2m_hex_encode(b, n, false, hex, sizeof(hex)) == M2M_OK)
		printf("\"%s\":\"%s\"%s", name, hex, sep);
	m2m_memzero(hex, sizeof(hex));
}

/* Compute and print; every secret buffer is wiped by the caller. */
static int compute(m2m_key *k, m2m_key *opc, const uint8_t *rand, const uint8_t *sqn, const uint8_t *amf)
{
	uint8_t mac_a[8], mac_s[8], res[8], ak[6], aks[6];
	m2m_milenage *m = NULL;
	m2m_key *ck = NULL, *ik = NULL;
	m2m_err r;

	if ((r = m2m_milenage_new(k, opc, &m)) != M2M_OK ||
	    (r = m2m_milenage_f1(m, rand, sqn, amf, mac_a, mac_s)) != M2M_OK ||
	    (r = m2m_milenage_f2345(m, rand, res, &ck, &ik, ak)) != M2M_OK ||
	    (r = m2m_milenage_f5star(m, rand, aks)) != M2M_OK) {
		m2m_milenage_free(m);
		return cli_fail(WHAT, r);
	}
	fputc('{', stdout);
	put("mac_a", mac_a, 8, ",");
	put("mac_s", mac_s, 8, ",");
	put("res", res, 8, ",");
	put("ck", m2m_key_bytes(ck, NULL), 16, ",");
	put("ik", m2m_key_bytes(ik, NULL), 16, ",");
	put("ak", ak, 6, ",");
	put("ak_star", aks, 6, "}\n");
	m2m_memzero(res, sizeof(res));
	m2m_memzero(ak, sizeof(ak));
	m2m_memzero(aks, sizeof(aks));
	m2m_key_free(ck);
	m2m_key_free(ik);
	m2m_milenage_free(m);
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

int cli_key_milenage(int argc, char **argv)
{
	uint8_t kb[16], ob[16], rand[16], sqn[6], amf[2];
	struct mreq rq = {0};
	m2m_key *k = NULL, *opc = NULL;
	bool use_op;
	m2m_err r;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	if ((rc = parse(&rq, argc, argv)) != CLI_OK)
		return rc;
	use_op = rq.v[M_OP] != NULL || rq.v[M_OP_FILE] != NULL;
	if ((rc = load16(&rq, M_K, M_K_FILE, kb)) != CLI_OK ||
	    (rc = load16(&rq, use_op ? M_OP : M_OPC, use_op ? M_OP_FILE : M_OPC_FILE, ob)) != CLI_OK ||
	    (rc = load_pub(&rq, M_RAND, rand, 16)) != CLI_OK || (rc = load_pub(&rq, M_SQN, sqn, 6)) != CLI_OK ||
	    (rc = load_pub(&rq, M_AMF, amf, 2)) != CLI_OK)
		goto out;
	if ((r = m2m_key_new(kb, 16, &k)) != M2M_OK ||
	    (r = use_op ? m2m_milenage_opc(k, ob, &opc) : m2m_key_new(ob, 16, &opc)) != M2M_OK) {
		rc = cli_fail(WHAT, r);
		goto out;
	}
	rc = compute(k, opc, rand, sqn, amf);
out:
	m2m_memzero(kb, sizeof(kb));
	m2m_memzero(ob, sizeof(ob));
	m2m_key_free(k);
	m2m_key_free(opc);
	return rc;
}
