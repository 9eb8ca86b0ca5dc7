/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <subscription> resource (TS-0004 clause 7.4.8, TS-0001 clause
 * 9.6.8, short name m2m:sub): notificationURI (nu, 1..8 entries), eventNotificationCriteria
 * (enc: net — notificationEventType 1..4 —, chty, atr, om), notificationContentType (nct 1 all
 * attributes, 2 modified attributes, 3 resource ID; default 1), subscriberURI (su),
 * expirationCounter (exc), batchNotify (bn) and latestNotify (ln). The access rule of TS-0004 clause 7.4.8.2.1 (the Originator also needs RETRIEVE on the
 * subscribed-to resource) and the verification request of clause 7.5.1.2.3 are applied by the
 * dispatcher (cse.c) and notify.c; here the representation is checked, and a dry run hands the
 * URIs to verify back to the dispatcher before anything is written.
 */
#include <stdio.h>
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr sub_attrs[] = {
	{"nu", M2MI_VT_STRLIST, M2MI_M, M2MI_O, true},
	{"enc", M2MI_VT_OBJ, M2MI_O, M2MI_O, false},
	{"nct", M2MI_VT_UINT, M2MI_O, M2MI_O, false},
	{"su", M2MI_VT_STR, M2MI_O, M2MI_NP, false},
	{"exc", M2MI_VT_POSINT, M2MI_O, M2MI_O, false},
	{"bn", M2MI_VT_OBJ, M2MI_O, M2MI_O, false},
	{"ln", M2MI_VT_BOOL, M2MI_O, M2MI_O, false},
};

static const int sub_children[] = {0};

static bool int_list(json_t *v, json_int_t lo, json_int_t hi)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach(v, i, e)
		if (!json_is_integer(e) || json_integer_value(e) < lo || json_integer_value(e) > hi)
			return false;
	return true;
}

static bool has(json_t *list, json_int_t v)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (json_integer_value(e) == v)
			return true;
	return false;
}

/* operationMonitor (TS-0004 Table 6.3.5.57-1): one object or a list; each has ops (an
 * accessControlOperations bit set 1..63) and/or or (an originator ID), at least one. */
