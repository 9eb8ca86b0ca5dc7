/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements a small P-256 certificate authority for oneM2M deployments: a self-signed
 * CA (TS-0003 clause 8.1.2.2: CA certificates carry nameConstraints over the names in the
 * certificates they issue) kept in a directory (ca.key 0600, ca.crt), and issuance of leaf
 * certificates that follow the TS-0003 clause 10.1.1 profiles: 10.1.1.1/10.1.1.3 (P-256 named
 * curve, uncompressed point, ECDSA with SHA-256, keyUsage digitalSignature), 10.1.1.5 (AE-ID
 * certificate: URI SAN "m2m://sp/cse/Cabc"), 10.1.1.6 (FQDN certificate), 10.1.1.7 (CSE-ID
 * certificate: DNS SAN "cse-in.sp.example.com"); no wildcards anywhere. Every issued leaf is
 * verified against the CA (RFC 5280 section 6.1 path validation, nameConstraints included) before
 * it is returned. docs/pki.md describes the profiles, file layout and name constraints.
 */
#ifndef M2MSEC_CA_H
#define M2MSEC_CA_H

#include "m2msec/err.h"

/* Defaults and limits of the validity periods (days) and of a leaf's subjectAltName list. */
#define M2M_CA_DAYS_DEFAULT 3650
#define M2M_CA_LEAF_DAYS_DEFAULT 365
#define M2M_CA_DAYS_MAX 36500
#define M2M_CA_MAX_SANS 16
#define M2M_CA_MAX_PERMITS 16
/* Upper bound on a CA name or leaf CN (RFC 5280 ub-common-name). */
#define M2M_CA_CN_MAX 64

typedef struct m2m_ca m2m_ca;

/*
 * Create a CA in dir: mkdir 0700 (an existing empty directory owned by the caller is tightened to
 * 0700), a fresh P-256 key in dir/ca.key (PEM PKCS#8, mode 0600, created O_EXCL) and the
 * self-signed dir/ca.crt with subject CN=name, critical basicConstraints CA:TRUE pathlen:0,
 * critical keyUsage keyCertSign+cRLSign+digitalSignature, SKI, AKI and, when n > 0, a critical
 * nameConstraints extension permitting DNS:d, URI:d and URI:.d for every permits[i] = d (an FQDN,
 * no wildcard). days in 1..M2M_CA_DAYS_MAX (0 = M2M_CA_DAYS_DEFAULT).
 * Errors: M2M_E_EXISTS when dir already holds ca.key or ca.crt (nothing is touched);
 * M2M_E_ID_* for a bad permitted domain; M2M_E_INVAL for a bad name; M2M_E_RANGE for days.
 * Nothing is left behind on failure.
 */
M2M_API M2M_WUR m2m_err m2m_ca_init(const char *dir, const char *name, const char *const *permits,
				    size_t n, int days);

/*
 * Load the CA of dir. dir/ca.key must be a regular file owned by the caller with no group/other
 * permission bits (else M2M_E_KEY_PERMS), both files must hold a P-256 key/certificate pair
 * (else M2M_E_CERT). *out is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_ca_open(const char *dir, m2m_ca **out);
/* Free the CA (the private key is wiped by OpenSSL); NULL is a no-op. */
M2M_API void m2m_ca_free(m2m_ca *ca);

/*
 * Issue a leaf with a freshly generated P-256 key. sans[0..n) (1..M2M_CA_MAX_SANS): a value with
 * "://" becomes a URI SAN (absolute URI with a host, no userinfo, no '*'; "m2m://" URIs must be an
 * AE-ID, TS-0003 clause 10.1.1.5), anything else a DNS SAN (an FQDN, no wildcard). Values are
 * stored in canonical form (lowercase host, no trailing dot). cn NULL = the first SAN when it fits
 * in M2M_CA_CN_MAX bytes, else an empty subject with a critical SAN. days 0 = default; notAfter is
 * clamped to the CA's notAfter; notBefore is now - 5 minutes (clock skew).
 * The new certificate is verified against the CA; a name outside the CA's nameConstraints gives
 * M2M_E_CERT_NAME. On success *cert_pem (free()) and *key_pem (PKCS#8 PEM; release with
 * m2m_freezero(*key_pem, strlen(*key_pem) + 1)) are NUL-terminated; both are NULL otherwise.
 */
M2M_API M2M_WUR m2m_err m2m_ca_issue(const m2m_ca *ca, const char *const *sans, size_t n, int days,
				     const char *cn, char **cert_pem, char **key_pem);

