/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the benchmark of the TLS security-association layer (tls/, TS-0003 clause
 * 8.2.2.1 and 10.2): full TLS 1.2 PSK handshakes per second in-process (memory BIO pair, client
 * and server in one thread, no resumption, 4 bytes exchanged each way), for the m2msec SSL_CTX
 * (psk-file resolver, and credential-store resolver) against a minimal bare-OpenSSL SSL_CTX with
 * the same suite and a fixed-key PSK callback; slices of each are interleaved so CPU frequency
 * drift hits both alike; and the same m2msec SSL_CTX with a security profile set (tls_profile.c:
 * the cipher list narrowed per connection in the ClientHello callback) against it without. It also reports the heap held per idle, completed server connection
 * (the CSE must keep 10,000 of them at <= 64 KiB each).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "m2msec/credstore.h"
#include "m2msec/tls.h"

#define SECONDS 2.0
#define SLICE 0.05
#define IDLE_CONNS 2000

static const uint8_t psk_key[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
				    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
				    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const char *client_identity = "kpsa1@sp.example.com";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned int client_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			      unsigned char *psk, unsigned int max_psk_len)
{
	size_t n = strlen(client_identity);

	(void)ssl;
	(void)hint;
	if (n + 1 > max_identity_len || sizeof(psk_key) > max_psk_len)
		return 0;
	memcpy(identity, client_identity, n + 1);
	memcpy(psk, psk_key, sizeof(psk_key));
	return sizeof(psk_key);
}

/* The bare server: one fixed identity, no policy beyond the suite. */
static unsigned int bare_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
	(void)ssl;
	if (strcmp(identity, "kpsa1@sp.example.com") != 0 || max_psk_len < sizeof(psk_key))
		return 0;
	memcpy(psk, psk_key, sizeof(psk_key));
	return sizeof(psk_key);
}

static SSL_CTX *bare_ctx(const char *suite)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());

	if (c == NULL || SSL_CTX_set_cipher_list(c, suite) != 1)
		return NULL;
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_psk_server_callback(c, bare_cb);
	return c;
}

/* One full handshake; with keep != NULL the server end is kept (idle, BIO detached). */
static int handshake(SSL_CTX *server, SSL_CTX *client, SSL **keep)
{
	SSL *c = SSL_new(client), *s = SSL_new(server);
	BIO *bc = NULL, *bs = NULL;
	int cdone = 0, sdone = 0, ok = 0;
	char buf[4] = "ping";

	if (c == NULL || s == NULL || BIO_new_bio_pair(&bc, 0, &bs, 0) != 1)
		goto out;
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 32 && !(cdone && sdone); i++) {
		int r;
		if (!cdone && (r = SSL_do_handshake(c)) == 1)
			cdone = 1;
		else if (!cdone && SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
			goto out;
		if (!sdone && (r = SSL_do_handshake(s)) == 1)
			sdone = 1;
		else if (!sdone && SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
			goto out;
	}
	ok = cdone && sdone && SSL_write(c, buf, 4) == 4 && SSL_read(s, buf, 4) == 4 && SSL_write(s, buf, 4) == 4 &&
	     SSL_read(c, buf, 4) == 4;
	if (ok && keep != NULL) {
		SSL_free(c);
		c = NULL;
		SSL_set_bio(s, NULL, NULL);
		*keep = s;
		s = NULL;
	}
out:
	SSL_free(c);
	SSL_free(s);
	ERR_clear_error();
	return ok;
}

struct runner {
	const char *name;
	SSL_CTX *server;
	long n;
	double t;
};

static int run(struct runner *r, size_t nr, SSL_CTX *client)
{
	double end = now() + SECONDS * (double)nr;

	while (now() < end) {
		for (size_t i = 0; i < nr; i++) {
			double t0 = now(), t1;
			do {
				if (!handshake(r[i].server, client, NULL)) {
					fprintf(stderr, "bench_tls: %s handshake failed\n", r[i].name);
					return -1;
				}
				r[i].n++;
			} while ((t1 = now()) - t0 < SLICE);
			r[i].t += t1 - t0;
		}
	}
	return 0;
}

/* Heap bytes held per idle completed server connection. */
static double idle_bytes(SSL_CTX *server, SSL_CTX *client)
{
	static SSL *held[IDLE_CONNS];
	size_t before, after;

	malloc_trim(0);
	before = mallinfo2().uordblks;
	for (int i = 0; i < IDLE_CONNS; i++)
		if (!handshake(server, client, &held[i]))
			return -1;
	after = mallinfo2().uordblks;
	for (int i = 0; i < IDLE_CONNS; i++)
		SSL_free(held[i]);
	return ((double)after - (double)before) / IDLE_CONNS;
}

static m2m_credstore *make_store(const char *dir)
{
	char path[256];
	m2m_credstore *st = NULL;
	m2m_key *k = NULL;
	m2m_cred_info info = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)"kpsa-st@sp.example.com",
			      .owner = (char *)"Cstore", .created_at = (int64_t)time(NULL)};

	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (m2m_credstore_create(path, &st) != M2M_OK || m2m_key_new(psk_key, sizeof(psk_key), &k) != M2M_OK ||
	    m2m_credstore_add(st, &info, k, NULL, NULL) != M2M_OK) {
		m2m_key_free(k);
		m2m_credstore_close(st);
		return NULL;
	}
	m2m_key_free(k);
	return st;
}

