/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the shared fixture of the CSE core unit tests (tests/unit/test_cse.c,
 * test_res_*.c, ...): a CSE on a temporary SQLite store, requests built and dispatched
 * in-process through m2m_cse_handle with a chosen security association, and a tiny loopback
 * HTTP receiver (one thread) for subscription verification and notifications.
 */
#ifndef M2M_CSE_FIXTURE_H
#define M2M_CSE_FIXTURE_H

#include "m2m_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "m2msec/cse.h"
#include "services/cse/cse_int.h"

typedef struct fx {
	char dir[64], db[128];
	m2m_cse_config cfg;
	m2m_cse *cse;
	m2m_cse_worker *w;
	m2m_sa sa;          /* association of the next request (see fx_auth / fx_plain / fx_bound) */
	bool authed;        /* fx_auth mode: each request gets an association bound to its From */
	int64_t now;
	m2m_request req;
	m2m_response rsp;
} fx;

static inline void fx_rmdir(const char *dir)
{
	m2m_test_rmdir(dir);
}

/* Open a CSE on a fresh store; plain_admin = dev-admin-over-plain-http. */
static inline fx *fx_open(bool plain_admin)
{
	fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2mcse.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
	m2m_cse_config_defaults(&f->cfg);
	snprintf(f->cfg.store, sizeof(f->cfg.store), "%s", f->db);
	snprintf(f->cfg.http_listen, sizeof(f->cfg.http_listen), "127.0.0.1:8080");
	/* the test receivers listen on loopback, which notify-allow must name (docs/config.md) */
	snprintf(f->cfg.notify_allow, sizeof(f->cfg.notify_allow), "127.0.0.0/8");
	f->cfg.admin_plain_http = plain_admin;
	assert_int_equal(m2m_cse_new(&f->cfg, &f->cse), M2M_OK);
	assert_int_equal(m2m_cse_worker_new(f->cse, &f->w), M2M_OK);
	f->now = (int64_t)time(NULL);
	f->authed = true;
	m2m_request_init(&f->req);
	m2m_response_init(&f->rsp);
	return f;
}

static inline void fx_close(fx *f)
{
	m2m_request_clear(&f->req);
	m2m_response_clear(&f->rsp);
	m2m_cse_worker_free(f->w);
	m2m_cse_free(f->cse);
	fx_rmdir(f->dir);
	free(f);
}

static inline int fx_setup(void **state)
{
	*state = fx_open(true);
	return 0;
}

static inline int fx_teardown(void **state)
{
	fx_close(*state);
	return 0;
}

/* Associations. fx_auth (the default): every request arrives over an association bound to its
 * own From (an authenticated originator; From absent, "C" or "S": a credential-only association
 * that may register any AE-ID). fx_plain: no association (the loopback plain-HTTP listener).
 * fx_bound: one fixed association for the following requests. */
static inline void fx_auth(fx *f)
{
	memset(&f->sa, 0, sizeof(f->sa));
	f->authed = true;
}

static inline void fx_plain(fx *f)
{
	memset(&f->sa, 0, sizeof(f->sa));
	f->authed = false;
}

static inline void fx_bound(fx *f, const char *id)
{
	memset(&f->sa, 0, sizeof(f->sa));
	f->authed = false;
	f->sa.kind = M2M_SA_PSK;
	f->sa.entity = M2M_ENTITY_AE;
	snprintf(f->sa.bound_id, sizeof(f->sa.bound_id), "%s", id);
	snprintf(f->sa.credential_id, sizeof(f->sa.credential_id), "12-kpsa@sp.example.com");
}

/* Build the next request (pc is JSON text or NULL); tweak f->req, then fx_send. */
static inline m2m_request *fx_prepare(fx *f, m2m_op op, const char *to, const char *fr, int ty, const char *pc)
{
	static unsigned rqi;
	char id[32];

	m2m_request_clear(&f->req);
	f->req.op = op;
	f->req.to = to ? strdup(to) : NULL;
	f->req.fr = fr ? strdup(fr) : NULL;
	snprintf(id, sizeof(id), "rq%u", ++rqi);
	f->req.rqi = strdup(id);
	f->req.ty = ty;
	if (pc != NULL) {
		json_error_t err;
		f->req.pc = json_loads(pc, 0, &err);
		if (f->req.pc == NULL)
			fail_msg("bad test JSON: %s: %s", err.text, pc);
	}
	return &f->req;
}

