/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the secure CSE core API (TS-0001 clause 10, TS-0004 clause 7): the part
 * of an IN-CSE that receives a request primitive together with the security association it
 * arrived on, applies the originator rules (TS-0004 clause 7.3.2.1), resolves the target, takes
 * the access-control decision (TS-0003 clause 7.1) and runs the resource procedure in one store
 * transaction. Bindings (HTTP now; CoAP and MQTT later) call m2m_cse_handle().
 *
 * Threading: one m2m_cse is shared (configuration, read-only after m2m_cse_new); each event-loop
 * thread owns one m2m_cse_worker (its own store connection and ACP cache).
 */
#ifndef M2MSEC_CSE_H
#define M2MSEC_CSE_H

#include "m2msec/config.h"
#include "m2msec/key.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

typedef struct m2m_cse m2m_cse;
typedef struct m2m_cse_worker m2m_cse_worker;

/* Open/create the resource store and the <CSEBase> (first start). */
M2M_API M2M_WUR m2m_err m2m_cse_new(const m2m_cse_config *cfg, m2m_cse **out);
M2M_API void m2m_cse_free(m2m_cse *cse);
M2M_API M2M_WUR m2m_err m2m_cse_worker_new(m2m_cse *cse, m2m_cse_worker **out);
M2M_API void m2m_cse_worker_free(m2m_cse_worker *w);

/*
 * Process one request. sa is the association of the connection (kind M2M_SA_NONE on the
 * loopback plain-HTTP listener); now is the hosting CSE's clock (unix seconds, UTC) at receipt.
 * rsp is filled completely (rsc always set); nothing is half-written on error.
 */
M2M_API void m2m_cse_handle(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
			    int64_t now);

/*
 * Deferred answers. A <subscription> CREATE, or an UPDATE of its notificationURI, must wait
 * for the verification requests to its new targets (TS-0004 clause 7.5.1.2.3); the worker's
 * loop must not. The same holds for the inner request of an ESPrim NOTIFY (TS-0004 clause
 * 7.6.2): the NOTIFY is deferred with it, and its answer (the inner one, sealed) is given to
 * done like any other. With a wake function set, m2m_cse_handle_async() returns NULL when rsp is the
 * final answer, or a pending handle: req and rsp were moved into it (left empty), and the
 * caller sets its completion with m2m_cse_pending_on_done() before returning to its loop.
 * When the results are in, the CSE calls wake(arg) from another thread (at most one wake
 * outstanding per worker); the loop then calls m2m_cse_worker_complete(), which finishes every
 * ready request and calls its done(arg, req, rsp) on that thread. At m2m_cse_worker_free()
 * every unfinished request gets done(arg, NULL, NULL): release, do not answer. Without a wake
 * function (tests, tools) m2m_cse_handle_async() behaves like m2m_cse_handle(), which waits.
 * Free the workers before the m2m_cse, and stop whatever wake() calls into only after that.
 */
typedef struct m2m_cse_pending m2m_cse_pending;
typedef void (*m2m_cse_wake_fn)(void *arg);
typedef void (*m2m_cse_done_fn)(void *arg, const m2m_request *req, m2m_response *rsp);
M2M_API void m2m_cse_worker_set_wake(m2m_cse_worker *w, m2m_cse_wake_fn wake, void *arg);
M2M_API M2M_WUR m2m_cse_pending *m2m_cse_handle_async(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req,
						      m2m_response *rsp, int64_t now);
M2M_API void m2m_cse_pending_on_done(m2m_cse_pending *p, m2m_cse_done_fn done, void *arg);
M2M_API void m2m_cse_worker_complete(m2m_cse_worker *w, int64_t now);

/*
 * The security profile from the CSE's MEF (docs/procedures/mef.md "Security profile"): json is
 * a {"sec:secProfile": {...}} answer for this CSE's CSE-ID. From the first call on a profile is
 * required: an AE registering over a security association with an AE-ID its credential is not
 * allowed (allowedAEs) gets 4103; json NULL, or a profile past its lifetime, refuses every such
 * registration (fail closed). A malformed json returns M2M_E_PROTO and keeps the last good
 * profile. Thread-safe.
 */
