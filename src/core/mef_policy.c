/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pure decisions of the MEF (m2msec/mef.h "pure helpers"): the
 * Enrolee-ID claim policy checked before issuance, the SUIDs an Enrolment Target may fetch
 * (TS-0004 Table 6.3.4.2.39-1: the RSPF usages 22-25 for a CSE), the target authorization of
 * "Use of provisioned credentials" (TS-0003 clause 8.3.2.1), the Enrolment-Target-ID of the
 * usage-constrained key (clause 10.3.7), the MAF as an Enrolment Target (SUID 21 only, its
 * MAF-FQDN among the enrolee's targets, clause 8.8.2.3), the lifetime rule of clause 10.7 and the m2msec fleet
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

/* "//" + an SP FQDN + "/" + a CSE-ID, each up to 255 bytes (sec:keyRegCfg targetIDs): the
 * absolute form of any target a request can register; a longer one never matches. */
#define TARGET_ABS_MAX (2 + 256 + 1 + 256)

bool m2m_mef_target_listed(const char *const *targets, size_t ntargets, const char *caller_id, const char *sp_id)
{
	char want[TARGET_ABS_MAX], have[TARGET_ABS_MAX];
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
	 * MAF's (key shared with a MAF): a MAF is told apart by m2m_mef_peer_suid_allowed. */
	return target_kind == M2M_ENTITY_CSE && suid >= 22 && suid <= 25;
}

bool m2m_mef_peer_suid_allowed(m2m_mef_peer peer, int suid)
{
	/* TS-0004 Table 6.3.4.2.39-1: 21 = RSPF key shared with a MAF (the MAF's Km, TS-0003 clause
	 * 8.8.2.3 step 2); a CSE target never gets it, a MAF never gets a CSE's 22..25. */
	if (peer == M2M_MEF_PEER_MAF)
		return suid == 21;
	return peer == M2M_MEF_PEER_TARGET && m2m_mef_suid_allowed(M2M_ENTITY_CSE, suid);
}

/* Equal FQDNs a[0..alen) and b: case-insensitive, one trailing dot on either side ignored. */
static bool fqdn_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	if (alen == 0 || alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

bool m2m_mef_fqdn_in_list(const char *list, const char *fqdn)
{
	if (list == NULL || fqdn == NULL || fqdn[0] == '\0')
		return false;
	for (const char *p = list; *p != '\0';) {
		size_t n;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n > 0 && fqdn_eq(p, n, fqdn))
			return true;
		p += n;
	}
	return false;
}

bool m2m_mef_maf_listed(const char *const *targets, size_t ntargets, const char *maf_fqdn)
{
	if (targets == NULL || maf_fqdn == NULL || maf_fqdn[0] == '\0' || maf_fqdn[0] == '/')
		return false;
	for (size_t i = 0; i < ntargets; i++)
		if (targets[i] != NULL && targets[i][0] != '/' && fqdn_eq(targets[i], strlen(targets[i]), maf_fqdn))
			return true;
	return false;
}

m2m_err m2m_mef_target_canon(const char *in, char *out, size_t cap)
{
	m2m_id *id = NULL;
	size_t n;
	int k;

	if (in == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	if (in[0] == '/') {
		/* a CSE-ID, SP-relative or absolute */
		if (m2m_id_parse(in, strlen(in), M2M_ID_CSE_ID, &id) != M2M_OK)
			return M2M_E_ID_BAD_FORM;
		k = snprintf(out, cap, "%s", m2m_id_canonical(id));
		m2m_id_free(id);
		return k > 0 && (size_t)k < cap ? M2M_OK : M2M_E_RANGE;
	}
	/* a MAF-FQDN (clause 8.8.2.3: the MAF is an Enrolment Target, MAF-ID = MAF-FQDN) */
	n = strlen(in);
	if (n == 0 || in[n - 1] == '.' || m2m_id_check_fqdn(in, n) != M2M_OK)
		return M2M_E_ID_BAD_FORM;
	if (n >= cap)
		return M2M_E_RANGE;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i]);
	return M2M_OK;
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
