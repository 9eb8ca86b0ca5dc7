/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the configuration of the m2msec services (docs/config.md): an INI file of
 * `key = value` lines in [cse] / [mef] / [maf] / [das] sections (keys before any header are [cse] keys; '#' or ';'
 * comments); each service reads its own section. Every key has a
 * documented strict default; an unknown key, a duplicate key or a malformed value is an error
 * (a typo must not silently weaken security). Validation that needs no I/O happens here
 * (identifier syntax, listen address syntax, loopback-only rules); file permissions are checked
 * by the modules that open the files.
 */
#ifndef M2MSEC_CONFIG_H
#define M2MSEC_CONFIG_H

#include "m2msec/err.h"

#define M2M_CFG_STR 512

/* Capacity of the per-key line table below (a static assertion in config.c keeps the key table
 * within it). */
#define M2M_CFG_MAX_KEYS 96

typedef struct m2m_cse_config {
	/* Where each key was set (1-based line of the parsed text, 0 = default), indexed like the key
	 * table of config.c: cross-field errors name the line (m2m_cse_config_line). */
	unsigned key_line[M2M_CFG_MAX_KEYS];
	char cse_id[M2M_CFG_STR];          /* cse-id, default "/id-in" (SP-relative CSE-ID) */
	char name[M2M_CFG_STR];            /* name, default "cse-in" (CSEBase resourceName) */
	char sp_id[M2M_CFG_STR];           /* sp-id, default "//m2msec.example.com"; a bare FQDN is
					    * normalised to //FQDN by the parser */
	char store[M2M_CFG_STR];           /* store, default "var/cse.db" */
	char https_listen[M2M_CFG_STR];    /* https-listen, default "127.0.0.1:8443"; "off" disables */
	char http_listen[M2M_CFG_STR];     /* http-listen, default "off"; loopback only */
	char cert[M2M_CFG_STR];            /* cert, default "" (PSK only) */
	char key[M2M_CFG_STR];             /* key, default "" */
	char trust_anchors[M2M_CFG_STR];   /* trust-anchors, default "" (no certificate clients) */
	char psk_file[M2M_CFG_STR];        /* psk-file, default "" */
	char cred_store[M2M_CFG_STR];      /* cred-store, default "" (no credential store lookups) */
	char admin_originator[M2M_CFG_STR];/* admin-originator, default "CAdmin" */
	bool admin_plain_http;             /* dev-admin-over-plain-http, default false */
	bool tls13;                        /* tls13, default true */
	int threads;                       /* threads, default 0 = one per core */
	size_t max_body;                   /* max-body, default 1048576 */
	size_t max_header;                 /* max-header, default 8192 */
	char log_level[16];                /* log-level, default "info" */
	char log_file[M2M_CFG_STR];        /* log-file, default "" = stderr */
	bool service_subscription;         /* service-subscription = off|enforce, default off */
	int discovery_scan_max;            /* discovery-scan-max, default 10000: rows one discovery examines */
	int discovery_lim_default;         /* discovery-lim-default, default 1000: lim when none is given */
	int max_connections;               /* max-connections, default 0 = derived from RLIMIT_NOFILE */
	int max_connections_per_address;   /* max-connections-per-address, default 0 = derived */
	int header_timeout;                /* header-timeout, seconds from accept to a complete request, 10 */
	bool log_requests;                 /* log-requests, default true: one info line per request */
	char notify_allow[M2M_CFG_STR];    /* notify-allow, default "": CIDRs notifications may reach */
	char notify_deny[M2M_CFG_STR];     /* notify-deny, default "": CIDRs they must not reach */
	char mef_url[M2M_CFG_STR];         /* mef-url, default "" = no MEF: https://HOST:PORT */
	char mef_ca[M2M_CFG_STR];          /* mef-ca, default "": CA file that authenticates the MEF */
	char mef_cert[M2M_CFG_STR];        /* mef-cert, default "": this CSE's certificate towards the MEF */
	char mef_key[M2M_CFG_STR];         /* mef-key, default "": its private key (0600) */
	int mef_cache_seconds;             /* mef-cache-seconds, default 60: longest a fetched key is cached */
	bool store_sync_full;              /* store-sync, default normal (false); full = true */
	char crl_file[M2M_CFG_STR];        /* crl-file, default "": CRL(s) checked on client certificates */
	int crl_refresh_seconds;           /* crl-refresh-seconds, default 0 = 300: crl-file re-read period */
	int psk_lookup_timeout_ms;         /* psk-lookup-timeout-ms, default 3000: deadline of a KeID fetch */
	int psk_lookups_max;               /* psk-lookups-max, default 256: lookups one loop waits on */
	char mef_name[M2M_CFG_STR];        /* mef-name, default "" = the host of mef-url: the MEF's FQDN */
	bool mef_security_profile;         /* mef-security-profile, default false: require the MEF's profile */
	/* MAF-based SAEF, Entity B (docs/procedures/maf.md "The CSE side") */
	char maf_url[M2M_CFG_STR];         /* maf-url, default "" = no MAF: https://HOST:PORT */
	char maf_ca[M2M_CFG_STR];          /* maf-ca, default "": CA file that authenticates the MAF */
	char maf_cert[M2M_CFG_STR];        /* maf-cert, default "": this CSE's certificate towards the MAF */
	char maf_key[M2M_CFG_STR];         /* maf-key, default "": its private key (0600) */
	int maf_cache_seconds;             /* maf-cache-seconds, default 60: longest a retrieved Kc is cached */
	char maf_name[M2M_CFG_STR];        /* maf-name, default "" = the host of maf-url: the MAF's FQDN */
	char wss_listen[M2M_CFG_STR];      /* wss-listen, default "off": WebSocket over TLS (TS-0020) */
	/* CoAP binding (TS-0008, docs/coap-dtls.md) */
	char coaps_listen[M2M_CFG_STR];    /* coaps-listen, default "off": CoAP over DTLS 1.2 (PSK) */
	char coap_listen[M2M_CFG_STR];     /* coap-listen, default "off": plain CoAP, loopback only */
	/* MQTT binding (TS-0010, docs/mqtt-binding.md): the CSE as a client of a TLS broker */
	char mqtt_broker[M2M_CFG_STR];     /* mqtt-broker, default "off": mqtts://HOST:PORT */
	char mqtt_ca[M2M_CFG_STR];         /* mqtt-ca, default "": CA file that authenticates the broker */
	char mqtt_cert[M2M_CFG_STR];       /* mqtt-cert, default "": the CSE's certificate at the broker */
	char mqtt_key[M2M_CFG_STR];        /* mqtt-key, default "": its private key (0600) */
	bool mqtt_acl_enforced;            /* mqtt-acl-enforced, default false: the broker enforces the
					    * ACL of `m2msec mqtt-acl` (required by mqtt-broker) */
	char mqtt_psk_identity[M2M_CFG_STR]; /* mqtt-psk-identity, default "": the CSE's PSK identity at
					      * the broker (instead of mqtt-cert/mqtt-key, TS-0010 7.3) */
	char mqtt_psk_file[M2M_CFG_STR];   /* mqtt-psk-file, default "": its key, hex (0600) */
	int coap_block_size;               /* coap-block-size, default 1024: Block2 size of large CoAP
					    * answers (RFC 7959), a power of two 16..1024 */
	/* Indirect dynamic authorization (TS-0003 clause 7.3.2.3, docs/procedures/das.md) */
	char das_trust[M2M_CFG_STR];       /* das-trust, default "" = no token is ever accepted:
					    * the trusted token issuers (ISSUER-ID CERT-PEM [ALGS]) */
	char token_algorithms[M2M_CFG_STR];/* token-algorithms, default "ES256": JWS algorithms this
					    * CSE permits (clause 7.3.2.6.3); "none" only when listed */
	int token_cache_size;              /* token-cache-size, default 1024: verified tokens cached */
	char das_token_uri[M2M_CFG_STR];   /* das-token-uri, default "": the DAS URI a 4103 with tqi
					    * names in its Token Request Information (tqf) */
	/* Direct dynamic authorization (TS-0003 clause 7.3.2.2, docs/procedures/das.md) */
	char das_ca[M2M_CFG_STR];          /* das-ca, default "" = no consultation: CA of the DASes */
	char das_cert[M2M_CFG_STR];        /* das-cert: this CSE's certificate towards a DAS */
	char das_key[M2M_CFG_STR];         /* das-key: its private key (0600) */
	int das_timeout_ms;                /* das-timeout, default 3000: a consultation's deadline */
	/* CSE registration with a Registrar CSE (docs/procedures/transit.md) */
	char registrar[M2M_CFG_STR];       /* registrar, default "" = none: https://HOST:PORT */
	char registrar_ca[M2M_CFG_STR];    /* registrar-ca: the CA that authenticates the Registrar */
	char registrar_cert[M2M_CFG_STR];  /* registrar-cert: this CSE's certificate (DNS SAN = its CSE-ID) */
	char registrar_key[M2M_CFG_STR];   /* registrar-key: its private key (0600) */
	char registrar_cse_id[M2M_CFG_STR];/* registrar-cse-id: the Registrar's CSE-ID ("/id-in") */
	/* The CSE as NAF of the GBA-based RSPF (TS-0003 8.3.2.3, docs/procedures/gba.md "Zn") */
	char bsf_url[M2M_CFG_STR];         /* bsf-url, default "" = no GBA: the MEF/BSF, https://HOST:PORT */
	char bsf_ca[M2M_CFG_STR];          /* bsf-ca: the CA that authenticates the BSF */
	char bsf_cert[M2M_CFG_STR];        /* bsf-cert: this CSE's certificate towards the BSF */
	char bsf_key[M2M_CFG_STR];         /* bsf-key: its private key (0600) */
	char bsf_name[M2M_CFG_STR];        /* bsf-name, default "" = the host of bsf-url: the FQDN of B-TIDs */
	int bsf_cache_seconds;             /* bsf-cache-seconds, default 60: longest a NAF key is cached */
	char gba_naf_key[16];              /* gba-naf-key, default "ks-naf" (GBA_ME); ks-ext-naf, ks-int-naf */
	/* ESPrim Receiver (docs/procedures/e2e.md) */
	bool esprim;                       /* esprim, default true: answer seci NOTIFYs, publish esi */
	int esprim_rand_seconds;           /* esprim-rand-seconds, default 3600: lifetime of the
					    * receiver rand objects (shared esro and non-shared) */
	/* ESCertKE terminating end-point (TS-0003 8.7, docs/procedures/e2e.md "ESCertKE") */
	bool escertke;                     /* escertke, default false: answer NOTIFY seci sit 6 to <CSEBase>
					    * (needs cert, key, trust-anchors, cred-store) */
	int escertke_sessions;             /* escertke-sessions, default 64: procedures in progress */
	int escertke_lifetime;             /* escertke-lifetime, default 30 s: message 1 -> 3 at most */
	int escertke_keys;                 /* escertke-keys, default 16: ESCertKE keys kept per initiator */
	/* Forwarding of requests addressed to another CSE (docs/procedures/transit.md) */
	char poa[M2M_CFG_STR];             /* poa, default "": this CSE's pointOfAccess announced in its
					    * <remoteCSE> at the Registrar (https://HOST:PORT) */
	char forward_ca[M2M_CFG_STR];      /* forward-ca, default "" = no forwarding to Registrees: the CA
					    * that authenticates a Registree CSE at its poa */
	char forward_cert[M2M_CFG_STR];    /* forward-cert: this CSE's certificate towards Registrees */
	char forward_key[M2M_CFG_STR];     /* forward-key: its private key (0600) */
	int forward_timeout_ms;            /* forward-timeout, default 5000: deadline of one forwarded request */
	char registrar_psk_identity[M2M_CFG_STR]; /* registrar-psk-identity, default "": TLS-PSK towards
						   * the Registrar instead of registrar-cert/-key */
	char registrar_psk_file[M2M_CFG_STR]; /* registrar-psk-file: its key, hex (0600) */
	char metrics_listen[M2M_CFG_STR];  /* metrics-listen, default "" (off): the loopback-only
					    * plain-HTTP listener of GET /metrics (docs/operations.md) */
	int drain_seconds;                 /* drain-seconds, default 10 (1..600): SIGTERM's bound on
					    * answering requests in flight (docs/operations.md) */
	int store_threads;                 /* store-threads, default 4 (0..64): threads running the
					    * requests of a PostgreSQL store off the event loops, 0 = on
					    * the loops (docs/architecture.md); unused with SQLite */
	int store_queue;                   /* store-queue, default 1024 (1..65536): requests waiting
					    * for a store thread at most; beyond: 5000 at once */
	int store_queue_ms;                /* store-queue-ms, default 5000 (1..60000): a request that
					    * waited longer for a store thread is answered 5000 unrun */
} m2m_cse_config;

