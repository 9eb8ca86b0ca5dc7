/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the service shell of m2msec's long-running services (service.h): what
 * `m2msec cse` and `m2msec mef` (later maf, das) share around their library procedures — the
 * command line, the bounded configuration read, the JSON-lines log sink, the TLS context
 * (certificates, trust anchors, psk-file, credential store; TS-0003 §8.2), the HTTP binding with
 * its limits, signals, and error messages that name the key, the value (a path or an address,
 * never a secret) and the configuration line that set it.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/logsink.h"
#include "cli/service.h"
#include "bindings/metrics_http.h"
#include "m2msec/config.h"
#include "m2msec/log.h"
#include "m2msec/rsc.h"
#include "store/pg_common.h"

#define CONFIG_MAX (256 * 1024)

static m2m_http_server *running_server;
/* SIGHUP's credential reload runs on a thread of its own (the handler only posts): a reload
 * reads files, which neither a signal handler nor an event-loop worker may do. */
static sem_t reload_sem;
static bool reload_sem_ok;
static atomic_bool reload_quit;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		cli_logsink_reopen(); /* log rotation; only sets a flag */
		if (reload_sem_ok)
			(void)sem_post(&reload_sem); /* async-signal-safe */
		return;
	}
	if (running_server != NULL)
		m2m_http_server_stop(running_server); /* only writes to a pipe */
}

const char *svc_on(const char *s)
{
	return (s != NULL && s[0] != '\0' && strcmp(s, "off") != 0) ? s : NULL;
}

void svc_usage_tail(FILE *f, const char *what)
{
	fprintf(f,
		"  --check        validate the configuration, open every credential file and bind the\n"
		"                 %s, then exit\n\n"
		"SIGTERM/SIGINT stop it gracefully (in-flight requests are answered); SIGHUP reopens\n"
		"log-file (rotation) and reloads cert, key, trust-anchors, psk-file and crl-file for new\n"
		"connections without dropping established ones.\n",
		what);
}

int svc_args(struct svc *s, int argc, char **argv, void (*usage)(FILE *), bool *check_only)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c, rc;

	s->path = NULL;
	*check_only = false;
	optind = 1;
	opterr = 0; /* one line in the format of every other subcommand, not getopt's own */
	while ((c = getopt_long(argc, argv, ":c:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': s->path = optarg; break;
		case 'k': *check_only = true; break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_bad_option(s->name, argv);
		}
	}
	if ((rc = cli_no_operands(s->name, argc, argv)) >= 0)
		return rc;
	if (s->path == NULL) {
		cli_errorf("%s: --config FILE is required (try --help)", s->name);
		return CLI_USAGE;
	}
	return -1;
}

int svc_read_config(const struct svc *s, char **text, size_t *len)
{
	m2m_err r = cli_read_file(s->path, CONFIG_MAX, 0, text, len);

	if (r != M2M_OK) {
		cli_errorf("%s: %s: %s", s->name, s->path, m2m_strerror(r));
		return cli_exit_code(r);
	}
	return CLI_OK;
}

int svc_config_error(const struct svc *s, const char *err)
{
	cli_errorf("%s: %s: %s", s->name, s->path, err);
	return CLI_USAGE;
}

int svc_errorf(const struct svc *s, const char *key, const char *value, const char *reason, int rc)
{
	unsigned line = s->line != NULL ? s->line(s->cfg, key) : 0;
	char where[32] = "";

	if (line > 0)
		snprintf(where, sizeof(where), "line %u: ", line);
	if (value != NULL)
		cli_errorf("%s: %s: %s%s %s: %s", s->name, s->path, where, key, value, reason);
	else
		cli_errorf("%s: %s: %s%s: %s", s->name, s->path, where, key, reason);
	return rc;
}

/* A configured file must exist before a module opens it: the modules report what is wrong with
 * its contents, this check names the missing file (ENOENT is the usual first-hour mistake). */
bool svc_file_missing(const struct svc *s, const char *key, const char *file, int *rc)
{
	struct stat st;

	if (file == NULL || file[0] == '\0' || stat(file, &st) == 0)
		return false;
	*rc = svc_errorf(s, key, file, errno == ENOENT ? "no such file" : strerror(errno), CLI_FAIL);
	return true;
}

