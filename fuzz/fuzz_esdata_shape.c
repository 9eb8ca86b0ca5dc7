/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the key-free ESData shape check
 * (core/esdata_shape.c, m2m_esdata_shape): the content of a <contentInstance> flagged with
 * m2m:contentSecurity 1 or 2 (TS-0004 Table 6.3.4.2.38-1) as any client may send it to the
 * Hosting CSE. The first byte picks the serialisation (even: compact, odd: JSON). Invariants
 * besides memory safety: the answer is one of the documented errors, and an object accepted as
 * compact has 3 or 5 parts.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/esdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_esdata_ser ser;
	m2m_err r;
	size_t dots = 0;

	if (size < 1)
		return 0;
	ser = (data[0] & 1) ? M2M_ESD_JSON : M2M_ESD_COMPACT;
	r = m2m_esdata_shape((const char *)data + 1, size - 1, ser);
	if (r != M2M_OK && r != M2M_E_ESD_FORMAT && r != M2M_E_ESD_HEADER && r != M2M_E_ESD_UNSECURED &&
	    r != M2M_E_ESD_TOO_LARGE)
		abort();
	if (r == M2M_OK && ser == M2M_ESD_COMPACT) {
		for (size_t i = 1; i < size; i++)
			dots += data[i] == '.';
		if (dots != 2 && dots != 4)
			abort();
	}
	return 0;
}
