/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the [mef] section of the configuration (docs/config.md): the key table of
 * the M2M Enrolment Function (TS-0003 §8.3), its strict defaults and its cross-field validation,
 * on the shared INI engine (config.c). The listener keys are the CSE's definitions
 * (M2MI_CFG_SERVER_KEYS), so both services read them identically.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/config_int.h"

#define T m2m_mef_svc_config

/* New keys go at the END. */
static const struct m2mi_cfg_key mef_keys[] = {
	M2MI_STR(T, "mef-fqdn", mef_fqdn),
	M2MI_STR(T, "https-listen", https_listen),
	M2MI_STR(T, "store", store),
	M2MI_STR(T, "cert", cert),
	M2MI_STR(T, "key", key),
	M2MI_STR(T, "trust-anchors", trust_anchors),
	M2MI_STR(T, "ca-dir", ca_dir),
	M2MI_STR(T, "log-file", log_file),
	M2MI_LEVEL(T, "log-level", log_level),
	M2MI_KEY(T, "tls13", M2MI_CFG_BOOL, tls13),
	M2MI_CFG_SERVER_KEYS(T),
	/* §10.7: every key derived from Ke expires no later than the enrolment */
	M2MI_INT(T, "enrolment-expiry-days", enrolment_expiry_days, 1, 36500),
	M2MI_CFG_RATE_KEYS(T),
	M2MI_STR(T, "sp-id", sp_id),
	M2MI_STR(T, "est-uri", est_uri),
	/* PRAGMA synchronous of the service's connections (docs/config.md "[mef] store-sync") */
	M2MI_KEY(T, "store-sync", M2MI_CFG_SYNC, store_sync_full),
	/* TS-0003 §8.8.2.3: the MAFs that fetch a Master Credential (SUID 21) as Enrolment Targets */
	M2MI_STR(T, "maf-fqdns", maf_fqdns),
	/* TS-0008: the MEF's CoAP over DTLS door, same resolver chain and associations as HTTPS */
	M2MI_STR(T, "coaps-listen", coaps_listen),
	/* TS-0003 §8.3.2.3: the MEF as GBA BSF (Ub listener, test HSS, Ks lifetime) */
	M2MI_STR(T, "bsf-listen", bsf_listen),
	M2MI_STR(T, "hss-file", hss_file),
	M2MI_INT(T, "bootstrap-lifetime", bootstrap_lifetime, 1, 31536000),
	/* docs/operations.md: Prometheus /metrics on a loopback-only plain-HTTP listener */
	M2MI_STR(T, "metrics-listen", metrics_listen),
	/* the operator console (docs/procedures/console.md): mutual TLS with an admin certificate */
	M2MI_STR(T, "admin-listen", admin_listen),
	M2MI_STR(T, "admin-ca", admin_ca),
	M2MI_STR(T, "admin-identity", admin_identity),
	/* docs/operations.md: the SIGTERM drain bound (systemd TimeoutStopSec stays above it) */
	M2MI_INT(T, "drain-seconds", drain_seconds, 1, 600),
};
#define NKEYS (sizeof(mef_keys) / sizeof(mef_keys[0]))
_Static_assert(NKEYS <= M2M_CFG_MAX_KEYS, "raise M2M_CFG_MAX_KEYS in m2msec/config.h");

static const struct m2mi_cfg_section mef_section = {"mef", mef_keys, NKEYS, offsetof(T, key_line), false};

void m2m_mef_config_defaults(m2m_mef_svc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->drain_seconds = 10; /* M2M_HTTP_DRAIN_SECONDS */
	snprintf(cfg->https_listen, sizeof(cfg->https_listen), "127.0.0.1:8444");
	snprintf(cfg->store, sizeof(cfg->store), "var/mef.db");
	M2MI_CFG_HTTPS_DEFAULTS(cfg);
	cfg->enrolment_expiry_days = 365;
	cfg->bootstrap_lifetime = 3600;
}

m2m_err m2m_mef_config_parse(m2m_mef_svc_config *cfg, const char *text, size_t len, bool *found, char *errmsg,
			     size_t errcap)
{
	return m2mi_cfg_parse(cfg, &mef_section, text, len, found, errmsg, errcap);
}

unsigned m2m_mef_config_line(const m2m_mef_svc_config *cfg, const char *key)
{
	return m2mi_cfg_line(cfg, &mef_section, key);
}

/* An FQDN as KeIDs carry it after '@' (TS-0003 §8.3.2, KeID = hexBinary(RelativeKeID)@MEF-FQDN):
 * dot-separated labels of letters, digits and '-', at least two labels. */
static bool is_fqdn(const char *s)
{
	size_t label = 0, labels = 0, n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			labels++;
			label = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (label == 0 && *p == '-')
			return false;
		label++;
	}
	return labels >= 2;
}