bool svc_link_files_missing(const struct svc *s, const char *link, const char *ca, const char *cert,
			    const char *key, int *rc)
{
	const char *const files[] = {ca, cert, key}, *const suffix[] = {"ca", "cert", "key"};
	char name[32];

	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s-%s", link, suffix[i]);
		if (svc_file_missing(s, name, files[i], rc))
			return true;
	}
	return false;
}

/* The TLS layer prefixes its messages with the file they are about; map them back to the key. */
static int tls_error(const struct svc *s, m2m_err r, const char *msg)
{
	const struct { const char *prefix, *key, *value; } map[] = {
		{"certificate file: ", "cert", s->set.cert},
		{"key file: ", "key", s->set.key},
		{"psk file: ", "psk-file", s->set.psk_file},
		{"trust anchors: ", "trust-anchors", s->set.trust_anchors},
		{"sp-id: ", "sp-id", s->set.sp_id},
		{"crl file: ", "crl-file", s->set.crl_file},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].prefix);
		if (strncmp(msg, map[i].prefix, n) == 0)
			return svc_errorf(s, map[i].key, map[i].value ? map[i].value : "", msg + n, cli_exit_code(r));
	}
	/* Not about one file: one reason, never the library's text and the code's text twice. */
	cli_errorf("%s: %s: TLS: %s", s->name, s->path, msg[0] ? msg : m2m_strerror(r));
	return cli_exit_code(r);
}

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

