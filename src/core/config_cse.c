/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the [cse] section of the configuration (docs/config.md): the CSE's key
 * table, its documented strict defaults and its cross-field validation, on the shared INI engine
 * (config.c). Defaults are the strict values of TS-0003 deployments: TLS on, plain HTTP off,
 * admin only over an authenticated association. Keys before any section header are [cse] keys
 * (files written before sections existed).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/addr_policy.h"
#include "m2msec/id.h"
#include "m2msec/mqtt.h"
#include "m2msec/token.h"
#include "core/config_int.h"

#define T m2m_cse_config

/* New keys go at the END (merges of parallel branches append here). */
static const struct m2mi_cfg_key cse_keys[] = {
	M2MI_STR(T, "cse-id", cse_id),
	M2MI_STR(T, "name", name),
	M2MI_STR(T, "sp-id", sp_id),
	M2MI_STR(T, "store", store),
	M2MI_STR(T, "https-listen", https_listen),
	M2MI_STR(T, "http-listen", http_listen),
	M2MI_STR(T, "cert", cert),
	M2MI_STR(T, "key", key),
	M2MI_STR(T, "trust-anchors", trust_anchors),
	M2MI_STR(T, "psk-file", psk_file),
	M2MI_STR(T, "cred-store", cred_store),
	M2MI_STR(T, "admin-originator", admin_originator),
	M2MI_KEY(T, "dev-admin-over-plain-http", M2MI_CFG_BOOL, admin_plain_http),
	M2MI_KEY(T, "tls13", M2MI_CFG_BOOL, tls13),
	M2MI_LEVEL(T, "log-level", log_level),
	M2MI_STR(T, "log-file", log_file),
	M2MI_KEY(T, "service-subscription", M2MI_CFG_SSP, service_subscription),
	M2MI_INT(T, "discovery-scan-max", discovery_scan_max, 0, 1000000),
	M2MI_INT(T, "discovery-lim-default", discovery_lim_default, 0, 1000000),
	M2MI_CFG_SERVER_KEYS(T),
	M2MI_STR(T, "notify-allow", notify_allow),
	M2MI_STR(T, "notify-deny", notify_deny),
	M2MI_STR(T, "mef-url", mef_url),
	M2MI_STR(T, "mef-ca", mef_ca),
	M2MI_STR(T, "mef-cert", mef_cert),
	M2MI_STR(T, "mef-key", mef_key),
	M2MI_INT(T, "mef-cache-seconds", mef_cache_seconds, 0, 86400),
	M2MI_KEY(T, "store-sync", M2MI_CFG_SYNC, store_sync_full),
	M2MI_STR(T, "crl-file", crl_file),
	M2MI_INT(T, "crl-refresh-seconds", crl_refresh_seconds, 0, 86400),
	/* Asynchronous PSK lookups during the handshake (docs/tls.md): a KeID fetch from the MEF that
	 * misses the deadline fails the handshake (fail closed); over the cap, lookups fail at once. */
	M2MI_INT(T, "psk-lookup-timeout-ms", psk_lookup_timeout_ms, 100, 60000),
	M2MI_INT(T, "psk-lookups-max", psk_lookups_max, 1, 65536),
	M2MI_STR(T, "mef-name", mef_name),
	M2MI_KEY(T, "mef-security-profile", M2MI_CFG_BOOL, mef_security_profile),
	M2MI_STR(T, "maf-url", maf_url),
	M2MI_STR(T, "maf-ca", maf_ca),
	M2MI_STR(T, "maf-cert", maf_cert),
	M2MI_STR(T, "maf-key", maf_key),
	M2MI_INT(T, "maf-cache-seconds", maf_cache_seconds, 0, 86400),
	M2MI_STR(T, "maf-name", maf_name),
	M2MI_STR(T, "wss-listen", wss_listen), /* docs/websocket-binding.md */
	M2MI_STR(T, "coaps-listen", coaps_listen),
	M2MI_STR(T, "coap-listen", coap_listen),
	/* MQTT binding, the CSE as a broker client (TS-0010, docs/mqtt-binding.md) */
	M2MI_STR(T, "mqtt-broker", mqtt_broker),
	M2MI_STR(T, "mqtt-ca", mqtt_ca),
	M2MI_STR(T, "mqtt-cert", mqtt_cert),
	M2MI_STR(T, "mqtt-key", mqtt_key),
	M2MI_KEY(T, "mqtt-acl-enforced", M2MI_CFG_BOOL, mqtt_acl_enforced),
	M2MI_STR(T, "mqtt-psk-identity", mqtt_psk_identity),
	M2MI_STR(T, "mqtt-psk-file", mqtt_psk_file),
	M2MI_INT(T, "coap-block-size", coap_block_size, 16, 1024), /* RFC 7959, docs/coap-dtls.md */
	/* indirect dynamic authorization (docs/procedures/das.md "The CSE side") */
	M2MI_STR(T, "das-trust", das_trust),
	M2MI_STR(T, "token-algorithms", token_algorithms),
	M2MI_INT(T, "token-cache-size", token_cache_size, 1, 1000000),
	M2MI_STR(T, "das-token-uri", das_token_uri),
	/* direct dynamic authorization: the association with the DASes of dap (das.md) */
	M2MI_STR(T, "das-ca", das_ca),
	M2MI_STR(T, "das-cert", das_cert),
	M2MI_STR(T, "das-key", das_key),
	M2MI_INT(T, "das-timeout", das_timeout_ms, 100, 60000),
	/* CSE registration of this CSE with its Registrar (docs/procedures/transit.md) */
	M2MI_STR(T, "registrar", registrar),
	M2MI_STR(T, "registrar-ca", registrar_ca),
	M2MI_STR(T, "registrar-cert", registrar_cert),
	M2MI_STR(T, "registrar-key", registrar_key),
	M2MI_STR(T, "registrar-cse-id", registrar_cse_id),
	/* the CSE as NAF of the GBA-based RSPF (docs/procedures/gba.md "Zn") */
	M2MI_CFG_BSF_KEYS(T),
	M2MI_KEY(T, "esprim", M2MI_CFG_BOOL, esprim),
	M2MI_INT(T, "esprim-rand-seconds", esprim_rand_seconds, 60, 604800),
	/* the ESCertKE terminating end-point (docs/procedures/e2e.md) */
	M2MI_KEY(T, "escertke", M2MI_CFG_BOOL, escertke),
	M2MI_INT(T, "escertke-sessions", escertke_sessions, 1, 10000),
	M2MI_INT(T, "escertke-lifetime", escertke_lifetime, 1, 3600),
	M2MI_INT(T, "escertke-keys", escertke_keys, 1, 1000),
	/* forwarding to another CSE (docs/procedures/transit.md) */
	M2MI_STR(T, "poa", poa),
	M2MI_STR(T, "forward-ca", forward_ca),
	M2MI_STR(T, "forward-cert", forward_cert),
	M2MI_STR(T, "forward-key", forward_key),
	M2MI_INT(T, "forward-timeout", forward_timeout_ms, 100, 60000),
	/* TLS-PSK towards the Registrar (docs/procedures/transit.md) */
	M2MI_STR(T, "registrar-psk-identity", registrar_psk_identity),
	M2MI_STR(T, "registrar-psk-file", registrar_psk_file),
	/* docs/operations.md: Prometheus /metrics on a loopback-only plain-HTTP listener */
	M2MI_STR(T, "metrics-listen", metrics_listen),
	/* docs/operations.md: the SIGTERM drain bound (systemd TimeoutStopSec stays above it) */
	M2MI_INT(T, "drain-seconds", drain_seconds, 1, 600),
	/* docs/architecture.md: a PostgreSQL store's requests run on store threads, off the loops */
	M2MI_INT(T, "store-threads", store_threads, 0, 64),
	M2MI_INT(T, "store-queue", store_queue, 1, 65536),
	M2MI_INT(T, "store-queue-ms", store_queue_ms, 1, 60000),
};
#define NKEYS (sizeof(cse_keys) / sizeof(cse_keys[0]))
_Static_assert(NKEYS <= M2M_CFG_MAX_KEYS, "raise M2M_CFG_MAX_KEYS in m2msec/config.h");

