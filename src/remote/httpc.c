/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the non-blocking HTTP/1.1 client the CSE uses to send NOTIFY requests
 * (TS-0009 clause 6: POST to the notification URI with X-M2M-Origin, X-M2M-RI, X-M2M-RVI and a
 * JSON body; the receiver answers with X-M2M-RSC). It runs on one libevent event_base (the
 * notifier loop, notify_q.c) and never blocks it:
 *  - only "http://host[:port][/path]" URIs; control characters and spaces are refused so
 *    nothing can be injected into the request head;
 *  - the host is resolved once (an IP literal without any I/O, a name with evdns), every
 *    resolved address is checked against the destination policy (core/addr_policy.c: one denied
 *    address denies the target, so a name cannot mix an allowed and a denied answer), and the
 *    socket connects to exactly the checked address: no second resolution, no DNS-rebinding
 *    window between check and use;
 *  - one total deadline per exchange (resolution, connect, send, response head), the response
 *    head is capped at 8 KiB, the connection is closed after one exchange;
 *  - the completion callback runs exactly once, never from inside m2mi_httpc_post.
 * The same client speaks HTTPS for the outbound associations (httpc.h, remote_link.c: the
 * CSE's links to the MEF and the MAF, docs/procedures/mef.md and maf.md): "https://" URLs, a client certificate and the server's certificate
 * verified against the CA and the expected host name (SSL_set1_host / IP SAN), and RETRIEVE
 * requests whose response body (bounded) is handed to the callback.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "remote/httpc.h"

#define HEAD_MAX 8192
#define BODY_MAX 16384 /* a RETRIEVE answer (fetchCredRsp, a security profile) */

typedef struct hreq {
	struct hreq *prev, *next;  /* live requests of the client */
	m2mi_httpc *h;
	m2mi_httpc_cb cb;
	void *arg;
	char *out;                 /* the whole request */
	size_t outlen;
	m2mi_url u;
	struct evdns_getaddrinfo_request *dns;
	bool dns_pending, done;
	bool *dns_called;          /* set while evdns_getaddrinfo runs: it may call back at once */
	struct bufferevent *bev;
	struct event *timer;       /* the deadline */
	struct event *start;       /* the deferred start: owned (not event_base_once) so freeing r
				    * cancels it and the owner may run its loop once more at teardown */
	char head[HEAD_MAX];
	size_t n;
	bool tls;                  /* https:// */
	m2mi_httpc_body_cb bcb;    /* a RETRIEVE: the answer's body goes to bcb instead of cb */
	char *buf;                 /* head + body of a RETRIEVE answer (HEAD_MAX + BODY_MAX) */
	char vname[256];           /* this exchange's expected server name ("" = the client's) */
} hreq;

struct m2mi_httpc {
	struct event_base *base;
	struct evdns_base *dns;    /* created at the first name that is no IP literal */
	const m2mi_addr_policy *pol; /* NULL: every address (the operator's configured MEF / MAF) */
	hreq *live;
	SSL_CTX *ssl_ctx;          /* https://: client certificate + trust anchors (up-ref'd) */
	char verify_name[256];     /* the name the server certificate must carry ("" = URL host) */
};

/* tls == NULL: only http:// (notification targets); else https:// too, *tls tells which. */
static m2m_err parse_url(const char *url, m2mi_url *u, bool *tls)
{
	const char *p, *h, *hend, *slash;
	size_t n;
	bool https = tls != NULL && strncmp(url, "https://", 8) == 0;

	if (strncmp(url, "http://", 7) != 0 && !https)
		return M2M_E_UNSUPPORTED;
	if (tls != NULL)
		*tls = https;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return M2M_E_INVAL;
	h = url + (https ? 8 : 7);
	slash = strchr(h, '/');
	hend = slash ? slash : h + strlen(h);
	if (memchr(h, '@', (size_t)(hend - h)) != NULL || memchr(h, '?', (size_t)(hend - h)) != NULL ||
	    memchr(h, '#', (size_t)(hend - h)) != NULL)
		return M2M_E_INVAL; /* no userinfo; no query or fragment before the path */
	snprintf(u->port, sizeof(u->port), https ? "443" : "80");
	if (*h == '[') { /* [v6]:port */
		const char *rb = memchr(h, ']', (size_t)(hend - h));
		if (rb == NULL || (size_t)(rb - h - 1) >= sizeof(u->host))
			return M2M_E_INVAL;
		memcpy(u->host, h + 1, (size_t)(rb - h - 1));
		u->host[rb - h - 1] = '\0';
		p = rb + 1;
		if (strchr(u->host, ':') == NULL)
			return M2M_E_INVAL;
	} else {
		const char *colon = memchr(h, ':', (size_t)(hend - h));
		p = colon ? colon : hend;
		if ((size_t)(p - h) >= sizeof(u->host))
			return M2M_E_INVAL;
		memcpy(u->host, h, (size_t)(p - h));
		u->host[p - h] = '\0';
	}
	if (u->host[0] == '\0')
		return M2M_E_INVAL;
	if (*p == ':') {
		n = (size_t)(hend - p - 1);
		if (n == 0 || n > 5 || strspn(p + 1, "0123456789") < n)
			return M2M_E_INVAL;
		memcpy(u->port, p + 1, n);
		u->port[n] = '\0';
		if (strtol(u->port, NULL, 10) < 1 || strtol(u->port, NULL, 10) > 65535)
			return M2M_E_INVAL;
	} else if (p != hend) {
		return M2M_E_INVAL;
	}
	n = strlen(hend);
	if (n >= sizeof(u->path))
		return M2M_E_INVAL;
	snprintf(u->path, sizeof(u->path), "%s", n ? hend : "/");
	return M2M_OK;
}

m2m_err m2mi_url_parse(const char *url, m2mi_url *u)
{
	return parse_url(url, u, NULL);
}

m2m_err m2mi_url_parse_any(const char *url, m2mi_url *u, bool *tls)
{
	return parse_url(url, u, tls);
}

m2m_err m2mi_httpc_set_tls(m2mi_httpc *h, SSL_CTX *ctx, const char *verify_name)
{
	if (h == NULL || ctx == NULL || (verify_name && strlen(verify_name) >= sizeof(h->verify_name)))
		return M2M_E_INVAL;
	if (SSL_CTX_up_ref(ctx) != 1)
		return M2M_E_CRYPTO;
	SSL_CTX_free(h->ssl_ctx);
	h->ssl_ctx = ctx;
	snprintf(h->verify_name, sizeof(h->verify_name), "%s", verify_name ? verify_name : "");
	return M2M_OK;
}

m2m_err m2mi_httpc_new(struct event_base *base, const m2mi_addr_policy *pol, m2mi_httpc **out)
{
	m2mi_httpc *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		return M2M_E_NOMEM;
	h->base = base;
	h->pol = pol;
	*out = h;
	return M2M_OK;
}

static void req_free(hreq *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else if (r->h->live == r)
		r->h->live = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->bev)
		bufferevent_free(r->bev);
	if (r->timer)
		event_free(r->timer);
	if (r->start)
		event_free(r->start);
	free(r->out);
	free(r->buf);
	free(r);
}

