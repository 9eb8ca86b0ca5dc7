/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the M2M Enrolment Function core (TS-0003 clause
 * 8.3): the MEF procedures of clause 8.3.5 (MEF Client Registration / Configuration Retrieval /
 * Registration Update / De-Registration, MEF Key Registration / Retrieval / Registration Update
 * / De-Registration), the MEF Client Command flow of clause 8.3.4.6, Enrolment Key Generation
 * (clause 10.3.1) and "Use of provisioned credentials" (RETRIEVE /fetchCredentials/<KeID>/<SUID>,
 * clause 8.3.2.1), as oneM2M request primitives. The wire mapping is docs/procedures/mef.md.
 * No networking here: a transport calls m2m_mef_assoc_new_from_ssl() once per connection after
 * the handshake and m2m_mef_handle() per request; the TLS PSK resolver m2m_mef_psk_resolve()
 * answers the MEF Handshake (psk_identity = KpmID).
 *
 * Threading as for the CSE (m2msec/cse.h): one m2m_mef shared (read-only configuration; the
 * PSK resolver uses its own store connection under a lock); one m2m_mef_worker per event-loop
 * thread with its own store connection.
 */
#ifndef M2MSEC_MEF_H
#define M2MSEC_MEF_H

#include <openssl/ssl.h>

#include "m2msec/err.h"
#include "m2msec/key.h"
#include "m2msec/mefstore.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

/* One audited procedure outcome (documented value type; strings may be NULL; never a key). */
typedef struct m2m_mef_audit {
	const char *procedure; /* "psk-lookup", "client-registration", "client-config-retrieval",
				  "client-registration-update", "client-deregistration",
				  "client-command-retrieve", "client-command-update", "key-registration",
				  "key-retrieval", "key-registration-update", "key-deregistration",
				  "fetch-credentials", "request" (no procedure matched) */
	const char *outcome;   /* "ok" or the one failure cause: "malformed", "unknown-client",
				  "revoked", "expired", "not-authorized", "claim-refused",
				  "already-registered", "not-found", "stale-command", "suid-not-allowed",
				  "no-association", "operation-not-allowed", "store-error", "internal" */
	int rsc;               /* the response status code sent (0 for the PSK lookup) */
	const char *client;    /* KpmID / certificate identity / target CSE-ID / MAF-FQDN */
	const char *enrolee_id;
	const char *key_id;    /* KeID or key identifier (public), NULL if none */
	int suid;              /* fetch-credentials / key registration, else 0 */
	const char *rqi;
} m2m_mef_audit;

typedef void (*m2m_mef_audit_fn)(void *ctx, const m2m_mef_audit *ev);

typedef struct m2m_mef_config {
	const char *mef_fqdn;        /* MEF-FQDN: KeID = hexBinary(RelativeKeID)@mef_fqdn */
	const char *sp_id;           /* "//sp.example.com": SP of SP-relative Enrolment Target CSE-IDs */
	const char *store;           /* MEF store path (m2m_mefstore_open; created when missing) */
	const char *est_uri;         /* EST base URI for CERT_PROV commands; NULL = no certificate enrolment */
	int auth_profile_suid;       /* != 0: issue an MO_NODE [authenticationProfile] command with
					this SUID after registration (TS-0003 clause 8.3.9.9); 0 = none */
	int64_t credential_lifetime; /* fetchCredentials lifetime cap in seconds (<= Ke expiry); 0 = 86400 */
	int64_t retry_duration;      /* NO_MORE_COMMANDS retryDuration in seconds; 0 = 86400 */
	m2m_mef_audit_fn audit;      /* NULL: events go to m2m_log at INFO level */
	void *audit_ctx;
	m2m_mefstore_sync store_sync; /* durability of the service's store connections (the
					 resolver's and every worker's); 0 = FULL. The [mef]
					 store-sync key, default normal (docs/config.md) */
	const char *maf_fqdns;       /* space-separated MAF-FQDNs ([mef] maf-fqdns): a certificate
					association whose DNS SAN is one of them is a MAF
					(M2M_MEF_PEER_MAF), never a CSE target; NULL = none */
	const char *hss_file;        /* the test HSS ([mef] hss-file, m2msec/hss.h): the network-access
					status of a GBA subscriber handed to a NAF on Zn
					("networkAuthorized"); NULL = none (the answer says false) */
} m2m_mef_config;

typedef struct m2m_mef m2m_mef;
typedef struct m2m_mef_worker m2m_mef_worker;

/* Validate cfg (M2M_E_CONFIG), open/create the store; strings are copied. */
M2M_API M2M_WUR m2m_err m2m_mef_new(const m2m_mef_config *cfg, m2m_mef **out);
M2M_API void m2m_mef_free(m2m_mef *mef);
M2M_API M2M_WUR m2m_err m2m_mef_worker_new(m2m_mef *mef, m2m_mef_worker **out);
M2M_API void m2m_mef_worker_free(m2m_mef_worker *w);

