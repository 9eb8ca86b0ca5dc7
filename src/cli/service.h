/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the service shell every long-running m2msec service
 * (cse, mef, later maf and das) runs on (src/cli/service.c): command line, configuration file,
 * log sink, TLS context, HTTPS listener with its limits, signals, and one error format
 * "m2msec: <svc>: FILE: line N: <key> <value>: <reason>". A service only adds its own
 * configuration section and its request handler.
 */
#ifndef M2M_CLI_SERVICE_H
#define M2M_CLI_SERVICE_H

#include <stdbool.h>
#include <stdio.h>

#include "m2msec/coap.h"
#include "m2msec/credstore.h"
#include "m2msec/http.h"
#include "m2msec/tls.h"

/* The listener, TLS and log settings a service's configuration gives (pointers into it). */
struct svc_settings {
	const char *https_listen, *http_listen; /* "" or "off" = none */
	const char *wss_listen;                 /* [cse] only (TS-0020); NULL, "" or "off" = none */
	const char *cert, *key, *trust_anchors, *psk_file, *cred_store; /* "" = none */
	const char *sp_id;                      /* NULL = no SP domain for SAN mapping */
	const char *crl_file;                   /* "" = no CRL checking of client certificates */
	int crl_refresh_s;                      /* crl-file re-read period, 0 = default */
	bool tls13;
	int threads;
	size_t max_body, max_header;
	int max_connections, max_connections_per_address, header_timeout;
	const char *log_file, *log_level;
	bool log_requests;
	int psk_lookup_timeout_ms, psk_lookups_max; /* 0 = the server's defaults */
	const char *coaps_listen; /* [mef]/[maf] (svc_main, svc_coap.c); NULL, "" or "off" = none */
	const char *metrics_listen; /* every service: loopback /metrics; NULL, "" or "off" = none */
	int drain_seconds;          /* drain-seconds: SIGTERM's bound, 0 = M2M_HTTP_DRAIN_SECONDS */
};

struct svc {
	const char *name;   /* "cse", "mef": the prefix of every error */
	const char *path;   /* the configuration file */
	const void *cfg;    /* the service's parsed configuration, for line() */
	unsigned (*line)(const void *cfg, const char *key); /* the line that set key, 0 = default */
	struct svc_settings set;
	m2m_credstore *store; /* opened by svc_open when cred_store is set */
	m2m_tls *tls;         /* opened by svc_open when https_listen is on */
	m2m_http_server *srv; /* opened by svc_listen */
	m2m_coap_server *coap; /* opened by svc_coap_listen when coaps_listen is on (svc_main) */
	int coap_index;        /* the CoAP thread's worker: thread_index after the HTTP loops' */
	m2m_http_handler_fn coap_fn;
	void *coap_ctx;
	struct m2mi_metrics_http *metrics; /* opened by svc_listen when metrics_listen is on */
	/* another TLS context of the service SIGHUP reloads too (the MEF's BSF listener), borrowed;
	 * set before svc_run, freed by its owner after it */
	m2m_tls *reload_also;
	const char *reload_also_name; /* its listener key in the log ("bsf-listen") */
};

/* "s" when the listen setting is on, else NULL. */
const char *svc_on(const char *listen);
/* Parse `--config FILE [--check] [--help]` for s->name; sets s->path. Returns -1 to go on, else
 * the exit code (help printed with usage, or a usage error). */
int svc_args(struct svc *s, int argc, char **argv, void (*usage)(FILE *), bool *check_only);
/* The end of every service's usage: --check (binding what, "listener"/"listeners") and signals. */
void svc_usage_tail(FILE *f, const char *what);
/* Read s->path (bounded); prints the error and returns its exit code, or CLI_OK. */
int svc_read_config(const struct svc *s, char **text, size_t *len);
/* Print "<svc>: FILE: <err>" (a parser or validation message, "line N: ..."); returns CLI_USAGE. */
int svc_config_error(const struct svc *s, const char *err);
/* Print "<svc>: FILE: [line N: ]<key>[ <value>]: <reason>" and return rc. */
int svc_errorf(const struct svc *s, const char *key, const char *value, const char *reason, int rc);
/* True (error printed, *rc set) when file is set but cannot be stat()ed: names key, path, line.
 * For a service's own file keys; svc_open checks the shared ones. */
bool svc_file_missing(const struct svc *s, const char *key, const char *file, int *rc);
/* svc_file_missing for the files of a link to another service: "<link>-ca", "<link>-cert",
 * "<link>-key" (link "mef", "maf"), in that order. */
bool svc_link_files_missing(const struct svc *s, const char *link, const char *ca, const char *cert,
			    const char *key, int *rc);
/* Check the configured files exist, install the log sink, open the credential store and the TLS
 * context. Errors are printed (naming key, path and line); returns CLI_OK or the exit code. */
