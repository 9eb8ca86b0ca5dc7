/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the enrolee's connection to the MEF and the EST server: TCP connect and
 * TLS handshake on a non-blocking socket driven by poll(2) against one total deadline (a device
 * must not hang on a silent MEF), and a minimal HTTP/1.1 request/response exchange for the Mmef
 * primitives of the HTTP binding (TS-0009 clause 6) and for EST (RFC 7030 clause 3.2). Responses
 * are bounded (head and body) and framed by Content-Length only; anything else is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/mef_codec.h"
#include "enrolee/enrolee_int.h"

int64_t m2mi_enr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

m2m_err m2mi_enr_split_hostport(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long p;

	if (s == NULL)
		return M2M_E_INVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return M2M_E_INVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return M2M_E_INVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hcap || strlen(colon + 1) == 0 || strlen(colon + 1) >= pcap)
		return M2M_E_INVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p < 1 || p > 65535 || colon[1] == '+' || colon[1] == '-')
		return M2M_E_INVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, pcap, "%ld", p);
	return M2M_OK;
}

/* m2m:timestamp "YYYYMMDDTHHMMSS" (UTC) to Unix seconds; 0 when malformed. The MEF's own parser
 * (core/mef_codec.c), so the enrolee reads the timestamps exactly as the MEF writes them. */
int64_t m2mi_enr_parse_ts(const char *s)
{
	int64_t t;

	return m2mi_mef_ts_parse(s, &t) == M2M_OK ? t : 0;
}

/* The authority "host:port" of an https URI and its path (after it). */
bool m2mi_enr_uri_split(const char *uri, char *auth, size_t acap, const char **path)
{
	const char *a, *p;

	if (uri == NULL || strncmp(uri, "https://", 8) != 0)
		return false;
	a = uri + 8;
	p = strchr(a, '/');
	if (p == NULL)
		p = a + strlen(a);
	if (p == a || (size_t)(p - a) >= acap)
		return false;
	memcpy(auth, a, (size_t)(p - a));
	auth[p - a] = '\0';
	if (strchr(auth, ':') == NULL && strlen(auth) + 4 < acap)
		memcpy(auth + strlen(auth), ":443", 5);
	*path = p;
	return true;
}

/* Wait until fd is readable (or writable) or the deadline passed. */
static m2m_err wait_fd(int fd, bool want_write, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - m2mi_enr_now_ms();
		struct pollfd p = {.fd = fd, .events = want_write ? POLLOUT : POLLIN};
		int n;

		if (left <= 0)
			return M2M_E_IO;
		n = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return M2M_OK;
		if (n < 0 && errno != EINTR)
			return M2M_E_IO;
	}
}

static int tcp_connect(const char *host, const char *port, int64_t deadline_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int err = 0;
		socklen_t el = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && wait_fd(fd, true, deadline_ms) == M2M_OK &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Drive one SSL call to completion; ret is its return value. 1 = done, 0 = closed cleanly,
 * -1 = failure (err_out says which). */
static int ssl_step(m2mi_enr_conn *c, int ret, m2m_err *err_out)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*err_out = wait_fd(c->fd, e == SSL_ERROR_WANT_WRITE, c->deadline_ms);
		return *err_out == M2M_OK ? 2 : -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	*err_out = e == SSL_ERROR_SSL ? M2M_E_AUTH : M2M_E_IO;
	return -1;
}

m2m_err m2mi_enr_connect(SSL_CTX *ctx, void *app, const char *host, const char *port, const char *verify_name,
			 int64_t deadline_ms, m2mi_enr_conn *c)
{
	m2m_err r = M2M_E_IO;
	bool is_ip = strchr(host, ':') != NULL || strspn(host, "0123456789.") == strlen(host);

	if (SSL_CTX_get_ssl_method(ctx) == DTLS_client_method())
		return m2mi_enr_dtls_connect(ctx, app, host, port, verify_name, deadline_ms, c);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->deadline_ms = deadline_ms;
	snprintf(c->authority, sizeof(c->authority), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	if ((c->fd = tcp_connect(host, port, deadline_ms)) < 0)
		return M2M_E_IO;
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_set_app_data(c->ssl, app) != 1)
		goto fail;
	if (verify_name != NULL && verify_name[0] != '\0') {
		/* The MEF shows an FQDN certificate (TS-0003 clause 10.1.1.6): check that name. */
		if (SSL_set1_host(c->ssl, verify_name) != 1)
			goto fail;
		if (!is_ip && SSL_set_tlsext_host_name(c->ssl, verify_name) != 1)
			goto fail;
	}
	for (;;) {
		int rc = SSL_connect(c->ssl);
		int s;

		if (rc == 1)
			return M2M_OK;
		s = ssl_step(c, rc, &r);
		if (s == 2)
			continue;
		if (s == 0)
			r = M2M_E_AUTH; /* closed during the handshake: refused */
		goto fail;
	}
fail:
	ERR_clear_error();
	m2mi_enr_close(c);
	return r;
}

void m2mi_enr_close(m2mi_enr_conn *c)
{
	free(c->coap);
	c->coap = NULL;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl); /* best effort close_notify, non-blocking */
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