static const struct m2mi_cfg_section cse_section = {"cse", cse_keys, NKEYS, offsetof(T, key_line), true};

void m2m_cse_config_defaults(m2m_cse_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->drain_seconds = 10; /* M2M_HTTP_DRAIN_SECONDS */
	snprintf(cfg->cse_id, sizeof(cfg->cse_id), "/id-in");
	snprintf(cfg->name, sizeof(cfg->name), "cse-in");
	snprintf(cfg->sp_id, sizeof(cfg->sp_id), "//m2msec.example.com");
	snprintf(cfg->store, sizeof(cfg->store), "var/cse.db");
	snprintf(cfg->https_listen, sizeof(cfg->https_listen), "127.0.0.1:8443");
	snprintf(cfg->http_listen, sizeof(cfg->http_listen), "off");
	snprintf(cfg->wss_listen, sizeof(cfg->wss_listen), "off");
	snprintf(cfg->coaps_listen, sizeof(cfg->coaps_listen), "off");
	snprintf(cfg->coap_listen, sizeof(cfg->coap_listen), "off");
	snprintf(cfg->mqtt_broker, sizeof(cfg->mqtt_broker), "off");
	snprintf(cfg->admin_originator, sizeof(cfg->admin_originator), "CAdmin");
	cfg->tls13 = true;
	cfg->das_timeout_ms = 3000;
	cfg->escertke_sessions = 64;
	cfg->escertke_lifetime = 30;
	cfg->escertke_keys = 16;
	cfg->forward_timeout_ms = 5000;
	cfg->max_body = 1048576;
	cfg->coap_block_size = 1024;
	cfg->max_header = 8192;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	cfg->discovery_scan_max = 10000;
	cfg->discovery_lim_default = 1000;
	cfg->header_timeout = 10;
	cfg->log_requests = true;
	cfg->mef_cache_seconds = 60;
	cfg->maf_cache_seconds = 60;
	cfg->psk_lookup_timeout_ms = 3000;
	cfg->psk_lookups_max = 256;
	snprintf(cfg->token_algorithms, sizeof(cfg->token_algorithms), "ES256");
	cfg->token_cache_size = 1024;
	cfg->bsf_cache_seconds = 60;
	snprintf(cfg->gba_naf_key, sizeof(cfg->gba_naf_key), "ks-naf");
	cfg->esprim = true;
	cfg->esprim_rand_seconds = 3600;
	cfg->store_threads = 4;
	cfg->store_queue = 1024;
	cfg->store_queue_ms = 5000;
}

