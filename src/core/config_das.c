/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the [das] section of the configuration (docs/config.md): the key table of
 * the Dynamic Authorization Server (TS-0003 clause 7.3, docs/procedures/das.md), its strict
 * defaults and its cross-field validation, on the shared INI engine (config.c). The listener
 * keys are the CSE's definitions (M2MI_CFG_SERVER_KEYS), so every service reads them alike.
 */
#include <stdio.h>
#include <string.h>

#include "core/config_int.h"
#include "m2msec/id.h"

#define T m2m_das_svc_config

/* New keys go at the END. */
static const struct m2mi_cfg_key das_keys[] = {
	M2MI_STR(T, "das-id", das_id),
	M2MI_STR(T, "https-listen", https_listen),
	M2MI_STR(T, "store", store),
	M2MI_STR(T, "cert", cert),
	M2MI_STR(T, "key", key),
	M2MI_STR(T, "trust-anchors", trust_anchors),
	M2MI_STR(T, "policy", policy),
	M2MI_STR(T, "log-file", log_file),
	M2MI_LEVEL(T, "log-level", log_level),
	M2MI_KEY(T, "tls13", M2MI_CFG_BOOL, tls13),
	M2MI_CFG_SERVER_KEYS(T),
	M2MI_CFG_RATE_KEYS(T),
	/* the longest validity window of an issued token (TS-0003 clause 7.3.2.4 notBefore/notAfter) */
	M2MI_INT(T, "max-token-lifetime", max_token_lifetime, 1, 366 * 86400),
	/* docs/operations.md: Prometheus /metrics on a loopback-only plain-HTTP listener */
	M2MI_STR(T, "metrics-listen", metrics_listen),
	/* docs/operations.md: the SIGTERM drain bound (systemd TimeoutStopSec stays above it) */
	M2MI_INT(T, "drain-seconds", drain_seconds, 1, 600),
};
#define NKEYS (sizeof(das_keys) / sizeof(das_keys[0]))
_Static_assert(NKEYS <= M2M_CFG_MAX_KEYS, "raise M2M_CFG_MAX_KEYS in m2msec/config.h");

static const struct m2mi_cfg_section das_section = {"das", das_keys, NKEYS, offsetof(T, key_line), false};

void m2m_das_config_defaults(m2m_das_svc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->drain_seconds = 10; /* M2M_HTTP_DRAIN_SECONDS */
	snprintf(cfg->https_listen, sizeof(cfg->https_listen), "127.0.0.1:8446");
	snprintf(cfg->store, sizeof(cfg->store), "var/das.db");
	M2MI_CFG_HTTPS_DEFAULTS(cfg);
	cfg->max_token_lifetime = 86400;
}

m2m_err m2m_das_config_parse(m2m_das_svc_config *cfg, const char *text, size_t len, bool *found, char *errmsg,
			     size_t errcap)
{
	return m2mi_cfg_parse(cfg, &das_section, text, len, found, errmsg, errcap);
}

unsigned m2m_das_config_line(const m2m_das_svc_config *cfg, const char *key)
{
	return m2mi_cfg_line(cfg, &das_section, key);
}

m2m_err m2m_das_config_fqdn(const m2m_das_svc_config *cfg, char *out, size_t outcap)
{
	m2m_id *id = NULL;
	m2m_err r;

	if (cfg == NULL || out == NULL || outcap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	/* "iss" must mean the same DAS to every CSE: only the Absolute AE-ID form (TS-0001 Table
	 * 7.2-1) is globally unique, and its SP FQDN is the issuerID of the token IDs */
	if (strncmp(cfg->das_id, "//", 2) != 0 ||
	    m2m_id_parse(cfg->das_id, strlen(cfg->das_id), M2M_ID_AE_ID, &id) != M2M_OK) {
		m2m_id_free(id);
		return M2M_E_CONFIG;
	}
	{
		const char *slash = strchr(cfg->das_id + 2, '/');
		size_t n = slash ? (size_t)(slash - (cfg->das_id + 2)) : 0;
		r = n > 0 && n < outcap && m2m_id_check_fqdn(cfg->das_id + 2, n) == M2M_OK ? M2M_OK : M2M_E_CONFIG;
		if (r == M2M_OK) {
			for (size_t i = 0; i < n; i++) /* m2m:tokenID: the FQDN in lower case */
				out[i] = (char)(cfg->das_id[2 + i] >= 'A' && cfg->das_id[2 + i] <= 'Z'
							? cfg->das_id[2 + i] + 32 : cfg->das_id[2 + i]);
			out[n] = '\0';
		}
	}
	m2m_id_free(id);
	return r;
}

static bool is_fqdn(const char *s)
{
	return *s != '\0' && m2m_id_check_fqdn(s, strlen(s)) == M2M_OK;
}

m2m_err m2m_das_config_validate(const m2m_das_svc_config *cfg, char *errmsg, size_t errcap)
{
	const struct m2mi_cfg_https https = {cfg->https_listen, cfg->store, cfg->cert, cfg->key, "",
					     cfg->header_timeout, "the DAS's SQLite database file", is_fqdn,
					     NULL};
	char fqdn[256];
	m2m_err r;

#define FAIL_AT(key, ...) return m2mi_cfg_fail_at(cfg, &das_section, errmsg, errcap, key, __VA_ARGS__)
	if (cfg->das_id[0] == '\0')
		FAIL_AT("das-id", "das-id is required (the DAS's Absolute AE-ID, the issuer of its tokens, "
				  "e.g. //sp.example.com/id-in/Cdas)");
	if (m2m_das_config_fqdn(cfg, fqdn, sizeof(fqdn)) != M2M_OK)
		FAIL_AT("das-id", "das-id must be an Absolute AE-ID //FQDN/CSE-ID/C... or //FQDN/S... "
				  "(the issuer every CSE's das-trust names)");
	if ((r = m2mi_cfg_check_https(cfg, &das_section, &https, errmsg, errcap)) != M2M_OK)
		return r;
	if ((r = m2mi_cfg_check_metrics(cfg, &das_section, cfg->metrics_listen, errmsg, errcap)) != M2M_OK)
		return r;
	/* tokens are signed with the certificate's key (ES256): nothing to issue without them */
	if (cfg->cert[0] == '\0')
		FAIL_AT("cert", "cert and key are required (the DAS signs its tokens with the certificate's key)");
#undef FAIL_AT
	return M2M_OK;
}
