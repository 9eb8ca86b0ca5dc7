/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements bench_esprim, the load client of bench/e2e section 2: ESPrim-protected
 * RETRIEVE per second (TS-0003 clause 8.4, TS-0004 clause 7.6.2) against plain RETRIEVE per second
 * of the same resource on the same CSE, in interleaved rounds of the same run (the ratio is what
 * counts, target >= 0.5). Each connection is keep-alive TLS 1.2 PSK (the hop-by-hop association
 * of the Originator); an ESPrim connection first asks for a non-shared receiver rand object
 * (NOTIFY seci sit 3), makes its session with the library's Originator (m2msec/esprim_orig.h) and
 * then sends one outer NOTIFY (seci sit 5) per RETRIEVE, opening each protected inner response;
 * after the first accepted request the session is confirmed, so its objects leave "oro" out
 * (TS-0003 clause 8.4.3.2), as an Originator holding a session does.
 * The Receiver's replay window (docs/procedures/e2e.md "Replay") refuses an originator rand object
 * older than its window with 4113: the connection then makes a new session (counted as a renewal,
 * not as a request) exactly as an Originator would.
 * usage: bench_esprim HOST PORT PSK-ID PSK-HEX KID KEY-HEX ORIGIN TO-CSEBASE TARGET SECONDS CONNS ROUNDS [CSE-PID]
 * prints one line per round and mode, then "plain_rps=... esprim_rps=... ratio=..."; with the
 * CSE's pid also the CSE's CPU time per request of each mode and their ratio (steadier than
 * requests per second on a host shared with the client: the client's own sealing and opening
 * competes for the same cores).
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#include "m2msec/esprim.h"
#include "m2msec/esprim_orig.h"
#include "m2msec/hex.h"
#include "m2msec/key.h"
#include "m2msec/mem.h"
#include "m2msec/seci_e2e.h"

#include "bench_common.h"
#include "bench_driver.h"

#define PROG "bench_esprim"
#define RBUF 65536

static struct {
	const char *host, *psk_id, *kid, *origin, *csebase, *target;
	char plain_path[1024]; /* the target over HTTP: /~<SP-relative target> (TS-0009 6.2.2.1) */
	int port;
	uint8_t psk[64];
	size_t psk_len;
	m2m_key *pairwise;
} o;

static atomic_long renewals;
static int cse_pid;

/* utime + stime of the CSE in clock ticks (/proc/PID/stat fields 14 and 15), -1 unknown. */
static long cse_ticks(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (cse_pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", cse_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
						    &st) != 2)
		return -1;
	return (long)(ut + st);
}

struct es_worker {
	struct bench_worker b; /* first */
	SSL_CTX *ctx;
	SSL *ssl;
	bool esprim;
	m2m_esprim_orig *sess;
	size_t blen;
	char buf[RBUF];
};

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			   unsigned int max_psk)
{
	(void)ssl;
	(void)hint;
	return bench_psk_copy(o.psk_id, o.psk, o.psk_len, identity, max_id, psk, max_psk);
}

