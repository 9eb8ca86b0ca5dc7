/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the AE registration rule check of the M2M Service Subscription
 * (m2msec/app_rule.h; TS-0001 clauses 9.6.29 and 10.2.2.2 step 003, TS-0004 clause 7.3.2.7).
 * A rule applies to a registration when its applicableCredIDs matches the Credential-ID of the
 * association (absent applicableCredIDs: the registration uses no association); it allows the
 * registration when one allowedApp-IDs pattern matches the App-ID and one allowedAEs pattern
 * matches the AE-ID-Stem. '*' in a pattern stands for any run of characters (TS-0001 Table
 * 9.6.29-2: "'C123*X' for any Credential ID that starts with 'C123' and ends with 'X'").
 */
#include <string.h>

#include "m2msec/app_rule.h"

/* Glob with '*' only, iterative with one backtrack point: linear in practice, never recursive
 * (a hostile pattern cannot exhaust the stack). */
bool m2m_app_rule_match(const char *pattern, const char *value)
{
	const char *p = pattern, *v = value, *star = NULL, *resume = NULL;

	if (pattern == NULL || value == NULL)
		return false;
	while (*v != '\0') {
		if (*p == '*') {
			star = p++;
			resume = v;
		} else if (*p != '\0' && *p == *v) { /* public: identifiers */
			p++;
			v++;
		} else if (star != NULL) {
			p = star + 1;
			v = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool any_match(const char *const *pats, size_t n, const char *value)
{
	if (pats == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (m2m_app_rule_match(pats[i], value))
			return true;
	return false;
}

static bool applies(const m2m_app_rule *r, const char *cred_id)
{
	if (cred_id == NULL) /* no association: only rules without applicableCredIDs */
		return !r->has_apci;
	if (!r->has_apci || cred_id[0] == '\0') /* unknown credential: indeterminate, deny */
		return false;
	return any_match(r->apci, r->n_apci, cred_id);
}

m2m_app_rule_decision m2m_app_rule_check(const m2m_app_rule *rules, size_t n, const char *cred_id,
					 const char *api, const char *stem)
{
	bool applicable = false;

	if (rules == NULL || n == 0)
		return M2M_APP_RULE_NO_SUBSCRIPTION;
	for (size_t i = 0; i < n; i++) {
		if (!applies(&rules[i], cred_id))
			continue;
		applicable = true;
		if (api != NULL && stem != NULL && api[0] != '\0' && stem[0] != '\0' &&
		    any_match(rules[i].aai, rules[i].n_aai, api) && any_match(rules[i].aae, rules[i].n_aae, stem))
			return M2M_APP_RULE_ALLOW;
	}
	return applicable ? M2M_APP_RULE_MISMATCH : M2M_APP_RULE_NO_SUBSCRIPTION;
}

bool m2m_app_rule_app_pattern_ok(const char *pattern)
{
	return pattern != NULL && (pattern[0] == '*' || pattern[0] == 'R' || pattern[0] == 'N');
}
