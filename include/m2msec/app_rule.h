/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the AE registration rule check of the M2M Service
 * Subscription (TS-0001 clause 10.2.2.2 step 003, TS-0004 clause 7.3.2.7): given the
 * <serviceSubscribedAppRule> resources that apply to this Registrar CSE (TS-0001 clause 9.6.29,
 * linked through ruleLinks of its <serviceSubscribedNode>), decide whether an AE registering
 * over a security association authenticated with a Credential-ID may use an App-ID and an
 * AE-ID-Stem. Pure: no I/O, no allocation, so the MEF can later feed the same function from a
 * provider's security profile.
 */
#ifndef M2MSEC_APP_RULE_H
#define M2MSEC_APP_RULE_H

#include "m2msec/common.h"

/* One <serviceSubscribedAppRule>: its applicableCredIDs (apci), allowedApp-IDs (aai) and
 * allowedAEs (aae) lists of patterns ('*' matches any run of characters, TS-0001 Table
 * 9.6.29-2). has_apci false = the attribute is absent: the rule is for registrations with no
 * security association. An absent or empty aai/aae allows nothing (fail closed). */
typedef struct m2m_app_rule {
	bool has_apci;
	const char *const *apci;
	size_t n_apci;
	const char *const *aai;
	size_t n_aai;
	const char *const *aae;
	size_t n_aae;
} m2m_app_rule;

typedef enum m2m_app_rule_decision {
	M2M_APP_RULE_ALLOW = 0,
	/* no rule applies to the credential (or to "no association"): the subscriber of this
	 * credential has no service subscription here (SERVICE_SUBSCRIPTION_NOT_ESTABLISHED) */
	M2M_APP_RULE_NO_SUBSCRIPTION,
	/* rules apply to the credential, none allows this App-ID with this AE-ID-Stem
	 * (APP_RULE_VALIDATION_FAILED) */
	M2M_APP_RULE_MISMATCH,
} m2m_app_rule_decision;

/* value matches pattern: '*' stands for any (possibly empty) run of characters, every other
 * character for itself (case-sensitive). NULL on either side never matches. */
M2M_API bool m2m_app_rule_match(const char *pattern, const char *value);

/*
 * The decision for a registration: cred_id is the Credential-ID of the security association
 * (NULL when the request came over none; "" = association with an unknown credential, which
 * matches nothing), api the App-ID of the request, stem the AE-ID-Stem the AE will get.
 * Anything missing (NULL api/stem, NULL rules with n > 0) is a deny.
 */
M2M_API m2m_app_rule_decision m2m_app_rule_check(const m2m_app_rule *rules, size_t n, const char *cred_id,
						 const char *api, const char *stem);

/* An allowedApp-IDs entry is acceptable: non-empty and starting with '*', 'R' or 'N'
 * (TS-0004 clause 7.4.29.2.1). */
M2M_API bool m2m_app_rule_app_pattern_ok(const char *pattern);

#endif
