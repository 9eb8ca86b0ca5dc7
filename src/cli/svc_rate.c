/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the rate limits of the m2msec services (svc_rate.h): one token per
 * request from the source address's bucket (an IPv6 subscriber gets a /64) and from the client
 * identity's bucket, shared by every thread (a client's limit must not multiply by the number of
 * threads its connections land on), and the one refusal every service sends.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/svc_rate.h"
#include "m2msec/rsc.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *svc_rate_check(m2mi_ratelimit *rl_addr, m2mi_ratelimit *rl_id, const char *client,
			   const m2m_request *req, m2m_response *rsp)
{
	uint8_t key[1 + 16];
	size_t klen = 1;
	int retry = 1;
	const char *which = NULL;

	key[0] = (uint8_t)req->ip_family;
	if (req->ip_family == 4) {
		memcpy(key + 1, req->ip, 4);
		klen += 4;
	} else if (req->ip_family == 6) {
		memcpy(key + 1, req->ip, 8); /* one subscriber gets a /64 */
		klen += 8;
	}
	if (rl_addr != NULL && !m2mi_ratelimit_take(rl_addr, key, klen, mono_ms(), &retry))
		which = "rate-limited-address";
	else if (rl_id != NULL && client != NULL &&
		 !m2mi_ratelimit_take(rl_id, client, strlen(client), mono_ms(), &retry))
		which = "rate-limited-identity";
	if (which == NULL)
		return NULL;
	m2m_response_clear(rsp);
	m2m_response_error(rsp, M2M_RSC_BAD_REQUEST, "rate limit exceeded, retry after %d s", retry);
	rsp->http_status = 429;
	rsp->retry_after = retry;
	rsp->rqi = req->rqi != NULL ? strdup(req->rqi) : NULL;
	rsp->rvi = req->rvi != NULL ? strdup(req->rvi) : NULL;
	return which;
}

m2m_err svc_rate_new(int per_identity, int per_address, m2mi_ratelimit **rl_id, m2mi_ratelimit **rl_addr)
{
	m2m_err r = M2M_OK;

	if (per_identity > 0 && (r = m2mi_ratelimit_new((unsigned)per_identity, SVC_RATE_TABLE, rl_id)) != M2M_OK)
		return r;
	if (per_address > 0)
		r = m2mi_ratelimit_new((unsigned)per_address, SVC_RATE_TABLE, rl_addr);
	return r;
}
