/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the asynchronous PSK resolvers of the TLS layer (docs/tls.md,
 * "Asynchronous PSK lookup"): a key that lives in another service (MEF-provisioned KeID,
 * TS-0003 clause 8.2.2.1 with remote provisioning of clause 8.3.2; the Kc of the MAF-based SAEF,
 * clause 8.2.2.3; a GBA B-TID) is looked up while the handshake waits inside the PSK callback of
 * psk.c. The handshake runs in an OpenSSL ASYNC job (SSL_MODE_ASYNC set per connection by
 * m2m_tls_async_attach); a pending lookup pauses the job (ASYNC_pause_job), SSL_do_handshake
 * returns SSL_ERROR_WANT_ASYNC to the transport, which drives the socket meanwhile and resumes
 * the handshake when m2m_psk_wait_done wakes it. A wait has two holders (the paused handshake
 * and the resolver) and is freed when both let go, so an answer arriving after a deadline or a
 * disconnect finds an abandoned wait, never a freed connection. Everything here runs on the
 * connection's event-loop thread, except m2m_psk_wait_done_post which only queues.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/async.h>

#include "m2msec/mem.h"
#include "tls/tls_int.h"

struct m2m_psk_wait {
	int refs;                          /* handshake + resolver; loop thread only */
	bool answered;                     /* done (or cancelled): the handshake may resume */
	bool abandoned;                    /* the handshake let go: an answer is dropped */
	m2m_err err;
	m2m_key *key;
	m2m_sa sa;
	const m2m_tls_async_host *host;    /* NULL once abandoned */
	m2m_err (*post)(void *, void (*)(void *), void *);
	void *post_arg;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int host_idx = -1; /* SSL ex_data: the m2m_tls_async_host (borrowed) */
static int wait_idx = -1; /* SSL ex_data: the pending m2m_psk_wait (borrowed) */

static void idx_init(void)
{
	host_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	wait_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

m2m_err m2mi_psk_async_indices(void)
{
	if (pthread_once(&once, idx_init) != 0 || host_idx < 0 || wait_idx < 0)
		return M2M_E_CRYPTO;
	return M2M_OK;
}

static void wait_unref(m2m_psk_wait *w)
{
	if (--w->refs > 0)
		return;
	m2m_key_free(w->key);
	m2m_freezero(w, sizeof(*w));
}

void m2m_psk_wait_done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *binding)
{
	if (w == NULL) {
		m2m_key_free(key);
		return;
	}
	if (w->abandoned || w->answered) {
		m2m_key_free(key); /* the handshake gave up (deadline, disconnect): wipe */
	} else {
		w->answered = true;
		w->err = err == M2M_OK && (key == NULL || binding == NULL) ? M2M_E_INTERNAL : err;
		if (w->err == M2M_OK) {
			w->key = key;
			w->sa = *binding;
		} else {
			m2m_key_free(key);
		}
		w->host->wake(w->host->wake_arg);
	}
	wait_unref(w);
}

struct posted {
	m2m_psk_wait *w;
	m2m_err err;
	m2m_key *key;
	m2m_sa sa;
	bool has_sa;
};

static void run_posted(void *arg)
{
	struct posted *p = arg;

	m2m_psk_wait_done(p->w, p->err, p->key, p->has_sa ? &p->sa : NULL);
	m2m_freezero(p, sizeof(*p));
}

m2m_err m2m_psk_wait_done_post(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *binding)
{
	struct posted *p;

	if (w == NULL || w->post == NULL) {
		m2m_key_free(key);
		return M2M_E_INVAL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		m2m_key_free(key);
		return M2M_E_NOMEM;
	}
	p->w = w;
	p->err = err;
	p->key = key;
	if (binding != NULL) {
		p->sa = *binding;
		p->has_sa = true;
	}
	if (w->post(w->post_arg, run_posted, p) != M2M_OK) {
		m2m_key_free(key);
		m2m_freezero(p, sizeof(*p));
		return M2M_E_INTERNAL;
	}
	return M2M_OK;
}

bool m2m_psk_wait_abandoned(const m2m_psk_wait *w)
{
	return w == NULL || w->abandoned || w->answered;
}

m2m_err m2m_tls_async_attach(SSL *ssl, const m2m_tls_async_host *host)
{
	if (ssl == NULL || host == NULL || host->wake == NULL || host->inflight == NULL ||
	    m2mi_psk_async_indices() != M2M_OK)
		return M2M_E_INVAL;
	if (SSL_set_ex_data(ssl, host_idx, (void *)host) != 1)
		return M2M_E_CRYPTO;
	SSL_set_mode(ssl, SSL_MODE_ASYNC);
	return M2M_OK;
}

void m2m_tls_async_cancel(SSL *ssl)
{
	m2m_psk_wait *w = ssl != NULL && wait_idx >= 0 ? SSL_get_ex_data(ssl, wait_idx) : NULL;

	if (w != NULL && !w->answered) {
		w->answered = true;
		w->err = M2M_E_AUTH; /* fails closed; the peer learns nothing about why */
	}
}

bool m2m_tls_async_waiting(const SSL *ssl)
{
	return ssl != NULL && wait_idx >= 0 && SSL_get_ex_data(ssl, wait_idx) != NULL;
}

void m2m_tls_async_detach(SSL *ssl)
{
	if (ssl == NULL || host_idx < 0)
		return;
	SSL_clear_mode(ssl, SSL_MODE_ASYNC);
	(void)SSL_set_ex_data(ssl, host_idx, NULL);
}

m2m_err m2mi_psk_async_call(const struct m2mi_psk_resolver *r, SSL *ssl, const char *identity, int64_t now,
			    m2m_key **key, m2m_sa *binding)
{
	const m2m_tls_async_host *host = ssl != NULL && host_idx >= 0 ? SSL_get_ex_data(ssl, host_idx) : NULL;
	m2m_psk_wait *w = NULL;
	m2m_err rc;

	*key = NULL;
	/* No transport that can wait or no job to pause: a resolver with a synchronous twin answers
	 * with it (as before it had a wait); the loop's cap reached: the resolver, without a wait. */
	if ((host == NULL || ASYNC_get_current_job() == NULL) && r->fn != NULL)
		return r->fn(r->ctx, identity, now, key, binding);
	if (host == NULL || ASYNC_get_current_job() == NULL || *host->inflight >= host->max_inflight)
		return r->afn(r->ctx, identity, now, NULL, key, binding);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return M2M_E_NOMEM;
	w->refs = 2;
	w->host = host;
	w->post = host->post;
	w->post_arg = host->post_arg;
	rc = r->afn(r->ctx, identity, now, w, key, binding);
	if (rc != M2M_OK || *key != NULL) { /* answered at once: the resolver did not keep w */
		w->refs = 1;
		w->abandoned = true;
		wait_unref(w);
		return rc;
	}
	(*host->inflight)++;
	(void)SSL_set_ex_data(ssl, wait_idx, w);
	while (!w->answered) {
		/* Returns here when the transport resumes the handshake (answer or cancel). */
		if (ASYNC_pause_job() == 0) {
			w->answered = true;
			w->err = M2M_E_INTERNAL;
		}
	}
	(void)SSL_set_ex_data(ssl, wait_idx, NULL);
	(*host->inflight)--;
	rc = w->err;
	if (rc == M2M_OK) {
		*key = w->key;
		w->key = NULL;
		*binding = w->sa;
	}
	w->abandoned = true;
	w->host = NULL;
	wait_unref(w);
	return rc;
}

/* ---- waits outside a handshake (m2m_tls_psk_lookup with a kick) ---------------------------- */

struct kick_host {
	m2m_tls_async_host host;
	unsigned inflight;
	struct m2mi_psk_kick kick;
};

static void kick_wake(void *arg)
{
	struct kick_host *k = arg;

	k->kick.fn(k->kick.arg);
	free(k); /* the wait no longer looks at its host once woken (m2m_psk_wait_done) */
}

/* No loop to post to: the resolver's answer is taken on its own thread; only the kick runs. */
static m2m_err run_here(void *post_arg, void (*fn)(void *), void *fnarg)
{
	(void)post_arg;
	fn(fnarg);
	return M2M_OK;
}

m2m_err m2mi_psk_async_kick(const struct m2mi_psk_resolver *r, const struct m2mi_psk_kick *kick,
			    const char *identity, int64_t now, m2m_key **key, m2m_sa *binding)
{
	struct kick_host *k;
	m2m_psk_wait *w;
	m2m_err rc;

	*key = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL || (w = calloc(1, sizeof(*w))) == NULL) {
		free(k);
		return M2M_E_NOMEM;
	}
	k->kick = *kick;
	k->host = (m2m_tls_async_host){.wake = kick_wake, .wake_arg = k, .post = run_here, .inflight = &k->inflight,
				       .max_inflight = 1};
	w->refs = 1; /* the resolver's only: this side never touches a kept wait again */
	w->host = &k->host;
	w->post = run_here;
	rc = r->afn(r->ctx, identity, now, w, key, binding);
	if (rc != M2M_OK || *key != NULL) { /* answered at once: the resolver did not keep w */
		w->abandoned = true;
		wait_unref(w);
		free(k);
	}
	return rc;
}
