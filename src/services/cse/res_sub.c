/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <subscription> resource (TS-0004 clause 7.4.8, TS-0001 clause
 * 9.6.8, short name m2m:sub): notificationURI (nu, 1..8 entries), eventNotificationCriteria
 * (enc, with the members net — notificationEventType 1..4 — and chty only), notificationContent
 * Type (nct 1 all attributes, 2 modified attributes, 3 resource ID; default 1) and subscriberURI
 * (su). The access rule of TS-0004 clause 7.4.8.2.1 (the Originator also needs RETRIEVE on the
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

static int check(m2mi_ctx *c, json_t *a)
{
	json_t *nu = json_object_get(a, "nu"), *enc = json_object_get(a, "enc"), *nct = json_object_get(a, "nct");
	const char *k;
	json_t *v;
	size_t i;

	if (json_array_size(nu) == 0 || json_array_size(nu) > M2MI_NU_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nu must have 1 to %d entries", M2MI_NU_MAX);
	json_array_foreach(nu, i, v)
		if (json_string_length(v) == 0)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nu has an empty entry");
	json_object_foreach(enc, k, v) {
		if (strcmp(k, "net") == 0) {
			if (!int_list(v, 1, 4))
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST,
						 "enc.net must be a non-empty list of event types 1 to 4");
		} else if (strcmp(k, "chty") == 0) {
			if (!int_list(v, 1, 65535))
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "enc.chty must be a non-empty list of types");
		} else {
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "unknown attribute enc.%.32s", k);
		}
	}
	if (nct != NULL && (json_integer_value(nct) < 1 || json_integer_value(nct) > 3))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nct must be 1, 2 or 3");
	return 0;
}

static int sub_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	int rsc;

	(void)parent;
	if ((rsc = check(c, n->attr)) != 0)
		return rsc;
	if (json_object_get(n->attr, "nct") == NULL && json_object_set_new(n->attr, "nct", json_integer(1)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if (c->sub_phase == 1) /* dry run: hand the targets to verify to the dispatcher */
		return m2mi_notify_targets_to_verify(c, json_object_get(n->attr, "nu"), NULL);
	return 0;
}

/* TS-0004 7.4.8.2.3 / 7.5.1.2.3: a new notification target gets the same verification as at
 * CREATE. The dry run (sub_phase 1) stops here with the targets that are new. */
static int sub_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	json_t *old;
	int rsc;

	if ((rsc = check(c, n->attr)) != 0 || c->sub_phase != 1)
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
