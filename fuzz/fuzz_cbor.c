/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for the oneM2M CBOR codec (core/cbor_codec.c,
 * TS-0004 clause 8.5.1): arbitrary bytes -> decode (with small limits on the first byte's
 * choice, so both the default and tight limits are explored) -> encode -> decode again, which
 * must give the same JSON value; and the JSON text of the value re-parses to it too.
 */
#include <stdlib.h>
#include <string.h>

#include "core/cbor_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2mi_cbor_limits lim = {0, 0};
	json_t *v = NULL, *back = NULL;
	uint8_t *enc = NULL;
	size_t elen = 0;
	char why[128];

	if (size > 0 && (data[0] & 0x80) == 0) { /* half the inputs under tight limits */
		lim.max_depth = 1 + (data[0] & 7);
		lim.max_items = 1 + (data[0] & 0x70);
	}
	if (m2mi_cbor_decode(data, size, &lim, &v, why, sizeof(why)) != M2M_OK) {
		if (v != NULL || memchr(why, 0, sizeof(why)) == NULL)
			__builtin_trap(); /* a refusal leaves nothing and a terminated reason */
		return 0;
	}
	if (m2mi_cbor_encode(v, &enc, &elen) != M2M_OK)
		__builtin_trap(); /* whatever decodes within limits encodes */
	if (m2mi_cbor_decode(enc, elen, &lim, &back, why, sizeof(why)) != M2M_OK || !json_equal(v, back))
		__builtin_trap(); /* and decodes back to the same value */
	json_decref(back);
	free(enc);
	json_decref(v);
	return 0;
}
