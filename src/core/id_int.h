/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface shared by the identifier files of core/: id.c
 * (dispatch, key/role/token identifiers, TS-0003 clauses 10.3.4-10.3.5, 10.5, 10.6), fqdn.c (host
 * names), credid.c (Credential-ID and SUID, TS-0003 clause 10.4, 12.2), entityid.c (CSE-ID,
 * AE-ID, M2M-SP-ID, TS-0001 clause 7.2) and certname.c (certificate name forms, TS-0003 clause
 * 10.1.1.5, 10.1.1.7). Not installed; nothing outside src/core includes it.
 */
#ifndef M2M_CORE_ID_INT_H
#define M2M_CORE_ID_INT_H

#include "m2msec/id.h"

#define M2MI_ID_MAGIC 0x6d326964u /* "m2id": catches use of a freed or foreign pointer */

/* The parsed identifier. Every string is NUL-terminated ASCII or NULL when it does not apply. */
struct m2m_id {
	uint32_t magic;
	m2m_id_kind kind;
	m2m_id_form form;
	int number; /* credIDTypeID or SUID */
	char *canonical;
	char *relative; /* key/role/token relative part, Credential-ID value */
	char *fqdn;     /* lowercase, no trailing dot */
	char *cse;      /* CSE-ID segment without slashes */
	char *stem;     /* AE-ID-Stem */
	bool has_bytes;
	uint8_t rel_bytes[M2M_REL_KEY_ID_LEN];
};

/* How m2mi_idbuf_put copies letters. */
typedef enum m2mi_case { M2MI_CASE_KEEP, M2MI_CASE_LOWER, M2MI_CASE_UPPER } m2mi_case;

/* A bounded text builder: appending past the end sets `over` instead of writing. */
typedef struct m2mi_idbuf {
	size_t n;
	bool over;
	char b[M2M_ID_MAX + 8];
} m2mi_idbuf;

/* id.c */
void m2mi_id_put(m2mi_idbuf *b, const char *s, size_t len, m2mi_case c);
/* Copy s[0..len) into a new NUL-terminated heap string at *dst (freeing any previous value). */
m2m_err m2mi_id_dup(char **dst, const char *s, size_t len);
/* The checks every identifier kind shares, in this order: EMPTY, TOO_LONG (len > max), BAD_UTF8,
 * BAD_CHAR (NUL or any non-ASCII code point), WILDCARD ('*'). */
m2m_err m2mi_id_precheck(const char *s, size_t len, size_t max);
/* RFC 3986 clause 2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
bool m2mi_id_unreserved(unsigned char c);
bool m2mi_id_digit(unsigned char c);
/* True for a live m2m_id (non-NULL, magic intact). */
bool m2mi_id_ok(const m2m_id *id);

/* fqdn.c: validate an ASCII host name and, when out != NULL, append its canonical form
 * (lowercase, trailing dot removed). Errors: M2M_E_ID_BAD_FQDN, M2M_E_ID_WILDCARD. */
m2m_err m2mi_fqdn_canon(const char *s, size_t len, m2mi_idbuf *out);

/* credid.c: fill id (kind already set) from a prechecked Credential-ID / SUID. */
m2m_err m2mi_credid_parse(const char *s, size_t len, m2m_id *id);
m2m_err m2mi_credid_parse_suid(const char *s, size_t len, m2m_id *id);

/* entityid.c: fill id from a prechecked CSE-ID, AE-ID or M2M-SP-ID of the given kind. */
m2m_err m2mi_entityid_parse(const char *s, size_t len, m2m_id_kind kind, m2m_id *id);
/* The kind M2M_ID_ANY infers for s starting with '/' (see m2m_id_parse). */
m2m_id_kind m2mi_entityid_classify(const char *s, size_t len);

/* Store b as the canonical form of id; M2M_E_INTERNAL if b overflowed. */
m2m_err m2mi_id_set_canonical(m2m_id *id, const m2mi_idbuf *b);

#endif