/* Fill cfg with the documented defaults. */
M2M_API void m2m_cse_config_defaults(m2m_cse_config *cfg);
/* Parse INI text (len bytes) on top of the current values of cfg. On error, errmsg gets
 * "line N: <reason>" and cfg may be partly updated (callers discard it). */
M2M_API M2M_WUR m2m_err m2m_cse_config_parse(m2m_cse_config *cfg, const char *text, size_t len,
					      char *errmsg, size_t errcap);
/* Cross-field validation after parsing (e.g. http-listen must be loopback; the admin plain-HTTP
 * switch needs a loopback http-listen; cert and key come together). errmsg starts with
 * "line N: " (N = the line that set the key at fault) unless that key kept its default. */
M2M_API M2M_WUR m2m_err m2m_cse_config_validate(const m2m_cse_config *cfg, char *errmsg, size_t errcap);
/* The line of the parsed text that set key (0 when the key kept its default or is unknown). */
M2M_API unsigned m2m_cse_config_line(const m2m_cse_config *cfg, const char *key);
/*
 * The [mef] section (docs/config.md): the M2M Enrolment Function (TS-0003 §8.3). The listener keys
 * (threads .. log-requests) are the same definitions as the CSE's.
 */
typedef struct m2m_mef_svc_config {
	unsigned key_line[M2M_CFG_MAX_KEYS]; /* as m2m_cse_config.key_line (m2m_mef_config_line) */
	char mef_fqdn[M2M_CFG_STR];        /* mef-fqdn, required: the FQDN of KeIDs (hex@FQDN) */
	char https_listen[M2M_CFG_STR];    /* https-listen, default "127.0.0.1:8444" */
	char store[M2M_CFG_STR];           /* store, default "var/mef.db" */
	char cert[M2M_CFG_STR];            /* cert, default "": the MEF's FQDN certificate */
	char key[M2M_CFG_STR];             /* key, default "" */
	char trust_anchors[M2M_CFG_STR];   /* trust-anchors, default "": CAs of enrolees and targets */
	char ca_dir[M2M_CFG_STR];          /* ca-dir, default "": `m2msec ca init` directory (EST) */
	char log_file[M2M_CFG_STR];        /* log-file, default "" = stderr */
	char log_level[16];                /* log-level, default "info" */
	bool tls13;                        /* tls13, default true */
	int threads;                       /* threads, default 0 = one per core */
	size_t max_body;                   /* max-body, default 65536 */
	size_t max_header;                 /* max-header, default 8192 */
	int max_connections;               /* max-connections, default 0 = derived */
	int max_connections_per_address;   /* max-connections-per-address, default 0 = derived */
	int header_timeout;                /* header-timeout, default 10 seconds */
	bool log_requests;                 /* log-requests, default true */
	int enrolment_expiry_days;         /* enrolment-expiry-days, default 365 */
	int rate_limit_per_identity;       /* rate-limit-per-identity, requests/minute, default 60, 0 = off */
	int rate_limit_per_address;        /* rate-limit-per-address, requests/minute, default 600, 0 = off */
	char sp_id[M2M_CFG_STR];           /* sp-id, default "": SP of SP-relative target CSE-IDs
					    * ("//sp.example.com" or a bare FQDN) */
	char est_uri[M2M_CFG_STR];         /* est-uri, default "": the EST base URI announced in
					    * CERT_PROV (https://...); "" = no certificate enrolment */
	bool store_sync_full;              /* store-sync, default normal (false): the service's
					    * connections; the operator CLI always syncs (full) */
	char maf_fqdns[M2M_CFG_STR];       /* maf-fqdns, default "": space-separated MAF-FQDNs, each
					    * "<label>.<SP FQDN>"; a certificate with that DNS SAN is a
					    * MAF (fetches SUID 21 only), never a CSE target */
	char coaps_listen[M2M_CFG_STR];    /* coaps-listen, default "" (off): CoAP over DTLS 1.2
					    * (TS-0008), host:port; the same PSK resolver chain and
					    * associations as https-listen; EST stays HTTPS only */
	char bsf_listen[M2M_CFG_STR];      /* bsf-listen, default "" (off): the BSF's Ub listener
					    * (TS-0003 8.3.2.3, TS 33.220 4.5.2), host:port, HTTPS
					    * with server authentication only (cert + key) */
	char hss_file[M2M_CFG_STR];        /* hss-file, default "": the test HSS (m2msec/hss.h),
					    * 0600; required with bsf-listen */
	int bootstrap_lifetime;            /* bootstrap-lifetime, default 3600 seconds: Ks lifetime */
	char metrics_listen[M2M_CFG_STR];  /* metrics-listen, default "" (off): the loopback-only
					    * plain-HTTP listener of GET /metrics (docs/operations.md) */
	char admin_listen[M2M_CFG_STR];    /* admin-listen, default "" (off): the operator console
					    * (docs/procedures/console.md), HTTPS host:port */
	char admin_ca[M2M_CFG_STR];        /* admin-ca, default "": the CA(s) of admin client
					    * certificates; required with admin-listen */
	char admin_identity[M2M_CFG_STR];  /* admin-identity, default "": the DNS SAN or subject CN
					    * the admin certificate must carry; required with admin-listen */
	int drain_seconds;                 /* drain-seconds, default 10 (1..600): SIGTERM's bound on
					    * answering requests in flight (docs/operations.md) */
} m2m_mef_svc_config;