/* What the connection's association is to the MEF. */
typedef enum m2m_mef_peer {
	M2M_MEF_PEER_NONE = 0, /* nothing usable: every procedure is refused (4107) */
	M2M_MEF_PEER_ENROLEE,  /* a MEF client (Kpm or certificate enrolee): Ke/RelativeKeID exported */
	M2M_MEF_PEER_TARGET,   /* an Enrolment Target (a CSE, authenticated by certificate or PSK) */
	M2M_MEF_PEER_MAF,      /* a MAF as Enrolment Target (certificate whose DNS SAN is one of
				  maf_fqdns): only fetchCredentials with SUID 21 (clause 8.8.2.3) */
} m2m_mef_peer;

typedef struct m2m_mef_assoc m2m_mef_assoc;

/*
 * After a completed handshake on ssl (sa = m2m_tls_peer_sa of it): classify the peer and, for
 * an enrolee, run the RFC 5705 exporter "EXPORTER-oneM2M-Bootstrap" (48 bytes; Ke = 32 LSB,
 * RelativeKeID = 16 MSB; KeID = hexBinary(RelativeKeID)@MEF-FQDN, TS-0003 clause 10.3.1) and
 * "EXPORTER-oneM2M-Connection" (for MEF Key Registration without a Key Value).
 * Enrolee: sa->kind PSK with credential_id "10-<KpmID>" (from m2m_mef_psk_resolve) whose KpmID
 * is active, or sa->kind CERT whose bound_id/credential identity is an active certificate
 * enrolee. MAF: a certificate association bound to a CSE-ID whose public domain name is one
 * of cfg.maf_fqdns (checked first: a MAF is never an enrolee or a CSE target; client = the
 * lowercase MAF-FQDN). Target: otherwise an association bound to a CSE-ID (entity CSE). Otherwise
 * M2M_MEF_PEER_NONE (still M2M_OK: requests get 4107). Errors: M2M_E_CRYPTO (exporter),
 * M2M_E_STORE. *out is NULL unless M2M_OK. Uses the shared store connection (locked).
 */
M2M_API M2M_WUR m2m_err m2m_mef_assoc_new_from_ssl(m2m_mef *mef, SSL *ssl, const m2m_sa *sa,
						   m2m_mef_assoc **out);
/* The same from explicit parts (tests, other transports): ke NULL for a target; ke is copied
 * (it must carry its KeID, as m2m_kdf_exporter_split sets it); kc may be NULL. */
M2M_API M2M_WUR m2m_err m2m_mef_assoc_new(m2m_mef *mef, const m2m_sa *sa, const m2m_key *ke,
					  const m2m_key *kc, m2m_mef_assoc **out);
/* Zeroize and free; NULL is a no-op. */
M2M_API void m2m_mef_assoc_free(m2m_mef_assoc *a);
M2M_API m2m_mef_peer m2m_mef_assoc_peer(const m2m_mef_assoc *a);
/* KeID of an enrolee association (public identifier), else NULL. */
M2M_API const char *m2m_mef_assoc_keid(const m2m_mef_assoc *a);
/* The client identity: KpmID / certificate identity of an enrolee, CSE-ID of a target; NULL for
 * none. For per-client rate limiting and logs (never secret). */
M2M_API const char *m2m_mef_assoc_client(const m2m_mef_assoc *a);
/* The association the assoc was built from (copy held by a). */
M2M_API const m2m_sa *m2m_mef_assoc_sa(const m2m_mef_assoc *a);
/*
 * The enrolee record of an enrolee association, read now on w's store connection (so a
 * revocation since the handshake counts): M2M_E_KEY_REVOKED / M2M_E_KEY_EXPIRED / M2M_E_AUTH
 * (not an enrolee association). For EST: a CSR's subjectAltName identity may be issued when
 * m2m_mef_claim_allowed(out->enrolee_id, out->allowed, san_id). out->keid is the KeID of its
 * current registration (NULL before MEF Client Registration). Free with m2m_mef_enrolee_free.
 */
M2M_API M2M_WUR m2m_err m2m_mef_assoc_enrolee(m2m_mef_worker *w, const m2m_mef_assoc *a, int64_t now,
					      m2m_mef_enrolee **out);

/*
 * Process one Mmef request (docs/procedures/mef.md). assoc NULL = no security association
 * (4107). rsp (initialised with m2m_response_init; any previous content is released) is filled
 * completely: rsc always set, rqi/rvi echoed. A POST without ty (op NOTIFY from the HTTP binding)
 * to mefClientReg / mefKeyReg is taken as their CREATE (req->op is rewritten). One store
 * transaction per request, committed only on success. Every outcome is audited.
 */
