/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the notifications of <subscription> resources (TS-0004 clause
 * 7.5.1.2.2) and the choice of the targets of the subscription verification request (clause
 * 7.5.1.2.3):
 *  - events: Update_of_Resource (1), Delete_of_Resource (2), Create_of_Direct_Child_Resource
 *    (3), Delete_of_Direct_Child_Resource (4), matched against enc.net (default [1]) and
 *    enc.chty; the content {"m2m:sgn": {"nev": {"rep": ..., "net": N}, "sur": "<sub ri>"}};
 *  - only resources the subscription's creator may RETRIEVE are reported (the decision runs
 *    as that creator, authenticated, without the triggering request's IP and Role-IDs);
 *  - targets: every http:// notificationURI (verified when the subscription was created or its
 *    nu updated), and the http:// pointOfAccess of an <AE> named by resource ID, only while that
 *    AE is request-reachable (rr) — a poa URL is itself verified once before the first
 *    notification goes there (notify_q.c), so setting a poa does not make the CSE post to an
 *    arbitrary URL that never consented;
 *  - notifications of a request are collected in the request context and handed to the
 *    notifier (notify_q.c) only after its transaction committed; the request path never waits
 *    for a receiver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

/* ---- events ------------------------------------------------------------------------------ */

static bool list_has(json_t *list, json_int_t v, bool dflt)
{
	size_t i;
	json_t *e;

	if (list == NULL)
		return dflt;
	json_array_foreach(list, i, e)
		if (json_integer_value(e) == v)
			return true;
	return false;
}

static bool ae_reachable(json_t *ae)
{
	return json_is_true(json_object_get(ae, "rr"));
}

static int note(m2mi_ctx *c, const char *url, const char *body, const char *vrq)
{
	json_t *e = vrq ? json_pack("[s,s,s]", url, body, vrq) : json_pack("[s,s]", url, body);

	if (e == NULL || json_array_append_new(c->notes, e) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

/* Note [url, body(, vrq)] for every deliverable target of nu; vrq is the verification request
 * a poa-derived URL must answer before its first notification. */
static int add_targets(m2mi_ctx *c, const m2m_res *sub, json_t *nu, const char *body)
{
	size_t i, j;
	json_t *e, *p;
	char *vrq = NULL;
	int rsc = 0;

	json_array_foreach(nu, i, e) {
		const char *t = json_string_value(e);
		json_t *ae = NULL;
		m2m_res r = {0};

		if (t == NULL)
			continue;
		if (strncmp(t, "http://", 7) == 0) {
			rsc = note(c, t, body, NULL);
		} else if (m2mi_lookup(c, t, &r) == M2M_OK && r.ty == M2M_TY_AE &&
			   (ae = json_loads(r.body, 0, NULL)) != NULL && ae_reachable(ae)) {
			if (vrq == NULL) {
				json_t *v = json_pack("{s:{s:b,s:s,s:s}}", "m2m:sgn", "vrq", 1, "sur", sub->ri, "cr",
						      sub->cr ? sub->cr : "");
				vrq = v ? json_dumps(v, JSON_COMPACT) : NULL;
				json_decref(v);
			}
			json_array_foreach(json_object_get(ae, "poa"), j, p)
				if (rsc == 0 && json_is_string(p) && strncmp(json_string_value(p), "http://", 7) == 0)
					rsc = vrq ? note(c, json_string_value(p), body, vrq)
						  : m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		}
		json_decref(ae);
		m2m_res_clear(&r);
		if (rsc != 0)
			break;
	}
	free(vrq);
	return rsc;
}

/* The representation of rep for notificationContentType nct. */
static json_t *representation(m2mi_ctx *c, json_int_t nct, int net, m2mi_node *rep)
{
	const m2mi_type *t = m2mi_type_find(rep->row.ty);
	json_t *inner, *out;
	const char *k;
	json_t *v;

	if (nct == 3)
		return json_string(rep->row.path);
	if (nct != 2 || net != 1)
		return json_pack("{s:O}", t ? t->wrapper : "m2m:rsc", rep->attr);
	inner = json_object_iter_value(json_object_iter(c->req->pc)); /* the UPDATE's attributes */
	if ((out = json_object()) == NULL)
		return NULL;
	json_object_foreach(rep->attr, k, v)
		if ((json_object_get(inner, k) != NULL || strcmp(k, "lt") == 0) && json_object_set(out, k, v) != 0) {
			json_decref(out);
			return NULL;
		}
	return json_pack("{s:o}", t ? t->wrapper : "m2m:rsc", out);
}

/* The creator of subscription sub may RETRIEVE rep (else it learns nothing through it). The
 * decision runs as that subscriber: authenticated, without the current request's IP/Role-IDs. */
static bool subscriber_may_see(m2mi_ctx *c, const m2m_res *sub, m2mi_node *rep)
{
	m2m_origin_forms saved = c->orig;
	bool has = c->has_orig, authn = c->rq_authn, admin = c->admin, ok = false;
	m2m_res parent = {0};
	const m2m_res *holder = &rep->row;

	if (sub->cr == NULL || m2m_originator_forms(&c->cse->octx, sub->cr, &c->orig) != M2M_OK)
		goto out;
	c->has_orig = c->rq_authn = c->as_subscriber = true;
	c->admin = strcmp(c->orig.absolute, c->cse->admin.absolute) == 0; /* public: IDs */
	if (rep->row.ty == M2M_TY_CIN) {
		if (rep->row.pi == NULL || m2m_resstore_get(c->st, rep->row.pi, &parent) != M2M_OK)
			goto out;
		holder = &parent;
	}
	ok = m2mi_access(c, &rep->row, holder, M2M_ACP_OP_RETRIEVE, 0);
out:
	m2m_res_clear(&parent);
	c->orig = saved;
	c->has_orig = has;
	c->rq_authn = authn;
	c->admin = admin;
	c->as_subscriber = false;
	return ok;
}

int m2mi_notify_event(m2mi_ctx *c, const char *subject_ri, int net, m2mi_node *rep)
{
	m2m_res *subs = NULL;
	size_t n = 0;
	int rsc = 0;
	m2m_err e;

	if ((e = m2m_resstore_children(c->st, subject_ri, M2M_TY_SUB, 256, &subs, &n)) != M2M_OK)
		return m2mi_store_fail(c, e);
	for (size_t i = 0; i < n && rsc == 0; i++) {
		json_t *a, *enc, *sgn, *r;
		char *body;

		if (m2mi_expired(c, &subs[i]) || strcmp(subs[i].ri, rep->row.ri) == 0 ||
		    (a = json_loads(subs[i].body, 0, NULL)) == NULL)
			continue;
		enc = json_object_get(a, "enc");
		if (!list_has(json_object_get(enc, "net"), net, net == 1) ||
		    ((net == 3 || net == 4) && !list_has(json_object_get(enc, "chty"), rep->row.ty, true)) ||
		    !subscriber_may_see(c, &subs[i], rep)) {
			json_decref(a);
			continue;
		}
		if (c->notes == NULL && (c->notes = json_array()) == NULL)
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		else if ((rsc = m2mi_node_attrs(c, rep)) == 0) {
			r = representation(c, json_integer_value(json_object_get(a, "nct")), net, rep);
			sgn = json_pack("{s:{s:{s:o,s:i},s:s}}", "m2m:sgn", "nev", "rep", r, "net", net, "sur", subs[i].ri);
			body = sgn ? json_dumps(sgn, JSON_COMPACT) : NULL;
			rsc = body ? add_targets(c, &subs[i], json_object_get(a, "nu"), body)
				   : m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			free(body);
			json_decref(sgn);
		}
		json_decref(a);
	}
	m2m_res_free_list(subs, n);
	return rsc;
}

void m2mi_notify_flush(m2mi_ctx *c)
{
	size_t i;
	json_t *e;

	json_array_foreach(c->notes, i, e)
		m2mi_notifier_send(c->cse->notifier, json_string_value(json_array_get(e, 0)),
				   json_string_value(json_array_get(e, 1)), json_string_value(json_array_get(e, 2)));
	json_decref(c->notes);
	c->notes = NULL;
}

static bool in_list(json_t *list, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), s) == 0)
			return true;
	return false;
}

