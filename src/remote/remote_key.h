/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the asynchronous remote-key resolver
 * (remote_key.c): a TLS-PSK identity "<32 hex>@FQDN" of a configured key service makes the
 * resolver RETRIEVE the key from that service during the handshake (m2m_tls_add_psk_resolver_async),
 * cache it (key_cache.c) and bind the association to what the service reports. One module, three
 * configurations (docs/architecture.md "remote/"):
 *  - the CSE's MEF KeIDs: m2mi_remote_key_cfg_mef(fqdn, 22), RETRIEVE
 *    /fetchCredentials/<KeID>/22 (TS-0003 §8.3.2.1, docs/procedures/mef.md);
 *  - the CSE's MAF Key Identifiers: m2mi_remote_key_cfg_maf(fqdn), RETRIEVE /mafKeyReg/<relKeyID>
 *    (TS-0003 §8.8.2.8 MAF Key Retrieval, docs/procedures/maf.md "The CSE side");
 *  - the MAF's Km of an enrolee: m2mi_remote_key_cfg_mef(fqdn, 21), RETRIEVE
 *    /fetchCredentials/<KeID>/21 (docs/procedures/maf.md "Km from the MEF").
 * The fetch itself goes through a transport function (remote_link.c on its own loop in the
 * services, a fake in the unit tests).
 */
#ifndef M2MSEC_REMOTE_KEY_H
#define M2MSEC_REMOTE_KEY_H

#include "m2msec/gba.h"
#include "m2msec/id.h"
#include "m2msec/tls.h"
#include "remote/key_cache.h"

/* The SUID the CSE asks the MEF keys for: RSPF-based SAEF (TS-0004 Table 6.3.4.2.39-1), the key
 * of `m2msec enrol`'s DIR/target.psk. */
#define M2MI_MEF_SUID_SAEF 22
/* The SUID of a Km the MAF fetches from the MEF (an RSPF key shared with a MAF, maf.md). */
#define M2MI_MEF_SUID_MAF 21
/* The SUID of a Kc for MAF-based SAEF (TS-0004 Table 6.3.4.2.39-1, maf.md "Roles"). */
#define M2MI_MAF_SUID_SAEF 32

/* Transport answer: result 0 = an HTTP response (status, X-M2M-RSC, body) arrived, otherwise
 * the exchange failed (connect, TLS, deadline): the service is treated as unreachable. */
typedef void (*m2mi_remote_rsp_fn)(void *arg, int result, int status, int rsc, const char *body, size_t len);
/* Start RETRIEVE of path on the association; thread-safe (called from HTTP loop threads); done
 * exactly once, on any thread, never inside this call. Returns 0 when started. */
typedef int (*m2mi_remote_fetch_fn)(void *fctx, const char *path, m2mi_remote_rsp_fn done, void *arg);
/* Complete a handshake's wait (m2m_psk_wait_done_post in the services). */
typedef m2m_err (*m2mi_remote_wait_done_fn)(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *binding);
/* The request path for the identity id (canonical key_id = m2m_id_canonical(id)) and suid into
 * buf; 0 when it fits. */
typedef int (*m2mi_remote_path_fn)(const m2m_id *id, int suid, char *buf, size_t cap);
/* The answer parser (pure): rsc + body for key_id and suid at now -> the key and its binding
 * (sa->expiry set), or M2M_E_NOT_FOUND / M2M_E_AUTH for the service's authoritative refusals
 * (cached negatively), any other error for anything else (not cached). */
typedef m2m_err (*m2mi_remote_parse_fn)(int rsc, const char *body, size_t len, const char *key_id, int suid,
					int64_t now, m2m_key **key, m2m_sa *sa);
/* Told every completed fetch (transport thread, before the waiters are woken): err, and on
 * M2M_OK the key (borrowed) and its binding. For a service that keeps what it learns (the MAF
 * records or revokes a Km); NULL = none. */
typedef void (*m2mi_remote_observe_fn)(void *octx, const char *key_id, m2m_err err, const m2m_key *key,
				       const m2m_sa *sa);

/* A service whose identities are no m2m_id (the BSF's B-TIDs, gba_zn_rsp.c): 0 when identity is
 * one of this service's (fqdn = the configured FQDN, lowercase), with kid its cache key (kcap
 * bytes) and path the request path (pcap bytes); -1 otherwise (the next resolver is asked). */
