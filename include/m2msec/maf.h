/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the M2M Authentication Function core (TS-0003
 * clause 8.8): the MAF procedures of clause 8.8.2 (MAF Client Registration / Configuration
 * Retrieval / Registration Update / De-Registration, MAF Key Registration / Retrieval /
 * Registration Update / De-Registration) as oneM2M request primitives, the MAF Handshake's PSK
 * lookup (psk_identity = KmID, clause 8.8.2.2) and the remote provisioning of Km through the MEF
 * (clause 8.8.2.3, Km of clause 10.3.2). The wire mapping is docs/procedures/maf.md. Every key
 * (Km, Kc) and registration lives in the credential store (m2msec/credstore.h).
 * No networking here: a transport calls m2m_maf_assoc_new_from_ssl() once per connection after
 * the handshake and m2m_maf_handle() per request. Threading as for the MEF (m2msec/mef.h): one
 * m2m_maf shared, one m2m_maf_worker per event-loop thread with its own store connection.
 */
#ifndef M2MSEC_MAF_H
#define M2MSEC_MAF_H

#include <openssl/ssl.h>

#include "m2msec/err.h"
#include "m2msec/key.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

/* SUIDs of TS-0004 Table 6.3.4.2.39-1 the MAF deals with. */
#define M2M_SUID_RSPF_MAF 21  /* a key provisioned via an RSPF and shared with a MAF: Km from the MEF */
#define M2M_SUID_MAF_SAEF 32  /* a MAF-distributed key for the SAEF: Kc */

/* One audited procedure outcome (documented value type; strings may be NULL; never a key). */
typedef struct m2m_maf_audit {
	const char *procedure; /* "psk-lookup", "client-registration", "client-config-retrieval",
				  "client-registration-update", "client-deregistration",
				  "key-registration", "key-retrieval", "key-registration-update",
				  "key-deregistration", "km-recheck", "request" (no procedure matched) */
	const char *outcome;   /* "ok" or the one failure cause: "malformed", "unknown-client",
				  "revoked", "expired", "not-registered", "not-authorized", "not-found",
				  "already-registered", "no-association", "operation-not-allowed",
				  "store-error", "internal" */
	int rsc;               /* the response status code sent (0 for the PSK lookup) */
	const char *client;    /* the client's AE-ID / CSE-ID, or the KmID / KeID presented */
	const char *key_id;    /* Key Identifier or KmID (public), NULL if none */
	int suid;
	const char *rqi;
} m2m_maf_audit;

typedef void (*m2m_maf_audit_fn)(void *ctx, const m2m_maf_audit *ev);

typedef struct m2m_maf_config {
	const char *maf_fqdn;         /* MAF-FQDN (= MAF-ID): Key Identifier = hex(KcID)@maf_fqdn */
	const char *sp_id;            /* "//sp.example.com": SP of SP-relative target IDs */
	const char *store;            /* credential store path (created 0600 when missing) */
	const char *mef_fqdn;         /* FQDN of the KeIDs accepted for remote provisioning of Km
					 (clause 8.8.2.3); NULL = no remote provisioning */
	int64_t max_key_lifetime;     /* cap of a key registration's expiry in seconds; 0 = 86400;
				       * at most 100 years (else M2M_E_CONFIG) */
	int64_t max_reg_lifetime;     /* cap of a client registration's expiry; 0 = 365 days; at most
				       * 100 years */
	int mef_recheck_seconds;      /* a Km from the MEF is re-checked when older than this;
					 0 = 60 ([maf] mef-cache-seconds) */
	m2m_maf_audit_fn audit;       /* NULL: events go to m2m_log at INFO level */
	void *audit_ctx;
	int max_keys_per_client;      /* unexpired key registrations one client may hold (a bound on
				       * the store); 0 = 64 ([maf] max-keys-per-client) */
	const char *bsf_fqdn;         /* FQDN of the B-TIDs accepted from the BSF (the MAF as NAF,
					 TS-0003 clause 8.3.2.3; [maf] bsf-name); NULL = no GBA */
} m2m_maf_config;

typedef struct m2m_maf m2m_maf;
typedef struct m2m_maf_worker m2m_maf_worker;

/* Validate cfg (M2M_E_CONFIG), open/create the store; strings are copied. */
M2M_API M2M_WUR m2m_err m2m_maf_new(const m2m_maf_config *cfg, m2m_maf **out);
M2M_API void m2m_maf_free(m2m_maf *maf);
M2M_API M2M_WUR m2m_err m2m_maf_worker_new(m2m_maf *maf, m2m_maf_worker **out);
M2M_API void m2m_maf_worker_free(m2m_maf_worker *w);

/* What the connection's association is to the MAF (docs/procedures/maf.md "Transport"). */
typedef enum m2m_maf_peer {
	M2M_MAF_PEER_NONE = 0, /* nothing usable: every procedure is refused (4107) */
	M2M_MAF_PEER_CLIENT,   /* Km (KmID) or certificate bound to an AE-ID / CSE-ID */
	M2M_MAF_PEER_REMOTE,   /* KeID of the MEF with Km from the MEF: MAF Client Registration only */
	M2M_MAF_PEER_GBA,      /* B-TID of the BSF with Km = Ks_(ext/int)_NAF for the MAF-FQDN from Zn
				  (the MAF as NAF, TS-0003 clause 8.3.2.3): MAF Client Registration only */
} m2m_maf_peer;

