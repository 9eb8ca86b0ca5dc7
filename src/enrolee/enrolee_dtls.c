/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the enrolee library's DTLS 1.2 association for CoAP (TS-0008 V3.9.0
 * clause 7, TS-0003 clause 10.2; `m2msec enrol --mef coaps://...`, `m2msec maf-client --maf
 * coaps://...`): a connected UDP socket, the DTLS handshake on it driven by poll(2) with the
 * handshake's own retransmission timer (RFC 6347 clause 4.2.4) inside one total deadline, the
 * server verified exactly as over TLS (same context settings, same name check), and the datagram
 * channel the CoAP message layer (enrolee_coap.c) runs over. The RFC 5705 exporter of TS-0003
 * clause 10.3.1 runs on this SSL as on a TLS one (Ke/KeID, Kc/KcID with the same labels).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "enrolee/enrolee_coap.h"
#include "enrolee/enrolee_int.h"

/* The CoAP client state and what its channel reads and writes (c->coap points at the first). */
struct link {
	m2mi_coapc cc;
	SSL *ssl;
	int fd;
};

/* Wait for fd (read or write) until until_ms: M2M_OK ready, M2M_E_RANGE time is up. */
static m2m_err wait_until(int fd, bool write, int64_t until_ms)
{
	for (;;) {
		int64_t left = until_ms - m2mi_enr_now_ms();
		struct pollfd p = {.fd = fd, .events = write ? POLLOUT : POLLIN};
		int n;

		if (left <= 0)
			return M2M_E_RANGE;
		n = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return M2M_OK;
		if (n < 0 && errno != EINTR)
			return M2M_E_IO;
	}
}

static m2m_err chan_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct link *l = ctx;

	for (;;) {
		int n = SSL_write(l->ssl, buf, (int)len), e;

		if (n > 0)
			return (size_t)n == len ? M2M_OK : M2M_E_IO;
		e = SSL_get_error(l->ssl, n);
		ERR_clear_error();
		if ((e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) ||
		    wait_until(l->fd, e == SSL_ERROR_WANT_WRITE, l->cc.deadline_ms) != M2M_OK)
			return M2M_E_IO;
	}
}

/* One record's plaintext: a datagram of the server. Records that do not authenticate are
 * dropped by OpenSSL (RFC 6347 clause 4.1.2.7) and never reach the caller. */
static m2m_err chan_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len, int64_t until_ms)
{
	struct link *l = ctx;

	for (;;) {
		int n = SSL_read(l->ssl, buf, (int)cap), e;
		m2m_err r;

		if (n > 0) {
			*len = (size_t)n;
			return M2M_OK;
		}
		e = SSL_get_error(l->ssl, n);
		ERR_clear_error();
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return M2M_E_IO; /* close_notify, an alert, ICMP unreachable */
		if ((r = wait_until(l->fd, e == SSL_ERROR_WANT_WRITE, until_ms)) != M2M_OK)
			return r;
	}
}

static int udp_connect(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_family = AF_UNSPEC}, *res = NULL, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* After a flight of ours the server answered: it is there, and a handshake it then leaves
 * unfinished failed on the key (a wrong PSK: the server cannot read our Finished). */
static bool server_answered(const SSL *ssl)
{
	OSSL_HANDSHAKE_STATE st = SSL_get_state(ssl);

	return st == TLS_ST_CW_CERT || st == TLS_ST_CW_KEY_EXCH || st == TLS_ST_CW_CERT_VRFY ||
	       st == TLS_ST_CW_CHANGE || st == TLS_ST_CW_FINISHED || st == TLS_ST_CR_SESSION_TICKET ||
	       st == TLS_ST_CR_CHANGE || st == TLS_ST_CR_FINISHED || st == TLS_ST_CR_SRVR_DONE;
}

