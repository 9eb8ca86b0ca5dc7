/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the `m2msec das` command (TS-0003 clause 7.3, docs/procedures/das.md):
 * `das token ...` goes to the operator's token commands (cmd_das_token.c); `das --config FILE`
 * is the Dynamic Authorization Server process: a thin shell on the service shell every service
 * shares (service.c: log sink, mutually authenticated TLS, HTTPS listener, signals) over the DAS
 * core (m2msec/das.h: grant policy, consultation, token requests), with rate limits per client
 * and per address (svc_rate.c) and one JSON audit line per decision.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "cli/cmd_das.h"
#include "cli/logsink.h"
#include "cli/svc_rate.h"
#include "m2msec/config.h"
#include "m2msec/das.h"
#include "m2msec/file.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"

#define PEM_MAX (64 * 1024)

static void das_defaults(void *cfg)
{
	m2m_das_config_defaults(cfg);
}

static m2m_err das_parse(void *cfg, const char *text, size_t len, bool *found, char *err, size_t cap)
{
	return m2m_das_config_parse(cfg, text, len, found, err, cap);
}

static m2m_err das_validate(const void *cfg, char *err, size_t cap)
{
	return m2m_das_config_validate(cfg, err, cap);
}

static unsigned das_line(const void *cfg, const char *key)
{
	return m2m_das_config_line(cfg, key);
}

const struct svc_section cli_das_section = {"das", das_defaults, das_parse, das_validate, das_line};

static void usage(FILE *f)
{
	fputs("usage: m2msec das --config FILE [--check]\n"
	      "       m2msec das token issue --config FILE --holder ID --audience CSE-ID --resource ID\n"
	      "                             --op ACOP --lifetime S\n"
	      "       m2msec das token verify --config FILE [--audience CSE-ID] [--holder ID] TOKEN\n\n"
	      "Run the Dynamic Authorization Server (TS-0003 clause 7.3): Hosting CSEs consult it\n"
	      "(NOTIFY seci sit 1, mutual TLS, CSE certificates only) and originators request tokens\n"
	      "(NOTIFY to .../token); its policy file decides (docs/procedures/das.md). The token\n"
	      "commands are the operator's (`m2msec das token --help`).\n\n"
	      "  --config FILE  INI configuration; reads its [das] section (docs/config.md)\n",
	      f);
	svc_usage_tail(f, "listener");
	fputs("\nexit status: 0 success, 1 runtime failure, 2 bad usage, bad input or a refused token\n", f);
}

/* ---- the DAS procedures: the one place they are plugged into the shell ------------------------ */
struct das_handler {
	const m2m_das_svc_config *cfg;
	m2m_das_policy *policy;
	m2m_token_signer *signer;
	m2m_das *das;
	m2mi_ratelimit *rl_id, *rl_addr;
	char sp[M2M_CFG_STR + 2];
};

/* One JSON line per decision, msg "das audit" (docs/procedures/das.md "Audit"); never a token. */
static void das_audit(void *ctx, const m2m_das_audit *ev)
{
	const struct cli_log_field f[] = {
		{"kind", ev->kind, 0, false},           {"outcome", ev->outcome, 0, false},
		{"rsc", NULL, ev->rsc, true},           {"client", ev->client, 0, false},
		{"originator", ev->originator, 0, false}, {"resource", ev->resource, 0, false},
		{"op", NULL, ev->op, ev->op != 0},      {"acop", NULL, ev->acop, ev->acop != 0},
		{"lifetime", NULL, ev->lifetime, ev->lifetime != 0},
		{"rule_line", NULL, ev->rule_line, ev->rule_line != 0},
		{"token_id", ev->token_id, 0, false},   {"reason", ev->reason, 0, false},
		{"rqi", ev->rqi, 0, false},
	};

	(void)ctx;
	cli_logsink_fields(M2M_LOG_INFO, "das", "das audit", f, sizeof(f) / sizeof(f[0]));
}

static m2m_err das_random(void *ctx, uint8_t out[16])
{
	(void)ctx;
	return RAND_bytes(out, 16) == 1 ? M2M_OK : M2M_E_CRYPTO;
}

static void das_handle(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct das_handler *h = ctx;
	const char *which;

	(void)thread_index;
	if ((which = svc_rate_check(h->rl_addr, h->rl_id, sa != NULL && sa->bound_id[0] ? sa->bound_id : NULL, req,
				    rsp)) != NULL) {
		m2m_das_audit ev = {.kind = "request", .outcome = which, .rsc = rsp->rsc,
				    .client = sa != NULL ? sa->bound_id : "", .rqi = req->rqi};
		das_audit(h, &ev);
		return;
	}
	m2m_das_handle(h->das, sa, req, rsp, (int64_t)time(NULL));
}

