/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the load-generating TLS-PSK client of bench/cse (TS-0003 clause 8.2.2.1
 * pre-provisioned symmetric keys over TLS 1.2, clause 10.2 cipher suites). Three modes:
 *   handshakes  a loop of FULL TLS 1.2 handshakes, a new TCP connection each, no resumption
 *               (client session cache off, no tickets, no SSL_SESSION ever reused), nothing sent,
 *               close_notify, close; prints handshakes_per_s;
 *   load        N threads, each with ONE persistent connection sending keep-alive HTTP/1.1 GETs
 *               (oneM2M RETRIEVE headers) back to back, each response parsed (status line and
 *               Content-Length); prints requests_per_s, p50_us, p99_us and errors (non-200);
 *               with --create TY --body JSON, POSTs (oneM2M CREATE, TS-0009 clause 6.4.2) of
 *               that body instead, a response other than 201 being an error; with --plain, over
 *               plain TCP (the CSE's loopback http-listen) to measure the CSE without TLS;
 *               with --token T, each request carries `Authorization: T` (a oneM2M token, tkns
 *               of TS-0009 clause 6.4.19); with --tokens-file F, the i-th request of the run
 *               (over all connections) carries line i mod N of F, so that with more tokens than
 *               the CSE's verified-token cache holds every request presents an uncached token;
 *   hold        opens N connections, prints held=N, then idles until stdin closes or SIGTERM.
 * Every socket has TCP_NODELAY. Run `bench_tlsclient --help` for the options.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "m2msec/hex.h"
#include "m2msec/mem.h"

#include "bench_common.h"
#include "bench_driver.h"

#define PROG "bench_tlsclient"
#define RBUF 65536
#define MAX_CONNS 100000

static struct {
	const char *mode, *host, *identity, *cipher, *servername, *path, *origin, *body, *token;
	char **tokens; /* --tokens-file lines, ntokens of them */
	size_t ntokens;
	int port, conns, create_ty; /* create_ty > 0: load sends CREATEs of body */
	bool plain;                 /* load over plain TCP */
	double seconds;
	uint8_t psk[64];
	size_t psk_len;
} o = {.host = "127.0.0.1", .cipher = "PSK-AES128-CBC-SHA256", .conns = 1, .seconds = 5.0};

static atomic_int first_error_shown;
static atomic_ulong token_seq; /* --tokens-file: the next line to send, over all connections */
static volatile sig_atomic_t got_term;

static void usage(FILE *f)
{
	fputs("usage: " PROG " handshakes --port P --psk-identity ID --psk HEX --seconds S [--conns N]\n"
	      "       " PROG " load --port P --psk-identity ID --psk HEX --conns N --seconds S\n"
	      "                     --path PATH --origin ORIG [--create TY --body JSON]\n"
	      "                     [--token TOKEN | --tokens-file FILE]\n"
	      "       " PROG " hold --port P --psk-identity ID --psk HEX --conns N\n\n"
	      "TLS 1.2 PSK load generator for bench/cse. Common options:\n"
	      "  --host ADDR        IPv4 address of the server (default 127.0.0.1)\n"
	      "  --servername NAME  SNI host name to send (also the HTTP Host); default none\n"
	      "  --cipher LIST      TLS 1.2 cipher list (default PSK-AES128-CBC-SHA256)\n"
	      "handshakes: full handshakes (no resumption) in --conns threads (default 1), prints\n"
	      "  handshakes_per_s=N. load: one persistent connection per thread, keep-alive GETs,\n"
	      "  prints requests_per_s=N p50_us=N p99_us=N errors=N (exit 1 if errors > 0); with\n"
	      "  --create, POSTs of --body with Content-Type application/json;ty=TY (201 expected);\n"
	      "  with --plain, plain HTTP (no --psk-identity/--psk needed); with --token, the header\n"
	      "  Authorization: TOKEN in each request; with --tokens-file, one line of FILE per\n"
	      "  request, round robin over all connections.\n"
	      "hold: opens --conns connections, prints held=N, waits for stdin EOF or SIGTERM.\n",
	      f);
}

/* ---- TLS plumbing ------------------------------------------------------------------------------ */

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			   unsigned char *psk, unsigned int max_psk_len)
{
	(void)ssl;
	(void)hint;
	return bench_psk_copy(o.identity, o.psk, o.psk_len, identity, max_identity_len, psk, max_psk_len);
}

