/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the per-peer service state of bindings/coap_server.c
 * (m2m_coap_server_set_conn_hooks, m2m_coap_conn_state; include/m2msec/coap.h), the door the MEF
 * and the MAF open with `coaps-listen`: open runs once per DTLS session, after its handshake,
 * with the session's SSL (so the RFC 5705 exporter of TS-0003 clause 10.3.1 runs on the DTLS
 * session: the client, an independent OpenSSL DTLS client, exports the same bytes), the
 * association and the worker index given; the handler sees that state; close runs when the peer
 * is dropped; an open that fails drops the peer unanswered. And m2m_http_server_has_route, by
 * which the CoAP door refuses what only the HTTP listener serves (EST).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "m2msec/coap.h"
#include "m2msec/http.h"
#include "m2msec/tls.h"

#define LABEL "EXPORTER-oneM2M-Bootstrap"

struct hooks_seen {
	m2m_coap_server *srv;
	int opens, closes, calls, index;
	bool fail_open;
	m2m_sa_kind kind;
	char bound[M2M_SA_ID_MAX];
	uint8_t exported[48];
	void *state_in_handler;
	int token; /* the state's identity */
};

static m2m_err on_open(void *ctx, int thread_index, struct ssl_st *ssl, const m2m_sa *sa, void **state)
{
	struct hooks_seen *h = ctx;

	h->opens++;
	h->index = thread_index;
	h->kind = sa->kind;
	snprintf(h->bound, sizeof(h->bound), "%s", sa->bound_id);
	if (ssl == NULL || SSL_export_keying_material(ssl, h->exported, sizeof(h->exported), LABEL, strlen(LABEL),
						      NULL, 0, 0) != 1)
		return M2M_E_CRYPTO;
	if (h->fail_open)
		return M2M_E_AUTH;
	*state = &h->token;
	return M2M_OK;
}

static void on_close(void *ctx, void *state)
{
	struct hooks_seen *h = ctx;

	assert_ptr_equal(state, &h->token);
	h->closes++;
}

static void handler(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct hooks_seen *h = ctx;

	(void)sa;
	(void)req;
	h->calls++;
	h->state_in_handler = m2m_coap_conn_state(h->srv);
	rsp->rsc = 2000;
	rsp->pc = json_pack("{s:s}", "x", "y");
}

static const char *client_key = "0123456789abcdefghijklmnopqrstuv";

static unsigned int client_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			       unsigned int max_psk)
{
	(void)ssl;
	(void)hint;
	(void)max_psk;
	snprintf(identity, max_id, "kpsa-u1@sp.example.com");
	memcpy(psk, client_key, 32);
	return 32;
}

/* Handshake, export, send one CON GET, read one answer (length, or <= 0 for none). */
static int dtls_request(int port, uint8_t exported[48], uint8_t *ans, size_t cap)
{
	static const uint8_t req[] = {0x41, 0x01, 0x12, 0x34, 0x77, /* CON GET mid 0x1234 token 77 */
				      0xb6, 'c', 's', 'e', '-', 'i', 'n', /* Uri-Path (11) */
				      0xd1, 0xf7, '3',                      /* oneM2M-RVI (271) */
				      0x83, 'C', 'u', '1',                  /* oneM2M-FR (279) */
				      0x42, 'r', '1'};                      /* oneM2M-RQI (283) */
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	SSL *ssl;
	BIO *bio;
	struct sockaddr_in a;
	struct timeval tv = {5, 0};
	int fd, got = -1;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "PSK-AES128-CCM8"), 1);
	SSL_CTX_set_psk_client_callback(ctx, client_psk);
	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	bio = BIO_new_dgram(fd, BIO_CLOSE);
	(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &a);
	ssl = SSL_new(ctx);
	SSL_set_bio(ssl, bio, bio);
	if (SSL_connect(ssl) == 1 &&
	    SSL_export_keying_material(ssl, exported, 48, LABEL, strlen(LABEL), NULL, 0, 0) == 1 &&
	    SSL_write(ssl, req, (int)sizeof(req)) == (int)sizeof(req))
		got = SSL_read(ssl, ans, (int)cap);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return got;
}

static m2m_tls *psk_tls(char *dir, char *path, size_t cap)
{
	m2m_tls *tls = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, cap, "%s/psk", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "kpsa-u1@sp.example.com ");
	for (size_t i = 0; i < 32; i++)
		fprintf(f, "%02x", (unsigned char)client_key[i]);
	fprintf(f, " Cu1\n");
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	{
		m2m_tls_config tc = {.psk_file = path, .sp_id = "//sp.example.com"};
		assert_int_equal(m2m_tls_new(&tc, &tls), M2M_OK);
	}
	return tls;
}

