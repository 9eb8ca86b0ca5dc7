/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/ws_server.c (TS-0020 V3.0.1 over the HTTP
 * server): a server with only a wss listener and a TLS-PSK client. The opening handshake after
 * the TLS handshake (clause 7), the 101 answer (clause 6.2.3), a JSON primitive in a text message
 * reaching the handler with the connection's association (clause 5.2), Ping/Pong, the closing
 * handshake, the refusals over HTTP (400, 426 with Sec-WebSocket-Version) and Close 1001 at stop.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tls_test.h"
#include "bindings/ws_frame.h"
#include "m2msec/http.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HS_HEAD "GET / HTTP/1.1\r\nHost: cse\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

struct fx {
	pthread_mutex_t mu;
	int calls;
	m2m_sa sa;
	char fr[32];
	m2m_http_server *srv;
	m2m_tls *tls;
	pthread_t t;
	m2m_err rc;
	SSL_CTX *client;
	struct tt_psk psk;
	m2m_http_deferred *d;  /* a deferred answer (to "later") */
	pthread_cond_t cv;
};

static void handler(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct fx *f = ctx;

	pthread_mutex_lock(&f->mu);
	f->calls++;
	f->sa = *sa;
	snprintf(f->fr, sizeof(f->fr), "%s", req->fr ? req->fr : "");
	if (strcmp(req->to, "later") == 0) { /* answered by late_reply on the same loop */
		f->d = m2m_http_defer(f->srv, ti);
		assert_non_null(f->d);
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		return;
	}
	pthread_mutex_unlock(&f->mu);
	rsp->rsc = 2000;
	rsp->pc = json_pack("{s:s}", "to", req->to);
}

/* Posted to the loop: the deferred answer (as the CSE's writer hands it back). */
static void late_reply(void *arg)
{
	struct fx *f = arg;
	m2m_response rsp;

	m2m_response_init(&rsp);
	rsp.rsc = 2001;
	rsp.rqi = strdup("late1");
	m2m_http_deferred_reply(f->d, NULL, &rsp);
	m2m_response_clear(&rsp);
	pthread_mutex_lock(&f->mu);
	f->d = NULL;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void wait_deferred(struct fx *f, bool present)
{
	pthread_mutex_lock(&f->mu);
	while ((f->d != NULL) != present)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

static void *run_thread(void *arg)
{
	struct fx *f = arg;

	f->rc = m2m_http_server_run(f->srv);
	return NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[256];
	m2m_tls_config tc = {.sp_id = "//sp.example.com", .allow_tls13 = true};
	m2m_http_server_config cfg = {.wss_listen = "127.0.0.1:0", .threads = 1, .max_header = 1024};

	snprintf(path, sizeof(path), "%s", tt_write("ws.psk", "kpsa1@sp.example.com " K1 " Cabc\n", 0600));
	tc.psk_file = path;
	assert_int_equal(m2m_tls_new(&tc, &f->tls), M2M_OK);
	cfg.tls = f->tls;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	assert_int_equal(m2m_http_server_new(&cfg, handler, f, &f->srv), M2M_OK);
	assert_true(m2m_http_server_wss_port(f->srv) > 0);
	assert_int_equal(m2m_http_server_port(f->srv, true), -1);
	assert_int_equal(pthread_create(&f->t, NULL, run_thread, f), 0);
	tt_psk_set(&f->psk, "kpsa1@sp.example.com", K1);
	f->client = tt_psk_client(&f->psk, TLS1_2_VERSION, "PSK-AES128-CCM8");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	m2m_http_server_stop(f->srv);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	assert_int_equal(f->rc, M2M_OK);
	m2m_http_server_free(f->srv);
	m2m_tls_free(f->tls);
	SSL_CTX_free(f->client);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
	return 0;
}

struct io {
	int fd;
	SSL *ssl;
	uint8_t buf[16384];
	size_t len;
};

static void io_open(struct io *io, struct fx *f)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)m2m_http_server_wss_port(f->srv))};
	struct timeval tv = {10, 0};

	memset(io, 0, sizeof(*io));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	io->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(io->fd >= 0);
	setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(io->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	io->ssl = SSL_new(f->client);
	SSL_set_fd(io->ssl, io->fd);
	assert_int_equal(SSL_connect(io->ssl), 1);
}

static void io_close(struct io *io)
{
	SSL_free(io->ssl);
	close(io->fd);
}

