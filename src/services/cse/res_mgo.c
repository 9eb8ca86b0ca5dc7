/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <mgmtObj> resource (ty 13; TS-0004 clause 7.4.15, TS-0001 clause
 * 9.6.15) in the two specialisations a secure deployment needs to tie a device to its node
 * (TS-0004 Annex D, short names of TS-0004 clause 8.2.3):
 *  - [firmware] (m2m:fwr, mgd 1001, Annex D.2): vr, fwn, url, ud (M), uds (UPDATE only,
 *    m2m:actionStatus {acn, sus 0..3});
 *  - [deviceInfo] (m2m:dvi, mgd 1007, Annex D.8): dlb, man, mod, dty (M) and the optional
 *    mfdl, mfd, smod, dvnm, fwv, swv, hwv, osv, cnty, loc, syst, spur, purl, ptl;
 * with the common mgmtObj attributes mgd (M, must be the specialisation's value), obis, obps
 * (CREATE only) and dc. Other specialisations (mgd 0 with mgmtSchema, 1002..) are 5001. Every
 * attribute is checked against its data type (4000). No technology-specific management
 * protocol is driven: the resources are records kept by the CSE.
 * A resource of type 13 has one type descriptor per specialisation; m2mi_type_of_request and
 * m2mi_type_of_row pick it from the request content / stored mgd (other types: m2mi_type_find).
 */
#include <string.h>

#include "services/cse/cse_int.h"

#define MGD_FIRMWARE 1001
#define MGD_DEVICEINFO 1007

static const int mgo_children[] = {M2M_TY_SUB, 0};

/* xs:anyURI as this CSE accepts it: non-empty, no space or control character. */
static bool uri_ok(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int check_uris(m2mi_ctx *c, json_t *a, const char *const *sns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(a, sns[i]);
		if (v != NULL && !uri_ok(json_string_value(v)))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s must be a URI", sns[i]);
	}
	return 0;
}

/* Common mgmtObj checks: mgd is the specialisation's value; obis/obps entries are URIs. */
static int check_common(m2mi_ctx *c, json_t *a, int mgd)
{
	static const char *const lists[] = {"obis", "obps"};
	json_t *v = json_object_get(a, "mgd"), *e;
	size_t i;

	if (v != NULL && json_integer_value(v) != mgd)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute mgd must be %d for this specialisation", mgd);
	for (size_t k = 0; k < 2; k++)
		json_array_foreach(json_object_get(a, lists[k]), i, e)
			if (!uri_ok(json_string_value(e)))
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s must hold URIs", lists[k]);
	return 0;
}

/* ---- [firmware] --------------------------------------------------------------------------- */

static const m2mi_attr fwr_attrs[] = {
	{"mgd", M2MI_VT_UINT, M2MI_M, M2MI_NP, true},
	{"obis", M2MI_VT_STRLIST, M2MI_O, M2MI_NP, false},
	{"obps", M2MI_VT_STRLIST, M2MI_O, M2MI_NP, false},
	{"dc", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"vr", M2MI_VT_STR, M2MI_M, M2MI_O, true},
	{"fwn", M2MI_VT_STR, M2MI_M, M2MI_O, true},
	{"url", M2MI_VT_STR, M2MI_M, M2MI_O, true},
	{"ud", M2MI_VT_BOOL, M2MI_M, M2MI_O, true},
	{"uds", M2MI_VT_OBJ, M2MI_NP, M2MI_O, false},
};

/* m2m:actionStatus (TS-0004 clause 6.3.5.14): acn (anyURI), sus (m2m:status 0..3). */
static int check_uds(m2mi_ctx *c, json_t *a)
{
	json_t *uds = json_object_get(a, "uds"), *v;
	const char *k;

	json_object_foreach(uds, k, v) {
		if (strcmp(k, "acn") == 0 && uri_ok(json_string_value(v)))
			continue;
		if (strcmp(k, "sus") == 0 && json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 3)
			continue;
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute uds: invalid element %.32s", k);
	}
	return 0;
}

static int fwr_check(m2mi_ctx *c, json_t *a)
{
	static const char *const uris[] = {"url"};
	int rsc;

	if ((rsc = check_common(c, a, MGD_FIRMWARE)) != 0 || (rsc = check_uris(c, a, uris, 1)) != 0)
		return rsc;
	return check_uds(c, a);
}

static int fwr_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	return fwr_check(c, n->attr);
}