static void print_ssl_errors(const char *what)
{
	bench_ssl_errors(PROG, what, "connection closed by peer");
}

static SSL_CTX *make_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, o.cipher) != 1) {
		print_ssl_errors("cannot set up the TLS 1.2 client context");
		exit(1);
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	if (strcmp(o.mode, "hold") == 0) /* idle connections: keep this process small as well */
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	return ctx;
}

static int tcp_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	int one = 1, fd;

	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1) {
		fprintf(stderr, PROG ": --host %s is not an IPv4 address\n", o.host);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, PROG ": connect %s:%d: %s\n", o.host, o.port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A completed TLS 1.2 PSK connection, or NULL with the reason on stderr. */
static SSL *tls_open(SSL_CTX *ctx)
{
	int fd = tcp_connect();
	SSL *ssl;

	if (fd < 0)
		return NULL;
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    (o.servername != NULL && SSL_set_tlsext_host_name(ssl, o.servername) != 1)) {
		print_ssl_errors("SSL_new");
		goto fail;
	}
	errno = 0;
	if (SSL_connect(ssl) != 1) {
		print_ssl_errors("TLS-PSK handshake failed");
		goto fail;
	}
	if (SSL_session_reused(ssl)) {
		fprintf(stderr, PROG ": a session was resumed although resumption is off\n");
		goto fail;
	}
	return ssl;
fail:
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void tls_close(SSL *ssl)
{
	int fd;

	if (ssl == NULL)
		return;
	fd = SSL_get_fd(ssl);
	(void)SSL_shutdown(ssl); /* send close_notify; do not wait for the peer's */
	SSL_free(ssl);
	close(fd);
}

/* ---- handshakes ---------------------------------------------------------------------------------- */

static int mode_handshakes(void)
{
	SSL_CTX *ctx = make_ctx();
	int rc = bench_handshakes(PROG, ctx, o.conns, o.seconds, tls_open, tls_close);

	SSL_CTX_free(ctx);
	return rc;
}

/* ---- load ---------------------------------------------------------------------------------------- */

struct ld_worker {
	struct bench_worker b; /* first: the driver's part */
	SSL_CTX *ctx;
	SSL *ssl;
	int fd; /* --plain */
	long reconnects;
	size_t blen;
	char buf[RBUF];
};

/* One load connection: TLS, or plain TCP with --plain. 0 on success. */
static int ld_open(struct ld_worker *w)
{
	if (o.plain)
		return (w->fd = tcp_connect()) < 0 ? -1 : 0;
	return (w->ssl = tls_open(w->ctx)) == NULL ? -1 : 0;
}

static void ld_close(struct ld_worker *w)
{
	if (o.plain && w->fd >= 0)
		close(w->fd);
	else if (!o.plain)
		tls_close(w->ssl);
	w->fd = -1;
	w->ssl = NULL;
}

static bool ld_write(struct ld_worker *w, const char *p, int n)
{
	ssize_t k;

	if (!o.plain)
		return SSL_write(w->ssl, p, n) == n;
	for (; n > 0; p += k, n -= (int)k)
		if ((k = write(w->fd, p, (size_t)n)) <= 0)
			return false;
	return true;
}

static int ld_read(struct ld_worker *w, char *p, size_t cap)
{
	return o.plain ? (int)read(w->fd, p, cap) : SSL_read(w->ssl, p, (int)cap);
}

static bool header_is(const char *line, size_t len, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	*val = line + n + 1;
	while (**val == ' ' || **val == '\t')
		(*val)++;
	return true;
}

static void show_first_error(const struct ld_worker *w, const char *why, size_t len)
{
	if (atomic_exchange(&first_error_shown, 1) != 0)
		return;
	fprintf(stderr, PROG ": first error (connection %d): %s\n", w->b.idx, why);
	if (len > 0)
		fprintf(stderr, "----\n%.*s\n----\n", (int)(len > 2048 ? 2048 : len), w->buf);
}

/* Reads one response into w->buf. 1: complete (status, *close set), 0: connection lost, -1: bad. */
static int read_response(struct ld_worker *w, int *status, bool *conn_close, size_t *total)
{
	char *eoh = NULL;
	size_t hlen = 0;
	long clen = -1;

	w->blen = 0;
	*conn_close = false;
	for (;;) {
		if (eoh == NULL && (eoh = memmem(w->buf, w->blen, "\r\n\r\n", 4)) != NULL) {
			char *line = w->buf, *end;
			hlen = (size_t)(eoh - w->buf) + 4;
			if (sscanf(w->buf, "HTTP/1.%*1[01] %3d", status) != 1) {
				show_first_error(w, "malformed status line", w->blen);
				return -1;
			}
			while ((end = memmem(line, (size_t)(eoh + 2 - line), "\r\n", 2)) != NULL && line < eoh) {
				const char *v;
				if (header_is(line, (size_t)(end - line), "content-length", &v))
					clen = strtol(v, NULL, 10);
				else if (header_is(line, (size_t)(end - line), "connection", &v) && strncasecmp(v, "close", 5) == 0)
					*conn_close = true;
				else if (header_is(line, (size_t)(end - line), "transfer-encoding", &v)) {
					show_first_error(w, "Transfer-Encoding is not supported by this client", w->blen);
					return -1;
				}
				line = end + 2;
			}
			if (clen < 0 || clen > (long)(RBUF - hlen)) {
				show_first_error(w, "response without a usable Content-Length", w->blen);
				return -1;
			}
		}
		if (eoh != NULL && w->blen >= hlen + (size_t)clen) {
			*total = hlen + (size_t)clen;
			return 1;
		}
		if (w->blen == RBUF) {
			show_first_error(w, "response header block too large", w->blen);
			return -1;
		}
		int r = ld_read(w, w->buf + w->blen, RBUF - w->blen);
		if (r <= 0) {
			if (bench_now() < *w->b.deadline) {
				char why[80];
				snprintf(why, sizeof(why), "connection lost while reading a response (SSL error %d)",
					 o.plain ? -1 : SSL_get_error(w->ssl, r));
				show_first_error(w, why, w->blen);
			}
			return 0;
		}
		w->blen += (size_t)r;
	}
}

static void *ld_run(void *arg)
{
	struct ld_worker *w = arg;
	char req[16384];
	unsigned long seq = 0;
	int want = o.create_ty > 0 ? 201 : 200;

	w->b.fatal = ld_open(w) != 0;
	bench_worker_ready(&w->b);
	while (bench_worker_running(&w->b)) {
		int status = 0, rl;
		bool conn_close;
		size_t total = 0;
		double t0 = bench_now();
		int n = snprintf(req, sizeof(req),
				 "%s %s HTTP/1.1\r\nHost: %s\r\nX-M2M-Origin: %s\r\nX-M2M-RI: b%d-%lu\r\n"
				 "X-M2M-RVI: 3\r\nAccept: application/json\r\n",
				 o.create_ty > 0 ? "POST" : "GET", o.path, o.servername ? o.servername : o.host,
				 o.origin, w->b.idx, seq++);
		const char *tok = o.tokens != NULL ? o.tokens[atomic_fetch_add(&token_seq, 1) % o.ntokens] : o.token;
		if (tok != NULL && n > 0 && (size_t)n < sizeof(req))
			n += snprintf(req + n, sizeof(req) - (size_t)n, "Authorization: %s\r\n", tok);
		if (n > 0 && (size_t)n < sizeof(req))
			n += o.create_ty > 0 ? snprintf(req + n, sizeof(req) - (size_t)n,
							"Content-Type: application/json;ty=%d\r\n"
							"Content-Length: %zu\r\n\r\n%s",
							o.create_ty, strlen(o.body), o.body)
					     : snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
		if (n <= 0 || (size_t)n >= sizeof(req)) {
			w->b.fatal = 1;
			break;
		}
		rl = ld_write(w, req, n) ? read_response(w, &status, &conn_close, &total) : 0;
		if (rl == 1) {
			if (bench_worker_sample(&w->b, bench_now() - t0) != 0) {
				w->b.fatal = 1;
				break;
			}
			if (status != want) {
				w->b.errors++;
				char why[64];
				snprintf(why, sizeof(why), "HTTP status %d", status);
				show_first_error(w, why, total);
			}
			if (!conn_close)
				continue;
		} else if (bench_now() < *w->b.deadline) {
			w->b.errors++;
		}
		if (rl == -1 || bench_now() >= *w->b.deadline)
			break; /* cannot resynchronise on a malformed stream; or done */
		ld_close(w);
		w->reconnects++;
		w->b.fatal = ld_open(w) != 0;
	}
	return NULL;
}

static int mode_load(void)
{
	SSL_CTX *ctx = o.plain ? NULL : make_ctx();
	struct ld_worker *w = calloc((size_t)o.conns, sizeof(*w));
	struct bench_load_result r;
	long reconnects = 0;

	if (w == NULL)
		return 1;
	for (int i = 0; i < o.conns; i++) {
		w[i].fd = -1;
		w[i].ctx = ctx;
	}
	if (bench_load(PROG, w, sizeof(*w), o.conns, o.seconds, ld_run, &r) != 0)
		return 1;
	for (int i = 0; i < o.conns; i++) {
		reconnects += w[i].reconnects;
		ld_close(&w[i]);
	}
	printf("requests_per_s=%.0f p50_us=%u p99_us=%u errors=%ld requests=%zu conns=%d reconnects=%ld "
	       "seconds=%.2f\n",
	       (double)r.requests / r.seconds, r.p50_us, r.p99_us, r.errors, r.requests, o.conns, reconnects, r.seconds);
	free(w);
	SSL_CTX_free(ctx);
	if (r.fatal)
		fprintf(stderr, PROG ": load: at least one connection failed (see above)\n");
	return r.fatal || r.errors > 0 || r.requests == 0 ? 1 : 0;
}

/* ---- hold ---------------------------------------------------------------------------------------- */

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int mode_hold(void)
{
	struct rlimit rl;
	struct sigaction sa;
	SSL_CTX *ctx;
	SSL **conns;
	int held = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || (rl.rlim_cur != RLIM_INFINITY && (rlim_t)o.conns + 16 > rl.rlim_cur)) {
		fprintf(stderr, PROG ": hold: %d connections need more file descriptors than the limit %llu\n", o.conns,
			(unsigned long long)rl.rlim_cur);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	ctx = make_ctx();
	if ((conns = calloc((size_t)o.conns, sizeof(*conns))) == NULL)
		return 1;
	for (; held < o.conns && !got_term; held++) {
		if ((conns[held] = tls_open(ctx)) == NULL) {
			fprintf(stderr, PROG ": hold: connection %d of %d failed\n", held + 1, o.conns);
			return 1;
		}
	}
	printf("held=%d\n", held);
	fflush(stdout);
	while (!got_term) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		char c[256];
		int r = poll(&p, 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			break;
		if (read(STDIN_FILENO, c, sizeof(c)) <= 0)
			break; /* EOF */
	}
	for (int i = 0; i < held; i++)
		tls_close(conns[i]);
	free(conns);
	SSL_CTX_free(ctx);
	return 0;
}

/* ---- main ---------------------------------------------------------------------------------------- */

/* --tokens-file: one token per line (blank lines skipped), kept for the whole run. 0 on success. */
static int read_tokens(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t len;

	if (f == NULL) {
		fprintf(stderr, PROG ": --tokens-file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (len > 8192 || strpbrk(line, " \t") != NULL) {
			fprintf(stderr, PROG ": --tokens-file %s: line %zu is not one compact token\n", path, o.ntokens + 1);
			break;
		}
		if (o.ntokens == alloc) {
			char **p = realloc(o.tokens, (alloc = alloc ? 2 * alloc : 1024) * sizeof(*p));
			if (p == NULL)
				break;
			o.tokens = p;
		}
		if ((o.tokens[o.ntokens] = strdup(line)) == NULL)
			break;
		o.ntokens++;
	}
	free(line);
	bool ok = !ferror(f) && feof(f) && o.ntokens > 0;
	fclose(f);
	if (!ok)
		fprintf(stderr, PROG ": --tokens-file %s: no usable tokens\n", path);
	return ok ? 0 : -1;
}

static double parse_num(const char *opt, const char *s, double lo, double hi, bool integral)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi) || (integral && v != (double)(long)v)) {
		fprintf(stderr, PROG ": --%s %s: expected %s in [%g, %g]\n", opt, s, integral ? "an integer" : "a number",
			lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},	      {"psk-identity", required_argument, NULL, 'i'},
		{"psk", required_argument, NULL, 'k'},	      {"seconds", required_argument, NULL, 's'},
		{"conns", required_argument, NULL, 'c'},      {"path", required_argument, NULL, 'P'},
		{"origin", required_argument, NULL, 'o'},     {"cipher", required_argument, NULL, 'C'},
		{"host", required_argument, NULL, 'H'},	      {"servername", required_argument, NULL, 'S'},
		{"create", required_argument, NULL, 'T'},     {"body", required_argument, NULL, 'B'},
		{"plain", no_argument, NULL, 'N'},	      {"token", required_argument, NULL, 'A'},
		{"tokens-file", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	const char *psk_hex = NULL, *tokens_file = NULL;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o.port = (int)parse_num("port", optarg, 1, 65535, true); break;
		case 'i': o.identity = optarg; break;
		case 'k': psk_hex = optarg; break;
		case 's': o.seconds = parse_num("seconds", optarg, 0.01, 3600, false); break;
		case 'c': o.conns = (int)parse_num("conns", optarg, 1, MAX_CONNS, true); break;
		case 'P': o.path = optarg; break;
		case 'o': o.origin = optarg; break;
		case 'C': o.cipher = optarg; break;
		case 'H': o.host = optarg; break;
		case 'S': o.servername = optarg; break;
		case 'T': o.create_ty = (int)parse_num("create", optarg, 1, 65535, true); break;
		case 'B': o.body = optarg; break;
		case 'N': o.plain = true; break;
		case 'A': o.token = optarg; break;
		case 'F': tokens_file = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (o.plain && strcmp(o.mode, "load") != 0) {
		fprintf(stderr, PROG ": --plain is for load only\n");
		return 2;
	}
	if (optind != argc || o.port == 0 || (!o.plain && (o.identity == NULL || psk_hex == NULL))) {
		fprintf(stderr, PROG ": --port, --psk-identity and --psk are required (see --help)\n");
		return 2;
	}
	if (!o.plain &&
	    (m2m_hex_decode(psk_hex, strlen(psk_hex), o.psk, sizeof(o.psk), &o.psk_len) != M2M_OK || o.psk_len == 0)) {
		fprintf(stderr, PROG ": --psk: expected 1 to 64 bytes of hex\n");
		return 2;
	}
	if (o.token != NULL && tokens_file != NULL) {
		fprintf(stderr, PROG ": --token and --tokens-file exclude each other\n");
		return 2;
	}
	if (tokens_file != NULL && read_tokens(tokens_file) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.mode, "handshakes") == 0) {
		rc = mode_handshakes();
	} else if (strcmp(o.mode, "load") == 0) {
		if (o.path == NULL || o.origin == NULL || o.path[0] != '/' || (o.create_ty > 0) != (o.body != NULL)) {
			fprintf(stderr, PROG ": load needs --path /... and --origin (--create and --body together)\n");
			return 2;
		}
		rc = mode_load();
	} else if (strcmp(o.mode, "hold") == 0) {
		rc = mode_hold();
	} else {
		fprintf(stderr, PROG ": unknown mode '%s' (handshakes, load or hold)\n", o.mode);
		return 2;
	}
	m2m_memzero(o.psk, sizeof(o.psk));
	return rc;
}
