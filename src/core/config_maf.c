/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the [maf] section of the configuration (docs/config.md): the key table of
 * the M2M Authentication Function (TS-0003 clause 8.8, docs/procedures/maf.md), its strict
 * defaults and its cross-field validation, on the shared INI engine (config.c). The listener
 * keys are the CSE's definitions (M2MI_CFG_SERVER_KEYS) and the MEF-association keys have the
 * CSE's names and meaning (mef-url, mef-ca, mef-cert, mef-key, mef-name, mef-cache-seconds,
 * psk-lookup-timeout-ms, psk-lookups-max), as have the NAF keys (bsf-url .. gba-naf-key, one
 * definition and one check, config_int.h), so every service reads them identically.
 */
#include <stdio.h>
#include <string.h>

#include "core/config_int.h"
#include "m2msec/id.h"

#define T m2m_maf_svc_config

/* New keys go at the END. */
static const struct m2mi_cfg_key maf_keys[] = {
	M2MI_STR(T, "maf-fqdn", maf_fqdn),
	M2MI_STR(T, "https-listen", https_listen),
	M2MI_STR(T, "store", store),
	M2MI_STR(T, "cert", cert),
	M2MI_STR(T, "key", key),
	M2MI_STR(T, "trust-anchors", trust_anchors),
	M2MI_STR(T, "mef-url", mef_url),
	M2MI_STR(T, "mef-ca", mef_ca),
	M2MI_STR(T, "mef-cert", mef_cert),
	M2MI_STR(T, "mef-key", mef_key),
	M2MI_STR(T, "log-file", log_file),
	M2MI_LEVEL(T, "log-level", log_level),
	M2MI_KEY(T, "tls13", M2MI_CFG_BOOL, tls13),
	M2MI_CFG_SERVER_KEYS(T),
	M2MI_STR(T, "sp-id", sp_id),
	M2MI_STR(T, "mef-name", mef_name),
	/* a Km from the MEF is re-checked when older (clause 8.8.2.3; maf.md "Km from the MEF") */
	M2MI_INT(T, "mef-cache-seconds", mef_cache_seconds, 1, 86400),
	M2MI_INT(T, "max-key-lifetime", max_key_lifetime, 60, 366 * 86400),
	M2MI_INT(T, "max-registration-lifetime", max_registration_lifetime, 60, 3660 * 86400),
	M2MI_CFG_RATE_KEYS(T),
	M2MI_INT(T, "psk-lookup-timeout-ms", psk_lookup_timeout_ms, 100, 60000),
	M2MI_INT(T, "psk-lookups-max", psk_lookups_max, 1, 65536),
	/* unexpired key registrations one client may hold: the store stays bounded */
	M2MI_INT(T, "max-keys-per-client", max_keys_per_client, 1, 1000000),
	/* TS-0008: the MAF's CoAP over DTLS door, same resolver chain and associations as HTTPS */
	M2MI_STR(T, "coaps-listen", coaps_listen),
	/* docs/operations.md: Prometheus /metrics on a loopback-only plain-HTTP listener */
	M2MI_STR(T, "metrics-listen", metrics_listen),
	/* the MAF as NAF of the GBA-based RSPF: the CSE's keys (docs/procedures/gba.md "The MAF as NAF") */
	M2MI_CFG_BSF_KEYS(T),
	/* docs/operations.md: the SIGTERM drain bound (systemd TimeoutStopSec stays above it) */
	M2MI_INT(T, "drain-seconds", drain_seconds, 1, 600),
};
#define NKEYS (sizeof(maf_keys) / sizeof(maf_keys[0]))
_Static_assert(NKEYS <= M2M_CFG_MAX_KEYS, "raise M2M_CFG_MAX_KEYS in m2msec/config.h");

static const struct m2mi_cfg_section maf_section = {"maf", maf_keys, NKEYS, offsetof(T, key_line), false};

void m2m_maf_config_defaults(m2m_maf_svc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->drain_seconds = 10; /* M2M_HTTP_DRAIN_SECONDS */
	snprintf(cfg->https_listen, sizeof(cfg->https_listen), "127.0.0.1:8445");
	snprintf(cfg->store, sizeof(cfg->store), "var/maf.db");
	M2MI_CFG_HTTPS_DEFAULTS(cfg);
	cfg->mef_cache_seconds = 60;
	cfg->max_key_lifetime = 86400;
	cfg->max_registration_lifetime = 365 * 86400;
	cfg->psk_lookup_timeout_ms = 3000;
	cfg->psk_lookups_max = 256;
	cfg->max_keys_per_client = 64;
	cfg->bsf_cache_seconds = 60;
	snprintf(cfg->gba_naf_key, sizeof(cfg->gba_naf_key), "ks-naf");
}

