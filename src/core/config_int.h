/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the generic INI engine shared by every service's
 * configuration (src/core/config.c; docs/config.md). A service describes its keys in a table
 * (name, type, offset, size, range) and its [section]; the engine parses one section of a file
 * that may hold several ([cse], [mef], [maf], [das]), strictly: an unknown key, a repeated key, a
 * bad value or an unknown section is an error "line N: ...". The line that set each key is kept
 * so cross-field validation can name it.
 */
#ifndef M2M_CORE_CONFIG_INT_H
#define M2M_CORE_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "m2msec/config.h"

enum m2mi_cfg_type {
	M2MI_CFG_STR,   /* string, < cap bytes */
	M2MI_CFG_BOOL,  /* true|false|on|off|yes|no|1|0 */
	M2MI_CFG_INT,   /* int within [min, max] */
	M2MI_CFG_SIZE,  /* size_t within [min, max] */
	M2MI_CFG_LEVEL, /* debug|info|warn|error */
	M2MI_CFG_SSP,   /* off|enforce → bool */
	M2MI_CFG_SYNC,  /* normal|full → bool */
};

struct m2mi_cfg_key {
	const char *name;
	enum m2mi_cfg_type type;
	size_t off; /* offset of the field in the service's struct */
	size_t cap; /* STR/LEVEL: buffer size */
	long long min, max; /* INT/SIZE: accepted range */
};

struct m2mi_cfg_section {
	const char *name;                 /* "cse", "mef", ... */
	const struct m2mi_cfg_key *keys;
	size_t nkeys;
	size_t line_off;                  /* offset of the struct's unsigned key_line[M2M_CFG_MAX_KEYS] */
	bool implicit;                    /* keys before any section header belong to this one */
};

/* Table helpers: T is the service's struct type. */
#define M2MI_CFG_FIELD_SIZE(T, f) sizeof(((T *)0)->f)
#define M2MI_STR(T, n, f) {n, M2MI_CFG_STR, offsetof(T, f), M2MI_CFG_FIELD_SIZE(T, f), 0, 0}
#define M2MI_KEY(T, n, t, f) {n, t, offsetof(T, f), 0, 0, 0}
#define M2MI_INT(T, n, f, lo, hi) {n, M2MI_CFG_INT, offsetof(T, f), 0, lo, hi}
#define M2MI_SIZE(T, n, f, lo, hi) {n, M2MI_CFG_SIZE, offsetof(T, f), 0, lo, hi}
#define M2MI_LEVEL(T, n, f) {n, M2MI_CFG_LEVEL, offsetof(T, f), M2MI_CFG_FIELD_SIZE(T, f), 0, 0}

/*
 * The keys of the HTTPS listener every service shares (src/cli/service.c): one definition, used in
 * every service's table. T must have fields of these names and types (see m2m_cse_config).
 */
#define M2MI_CFG_SERVER_KEYS(T)                                                       \
	M2MI_INT(T, "threads", threads, 0, 1000000),                                  \
	M2MI_SIZE(T, "max-body", max_body, 256, 1ll << 30),                           \
	M2MI_SIZE(T, "max-header", max_header, 256, 1ll << 30),                       \
	M2MI_INT(T, "max-connections", max_connections, 0, 1000000),                  \
	M2MI_INT(T, "max-connections-per-address", max_connections_per_address, 0, 1000000), \
	M2MI_INT(T, "header-timeout", header_timeout, 0, 1000000),                    \
	M2MI_KEY(T, "log-requests", M2MI_CFG_BOOL, log_requests)

/* The documented defaults of the listener keys of an HTTPS-only service (mef, maf; docs/config.md):
 * log-level info, tls13 on, max-body 65536 (procedure bodies are small), max-header 8192,
 * header-timeout 10 s, log-requests on, rate limits 60 per identity / 600 per address a minute. */
#define M2MI_CFG_HTTPS_DEFAULTS(cfg)                                                  \
	do {                                                                          \
		snprintf((cfg)->log_level, sizeof((cfg)->log_level), "info");         \
		(cfg)->tls13 = true;                                                  \
		(cfg)->max_body = 65536;                                              \
		(cfg)->max_header = 8192;                                             \
		(cfg)->header_timeout = 10;                                           \
		(cfg)->log_requests = true;                                           \
		(cfg)->rate_limit_per_identity = 60;                                  \
		(cfg)->rate_limit_per_address = 600;                                  \
	} while (0)