void m2mi_httpc_free(m2mi_httpc *h)
{
	if (h == NULL)
		return;
	if (h->dns != NULL)
		evdns_base_free(h->dns, 0); /* in-flight lookups are dropped without callbacks */
	while (h->live != NULL)
		req_free(h->live); /* the owner drops its own jobs */
	SSL_CTX_free(h->ssl_ctx);
	free(h);
}

/* Complete r once: the callback, then the request is gone (unless a lookup still refers to it). */
static void finish_body(hreq *r, int result, int status, int rsc, size_t body_off, size_t body_len);

static void finish(hreq *r, int result, int status, int rsc)
{
	m2mi_httpc_cb cb = r->cb;
	void *arg = r->arg;
	struct evdns_getaddrinfo_request *q = r->dns_pending ? r->dns : NULL;
	bool pending = r->dns_pending;

	if (r->bcb != NULL) {
		finish_body(r, result, status, rsc, 0, 0);
		return;
	}
	if (r->done)
		return;
	r->done = true;
	if (r->bev) {
		bufferevent_free(r->bev); /* closes the socket */
		r->bev = NULL;
	}
	if (r->timer)
		evtimer_del(r->timer);
	if (!pending)
		req_free(r);
	cb(arg, result, status, rsc);
	if (q != NULL)
		evdns_getaddrinfo_cancel(q); /* its callback sees done and frees r */
}

