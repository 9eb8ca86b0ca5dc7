/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef enrolee add|revoke|list|show|rotate|set` (docs/cli.md): the
 * operator's view of the MEF's Kpm enrolees (TS-0003 §8.3.2.1 "Bootstrap Credential
 * Configuration"). The commands open the MEF store of the configuration's [mef] section
 * directly: SQLite WAL lets them run while `m2msec mef` serves, and every change is one
 * transaction that the running MEF sees at its next handshake (a revocation fails the next
 * handshake of that KpmID). Key bytes are read from a 0600 file or standard input, never from
 * the command line, and are never printed. `set --network-authorized yes|no` records the
 * underlying-network authorization the MEF hands to the Enrolment Targets with the credential
 * (docs/procedures/mef.md "Underlying-network authorization", TS-0001 clause 6.2.2 CMDH).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "m2msec/hss.h"
#include "m2msec/mem.h"
#include "store/pg_common.h"

int mef_cli_open(const char *what, const char *config, bool create, m2m_mef_svc_config *cfg, m2m_mefstore **st)
{
	int rc;
	m2m_err r;

	*st = NULL;
	if ((rc = admin_config(what, config, &cli_mef_section, cfg)) != CLI_OK)
		return rc;
	/* FULL whatever [mef] store-sync says (that key is the service's): an operator's revocation
	 * or rotation is on disk when the command returns (docs/config.md). */
	if ((r = m2m_mefstore_open(cfg->store, create, st)) != M2M_OK) {
		char shown[256]; /* a postgresql:// URI is shown without its password */

		m2mi_pg_redact(cfg->store, shown, sizeof(shown));
		cli_errorf("%s: %s: store %s: %s", what, config, shown, m2m_strerror(r));
		return cli_exit_code(r);
	}
	return CLI_OK;
}

int mef_cli_expiry_days(const char *what, const char *arg, long *days)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n < 1 || n > 36500) {
		cli_errorf("%s: --expiry-days must be 1..36500", what);
		return CLI_USAGE;
	}
	*days = n;
	return -1;
}

static int key32(const char *what, const char *file, uint8_t out[32])
{
	size_t n = 0;
	m2m_err r;

	if (file == NULL) {
		cli_errorf("%s: a key file is required (try --help)", what);
		return CLI_USAGE;
	}
	r = strcmp(file, "-") == 0 ? cli_secret_hex("-", NULL, 1024, out, 32, &n)
				   : cli_secret_hex(NULL, file, 1024, out, 32, &n);
	if (r == M2M_OK && n != 32)
		r = M2M_E_KEY_LEN;
	if (r != M2M_OK) {
		m2m_memzero(out, 32);
		/* names the file, never its content */
		cli_errorf("%s: %s: %s", what, strcmp(file, "-") == 0 ? "standard input" : file,
			   r == M2M_E_KEY_LEN || r == M2M_E_TOO_LARGE ? "the key must be 32 bytes (64 hex digits)"
								     : m2m_strerror(r));
		return r == M2M_E_IO || r == M2M_E_INTERNAL ? CLI_FAIL : CLI_USAGE;
	}
	return CLI_OK;
}

int mef_cli_key(const char *what, const char *file, m2m_key **out)
{
	uint8_t kb[32];
	m2m_err r;
	int rc;

	*out = NULL;
	if ((rc = key32(what, file, kb)) != CLI_OK)
		return rc;
	r = m2m_key_new(kb, sizeof(kb), out);
	m2m_memzero(kb, sizeof(kb));
	return r == M2M_OK ? CLI_OK : cli_fail(what, r);
}

static void usage(FILE *f)
{
	fputs("usage: m2msec mef enrolee add --config FILE --kpm-id ID --kpm-file FILE --enrolee-id AE-ID|CSE-ID\n"
	      "                              --target CSE-ID|MAF-FQDN [--target ...] [--expiry-days N] [--allow PATTERNS]\n"
	      "       m2msec mef enrolee revoke --config FILE --kpm-id ID\n"
	      "       m2msec mef enrolee list --config FILE [--json]\n"
	      "       m2msec mef enrolee show --config FILE --kpm-id ID [--json]\n"
	      "       m2msec mef enrolee rotate --config FILE --kpm-id ID --kpm-file FILE\n"
	      "       m2msec mef enrolee set --config FILE --kpm-id ID|--impi IMPI --network-authorized yes|no\n"
	      "       m2msec mef enrolee import --config FILE CSV   (see its --help)\n\n"
	      "Manage the MEF's Kpm enrolees (TS-0003 8.3.2.1) in the store of the [mef] section; works\n"
	      "while the MEF runs.\n\n"
	      "  --kpm-id ID        KpmID, of the form name@fqdn (the TLS-PSK identity of the MEF handshake)\n"
	      "  --kpm-file FILE    the Kpm: 32 bytes as 64 hex digits in a file of mode 0600 or stricter,\n"
	      "                     or '-' for standard input\n"
	      "  --enrolee-id ID    the Enrolee-ID granted (AE-ID or CSE-ID)\n"
	      "  --target ID        an Enrolment Target (up to 8): a CSE-ID, or the MAF-FQDN of a MAF (SUID 21, Km)\n"
	      "  --expiry-days N    Enrolment Expiry in days (default: enrolment-expiry-days of [mef])\n"
	      "  --allow PATTERNS   further Enrolee-IDs it may claim: space-separated IDs or prefixes ending in '*';\n"
	      "                     NODE:ID or NODE:PREFIX* lets its EST CSR claim that Node-ID (TS-0003 10.1.1.8)\n"
	      "  --network-authorized yes|no  whether the underlying network authorizes the enrolee's node:\n"
	      "                     handed to the Enrolment Targets with its credential; a CSE does not deliver\n"
	      "                     to a node that is not authorized (default: yes, no statement)\n"
	      "  --impi IMPI        set: a GBA subscriber of the test HSS instead (its netauth= field in\n"
	      "                     [mef] hss-file, the HSS being where a subscriber's status lives)\n"
	      "  --json             one JSON object per line\n\n"
	      "revoke also deletes every key derived from the enrolee's Ke; list and show never print key\n"
	      "bytes. Exit status 0 ok, 1 failure, 2 bad usage or input.\n", f);
}

/* The stored state, with "expired" derived from the Enrolment Expiry (never stored). */
static const char *state_name(const m2m_mef_enrolee *e)
{
	if (e->state == M2M_CRED_STATE_REVOKED)
		return "revoked";
	return e->expiry <= (int64_t)time(NULL) ? "expired" : "active";
}

struct print_arg {
	bool json;
	m2m_mefstore *st;
};

static m2m_err print_enrolee(const m2m_mef_enrolee *e, void *arg)
{
	const struct print_arg *pa = arg;
	bool json = pa->json, net = false;
	char exp[32], created[32], targets[M2M_MEF_MAX_TARGETS * 130] = "";

	/* a status the store cannot read shows as "no" (fail closed, as the MEF's answer would) */
	if (m2m_mefstore_netauth_get(pa->st, e->client_id, &net) != M2M_OK)
		net = false;
	admin_time(e->expiry, exp, sizeof(exp));
	admin_time(e->created_at, created, sizeof(created));
	for (size_t i = 0; i < e->ntargets; i++) {
		size_t n = strlen(targets);
		snprintf(targets + n, sizeof(targets) - n, "%s%s", i ? "," : "", e->targets[i]);
	}
	if (json) {
		fputc('{', stdout);
		admin_json_str(stdout, "kpm_id", e->client_id, false);
		admin_json_str(stdout, "flavour", e->flavour == M2M_MEF_FLAVOUR_KPM ? "kpm" : "cert", true);
		admin_json_str(stdout, "enrolee_id", e->enrolee_id, true);
		admin_json_str(stdout, "targets", targets, true);
		admin_json_str(stdout, "state", state_name(e), true);
		admin_json_str(stdout, "expiry", exp, true);
		admin_json_str(stdout, "created", created, true);
		admin_json_str(stdout, "keid", e->keid, true);
		admin_json_str(stdout, "group", e->group_id, true);
		admin_json_str(stdout, "allowed", e->allowed, true);
		admin_json_str(stdout, "network_authorized", net ? "yes" : "no", true);
		fputs("}\n", stdout);
	} else {
		printf("%s %s %s targets=%s expiry=%s keid=%s%s%s%s\n", e->client_id, e->enrolee_id, state_name(e),
		       targets, exp, e->keid ? e->keid : "-", e->group_id ? " group=" : "",
		       e->group_id ? e->group_id : "", net ? "" : " network-authorized=no");
	}
	return M2M_OK;
}

enum { O_CONFIG = 1, O_KPM_ID, O_KPM_FILE, O_ENROLEE, O_TARGET, O_EXPIRY, O_ALLOW, O_JSON, O_NETAUTH, O_IMPI };

struct args {
	const char *config, *kpm_id, *kpm_file, *enrolee_id, *allow, *netauth, *impi;
	const char *targets[M2M_MEF_MAX_TARGETS];
	size_t ntargets;
	long expiry_days;
	bool json;
};

static int set_opt(void *arg, int c, const char *what)
{
	struct args *a = arg;

	switch (c) {
	case O_CONFIG: a->config = optarg; return -1;
	case O_KPM_ID: a->kpm_id = optarg; return -1;
	case O_KPM_FILE: a->kpm_file = optarg; return -1;
	case O_ENROLEE: a->enrolee_id = optarg; return -1;
	case O_ALLOW: a->allow = optarg; return -1;
	case O_JSON: a->json = true; return -1;
	case O_NETAUTH: a->netauth = optarg; return -1;
	case O_IMPI: a->impi = optarg; return -1;
	case O_TARGET:
		if (a->ntargets == M2M_MEF_MAX_TARGETS) {
			cli_errorf("%s: at most %d --target", what, M2M_MEF_MAX_TARGETS);
			return CLI_USAGE;
		}
		a->targets[a->ntargets++] = optarg;
		return -1;
	case O_EXPIRY: return mef_cli_expiry_days(what, optarg, &a->expiry_days);
	default: return ADMIN_NOT_MINE;
	}
}

/* Parse the options of one subcommand; returns -1 to go on, else the exit code. */
static int parse(const char *what, int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, O_CONFIG}, {"kpm-id", required_argument, NULL, O_KPM_ID},
		{"kpm-file", required_argument, NULL, O_KPM_FILE}, {"enrolee-id", required_argument, NULL, O_ENROLEE},
		{"target", required_argument, NULL, O_TARGET}, {"expiry-days", required_argument, NULL, O_EXPIRY},
		{"allow", required_argument, NULL, O_ALLOW}, {"json", no_argument, NULL, O_JSON},
		{"network-authorized", required_argument, NULL, O_NETAUTH}, {"impi", required_argument, NULL, O_IMPI},
		{"help", no_argument, NULL, ADMIN_HELP}, {NULL, 0, NULL, 0}};

	memset(a, 0, sizeof(*a));
	a->expiry_days = -1;
	return admin_getopt(what, argc, argv, opts, usage, set_opt, a);
}

static int do_add(const char *what, const struct args *a)
{
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	m2m_key *k = NULL;
	m2m_mef_enrolee e;
	m2m_mef_add_result res = 0;
	int64_t now = (int64_t)time(NULL);
	int rc;
	m2m_err r;

	if ((rc = admin_need(what, a->kpm_id, "--kpm-id")) >= 0 || (rc = admin_need(what, a->kpm_file, "--kpm-file")) >= 0 ||
	    (rc = admin_need(what, a->enrolee_id, "--enrolee-id")) >= 0 ||
	    (rc = admin_need(what, a->ntargets ? "" : NULL, "--target")) >= 0)
		return rc;
	if ((rc = mef_cli_key(what, a->kpm_file, &k)) != CLI_OK)
		return rc;
	if ((rc = mef_cli_open(what, a->config, true, &cfg, &st)) != CLI_OK) {
		m2m_key_free(k);
		return rc;
	}
	memset(&e, 0, sizeof(e));
	e.flavour = M2M_MEF_FLAVOUR_KPM;
	e.client_id = (char *)a->kpm_id;
	e.enrolee_id = (char *)a->enrolee_id;
	for (size_t i = 0; i < a->ntargets; i++)
		e.targets[i] = (char *)a->targets[i];
	e.ntargets = a->ntargets;
	e.allowed = (char *)a->allow;
	e.expiry = now + 86400 * (int64_t)(a->expiry_days > 0 ? a->expiry_days : cfg.enrolment_expiry_days);
	r = m2m_mefstore_enrolee_add(st, &e, k, now, &res);
	m2m_key_free(k);
	m2m_mefstore_close(st);
	if (r == M2M_E_EXISTS) {
		cli_errorf("%s: %s: already enrolled with other settings (revoke it, or use rotate)", what, a->kpm_id);
		return CLI_FAIL;
	}
	if (r != M2M_OK)
		return cli_fail(what, r);
	printf("%s %s\n", a->kpm_id, res == M2M_MEF_UNCHANGED ? "unchanged" : "added");
	return CLI_OK;
}

static int do_revoke(const char *what, const struct args *a)
{
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	m2m_mef_enrolee *e = NULL;
	int rc;
	m2m_err r;

	if ((rc = admin_need(what, a->kpm_id, "--kpm-id")) >= 0)
		return rc;
	if ((rc = mef_cli_open(what, a->config, false, &cfg, &st)) != CLI_OK)
		return rc;
	/* A group member without a row gets a tombstone, so only refuse what is known nowhere. */
	r = m2m_mefstore_enrolee_revoke(st, a->kpm_id, (int64_t)time(NULL));
	if (r == M2M_OK)
		r = m2m_mefstore_enrolee_get(st, a->kpm_id, &e);
	m2m_mef_enrolee_free(e);
	m2m_mefstore_close(st);
	if (r != M2M_OK) {
		cli_errorf("%s: %s: %s", what, a->kpm_id, m2m_strerror(r));
		return cli_exit_code(r) == CLI_USAGE ? CLI_USAGE : CLI_FAIL;
	}
	printf("%s revoked\n", a->kpm_id);
	return CLI_OK;
}

static int do_list(const char *what, const struct args *a, bool one)
{
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	m2m_mef_enrolee *e = NULL;
	struct print_arg pa = {a->json, NULL};
	int rc;
	m2m_err r;

	if (one && (rc = admin_need(what, a->kpm_id, "--kpm-id")) >= 0)
		return rc;
	if ((rc = mef_cli_open(what, a->config, false, &cfg, &st)) != CLI_OK)
		return rc;
	pa.st = st;
	if (one) {
		if ((r = m2m_mefstore_enrolee_get(st, a->kpm_id, &e)) == M2M_OK)
			(void)print_enrolee(e, &pa);
		m2m_mef_enrolee_free(e);
	} else {
		r = m2m_mefstore_enrolee_list(st, print_enrolee, &pa);
	}
	m2m_mefstore_close(st);
	if (r != M2M_OK) {
		char shown[256];

		m2mi_pg_redact(cfg.store, shown, sizeof(shown));
		cli_errorf("%s: %s: %s", what, one ? a->kpm_id : shown, m2m_strerror(r));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int do_rotate(const char *what, const struct args *a)
{
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	m2m_key *k = NULL;
	int rc;
	m2m_err r;

	if ((rc = admin_need(what, a->kpm_id, "--kpm-id")) >= 0 || (rc = admin_need(what, a->kpm_file, "--kpm-file")) >= 0)
		return rc;
	if ((rc = mef_cli_key(what, a->kpm_file, &k)) != CLI_OK)
		return rc;
	if ((rc = mef_cli_open(what, a->config, false, &cfg, &st)) != CLI_OK) {
		m2m_key_free(k);
		return rc;
	}
	r = m2m_mefstore_enrolee_rotate(st, a->kpm_id, k, (int64_t)time(NULL));
	m2m_key_free(k);
	m2m_mefstore_close(st);
	if (r != M2M_OK) {
		cli_errorf("%s: %s: %s", what, a->kpm_id, m2m_strerror(r));
		return CLI_FAIL;
	}
	printf("%s rotated\n", a->kpm_id);
	return CLI_OK;
}

/* `set --impi`: the GBA subscriber's netauth= field of the test HSS (m2m_hss_set_net_authorized). */
static int set_subscriber(const char *what, const struct args *a, bool yes)
{
	m2m_mef_svc_config cfg;
	m2m_err r;
	int rc;

	if ((rc = admin_config(what, a->config, &cli_mef_section, &cfg)) != CLI_OK)
		return rc;
	if (cfg.hss_file[0] == '\0') {
		cli_errorf("%s: %s: [mef] has no hss-file", what, a->config);
		return CLI_USAGE;
	}
	if ((r = m2m_hss_set_net_authorized(cfg.hss_file, a->impi, yes)) != M2M_OK) {
		cli_errorf("%s: %s: %s", what, r == M2M_E_NOT_FOUND ? a->impi : cfg.hss_file,
			   r == M2M_E_NOT_FOUND ? "no such subscriber" : m2m_strerror(r));
		return CLI_FAIL;
	}
	printf("%s network-authorized %s\n", a->impi, yes ? "yes" : "no");
	return CLI_OK;
}

/* `set --network-authorized yes|no`: exactly these two words (anything else is a usage error,
 * nothing written); exactly one of --kpm-id / --impi; an unknown one is a failure naming it. */
static int do_set(const char *what, const struct args *a)
{
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	bool yes;
	int rc;
	m2m_err r;

	if ((a->kpm_id != NULL) == (a->impi != NULL)) {
		cli_errorf("%s: exactly one of --kpm-id and --impi is required (try --help)", what);
		return CLI_USAGE;
	}
	if ((rc = admin_need(what, a->netauth, "--network-authorized")) >= 0)
		return rc;
	if (strcmp(a->netauth, "yes") != 0 && strcmp(a->netauth, "no") != 0) {
		cli_errorf("%s: --network-authorized must be yes or no", what);
		return CLI_USAGE;
	}
	yes = strcmp(a->netauth, "yes") == 0;
	if (a->impi != NULL)
		return set_subscriber(what, a, yes);
	if ((rc = mef_cli_open(what, a->config, false, &cfg, &st)) != CLI_OK)
		return rc;
	r = m2m_mefstore_netauth_set(st, a->kpm_id, yes, (int64_t)time(NULL));
	m2m_mefstore_close(st);
	if (r != M2M_OK) {
		cli_errorf("%s: %s: %s", what, a->kpm_id, r == M2M_E_NOT_FOUND ? "no such enrolee" : m2m_strerror(r));
		return CLI_FAIL;
	}
	printf("%s network-authorized %s\n", a->kpm_id, yes ? "yes" : "no");
	return CLI_OK;
}

static int run(size_t i, const char *what, int argc, char **argv)
{
	struct args a;
	int rc;

	if ((rc = parse(what, argc, argv, &a)) >= 0)
		return rc;
	switch (i) {
	case 0: return do_add(what, &a);
	case 1: return do_revoke(what, &a);
	case 2: return do_list(what, &a, false);
	case 3: return do_list(what, &a, true);
	case 4: return do_rotate(what, &a);
	default: return do_set(what, &a);
	}
}

int cli_mef_enrolee_main(int argc, char **argv)
{
	static const char *const names[] = {"add", "revoke", "list", "show", "rotate", "set"};

	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return cli_mef_import_main(argc - 1, argv + 1);
	return admin_main("mef enrolee", names, sizeof(names) / sizeof(names[0]), argc, argv, usage, "command",
			  "(try --help)", run);
}
