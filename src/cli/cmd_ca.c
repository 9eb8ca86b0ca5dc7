/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec ca subcommand: a small P-256 certificate authority for the
 * TS-0003 clause 10.1.1 certificate profiles (AE-ID, CSE-ID and FQDN certificates) whose CA
 * certificate carries the nameConstraints of TS-0003 clause 8.1.2.2.
 *   m2msec ca init  --dir DIR --name NAME [--permit DOMAIN]... [--days N]
 *   m2msec ca issue --dir DIR --san VALUE [--san VALUE]... --out PREFIX [--days N] [--cn CN]
 *                   [--csr FILE]
 *   m2msec ca show  --dir DIR
 * The work is done by the library (include/m2msec/ca.h); this file parses options and prints.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "m2msec/ca.h"
#include "m2msec/mem.h"

#define CSR_FILE_MAX (64 * 1024)

static const char usage_ca[] =
	"usage: m2msec ca <init|issue|show|crl> [options]   (m2msec ca <cmd> --help for details)\n"
	"\n"
	"A small P-256 certificate authority for oneM2M (TS-0003 clause 10.1.1 profiles; the CA\n"
	"certificate carries the nameConstraints of clause 8.1.2.2).\n"
	"\n"
	"commands:\n"
	"  init   create a CA directory (ca.key 0600, self-signed ca.crt)\n"
	"  issue  issue a leaf certificate (AE-ID URI, CSE-ID or FQDN DNS name; IP/localhost for\n"
	"         development servers)\n"
	"  show   print the CA's subject, validity and name constraints as JSON\n"
	"  crl    publish the CA's CRL (revoked EST certificates of a MEF store, or given serials)\n"
	"\n"
	"exit status: 0 success, 1 runtime failure, 2 bad usage or input\n";

static const char usage_init[] =
	"usage: m2msec ca init --dir DIR --name NAME [--permit DOMAIN]... [--days N]\n"
	"\n"
	"Create DIR (0700) holding ca.key (P-256, PEM, mode 0600) and a self-signed ca.crt with\n"
	"subject CN=NAME, critical basicConstraints CA:TRUE pathlen:0 and critical keyUsage\n"
	"keyCertSign, cRLSign, digitalSignature.\n"
	"\n"
	"  --dir DIR        CA directory (refused when it already holds a CA)\n"
	"  --name NAME      CA common name (1..64 bytes)\n"
	"  --permit DOMAIN  add critical nameConstraints permitting DNS:DOMAIN, URI:DOMAIN and\n"
	"                   URI:.DOMAIN (repeatable; an FQDN or localhost, no wildcard). TS-0003 8.1.2.2\n"
	"                   requires constraints on a CA; without --permit the CA is unconstrained\n"
	"  --days N         validity in days (default 3650)\n";

static const char usage_issue[] =
	"usage: m2msec ca issue --dir DIR --san VALUE [--san VALUE]... --out PREFIX [--days N]\n"
	"                       [--cn CN] [--csr FILE]\n"
	"\n"
	"Issue a TS-0003 clause 10.1.1 leaf certificate: P-256, ECDSA with SHA-256, critical\n"
	"keyUsage digitalSignature, extendedKeyUsage serverAuth+clientAuth, CA:FALSE. The\n"
	"certificate is verified against the CA (name constraints included) before it is written.\n"
	"\n"
	"  --dir DIR     CA directory (ca.key must be mode 0600)\n"
	"  --san VALUE   subjectAltName (repeatable): a value with \"://\" is a URI\n"
	"                (m2m://SP-FQDN/CSE-ID/Cstem is the AE-ID form, e.g.\n"
	"                m2m://m2msec.example.com/id-in/Cdev3), anything else a DNS name (CSE-ID\n"
	"                domain name id-in.m2msec.example.com, or an FQDN). OpenSSL prefixes DNS:,\n"
	"                URI:, IP: are accepted; localhost and IP:ADDRESS (v4/v6) only in server\n"
	"                certificates, for development. NODE:NODE-ID (e.g.\n"
	"                NODE:urn:gsma:imei:90420156-025763-0) makes a Node-ID certificate\n"
	"                (TS-0003 10.1.1.8; an otherName, see docs/pki.md), alone or with DNS\n"
	"                names, never with an AE-ID. No wildcards\n"
	"  --out PREFIX  write PREFIX.crt and PREFIX.key (0600); existing files are never replaced\n"
	"  --days N      validity in days (default 365, never beyond the CA's notAfter)\n"
	"  --cn CN       subject common name (default: the first SAN)\n"
	"  --csr FILE    sign this PKCS#10 request (P-256) instead of generating a key: only its\n"
	"                public key is used, and only PREFIX.crt is written\n";

