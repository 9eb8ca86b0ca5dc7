/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef --config FILE`: the M2M Enrolment Function process (TS-0003
 * §8.3, Remote Security Provisioning Frameworks). It reads the [mef] section of the configuration
 * (docs/config.md) and runs on the service shell every service shares (service.c): log sink, TLS
 * context, HTTPS listener, signals. The MEF procedures are plugged in at mef_handler_new(); until
 * then every request is answered NOT_IMPLEMENTED (5001, TS-0004 Table 6.6.3.3-1).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/service.h"
#include "m2msec/config.h"
#include "m2msec/http.h"
#include "m2msec/log.h"

static void usage(FILE *f)
{
	fputs("usage: m2msec mef --config FILE [--check]\n\n"
	      "Run the M2M Enrolment Function (TS-0003 8.3): enrolees authenticate with a pre-provisioned\n"
	      "key (TLS-PSK, psk_identity = KpmID) or a certificate and receive enrolment keys; Enrolment\n"
	      "Targets fetch the keys they are authorized for.\n\n"
	      "  --config FILE  INI configuration; reads its [mef] section (every key in docs/config.md),\n"
	      "                 the other services' sections are skipped\n"
	      "  --check        validate the configuration, open every credential file and bind the\n"
	      "                 listener, then exit\n\n"
	      "SIGTERM/SIGINT stop it gracefully; SIGHUP reopens log-file (rotation).\n", f);
}

static unsigned mef_line(const void *cfg, const char *key)
{
	return m2m_mef_config_line(cfg, key);
}

static struct svc_settings mef_settings(const m2m_mef_config *cfg)
{
	return (struct svc_settings){
		.https_listen = cfg->https_listen, .http_listen = "off",
		.cert = cfg->cert, .key = cfg->key, .trust_anchors = cfg->trust_anchors,
		.psk_file = "", .cred_store = "", .sp_id = NULL,
		.tls13 = cfg->tls13, .threads = cfg->threads, .max_body = cfg->max_body,
		.max_header = cfg->max_header, .max_connections = cfg->max_connections,
		.max_connections_per_address = cfg->max_connections_per_address,
		.header_timeout = cfg->header_timeout, .log_file = cfg->log_file,
		.log_level = cfg->log_level, .log_requests = cfg->log_requests,
	};
}

/* ---- the MEF procedures: the one place they are plugged into the shell -------------------------
 * mef_handler_new() builds the per-process state (store, CA, one worker per server thread) and
 * returns the request handler; mef_handler_free() releases it after the server stopped. */
struct mef_handler {
	const m2m_mef_config *cfg;
	int nworkers; /* m2m_http_server_threads(): thread_index is 0..nworkers-1 */
};

static void mef_handle(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	(void)ctx;
	(void)thread_index;
	(void)sa;
	(void)req;
	m2m_response_error(rsp, 5001, "MEF procedures not implemented");
}

/* Returns CLI_OK or an exit code (the error printed with svc_errorf, e.g. naming "store"). */
static int mef_handler_new(struct svc *s, const m2m_mef_config *cfg, int nworkers, struct mef_handler **out)
{
	struct mef_handler *h = calloc(1, sizeof(*h));

	(void)s;
	if (h == NULL)
		return cli_fail("mef", M2M_E_NOMEM);
	h->cfg = cfg;
	h->nworkers = nworkers;
	*out = h;
	return CLI_OK;
}

static void mef_handler_free(struct mef_handler *h)
{
	free(h);
}
/* ---- end of the MEF procedures' plug -------------------------------------------------------- */

/* The shell's handler: forwards to the MEF handler once it exists (it is created after the
 * listener, which fixes the number of threads; nothing is served before svc_run). */
static void dispatch(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct mef_handler **h = ctx;

	if (*h == NULL) {
		m2m_response_error(rsp, 5000, "internal error");
		return;
	}
	mef_handle(*h, thread_index, sa, req, rsp);
}

int cli_mef_main(int argc, char **argv)
{
	bool check_only = false, found = false;
	m2m_mef_config cfg;
	char err[512] = "", *text = NULL;
	size_t len = 0;
	struct mef_handler *h = NULL;
	struct svc s = {.name = "mef", .cfg = &cfg, .line = mef_line};
	int rc;
	m2m_err r;

	if (argc > 1 && strcmp(argv[1], "profile") == 0)
		return cli_mef_profile_main(argc - 1, argv + 1); /* cmd_mef_profile.c */
	if ((rc = svc_args(&s, argc, argv, usage, &check_only)) >= 0)
		return rc;
	m2m_mef_config_defaults(&cfg);
	if ((rc = svc_read_config(&s, &text, &len)) != CLI_OK)
		return rc;
	r = m2m_mef_config_parse(&cfg, text, len, &found, err, sizeof(err));
	free(text);
	if (r == M2M_OK && !found)
		return svc_config_error(&s, "no [mef] section");
	if (r != M2M_OK || (r = m2m_mef_config_validate(&cfg, err, sizeof(err))) != M2M_OK)
		return svc_config_error(&s, err);
	s.set = mef_settings(&cfg);
	if (svc_file_missing(&s, "ca-dir", cfg.ca_dir, &rc))
		return rc;
	if ((rc = svc_open(&s)) != CLI_OK)
		goto out;
	if ((rc = svc_listen(&s, dispatch, &h)) != CLI_OK)
		goto out;
	if ((rc = mef_handler_new(&s, &cfg, m2m_http_server_threads(s.srv), &h)) != CLI_OK)
		goto out;
	if (check_only) {
		puts("configuration ok");
		goto out;
	}
	m2m_log(M2M_LOG_INFO, "MEF %s listening https=%d threads=%d", cfg.mef_fqdn,
		m2m_http_server_port(s.srv, true), m2m_http_server_threads(s.srv));
	r = svc_run(&s);
	m2m_log(M2M_LOG_INFO, "MEF stopped");
	rc = r == M2M_OK ? CLI_OK : cli_fail("mef", r);
out:
	m2m_http_server_free(s.srv); /* the server before the handler it calls */
	s.srv = NULL;
	mef_handler_free(h);
	svc_close(&s);
	return rc;
}
