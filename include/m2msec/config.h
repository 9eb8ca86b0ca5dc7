/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the configuration of the secure CSE (docs/config.md): an INI file of
 * `key = value` lines (optional [cse] section header, '#' or ';' comments). Every key has a
 * documented strict default; an unknown key, a duplicate key or a malformed value is an error
 * (a typo must not silently weaken security). Validation that needs no I/O happens here
 * (identifier syntax, listen address syntax, loopback-only rules); file permissions are checked
 * by the modules that open the files.
 */
#ifndef M2MSEC_CONFIG_H
#define M2MSEC_CONFIG_H

#include "m2msec/err.h"

#define M2M_CFG_STR 512

typedef struct m2m_cse_config {
	char cse_id[M2M_CFG_STR];          /* cse-id, default "/id-in" (SP-relative CSE-ID) */
	char name[M2M_CFG_STR];            /* name, default "cse-in" (CSEBase resourceName) */
	char sp_id[M2M_CFG_STR];           /* sp-id, default "//m2msec.example.com" */
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
	bool store_sync_full;              /* store-sync, default normal (false); full = true */
} m2m_cse_config;

/* Fill cfg with the documented defaults. */
M2M_API void m2m_cse_config_defaults(m2m_cse_config *cfg);
/* Parse INI text (len bytes) on top of the current values of cfg. On error, errmsg gets
 * "line N: <reason>" and cfg may be partly updated (callers discard it). */
M2M_API M2M_WUR m2m_err m2m_cse_config_parse(m2m_cse_config *cfg, const char *text, size_t len,
					      char *errmsg, size_t errcap);
/* Cross-field validation after parsing (e.g. http-listen must be loopback; the admin plain-HTTP
 * switch needs a loopback http-listen; cert and key come together). */
M2M_API M2M_WUR m2m_err m2m_cse_config_validate(const m2m_cse_config *cfg, char *errmsg, size_t errcap);
/* Split "host:port" / "[v6]:port" into host and port; M2M_E_CONFIG on malformed input. */
M2M_API M2M_WUR m2m_err m2m_config_split_listen(const char *s, char *host, size_t hostcap, int *port);
/* True when host is a loopback address literal (127.0.0.0/8, ::1) or "localhost". */
M2M_API bool m2m_config_is_loopback(const char *host);

#endif