/* The RETRIEVE flavour of finish: the body (inside r->buf) goes to bcb, then r is gone. */
static void finish_body(hreq *r, int result, int status, int rsc, size_t body_off, size_t body_len)
{
	m2mi_httpc_body_cb cb = r->bcb;
	void *arg = r->arg;
	struct evdns_getaddrinfo_request *q = r->dns_pending ? r->dns : NULL;
	bool pending = r->dns_pending;
	char *buf = r->buf;

	if (r->done)
		return;
	r->done = true;
	r->buf = NULL; /* kept for the callback */
	if (r->bev) {
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	if (r->timer)
		evtimer_del(r->timer);
	if (!pending)
		req_free(r);
	if (result != M2MI_HTTPC_OK)
		cb(arg, result, 0, 0, NULL, 0);
	else
		cb(arg, result, status, rsc, buf + body_off, body_len);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, HEAD_MAX + BODY_MAX); /* it may hold a key (fetchCredRsp) */
		free(buf);
	}
	if (q != NULL)
		evdns_getaddrinfo_cancel(q);
}

static int parse_head(const char *h, int *status, int *rsc)
{
	const char *line;
	int st = 0;

	if (sscanf(h, "HTTP/1.%*1[01] %3d", &st) != 1 || st < 100 || st > 599)
		return -1;
	*status = st;
	*rsc = 0;
	for (line = strstr(h, "\r\n"); line != NULL && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "X-M2M-RSC:", 10) == 0) {
			long v = strtol(line + 12, NULL, 10);
			*rsc = v > 0 && v < 100000 ? (int)v : 0;
		}
	}
	return 0;
}

static void got_head(hreq *r)
{
	int status = 0, rsc = 0;

	if (parse_head(r->head, &status, &rsc) != 0)
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
	else
		finish(r, M2MI_HTTPC_OK, status, rsc);
}

/* A RETRIEVE answer: complete when Content-Length bytes of body are in (or at EOF without one).
 * Returns true when r was finished. */