typedef int (*m2mi_remote_match_fn)(const void *mctx, const char *identity, const char *fqdn, char *kid, size_t kcap,
				    char *path, size_t pcap);

typedef struct m2mi_remote_key_cfg {
	m2m_id_kind kind;            /* M2M_ID_KEID (a MEF) or M2M_ID_KCID (a MAF) */
	const char *fqdn;            /* the FQDN of the service's identifiers (any case) */
	int suid;                    /* asked for and checked in the answer; the profile's SUID */
	m2mi_remote_path_fn path;
	m2mi_remote_parse_fn parse;
	m2mi_key_cache_limits lim;   /* cache_seconds = mef-cache-seconds / maf-cache-seconds */
	m2mi_remote_fetch_fn fetch;
	void *fetch_ctx;
	m2mi_remote_wait_done_fn done; /* NULL = m2m_psk_wait_done_post */
	int64_t (*clock)(void);      /* NULL = time(NULL); injected by tests */
	m2mi_remote_observe_fn observe;
	void *observe_ctx;
	/* MAF: the answer's targetIDs must name this entity, in absolute or SP-relative form (TS-0003
	 * §8.8.2.8: a key is for its targets only; a MAF that took another CSE's certificate for this
	 * one must not make this CSE bind the key). NULL / "" = no check (the MEF). */
	const char *self_abs, *self_rel;
	/* Non-NULL: identities are matched (and paths built) by match instead of kind + path. */
	m2mi_remote_match_fn match;
	const void *match_ctx;
} m2mi_remote_key_cfg;

/* Fill the protocol part of cfg (kind, fqdn, suid, path, parse) for KeIDs of the MEF fqdn
 * (fetchCredentials, SUID suid) or Key Identifiers of the MAF fqdn (MAF Key Retrieval, SUID 32);
 * the rest of cfg is left as it was. fqdn is borrowed until m2mi_remote_key_new. */
void m2mi_remote_key_cfg_mef(m2mi_remote_key_cfg *cfg, const char *fqdn, int suid);
void m2mi_remote_key_cfg_maf(m2mi_remote_key_cfg *cfg, const char *fqdn);
/* The NAF side of Zn (gba_zn_rsp.c): B-TIDs "base64(RAND)@<bsf_fqdn>" as psk_identity (TS 33.222
 * clause 5.4.0.1), RETRIEVE /gbaNafKey/... (m2msec/gba_zn.h) for naf->fqdn and naf->kind; nctx is
 * borrowed for the resolver's life. */
typedef struct m2mi_gba_naf {
	char fqdn[254];          /* the NAF FQDN (TS-0003 clause 8.3.2.3), lowercase */
	m2m_gba_naf_kind kind;   /* gba-naf-key */
} m2mi_gba_naf;
void m2mi_remote_key_cfg_gba(m2mi_remote_key_cfg *cfg, const char *bsf_fqdn, const m2mi_gba_naf *naf);

typedef struct m2mi_remote_key m2mi_remote_key;

/* M2M_E_INVAL: no fqdn / path / parse / fetch, an invalid FQDN, a kind that is no KeID/KcID. */
m2m_err m2mi_remote_key_new(const m2mi_remote_key_cfg *cfg, m2mi_remote_key **out);
/* After the transports stopped: waits still queued get an error through cfg.done. */
void m2mi_remote_key_free(m2mi_remote_key *rk);
/* The m2m_psk_start_fn (ctx = the resolver). M2M_E_NOT_FOUND for an identity that is not one of
 * this service's (the next resolver is asked). */
m2m_err m2mi_remote_key_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			      m2m_sa *binding);
/* Replace how waits are completed: at shutdown, once the server's loops stopped, the service
 * switches to m2m_psk_wait_done (nothing can be posted to a stopped loop, docs/tls.md). */
void m2mi_remote_key_set_done(m2mi_remote_key *rk, m2mi_remote_wait_done_fn done);
/* The security profile refuses (true) or accepts this resolver's SUID: refused identities fail
 * the handshake at once (a fetch already in flight still answers its waiters). */
void m2mi_remote_key_set_suid_refused(m2mi_remote_key *rk, bool refused);
int m2mi_remote_key_suid(const m2mi_remote_key *rk);
/* Entries in the resolver's cache (tests). */
size_t m2mi_remote_key_cached(m2mi_remote_key *rk);

/* ---- the answers (pure; exported for tests and the fuzzers) ---- */

