/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements an outbound association (remote_link.h): a dedicated outbound event loop
 * on its own thread that sends RETRIEVE requests to a key service with the non-blocking HTTP
 * client (httpc.c) over mutually authenticated TLS. The CSE's link to the MEF (fetchCredentials,
 * the security profile; docs/procedures/mef.md): the CSE presents mef-cert/mef-key (its CSE-ID in
 * the SAN, TS-0003 §8.3.5.2.1 Enrolment Target), the MEF must show a certificate for its FQDN
 * chaining to mef-ca; the same for the CSE's link to the MAF (maf-*, Key Retrieval) and the
 * MAF's link to the MEF (docs/procedures/maf.md). Why a loop of its own and not the notifier's:
 * a handshake waits for this fetch, so it must never queue behind slow notification targets;
 * the code is the same client.
 * Bounded: at most max_jobs requests queued or in flight (beyond, fetch refuses at once and the
 * handshake fails closed); each request has the client's total deadline; every request gets
 * exactly one answer, also at shutdown (m2mi_remote_link_free answers the rest as failures).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "m2msec/key.h"
#include "remote/httpc.h"
#include "remote/remote_link.h"
#include "tls/tls_int.h"

/* TLS 1.2 PSK suites offered with psk_identity (the CSE's listener accepts these, docs/tls.md) */
#define PSK_SUITES "PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256"

typedef struct job {
	struct job *prev, *next;
	m2mi_remote_link *l;
	char url[512];
	char *body;                   /* NULL: RETRIEVE; else a NOTIFY with this Content */
	char rqi[256];
	int ty;                       /* > 0: a CREATE of this type with body */
	int op;                       /* > 0: any operation (m2mi_remote_link_request), from fr */
	char *fr;                     /* its From (NULL: the link's origin) */
	char rvi[8];
	char vname[256];              /* the next hop's certificate name ("" = the link's) */
	int delay_ms;                 /* sent this long after it was queued (a retry's back-off) */
	m2mi_remote_rsp_fn done;
	void *arg;
} job;

struct m2mi_remote_link {
	pthread_mutex_t mu;
	job *inbox, *flying;          /* inbox: mu; flying: loop thread */
	size_t njobs, max_jobs;       /* mu */
	bool stop, started;
	int wake[2];
	pthread_t th;
	struct event_base *base;
	struct event *wake_ev;
	m2mi_httpc *httpc;
	char base_url[256];
	char origin[256];
	int timeout_ms;
	m2m_key *psk;                 /* with psk_identity: the pre-provisioned key (wiped at free) */
	char psk_id[M2MI_PSK_IDENTITY_MAX + 1];
	m2mi_addr_policy pol;         /* cfg->pol's copy (has_pol) */
	bool has_pol;
};

static void push(job **list, job *j)
{
	j->prev = NULL;
	j->next = *list;
	if (*list)
		(*list)->prev = j;
	*list = j;
}

static void unlink_job(job **list, job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		*list = j->next;
	if (j->next)
		j->next->prev = j->prev;
}

static void on_answer(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	job *j = arg;
	m2mi_remote_link *l = j->l;

	unlink_job(&l->flying, j);
	pthread_mutex_lock(&l->mu);
	l->njobs--;
	pthread_mutex_unlock(&l->mu);
	j->done(j->arg, result == M2MI_HTTPC_OK ? 0 : result == M2MI_HTTPC_DENIED ? -2 : -1, status, rsc, body, len);
	free(j->body);
	free(j->fr);
	free(j);
}

static void launch_job(m2mi_remote_link *l, job *j)
{
	int rc;

	if (j->op > 0) {
		m2mi_httpc_msg m = {j->op, j->ty, j->fr, j->rqi, j->rvi[0] ? j->rvi : NULL, j->body,
				    j->vname[0] ? j->vname : NULL};
		rc = m2mi_httpc_request(l->httpc, j->url, &m, l->timeout_ms, on_answer, j);
	} else if (j->ty > 0)
		rc = m2mi_httpc_create(l->httpc, j->url, l->origin, j->rqi, j->ty, j->body, l->timeout_ms, on_answer, j);
	else if (j->body != NULL)
		rc = m2mi_httpc_notify(l->httpc, j->url, l->origin, j->rqi, j->body, l->timeout_ms, on_answer, j);
	else
		rc = m2mi_httpc_retrieve(l->httpc, j->url, l->origin, l->timeout_ms, on_answer, j);
	if (rc != M2MI_HTTPC_OK)
		on_answer(j, M2MI_HTTPC_FAILED, 0, 0, NULL, 0);
}

