/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_server.c (include/m2msec/coap.h): the
 * configuration refusals (plain CoAP is loopback only, DTLS needs the m2m_tls resolver chain),
 * and one request over the loopback plain endpoint from a hand-encoded RFC 7252 datagram (an
 * encoder independent of bindings/coap_wire.c): the handler gets the primitive with the oneM2M
 * options of TS-0008 Table 6.2.2.4.0-1 and no security association, and the answer carries the
 * request's token and the oneM2M-RSC option (307).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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
#include "m2msec/tls.h"

struct seen {
	int calls;
	m2m_sa_kind kind;
	m2m_op op;
	char fr[64], rqi[64], to[64];
	char bound[M2M_SA_ID_MAX];
};

static void handler(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct seen *s = ctx;

	s->calls++;
	s->kind = sa->kind;
	snprintf(s->bound, sizeof(s->bound), "%s", sa->bound_id);
	s->op = req->op;
	snprintf(s->fr, sizeof(s->fr), "%s", req->fr ? req->fr : "");
	snprintf(s->rqi, sizeof(s->rqi), "%s", req->rqi ? req->rqi : "");
	snprintf(s->to, sizeof(s->to), "%s", req->to ? req->to : "");
	rsp->rsc = 2000;
	rsp->pc = json_pack("{s:{s:s}}", "m2m:cb", "rn", "cse-in");
}

static void test_config_refusals(void **state)
{
	struct seen s = {0};
	m2m_coap_server *srv = (m2m_coap_server *)&s;
	m2m_coap_server_config c = {0};

	assert_int_equal(m2m_coap_server_new(NULL, handler, &s, &srv), M2M_E_INVAL);
	assert_null(srv);
	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_E_CONFIG); /* no endpoint */
	c.coap_listen = "off";
	c.coaps_listen = "";
	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_E_CONFIG);
	c.coap_listen = "0.0.0.0:0"; /* unauthenticated CoAP beyond this host */
	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_E_CONFIG);
	c.coap_listen = "nonsense";
	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_E_CONFIG);
	c.coap_listen = NULL;
	c.coaps_listen = "127.0.0.1:0"; /* DTLS without the resolver chain */
	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_E_CONFIG);
	assert_null(srv);
	assert_int_equal(m2m_coap_server_new(&c, NULL, &s, &srv), M2M_E_INVAL);
	m2m_coap_server_free(NULL);
	m2m_coap_server_stop(NULL);
	assert_int_equal(m2m_coap_server_port(NULL, true), 0);
}

/* Append option (num, val) after option prev (RFC 7252 clause 3.1 delta encoding). */
static size_t put_opt(uint8_t *p, unsigned prev, unsigned num, const char *val, size_t len)
{
	unsigned d = num - prev;
	size_t n = 1;
	uint8_t dn, ln;

	dn = d < 13 ? (uint8_t)d : d < 269 ? 13 : 14;
	ln = len < 13 ? (uint8_t)len : 13;
	p[0] = (uint8_t)(dn << 4 | ln);
	if (dn == 13)
		p[n++] = (uint8_t)(d - 13);
	else if (dn == 14) {
		p[n++] = (uint8_t)((d - 269) >> 8);
		p[n++] = (uint8_t)((d - 269) & 0xff);
	}
	if (ln == 13)
		p[n++] = (uint8_t)(len - 13);
	memcpy(p + n, val, len);
	return n + len;
}