static inline void fx_auth_sa(fx *f)
{
	const char *fr = f->req.fr;
	m2m_origin_forms o;

	memset(&f->sa, 0, sizeof(f->sa));
	f->sa.kind = M2M_SA_PSK;
	snprintf(f->sa.credential_id, sizeof(f->sa.credential_id), "12-kpsa@sp.example.com");
	if (fr == NULL || fr[0] == '\0' || strcmp(fr, "C") == 0 || strcmp(fr, "S") == 0)
		return; /* entity UNKNOWN, bound "" */
	f->sa.entity = m2m_originator_forms(&f->cse->octx, fr, &o) == M2M_OK && o.is_cse ? M2M_ENTITY_CSE
											: M2M_ENTITY_AE;
	snprintf(f->sa.bound_id, sizeof(f->sa.bound_id), "%s", fr);
}

static inline int fx_send(fx *f)
{
	if (f->authed)
		fx_auth_sa(f);
	m2m_response_clear(&f->rsp);
	m2m_cse_handle(f->w, &f->sa, &f->req, &f->rsp, f->now);
	return f->rsp.rsc;
}

static inline int fx_req(fx *f, m2m_op op, const char *to, const char *fr, int ty, const char *pc)
{
	fx_prepare(f, op, to, fr, ty, pc);
	return fx_send(f);
}

/* The attributes object of the last response: rsp.pc[wrapper]. */
static inline json_t *fx_attrs(fx *f, const char *wrapper)
{
	json_t *a = json_object_get(f->rsp.pc, wrapper);
	if (a == NULL)
		fail_msg("response has no %s: %s", wrapper, f->rsp.pc ? json_dumps(f->rsp.pc, 0) : "(null)");
	return a;
}

static inline const char *fx_str(fx *f, const char *wrapper, const char *attr)
{
	return json_string_value(json_object_get(fx_attrs(f, wrapper), attr));
}

static inline const char *fx_dbg(fx *f)
{
	const char *s = json_string_value(json_object_get(f->rsp.pc, "m2m:dbg"));
	return s ? s : "";
}

#define assert_rsc(f, expr, want)                                                                          \
	do {                                                                                                   \
		int got_ = (expr);                                                                             \
		if (got_ != (want))                                                                            \
			fail_msg("rsc %d, want %d (%s)", got_, (want), fx_dbg(f));                            \
	} while (0)

/* Register an AE with the given From (authenticated, fx_auth; the mode stays fx_auth); returns
 * its AE-ID (static buffer). */
static inline const char *fx_ae(fx *f, const char *from, const char *rn)
{
	static char aei[8][64];
	static unsigned k;
	char pc[256];
	char *slot = aei[k++ % 8];

	snprintf(pc, sizeof(pc), "{\"m2m:ae\":{\"rn\":\"%s\",\"api\":\"Nexample\",\"rr\":true,\"srv\":[\"3\"]}}", rn);
	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, f->cfg.name, from, M2M_TY_AE, pc), M2M_RSC_CREATED);
	snprintf(slot, 64, "%s", fx_str(f, "m2m:ae", "aei"));
	return slot;
}

/* CREATE under parent as fr; returns the new ri (static buffer) or asserts the rsc. */
static inline const char *fx_create(fx *f, const char *parent, const char *fr, int ty, const char *pc)
{
	static char ri[8][64];
	static unsigned k;
	char *slot = ri[k++ % 8];

	assert_rsc(f, fx_req(f, M2M_OP_CREATE, parent, fr, ty, pc), M2M_RSC_CREATED);
	assert_non_null(f->rsp.location);
	snprintf(slot, 64, "%s", f->rsp.location);
	return slot;
}

/* Rows in the store with this resource ID (0 or 1), through a second connection. */
static inline int fx_rows(fx *f, const char *ri)
{
	m2m_resstore *s = NULL;
	m2m_res r = {0};
	m2m_err e;

	assert_int_equal(m2m_resstore_open(f->db, &s), M2M_OK);
	e = m2m_resstore_get(s, ri, &r);
	m2m_res_clear(&r);
	m2m_resstore_free(s);
	assert_true(e == M2M_OK || e == M2M_E_NOT_FOUND);
	return e == M2M_OK;
}

/* ---- loopback HTTP receiver ------------------------------------------------------------- */

typedef struct fx_http {
	int lfd, port;
	pthread_t th;
	int status;           /* HTTP status to answer */
	int rsc;              /* X-M2M-RSC to answer, 0 = none */
	int max;              /* requests to serve before the thread ends */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;                /* requests received */
	char bodies[8][2048]; /* first 8 request bodies */
	char heads[8][1024];  /* first 8 request heads */
} fx_http;

