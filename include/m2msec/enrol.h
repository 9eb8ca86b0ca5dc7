/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the Enrolee side of Remote Security Provisioning
 * (TS-0003 clause 8.3), the library a device maker links: the MEF Handshake (TLS-PSK with
 * psk_identity = KpmID, clause 8.3.2.1, or mutual certificates with an FQDN certificate on the
 * MEF side, clause 8.3.2.2), Enrolment Key Generation on the client side (RFC 5705 exporter
 * "EXPORTER-oneM2M-Bootstrap", clause 10.3.1), MEF Client Registration and the MEF Client
 * Command flow (clause 8.3.4.6) over the m2msec Mmef mapping (docs/procedures/mef.md), EST
 * certificate enrolment (RFC 7030, clause 8.3.6) with a key pair generated on the device, and
 * the usage-constrained key (clause 10.3.7) the device presents to its Enrolment Target.
 * docs/procedures/enrolee.md is the guide. The I/O is blocking, bounded by a total deadline.
 */
#ifndef M2MSEC_ENROL_H
#define M2MSEC_ENROL_H

#include "m2msec/err.h"
#include "m2msec/key.h"

/* SUID of the Enrolment Target key (m2m:suid 22: RSPF, Security Association Establishment). */
#define M2M_ENROLEE_TARGET_SUID 22
/* Default total deadline of m2m_enrolee_run, seconds. */
#define M2M_ENROLEE_DEFAULT_DEADLINE 30

typedef struct m2m_enrolee m2m_enrolee;

M2M_API M2M_WUR m2m_err m2m_enrolee_new(m2m_enrolee **out);
/* Wipe every key and free; NULL is a no-op. */
M2M_API void m2m_enrolee_free(m2m_enrolee *e);

/* The MEF's address (required): "host:port", "[v6]:port" or "https://host[:port]" for HTTPS,
 * "coaps://host[:port]" for CoAP over DTLS 1.2 (TS-0008; port 5684 by default), with which
 * m2m_enrolee_run returns M2M_E_UNSUPPORTED when a certificate is wanted (EST over CoAP, RFC
 * 9148, is not implemented). */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_mef(m2m_enrolee *e, const char *hostport);
/* The CA bundle (PEM) that issued the MEF's certificate (required). The MEF's certificate must
 * carry the MEF-FQDN (or, when none is known, the host of set_mef) as a DNS name. */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_mef_ca(m2m_enrolee *e, const char *ca_file);
/* MEF-FQDN (the "@fqdn" of the KeID). Default: the FQDN part of the KpmID (PSK flavour), else
 * the host of set_mef. */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_mef_fqdn(m2m_enrolee *e, const char *fqdn);
/* PSK flavour (clause 8.3.2.1): KpmID ("name@fqdn") and Kpm (copied). */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_psk(m2m_enrolee *e, const char *kpm_id, const m2m_key *kpm);
/* Certificate flavour (clause 8.3.2.2): the device certificate chain and its private key (PEM;
 * the key file must be 0600). */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_cert(m2m_enrolee *e, const char *cert_file, const char *key_file);
/* Optional: the Enrolee-ID to claim (default: the one the MEF provisioned). */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_claim(m2m_enrolee *e, const char *enrolee_id);
/* Ask for certificate enrolment (Certificate Enrolment Indication; the MEF answers with a
 * CERT_PROV command and the enrolee runs EST). */
M2M_API void m2m_enrolee_want_cert(m2m_enrolee *e, bool want);
/* EST: use /simplereenroll instead of /simpleenroll (re-provisioning, RFC 7030 clause 4.2.2). */
M2M_API void m2m_enrolee_est_reenrol(m2m_enrolee *e, bool reenrol);
/* Total deadline of m2m_enrolee_run in seconds (1..3600; default M2M_ENROLEE_DEFAULT_DEADLINE). */
M2M_API M2M_WUR m2m_err m2m_enrolee_set_deadline(m2m_enrolee *e, int seconds);

/*
 * Run the enrolment: handshake, Ke/KeID, MEF Client Registration, the command flow (CERT_PROV
 * runs EST when asked for, MO_NODE authenticationProfile is recorded, NO_MORE_COMMANDS ends it)
 * and the Enrolment Target key. Errors: M2M_E_CONFIG (a required setting missing),
 * M2M_E_IO (no connection, deadline passed), M2M_E_AUTH (handshake refused: wrong or unknown
 * credential, MEF certificate not trusted), M2M_E_PROTO (the MEF refused a procedure: see
 * m2m_enrolee_rsc / m2m_enrolee_reason; or an answer that does not parse), M2M_E_CERT (EST
 * failed). On any error no result is available.
 */
M2M_API M2M_WUR m2m_err m2m_enrolee_run(m2m_enrolee *e);

/* The RSC of the MEF's refusal (0 if none) and its m2m:dbg text or HTTP reason (never a key). */
M2M_API int m2m_enrolee_rsc(const m2m_enrolee *e);
M2M_API const char *m2m_enrolee_reason(const m2m_enrolee *e);