static void test_plain_request_roundtrip(void **state)
{
	struct seen s = {0};
	m2m_coap_server *srv = NULL;
	m2m_coap_server_config c = {.coap_listen = "127.0.0.1:0"};
	uint8_t buf[1024], rx[2048];
	size_t n = 0;
	ssize_t got;
	int fd, port;
	struct sockaddr_in a;
	struct pollfd pfd;
	unsigned prev = 0, num = 0, rsc = 0;
	bool saw_rsc = false;

	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_OK);
	port = m2m_coap_server_port(srv, false);
	assert_true(port > 0);
	assert_int_equal(m2m_coap_server_port(srv, true), 0);
	assert_int_equal(m2m_coap_server_start(srv), M2M_OK);

	buf[n++] = 0x40 | 2; /* version 1, CON, token length 2 */
	buf[n++] = 0x01;     /* GET */
	buf[n++] = 0x12;
	buf[n++] = 0x34;
	buf[n++] = 0xab;
	buf[n++] = 0xcd;
	n += put_opt(buf + n, prev, 11, "cse-in", 6), prev = 11;    /* Uri-Path */
	n += put_opt(buf + n, prev, 271, "3", 1), prev = 271;       /* oneM2M-RVI */
	n += put_opt(buf + n, prev, 279, "Cae1", 4), prev = 279;    /* oneM2M-FR */
	n += put_opt(buf + n, prev, 283, "rq-42", 5), prev = 283;   /* oneM2M-RQI */

	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)n);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	got = recv(fd, rx, sizeof(rx), 0);
	close(fd);
	m2m_coap_server_free(srv);

	assert_int_equal(s.calls, 1);
	assert_int_equal(s.kind, M2M_SA_NONE); /* plain CoAP: no association */
	assert_int_equal(s.op, M2M_OP_RETRIEVE);
	assert_string_equal(s.fr, "Cae1");
	assert_string_equal(s.rqi, "rq-42");
	assert_true(got >= 6);
	assert_int_equal(rx[0] >> 6, 1);
	assert_int_equal((rx[0] >> 4) & 3, 2);           /* ACK (piggybacked) */
	assert_int_equal(rx[0] & 0x0f, 2);               /* token length */
	assert_int_equal(rx[1], (2 << 5) | 5);           /* 2.05 Content */
	assert_int_equal(rx[2], 0x12);
	assert_int_equal(rx[3], 0x34);
	assert_int_equal(rx[4], 0xab);
	assert_int_equal(rx[5], 0xcd);
	/* walk the options for oneM2M-RSC (307) */
	for (ssize_t i = 6; i < got && rx[i] != 0xff;) {
		unsigned d = rx[i] >> 4, l = rx[i] & 0x0f;
		i++;
		if (d == 13)
			d = 13u + rx[i++];
		else if (d == 14) {
			d = 269u + ((unsigned)rx[i] << 8 | rx[i + 1]);
			i += 2;
		}
		if (l == 13)
			l = 13u + rx[i++];
		num += d;
		if (num == 307) {
			saw_rsc = true;
			for (unsigned k = 0; k < l; k++)
				rsc = rsc << 8 | rx[i + k];
		}
		i += l;
	}
	assert_true(saw_rsc);
	assert_int_equal(rsc, 2000);
}

/* RFC 7959 clause 2.5: the last Block1 block of a transfer never started is 4.08 Request Entity
 * Incomplete (RSC 4000) and never reaches the handler, so a part of a body is never taken for the
 * whole (bindings/coap_block.c). An empty CON (ping) gets a Reset. */
static void test_later_block_and_ping(void **state)
{
	struct seen s = {0};
	m2m_coap_server *srv = NULL;
	m2m_coap_server_config c = {.coap_listen = "127.0.0.1:0"};
	uint8_t buf[256], rx[512];
	size_t n = 0;
	int fd;
	struct sockaddr_in a;
	struct pollfd pfd;

	assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_OK);
	assert_int_equal(m2m_coap_server_start(srv), M2M_OK);
	buf[n++] = 0x40 | 1; /* CON, token length 1 */
	buf[n++] = 0x02;     /* POST */
	buf[n++] = 0x00;
	buf[n++] = 0x07;
	buf[n++] = 0x5a;
	n += put_opt(buf + n, 0, 11, "cse-in", 6);
	n += put_opt(buf + n, 11, 27, "\x10", 1); /* Block1 NUM 1, M 0: the last part of a body */
	n += put_opt(buf + n, 27, 271, "3", 1);
	n += put_opt(buf + n, 271, 279, "Cae1", 4);
	n += put_opt(buf + n, 279, 283, "rq-1", 4);
	buf[n++] = 0xff;
	buf[n++] = '}';
	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)m2m_coap_server_port(srv, false));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)n);
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	assert_true(recv(fd, rx, sizeof(rx), 0) > 5);
	assert_int_equal((rx[0] >> 4) & 3, 2);     /* ACK */
	assert_int_equal(rx[1], (4 << 5) | 8);     /* 4.08 */
	assert_int_equal(rx[3], 0x07);             /* same Message ID */
	assert_int_equal(rx[4], 0x5a);             /* same token */
	/* ping: an empty CON gets a Reset with its Message ID */
	buf[0] = 0x40;
	buf[1] = 0x00;
	buf[2] = 0x12;
	buf[3] = 0x21;
	assert_int_equal(sendto(fd, buf, 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	assert_int_equal(recv(fd, rx, sizeof(rx), 0), 4);
	assert_int_equal((rx[0] >> 4) & 3, 3);     /* RST */
	assert_int_equal(rx[1], 0);
	assert_int_equal(rx[2], 0x12);
	assert_int_equal(rx[3], 0x21);
	close(fd);
	m2m_coap_server_free(srv);
	assert_int_equal(s.calls, 0);
}

/* ---- DTLS-PSK with an independent OpenSSL client ------------------------------------------ */

static const char *client_key; /* 32 bytes */

static unsigned int client_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			       unsigned int max_psk)
{
	snprintf(identity, max_id, "kpsa-u1@sp.example.com");
	memcpy(psk, client_key, 32);
	return 32;
}

