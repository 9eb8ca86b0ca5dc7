/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec key subcommand: the TS-0003 clause 10.3 derivations on request
 * (`key derive km|kpsa|ucsk|session-esprim|e2e|gba-naf`) and the clause 10.3.1 split of a TLS
 * exporter output (`key split`). Keys are read as hex from an option, from stdin ("-", so they
 * need not appear in ps) or from a 0600 file (--X-file); derived keys print as lowercase hex.
 * No error message ever contains key material.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "m2msec/hex.h"
#include "m2msec/kdf.h"
#include "m2msec/mem.h"

#define TEXT_MAX 8192 /* longest hex text accepted from stdin or a file */

enum opt {
	O_KE, O_KE_FILE, O_MAF_ID, O_ENROLEE_ID, O_SUID, O_TARGET, O_KEY, O_KEY_FILE, O_RCV_RAND, O_ORIG_RAND,
	O_KPSA, O_KPSA_FILE, O_SALT, O_KS, O_KS_FILE, O_RAND, O_IMPI, O_NAF_ID, O_GBA_U, O_EXPORTER,
	O_EXPORTER_FILE, O_FQDN, O_N
};

#define B(o) (1u << (o))

static const struct option long_opts[] = {
	{"ke", required_argument, NULL, O_KE}, {"ke-file", required_argument, NULL, O_KE_FILE},
	{"maf-id", required_argument, NULL, O_MAF_ID}, {"enrolee-id", required_argument, NULL, O_ENROLEE_ID},
	{"suid", required_argument, NULL, O_SUID}, {"target", required_argument, NULL, O_TARGET},
	{"key", required_argument, NULL, O_KEY}, {"key-file", required_argument, NULL, O_KEY_FILE},
	{"rcv-rand", required_argument, NULL, O_RCV_RAND}, {"orig-rand", required_argument, NULL, O_ORIG_RAND},
	{"kpsa", required_argument, NULL, O_KPSA}, {"kpsa-file", required_argument, NULL, O_KPSA_FILE},
	{"salt", required_argument, NULL, O_SALT}, {"ks", required_argument, NULL, O_KS},
	{"ks-file", required_argument, NULL, O_KS_FILE}, {"rand", required_argument, NULL, O_RAND},
	{"impi", required_argument, NULL, O_IMPI}, {"naf-id", required_argument, NULL, O_NAF_ID},
	{"gba-u", no_argument, NULL, O_GBA_U}, {"exporter", required_argument, NULL, O_EXPORTER},
	{"exporter-file", required_argument, NULL, O_EXPORTER_FILE}, {"fqdn", required_argument, NULL, O_FQDN},
	{NULL, 0, NULL, 0},
};

struct req {
	char what[48]; /* "key derive km": the prefix of every error line */
	const char *v[O_N];
	bool stdin_used;
};

struct derive_cmd {
	const char *name;
	unsigned allowed;
	int (*run)(struct req *rq, m2m_kdf *kdf);
	const char *usage;
};

static const char key_usage[] =
	"usage: m2msec key <derive|split|milenage> ...\n\n"
	"  derive KIND ...   derive a TS-0003 clause 10.3 key (m2msec key derive --help)\n"
	"  split ...         split a 48-byte TLS exporter output into key and key id (clause 10.3.1)\n"
	"  milenage ...      MILENAGE f1-f5, f1*, f5* (3GPP TS 35.206; m2msec key milenage --help)\n\n"
	"A key option X takes hex, or '-' to read the hex from stdin; --X-file PATH reads it from a\n"
	"file that must be mode 0600 or stricter. Derived keys print as lowercase hex.\n";

static const char split_usage[] =
	"usage: m2msec key split --exporter HEX96|- [--exporter-file PATH] --fqdn FQDN\n\n"
	"Split the 48 exporter bytes (TS-0003 clause 10.3.1): the 16 most significant bytes are the\n"
	"relative id, the 32 least significant the key; key id = hexBinary(rel)@FQDN (clauses 10.3.4,\n"
	"10.3.5). Prints {\"relative_id\":\"<32 uppercase hex>\",\"key_id\":\"<hex>@fqdn\",\"key\":\"<64 hex>\"}.\n";