int main(void)
{
	static const char *const suites[] = {"PSK-AES128-CCM8", "PSK-AES128-CBC-SHA256"};
	static const char *const leftovers[] = {"bench.psk", "bench.db", "bench.db-wal", "bench.db-shm",
						"bench.db-journal"};
	char dir[] = "/tmp/m2m-bench-tls-XXXXXX", path[256], line[200];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	static const char *const prof[] = {"TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_AES_128_CBC_SHA256"};
	m2m_tls *tls = NULL, *tls_store = NULL, *tls_prof = NULL;
	m2m_credstore *st;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/bench.psk", dir);
	snprintf(line, sizeof(line), "kpsa1@sp.example.com %s Cabc\n",
		 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	if ((f = fopen(path, "w")) == NULL || fputs(line, f) < 0 || fclose(f) != 0 || chmod(path, 0600) != 0)
		return 1;
	cfg.psk_file = path;
	if (m2m_tls_new(&cfg, &tls) != M2M_OK || (st = make_store(dir)) == NULL)
		return 1;
	/* a profile narrower than the policy: SSL_set_cipher_list runs on every connection */
	if (m2m_tls_new(&cfg, &tls_prof) != M2M_OK || m2m_tls_set_profile(tls_prof, prof, 2, NULL, 0) != M2M_OK)
		return 1;
	cfg.psk_file = NULL;
	cfg.store = st;
	if (m2m_tls_new(&cfg, &tls_store) != M2M_OK)
		return 1;

	printf("full TLS 1.2 PSK handshakes/s, in-process memory BIO, client+server on 1 thread, %.0f s each\n",
	       SECONDS);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		SSL_CTX *client = SSL_CTX_new(TLS_client_method()), *bare = bare_ctx(suites[i]);
		struct runner r[3] = {{"m2msec", m2m_tls_ctx(tls), 0, 0}, {"bare", bare, 0, 0},
				      {"m2msec+profile", m2m_tls_ctx(tls_prof), 0, 0}};
		double m, b, pr;

		if (client == NULL || bare == NULL || SSL_CTX_set_cipher_list(client, suites[i]) != 1 ||
		    SSL_CTX_set_max_proto_version(client, TLS1_2_VERSION) != 1)
			return 1;
		SSL_CTX_set_psk_client_callback(client, client_cb);
		client_identity = "kpsa1@sp.example.com";
		if (run(r, 3, client) != 0)
			return 1;
		m = (double)r[0].n / r[0].t;
		b = (double)r[1].n / r[1].t;
		pr = (double)r[2].n / r[2].t;
		printf("  %-22s m2msec (psk-file) %8.0f/s   bare OpenSSL %8.0f/s   ratio %.2f\n", suites[i], m, b, m / b);
		printf("  %-22s m2msec with a security profile %8.0f/s   ratio to without %.3f\n", suites[i], pr, pr / m);
		if (i == 0) {
			struct runner rs[1] = {{"m2msec-store", m2m_tls_ctx(tls_store), 0, 0}};
			client_identity = "kpsa-st@sp.example.com";
			if (run(rs, 1, client) != 0)
				return 1;
			printf("  %-22s m2msec (credential store, SQLite) %8.0f/s   ratio to bare %.2f\n", suites[i],
			       (double)rs[0].n / rs[0].t, (double)rs[0].n / rs[0].t / b);
			client_identity = "kpsa1@sp.example.com";
			printf("idle completed server connection, heap held: m2msec %.1f KiB, bare OpenSSL %.1f KiB\n",
			       idle_bytes(m2m_tls_ctx(tls), client) / 1024.0, idle_bytes(bare, client) / 1024.0);
		}
		SSL_CTX_free(client);
		SSL_CTX_free(bare);
	}
	m2m_tls_free(tls);
	m2m_tls_free(tls_store);
	m2m_tls_free(tls_prof);
	m2m_credstore_close(st);
	for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, leftovers[i]);
		unlink(path);
	}
	return rmdir(dir) == 0 ? 0 : 1;
}