/* The keys an HTTPS-only service (mef, maf) validates alike, in this order and with the same
 * messages: https-listen host:port, store set, cert and key together, header-timeout 1..3600,
 * sp-id //FQDN or FQDN (by the service's is_fqdn). */
struct m2mi_cfg_https {
	const char *https_listen, *store, *cert, *key, *sp_id;
	int header_timeout;
	const char *store_what;         /* "the SQLite database file": "store must name <store_what>" */
	bool (*is_fqdn)(const char *s); /* the service's FQDN rule for sp-id */
	const char *coaps_listen;       /* NULL, "" or "off" = none; else host:port (TS-0008 DTLS door) */
};
m2m_err m2mi_cfg_check_https(const void *cfg, const struct m2mi_cfg_section *sec, const struct m2mi_cfg_https *h,
			     char *errmsg, size_t errcap);

/* The rate limits of a service's procedures (requests/minute per client identity and per source
 * address, 0 = off; src/cli/svc_rate.c). T has int fields of these names. */
#define M2MI_CFG_RATE_KEYS(T)                                                          \
	M2MI_INT(T, "rate-limit-per-identity", rate_limit_per_identity, 0, 1000000),   \
	M2MI_INT(T, "rate-limit-per-address", rate_limit_per_address, 0, 1000000)

/* The keys of an entity acting as NAF of the GBA-based RSPF (TS-0003 8.3.2.3; docs/procedures/gba.md
 * "Zn"): the CSE and the MAF read them with one definition, in this order. T has the fields
 * bsf_url, bsf_ca, bsf_cert, bsf_key, bsf_name (strings), bsf_cache_seconds (int) and gba_naf_key. */
#define M2MI_CFG_BSF_KEYS(T)                                                           \
	M2MI_STR(T, "bsf-url", bsf_url),                                               \
	M2MI_STR(T, "bsf-ca", bsf_ca),                                                 \
	M2MI_STR(T, "bsf-cert", bsf_cert),                                             \
	M2MI_STR(T, "bsf-key", bsf_key),                                               \
	M2MI_STR(T, "bsf-name", bsf_name),                                             \
	M2MI_INT(T, "bsf-cache-seconds", bsf_cache_seconds, 0, 86400),                 \
	M2MI_STR(T, "gba-naf-key", gba_naf_key)

/* The NAF keys' values, validated alike for every service (config.c): gba-naf-key a known kind;
 * without bsf-url none of bsf-ca/-cert/-key/-name; with it https://HOST:PORT, all three files
 * (Zn is mutually authenticated) and bsf-name an FQDN. */
struct m2mi_cfg_bsf {
	const char *url, *ca, *cert, *key, *name, *naf_key;
};
m2m_err m2mi_cfg_check_bsf(const void *cfg, const struct m2mi_cfg_section *sec, const struct m2mi_cfg_bsf *b,
			   char *errmsg, size_t errcap);

/* Parse the section sec of text into cfg (on top of its current values). Lines of the other known
 * sections are skipped (each service reads its own); an unknown section is an error. When
 * found != NULL it is set to whether sec's header (or, for an implicit section, any of its keys)
 * appeared. Errors: M2M_E_CONFIG with errmsg "line N: reason"; M2M_E_INVAL on bad arguments. */
m2m_err m2mi_cfg_parse(void *cfg, const struct m2mi_cfg_section *sec, const char *text, size_t len,
		       bool *found, char *errmsg, size_t errcap);
/* The line that set key in cfg (0: default or unknown key). */
unsigned m2mi_cfg_line(const void *cfg, const struct m2mi_cfg_section *sec, const char *key);
/* errmsg = "line N: why" when key was set on line N, else "why"; returns M2M_E_CONFIG. */
m2m_err m2mi_cfg_fail_at(const void *cfg, const struct m2mi_cfg_section *sec, char *errmsg, size_t errcap,
			 const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* metrics-listen ("" or "off" = none): host:port on a loopback address (/metrics has no
 * authentication, docs/operations.md). */
m2m_err m2mi_cfg_check_metrics(const void *cfg, const struct m2mi_cfg_section *sec, const char *metrics_listen,
			       char *errmsg, size_t errcap);
#endif