m2m_err m2m_maf_config_parse(m2m_maf_svc_config *cfg, const char *text, size_t len, bool *found, char *errmsg,
			     size_t errcap)
{
	return m2mi_cfg_parse(cfg, &maf_section, text, len, found, errmsg, errcap);
}

unsigned m2m_maf_config_line(const m2m_maf_svc_config *cfg, const char *key)
{
	return m2mi_cfg_line(cfg, &maf_section, key);
}

/* An FQDN in canonical spelling (clause 10.6: KmID = relative@MAF-FQDN; no trailing dot, so the
 * suffix compared in identifiers is the one configured). */
static bool is_fqdn(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] != '.' && m2m_id_check_fqdn(s, n) == M2M_OK;
}

m2m_err m2m_maf_config_validate(const m2m_maf_svc_config *cfg, char *errmsg, size_t errcap)
{
	static const char *const mef_keys[] = {"mef-ca", "mef-cert", "mef-key", "mef-name"};
	const char *const mef_vals[] = {cfg->mef_ca, cfg->mef_cert, cfg->mef_key, cfg->mef_name};
	const struct m2mi_cfg_https https = {cfg->https_listen, cfg->store, cfg->cert, cfg->key, cfg->sp_id,
					     cfg->header_timeout, "the credential store file", is_fqdn,
					     cfg->coaps_listen};
	const struct m2mi_cfg_bsf bsf = {cfg->bsf_url, cfg->bsf_ca, cfg->bsf_cert, cfg->bsf_key, cfg->bsf_name,
					 cfg->gba_naf_key};
	m2m_err r;

#define FAIL_AT(key, ...) return m2mi_cfg_fail_at(cfg, &maf_section, errmsg, errcap, key, __VA_ARGS__)
	if (cfg->maf_fqdn[0] == '\0')
		FAIL_AT("maf-fqdn", "maf-fqdn is required (the MAF-ID in every KmID and Kc Key Identifier, "
				    "e.g. maf.example.com)");
	if (!is_fqdn(cfg->maf_fqdn))
		FAIL_AT("maf-fqdn", "maf-fqdn must be an FQDN such as maf.example.com");
	/* No plain-HTTP mode: every Mmaf procedure runs over the MAF Handshake's association. */
	if ((r = m2mi_cfg_check_https(cfg, &maf_section, &https, errmsg, errcap)) != M2M_OK)
		return r;
	if ((r = m2mi_cfg_check_metrics(cfg, &maf_section, cfg->metrics_listen, errmsg, errcap)) != M2M_OK)
		return r;
	if ((r = m2mi_cfg_check_bsf(cfg, &maf_section, &bsf, errmsg, errcap)) != M2M_OK)
		return r;
	if (cfg->mef_url[0] == '\0') {
		/* a half-configured MEF association is a typo, not "no MEF" */
		for (size_t i = 0; i < sizeof(mef_keys) / sizeof(mef_keys[0]); i++)
			if (mef_vals[i][0] != '\0')
				FAIL_AT(mef_keys[i], "%s needs mef-url", mef_keys[i]);
		return M2M_OK;
	}
	if (strncmp(cfg->mef_url, "https://", 8) != 0 || cfg->mef_url[8] == '\0' ||
	    strpbrk(cfg->mef_url, " \t\"") != NULL)
		FAIL_AT("mef-url", "mef-url must be https://HOST:PORT");
	/* The MEF hands Km only to an authenticated Enrolment Target (docs/procedures/maf.md). */
	if (cfg->mef_cert[0] == '\0' || cfg->mef_key[0] == '\0')
		FAIL_AT("mef-url", "mef-url needs mef-cert and mef-key (the MAF's certificate towards the MEF)");
	if (cfg->mef_ca[0] == '\0')
		FAIL_AT("mef-url", "mef-url needs mef-ca (the CA that authenticates the MEF)");
	if (cfg->mef_name[0] != '\0' && !is_fqdn(cfg->mef_name))
		FAIL_AT("mef-name", "mef-name must be an FQDN such as mef.example.com");
#undef FAIL_AT
	return M2M_OK;
}