/* Every maf-fqdns entry is an FQDN one label under sp-id's FQDN: the only DNS SANs the TLS
 * layer binds (to a CSE-ID, docs/tls.md), which the MEF then tells apart as a MAF. */
static bool maf_fqdns_ok(const m2m_mef_svc_config *cfg)
{
	const char *sp = cfg->sp_id + (strncmp(cfg->sp_id, "//", 2) == 0 ? 2 : 0);
	size_t sl = strlen(sp);
	int n = 0;

	if (sl == 0)
		return false;
	for (const char *p = cfg->maf_fqdns; *p != '\0';) {
		char one[256];
		size_t len;
		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		if (len >= sizeof(one))
			return false;
		memcpy(one, p, len);
		one[len] = '\0';
		if (!is_fqdn(one) || len <= sl + 1 || one[len - sl - 1] != '.' || strcasecmp(one + len - sl, sp) != 0 ||
		    memchr(one, '.', len - sl - 1) != NULL) /* public: host names */
			return false;
		n++;
		p += len;
	}
	return n > 0;
}

m2m_err m2m_mef_config_validate(const m2m_mef_svc_config *cfg, char *errmsg, size_t errcap)
{
	const struct m2mi_cfg_https https = {cfg->https_listen, cfg->store, cfg->cert, cfg->key, cfg->sp_id,
					     cfg->header_timeout, "the SQLite database file", is_fqdn,
					     cfg->coaps_listen};
	m2m_err r;

#define FAIL_AT(key, ...) return m2mi_cfg_fail_at(cfg, &mef_section, errmsg, errcap, key, __VA_ARGS__)
	if (cfg->mef_fqdn[0] == '\0')
		FAIL_AT("mef-fqdn", "mef-fqdn is required (the FQDN in every KeID, e.g. mef.example.com)");
	if (!is_fqdn(cfg->mef_fqdn))
		FAIL_AT("mef-fqdn", "mef-fqdn must be an FQDN such as mef.example.com");
	/* The MEF has no plain-HTTP mode; Enrolment Targets named SP-relative are made absolute with
	 * sp-id (TS-0001 §7.2). */
	if ((r = m2mi_cfg_check_https(cfg, &mef_section, &https, errmsg, errcap)) != M2M_OK)
		return r;
	if ((r = m2mi_cfg_check_metrics(cfg, &mef_section, cfg->metrics_listen, errmsg, errcap)) != M2M_OK)
		return r;
	if (cfg->est_uri[0] != '\0' && (strncmp(cfg->est_uri, "https://", 8) != 0 || cfg->est_uri[8] == '\0' ||
					 strpbrk(cfg->est_uri, " \t\"") != NULL))
		FAIL_AT("est-uri", "est-uri must be an https:// URI (the EST base, e.g. https://mef.example.com:8444/.well-known/est)");
	if (cfg->maf_fqdns[0] != '\0' && !maf_fqdns_ok(cfg))
		FAIL_AT("maf-fqdns", "maf-fqdns must list FQDNs of the form <label>.<sp-id FQDN> (sp-id is required): "
				     "the DNS SAN of the MAF's certificate, e.g. maf.sp.example.com");
	/* The BSF (TS-0003 §8.3.2.3): Ub is HTTPS with the MEF's certificate, vectors from hss-file */
	if (cfg->bsf_listen[0] != '\0' && strcmp(cfg->bsf_listen, "off") != 0) { /* public: keyword */
		char host[256];
		int port = 0;
		if (m2m_config_split_listen(cfg->bsf_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("bsf-listen", "bsf-listen must be host:port (e.g. 127.0.0.1:8446)");
		if (cfg->hss_file[0] == '\0')
			FAIL_AT("bsf-listen", "bsf-listen needs hss-file (the test HSS)");
		if (cfg->cert[0] == '\0' || cfg->key[0] == '\0')
			FAIL_AT("bsf-listen", "bsf-listen needs cert and key (Ub is TLS with server authentication)");
	}
	/* The console authenticates the operator by certificate only: no CA or no identity would
	 * leave it open, so either missing refuses the configuration (fail closed). */
	if (cfg->admin_listen[0] != '\0' && strcmp(cfg->admin_listen, "off") != 0) { /* public: keyword */
		char host[256];
		int port = 0;
		if (m2m_config_split_listen(cfg->admin_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("admin-listen", "admin-listen must be host:port (e.g. 127.0.0.1:8447)");
		if (cfg->admin_ca[0] == '\0' || cfg->admin_identity[0] == '\0')
			FAIL_AT("admin-listen", "admin-listen needs admin-ca and admin-identity (the admin client certificate)");
		if (cfg->cert[0] == '\0' || cfg->key[0] == '\0')
			FAIL_AT("admin-listen", "admin-listen needs cert and key (the console is HTTPS)");
	}
#undef FAIL_AT
	return M2M_OK;
}
