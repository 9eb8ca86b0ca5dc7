/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the libFuzzer harness for the CSE configuration parser (docs/config.md). */
#include "m2msec/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_cse_config cfg;
	char err[256];

	m2m_cse_config_defaults(&cfg);
	if (m2m_cse_config_parse(&cfg, (const char *)data, size, err, sizeof(err)) == M2M_OK)
		(void)m2m_cse_config_validate(&cfg, err, sizeof(err));
	return 0;
}
