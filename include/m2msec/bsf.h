/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the BSF role of the MEF (TS-0003 clause 8.3.2.3:
 * with GBA the MEF is the BSF): bootstrapping on Ub, 3GPP TS 33.220 clause 4.5.2 with HTTP
 * Digest AKA (RFC 3310) as 3GPP TS 24.109 clause 5 maps it to HTTP, served as a raw route
 * (M2M_BSF_PATH) of an HTTPS listener with server authentication only (`[mef] bsf-listen`).
 * The exchange (docs/procedures/gba.md "Ub on the MEF"):
 *   1. GET M2M_BSF_PATH, Authorization: Digest username="<IMPI>", realm, uri, nonce="",
 *      response="" -> 401, WWW-Authenticate: Digest realm="<mef-fqdn>", nonce=base64(RAND||AUTN),
 *      algorithm=AKAv1-MD5, qop="auth" (a vector of the test HSS, m2msec/hss.h);
 *   2. GET with the credentials answering it: RES verifies -> 200, application/vnd.3gpp.bsf+xml
 *      <BootstrappingInfo><btid>base64(RAND)@mef-fqdn</btid><lifetime>UTC</lifetime>; Ks = CK||IK
 *      stored with the B-TID (m2msec/bsfstore.h); with auts -> SQN resynchronised, a new 401;
 *      anything else refused (docs for the status of each case).
 * Pending challenges are bounded and expire; requests are rate limited per IMPI.
 */
#ifndef M2MSEC_BSF_H
#define M2MSEC_BSF_H

#include "m2msec/http.h"
#include "m2msec/mef.h"

#define M2M_BSF_PATH "/bsf"
#define M2M_BSF_CONTENT_TYPE "application/vnd.3gpp.bsf+xml"

typedef struct m2m_bsf_config {
	const char *bsf_fqdn;  /* the realm and the B-TID's FQDN (mef-fqdn) */
	const char *hss_file;  /* the test HSS (m2msec/hss.h) */
	int64_t lifetime_s;    /* bootstrap-lifetime: the key lifetime of Ks (TS 33.220 clause 4.5.2) */
	size_t max_pending;    /* challenges awaiting an answer at once, 0 = 1024 */
	int challenge_ttl_s;   /* how long a challenge may be answered, 0 = 60 */
	unsigned rate_per_minute; /* requests per IMPI per minute, 0 = unlimited */
	/* audit of every outcome (procedure "gba-bootstrap"), never a key; NULL = the log */
	void (*audit)(void *ctx, const m2m_mef_audit *ev);
	void *audit_ctx;
} m2m_bsf_config;

typedef struct m2m_bsf m2m_bsf;

/* The BSF over mef's store (its own connection). M2M_E_INVAL for a missing FQDN / HSS path or a
 * lifetime < 1. */
M2M_API M2M_WUR m2m_err m2m_bsf_new(const m2m_bsf_config *cfg, m2m_mef *mef, m2m_bsf **out);
M2M_API void m2m_bsf_free(m2m_bsf *b);

/* Answer one Ub request (any thread; one mutex). now: unix seconds. */
M2M_API void m2m_bsf_handle(m2m_bsf *b, const m2m_http_raw_request *req, int64_t now, m2m_http_raw_response *rsp);

/* Register M2M_BSF_PATH on srv (before m2m_http_server_run). */
M2M_API M2M_WUR m2m_err m2m_bsf_route(m2m_http_server *srv, m2m_bsf *b);

#endif