static void io_send(struct io *io, const void *p, size_t n)
{
	assert_int_equal(SSL_write(io->ssl, p, (int)n), (int)n);
}

static bool io_fill(struct io *io)
{
	int n = SSL_read(io->ssl, io->buf + io->len, (int)(sizeof(io->buf) - io->len));

	if (n <= 0)
		return false;
	io->len += (size_t)n;
	return true;
}

/* The HTTP response head (consumed from io); NUL-terminated in out. */
static void io_head(struct io *io, char *out, size_t cap)
{
	uint8_t *end;

	while ((end = memmem(io->buf, io->len, "\r\n\r\n", 4)) == NULL)
		assert_true(io_fill(io));
	end += 4;
	assert_true((size_t)(end - io->buf) < cap);
	memcpy(out, io->buf, (size_t)(end - io->buf));
	out[end - io->buf] = '\0';
	io->len -= (size_t)(end - io->buf);
	memmove(io->buf, end, io->len);
}

/* One masked client frame. */
static void send_frame(struct io *io, int opcode, const char *p, size_t n)
{
	static const uint8_t key[4] = {9, 8, 7, 6};
	uint8_t b[M2MI_WS_HEADER_MAX + 512];
	size_t hl = m2mi_ws_header(b, opcode, true, n, key);

	memcpy(b + hl, p, n);
	m2mi_ws_mask(b + hl, n, key, 0);
	io_send(io, b, hl + n);
}

/* The next server unit; its data copied to out (NUL-terminated). */
static int next_unit(struct io *io, m2mi_ws_rx *rx, char *out, size_t cap, uint16_t *code)
{
	m2mi_ws_msg m = {0};
	size_t used;

	for (;;) {
		assert_int_equal(m2mi_ws_rx_feed(rx, io->buf, io->len, &used, &m), M2M_OK);
		io->len -= used;
		memmove(io->buf, io->buf + used, io->len);
		if (m.opcode != 0)
			break;
		assert_true(io_fill(io));
	}
	assert_true(m.len < cap);
	memcpy(out, m.data, m.len);
	out[m.len] = '\0';
	if (code != NULL)
		*code = m.close_code;
	return m.opcode;
}

