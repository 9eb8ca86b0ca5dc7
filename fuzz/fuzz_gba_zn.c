/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for the two Zn parsers of untrusted input
 * (m2msec/gba_zn.h, remote/gba_zn_rsp.c; docs/procedures/gba.md "Zn"): the MEF parses the To of a
 * NAF's request, the NAF parses the BSF's answer. The first input byte chooses. Invariants: a
 * request path that parses formats back to exactly itself (one spelling per request); an answer
 * that parses yields a 32-byte key bound to an entity, for exactly the B-TID asked, expiring after
 * now; a refused answer hands out nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/gba_zn.h"
#include "remote/remote_key.h"

#define BTID "AAECAwQFBgcICQoLDA0ODw==@mef.example.com"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	if (size < 1 || size > 4096 || (in = malloc(size)) == NULL)
		return 0;
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	if (data[0] & 1) {
		char bt[M2M_GBA_BTID_MAX], naf[254], back[M2M_GBA_ZN_PATH_MAX];
		m2m_gba_naf_kind k = M2M_GBA_KS_NAF;
		if (m2m_gba_zn_path_parse(in, bt, naf, sizeof(naf), &k) == M2M_OK) {
			if (m2m_gba_zn_path(bt, naf, k, back, sizeof(back)) != M2M_OK ||
			    strcmp(back + (in[0] == '/' ? 0 : 1), in) != 0)
				__builtin_trap();
		}
	} else {
		m2m_key *key = NULL;
		m2m_sa sa;
		size_t kl = 0;
		m2m_err r = m2mi_gba_parse_zn_rsp(2000, in, size - 1, BTID, 22, 1000, &key, &sa);
		if (r == M2M_OK) {
			if (key == NULL || m2m_key_bytes(key, &kl) == NULL || kl != 32 || sa.expiry <= 1000 ||
			    sa.kind != M2M_SA_PSK || sa.bound_id[0] == '\0' || strcmp(m2m_key_id(key), BTID) != 0)
				__builtin_trap();
		} else if (key != NULL || sa.bound_id[0] != '\0') {
			__builtin_trap();
		}
		m2m_key_free(key);
	}
	free(in);
	return 0;
}
