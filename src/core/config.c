/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the INI engine every service's configuration uses (docs/config.md):
 * `key = value` lines in [cse], [mef], [maf] and [das] sections, '#' or ';' comments. Pure (the
 * caller reads the file). Strict by design: an unknown key, a repeated key, a value that does not
 * parse or an unknown section is an error with its line number, because a silently ignored typo
 * in a security setting fails open. Each service's key table and cross-field validation live in
 * config_<service>.c; one file may configure several services, each reading its own section.
 */
#define _GNU_SOURCE /* secure_getenv: a %d/ path is not taken from a setuid caller's environment */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"
#include "m2msec/gba_zn.h"
#include "m2msec/id.h"

/* Every section name a service of m2msec reads: the others' sections are skipped, anything else
 * is a typo and an error. */
static const char *const known_sections[] = {"cse", "mef", "maf", "das"};

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

static m2m_err set_value(void *cfg, const struct m2mi_cfg_key *k, const char *v)
{
	/* the two words of a two-way choice, false first: [0] service-subscription, [1] store-sync */
	static const char *const choice[2][2] = {{"off", "enforce"}, {"normal", "full"}};
	char *end = NULL;
	void *field = (char *)cfg + k->off;
	bool sync = k->type == M2MI_CFG_SYNC;

	switch (k->type) {
	case M2MI_CFG_STR:
		/* "%d/name": the credential "name" that systemd's LoadCredential= placed in
		 * $CREDENTIALS_DIRECTORY (docs/operations.md); like the %d specifier of unit files */
		if (strncmp(v, "%d/", 3) == 0) { /* public: syntax */
			const char *dir = secure_getenv("CREDENTIALS_DIRECTORY");
			int n;
			if (dir == NULL || dir[0] == '\0')
				return M2M_E_NOT_FOUND;
			n = snprintf(field, k->cap, "%s/%s", dir, v + 3);
			return n < 0 || (size_t)n >= k->cap ? M2M_E_TOO_LARGE : M2M_OK;
		}
		/* fall through */
	case M2MI_CFG_LEVEL:
		if (strlen(v) >= k->cap)
			return M2M_E_TOO_LARGE;
		if (k->type == M2MI_CFG_LEVEL && strcmp(v, "debug") != 0 && strcmp(v, "info") != 0 &&
		    strcmp(v, "warn") != 0 && strcmp(v, "error") != 0)
			return M2M_E_CONFIG;
		snprintf(field, k->cap, "%s", v);
		return M2M_OK;
	case M2MI_CFG_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "no") == 0 ||
			 strcmp(v, "0") == 0)
			*(bool *)field = false;
		else
			return M2M_E_CONFIG;
		return M2M_OK;
	case M2MI_CFG_INT: {
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < k->min || n > k->max || n > INT32_MAX)
			return M2M_E_CONFIG;
		*(int *)field = (int)n;
		return M2M_OK;
	}
	case M2MI_CFG_SSP:  /* off | enforce (service-subscription) */
	case M2MI_CFG_SYNC: /* normal | full (store-sync: the PRAGMA synchronous, nothing else) */
		if (strcmp(v, choice[sync][0]) != 0 && strcmp(v, choice[sync][1]) != 0)
			return M2M_E_CONFIG;
		*(bool *)field = strcmp(v, choice[sync][1]) == 0;
		return M2M_OK;
	case M2MI_CFG_SIZE: {
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < (unsigned long long)k->min ||
		    n > (unsigned long long)k->max)
			return M2M_E_CONFIG;
		*(size_t *)field = (size_t)n;
		return M2M_OK;
	}
	}
	return M2M_E_CONFIG;
}

/* "[name]" → 1 = this section, 0 = another known one, -1 = unknown. */
static int section_of(const char *s, const struct m2mi_cfg_section *sec)
{
	size_t n = strlen(s);

	if (n < 3 || s[n - 1] != ']')
		return -1;
	for (size_t i = 0; i < sizeof(known_sections) / sizeof(known_sections[0]); i++)
		if (strlen(known_sections[i]) == n - 2 && strncmp(s + 1, known_sections[i], n - 2) == 0)
			return strcmp(known_sections[i], sec->name) == 0 ? 1 : 0;
	return -1;
}