/* Fill cfg with the documented defaults of [mef]. */
M2M_API void m2m_mef_config_defaults(m2m_mef_svc_config *cfg);
/* Parse the [mef] section of INI text (other known sections are skipped; an unknown section is an
 * error). *found (may be NULL) tells whether the text has a [mef] section. Errors as for
 * m2m_cse_config_parse. */
M2M_API M2M_WUR m2m_err m2m_mef_config_parse(m2m_mef_svc_config *cfg, const char *text, size_t len, bool *found,
					      char *errmsg, size_t errcap);
/* Cross-field validation of [mef] (mef-fqdn, https-listen, cert + key, ranges); errmsg as for
 * m2m_cse_config_validate. */
M2M_API M2M_WUR m2m_err m2m_mef_config_validate(const m2m_mef_svc_config *cfg, char *errmsg, size_t errcap);
/* The line that set key in [mef] (0 = default or unknown key). */
M2M_API unsigned m2m_mef_config_line(const m2m_mef_svc_config *cfg, const char *key);

/*
 * The [maf] section (docs/config.md): the M2M Authentication Function (TS-0003 clause 8.8,
 * docs/procedures/maf.md). The listener keys (threads .. log-requests) are the same definitions
 * as the CSE's and the MEF's; mef-* are the MAF's own association with the MEF (it is an
 * Enrolment Target of the MEF, for Km of clause 10.3.2).
 */
