/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the CSE's MEF client (mef_client.c): the
 * asynchronous TLS-PSK resolver for KeIDs of the configured MEF (TS-0003 §8.3.2.1 "Use of
 * provisioned credentials"; docs/procedures/mef.md fetchCredentials). It plugs into
 * m2m_tls_add_psk_resolver_async; the fetch itself goes through a transport function (the
 * outbound HTTPS client on its own loop in the service, a fake in the unit tests).
 */
#ifndef M2MSEC_MEF_CLIENT_H
#define M2MSEC_MEF_CLIENT_H

#include "m2msec/tls.h"
#include "services/cse/keid_cache.h"

/* The SUID the CSE asks keys for: RSPF-based SAEF (TS-0004 Table 6.3.4.2.39-1), the key of
 * `m2msec enrol`'s DIR/target.psk. */
#define M2MI_MEF_SUID_SAEF 22

/* Transport answer: result 0 = an HTTP response (status, X-M2M-RSC, body) arrived, otherwise
 * the exchange failed (connect, TLS, deadline): the MEF is treated as unreachable. */
typedef void (*m2mi_mef_rsp_fn)(void *arg, int result, int status, int rsc, const char *body, size_t len);
/* Start RETRIEVE of path ("/fetchCredentials/<KeID>/<SUID>") on the MEF association; thread-safe
 * (called from HTTP loop threads); done exactly once, on any thread, never inside this call.
 * Returns 0 when started. */
typedef int (*m2mi_mef_fetch_fn)(void *fctx, const char *path, m2mi_mef_rsp_fn done, void *arg);
/* Complete a handshake's wait (m2m_psk_wait_done_post in the service). */
typedef m2m_err (*m2mi_mef_wait_done_fn)(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *binding);

typedef struct m2mi_mef_client_cfg {
	const char *mef_fqdn;        /* the FQDN of this MEF's KeIDs (lowercase) */
	int suid;                    /* 0 = M2MI_MEF_SUID_SAEF */
	m2mi_keid_cache_limits lim;  /* cache_seconds = mef-cache-seconds */
	m2mi_mef_fetch_fn fetch;
	void *fetch_ctx;
	m2mi_mef_wait_done_fn done;  /* NULL = m2m_psk_wait_done_post */
	int64_t (*clock)(void);      /* NULL = time(NULL); injected by tests */
} m2mi_mef_client_cfg;

typedef struct m2mi_mef_client m2mi_mef_client;

m2m_err m2mi_mef_client_new(const m2mi_mef_client_cfg *cfg, m2mi_mef_client **out);
/* After the transports stopped: waits still queued get an error through cfg.done. */
void m2mi_mef_client_free(m2mi_mef_client *mc);
/* The m2m_psk_start_fn (ctx = the client). */
m2m_err m2mi_mef_keid_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			    m2m_sa *binding);
/* Turn a fetchCredentials answer into a key and its binding (pure; exported for tests and the
 * fuzzer). rsc 2000 with a well-formed sec:fetchCredRsp for exactly keid and suid: the key
 * (validity now .. now + lifetime), bound to enroleeID, Credential-ID "12-<KeID>" (TS-0003
 * Table 12.3.2.1-1: 12 = a key of a SAEF). 4004: M2M_E_NOT_FOUND; 4103: M2M_E_AUTH; any other
 * answer or a malformed body: M2M_E_PROTO (not cached). */
m2m_err m2mi_mef_parse_fetch_rsp(int rsc, const char *body, size_t len, const char *keid, int suid, int64_t now,
				 m2m_key **key, m2m_sa *sa);
/* Replace how waits are completed: at shutdown, once the server's loops stopped, the service
 * switches to m2m_psk_wait_done (nothing can be posted to a stopped loop, docs/tls.md). */
void m2mi_mef_client_set_done(m2mi_mef_client *mc, m2mi_mef_wait_done_fn done);
/* The security profile refuses (true) or accepts this client's SUID: refused KeIDs fail the
 * handshake at once (a fetch already in flight still answers its waiters). */
void m2mi_mef_client_set_suid_refused(m2mi_mef_client *mc, bool refused);
int m2mi_mef_client_suid(const m2mi_mef_client *mc);
/* Entries in the client's cache (tests). */
size_t m2mi_mef_client_cached(m2mi_mef_client *mc);

#endif