m2m_err m2mi_cfg_parse(void *cfg, const struct m2mi_cfg_section *sec, const char *text, size_t len,
		       bool *found, char *errmsg, size_t errcap)
{
	bool seen[M2M_CFG_MAX_KEYS] = {false};
	unsigned *key_line;
	char line[1024];
	size_t pos = 0;
	int lineno = 0;
	bool mine = sec != NULL && sec->implicit; /* before any header */
	m2m_err r;

	if (found != NULL)
		*found = false;
	if (cfg == NULL || sec == NULL || sec->nkeys > M2M_CFG_MAX_KEYS || (text == NULL && len > 0))
		return M2M_E_INVAL;
	key_line = (unsigned *)(void *)((char *)cfg + sec->line_off);
	if (len > 0 && memchr(text, '\0', len) != NULL)
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
			int which = section_of(s, sec);
			if (which < 0)
				return seterr(errmsg, errcap, lineno, "unknown section %.64s", s);
			mine = which == 1;
			if (mine && found != NULL)
				*found = true;
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL)
			return seterr(errmsg, errcap, lineno, "expected key = value");
		if (!mine)
			continue; /* another service's key: that service checks it */
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		for (i = 0; i < sec->nkeys; i++)
			if (strcmp(sec->keys[i].name, key) == 0)
				break;
		if (i == sec->nkeys)
			return seterr(errmsg, errcap, lineno, "unknown key '%.64s'", key);
		if (seen[i])
			return seterr(errmsg, errcap, lineno, "key '%s' given twice", key);
		seen[i] = true;
		if (found != NULL)
			*found = true;
		key_line[i] = (unsigned)lineno;
		if ((r = set_value(cfg, &sec->keys[i], val)) == M2M_E_NOT_FOUND)
			return seterr(errmsg, errcap, lineno,
				      "'%s' names a credential (%%d/...) but $CREDENTIALS_DIRECTORY is not set "
				      "(systemd LoadCredential=)", key);
		if (r != M2M_OK)
			return seterr(errmsg, errcap, lineno, "invalid value for '%s'", key);
	}
	return M2M_OK;
}

unsigned m2mi_cfg_line(const void *cfg, const struct m2mi_cfg_section *sec, const char *key)
{
	const unsigned *key_line;

	if (cfg == NULL || sec == NULL || key == NULL)
		return 0;
	key_line = (const unsigned *)(const void *)((const char *)cfg + sec->line_off);
	for (size_t i = 0; i < sec->nkeys && i < M2M_CFG_MAX_KEYS; i++)
		if (strcmp(sec->keys[i].name, key) == 0)
			return key_line[i];
	return 0;
}