typedef struct m2m_maf_svc_config {
	unsigned key_line[M2M_CFG_MAX_KEYS]; /* as m2m_cse_config.key_line (m2m_maf_config_line) */
	char maf_fqdn[M2M_CFG_STR];        /* maf-fqdn, required: MAF-ID, the FQDN of KmIDs and Kc IDs */
	char https_listen[M2M_CFG_STR];    /* https-listen, default "127.0.0.1:8445" */
	char store[M2M_CFG_STR];           /* store, default "var/maf.db" (credential store) */
	char cert[M2M_CFG_STR];            /* cert, default "": the MAF's FQDN certificate */
	char key[M2M_CFG_STR];             /* key, default "" */
	char trust_anchors[M2M_CFG_STR];   /* trust-anchors, default "": CAs of certificate clients */
	char mef_url[M2M_CFG_STR];         /* mef-url, default "" = no Km from a MEF: https://HOST:PORT */
	char mef_ca[M2M_CFG_STR];          /* mef-ca, default "": CA file that authenticates the MEF */
	char mef_cert[M2M_CFG_STR];        /* mef-cert, default "": the MAF's certificate towards the MEF */
	char mef_key[M2M_CFG_STR];         /* mef-key, default "": its private key (0600) */
	char log_file[M2M_CFG_STR];        /* log-file, default "" = stderr */
	char log_level[16];                /* log-level, default "info" */
	bool tls13;                        /* tls13, default true */
	int threads;                       /* threads, default 0 = one per core */
	size_t max_body;                   /* max-body, default 65536 */
	size_t max_header;                 /* max-header, default 8192 */
	int max_connections;               /* max-connections, default 0 = derived */
	int max_connections_per_address;   /* max-connections-per-address, default 0 = derived */
	int header_timeout;                /* header-timeout, default 10 seconds */
	bool log_requests;                 /* log-requests, default true */
	char sp_id[M2M_CFG_STR];           /* sp-id, default "": SP of SP-relative target IDs */
	char mef_name[M2M_CFG_STR];        /* mef-name, default "" = the host of mef-url: the MEF's
					    * FQDN (KeIDs *@mef-name are remote provisioning) */
	int mef_cache_seconds;             /* mef-cache-seconds, default 60: Km from the MEF re-checked
					    * when its last check is older */
	int max_key_lifetime;              /* max-key-lifetime, seconds, default 86400: Kc expiry cap */
	int max_registration_lifetime;     /* max-registration-lifetime, seconds, default 31536000 */
	int rate_limit_per_identity;       /* rate-limit-per-identity, requests/minute, default 60, 0 = off */
	int rate_limit_per_address;        /* rate-limit-per-address, requests/minute, default 600, 0 = off */
	int psk_lookup_timeout_ms;         /* psk-lookup-timeout-ms, default 3000: deadline of a MEF fetch */
	int psk_lookups_max;               /* psk-lookups-max, default 256: lookups one loop waits on */
	int max_keys_per_client;           /* max-keys-per-client, default 64: unexpired keys per client */
	char coaps_listen[M2M_CFG_STR];    /* coaps-listen, default "" (off): CoAP over DTLS 1.2
					    * (TS-0008), host:port; the same PSK resolvers and associations
					    * as https-listen */
	char metrics_listen[M2M_CFG_STR];  /* metrics-listen, default "" (off): the loopback-only
					    * plain-HTTP listener of GET /metrics (docs/operations.md) */
	/* The MAF as NAF of the GBA-based RSPF: the CSE's keys and meanings (docs/procedures/gba.md) */
	char bsf_url[M2M_CFG_STR];         /* bsf-url, default "" = no GBA: the MEF/BSF, https://HOST:PORT */
	char bsf_ca[M2M_CFG_STR];          /* bsf-ca: the CA that authenticates the BSF */
	char bsf_cert[M2M_CFG_STR];        /* bsf-cert: this MAF's certificate towards the BSF */
	char bsf_key[M2M_CFG_STR];         /* bsf-key: its private key (0600) */
	char bsf_name[M2M_CFG_STR];        /* bsf-name, default "" = the host of bsf-url: the FQDN of B-TIDs */
	int bsf_cache_seconds;             /* bsf-cache-seconds, default 60: longest a NAF key is cached */
	char gba_naf_key[16];              /* gba-naf-key, default "ks-naf" (GBA_ME); ks-ext-naf, ks-int-naf */
	int drain_seconds;                 /* drain-seconds, default 10 (1..600): SIGTERM's bound on
					    * answering requests in flight (docs/operations.md) */
} m2m_maf_svc_config;

