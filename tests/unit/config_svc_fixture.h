/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements what the unit tests of the HTTPS-only services' sections ([mef]
 * test_config_mef.c, [maf] test_config_maf.c; docs/config.md) check alike: the listener keys they
 * share with the CSE (one INI block and its expected values), the refusals of the shared INI
 * engine, and the validation of the listener keys (core/config.c m2mi_cfg_check_https) with the
 * line at fault named. A service passes its section name and typed parse/validate callbacks.
 */
#ifndef M2M_TEST_CONFIG_SVC_FIXTURE_H
#define M2M_TEST_CONFIG_SVC_FIXTURE_H

#include <stdio.h>

#include "m2m_test.h"
#include "m2msec/config.h"

/* The listener keys of every service, as config lines (after the section's own first keys). */
#define CFG_SVC_LISTENER_INI                                                                      \
	"log-level = debug\ntls13 = off\nthreads = 3\nmax-body = 4096\nmax-header = 2048\n"       \
	"max-connections = 10\nmax-connections-per-address = 2\nheader-timeout = 7\nlog-requests = no\n"

/* The values CFG_SVC_LISTENER_INI sets (c: any service configuration with the shared fields). */
#define CFG_SVC_ASSERT_LISTENER(c)                                                                \
	do {                                                                                      \
		assert_string_equal((c)->log_level, "debug");                                     \
		assert_false((c)->tls13);                                                         \
		assert_int_equal((c)->threads, 3);                                                \
		assert_int_equal((c)->max_body, 4096);                                            \
		assert_int_equal((c)->max_header, 2048);                                          \
		assert_int_equal((c)->max_connections, 10);                                       \
		assert_int_equal((c)->max_connections_per_address, 2);                            \
		assert_int_equal((c)->header_timeout, 7);                                         \
		assert_false((c)->log_requests);                                                  \
	} while (0)

struct cfg_svc {
	const char *name;     /* "mef": the section */
	const char *fqdn_key; /* "mef-fqdn": the required key a valid section starts with */
	const char *store_what;
	/* defaults + parse of text into the test's configuration; validate it */
	m2m_err (*parse)(const char *text, bool *found, char *err, size_t cap);
	m2m_err (*validate)(char *err, size_t cap);
};

struct cfg_svc_row {
	const char *ini, *want;
};

/* Defines, for the section S (maf, mef) of m2m_S_svc_config: static parse(c, text, found, err, cap)
 * (defaults, then the text), and the struct cfg_svc svc whose callbacks work on one file-static
 * configuration (store_what: the end of "store must name ..."). */
#define CFG_SVC_DEFINE(S, store_what)                                                                \
	static m2m_err parse(m2m_##S##_svc_config *c, const char *text, bool *found, char *err, size_t cap) \
	{                                                                                            \
		m2m_##S##_config_defaults(c);                                                        \
		return m2m_##S##_config_parse(c, text, strlen(text), found, err, cap);               \
	}                                                                                            \
	static m2m_##S##_svc_config shared_c;                                                        \
	static m2m_err svc_parse(const char *text, bool *found, char *err, size_t cap)              \
	{                                                                                            \
		return parse(&shared_c, text, found, err, cap);                                      \
	}                                                                                            \
	static m2m_err svc_validate(char *err, size_t cap)                                           \
	{                                                                                            \
		return m2m_##S##_config_validate(&shared_c, err, cap);                               \
	}                                                                                            \
	static const struct cfg_svc svc = {#S, #S "-fqdn", store_what, svc_parse, svc_validate}

/* Every row's INI text fails to parse with exactly want. */
static inline void cfg_svc_parse_rejects(const struct cfg_svc *s, const struct cfg_svc_row *rows, size_t n)
{
	char err[256];
	bool found = true;

	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		assert_int_equal(s->parse(rows[i].ini, &found, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, rows[i].want);
	}
}

/* Every row's INI text parses and its validation fails with exactly want. */
static inline void cfg_svc_validate_rejects(const struct cfg_svc *s, const struct cfg_svc_row *rows, size_t n)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s->parse(rows[i].ini, NULL, err, sizeof(err)), M2M_OK);
		assert_int_equal(s->validate(err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, rows[i].want);
	}
}

/* The refusals of the shared engine and of the shared listener validation, in s's section. */
static inline void cfg_svc_shared_rejects(const struct cfg_svc *s)
{
	static const char *const parse_rows[][2] = { /* the lines after "[name]" */
		{"psk-file = p\n", "line 2: unknown key 'psk-file'"}, /* a CSE key */
		{"rate-limit-per-address = -1\n", "line 2: invalid value for 'rate-limit-per-address'"},
		{"max-body = 10\n", "line 2: invalid value for 'max-body'"},
		{"log-level = loud\n", "line 2: invalid value for 'log-level'"},
		{"x\n", "line 2: expected key = value"},
	};
	static const char *const valid_rows[][2] = { /* the lines after "[name]\n<fqdn-key> = a.b" */
		{"https-listen = off\n", "line 3: https-listen must be host:port"},
		{"store =\n", NULL}, /* "line 3: store must name <store_what>" */
		{"\nkey = k\n", "line 4: cert and key must be given together"},
		{"header-timeout = 0\n", "line 3: header-timeout must be 1..3600 seconds"},
		{"sp-id = /x\n", "line 3: sp-id must be //FQDN or an FQDN such as sp.example.com"},
	};
	char ini[256], want[256], unknown[64];
	struct cfg_svc_row row = {ini, want};
	bool found = true;

	assert_int_equal(s->parse("", &found, want, sizeof(want)), M2M_OK); /* no text: no section */
	assert_false(found);

	for (size_t i = 0; i < M2M_ARRAY_LEN(parse_rows); i++) {
		snprintf(ini, sizeof(ini), "[%s]\n%s", s->name, parse_rows[i][0]);
		snprintf(want, sizeof(want), "%s", parse_rows[i][1]);
		cfg_svc_parse_rejects(s, &row, 1);
	}
	snprintf(ini, sizeof(ini), "[%s]\nstore = a\n[cse]\n[%s]\nstore = b\n", s->name, s->name);
	snprintf(want, sizeof(want), "line 5: key 'store' given twice");
	cfg_svc_parse_rejects(s, &row, 1);
	snprintf(ini, sizeof(ini), "\n[%s]\n[%s2]\n", s->name, s->name);
	snprintf(want, sizeof(want), "line 3: unknown section [%s2]", s->name);
	cfg_svc_parse_rejects(s, &row, 1);
	snprintf(unknown, sizeof(unknown), "%.*sm", (int)strlen(s->fqdn_key) - 1, s->fqdn_key); /* a typo */
	snprintf(ini, sizeof(ini), "[%s]\n%s = a.b\n", s->name, unknown);
	snprintf(want, sizeof(want), "line 2: unknown key '%s'", unknown);
	cfg_svc_parse_rejects(s, &row, 1);
	for (size_t i = 0; i < M2M_ARRAY_LEN(valid_rows); i++) {
		snprintf(ini, sizeof(ini), "[%s]\n%s = a.b\n%s", s->name, s->fqdn_key, valid_rows[i][0]);
		if (valid_rows[i][1] != NULL)
			snprintf(want, sizeof(want), "%s", valid_rows[i][1]);
		else
			snprintf(want, sizeof(want), "line 3: store must name %s", s->store_what);
		cfg_svc_validate_rejects(s, &row, 1);
	}
}

#endif