static inline void *fx_http_run(void *arg)
{
	fx_http *h = arg;

	for (int i = 0; i < h->max; i++) {
		char buf[8192], out[256];
		size_t n = 0;
		long clen = 0;
		char *eoh = NULL, *cl;
		int fd = accept(h->lfd, NULL, NULL);

		if (fd < 0)
			break;
		while (n + 1 < sizeof(buf)) {
			ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
			if (k <= 0)
				break;
			n += (size_t)k;
			buf[n] = '\0';
			if (eoh == NULL && (eoh = strstr(buf, "\r\n\r\n")) != NULL) {
				cl = strstr(buf, "Content-Length:");
				clen = cl ? strtol(cl + 15, NULL, 10) : 0;
			}
			if (eoh != NULL && (size_t)(eoh + 4 - buf) + (size_t)clen <= n)
				break;
		}
		snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\n%s%.0d%sContent-Length: 0\r\nConnection: close\r\n\r\n",
			 h->status, h->rsc ? "X-M2M-RSC: " : "", h->rsc, h->rsc ? "\r\n" : "");
		/* recorded before the answer: whoever saw the answer sees the record */
		pthread_mutex_lock(&h->mu);
		if (h->n < 8 && eoh != NULL) {
			snprintf(h->heads[h->n], sizeof(h->heads[0]), "%.*s", (int)(eoh - buf), buf);
			snprintf(h->bodies[h->n], sizeof(h->bodies[0]), "%s", eoh + 4);
		}
		h->n++;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		(void)!send(fd, out, strlen(out), MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

static inline fx_http *fx_http_start(int status, int rsc, int max)
{
	fx_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	assert_non_null(h);
	h->status = status;
	h->rsc = rsc;
	h->max = max;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(h->lfd >= 0);
	assert_int_equal(bind(h->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(h->lfd, 16), 0);
	assert_int_equal(getsockname(h->lfd, (struct sockaddr *)&a, &len), 0);
	h->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&h->th, NULL, fx_http_run, h), 0);
	return h;
}

/* Wait (up to 10 s) until n requests arrived; returns the count seen. */
static inline int fx_http_wait(fx_http *h, int n)
{
	struct timespec until;
	int got;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&h->mu);
	while (h->n < n && pthread_cond_timedwait(&h->cv, &h->mu, &until) == 0)
		;
	got = h->n;
	pthread_mutex_unlock(&h->mu);
	return got;
}

static inline void fx_http_stop(fx_http *h)
{
	shutdown(h->lfd, SHUT_RDWR);
	close(h->lfd);
	pthread_join(h->th, NULL);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}

/* A loopback port with nothing listening on it. */
static inline int fx_closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd); /* bound, never listened: connections are refused */
	return port;
}

/* A notifier whose destination policy allows `allow` (loopback is denied by default). */
static inline m2mi_notifier *fx_notifier_open(const char *allow)
{
	m2m_cse_config cfg;
	m2mi_notifier *n = NULL;

	m2m_cse_config_defaults(&cfg);
	snprintf(cfg.notify_allow, sizeof(cfg.notify_allow), "%s", allow);
	assert_int_equal(m2mi_notifier_new(&cfg, &n), M2M_OK);
	return n;
}

/* A loopback listener that accepts nothing and never answers (a black-hole receiver). */
static inline int fx_silent_listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 128), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return lfd;
}

/* A worker's wake function for the deferred-answer tests (writer, store threads, verification,
 * ESPrim): counts the wakes; a test waits until it has seen n of them. */
typedef struct waker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wakes;
} waker;

static inline void on_wake(void *arg)
{
	waker *k = arg;

	pthread_mutex_lock(&k->mu);
	k->wakes++;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

static inline void wait_wakes(waker *k, int n)
{
	pthread_mutex_lock(&k->mu);
	while (k->wakes < n)
		pthread_cond_wait(&k->cv, &k->mu);
	pthread_mutex_unlock(&k->mu);
}

/* Run the worker's completions after each wake until *answered reaches want (the done
 * callbacks of the test count into *answered on this thread). */
static inline void wait_completed(m2m_cse_worker *w, int64_t now, waker *k, const int *answered, int want)
{
	int seen = 0;

	while (*answered < want) {
		pthread_mutex_lock(&k->mu);
		while (k->wakes <= seen)
			pthread_cond_wait(&k->cv, &k->mu);
		seen = k->wakes;
		pthread_mutex_unlock(&k->mu);
		m2m_cse_worker_complete(w, now);
	}
}

#endif
