/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the server of bench/pskasync: the m2msec HTTPS server (bindings/
 * http_server.c) with a trivial handler (200 and a ~200-byte JSON body) and one TLS-PSK identity
 * (TS-0003 clause 8.2.2.1), in one of three modes, to measure what the handshake driver of
 * asynchronous PSK lookups (bindings/http_hs.c, docs/tls.md) costs against bufferevent_openssl
 * driving the handshake:
 *   sync     the key in the psk-file, no asynchronous resolver (the CSE today);
 *   driver   the same key in the psk-file plus an asynchronous resolver that is never consulted
 *            (so every handshake goes through the driver, SSL_MODE_ASYNC, the hand-over);
 *   async    the key only behind an asynchronous resolver that keeps every lookup pending and
 *            answers it from a loop event (pause, wake-up, resume in every handshake).
 * Usage: bench_pskasync --port P --psk-identity ID --psk HEX --mode sync|driver|async
 *        [--threads T]. SIGTERM/SIGINT stop it.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "m2msec/hex.h"
#include "m2msec/http.h"
#include "m2msec/tls.h"

static m2m_http_server *g_srv;
static const char *g_identity;
static uint8_t g_key[64];
static size_t g_keylen;

static void handler(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	(void)ctx;
	(void)ti;
	(void)sa;
	(void)req;
	rsp->rsc = 2000;
	rsp->pc = json_pack("{s:{s:s,s:s,s:i,s:s,s:s}}", "m2m:cin", "rn", "cin_0001", "ri", "cin6f8a21",
			    "ty", 4, "ct", "20260101T000000", "con", "temperature=21.5;humidity=40;unit=C;seq=1");
}

/* The async mode's lookup: pending, answered by the loop's call queue (a remote round trip's
 * worth of loop work without the network). */
static void answer(void *arg)
{
	m2m_psk_wait *w = arg;
	m2m_key *k = NULL;
	m2m_sa sa = {.bound_id = "Cbench"};

	if (m2m_key_new(g_key, g_keylen, &k) != M2M_OK) {
		m2m_psk_wait_done(w, M2M_E_NOMEM, NULL, NULL);
		return;
	}
	m2m_psk_wait_done(w, M2M_OK, k, &sa);
}

static m2m_err start_post(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			  m2m_sa *binding)
{
	(void)ctx;
	(void)now;
	(void)key;
	(void)binding;
	if (w == NULL || strcmp(identity, g_identity) != 0)
		return M2M_E_NOT_FOUND;
	if (m2m_http_server_post(g_srv, 0, answer, w) != M2M_OK)
		return M2M_E_INTERNAL;
	return M2M_OK; /* pending */
}

static void on_signal(int sig)
{
	(void)sig;
	m2m_http_server_stop(g_srv);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"port", 1, NULL, 'p'}, {"psk-identity", 1, NULL, 'i'},
					     {"psk", 1, NULL, 'k'}, {"mode", 1, NULL, 'm'},
					     {"threads", 1, NULL, 't'}, {NULL, 0, NULL, 0}};
	const char *port = NULL, *hexkey = NULL, *mode = "sync";
	char listen[64], path[] = "/tmp/bench_pskasync.XXXXXX", line[512];
	m2m_tls_config tc = {.sp_id = "//sp.example.com"};
	m2m_http_server_config cfg = {.threads = 1};
	m2m_tls *tls = NULL;
	int o, fd;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': port = optarg; break;
		case 'i': g_identity = optarg; break;
		case 'k': hexkey = optarg; break;
		case 'm': mode = optarg; break;
		case 't': cfg.threads = atoi(optarg); break;
		default: return 2;
		}
	}
	if (port == NULL || g_identity == NULL || hexkey == NULL ||
	    m2m_hex_decode(hexkey, strlen(hexkey), g_key, sizeof(g_key), &g_keylen) != M2M_OK ||
	    (strcmp(mode, "sync") != 0 && strcmp(mode, "driver") != 0 && strcmp(mode, "async") != 0)) {
		fprintf(stderr, "usage: bench_pskasync --port P --psk-identity ID --psk HEX --mode sync|driver|async\n");
		return 2;
	}
	if (strcmp(mode, "async") == 0)
		cfg.threads = 1; /* the test resolver answers through thread 0's queue */
	if ((fd = mkstemp(path)) < 0)
		return 1;
	snprintf(line, sizeof(line), "%s %s Cbench\n", strcmp(mode, "async") == 0 ? "kpsa-other@sp.example.com" : g_identity,
		 hexkey);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fchmod(fd, 0600) != 0)
		return 1;
	close(fd);
	tc.psk_file = path;
	if (m2m_tls_new(&tc, &tls) != M2M_OK) {
		unlink(path);
		return 1;
	}
	unlink(path);
	if (strcmp(mode, "sync") != 0 && m2m_tls_add_psk_resolver_async(tls, start_post, NULL) != M2M_OK)
		return 1;
	snprintf(listen, sizeof(listen), "127.0.0.1:%s", port);
	cfg.https_listen = listen;
	cfg.tls = tls;
	if (m2m_http_server_new(&cfg, handler, NULL, &g_srv) != M2M_OK)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("listening port=%s mode=%s\n", port, mode);
	fflush(stdout);
	o = m2m_http_server_run(g_srv) == M2M_OK ? 0 : 1;
	m2m_http_server_free(g_srv);
	m2m_tls_free(tls);
	return o;
}
