/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the load-generating DTLS 1.2 PSK client of bench/cse section (6), CoAP over
 * DTLS (TS-0008 clause 7, TS-0003 clause 10.2 TLS_PSK_WITH_AES_128_CCM_8). It is a program of its
 * own rather than a mode of bench_tlsclient because UDP/DTLS shares nothing with that client's
 * TCP/HTTP plumbing but the PSK callback, and both together would pass the file size cap. Modes:
 *   dtls-handshakes  a loop of FULL DTLS 1.2 PSK handshakes, a new UDP socket (new source port)
 *                    each: ClientHello, HelloVerifyRequest with the server's cookie (RFC 6347
 *                    clause 4.2.1), ClientHello with the cookie, full handshake; no resumption
 *                    (session cache off, no tickets), nothing sent, close_notify, close; prints
 *                    handshakes_per_s;
 *   coap-load        N threads, each with ONE DTLS session sending CON GETs (oneM2M RETRIEVE,
 *                    TS-0008 clause 6.2) back to back: Uri-Path, RVI (271), From (279), RQI (283),
 *                    encoded by the CSE's own RFC 7252 codec (bindings/coap_wire.c), each answer
 *                    decoded and checked (piggybacked ACK, same Message ID and token, code 2.05);
 *                    prints requests_per_s, p50_us, p99_us and errors (exit 1 if errors > 0).
 * Output fields match bench_tlsclient's so bench/cse accumulates both alike.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread barriers */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bindings/coap_wire.h"
#include "m2msec/hex.h"

#include "bench_common.h"
#include "bench_driver.h"

#define PROG "bench_dtls"
#define DGRAM 16384
#define MAX_PATH_SEGS 16

static struct {
	const char *mode, *host, *identity, *cipher, *path, *origin;
	int port, conns;
	double seconds;
	uint8_t psk[64];
	size_t psk_len;
} o = {.host = "127.0.0.1", .cipher = "PSK-AES128-CCM8", .conns = 1, .seconds = 5.0};

static atomic_int first_error_shown;

static void usage(FILE *f)
{
	fputs("usage: " PROG " dtls-handshakes --port P --psk-identity ID --psk HEX --seconds S [--conns N]\n"
	      "       " PROG " coap-load --port P --psk-identity ID --psk HEX --conns N --seconds S\n"
	      "                          --path PATH --origin ORIG\n\n"
	      "DTLS 1.2 PSK load generator for bench/cse section (6). Options:\n"
	      "  --host ADDR    IPv4 address of the server (default 127.0.0.1)\n"
	      "  --cipher LIST  DTLS 1.2 cipher list (default PSK-AES128-CCM8)\n"
	      "dtls-handshakes: full handshakes with cookie exchange, no resumption, in --conns threads\n"
	      "  (default 1); prints handshakes_per_s=N. coap-load: one DTLS session per thread, CON GETs\n"
	      "  of PATH with the oneM2M options From, RQI, RVI; prints requests_per_s=N p50_us=N p99_us=N\n"
	      "  errors=N (exit 1 if errors > 0: any answer other than a 2.05 ACK, or none within 5 s).\n",
	      f);
}

/* ---- DTLS plumbing ----------------------------------------------------------------------------- */

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			   unsigned char *psk, unsigned int max_psk_len)
{
	(void)ssl;
	(void)hint;
	return bench_psk_copy(o.identity, o.psk, o.psk_len, identity, max_identity_len, psk, max_psk_len);
}

static void print_ssl_errors(const char *what)
{
	bench_ssl_errors(PROG, what, "no answer from the server");
}

static SSL_CTX *make_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, o.cipher) != 1) {
		print_ssl_errors("cannot set up the DTLS 1.2 client context");
		exit(1);
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	return ctx;
}

/* A completed DTLS 1.2 PSK session on a connected UDP socket, or NULL with the reason on stderr.
 * The socket is blocking: OpenSSL's datagram BIO runs the handshake retransmission timer. */
