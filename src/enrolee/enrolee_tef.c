/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Target side of the MEF acting as Trust Enabling Function for ESData
 * (TS-0003 clause 8.6.3 "Source-Generated End-to-End Credentials"; m2m_enrolee_tef_key): a
 * Source registered a symmetric ESData key with the MEF (MEF Key Registration, SUID 14/15 or
 * 24/25, its targetIDs naming the Targets); a Target fetches it by its Credential-ID with MEF
 * Key Retrieval (RETRIEVE mefKeyReg/<RelativeKeyID>, docs/procedures/mef.md) over the same
 * authenticated (D)TLS association the enrolee library opens for the enrolment. The MEF makes
 * the access check (targetIDs); this side checks that what comes back is the key asked for and
 * of an ESData usage, and labels it with the Credential-ID (TS-0003 clause 10.4) that a JWE/JWS
 * "kid" carries. docs/procedures/e2e.md "TEF" is the message mapping.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enrolee/enrolee_int.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"

#define REL_HEX 32

static bool esdata_suid(int s)
{
	return s == 14 || s == 15 || s == 24 || s == 25; /* TS-0004 Table 6.3.4.2.39-1 */
}

/* "<SUID>-<rel>@<fqdn>" or "<rel>@<fqdn>": *suid (0 when no prefix), rel upper-cased, fqdn. */
static m2m_err parse_id(const char *id, int *suid, char rel[REL_HEX + 1], const char **fqdn)
{
	const char *p = id, *at;

	*suid = 0;
	if (id == NULL || strlen(id) > 300)
		return M2M_E_INVAL;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && p[2] == '-') {
		*suid = (p[0] - '0') * 10 + (p[1] - '0');
		if (!esdata_suid(*suid))
			return M2M_E_INVAL;
		p += 3;
	}
	at = strchr(p, '@');
	if (at == NULL || at - p != REL_HEX || strspn(p, "0123456789abcdefABCDEF") != REL_HEX || at[1] == '\0')
		return M2M_E_INVAL;
	for (size_t i = 0; i < REL_HEX; i++)
		rel[i] = (char)toupper((unsigned char)p[i]);
	rel[REL_HEX] = '\0';
	*fqdn = at + 1;
	return M2M_OK;
}

/* The key of a Key Retrieval answer, checked against what was asked. */
static m2m_err take_key(m2m_enrolee *e, json_t *o, const char *rel, const char *fqdn, int want_suid, m2m_key **key,
			int *suid)
{
	const char *kid = json_string_value(json_object_get(o, "keyID"));
	const char *hex = json_string_value(json_object_get(o, "keyValue"));
	const char *et = json_string_value(json_object_get(o, "expirationTime"));
	json_t *js = json_object_get(o, "SUID");
	char cred[400];
	uint8_t b[M2M_KEY_MAX];
	size_t n = 0;
	int s = json_is_integer(js) ? (int)json_integer_value(js) : 0;
	m2m_err r;

	if (kid == NULL || strncmp(kid, rel, REL_HEX) != 0 || kid[REL_HEX] != '@' || strcasecmp(kid + REL_HEX + 1, fqdn) != 0)
		return M2M_E_PROTO;
	if (!esdata_suid(s) || (want_suid != 0 && s != want_suid)) {
		m2mi_enr_refusal(e, 0, "the registered key is not an ESData key of that SUID");
		return M2M_E_PROTO;
	}
	if (hex == NULL) { /* the MEF gives the Source its record without the key */
		m2mi_enr_refusal(e, 0, "no keyValue: this caller is the key's source, not a target");
		return M2M_E_PROTO;
	}
	r = m2m_hex_decode(hex, strlen(hex), b, sizeof(b), &n);
	if (r == M2M_OK)
		r = m2m_key_new(b, n, key);
	m2m_memzero(b, sizeof(b));
	if (r != M2M_OK)
		return M2M_E_PROTO;
	snprintf(cred, sizeof(cred), "%d-%s", s, kid); /* TS-0003 clause 10.4: type-ID '-' value */
	if ((r = m2m_key_set_id(*key, cred)) != M2M_OK) {
		m2m_key_free(*key);
		*key = NULL;
		return r;
	}
	m2m_key_set_suid(*key, s);
	m2m_key_set_validity(*key, 0, et != NULL ? m2mi_enr_parse_ts(et) : 0);
	*suid = s;
	return M2M_OK;
}

m2m_err m2m_enrolee_tef_key(m2m_enrolee *e, const char *key_id, m2m_key **key, int *suid)
{
	char rel[REL_HEX + 1], path[64];
	const char *fqdn = NULL;
	int want = 0, s = 0;
	SSL_CTX *ctx = NULL;
	m2mi_enr_conn c;
	m2mi_enr_why why = {0};
	json_t *o = NULL;
	m2m_err r;

	if (key == NULL)
		return M2M_E_INVAL;
	*key = NULL;
	if (suid != NULL)
		*suid = 0;
	if (e == NULL || parse_id(key_id, &want, rel, &fqdn) != M2M_OK)
		return M2M_E_INVAL;
	/* a key of another TEF is refused before any network I/O */
	if (m2mi_enr_mef_fqdn(e) == NULL || strcasecmp(fqdn, m2mi_enr_mef_fqdn(e)) != 0)
		return M2M_E_INVAL;
	if ((r = m2mi_enr_open(e, &ctx, &c)) != M2M_OK)
		return r;
	snprintf(path, sizeof(path), "/mefKeyReg/%s", rel);
	r = m2mi_enr_json(&c, "GET", path, NULL, 2000, "sec:mefKeyReg", &o, &why);
	if (r == M2M_E_PROTO && (why.rsc != 0 || why.reason[0] != '\0'))
		m2mi_enr_refusal(e, why.rsc, why.reason);
	if (r == M2M_OK)
		r = take_key(e, o, rel, fqdn, want, key, &s);
	json_decref(o);
	m2mi_enr_close(&c);
	SSL_CTX_free(ctx);
	if (r == M2M_OK && suid != NULL)
		*suid = s;
	return r;
}