/* Report a bad option by its name only: never echo a value (it may be a key). */
static int bad_option(struct req *rq, int c, const char *arg)
{
	size_t n;

	if (c >= 0 && c < O_N) {
		cli_errorf("%s: option --%s is not valid here (see --help)", rq->what, long_opts[c].name);
	} else if (arg != NULL && arg[0] == '-' && (n = strcspn(arg, "=")) <= 40) {
		cli_errorf("%s: unknown option or missing value: %.*s (see --help)", rq->what, (int)n, arg);
	} else {
		cli_errorf("%s: unknown option or missing value (see --help)", rq->what);
	}
	return CLI_USAGE;
}

/* Parse argv (argv[0] is the command name) allowing only the options in mask. */
static int parse(struct req *rq, int argc, char **argv, unsigned allowed)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c < 0 || c >= O_N)
			return bad_option(rq, -1, argv[optind - 1]);
		if (!(allowed & B(c)))
			return bad_option(rq, c, NULL);
		if (rq->v[c] != NULL) {
			cli_errorf("%s: --%s given twice", rq->what, long_opts[c].name);
			return CLI_USAGE;
		}
		rq->v[c] = c == O_GBA_U ? "1" : optarg;
	}
	if (optind != argc) {
		cli_errorf("%s: unexpected positional argument (see --help)", rq->what);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int need(struct req *rq, enum opt o)
{
	if (rq->v[o] != NULL)
		return CLI_OK;
	cli_errorf("%s: missing --%s", rq->what, long_opts[o].name);
	return CLI_USAGE;
}

/*
 * A secret byte string from --X HEX, --X - (stdin) or --X-file PATH (mode 0600). Prints the error
 * (never the value) and returns the exit code. bad_len is the error for a too-long value.
 */
static int load_secret(struct req *rq, enum opt hex, enum opt file, uint8_t *out, size_t cap, size_t *len,
		       m2m_err bad_len)
{
	m2m_err r;

	*len = 0;
	if (rq->v[hex] != NULL && rq->v[file] != NULL) {
		cli_errorf("%s: give only one of --%s and --%s", rq->what, long_opts[hex].name, long_opts[file].name);
		return CLI_USAGE;
	}
	if (rq->v[hex] == NULL && rq->v[file] == NULL)
		return need(rq, hex);
	if (rq->v[file] == NULL && strcmp(rq->v[hex], "-") == 0) {
		if (rq->stdin_used) {
			cli_errorf("%s: only one option may read from stdin", rq->what);
			return CLI_USAGE;
		}
		rq->stdin_used = true;
	}
	r = cli_secret_hex(rq->v[file] != NULL ? NULL : rq->v[hex], rq->v[file], TEXT_MAX, out, cap, len);
	if (rq->v[file] == NULL && strcmp(rq->v[hex], "-") != 0) /* the key out of /proc/PID/cmdline */
		m2m_memzero((char *)rq->v[hex], strlen(rq->v[hex]));
	if (r == M2M_E_TOO_LARGE)
		r = bad_len;
	if (r != M2M_OK) {
		cli_errorf("%s: --%s: %s", rq->what, long_opts[rq->v[file] != NULL ? file : hex].name, m2m_strerror(r));
		return cli_exit_code(r);
	}
	return CLI_OK;
}

static int load_key(struct req *rq, enum opt hex, enum opt file, m2m_key **key)
{
	uint8_t b[M2M_KEY_MAX];
	size_t n = 0;
	m2m_err r;
	int rc;

	*key = NULL;
	if ((rc = load_secret(rq, hex, file, b, sizeof(b), &n, M2M_E_KEY_LEN)) != CLI_OK)
		goto out;
	if ((r = m2m_key_new(b, n, key)) != M2M_OK) {
		cli_errorf("%s: --%s: %s", rq->what, long_opts[hex].name, m2m_strerror(r));
		rc = cli_exit_code(r);
	}
out:
	m2m_memzero(b, sizeof(b));
	return rc;
}

/* A public byte string given as hex (1..cap bytes). */
static int load_hex(struct req *rq, enum opt o, uint8_t *out, size_t cap, size_t *len)
{
	m2m_err r;

	*len = 0;
	if (need(rq, o) != CLI_OK)
		return CLI_USAGE;
	/* public values are given inline only: "-" is not a stdin marker here */
	r = strcmp(rq->v[o], "-") == 0 ? M2M_E_ID_BAD_HEX : cli_secret_hex(rq->v[o], NULL, 0, out, cap, len);
	if (r == M2M_OK && *len == 0)
		r = M2M_E_INVAL;
	if (r != M2M_OK) {
		cli_errorf("%s: --%s: %s", rq->what, long_opts[o].name, m2m_strerror(r));
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* Print "  "name":"hex"" (lowercase) or the bare hex line when name is NULL. */
static int print_key(const char *name, const m2m_key *k, const char *sep)
{
	char hex[2 * M2M_KEY_MAX + 1];

	if (m2m_key_export_hex(k, hex, sizeof(hex)) != M2M_OK)
		return CLI_FAIL;
	if (name == NULL)
		printf("%s\n", hex);
	else
		printf("\"%s\":\"%s\"%s", name, hex, sep);
	m2m_memzero(hex, sizeof(hex));
	return CLI_OK;
}

/* Report r, or print the derived key and free it. */
static int finish(struct req *rq, m2m_err r, m2m_key **out)
{
	int rc;

	if (r != M2M_OK)
		return cli_fail(rq->what, r);
	rc = print_key(NULL, *out, "");
	m2m_key_free(*out);
	*out = NULL;
	return rc;
}

static int run_km(struct req *rq, m2m_kdf *kdf)
{
	m2m_key *ke = NULL, *out = NULL;
	int rc;

	if ((rc = need(rq, O_MAF_ID)) != CLI_OK || (rc = load_key(rq, O_KE, O_KE_FILE, &ke)) != CLI_OK)
		return rc;
	rc = finish(rq, m2m_kdf_km(kdf, ke, rq->v[O_MAF_ID], &out), &out);
	m2m_key_free(ke);
	return rc;
}

static int run_kpsa(struct req *rq, m2m_kdf *kdf)
{
	m2m_key *ke = NULL, *out = NULL;
	int rc;

	if ((rc = need(rq, O_ENROLEE_ID)) != CLI_OK || (rc = load_key(rq, O_KE, O_KE_FILE, &ke)) != CLI_OK)
		return rc;
	rc = finish(rq, m2m_kdf_kpsa(kdf, ke, rq->v[O_ENROLEE_ID], &out), &out);
	m2m_key_free(ke);
	return rc;
}

static int run_ucsk(struct req *rq, m2m_kdf *kdf)
{
	m2m_key *ke = NULL, *out = NULL;
	char *end = NULL;
	long suid;
	int rc;

	if ((rc = need(rq, O_SUID)) != CLI_OK || (rc = need(rq, O_TARGET)) != CLI_OK)
		return rc;
	suid = strtol(rq->v[O_SUID], &end, 10);
	if (end == rq->v[O_SUID] || *end != '\0' || suid < 0 || suid > 1000)
		return cli_fail(rq->what, M2M_E_ID_BAD_TYPE);
	if ((rc = load_key(rq, O_KE, O_KE_FILE, &ke)) != CLI_OK)
		return rc;
	rc = finish(rq, m2m_kdf_ucsk(kdf, ke, (int)suid, rq->v[O_TARGET], &out), &out);
	m2m_key_free(ke);
	return rc;
}

static int run_session(struct req *rq, m2m_kdf *kdf)
{
	uint8_t rcv[M2M_KDF_INPUT_MAX], orig[M2M_KDF_INPUT_MAX];
	size_t rl, ol;
	m2m_key *key = NULL, *out = NULL;
	int rc;

	if ((rc = load_hex(rq, O_RCV_RAND, rcv, sizeof(rcv), &rl)) != CLI_OK ||
	    (rc = load_hex(rq, O_ORIG_RAND, orig, sizeof(orig), &ol)) != CLI_OK ||
	    (rc = load_key(rq, O_KEY, O_KEY_FILE, &key)) != CLI_OK)
		return rc;
	rc = finish(rq, m2m_kdf_session_esprim(kdf, key, rcv, rl, orig, ol, &out), &out);
	m2m_key_free(key);
	return rc;
}

static int run_e2e(struct req *rq, m2m_kdf *kdf)
{
	uint8_t salt[M2M_KDF_INPUT_MAX];
	size_t sl = 0;
	m2m_key *kpsa = NULL;
	m2m_kdf_e2e_keys keys;
	m2m_err r;
	int rc;

	if (rq->v[O_SALT] != NULL && (rc = load_hex(rq, O_SALT, salt, sizeof(salt), &sl)) != CLI_OK)
		return rc;
	if ((rc = load_key(rq, O_KPSA, O_KPSA_FILE, &kpsa)) != CLI_OK)
		return rc;
	r = m2m_kdf_e2e(kdf, kpsa, sl > 0 ? salt : NULL, sl, &keys);
	m2m_key_free(kpsa);
	if (r != M2M_OK)
		return cli_fail(rq->what, r);
	fputc('{', stdout);
	rc = print_key("ke2e_msg_auth", keys.msg_auth, ",") | print_key("ke2e_msg_conf", keys.msg_conf, ",") |
	     print_key("ke2e_att_auth", keys.att_auth, ",") | print_key("ke2e_att_conf", keys.att_conf, "}\n");
	m2m_kdf_e2e_keys_clear(&keys);
	return rc != CLI_OK ? CLI_FAIL : CLI_OK;
}

static int run_gba(struct req *rq, m2m_kdf *kdf)
{
	uint8_t rnd[M2M_KDF_INPUT_MAX], naf[M2M_KDF_INPUT_MAX];
	size_t rl, nl;
	m2m_key *ks = NULL, *out = NULL;
	int rc;

	if ((rc = need(rq, O_IMPI)) != CLI_OK || (rc = load_hex(rq, O_RAND, rnd, sizeof(rnd), &rl)) != CLI_OK ||
	    (rc = load_hex(rq, O_NAF_ID, naf, sizeof(naf), &nl)) != CLI_OK)
		return rc;
	if (rl != M2M_KDF_GBA_RAND_LEN) {
		cli_errorf("%s: --rand must be %d bytes", rq->what, M2M_KDF_GBA_RAND_LEN);
		return CLI_USAGE;
	}
	if ((rc = load_key(rq, O_KS, O_KS_FILE, &ks)) != CLI_OK)
		return rc;
	rc = finish(rq, m2m_kdf_gba_naf(kdf, ks, rq->v[O_GBA_U] != NULL, rnd, rq->v[O_IMPI], naf, nl, &out), &out);
	m2m_key_free(ks);
	return rc;
}

static const struct derive_cmd derive_cmds[] = {
	{"km", B(O_KE) | B(O_KE_FILE) | B(O_MAF_ID), run_km,
	 "usage: m2msec key derive km --ke HEX|- [--ke-file PATH] --maf-id ID\n"
	 "Km = HMAC-SHA-256(Ke, \"" M2M_KDF_LABEL_KM "\" || NFKC(MAF-ID)) (TS-0003 10.3.2)\n"},
	{"kpsa", B(O_KE) | B(O_KE_FILE) | B(O_ENROLEE_ID), run_kpsa,
	 "usage: m2msec key derive kpsa --ke HEX|- [--ke-file PATH] --enrolee-id ID\n"
	 "Kpsa = HMAC-SHA-256(Ke, \"" M2M_KDF_LABEL_KPSA "\" || NFKC(Enrolee-B-ID)) (TS-0003 10.3.3)\n"},
	{"ucsk", B(O_KE) | B(O_KE_FILE) | B(O_SUID) | B(O_TARGET), run_ucsk,
	 "usage: m2msec key derive ucsk --ke HEX|- [--ke-file PATH] --suid N --target FQDN\n"
	 "HMAC-SHA-256(Ke, \"" M2M_KDF_LABEL_UCSK "\" || SUID || NFKC(Target-ID)),\n"
	 "SUID as decimal text (TS-0003 10.3.7)\n"},
	{"session-esprim", B(O_KEY) | B(O_KEY_FILE) | B(O_RCV_RAND) | B(O_ORIG_RAND), run_session,
	 "usage: m2msec key derive session-esprim --key HEX|- [--key-file PATH] --rcv-rand HEX --orig-rand HEX\n"
	 "sessionESPrimKey = HMAC-SHA256(pairwiseESPrimKey, rcv || orig || \"" M2M_KDF_LABEL_SESSION_ESPRIM "\")\n"
	 "(TS-0003 10.3.8.2); the rand values are the esprimRandValue octets as carried\n"},
	{"e2e", B(O_KPSA) | B(O_KPSA_FILE) | B(O_SALT), run_e2e,
	 "usage: m2msec key derive e2e --kpsa HEX|- [--kpsa-file PATH] [--salt HEX]\n"
	 "Ke2e_master = HMAC-SHA-256(salt, Kpsa) (no salt: 32 zero bytes), expanded into the four keys\n"
	 "of TS-0003 10.3.6; prints {\"ke2e_msg_auth\",\"ke2e_msg_conf\",\"ke2e_att_auth\",\"ke2e_att_conf\"}\n"},
	{"gba-naf", B(O_KS) | B(O_KS_FILE) | B(O_RAND) | B(O_IMPI) | B(O_NAF_ID) | B(O_GBA_U), run_gba,
	 "usage: m2msec key derive gba-naf --ks HEX|- [--ks-file PATH] --rand HEX16 --impi IMPI --naf-id HEX "
	 "[--gba-u]\n"
	 "Ks_NAF = HMAC-SHA-256(Ks, 0x01||\"gba-me\"||L0||RAND||L1||IMPI||L2||NAF_Id||L3) (3GPP TS 33.220\n"
	 "Annex B, TS-0003 8.3.2.3); --gba-u uses \"gba-u\" (Ks_int_NAF; Ks_ext_NAF takes \"gba-me\");\n"
	 "NAF_Id = FQDN || Ua protocol id\n"},
};

static void derive_usage(FILE *f)
{
	fputs("usage: m2msec key derive KIND [options]   (m2msec key derive KIND --help)\n\nkinds:\n", f);
	for (size_t i = 0; i < sizeof(derive_cmds) / sizeof(derive_cmds[0]); i++)
		fprintf(f, "  %s\n", derive_cmds[i].name);
}

static int key_derive(int argc, char **argv)
{
	const struct derive_cmd *cmd = NULL;
	struct req rq = {0};
	m2m_kdf *kdf = NULL;
	m2m_err r;
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		derive_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	for (size_t i = 0; i < sizeof(derive_cmds) / sizeof(derive_cmds[0]); i++)
		if (strcmp(argv[1], derive_cmds[i].name) == 0)
			cmd = &derive_cmds[i];
	if (cmd == NULL) {
		cli_errorf("key derive: unknown kind '%s' (see m2msec key derive --help)", argv[1]);
		return CLI_USAGE;
	}
	if (cli_wants_help(argc - 1, argv + 1)) {
		fputs(cmd->usage, stdout);
		return CLI_OK;
	}
	snprintf(rq.what, sizeof(rq.what), "key derive %s", cmd->name);
	if ((rc = parse(&rq, argc - 1, argv + 1, cmd->allowed)) != CLI_OK)
		return rc;
	if ((r = m2m_kdf_new(&kdf)) != M2M_OK)
		return cli_fail(rq.what, r);
	rc = cmd->run(&rq, kdf);
	m2m_kdf_free(kdf);
	if (rc == CLI_OK && fflush(stdout) != 0)
		rc = CLI_FAIL;
	return rc;
}

static int key_split(int argc, char **argv)
{
	uint8_t m[M2M_EXPORTER_LEN + 1];
	char id[2 * M2M_EXPORTER_REL_LEN + 1 + 256 + 1], rel[2 * M2M_EXPORTER_REL_LEN + 1];
	struct req rq = {.what = "key split"};
	m2m_key *key = NULL;
	size_t n = 0;
	m2m_err r;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(split_usage, stdout);
		return CLI_OK;
	}
	if ((rc = parse(&rq, argc, argv, B(O_EXPORTER) | B(O_EXPORTER_FILE) | B(O_FQDN))) != CLI_OK ||
	    (rc = need(&rq, O_FQDN)) != CLI_OK ||
	    (rc = load_secret(&rq, O_EXPORTER, O_EXPORTER_FILE, m, sizeof(m), &n, M2M_E_KEY_LEN)) != CLI_OK)
		goto out;
	if (n != M2M_EXPORTER_LEN) {
		rc = cli_fail("key split: --exporter", M2M_E_KEY_LEN);
		goto out;
	}
	if ((r = m2m_kdf_exporter_split(m, rq.v[O_FQDN], &key, id, sizeof(id))) != M2M_OK ||
	    (r = m2m_hex_encode(m, M2M_EXPORTER_REL_LEN, true, rel, sizeof(rel))) != M2M_OK) {
		rc = cli_fail(rq.what, r);
		goto out;
	}
	printf("{\"relative_id\":\"%s\",\"key_id\":\"%s\",", rel, id);
	rc = print_key("key", key, "}\n");
	if (rc == CLI_OK && fflush(stdout) != 0)
		rc = CLI_FAIL;
out:
	m2m_key_free(key);
	m2m_memzero(m, sizeof(m));
	return rc;
}

int cli_key_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(key_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "derive") == 0)
		return key_derive(argc - 1, argv + 1);
	if (strcmp(argv[1], "split") == 0)
		return key_split(argc - 1, argv + 1);
	if (strcmp(argv[1], "milenage") == 0) /* cmd_key_milenage.c */
		return cli_key_milenage(argc - 1, argv + 1);
	cli_errorf("key: unknown subcommand '%s' (see m2msec key --help)", argv[1]);
	return CLI_USAGE;
}
