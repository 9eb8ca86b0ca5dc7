/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for the configuration engine (docs/config.md): the
 * same input parsed as the CSE's [cse] (implicit section, sp-id normalisation) and as the MEF's
 * [mef] section, then validated; every key's line is looked up after a successful parse.
 */
#include <stdbool.h>

#include "m2msec/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_cse_config cfg;
	m2m_mef_svc_config mef;
	char err[256];
	bool found = false;

	m2m_cse_config_defaults(&cfg);
	if (m2m_cse_config_parse(&cfg, (const char *)data, size, err, sizeof(err)) == M2M_OK) {
		(void)m2m_cse_config_validate(&cfg, err, sizeof(err));
		(void)m2m_cse_config_line(&cfg, "mef-url");
	}
	m2m_mef_config_defaults(&mef);
	if (m2m_mef_config_parse(&mef, (const char *)data, size, &found, err, sizeof(err)) == M2M_OK) {
		(void)m2m_mef_config_validate(&mef, err, sizeof(err));
		(void)m2m_mef_config_line(&mef, "mef-fqdn");
	}
	return 0;
}
