/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the baseline server of bench/cse: a bare TLS HTTP "hello" server built on
 * the same stack as the CSE's HTTP binding (TS-0009 over TLS 1.2 PSK, TS-0003 clauses 8.2.2.1 and
 * 10.2) but without any oneM2M processing. libevent evhttp over bufferevent_openssl, one SSL_CTX
 * (TLS 1.2 only, PSK server callback with ONE identity/key from the command line, the PSK cipher
 * suites, SSL_MODE_RELEASE_BUFFERS, no session cache, no tickets), T threads each with its own
 * event_base and evhttp on its own SO_REUSEPORT listening socket for the same port (the CSE's
 * concurrency model), TCP_NODELAY, and a 200 reply with a ~200-byte contentInstance-like JSON body
 * to every GET. Usage: bench_hello --port P --psk-identity ID --psk HEX --threads T.
 * SIGTERM/SIGINT stop it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "m2msec/hex.h"
#include "m2msec/mem.h"

#define PROG "bench_hello"
#define MAX_THREADS 64
#define CIPHERS                                                                                                 \
	"PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256:PSK-AES256-GCM-SHA384:PSK-AES256-CBC-SHA384:" \
	"PSK-AES128-CCM"

/* The size and shape of a contentInstance representation (TS-0004 m2m:cin). */
static const char BODY[] = "{\"m2m:cin\":{\"rn\":\"bcin\",\"ty\":4,\"ri\":\"cin00000000000000001\","
			   "\"pi\":\"cnt00000000000000001\",\"ct\":\"20250101T000000\",\"lt\":\"20250101T000000\","
			   "\"et\":\"20991231T235959\",\"st\":0,\"cs\":5,\"cnf\":\"text/plain:0\",\"con\":\"hello\"}}";

static const char *identity;
static uint8_t psk[64];
static size_t psk_len;

struct worker {
	pthread_t th;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ctx;
};

static unsigned int psk_cb(SSL *ssl, const char *id, unsigned char *out, unsigned int max_len)
{
	(void)ssl;
	if (id == NULL || strcmp(id, identity) != 0 || psk_len > max_len)
		return 0;
	memcpy(out, psk, psk_len);
	return (unsigned int)psk_len;
}

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(arg);

	if (ssl == NULL)
		return NULL;
	/* fd -1: evhttp sets the accepted socket; the handshake then runs in the ACCEPTING state. */
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	const char *ri = evhttp_find_header(evhttp_request_get_input_headers(req), "X-M2M-RI");

	(void)arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, NULL);
		return;
	}
	(void)evhttp_add_header(oh, "Content-Type", "application/json");
	(void)evhttp_add_header(oh, "X-M2M-RSC", "2000");
	(void)evhttp_add_header(oh, "X-M2M-RVI", "3");
	if (ri != NULL)
		(void)evhttp_add_header(oh, "X-M2M-RI", ri);
	(void)evbuffer_add(evhttp_request_get_output_buffer(req), BODY, sizeof(BODY) - 1);
	evhttp_send_reply(req, 200, "OK", NULL);
}

static int listen_socket(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	/* TCP_NODELAY on the listener is inherited by every accepted socket (Linux). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4096) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static SSL_CTX *make_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1) {
		ERR_print_errors_fp(stderr);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_psk_server_callback(ctx, psk_cb);
	return ctx;
}

static void usage(FILE *f)
{
	fputs("usage: " PROG " --port P --psk-identity ID --psk HEX [--threads T]\n\n"
	      "Bare TLS 1.2 PSK HTTP server on 127.0.0.1:P (libevent evhttp + bufferevent_openssl, T\n"
	      "SO_REUSEPORT event loops, default 2) answering every GET with 200 and a small JSON body.\n"
	      "The baseline of bench/cse. Stops on SIGTERM or SIGINT.\n",
	      f);
}

static int parse_int(const char *opt, const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, PROG ": --%s %s: expected an integer in [%d, %d]\n", opt, s, lo, hi);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},	   {"psk-identity", required_argument, NULL, 'i'},
		{"psk", required_argument, NULL, 'k'},	   {"threads", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	static struct worker w[MAX_THREADS];
	const char *psk_hex = NULL;
	int c, port = 0, nthreads = 2, rc = 1, started = 0, sig;
	struct rlimit rl;
	sigset_t set;
	SSL_CTX *ctx = NULL;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': port = parse_int("port", optarg, 1, 65535); break;
		case 'i': identity = optarg; break;
		case 'k': psk_hex = optarg; break;
		case 't': nthreads = parse_int("threads", optarg, 1, MAX_THREADS); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || port == 0 || identity == NULL || psk_hex == NULL) {
		fprintf(stderr, PROG ": --port, --psk-identity and --psk are required (see --help)\n");
		return 2;
	}
	if (m2m_hex_decode(psk_hex, strlen(psk_hex), psk, sizeof(psk), &psk_len) != M2M_OK || psk_len == 0) {
		fprintf(stderr, PROG ": --psk: expected 1 to 64 bytes of hex\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Block the stop signals in every thread; main waits for them with sigwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0 || (ctx = make_ctx()) == NULL) {
		fprintf(stderr, PROG ": cannot set up libevent threads / the TLS context\n");
		goto out;
	}
	for (int i = 0; i < nthreads; i++) {
		int fd = listen_socket(port);
		w[i].ctx = ctx;
		if (fd < 0) {
			fprintf(stderr, PROG ": listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
			goto out;
		}
		if ((w[i].base = event_base_new()) == NULL || (w[i].http = evhttp_new(w[i].base)) == NULL ||
		    evhttp_accept_socket_with_handle(w[i].http, fd) == NULL) {
			fprintf(stderr, PROG ": libevent setup failed\n");
			close(fd);
			goto out;
		}
		evhttp_set_bevcb(w[i].http, bevcb, ctx);
		evhttp_set_gencb(w[i].http, on_request, NULL);
	}
	for (; started < nthreads; started++) {
		if (pthread_create(&w[started].th, NULL, run, &w[started]) != 0) {
			fprintf(stderr, PROG ": pthread_create failed\n");
			goto out;
		}
	}
	printf(PROG ": listening on 127.0.0.1:%d, %d threads\n", port, nthreads);
	fflush(stdout);
	if (sigwait(&set, &sig) == 0)
		rc = 0;
out:
	for (int i = 0; i < started; i++)
		event_base_loopbreak(w[i].base);
	for (int i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	for (int i = 0; i < nthreads && i < MAX_THREADS; i++) {
		if (w[i].http != NULL)
			evhttp_free(w[i].http);
		if (w[i].base != NULL)
			event_base_free(w[i].base);
	}
	SSL_CTX_free(ctx);
	m2m_memzero(psk, sizeof(psk));
	return rc;
}