static const char usage_show[] =
	"usage: m2msec ca show --dir DIR\n"
	"\n"
	"Print the CA certificate as one JSON object: dir, subject (RFC 2253), serial (hex),\n"
	"not_before, not_after (ISO 8601 UTC), not_before_epoch, not_after_epoch,\n"
	"fingerprint_sha256 (of the DER certificate, for pinning), constrained (false without\n"
	"--permit) and name_constraints {permitted, excluded} in OpenSSL notation (DNS:x, URI:x).\n"
	"\n"
	"  --dir DIR   CA directory\n";

enum { OPT_DIR = 1, OPT_NAME, OPT_PERMIT, OPT_DAYS, OPT_SAN, OPT_OUT, OPT_CN, OPT_CSR };

static int parse_days(const char *s, int *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < 1 || v > M2M_CA_DAYS_MAX) {
		cli_errorf("ca: --days must be 1..%d", M2M_CA_DAYS_MAX);
		return CLI_USAGE;
	}
	*out = (int)v;
	return CLI_OK;
}

/* Common getopt loop: fills the fields it sees; list options append to arrays of max entries. */
struct ca_opts {
	const char *dir, *name, *out, *cn, *csr;
	const char *list[M2M_CA_MAX_SANS > M2M_CA_MAX_PERMITS ? M2M_CA_MAX_SANS : M2M_CA_MAX_PERMITS];
	size_t n;
	int days;
};

static int parse_opts(int argc, char **argv, const struct option *longopts, size_t max, struct ca_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR: o->dir = optarg; break;
		case OPT_NAME: o->name = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_CN: o->cn = optarg; break;
		case OPT_CSR: o->csr = optarg; break;
		case OPT_DAYS:
			if ((rc = parse_days(optarg, &o->days)) != CLI_OK)
				return rc;
			break;
		case OPT_PERMIT:
		case OPT_SAN:
			if (o->n >= max) {
				cli_errorf("ca %s: at most %zu --%s options", argv[0], max,
					   c == OPT_SAN ? "san" : "permit");
				return CLI_USAGE;
			}
			o->list[o->n++] = optarg;
			break;
		default:
			cli_errorf("ca %s: unknown or incomplete option '%s' (try --help)", argv[0],
				   argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_errorf("ca %s: unexpected argument '%s'", argv[0], argv[optind]);
		return CLI_USAGE;
	}
	if (o->dir == NULL) {
		cli_errorf("ca %s: --dir is required", argv[0]);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, OPT_DIR},
		{"name", required_argument, NULL, OPT_NAME},
		{"permit", required_argument, NULL, OPT_PERMIT},
		{"days", required_argument, NULL, OPT_DAYS},
		{NULL, 0, NULL, 0},
	};
	struct ca_opts o;
	m2m_err r;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage_init, stdout);
		return CLI_OK;
	}
	if ((rc = parse_opts(argc, argv, opts, M2M_CA_MAX_PERMITS, &o)) != CLI_OK)
		return rc;
	if (o.name == NULL) {
		cli_errorf("ca init: --name is required");
		return CLI_USAGE;
	}
	if ((r = m2m_ca_init(o.dir, o.name, o.list, o.n, o.days)) != M2M_OK) {
		char what[PATH_MAX + 16];
		snprintf(what, sizeof(what), "ca init: %s", o.dir);
		return cli_fail(what, r);
	}
	printf("created CA in %s (ca.key, ca.crt)\n", o.dir);
	return CLI_OK;
}

