/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef --config FILE`: the M2M Enrolment Function process (TS-0003
 * §8.3, Remote Security Provisioning Frameworks). It reads the [mef] section of the configuration
 * (docs/config.md) and runs on the service shell every service shares (service.c): log sink, TLS
 * context, HTTPS listener, signals. The MEF procedures (m2msec/mef.h, docs/procedures/mef.md) are
 * plugged in at mef_handler_new(), with rate limits per client identity and per source address
 * and a JSON audit line per procedure outcome. `m2msec mef enrolee ...` / `m2msec mef group ...`
 * are the operator commands (cmd_mef_enrolee.c, cmd_mef_group.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "cli/logsink.h"
#include "cli/service.h"
#include "cli/svc_rate.h"
#include "m2msec/bsf.h"
#include "m2msec/config.h"
#include "m2msec/est.h"
#include "m2msec/hss.h"
#include "m2msec/http.h"
#include "m2msec/log.h"
#include "m2msec/mef.h"
#include "m2msec/mef_console.h"
#include "m2msec/rsc.h"
#include "store/pg_common.h"

static void usage(FILE *f)
{
	fputs("usage: m2msec mef --config FILE [--check]\n"
	      "       m2msec mef enrolee add|revoke|list|show|rotate|import ... (see --help of each)\n"
	      "       m2msec mef group add|revoke ...\n\n"
	      "Run the M2M Enrolment Function (TS-0003 8.3): enrolees authenticate with a pre-provisioned\n"
	      "key (TLS-PSK, psk_identity = KpmID) or a certificate and receive enrolment keys; Enrolment\n"
	      "Targets fetch the keys they are authorized for.\n\n"
	      "  --config FILE  INI configuration; reads its [mef] section (every key in docs/config.md),\n"
	      "                 the other services' sections are skipped\n", f);
	svc_usage_tail(f, "listener");
}

/* ---- the MEF procedures: the one place they are plugged into the shell -------------------------
 * mef_handler_new() builds the per-process state (the m2m_mef with its store, one worker per
 * server thread, the rate limiters), registers the MEF Handshake's PSK resolver (psk_identity =
 * KpmID, TS-0003 §8.3.2.1) on the shell's TLS context before the first handshake, and installs the
 * per-connection hooks: the association of a connection (m2m_mef_assoc, with Ke and KeID from the
 * RFC 5705 exporter, TS-0003 §10.3.1) is made once after its handshake and zeroized at its close.
 * mef_handler_free() releases it after the server stopped. */

struct mef_handler {
	const m2m_mef_svc_config *cfg;
	int nworkers; /* svc_workers(): thread_index is 0..nworkers-1 (HTTP loops, then CoAP) */
	struct svc *svc; /* svc_main's, alive until handler_free: both doors' connection state */
	m2m_mef *mef;
	m2m_mef_worker **w;
	/* Shared by every thread (one mutex each, held for one table lookup): a client's limit must
	 * not multiply by the number of threads its connections land on. */
	m2mi_ratelimit *rl_id, *rl_addr;
	char sp_id[M2M_CFG_STR + 2];
	char est_uri[M2M_CFG_STR + 300];
	m2m_est *est;         /* ca-dir set: the EST server (RFC 7030) and the CRL, as raw routes */
	m2m_est_http *est_http;
	/* bsf-listen set: the BSF's Ub listener (TS-0003 §8.3.2.3), a second m2m_http_server of the
	 * shared HTTP layer on its own TLS context (the MEF certificate, no client authentication:
	 * the UE has no certificate and no PSK), served by one thread of its own */
	m2m_tls *bsf_tls;
	m2m_http_server *bsf_srv;
	m2m_bsf *bsf;
	pthread_t bsf_thread;
	bool bsf_running;
	/* admin-listen set: the operator console (docs/procedures/console.md), a third
	 * m2m_http_server of the shared HTTP layer on its own TLS context (the MEF certificate,
	 * client certificates of admin-ca only, no PSK), one thread of its own */
	m2m_tls *admin_tls;
	m2m_http_server *admin_srv;
	m2m_mef_console *console;
	pthread_t admin_thread;
	bool admin_running;
};

/* The audit of every procedure outcome (m2m_mef_config.audit): one JSON line, level info, msg
 * "mef audit" (docs/procedures/mef.md "Audit"). The library passes identifiers only, never a key. */
static void mef_audit(void *ctx, const m2m_mef_audit *ev)
{
	const struct cli_log_field f[] = {
		{"procedure", ev->procedure, 0, false}, {"outcome", ev->outcome, 0, false},
		{"rsc", NULL, ev->rsc, true},           {"client", ev->client, 0, false},
		{"enrolee", ev->enrolee_id, 0, false},  {"key_id", ev->key_id, 0, false},
		{"suid", NULL, ev->suid, ev->suid != 0}, {"rqi", ev->rqi, 0, false},
	};

	struct mef_handler *h = ctx;

	cli_logsink_fields(M2M_LOG_INFO, "mef", "mef audit", f, sizeof(f) / sizeof(f[0]));
	if (h != NULL && h->console != NULL)
		m2m_mef_console_audit(h->console, ev); /* the console's recent-audit page */
}

/* Per-connection state: the MEF association (made right after the handshake, with the SSL*). */
static m2m_err conn_open(void *ctx, int thread_index, struct ssl_st *ssl, const m2m_sa *sa, void **state)
{
	struct mef_handler *h = ctx;
	m2m_mef_assoc *a = NULL;
	m2m_err r;

	(void)thread_index;
	*state = NULL;
	if (ssl == NULL)
		return M2M_OK; /* no TLS: no association, every procedure answers 4107 */
	if ((r = m2m_mef_assoc_new_from_ssl(h->mef, ssl, sa, &a)) != M2M_OK)
		return r;
	*state = a;
	return M2M_OK;
}

static void conn_close(void *ctx, void *state)
{
	(void)ctx;
	m2m_mef_assoc_free(state); /* zeroizes Ke and Kc */
}

/*
 * Rate limits (docs/procedures/mef.md "Rate limits", svc_rate.c): per source address and per
 * client identity (m2m_mef_assoc_client: KpmID, certificate identity, target CSE-ID); over a
 * limit HTTP 429 with Retry-After and RSC 4000. false = refused (rsp filled). An Enrolment
 * Target (a CSE authenticated by the SP's trust anchors) is not limited: it fetches a key per
 * device handshake it cannot answer from its cache, at the rate of its fleet; its connections
 * are bounded by the connection caps.
 */
static bool rate_ok(struct mef_handler *h, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp)
{
	const char *client = m2m_mef_assoc_client(a);
	const char *which;

	if (m2m_mef_assoc_peer(a) == M2M_MEF_PEER_TARGET || m2m_mef_assoc_peer(a) == M2M_MEF_PEER_MAF)
		return true; /* SP entities authenticated by the SP's anchors (docs/procedures/mef.md) */
	if ((which = svc_rate_check(h->rl_addr, h->rl_id, client, req, rsp)) != NULL) {
		m2m_mef_audit ev = {.procedure = "request", .outcome = which, .rsc = M2M_RSC_BAD_REQUEST,
				    .client = client, .rqi = req->rqi};
		mef_audit(h, &ev);
	}
	return which == NULL;
}

static void mef_handle(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct mef_handler *h = ctx;
	const m2m_mef_assoc *a;

	(void)sa; /* the association's copy of it is in a */
	if (thread_index < 0 || thread_index >= h->nworkers) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
		return;
	}
	a = svc_conn_state(h->svc, thread_index);
	if (!rate_ok(h, a, req, rsp))
		return;
	m2m_mef_handle(h->w[thread_index], a, req, rsp, (int64_t)time(NULL));
}

/* Ub carries no oneM2M primitive: anything outside M2M_BSF_PATH is not found. */
static void bsf_not_found(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	(void)ctx;
	(void)thread_index;
	(void)sa;
	(void)req;
	m2m_response_error(rsp, M2M_RSC_NOT_FOUND, "not found");
}

static void *bsf_run(void *arg)
{
	struct mef_handler *h = arg;

	if (m2m_http_server_run(h->bsf_srv) != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "BSF listener stopped with an error");
	return NULL;
}

static void bsf_stop(struct mef_handler *h)
{
	if (!h->bsf_running)
		return;
	m2m_http_server_stop(h->bsf_srv);
	pthread_join(h->bsf_thread, NULL);
	h->bsf_running = false;
}

/* Open the Ub listener: the hss-file is checked (0600, well-formed) before anything listens. */
static int bsf_open(struct svc *s, struct mef_handler *h, const m2m_mef_svc_config *cfg)
{
	m2m_tls_config tc = {.cert_file = cfg->cert, .key_file = cfg->key, .allow_tls13 = cfg->tls13,
			      .server_auth_only = true};
	m2m_http_server_config hc = {
		.https_listen = cfg->bsf_listen, .threads = 1, .max_header = cfg->max_header,
		.max_body = cfg->max_body, .max_connections = (size_t)cfg->max_connections,
		.max_connections_per_address = (size_t)cfg->max_connections_per_address,
		.header_timeout_s = cfg->header_timeout, .drain_seconds = cfg->drain_seconds,
	};
	m2m_bsf_config bc = {
		.bsf_fqdn = cfg->mef_fqdn, .hss_file = cfg->hss_file, .lifetime_s = cfg->bootstrap_lifetime,
		.rate_per_minute = (unsigned)cfg->rate_limit_per_identity, .audit = mef_audit, .audit_ctx = h,
	};
	char err[512] = "", num[16];
	unsigned line = 0;
	m2m_err r;

	if ((r = m2m_hss_check_file(cfg->hss_file, &line)) != M2M_OK) {
		if (r == M2M_E_CONFIG) {
			snprintf(num, sizeof(num), "line %u", line);
			return svc_errorf(s, "hss-file", cfg->hss_file, num, cli_exit_code(r));
		}
		return svc_errorf(s, "hss-file", cfg->hss_file, m2m_strerror(r), cli_exit_code(r));
	}
	if ((r = m2m_tls_new_ex(&tc, &h->bsf_tls, err, sizeof(err))) != M2M_OK)
		return svc_errorf(s, "bsf-listen", cfg->bsf_listen, err[0] ? err : m2m_strerror(r), cli_exit_code(r));
	hc.tls = h->bsf_tls;
	s->reload_also = h->bsf_tls; /* SIGHUP renews the BSF's certificate too */
	s->reload_also_name = "bsf-listen";
	if ((r = m2m_http_server_new(&hc, bsf_not_found, h, &h->bsf_srv)) != M2M_OK)
		return svc_errorf(s, "bsf-listen", cfg->bsf_listen, m2m_strerror(r), CLI_FAIL);
	if ((r = m2m_bsf_new(&bc, h->mef, &h->bsf)) != M2M_OK || (r = m2m_bsf_route(h->bsf_srv, h->bsf)) != M2M_OK)
		return cli_fail("mef: BSF", r);
	if (pthread_create(&h->bsf_thread, NULL, bsf_run, h) != 0)
		return cli_fail("mef: BSF", M2M_E_INTERNAL);
	h->bsf_running = true;
	m2m_log(M2M_LOG_INFO, "BSF %s listening https=%d", cfg->mef_fqdn, m2m_http_server_port(h->bsf_srv, true));
	return CLI_OK;
}

static void *admin_run(void *arg)
{
	struct mef_handler *h = arg;

	if (m2m_http_server_run(h->admin_srv) != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "admin listener stopped with an error");
	return NULL;
}

static void admin_stop(struct mef_handler *h)
{
	if (!h->admin_running)
		return;
	m2m_http_server_stop(h->admin_srv);
	pthread_join(h->admin_thread, NULL);
	h->admin_running = false;
}

/* The store error of svc s: a postgresql:// URI is shown without its password. */
static int store_errorf(const struct svc *s, const char *store, m2m_err r)
{
	char shown[256];

	m2mi_pg_redact(store, shown, sizeof(shown));
	return svc_errorf(s, "store", shown, m2m_strerror(r), cli_exit_code(r));
}

/* Open the console's listener: mutual TLS against admin-ca only (no PSK: an enrolee's Kpm or a
 * KeID opens nothing here), the console's raw route, everything else 404. */
static int admin_open(struct svc *s, struct mef_handler *h, const m2m_mef_svc_config *cfg)
{
	m2m_tls_config tc = {.cert_file = cfg->cert, .key_file = cfg->key, .trust_anchors = cfg->admin_ca,
			      .sp_id = h->sp_id[0] ? h->sp_id : NULL, .allow_tls13 = cfg->tls13};
	m2m_http_server_config hc = {
		.https_listen = cfg->admin_listen, .threads = 1, .max_header = cfg->max_header,
		.max_body = cfg->max_body, .max_connections = 64, .max_connections_per_address = 16,
		.header_timeout_s = cfg->header_timeout,
	};
	m2m_mef_console_config cc = {.store = cfg->store, .admin_identity = cfg->admin_identity, .est = h->est,
				     .audit = mef_audit, .audit_ctx = h};
	char err[512] = "";
	m2m_err r;

	if ((r = m2m_tls_new_ex(&tc, &h->admin_tls, err, sizeof(err))) != M2M_OK)
		return svc_errorf(s, "admin-ca", cfg->admin_ca, err[0] ? err : m2m_strerror(r), cli_exit_code(r));
	hc.tls = h->admin_tls;
	if ((r = m2m_http_server_new(&hc, bsf_not_found, h, &h->admin_srv)) != M2M_OK)
		return svc_errorf(s, "admin-listen", cfg->admin_listen, m2m_strerror(r), CLI_FAIL);
	if ((r = m2m_mef_console_new(&cc, &h->console)) != M2M_OK)
		return store_errorf(s, cfg->store, r);
	if ((r = m2m_mef_console_route(h->admin_srv, h->console)) != M2M_OK)
		return cli_fail("mef: console", r);
	if (pthread_create(&h->admin_thread, NULL, admin_run, h) != 0)
		return cli_fail("mef: console", M2M_E_INTERNAL);
	h->admin_running = true;
	m2m_log(M2M_LOG_INFO, "MEF console listening https=%d", m2m_http_server_port(h->admin_srv, true));
	return CLI_OK;
}

static void mef_stopped(void *hv)
{
	bsf_stop(hv);
	admin_stop(hv);
}

static void mef_handler_free(void *hv)
{
	struct mef_handler *h = hv;

	if (h == NULL)
		return;
	bsf_stop(h);
	admin_stop(h);
	m2m_http_server_free(h->admin_srv);
	m2m_mef_console_free(h->console);
	m2m_tls_free(h->admin_tls);
	m2m_http_server_free(h->bsf_srv);
	m2m_bsf_free(h->bsf);
	m2m_tls_free(h->bsf_tls);
	for (int i = 0; h->w != NULL && i < h->nworkers; i++)
		m2m_mef_worker_free(h->w[i]);
	free(h->w);
	m2m_est_http_free(h->est_http);
	m2m_est_free(h->est);
	m2m_mef_free(h->mef);
	m2mi_ratelimit_free(h->rl_id);
	m2mi_ratelimit_free(h->rl_addr);
	free(h);
}

/* Returns CLI_OK or an exit code (the error printed with svc_errorf, e.g. naming "store"). */
static int mef_handler_new(struct svc *s, const void *cfgv, int nworkers, void **out)
{
	const m2m_mef_svc_config *cfg = cfgv;
	struct mef_handler *h = calloc(1, sizeof(*h));
	m2m_mef_config mc;
	m2m_http_conn_hooks hooks = {conn_open, conn_close, NULL};
	int rc = CLI_FAIL;
	m2m_err r;

	if (h == NULL)
		return cli_fail("mef", M2M_E_NOMEM);
	h->cfg = cfg;
	h->nworkers = nworkers;
	h->svc = s;
	svc_sp_id(cfg->sp_id, h->sp_id, sizeof(h->sp_id));
	/* The EST base URI announced in CERT_PROV (TS-0003 §8.3.4.6): est-uri, else, with a CA to
	 * sign, this MEF's own https://<mef-fqdn>:<port>/.well-known/est. */
	if (cfg->est_uri[0] != '\0')
		snprintf(h->est_uri, sizeof(h->est_uri), "%s", cfg->est_uri);
	else if (cfg->ca_dir[0] != '\0')
		snprintf(h->est_uri, sizeof(h->est_uri), "https://%s:%d" M2M_EST_PATH_PREFIX, cfg->mef_fqdn,
			 m2m_http_server_port(s->srv, true));
	mc = (m2m_mef_config){
		.mef_fqdn = cfg->mef_fqdn, .sp_id = h->sp_id[0] ? h->sp_id : NULL, .store = cfg->store,
		.est_uri = h->est_uri[0] ? h->est_uri : NULL, .audit = mef_audit, .audit_ctx = h,
		.store_sync = cfg->store_sync_full ? M2M_MEFSTORE_SYNC_FULL : M2M_MEFSTORE_SYNC_NORMAL,
		.maf_fqdns = cfg->maf_fqdns[0] ? cfg->maf_fqdns : NULL,
		.hss_file = cfg->hss_file[0] ? cfg->hss_file : NULL,
	};
	if ((r = m2m_mef_new(&mc, &h->mef)) != M2M_OK) {
		rc = store_errorf(s, cfg->store, r);
		goto fail;
	}
	if ((h->w = calloc((size_t)nworkers, sizeof(*h->w))) == NULL) {
		rc = cli_fail("mef", M2M_E_NOMEM);
		goto fail;
	}
	for (int i = 0; i < nworkers; i++)
		if ((r = m2m_mef_worker_new(h->mef, &h->w[i])) != M2M_OK) {
			rc = store_errorf(s, cfg->store, r);
			goto fail;
		}
	if ((r = svc_rate_new(cfg->rate_limit_per_identity, cfg->rate_limit_per_address, &h->rl_id, &h->rl_addr)) !=
	    M2M_OK) {
		rc = cli_fail("mef", r);
		goto fail;
	}
	/* EST (RFC 7030, services/mef/est_route.c) and the CRL on the same listener, with the CA of
	 * ca-dir; its requests are plain HTTP, outside the oneM2M mapping and its rate limits. */
	if (cfg->ca_dir[0] != '\0') {
		if ((r = m2m_est_new(cfg->ca_dir, 0, &h->est)) != M2M_OK) {
			rc = svc_errorf(s, "ca-dir", cfg->ca_dir, m2m_strerror(r), cli_exit_code(r));
			goto fail;
		}
		if ((r = m2m_est_http_new(h->est, h->mef, h->w, nworkers, 0, &h->est_http)) != M2M_OK ||
		    (r = m2m_mef_est_route(s->srv, h->est_http)) != M2M_OK) {
			rc = cli_fail("mef: EST", r);
			goto fail;
		}
	}
	/* The console first: h->console is set before any other thread that audits (BSF) starts. */
	if (cfg->admin_listen[0] != '\0' && svc_on(cfg->admin_listen) != NULL && (rc = admin_open(s, h, cfg)) != CLI_OK)
		goto fail;
	if (cfg->bsf_listen[0] != '\0' && svc_on(cfg->bsf_listen) != NULL && (rc = bsf_open(s, h, cfg)) != CLI_OK)
		goto fail;
	rc = CLI_FAIL;
	/* Before the first handshake (nothing is accepted before svc_run). */
	if ((r = m2m_tls_add_psk_resolver(s->tls, m2m_mef_psk_resolve, h->mef)) != M2M_OK) {
		rc = cli_fail("mef: psk resolver", r);
		goto fail;
	}
	hooks.ctx = h;
	svc_set_conn_hooks(s, &hooks); /* HTTPS connections and DTLS sessions alike */
	*out = h;
	return CLI_OK;
fail:
	mef_handler_free(h);
	return rc;
}
/* ---- end of the MEF procedures' plug -------------------------------------------------------- */

static void mef_defaults(void *cfg)
{
	m2m_mef_config_defaults(cfg);
}

static m2m_err mef_parse(void *cfg, const char *text, size_t len, bool *found, char *err, size_t cap)
{
	return m2m_mef_config_parse(cfg, text, len, found, err, cap);
}

static m2m_err mef_validate(const void *cfg, char *err, size_t cap)
{
	return m2m_mef_config_validate(cfg, err, cap);
}

static unsigned mef_line(const void *cfg, const char *key)
{
	return m2m_mef_config_line(cfg, key);
}

const struct svc_section cli_mef_section = {"mef", mef_defaults, mef_parse, mef_validate, mef_line};

/* The listener settings, sp ("//FQDN": the TLS layer maps an Enrolment Target's DNS SAN
 * "<cse>.<sp-fqdn>" to its CSE-ID with it, TS-0003 §8.1.2.5) and the CA directory of EST. */
static int mef_prepare(struct svc *s, const void *cfgv, const char **fqdn)
{
	const m2m_mef_svc_config *cfg = cfgv;
	static char sp[M2M_CFG_STR + 2];
	int rc;

	svc_sp_id(cfg->sp_id, sp, sizeof(sp));
	s->set = (struct svc_settings){SVC_LISTENER_SETTINGS(cfg, sp[0] ? sp : NULL),
				       .coaps_listen = cfg->coaps_listen};
	*fqdn = cfg->mef_fqdn;
	if (svc_file_missing(s, "ca-dir", cfg->ca_dir, &rc))
		return rc;
	return CLI_OK;
}

static const struct svc_def mef_def = {
	.sec = &cli_mef_section, .banner = "MEF", .usage = usage, .prepare = mef_prepare,
	.handler_new = mef_handler_new, .handle = mef_handle, .handler_free = mef_handler_free,
	.stopped = mef_stopped,
};

int cli_mef_main(int argc, char **argv)
{
	m2m_mef_svc_config cfg;

	if (argc > 1 && strcmp(argv[1], "enrolee") == 0)
		return cli_mef_enrolee_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "group") == 0)
		return cli_mef_group_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "profile") == 0)
		return cli_mef_profile_main(argc - 1, argv + 1); /* cmd_mef_profile.c */
	if (argc > 1 && strcmp(argv[1], "subscriber") == 0)
		return cli_mef_subscriber_main(argc - 1, argv + 1); /* cmd_mef_subscriber.c */
	return svc_main(&mef_def, &cfg, argc, argv);
}