/* The common refusals of a key service: 4004 M2M_E_NOT_FOUND, 4103 M2M_E_AUTH (both cached
 * negatively), anything else M2M_E_PROTO (remote_key.c). */
m2m_err m2mi_remote_rsc_error(int rsc);

/* The m2msec member "networkAuthorized" of an answer object o (a sec:fetchCredRsp or a
 * sec:gbaNafKeyRsp; mef_fetch_rsp.c): *unauth = it is false; absent = no statement (*unauth
 * false). 0, or -1 when present and not a boolean (the answer is malformed). The one parser of it. */
struct json_t;
int m2mi_remote_net_unauth(const struct json_t *o, bool *unauth);

/* The one binding of a key handed out by the MEF (fetchCredentials) or the BSF (Zn): hexkey (64
 * hex digits) becomes *key (id key_id, suid, valid until now + lifetime) and *sa a PSK association
 * bound to the Enrolee-ID eid (AE-ID or CSE-ID) with Credential-ID "12-<key_id>" (mef_fetch_rsp.c).
 * M2M_E_PROTO for anything malformed; *key NULL and *sa zeroed unless M2M_OK. */
m2m_err m2mi_remote_bind_key(const char *hexkey, const char *eid, const char *key_id, int suid, int64_t now,
			     int64_t lifetime, bool unauth, m2m_key **key, m2m_sa *sa);

/* "/fetchCredentials/<KeID>/<suid>" (mef_fetch_rsp.c). */
int m2mi_mef_fetch_path(const m2m_id *id, int suid, char *buf, size_t cap);
/* A fetchCredentials answer (mef_fetch_rsp.c). rsc 2000 with a well-formed sec:fetchCredRsp for
 * exactly keid and suid: the key (validity now .. now + lifetime), bound to enroleeID,
 * Credential-ID "12-<KeID>" (TS-0003 Table 12.3.2.1-1: 12 = a key of a SAEF). 4004:
 * M2M_E_NOT_FOUND; 4103: M2M_E_AUTH; any other answer or a malformed body: M2M_E_PROTO. */
m2m_err m2mi_mef_parse_fetch_rsp(int rsc, const char *body, size_t len, const char *keid, int suid, int64_t now,
				 m2m_key **key, m2m_sa *sa);
/* "/mafKeyReg/<relKeyID>" (maf_key_rsp.c). */
int m2mi_maf_key_path(const m2m_id *id, int suid, char *buf, size_t cap);
/* A MAF Key Retrieval answer (maf_key_rsp.c, TS-0003 §8.8.2.8 Table 8.8.2.8-2, maf.md). rsc
 * 2000 with exactly one member sec:mafKeyReg whose relKeyID (and keyID, when present) is the one
 * asked, SUID = suid, expirationTime after now, keyValue 64 hex and a sourceID that is an AE-ID
 * or a CSE-ID: psk = the first half of Kc (m2m_key_split, TS-0003 §8.8.1), bound to sourceID,
 * Credential-ID "12-<Key Identifier>", expiry = expirationTime. 4004: M2M_E_NOT_FOUND (unknown or
 * de-registered key, or this entity is no target); 4103: M2M_E_AUTH (expired, source revoked);
 * any other answer or a malformed body: M2M_E_PROTO. */
/* Does the MAF's Key Retrieval answer body list abs or rel (either may be NULL) in targetIDs? */
bool m2mi_maf_rsp_names(const char *body, size_t len, const char *abs, const char *rel);
m2m_err m2mi_maf_parse_key_rsp(int rsc, const char *body, size_t len, const char *key_id, int suid, int64_t now,
			       m2m_key **key, m2m_sa *sa);

/* The answer of the BSF on Zn (gba_zn_rsp.c, docs/procedures/gba.md "Zn"): rsc 2000 with a
 * sec:gbaNafKeyRsp for exactly btid (key_id): the NAF key (64 hex) valid up to now + lifetime, bound
 * to enroleeID (an AE-ID or a CSE-ID), Credential-ID "12-<B-TID>" (KpsaID = KmID = B-TID). 4004:
 * M2M_E_NOT_FOUND; 4103: M2M_E_AUTH; anything else M2M_E_PROTO. */
m2m_err m2mi_gba_parse_zn_rsp(int rsc, const char *body, size_t len, const char *btid, int suid, int64_t now,
			      m2m_key **key, m2m_sa *sa);

#endif
