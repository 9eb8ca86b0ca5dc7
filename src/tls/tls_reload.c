/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2m_tls_reload (m2msec/tls.h, docs/operations.md "Signals"): the SIGHUP
 * reload of the operator's credential files without dropping a connection.
 *
 * The psk-file (TS-0003 clause 8.2.2.1 pre-provisioned Kpsa) is parsed into a new table outside
 * any lock and swapped in under the table's write lock; a lookup holds the read lock only while
 * it copies its key, so an established association (whose key was copied at its handshake) is
 * untouched, a key added to the file works for the next handshake and a removed one is refused
 * from then on.
 *
 * The server certificate chain, its private key and the trust anchors (TS-0003 clauses 8.2.2.2,
 * 10.1.1) are loaded into a complete new SSL_CTX by the one builder (m2mi_tls_ctx_build, the
 * same policy as at start), outside any lock, and published by a pointer swap under ctx_mu.
 * Why this is race-free under OpenSSL's threading rules: an SSL_CTX may be used by many threads
 * at once as long as nobody modifies it, and this one is never modified after it is published;
 * (the builder decodes the certificates' cached extensions before publishing, see m2mi_peer_ctx);
 * a listener makes its SSL under the read lock (m2m_tls_ssl_new), and SSL_new takes its own
 * reference (atomic), so the swap (write lock) can drop the m2m_tls's reference to the old
 * context at once: it lives on, unchanged, exactly as long as the connections made with it.
 * The DTLS twin of the CoAP binding notices the new generation and rebuilds itself from the new
 * context on its own thread (coap_server.c).
 *
 * A file that does not load leaves what is in force untouched (a typo must not lock every
 * device out) and the message names the file and the reason, never key material. The two
 * reloads are independent: a broken psk-file does not hold back a new certificate, nor the reverse.
 */
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

static m2m_err reload_psk(m2m_tls *tls, char *errmsg, size_t errcap)
{
	m2mi_psk_table *fresh = NULL, *old;
	char msg[200] = "";
	m2m_err r;

	if (tls->psk_file == NULL || !tls->psk_mu_init)
		return M2M_OK;
	if ((r = m2mi_psk_file_load(tls->psk_file, &fresh, msg, sizeof(msg))) != M2M_OK) {
		snprintf(errmsg, errcap, "psk file: %s", msg[0] ? msg : m2m_strerror(r));
		return r;
	}
	if (pthread_rwlock_wrlock(&tls->psk_mu) != 0) {
		m2mi_psk_table_free(fresh);
		return M2M_E_INTERNAL;
	}
	old = tls->psk_table;
	tls->psk_table = fresh;
	pthread_rwlock_unlock(&tls->psk_mu);
	m2mi_psk_table_free(old); /* wiped: no reader holds it any more */
	return M2M_OK;
}

static m2m_err reload_ctx(m2m_tls *tls, char *errmsg, size_t errcap)
{
	m2m_tls_config cfg = {
		.cert_file = tls->cert_file,
		.key_file = tls->key_file,
		.trust_anchors = tls->trust_anchors,
		.allow_tls13 = tls->allow_tls13,
		.server_auth_only = tls->server_auth_only,
	};
	SSL_CTX *fresh = NULL, *old;
	struct m2mi_tls_prof *prof = NULL;
	char msg[200] = "";
	m2m_err r;

	if (tls->cert_file == NULL)
		return M2M_OK; /* PSK only: nothing in the context comes from a file */
	pthread_mutex_lock(&tls->cfg_mu); /* no security profile is set meanwhile */
	if ((r = m2mi_tls_ctx_build(tls, &cfg, true, &fresh, msg, sizeof(msg))) != M2M_OK) {
		pthread_mutex_unlock(&tls->cfg_mu);
		snprintf(errmsg, errcap, "%s", msg[0] ? msg : m2m_strerror(r));
		return r;
	}
	/* A security profile with anchors of its own verifies against its own store, made of the
	 * configured anchors plus its: rebuilt on the new ones, and published first, so a CA removed
	 * from trust-anchors is refused by every handshake that starts after the reload. */
	if ((r = m2mi_tls_prof_rebase(tls, fresh, &prof)) != M2M_OK || pthread_rwlock_wrlock(&tls->ctx_mu) != 0) {
		pthread_mutex_unlock(&tls->cfg_mu);
		m2mi_tls_prof_free(prof);
		SSL_CTX_free(fresh);
		snprintf(errmsg, errcap, "security profile anchors: %s", m2m_strerror(r != M2M_OK ? r : M2M_E_INTERNAL));
		return r != M2M_OK ? r : M2M_E_INTERNAL;
	}
	m2mi_tls_prof_swap(tls, prof);
	old = tls->ctx;
	tls->ctx = fresh;
	atomic_fetch_add(&tls->gen, 1);
	pthread_rwlock_unlock(&tls->ctx_mu);
	pthread_mutex_unlock(&tls->cfg_mu);
	/* the connections made with it hold their own references; its ex_data (this m2m_tls) stays
	 * valid because every listener ends its connections before m2m_tls_free */
	SSL_CTX_free(old);
	return M2M_OK;
}

m2m_err m2m_tls_reload(m2m_tls *tls, char *errmsg, size_t errcap)
{
	char e1[256] = "", e2[256] = "";
	m2m_err r1, r2;

	if (errmsg != NULL && errcap > 0)
		errmsg[0] = '\0';
	if (!m2mi_tls_ok(tls))
		return M2M_E_INVAL;
	m2mi_tls_crl_expire(tls->crl);
	r1 = reload_ctx(tls, e1, sizeof(e1));
	r2 = reload_psk(tls, e2, sizeof(e2));
	if (errmsg != NULL && errcap > 0)
		snprintf(errmsg, errcap, "%s%s%s", e1, e1[0] && e2[0] ? "; " : "", e2);
	return r1 != M2M_OK ? r1 : r2;
}
