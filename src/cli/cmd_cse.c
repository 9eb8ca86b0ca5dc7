/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec cse --config FILE`: the secure IN-CSE process (TS-0001 clause 10,
 * TS-0003 clauses 7.1 and 8.2). It only wires parts of the library together: the strict
 * configuration (docs/config.md), the JSON-lines log sink, the TLS security-association layer
 * (psk-file, credential store, certificates), the CSE core with one worker per event-loop
 * thread, and the HTTP binding, on the service shell every service shares (service.c).
 * SIGTERM/SIGINT stop it gracefully (drain-seconds); SIGHUP reopens the log file and reloads the TLS credentials.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cse_gba.h"
#include "cli/cse_maf.h"
#include "cli/cse_registrar.h"
#include "cli/cse_mef.h"
#include "cli/service.h"
#include "m2msec/coap.h"
#include "m2msec/config.h"
#include "m2msec/cse.h"
#include "m2msec/http.h"
#include "m2msec/log.h"
#include "m2msec/mqttclient.h"
#include "store/pg_common.h"

struct cse_ctx;

/* One worker's link to its loop: the CSE wakes it from the notifier thread. */
struct loop_link {
	struct cse_ctx *ctx;
	int index;
};

struct cse_ctx {
	m2m_cse_worker **workers;
	int nworkers;
	m2m_http_server *srv;
	struct loop_link *links;
	m2m_cse_worker *coap_worker; /* the CoAP thread's own worker (TS-0008 binding) */
	m2m_coap_server *coap;
	m2m_cse_worker *mqtt_worker; /* the MQTT thread's own worker (TS-0010 binding) */
	m2m_mqtt_client *mqtt;
};

/* On the worker's loop: finish the requests whose verification results are in. */
static void run_completions(void *arg)
{
	struct loop_link *l = arg;

	m2m_cse_worker_complete(l->ctx->workers[l->index], (int64_t)time(NULL));
}

/* From the notifier thread (m2m_cse_worker_set_wake). */
static void wake_worker(void *arg)
{
	struct loop_link *l = arg;

	if (m2m_http_server_post(l->ctx->srv, l->index, run_completions, l) != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "cannot wake worker %d: deferred answers wait", l->index);
}

static void answer_later(void *arg, const m2m_request *req, m2m_response *rsp)
{
	m2m_http_deferred_reply(arg, req, rsp);
}

static void handle(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct cse_ctx *c = ctx;
	m2m_cse_pending *p;
	m2m_http_deferred *d;

	if (thread_index < 0 || thread_index >= c->nworkers) {
		m2m_response_error(rsp, 5000, "internal error");
		return;
	}
	/* A <subscription> waiting for its verification is answered later (docs/architecture.md);
	 * the loop goes on serving other requests meanwhile. */
	p = m2m_cse_handle_async(c->workers[thread_index], sa, req, rsp, (int64_t)time(NULL));
	if (p == NULL)
		return;
	d = m2m_http_defer(c->srv, thread_index);
	m2m_cse_pending_on_done(p, answer_later, d);
	if (d == NULL)
		m2m_log(M2M_LOG_ERROR, "no memory to defer an answer"); /* released, never answered */
}

static m2m_err esprim_key(void *ctx, const char *kid, int64_t now, void (*kick)(void *), void *kick_arg,
			  m2m_key **key, m2m_sa *binding)
{
	return m2m_tls_esprim_lookup(ctx, kid, now, kick, kick_arg, key, binding);
}

static bool listen_on(const char *v)
{
	return v[0] != '\0' && strcmp(v, "off") != 0;
}

/* On the CoAP thread: finish the requests whose answers are in (after wake_coap). The worker is
 * gone (NULL) when a call queued at shutdown runs in m2m_coap_server_free. */
static void coap_completions(void *arg)
{
	struct cse_ctx *c = arg;

	if (c->coap_worker != NULL)
		m2m_cse_worker_complete(c->coap_worker, (int64_t)time(NULL));
}

/* From the notifier or writer thread (m2m_cse_worker_set_wake): into the CoAP thread's poll loop. */
static void wake_coap(void *arg)
{
	struct cse_ctx *c = arg;

	if (m2m_coap_server_post(c->coap, coap_completions, c) != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "cannot wake the CoAP thread: deferred answers wait");
}

static void coap_answer_later(void *arg, const m2m_request *req, m2m_response *rsp)
{
	m2m_coap_deferred_reply(arg, req, rsp);
}

/* On the CoAP thread (docs/coap-dtls.md): the same request path with the DTLS session's
 * association. An answer the CSE gives later (a <subscription> verification, a queued write, a
 * forwarded request) is a separate response (RFC 7252 clause 5.2.2): the thread goes on serving
 * every other peer meanwhile. */
static void handle_coap(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct cse_ctx *c = ctx;
	m2m_cse_pending *p = m2m_cse_handle_async(c->coap_worker, sa, req, rsp, (int64_t)time(NULL));
	m2m_coap_deferred *d;

	if (p == NULL)
		return;
	d = m2m_coap_defer(c->coap);
	m2m_cse_pending_on_done(p, coap_answer_later, d);
	if (d == NULL)
		m2m_log(M2M_LOG_ERROR, "no memory to defer a CoAP answer"); /* released, never answered */
}

/* The CoAP binding when coaps-listen or coap-listen is set; CLI_OK when neither is. */
static int cse_coap_open(struct svc *s, const m2m_cse_config *cfg, m2m_cse *cse, struct cse_ctx *c)
{
	m2m_coap_server_config cc = {.coaps_listen = cfg->coaps_listen, .tls = s->tls,
				     .coap_listen = cfg->coap_listen, .max_body = cfg->max_body,
				     .block_size = (size_t)cfg->coap_block_size,
				     .psk_lookup_timeout_ms = cfg->psk_lookup_timeout_ms,
				     .psk_lookups_max = (unsigned)cfg->psk_lookups_max};
	bool dtls = listen_on(cfg->coaps_listen);
	m2m_err r;

	if (!dtls && !listen_on(cfg->coap_listen))
		return CLI_OK;
	if ((r = m2m_cse_worker_new(cse, &c->coap_worker)) != M2M_OK)
		return cli_fail("cse: CoAP worker", r);
	if ((r = m2m_coap_server_new(&cc, handle_coap, c, &c->coap)) != M2M_OK)
		return svc_errorf(s, dtls ? "coaps-listen" : "coap-listen", dtls ? cfg->coaps_listen : cfg->coap_listen,
				  m2m_strerror(r), cli_exit_code(r));
	m2m_cse_worker_set_wake(c->coap_worker, wake_coap, c);
	return CLI_OK;
}

/* On the MQTT thread: finish the requests whose answers are in (after wake_mqtt). The worker is
 * gone (NULL) at shutdown. */
static void mqtt_completions(void *arg)
{
	struct cse_ctx *c = arg;

	if (c->mqtt_worker != NULL)
		m2m_cse_worker_complete(c->mqtt_worker, (int64_t)time(NULL));
}

/* From the notifier or writer thread (m2m_cse_worker_set_wake): into the MQTT thread's loop. */
static void wake_mqtt(void *arg)
{
	struct cse_ctx *c = arg;

	if (m2m_mqtt_client_post(c->mqtt, mqtt_completions, c) != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "cannot wake the MQTT thread: deferred answers wait");
}

static void mqtt_answer_later(void *arg, const m2m_request *req, m2m_response *rsp)
{
	m2m_mqtt_deferred_reply(arg, req, rsp);
}

/* On the MQTT thread (docs/mqtt-binding.md): the same request path, with the association the
 * request topic stands for. An answer the CSE gives later is published when it is in: the
 * thread serves every other client meanwhile. */
static void handle_mqtt(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct cse_ctx *c = ctx;
	m2m_cse_pending *p = m2m_cse_handle_async(c->mqtt_worker, sa, req, rsp, (int64_t)time(NULL));
	m2m_mqtt_deferred *d;

	if (p == NULL)
		return;
	d = m2m_mqtt_defer(c->mqtt);
	m2m_cse_pending_on_done(p, mqtt_answer_later, d);
	if (d == NULL)
		m2m_log(M2M_LOG_ERROR, "no memory to defer an MQTT answer"); /* released, never answered */
}

/* The CSE's broker connection when mqtt-broker is set; CLI_OK when it is off. */
static int cse_mqtt_open(struct svc *s, const m2m_cse_config *cfg, m2m_cse *cse, struct cse_ctx *c)
{
	m2m_mqtt_client_config mc = {.broker = cfg->mqtt_broker, .ca = cfg->mqtt_ca, .cert = cfg->mqtt_cert,
				     .key = cfg->mqtt_key, .cse_id = cfg->cse_id, .sp_id = cfg->sp_id,
				     .max_payload = (size_t)cfg->max_body, .psk_identity = cfg->mqtt_psk_identity,
				     .psk_file = cfg->mqtt_psk_file, .tls = s->tls};
	m2m_err r;

	if (!listen_on(cfg->mqtt_broker))
		return CLI_OK;
	if ((r = m2m_cse_worker_new(cse, &c->mqtt_worker)) != M2M_OK)
		return cli_fail("cse: MQTT worker", r);
	if ((r = m2m_mqtt_client_new(&mc, handle_mqtt, c, &c->mqtt)) != M2M_OK) {
		if (cfg->mqtt_psk_file[0] != '\0' && r != M2M_E_NOMEM) /* the key file's error: name it */
			return svc_errorf(s, "mqtt-psk-file", cfg->mqtt_psk_file, m2m_strerror(r), cli_exit_code(r));
		return svc_errorf(s, "mqtt-broker", cfg->mqtt_broker, m2m_strerror(r), cli_exit_code(r));
	}
	m2m_cse_worker_set_wake(c->mqtt_worker, wake_mqtt, c);
	return CLI_OK;
}

static void usage(FILE *f)
{
	fputs("usage: m2msec cse --config FILE [--check]\n\n"
	      "Run the secure IN-CSE: HTTPS (TLS 1.2, and TLS 1.3 unless tls13 = false; PSK and\n"
	      "certificates, TS-0003 8.2) with the authenticated identity bound to the originator and\n"
	      "access control per TS-0003 7.1.\n\n"
	      "  --config FILE  INI configuration (every key in docs/config.md)\n", f);
	svc_usage_tail(f, "listeners");
}

/* The service shell's view of the [cse] settings (cli/service.c). */
static unsigned cse_line(const void *cfg, const char *key)
{
	return m2m_cse_config_line(cfg, key);
}

static struct svc_settings cse_settings(const m2m_cse_config *cfg)
{
	return (struct svc_settings){
		.https_listen = cfg->https_listen, .http_listen = cfg->http_listen,
		.cert = cfg->cert, .key = cfg->key, .trust_anchors = cfg->trust_anchors,
		.psk_file = cfg->psk_file, .cred_store = cfg->cred_store, .sp_id = cfg->sp_id,
		.tls13 = cfg->tls13, .threads = cfg->threads, .max_body = cfg->max_body,
		.max_header = cfg->max_header, .max_connections = cfg->max_connections,
		.max_connections_per_address = cfg->max_connections_per_address,
		.header_timeout = cfg->header_timeout, .log_file = cfg->log_file,
		.log_level = cfg->log_level, .log_requests = cfg->log_requests,
		.crl_file = cfg->crl_file, .crl_refresh_s = cfg->crl_refresh_seconds,
		.psk_lookup_timeout_ms = cfg->psk_lookup_timeout_ms, .psk_lookups_max = cfg->psk_lookups_max,
		.wss_listen = cfg->wss_listen, .metrics_listen = cfg->metrics_listen,
		.drain_seconds = cfg->drain_seconds,
	};
}

/* Every error of this command is one line, "m2msec: cse: <config>: [line N: ]<what>: <reason>"
 * (svc_errorf), naming the key, the value (a path or listen address, never a secret) and the line
 * of the configuration file that set it, so the operator knows what to fix. */
int cli_cse_main(int argc, char **argv)
{
	bool check_only = false;
	m2m_cse_config cfg;
	char err[512] = "", *text = NULL;
	size_t len = 0;
	m2m_cse *cse = NULL;
	struct cse_ctx ctx = {NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL};
	struct svc s = {.name = "cse", .cfg = &cfg, .line = cse_line};
	struct cse_mef *mef = NULL;
	struct remote_res *maf = NULL;
	struct cse_gba *bsf = NULL;
	struct cse_registrar *reg = NULL;
	int rc = CLI_FAIL;
	m2m_err r;

	if ((rc = svc_args(&s, argc, argv, usage, &check_only)) >= 0)
		return rc;
	rc = CLI_FAIL;
	m2m_cse_config_defaults(&cfg);
	if ((rc = svc_read_config(&s, &text, &len)) != CLI_OK)
		return rc;
	r = m2m_cse_config_parse(&cfg, text, len, err, sizeof(err));
	free(text);
	if (r != M2M_OK || (r = m2m_cse_config_validate(&cfg, err, sizeof(err))) != M2M_OK)
		return svc_config_error(&s, err);
	s.set = cse_settings(&cfg);
	if (svc_link_files_missing(&s, "mef", cfg.mef_ca, cfg.mef_cert, cfg.mef_key, &rc) ||
	    svc_link_files_missing(&s, "maf", cfg.maf_ca, cfg.maf_cert, cfg.maf_key, &rc) ||
	    svc_link_files_missing(&s, "mqtt", cfg.mqtt_ca, cfg.mqtt_cert, cfg.mqtt_key, &rc) ||
	    svc_file_missing(&s, "mqtt-psk-file", cfg.mqtt_psk_file, &rc) ||
	    svc_link_files_missing(&s, "das", cfg.das_ca, cfg.das_cert, cfg.das_key, &rc) ||
	    (cfg.registrar_psk_file[0] == '\0' &&
	     svc_link_files_missing(&s, "registrar", cfg.registrar_ca, cfg.registrar_cert, cfg.registrar_key, &rc)) ||
	    svc_file_missing(&s, "registrar-ca", cfg.registrar_ca, &rc) ||
	    svc_file_missing(&s, "registrar-psk-file", cfg.registrar_psk_file, &rc) ||
	    svc_link_files_missing(&s, "bsf", cfg.bsf_ca, cfg.bsf_cert, cfg.bsf_key, &rc))
		return rc;
	if ((rc = svc_open(&s)) != CLI_OK || (rc = cse_mef_start(&s, &cfg, &mef)) != CLI_OK ||
	    (rc = cse_maf_start(&s, &cfg, &maf)) != CLI_OK || (rc = cse_gba_start(&s, &cfg, &bsf)) != CLI_OK)
		goto out;
	cse_mef_gate(mef, maf ? maf->rk : NULL); /* the security profile's SUIDs gate SUID 32 too */
	rc = CLI_FAIL;
	if ((r = m2m_cse_new(&cfg, &cse)) != M2M_OK) {
		char shown[256]; /* a postgresql:// URI is shown without its password */

		m2mi_pg_redact(cfg.store, shown, sizeof(shown));
		rc = svc_errorf(&s, "store", shown, m2m_strerror(r), cli_exit_code(r));
		goto out;
	}
	if ((rc = cse_mef_profile_start(&s, mef, cse, &cfg)) != CLI_OK ||
	    (rc = cse_mef_netauth_start(mef, cse, &cfg)) != CLI_OK || (rc = cse_gba_netauth_start(bsf, cse, &cfg)) != CLI_OK)
		goto out;
	/* ESPrim: the pairwiseESPrimKey "kid" goes through the TLS PSK resolver chain (e2e.md) */
	if (s.tls != NULL)
		m2m_cse_set_esprim_keys(cse, esprim_key, s.tls);
	if ((rc = svc_listen(&s, handle, &ctx)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	ctx.nworkers = m2m_http_server_threads(s.srv);
	ctx.srv = s.srv;
	if ((ctx.workers = calloc((size_t)ctx.nworkers, sizeof(*ctx.workers))) == NULL ||
	    (ctx.links = calloc((size_t)ctx.nworkers, sizeof(*ctx.links))) == NULL)
		goto out;
	for (int i = 0; i < ctx.nworkers; i++) {
		if ((r = m2m_cse_worker_new(cse, &ctx.workers[i])) != M2M_OK) {
			rc = cli_fail("cse: worker", r);
			goto out;
		}
		ctx.links[i] = (struct loop_link){&ctx, i};
		m2m_cse_worker_set_wake(ctx.workers[i], wake_worker, &ctx.links[i]);
	}
	if ((rc = cse_coap_open(&s, &cfg, cse, &ctx)) != CLI_OK || (rc = cse_mqtt_open(&s, &cfg, cse, &ctx)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (check_only) {
		puts("configuration ok");
		rc = CLI_OK;
		goto out;
	}
	/* writes go to the store's writer thread from here on (docs/architecture.md "write path") */
	if ((r = m2m_cse_writer_start(cse)) != M2M_OK) {
		rc = cli_fail("cse: writer", r);
		goto out;
	}
	if (ctx.coap != NULL && (r = m2m_coap_server_start(ctx.coap)) != M2M_OK) {
		rc = cli_fail("cse: CoAP", r);
		goto out;
	}
	if (ctx.mqtt != NULL && (r = m2m_mqtt_client_start(ctx.mqtt)) != M2M_OK) {
		rc = svc_errorf(&s, "mqtt-broker", cfg.mqtt_broker, m2m_strerror(r), cli_exit_code(r));
		goto out;
	}
	/* after the listeners: the Registrar may answer before this CSE serves (transit.md) */
	if ((rc = cse_registrar_start(&s, &cfg, cse, &reg)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	m2m_log(M2M_LOG_INFO, "CSE %s (%s) listening https=%d http=%d coaps=%d coap=%d threads=%d", cfg.cse_id,
		cfg.name, m2m_http_server_port(s.srv, true), m2m_http_server_port(s.srv, false),
		m2m_coap_server_port(ctx.coap, true), m2m_coap_server_port(ctx.coap, false), ctx.nworkers);
	r = svc_run(&s);
	m2m_log(M2M_LOG_INFO, "CSE stopped");
	rc = r == M2M_OK ? CLI_OK : cli_fail("cse", r);
out:
	cse_registrar_stop(reg);
	m2m_mqtt_client_stop(ctx.mqtt); /* joins the MQTT thread first: it runs on mqtt_worker */
	m2m_cse_worker_free(ctx.mqtt_worker); /* before the client: its held answers are released */
	ctx.mqtt_worker = NULL;
	m2m_mqtt_client_free(ctx.mqtt);
	m2m_coap_server_stop(ctx.coap); /* joins the CoAP thread first: it uses the resolvers below */
	m2m_cse_worker_free(ctx.coap_worker); /* before the server: its held answers are released */
	ctx.coap_worker = NULL;
	m2m_tls_stop_lookups(s.tls);    /* the credential store's lookup worker posts to those loops */
	cse_mef_stop(mef); /* the loops stopped: answer the held handshakes (docs/tls.md) */
	remote_res_stop(maf); /* after cse_mef_stop: its profile refresh gates this resolver */
	cse_gba_stop(bsf); /* the NAF's Zn link (cse_gba.c) */
	m2m_coap_server_free(ctx.coap); /* after the resolvers: their last answers went to its queue */
	for (int i = 0; i < ctx.nworkers && ctx.workers != NULL; i++)
		m2m_cse_worker_free(ctx.workers[i]); /* before the server: no wake after this */
	free(ctx.workers);
	free(ctx.links);
	m2m_http_server_free(s.srv); /* the server before the CSE its handler calls */
	s.srv = NULL;
	m2m_cse_free(cse);
	svc_close(&s);
	return rc;
}