/* Fill cfg with the documented defaults of [maf]. */
M2M_API void m2m_maf_config_defaults(m2m_maf_svc_config *cfg);
/* Parse the [maf] section of INI text (other known sections are skipped); *found as for
 * m2m_mef_config_parse. Errors as for m2m_cse_config_parse. */
M2M_API M2M_WUR m2m_err m2m_maf_config_parse(m2m_maf_svc_config *cfg, const char *text, size_t len, bool *found,
					      char *errmsg, size_t errcap);
/* Cross-field validation of [maf] (maf-fqdn, https-listen, cert + key, the mef-* group, ranges);
 * errmsg as for m2m_cse_config_validate. */
M2M_API M2M_WUR m2m_err m2m_maf_config_validate(const m2m_maf_svc_config *cfg, char *errmsg, size_t errcap);
/* The line that set key in [maf] (0 = default or unknown key). */
M2M_API unsigned m2m_maf_config_line(const m2m_maf_svc_config *cfg, const char *key);

/*
 * The [das] section (docs/config.md): the Dynamic Authorization Server (TS-0003 clause 7.3,
 * docs/procedures/das.md). Its tokens are ES256 JWS signed with the key of `cert` (`key`). The
 * listener keys (threads .. log-requests) are the same definitions as the other services'.
 */