/* TS-0001 Table 7.2-1 writes the M2M-SP-ID as //FQDN; people type the bare FQDN (it is what the
 * certificates and DNS show). Both mean the same SP, so the bare form is normalised here and every
 * consumer sees //FQDN. */
static m2m_err normalise_sp_id(m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char tmp[sizeof(cfg->sp_id)];

	if (cfg->sp_id[0] == '\0' || cfg->sp_id[0] == '/')
		return M2M_OK;
	if (strlen(cfg->sp_id) + 2 >= sizeof(cfg->sp_id)) {
		if (errmsg != NULL && errcap > 0)
			snprintf(errmsg, errcap, "line %u: invalid value for 'sp-id'", m2m_cse_config_line(cfg, "sp-id"));
		return M2M_E_CONFIG;
	}
	snprintf(tmp, sizeof(tmp), "//%s", cfg->sp_id);
	memcpy(cfg->sp_id, tmp, sizeof(tmp));
	return M2M_OK;
}

m2m_err m2m_cse_config_parse(m2m_cse_config *cfg, const char *text, size_t len, char *errmsg, size_t errcap)
{
	m2m_err r;

	if (cfg == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_cfg_parse(cfg, &cse_section, text, len, NULL, errmsg, errcap)) != M2M_OK)
		return r;
	return normalise_sp_id(cfg, errmsg, errcap);
}

unsigned m2m_cse_config_line(const m2m_cse_config *cfg, const char *key)
{
	return m2mi_cfg_line(cfg, &cse_section, key);
}

static bool enabled(const char *listen)
{
	return listen[0] != '\0' && strcmp(listen, "off") != 0;
}

