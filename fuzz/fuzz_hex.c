/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the libFuzzer harness for hexBinary decoding (TS-0003 clause 10.3.4). */
#include "m2msec/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[512];
	char back[1025];
	size_t n = 0;

	if (m2m_hex_decode((const char *)data, size, out, sizeof(out), &n) == M2M_OK) {
		if (m2m_hex_encode(out, n, false, back, sizeof(back)) != M2M_OK)
			__builtin_trap();
	}
	return 0;
}