/* ---- results, after m2m_enrolee_run returned M2M_OK (NULL / 0 otherwise) ------------------- */
M2M_API const char *m2m_enrolee_keid(const m2m_enrolee *e);
/* Ke (carries the KeID and the Enrolment Expiry as its validity). */
M2M_API const m2m_key *m2m_enrolee_ke(const m2m_enrolee *e);
/* The Enrolee-ID the MEF granted. */
M2M_API const char *m2m_enrolee_id(const m2m_enrolee *e);
M2M_API int64_t m2m_enrolee_expiry(const m2m_enrolee *e);
/* Enrolment Targets (absolute CSE-IDs) and, for each, the TLS-PSK key to present to it with
 * psk_identity = KeID: HMAC-SHA-256(Ke, usage-constrained label || "22" || target public
 * domain name) (clause 10.3.7, SUID 22). */
M2M_API size_t m2m_enrolee_target_count(const m2m_enrolee *e);
M2M_API const char *m2m_enrolee_target_id(const m2m_enrolee *e, size_t i);
M2M_API const m2m_key *m2m_enrolee_target_key(const m2m_enrolee *e, size_t i);
/* MAF-FQDN targets (the registration's mafIDs, lowercase): Entity A's Km for each is
 * m2m_enrolee_dir_km(dir, maf_id) after m2m_enrolee_write. */
M2M_API size_t m2m_enrolee_maf_count(const m2m_enrolee *e);
M2M_API const char *m2m_enrolee_maf_id(const m2m_enrolee *e, size_t i);
/* SUID of an MO_NODE authenticationProfile command (0 = none received). */
M2M_API int m2m_enrolee_auth_profile_suid(const m2m_enrolee *e);
/* The certificate issued by EST (PEM, leaf first) and its device-generated key, or NULL. */
M2M_API const char *m2m_enrolee_cert_pem(const m2m_enrolee *e);

/*
 * Write the results into dir (created 0700 when missing; an existing dir must not be group- or
 * world-writable): keid (text, 0644), ke and target.psk (hex of the first target's key, 0600;
 * only with a CSE-ID target), mafids (the MAF-FQDN targets, one a line, 0644; only with one),
 * and after EST cert.pem (0644) and cert.key (PKCS#8 PEM, 0600). Every file is written to a
 * temporary file and renamed, so a reader sees the old or the new file, never a part.
 */
M2M_API M2M_WUR m2m_err m2m_enrolee_write(const m2m_enrolee *e, const char *dir);

/*
 * Remote provisioning of a MAF Master Credential, Entity A's side (TS-0003 clause 8.8.2.3 step 2,
 * clause 10.3.2): Km = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Master Credential derivation"
 * || MAF-ID) from DIR/ke and DIR/keid as m2m_enrolee_write left them, MAF-ID = maf_id (a
 * MAF-FQDN, lowercased as the MEF does). The MAF obtains the same Km from the MEF
 * (fetchCredentials SUID 21). *km carries the KeID as its identifier (the psk_identity of the
 * MAF Handshake with a remotely provisioned Km). Errors: M2M_E_INVAL, M2M_E_ID_BAD_FORM (maf_id
 * not an FQDN), M2M_E_NOT_FOUND / M2M_E_KEY_PERMS / M2M_E_IO (the files; DIR/ke must be
 * owner-only), M2M_E_KEY_LEN or M2M_E_ID_BAD_HEX (DIR/ke not 64 hex digits). *km is NULL unless
 * M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_enrolee_dir_km(const char *dir, const char *maf_id, m2m_key **km);

/*
 * The MEF as Trust Enabling Function for ESData (TS-0003 clause 8.6.3; docs/procedures/e2e.md
 * "TEF"): MEF Key Retrieval of a symmetric key a Source registered with SUID 14/24 (ESData
 * encryption) or 15/25 (ESData signature) for targets including this one. key_id is the
 * Credential-ID "<SUID>-<32 hex>@<MEF-FQDN>" (TS-0003 clause 10.4) or the bare keyID
 * "<32 hex>@<MEF-FQDN>"; its FQDN must be the MEF's. Uses e's connection settings (set_mef,
 * set_mef_ca, set_mef_fqdn, set_deadline and set_cert for a Target CSE's certificate, or
 * set_psk); no enrolment is run, and the results of an earlier m2m_enrolee_run are cleared. The MEF answers only a Target listed in the key's targetIDs
 * (others: RSC 4004, as for an unknown key). *key (identifier: the Credential-ID, SUID and
 * expiry set) and *suid on M2M_OK. Errors: M2M_E_INVAL (key_id malformed or of another MEF),
 * M2M_E_CONFIG, M2M_E_IO, M2M_E_AUTH, M2M_E_PROTO (refused: m2m_enrolee_rsc / _reason; an
 * answer for another key, of a non-ESData SUID or another SUID than key_id's, or without the key).
 */
M2M_API M2M_WUR m2m_err m2m_enrolee_tef_key(m2m_enrolee *e, const char *key_id, m2m_key **key, int *suid);

#endif
