/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec maf client add|revoke|list|show` (docs/cli.md): the operator's
 * view of the MAF clients that hold a pre-provisioned Master Credential Km (TS-0003 clause
 * 8.8.2.2 MAF Handshake with KmID/Km; clause 10.6 KmID = MAF_RELATIVE_KmID@MAF-FQDN). A client
 * is a credential-store record of kind km, id = KmID, owner = the client's AE-ID or CSE-ID
 * (docs/procedures/maf.md "Transport"), in the store of the configuration's [maf] section. The
 * commands open that store directly: SQLite WAL lets them run while `m2msec maf` serves, every
 * change is committed with synchronous=FULL before the command returns, and the running MAF sees
 * it at its next handshake. Revoking a client revokes its Km record; the Kc keys it registered
 * (kind kc, attrs "src" = that record) are then refused to every target (4103, docs/procedures/
 * maf.md "MAF Key Retrieval": the MAF only hands out keys of a client in good standing). Key bytes are read from a 0600 file or standard
 * input, never from the command line, and are never printed.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/cmd_maf.h"
#include "cli/cmd_mef.h"
#include "m2msec/credstore.h"
#include "m2msec/id.h"

int maf_cli_open(const char *what, const char *config, bool create, m2m_maf_svc_config *cfg, m2m_credstore **st)
{
	int rc;
	m2m_err r;

	*st = NULL;
	if ((rc = admin_config(what, config, &cli_maf_section, cfg)) != CLI_OK)
		return rc;
	/* The credential store's own connection always runs synchronous=FULL (docs/credstore.md):
	 * a revocation is on disk when the command returns, whatever [maf] store-sync says. */
	r = m2m_credstore_open(cfg->store, st);
	if (r == M2M_E_NOT_FOUND && create && (r = m2m_credstore_create(cfg->store, st)) == M2M_E_EXISTS)
		r = m2m_credstore_open(cfg->store, st); /* the MAF or another add created it just now */
	if (r == M2M_E_NOT_FOUND) {
		cli_errorf("%s: %s: no MAF store at %s (add a client first, or start the MAF)", what, config,
			   cfg->store);
		return CLI_FAIL;
	}
	if (r != M2M_OK) {
		cli_errorf("%s: %s: store %s: %s", what, config, cfg->store, m2m_strerror(r));
		return cli_exit_code(r);
	}
	return CLI_OK;
}

static void usage(FILE *f)
{
	fputs("usage: m2msec maf client add --config FILE --km-id ID --km-file FILE --client-id AE-ID|CSE-ID\n"
	      "                             [--expiry-days N]\n"
	      "       m2msec maf client revoke --config FILE --km-id ID\n"
	      "       m2msec maf client list --config FILE [--json]\n"
	      "       m2msec maf client show --config FILE --km-id ID [--json]\n\n"
	      "Manage the MAF clients holding a pre-provisioned Master Credential Km (TS-0003 8.8.2.2) in\n"
	      "the store of the [maf] section; works while the MAF runs.\n\n"
	      "  --km-id ID        KmID, name@MAF-FQDN with the [maf] maf-fqdn (the TLS-PSK identity of the\n"
	      "                    MAF Handshake; case-insensitive)\n"
	      "  --km-file FILE    the Km: 32 bytes as 64 hex digits in a file of mode 0600 or stricter,\n"
	      "                    or '-' for standard input\n"
	      "  --client-id ID    the AE-ID or CSE-ID the Km authenticates (the MAF client's identity)\n"
	      "  --expiry-days N   the Km expires after N days (1..36500; default: never)\n"
	      "  --json            one JSON object per line\n\n"
	      "revoke revokes the Km: its handshakes fail and no target can retrieve a Kc key it\n"
	      "registered any more; list and show never print key bytes. Exit status 0 ok, 1\n"
	      "failure, 2 bad usage or input.\n", f);
}

enum { O_CONFIG = 1, O_KM_ID, O_KM_FILE, O_CLIENT, O_EXPIRY, O_JSON };

struct args {
	const char *config, *km_id, *km_file, *client_id;
	long expiry_days;
	bool json;
};

static int set_opt(void *arg, int c, const char *what)
{
	struct args *a = arg;

	switch (c) {
	case O_CONFIG: a->config = optarg; return -1;
	case O_KM_ID: a->km_id = optarg; return -1;
	case O_KM_FILE: a->km_file = optarg; return -1;
	case O_CLIENT: a->client_id = optarg; return -1;
	case O_JSON: a->json = true; return -1;
	case O_EXPIRY: return mef_cli_expiry_days(what, optarg, &a->expiry_days);
	default: return ADMIN_NOT_MINE;
	}
}

/* Parse the options of one subcommand; returns -1 to go on, else the exit code. */
static int parse(const char *what, int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, O_CONFIG}, {"km-id", required_argument, NULL, O_KM_ID},
		{"km-file", required_argument, NULL, O_KM_FILE}, {"client-id", required_argument, NULL, O_CLIENT},
		{"expiry-days", required_argument, NULL, O_EXPIRY}, {"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, ADMIN_HELP}, {NULL, 0, NULL, 0}};

	memset(a, 0, sizeof(*a));
	a->expiry_days = -1;
	return admin_getopt(what, argc, argv, opts, usage, set_opt, a);
}

/* A KmID of this MAF: name@maf-fqdn (TS-0003 clause 10.6), the FQDN compared case-insensitively. */
static int check_kmid(const char *what, const char *kmid, const m2m_maf_svc_config *cfg)
{
	const char *at = strrchr(kmid, '@');
	m2m_id *id = NULL;
	m2m_err r = m2m_id_parse(kmid, strlen(kmid), M2M_ID_KMID, &id);

	m2m_id_free(id);
	if (r != M2M_OK || at == NULL || strcasecmp(at + 1, cfg->maf_fqdn) != 0) {
		cli_errorf("%s: --km-id %s: must be name@%s (a KmID of this MAF's maf-fqdn)", what, kmid,
			   cfg->maf_fqdn);
		return CLI_USAGE;
	}
	return -1;
}

/* The client's identity: an AE-ID or a CSE-ID (what the association binds, clause 8.8.2.2). */
static int check_client(const char *what, const char *client)
{
	m2m_id *id = NULL;
	m2m_err r = m2m_id_parse(client, strlen(client), M2M_ID_ANY, &id);
	m2m_id_kind k = r == M2M_OK ? m2m_id_kind_of(id) : M2M_ID_ANY;

	m2m_id_free(id);
	if (k != M2M_ID_AE_ID && k != M2M_ID_CSE_ID) {
		cli_errorf("%s: --client-id %s: must be an AE-ID or a CSE-ID", what, client);
		return CLI_USAGE;
	}
	return -1;
}

/* The Kc records a client's record registered: their attrs name it as "src" (the core's
 * registration attributes, services/maf/maf_int.h); that record's state decides whether a target
 * may still retrieve them (docs/procedures/maf.md "MAF Key Retrieval"). */
struct kc_walk {
	const char *src; /* the client's record id (KmID, canonical) */
	size_t n;
};

static m2m_err kc_visit(const m2m_cred_info *info, void *arg)
{
	struct kc_walk *w = arg;
	json_t *at = info->attrs != NULL ? json_loads(info->attrs, 0, NULL) : NULL;
	const char *src = json_string_value(json_object_get(at, "src"));

	if (src != NULL && strcasecmp(src, w->src) == 0)
		w->n++;
	json_decref(at);
	return M2M_OK;
}

struct print_ctx {
	m2m_credstore *st;
	bool json;
	int64_t now;
};

static m2m_err print_client(const m2m_cred_info *info, void *arg)
{
	const struct print_ctx *pc = arg;
	struct kc_walk w = {info->id, 0};
	char exp[32], created[32], used[32], nkeys[24];
	const char *state = m2m_credstore_state_name(m2m_credstore_state_at(info, pc->now));
	m2m_err r;

	/* the number of Kc keys this client registered (any state) */
	if (pc->st != NULL && (r = m2m_credstore_list(pc->st, M2M_CRED_KIND_KC, kc_visit, &w)) != M2M_OK)
		return r;
	admin_time(info->not_after, exp, sizeof(exp));
	admin_time(info->created_at, created, sizeof(created));
	admin_time(info->last_used, used, sizeof(used));
	snprintf(nkeys, sizeof(nkeys), "%zu", w.n);
	if (pc->json) {
		fputc('{', stdout);
		admin_json_str(stdout, "km_id", info->id, false);
		admin_json_str(stdout, "client_id", info->owner, true);
		admin_json_str(stdout, "state", state, true);
		admin_json_str(stdout, "expiry", exp, true);
		admin_json_str(stdout, "created", created, true);
		admin_json_str(stdout, "last_used", used, true);
		fprintf(stdout, ",\"kc_keys\":%zu}\n", w.n);
	} else {
		printf("%s %s %s expiry=%s created=%s last_used=%s kc_keys=%s\n", info->id,
		       info->owner ? info->owner : "-", state, exp, created, used, nkeys);
	}
	return M2M_OK;
}

static int do_add(const char *what, const struct args *a)
{
	m2m_maf_svc_config cfg;
	m2m_credstore *st = NULL;
	m2m_key *k = NULL;
	m2m_cred_info info;
	m2m_cred_info *old = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc;
	m2m_err r;

	if ((rc = admin_need(what, a->km_id, "--km-id")) >= 0 || (rc = admin_need(what, a->km_file, "--km-file")) >= 0 ||
	    (rc = admin_need(what, a->client_id, "--client-id")) >= 0 || (rc = admin_need(what, a->config, "--config")) >= 0 ||
	    (rc = check_client(what, a->client_id)) >= 0)
		return rc;
	if ((rc = mef_cli_key(what, a->km_file, &k)) != CLI_OK)
		return rc;
	if ((rc = maf_cli_open(what, a->config, true, &cfg, &st)) != CLI_OK) {
		m2m_key_free(k);
		return rc;
	}
	if ((rc = check_kmid(what, a->km_id, &cfg)) >= 0)
		goto out;
	memset(&info, 0, sizeof(info));
	info.kind = M2M_CRED_KIND_KM;
	info.id = (char *)a->km_id;
	info.owner = (char *)a->client_id;
	info.created_at = now;
	info.not_after = a->expiry_days > 0 ? now + 86400 * (int64_t)a->expiry_days : 0;
	r = m2m_credstore_add(st, &info, k, NULL, NULL);
	if (r == M2M_E_EXISTS) {
		rc = CLI_FAIL;
		if (m2m_credstore_get_info(st, a->km_id, &old) == M2M_OK && old->kind != M2M_CRED_KIND_KM)
			cli_errorf("%s: %s: the identifier names another kind of credential in this store", what,
				   a->km_id);
		else
			cli_errorf("%s: %s: already a client (revoke it and add it under a new KmID)", what, a->km_id);
		m2m_credstore_info_free(old);
		goto out;
	}
	if (r != M2M_OK) {
		rc = cli_fail(what, r);
		goto out;
	}
	printf("%s added client=%s\n", a->km_id, a->client_id);
	rc = CLI_OK;
out:
	m2m_key_free(k);
	m2m_credstore_close(st);
	return rc;
}

/* The Km record of kmid, or the exit code (printed) when there is none. */
static int get_client(const char *what, m2m_credstore *st, const char *kmid, m2m_cred_info **out)
{
	m2m_err r = m2m_credstore_get_info(st, kmid, out);

	if (r == M2M_OK && (*out)->kind == M2M_CRED_KIND_KM)
		return -1;
	m2m_credstore_info_free(*out);
	*out = NULL;
	if (r == M2M_OK || r == M2M_E_NOT_FOUND) {
		cli_errorf("%s: %s: no such client", what, kmid);
		return CLI_FAIL;
	}
	return cli_fail(what, r);
}

static int do_revoke(const char *what, const struct args *a)
{
	m2m_maf_svc_config cfg;
	m2m_credstore *st = NULL;
	m2m_cred_info *info = NULL;
	struct kc_walk w = {NULL, 0};
	int rc;
	m2m_err r;

	if ((rc = admin_need(what, a->km_id, "--km-id")) >= 0 || (rc = admin_need(what, a->config, "--config")) >= 0)
		return rc;
	if ((rc = maf_cli_open(what, a->config, false, &cfg, &st)) != CLI_OK)
		return rc;
	if ((rc = get_client(what, st, a->km_id, &info)) >= 0)
		goto out;
	/* One revocation does it all: the Km's handshakes fail (m2m_maf_km_lookup), and the core
	 * refuses every Kc this record registered (4103, its source is revoked) without the keys
	 * being touched, so the audit names the cause. */
	if ((r = m2m_credstore_revoke(st, info->id, (int64_t)time(NULL))) != M2M_OK) {
		rc = cli_fail(what, r);
		goto out;
	}
	w.src = info->id;
	if ((r = m2m_credstore_list(st, M2M_CRED_KIND_KC, kc_visit, &w)) != M2M_OK) {
		rc = cli_fail(what, r);
		goto out;
	}
	printf("%s revoked client=%s kc_keys_refused=%zu\n", info->id, info->owner ? info->owner : "-", w.n);
	rc = CLI_OK;
out:
	m2m_credstore_info_free(info);
	m2m_credstore_close(st);
	return rc;
}

static int do_list(const char *what, const struct args *a, bool one)
{
	m2m_maf_svc_config cfg;
	m2m_credstore *st = NULL;
	m2m_cred_info *info = NULL;
	struct print_ctx pc = {NULL, a->json, (int64_t)time(NULL)};
	int rc;
	m2m_err r;

	if ((rc = admin_need(what, a->config, "--config")) >= 0 || (one && (rc = admin_need(what, a->km_id, "--km-id")) >= 0))
		return rc;
	if ((rc = maf_cli_open(what, a->config, false, &cfg, &st)) != CLI_OK)
		return rc;
	pc.st = st;
	if (one) {
		if ((rc = get_client(what, st, a->km_id, &info)) >= 0)
			goto out;
		r = print_client(info, &pc);
	} else {
		r = m2m_credstore_list(st, M2M_CRED_KIND_KM, print_client, &pc);
	}
	rc = r == M2M_OK ? CLI_OK : cli_fail(what, r);
out:
	m2m_credstore_info_free(info);
	m2m_credstore_close(st);
	return rc;
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
	default: return do_list(what, &a, true);
	}
}

int cli_maf_admin_main(int argc, char **argv)
{
	static const char *const cmds[] = {"add", "revoke", "list", "show"};

	return admin_main("maf client", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv, usage, "subcommand",
			  "(add, revoke, list, show)", run);
}
