/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of Entity A of the MAF-based Security Association
 * Establishment Framework (TS-0003 clause 8.2.2.3): the MAF Handshake with a Master Credential
 * (TLS-PSK with psk_identity = KmID, psk = Km, clause 8.8.2.2), MAF Client Registration when the
 * MAF asks for it (clause 8.8.2.3) or when Km comes from an enrolment (Km = HMAC-SHA-256(Ke,
 * label || MAF-FQDN), clause 10.3.2: the first association uses psk_identity = KeID and obtains
 * the MAF-assigned KmID), MAF Key Registration of Kc for one target (clause 8.8.2.7, SUID 32, Kc
 * and KcID from the exporter "EXPORTER-oneM2M-Connection", clause 10.3.1) and Key
 * De-Registration (clause 8.8.2.10), over the Mmaf mapping of docs/procedures/maf.md. The I/O is
 * blocking, bounded by a total deadline.
 */
#ifndef M2MSEC_MAFCLIENT_H
#define M2MSEC_MAFCLIENT_H

#include "m2msec/err.h"
#include "m2msec/key.h"

/* SUID of a Kc for SAEF (m2m:suid 32, TS-0004 Table 6.3.4.2.39-1). */
#define M2M_MAF_CLIENT_SAEF_SUID 32
/* Default total deadline of one operation, seconds. */
#define M2M_MAF_CLIENT_DEFAULT_DEADLINE 30
/* Default lifetime of a registered Kc, seconds. */
#define M2M_MAF_CLIENT_DEFAULT_LIFETIME 3600

typedef struct m2m_maf_client m2m_maf_client;

M2M_API M2M_WUR m2m_err m2m_maf_client_new(m2m_maf_client **out);
/* Wipe every key and free; NULL is a no-op. */
M2M_API void m2m_maf_client_free(m2m_maf_client *m);

/* The MAF's address (required): "host:port", "[v6]:port" or "https://host[:port]" for HTTPS,
 * "coaps://host[:port]" for CoAP over DTLS 1.2 (TS-0008; port 5684 by default). */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_maf(m2m_maf_client *m, const char *hostport);
/* The CA bundle (PEM) of the MAF's certificate (required). */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_maf_ca(m2m_maf_client *m, const char *ca_file);
/* MAF-FQDN (the "@fqdn" of KmIDs and key identifiers). Default: the FQDN part of the KmID, else
 * the host of set_maf when it is a name (an IP address gives M2M_E_CONFIG at run time). */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_maf_fqdn(m2m_maf_client *m, const char *fqdn);
/* A pre-provisioned Master Credential: KmID ("name@maf-fqdn") and Km (copied). Or a GBA
 * bootstrap: km_id a B-TID (3GPP TS 33.222 form, `m2msec enrol --gba`'s DIR/btid) and km its NAF
 * key for the MAF-FQDN (DIR/target.psk; TS-0003 clause 8.3.2.3, the MAF as NAF): the first
 * association (psk_identity = B-TID) runs the MAF Client Registration and the MAF-assigned KmID
 * is used after it, as for an enrolment. Other forms: the M2M_E_ID_* of the KmID parser. */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_km(m2m_maf_client *m, const char *km_id, const m2m_key *km);
/* Km from an enrolment: the directory `m2msec enrol` wrote (files keid and ke, the latter 0600).
 * Errors: M2M_E_NOT_FOUND, M2M_E_KEY_PERMS, M2M_E_ID_* (keid is no KeID), M2M_E_KEY_LEN. */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_enrolment(m2m_maf_client *m, const char *dir);
/* Total deadline of one operation in seconds (1..3600; default M2M_MAF_CLIENT_DEFAULT_DEADLINE). */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_deadline(m2m_maf_client *m, int seconds);
/* The SUID of the Kc registered (TS-0004 Table 6.3.4.2.39-1): 32 (default) for the MAF-based
 * SAEF (TLS with the target), or 33 for a pairwiseESPrimKey (docs/procedures/e2e.md "Keys": Kc
 * used directly, the "reserved string" of TS-0003 8.4.2 A being undefined). M2M_E_INVAL otherwise. */
M2M_API M2M_WUR m2m_err m2m_maf_client_set_suid(m2m_maf_client *m, int suid);

/*
 * MAF Key Registration of a Kc for target (an absolute CSE-ID "//sp/cse"; SP-relative or other
 * forms: M2M_E_INVAL) valid for lifetime seconds (1..31536000). With a KmID, a refusal 4103 (no
 * MAF Client Registration) runs the registration on the same association and retries once; with
 * an enrolment, the registration always runs first. Kc/KcID come from this association's
 * exporter and the MAF's relKeyID must equal hexBinary(KcID). Errors: M2M_E_CONFIG (a required
 * setting missing), M2M_E_IO (no connection, deadline passed), M2M_E_AUTH (handshake refused,
 * wrong or unknown Km), M2M_E_PROTO (the MAF refused: m2m_maf_client_rsc/_reason; or an answer
 * that does not parse or does not match this session). On any error no result is available.
 */
M2M_API M2M_WUR m2m_err m2m_maf_client_register_key(m2m_maf_client *m, const char *target, int64_t lifetime);
/* MAF Key De-Registration (DELETE mafKeyReg/<relKeyID>) of key_id ("<32 hex>@maf-fqdn" or the
 * 32 hex digits alone). Errors as for register_key; M2M_E_INVAL for a malformed key_id. */
M2M_API M2M_WUR m2m_err m2m_maf_client_deregister_key(m2m_maf_client *m, const char *key_id);

/* The RSC of the MAF's refusal (0 if none) and a reason text (never a key). */
M2M_API int m2m_maf_client_rsc(const m2m_maf_client *m);
M2M_API const char *m2m_maf_client_reason(const m2m_maf_client *m);

/* ---- results of m2m_maf_client_register_key (NULL / 0 otherwise) --------------------------- */
/* The Kc Key Identifier hexBinary(KcID)@MAF-FQDN (TS-0003 clause 10.3.5). */
M2M_API const char *m2m_maf_client_key_id(const m2m_maf_client *m);
/* Kc (32 bytes; carries the Key Identifier and its expiry as validity). */
M2M_API const m2m_key *m2m_maf_client_kc(const m2m_maf_client *m);
/* The expiry the MAF granted (Unix seconds). */
M2M_API int64_t m2m_maf_client_expiry(const m2m_maf_client *m);
/* The KmID the MAF assigned by a registration over an enrolment (assignedSymmKeyID), or NULL. */
M2M_API const char *m2m_maf_client_assigned_km_id(const m2m_maf_client *m);

/*
 * Write the result into dir (created 0700 when missing; an existing dir must not be group- or
 * world-writable): kcid (the Key Identifier, text), kc (hex, 0600) and target.psk (hex of the
 * TLS-PSK key to present to the target with psk_identity = the Key Identifier: the first half of
 * Kc, the key-split rule of clause 8.8.1, 0600). All three are staged first and renamed only when
 * all are written (kcid last), so a failure replaces none of the old files.
 */
M2M_API M2M_WUR m2m_err m2m_maf_client_write(const m2m_maf_client *m, const char *dir);

#endif