static void test_hooks_open_once_state_in_handler_close_at_drop(void **state)
{
	struct hooks_seen h = {0};
	m2m_http_conn_hooks hooks = {on_open, on_close, &h};
	m2m_tls *tls;
	char dir[] = "/tmp/coaphooksXXXXXX", path[64];
	uint8_t client_exp[48], ans[512];
	int got;

	(void)state;
	tls = psk_tls(dir, path, sizeof(path));
	{
		m2m_coap_server_config c = {.coaps_listen = "127.0.0.1:0", .tls = tls};
		assert_int_equal(m2m_coap_server_new(&c, handler, &h, &h.srv), M2M_OK);
	}
	m2m_coap_server_set_conn_hooks(h.srv, &hooks, 7);
	assert_null(m2m_coap_conn_state(h.srv)); /* outside a request: none */
	assert_int_equal(m2m_coap_server_start(h.srv), M2M_OK);

	got = dtls_request(m2m_coap_server_port(h.srv, true), client_exp, ans, sizeof(ans));
	assert_true(got > 4);
	assert_int_equal(ans[1], (2 << 5) | 5); /* 2.05 */
	assert_int_equal(h.opens, 1);
	assert_int_equal(h.index, 7);            /* the worker identity of the CoAP thread */
	assert_int_equal(h.kind, M2M_SA_PSK);    /* the association of the psk-file line */
	assert_string_equal(h.bound, "Cu1");
	/* RFC 5705 on the DTLS session: the server's hook and the client export the same bytes */
	assert_memory_equal(h.exported, client_exp, sizeof(client_exp));
	assert_int_equal(h.calls, 1);
	assert_ptr_equal(h.state_in_handler, &h.token);
	assert_int_equal(h.closes, 0);          /* the session is still held */

	/* a second session: its own open */
	got = dtls_request(m2m_coap_server_port(h.srv, true), client_exp, ans, sizeof(ans));
	assert_true(got > 4);
	assert_int_equal(h.opens, 2);
	assert_memory_equal(h.exported, client_exp, sizeof(client_exp));

	m2m_coap_server_free(h.srv); /* drops both peers: close for each */
	assert_int_equal(h.closes, 2);
	m2m_tls_free(tls);
	unlink(path);
	rmdir(dir);
}

static void test_failed_open_drops_the_peer_unanswered(void **state)
{
	struct hooks_seen h = {.fail_open = true};
	m2m_http_conn_hooks hooks = {on_open, on_close, &h};
	m2m_tls *tls;
	char dir[] = "/tmp/coaphooksXXXXXX", path[64];
	uint8_t client_exp[48], ans[512];

	(void)state;
	tls = psk_tls(dir, path, sizeof(path));
	{
		m2m_coap_server_config c = {.coaps_listen = "127.0.0.1:0", .tls = tls};
		assert_int_equal(m2m_coap_server_new(&c, handler, &h, &h.srv), M2M_OK);
	}
	m2m_coap_server_set_conn_hooks(h.srv, &hooks, 0);
	assert_int_equal(m2m_coap_server_start(h.srv), M2M_OK);
	assert_true(dtls_request(m2m_coap_server_port(h.srv, true), client_exp, ans, sizeof(ans)) <= 0);
	assert_int_equal(h.opens, 1);
	assert_int_equal(h.calls, 0); /* nothing reached the handler */
	m2m_coap_server_free(h.srv);
	assert_int_equal(h.closes, 0); /* no state was made: nothing to close */
	m2m_tls_free(tls);
	unlink(path);
	rmdir(dir);
}

static void on_m2m(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	(void)ctx;
	(void)ti;
	(void)sa;
	(void)req;
	rsp->rsc = 2000;
}

static void on_raw(void *ctx, int ti, const m2m_http_raw_request *req, m2m_http_raw_response *rsp)
{
	(void)ctx;
	(void)ti;
	(void)req;
	rsp->status = 200;
}

static void test_http_has_route(void **state)
{
	m2m_http_server *srv = NULL;
	m2m_http_server_config cfg = {.http_listen = "127.0.0.1:0", .threads = 1};

	(void)state;
	assert_int_equal(m2m_http_server_new(&cfg, on_m2m, NULL, &srv), M2M_OK);
	assert_false(m2m_http_server_has_route(srv, "/.well-known/est/cacerts")); /* none yet */
	assert_int_equal(m2m_http_server_route(srv, "/.well-known/est", on_raw, NULL), M2M_OK);
	assert_true(m2m_http_server_has_route(srv, "/.well-known/est/simpleenroll"));
	assert_true(m2m_http_server_has_route(srv, "/.well-known/est"));
	assert_true(m2m_http_server_has_route(srv, "/.well-known/est?x"));
	assert_false(m2m_http_server_has_route(srv, "/.well-known/estx")); /* a prefix is a whole segment */
	assert_false(m2m_http_server_has_route(srv, "/mefClientReg"));
	assert_false(m2m_http_server_has_route(srv, NULL));
	assert_false(m2m_http_server_has_route(NULL, "/.well-known/est"));
	m2m_http_server_free(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_open_once_state_in_handler_close_at_drop),
		cmocka_unit_test(test_failed_open_drops_the_peer_unanswered),
		cmocka_unit_test(test_http_has_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