static bool om_ok(json_t *om)
{
	json_t *one = om, *e;
	size_t i, n = json_is_array(om) ? json_array_size(om) : 1;

	if (n == 0 || n > 16)
		return false;
	for (i = 0; i < n; i++) {
		json_t *ops, *org;
		if (json_is_array(om))
			one = json_array_get(om, i);
		ops = json_object_get(one, "ops");
		org = json_object_get(one, "or");
		if (!json_is_object(one) || (ops == NULL && org == NULL) ||
		    (ops && (!json_is_integer(ops) || json_integer_value(ops) < 1 || json_integer_value(ops) > 63)) ||
		    (org && json_string_length(org) == 0))
			return false;
		if (json_object_size(one) != (size_t)(ops != NULL) + (org != NULL))
			return false; /* an unknown member */
	}
	(void)e;
	return true;
}
/* batchNotify (TS-0004 Table 6.3.5.6-1): num >= 1 and dur an xs:duration ("PT5S"). */
static int bn_check(m2mi_ctx *c, json_t *a)
{
	json_t *bn = json_object_get(a, "bn"), *num, *dur;
	int64_t ms;

	if (bn == NULL)
		return 0;
	num = json_object_get(bn, "num");
	dur = json_object_get(bn, "dur");
	if (json_object_size(bn) != (size_t)(num != NULL) + (dur != NULL) || num == NULL || !json_is_integer(num) ||
	    json_integer_value(num) < 1 || json_integer_value(num) > M2MI_BATCH_MAX ||
	    (dur != NULL && (!m2mi_duration_parse(json_string_value(dur), &ms) || ms <= 0)))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST,
				 "bn must be {\"num\": 1..%d, \"dur\": an xs:duration such as \"PT10S\"}", M2MI_BATCH_MAX);
	/* Recv-6.5: without a duration, the provider's default */
	if (dur == NULL && json_object_set_new(bn, "dur", json_string(M2MI_BATCH_DUR)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

/*
 * The representation checks of TS-0004 7.4.8.2.1 (Recv-6.4) and TS-0001 Table 9.6.8-3/-4, all
 * 4000: net values against the subscribed-to resource type (ptype), chty only with net 3/4 and
 * only types that can be children of it, atr only with net 1, net and om not together,
 * nct 2 ("modified attributes") only for net 1; values this CSE does not implement are 5001.
 */
static int check(m2mi_ctx *c, json_t *a, int ptype)
{
	json_t *nu = json_object_get(a, "nu"), *enc = json_object_get(a, "enc"), *nct = json_object_get(a, "nct");
	json_t *net = json_object_get(enc, "net"), *chty = json_object_get(enc, "chty"), *v;
	const m2mi_type *pt = m2mi_type_find(ptype);
	const char *k;
	size_t i;

	if (json_array_size(nu) == 0 || json_array_size(nu) > M2MI_NU_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nu must have 1 to %d entries", M2MI_NU_MAX);
	json_array_foreach(nu, i, v)
		if (json_string_length(v) == 0)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nu has an empty entry");
	json_object_foreach(enc, k, v) {
		if (strcmp(k, "net") == 0) {
			if (!int_list(v, 1, 8) || json_array_size(v) > 8)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.net must be a non-empty list of event types 1 to 8");
		} else if (strcmp(k, "chty") == 0) {
			if (!int_list(v, 1, 65535))
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.chty must be a non-empty list of types");
		} else if (strcmp(k, "atr") == 0) {
			size_t j;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) == 0)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.atr must be a non-empty list of attribute names");
			json_array_foreach(v, j, e)
				if (json_string_length(e) == 0)
					return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.atr must list attribute names");
		} else if (strcmp(k, "om") == 0) {
			if (!om_ok(v))
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.om must be {\"ops\": 1..63, \"or\": ID} (or a list)");
		} else {
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "unknown attribute enc.%.32s", k);
		}
	}
	if (net != NULL && json_object_get(enc, "om") != NULL) /* Recv-6.4 */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.net and enc.om cannot be used together");
	if (chty != NULL && !has(net, 3) && !has(net, 4)) /* Table 9.6.8-3 childResourceType */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.chty needs enc.net 3 or 4");
	json_array_foreach(chty, i, v)
		if (pt == NULL || !m2mi_type_allows_child(pt, (int)json_integer_value(v)))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.chty %lld is no child type of the subscribed-to resource",
					 (long long)json_integer_value(v));
	if (json_object_get(enc, "atr") != NULL && net != NULL && !has(net, 1)) /* Table 9.6.8-3 attribute */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.atr needs enc.net 1");
	if ((has(net, 5) && ptype != M2M_TY_CNT) || (has(net, 6) && ptype != M2M_TY_AE) || has(net, 8) ||
	    (has(net, 7) && json_array_size(net) > 1))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.net does not apply to the subscribed-to resource");
	if (has(net, 5) || has(net, 6) || has(net, 7))
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "enc.net 5, 6 and 7 are not implemented");
	if (nct != NULL && (json_integer_value(nct) < 1 || json_integer_value(nct) > 3))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nct must be 1, 2 or 3");
	/* Table 9.6.8-4: "modified attributes" only for Update_of_Resource */
	if (json_integer_value(nct) == 2 && ((net != NULL && json_array_size(net) != (size_t)has(net, 1)) ||
					     json_object_get(enc, "om") != NULL))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "nct 2 (modified attributes) is valid only for enc.net 1");
	return bn_check(c, a);
}

bool m2mi_duration_parse(const char *s, int64_t *ms)
{
	/* xs:duration, the subset P[nD][T[nH][nM][n[.fff]S]] (no years or months: their length varies) */
	int64_t total = 0;
	bool time = false, any = false;

	if (s == NULL || *s++ != 'P')
		return false;
	while (*s) {
		int64_t v = 0, frac = 0, fdig = 0;
		if (*s == 'T' && !time) {
			time = true;
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++)
			if ((v = v * 10 + (*s - '0')) > 100000000)
				return false;
		if (*s == '.' && time) {
			for (s++; *s >= '0' && *s <= '9'; s++)
				if (fdig < 3) {
					frac = frac * 10 + (*s - '0');
					fdig++;
				}
			while (fdig < 3) {
				frac *= 10;
				fdig++;
			}
			if (*s != 'S')
				return false;
		}
		if (*s == 'D' && !time)
			total += v * 86400000;
		else if (*s == 'H' && time)
			total += v * 3600000;
		else if (*s == 'M' && time)
			total += v * 60000;
		else if (*s == 'S' && time)
			total += v * 1000 + frac;
		else
			return false;
		any = true;
		s++;
	}
	*ms = total;
	return any;
}

