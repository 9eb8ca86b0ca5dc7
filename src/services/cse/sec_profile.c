/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the security profile a CSE receives from its MEF (the CSE <-> MEF
 * profile; docs/procedures/mef.md "Security profile"): what the service provider wants this
 * CSE to enforce. Parsed here (pure), held by the CSE (m2m_cse_set_security_profile) and
 * enforced at AE registration: the per-credential allowedAEs of <serviceSubscribedAppRule>
 * (TS-0001 §9.6.29: applicableCredIDs, allowedAEs) through the same pure checker as the service
 * subscription (core/app_rule.c): a credential matched by a rule's applicableCredIDs may only
 * register the AE-IDs its rules allow, otherwise 4103. A credential matched by no rule is not
 * restricted by the profile (the service subscription, when enforced, still applies).
 * "Required but unavailable" (never retrieved, or expired after failed refreshes) refuses every
 * registration over a security association: fail closed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "m2msec/app_rule.h"
#include "services/cse/cse_int.h"
#include "services/cse/sec_profile.h"

#define RULES_MAX 64
#define PATS_MAX 64
#define ANCHORS_MAX 16
#define ANCHOR_LEN_MAX 16384

struct m2mi_secprof {
	int suids[16];
	size_t n_suids;
	m2m_app_rule rules[RULES_MAX];
	size_t n_rules;
	char **strings;       /* every pattern (owned) */
	size_t n_strings;
	int64_t expiry;       /* 0 = none */
	const char *const *suites; /* cipherSuites (IANA names; borrowed from strings), NULL = absent */
	size_t n_suites;
	const char **anchors; /* trustAnchors (PEM CA certificates, owned), NULL = absent */
	size_t n_anchors;
};

static const char *const any_app[] = {"*"}; /* the profile constrains AE-IDs, not App-IDs */

void m2mi_secprof_free(m2mi_secprof *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		free((void *)p->rules[i].apci);
		free((void *)p->rules[i].aae);
	}
	free((void *)p->suites);
	for (size_t i = 0; p->anchors != NULL && i < p->n_anchors; i++)
		free((void *)p->anchors[i]);
	free(p->anchors);
	for (size_t i = 0; i < p->n_strings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p);
}

/* A list of string patterns into a freshly allocated array of borrowed pointers (owned by p). */
static bool list(m2mi_secprof *p, json_t *a, const char *const **out, size_t *n)
{
	const char **v;
	size_t i;
	json_t *e;

	*out = NULL;
	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > PATS_MAX)
		return false;
	if ((v = calloc(json_array_size(a) + 1, sizeof(*v))) == NULL)
		return false;
	*out = v;
	json_array_foreach(a, i, e) {
		char **s;
		if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 255)
			return false;
		if ((s = realloc(p->strings, (p->n_strings + 1) * sizeof(*s))) == NULL)
			return false;
		p->strings = s;
		if ((s[p->n_strings] = strdup(json_string_value(e))) == NULL)
			return false;
		v[i] = s[p->n_strings++];
	}
	*n = json_array_size(a);
	return true;
}

/* trustAnchors: absent, or 1..ANCHORS_MAX PEM certificates (parsed by the TLS layer). */
static bool anchors(m2mi_secprof *p, json_t *a)
{
	size_t i;
	json_t *e;

	if (a == NULL)
		return true;
	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > ANCHORS_MAX ||
	    (p->anchors = calloc(json_array_size(a), sizeof(*p->anchors))) == NULL)
		return false;
	json_array_foreach(a, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > ANCHOR_LEN_MAX ||
		    (p->anchors[i] = strdup(json_string_value(e))) == NULL)
			return false;
		p->n_anchors = i + 1;
	}
	return true;
}

m2m_err m2mi_secprof_parse(const char *json, size_t len, const char *cse_id, int64_t now, m2mi_secprof **out)
{
	json_t *root, *o, *a, *e;
	m2mi_secprof *p;
	json_int_t lifetime;
	size_t i;
	m2m_err r = M2M_E_PROTO;

	*out = NULL;
	if (json == NULL || (root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return M2M_E_PROTO;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		json_decref(root);
		return M2M_E_NOMEM;
	}
	o = json_object_get(root, "sec:secProfile");
	/* the profile must be this CSE's (a MEF bug must not hand us another CSE's rules) */
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "cseID")) ||
	    strcmp(json_string_value(json_object_get(o, "cseID")), cse_id) != 0)
		goto out;
	a = json_object_get(o, "SUIDs");
	if (!json_is_array(a) || json_array_size(a) > 16)
		goto out;
	json_array_foreach(a, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 10 || json_integer_value(e) > 45)
			goto out;
		p->suids[p->n_suids++] = (int)json_integer_value(e);
	}
	a = json_object_get(o, "appRules");
	if (a != NULL && (!json_is_array(a) || json_array_size(a) > RULES_MAX))
		goto out;
	json_array_foreach(a, i, e) {
		m2m_app_rule *ru = &p->rules[p->n_rules++];
		ru->has_apci = true;
		ru->aai = any_app;
		ru->n_aai = 1;
		if (!json_is_object(e) || !list(p, json_object_get(e, "applicableCredIDs"), &ru->apci, &ru->n_apci) ||
		    !list(p, json_object_get(e, "allowedAEs"), &ru->aae, &ru->n_aae))
			goto out;
	}
	/* cipherSuites: 1..64 IANA names (TS-0003 §10.2), checked against OpenSSL by the TLS layer */
	a = json_object_get(o, "cipherSuites");
	if (a != NULL && (json_array_size(a) == 0 || !list(p, a, &p->suites, &p->n_suites)))
		goto out;
	if (!anchors(p, json_object_get(o, "trustAnchors")))
		goto out;
	if (json_object_get(o, "lifetime") != NULL) {
		if (!json_is_integer(json_object_get(o, "lifetime")) ||
		    (lifetime = json_integer_value(json_object_get(o, "lifetime"))) < 1 || lifetime > 366ll * 86400)
			goto out;
		p->expiry = now + (int64_t)lifetime;
	}
	r = M2M_OK;