/* An <AE> named in nu: the Originator itself needs no verification (TS-0004 7.4.8.2.1: only
 * entries that are not the Originator); another AE must be request-reachable, and its http://
 * pointOfAccess entries are verified — that AE's consent. */
static int ae_targets(m2mi_ctx *c, const char *id, size_t i)
{
	m2m_res r = {0};
	json_t *ae = NULL, *p;
	size_t j, n = 0;
	m2m_err e = m2mi_lookup(c, id, &r);
	int rsc = 0;

	if (e != M2M_OK || r.ty != M2M_TY_AE || (ae = json_loads(r.body, 0, NULL)) == NULL) {
		m2m_res_clear(&r);
		if (e != M2M_OK && e != M2M_E_NOT_FOUND)
			return m2mi_store_fail(c, e);
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "nu entry %zu is neither an http:// URI nor a registered AE", i);
	}
	if (c->has_orig && strcmp(r.ri, c->orig.cse_relative) == 0) /* public: IDs */
		goto out;
	if (!ae_reachable(ae)) {
		rsc = m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
				"nu entry %zu names an AE that is not request-reachable", i);
		goto out;
	}
	json_array_foreach(json_object_get(ae, "poa"), j, p) {
		if (!json_is_string(p) || strncmp(json_string_value(p), "http://", 7) != 0)
			continue;
		if (!in_list(c->verify_nu, json_string_value(p)) &&
		    json_array_append(c->verify_nu, p) != 0) {
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			goto out;
		}
		n++;
	}
	if (n == 0)
		rsc = m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
				"nu entry %zu names an AE without an http:// pointOfAccess", i);
out:
	json_decref(ae);
	m2m_res_clear(&r);
	return rsc;
}

int m2mi_notify_targets_to_verify(m2mi_ctx *c, json_t *nu, json_t *old_nu)
{
	size_t i;
	json_t *e;
	m2mi_url u;
	int rsc;

	json_decref(c->verify_nu);
	if ((c->verify_nu = json_array()) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	json_array_foreach(nu, i, e) {
		const char *t = json_string_value(e);

		if (t == NULL || in_list(old_nu, t) || in_list(c->verify_nu, t))
			continue; /* unchanged targets were verified before */
		if (strstr(t, "://") != NULL) {
			/* A URI: the scheme must be one the CSE implements (http now), well formed. */
			m2m_err pe = m2mi_url_parse(t, &u);
			if (pe == M2M_E_UNSUPPORTED) /* Recv-6.4 a): no request can be sent there */
				return m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
						 "nu entry %zu: only http:// notification targets are supported", i);
			if (pe != M2M_OK)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "nu entry %zu is not a valid http:// URI", i);
			if (json_array_append(c->verify_nu, e) != 0)
				return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		} else if ((rsc = ae_targets(c, t, i)) != 0) {
			return rsc;
		}
	}
	return 0;
}