static SSL *dtls_open(SSL_CTX *ctx)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	SSL *ssl = NULL;
	BIO *bio;
	int fd;

	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1) {
		fprintf(stderr, PROG ": --host %s is not an IPv4 address\n", o.host);
		exit(2);
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, PROG ": UDP socket to %s:%d: %s\n", o.host, o.port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((ssl = SSL_new(ctx)) == NULL || (bio = BIO_new_dgram(fd, BIO_NOCLOSE)) == NULL) {
		print_ssl_errors("SSL_new");
		goto fail;
	}
	(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &sa);
	SSL_set_bio(ssl, bio, bio);
	errno = 0;
	if (SSL_connect(ssl) != 1) {
		print_ssl_errors("DTLS-PSK handshake failed");
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

static void dtls_close(SSL *ssl)
{
	int fd;

	if (ssl == NULL)
		return;
	fd = SSL_get_fd(ssl);
	(void)SSL_shutdown(ssl); /* send close_notify; do not wait for the peer's */
	SSL_free(ssl);
	close(fd);
}

/* ---- dtls-handshakes ------------------------------------------------------------------------------ */

static int mode_handshakes(void)
{
	SSL_CTX *ctx = make_ctx();
	int rc = bench_handshakes(PROG, ctx, o.conns, o.seconds, dtls_open, dtls_close);

	SSL_CTX_free(ctx);
	return rc;
}

/* ---- coap-load ------------------------------------------------------------------------------------ */

struct ld_worker {
	struct bench_worker b; /* first: the driver's part */
	SSL_CTX *ctx;
	SSL *ssl;
};

static void show_first_error(const struct ld_worker *w, const char *why)
{
	if (atomic_exchange(&first_error_shown, 1) == 0)
		fprintf(stderr, PROG ": first error (session %d): %s\n", w->b.idx, why);
}

/* The CON GET of o.path with From, RQI, RVI (TS-0008 Table 6.2.2.4.0-1), options in ascending
 * number order as the encoder requires. 0 and the length in *len, or -1. */
static int build_get(const struct ld_worker *w, uint16_t mid, const uint8_t token[4], unsigned long seq, uint8_t *buf,
		     size_t cap, size_t *len)
{
	m2mi_coap_opt opts[MAX_PATH_SEGS + 3];
	char rqi[48];
	size_t n = 0;
	const char *p = o.path;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (n == MAX_PATH_SEGS)
			return -1;
		opts[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_URI_PATH, (const uint8_t *)p, l};
		p += l;
		while (*p == '/')
			p++;
	}
	snprintf(rqi, sizeof(rqi), "c%d-%lu", w->b.idx, seq);
	opts[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_RVI, (const uint8_t *)"3", 1};
	opts[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_FR, (const uint8_t *)o.origin, strlen(o.origin)};
	opts[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_RQI, (const uint8_t *)rqi, strlen(rqi)};
	m2mi_coap_msg msg = {.type = M2MI_COAP_CON, .code = M2MI_COAP_GET, .mid = mid, .token = token,
			     .token_len = 4, .opts = opts, .nopts = n};
	return m2mi_coap_encode(&msg, buf, cap, len) == M2M_OK ? 0 : -1;
}

/* Checks one answer: a piggybacked ACK (RFC 7252 clause 5.2.1) with our Message ID and token and
 * code 2.05 Content. NULL when it is, else why not. */
static const char *check_answer(const uint8_t *buf, size_t len, uint16_t mid, const uint8_t token[4])
{
	m2mi_coap_opt opts[64];
	m2mi_coap_msg msg;

	if (m2mi_coap_decode(buf, len, opts, 64, &msg) != M2M_OK)
		return "undecodable CoAP answer";
	if (msg.type != M2MI_COAP_ACK || msg.mid != mid)
		return "answer is not the ACK of the request's Message ID";
	if (msg.token_len != 4 || memcmp(msg.token, token, 4) != 0)
		return "answer carries another token";
	if (msg.code != M2MI_COAP_CODE(2, 5))
		return "answer code is not 2.05";
	return NULL;
}

static void *ld_run(void *arg)
{
	struct ld_worker *w = arg;
	uint8_t req[2048], rsp[DGRAM], token[4];
	unsigned long seq = 0;
	uint16_t mid = (uint16_t)(w->b.idx * 4099u);
	struct timeval tv = {.tv_sec = 5};

	w->ssl = dtls_open(w->ctx);
	w->b.fatal = w->ssl == NULL;
	/* a lost datagram (no CON retransmission here) ends the session's run instead of hanging it */
	if (w->ssl != NULL)
		(void)setsockopt(SSL_get_fd(w->ssl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	bench_worker_ready(&w->b);
	while (bench_worker_running(&w->b)) {
		size_t len = 0;
		int r;
		double t0 = bench_now();
		const char *why;

		mid++;
		memcpy(token, &seq, sizeof(token));
		if (build_get(w, mid, token, seq++, req, sizeof(req), &len) != 0) {
			show_first_error(w, "cannot encode the request (path too long?)");
			w->b.fatal = 1;
			break;
		}
		if (SSL_write(w->ssl, req, (int)len) != (int)len) {
			show_first_error(w, "DTLS write failed");
			w->b.errors++;
			break;
		}
		if ((r = SSL_read(w->ssl, rsp, sizeof(rsp))) <= 0) {
			show_first_error(w, "no answer (DTLS read failed or timed out)");
			w->b.errors++;
			break;
		}
		if (bench_worker_sample(&w->b, bench_now() - t0) != 0) {
			w->b.fatal = 1;
			break;
		}
		if ((why = check_answer(rsp, (size_t)r, mid, token)) != NULL) {
			char msg[128];
			snprintf(msg, sizeof(msg), "%s (type %u code %u.%02u)", why, rsp[0] >> 4 & 3u, rsp[1] >> 5,
				 rsp[1] & 31u);
			show_first_error(w, msg);
			w->b.errors++;
		}
	}
	return NULL;
}

static int mode_load(void)
{
	SSL_CTX *ctx = make_ctx();
	struct ld_worker *w = calloc((size_t)o.conns, sizeof(*w));
	struct bench_load_result r;

	if (w == NULL)
		return 1;
	for (int i = 0; i < o.conns; i++)
		w[i].ctx = ctx;
	if (bench_load(PROG, w, sizeof(*w), o.conns, o.seconds, ld_run, &r) != 0)
		return 1;
	for (int i = 0; i < o.conns; i++)
		dtls_close(w[i].ssl);
	printf("requests_per_s=%.0f p50_us=%u p99_us=%u errors=%ld requests=%zu conns=%d seconds=%.2f\n",
	       (double)r.requests / r.seconds, r.p50_us, r.p99_us, r.errors, r.requests, o.conns, r.seconds);
	free(w);
	SSL_CTX_free(ctx);
	return (r.fatal || r.errors > 0) ? 1 : 0;
}

/* ---- main --------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", required_argument, NULL, 'H'},	  {"port", required_argument, NULL, 'p'},
		{"psk-identity", required_argument, NULL, 'i'}, {"psk", required_argument, NULL, 'k'},
		{"cipher", required_argument, NULL, 'c'},	  {"conns", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 's'},	  {"path", required_argument, NULL, 'P'},
		{"origin", required_argument, NULL, 'o'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *psk_hex = NULL;
	int c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'H': o.host = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'i': o.identity = optarg; break;
		case 'k': psk_hex = optarg; break;
		case 'c': o.cipher = optarg; break;
		case 'n': o.conns = atoi(optarg); break;
		case 's': o.seconds = strtod(optarg, NULL); break;
		case 'P': o.path = optarg; break;
		case 'o': o.origin = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (o.port <= 0 || o.port > 65535 || o.conns < 1 || o.conns > 4096 || o.seconds <= 0 || o.identity == NULL ||
	    psk_hex == NULL || m2m_hex_decode(psk_hex, strlen(psk_hex), o.psk, sizeof(o.psk), &o.psk_len) != M2M_OK ||
	    o.psk_len == 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(o.mode, "dtls-handshakes") == 0)
		return mode_handshakes();
	if (strcmp(o.mode, "coap-load") == 0) {
		if (o.path == NULL || o.origin == NULL) {
			usage(stderr);
			return 2;
		}
		return mode_load();
	}
	usage(stderr);
	return 2;
}