void m2mi_enr_rsp_clear(m2mi_enr_rsp *rsp)
{
	free(rsp->body);
	memset(rsp, 0, sizeof(*rsp));
}

static m2m_err write_all(m2mi_enr_conn *c, const char *p, size_t n)
{
	while (n > 0) {
		m2m_err r = M2M_OK;
		int rc = SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);

		if (rc > 0) {
			p += rc;
			n -= (size_t)rc;
			continue;
		}
		if (ssl_step(c, rc, &r) != 2)
			return r != M2M_OK ? r : M2M_E_IO;
	}
	return M2M_OK;
}

/* Case-insensitive header lookup in a head [h, end): value copied to out. */
static bool header(const char *h, const char *end, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	for (const char *l = h; l < end;) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - l) > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1, *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if ((size_t)(ve - v) >= cap)
				return false;
			memcpy(out, v, (size_t)(ve - v));
			out[ve - v] = '\0';
			return true;
		}
		l = eol + 1;
	}
	return false;
}

m2m_err m2mi_enr_parse_response(const char *buf, size_t len, m2mi_enr_rsp *rsp, size_t *used)
{
	const char *end = NULL;
	char v[64], *e;
	size_t head, clen = 0;
	long st;

	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 2;
			break;
		}
	if (end == NULL)
		return len > M2MI_ENR_HEAD_MAX ? M2M_E_TOO_LARGE : M2M_E_NOT_FOUND;
	head = (size_t)(end - buf) + 2;
	/* "HTTP/1.x NNN": the three digits read in place (the buffer is not NUL-terminated) */
	if (len < 13 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || (buf[12] != ' ' && buf[12] != '\r'))
		return M2M_E_PROTO;
	st = 0;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return M2M_E_PROTO;
		st = st * 10 + (buf[i] - '0');
	}
	if (st < 100 || st > 599)
		return M2M_E_PROTO;
	if (header(buf, end, "Transfer-Encoding", v, sizeof(v)))
		return M2M_E_PROTO; /* our servers frame with Content-Length; anything else is refused */
	if (header(buf, end, "Content-Length", v, sizeof(v))) {
		unsigned long long n;
		if (v[0] < '0' || v[0] > '9')
			return M2M_E_PROTO;
		n = strtoull(v, &e, 10);
		if (*e != '\0')
			return M2M_E_PROTO;
		if (n > M2MI_ENR_BODY_MAX)
			return M2M_E_TOO_LARGE;
		clen = (size_t)n;
	}
	if (len - head < clen)
		return M2M_E_NOT_FOUND;
	memset(rsp, 0, sizeof(*rsp));
	rsp->status = (int)st;
	if (header(buf, end, "X-M2M-RSC", v, sizeof(v)))
		rsp->rsc = (int)strtol(v, NULL, 10);
	if (!header(buf, end, "Content-Type", rsp->ctype, sizeof(rsp->ctype)))
		rsp->ctype[0] = '\0';
	if ((rsp->body = malloc(clen + 1)) == NULL)
		return M2M_E_NOMEM;
	memcpy(rsp->body, buf + head, clen);
	rsp->body[clen] = '\0';
	rsp->blen = clen;
	*used = head + clen;
	return M2M_OK;
}

m2m_err m2mi_enr_http(m2mi_enr_conn *c, const char *method, const char *path, const char *const *extra,
		      const char *body, size_t blen, m2mi_enr_rsp *rsp)
{
	char head[2048], *buf = NULL;
	size_t n, cap = 0, got = 0, used = 0;
	m2m_err r;
	int w;

	memset(rsp, 0, sizeof(*rsp));
	if (c->ssl == NULL)
		return M2M_E_IO;
	if (c->coap != NULL) /* EST over CoAP (RFC 9148) is not implemented */
		return M2M_E_UNSUPPORTED;
	w = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: enrolee-%u\r\n"
			 "X-M2M-RVI: 3\r\nContent-Length: %zu\r\n", method, path, c->authority, ++c->next_ri, blen);
	if (w < 0 || (size_t)w >= sizeof(head))
		return M2M_E_TOO_LARGE;
	n = (size_t)w;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		w = snprintf(head + n, sizeof(head) - n, "%s\r\n", extra[i]);
		if (w < 0 || (size_t)w >= sizeof(head) - n)
			return M2M_E_TOO_LARGE;
		n += (size_t)w;
	}
	if (n + 3 > sizeof(head))
		return M2M_E_TOO_LARGE;
	memcpy(head + n, "\r\n", 3);
	n += 2;
	if ((r = write_all(c, head, n)) != M2M_OK || (blen > 0 && (r = write_all(c, body, blen)) != M2M_OK))
		return r;
	for (;;) {
		int rc;
		if (got == cap) {
			char *nb;
			if (cap >= M2MI_ENR_HEAD_MAX + M2MI_ENR_BODY_MAX) {
				r = M2M_E_TOO_LARGE;
				break;
			}
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				r = M2M_E_NOMEM;
				break;
			}
			buf = nb;
		}
		rc = SSL_read(c->ssl, buf + got, (int)(cap - got));
		if (rc > 0) {
			got += (size_t)rc;
			r = m2mi_enr_parse_response(buf, got, rsp, &used);
			if (r != M2M_E_NOT_FOUND)
				break;
			continue;
		}
		r = M2M_OK;
		if (ssl_step(c, rc, &r) != 2) {
			r = M2M_E_IO; /* closed or failed before a complete answer */
			break;
		}
	}
	free(buf);
	if (r != M2M_OK)
		m2mi_enr_rsp_clear(rsp);
	return r;
}

