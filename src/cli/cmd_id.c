/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the `m2msec id` subcommand: `id parse [--kind KIND] [--sp FQDN] STRING`
 * validates one oneM2M identifier (TS-0003 clauses 10.3.4-10.6, 10.4, 12.2; TS-0001 Table 7.2-1;
 * TS-0004 clause 6.3.3) and prints its canonical form and fields as ONE compact JSON object on
 * stdout; `id kinds` lists the kind names. A malformed identifier exits 2 with one stderr line
 * "m2msec: id parse: <description> (<M2M_E_NAME>)"; the identifier itself is never echoed.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "m2msec/id.h"

#define KIND_FIRST M2M_ID_KEID
#define KIND_LAST M2M_ID_TOKEN_ID

static void usage_id(FILE *f)
{
	fputs("usage: m2msec id <command> [options]\n\n"
	      "Parse and validate oneM2M identifiers (TS-0003 clauses 10.3.4-10.6, 10.4; TS-0001 Table 7.2-1).\n\n"
	      "commands:\n"
	      "  parse [--kind KIND] [--sp FQDN] STRING   print the identifier's canonical form and fields as JSON\n"
	      "  kinds                                    list the identifier kinds\n\n"
	      "exit status: 0 valid, 2 malformed identifier or bad usage, 1 runtime failure\n",
	      f);
}

static void usage_parse(FILE *f)
{
	fputs("usage: m2msec id parse [--kind KIND] [--sp FQDN] STRING\n\n"
	      "Validate STRING as a oneM2M identifier and print ONE JSON object on stdout with the fields that\n"
	      "apply: kind, canonical, relative, fqdn, form (cse-relative, sp-relative, absolute), cse, stem,\n"
	      "cred_type, suid, uri (absolute AE-ID: m2m://...), domain_name (CSE-ID public domain name).\n\n"
	      "options:\n"
	      "  -k, --kind KIND   the kind to expect (see `m2msec id kinds`); default: any, which infers\n"
	      "                    KeID, KpsaID, Credential-ID, CSE-ID, AE-ID, SP-ID or FQDN from the shape\n"
	      "                    (KcID, KmID, Role-ID, Token-ID and SUID must be asked for)\n"
	      "      --sp FQDN     the M2M-SP FQDN used for the domain_name of an SP-relative CSE-ID\n"
	      "  -h, --help        this text\n\n"
	      "Identifiers are ASCII; a malformed one exits 2 with\n"
	      "  m2msec: id parse: <description> (<M2M_E_ID_* name>)\n"
	      "NFKC normalisation is not applied here: it belongs to key derivation input (m2msec key derive).\n",
	      f);
}

static void usage_kinds(FILE *f)
{
	fputs("usage: m2msec id kinds\n\nList the identifier kind names accepted by `m2msec id parse --kind`.\n", f);
}

static int parse_fail(const char *what, m2m_err err)
{
	if (what != NULL)
		cli_errorf("id parse: %s: %s (%s)", what, m2m_strerror(err), m2m_errname(err));
	else
		cli_errorf("id parse: %s (%s)", m2m_strerror(err), m2m_errname(err));
	return cli_exit_code(err);
}

static const char *form_name(m2m_id_form form)
{
	switch (form) {
	case M2M_ID_FORM_CSE_RELATIVE:
		return "cse-relative";
	case M2M_ID_FORM_SP_RELATIVE:
		return "sp-relative";
	case M2M_ID_FORM_ABSOLUTE:
		return "absolute";
	default:
		return NULL;
	}
}

/* Add key: text when text is non-NULL; returns non-zero on allocation failure. */
static int put_str(json_t *o, const char *key, const char *text)
{
	return text == NULL ? 0 : json_object_set_new(o, key, json_string(text));
}

