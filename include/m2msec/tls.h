/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the TLS security-association layer of a oneM2M server (TS-0003 clauses
 * 8.2, 10.2): one SSL_CTX per listener with the TS-0003 cipher suites configured in one place,
 * PSK identities resolved to keys and bound identities through a chain of resolvers (the
 * pre-provisioned psk-file and the credential store now; MEF-provisioned KeIDs and MAF-provided
 * hex(KcID)@MAF-FQDN identities plug in as further resolvers), client certificates verified
 * against trust anchors and mapped to an identity from their subjectAltName (TS-0003 clause
 * 8.1.2.5). The only place in m2msec that calls the SSL API (besides tls/exporter.c and the ESCertKE
 * end-points of tls/escertke.c).
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
	/* Server authentication only (the BSF's Ub, 3GPP TS 33.220 clause 4.5.2: the UE has neither
	 * certificate nor PSK; it authenticates inside HTTP): needs cert_file, refuses trust_anchors,
	 * psk_file and store (M2M_E_CONFIG); every connection's association is M2M_SA_NONE. */
	bool server_auth_only;
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
/* After the event loops (and the CoAP thread) stopped, before any server is freed: end the
 * credential store's lookup worker (cred-store on PostgreSQL, docs/tls.md); it finishes its lookup
 * in progress and every wait it holds is answered (failures for the queued ones) on this thread.
 * Idempotent; m2m_tls_free does it too. No-op for a store that is a local file. */
M2M_API void m2m_tls_stop_lookups(m2m_tls *tls);
/*
 * SIGHUP (docs/operations.md): re-read psk_file and swap its table atomically (handshakes in
 * progress finish with the table they looked into; established connections keep their
 * association); build a complete new server SSL_CTX from cert_file, key_file and trust_anchors
 * and swap it in for new handshakes (connections keep the context they were made with); re-read
 * crl_file at the next certificate handshake. Each file that no longer loads (unreadable, not
 * 0600, malformed, a key that does not match, a certificate outside its validity period, no
 * trust anchor) leaves what is in force and fails with its error: errmsg names the file and the
 * reason ("psk file: line N: reason", "key file: key does not match the certificate"), never a
 * key. M2M_OK when there is nothing to reload. A security profile (m2m_tls_set_profile) keeps
 * its own anchors on top of the new configured ones.
 */
M2M_API M2M_WUR m2m_err m2m_tls_reload(m2m_tls *tls, char *errmsg, size_t errcap);
/* Add a PSK resolver after the built-in ones (psk-file, credential store); at most 8 in all.
 * The resolver receives the identity as presented (already checked to have the shape of a
 * KpsaID, KeID or hex(KcID)@FQDN). Call before the first handshake. */
M2M_API M2M_WUR m2m_err m2m_tls_add_psk_resolver(m2m_tls *tls, m2m_psk_resolve_fn fn, void *ctx);
/* Run the resolver chain (psk-file, credential store, added resolvers) for identity outside any
 * handshake, e.g. the ESPrim Receiver's pairwiseESPrimKey "kid" (docs/procedures/e2e.md): the
 * same shape check, order, validity and binding rules as a handshake. With kick NULL an
 * asynchronous resolver is asked without a wait (its cache answers, else it refuses: fail
 * closed). With kick, a resolver that has to fetch (MEF, MAF) may keep a wait: the call returns
 * M2M_OK with *key NULL, and kick(kick_arg) runs exactly once, on the resolver's thread, when the
 * answer is in its cache; the caller then asks again. Thread-safe as the handshakes are. *key
 * (m2m_key_free) and *binding are set only on M2M_OK with a key. */
M2M_API M2M_WUR m2m_err m2m_tls_psk_lookup(m2m_tls *tls, const char *identity, int64_t now, void (*kick)(void *),
					   void *kick_arg, m2m_key **key, m2m_sa *binding);
/* The same for a pairwiseESPrimKey "kid" (the ESPrim Receiver): the synchronous resolvers
 * (psk-file, credential store) and the asynchronous ones added with
 * m2m_tls_add_esprim_resolver_async; the hop-by-hop remote resolvers are not asked (they fetch
 * other SUIDs under the same identifiers). */
M2M_API M2M_WUR m2m_err m2m_tls_esprim_lookup(m2m_tls *tls, const char *identity, int64_t now, void (*kick)(void *),
					      void *kick_arg, m2m_key **key, m2m_sa *binding);
