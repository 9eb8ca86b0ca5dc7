/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the TLS security-association layer of a oneM2M server (TS-0003 clauses
 * 8.2, 10.2): one SSL_CTX per listener with the TS-0003 cipher suites configured in one place,
 * PSK identities resolved to keys and bound identities through a chain of resolvers (the
 * pre-provisioned psk-file and the credential store now; MEF-provisioned KeIDs and MAF-provided
 * hex(KcID)@MAF-FQDN identities plug in as further resolvers), client certificates verified
 * against trust anchors and mapped to an identity from their subjectAltName (TS-0003 clause
 * 8.1.2.5). The only place in m2msec that calls the SSL API (besides tls/exporter.c).
 */
#ifndef M2MSEC_TLS_H
#define M2MSEC_TLS_H

#include <openssl/ssl.h>
#include "m2msec/err.h"
#include "m2msec/key.h"
#include "m2msec/sa.h"

typedef struct m2m_credstore m2m_credstore;

/*
 * A PSK resolver: given a psk_identity, return the key and what it binds to. Return
 * M2M_E_NOT_FOUND to let the next resolver try; any other error ends the handshake (fail
 * closed). Expired/revoked credentials must return their M2M_E_KEY_* error.
 */
typedef m2m_err (*m2m_psk_resolve_fn)(void *ctx, const char *identity, int64_t now, m2m_key **key,
				      m2m_sa *binding);

typedef struct m2m_tls_config {
	const char *cert_file;     /* server certificate chain (PEM); NULL = PSK only */
	const char *key_file;      /* its private key; must be 0600 */
	const char *trust_anchors; /* CA bundle for client certificates; NULL = no certificate clients */
	const char *psk_file;      /* lines "KpsaID hex-key bound-identity"; must be 0600; NULL = none */
	m2m_credstore *store;      /* credential store consulted for KpsaIDs; NULL = none */
	const char *sp_id;         /* "//sp.example.com": the SP domain, to map SANs to IDs */
	bool allow_tls13;          /* also offer TLS 1.3 (TS-0003 V3 requires 1.2; 1.3 is allowed) */
	/* CRL(s) of the client certificates' CAs (PEM; docs/tls.md "CRL"): every client leaf is
	 * checked (X509_V_FLAG_CRL_CHECK), the file re-read every crl_refresh_s seconds (0 = 300);
	 * missing/unparsable/expired = every certificate client refused (fail closed). NULL = none. */
	const char *crl_file;
	int crl_refresh_s;
} m2m_tls_config;

typedef struct m2m_tls m2m_tls;

/*
 * Build the server SSL_CTX from cfg (docs/tls.md). Fails closed: a psk-file or key file that is
 * not a regular file owned by the effective user with mode 0600 or stricter gives
 * M2M_E_KEY_PERMS; a malformed psk-file line M2M_E_CONFIG. The detail ("psk file: line N:
 * reason", never key text) goes to the log at error level. *out is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_tls_new(const m2m_tls_config *cfg, m2m_tls **out);
/* The same, with the detail written to errmsg (errcap bytes, may be NULL) instead of the log. */
M2M_API M2M_WUR m2m_err m2m_tls_new_ex(const m2m_tls_config *cfg, m2m_tls **out, char *errmsg,
				       size_t errcap);
M2M_API void m2m_tls_free(m2m_tls *tls);
/* Add a PSK resolver after the built-in ones (psk-file, credential store); at most 8 in all.
 * The resolver receives the identity as presented (already checked to have the shape of a
 * KpsaID, KeID or hex(KcID)@FQDN). Call before the first handshake. */
M2M_API M2M_WUR m2m_err m2m_tls_add_psk_resolver(m2m_tls *tls, m2m_psk_resolve_fn fn, void *ctx);
/* The server SSL_CTX (owned by tls). */
M2M_API SSL_CTX *m2m_tls_ctx(m2m_tls *tls);
/* After a completed handshake: the security association of this connection. Fails with
 * M2M_E_AUTH when the handshake is incomplete or nothing is bound (close the connection);
 * *out is then zeroed (kind M2M_SA_NONE). */
M2M_API M2M_WUR m2m_err m2m_tls_peer_sa(m2m_tls *tls, SSL *ssl, m2m_sa *out);
/* The SNI host name the client sent (TS-0003 clause 10.2.1), or NULL. Informational only: an
 * unknown name is accepted. */
M2M_API const char *m2m_tls_peer_servername(const SSL *ssl);

#endif
