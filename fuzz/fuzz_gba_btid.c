/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for the GBA B-TID parser (3GPP TS 33.220 clause
 * 4.5.2, TS-0003 clause 8.3.2.3): a NAF receives the B-TID from the network as a TLS-PSK identity
 * (TS 33.222). A B-TID that parses must format back to itself in lowercase (one spelling).
 */
#include <ctype.h>
#include <string.h>

#include "m2msec/gba.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[M2M_GBA_BTID_MAX + 8], fqdn[256], back[M2M_GBA_BTID_MAX];
	uint8_t rand[16];

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (m2m_gba_btid_parse(in, rand, fqdn, sizeof(fqdn)) != M2M_OK)
		return 0;
	if (m2m_gba_btid_format(rand, fqdn, back, sizeof(back)) != M2M_OK || strlen(back) != strlen(in))
		__builtin_trap();
	for (size_t i = 0; i < 24; i++)
		if (back[i] != in[i])
			__builtin_trap();
	for (size_t i = 24; in[i] != '\0'; i++)
		if (back[i] != (char)tolower((unsigned char)in[i]))
			__builtin_trap();
	return 0;
}