/* A delayed job is due (loop thread); at shutdown it is still on the flying list and the free
 * answers it, so a timer that fires after the loop stopped never exists (the base is freed). */
static void on_due(evutil_socket_t fd, short what, void *arg)
{
	job *j = arg;

	(void)fd;
	(void)what;
	if (j->l->httpc == NULL)
		return; /* m2mi_remote_link_free's last pass: the job is answered there */
	launch_job(j->l, j);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	m2mi_remote_link *l = arg;
	char buf[64];
	job *j;
	bool stop;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&l->mu);
	j = l->inbox;
	l->inbox = NULL;
	stop = l->stop;
	pthread_mutex_unlock(&l->mu);
	while (j != NULL) {
		job *next = j->next;
		push(&l->flying, j);
		if (j->delay_ms > 0) {
			struct timeval tv = {j->delay_ms / 1000, (j->delay_ms % 1000) * 1000};
			if (event_base_once(l->base, -1, EV_TIMEOUT, on_due, j, &tv) != 0)
				on_answer(j, M2MI_HTTPC_FAILED, 0, 0, NULL, 0);
		} else {
			launch_job(l, j);
		}
		j = next;
	}
	if (stop)
		event_base_loopbreak(l->base);
}

static void *run(void *arg)
{
	m2mi_remote_link *l = arg;

	event_base_dispatch(l->base);
	return NULL;
}

/* TLS-PSK towards the service: the identity and key of this link (TS-0003 8.2.1, a Kpsa the
 * peer's psk-file / credential store binds to this entity's ID). */
static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			   unsigned int max_psk)
{
	const m2mi_remote_link *l = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	const uint8_t *k;
	size_t n, idn;

	(void)hint;
	if (l == NULL || l->psk == NULL || (k = m2m_key_bytes(l->psk, &n)) == NULL ||
	    (idn = strlen(l->psk_id)) + 1 > max_id || n > max_psk)
		return 0;
	memcpy(identity, l->psk_id, idn + 1);
	memcpy(psk, k, n);
	return (unsigned int)n;
}

static m2m_err client_ctx(const m2mi_remote_link_cfg *cfg, m2mi_remote_link *l, SSL_CTX **out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	bool psk = cfg->psk_identity != NULL && cfg->psk_identity[0] != '\0';
	struct stat st;
	m2m_err r;

	*out = NULL;
	if (ctx == NULL)
		return M2M_E_NOMEM;
	if (psk) {
		if (strlen(cfg->psk_identity) >= sizeof(l->psk_id) || cfg->psk_file == NULL) {
			SSL_CTX_free(ctx);
			return M2M_E_INVAL;
		}
		/* the key file: owner-only, hex, never logged (m2mi_tls_read_hex_key) */
		if ((r = m2mi_tls_read_hex_key(cfg->psk_file, &l->psk)) != M2M_OK) {
			SSL_CTX_free(ctx);
			return r;
		}
		snprintf(l->psk_id, sizeof(l->psk_id), "%s", cfg->psk_identity);
		if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
		    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
		    SSL_CTX_set_cipher_list(ctx, PSK_SUITES) != 1) {
			SSL_CTX_free(ctx);
			return M2M_E_CRYPTO;
		}
		SSL_CTX_set_app_data(ctx, l);
		SSL_CTX_set_psk_client_callback(ctx, psk_cb);
		*out = ctx;
		return M2M_OK;
	}
	/* the private key of the association: owner-only, as every key file (docs/tls.md) */
	if (cfg->cert_file == NULL || cfg->key_file == NULL) {
		SSL_CTX_free(ctx);
		return M2M_E_INVAL;
	}
	if (stat(cfg->key_file, &st) == 0 && (st.st_mode & 077) != 0) {
		SSL_CTX_free(ctx);
		return M2M_E_KEY_PERMS;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		return M2M_E_CONFIG;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	*out = ctx;
	return M2M_OK;
}

static void free_parts(m2mi_remote_link *l)
{
	if (l->wake_ev)
		event_free(l->wake_ev);
	m2mi_httpc_free(l->httpc); /* drops the exchanges in flight without callbacks */
	if (l->base)
		event_base_free(l->base);
	if (l->wake[0] >= 0)
		close(l->wake[0]);
	if (l->wake[1] >= 0)
		close(l->wake[1]);
	pthread_mutex_destroy(&l->mu);
	m2m_key_free(l->psk);
	free(l);
}

