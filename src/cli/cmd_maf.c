/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec maf --config FILE`: the M2M Authentication Function process
 * (TS-0003 clause 8.8; the Mmaf mapping is docs/procedures/maf.md). It reads the [maf] section
 * of the configuration (docs/config.md) and runs on the service shell every service shares
 * (service.c): log sink, TLS context (server certificate, trust anchors of certificate clients),
 * HTTPS listener with its limits, signals. The MAF procedures (m2msec/maf.h) are plugged in at
 * maf_handler_new(), with the PSK resolvers of the MAF Handshake (maf_psk.c: KmID, and KeIDs of
 * the MEF for remote provisioning), rate limits per client identity and per source address
 * (svc_rate.c) and a JSON audit line per procedure outcome. `m2msec maf client ...` are the
 * operator commands (cmd_maf_admin.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_maf.h"
#include "cli/logsink.h"
#include "cli/maf_psk.h"
#include "cli/service.h"
#include "cli/svc_rate.h"
#include "m2msec/config.h"
#include "m2msec/http.h"
#include "m2msec/log.h"
#include "m2msec/maf.h"
#include "m2msec/rsc.h"
#include "store/pg_common.h"

static void usage(FILE *f)
{
	fputs("usage: m2msec maf --config FILE [--check]\n"
	      "       m2msec maf client add|revoke|list|show ... (see --help of each)\n\n"
	      "Run the M2M Authentication Function (TS-0003 8.8): MAF clients authenticate with a Master\n"
	      "Credential (TLS-PSK, psk_identity = KmID), a certificate, or a KeID of the MEF (Km fetched\n"
	      "from the MEF), register M2M Secure Connection Keys (Kc) for their targets, and targets\n"
	      "retrieve them.\n\n"
	      "  --config FILE  INI configuration; reads its [maf] section (every key in docs/config.md),\n"
	      "                 the other services' sections are skipped\n", f);
	svc_usage_tail(f, "listener");
}

/* ---- the MAF procedures: the one place they are plugged into the shell ------------------------ */
struct maf_handler {
	const m2m_maf_svc_config *cfg;
	int nworkers; /* svc_workers(): thread_index is 0..nworkers-1 (HTTP loops, then CoAP) */
	struct svc *svc; /* svc_main's, alive until handler_free: both doors' connection state */
	m2m_maf *maf;
	m2m_maf_worker **w;
	struct maf_psk *psk;
	m2mi_ratelimit *rl_id, *rl_addr; /* shared by every thread */
	char sp_id[M2M_CFG_STR + 2];
	char mef_name[M2M_CFG_STR];      /* the FQDN of the MEF's KeIDs, "" = no remote provisioning */
	char bsf_name[M2M_CFG_STR];      /* the FQDN of the BSF's B-TIDs, "" = not a NAF */
};

/* The audit of every outcome (m2m_maf_config.audit): one JSON line, level info, msg "maf audit"
 * (docs/procedures/maf.md "Audit and rate limits"). The core passes identifiers only. */
static void maf_audit(void *ctx, const m2m_maf_audit *ev)
{
	const struct cli_log_field f[] = {
		{"procedure", ev->procedure, 0, false}, {"outcome", ev->outcome, 0, false},
		{"rsc", NULL, ev->rsc, true},           {"client", ev->client, 0, false},
		{"key_id", ev->key_id, 0, false},       {"suid", NULL, ev->suid, ev->suid != 0},
		{"rqi", ev->rqi, 0, false},
	};

	(void)ctx;
	cli_logsink_fields(M2M_LOG_INFO, "maf", "maf audit", f, sizeof(f) / sizeof(f[0]));
}

/* True when the PSK of the handshake was a KeID of the MEF (Credential-ID "12-<KeID>" from the
 * remote-key resolver): its Km goes into the association of a remote-provisioned client
 * (clause 8.8.2.3). */
static bool is_mef_keid(const struct maf_handler *h, const m2m_sa *sa)
{
	const char *at = strrchr(sa->credential_id, '@');
	const char *mef = maf_psk_mef_name(h->psk), *bsf = maf_psk_bsf_name(h->psk);

	/* or a B-TID of the BSF (Km = the NAF key from Zn, the MAF as NAF): the same kind of Km */
	return sa->kind == M2M_SA_PSK && strncmp(sa->credential_id, "12-", 3) == 0 && at != NULL &&
	       ((mef[0] != '\0' && strcasecmp(at + 1, mef) == 0) || (bsf[0] != '\0' && strcasecmp(at + 1, bsf) == 0));
}

/* Per-connection state: the MAF association (classification, exporter Kc/KcID), made once right
 * after the handshake with the SSL and zeroized at close. */
static m2m_err conn_open(void *ctx, int thread_index, struct ssl_st *ssl, const m2m_sa *sa, void **state)
{
	struct maf_handler *h = ctx;
	m2m_maf_assoc *a = NULL;
	m2m_key *km = NULL;
	m2m_err r;

	(void)thread_index;
	*state = NULL;
	if (ssl == NULL)
		return M2M_OK; /* no TLS: no association, every procedure answers 4107 */
	if (m2m_tls_peer_psk(ssl, &km) == M2M_OK && (sa == NULL || !is_mef_keid(h, sa))) {
		m2m_key_free(km); /* a KmID's Km stays in the store */
		km = NULL;
	}
	r = m2m_maf_assoc_new_from_ssl(h->maf, ssl, sa, km, &a);
	m2m_key_free(km);
	if (r != M2M_OK)
		return r;
	*state = a;
	return M2M_OK;
}

static void conn_close(void *ctx, void *state)
{
	(void)ctx;
	m2m_maf_assoc_free(state); /* zeroizes Kc and Km */
}

/* A CSE authenticated by its certificate retrieving a key (RETRIEVE mafKeyReg/<id>): not
 * limited, it asks once per device handshake it cannot answer from its cache; its connections
 * are bounded by the connection caps (as the MEF's Enrolment Targets). */
static bool is_target_retrieval(const m2m_sa *sa, const m2m_request *req)
{
	const char *to = req->to != NULL ? req->to : "";

	if (*to == '/')
		to++;
	return sa != NULL && sa->kind == M2M_SA_CERT && sa->entity == M2M_ENTITY_CSE && req->op == M2M_OP_RETRIEVE &&
	       strncmp(to, "mafKeyReg/", 10) == 0;
}

static void maf_handle(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct maf_handler *h = ctx;
	const m2m_maf_assoc *a;
	const char *client, *which;

	if (thread_index < 0 || thread_index >= h->nworkers) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
		return;
	}
	a = svc_conn_state(h->svc, thread_index);
	client = a != NULL ? m2m_maf_assoc_client(a) : NULL;
	if (!is_target_retrieval(sa, req) &&
	    (which = svc_rate_check(h->rl_addr, h->rl_id, client, req, rsp)) != NULL) {
		m2m_maf_audit ev = {.procedure = "request", .outcome = which, .rsc = M2M_RSC_BAD_REQUEST,
				    .client = client, .rqi = req->rqi};
		maf_audit(h, &ev);
		return;
	}
	m2m_maf_handle(h->w[thread_index], a, req, rsp, (int64_t)time(NULL));
}

static void maf_handler_free(void *hv)
{
	struct maf_handler *h = hv;

	if (h == NULL)
		return;
	maf_psk_stop(h->psk); /* NULL unless the server never ran */
	for (int i = 0; h->w != NULL && i < h->nworkers; i++)
		m2m_maf_worker_free(h->w[i]);
	free(h->w);
	m2m_maf_free(h->maf);
	m2mi_ratelimit_free(h->rl_id);
	m2mi_ratelimit_free(h->rl_addr);
	free(h);
}

/* Returns CLI_OK or an exit code (the error printed with svc_errorf, e.g. naming "store"). */
static int maf_handler_new(struct svc *s, const void *cfgv, int nworkers, void **out)
{
	const m2m_maf_svc_config *cfg = cfgv;
	struct maf_handler *h = calloc(1, sizeof(*h));
	m2m_maf_config mc;
	m2m_http_conn_hooks hooks = {conn_open, conn_close, NULL};
	char shown[256];
	int rc = CLI_FAIL;
	m2m_err r;

	if (h == NULL)
		return cli_fail("maf", M2M_E_NOMEM);
	h->cfg = cfg;
	h->nworkers = nworkers;
	h->svc = s;
	svc_sp_id(cfg->sp_id, h->sp_id, sizeof(h->sp_id));
	maf_psk_mef_name_of(cfg, h->mef_name, sizeof(h->mef_name));
	maf_psk_bsf_name_of(cfg, h->bsf_name, sizeof(h->bsf_name));
	mc = (m2m_maf_config){
		.maf_fqdn = cfg->maf_fqdn, .sp_id = h->sp_id[0] ? h->sp_id : NULL, .store = cfg->store,
		.mef_fqdn = h->mef_name[0] ? h->mef_name : NULL,
		.max_key_lifetime = cfg->max_key_lifetime, .max_reg_lifetime = cfg->max_registration_lifetime,
		.mef_recheck_seconds = cfg->mef_cache_seconds, .audit = maf_audit, .audit_ctx = h,
		.max_keys_per_client = cfg->max_keys_per_client, .bsf_fqdn = h->bsf_name[0] ? h->bsf_name : NULL,
	};
	m2mi_pg_redact(cfg->store, shown, sizeof(shown)); /* a postgresql:// URI without its password */
	if ((r = m2m_maf_new(&mc, &h->maf)) != M2M_OK) {
		rc = svc_errorf(s, "store", shown, m2m_strerror(r), cli_exit_code(r));
		goto fail;
	}
	if ((h->w = calloc((size_t)nworkers, sizeof(*h->w))) == NULL) {
		rc = cli_fail("maf", M2M_E_NOMEM);
		goto fail;
	}
	for (int i = 0; i < nworkers; i++)
		if ((r = m2m_maf_worker_new(h->maf, &h->w[i])) != M2M_OK) {
			rc = svc_errorf(s, "store", shown, m2m_strerror(r), cli_exit_code(r));
			goto fail;
		}
	if ((r = svc_rate_new(cfg->rate_limit_per_identity, cfg->rate_limit_per_address, &h->rl_id, &h->rl_addr)) !=
	    M2M_OK) {
		rc = cli_fail("maf", r);
		goto fail;
	}
	/* Before the first handshake (nothing is accepted before svc_run). */
	if ((rc = maf_psk_start(s, cfg, h->maf, &h->psk)) != CLI_OK)
		goto fail;
	hooks.ctx = h;
	svc_set_conn_hooks(s, &hooks); /* HTTPS connections and DTLS sessions alike */
	*out = h;
	return CLI_OK;
fail:
	maf_handler_free(h);
	return rc;
}
/* ---- end of the MAF procedures' plug --------------------------------------------------------- */

static void maf_stopped(void *hv)
{
	struct maf_handler *h = hv;

	maf_psk_stop(h->psk); /* the loops stopped: answer the held handshakes (docs/tls.md) */
	h->psk = NULL;
}

static void maf_defaults(void *cfg)
{
	m2m_maf_config_defaults(cfg);
}

static m2m_err maf_parse(void *cfg, const char *text, size_t len, bool *found, char *err, size_t cap)
{
	return m2m_maf_config_parse(cfg, text, len, found, err, cap);
}

static m2m_err maf_validate(const void *cfg, char *err, size_t cap)
{
	return m2m_maf_config_validate(cfg, err, cap);
}

static unsigned maf_line(const void *cfg, const char *key)
{
	return m2m_maf_config_line(cfg, key);
}

const struct svc_section cli_maf_section = {"maf", maf_defaults, maf_parse, maf_validate, maf_line};

/* The listener settings, sp ("//FQDN": DNS SAN "<cse>.<sp-fqdn>" -> CSE-ID) and the MEF
 * association's files. */
static int maf_prepare(struct svc *s, const void *cfgv, const char **fqdn)
{
	const m2m_maf_svc_config *cfg = cfgv;
	static char sp[M2M_CFG_STR + 2];
	int rc;

	svc_sp_id(cfg->sp_id, sp, sizeof(sp));
	s->set = (struct svc_settings){
		SVC_LISTENER_SETTINGS(cfg, sp[0] ? sp : NULL),
		.psk_lookup_timeout_ms = cfg->psk_lookup_timeout_ms, .psk_lookups_max = cfg->psk_lookups_max,
		.coaps_listen = cfg->coaps_listen,
	};
	*fqdn = cfg->maf_fqdn;
	if (svc_link_files_missing(s, "mef", cfg->mef_ca, cfg->mef_cert, cfg->mef_key, &rc) ||
	    svc_link_files_missing(s, "bsf", cfg->bsf_ca, cfg->bsf_cert, cfg->bsf_key, &rc))
		return rc;
	return CLI_OK;
}

static const struct svc_def maf_def = {
	.sec = &cli_maf_section, .banner = "MAF", .usage = usage, .prepare = maf_prepare,
	.handler_new = maf_handler_new, .handle = maf_handle, .stopped = maf_stopped, .handler_free = maf_handler_free,
};

int cli_maf_main(int argc, char **argv)
{
	m2m_maf_svc_config cfg;

	if (argc > 1 && strcmp(argv[1], "client") == 0)
		return cli_maf_admin_main(argc - 1, argv + 1);
	return svc_main(&maf_def, &cfg, argc, argv);
}