typedef struct m2m_das_svc_config {
	unsigned key_line[M2M_CFG_MAX_KEYS]; /* as m2m_cse_config.key_line (m2m_das_config_line) */
	char das_id[M2M_CFG_STR];          /* das-id, required: the DAS's Absolute AE-ID
					    * (//FQDN/...): "iss" of its tokens; the FQDN is the
					    * issuerID of its token IDs (m2m:tokenID name@fqdn) */
	char https_listen[M2M_CFG_STR];    /* https-listen, default "127.0.0.1:8446" */
	char store[M2M_CFG_STR];           /* store, default "var/das.db" */
	char cert[M2M_CFG_STR];            /* cert, required: the DAS's certificate (EC P-256) */
	char key[M2M_CFG_STR];             /* key, required: its private key (0600), the ES256 signing key */
	char trust_anchors[M2M_CFG_STR];   /* trust-anchors, default "": CAs of its clients */
	char policy[M2M_CFG_STR];          /* policy, default "": the grant-rule file */
	char log_file[M2M_CFG_STR];        /* log-file, default "" = stderr */
	char log_level[16];                /* log-level, default "info" */
	bool tls13;                        /* tls13, default true */
	int threads;                       /* threads, default 0 = one per core */
	size_t max_body;                   /* max-body, default 65536 */
	size_t max_header;                 /* max-header, default 8192 */
	int max_connections;               /* max-connections, default 0 = derived */
	int max_connections_per_address;   /* max-connections-per-address, default 0 = derived */
	int header_timeout;                /* header-timeout, default 10 seconds */
	bool log_requests;                 /* log-requests, default true */
	int rate_limit_per_identity;       /* rate-limit-per-identity, requests/minute, default 60, 0 = off */
	int rate_limit_per_address;        /* rate-limit-per-address, requests/minute, default 600, 0 = off */
	int max_token_lifetime;            /* max-token-lifetime, seconds, default 86400: longest
					    * notAfter - notBefore of an issued token */
	char metrics_listen[M2M_CFG_STR];  /* metrics-listen, default "" (off): the loopback-only
					    * plain-HTTP listener of GET /metrics (docs/operations.md) */
	int drain_seconds;                 /* drain-seconds, default 10 (1..600): SIGTERM's bound on
					    * answering requests in flight (docs/operations.md) */
} m2m_das_svc_config;