int svc_open(struct svc *s)
{
	const struct svc_settings *c = &s->set;
	char err[512] = "";
	int rc = CLI_FAIL;
	m2m_err r;

	if (svc_file_missing(s, "cert", c->cert, &rc) || svc_file_missing(s, "key", c->key, &rc) ||
	    svc_file_missing(s, "trust-anchors", c->trust_anchors, &rc) ||
	    svc_file_missing(s, "psk-file", c->psk_file, &rc) ||
	    (!m2mi_pg_is_uri(c->cred_store) && svc_file_missing(s, "cred-store", c->cred_store, &rc)) ||
	    svc_file_missing(s, "crl-file", c->crl_file, &rc))
		return rc;
	if ((r = cli_logsink_install(c->log_file, c->log_level, c->log_requests)) != M2M_OK)
		return svc_errorf(s, "log-file", c->log_file, m2m_strerror(r), cli_exit_code(r));
	if (nonempty(c->cred_store) && (r = m2m_credstore_open(c->cred_store, &s->store)) != M2M_OK) {
		char shown[256]; /* a postgresql:// URI is shown without its password */

		m2mi_pg_redact(c->cred_store, shown, sizeof(shown));
		return svc_errorf(s, "cred-store", shown, m2m_strerror(r), cli_exit_code(r));
	}
	if (svc_on(c->https_listen) != NULL || (c->wss_listen != NULL && svc_on(c->wss_listen) != NULL)) {
		m2m_tls_config tc = {
			.cert_file = nonempty(c->cert),
			.key_file = nonempty(c->key),
			.trust_anchors = nonempty(c->trust_anchors),
			.psk_file = nonempty(c->psk_file),
			.store = s->store,
			.sp_id = c->sp_id,
			.allow_tls13 = c->tls13,
			.crl_file = nonempty(c->crl_file),
			.crl_refresh_s = c->crl_refresh_s,
		};
		if ((r = m2m_tls_new_ex(&tc, &s->tls, err, sizeof(err))) != M2M_OK)
			return tls_error(s, r, err);
	}
	return CLI_OK;
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

int svc_listen(struct svc *s, m2m_http_handler_fn fn, void *ctx)
{
	const struct svc_settings *c = &s->set;
	const char *why = "cannot bind (address in use or not permitted)";
	m2m_http_server_config hc = {
		.https_listen = svc_on(c->https_listen),
		.tls = s->tls,
		.http_listen = svc_on(c->http_listen),
		.threads = c->threads,
		.max_header = c->max_header,
		.max_body = c->max_body,
		.max_connections = (size_t)c->max_connections,
		.max_connections_per_address = (size_t)c->max_connections_per_address,
		.header_timeout_s = c->header_timeout,
		.psk_lookup_timeout_ms = c->psk_lookup_timeout_ms,
		.psk_lookups_max = (unsigned)c->psk_lookups_max,
		.wss_listen = c->wss_listen != NULL ? svc_on(c->wss_listen) : NULL,
		.drain_seconds = c->drain_seconds,
	};
	m2m_err r;

	if ((r = m2m_http_server_new(&hc, fn, ctx, &s->srv)) == M2M_OK) {
		if (c->metrics_listen == NULL || svc_on(c->metrics_listen) == NULL)
			return CLI_OK;
		if ((r = m2mi_metrics_http_start(c->metrics_listen, &s->metrics)) == M2M_OK) {
			m2m_log(M2M_LOG_INFO, "metrics listening on %s (port %d)", c->metrics_listen,
				m2mi_metrics_http_port(s->metrics));
			return CLI_OK;
		}
		return svc_errorf(s, "metrics-listen", c->metrics_listen,
				  r == M2M_E_CONFIG ? "must be a loopback address (127.0.0.1, ::1 or localhost): "
						      "/metrics has no authentication"
						    : r == M2M_E_HTTP_BIND ? why : m2m_strerror(r),
				  r == M2M_E_CONFIG ? CLI_USAGE : CLI_FAIL);
	}
	if (r == M2M_E_HTTP_BIND) {
		/* Name the listener at fault (the server reports only that one of them failed). */
		if (svc_on(c->https_listen) && !can_bind(c->https_listen))
			return svc_errorf(s, "https-listen", c->https_listen, why, CLI_FAIL);
		if (svc_on(c->http_listen) && !can_bind(c->http_listen))
			return svc_errorf(s, "http-listen", c->http_listen, why, CLI_FAIL);
		if (c->wss_listen != NULL && svc_on(c->wss_listen) && !can_bind(c->wss_listen))
			return svc_errorf(s, "wss-listen", c->wss_listen, why, CLI_FAIL);
	}
	cli_errorf("%s: %s: listen: %s", s->name, s->path, m2m_strerror(r));
	return cli_exit_code(r);
}

/* One context's reload, logged with the listener it serves; the reason names the file, never a key. */
static void reload_one(m2m_tls *tls, const char *what)
{
	char err[512];

	if (m2m_tls_reload(tls, err, sizeof(err)) == M2M_OK)
		m2m_log(M2M_LOG_INFO, "SIGHUP: credentials reloaded (cert, key, trust-anchors, psk-file, crl-file) for %s",
			what);
	else
		m2m_log(M2M_LOG_ERROR, "SIGHUP: reload failed, the loaded credentials stay in force: %s (%s)", err, what);
}

static void *reloader(void *arg)
{
	struct svc *s = arg;
	sigset_t set;

	sigfillset(&set); /* signals go to the main thread */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		while (sem_wait(&reload_sem) != 0 && errno == EINTR)
			;
		if (atomic_load(&reload_quit))
			break;
		if (s->tls == NULL && s->reload_also == NULL) {
			m2m_log(M2M_LOG_INFO, "SIGHUP: log reopened; no TLS credentials to reload");
			continue;
		}
		if (s->tls != NULL)
			reload_one(s->tls, "TLS (https/wss/coaps)");
		if (s->reload_also != NULL)
			reload_one(s->reload_also, s->reload_also_name != NULL ? s->reload_also_name : "listener");
	}
	return NULL;
}

m2m_err svc_run(struct svc *s)
{
	struct sigaction sa;
	pthread_t tid;
	bool reloading = false;
	m2m_err r;

	if (!reload_sem_ok && sem_init(&reload_sem, 0, 0) == 0)
		reload_sem_ok = true;
	atomic_store(&reload_quit, false);
	reloading = reload_sem_ok && pthread_create(&tid, NULL, reloader, s) == 0;
	running_server = s->srv;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit (RLIMIT_FSIZE) reached by the store or the log is a failed write (EFBIG:
	 * logged, 5000), not the end of the service. */
	signal(SIGXFSZ, SIG_IGN);
	r = m2m_http_server_run(s->srv);
	running_server = NULL;
	if (reloading) {
		atomic_store(&reload_quit, true);
		(void)sem_post(&reload_sem);
		pthread_join(tid, NULL);
	}
	return r;
}

