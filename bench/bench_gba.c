/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the client of bench/gba, the GBA bootstrapping benchmark (TS-0003 clause
 * 8.3.2.3; 3GPP TS 33.220 clause 4.5.2 Ub with HTTP Digest AKA, RFC 3310): --conns threads, each
 * a loop of COMPLETE bootstraps through the library path of `m2msec enrol --gba` (m2m_usim,
 * m2m_digest_parse, m2m_gba_ue_answer, m2m_digest_format_credentials): the initial GET /bsf, the
 * 401 challenge checked by the software USIM (MILENAGE f1..f5, AUTN, SQN), the answer with RES,
 * the 200 with the B-TID (which must carry the RAND answered), each request on a new
 * server-authenticated TLS connection (Connection: close, as enrol --gba does). Subscriber i is
 * "<--impi-prefix><i>@<--realm>" with the one K and OPc of --k-file / --opc-file; thread t uses the
 * subscribers i = t (mod conns) only, so each USIM's SQN_MS has one owner. --btid-out writes the
 * last B-TID of every subscriber (one a line) for the Zn measurement. Prints one line of
 * key=value figures; never a key.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "m2msec/aka.h"
#include "m2msec/digest_aka.h"
#include "m2msec/gba.h"
#include "m2msec/gba_ub.h"
#include "m2msec/hex.h"
#include "m2msec/key.h"

#define MAX_SUBS 4096

static struct {
	const char *host, *port, *name, *prefix, *realm;
	int count, conns;
	double seconds;
	SSL_CTX *ctx;
	m2m_key *k, *opc;
	m2m_usim *usim[MAX_SUBS];
	char btid[MAX_SUBS][M2M_GBA_BTID_MAX];
	atomic_long done, failed;
} g;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One GET /bsf on a new verified TLS connection: status, WWW-Authenticate and body. */
static int ub_get(const char *authz, int *status, char *www, size_t wcap, char *body, size_t bcap)
{
	char req[M2M_DIGEST_HDR_MAX + 512], rsp[8192], target[300];
	size_t got = 0;
	BIO *b = NULL;
	SSL *ssl = NULL;
	char *eoh, *p;
	int n, rc = -1;

	*status = 0;
	www[0] = body[0] = '\0';
	n = snprintf(req, sizeof(req), "GET /bsf HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n",
		     g.name, authz);
	snprintf(target, sizeof(target), "%s:%s", g.host, g.port);
	if (n < 0 || (size_t)n >= sizeof(req) || (b = BIO_new_ssl_connect(g.ctx)) == NULL || BIO_get_ssl(b, &ssl) != 1 ||
	    BIO_set_conn_hostname(b, target) != 1 || SSL_set_tlsext_host_name(ssl, g.name) != 1 ||
	    SSL_set1_host(ssl, g.name) != 1 || BIO_do_connect(b) != 1 || BIO_do_handshake(b) != 1 ||
	    BIO_write(b, req, n) != n)
		goto out;
	while (got < sizeof(rsp) - 1 && (n = BIO_read(b, rsp + got, (int)(sizeof(rsp) - 1 - got))) > 0)
		got += (size_t)n;
	rsp[got] = '\0';
	if (strncmp(rsp, "HTTP/1.1 ", 9) != 0 || (eoh = strstr(rsp, "\r\n\r\n")) == NULL)
		goto out;
	*status = (int)strtol(rsp + 9, NULL, 10);
	*eoh = '\0';
	for (p = strstr(rsp, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, "WWW-Authenticate: ", 18) == 0)
			snprintf(www, wcap, "%.*s", (int)strcspn(p + 20, "\r"), p + 20);
	snprintf(body, bcap, "%s", eoh + 4);
	rc = 0;
out:
	BIO_free_all(b);
	return rc;
}

/* One complete bootstrap of subscriber i (one resynchronisation allowed). */
static int bootstrap(int i)
{
	char impi[256], hdr[M2M_DIGEST_HDR_MAX], www[M2M_DIGEST_HDR_MAX], body[2048], cnonce[33];
	uint8_t cb[16], rand[16];
	m2m_gba_answer a = {0};
	m2m_digest ch;
	const char *p, *e;
	int status = 0, rc = -1;
	m2m_err r;

	snprintf(impi, sizeof(impi), "%s%d@%s", g.prefix, i, g.realm);
	snprintf(hdr, sizeof(hdr), "Digest username=\"%s\", realm=\"%s\", nonce=\"\", uri=\"/bsf\", response=\"\"", impi,
		 g.name);
	if (ub_get(hdr, &status, www, sizeof(www), body, sizeof(body)) != 0)
		return -1;
	for (int round = 0; round < 2; round++) {
		if (status != 401 || m2m_digest_parse(www, strlen(www), M2M_DIGEST_CHALLENGE, &ch) != M2M_OK ||
		    RAND_bytes(cb, sizeof(cb)) != 1 || m2m_hex_encode(cb, sizeof(cb), false, cnonce, sizeof(cnonce)) != M2M_OK)
			goto out;
		r = m2m_gba_ue_answer(g.usim[i], &ch, impi, "GET", "/bsf", cnonce, 1, &a);
		if ((r != M2M_OK && r != M2M_E_AKA_SYNC) || m2m_digest_format_credentials(&a.cred, hdr, sizeof(hdr)) != M2M_OK ||
		    ub_get(hdr, &status, www, sizeof(www), body, sizeof(body)) != 0)
			goto out;
		if (r == M2M_OK) {
			if (status != 200 || (p = strstr(body, "<btid>")) == NULL || (e = strstr(p + 6, "</btid>")) == NULL ||
			    (size_t)(e - p - 6) >= sizeof(g.btid[0]))
				goto out;
			snprintf(g.btid[i], sizeof(g.btid[0]), "%.*s", (int)(e - p - 6), p + 6);
			if (m2m_gba_btid_parse(g.btid[i], rand, NULL, 0) != M2M_OK || memcmp(rand, a.rand, 16) != 0)
				goto out;
			rc = 0;
			goto out;
		}
		m2m_gba_answer_clear(&a);
	}
out:
	m2m_gba_answer_clear(&a);
	return rc;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	double end = now_s() + g.seconds;

	for (int i = t; now_s() < end; i += g.conns) {
		if (i >= g.count)
			i = t;
		if (bootstrap(i) == 0)
			atomic_fetch_add(&g.done, 1);
		else
			atomic_fetch_add(&g.failed, 1);
	}
	return NULL;
}

