/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <node> resource (ty 14, m2m:nod; TS-0004 clause 7.4.18, TS-0001
 * clause 9.6.18): the M2M Node a device's credentials and AEs belong to. Attributes (short
 * names of TS-0004 clause 8.2.3): ni nodeID (M, m2m:nodeID), hcl hostedCSELink (a CSE-ID),
 * hael hostedAELinks (AE-IDs, at least one), hsl hostedServiceLinks (at least one), mgca
 * mgmtClientAddress; rms roamingStatus and nid networkID are set by the network, never by a
 * request. Children: <mgmtObj> (res_mgo.c) and <subscription>. Also the check that a nodeLink
 * (nl) attribute names an existing <node> the Originator may RETRIEVE (TS-0001 Table 9.6.5-2:
 * the resource ID of the <node> holding the node specific information).
 */
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr nod_attrs[] = {
	{"ni", M2MI_VT_STR, M2MI_M, M2MI_O, true},
	{"hcl", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"hael", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"hsl", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"mgca", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"rms", M2MI_VT_BOOL, M2MI_NP, M2MI_NP, false},
	{"nid", M2MI_VT_STR, M2MI_NP, M2MI_NP, false},
};

static const int nod_children[] = {M2MI_TY_MGO, M2M_TY_SUB, 0};

/* A printable identifier: 1..256 characters, no space or control character. */
static bool token_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 256)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int nod_check(m2mi_ctx *c, json_t *a)
{
	const char *hcl = json_string_value(json_object_get(a, "hcl"));
	json_t *hael = json_object_get(a, "hael"), *hsl = json_object_get(a, "hsl"), *e;
	m2m_origin_forms f;
	size_t i;

	if (!token_ok(json_string_value(json_object_get(a, "ni")))) /* m2m:nodeID, e.g. urn:gsma:imei:... */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute ni must be a node ID");
	if (hcl != NULL && (m2m_originator_forms(&c->cse->octx, hcl, &f) != M2M_OK || !f.is_cse))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute hcl must be a CSE-ID");
	if (json_object_get(a, "mgca") != NULL && !token_ok(json_string_value(json_object_get(a, "mgca"))))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute mgca must be an address");
	if (hael != NULL && json_array_size(hael) == 0) /* m2m:listOfM2MID: at least one member */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute hael must not be empty");
	json_array_foreach(hael, i, e)
		if (m2m_originator_forms(&c->cse->octx, json_string_value(e), &f) != M2M_OK || f.is_cse)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute hael must hold AE-IDs");
	if (hsl != NULL && json_array_size(hsl) == 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute hsl must not be empty");
	json_array_foreach(hsl, i, e)
		if (!token_ok(json_string_value(e)))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute hsl must hold resource IDs");
	return 0;
}

static int nod_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	return nod_check(c, n->attr);
}

static int nod_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	(void)chg;
	return nod_check(c, n->attr);
}

const m2mi_type m2mi_type_nod = {
	.ty = M2MI_TY_NOD, .wrapper = "m2m:nod", .prefix = "nod", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = nod_attrs, .nattrs = sizeof(nod_attrs) / sizeof(nod_attrs[0]), .children = nod_children,
	.create = nod_create, .update = nod_update,
};

int m2mi_node_link_check(m2mi_ctx *c, json_t *attr)
{
	json_t *nl = json_object_get(attr, "nl");
	m2m_res r = {0};
	m2m_err e;
	int ty;

	if (nl == NULL || json_is_null(nl))
		return 0;
	e = m2mi_lookup(c, json_string_value(nl), &r);
	ty = r.ty;
	/* the Originator must be able to see the node it links to; a node it cannot see answers
	 * like a missing one (no existence oracle) */
	if (e == M2M_OK && ty == M2MI_TY_NOD && !m2mi_access(c, &r, &r, M2M_ACP_OP_RETRIEVE, 0))
		ty = 0;
	m2m_res_clear(&r);
	if (e != M2M_OK && e != M2M_E_NOT_FOUND)
		return m2mi_store_fail(c, e);
	if (e == M2M_E_NOT_FOUND || ty != M2MI_TY_NOD)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute nl must name an existing node resource");
	return 0;
}