/* The later of the lines that set a and b (the one that made the pair inconsistent). */
static const char *later(const m2m_cse_config *cfg, const char *a, const char *b)
{
	return m2m_cse_config_line(cfg, b) > m2m_cse_config_line(cfg, a) ? b : a;
}

/* The CSE's association with the MEF (TS-0003 §8.3.5.2.1, credential fetch by an Enrolment Target):
 * always TLS, the MEF authenticated by mef-ca, the CSE by mef-cert + mef-key. */
static m2m_err validate_mef(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char host[256];
	int port;

	if ((cfg->mef_cert[0] == '\0') != (cfg->mef_key[0] == '\0'))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, cfg->mef_cert[0] ? "mef-cert" : "mef-key",
					"mef-cert and mef-key must be given together");
	if (cfg->mef_url[0] == '\0') {
		if (cfg->mef_security_profile)
			return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mef-security-profile",
						"needs mef-url");
		if (cfg->mef_ca[0] != '\0' || cfg->mef_cert[0] != '\0')
			return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap,
						cfg->mef_ca[0] ? "mef-ca" : "mef-cert", "needs mef-url");
		return M2M_OK;
	}
	if (strncmp(cfg->mef_url, "https://", 8) != 0 ||
	    m2m_config_split_listen(cfg->mef_url + 8, host, sizeof(host), &port) != M2M_OK || port == 0)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mef-url",
					"mef-url must be https://HOST:PORT");
	if (cfg->mef_ca[0] == '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mef-url",
					"mef-url needs mef-ca (the CA that authenticates the MEF)");
	/* mef-name: the FQDN of the MEF's KeIDs (hex@FQDN) and of its certificate */
	if (cfg->mef_name[0] != '\0' && m2m_id_check_fqdn(cfg->mef_name, strlen(cfg->mef_name)) != M2M_OK)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mef-name",
					"mef-name must be the MEF's FQDN such as mef.example.com");
	return M2M_OK;
}

/* The CSE as NAF (TS-0003 8.3.2.3): the shared check of the NAF keys (config.c). */
static m2m_err validate_bsf(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	const struct m2mi_cfg_bsf b = {cfg->bsf_url, cfg->bsf_ca, cfg->bsf_cert, cfg->bsf_key, cfg->bsf_name,
				       cfg->gba_naf_key};

	return m2mi_cfg_check_bsf(cfg, &cse_section, &b, errmsg, errcap);
}

/* The Registree CSE's association with its Registrar (TS-0001 10.1.1.2.1, Mcc is always TLS):
 * https://HOST:PORT, the Registrar authenticated by registrar-ca for its CSE-ID
 * (registrar-cse-id, DNS SAN <id>.<sp>), this CSE by registrar-cert + registrar-key. */
static m2m_err validate_registrar(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	const char *rid = cfg->registrar_cse_id;
	char host[256];
	int port;

	bool psk = cfg->registrar_psk_identity[0] != '\0' || cfg->registrar_psk_file[0] != '\0';

	if (cfg->registrar[0] == '\0') {
		if (cfg->registrar_ca[0] || cfg->registrar_cert[0] || cfg->registrar_key[0] || rid[0] || psk)
			return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap,
						cfg->registrar_ca[0] ? "registrar-ca"
						: cfg->registrar_cert[0] ? "registrar-cert"
						: cfg->registrar_key[0] ? "registrar-key"
						: rid[0] ? "registrar-cse-id" : "registrar-psk-identity",
						"needs registrar");
		return M2M_OK;
	}
	if (psk && (cfg->registrar_psk_identity[0] == '\0' || cfg->registrar_psk_file[0] == '\0' ||
		    cfg->registrar_cert[0] != '\0' || cfg->registrar_key[0] != '\0'))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "registrar-psk-identity",
					"registrar-psk-identity and registrar-psk-file go together, instead of "
					"registrar-cert and registrar-key");
	if (strncmp(cfg->registrar, "https://", 8) != 0 ||
	    m2m_config_split_listen(cfg->registrar + 8, host, sizeof(host), &port) != M2M_OK || port == 0)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "registrar",
					"registrar must be https://HOST:PORT");
	if (cfg->registrar_ca[0] == '\0' || (!psk && (cfg->registrar_cert[0] == '\0' || cfg->registrar_key[0] == '\0')))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "registrar",
					"registrar needs registrar-ca and registrar-cert + registrar-key (or the registrar-psk-*)");
	if (rid[0] != '/' || rid[1] == '/' || rid[1] == '\0' || strchr(rid + 1, '/') != NULL ||
	    strcmp(rid, cfg->cse_id) == 0) /* public: identifiers */
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "registrar-cse-id",
					"registrar-cse-id must be the Registrar's SP-relative CSE-ID such as /id-in");
	return M2M_OK;
}