m2m_err m2mi_cfg_fail_at(const void *cfg, const struct m2mi_cfg_section *sec, char *errmsg, size_t errcap,
			 const char *key, const char *fmt, ...)
{
	unsigned line = m2mi_cfg_line(cfg, sec, key);
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

m2m_err m2mi_cfg_check_metrics(const void *cfg, const struct m2mi_cfg_section *sec, const char *metrics_listen,
			       char *errmsg, size_t errcap)
{
	char host[256];
	int port;

	if (metrics_listen[0] == '\0' || strcmp(metrics_listen, "off") == 0) /* public: keyword */
		return M2M_OK;
	if (m2m_config_split_listen(metrics_listen, host, sizeof(host), &port) != M2M_OK)
		return m2mi_cfg_fail_at(cfg, sec, errmsg, errcap, "metrics-listen", "metrics-listen must be host:port");
	if (!m2m_config_is_loopback(host))
		return m2mi_cfg_fail_at(cfg, sec, errmsg, errcap, "metrics-listen",
					"metrics-listen must be a loopback address (127.0.0.1, ::1 or localhost): "
					"/metrics has no authentication");
	return M2M_OK;
}

m2m_err m2mi_cfg_check_https(const void *cfg, const struct m2mi_cfg_section *sec, const struct m2mi_cfg_https *h,
			     char *errmsg, size_t errcap)
{
	char host[256];
	int port;

#define FAIL_AT(key, ...) return m2mi_cfg_fail_at(cfg, sec, errmsg, errcap, key, __VA_ARGS__)
	/* No plain-HTTP mode: every procedure runs over the service's TLS association. */
	if (m2m_config_split_listen(h->https_listen, host, sizeof(host), &port) != M2M_OK)
		FAIL_AT("https-listen", "https-listen must be host:port");
	if (h->store[0] == '\0')
		FAIL_AT("store", "store must name %s", h->store_what);
	if ((h->cert[0] == '\0') != (h->key[0] == '\0'))
		FAIL_AT(h->cert[0] ? "cert" : "key", "cert and key must be given together");
	if (h->header_timeout < 1 || h->header_timeout > 3600)
		FAIL_AT("header-timeout", "header-timeout must be 1..3600 seconds");
	/* SP-relative IDs ("/cse-in") are made absolute with it (TS-0001 §7.2) */
	if (h->sp_id[0] != '\0' && !h->is_fqdn(h->sp_id + (strncmp(h->sp_id, "//", 2) == 0 ? 2 : 0)))
		FAIL_AT("sp-id", "sp-id must be //FQDN or an FQDN such as sp.example.com");
	/* the CoAP/DTLS door shares the TLS context of https-listen (required above) */
	if (h->coaps_listen != NULL && h->coaps_listen[0] != '\0' && strcmp(h->coaps_listen, "off") != 0 &&
	    m2m_config_split_listen(h->coaps_listen, host, sizeof(host), &port) != M2M_OK)
		FAIL_AT("coaps-listen", "coaps-listen must be host:port");
#undef FAIL_AT
	return M2M_OK;
}

/* An entity as NAF (TS-0003 8.3.2.3): its Zn association with the MEF/BSF is always TLS, the BSF
 * authenticated by bsf-ca, the entity by bsf-cert + bsf-key (the BSF hands NAF keys only to the
 * NAF it authenticates). gba-naf-key: GBA_ME's Ks_NAF, or GBA_U's Ks_ext_NAF / Ks_int_NAF. */
m2m_err m2mi_cfg_check_bsf(const void *cfg, const struct m2mi_cfg_section *sec, const struct m2mi_cfg_bsf *b,
			   char *errmsg, size_t errcap)
{
	m2m_gba_naf_kind kind;
	char host[256];
	int port;

#define FAIL_AT(key, ...) return m2mi_cfg_fail_at(cfg, sec, errmsg, errcap, key, __VA_ARGS__)
	if (m2m_gba_naf_kind_parse(b->naf_key, &kind) != M2M_OK)
		FAIL_AT("gba-naf-key", "gba-naf-key must be ks-naf, ks-ext-naf or ks-int-naf");
	if (b->url[0] == '\0') {
		if (b->ca[0] || b->cert[0] || b->key[0] || b->name[0])
			FAIL_AT(b->ca[0] ? "bsf-ca" : b->cert[0] ? "bsf-cert" : b->key[0] ? "bsf-key" : "bsf-name",
				"needs bsf-url");
		return M2M_OK;
	}
	if (strncmp(b->url, "https://", 8) != 0 ||
	    m2m_config_split_listen(b->url + 8, host, sizeof(host), &port) != M2M_OK || port == 0)
		FAIL_AT("bsf-url", "bsf-url must be https://HOST:PORT");
	if (b->ca[0] == '\0' || b->cert[0] == '\0' || b->key[0] == '\0')
		FAIL_AT("bsf-url", "bsf-url needs bsf-ca, bsf-cert and bsf-key (Zn is mutually authenticated)");
	if (b->name[0] != '\0' && m2m_id_check_fqdn(b->name, strlen(b->name)) != M2M_OK)
		FAIL_AT("bsf-name", "bsf-name must be the BSF's FQDN such as mef.example.com");
#undef FAIL_AT
	return M2M_OK;
}
