/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE configuration parser (docs/config.md): INI text → m2m_cse_config.
 * Pure (the caller reads the file). Strict by design: an unknown key, a repeated key, or a value
 * that does not parse is an error with its line number, because a silently ignored typo in a
 * security setting fails open. Defaults are the strict values of TS-0003 deployments: TLS on,
 * plain HTTP off, admin only over an authenticated association.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/config.h"
#include "core/addr_policy.h"

enum cfg_type { CFG_STR, CFG_BOOL, CFG_INT, CFG_SIZE, CFG_LEVEL, CFG_SSP };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t cap; /* CFG_STR: buffer size */
};

#define STR(name, field) {name, CFG_STR, offsetof(m2m_cse_config, field), sizeof(((m2m_cse_config *)0)->field)}
#define KEY(name, type, field) {name, type, offsetof(m2m_cse_config, field), 0}

static const struct cfg_key cfg_keys[] = {
	STR("cse-id", cse_id),
	STR("name", name),
	STR("sp-id", sp_id),
	STR("store", store),
	STR("https-listen", https_listen),
	STR("http-listen", http_listen),
	STR("cert", cert),
	STR("key", key),
	STR("trust-anchors", trust_anchors),
	STR("psk-file", psk_file),
	STR("cred-store", cred_store),
	STR("admin-originator", admin_originator),
	KEY("dev-admin-over-plain-http", CFG_BOOL, admin_plain_http),
	KEY("tls13", CFG_BOOL, tls13),
	KEY("threads", CFG_INT, threads),
	KEY("max-body", CFG_SIZE, max_body),
	KEY("max-header", CFG_SIZE, max_header),
	{"log-level", CFG_LEVEL, offsetof(m2m_cse_config, log_level), sizeof(((m2m_cse_config *)0)->log_level)},
	STR("log-file", log_file),
	KEY("service-subscription", CFG_SSP, service_subscription),
	KEY("discovery-scan-max", CFG_INT, discovery_scan_max),
	KEY("discovery-lim-default", CFG_INT, discovery_lim_default),
	KEY("max-connections", CFG_INT, max_connections),
	KEY("max-connections-per-address", CFG_INT, max_connections_per_address),
	KEY("header-timeout", CFG_INT, header_timeout),
	KEY("log-requests", CFG_BOOL, log_requests),
	STR("notify-allow", notify_allow),
	STR("notify-deny", notify_deny),
	STR("crl-file", crl_file),
	KEY("crl-refresh-seconds", CFG_INT, crl_refresh_seconds),
};
#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))
_Static_assert(NKEYS <= M2M_CFG_MAX_KEYS, "raise M2M_CFG_MAX_KEYS in m2msec/config.h");

void m2m_cse_config_defaults(m2m_cse_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->cse_id, sizeof(cfg->cse_id), "/id-in");
	snprintf(cfg->name, sizeof(cfg->name), "cse-in");
	snprintf(cfg->sp_id, sizeof(cfg->sp_id), "//m2msec.example.com");
	snprintf(cfg->store, sizeof(cfg->store), "var/cse.db");
	snprintf(cfg->https_listen, sizeof(cfg->https_listen), "127.0.0.1:8443");
	snprintf(cfg->http_listen, sizeof(cfg->http_listen), "off");
	snprintf(cfg->admin_originator, sizeof(cfg->admin_originator), "CAdmin");
	cfg->tls13 = true;
	cfg->max_body = 1048576;
	cfg->max_header = 8192;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	cfg->discovery_scan_max = 10000;
	cfg->discovery_lim_default = 1000;
	cfg->header_timeout = 10;
	cfg->log_requests = true;
}

static int seterr(char *errmsg, size_t cap, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int seterr(char *errmsg, size_t cap, int line, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (errmsg != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		snprintf(errmsg, cap, "line %d: %s", line, why);
	}
	return M2M_E_CONFIG;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static m2m_err set_value(m2m_cse_config *cfg, const struct cfg_key *k, const char *v)
{
	char *end = NULL;
	void *field = (char *)cfg + k->off;

	switch (k->type) {
	case CFG_STR:
	case CFG_LEVEL:
		if (strlen(v) >= (k->cap ? k->cap : sizeof(cfg->log_level)))
			return M2M_E_TOO_LARGE;
		if (k->type == CFG_LEVEL && strcmp(v, "debug") != 0 && strcmp(v, "info") != 0 &&
		    strcmp(v, "warn") != 0 && strcmp(v, "error") != 0)
			return M2M_E_CONFIG;
		snprintf(field, k->type == CFG_LEVEL ? sizeof(cfg->log_level) : k->cap, "%s", v);
		return M2M_OK;
	case CFG_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "no") == 0 ||
			 strcmp(v, "0") == 0)
			*(bool *)field = false;
		else
			return M2M_E_CONFIG;
		return M2M_OK;
	case CFG_INT: {
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0 || n > 1000000)
			return M2M_E_CONFIG;
		*(int *)field = (int)n;
		return M2M_OK;
	}
	case CFG_SSP: /* off | enforce (docs/config.md) */
		if (strcmp(v, "off") != 0 && strcmp(v, "enforce") != 0)
			return M2M_E_CONFIG;
		*(bool *)field = strcmp(v, "enforce") == 0;
		return M2M_OK;
	case CFG_SIZE: {
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < 256 || n > (1ull << 30))
			return M2M_E_CONFIG;
		*(size_t *)field = (size_t)n;
		return M2M_OK;
	}
	}
	return M2M_E_CONFIG;
}