static m2m_err handshake(SSL *ssl, int fd, int64_t deadline_ms)
{
	for (;;) {
		int rc = SSL_connect(ssl), e;
		struct timeval tv;
		int64_t until = deadline_ms;
		m2m_err r;

		if (rc == 1)
			return M2M_OK;
		e = SSL_get_error(ssl, rc);
		ERR_clear_error();
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return e == SSL_ERROR_SSL ? M2M_E_AUTH : M2M_E_IO;
		if (DTLSv1_get_timeout(ssl, &tv) == 1) {
			int64_t t = m2mi_enr_now_ms() + (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
			if (t < until)
				until = t;
		}
		r = wait_until(fd, e == SSL_ERROR_WANT_WRITE, until);
		if (r == M2M_E_RANGE) {
			if (m2mi_enr_now_ms() >= deadline_ms)
				return server_answered(ssl) ? M2M_E_AUTH : M2M_E_IO;
			if (DTLSv1_handle_timeout(ssl) < 0) /* resend our last flight */
				return M2M_E_IO;
		} else if (r != M2M_OK) {
			return M2M_E_IO;
		}
	}
}

m2m_err m2mi_enr_dtls_connect(SSL_CTX *ctx, void *app, const char *host, const char *port, const char *verify_name,
			      int64_t deadline_ms, m2mi_enr_conn *c)
{
	bool is_ip = strchr(host, ':') != NULL || strspn(host, "0123456789.") == strlen(host);
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct link *l;
	BIO *bio;
	m2m_err r = M2M_E_IO;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->deadline_ms = deadline_ms;
	snprintf(c->authority, sizeof(c->authority), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return M2M_E_NOMEM;
	c->coap = &l->cc;
	if ((c->fd = udp_connect(host, port)) < 0 || getpeername(c->fd, (struct sockaddr *)&peer, &plen) != 0)
		goto fail;
	r = M2M_E_NOMEM;
	if ((c->ssl = SSL_new(ctx)) == NULL || (bio = BIO_new_dgram(c->fd, BIO_NOCLOSE)) == NULL)
		goto fail;
	(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
	SSL_set_bio(c->ssl, bio, bio);
	if (SSL_set_app_data(c->ssl, app) != 1)
		goto fail;
	if (verify_name != NULL && verify_name[0] != '\0') {
		/* as over TLS (m2mi_enr_connect): the server's certificate must carry this name */
		if (SSL_set1_host(c->ssl, verify_name) != 1 ||
		    (!is_ip && SSL_set_tlsext_host_name(c->ssl, verify_name) != 1))
			goto fail;
	}
	if ((r = handshake(c->ssl, c->fd, deadline_ms)) != M2M_OK)
		goto fail;
	l->ssl = c->ssl;
	l->fd = c->fd;
	l->cc.chan = (m2mi_coapc_chan){l, chan_send, chan_recv};
	l->cc.deadline_ms = deadline_ms;
	l->cc.max_body = M2MI_ENR_BODY_MAX;
	return M2M_OK;
fail:
	ERR_clear_error();
	m2mi_enr_close(c);
	return r;
}

m2m_err m2mi_enr_coap(m2mi_enr_conn *c, const char *method, const char *path, json_t *body, m2mi_enr_rsp *rsp,
		      char *why, size_t whycap)
{
	static const struct { const char *name; m2m_op op; } ops[] = {
		{"POST", M2M_OP_CREATE}, {"GET", M2M_OP_RETRIEVE}, {"PUT", M2M_OP_UPDATE}, {"DELETE", M2M_OP_DELETE},
	};
	char rqi[32];
	m2m_request req;
	m2m_response out;
	m2m_err r = M2M_E_INVAL;

	memset(rsp, 0, sizeof(*rsp));
	if (c->coap == NULL || path == NULL || path[0] != '/')
		return M2M_E_INVAL;
	m2m_request_init(&req);
	m2m_response_init(&out);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(method, ops[i].name) == 0)
			req.op = ops[i].op;
	snprintf(rqi, sizeof(rqi), "enrolee-%u", ++c->next_ri);
	/* POST to a procedure collection without oneM2M-TY, as the HTTP binding sends it */
	req.to = strdup(path + 1);
	req.rqi = strdup(rqi);
	req.rvi = strdup("3");
	req.pc = json_incref(body);
	if (req.to == NULL || req.rqi == NULL || req.rvi == NULL)
		r = M2M_E_NOMEM;
	else if (req.op != M2M_OP_NONE)
		r = m2mi_coapc_request(c->coap, &req, &out);
	if (r == M2M_OK) {
		rsp->rsc = out.rsc;
		snprintf(rsp->ctype, sizeof(rsp->ctype), "application/json");
		if (out.pc != NULL && (rsp->body = json_dumps(out.pc, JSON_COMPACT)) == NULL)
			r = M2M_E_NOMEM;
		rsp->blen = rsp->body != NULL ? strlen(rsp->body) : 0;
	} else if (why != NULL && c->coap->why[0] != '\0') {
		snprintf(why, whycap, "CoAP: %s", c->coap->why);
	}
	m2m_request_clear(&req);
	m2m_response_clear(&out);
	return r;
}