M2M_API M2M_WUR m2m_err m2m_cse_set_security_profile(m2m_cse *cse, const char *json, size_t len, int64_t now);

/* The underlying-network authorization of a node (docs/procedures/mef.md "Underlying-network
 * authorization"), as its Enrolee-ID's key service last said (the MEF's fetchCredentials,
 * m2m_sa.net_unauthorized): while false, the CSE sends no notification to it (counted in
 * m2m_cse_undelivered_unauthorized, logged) and answers requests it would forward there with 5103
 * TARGET_NOT_REACHABLE; true (the default of every node) resumes delivery. Thread-safe.
 * M2M_E_INVAL for an empty or too long node_id, M2M_E_RANGE when too many nodes are not
 * authorized at once (the node stays deliverable). */
M2M_API M2M_WUR m2m_err m2m_cse_set_node_authorized(m2m_cse *cse, const char *node_id, bool authorized);
/* Deliveries skipped so far because their node was not authorized. */
M2M_API uint64_t m2m_cse_undelivered_unauthorized(m2m_cse *cse);

/*
 * The store's writer thread (docs/architecture.md "write path"): once started, every
 * CREATE/UPDATE/DELETE that m2m_cse_handle_async() receives on a worker with a wake function is
 * answered through the deferral above (except a <subscription> CREATE / nu UPDATE and
 * <group>/fopt, which stay on the worker): the writer, with its own store connection and ACP
 * cache, runs the queued requests in one transaction, each under its own savepoint, commits
 * once, then hands every answer back to its worker. The loops never wait for the write lock;
 * reads stay on the loops. m2m_cse_free() stops it (after the workers are freed).
 * With a PostgreSQL store and store-threads > 0 it also starts the store threads: every other
 * request of such a worker (reads, the <subscription> and fopt flows; not one forwarded to
 * another CSE) is answered through the same deferral, run on a thread with its own database
 * connection, so no database round trip waits on a worker's loop (docs/architecture.md).
 */
M2M_API M2M_WUR m2m_err m2m_cse_writer_start(m2m_cse *cse);

/*
 * The pairwiseESPrimKey look-up of the ESPrim Receiver (docs/procedures/e2e.md): given a JWE
 * "kid", return the key and its binding (bound identity = the key's owner, SUID), like a PSK
 * resolver; any error is "unknown key" (4112). With kick non-NULL the look-up may wait for a
 * remote key service: M2M_OK with *key NULL, then kick(kick_arg) exactly once (any thread) when
 * the answer can be had by asking again. m2msec cse passes the TLS layer's resolver chain
 * (m2m_tls_esprim_lookup: psk-file, credential store, the MEF's and MAF's ESPrim-key resolvers),
 * so ESPrim and TLS share one look-up. Set before the workers serve; NULL = no key is known. fn must be thread-safe.
 */
typedef m2m_err (*m2m_cse_key_fn)(void *ctx, const char *kid, int64_t now, void (*kick)(void *), void *kick_arg,
				  m2m_key **key, m2m_sa *binding);
M2M_API void m2m_cse_set_esprim_keys(m2m_cse *cse, m2m_cse_key_fn fn, void *ctx);

/*
 * The Registree side of CSE registration, step 004 of TS-0004 7.4.4.2.1: once the Registrar
 * (registrar, registrar-cse-id) accepted this CSE's <remoteCSE>, this CSE creates the
 * <remoteCSE> representing the Registrar under its own <CSEBase> (one already there, from an
 * earlier run, is kept). From then on the Registrar's association may speak for the AEs
 * registered with it (docs/procedures/transit.md). Thread-safe: its own store connection.
 * M2M_E_INVAL without a registrar; M2M_E_INTERNAL when the CREATE is refused.
 */
M2M_API M2M_WUR m2m_err m2m_cse_add_registrar(m2m_cse *cse, int64_t now);

#endif