/* TS-0001 Table 7.2-1 writes the M2M-SP-ID as //FQDN; people type the bare FQDN (it is what the
 * certificates and DNS show). Both mean the same SP, so the bare form is normalised here and every
 * consumer sees //FQDN. */
static m2m_err normalise_sp_id(m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char tmp[sizeof(cfg->sp_id)];

	if (cfg->sp_id[0] == '\0' || cfg->sp_id[0] == '/')
		return M2M_OK;
	if (strlen(cfg->sp_id) + 2 >= sizeof(cfg->sp_id))
		return seterr(errmsg, errcap, (int)m2m_cse_config_line(cfg, "sp-id"),
			      "invalid value for 'sp-id'");
	snprintf(tmp, sizeof(tmp), "//%s", cfg->sp_id);
	memcpy(cfg->sp_id, tmp, sizeof(tmp));
	return M2M_OK;
}

m2m_err m2m_cse_config_parse(m2m_cse_config *cfg, const char *text, size_t len, char *errmsg, size_t errcap)
{
	bool seen[NKEYS] = {false};
	char line[1024];
	size_t pos = 0;
	int lineno = 0;

	if (cfg == NULL || (text == NULL && len > 0))
		return M2M_E_INVAL;
	if (memchr(text, '\0', len) != NULL)
		return seterr(errmsg, errcap, 0, "configuration contains a NUL byte");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *s, *eq, *key, *val;
		size_t i;

		lineno++;
		if (n >= sizeof(line))
			return seterr(errmsg, errcap, lineno, "line too long");
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (strcmp(s, "[cse]") != 0)
				return seterr(errmsg, errcap, lineno, "unknown section %s", s);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL)
			return seterr(errmsg, errcap, lineno, "expected key = value");
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		for (i = 0; i < NKEYS; i++)
			if (strcmp(cfg_keys[i].name, key) == 0)
				break;
		if (i == NKEYS)
			return seterr(errmsg, errcap, lineno, "unknown key '%.64s'", key);
		if (seen[i])
			return seterr(errmsg, errcap, lineno, "key '%s' given twice", key);
		seen[i] = true;
		cfg->key_line[i] = (unsigned)lineno;
		if (set_value(cfg, &cfg_keys[i], val) != M2M_OK)
			return seterr(errmsg, errcap, lineno, "invalid value for '%s'", key);
	}
	return normalise_sp_id(cfg, errmsg, errcap);
}

unsigned m2m_cse_config_line(const m2m_cse_config *cfg, const char *key)
{
	for (size_t i = 0; cfg != NULL && key != NULL && i < NKEYS; i++)
		if (strcmp(cfg_keys[i].name, key) == 0)
			return cfg->key_line[i];
	return 0;
}

bool m2m_config_is_loopback(const char *host)
{
	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	if (strncmp(host, "127.", 4) == 0) {
		int dots = 0;
		for (const char *p = host + 4; *p; p++) {
			if (*p == '.')
				dots++;
			else if (!isdigit((unsigned char)*p))
				return false;
		}
		return dots == 2;
	}
	return false;
}

m2m_err m2m_config_split_listen(const char *s, char *host, size_t hostcap, int *port)
{
	const char *colon;
	size_t hl;
	char *end = NULL;
	long p;

	if (s == NULL || host == NULL || port == NULL)
		return M2M_E_INVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return M2M_E_CONFIG;
		hl = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return M2M_E_CONFIG;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostcap)
		return M2M_E_CONFIG;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || p < 0 || p > 65535)
		return M2M_E_CONFIG;
	*port = (int)p;
	return M2M_OK;
}

static bool enabled(const char *listen)
{
	return listen[0] != '\0' && strcmp(listen, "off") != 0;
}

/* errmsg = "line N: why" when key was set on line N of the file, else just "why". */
static m2m_err fail_at(const m2m_cse_config *cfg, char *errmsg, size_t errcap, const char *key,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static m2m_err fail_at(const m2m_cse_config *cfg, char *errmsg, size_t errcap, const char *key,
		       const char *fmt, ...)
{
	unsigned line = m2m_cse_config_line(cfg, key);
	char why[256];
	va_list ap;

	if (errmsg != NULL && errcap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		if (line > 0)
			snprintf(errmsg, errcap, "line %u: %s", line, why);
		else
			snprintf(errmsg, errcap, "%s", why);
	}
	return M2M_E_CONFIG;
}

/* The later of the lines that set a and b (the one that made the pair inconsistent). */
static const char *later(const m2m_cse_config *cfg, const char *a, const char *b)
{
	return m2m_cse_config_line(cfg, b) > m2m_cse_config_line(cfg, a) ? b : a;
}

m2m_err m2m_cse_config_validate(const m2m_cse_config *cfg, char *errmsg, size_t errcap)
{
	char host[256];
	int port;

	/* FAIL_AT(key, ...): the error names the line that set key (docs/config.md "line N"). */
#define FAIL_AT(key, ...) return fail_at(cfg, errmsg, errcap, key, __VA_ARGS__)
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
	if (enabled(cfg->http_listen)) {
		if (m2m_config_split_listen(cfg->http_listen, host, sizeof(host), &port) != M2M_OK)
			FAIL_AT("http-listen", "http-listen must be host:port");
		/* Everything on plain HTTP is unauthenticated: never expose it beyond this host. */
		if (!m2m_config_is_loopback(host))
			FAIL_AT("http-listen", "http-listen must be a loopback address (127.0.0.0/8, ::1, localhost)");
	} else if (cfg->admin_plain_http) {
		FAIL_AT("dev-admin-over-plain-http", "dev-admin-over-plain-http needs a loopback http-listen");
	}
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
#undef FAIL
#undef FAIL_AT
	return M2M_OK;
}