/*
 * Apply the TLS part of a security profile (docs/tls.md "Security profile"): from the next
 * handshake on, connections accept only the suites of the cipher policy that suites (IANA names,
 * TS-0003 clause 10.2; none = no restriction) also lists, and verify client certificates against
 * the configured trust anchors plus anchors (PEM CA certificates; none = the configured ones).
 * An empty intersection refuses every handshake. M2M_E_PROTO when suites names no suite OpenSSL
 * knows or an anchor is not a CA certificate: nothing changes (the last good profile stays).
 * Thread-safe; the shared SSL_CTX is not modified.
 */
M2M_API M2M_WUR m2m_err m2m_tls_set_profile(m2m_tls *tls, const char *const *suites, size_t n_suites,
					    const char *const *anchors, size_t n_anchors);
/* The current server SSL_CTX (owned by tls; borrowed: a reload replaces it, so a multi-threaded
 * caller uses m2m_tls_ssl_new). */
M2M_API SSL_CTX *m2m_tls_ctx(m2m_tls *tls);
/* A new server SSL on the current SSL_CTX, safe against a concurrent m2m_tls_reload (the SSL
 * keeps its context); NULL on failure. */
M2M_API SSL *m2m_tls_ssl_new(m2m_tls *tls);
/* After a completed handshake: the security association of this connection. Fails with
 * M2M_E_AUTH when the handshake is incomplete or nothing is bound (close the connection);
 * *out is then zeroed (kind M2M_SA_NONE). */
M2M_API M2M_WUR m2m_err m2m_tls_peer_sa(m2m_tls *tls, SSL *ssl, m2m_sa *out);
/* Keep a copy of the PSK every handshake of this context resolves, for m2m_tls_peer_psk (off by
 * default; the MAF needs the Km a remote-provisioned client used, docs/tls.md). Call before the
 * first handshake. The copy stays on the SSL until m2m_tls_peer_psk takes it, else it is wiped
 * when the SSL is freed. */
M2M_API M2M_WUR m2m_err m2m_tls_keep_psk(m2m_tls *tls, bool on);
/* The TLS 1.2 PSK identity hint this context sends (RFC 4279 clause 2; a NAF sends
 * "3GPP-bootstrapping", TS 33.222 clause 5.4.0.1): 1..63 printable bytes, M2M_E_INVAL otherwise.
 * Call before the first handshake; it applies to the DTLS context made afterwards too. */
M2M_API M2M_WUR m2m_err m2m_tls_set_psk_hint(m2m_tls *tls, const char *hint);
/* Take the copy of the PSK (with its identifier) the handshake of ssl used, when its context
 * keeps them: the SSL holds it no longer (a second call gives M2M_E_NOT_FOUND);
 * M2M_E_NOT_FOUND otherwise (no PSK handshake, or not kept). Free with m2m_key_free. */
M2M_API M2M_WUR m2m_err m2m_tls_peer_psk(SSL *ssl, m2m_key **out);
/* The SNI host name the client sent (TS-0003 clause 10.2.1), or NULL. Informational only: an
 * unknown name is accepted. */
M2M_API const char *m2m_tls_peer_servername(const SSL *ssl);

/* ---- asynchronous PSK resolvers (docs/tls.md, "Asynchronous PSK lookup") -------------------
 *
 * A key that lives in another service (a KeID fetched from the MEF, a Kc identifier from the
 * MAF, a B-TID from the BSF) is looked up DURING the handshake without blocking the event loop:
 * the handshake is paused inside the PSK callback (SSL_MODE_ASYNC, an OpenSSL ASYNC job), other
 * connections of the loop proceed, and the handshake resumes when the answer arrives. It fails
 * closed (a handshake alert, no reason given) on an error, a deadline or a disconnect.
 *
 * Thread rule: start_fn runs on the event-loop thread of the connection, inside the handshake
 * (inside an ASYNC job: a 32 KiB stack in OpenSSL 3.0 for every resolver of the chain).
 * m2m_psk_wait_done() must be called on that same thread (e.g. from a timer or socket event of
 * the loop); from any other thread call m2m_psk_wait_done_post(), which queues the call onto
 * the loop. Each pending m2m_psk_wait gets exactly ONE done call, even when the connection is
 * already gone (the wait stays valid until then and the answer is wiped and dropped).
 */
typedef struct m2m_psk_wait m2m_psk_wait;

