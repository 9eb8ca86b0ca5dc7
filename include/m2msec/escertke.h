/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of End-to-End Certificate-based Key Establishment
 * (ESCertKE, TS-0003 clause 8.7, TS-0001 clause 11.4.3): the four ESCertKE messages are the
 * flights of a TLS 1.2 handshake with the certificate suites of TS-0003 clause 10.2.3, run by
 * OpenSSL over memory BIOs (no TLS is re-implemented here) and carried by the caller in two
 * NOTIFY request/response pairs (`seci` sit 6, seci_e2e.h). On success both end-points export
 * 48 bytes with the label "EXPORTER-oneM2M-ESCertKE" (clause 10.3.1): pairwiseE2EKey = the 32
 * least significant bytes, pairwiseE2EKeyID = the 16 most significant ones.
 *
 * Feed message bytes in, get message bytes out:
 *   initiator   step(NULL)  -> message 1;  step(message 2) -> message 3;  step(message 4) -> done
 *   terminator  step(message 1) -> message 2;  step(message 3) -> message 4, done
 * Both ends authenticate each other with certificates chaining to the configured trust anchors
 * (mutual authentication, the clause 10.1.1 profile and the subjectAltName -> AE-ID / CSE-ID
 * mapping of the CSE's TLS layer, tls/peer.c); the peer's identity must equal the expected one
 * (the initiator: the Terminating End-Point's identity it was commanded with, clause 8.7.2.2 B;
 * the terminator: the From of message 1, TS-0001 clause 11.4.3 C.1a). Deadlines are the caller's.
 * Opaque types; a context is thread-safe for creating sessions, a session is single-threaded.
 */
#ifndef M2MSEC_ESCERTKE_H
#define M2MSEC_ESCERTKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"
#include "m2msec/key.h"

/* Largest ESCertKE message accepted or produced (decoded octets, = M2M_SECI_ECKM_MAX). */
#define M2M_ESCERTKE_MSG_MAX (64u * 1024u)

typedef struct m2m_escertke_config {
	const char *cert_file;     /* this end-point's certificate chain (PEM, P-256 leaf) */
	const char *key_file;      /* its private key (PEM, unencrypted, 0600) */
	const char *trust_anchors; /* CA certificates the peer's certificate must chain to */
	/* How identities are compared (m2m_originator_forms): the SP-ID ("//sp.example.com", also
	 * the SP whose CSE-ID DNS SANs are mapped) and a CSE-ID ("/id-in") that SP-relative forms
	 * are completed with. */
	const char *sp_id;
	const char *cse_id;
} m2m_escertke_config;

typedef struct m2m_escertke_ctx m2m_escertke_ctx;
typedef struct m2m_escertke m2m_escertke;

/*
 * Load the credentials once for many sessions of one role. Errors: M2M_E_KEY_PERMS (key file
 * not 0600 and owned), M2M_E_CERT (certificate, key or anchors unusable; not P-256), M2M_E_CONFIG
 * (sp_id / cse_id malformed), M2M_E_CRYPTO. errmsg (errcap, may be NULL) names the file at fault.
 */
M2M_API M2M_WUR m2m_err m2m_escertke_ctx_new(const m2m_escertke_config *cfg, bool initiator,
					     m2m_escertke_ctx **out, char *errmsg, size_t errcap);
M2M_API void m2m_escertke_ctx_free(m2m_escertke_ctx *ctx);

/* A new procedure whose peer must authenticate as peer_id (AE-ID or CSE-ID, any form). */
M2M_API M2M_WUR m2m_err m2m_escertke_new(m2m_escertke_ctx *ctx, const char *peer_id, m2m_escertke **out);
M2M_API void m2m_escertke_free(m2m_escertke *e);

/*
 * One step (see above). *out (heap, free()) gets the next message, NULL with *out_len 0 when the
 * step ends the procedure (the initiator's message 4). Errors (the session is then dead, every
 * later step fails with M2M_E_PROTO): M2M_E_PROTO (not the expected TLS 1.2 flight: garbage,
 * truncated, trailing octets, another protocol version, no common certificate suite, a step out
 * of order), M2M_E_CERT_UNTRUSTED (the peer's chain does not reach a trust anchor),
 * M2M_E_CERT / M2M_E_CERT_NAME (the peer certificate breaks the profile or names no usable
 * identity), M2M_E_AUTH (it names another identity than peer_id), M2M_E_TOO_LARGE (a message
 * over M2M_ESCERTKE_MSG_MAX).
 */
M2M_API M2M_WUR m2m_err m2m_escertke_step(m2m_escertke *e, const uint8_t *in, size_t in_len, uint8_t **out,
					  size_t *out_len);
/* True once the handshake completed and the peer was authenticated as peer_id. */
M2M_API bool m2m_escertke_done(const m2m_escertke *e);
/* The peer's authenticated identity (absolute form), "" before done. */
M2M_API const char *m2m_escertke_peer(const m2m_escertke *e);
/*
 * After done: export pairwiseE2EKey (TS-0003 clause 10.3.1, label M2M_EXPORTER_ESCERTKE) into
 * *key, with the identifier hexBinary(pairwiseE2EKeyID)@fqdn in key_id (cap bytes) and as the
 * key's id. M2M_E_PROTO before done.
 */
M2M_API M2M_WUR m2m_err m2m_escertke_export(m2m_escertke *e, const char *fqdn, m2m_key **key, char *key_id,
					    size_t cap);

#endif