out:
	json_decref(root);
	if (r != M2M_OK)
		m2mi_secprof_free(p);
	else
		*out = p;
	return r;
}

bool m2mi_secprof_suid_ok(const m2mi_secprof *p, int suid)
{
	for (size_t i = 0; p != NULL && i < p->n_suids; i++)
		if (p->suids[i] == suid)
			return true;
	return false;
}

size_t m2mi_secprof_suites(const m2mi_secprof *p, const char *const **out)
{
	*out = p ? p->suites : NULL;
	return p && p->suites ? p->n_suites : 0;
}

size_t m2mi_secprof_anchors(const m2mi_secprof *p, const char *const **out)
{
	*out = p ? (const char *const *)p->anchors : NULL;
	return p && p->anchors ? p->n_anchors : 0;
}

int64_t m2mi_secprof_expiry(const m2mi_secprof *p)
{
	return p ? p->expiry : 0;
}

bool m2mi_secprof_ae_allowed(const m2mi_secprof *p, const char *cred_id, const char *stem)
{
	if (p == NULL || cred_id == NULL || stem == NULL)
		return false;
	/* aai is "*": MISMATCH can only come from allowedAEs */
	return m2m_app_rule_check(p->rules, p->n_rules, cred_id, "Nany", stem) != M2M_APP_RULE_MISMATCH;
}

/* ---- the CSE's current profile ------------------------------------------------------------- */

struct m2mi_secprof_slot {
	pthread_mutex_t mu;
	bool required;
	m2mi_secprof *p;
};

static pthread_mutex_t slot_init = PTHREAD_MUTEX_INITIALIZER;

m2m_err m2m_cse_set_security_profile(m2m_cse *cse, const char *json, size_t len, int64_t now)
{
	m2mi_secprof *p = NULL, *old;
	m2m_err r = M2M_OK;

	if (cse == NULL)
		return M2M_E_INVAL;
	if (json != NULL && (r = m2mi_secprof_parse(json, len, cse->cfg.cse_id, now, &p)) != M2M_OK)
		return r; /* the last good profile stays */
	pthread_mutex_lock(&slot_init);
	if (cse->secprof == NULL && (cse->secprof = calloc(1, sizeof(*cse->secprof))) != NULL)
		pthread_mutex_init(&cse->secprof->mu, NULL);
	pthread_mutex_unlock(&slot_init);
	if (cse->secprof == NULL) {
		m2mi_secprof_free(p);
		return M2M_E_NOMEM;
	}
	pthread_mutex_lock(&cse->secprof->mu);
	old = cse->secprof->p;
	cse->secprof->p = p; /* NULL: required but unavailable */
	cse->secprof->required = true;
	pthread_mutex_unlock(&cse->secprof->mu);
	m2mi_secprof_free(old);
	return M2M_OK;
}

int m2mi_secprof_check_registration(m2mi_ctx *c, const char *stem)
{
	struct m2mi_secprof_slot *s = c->cse->secprof;
	bool ok;

	if (s == NULL || c->sa == NULL || c->sa->kind == M2M_SA_NONE)
		return 0; /* no profile configured; registrations without association: other rules */
	pthread_mutex_lock(&s->mu);
	if (s->p != NULL && s->p->expiry != 0 && c->now >= s->p->expiry) {
		m2mi_secprof_free(s->p); /* expired after failed refreshes: fail closed from now on */
		s->p = NULL;
	}
	ok = !s->required || (s->p != NULL && m2mi_secprof_ae_allowed(s->p, c->sa->credential_id, stem));
	pthread_mutex_unlock(&s->mu);
	if (!ok)
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
				 "this AE-ID is not allowed for the credential by the security profile");
	return 0;
}

void m2mi_secprof_slot_free(struct m2mi_secprof_slot *s)
{
	if (s == NULL)
		return;
	m2mi_secprof_free(s->p);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