static bool body_step(hreq *r, bool eof)
{
	char *end = strstr(r->buf, "\r\n\r\n"), *line;
	size_t hl, want = (size_t)-1;
	int status = 0, rsc = 0;

	if (end == NULL) {
		if (eof || r->n + 1 >= HEAD_MAX) {
			finish(r, M2MI_HTTPC_FAILED, 0, 0);
			return true;
		}
		return false;
	}
	hl = (size_t)(end - r->buf) + 4;
	end[2] = '\0'; /* parse the head alone */
	for (line = strstr(r->buf, "\r\n"); line != NULL && line[2] != '\0'; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
			want = (size_t)strtoul(line + 17, NULL, 10);
		else if (strncasecmp(line + 2, "Transfer-Encoding:", 18) == 0)
			want = (size_t)-2; /* chunked answers are not expected from the MEF / MAF: refuse */
	}
	if (want == (size_t)-2 || parse_head(r->buf, &status, &rsc) != 0 || (want != (size_t)-1 && want > BODY_MAX)) {
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
		return true;
	}
	end[2] = '\r';
	if (want != (size_t)-1 && r->n - hl >= want) {
		finish_body(r, M2MI_HTTPC_OK, status, rsc, hl, want);
		return true;
	}
	if (eof) {
		if (want != (size_t)-1)
			finish(r, M2MI_HTTPC_FAILED, 0, 0); /* truncated */
		else
			finish_body(r, M2MI_HTTPC_OK, status, rsc, hl, r->n - hl);
		return true;
	}
	return false;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	hreq *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (r->bcb != NULL) {
		for (;;) {
			int k = evbuffer_remove(in, r->buf + r->n, HEAD_MAX + BODY_MAX - 1 - r->n);
			if (k <= 0)
				return;
			r->n += (size_t)k;
			r->buf[r->n] = '\0';
			if (body_step(r, false))
				return; /* r is gone */
			if (r->n + 1 >= HEAD_MAX + BODY_MAX) {
				finish(r, M2MI_HTTPC_FAILED, 0, 0); /* answer too large */
				return;
			}
		}
	}
	for (;;) {
		int k = evbuffer_remove(in, r->head + r->n, sizeof(r->head) - 1 - r->n);
		if (k <= 0)
			return;
		r->n += (size_t)k;
		r->head[r->n] = '\0';
		if (strstr(r->head, "\r\n\r\n") != NULL) {
			got_head(r);
			return; /* r is gone */
		}
		if (r->n + 1 >= sizeof(r->head)) {
			finish(r, M2MI_HTTPC_FAILED, 0, 0); /* response head too large */
			return;
		}
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	hreq *r = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (r->bcb != NULL && (what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && r->n > 0) {
		(void)body_step(r, true);
		return;
	}
	if ((what & BEV_EVENT_EOF) && r->n > 0 && r->bcb == NULL)
		got_head(r); /* the head ended with the connection */
	else
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, M2MI_HTTPC_FAILED, 0, 0);
}

/* An HTTPS connection: the server certificate must chain to the client context's trust anchors
 * and carry the expected name (verify_name, else the URL host; an IP literal is matched against
 * the iPAddress SAN), SNI set for a host name. */
static struct bufferevent *tls_bev(hreq *r)
{
	const char *name = r->vname[0] ? r->vname : r->h->verify_name[0] ? r->h->verify_name : r->u.host;
	unsigned char ip[16];
	bool literal = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
	struct bufferevent *bev;
	SSL *ssl;

	if (r->h->ssl_ctx == NULL || (ssl = SSL_new(r->h->ssl_ctx)) == NULL)
		return NULL;
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if ((literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name)) != 1 ||
	    (!literal && SSL_set_tlsext_host_name(ssl, name) != 1)) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(r->h->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* the answer is framed by Content-Length; a peer closing without close_notify after it is fine */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Check every resolved address, then connect to the first one (the one checked). */
static void connect_to(hreq *r, struct evutil_addrinfo *ai)
{
	struct evutil_addrinfo *a;

	for (a = ai; a != NULL; a = a->ai_next) {
		uint8_t ip[16];
		int fam = 0;
		if (a->ai_family == AF_INET) {
			memcpy(ip, &((const struct sockaddr_in *)(const void *)a->ai_addr)->sin_addr, 4);
			fam = 4;
		} else if (a->ai_family == AF_INET6) {
			memcpy(ip, &((const struct sockaddr_in6 *)(const void *)a->ai_addr)->sin6_addr, 16);
			fam = 6;
		}
		if (r->h->pol != NULL && !m2mi_addr_policy_allows(r->h->pol, fam, ip)) {
			finish(r, M2MI_HTTPC_DENIED, 0, 0);
			return;
		}
	}
	if (ai == NULL) {
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
		return;
	}
	if (r->tls)
		r->bev = tls_bev(r);
	else
		r->bev = bufferevent_socket_new(r->h->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (r->bev == NULL) {
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
		return;
	}
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	if (bufferevent_write(r->bev, r->out, r->outlen) != 0 || bufferevent_enable(r->bev, EV_READ | EV_WRITE) != 0 ||
	    bufferevent_socket_connect(r->bev, ai->ai_addr, (int)ai->ai_addrlen) != 0)
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
	else
		m2mi_httpc_tune_socket((int)bufferevent_getfd(r->bev));
}

void m2mi_httpc_tune_socket(int fd)
{
	int one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* best effort */
}

static void on_dns(int err, struct evutil_addrinfo *ai, void *arg)
{
	hreq *r = arg;

	if (r->dns_called != NULL)
		*r->dns_called = true;
	r->dns_called = NULL;
	r->dns_pending = false;
	r->dns = NULL;
	if (r->done) { /* cancelled by the deadline */
		if (ai)
			evutil_freeaddrinfo(ai);
		req_free(r);
		return;
	}
	if (err != 0)
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
	else
		connect_to(r, ai);
	if (ai)
		evutil_freeaddrinfo(ai);
}

/* Deferred start: the callback never runs inside m2mi_httpc_post. */
static void on_start(evutil_socket_t fd, short what, void *arg)
{
	hreq *r = arg;
	struct evutil_addrinfo hints, *ai = NULL;
	struct evdns_getaddrinfo_request *q;
	bool called = false;

	(void)fd;
	(void)what;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	if (evutil_getaddrinfo(r->u.host, r->u.port, &hints, &ai) == 0) { /* an IP literal: no I/O */
		connect_to(r, ai);
		evutil_freeaddrinfo(ai);
		return;
	}
	if (r->h->dns == NULL &&
	    ((r->h->dns = evdns_base_new(r->h->base, EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL ||
	     evdns_base_load_hosts(r->h->dns, NULL) != 0)) {
		finish(r, M2MI_HTTPC_FAILED, 0, 0);
		return;
	}
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	r->dns_pending = true;
	r->dns_called = &called;
	q = evdns_getaddrinfo(r->h->dns, r->u.host, r->u.port, &hints, on_dns, r);
	if (!called) { /* still waiting (else r may already be gone) */
		r->dns_called = NULL;
		r->dns = q;
	}
}

/* Link r into h and schedule its start (shared by POST and RETRIEVE). */
static int launch(m2mi_httpc *h, hreq *r, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000 + 1};
	const struct timeval now = {0, 0};

	if ((r->timer = evtimer_new(h->base, on_deadline, r)) == NULL || evtimer_add(r->timer, &tv) != 0 ||
	    (r->start = evtimer_new(h->base, on_start, r)) == NULL || evtimer_add(r->start, &now) != 0) {
		if (r->timer)
			event_free(r->timer);
		if (r->start)
			event_free(r->start);
		free(r->out);
		free(r->buf);
		free(r);
		return M2MI_HTTPC_FAILED;
	}
	r->next = h->live;
	if (h->live)
		h->live->prev = r;
	h->live = r;
	return M2MI_HTTPC_OK;
}

/* The preamble shared by every request builder: r with its URL parsed (any_scheme: https://
 * too, else only http://, the notification targets), every header value the caller supplies
 * refused when it holds CR or LF (nothing can be injected into the request head), and, for an
 * exchange whose answer body is wanted (bcb), the answer buffer. NULL: not started. */
static hreq *req_new(m2mi_httpc *h, const char *url, bool any_scheme, const char *const *values,
		     m2mi_httpc_cb cb, m2mi_httpc_body_cb bcb, void *arg)
{
	hreq *r;

	for (size_t i = 0; values[i] != NULL || i == 0; i++)
		if (values[i] == NULL || strpbrk(values[i], "\r\n") != NULL)
			return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->h = h;
	r->cb = cb;
	r->bcb = bcb;
	r->arg = arg;
	if (parse_url(url, &r->u, any_scheme ? &r->tls : NULL) != M2M_OK ||
	    (bcb != NULL && (r->buf = malloc(HEAD_MAX + BODY_MAX)) == NULL)) {
		free(r);
		return NULL;
	}
	if (r->buf != NULL)
		r->buf[0] = '\0';
	return r;
}

/* Format the whole request into r->out (head, then body of bn bytes), then launch it. */
static int req_send(hreq *r, const char *method, const char *headers, const char *body, size_t bn, int timeout_ms)
{
	bool v6 = strchr(r->u.host, ':') != NULL;
	size_t cap = 256 + strlen(method) + strlen(r->u.path) + strlen(r->u.host) + strlen(headers) + bn;
	int hn;

	if ((r->out = malloc(cap)) == NULL) {
		free(r->buf);
		free(r);
		return M2MI_HTTPC_FAILED;
	}
	hn = snprintf(r->out, cap, "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n%s", method, r->u.path, v6 ? "[" : "",
		      r->u.host, v6 ? "]" : "", r->u.port, headers);
	if (hn < 0 || (size_t)hn + bn >= cap) {
		free(r->out);
		free(r->buf);
		free(r);
		return M2MI_HTTPC_FAILED;
	}
	if (bn > 0)
		memcpy(r->out + hn, body, bn);
	r->outlen = (size_t)hn + bn;
	return launch(r->h, r, timeout_ms);
}

/* X-M2M-* headers + the framing; *out malloc'd. extra: further header lines ("" = none). */
static char *headers_fmt(const char *origin, const char *rqi, const char *rvi, const char *extra, const char *ct,
			 bool accept, size_t bn, bool with_len)
{
	size_t cap = 256 + strlen(origin) + strlen(rqi) + strlen(rvi) + strlen(extra) + strlen(ct);
	char *h = malloc(cap), len[48] = "";

	if (h == NULL)
		return NULL;
	if (with_len)
		snprintf(len, sizeof(len), "Content-Length: %zu\r\n", bn);
	if (snprintf(h, cap, "X-M2M-Origin: %s\r\nX-M2M-RI: %s\r\nX-M2M-RVI: %s\r\n%s%s%s%s%s%sConnection: close\r\n\r\n",
		     origin, rqi, rvi, extra, ct[0] ? "Content-Type: " : "", ct, ct[0] ? "\r\n" : "",
		     accept ? "Accept: application/json\r\n" : "", len) >= (int)cap) {
		free(h);
		return NULL;
	}
	return h;
}

static int send_with(hreq *r, const char *method, const char *origin, const char *rqi, const char *rvi,
		     const char *extra, const char *ct, const char *body, int timeout_ms)
{
	size_t bn = body != NULL ? strlen(body) : 0;
	char *hd = headers_fmt(origin, rqi, rvi, extra, ct, r->bcb != NULL, bn, body != NULL);
	int rc;

	if (hd == NULL) {
		free(r->buf);
		free(r);
		return M2MI_HTTPC_FAILED;
	}
	rc = req_send(r, method, hd, body, bn, timeout_ms);
	free(hd);
	return rc;
}

int m2mi_httpc_post(m2mi_httpc *h, const char *url, const char *origin, const char *body, int timeout_ms,
		    m2mi_httpc_cb cb, void *arg)
{
	return m2mi_httpc_post_ec(h, url, origin, 0, body, timeout_ms, cb, arg);
}

int m2mi_httpc_post_ec(m2mi_httpc *h, const char *url, const char *origin, int ec, const char *body, int timeout_ms,
		       m2mi_httpc_cb cb, void *arg)
{
	static atomic_uint counter;
	const char *vals[] = {origin, NULL};
	char ech[32] = "", rqi[32];
	hreq *r;

	if (body == NULL || (r = req_new(h, url, false, vals, cb, NULL, arg)) == NULL)
		return M2MI_HTTPC_FAILED;
	if (ec > 0 && ec < 1000) /* TS-0009 6.4.16: the Event Category */
		snprintf(ech, sizeof(ech), "X-M2M-EC: %d\r\n", ec);
	snprintf(rqi, sizeof(rqi), "ntf-%u", atomic_fetch_add(&counter, 1u));
	return send_with(r, "POST", origin, rqi, "3", ech, "application/json", body, timeout_ms);
}

int m2mi_httpc_retrieve(m2mi_httpc *h, const char *url, const char *origin, int timeout_ms, m2mi_httpc_body_cb cb,
			void *arg)
{
	static atomic_uint counter;
	const char *vals[] = {origin, NULL};
	char rqi[32];
	hreq *r;

	if ((r = req_new(h, url, true, vals, NULL, cb, arg)) == NULL)
		return M2MI_HTTPC_FAILED;
	/* TS-0009 6.2: RETRIEVE is GET; X-M2M-Origin is the CSE-ID, X-M2M-RI unique per request */
	snprintf(rqi, sizeof(rqi), "rq-%u", atomic_fetch_add(&counter, 1u));
	return send_with(r, "GET", origin, rqi, "3", "", "", NULL, timeout_ms);
}

/* POST with X-M2M-RI rqi and the JSON body: a NOTIFY (ty 0) or a CREATE of type ty. */
static int post_json(m2mi_httpc *h, const char *url, const char *origin, const char *rqi, int ty, const char *body,
		     int timeout_ms, m2mi_httpc_body_cb cb, void *arg)
{
	const char *vals[] = {origin, rqi, NULL};
	char ct[48];
	hreq *r;

	if (body == NULL || (r = req_new(h, url, true, vals, NULL, cb, arg)) == NULL)
		return M2MI_HTTPC_FAILED;
	/* TS-0009 6.2: NOTIFY is POST without ty, CREATE with ty in Content-Type (6.4.3); the
	 * answer's Content is read like a RETRIEVE's */
	snprintf(ct, sizeof(ct), ty > 0 ? "application/json;ty=%d" : "application/json", ty);
	return send_with(r, "POST", origin, rqi, "3", "", ct, body, timeout_ms);
}

int m2mi_httpc_request(m2mi_httpc *h, const char *url, const m2mi_httpc_msg *m, int timeout_ms,
		       m2mi_httpc_body_cb cb, void *arg)
{
	static const char *const methods[] = {NULL, "POST", "GET", "PUT", "DELETE", "POST"};
	const char *vals[] = {m->origin, m->rqi, m->rvi != NULL ? m->rvi : "3", NULL};
	char ct[48] = "";
	hreq *r;

	if (m->op < 1 || m->op > 5 || (m->op == 1) != (m->ty > 0) || ((m->op == 1 || m->op == 3 || m->op == 5) &&
	    m->body == NULL) || (m->verify_name != NULL && strlen(m->verify_name) >= sizeof(r->vname)) ||
	    (r = req_new(h, url, true, vals, NULL, cb, arg)) == NULL)
		return M2MI_HTTPC_FAILED;
	if (m->verify_name != NULL)
		snprintf(r->vname, sizeof(r->vname), "%s", m->verify_name);
	/* TS-0009 6.2 / Table 6.2.2-1: CREATE POST with ty, RETRIEVE GET, UPDATE PUT, DELETE DELETE,
	 * NOTIFY POST without ty */
	if (m->body != NULL)
		snprintf(ct, sizeof(ct), m->ty > 0 ? "application/json;ty=%d" : "application/json", m->ty);
	return send_with(r, methods[m->op], m->origin, m->rqi, vals[2], "", ct,
			 m->op == 2 || m->op == 4 ? NULL : m->body, timeout_ms);
}

int m2mi_httpc_notify(m2mi_httpc *h, const char *url, const char *origin, const char *rqi, const char *body,
		      int timeout_ms, m2mi_httpc_body_cb cb, void *arg)
{
	return post_json(h, url, origin, rqi, 0, body, timeout_ms, cb, arg);
}

int m2mi_httpc_create(m2mi_httpc *h, const char *url, const char *origin, const char *rqi, int ty, const char *body,
		      int timeout_ms, m2mi_httpc_body_cb cb, void *arg)
{
	return ty > 0 ? post_json(h, url, origin, rqi, ty, body, timeout_ms, cb, arg) : M2MI_HTTPC_FAILED;
}