/* The association towards Registree CSEs (forwarding, TS-0004 7.3.2.6): all three files or none;
 * poa (announced at the Registrar) is an https:// point of access. */
static m2m_err validate_forward(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char host[256];
	int port;

	if (!cfg->forward_ca[0] != !cfg->forward_cert[0] || !cfg->forward_ca[0] != !cfg->forward_key[0])
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap,
					cfg->forward_ca[0] ? (cfg->forward_cert[0] ? "forward-key" : "forward-cert")
							   : "forward-ca",
					"forward-ca, forward-cert and forward-key must be given together");
	if (cfg->poa[0] != '\0' && (strncmp(cfg->poa, "https://", 8) != 0 ||
				    m2m_config_split_listen(cfg->poa + 8, host, sizeof(host), &port) != M2M_OK || port == 0))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "poa", "poa must be https://HOST:PORT");
	return M2M_OK;
}

/* The CSE's association with the MAF (TS-0003 §8.8.2.8 MAF Key Retrieval by a target, maf.md
 * "The CSE side"): always TLS, the MAF authenticated by maf-ca, the CSE by maf-cert + maf-key (the
 * MAF hands Kc only to an authenticated entity listed in targetIDs). The FQDN of its Key
 * Identifiers (maf-name, else the host of maf-url) must differ from the MEF's: "<32 hex>@FQDN" is
 * the shape of both, only the FQDN tells a KcID from a KeID. */
static m2m_err validate_maf(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char host[256], mhost[256];
	const char *name, *mef;
	int port;

	if ((cfg->maf_cert[0] == '\0') != (cfg->maf_key[0] == '\0'))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, cfg->maf_cert[0] ? "maf-cert" : "maf-key",
					"maf-cert and maf-key must be given together");
	if (cfg->maf_url[0] == '\0') {
		if (cfg->maf_ca[0] != '\0' || cfg->maf_cert[0] != '\0' || cfg->maf_name[0] != '\0')
			return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap,
						cfg->maf_ca[0] ? "maf-ca" : cfg->maf_cert[0] ? "maf-cert" : "maf-name",
						"needs maf-url");
		return M2M_OK;
	}
	if (strncmp(cfg->maf_url, "https://", 8) != 0 ||
	    m2m_config_split_listen(cfg->maf_url + 8, host, sizeof(host), &port) != M2M_OK || port == 0)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "maf-url",
					"maf-url must be https://HOST:PORT");
	if (cfg->maf_ca[0] == '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "maf-url",
					"maf-url needs maf-ca (the CA that authenticates the MAF)");
	if (cfg->maf_cert[0] == '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "maf-url",
					"maf-url needs maf-cert and maf-key (the MAF hands Kc to authenticated "
					"targets only)");
	if (cfg->maf_name[0] != '\0' && m2m_id_check_fqdn(cfg->maf_name, strlen(cfg->maf_name)) != M2M_OK)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "maf-name",
					"maf-name must be the MAF's FQDN such as maf.example.com");
	name = cfg->maf_name[0] ? cfg->maf_name : host;
	mef = cfg->mef_name;
	if (cfg->mef_url[0] != '\0' && mef[0] == '\0' &&
	    m2m_config_split_listen(cfg->mef_url + 8, mhost, sizeof(mhost), &port) == M2M_OK)
		mef = mhost; /* validate_mef ran first: mef-url is well-formed */
	if (cfg->mef_url[0] != '\0' && strcasecmp(name, mef) == 0)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, cfg->maf_name[0] ? "maf-name" : "maf-url",
					"the MAF's FQDN must differ from the MEF's (KcIDs and KeIDs have the same shape)");
	return M2M_OK;
}

