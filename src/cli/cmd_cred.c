/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec cred add|list|show|revoke`: the operator's view of the credential
 * store (include/m2msec/credstore.h) holding the TS-0003 clause 10.3 symmetric keys (Kpm, Ke,
 * Km, Kpsa, Kc) and clause 10.1 certificates. Listing and showing print metadata and the state
 * computed at time(NULL), never key bytes; the only key text ever printed is the one generated
 * by `add --generate`, once. Successful add/revoke are otherwise silent. See docs/credstore.md.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/cli.h"
#include "m2msec/credstore.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"
#include "store/pg_common.h"

#define KEY_TEXT_MAX 1024 /* hex on stdin or in a key file, with whitespace */
#define CERT_FILE_MAX 65536

static const char usage_main[] =
	"usage: m2msec cred <add|list|show|revoke> --store PATH [options]\n\n"
	"Manage the credential store (SQLite file, mode 0600; PATH or sqlite:PATH).\n"
	"  add     store a key (kpm, ke, km, kpsa, kc) or a certificate (cert)\n"
	"  list    list records with their state (active, revoked, expired, not-yet-valid)\n"
	"  show    show one record's metadata\n"
	"  revoke  mark a record revoked; lookups then fail\n"
	"Key bytes are never printed by list/show. `m2msec cred <cmd> --help` for details.\n";

static const char usage_add[] =
	"usage: m2msec cred add --store PATH --kind kpm|ke|km|kpsa|kc|cert --id ID\n"
	"         (--key HEX | --key - | --key-file PATH | --generate | --cert PEMFILE)\n"
	"         [--owner ID] [--target ID]... [--suid N] [--not-before T] [--not-after T]\n\n"
	"Adds one record; creates the store (mode 0600) if it does not exist.\n"
	"  --key HEX       key as hex (visible in the process list: prefer --key - or --key-file)\n"
	"  --key -         read the hex key from standard input\n"
	"  --key-file PATH read the hex key from a file that must be mode 0600 or stricter\n"
	"  --generate      generate a random 32-byte key and print it ONCE as hex on stdout:\n"
	"                  hand it to the device now, it cannot be shown again\n"
	"  --cert PEMFILE  a PEM certificate (--kind cert); --id defaults to its SHA-256\n"
	"                  fingerprint (uppercase hex), which is then printed on stdout\n"
	"  --owner ID      Enrolee-ID / AE-ID / CSE-ID (or FQDN, Credential-ID)\n"
	"  --target ID     target CSE-ID / AE-ID / FQDN; repeat for several (max 16)\n"
	"  --suid N        m2m:suid the credential is limited to (TS-0004 Table 6.3.4.2.39-1)\n"
	"  --not-before T, --not-after T   validity window, T = unix seconds or YYYY-MM-DDTHH:MM:SSZ\n"
	"Ke and Kc keys must be 32 bytes, others 16..64. Prints nothing else on success.\n";

static const char usage_list[] =
	"usage: m2msec cred list --store PATH [--kind K] [--json]\n\n"
	"Lists the records (metadata only, never key bytes) with the state computed now.\n";

static const char usage_show[] =
	"usage: m2msec cred show --store PATH --id ID [--json]\n\n"
	"Shows one record's metadata and its state computed now (never key bytes).\n";

static const char usage_revoke[] =
	"usage: m2msec cred revoke --store PATH --id ID\n\n"
	"Marks the record revoked (idempotent); every later lookup of it fails.\n";

/* ---- small parsers ---------------------------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool parse_u64(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (!all_digits(s))
		return false;
	for (; *s != '\0'; s++) {
		if (v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

static bool digits_at(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Unix seconds, or ISO-8601 UTC "YYYY-MM-DDTHH:MM:SSZ" (round-tripped to reject Feb 30). */
static bool parse_time(const char *s, int64_t *out)
{
	struct tm tm = {0}, back;
	int y, mo, d, h, mi, se;
	time_t t;

	if (all_digits(s))
		return parse_u64(s, INT64_MAX / 2, out);
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return false;
	if (!digits_at(s, 4, &y) || !digits_at(s + 5, 2, &mo) || !digits_at(s + 8, 2, &d) ||
	    !digits_at(s + 11, 2, &h) || !digits_at(s + 14, 2, &mi) || !digits_at(s + 17, 2, &se))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t < 0 || gmtime_r(&t, &back) == NULL || back.tm_mday != d || back.tm_mon != mo - 1)
		return false;
	*out = (int64_t)t;
	return true;
}

static void fmt_time(int64_t t, const char *zero, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "%s", t == 0 ? zero : "?");
}

/* The key of --key HEX, --key - (stdin) or --key-file PATH (0600) as an m2m_key. M2M_E_INVAL for
 * text that is not hex, M2M_E_KEY_LEN for a key outside 16..64 bytes. */
static m2m_err key_from_option(const char *value, const char *file, m2m_key **out)
{
	uint8_t buf[M2M_KEY_MAX];
	size_t n = 0;
	m2m_err r = cli_secret_hex(file != NULL ? NULL : value, file, KEY_TEXT_MAX, buf, sizeof(buf), &n);

	if (r == M2M_E_ID_BAD_HEX)
		r = M2M_E_INVAL;
	else if (r == M2M_E_TOO_LARGE)
		r = M2M_E_KEY_LEN;
	if (r == M2M_OK)
		r = m2m_key_new(buf, n, out);
	m2m_memzero(buf, sizeof(buf));
	return r;
}

/* ---- shared option handling -------------------------------------------------------------- */

enum { OPT_STORE = 256, OPT_KIND, OPT_ID, OPT_KEY, OPT_KEY_FILE, OPT_GENERATE, OPT_CERT, OPT_OWNER,
       OPT_TARGET, OPT_SUID, OPT_NB, OPT_NA, OPT_JSON };

static const struct option long_opts[] = {
	{"store", required_argument, NULL, OPT_STORE},   {"kind", required_argument, NULL, OPT_KIND},
	{"id", required_argument, NULL, OPT_ID},         {"key", required_argument, NULL, OPT_KEY},
	{"key-file", required_argument, NULL, OPT_KEY_FILE},
	{"generate", no_argument, NULL, OPT_GENERATE},   {"cert", required_argument, NULL, OPT_CERT},
	{"owner", required_argument, NULL, OPT_OWNER},   {"target", required_argument, NULL, OPT_TARGET},
	{"suid", required_argument, NULL, OPT_SUID},     {"not-before", required_argument, NULL, OPT_NB},
	{"not-after", required_argument, NULL, OPT_NA},  {"json", no_argument, NULL, OPT_JSON},
	{NULL, 0, NULL, 0},
};

#define ALLOW(o) (1u << ((o) - OPT_STORE))

struct opts {
	const char *store, *kind, *id, *key, *key_file, *cert, *owner;
	char *targets[M2M_CRED_MAX_TARGETS + 1];
	size_t ntargets;
	bool generate, json;
	int64_t suid, nb, na;
};

/* Parse argv (argv[0] is the sub-subcommand); allowed is the set of options it takes. */
static int parse_opts(const char *cmd, int argc, char **argv, unsigned allowed, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c < OPT_STORE || (allowed & (1u << (c - OPT_STORE))) == 0) {
			cli_errorf("cred %s: unknown option or missing value: %s", cmd, argv[optind - 1]);
			return CLI_USAGE;
		}
		switch (c) {
		case OPT_STORE: o->store = optarg; break;
		case OPT_KIND: o->kind = optarg; break;
		case OPT_ID: o->id = optarg; break;
		case OPT_KEY: o->key = optarg; break;
		case OPT_KEY_FILE: o->key_file = optarg; break;
		case OPT_GENERATE: o->generate = true; break;
		case OPT_CERT: o->cert = optarg; break;
		case OPT_OWNER: o->owner = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_TARGET:
			if (o->ntargets == M2M_CRED_MAX_TARGETS) {
				cli_errorf("cred %s: at most %d --target", cmd, M2M_CRED_MAX_TARGETS);
				return CLI_USAGE;
			}
			o->targets[o->ntargets++] = optarg;
			break;
		case OPT_SUID:
			if (!parse_u64(optarg, 1000000, &o->suid)) {
				cli_errorf("cred %s: --suid must be a decimal m2m:suid", cmd);
				return CLI_USAGE;
			}
			break;
		case OPT_NB:
		case OPT_NA:
			if (!parse_time(optarg, c == OPT_NB ? &o->nb : &o->na)) {
				cli_errorf("cred %s: %s must be unix seconds or YYYY-MM-DDTHH:MM:SSZ", cmd,
					   c == OPT_NB ? "--not-before" : "--not-after");
				return CLI_USAGE;
			}
			break;
		}
	}
	if (optind != argc) {
		cli_errorf("cred %s: unexpected argument '%s'", cmd, argv[optind]);
		return CLI_USAGE;
	}
	if (o->store == NULL) {
		cli_errorf("cred %s: --store PATH is required", cmd);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int open_store(const char *cmd, const char *path, bool create, m2m_credstore **out)
{
	char what[32];
	m2m_err r = m2m_credstore_open(path, out);

	if (r == M2M_E_NOT_FOUND && create && (r = m2m_credstore_create(path, out)) == M2M_E_EXISTS)
		r = m2m_credstore_open(path, out); /* another add created it just now */
	if (r == M2M_E_NOT_FOUND) {
		char shown[256]; /* a postgresql:// URI is shown without its password */

		m2mi_pg_redact(path, shown, sizeof(shown));
		cli_errorf("cred %s: no credential store at %s", cmd, shown);
		return CLI_FAIL;
	}
	snprintf(what, sizeof(what), "cred %s", cmd);
	return r == M2M_OK ? CLI_OK : cli_fail(what, r);
}

/* ---- add -------------------------------------------------------------------------------- */

static int add_key_source(const struct opts *o, m2m_cred_kind kind, m2m_key **key, char **pem)
{
	int nsrc = (o->key != NULL) + (o->key_file != NULL) + o->generate + (o->cert != NULL);
	size_t len = 0;
	m2m_err r = M2M_OK;

	if (nsrc != 1 || (kind == M2M_CRED_KIND_CERT) != (o->cert != NULL)) {
		cli_errorf("cred add: give exactly one of --key, --key-file, --generate (key kinds) or "
			   "--cert (kind cert)");
		return CLI_USAGE;
	}
	if (o->cert != NULL && (r = cli_read_file(o->cert, CERT_FILE_MAX, 0, pem, &len)) != M2M_OK)
		return cli_fail("cred add: --cert", r);
	if (o->generate)
		r = m2m_key_generate(M2M_KEY_LEN, key);
	else if (o->key != NULL || o->key_file != NULL)
		r = key_from_option(o->key, o->key_file, key);
	if (r == M2M_E_INVAL) {
		cli_errorf("cred add: the key is not valid hex");
		return CLI_USAGE;
	}
	if (r != M2M_OK)
		return cli_fail(o->key_file != NULL ? "cred add: --key-file" : "cred add", r);
	return CLI_OK;
}

static int cmd_add(int argc, char **argv)
{
	const unsigned allowed = ALLOW(OPT_STORE) | ALLOW(OPT_KIND) | ALLOW(OPT_ID) | ALLOW(OPT_KEY) |
				 ALLOW(OPT_KEY_FILE) | ALLOW(OPT_GENERATE) | ALLOW(OPT_CERT) |
				 ALLOW(OPT_OWNER) | ALLOW(OPT_TARGET) | ALLOW(OPT_SUID) | ALLOW(OPT_NB) |
				 ALLOW(OPT_NA);
	m2m_cred_info info = {0};
	m2m_credstore *store = NULL;
	m2m_cred_kind kind;
	m2m_key *key = NULL;
	char *pem = NULL, *id = NULL, hex[2 * M2M_KEY_MAX + 1];
	struct opts o;
	int rc;
	m2m_err r;

	if ((rc = parse_opts("add", argc, argv, allowed, &o)) != CLI_OK)
		return rc;
	if (o.kind == NULL || m2m_credstore_kind_from_name(o.kind, &kind) != M2M_OK) {
		cli_errorf("cred add: --kind must be one of kpm, ke, km, kpsa, kc, cert");
		return CLI_USAGE;
	}
	if (o.id == NULL && kind != M2M_CRED_KIND_CERT) {
		cli_errorf("cred add: --id ID is required");
		return CLI_USAGE;
	}
	rc = add_key_source(&o, kind, &key, &pem);
	if (o.key != NULL && strcmp(o.key, "-") != 0)
		m2m_memzero((char *)o.key, strlen(o.key)); /* shorten its life in /proc/PID/cmdline */
	if (rc != CLI_OK)
		goto out;
	if ((rc = open_store("add", o.store, true, &store)) != CLI_OK)
		goto out;
	info.kind = kind;
	info.id = (char *)o.id;
	info.owner = (char *)o.owner;
	info.targets = o.targets;
	info.ntargets = o.ntargets;
	info.suid = (int)o.suid;
	info.not_before = o.nb;
	info.not_after = o.na;
	info.created_at = (int64_t)time(NULL);
	if ((r = m2m_credstore_add(store, &info, key, pem, &id)) != M2M_OK) {
		rc = r == M2M_E_CERT ? (cli_fail("cred add", r), CLI_USAGE) : cli_fail("cred add", r);
		goto out;
	}
	if (o.generate) {
		if ((r = m2m_key_export_hex(key, hex, sizeof(hex))) != M2M_OK) {
			rc = cli_fail("cred add", r);
			goto out;
		}
		puts(hex);
		m2m_memzero(hex, sizeof(hex));
	} else if (kind == M2M_CRED_KIND_CERT && o.id == NULL) {
		puts(id);
	}
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	m2m_memzero(hex, sizeof(hex));
	m2m_key_free(key);
	free(pem);
	free(id);
	m2m_credstore_close(store);
	return rc;
}

/* ---- list / show ------------------------------------------------------------------------ */

static json_t *info_json(const m2m_cred_info *c, int64_t now)
{
	json_t *o = json_object(), *t = json_array();

#define JTIME(v) ((v) != 0 ? json_integer((json_int_t)(v)) : json_null())
	for (size_t i = 0; t != NULL && i < c->ntargets; i++)
		json_array_append_new(t, json_string(c->targets[i]));
	if (o == NULL || t == NULL) {
		json_decref(o);
		json_decref(t);
		return NULL;
	}
	json_object_set_new(o, "kind", json_string(m2m_credstore_kind_name(c->kind)));
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "state", json_string(m2m_credstore_state_name(m2m_credstore_state_at(c, now))));
	json_object_set_new(o, "owner", c->owner != NULL ? json_string(c->owner) : json_null());
	json_object_set_new(o, "targets", t);
	json_object_set_new(o, "suid", c->suid != 0 ? json_integer(c->suid) : json_null());
	json_object_set_new(o, "not_before", JTIME(c->not_before));
	json_object_set_new(o, "not_after", JTIME(c->not_after));
	json_object_set_new(o, "revoked_at", JTIME(c->revoked_at));
	json_object_set_new(o, "created_at", JTIME(c->created_at));
	json_object_set_new(o, "last_used", JTIME(c->last_used));
#undef JTIME
	return o;
}

struct list_ctx {
	int64_t now;
	json_t *arr; /* --json */
};

static m2m_err list_row(const m2m_cred_info *c, void *arg)
{
	struct list_ctx *ctx = arg;
	char nb[32], na[32], suid[16];
	json_t *o;

	if (ctx->arr != NULL) {
		if ((o = info_json(c, ctx->now)) == NULL || json_array_append_new(ctx->arr, o) != 0)
			return M2M_E_NOMEM;
		return M2M_OK;
	}
	fmt_time(c->not_before, "-", nb, sizeof(nb));
	fmt_time(c->not_after, "-", na, sizeof(na));
	snprintf(suid, sizeof(suid), "%d", c->suid);
	printf("%-5s %-13s %-5s %-20s %-20s %s  %s\n", m2m_credstore_kind_name(c->kind),
	       m2m_credstore_state_name(m2m_credstore_state_at(c, ctx->now)), c->suid != 0 ? suid : "-",
	       nb, na, c->id, c->owner != NULL ? c->owner : "-");
	return M2M_OK;
}

static int print_json(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (s == NULL)
		return cli_fail("cred", M2M_E_NOMEM);
	puts(s);
	free(s);
	return CLI_OK;
}

static int cmd_list(int argc, char **argv)
{
	struct list_ctx ctx = {.now = (int64_t)time(NULL)};
	m2m_credstore *store = NULL;
	m2m_cred_kind kind = 0;
	struct opts o;
	int rc;
	m2m_err r;

	if ((rc = parse_opts("list", argc, argv, ALLOW(OPT_STORE) | ALLOW(OPT_KIND) | ALLOW(OPT_JSON), &o)) != CLI_OK)
		return rc;
	if (o.kind != NULL && m2m_credstore_kind_from_name(o.kind, &kind) != M2M_OK) {
		cli_errorf("cred list: --kind must be one of kpm, ke, km, kpsa, kc, cert");
		return CLI_USAGE;
	}
	if ((rc = open_store("list", o.store, false, &store)) != CLI_OK)
		return rc;
	if (o.json && (ctx.arr = json_array()) == NULL) {
		rc = cli_fail("cred list", M2M_E_NOMEM);
		goto out;
	}
	if (!o.json)
		printf("%-5s %-13s %-5s %-20s %-20s %s  %s\n", "KIND", "STATE", "SUID", "NOT-BEFORE",
		       "NOT-AFTER", "ID", "OWNER");
	if ((r = m2m_credstore_list(store, (unsigned)kind, list_row, &ctx)) != M2M_OK) {
		rc = cli_fail("cred list", r);
		goto out;
	}
	rc = o.json ? print_json(ctx.arr) : CLI_OK;
out:
	json_decref(ctx.arr);
	m2m_credstore_close(store);
	return rc;
}

static void show_text(const m2m_cred_info *c, int64_t now)
{
	char suid[16] = "-", nb[32], na[32], cr[32], lu[32], rv[32];

	if (c->suid != 0)
		snprintf(suid, sizeof(suid), "%d", c->suid);
	fmt_time(c->not_before, "unbounded", nb, sizeof(nb));
	fmt_time(c->not_after, "unbounded", na, sizeof(na));
	fmt_time(c->created_at, "-", cr, sizeof(cr));
	fmt_time(c->last_used, "never", lu, sizeof(lu));
	fmt_time(c->revoked_at, "-", rv, sizeof(rv));
	printf("id:          %s\nkind:        %s\nstate:       %s\nowner:       %s\ntargets:    ", c->id,
	       m2m_credstore_kind_name(c->kind), m2m_credstore_state_name(m2m_credstore_state_at(c, now)),
	       c->owner != NULL ? c->owner : "-");
	for (size_t i = 0; i < c->ntargets; i++)
		printf(" %s", c->targets[i]);
	printf("%s\nsuid:        %s\nnot-before:  %s\nnot-after:   %s\ncreated:     %s\nlast-used:   %s\n",
	       c->ntargets == 0 ? " -" : "", suid, nb, na, cr, lu);
	if (c->state == M2M_CRED_STATE_REVOKED)
		printf("revoked-at:  %s\n", rv);
}

static int cmd_show(int argc, char **argv)
{
	m2m_credstore *store = NULL;
	m2m_cred_info *info = NULL;
	int64_t now = (int64_t)time(NULL);
	struct opts o;
	json_t *j;
	int rc;
	m2m_err r;

	if ((rc = parse_opts("show", argc, argv, ALLOW(OPT_STORE) | ALLOW(OPT_ID) | ALLOW(OPT_JSON), &o)) != CLI_OK)
		return rc;
	if (o.id == NULL) {
		cli_errorf("cred show: --id ID is required");
		return CLI_USAGE;
	}
	if ((rc = open_store("show", o.store, false, &store)) != CLI_OK)
		return rc;
	if ((r = m2m_credstore_get_info(store, o.id, &info)) != M2M_OK) {
		rc = cli_fail("cred show", r);
		goto out;
	}
	if (o.json) {
		j = info_json(info, now);
		rc = print_json(j);
		json_decref(j);
	} else {
		show_text(info, now);
	}
out:
	m2m_credstore_info_free(info);
	m2m_credstore_close(store);
	return rc;
}

static int cmd_revoke(int argc, char **argv)
{
	m2m_credstore *store = NULL;
	struct opts o;
	int rc;
	m2m_err r;

	if ((rc = parse_opts("revoke", argc, argv, ALLOW(OPT_STORE) | ALLOW(OPT_ID), &o)) != CLI_OK)
		return rc;
	if (o.id == NULL) {
		cli_errorf("cred revoke: --id ID is required");
		return CLI_USAGE;
	}
	if ((rc = open_store("revoke", o.store, false, &store)) != CLI_OK)
		return rc;
	if ((r = m2m_credstore_revoke(store, o.id, (int64_t)time(NULL))) != M2M_OK)
		rc = cli_fail("cred revoke", r);
	m2m_credstore_close(store);
	return rc;
}

int cli_cred_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
		const char *usage;
	} subs[] = {
		{"add", cmd_add, usage_add},
		{"list", cmd_list, usage_list},
		{"show", cmd_show, usage_show},
		{"revoke", cmd_revoke, usage_revoke},
	};

	if (argc < 2) {
		fputs(usage_main, stderr);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if (cli_wants_help(argc - 1, argv + 1)) {
			fputs(subs[i].usage, stdout);
			return CLI_OK;
		}
		return subs[i].fn(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return CLI_OK;
	}
	cli_errorf("cred: unknown subcommand '%s' (try m2msec cred --help)", argv[1]);
	return CLI_USAGE;
}
