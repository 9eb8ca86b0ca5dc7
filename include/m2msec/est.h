/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the MEF's EST server (TS-0003 clause 8.3.6.2,
 * RFC 7030): /cacerts (section 4.1), /csrattrs (section 4.5), /simpleenroll and /simplereenroll
 * (section 4.2) answered from the MEF CA (a `m2msec ca init` directory), and the issuance
 * records kept in the MEF store from which the CRL is derived. No networking: a transport
 * passes the request body and the enrolee's m2m_mef_assoc; replies are HTTP status, media type
 * and body. The server never generates a key: only the public key of the CSR is certified.
 * docs/procedures/mef.md "EST".
 */
#ifndef M2MSEC_EST_H
#define M2MSEC_EST_H

#include <openssl/x509.h>

#include "m2msec/ca.h"
#include "m2msec/mef.h"

/* One issued certificate (documented value type). */
typedef struct m2m_est_record {
	char serial[48];       /* uppercase hex, as m2m_ca_serial */
	char client_id[256];   /* the enrolee's KpmID / certificate identity */
	char enrolee_id[256];  /* its Enrolee-ID at issuance */
	char san[256];         /* the one subjectAltName certified (URI or DNS text) */
	int64_t not_after;
	int64_t issued_at;
	int64_t revoked_at;    /* 0 = not revoked by its own row */
	int reason;            /* M2M_CA_REASON_* when revoked */
} m2m_est_record;

typedef void (*m2m_est_revoked_fn)(void *arg, const m2m_ca_revoked *rv);
/* Every revoked, not long-expired certificate: superseded/revoked rows and every certificate of
 * a revoked (or deleted) enrolee (reason cessationOfOperation). One read transaction. */
M2M_API M2M_WUR m2m_err m2m_mefstore_est_revoked(m2m_mefstore *st, int64_t now, m2m_est_revoked_fn fn,
						 void *arg);
/* Operator revocation of one certificate by serial (M2M_E_NOT_FOUND: unknown or already revoked). */
M2M_API M2M_WUR m2m_err m2m_mefstore_est_revoke(m2m_mefstore *st, const char *serial, int64_t now);

typedef struct m2m_est m2m_est;

/* Open the CA of ca_dir (m2m_ca_open); leaf_days 0 = M2M_CA_LEAF_DAYS_DEFAULT. Read-only after
 * creation: one m2m_est serves every worker thread. */
M2M_API M2M_WUR m2m_err m2m_est_new(const char *ca_dir, int leaf_days, m2m_est **out);
M2M_API void m2m_est_free(m2m_est *est);

/* An EST answer (documented value type): body malloc'd (release with m2m_est_reply_clear). */
typedef struct m2m_est_reply {
	int status;               /* HTTP status (RFC 7030 section 4.2.3 / docs/procedures/mef.md) */
	const char *content_type; /* static string */
	char *body;
	size_t body_len;
	const char *outcome;      /* "ok" or the audit failure cause (static) */
} m2m_est_reply;
M2M_API void m2m_est_reply_clear(m2m_est_reply *r);
/* Every function below filling an m2m_est_reply first releases what it held: pass a
 * zero-initialised reply ({0}) or one filled before. */

/* GET /cacerts: application/pkcs7-mime certs-only, base64 DER (RFC 7030 section 4.1.3). */
M2M_API M2M_WUR m2m_err m2m_est_cacerts(const m2m_est *est, m2m_est_reply *out);
/* GET /csrattrs: application/csrattrs, base64 DER CsrAttrs (RFC 7030 section 4.5.2):
 * challengePassword, extensionRequest with subjectAltName, id-ecPublicKey with secp256r1,
 * ecdsa-with-SHA256. */
M2M_API M2M_WUR m2m_err m2m_est_csrattrs(const m2m_est *est, m2m_est_reply *out);

/*
 * POST /simpleenroll (reenroll false) or /simplereenroll (true): body = base64 DER PKCS#10
 * (RFC 7030 section 4.2.1; whitespace allowed). a is the enrolee's association (w's MEF);
 * peer is the TLS client certificate (NULL for a PSK enrolee). Checks, in order: association
 * is an active enrolee (403/401), CSR decodes and its self-signature verifies (400), P-256 key
 * (400), exactly one subjectAltName that this enrolee may claim (403 "claim-refused"; 400 when
 * missing/extra/unusable), re-enrolment: peer was issued by this MEF, not revoked, same SAN
 * (403). The certificate is recorded (and for a re-enrolment the old one superseded) in one
 * store transaction; only then is it returned: 200 application/pkcs7-mime; smime-type=certs-only.
 * Returns M2M_OK whenever out holds an answer (also refusals); errors only for bad arguments.
 */
M2M_API M2M_WUR m2m_err m2m_est_enroll(const m2m_est *est, m2m_mef_worker *w, const m2m_mef_assoc *a,
				       X509 *peer, bool reenroll, const uint8_t *body, size_t len,
				       int64_t now, m2m_est_reply *out);

/* The CRL of the MEF CA over m2m_mefstore_est_revoked(st): PEM in *crl_pem (free()). */
M2M_API M2M_WUR m2m_err m2m_est_crl(const m2m_est *est, m2m_mefstore *st, int64_t now, int64_t validity_s,
				    char **crl_pem);

/* ---- HTTP exposure (services/mef/est_route.c) ---------------------------------------------- */

typedef struct m2m_http_server m2m_http_server;
typedef struct m2m_est_http m2m_est_http;

/*
 * The EST endpoints of a MEF's HTTP server: RFC 7030 section 3.2.2 paths under
 * M2M_EST_PATH_PREFIX (GET cacerts, GET csrattrs, POST simpleenroll, POST simplereenroll) and
 * GET M2M_EST_CRL_PATH (the current CRL, application/pkix-crl, DER). workers[i] is the MEF worker
 * of event-loop thread i (nworkers = m2m_http_server_threads); every pointer is borrowed and
 * must outlive the server. The association of each request is built from its TLS connection
 * (m2m_mef_assoc_new_from_ssl); plain HTTP gets 401 for enrolment. crl_validity_s 0 = the
 * default. m2m_mef_est_route registers both prefixes on srv (before m2m_http_server_run).
 * Each enrolment is audited through the MEF's audit hook with procedure "est-simpleenroll" /
 * "est-simplereenroll", rsc = the HTTP status and outcome = m2m_est_reply.outcome ("ok",
 * "malformed", "bad-key", "bad-san", "claim-refused", "not-holder", "no-association",
 * "not-authorized", "revoked", "expired", "store-error", "internal").
 */
#define M2M_EST_PATH_PREFIX "/.well-known/est"
#define M2M_EST_CRL_PATH "/crl"
M2M_API M2M_WUR m2m_err m2m_est_http_new(m2m_est *est, m2m_mef *mef, m2m_mef_worker *const *workers,
					 int nworkers, int64_t crl_validity_s, m2m_est_http **out);
M2M_API void m2m_est_http_free(m2m_est_http *h);
M2M_API M2M_WUR m2m_err m2m_mef_est_route(m2m_http_server *srv, m2m_est_http *h);

#endif
