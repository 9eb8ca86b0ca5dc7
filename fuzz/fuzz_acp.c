/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for <accessControlPolicy> privileges (TS-0003
 * clause 7.1.3, TS-0004 Table 6.3.5.27-1): arbitrary bytes are parsed as an m2m:setOfAcrs; when
 * accepted, the compiled rules are evaluated against a few fixed requests (every operation,
 * with and without IP/location/roles/groups) and pushed through the cache, so the decision
 * code runs on every shape of policy the parser lets through.
 */
#include <string.h>

#include "m2msec/acp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool member(void *ctx, const char *group_ri, const m2m_acp_request *req)
{
	(void)ctx;
	(void)req;
	return group_ri[0] == '/' && strlen(group_ri) % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const roles[] = {"admin@roles.example.com", "x@y"};
	m2m_acp_rules *r = NULL, *got = NULL;
	m2m_acp_cache *cache = NULL;
	m2m_acp_request q;
	char msg[128];
	m2m_err e = m2m_acp_rules_parse((const char *)data, size, &r, msg, sizeof(msg));

	if (memchr(msg, '\0', sizeof(msg)) == NULL)
		__builtin_trap(); /* the message is always terminated */
	if (e != M2M_OK) {
		if (r)
			__builtin_trap();
		return 0;
	}
	memset(&q, 0, sizeof(q));
	for (int variant = 0; variant < 4; variant++) {
		const m2m_acp_rules *sets[2] = {r, r};
		q.orig_abs = variant == 3 ? NULL : "//sp.example.com/cse-in/Cabc";
		q.orig_sp = variant & 1 ? "/cse-in/Cabc" : NULL;
		q.orig_cse = variant & 2 ? "Cabc" : NULL;
		q.rq_authn = variant & 1;
		q.time = variant == 2 ? 0 : INT64_C(1718188215) + variant * 7777;
		q.ip_family = (uint8_t)(variant == 0 ? 0 : variant == 1 ? 4 : 6);
		memset(q.ip, variant * 37, sizeof(q.ip));
		q.loc_kind = (m2m_acp_loc_kind)(variant % 3);
		memcpy(q.country, "DE", 3);
		q.lat = 48.85 - variant;
		q.lon = 2.35 + variant;
		q.target_ty = 2 + variant;
		q.child_ty = 4;
		q.child_spty = variant ? "1001" : NULL;
		q.role_ids = roles;
		q.nrole_ids = (size_t)variant % 3;
		q.is_member = variant ? member : NULL;
		for (unsigned op = 1; op <= M2M_ACP_OP_DISCOVERY; op <<= 1) {
			m2m_acp_decision d;
			q.op = op;
			d = m2m_acp_decide(sets, 2, &q);
			if (d != M2M_ACP_PERMIT && d != M2M_ACP_DENY)
				__builtin_trap();
			if (m2m_acp_rules_count(r) == 0 && d != M2M_ACP_DENY)
				__builtin_trap(); /* an empty set never permits */
		}
	}
	if (m2m_acp_cache_new(2, &cache) == M2M_OK) {
		if (m2m_acp_cache_put(cache, "acp1", 1, r) == M2M_OK &&
		    m2m_acp_cache_get(cache, "acp1", 1, &got) == M2M_OK) {
			m2m_acp_cache_invalidate(cache, "acp1");
			m2m_acp_rules_unref(got);
		}
		m2m_acp_cache_free(cache);
	}
	m2m_acp_rules_unref(r);
	return 0;
}
