/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the rate limits every m2msec service applies to its
 * procedures (svc_rate.c): token buckets per source address and per client identity, and the
 * one refusal format (HTTP 429 + Retry-After, RSC 4000). Used by `m2msec mef` and `m2msec maf`.
 */
#ifndef M2M_CLI_SVC_RATE_H
#define M2M_CLI_SVC_RATE_H

#include "core/ratelimit.h"
#include "m2msec/primitive.h"

#define SVC_RATE_TABLE 4096 /* keys each rate limiter tracks (LRU beyond: bounded memory) */

/*
 * Take one token for req from rl_addr (source IPv4 address, or the IPv6 /64) and, when client is
 * not NULL, from rl_id (either limiter may be NULL = no limit). NULL when within both limits;
 * else the cause ("rate-limited-address" or "rate-limited-identity") with rsp replaced by the
 * refusal: HTTP 429 Too Many Requests (RFC 6585 clause 4) with Retry-After and RSC 4000
 * BAD_REQUEST (TS-0004 Table 6.6.3.3-1 has no rate-limit code), rqi and rvi echoed.
 */
const char *svc_rate_check(m2mi_ratelimit *rl_addr, m2mi_ratelimit *rl_id, const char *client,
			   const m2m_request *req, m2m_response *rsp);
/* The limiters of the rate-limit-per-identity / -per-address keys (requests/minute, 0 = off: the
 * limiter stays NULL). On an error the caller frees what was made (m2mi_ratelimit_free(NULL) is
 * a no-op). */
m2m_err svc_rate_new(int per_identity, int per_address, m2mi_ratelimit **rl_id, m2mi_ratelimit **rl_addr);

#endif