/* Fill cfg with the documented defaults of [das]. */
M2M_API void m2m_das_config_defaults(m2m_das_svc_config *cfg);
/* Parse the [das] section of INI text (other known sections are skipped); *found as for
 * m2m_mef_config_parse. Errors as for m2m_cse_config_parse. */
M2M_API M2M_WUR m2m_err m2m_das_config_parse(m2m_das_svc_config *cfg, const char *text, size_t len, bool *found,
					      char *errmsg, size_t errcap);
/* Cross-field validation of [das] (das-id, https-listen, cert + key required, ranges); errmsg
 * as for m2m_cse_config_validate. */
M2M_API M2M_WUR m2m_err m2m_das_config_validate(const m2m_das_svc_config *cfg, char *errmsg, size_t errcap);
/* The line that set key in [das] (0 = default or unknown key). */
M2M_API unsigned m2m_das_config_line(const m2m_das_svc_config *cfg, const char *key);
/* The FQDN of das-id ("//das.example.com/..." -> "das.example.com"); M2M_E_CONFIG when das-id
 * is not an Absolute AE-ID. */
M2M_API M2M_WUR m2m_err m2m_das_config_fqdn(const m2m_das_svc_config *cfg, char *out, size_t outcap);

/* Split "host:port" / "[v6]:port" into host and port; M2M_E_CONFIG on malformed input. */
M2M_API M2M_WUR m2m_err m2m_config_split_listen(const char *s, char *host, size_t hostcap, int *port);
/* True when host is a loopback address literal (127.0.0.0/8, ::1) or "localhost". */
M2M_API bool m2m_config_is_loopback(const char *host);

#endif