m2m_err m2mi_remote_link_new(const m2mi_remote_link_cfg *cfg, m2mi_remote_link **out)
{
	m2mi_remote_link *l;
	SSL_CTX *ctx = NULL;
	m2m_err r;
	m2mi_url u;
	bool tls = false;

	*out = NULL;
	if (cfg == NULL || cfg->url == NULL || cfg->origin == NULL || cfg->ca_file == NULL || cfg->max_jobs < 1 ||
	    cfg->timeout_ms < 1 || strlen(cfg->url) >= sizeof(l->base_url) || strlen(cfg->origin) >= sizeof(l->origin) ||
	    m2mi_url_parse_any(cfg->url, &u, &tls) != M2M_OK || !tls)
		return M2M_E_INVAL; /* always TLS: the service hands out keys */
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return M2M_E_NOMEM;
	l->wake[0] = l->wake[1] = -1;
	pthread_mutex_init(&l->mu, NULL);
	if ((r = client_ctx(cfg, l, &ctx)) != M2M_OK) {
		free_parts(l);
		return r;
	}
	l->max_jobs = cfg->max_jobs;
	if ((l->has_pol = cfg->pol != NULL))
		l->pol = *cfg->pol;
	l->timeout_ms = cfg->timeout_ms;
	snprintf(l->base_url, sizeof(l->base_url), "%s", cfg->url);
	if (l->base_url[0] && l->base_url[strlen(l->base_url) - 1] == '/')
		l->base_url[strlen(l->base_url) - 1] = '\0';
	snprintf(l->origin, sizeof(l->origin), "%s", cfg->origin);
	if (pipe(l->wake) != 0 || fcntl(l->wake[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(l->wake[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(l->wake[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(l->wake[1], F_SETFD, FD_CLOEXEC) != 0 || (l->base = event_base_new()) == NULL ||
	    m2mi_httpc_new(l->base, l->has_pol ? &l->pol : NULL, &l->httpc) != M2M_OK ||
	    m2mi_httpc_set_tls(l->httpc, ctx, cfg->verify_name) != M2M_OK ||
	    (l->wake_ev = event_new(l->base, l->wake[0], EV_READ | EV_PERSIST, on_wake, l)) == NULL ||
	    event_add(l->wake_ev, NULL) != 0 || pthread_create(&l->th, NULL, run, l) != 0) {
		SSL_CTX_free(ctx);
		free_parts(l);
		return M2M_E_INTERNAL;
	}
	SSL_CTX_free(ctx); /* the client holds its reference */
	l->started = true;
	*out = l;
	return M2M_OK;
}

static int submit(m2mi_remote_link *l, job *j, m2mi_remote_rsp_fn done, void *arg)
{
	j->l = l;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&l->mu);
	if (l->stop || l->njobs >= l->max_jobs) {
		pthread_mutex_unlock(&l->mu);
		free(j->body);
		free(j->fr);
		free(j);
		return -1; /* bounded: the caller fails closed */
	}
	l->njobs++;
	push(&l->inbox, j);
	pthread_mutex_unlock(&l->mu);
	(void)!write(l->wake[1], "w", 1);
	return 0;
}

int m2mi_remote_link_fetch(void *fctx, const char *path, m2mi_remote_rsp_fn done, void *arg)
{
	m2mi_remote_link *l = fctx;
	job *j;

	if (path == NULL || path[0] != '/' || (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if ((size_t)snprintf(j->url, sizeof(j->url), "%s%s", l->base_url, path) >= sizeof(j->url)) {
		free(j);
		return -1;
	}
	return submit(l, j, done, arg);
}

/* m2mi_remote_link_fetch_wait: the answer, handed from the link's thread to the waiting one */
struct fetch_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int result, rsc;
	char *body;
	size_t len;
};

static void fetch_woken(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	struct fetch_wait *w = arg;

	(void)status;
	pthread_mutex_lock(&w->mu);
	w->result = result;
	w->rsc = rsc;
	if (result == 0 && body != NULL && (w->body = malloc(len + 1)) != NULL) {
		memcpy(w->body, body, len);
		w->body[len] = '\0';
		w->len = len;
	}
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int m2mi_remote_link_fetch_wait(m2mi_remote_link *l, const char *path, int *rsc, char **body, size_t *len)
{
	struct fetch_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, -1, 0, NULL, 0};

	*rsc = 0;
	*body = NULL;
	*len = 0;
	if (m2mi_remote_link_fetch(l, path, fetch_woken, &w) != 0)
		return -1;
	pthread_mutex_lock(&w.mu);
	while (!w.done) /* bounded: the link answers every job by its deadline */
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	if (w.result != 0) {
		free(w.body);
		return -1;
	}
	*rsc = w.rsc;
	*body = w.body;
	*len = w.len;
	return 0;
}

int m2mi_remote_link_notify(m2mi_remote_link *l, const char *url, const char *rqi, const char *body,
			    m2mi_remote_rsp_fn done, void *arg)
{
	job *j;
	m2mi_url u;
	bool tls = false;

	/* an https:// URL of its own (a dap entry), never plain: the association is the point */
	if (url == NULL || rqi == NULL || body == NULL || m2mi_url_parse_any(url, &u, &tls) != M2M_OK || !tls ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if ((size_t)snprintf(j->url, sizeof(j->url), "%s", url) >= sizeof(j->url) ||
	    (size_t)snprintf(j->rqi, sizeof(j->rqi), "%s", rqi) >= sizeof(j->rqi) || (j->body = strdup(body)) == NULL) {
		free(j);
		return -1;
	}
	return submit(l, j, done, arg);
}

int m2mi_remote_link_create(m2mi_remote_link *l, const char *path, const char *rqi, int ty, const char *body,
			    int delay_ms, m2mi_remote_rsp_fn done, void *arg)
{
	job *j;

	if (path == NULL || path[0] != '/' || rqi == NULL || body == NULL || ty <= 0 || delay_ms < 0 ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if ((size_t)snprintf(j->url, sizeof(j->url), "%s%s", l->base_url, path) >= sizeof(j->url) ||
	    (size_t)snprintf(j->rqi, sizeof(j->rqi), "%s", rqi) >= sizeof(j->rqi) || (j->body = strdup(body)) == NULL) {
		free(j);
		return -1;
	}
	j->ty = ty;
	j->delay_ms = delay_ms;
	return submit(l, j, done, arg);
}

int m2mi_remote_link_request(m2mi_remote_link *l, const char *url, const char *verify_name, int op, int ty,
			     const char *from, const char *rqi, const char *rvi, const char *body,
			     m2mi_remote_rsp_fn done, void *arg)
{
	job *j;
	m2mi_url u;
	bool tls = false;

	/* https:// only: a CSE-to-CSE hop is always a mutually authenticated association */
	if (url == NULL || from == NULL || rqi == NULL || op < 1 || op > 5 ||
	    m2mi_url_parse_any(url, &u, &tls) != M2M_OK || !tls || (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if ((size_t)snprintf(j->url, sizeof(j->url), "%s", url) >= sizeof(j->url) ||
	    (size_t)snprintf(j->rqi, sizeof(j->rqi), "%s", rqi) >= sizeof(j->rqi) ||
	    (rvi != NULL && (size_t)snprintf(j->rvi, sizeof(j->rvi), "%s", rvi) >= sizeof(j->rvi)) ||
	    (verify_name != NULL &&
	     (size_t)snprintf(j->vname, sizeof(j->vname), "%s", verify_name) >= sizeof(j->vname)) ||
	    (j->fr = strdup(from)) == NULL || (body != NULL && (j->body = strdup(body)) == NULL)) {
		free(j->fr);
		free(j);
		return -1;
	}
	j->op = op;
	j->ty = ty;
	return submit(l, j, done, arg);
}

const char *m2mi_remote_link_base(const m2mi_remote_link *l)
{
	return l->base_url;
}

void m2mi_remote_link_free(m2mi_remote_link *l)
{
	job *lists[2], *j;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_mutex_unlock(&l->mu);
	(void)!write(l->wake[1], "s", 1);
	if (l->started)
		pthread_join(l->th, NULL);
	/* The loop is gone: every request not answered yet is answered here, as a failure. */
	lists[0] = l->inbox;
	lists[1] = l->flying;
	l->inbox = l->flying = NULL;
	m2mi_httpc_free(l->httpc);
	l->httpc = NULL;
	/* A bufferevent freed while its deferred callbacks were queued is finalized by the loop:
	 * one last non-blocking pass (safe: the client's start and deadline events died with it). */
	if (l->base != NULL)
		event_base_loop(l->base, EVLOOP_NONBLOCK);
	for (int i = 0; i < 2; i++)
		while ((j = lists[i]) != NULL) {
			lists[i] = j->next;
			j->done(j->arg, -1, 0, 0, NULL, 0);
			free(j->body);
			free(j->fr);
			free(j);
		}
	free_parts(l);
}