/* TS-0003 clause 10.2: the PSK suites the MEF and the MAF offer (TLS 1.2). */
#define PSK_SUITES "PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256"
#define CERT_SUITES "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES128-CCM:" \
		    "ECDHE-ECDSA-AES128-SHA256"

/* A client context of TLS (dtls false) or DTLS 1.2: the same suites, trust and credentials. */
static m2m_err ctx_new(bool dtls, const char *ca_file, SSL_psk_client_cb_func psk_cb, const char *cert_file,
		       const char *key_file, SSL_CTX **out)
{
	SSL_CTX *ctx = SSL_CTX_new(dtls ? DTLS_client_method() : TLS_client_method());
	bool psk = psk_cb != NULL;
	int min = dtls ? DTLS1_2_VERSION : TLS1_2_VERSION;
	int max = dtls ? DTLS1_2_VERSION : psk ? TLS1_2_VERSION : TLS1_3_VERSION;

	*out = NULL;
	if (ctx == NULL)
		return M2M_E_NOMEM;
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1 || SSL_CTX_set_max_proto_version(ctx, max) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, psk ? PSK_SUITES : CERT_SUITES) != 1) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return M2M_E_CRYPTO;
	}
	/* The server's trust anchor: a file that is no CA bundle is a configuration error either way. */
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return M2M_E_CERT;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
	if (psk) {
		SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	} else if (cert_file == NULL || key_file == NULL ||
		   SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
		   SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
		   SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return M2M_E_CERT;
	}
	*out = ctx;
	return M2M_OK;
}

m2m_err m2mi_enr_ctx_new(const char *ca_file, SSL_psk_client_cb_func psk_cb, const char *cert_file,
			 const char *key_file, SSL_CTX **out)
{
	return ctx_new(false, ca_file, psk_cb, cert_file, key_file, out);
}

m2m_err m2mi_enr_dtls_ctx_new(const char *ca_file, SSL_psk_client_cb_func psk_cb, const char *cert_file,
			      const char *key_file, SSL_CTX **out)
{
	return ctx_new(true, ca_file, psk_cb, cert_file, key_file, out);
}

m2m_err m2mi_enr_server_ctx(const m2mi_enr_server *s, SSL_psk_client_cb_func psk_cb, const char *cert_file,
			    const char *key_file, SSL_CTX **out)
{
	return ctx_new(s->coaps, s->ca_file, psk_cb, cert_file, key_file, out);
}

/* Record a refusal: RSC and its m2m:dbg text (our servers never put a key there), control
 * characters blanked so the text is safe to print. */
static m2m_err refused(const m2mi_enr_rsp *rsp, m2mi_enr_why *why)
{
	json_t *j = rsp->body != NULL ? json_loadb(rsp->body, rsp->blen, 0, NULL) : NULL;
	const char *dbg = json_string_value(json_object_get(j, "m2m:dbg"));

	why->rsc = rsp->rsc;
	snprintf(why->reason, sizeof(why->reason), "%s", dbg != NULL ? dbg : "refused");
	for (char *p = why->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	json_decref(j);
	return M2M_E_PROTO;
}

m2m_err m2mi_enr_json(m2mi_enr_conn *c, const char *method, const char *path, json_t *body, int want_rsc,
		      const char *wrapper, json_t **out, m2mi_enr_why *why)
{
	static const char *const hdr[] = {"Content-Type: application/json", "Accept: application/json", NULL};
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	m2mi_enr_rsp rsp;
	json_t *j;
	m2m_err r;

	if (out != NULL)
		*out = NULL;
	if (body != NULL && text == NULL)
		return M2M_E_NOMEM;
	if (c->coap != NULL) /* the same primitive over CoAP (TS-0008): the answer read alike */
		r = m2mi_enr_coap(c, method, path, body, &rsp, why->reason, sizeof(why->reason));
	else
		r = m2mi_enr_http(c, method, path, hdr, text, text != NULL ? strlen(text) : 0, &rsp);
	free(text);
	if (r != M2M_OK)
		return r;
	if (rsp.rsc != want_rsc) {
		r = refused(&rsp, why);
		m2mi_enr_rsp_clear(&rsp);
		return r;
	}
	j = json_loadb(rsp.body, rsp.blen, 0, NULL);
	m2mi_enr_rsp_clear(&rsp);
	if (wrapper == NULL || out == NULL) {
		json_decref(j);
		return M2M_OK;
	}
	if (!json_is_object(json_object_get(j, wrapper))) {
		json_decref(j);
		return M2M_E_PROTO;
	}
	*out = json_incref(json_object_get(j, wrapper));
	json_decref(j);
	return M2M_OK;
}