M2M_API void m2m_mef_handle(m2m_mef_worker *w, const m2m_mef_assoc *assoc, m2m_request *req,
			    m2m_response *rsp, int64_t now);

/*
 * m2m_psk_resolve_fn for m2m_tls_add_psk_resolver (ctx = the m2m_mef): identity = KpmID ->
 * Kpm, binding {PSK, bound_id = Enrolee-ID, credential_id = "10-<KpmID>", expiry = Enrolment
 * Expiry}. Unknown KpmID: M2M_E_NOT_FOUND (the next resolver may try); revoked/expired:
 * M2M_E_KEY_REVOKED/M2M_E_KEY_EXPIRED (the handshake fails; the peer sees the same alert
 * either way). Audited as "psk-lookup". Thread-safe.
 */
M2M_API M2M_WUR m2m_err m2m_mef_psk_resolve(void *ctx, const char *identity, int64_t now, m2m_key **key,
					    m2m_sa *binding);

/* The store handle shared by the resolver and assoc classification (for the CLI/tests in the
 * same process; lock-free use only when no other thread uses the m2m_mef). */
M2M_API m2m_mefstore *m2m_mef_store(m2m_mef *mef);

/* ---- pure helpers (src/core/mef_policy.c), also for the enrolee and the CSE --------------- */

/* m2msec extension (fleet enrolment): Kpm = HMAC-SHA-256(groupKey, KpmID as UTF-8 bytes). */
M2M_API M2M_WUR m2m_err m2m_mef_fleet_kpm(const m2m_key *group_key, const char *kpm_id, m2m_key **kpm);
/*
 * The Enrolment-Target-ID entering the usage-constrained key (TS-0003 clause 10.3.7): the
 * public domain name of the target's CSE-ID (m2m_id_cse_domain_name: "/cse-in" in
 * "//sp.example.com" -> "cse-in.sp.example.com"); sp_id gives the SP of an SP-relative CSE-ID.
 */
M2M_API M2M_WUR m2m_err m2m_mef_target_kdf_id(const char *target_cse_id, const char *sp_id, char *out,
					      size_t cap);
/* May an enrolee provisioned with enrolee_id and the allowed patterns (space separated; a
 * pattern is an exact ID or a prefix ending in '*') claim `claimed`? NULL/"" claimed = its own
 * Enrolee-ID (true). Pure; fails closed on anything malformed. */
M2M_API bool m2m_mef_claim_allowed(const char *enrolee_id, const char *allowed, const char *claimed);
/* Is suid one an Enrolment Target of this entity kind may fetch (CSE: 22 RSPF SAEF, 23 RSPF
 * ESPrim, 24/25 RSPF ESData; TS-0004 Table 6.3.4.2.39-1)? */
M2M_API bool m2m_mef_suid_allowed(m2m_entity_kind target_kind, int suid);
/* The same by MEF peer kind: a CSE target 22..25; a MAF 21 only (an RSPF key shared with a MAF,
 * the Master Credential Km of clause 8.8.2.3 / 10.3.2); anything else nothing. */
M2M_API bool m2m_mef_peer_suid_allowed(m2m_mef_peer peer, int suid);
/* Is fqdn one of the space-separated FQDNs of list (case-insensitive, a trailing dot ignored)?
 * NULL or empty list or fqdn: false. */
M2M_API bool m2m_mef_fqdn_in_list(const char *list, const char *fqdn);
/* Is the MAF maf_fqdn one of targets[] (the FQDN entries; CSE-IDs never match)? Case-insensitive. */
M2M_API bool m2m_mef_maf_listed(const char *const *targets, size_t ntargets, const char *maf_fqdn);
/* An Enrolment Target as stored: a CSE-ID in its canonical form, or a MAF-FQDN (anything not
 * starting with '/') checked by m2m_id_check_fqdn and lowercased. M2M_E_ID_BAD_FORM otherwise. */
M2M_API M2M_WUR m2m_err m2m_mef_target_canon(const char *in, char *out, size_t cap);
/* Is the authenticated target caller_id one of targets[] (CSE-IDs compared in absolute form
 * with sp_id for SP-relative ones)? */
M2M_API bool m2m_mef_target_listed(const char *const *targets, size_t ntargets, const char *caller_id,
				   const char *sp_id);
/* TS-0003 clause 10.7: a key derived from Ke expires at min(ke_expiry, now + cap) (cap <= 0:
 * ke_expiry). Returns 0 when ke_expiry <= now (already expired). */
M2M_API int64_t m2m_mef_derived_expiry(int64_t ke_expiry, int64_t now, int64_t cap);

#endif
