/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pure decisions of the MEF (m2msec/mef.h "pure helpers"): the
 * Enrolee-ID claim policy checked before issuance, the SUIDs an Enrolment Target may fetch
 * (TS-0004 Table 6.3.4.2.39-1: the RSPF usages 22-25 for a CSE), the target authorization of
 * "Use of provisioned credentials" (TS-0003 clause 8.3.2.1), the Enrolment-Target-ID of the
 * usage-constrained key (clause 10.3.7), the lifetime rule of clause 10.7 and the m2msec fleet
 * extension Kpm = HMAC-SHA-256(groupKey, KpmID). No I/O; anything malformed is a deny.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "m2msec/id.h"
#include "m2msec/mef.h"
#include "m2msec/mem.h"

m2m_err m2m_mef_fleet_kpm(const m2m_key *group_key, const char *kpm_id, m2m_key **kpm)
{
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned int olen = 0;
	const uint8_t *gk;
	size_t glen = 0;
	m2m_err r;

	if (kpm != NULL)
		*kpm = NULL;
	if (group_key == NULL || kpm_id == NULL || kpm_id[0] == '\0' || kpm == NULL)
		return M2M_E_INVAL;
	gk = m2m_key_bytes(group_key, &glen);
	if (gk == NULL || glen != M2M_KEY_LEN)
		return M2M_E_KEY_LEN;
	if (HMAC(EVP_sha256(), gk, (int)glen, (const unsigned char *)kpm_id, strlen(kpm_id), out, &olen) == NULL ||
	    olen != 32) {
		m2m_memzero(out, sizeof(out));
		return M2M_E_CRYPTO;
	}
	r = m2m_key_new(out, olen, kpm);
	m2m_memzero(out, sizeof(out));
	if (r == M2M_OK && (r = m2m_key_set_id(*kpm, kpm_id)) != M2M_OK) {
		m2m_key_free(*kpm);
		*kpm = NULL;
	}
	return r;
}

/* Parse a CSE-ID; NULL unless it is one. */
static m2m_id *parse_cse(const char *s)
{
	m2m_id *id = NULL;

	if (s == NULL || m2m_id_parse(s, strlen(s), M2M_ID_CSE_ID, &id) != M2M_OK)
		return NULL;
	return id;
}

/* The SP FQDN of an SP-ID "//fqdn" (pointer into sp_id), NULL if malformed. */
static const char *sp_fqdn(const char *sp_id)
{
	if (sp_id == NULL || strncmp(sp_id, "//", 2) != 0 || m2m_id_check_fqdn(sp_id + 2, strlen(sp_id + 2)) != M2M_OK)
		return NULL;
	return sp_id + 2;
}

m2m_err m2m_mef_target_kdf_id(const char *target_cse_id, const char *sp_id, char *out, size_t cap)
{
	m2m_id *id = parse_cse(target_cse_id);
	const char *sp;
	m2m_err r;

	if (id == NULL)
		return M2M_E_ID_BAD_FORM;
	sp = m2m_id_form_of(id) == M2M_ID_FORM_ABSOLUTE ? m2m_id_fqdn(id) : sp_fqdn(sp_id);
	r = sp == NULL ? M2M_E_INVAL : m2m_id_cse_domain_name(id, sp, out, cap);
	m2m_id_free(id);
	return r;
}

/* Absolute form "//sp/cse" of a CSE-ID (SP-relative ones in sp_id) into out. */
static bool cse_absolute(const char *cse_id, const char *sp_id, char *out, size_t cap)
{
	m2m_id *id = parse_cse(cse_id);
	const char *sp;
	int n = -1;

	if (id == NULL)
		return false;
	sp = m2m_id_form_of(id) == M2M_ID_FORM_ABSOLUTE ? m2m_id_fqdn(id) : sp_fqdn(sp_id);
	if (sp != NULL && m2m_id_cse(id) != NULL)
		n = snprintf(out, cap, "//%s/%s", sp, m2m_id_cse(id));
	m2m_id_free(id);
	return n > 0 && (size_t)n < cap;
}

bool m2m_mef_target_listed(const char *const *targets, size_t ntargets, const char *caller_id, const char *sp_id)
{
	char want[300], have[300];
	bool hit = false;

	m2m_id *c = NULL;

	if (targets == NULL || caller_id == NULL)
		return false;
	if (!cse_absolute(caller_id, sp_id, want, sizeof(want))) {
		/* Without an SP-ID an SP-relative CSE-ID only equals the same SP-relative text. */
		if ((c = parse_cse(caller_id)) == NULL)
			return false;
		snprintf(want, sizeof(want), "%s", m2m_id_canonical(c));
		m2m_id_free(c);
		for (size_t i = 0; i < ntargets && !hit; i++)
			hit = targets[i] != NULL && strcmp(targets[i], want) == 0; /* public: identifiers */
		return hit;
	}
	for (size_t i = 0; i < ntargets && !hit; i++)
		hit = targets[i] != NULL && cse_absolute(targets[i], sp_id, have, sizeof(have)) &&
		      strcmp(want, have) == 0; /* public: identifiers */
	return hit;
}

bool m2m_mef_suid_allowed(m2m_entity_kind target_kind, int suid)
{
	/* A CSE uses an RSPF key for its SAEF (22), ESPrim (23) or ESData (24, 25); SUID 21 is the
	 * MAF's (key shared with a MAF), which has no certificate kind of its own here yet. */
	return target_kind == M2M_ENTITY_CSE && suid >= 22 && suid <= 25;
}

int64_t m2m_mef_derived_expiry(int64_t ke_expiry, int64_t now, int64_t cap)
{
	int64_t t = ke_expiry;

	if (ke_expiry <= now)
		return 0;
	if (cap > 0 && now + cap < t)
		t = now + cap;
	return t;
}

/* One pattern: exact, or a prefix ending in a single trailing '*'. */
static bool pattern_match(const char *pat, size_t plen, const char *claimed)
{
	if (plen == 0)
		return false;
	if (pat[plen - 1] == '*') {
		if (memchr(pat, '*', plen - 1) != NULL || plen < 2)
			return false; /* "*" alone would allow anything: refused as malformed */
		return strncmp(claimed, pat, plen - 1) == 0; /* public: identifiers */
	}
	if (memchr(pat, '*', plen) != NULL)
		return false;
	return strlen(claimed) == plen && strncmp(claimed, pat, plen) == 0; /* public: identifiers */
}

bool m2m_mef_claim_allowed(const char *enrolee_id, const char *allowed, const char *claimed)
{
	m2m_id *id = NULL;
	bool ok;

	if (enrolee_id == NULL || enrolee_id[0] == '\0')
		return false;
	if (claimed == NULL || claimed[0] == '\0' || strcmp(claimed, enrolee_id) == 0) /* public: ids */
		return true;
	/* Only an AE-ID or CSE-ID can be claimed. */
	if (m2m_id_parse(claimed, strlen(claimed), M2M_ID_ANY, &id) != M2M_OK)
		return false;
	ok = m2m_id_kind_of(id) == M2M_ID_AE_ID || m2m_id_kind_of(id) == M2M_ID_CSE_ID;
	m2m_id_free(id);
	if (!ok || allowed == NULL)
		return false;
	for (const char *p = allowed; *p != '\0';) {
		size_t n;
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0 && pattern_match(p, n, claimed))
			return true;
		p += n;
	}
	return false;
}