int svc_open(struct svc *s);
/* Open the listeners with fn/ctx as the request handler. Returns CLI_OK or the exit code. */
int svc_listen(struct svc *s, m2m_http_handler_fn fn, void *ctx);
/* Serve until SIGTERM/SIGINT: the listeners close and in-flight requests are answered within
 * drain-seconds (set.drain_seconds). SIGHUP reopens the log file and reloads cert, key, trust-anchors,
 * psk-file and crl-file on a thread of its own (m2m_tls_reload), connections stay up. Returns
 * the server's result. */
m2m_err svc_run(struct svc *s);
/* Free what svc_open/svc_listen opened (the caller frees its handler state first when it must). */
void svc_close(struct svc *s);
/*
 * The CoAP over DTLS door of a procedures-only service (svc_coap.c, docs/coap-dtls.md): after
 * svc_listen, bind s->set.coaps_listen (CLI_OK without it) on the TLS context of https-listen;
 * its requests reach fn with thread_index = s->coap_index (one more worker), except the HTTP
 * listener's raw routes (EST), answered 5001. svc_workers: the thread_index range (HTTP loops,
 * plus the CoAP thread). svc_set_conn_hooks installs the per-connection hooks on both doors (a
 * DTLS session is a connection); svc_conn_state is the current request's state on either.
 * svc_coap_start before svc_run; svc_coap_close (joins, then runs the close hooks) before the
 * handler is freed.
 */
int svc_coap_listen(struct svc *s, m2m_http_handler_fn fn, void *ctx);
int svc_workers(const struct svc *s);
void svc_set_conn_hooks(struct svc *s, const m2m_http_conn_hooks *hooks);
void *svc_conn_state(const struct svc *s, int thread_index);
m2m_err svc_coap_start(struct svc *s);
int svc_coap_port(const struct svc *s);
void svc_coap_close(struct svc *s);

/* sp-id normalised to "//FQDN" into out ("" when sp_id is empty). */
void svc_sp_id(const char *sp_id, char *out, size_t cap);

/* The listener, TLS and log settings of a service section whose keys have the shared names
 * (https-listen, cert, key, trust-anchors, tls13, threads .. log-requests; config.h). */
#define SVC_LISTENER_SETTINGS(cfg, sp)                                                                          \
	.https_listen = (cfg)->https_listen, .http_listen = "off", .cert = (cfg)->cert, .key = (cfg)->key,     \
	.trust_anchors = (cfg)->trust_anchors, .psk_file = "", .cred_store = "", .sp_id = (sp),               \
	.tls13 = (cfg)->tls13, .threads = (cfg)->threads, .max_body = (cfg)->max_body,                        \
	.max_header = (cfg)->max_header, .max_connections = (cfg)->max_connections,                           \
	.max_connections_per_address = (cfg)->max_connections_per_address,                                    \
	.header_timeout = (cfg)->header_timeout, .log_file = (cfg)->log_file, .log_level = (cfg)->log_level, \
	.log_requests = (cfg)->log_requests, .metrics_listen = (cfg)->metrics_listen,                         \
	.drain_seconds = (cfg)->drain_seconds

/* A service's configuration section: its name ("mef") and its typed functions (config.h). */
struct svc_section {
	const char *name;
	void (*defaults)(void *cfg);
	m2m_err (*parse)(void *cfg, const char *text, size_t len, bool *found, char *err, size_t cap);
	m2m_err (*validate)(const void *cfg, char *err, size_t cap);
	unsigned (*line)(const void *cfg, const char *key);
};

/* Fill cfg from the [sec->name] section of s->path (defaults, parse, validate); the errors
 * printed as svc_read_config / svc_config_error ("no [name] section" when it has none). Returns
 * CLI_OK or the exit code. The service's commands and its operator commands read it alike. */
int svc_load(const struct svc *s, const struct svc_section *sec, void *cfg);

/*
 * What a procedures-only service (mef, maf: one [name] section, one HTTPS listener, one handler
 * made after the listener) adds to the shell: svc_main runs the rest (arguments, configuration,
 * svc_open, svc_listen, --check, the banner, svc_run and the teardown in order).
 */
struct svc_def {
	const struct svc_section *sec; /* its name is the prefix of every error */
	const char *banner; /* "MEF": the log lines "<banner> <fqdn> listening ..." / "<banner> stopped" */
	void (*usage)(FILE *f);
	/* Fill s->set and check the service's own files (svc_file_missing); *fqdn = the banner's name.
	 * Returns CLI_OK or the exit code. */
	int (*prepare)(struct svc *s, const void *cfg, const char **fqdn);
	/* The procedures' state for the listening s (nworkers = svc_workers: the HTTP loops and the
	 * CoAP thread). It installs its hooks with svc_set_conn_hooks and finds a request's state
	 * with svc_conn_state (s lives until handler_free). CLI_OK or the exit code. */
	int (*handler_new)(struct svc *s, const void *cfg, int nworkers, void **h);
	m2m_http_handler_fn handle; /* called with the handler made by handler_new */
	void (*stopped)(void *h);   /* after the loops stopped, before the server is freed; may be NULL */
	void (*handler_free)(void *h);
};

/* Run `m2msec <d->sec->name> --config FILE [--check]` with cfg (d's configuration type). */
int svc_main(const struct svc_def *d, void *cfg, int argc, char **argv);

#endif