/* Connect, handshake, send req twice (a retransmission: same Message ID), read both answers. */
static int dtls_exchange(int port, const char *key, const uint8_t *req, size_t n, uint8_t *a1, uint8_t *a2)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	SSL *ssl;
	BIO *bio;
	struct sockaddr_in a;
	struct timeval tv = {20, 0};
	int fd, got = -1;

	client_key = key;
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
	if (SSL_connect(ssl) == 1 && SSL_write(ssl, req, (int)n) == (int)n && SSL_read(ssl, a1, 512) > 0 &&
	    SSL_write(ssl, req, (int)n) == (int)n)
		got = SSL_read(ssl, a2, 512);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return got;
}

static void test_dtls_psk_association_and_duplicates(void **state)
{
	struct seen s = {0};
	m2m_coap_server *srv = NULL;
	m2m_tls *tls = NULL;
	char dir[] = "/tmp/coapdtlsXXXXXX", path[64];
	const char *key = "0123456789abcdefghijklmnopqrstuv";
	uint8_t buf[128], a1[512], a2[512];
	size_t n = 0;
	FILE *f;
	int got;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/psk", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "kpsa-u1@sp.example.com ");
	for (size_t i = 0; i < 32; i++)
		fprintf(f, "%02x", (unsigned char)key[i]);
	fprintf(f, " Cu1\n");
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	{
		m2m_tls_config tc = {.psk_file = path, .sp_id = "//sp.example.com"};
		assert_int_equal(m2m_tls_new(&tc, &tls), M2M_OK);
	}
	{
		m2m_coap_server_config c = {.coaps_listen = "127.0.0.1:0", .tls = tls};
		assert_int_equal(m2m_coap_server_new(&c, handler, &s, &srv), M2M_OK);
	}
	assert_int_equal(m2m_coap_server_start(srv), M2M_OK);
	buf[n++] = 0x40 | 1; /* CON GET, token length 1 */
	buf[n++] = 0x01;
	buf[n++] = 0x55;
	buf[n++] = 0x66;
	buf[n++] = 0x77;
	n += put_opt(buf + n, 0, 11, "cse-in", 6);
	n += put_opt(buf + n, 11, 271, "3", 1);
	n += put_opt(buf + n, 271, 279, "Cu1", 3);
	n += put_opt(buf + n, 279, 283, "rq-d", 4);

	got = dtls_exchange(m2m_coap_server_port(srv, true), key, buf, n, a1, a2);
	assert_true(got > 5);
	assert_int_equal(s.calls, 1);             /* the retransmission did not reach the CSE again */
	assert_memory_equal(a1, a2, (size_t)got); /* ... and got the same answer (RFC 7252 4.5) */
	assert_int_equal(s.kind, M2M_SA_PSK);     /* the association of the psk-file line */
	assert_string_equal(s.bound, "Cu1");
	assert_int_equal(a1[1], (2 << 5) | 5);
	assert_int_equal(a1[2], 0x55);
	assert_int_equal(a1[3], 0x66);

	/* a wrong key: no session, nothing reaches the CSE */
	assert_true(dtls_exchange(m2m_coap_server_port(srv, true), "vutsrqponmlkjihgfedcba9876543210", buf, n, a1,
				  a2) <= 0);
	assert_int_equal(s.calls, 1);
	m2m_coap_server_free(srv);
	m2m_tls_free(tls);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_plain_request_roundtrip),
		cmocka_unit_test(test_later_block_and_ping),
		cmocka_unit_test(test_dtls_psk_association_and_duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
