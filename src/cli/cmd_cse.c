/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec cse --config FILE`: the secure IN-CSE process (TS-0001 clause 10,
 * TS-0003 clauses 7.1 and 8.2). It only wires parts of the library together: the strict
 * configuration (docs/config.md), the JSON-lines log sink, the TLS security-association layer
 * (psk-file, credential store, certificates), the CSE core with one worker per event-loop
 * thread, and the HTTP binding. SIGTERM/SIGINT stop it gracefully; SIGHUP reopens the log file.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/logsink.h"
#include "m2msec/config.h"
#include "m2msec/credstore.h"
#include "m2msec/cse.h"
#include "m2msec/http.h"
#include "m2msec/log.h"
#include "m2msec/tls.h"

#define CONFIG_MAX (256 * 1024)

static m2m_http_server *running_server;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		cli_logsink_reopen(); /* log rotation; only sets a flag */
		return;
	}
	if (running_server != NULL)
		m2m_http_server_stop(running_server); /* only writes to a pipe */
}

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

static const char *on(const char *s)
{
	return (s[0] != '\0' && strcmp(s, "off") != 0) ? s : NULL;
}

static void usage(FILE *f)
{
	fputs("usage: m2msec cse --config FILE [--check]\n\n"
	      "Run the secure IN-CSE: HTTPS (TLS 1.2, and TLS 1.3 unless tls13 = false; PSK and\n"
	      "certificates, TS-0003 8.2) with the authenticated identity bound to the originator and\n"
	      "access control per TS-0003 7.1.\n\n"
	      "  --config FILE  INI configuration (every key in docs/config.md)\n"
	      "  --check        validate the configuration, open every credential file and bind the\n"
	      "                 listeners, then exit\n\n"
	      "SIGTERM/SIGINT stop it gracefully; SIGHUP reopens log-file (rotation).\n", f);
}

/* Every error of this command is one line, "m2msec: cse: <config>: [line N: ]<what>: <reason>",
 * naming the configuration key, the value (a path or listen address, never a secret) and the line
 * of the configuration file that set it, so the operator knows what to fix. */
struct cse_err {
	const char *path;            /* the configuration file */
	const m2m_cse_config *cfg;
};

static int cse_errorf(const struct cse_err *e, const char *key, const char *value, const char *reason,
		      int rc)
{
	unsigned line = m2m_cse_config_line(e->cfg, key);
	char where[32] = "";

	if (line > 0)
		snprintf(where, sizeof(where), "line %u: ", line);
	if (value != NULL)
		cli_errorf("cse: %s: %s%s %s: %s", e->path, where, key, value, reason);
	else
		cli_errorf("cse: %s: %s%s: %s", e->path, where, key, reason);
	return rc;
}

/* A configured file must exist before a module opens it: the modules report what is wrong with
 * its contents, this check names the missing file (ENOENT is the usual first-hour mistake). */
static bool file_missing(const struct cse_err *e, const char *key, const char *file, int *rc)
{
	struct stat st;

	if (file[0] == '\0' || stat(file, &st) == 0)
		return false;
	*rc = cse_errorf(e, key, file, errno == ENOENT ? "no such file" : strerror(errno), CLI_FAIL);
	return true;
}

/* The TLS layer prefixes its messages with the file they are about; map them back to the key. */
static int tls_error(const struct cse_err *e, m2m_err r, const char *msg)
{
	static const struct { const char *prefix, *key; size_t field; } map[] = {
		{"certificate file: ", "cert", offsetof(m2m_cse_config, cert)},
		{"key file: ", "key", offsetof(m2m_cse_config, key)},
		{"psk file: ", "psk-file", offsetof(m2m_cse_config, psk_file)},
		{"trust anchors: ", "trust-anchors", offsetof(m2m_cse_config, trust_anchors)},
		{"sp-id: ", "sp-id", offsetof(m2m_cse_config, sp_id)},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].prefix);
		if (strncmp(msg, map[i].prefix, n) == 0)
			return cse_errorf(e, map[i].key, (const char *)e->cfg + map[i].field, msg + n,
					  cli_exit_code(r));
	}
	/* Not about one file: one reason, never the library's text and the code's text twice. */
	cli_errorf("cse: %s: TLS: %s", e->path, msg[0] ? msg : m2m_strerror(r));
	return cli_exit_code(r);
}

/* true when host:port can be bound now (SO_REUSEADDR, like the listener). */
static bool can_bind(const char *listen)
{
	char host[256], portstr[8];
	struct addrinfo hints = {0}, *ai = NULL;
	int port, fd, one = 1;
	bool ok = false;

	if (m2m_config_split_listen(listen, host, sizeof(host), &port) != M2M_OK)
		return false;
	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, portstr, &hints, &ai) != 0)
		return false;
	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ok = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
		close(fd);
	}
	freeaddrinfo(ai);
	return ok;
}

static int listen_error(const struct cse_err *e, m2m_err r)
{
	const m2m_cse_config *cfg = e->cfg;
	const char *why = "cannot bind (address in use or not permitted)";

	if (r == M2M_E_HTTP_BIND) {
		/* Name the listener at fault (the server reports only that one of them failed). */
		if (on(cfg->https_listen) && !can_bind(cfg->https_listen))
			return cse_errorf(e, "https-listen", cfg->https_listen, why, CLI_FAIL);
		if (on(cfg->http_listen) && !can_bind(cfg->http_listen))
			return cse_errorf(e, "http-listen", cfg->http_listen, why, CLI_FAIL);
	}
	cli_errorf("cse: %s: listen: %s", e->path, m2m_strerror(r));
	return cli_exit_code(r);
}

int cli_cse_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *path = NULL;
	bool check_only = false;
	m2m_cse_config cfg;
	char err[512] = "", *text = NULL;
	size_t len = 0;
	m2m_credstore *store = NULL;
	m2m_tls *tls = NULL;
	m2m_cse *cse = NULL;
	m2m_http_server *srv = NULL;
	struct cse_ctx ctx = {NULL, 0, NULL, NULL};
	int rc = CLI_FAIL, c;
	m2m_err r;

	optind = 1;
	opterr = 0; /* one line in the format of every other subcommand, not getopt's own */
	while ((c = getopt_long(argc, argv, ":c:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': check_only = true; break;
		case 'h': usage(stdout); return CLI_OK;
		default:
			cli_errorf("cse: unknown or incomplete option '%s' (try --help)", argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_errorf("cse: unexpected argument '%s' (try --help)", argv[optind]);
		return CLI_USAGE;
	}
	if (path == NULL) {
		cli_errorf("cse: --config FILE is required (try --help)");
		return CLI_USAGE;
	}
	m2m_cse_config_defaults(&cfg);
	struct cse_err e = {path, &cfg};
	if ((r = cli_read_file(path, CONFIG_MAX, 0, &text, &len)) != M2M_OK) {
		cli_errorf("cse: %s: %s", path, m2m_strerror(r));
		return cli_exit_code(r);
	}
	r = m2m_cse_config_parse(&cfg, text, len, err, sizeof(err));
	free(text);
	if (r != M2M_OK || (r = m2m_cse_config_validate(&cfg, err, sizeof(err))) != M2M_OK) {
		cli_errorf("cse: %s: %s", path, err);
		return CLI_USAGE;
	}
	if (file_missing(&e, "cert", cfg.cert, &rc) || file_missing(&e, "key", cfg.key, &rc) ||
	    file_missing(&e, "trust-anchors", cfg.trust_anchors, &rc) ||
	    file_missing(&e, "psk-file", cfg.psk_file, &rc) ||
	    file_missing(&e, "cred-store", cfg.cred_store, &rc))
		return rc;
	if ((r = cli_logsink_install(cfg.log_file, cfg.log_level, cfg.log_requests)) != M2M_OK)
		return cse_errorf(&e, "log-file", cfg.log_file, m2m_strerror(r), cli_exit_code(r));
	if (cfg.cred_store[0] != '\0' && (r = m2m_credstore_open(cfg.cred_store, &store)) != M2M_OK) {
		rc = cse_errorf(&e, "cred-store", cfg.cred_store, m2m_strerror(r), cli_exit_code(r));
		goto out;
	}
	if (on(cfg.https_listen) != NULL) {
		m2m_tls_config tc = {
			.cert_file = cfg.cert[0] ? cfg.cert : NULL,
			.key_file = cfg.key[0] ? cfg.key : NULL,
			.trust_anchors = cfg.trust_anchors[0] ? cfg.trust_anchors : NULL,
			.psk_file = cfg.psk_file[0] ? cfg.psk_file : NULL,
			.store = store,
			.sp_id = cfg.sp_id,
			.allow_tls13 = cfg.tls13,
			.crl_file = cfg.crl_file[0] ? cfg.crl_file : NULL,
			.crl_refresh_s = cfg.crl_refresh_seconds,
		};
		err[0] = '\0';
		if ((r = m2m_tls_new_ex(&tc, &tls, err, sizeof(err))) != M2M_OK) {
			rc = tls_error(&e, r, err);
			goto out;
		}
	}
	if ((r = m2m_cse_new(&cfg, &cse)) != M2M_OK) {
		rc = cse_errorf(&e, "store", cfg.store, m2m_strerror(r), cli_exit_code(r));
		goto out;
	}
	m2m_http_server_config hc = {
		.https_listen = on(cfg.https_listen),
		.tls = tls,
		.http_listen = on(cfg.http_listen),
		.threads = cfg.threads,
		.max_header = cfg.max_header,
		.max_body = cfg.max_body,
		.max_connections = (size_t)cfg.max_connections,
		.max_connections_per_address = (size_t)cfg.max_connections_per_address,
		.header_timeout_s = cfg.header_timeout,
	};
	if ((r = m2m_http_server_new(&hc, handle, &ctx, &srv)) != M2M_OK) {
		rc = listen_error(&e, r);
		goto out;
	}
	ctx.nworkers = m2m_http_server_threads(srv);
	ctx.srv = srv;
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
	if (check_only) {
		puts("configuration ok");
		rc = CLI_OK;
		goto out;
	}
	m2m_log(M2M_LOG_INFO, "CSE %s (%s) listening https=%d http=%d threads=%d", cfg.cse_id, cfg.name,
		m2m_http_server_port(srv, true), m2m_http_server_port(srv, false), ctx.nworkers);
	running_server = srv;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit (RLIMIT_FSIZE) reached by the store or the log is a failed write (EFBIG:
	 * logged, 5000), not the end of the service. */
	signal(SIGXFSZ, SIG_IGN);
	r = m2m_http_server_run(srv);
	running_server = NULL;
	m2m_log(M2M_LOG_INFO, "CSE stopped");
	rc = r == M2M_OK ? CLI_OK : cli_fail("cse", r);
out:
	for (int i = 0; i < ctx.nworkers && ctx.workers != NULL; i++)
		m2m_cse_worker_free(ctx.workers[i]); /* before the server: no wake after this */
	free(ctx.workers);
	free(ctx.links);
	m2m_http_server_free(srv);
	m2m_cse_free(cse);
	m2m_tls_free(tls);
	m2m_credstore_close(store);
	cli_logsink_close();
	return rc;
}
