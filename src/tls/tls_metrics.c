/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the handshake counters of the TLS and DTLS server contexts
 * (m2msec_tls_handshakes_total, docs/operations.md): OpenSSL's info callback counts a server
 * handshake once, as "ok" when it completes or as "failed" when a fatal alert is sent or received
 * before it completes, labelled with the kind of security association (TS-0003 clause 8.2) it
 * established or tried: none, cert, or the PSK SAEF and the resolver that answered (psk-file,
 * psk-store, psk-mef for a KeID, psk-maf for a KcID; psk for a KpsaID nobody knew). The kind is
 * a small integer on the SSL (ex_data), never the identity. Renegotiation and tickets are off
 * (tls_ctx.c), so a connection has one handshake.
 */
#include <pthread.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "core/metrics.h"
#include "tls/tls_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int kind_idx = -1; /* SSL ex_data: (void *)(intptr_t)(kind + 1); 0 = not known */
static int done_idx = -1; /* SSL ex_data: non-NULL once counted */

static void idx_init(void)
{
	kind_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	done_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

void m2mi_tls_metrics_mark(SSL *ssl, int kind)
{
	if (ssl == NULL || kind < 0 || kind >= M2MI_HS_KINDS || !m2mi_metrics_enabled() ||
	    pthread_once(&once, idx_init) != 0 || kind_idx < 0)
		return;
	(void)SSL_set_ex_data(ssl, kind_idx, (void *)(intptr_t)(kind + 1));
}

static enum m2mi_hs_kind kind_of(const SSL *ssl)
{
	intptr_t k = kind_idx >= 0 ? (intptr_t)SSL_get_ex_data(ssl, kind_idx) : 0;
	const m2m_sa *sa;
	X509 *peer;

	if (k > 0)
		return (enum m2mi_hs_kind)(k - 1);
	if ((sa = m2mi_tls_get_sa(ssl)) != NULL && sa->kind == M2M_SA_CERT)
		return M2MI_HS_CERT;
	if ((peer = SSL_get0_peer_certificate(ssl)) != NULL)
		return M2MI_HS_CERT;
	return SSL_is_init_finished(ssl) ? M2MI_HS_NONE : M2MI_HS_UNKNOWN;
}

static void count(SSL *ssl, enum m2mi_hs_outcome outcome)
{
	if (done_idx < 0 || SSL_get_ex_data(ssl, done_idx) != NULL)
		return;
	(void)SSL_set_ex_data(ssl, done_idx, (void *)ssl);
	m2mi_metrics_handshake(outcome, kind_of(ssl));
}

void m2mi_tls_metrics_info(const SSL *cssl, int where, int ret)
{
	SSL *ssl = (SSL *)(uintptr_t)cssl; /* the ex_data mark; OpenSSL passes the connection's SSL */

	if (!m2mi_metrics_enabled() || ssl == NULL || !SSL_is_server(ssl) || pthread_once(&once, idx_init) != 0)
		return;
	if (where & SSL_CB_HANDSHAKE_DONE)
		count(ssl, M2MI_HS_OK);
	else if ((where & SSL_CB_ALERT) && (ret >> 8) == SSL3_AL_FATAL && !SSL_is_init_finished(ssl))
		count(ssl, M2MI_HS_FAILED);
}
