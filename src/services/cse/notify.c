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
 *  - no target on a node the underlying network does not authorize (netauth.c, TS-0001 clause
 *    6.2.2 CMDH): the node of an <AE> target is that AE, the node of a notification URI is the
 *    subscription's creator (the entity that asked for the delivery and consented to that URI —
 *    the CSE cannot tell which node an arbitrary URL belongs to). Such a notification is not
 *    queued at all (there is nothing to retry until the status changes, and the notifier's
 *    queues keep only what can be sent), the attempt is counted and logged; a new target on
 *    such a node is not verified either (5204, as for any verification that cannot be sent);
 *  - notifications of a request are collected in the request context and handed to the
 *    notifier (notify_q.c) only after its transaction committed; the request path never waits
 *    for a receiver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
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

/* ?ct= on a notification URI (TS-0004 7.5.1.2.2 Step 2.5): the serialisation the target wants,
 * removed from the URI. Only JSON is implemented: false for another one. */
static bool strip_ct(const char *url, char *out, size_t cap)
{
	const char *q = strchr(url, '?'), *p;
	size_t n, len = strlen(url);
	bool first = true;

	if (len >= cap)
		return false;
	if (q == NULL) {
		memcpy(out, url, len + 1);
		return true;
	}
	n = (size_t)(q - url);
	memcpy(out, url, n);
	for (p = q + 1; *p;) {
		size_t k = strcspn(p, "&");
		if (k >= 3 && strncmp(p, "ct=", 3) == 0) {
			if (k != 7 || strncmp(p + 3, "json", 4) != 0)
				return false;
		} else if (k > 0) {
			out[n++] = first ? '?' : '&';
			memcpy(out + n, p, k);
			n += k;
			first = false;
		}
		p += k;
		if (*p == '&')
			p++;
	}
	out[n] = '\0';
	return true;
}