/*
 * Start a lookup of identity. Answer at once like m2m_psk_resolve_fn (a cache hit: M2M_OK with
 * *key set; not mine: M2M_E_NOT_FOUND; any other error fails the handshake), or keep w, start
 * the lookup and return M2M_OK with *key left NULL: the handshake then waits for
 * m2m_psk_wait_done(w, ...). w is NULL when waiting is impossible (no asynchronous transport,
 * or the loop's cap of concurrent lookups reached): then answer at once or return NOT_FOUND.
 */
typedef m2m_err (*m2m_psk_start_fn)(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w,
				    m2m_key **key, m2m_sa *binding);

/* Add an asynchronous resolver to the same chain as m2m_tls_add_psk_resolver (same order and
 * identity rules, same cap of 8). Call before the first handshake. */
M2M_API M2M_WUR m2m_err m2m_tls_add_psk_resolver_async(m2m_tls *tls, m2m_psk_start_fn start_fn, void *ctx);
/* An asynchronous resolver of ESPrim keys (a MEF's SUID 23, a MAF's SUID 33 fetch): asked by
 * m2m_tls_esprim_lookup only, never by a handshake or m2m_tls_psk_lookup. */
M2M_API M2M_WUR m2m_err m2m_tls_add_esprim_resolver_async(m2m_tls *tls, m2m_psk_start_fn start_fn, void *ctx);
/* True when tls has an asynchronous resolver (the transport must then drive handshakes with
 * m2m_tls_async_attach). */
M2M_API bool m2m_tls_has_async(const m2m_tls *tls);
/*
 * Complete a pending lookup (loop thread only): err M2M_OK with key (ownership passes, always
 * consumed) and binding (what it binds to, as for a synchronous resolver: bound identity,
 * Credential-ID, SUID, expiry; the checks of the synchronous chain apply), or an error (the
 * handshake fails; key NULL). Done after a deadline or disconnect: the answer is wiped.
 */
M2M_API void m2m_psk_wait_done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *binding);
/* The same from any thread: queued onto the connection's loop (its call queue). Errors (the key
 * is then wiped here): M2M_E_INVAL (w NULL, or not from an HTTP server loop or the CoAP
 * thread), M2M_E_NOMEM. A call queued after an HTTP loop stopped never runs: after
 * m2m_http_server_run returned, use m2m_psk_wait_done on your own thread instead (the CoAP
 * server runs what its queue holds when it is freed). */
M2M_API m2m_err m2m_psk_wait_done_post(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *binding);
/* True when nobody waits for w any more (deadline, disconnect): the lookup may be abandoned,
 * but m2m_psk_wait_done must still be called. Loop thread only. */
M2M_API bool m2m_psk_wait_abandoned(const m2m_psk_wait *w);

/* For the transport (bindings/http_hs.c, bindings/coap_hs.c): what a connection offers to a
 * paused handshake. The struct is borrowed until m2m_tls_async_detach. */
typedef struct m2m_tls_async_host {
	void (*wake)(void *arg);   /* a paused handshake can resume: schedule SSL_do_handshake (do not
				    * call it from here); loop thread */
	void *wake_arg;
	/* Thread-safe: run fn(fnarg) on the connection's loop (for m2m_psk_wait_done_post). */
	m2m_err (*post)(void *post_arg, void (*fn)(void *), void *fnarg);
	void *post_arg;            /* must outlive every lookup (the loop's lifetime) */
	unsigned *inflight;        /* lookups waited on by this loop (shared by its connections) */
	unsigned max_inflight;     /* above it start_fn gets w = NULL */
} m2m_tls_async_host;
/* Let ssl (before its handshake) pause in a lookup: sets SSL_MODE_ASYNC on it. */
M2M_API M2M_WUR m2m_err m2m_tls_async_attach(SSL *ssl, const m2m_tls_async_host *host);
/* After SSL_ERROR_WANT_ASYNC: give up waiting (deadline, disconnect, close). The next
 * SSL_do_handshake then fails the handshake (alert) and unwinds the paused job; call it before
 * SSL_free, or the job leaks. No-op when nothing waits. */
M2M_API void m2m_tls_async_cancel(SSL *ssl);
/* True while a lookup of ssl's handshake is pending (answered or not). */
M2M_API bool m2m_tls_async_waiting(const SSL *ssl);
/* After the handshake (done or failed and unwound): clear SSL_MODE_ASYNC (the data path then
 * runs without ASYNC jobs) and forget the host. */
M2M_API void m2m_tls_async_detach(SSL *ssl);

#endif