static int key16(const char *file, m2m_key **out)
{
	char hex[80] = "";
	uint8_t b[16];
	size_t n = 0;
	FILE *f = fopen(file, "r");

	if (f == NULL || fgets(hex, sizeof(hex), f) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	hex[strcspn(hex, "\r\n")] = '\0';
	if (m2m_hex_decode(hex, strlen(hex), b, sizeof(b), &n) != M2M_OK || n != 16 || m2m_key_new(b, 16, out) != M2M_OK)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *ca = NULL, *kf = NULL, *of = NULL, *out = NULL;
	pthread_t th[64];
	double t0, t1;

	g.host = "127.0.0.1", g.prefix = "bench", g.realm = "ims.example.org", g.count = 64, g.conns = 2, g.seconds = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "--port"))
			g.port = v;
		else if (!strcmp(o, "--fqdn"))
			g.name = v;
		else if (!strcmp(o, "--ca"))
			ca = v;
		else if (!strcmp(o, "--k-file"))
			kf = v;
		else if (!strcmp(o, "--opc-file"))
			of = v;
		else if (!strcmp(o, "--impi-prefix"))
			g.prefix = v;
		else if (!strcmp(o, "--realm"))
			g.realm = v;
		else if (!strcmp(o, "--count"))
			g.count = atoi(v);
		else if (!strcmp(o, "--conns"))
			g.conns = atoi(v);
		else if (!strcmp(o, "--seconds"))
			g.seconds = atof(v);
		else if (!strcmp(o, "--btid-out"))
			out = v;
		else
			goto usage;
	}
	if (argc < 2 || strcmp(argv[argc - 1], "ub") != 0 || g.port == NULL || g.name == NULL || ca == NULL || !kf ||
	    !of || g.count < 1 || g.count > MAX_SUBS || g.conns < 1 || g.conns > 64 || g.conns > g.count)
		goto usage;
	if (key16(kf, &g.k) != 0 || key16(of, &g.opc) != 0) {
		fprintf(stderr, "bench_gba: --k-file/--opc-file: 32 hex digits expected\n");
		return 2;
	}
	for (int i = 0; i < g.count; i++)
		if (m2m_usim_new(g.k, g.opc, 0, &g.usim[i]) != M2M_OK)
			return 1;
	if ((g.ctx = SSL_CTX_new(TLS_client_method())) == NULL || SSL_CTX_set_min_proto_version(g.ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(g.ctx, ca, NULL) != 1) {
		fprintf(stderr, "bench_gba: --ca %s: not a readable CA file\n", ca);
		return 2;
	}
	SSL_CTX_set_verify(g.ctx, SSL_VERIFY_PEER, NULL);
	t0 = now_s();
	for (int t = 0; t < g.conns; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	for (int t = 0; t < g.conns; t++)
		pthread_join(th[t], NULL);
	t1 = now_s();
	if (out != NULL) {
		FILE *f = fopen(out, "w");
		if (f == NULL)
			return 1;
		for (int i = 0; i < g.count; i++)
			if (g.btid[i][0] != '\0')
				fprintf(f, "%s\n", g.btid[i]);
		fclose(f);
	}
	printf("bootstraps_per_s=%.0f bootstraps=%ld seconds=%.3f failed=%ld\n",
	       (double)atomic_load(&g.done) / (t1 - t0), atomic_load(&g.done), t1 - t0, atomic_load(&g.failed));
	for (int i = 0; i < g.count; i++)
		m2m_usim_free(g.usim[i]);
	m2m_key_free(g.k);
	m2m_key_free(g.opc);
	SSL_CTX_free(g.ctx);
	return atomic_load(&g.failed) > 0 && atomic_load(&g.done) == 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: bench_gba --port P --fqdn BSF-FQDN --ca FILE --k-file F --opc-file F [--count N]\n"
			"                 [--conns C] [--seconds S] [--impi-prefix P] [--realm R] [--btid-out FILE] ub\n");
	return 2;
}