typedef struct m2m_maf_assoc m2m_maf_assoc;

/*
 * After a completed handshake on ssl (sa = m2m_tls_peer_sa of it): classify the peer and run
 * the RFC 5705 exporter "EXPORTER-oneM2M-Connection" (48 bytes: KcID = 16 MSB, Kc = 32 LSB,
 * clause 10.3.1). km: for a REMOTE peer the Km the handshake used (the key fetched from the
 * MEF; copied), else NULL. *out is NULL unless M2M_OK; a peer that is nothing usable still gives
 * M2M_OK with M2M_MAF_PEER_NONE.
 */
M2M_API M2M_WUR m2m_err m2m_maf_assoc_new_from_ssl(m2m_maf *maf, SSL *ssl, const m2m_sa *sa,
						   const m2m_key *km, m2m_maf_assoc **out);
/* The same from explicit parts (tests, other transports): kc (with its Key Identifier as id)
 * and km may be NULL; both are copied. Classification of sa: PSK with credential_id
 * "11-<KmID>" of a km record = CLIENT (the record's owner); PSK with credential_id
 * "<type>-<KeID>" whose FQDN is mef_fqdn and km given = REMOTE (bound_id / entity = the
 * enrolee's AE-ID / CSE-ID as the MEF reported it, expiry = the MEF's lifetime: they become the
 * owner and cap of the Km registered); PSK with credential_id "12-<B-TID>" whose FQDN is bsf_fqdn
 * and km given = GBA (the same, with the subscriber's Enrolee-ID and the bootstrap's expiry, the
 * Km re-checked over Zn); CERT with an AE-ID / CSE-ID bound_id and entity AE /
 * CSE = CLIENT; anything else NONE. */
M2M_API M2M_WUR m2m_err m2m_maf_assoc_new(m2m_maf *maf, const m2m_sa *sa, const m2m_key *kc,
					  const m2m_key *km, m2m_maf_assoc **out);
/* A certificate client's certificate (PEM), which m2m_maf_assoc_new_from_ssl sets itself: its
 * MAF Client Registration is kept on a credential-store record of kind cert (docs/credstore.md).
 * M2M_E_INVAL unless a is a CLIENT by certificate. */
M2M_API M2M_WUR m2m_err m2m_maf_assoc_set_cert(m2m_maf_assoc *a, const char *cert_pem);
M2M_API void m2m_maf_assoc_free(m2m_maf_assoc *a);
M2M_API m2m_maf_peer m2m_maf_assoc_peer(const m2m_maf_assoc *a);
/* The client identity (AE-ID / CSE-ID, the KeID of a REMOTE peer, the B-TID of a GBA peer) for
 * rate limits and logs. */
M2M_API const char *m2m_maf_assoc_client(const m2m_maf_assoc *a);

/*
 * Process one Mmaf request (docs/procedures/maf.md). assoc NULL = no security association
 * (4107). rsp (initialised with m2m_response_init) is filled completely: rsc always set,
 * rqi/rvi echoed. A POST without ty (op NOTIFY from the HTTP binding) to mafClientReg /
 * mafKeyReg is taken as their CREATE. One store transaction per request, committed only on
 * success. Every outcome is audited.
 */
M2M_API void m2m_maf_handle(m2m_maf_worker *w, const m2m_maf_assoc *assoc, m2m_request *req,
			    m2m_response *rsp, int64_t now);

/*
 * The MAF Handshake's PSK lookup (psk_identity = KmID, clause 8.8.2.2): Km from the credential
 * store, binding {PSK, entity and bound_id = the record's owner, credential_id "11-<KmID>",
 * expiry}. Unknown KmID: M2M_E_NOT_FOUND; revoked / expired: M2M_E_KEY_REVOKED /
 * M2M_E_KEY_EXPIRED. When the Km came from the MEF and was last checked longer than
 * mef_recheck_seconds ago, the key is still returned but recheck_keid (cap >= M2M_SA_ID_MAX)
 * receives the KeID to re-check with the MEF (a B-TID for a Km registered by a GBA peer: its
 * re-check is a Zn RETRIEVE, m2m_gba_btid_parse tells them apart) before the handshake may complete (the service's
 * asynchronous resolver does that, then calls m2m_maf_km_rechecked); otherwise recheck_keid is
 * "". Audited as "psk-lookup". Thread-safe.
 */
M2M_API M2M_WUR m2m_err m2m_maf_km_lookup(m2m_maf *maf, const char *kmid, int64_t now, m2m_key **km,
					  m2m_sa *binding, char *recheck_keid, size_t cap);
/*
 * The MEF's answer to the re-check of kmid: M2M_OK (still valid; expiry = the new limit from
 * the MEF's lifetime) records the check time; M2M_E_NOT_FOUND / M2M_E_AUTH (the MEF's 4004 /
 * 4103) revokes the Km record. Any other mef_result changes nothing. Audited as "km-recheck".
 */
M2M_API M2M_WUR m2m_err m2m_maf_km_rechecked(m2m_maf *maf, const char *kmid, m2m_err mef_result,
					     int64_t expiry, int64_t now);

#endif
