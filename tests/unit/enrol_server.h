/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the in-process MEF of the enrolee end-to-end test: the project's own
 * pieces on loopback (m2m_tls with m2m_mef_psk_resolve, m2m_mef_assoc_new_from_ssl after the
 * handshake, m2m_http_parse_request -> m2m_mef_handle -> m2m_http_serialize_response) in a
 * thread with blocking sockets, one connection at a time, plus an EST endpoint (RFC 7030
 * clause 4: cacerts, csrattrs, simpleenroll) signing with a m2m_ca, so the enrolee library talks
 * to the real procedure layer over real TLS (TS-0003 clause 8.3).
 */
#ifndef M2M_TEST_ENROL_SERVER_H
#define M2M_TEST_ENROL_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <openssl/pkcs7.h>

#include "tls_test.h"
#include "mef_fixture.h"
#include "m2msec/ca.h"
#include "m2msec/http.h"

typedef struct es {
	fx *f;
	m2m_tls *tls;
	m2m_ca *ca;       /* EST issuing CA, or NULL */
	int lfd, port;
	pthread_t th;
	volatile int stop;
	char csr_san[512]; /* SAN of the last CSR seen by simpleenroll */
	int enrolls;
	bool est_refuse;   /* simpleenroll answers 403 claim-refused */
	char last_op[32];  /* the last EST operation asked for */
} es;

/* base64 DER PKCS#7 certs-only of one certificate (RFC 7030 clause 4.1.3). */
static inline char *es_certs_only(X509 *x)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	char *b64;
	int n;

	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	assert_int_equal(PKCS7_add_certificate(p7, x), 1);
	n = i2d_PKCS7(p7, &der);
	assert_true(n > 0);
	b64 = calloc(1, 4 * ((size_t)n + 2) / 3 + 8);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	PKCS7_free(p7);
	return b64;
}

static inline X509 *es_pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	return x;
}

/* EST: returns the HTTP status; *body (malloc'd) and ctype set for 200. */
static inline int es_est(es *s, const m2m_mef_assoc *a, const char *op, const char *body, size_t blen, char **out,
			 const char **ctype)
{
	*out = NULL;
	*ctype = "application/pkcs7-mime; smime-type=certs-only";
	snprintf(s->last_op, sizeof(s->last_op), "%.31s", op);
	if (a == NULL || m2m_mef_assoc_peer(a) != M2M_MEF_PEER_ENROLEE || s->ca == NULL)
		return 401;
	if (strcmp(op, "cacerts") == 0) {
		X509 *x = es_pem_x509(m2m_ca_cert_pem(s->ca));
		*out = es_certs_only(x);
		X509_free(x);
		return 200;
	}
	if (strcmp(op, "csrattrs") == 0)
		return 204;
	if (strcmp(op, "simpleenroll") == 0 || strcmp(op, "simplereenroll") == 0) {
		unsigned char der[4096];
		char clean[6000], *pem = NULL;
		const unsigned char *p = der;
		size_t n = 0;
		int dl;
		X509_REQ *rq;
		STACK_OF(X509_EXTENSION) *exts;
		GENERAL_NAMES *g;
		const char *sans[1];
		X509 *x;

		for (size_t i = 0; i < blen && n + 1 < sizeof(clean); i++)
			if (body[i] != '\r' && body[i] != '\n')
				clean[n++] = body[i];
		clean[n] = '\0';
		dl = EVP_DecodeBlock(der, (unsigned char *)clean, (int)n);
		dl -= (n > 0 && clean[n - 1] == '=') + (n > 1 && clean[n - 2] == '='); /* padding bytes */
		if (dl <= 0 || (rq = d2i_X509_REQ(NULL, &p, dl)) == NULL)
			return 400;
		exts = X509_REQ_get_extensions(rq);
		g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
		s->csr_san[0] = '\0';
		if (g != NULL && sk_GENERAL_NAME_num(g) == 1) {
			int type;
			ASN1_IA5STRING *v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(g, 0), &type);
			snprintf(s->csr_san, sizeof(s->csr_san), "%s%.*s", type == GEN_URI ? "URI:" : "DNS:",
				 ASN1_STRING_length(v), (const char *)ASN1_STRING_get0_data(v));
		}
		GENERAL_NAMES_free(g);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		X509_REQ_free(rq);
		s->enrolls++;
		if (s->est_refuse) {
			*out = strdup("claim-refused\n");
			*ctype = "text/plain";
			return 403;
		}
		sans[0] = s->csr_san + 4;
		if (m2m_ca_issue_csr(s->ca, (const char *)der, (size_t)dl, sans, 1, 30, NULL, &pem) != M2M_OK)
			return 403;
		x = es_pem_x509(pem);
		free(pem);
		*out = es_certs_only(x);
		X509_free(x);
		return 200;
	}
	return 404;
}