/* The CSE's broker connection (TS-0010 clause 7.3: TLS with any SAEF): always TLS, either with a
 * certificate (mqtt-cert + mqtt-key, its CN the CSE's broker identity, the broker authenticated by
 * mqtt-ca) or with a PSK (mqtt-psk-identity + mqtt-psk-file, the identity the mosquitto psk_file of
 * `m2msec mqtt-acl` knows; the key authenticates both ends, so no mqtt-ca). Never both, never
 * neither. The CSE-ID must have a topic form (it is the receiver level of every topic it serves). */
static m2m_err validate_mqtt(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char host[256], topic_id[M2M_MQTT_SEG_MAX + 1];
	bool psk = cfg->mqtt_psk_identity[0] != '\0' || cfg->mqtt_psk_file[0] != '\0';
	int port;

	if ((cfg->mqtt_cert[0] == '\0') != (cfg->mqtt_key[0] == '\0'))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, cfg->mqtt_cert[0] ? "mqtt-cert" : "mqtt-key",
					"mqtt-cert and mqtt-key must be given together");
	if ((cfg->mqtt_psk_identity[0] == '\0') != (cfg->mqtt_psk_file[0] == '\0'))
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap,
					cfg->mqtt_psk_identity[0] ? "mqtt-psk-identity" : "mqtt-psk-file",
					"mqtt-psk-identity and mqtt-psk-file must be given together");
	if (!enabled(cfg->mqtt_broker)) {
		if (cfg->mqtt_ca[0] != '\0' || cfg->mqtt_cert[0] != '\0' || cfg->mqtt_acl_enforced || psk)
			return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap,
						cfg->mqtt_ca[0]     ? "mqtt-ca"
						: cfg->mqtt_cert[0] ? "mqtt-cert"
						: psk		    ? "mqtt-psk-identity"
								    : "mqtt-acl-enforced",
						"needs mqtt-broker");
		return M2M_OK;
	}
	if (strncmp(cfg->mqtt_broker, "mqtts://", 8) != 0 ||
	    m2m_config_split_listen(cfg->mqtt_broker + 8, host, sizeof(host), &port) != M2M_OK || port == 0)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-broker",
					"mqtt-broker must be mqtts://HOST:PORT (or off)");
	for (const char *c = cfg->mqtt_psk_identity; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == ':')
			return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-psk-identity",
						"mqtt-psk-identity must be printable ASCII without space or ':' "
						"(an identity of the mosquitto psk_file)");
	if (psk && cfg->mqtt_cert[0] != '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-psk-identity",
					"the CSE authenticates to its broker with mqtt-cert or with a PSK, not both");
	if (psk && cfg->mqtt_ca[0] != '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-ca",
					"mqtt-ca is not used with a PSK (the key authenticates the broker)");
	if (!psk && cfg->mqtt_ca[0] == '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-broker",
					"mqtt-broker needs mqtt-ca (the CA that authenticates the broker)");
	if (!psk && cfg->mqtt_cert[0] == '\0')
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-broker",
					"mqtt-broker needs mqtt-cert and mqtt-key, or mqtt-psk-identity and "
					"mqtt-psk-file (the CSE's identity at the broker)");
	/* The CSE trusts a topic's originator level only because the broker's ACL lets each client
	 * publish under its own identity (TS-0010 clause 7.2). The CSE cannot see that ACL: without
	 * the operator's statement that the broker enforces the one `m2msec mqtt-acl` wrote, the
	 * topics prove nothing and the CSE does not connect (fail closed). */
	if (!cfg->mqtt_acl_enforced)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "mqtt-broker",
					"mqtt-broker needs mqtt-acl-enforced = true (the broker enforces the ACL "
					"of m2msec mqtt-acl; docs/mqtt-binding.md)");
	if (m2m_mqtt_id_encode(cfg->cse_id, topic_id) != M2M_OK)
		return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, "cse-id",
					"cse-id cannot be an MQTT topic level (':', '+', '#' or too long)");
	return M2M_OK;
}