/*
 * Sign a PKCS#10 request (PEM or DER in csr[0..len)) instead of generating a key: the request's
 * self-signature must verify and its key must be P-256 (it is re-encoded as a named curve with an
 * uncompressed point). Only the public key is taken from the request; subject, SANs and every
 * extension come from the arguments, exactly as for m2m_ca_issue. *cert_pem as above.
 */
M2M_API M2M_WUR m2m_err m2m_ca_issue_csr(const m2m_ca *ca, const char *csr, size_t len,
					 const char *const *sans, size_t n, int days, const char *cn,
					 char **cert_pem);

/*
 * Verify a leaf certificate (PEM or DER) against this CA alone as trust anchor at time now
 * (seconds since the epoch; 0 = the current time), with X509_V_FLAG_X509_STRICT and the
 * CA's nameConstraints. Errors: M2M_E_CERT (unparsable), M2M_E_CERT_NAME (nameConstraints),
 * M2M_E_CERT_EXPIRED (outside the validity window), M2M_E_CERT_UNTRUSTED (anything else).
 */
M2M_API M2M_WUR m2m_err m2m_ca_verify(const m2m_ca *ca, const char *cert, size_t len, int64_t now);

/*
 * Write prefix.crt (mode 0644 less umask) and, when key_pem is not NULL, prefix.key (0600), all
 * or nothing: each file is written to a temporary name created O_EXCL, fsynced, then hard-linked
 * to its final name, which must not exist (M2M_E_EXISTS; nothing is left behind).
 */
M2M_API M2M_WUR m2m_err m2m_ca_write_leaf(const char *prefix, const char *cert_pem,
					  const char *key_pem);

/* The CA certificate as NUL-terminated PEM (owned by ca). */
M2M_API const char *m2m_ca_cert_pem(const m2m_ca *ca);
/* The subject as an RFC 2253 string ("CN=Example CA"). */
M2M_API const char *m2m_ca_subject(const m2m_ca *ca);
/* The serial number as uppercase hex. */
M2M_API const char *m2m_ca_serial(const m2m_ca *ca);
/* SHA-256 fingerprint of the DER certificate, lowercase hex (64 digits). */
M2M_API const char *m2m_ca_fingerprint(const m2m_ca *ca);
/* Validity window, seconds since the Unix epoch (UTC). */
M2M_API void m2m_ca_validity(const m2m_ca *ca, int64_t *not_before, int64_t *not_after);
/* nameConstraints subtrees in OpenSSL notation ("DNS:sp.example.com", "URI:.sp.example.com");
 * *permitted tells permitted from excluded. NULL when i >= m2m_ca_constraint_count(ca). */
M2M_API size_t m2m_ca_constraint_count(const m2m_ca *ca);
M2M_API const char *m2m_ca_constraint(const m2m_ca *ca, size_t i, bool *permitted);

/* ---- revocation (pki/crl.c, RFC 5280 section 5) ------------------------------------------- */

/* Default CRL validity (nextUpdate - thisUpdate), days. */
#define M2M_CA_CRL_DAYS_DEFAULT 7
/* RFC 5280 section 5.3.1 CRLReason values used by m2msec. */
#define M2M_CA_REASON_NONE (-1)
#define M2M_CA_REASON_UNSPECIFIED 0
#define M2M_CA_REASON_SUPERSEDED 4
#define M2M_CA_REASON_CESSATION 5

/* One revoked certificate (documented value type; strings borrowed). */
typedef struct m2m_ca_revoked {
	const char *serial_hex; /* 1..40 hex digits, as m2m_ca_serial / the EST record */
	int64_t revoked_at;     /* revocation date, unix seconds (> 0) */
	int reason;             /* M2M_CA_REASON_*, or M2M_CA_REASON_NONE for no reason extension */
} m2m_ca_revoked;

/*
 * A v2 CRL of this CA listing rev[0..n) (n may be 0: an empty CRL still says "nothing revoked
 * until nextUpdate"): thisUpdate = now, nextUpdate = now + validity_s (0 = the default of
 * M2M_CA_CRL_DAYS_DEFAULT days), cRLNumber = now, authorityKeyIdentifier, ECDSA-SHA256.
 * *crl_pem (free()) is NUL-terminated PEM. Errors: M2M_E_INVAL (bad serial/date/reason),
 * M2M_E_RANGE (validity), M2M_E_CRYPTO, M2M_E_NOMEM.
 */
M2M_API M2M_WUR m2m_err m2m_ca_crl(const m2m_ca *ca, const m2m_ca_revoked *rev, size_t n, int64_t now,
				   int64_t validity_s, char **crl_pem);

#endif