/* One notification: [url, body, vrq|null, sur, ln, bn.num, bn.dur ms]. */
static int note(m2mi_ctx *c, const char *url, const char *body, const char *vrq, const m2m_res *sub, json_t *a)
{
	char u[2048];
	json_t *bn = json_object_get(a, "bn"), *e;
	int64_t ms = 0;

	if (!strip_ct(url, u, sizeof(u)))
		return 0; /* a serialisation this CSE cannot produce: nothing can be sent (verified before) */
	if (bn != NULL && !m2mi_duration_parse(json_string_value(json_object_get(bn, "dur")), &ms))
		ms = 0;
	e = json_pack("[s,s,s?,s,b,I,I]", u, body, vrq, sub ? sub->ri : "", json_is_true(json_object_get(a, "ln")),
		      (json_int_t)json_integer_value(json_object_get(bn, "num")), (json_int_t)ms);
	if (e == NULL || json_array_append_new(c->notes, e) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

/* The node of a target may be delivered to (netauth.c); else the attempt is recorded: counted,
 * and logged with the subscription and the node's identity only (a URL may carry a receiver's
 * credentials in its query), rate-limited to the 1st, 2nd, 4th, 8th ... occurrence. */
static bool node_ok(m2mi_ctx *c, const m2m_res *sub, const char *node)
{
	uint64_t n;

	if (node == NULL || node[0] == '\0' || m2mi_cse_node_reachable(c->cse, node))
		return true;
	n = m2mi_cse_note_undelivered(c->cse);
	if ((n & (n - 1)) == 0)
		m2m_log(M2M_LOG_WARN, "notification of %s not delivered: node %s is not authorized by the underlying "
				      "network (TS-0001 6.2.2 CMDH; %llu such attempts so far)",
			sub ? sub->ri : "-", node, (unsigned long long)n);
	return false;
}

/* Note [url, body(, vrq)] for every deliverable target of nu; vrq is the verification request
 * a poa-derived URL must answer before its first notification. */
static int add_targets(m2mi_ctx *c, const m2m_res *sub, json_t *a, json_t *nu, const char *body)
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
			if (node_ok(c, sub, sub ? sub->cr : NULL))
				rsc = note(c, t, body, NULL, sub, a);
		} else if (m2mi_lookup(c, t, &r) == M2M_OK && r.ty == M2M_TY_AE &&
			   (ae = json_loads(r.body, 0, NULL)) != NULL && ae_reachable(ae) &&
			   node_ok(c, sub, json_string_value(json_object_get(ae, "aei")))) {
			if (vrq == NULL) {
				json_t *v = json_pack("{s:{s:b,s:s,s:s}}", "m2m:sgn", "vrq", 1, "sur", sub->ri, "cr",
						      sub->cr ? sub->cr : "");
				vrq = v ? json_dumps(v, JSON_COMPACT) : NULL;
				json_decref(v);
			}
			json_array_foreach(json_object_get(ae, "poa"), j, p)
				if (rsc == 0 && json_is_string(p) && strncmp(json_string_value(p), "http://", 7) == 0)
					rsc = vrq ? note(c, json_string_value(p), body, vrq, sub, a)
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
	const m2mi_type *t = m2mi_type_of_row(&rep->row);
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
 * decision runs as that subscriber: authenticated, without the current request's IP/Role-IDs.
 * *hide_con: rep is a <contentInstance> of a container with disableRetrieval: its content must
 * not leave through a notification either (TS-0001 9.6.6, docs/resources.md). */
static bool subscriber_may_see(m2mi_ctx *c, const m2m_res *sub, m2mi_node *rep, bool *hide_con)
{
	m2m_origin_forms saved = c->orig;
	bool has = c->has_orig, authn = c->rq_authn, admin = c->admin, ok = false;
	m2m_res parent = {0};
	const m2m_res *holder = &rep->row;

	*hide_con = false;
	if (sub->cr == NULL || m2m_originator_forms(&c->cse->octx, sub->cr, &c->orig) != M2M_OK)
		goto out;
	c->has_orig = c->rq_authn = c->as_subscriber = true;
	c->admin = strcmp(c->orig.absolute, c->cse->admin.absolute) == 0; /* public: IDs */
	if (rep->row.ty == M2M_TY_CIN) {
		json_t *pa;
		if (rep->row.pi == NULL || m2m_resstore_get(c->st, rep->row.pi, &parent) != M2M_OK)
			goto out;
		holder = &parent;
		if (parent.body != NULL && strstr(parent.body, "\"disr\"") != NULL) {
			pa = json_loads(parent.body, 0, NULL);
			*hide_con = pa == NULL || json_is_true(json_object_get(pa, "disr")); /* unreadable: hide */
			json_decref(pa);
		}
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

/* enc.atr (TS-0001 Table 9.6.8-3 attribute): an Update_of_Resource notifies only when one of
 * the listed attributes is in the UPDATE. */
static bool atr_match(m2mi_ctx *c, json_t *enc, int net)
{
	json_t *atr = json_object_get(enc, "atr"), *inner, *e;
	size_t i;

	if (atr == NULL || net != 1)
		return true;
	inner = json_object_iter_value(json_object_iter(c->req->pc));
	json_array_foreach(atr, i, e)
		if (json_is_string(e) && json_object_get(inner, json_string_value(e)) != NULL)
			return true;
	return false;
}

/* The notification body for one subscription (with its creator, m2m:notification cr). */
static char *event_body(m2mi_ctx *c, const m2m_res *sub, json_t *a, int net, m2mi_node *rep, bool hide_con)
{
	json_t *r = representation(c, json_integer_value(json_object_get(a, "nct")), net, rep), *sgn, *cr;
	char *body;

	if (r != NULL && hide_con && json_is_object(r))
		json_object_del(json_object_iter_value(json_object_iter(r)), "con");
	sgn = json_pack("{s:{s:{s:o,s:i},s:s}}", "m2m:sgn", "nev", "rep", r, "net", net, "sur", sub->ri);
	if (sgn != NULL && (cr = json_object_get(a, "cr")) != NULL && json_is_string(cr))
		json_object_set(json_object_get(sgn, "m2m:sgn"), "cr", cr);
	body = sgn ? json_dumps(sgn, JSON_COMPACT) : NULL;
	json_decref(sgn);
	return body;
}

/* expirationCounter (TS-0004 7.5.1.2.2 Step 5.0): one less per notification; at zero the
 * subscription is deleted (with its deletion notification). */
static int count_down(m2mi_ctx *c, m2m_res *sub, json_t *a)
{
	json_t *exc = json_object_get(a, "exc");
	m2m_err e;
	char *body;

	if (exc == NULL || !json_is_integer(exc))
		return 0;
	if (json_integer_value(exc) <= 1) {
		int rsc = m2mi_notify_sub_deleted(c, sub);
		if (rsc == 0)
			rsc = m2mi_grp_prune(c, sub->path); /* it leaves its groups */
		if (rsc == 0 && (e = m2m_resstore_delete(c->st, sub->path, NULL)) != M2M_OK)
			rsc = m2mi_store_fail(c, e);
		return rsc;
	}
	json_integer_set(exc, json_integer_value(exc) - 1);
	if ((body = json_dumps(a, JSON_COMPACT)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	free(sub->body);
	sub->body = body;
	sub->ver++;
	if ((e = m2m_resstore_update(c->st, sub)) != M2M_OK)
		return m2mi_store_fail(c, e);
	return 0;
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
		json_t *a, *enc;
		bool hide_con;
		char *body;

		if (m2mi_expired(c, &subs[i]) || strcmp(subs[i].ri, rep->row.ri) == 0 ||
		    (a = json_loads(subs[i].body, 0, NULL)) == NULL)
			continue;
		enc = json_object_get(a, "enc");
		if (json_object_get(enc, "om") != NULL ||
		    !list_has(json_object_get(enc, "net"), net, net == 1) ||
		    ((net == 3 || net == 4) && !list_has(json_object_get(enc, "chty"), rep->row.ty, true)) ||
		    !atr_match(c, enc, net) || !subscriber_may_see(c, &subs[i], rep, &hide_con)) {
			json_decref(a);
			continue;
		}
		if (c->notes == NULL && (c->notes = json_array()) == NULL)
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		else if ((rsc = m2mi_node_attrs(c, rep)) == 0) {
			body = event_body(c, &subs[i], a, net, rep, hide_con);
			rsc = body ? add_targets(c, &subs[i], a, json_object_get(a, "nu"), body)
				   : m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			free(body);
			if (rsc == 0 && net != 2) /* a deleted subject takes its subscriptions along */
				rsc = count_down(c, &subs[i], a);
		}
		json_decref(a);
	}
	m2m_res_free_list(subs, n);
	return rsc;
}

int m2mi_notify_sub_deleted(m2mi_ctx *c, const m2m_res *sub)
{
	json_t *a = sub->body ? json_loads(sub->body, 0, NULL) : NULL, *su = json_object_get(a, "su"), *list, *sgn;
	char *body = NULL;
	int rsc = 0;

	if (su == NULL || !json_is_string(su)) {
		json_decref(a);
		return 0;
	}
	/* TS-0004 7.5.1.2.4: subscriptionDeletion true and the subscription reference, to su */
	json_object_del(a, "bn"); /* one notification, at once */
	sgn = json_pack("{s:{s:b,s:s}}", "m2m:sgn", "sud", 1, "sur", sub->ri);
	list = json_pack("[O]", su);
	body = sgn ? json_dumps(sgn, JSON_COMPACT) : NULL;
	if (body == NULL || list == NULL || (c->notes == NULL && (c->notes = json_array()) == NULL))
		rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	else
		rsc = add_targets(c, sub, a, list, body);
	free(body);
	json_decref(sgn);
	json_decref(list);
	json_decref(a);
	return rsc;
}

int m2mi_notify_subtree_deleted(m2mi_ctx *c, const m2m_res *root)
{
	m2m_res *d = NULL;
	size_t n = 0;
	int rsc = 0;
	m2m_err e;

	if (root->ty == M2M_TY_SUB)
		return m2mi_notify_sub_deleted(c, root);
	if (root->ty == M2M_TY_CIN || root->path == NULL)
		return 0; /* nothing below an instance */
	if ((e = m2m_resstore_descendants(c->st, root->path, M2MI_SUBTREE_MAX, &d, &n)) != M2M_OK)
		return m2mi_store_fail(c, e);
	for (size_t i = 0; i < n && rsc == 0; i++) {
		m2m_res s = {0};
		if (d[i].ty != M2M_TY_SUB)
			continue;
		if ((e = m2m_resstore_get(c->st, d[i].ri, &s)) != M2M_OK)
			rsc = m2mi_store_fail(c, e);
		else
			rsc = m2mi_notify_sub_deleted(c, &s);
		m2m_res_clear(&s);
	}
	m2m_res_free_list(d, n);
	return rsc;
}

int m2mi_notify_targets(m2mi_ctx *c, const m2m_res *sub, json_t *a, json_t *nu, const char *body)
{
	if (c->notes == NULL && (c->notes = json_array()) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return add_targets(c, sub, a, nu, body);
}

bool m2mi_notify_may_see(m2mi_ctx *c, const m2m_res *sub, m2mi_node *rep)
{
	bool hide;

	return subscriber_may_see(c, sub, rep, &hide);
}

void m2mi_notify_flush(m2mi_ctx *c)
{
	size_t i;
	json_t *e;

	json_array_foreach(c->notes, i, e) {
		m2mi_send_opts o = {
			.vrq = json_string_value(json_array_get(e, 2)),
			.sur = json_string_value(json_array_get(e, 3)),
			.latest = json_is_true(json_array_get(e, 4)),
			.batch_num = (int)json_integer_value(json_array_get(e, 5)),
			.batch_ms = json_integer_value(json_array_get(e, 6)),
		};
		m2mi_notifier_send(c->cse->notifier, json_string_value(json_array_get(e, 0)),
				   json_string_value(json_array_get(e, 1)), &o);
	}
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
	/* the verification request is a delivery to that AE's node like any other (netauth.c) */
	if (!m2mi_cse_node_reachable(c->cse, json_string_value(json_object_get(ae, "aei")))) {
		rsc = m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
				"nu entry %zu names an AE whose node is not authorized by the underlying network", i);
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
			/* A URI: the scheme must be one the CSE implements (http now), well formed, and
			 * a ?ct= serialisation it can produce (JSON). The request goes without ?ct=. */
			char plain[2048];
			m2m_err pe;
			if (!strip_ct(t, plain, sizeof(plain)))
				return m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
						 "nu entry %zu: only ct=json is supported", i);
			pe = m2mi_url_parse(plain, &u);
			if (pe == M2M_E_UNSUPPORTED) /* Recv-6.4 a): no request can be sent there */
				return m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
						 "nu entry %zu: only http:// notification targets are supported", i);
			if (pe != M2M_OK)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "nu entry %zu is not a valid http:// URI", i);
			/* a URI is the Originator's node (see add_targets): no verification request to it
			 * while the underlying network does not authorize that node (netauth.c) */
			if (c->has_orig && !m2mi_cse_node_reachable(c->cse, c->orig.absolute))
				return m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
						 "nu entry %zu: the Originator's node is not authorized by the underlying "
						 "network", i);
			if (!in_list(c->verify_nu, plain) && json_array_append_new(c->verify_nu, json_string(plain)) != 0)
				return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		} else if ((rsc = ae_targets(c, t, i)) != 0) {
			return rsc;
		}
	}
	return 0;
}