static json_t *to_json(const m2m_id *id, const char *sp)
{
	char buf[M2M_ID_MAX + 16];
	m2m_id_kind kind = m2m_id_kind_of(id);
	json_t *o = json_object();
	int bad = o == NULL;

	if (bad)
		return NULL;
	bad |= put_str(o, "kind", m2m_id_kind_name(kind));
	bad |= put_str(o, "canonical", m2m_id_canonical(id));
	bad |= put_str(o, "relative", m2m_id_relative(id));
	bad |= put_str(o, "fqdn", m2m_id_fqdn(id));
	bad |= put_str(o, "form", form_name(m2m_id_form_of(id)));
	bad |= put_str(o, "cse", m2m_id_cse(id));
	bad |= put_str(o, "stem", m2m_id_stem(id));
	if (kind == M2M_ID_CREDENTIAL_ID)
		bad |= json_object_set_new(o, "cred_type", json_integer(m2m_id_number(id)));
	if (kind == M2M_ID_SUID)
		bad |= json_object_set_new(o, "suid", json_integer(m2m_id_number(id)));
	if (kind == M2M_ID_AE_ID && m2m_id_ae_uri(id, buf, sizeof(buf)) == M2M_OK)
		bad |= put_str(o, "uri", buf);
	/* A CSE-ID that is not a DNS label has no domain name: the field is then left out. */
	if (kind == M2M_ID_CSE_ID && (m2m_id_fqdn(id) != NULL || sp != NULL) &&
	    m2m_id_cse_domain_name(id, m2m_id_fqdn(id) != NULL ? NULL : sp, buf, sizeof(buf)) == M2M_OK)
		bad |= put_str(o, "domain_name", buf);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int id_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, NULL, 'k'},
		{"sp", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	m2m_id_kind kind = M2M_ID_ANY;
	const char *kind_name = NULL, *sp = NULL;
	m2m_id *id = NULL;
	json_t *o = NULL;
	char *text = NULL;
	int c, rc = CLI_FAIL;
	m2m_err r;

	if (cli_wants_help(argc, argv)) {
		usage_parse(stdout);
		return CLI_OK;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kind_name = optarg;
			break;
		case 's':
			sp = optarg;
			break;
		case 'h':
			usage_parse(stdout);
			return CLI_OK;
		default:
			cli_errorf("id parse: unknown option or missing value (see m2msec id parse --help)");
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_errorf("id parse: expected exactly one identifier (see m2msec id parse --help)");
		return CLI_USAGE;
	}
	if (kind_name != NULL && (r = m2m_id_kind_from_name(kind_name, &kind)) != M2M_OK)
		return parse_fail("--kind", r);
	if (sp != NULL && (r = m2m_id_check_fqdn(sp, strlen(sp))) != M2M_OK)
		return parse_fail("--sp", r);
	if ((r = m2m_id_parse(argv[optind], strlen(argv[optind]), kind, &id)) != M2M_OK)
		return parse_fail(NULL, r);
	if ((o = to_json(id, sp)) == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
		rc = parse_fail(NULL, M2M_E_NOMEM);
		goto out;
	}
	if (puts(text) == EOF || fflush(stdout) != 0) {
		cli_errorf("id parse: cannot write to stdout");
		goto out;
	}
	rc = CLI_OK;
out:
	free(text);
	json_decref(o);
	m2m_id_free(id);
	return rc;
}

static int id_kinds(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage_kinds(stdout);
		return CLI_OK;
	}
	if (argc != 1) {
		cli_errorf("id kinds: takes no arguments (see m2msec id kinds --help)");
		return CLI_USAGE;
	}
	for (int k = KIND_FIRST; k <= KIND_LAST; k++)
		puts(m2m_id_kind_name((m2m_id_kind)k));
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

int cli_id_main(int argc, char **argv)
{
	if (argc < 2) {
		usage_id(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage_id(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "parse") == 0)
		return id_parse(argc - 1, argv + 1);
	if (strcmp(argv[1], "kinds") == 0)
		return id_kinds(argc - 1, argv + 1);
	cli_errorf("id: unknown command (try m2msec id --help)");
	return CLI_USAGE;
}
