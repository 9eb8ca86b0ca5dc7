/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the MEF Key Registration body parser
 * (core/mef_codec.c, sec:keyRegCfg of TS-0003 Table 12.4.3-1 plus keyValue). Invariants besides
 * memory safety: an accepted registration has a valid m2m:suid, 0..8 targets and a key of 0 or
 * 16..64 bytes; a refused one leaves no key bytes behind.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mef_codec.h"
#include "m2msec/id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2mi_mef_key_reg k;
	json_t *v = NULL;

	if (m2mi_mef_parse_json(data, size, &v) != M2M_OK)
		return 0;
	for (int upd = 0; upd < 2; upd++) {
		if (m2mi_mef_parse_key_reg(v, upd != 0, &k) == M2M_OK) {
			if ((!upd && !m2m_suid_valid(k.suid)) || k.ntargets > M2MI_MEF_TARGETS_MAX ||
			    (k.key_len != 0 && (k.key_len < 16 || k.key_len > M2MI_MEF_KEY_MAX)))
				abort();
			m2mi_mef_key_reg_wipe(&k);
		} else if (!zero(k.key, sizeof(k.key))) {
			abort();
		}
	}
	json_decref(v);
	return 0;
}
