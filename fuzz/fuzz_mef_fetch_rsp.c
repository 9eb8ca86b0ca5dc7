/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the fetchCredentials answer parser
 * (remote/mef_fetch_rsp.c: sec:fetchCredRsp of TS-0003 Table 8.3.2.1-5 with the m2msec member
 * networkAuthorized, docs/procedures/mef.md), the body a CSE receives from its MEF during a
 * handshake and at every refresh. The first input byte picks the RSC (2000 mostly, 4004, 4103,
 * another). Invariants besides memory safety: an accepted answer gives a 32-byte key whose id is
 * the KeID asked for, SUID 22, an expiry after now, a PSK binding with Credential-ID "12-<KeID>"
 * and an AE or CSE entity, and net_unauthorized exactly when the body says networkAuthorized
 * false; a refused one gives no key and an all-zero binding; 4004/4103 map to their errors.
 */
#include <stdlib.h>
#include <string.h>

#include "remote/remote_key.h"

#define KID "00112233445566778899AABBCCDDEEFF@mef.example.com"
#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_false(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(p + i, "false", 5) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int rscs[4] = {2000, 4004, 4103, 4000};
	static const m2m_sa zero;
	m2m_key *k = NULL;
	m2m_sa sa;
	m2m_err r;
	int rsc;

	if (size < 1)
		return 0;
	rsc = (data[0] & 0x80) == 0 ? 2000 : rscs[data[0] & 3];
	r = m2mi_mef_parse_fetch_rsp(rsc, (const char *)data + 1, size - 1, KID, 22, NOW, &k, &sa);
	if (r == M2M_OK) {
		if (k == NULL || m2m_key_len(k) != 32 || m2m_key_id(k) == NULL || strcmp(m2m_key_id(k), KID) != 0 ||
		    m2m_key_suid(k) != 22 || sa.kind != M2M_SA_PSK || sa.suid != 22 || sa.expiry <= NOW ||
		    strcmp(sa.credential_id, "12-" KID) != 0 ||
		    (sa.entity != M2M_ENTITY_AE && sa.entity != M2M_ENTITY_CSE) || sa.bound_id[0] == '\0')
			abort();
		/* net_unauthorized only when the text says false somewhere (a cheap necessary condition) */
		if (sa.net_unauthorized && !has_false(data + 1, size - 1))
			abort();
		m2m_key_free(k);
		return 0;
	}
	if (k != NULL || memcmp(&sa, &zero, sizeof(sa)) != 0)
		abort();
	if ((rsc == 4004 && r != M2M_E_NOT_FOUND) || (rsc == 4103 && r != M2M_E_AUTH) ||
	    (rsc != 4004 && rsc != 4103 && r != M2M_E_PROTO))
		abort();
	return 0;
}