m2m_err m2m_cse_config_validate(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char host[256];
	int port;

	/* FAIL_AT(key, ...): the error names the line that set key (docs/config.md "line N"). */
#define FAIL_AT(key, ...) return m2mi_cfg_fail_at(cfg, &cse_section, errmsg, errcap, key, __VA_ARGS__)
#define FAIL(...)                                                   \
	do {                                                        \
		if (errmsg != NULL && errcap > 0)                   \
			snprintf(errmsg, errcap, __VA_ARGS__);      \
		return M2M_E_CONFIG;                                \
	} while (0)

	if (cfg->cse_id[0] != '/' || cfg->cse_id[1] == '/' || cfg->cse_id[1] == '\0' || strchr(cfg->cse_id + 1, '/'))
		FAIL_AT("cse-id", "cse-id must be an SP-relative CSE-ID such as /id-in");
	if (strncmp(cfg->sp_id, "//", 2) != 0 || strchr(cfg->sp_id + 2, '/') || strchr(cfg->sp_id + 2, '.') == NULL)
		FAIL_AT("sp-id", "sp-id must be an FQDN such as m2msec.example.com (or //m2msec.example.com)");
	if (cfg->name[0] == '\0' || strchr(cfg->name, '/'))
		FAIL_AT("name", "name must be a non-empty resource name without '/'");
	if (cfg->store[0] == '\0')
		FAIL_AT("store", "store must name the SQLite database file");
	if (cfg->admin_originator[0] != 'C' && cfg->admin_originator[0] != 'S')
		FAIL_AT("admin-originator", "admin-originator must be an AE-ID-Stem (C... or S...)");
	if (!enabled(cfg->https_listen) && !enabled(cfg->http_listen))
		FAIL_AT(later(cfg, "https-listen", "http-listen"),
		     "no listener: set https-listen (or, for local tests, http-listen)");
	if (enabled(cfg->https_listen)) {
		if (m2m_config_split_listen(cfg->https_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("https-listen", "https-listen must be host:port");
		if (cfg->psk_file[0] == '\0' && cfg->cred_store[0] == '\0' && cfg->cert[0] == '\0')
			FAIL_AT("https-listen", "https-listen needs psk-file, cred-store and/or cert + key");
	}
	if ((cfg->cert[0] == '\0') != (cfg->key[0] == '\0'))
		FAIL_AT(cfg->cert[0] ? "cert" : "key", "cert and key must be given together");
	if (enabled(cfg->wss_listen)) { /* TS-0020 clause 7: the same SAEFs as https-listen */
		if (m2m_config_split_listen(cfg->wss_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("wss-listen", "wss-listen must be host:port");
		if (cfg->psk_file[0] == '\0' && cfg->cred_store[0] == '\0' && cfg->cert[0] == '\0')
			FAIL_AT("wss-listen", "wss-listen needs psk-file, cred-store and/or cert + key");
	}
	if (enabled(cfg->http_listen)) {
		if (m2m_config_split_listen(cfg->http_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("http-listen", "http-listen must be host:port");
		/* Everything on plain HTTP is unauthenticated: never expose it beyond this host. */
		if (!m2m_config_is_loopback(host))
			FAIL_AT("http-listen", "http-listen must be a loopback address (127.0.0.0/8, ::1, localhost)");
	} else if (cfg->admin_plain_http) {
		FAIL_AT("dev-admin-over-plain-http", "dev-admin-over-plain-http needs a loopback http-listen");
	}
	if (enabled(cfg->coaps_listen)) { /* TS-0008 clause 7: DTLS under the HTTPS listener's policy */
		if (m2m_config_split_listen(cfg->coaps_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("coaps-listen", "coaps-listen must be host:port");
		/* a DTLS client authenticates with a PSK (TS-0003 8.2.2.1) or a certificate (8.2.2.2) */
		if (cfg->psk_file[0] == '\0' && cfg->cred_store[0] == '\0' && cfg->mef_url[0] == '\0' &&
		    cfg->maf_url[0] == '\0' && cfg->trust_anchors[0] == '\0')
			FAIL_AT("coaps-listen", "coaps-listen needs psk-file, cred-store, mef-url, maf-url or trust-anchors "
						"(a way to authenticate DTLS clients)");
		if (!enabled(cfg->https_listen))
			FAIL_AT("coaps-listen", "coaps-listen needs https-listen (it shares its TLS policy and resolvers)");
	}
	if (enabled(cfg->coap_listen)) {
		if (m2m_config_split_listen(cfg->coap_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("coap-listen", "coap-listen must be host:port");
		/* like http-listen: nothing on plain CoAP is authenticated */
		if (!m2m_config_is_loopback(host))
			FAIL_AT("coap-listen", "coap-listen must be a loopback address (127.0.0.0/8, ::1, localhost)");
	}
	if ((cfg->coap_block_size & (cfg->coap_block_size - 1)) != 0) /* RFC 7959 clause 2.2: 16 << SZX */
		FAIL_AT("coap-block-size", "coap-block-size must be a power of two from 16 to 1024");
	/* 0 would make every discovery answer empty and partial: a typo, not a setting */
	if (cfg->discovery_scan_max < 1 || cfg->discovery_lim_default < 1)
		FAIL("discovery-scan-max and discovery-lim-default must be at least 1");
	if (cfg->header_timeout < 1 || cfg->header_timeout > 3600)
		FAIL_AT("header-timeout", "header-timeout must be 1..3600 seconds");
	{ /* notification destinations (core/addr_policy.c) */
		m2mi_addr_policy pol;
		char why[160];
		if (m2mi_addr_policy_init(&pol, cfg->notify_allow, cfg->notify_deny, why, sizeof(why)) != M2M_OK)
			FAIL("notify-allow/notify-deny: %s", why);
	}
	{ /* TS-0003 clause 7.3.2.6.3: the permitted algorithms, by name (m2m_token_algs_parse) */
		unsigned algs = 0;
		if (m2m_token_algs_parse(cfg->token_algorithms, &algs) != M2M_OK || algs == 0)
			FAIL_AT("token-algorithms", "token-algorithms must be a comma list of none, ES256, ES384, ES512");
		if (cfg->das_token_uri[0] != '\0' && strncmp(cfg->das_token_uri, "https://", 8) != 0)
			FAIL_AT("das-token-uri", "das-token-uri must be an https:// URI");
	}
	/* direct DA: the association is all three files or none (a DAS is reached only over TLS
	 * with this CSE's certificate, TS-0003 clause 7.3.2.2 step 2.3) */
	if ((cfg->das_ca[0] != '\0') != (cfg->das_cert[0] != '\0') || (cfg->das_ca[0] != '\0') != (cfg->das_key[0] != '\0'))
		FAIL_AT(cfg->das_ca[0] ? (cfg->das_cert[0] ? "das-key" : "das-cert") : "das-ca",
			"das-ca, das-cert and das-key go together (the mutually authenticated association with a DAS)");
	if (validate_mqtt(cfg, errmsg, errcap) != M2M_OK)
		return M2M_E_CONFIG;
	if (validate_forward(cfg, errmsg, errcap) != M2M_OK)
		return M2M_E_CONFIG;
	if (m2mi_cfg_check_metrics(cfg, &cse_section, cfg->metrics_listen, errmsg, errcap) != M2M_OK)
		return M2M_E_CONFIG;
	if (validate_registrar(cfg, errmsg, errcap) != M2M_OK)
		return M2M_E_CONFIG;
	if (validate_mef(cfg, errmsg, errcap) != M2M_OK || validate_maf(cfg, errmsg, errcap) != M2M_OK)
		return M2M_E_CONFIG;
	if (validate_bsf(cfg, errmsg, errcap) != M2M_OK)
		return M2M_E_CONFIG;
	/* ESCertKE (TS-0003 8.7.2.2 A): this CSE's certificate, the initiators' anchors, and a
	 * credential store for the pairwiseE2EKeys it establishes */
	if (cfg->escertke && (cfg->cert[0] == '\0' || cfg->trust_anchors[0] == '\0' || cfg->cred_store[0] == '\0'))
		FAIL_AT("escertke", "escertke needs cert, key, trust-anchors and cred-store");
#undef FAIL
#undef FAIL_AT
	return M2M_OK;
}