static int cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, OPT_DIR},
		{"san", required_argument, NULL, OPT_SAN},
		{"out", required_argument, NULL, OPT_OUT},
		{"days", required_argument, NULL, OPT_DAYS},
		{"cn", required_argument, NULL, OPT_CN},
		{"csr", required_argument, NULL, OPT_CSR},
		{NULL, 0, NULL, 0},
	};
	struct ca_opts o;
	m2m_ca *ca = NULL;
	char *crt = NULL, *key = NULL, *csr = NULL;
	size_t csr_len = 0;
	m2m_err r;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage_issue, stdout);
		return CLI_OK;
	}
	if ((rc = parse_opts(argc, argv, opts, M2M_CA_MAX_SANS, &o)) != CLI_OK)
		return rc;
	if (o.n == 0 || o.out == NULL) {
		cli_errorf("ca issue: --san and --out are required");
		return CLI_USAGE;
	}
	if (o.csr != NULL && (r = cli_read_file(o.csr, CSR_FILE_MAX, 0, &csr, &csr_len)) != M2M_OK) {
		rc = cli_fail("ca issue: --csr", r);
		goto out;
	}
	if ((r = m2m_ca_open(o.dir, &ca)) != M2M_OK) {
		char what[PATH_MAX + 32];
		snprintf(what, sizeof(what), "ca issue: cannot open the CA in %s", o.dir);
		rc = cli_fail(what, r);
		goto out;
	}
	if (csr != NULL)
		r = m2m_ca_issue_csr(ca, csr, csr_len, o.list, o.n, o.days, o.cn, &crt);
	else
		r = m2m_ca_issue(ca, o.list, o.n, o.days, o.cn, &crt, &key);
	if (r != M2M_OK) {
		rc = cli_fail("ca issue", r);
		if (csr != NULL && r == M2M_E_CERT)
			rc = CLI_USAGE; /* a malformed or non-P-256 request is bad input */
		goto out;
	}
	if ((r = m2m_ca_write_leaf(o.out, crt, key)) != M2M_OK) {
		char what[PATH_MAX + 48];
		snprintf(what, sizeof(what), "ca issue: cannot write %s.crt", o.out);
		rc = cli_fail(what, r);
		goto out;
	}
	printf("issued %s.crt%s\n", o.out, key != NULL ? " and .key" : "");
	rc = CLI_OK;
out:
	if (key != NULL)
		m2m_freezero(key, strlen(key) + 1);
	free(crt);
	free(csr);
	m2m_ca_free(ca);
	return rc;
}

static json_t *iso_time(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, OPT_DIR},
		{NULL, 0, NULL, 0},
	};
	struct ca_opts o;
	m2m_ca *ca = NULL;
	json_t *root = NULL, *perm, *excl;
	char *text = NULL;
	int64_t nb = 0, na = 0;
	m2m_err r;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage_show, stdout);
		return CLI_OK;
	}
	if ((rc = parse_opts(argc, argv, opts, 0, &o)) != CLI_OK)
		return rc;
	if ((r = m2m_ca_open(o.dir, &ca)) != M2M_OK) {
		char what[PATH_MAX + 16];
		snprintf(what, sizeof(what), "ca show: %s", o.dir);
		return cli_fail(what, r);
	}
	m2m_ca_validity(ca, &nb, &na);
	perm = json_array();
	excl = json_array();
	for (size_t i = 0; i < m2m_ca_constraint_count(ca); i++) {
		bool permitted = false;
		const char *c = m2m_ca_constraint(ca, i, &permitted);
		json_array_append_new(permitted ? perm : excl, json_string(c));
	}
	root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:s, s:b, s:{s:o, s:o}}", "dir", o.dir, "subject",
			 m2m_ca_subject(ca), "serial", m2m_ca_serial(ca), "not_before", iso_time(nb),
			 "not_after", iso_time(na), "not_before_epoch", (json_int_t)nb, "not_after_epoch",
			 (json_int_t)na, "fingerprint_sha256", m2m_ca_fingerprint(ca), "constrained",
			 m2m_ca_constraint_count(ca) > 0, "name_constraints", "permitted", perm, "excluded", excl);
	if (root == NULL || (text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		rc = cli_fail("ca show", M2M_E_NOMEM);
		goto out;
	}
	puts(text);
	rc = CLI_OK;
out:
	free(text);
	json_decref(root);
	m2m_ca_free(ca);
	return rc;
}

int cli_ca_main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_ca, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage_ca, stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "issue") == 0)
		return cmd_issue(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "crl") == 0)
		return cli_ca_crl(argc - 1, argv + 1);
	cli_errorf("ca: unknown command '%s' (try m2msec ca --help)", argv[1]);
	return CLI_USAGE;
}