static inline bool es_write(SSL *ssl, const char *p, size_t n)
{
	while (n > 0) {
		int w = SSL_write(ssl, p, (int)n);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* One request on ssl; false when the connection is done. */
static inline bool es_request(es *s, SSL *ssl, const m2m_mef_assoc *a)
{
	char buf[65536], *hend = NULL, method[16], target[1024], *line, *save = NULL;
	m2m_http_header hdr[32];
	size_t n = 0, nh = 0, clen = 0, head;
	m2m_http_limits lim = {0};
	m2m_request req;
	m2m_response rsp;
	m2m_http_out out;
	char status[64];

	while (hend == NULL) {
		int r = SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n));
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		hend = strstr(buf, "\r\n\r\n");
	}
	head = (size_t)(hend - buf) + 4;
	*hend = '\0';
	line = strtok_r(buf, "\r\n", &save);
	if (line == NULL || sscanf(line, "%15s %1023s", method, target) != 2)
		return false;
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL && nh < 32) {
		char *c = strchr(line, ':');
		if (c == NULL)
			return false;
		*c++ = '\0';
		while (*c == ' ')
			c++;
		hdr[nh].name = line;
		hdr[nh++].value = c;
		if (strcasecmp(line, "Content-Length") == 0)
			clen = strtoul(c, NULL, 10);
	}
	while (n < head + clen) {
		int r = SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n));
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	if (strncmp(target, "/.well-known/est/", 17) == 0) {
		const char *ct;
		char *body = NULL, h[256];
		int st = es_est(s, a, target + 17, buf + head, clen, &body, &ct);
		size_t bl = body != NULL ? strlen(body) : 0;
		snprintf(h, sizeof(h), "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
			 "Content-Length: %zu\r\n\r\n", st, ct, bl);
		bool ok = es_write(ssl, h, strlen(h)) && (bl == 0 || es_write(ssl, body, bl));
		free(body);
		return ok;
	}
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	if (m2m_http_parse_request(method, target, hdr, nh, (const uint8_t *)buf + head, clen, &lim, &req, &rsp) ==
	    M2M_OK)
		m2m_mef_handle(s->f->w, a, &req, &rsp, (int64_t)time(NULL));
	assert_int_equal(m2m_http_serialize_response(&req, &rsp, &out), M2M_OK);
	snprintf(status, sizeof(status), "HTTP/1.1 %d X\r\n", out.status);
	bool ok = es_write(ssl, status, strlen(status));
	for (size_t i = 0; ok && i < out.nheaders; i++) {
		char h[512];
		snprintf(h, sizeof(h), "%s: %s\r\n", out.headers[i].name, out.headers[i].value);
		ok = es_write(ssl, h, strlen(h));
	}
	ok = ok && es_write(ssl, "\r\n", 2) && (out.body_len == 0 || es_write(ssl, out.body, out.body_len));
	m2m_http_out_clear(&out);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	return ok;
}

static inline void *es_main(void *arg)
{
	es *s = arg;

	while (!s->stop) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};
		struct timeval tv = {.tv_sec = 10};
		m2m_mef_assoc *a = NULL;
		m2m_sa sa;
		SSL *ssl;
		int fd;

		if (poll(&p, 1, 50) <= 0 || (fd = accept(s->lfd, NULL, NULL)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssl = SSL_new(m2m_tls_ctx(s->tls));
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1) {
			if (m2m_tls_peer_sa(s->tls, ssl, &sa) == M2M_OK &&
			    m2m_mef_assoc_new_from_ssl(s->f->mef, ssl, &sa, &a) != M2M_OK)
				a = NULL;
			while (es_request(s, ssl, a))
				;
			SSL_shutdown(ssl);
		}
		m2m_mef_assoc_free(a);
		SSL_free(ssl);
		close(fd);
		ERR_clear_error();
	}
	return NULL;
}

/* Bind 127.0.0.1:0 first (the EST URI needs the port), then build the MEF. */
static inline void es_bind(es *s)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
}

static inline void es_start(es *s)
{
	s->stop = 0;
	assert_int_equal(pthread_create(&s->th, NULL, es_main, s), 0);
}

static inline void es_stop(es *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
}

#endif
