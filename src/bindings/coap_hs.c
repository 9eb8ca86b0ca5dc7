/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the DTLS handshake driver of the CoAP server for asynchronous PSK
 * lookups (docs/coap-dtls.md; TS-0003 clause 8.2.2.1 with MEF-provisioned KeIDs, clause 8.2.2.3
 * MAF Kc identifiers). The PSK callback and the resolver chain are those of the HTTPS listener
 * (tls/psk.c, tls/psk_async.c): the handshake runs in an OpenSSL ASYNC job (SSL_MODE_ASYNC set
 * by m2m_tls_async_attach), a key that is not cached pauses the job and SSL_accept returns
 * SSL_ERROR_WANT_ASYNC. The CoAP thread then leaves that session alone (its socket is not read,
 * its flight not retransmitted: the client's retransmissions wait in the socket buffer) and
 * serves every other peer; the lookup's answer arrives through the call queue (call_queue.c,
 * the same one the HTTP loops use), wakes the session and the next step resumes the handshake.
 * The deadline (psk-lookup-timeout-ms) cancels the wait and the handshake fails closed; at most
 * psk-lookups-max lookups are waited on (beyond, the resolver is asked without a wait handle
 * and refuses a miss). Runs on the CoAP thread only, but for the queue's post.
 */
#include <time.h>
#include <openssl/err.h>

#include "bindings/coap_hs.h"
#include "m2msec/http.h"

int64_t m2mi_coap_hs_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static m2m_err post(void *arg, void (*fn)(void *), void *fnarg)
{
	return m2mi_call_queue_post(arg, fn, fnarg);
}

/* Called from m2m_psk_wait_done on the CoAP thread: never re-enter the handshake from here. */
static void wake(void *arg)
{
	m2mi_coap_hs *hs = arg;

	hs->woken = true;
}

m2m_err m2mi_coap_hs_loop_init(m2mi_coap_hs_loop *l, unsigned max_inflight, int lookup_ms)
{
	l->inflight = 0;
	l->max_inflight = max_inflight > 0 ? max_inflight : M2M_HTTP_DEFAULT_PSK_LOOKUPS;
	l->lookup_ms = lookup_ms > 0 ? lookup_ms : M2M_HTTP_DEFAULT_PSK_LOOKUP_MS;
	return m2mi_call_queue_new(&l->calls);
}

void m2mi_coap_hs_loop_fini(m2mi_coap_hs_loop *l)
{
	if (l == NULL || l->calls == NULL)
		return;
	m2mi_call_queue_run(l->calls); /* each answer completes its wait (freed when both let go) */
	m2mi_call_queue_free(l->calls);
	l->calls = NULL;
}

m2m_err m2mi_coap_hs_attach(m2mi_coap_hs_loop *l, m2mi_coap_hs *hs, SSL *ssl, const m2m_tls *tls)
{
	m2m_err r;

	if (!m2m_tls_has_async(tls))
		return M2M_OK; /* no resolver can wait: the handshake runs without ASYNC jobs */
	hs->host = (m2m_tls_async_host){.wake = wake, .wake_arg = hs, .post = post, .post_arg = l->calls,
					.inflight = &l->inflight, .max_inflight = l->max_inflight};
	if ((r = m2m_tls_async_attach(ssl, &hs->host)) != M2M_OK)
		return r;
	hs->attached = true;
	return M2M_OK;
}

m2mi_coap_hs_state m2mi_coap_hs_step(m2mi_coap_hs_loop *l, m2mi_coap_hs *hs, SSL *ssl, int64_t now_ms)
{
	int n, e;

	hs->woken = false;
	ERR_clear_error();
	n = SSL_accept(ssl);
	if (n == 1) {
		hs->deadline_ms = 0;
		if (hs->attached) /* the data path runs without ASYNC jobs */
			m2m_tls_async_detach(ssl);
		hs->attached = false;
		return M2MI_COAP_HS_DONE;
	}
	e = SSL_get_error(ssl, n);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_ASYNC && m2m_tls_async_waiting(ssl)) {
		if (hs->deadline_ms == 0)
			hs->deadline_ms = now_ms + l->lookup_ms;
		return M2MI_COAP_HS_AGAIN;
	}
	hs->deadline_ms = 0;
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? M2MI_COAP_HS_AGAIN : M2MI_COAP_HS_FAILED;
}

bool m2mi_coap_hs_paused(const m2mi_coap_hs *hs, const SSL *ssl)
{
	return !hs->woken && m2m_tls_async_waiting(ssl);
}

bool m2mi_coap_hs_expire(m2mi_coap_hs *hs, SSL *ssl, int64_t now_ms)
{
	if (hs->deadline_ms == 0 || now_ms < hs->deadline_ms || !m2m_tls_async_waiting(ssl))
		return false;
	m2m_tls_async_cancel(ssl); /* the resumed job fails the handshake; a late answer is wiped */
	hs->woken = true;
	return true;
}

void m2mi_coap_hs_release(m2mi_coap_hs *hs, SSL *ssl)
{
	if (ssl == NULL || !hs->attached)
		return;
	if (m2m_tls_async_waiting(ssl)) {
		m2m_tls_async_cancel(ssl);
		ERR_clear_error();
		(void)SSL_accept(ssl); /* unwinds the paused job: the handshake fails and returns */
		ERR_clear_error();
	}
	m2m_tls_async_detach(ssl);
	hs->attached = false;
}
