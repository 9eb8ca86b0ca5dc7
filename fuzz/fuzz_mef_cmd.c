/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the MEF Client Command update parser
 * (core/mef_codec.c, TS-0003 clause 8.3.9.5, cmdStatusCode Table 12.3.2.4-1). Invariant besides
 * memory safety: an accepted update has a positive cmdID and a code in 0..999.
 */
#include <stdlib.h>

#include "core/mef_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL;
	int64_t id;
	int st;

	if (m2mi_mef_parse_json(data, size, &v) != M2M_OK)
		return 0;
	if (m2mi_mef_parse_cmd_update(v, &id, &st) == M2M_OK && (id < 1 || st < 0 || st > 999))
		abort();
	(void)m2mi_mef_client_status_ok(st);
	json_decref(v);
	return 0;
}