static SSL *tls_open(SSL_CTX *ctx)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	SSL *ssl = NULL;

	if (fd < 0 || inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
		goto fail;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || (ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		goto fail;
	return ssl;
fail:
	bench_ssl_errors(PROG, "cannot connect", "connection refused or closed");
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void tls_close(SSL *ssl)
{
	int fd;

	if (ssl == NULL)
		return;
	fd = SSL_get_fd(ssl);
	(void)SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

/* One request; the response body (NUL-terminated in w->buf) at *body. HTTP status or -1. */
static int exchange(struct es_worker *w, const char *method, const char *path, const char *rqi, const char *content,
		    const char **body)
{
	char req[8192];
	char *eoh = NULL, *cl;
	long clen = -1;
	size_t hlen = 0;
	int n, status = -1;

	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: %s\r\nX-M2M-Origin: %s\r\nX-M2M-RI: %s\r\nX-M2M-RVI: 3\r\n"
		     "Accept: application/json\r\n%s%zu\r\n\r\n%s",
		     method, path, o.host, o.origin, rqi, content ? "Content-Type: application/json\r\nContent-Length: "
							       : "Content-Length: ",
		     content ? strlen(content) : 0, content ? content : "");
	if (n <= 0 || (size_t)n >= sizeof(req) || SSL_write(w->ssl, req, n) != n)
		return -1;
	for (w->blen = 0;;) {
		if (eoh == NULL && (eoh = memmem(w->buf, w->blen, "\r\n\r\n", 4)) != NULL) {
			hlen = (size_t)(eoh - w->buf) + 4;
			*eoh = '\0';
			if (sscanf(w->buf, "HTTP/1.1 %3d", &status) != 1 ||
			    ((cl = strcasestr(w->buf, "\r\ncontent-length:")) == NULL) ||
			    (clen = strtol(cl + 17, NULL, 10)) < 0 || clen >= (long)(RBUF - hlen))
				return -1;
		}
		if (eoh != NULL && w->blen >= hlen + (size_t)clen) {
			w->buf[hlen + (size_t)clen] = '\0';
			*body = w->buf + hlen;
			return status;
		}
		if (w->blen >= RBUF - 1)
			return -1;
		int r = SSL_read(w->ssl, w->buf + w->blen, (int)(RBUF - 1 - w->blen));
		if (r <= 0)
			return -1;
		w->blen += (size_t)r;
	}
}

/* A new Originator session: a non-shared receiver rand object (sit 3 -> 4), then the session key. */
static int new_session(struct es_worker *w)
{
	m2m_seci_e2e s = {0};
	const char *body = NULL;
	char rqi[32];
	int64_t now = (int64_t)time(NULL);
	int ok;

	m2m_esprim_orig_free(w->sess);
	w->sess = NULL;
	snprintf(rqi, sizeof(rqi), "r%d-%ld", w->b.idx, atomic_fetch_add(&renewals, 1));
	ok = exchange(w, "POST", o.csebase, rqi, "{\"m2m:seci\":{\"sit\":3}}", &body) == 200 &&
	     m2m_seci_e2e_decode(body, strlen(body), now, &s) == M2M_OK && s.sit == M2M_SECI_RAND_RSP &&
	     m2m_esprim_orig_new(o.pairwise, o.kid, &s.ero, M2M_ESPRIM_A256GCM, now, &w->sess) == M2M_OK;
	m2m_seci_e2e_clear(&s);
	if (!ok)
		fprintf(stderr, PROG ": no ESPrim session (sit 3 refused?)\n");
	return ok ? 0 : -1;
}

/* One ESPrim RETRIEVE: 1 done (inner 2000), 0 session to renew (inner 4113), -1 error. */
static int esprim_retrieve(struct es_worker *w, unsigned long seq)
{
	char inner[1024], rqi[48], *content = NULL, *rsp = NULL;
	const char *body = NULL;
	size_t rlen = 0;
	int st, ret = -1;

	snprintf(rqi, sizeof(rqi), "e%d-%lu-%ld", w->b.idx, seq, (long)time(NULL));
	snprintf(inner, sizeof(inner), "{\"op\":2,\"to\":\"%s\",\"fr\":\"%s\",\"rqi\":\"%s\",\"rvi\":\"3\"}", o.target,
		 o.origin, rqi);
	if (m2m_esprim_orig_seal(w->sess, inner, strlen(inner), &content) != M2M_OK)
		return -1;
	st = exchange(w, "POST", o.csebase, rqi, content, &body);
	free(content);
	if (st != 200 || m2m_esprim_orig_open(w->sess, body, strlen(body), (int64_t)time(NULL), &rsp, &rlen) != M2M_OK) {
		/* say why a round fails: the outer status and the start of the plain refusal */
		fprintf(stderr, PROG ": ESPrim request refused: HTTP %d %.120s\n", st, st > 0 && body ? body : "");
		return -1;
	}
	if (strstr(rsp, "\"rsc\":2000") != NULL) {
		m2m_esprim_orig_confirm(w->sess); /* accepted: later objects leave "oro" out */
		ret = 1;
	}
	else if (strstr(rsp, "\"rsc\":4113") != NULL)
		ret = 0;
	else
		fprintf(stderr, PROG ": ESPrim inner answer refused: %.120s\n", rsp);
	m2m_freezero(rsp, rlen);
	return ret;
}

static void *run(void *arg)
{
	struct es_worker *w = arg;
	unsigned long seq = 0;
	const char *body;

	w->b.fatal = (w->ssl = tls_open(w->ctx)) == NULL || (w->esprim && new_session(w) != 0);
	bench_worker_ready(&w->b);
	while (bench_worker_running(&w->b)) {
		double t0 = bench_now();
		char rqi[48];
		int r;

		if (w->esprim) {
			if ((r = esprim_retrieve(w, seq++)) == 0) {
				w->b.fatal = new_session(w) != 0;
				continue;
			}
		} else {
			snprintf(rqi, sizeof(rqi), "p%d-%lu", w->b.idx, seq++);
			r = exchange(w, "GET", o.plain_path, rqi, NULL, &body) == 200 ? 1 : -1;
		}
		if (r < 0) {
			w->b.errors++;
			w->b.fatal = 1;
			break;
		}
		if (bench_worker_sample(&w->b, bench_now() - t0) != 0)
			break;
	}
	tls_close(w->ssl);
	w->ssl = NULL;
	m2m_esprim_orig_free(w->sess);
	w->sess = NULL;
	return NULL;
}

/* This process's CPU time (user + system), microseconds. */
static double self_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double measure(SSL_CTX *ctx, bool esprim, int conns, double secs, double *cpu_us)
{
	struct es_worker *w = calloc((size_t)conns, sizeof(*w));
	struct bench_load_result res;
	double rps = -1, c0 = self_cpu_us();
	long t0 = cse_ticks(), t1;

	if (w == NULL)
		return -1;
	for (int i = 0; i < conns; i++) {
		w[i].ctx = ctx;
		w[i].esprim = esprim;
	}
	if (bench_load(PROG, w, sizeof(*w), conns, secs, run, &res) == 0 && !res.fatal && res.errors == 0 &&
	    res.requests > 0) {
		rps = (double)res.requests / res.seconds;
		t1 = cse_ticks();
		*cpu_us = t0 >= 0 && t1 >= t0 ? (double)(t1 - t0) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)res.requests
					    : -1;
		printf("%-7s req_per_s=%.0f requests=%zu p50_us=%u p99_us=%u conns=%d cse_cpu_us_per_req=%.0f "
		       "client_cpu_us_per_req=%.0f\n",
		       esprim ? "esprim" : "plain", rps, res.requests, res.p50_us, res.p99_us, conns, *cpu_us,
		       (self_cpu_us() - c0) / (double)res.requests);
	}
	free(w);
	return rps;
}

int main(int argc, char **argv)
{
	uint8_t k[64];
	size_t klen = 0;
	double secs, plain = 0, esp = 0, pcpu = 0, ecpu = 0;
	int conns, rounds;
	SSL_CTX *ctx;

	if (argc != 13 && argc != 14) {
		fprintf(stderr, "usage: " PROG " HOST PORT PSK-ID PSK-HEX KID KEY-HEX ORIGIN TO-CSEBASE TARGET SECONDS CONNS"
				" ROUNDS [CSE-PID]\n");
		return 2;
	}
	o.host = argv[1];
	o.port = atoi(argv[2]);
	o.psk_id = argv[3];
	o.kid = argv[5];
	o.origin = argv[7];
	o.csebase = argv[8];
	o.target = argv[9];
	snprintf(o.plain_path, sizeof(o.plain_path), "%s%s", o.target[0] == '/' ? "/~" : "/", o.target);
	secs = atof(argv[10]);
	conns = atoi(argv[11]);
	rounds = atoi(argv[12]);
	cse_pid = argc == 14 ? atoi(argv[13]) : 0;
	if (m2m_hex_decode(argv[4], strlen(argv[4]), o.psk, sizeof(o.psk), &o.psk_len) != M2M_OK ||
	    m2m_hex_decode(argv[6], strlen(argv[6]), k, sizeof(k), &klen) != M2M_OK ||
	    m2m_key_new(k, klen, &o.pairwise) != M2M_OK || conns < 1 || rounds < 1 || secs <= 0) {
		fprintf(stderr, PROG ": bad arguments\n");
		return 2;
	}
	m2m_memzero(k, sizeof(k));
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "PSK-AES128-CBC-SHA256") != 1)
		return 1;
	SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	for (int r = 0; r < rounds; r++) { /* interleaved: both modes see the same host conditions */
		double pc = -1, ec = -1, p = measure(ctx, false, conns, secs, &pc), e = measure(ctx, true, conns, secs, &ec);
		if (p <= 0 || e <= 0) {
			fprintf(stderr, PROG ": round %d failed\n", r + 1);
			return 1;
		}
		plain += p;
		esp += e;
		pcpu += pc;
		ecpu += ec;
	}
	if (cse_pid > 0 && pcpu > 0 && ecpu > 0)
		printf("cse_cpu_us_per_req plain=%.0f esprim=%.0f cpu_ratio=%.2f (plain/esprim: the share of the plain "
		       "rate left with ESPrim when the CSE alone has the cores)\n",
		       pcpu / rounds, ecpu / rounds, pcpu / ecpu);
	printf("plain_rps=%.0f esprim_rps=%.0f ratio=%.2f sessions=%ld rounds=%d\n", plain / rounds, esp / rounds,
	       esp / plain, atomic_load(&renewals), rounds);
	SSL_CTX_free(ctx);
	m2m_key_free(o.pairwise);
	return 0;
}