static void das_handler_free(void *hv)
{
	struct das_handler *h = hv;

	if (h == NULL)
		return;
	m2m_das_free(h->das);
	m2m_token_signer_free(h->signer);
	m2m_das_policy_free(h->policy);
	m2mi_ratelimit_free(h->rl_id);
	m2mi_ratelimit_free(h->rl_addr);
	free(h);
}

static int das_handler_new(struct svc *s, const void *cfgv, int nworkers, void **out)
{
	const m2m_das_svc_config *cfg = cfgv;
	struct das_handler *h = calloc(1, sizeof(*h));
	char err[512] = "", *key = NULL, *cert = NULL, fqdn[256];
	size_t key_len = 0, cert_len = 0;
	int rc = CLI_FAIL;
	m2m_err r;

	(void)nworkers;
	if (h == NULL)
		return cli_fail("das", M2M_E_NOMEM);
	h->cfg = cfg;
	if (cfg->policy[0] == '\0') {
		r = m2m_das_policy_parse("", 0, &h->policy, err, sizeof(err)); /* no file: grants nothing */
	} else if ((r = m2m_das_policy_load(cfg->policy, &h->policy, err, sizeof(err))) != M2M_OK) {
		rc = svc_errorf(s, "policy", cfg->policy, err, r == M2M_E_CONFIG ? CLI_USAGE : cli_exit_code(r));
		goto fail;
	}
	if (r != M2M_OK)
		goto fail;
	if ((r = cli_read_file(cfg->key, PEM_MAX, 1, &key, &key_len)) != M2M_OK) {
		rc = svc_errorf(s, "key", cfg->key, m2m_strerror(r), cli_exit_code(r));
		goto fail;
	}
	if ((r = m2m_file_read(cfg->cert, PEM_MAX, 0, &cert, &cert_len)) == M2M_OK)
		r = m2m_token_signer_new(key, key_len, cert, cert_len, &h->signer);
	m2m_freezero(key, key_len + 1);
	free(cert);
	if (r != M2M_OK) {
		rc = svc_errorf(s, "key", cfg->key, m2m_strerror(r), CLI_FAIL);
		goto fail;
	}
	if (m2m_das_config_fqdn(cfg, fqdn, sizeof(fqdn)) != M2M_OK)
		goto fail;
	snprintf(h->sp, sizeof(h->sp), "//%s", fqdn);
	{
		m2m_das_config dc = {.das_id = cfg->das_id, .sp_id = h->sp, .policy = h->policy, .signer = h->signer,
				     .max_lifetime = cfg->max_token_lifetime, .audit = das_audit, .audit_ctx = h,
				     .random = das_random};
		if ((r = m2m_das_new(&dc, &h->das)) != M2M_OK) {
			rc = cli_fail("das", r);
			goto fail;
		}
	}
	if ((r = svc_rate_new(cfg->rate_limit_per_identity, cfg->rate_limit_per_address, &h->rl_id, &h->rl_addr)) !=
	    M2M_OK) {
		rc = cli_fail("das", r);
		goto fail;
	}
	m2m_log(M2M_LOG_INFO, "das policy: %zu rules", m2m_das_policy_count(h->policy));
	*out = h;
	return CLI_OK;
fail:
	das_handler_free(h);
	return rc;
}

/* The listener settings; sp "//FQDN of das-id": the CSEs' certificates name them by DNS SAN
 * "<cse>.<sp-fqdn>" (TS-0003 clause 10.1.1), so only a CSE of the DAS's SP is a CSE here. */
static int das_prepare(struct svc *s, const void *cfgv, const char **fqdn)
{
	const m2m_das_svc_config *cfg = cfgv;
	static char sp[M2M_CFG_STR + 2], name[256];
	int rc;

	if (m2m_das_config_fqdn(cfg, name, sizeof(name)) != M2M_OK)
		return svc_errorf(s, "das-id", cfg->das_id, "not an Absolute AE-ID", CLI_USAGE);
	snprintf(sp, sizeof(sp), "//%s", name);
	s->set = (struct svc_settings){SVC_LISTENER_SETTINGS(cfg, sp)};
	*fqdn = cfg->das_id;
	if (svc_file_missing(s, "policy", cfg->policy, &rc))
		return rc;
	return CLI_OK;
}

static const struct svc_def das_def = {
	.sec = &cli_das_section, .banner = "DAS", .usage = usage, .prepare = das_prepare,
	.handler_new = das_handler_new, .handle = das_handle, .handler_free = das_handler_free,
};
/* ---- end of the DAS procedures' plug --------------------------------------------------------- */

int cli_das_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return cli_das_token_main(argc - 1, argv + 1);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	{
		m2m_das_svc_config cfg;
		return svc_main(&das_def, &cfg, argc, argv);
	}
}