/* Recv-6.5: the nu entry t is the Originator itself (its AE, by any ID form). */
static bool is_originator(m2mi_ctx *c, const char *t)
{
	m2m_res r = {0};
	bool same;

	if (!c->has_orig || strstr(t, "://") != NULL)
		return false;
	if (strcmp(t, c->from) == 0) /* public: IDs */
		return true;
	same = m2mi_lookup(c, t, &r) == M2M_OK && strcmp(r.ri, c->orig.cse_relative) == 0; /* public: IDs */
	m2m_res_clear(&r);
	return same;
}

/* The targets to verify: nu and, when it is not in nu, su (where the deletion notification of
 * TS-0004 7.5.1.2.4 goes: a target like any other). */
static int targets(m2mi_ctx *c, json_t *a, json_t *old_nu)
{
	json_t *su = json_object_get(a, "su"), *all = json_copy(json_object_get(a, "nu"));
	int rsc;

	if (all == NULL || (su != NULL && json_array_append(all, su) != 0)) {
		json_decref(all);
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	}
	rsc = m2mi_notify_targets_to_verify(c, all, old_nu);
	json_decref(all);
	return rsc;
}

static int sub_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	json_t *nu = json_object_get(n->attr, "nu"), *e;
	size_t i;
	int rsc;

	if ((rsc = check(c, n->attr, parent->row.ty)) != 0)
		return rsc;
	if (json_object_get(n->attr, "nct") == NULL && json_object_set_new(n->attr, "nct", json_integer(1)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	/* Recv-6.5: a subscription for someone else records its creator */
	json_array_foreach(nu, i, e)
		if (!is_originator(c, json_string_value(e))) {
			if (c->has_orig && json_object_set_new(n->attr, "cr", json_string(c->from)) != 0)
				return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			break;
		}
	if (c->sub_phase == 1) /* dry run: hand the targets to verify to the dispatcher */
		return targets(c, n->attr, NULL);
	if (json_object_get(json_object_get(n->attr, "enc"), "om") != NULL)
		atomic_store(&c->cse->om_any, true); /* requests now look for monitors (notify_om.c) */
	return 0;
}

/* TS-0004 7.4.8.2.3 / 7.5.1.2.3: a new notification target gets the same verification as at
 * CREATE. The dry run (sub_phase 1) stops here with the targets that are new. */
static int sub_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	m2m_res parent = {0};
	json_t *old;
	m2m_err e = n->row.pi ? m2m_resstore_get(c->st, n->row.pi, &parent) : M2M_E_NOT_FOUND;
	int rsc;

	if (e != M2M_OK)
		return m2mi_store_fail(c, e);
	rsc = check(c, n->attr, parent.ty);
	m2m_res_clear(&parent);
	if (rsc == 0 && json_object_get(json_object_get(n->attr, "enc"), "om") != NULL)
		atomic_store(&c->cse->om_any, true);
	if (rsc != 0 || c->sub_phase != 1)
		return rsc;
	old = json_loads(n->row.body ? n->row.body : "{}", 0, NULL);
	rsc = m2mi_notify_targets_to_verify(c, json_object_get(chg, "nu"), json_object_get(old, "nu"));
	json_decref(old);
	snprintf(c->pre_ri, sizeof(c->pre_ri), "%s", n->row.ri);
	return rsc != 0 ? rsc : M2MI_DRY_RUN_DONE;
}

const m2mi_type m2mi_type_sub = {
	.ty = M2M_TY_SUB, .wrapper = "m2m:sub", .prefix = "sub",
	.flags = M2MI_F_ACPI | M2MI_F_CR | M2MI_F_ET | M2MI_F_LBL,
	.attrs = sub_attrs, .nattrs = sizeof(sub_attrs) / sizeof(sub_attrs[0]), .children = sub_children,
	.create = sub_create, .update = sub_update,
};
