/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the optional copy of the PSK a handshake used (m2m_tls_keep_psk,
 * m2m_tls_peer_psk; docs/tls.md "Keeping the PSK"). The MAF needs it: a client that presents a
 * KeID of its MEF (remote provisioning, TS-0003 clause 8.8.2.3) authenticated with Km fetched
 * from the MEF during the handshake, and the MAF Client Registration stores exactly that Km under
 * a new KmID (docs/procedures/maf.md). OpenSSL keeps no retrievable copy of a TLS 1.2 PSK, and
 * fetching it again after the handshake could give a different answer (a revocation in between)
 * or block; so the PSK callback keeps a copy in the SSL's ex_data, for the contexts that asked
 * for it only, until m2m_tls_peer_psk takes it, else wiped when the SSL is freed (m2m_key_free
 * zeroizes).
 */
#include <pthread.h>

#include "tls/tls_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int keep_idx = -1; /* SSL ex_data: the m2m_key copy (owned) */

static void keep_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	m2m_key_free(ptr);
}

static void idx_init(void)
{
	keep_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, keep_free);
}

m2m_err m2m_tls_keep_psk(m2m_tls *tls, bool on)
{
	if (!m2mi_tls_ok(tls))
		return M2M_E_INVAL;
	if (on && (pthread_once(&once, idx_init) != 0 || keep_idx < 0))
		return M2M_E_CRYPTO;
	tls->keep_psk = on;
	return M2M_OK;
}

m2m_err m2mi_psk_keep(m2m_tls *tls, SSL *ssl, const m2m_key *key)
{
	m2m_key *copy = NULL, *old;
	m2m_err r;

	if (!tls->keep_psk)
		return M2M_OK;
	if ((r = m2m_key_dup(key, &copy)) != M2M_OK)
		return r;
	old = SSL_get_ex_data(ssl, keep_idx);
	if (SSL_set_ex_data(ssl, keep_idx, copy) != 1) {
		m2m_key_free(copy);
		return M2M_E_NOMEM;
	}
	m2m_key_free(old); /* a renegotiation or a second callback: the last key counts */
	return M2M_OK;
}

m2m_err m2m_tls_peer_psk(SSL *ssl, m2m_key **out)
{
	m2m_key *k;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (ssl == NULL || keep_idx < 0 || (k = SSL_get_ex_data(ssl, keep_idx)) == NULL)
		return M2M_E_NOT_FOUND;
	/* taken, not copied: a long-lived connection holds no Km beyond the association made from
	 * it right after the handshake (a KmID's Km is dropped there at once) */
	if (SSL_set_ex_data(ssl, keep_idx, NULL) != 1)
		return M2M_E_NOMEM;
	*out = k;
	return M2M_OK;
}