void svc_close(struct svc *s)
{
	m2mi_metrics_http_stop(s->metrics); /* its thread only reads the registry */
	s->metrics = NULL;
	m2m_tls_stop_lookups(s->tls); /* loops stopped: before the servers its answers go to */
	svc_coap_close(s);
	m2m_http_server_free(s->srv);
	s->srv = NULL;
	m2m_tls_free(s->tls);
	s->tls = NULL;
	m2m_credstore_close(s->store);
	s->store = NULL;
	cli_logsink_close();
}

void svc_sp_id(const char *sp_id, char *out, size_t cap)
{
	out[0] = '\0';
	if (sp_id[0] != '\0')
		snprintf(out, cap, "%s%s", strncmp(sp_id, "//", 2) == 0 ? "" : "//", sp_id);
}

int svc_load(const struct svc *s, const struct svc_section *sec, void *cfg)
{
	char err[512] = "", *text = NULL;
	size_t len = 0;
	bool found = false;
	int rc;
	m2m_err r;

	sec->defaults(cfg);
	if ((rc = svc_read_config(s, &text, &len)) != CLI_OK)
		return rc;
	r = sec->parse(cfg, text, len, &found, err, sizeof(err));
	free(text);
	if (r == M2M_OK && !found)
		snprintf(err, sizeof(err), "no [%s] section", sec->name);
	if (r != M2M_OK || !found || sec->validate(cfg, err, sizeof(err)) != M2M_OK)
		return svc_config_error(s, err);
	return CLI_OK;
}

struct svc_dispatch {
	const struct svc_def *d;
	void *h; /* NULL until handler_new (after the listener, which fixes the number of threads) */
};

/* The shell's handler: forwards to the service's handler once it exists (nothing is served
 * before svc_run). */
static void dispatch(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct svc_dispatch *dp = ctx;

	if (dp->h == NULL) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
		return;
	}
	dp->d->handle(dp->h, thread_index, sa, req, rsp);
}

int svc_main(const struct svc_def *d, void *cfg, int argc, char **argv)
{
	bool check_only = false;
	const char *fqdn = "";
	struct svc_dispatch dp = {d, NULL};
	struct svc s = {.name = d->sec->name, .cfg = cfg, .line = d->sec->line};
	int rc;
	m2m_err r;

	if ((rc = svc_args(&s, argc, argv, d->usage, &check_only)) >= 0)
		return rc;
	if ((rc = svc_load(&s, d->sec, cfg)) != CLI_OK)
		return rc;
	if ((rc = d->prepare(&s, cfg, &fqdn)) != CLI_OK)
		return rc;
	if ((rc = svc_open(&s)) != CLI_OK || (rc = svc_listen(&s, dispatch, &dp)) != CLI_OK ||
	    (rc = svc_coap_listen(&s, dispatch, &dp)) != CLI_OK ||
	    (rc = d->handler_new(&s, cfg, svc_workers(&s), &dp.h)) != CLI_OK)
		goto out;
	if (check_only) {
		puts("configuration ok");
		goto out;
	}
	if ((r = svc_coap_start(&s)) != M2M_OK) {
		rc = cli_fail(d->sec->name, r);
		goto out;
	}
	if (s.coap != NULL)
		m2m_log(M2M_LOG_INFO, "%s %s listening https=%d coaps=%d threads=%d", d->banner, fqdn,
			m2m_http_server_port(s.srv, true), svc_coap_port(&s), m2m_http_server_threads(s.srv));
	else
		m2m_log(M2M_LOG_INFO, "%s %s listening https=%d threads=%d", d->banner, fqdn,
			m2m_http_server_port(s.srv, true), m2m_http_server_threads(s.srv));
	r = svc_run(&s);
	m2m_coap_server_stop(s.coap); /* before the resolvers it asks stop (d->stopped) */
	m2m_tls_stop_lookups(s.tls);  /* the credential store's lookup worker posts to the loops */
	m2m_log(M2M_LOG_INFO, "%s stopped", d->banner);
	if (dp.h != NULL && d->stopped != NULL)
		d->stopped(dp.h);
	rc = r == M2M_OK ? CLI_OK : cli_fail(d->sec->name, r);
out:
	svc_coap_close(&s);          /* its close hooks use the handler */
	m2m_http_server_free(s.srv); /* the server before the handler it calls */
	s.srv = NULL;
	if (dp.h != NULL)
		d->handler_free(dp.h);
	svc_close(&s);
	return rc;
}
