/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the MAF Key Retrieval answer parser
 * (remote/maf_key_rsp.c: sec:mafKeyReg of TS-0003 Table 8.8.2.8-2, docs/procedures/maf.md "The
 * CSE side"), the body a CSE receives from the MAF during a handshake. The first input byte picks
 * the RSC (2000 mostly, 4004, 4103, another). Invariants besides memory safety: an accepted
 * answer gives a 16-byte psk (the first half of Kc) whose id is the Key Identifier asked for,
 * SUID 32, an expiry after now, a PSK binding with Credential-ID "12-<Key Identifier>" and an AE
 * or CSE entity; a refused one gives no key and an empty binding; 4004/4103 map to their errors.
 */
#include <stdlib.h>
#include <string.h>

#include "remote/remote_key.h"

#define KID "00112233445566778899AABBCCDDEEFF@maf.example.com"
#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int rscs[4] = {2000, 4004, 4103, 4000};
	m2m_key *k = NULL;
	m2m_sa sa;
	m2m_err r;
	int rsc;

	if (size < 1)
		return 0;
	rsc = (data[0] & 0x80) == 0 ? 2000 : rscs[data[0] & 3];
	r = m2mi_maf_parse_key_rsp(rsc, (const char *)data + 1, size - 1, KID, 32, NOW, &k, &sa);
	if (r == M2M_OK) {
		if (k == NULL || m2m_key_len(k) != 16 || m2m_key_id(k) == NULL || strcmp(m2m_key_id(k), KID) != 0 ||
		    m2m_key_suid(k) != 32 || sa.kind != M2M_SA_PSK || sa.suid != 32 || sa.expiry <= NOW ||
		    strcmp(sa.credential_id, "12-" KID) != 0 ||
		    (sa.entity != M2M_ENTITY_AE && sa.entity != M2M_ENTITY_CSE) || sa.bound_id[0] == '\0')
			abort();
		m2m_key_free(k);
		return 0;
	}
	if (k != NULL || sa.bound_id[0] != '\0' || sa.credential_id[0] != '\0')
		abort();
	if ((rsc == 4004 && r != M2M_E_NOT_FOUND) || (rsc == 4103 && r != M2M_E_AUTH) ||
	    (rsc != 4004 && rsc != 4103 && r != M2M_E_PROTO))
		abort();
	return 0;
}