static int fwr_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	(void)chg;
	return fwr_check(c, n->attr);
}

const m2mi_type m2mi_type_fwr = {
	.ty = M2MI_TY_MGO, .wrapper = "m2m:fwr", .prefix = "fwr", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = fwr_attrs, .nattrs = sizeof(fwr_attrs) / sizeof(fwr_attrs[0]), .children = mgo_children,
	.create = fwr_create, .update = fwr_update,
};

/* ---- [deviceInfo] ------------------------------------------------------------------------- */

static const m2mi_attr dvi_attrs[] = {
	{"mgd", M2MI_VT_UINT, M2MI_M, M2MI_NP, true},
	{"obis", M2MI_VT_STRLIST, M2MI_O, M2MI_NP, false},
	{"obps", M2MI_VT_STRLIST, M2MI_O, M2MI_NP, false},
	{"dc", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"dlb", M2MI_VT_STR, M2MI_M, M2MI_O, true},
	{"man", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"mfdl", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"mfd", M2MI_VT_TIME, M2MI_O, M2MI_NP, false},
	{"mod", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"smod", M2MI_VT_STR, M2MI_O, M2MI_NP, false},
	{"dty", M2MI_VT_STR, M2MI_M, M2MI_O, true},
	{"dvnm", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"fwv", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"swv", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"hwv", M2MI_VT_STR, M2MI_O, M2MI_NP, false},
	{"osv", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"cnty", M2MI_VT_STR, M2MI_O, M2MI_NP, false},
	{"loc", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"syst", M2MI_VT_TIME, M2MI_O, M2MI_O, false},
	{"spur", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"purl", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"ptl", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
};

static int dvi_check(m2mi_ctx *c, json_t *a)
{
	static const char *const uris[] = {"spur", "purl"};
	json_t *e;
	size_t i;
	int rsc;

	if ((rsc = check_common(c, a, MGD_DEVICEINFO)) != 0 || (rsc = check_uris(c, a, uris, 2)) != 0)
		return rsc;
	json_array_foreach(json_object_get(a, "ptl"), i, e) /* m2m:protocolList: MIME types */
		if (!uri_ok(json_string_value(e)) || strchr(json_string_value(e), '/') == NULL)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute ptl must hold MIME types");
	return 0;
}

static int dvi_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	return dvi_check(c, n->attr);
}

static int dvi_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	(void)chg;
	return dvi_check(c, n->attr);
}

const m2mi_type m2mi_type_dvi = {
	.ty = M2MI_TY_MGO, .wrapper = "m2m:dvi", .prefix = "dvi", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = dvi_attrs, .nattrs = sizeof(dvi_attrs) / sizeof(dvi_attrs[0]), .children = mgo_children,
	.create = dvi_create, .update = dvi_update,
};

/* ---- choosing the specialisation ------------------------------------------------------------ */

const m2mi_type *m2mi_type_of_request(const m2m_request *req)
{
	if (req->ty != M2MI_TY_MGO)
		return m2mi_type_find(req->ty);
	if (json_object_get(req->pc, m2mi_type_fwr.wrapper) != NULL)
		return &m2mi_type_fwr;
	if (json_object_get(req->pc, m2mi_type_dvi.wrapper) != NULL)
		return &m2mi_type_dvi;
	return NULL; /* another specialisation: not implemented */
}

const m2mi_type *m2mi_type_of_row(const m2m_res *r)
{
	json_t *body;
	json_int_t mgd;

	if (r->ty != M2MI_TY_MGO)
		return m2mi_type_find(r->ty);
	body = r->body ? json_loads(r->body, 0, NULL) : NULL;
	mgd = json_integer_value(json_object_get(body, "mgd"));
	json_decref(body);
	return mgd == MGD_FIRMWARE ? &m2mi_type_fwr : mgd == MGD_DEVICEINFO ? &m2mi_type_dvi : NULL;
}