static void upgrade(struct io *io, struct fx *f)
{
	const char *hs = HS_HEAD "Sec-WebSocket-Protocol: oneM2M.json\r\nSec-WebSocket-Version: 13\r\n\r\n";
	char head[1024];

	io_open(io, f);
	io_send(io, hs, strlen(hs));
	io_head(io, head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 101 "));
	assert_non_null(strstr(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	assert_non_null(strstr(head, "Sec-WebSocket-Protocol: oneM2M.json\r\n"));
}

static void test_primitive_ping_close(void **state)
{
	struct fx *f = *state;
	const char *prim = "{\"op\":2,\"to\":\"cse-in\",\"fr\":\"Cabc\",\"rqi\":\"u1\",\"rvi\":\"3\"}";
	m2mi_ws_rx *rx = m2mi_ws_rx_new(false, 0);
	char out[4096];
	uint16_t code = 0;
	json_t *j;
	struct io io;

	upgrade(&io, f);
	send_frame(&io, M2MI_WS_OP_TEXT, prim, strlen(prim));
	assert_int_equal(next_unit(&io, rx, out, sizeof(out), NULL), M2MI_WS_OP_TEXT);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "rsc")), 2000);
	assert_string_equal(json_string_value(json_object_get(j, "rqi")), "u1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "pc"), "to")), "cse-in");
	json_decref(j);
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->sa.kind, M2M_SA_PSK); /* the TLS association reaches the handler */
	assert_string_equal(f->sa.bound_id, "Cabc");
	assert_string_equal(f->fr, "Cabc");
	pthread_mutex_unlock(&f->mu);
	/* a malformed primitive is answered 4000 without reaching the handler */
	send_frame(&io, M2MI_WS_OP_TEXT, "{\"op\":2}", 8);
	assert_int_equal(next_unit(&io, rx, out, sizeof(out), NULL), M2MI_WS_OP_TEXT);
	assert_non_null(strstr(out, "\"rsc\":4000"));
	send_frame(&io, M2MI_WS_OP_PING, "hb", 2);
	assert_int_equal(next_unit(&io, rx, out, sizeof(out), NULL), M2MI_WS_OP_PONG);
	assert_string_equal(out, "hb");
	send_frame(&io, M2MI_WS_OP_CLOSE, "\x03\xe8", 2);
	assert_int_equal(next_unit(&io, rx, out, sizeof(out), &code), M2MI_WS_OP_CLOSE);
	assert_int_equal(code, 1000);
	assert_false(io_fill(&io)); /* then the connection is closed */
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->calls, 1);
	pthread_mutex_unlock(&f->mu);
	io_close(&io);
	m2mi_ws_rx_free(rx);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	const char *noproto = HS_HEAD "Sec-WebSocket-Protocol: oneM2M.xml\r\nSec-WebSocket-Version: 13\r\n\r\n";
	const char *v8 = HS_HEAD "Sec-WebSocket-Protocol: oneM2M.json\r\nSec-WebSocket-Version: 8\r\n\r\n";
	const char *onem2m = "GET /cse-in HTTP/1.1\r\nHost: cse\r\nX-M2M-Origin: Cabc\r\nX-M2M-RI: 1\r\n"
			     "X-M2M-RVI: 3\r\n\r\n";
	char head[1024];
	struct io io;

	io_open(&io, f);
	io_send(&io, noproto, strlen(noproto));
	io_head(&io, head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 400 "));
	assert_non_null(strcasestr(head, "Connection: close\r\n"));
	io_close(&io);
	io_open(&io, f);
	io_send(&io, v8, strlen(v8));
	io_head(&io, head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 426 "));
	assert_non_null(strstr(head, "Sec-WebSocket-Version: 13\r\n"));
	io_close(&io);
	/* the configured header limit holds on the wss listener too (431) */
	{
		char big[1400];

		snprintf(big, sizeof(big), HS_HEAD "X-Pad: %0900d\r\nSec-WebSocket-Protocol: oneM2M.json\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n", 0);
		io_open(&io, f);
		io_send(&io, big, strlen(big));
		io_head(&io, head, sizeof(head));
		assert_non_null(strstr(head, "HTTP/1.1 431 "));
		io_close(&io);
	}
	/* a TS-0009 request on the wss listener is no primitive there */
	io_open(&io, f);
	io_send(&io, onem2m, strlen(onem2m));
	io_head(&io, head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 404 "));
	io_close(&io);
	pthread_mutex_lock(&f->mu);
	assert_int_equal(f->calls, 0);
	pthread_mutex_unlock(&f->mu);
}

/* At stop an open session gets Close 1001 (RFC 6455 section 7.4.1 "going away"). */
static void test_stop_sends_1001(void **state)
{
	struct fx *f = *state;
	m2mi_ws_rx *rx = m2mi_ws_rx_new(false, 0);
	char out[256];
	uint16_t code = 0;
	struct io io;

	upgrade(&io, f);
	m2m_http_server_stop(f->srv);
	assert_int_equal(next_unit(&io, rx, out, sizeof(out), &code), M2MI_WS_OP_CLOSE);
	assert_int_equal(code, 1001);
	io_close(&io);
	m2mi_ws_rx_free(rx);
}

/* An answer the handler deferred (m2m_http_defer) goes out on the session later; one whose client
 * went away meanwhile is dropped. */
static void test_deferred(void **state)
{
	struct fx *f = *state;
	const char *prim = "{\"op\":2,\"to\":\"later\",\"fr\":\"Cabc\",\"rqi\":\"r1\",\"rvi\":\"3\"}";
	m2mi_ws_rx *rx = m2mi_ws_rx_new(false, 0);
	char out[1024];
	struct io io;

	upgrade(&io, f);
	send_frame(&io, M2MI_WS_OP_TEXT, prim, strlen(prim));
	wait_deferred(f, true);
	assert_int_equal(m2m_http_server_post(f->srv, 0, late_reply, f), M2M_OK);
	assert_int_equal(next_unit(&io, rx, out, sizeof(out), NULL), M2MI_WS_OP_TEXT);
	assert_non_null(strstr(out, "\"rsc\":2001"));
	assert_non_null(strstr(out, "\"rqi\":\"late1\""));
	/* the client leaves before the answer: it is dropped, the server goes on */
	send_frame(&io, M2MI_WS_OP_TEXT, prim, strlen(prim));
	wait_deferred(f, true);
	io_close(&io);
	assert_int_equal(m2m_http_server_post(f->srv, 0, late_reply, f), M2M_OK);
	wait_deferred(f, false);
	upgrade(&io, f);
	io_close(&io);
	m2mi_ws_rx_free(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_primitive_ping_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_sends_1001, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	tt_dir_cleanup();
	return rc;
}
