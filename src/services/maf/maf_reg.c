/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF Client procedures of TS-0003 clause 8.8.2 (Tables 8.8.2.3-1 ...
 * 8.8.2.6-1): MAF Client Registration (including the remote provisioning of Km through the MEF,
 * clause 8.8.2.3: the Km is stored under a MAF-assigned KmID), Configuration Retrieval,
 * Registration Update and De-Registration. A registration lives as the attrs of the client's
 * credential-store record (its Km, or its certificate); one per client. Mapping:
 * docs/procedures/maf.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>

#include "core/mef_codec.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/rsc.h"
#include "services/maf/maf_int.h"

m2m_err m2mi_maf_caller_reg(m2m_maf_worker *w, const m2m_maf_assoc *a, m2m_cred_info **info, m2mi_maf_reg *reg)
{
	m2m_err r;

	*info = NULL;
	memset(reg, 0, sizeof(*reg));
	if (a->peer != M2M_MAF_PEER_CLIENT || a->cred_id[0] == '\0')
		return M2M_E_NOT_FOUND;
	if ((r = m2m_credstore_get_info(w->st, a->cred_id, info)) != M2M_OK)
		return r;
	if ((*info)->owner == NULL || strcmp((*info)->owner, a->client_id) != 0 || /* public: ids */
	    ((*info)->kind != M2M_CRED_KIND_KM && (*info)->kind != M2M_CRED_KIND_CERT))
		r = M2M_E_NOT_FOUND; /* a record of somebody else is not this client's */
	else
		r = m2mi_maf_reg_parse((*info)->attrs, reg);
	if (r != M2M_OK) {
		m2m_credstore_info_free(*info);
		*info = NULL;
	}
	return r;
}

static m2m_err random_hex(char *out, size_t cap, bool upper)
{
	uint8_t b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return M2M_E_CRYPTO;
	return m2m_hex_encode(b, sizeof(b), upper, out, cap);
}

/* The <mafClientReg> representation (Table 8.8.2.3-2); cfg adds mafClientCfg (8.8.2.4-2). */
static json_t *reg_json(const m2m_maf *maf, const char *client, const m2mi_maf_reg *reg, const char *assigned, bool cfg)
{
	char ts[16] = "";
	json_t *o, *in, *lbl = reg->labels[0] != '\0' ? json_loads(reg->labels, 0, NULL) : NULL;

	(void)m2mi_mef_ts_format(reg->exp, ts, sizeof(ts));
	o = json_pack("{s:{s:s,s:s,s:s,s:s}}", "sec:mafClientReg", "mafClientRegID", reg->id, "mafClientID", client,
		      "expirationTime", ts, "adminFQDN", reg->admin);
	in = json_object_get(o, "sec:mafClientReg");
	if (in != NULL && lbl != NULL)
		json_object_set(in, "labels", lbl);
	if (in != NULL && assigned != NULL)
		json_object_set_new(in, "assignedSymmKeyID", json_string(assigned));
	if (in != NULL && cfg) {
		json_t *c = json_pack("{s:s,s:s,s:s}", "fqdn", maf->maf_fqdn, "adminFQDN", reg->admin, "expirationTime", ts);
		if (c != NULL && lbl != NULL)
			json_object_set(c, "labels", lbl);
		if (c == NULL) {
			json_decref(o);
			o = NULL;
		} else {
			json_object_set_new(in, "mafClientCfg", c);
		}
	}
	json_decref(lbl);
	return o;
}

/* Expiry of a registration: min(requested, now + the cap, the credential's own end). */
static int64_t reg_expiry(const m2m_maf *maf, int64_t et, int64_t now, int64_t cred_end)
{
	int64_t e = et;

	if (now + maf->cfg.max_reg_lifetime < e)
		e = now + maf->cfg.max_reg_lifetime;
	if (cred_end > 0 && cred_end < e)
		e = cred_end;
	return e;
}

static m2m_err store_fail(m2m_response *rsp, m2mi_proc_out *o)
{
	return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
}

typedef struct drop_ctx {
	m2m_credstore *st;
	const char *owner, *keep;
	m2m_err r;
} drop_ctx;

/* De-Registration (clause 8.8.2.6): delete each key registration whose source is the client. */
static m2m_err drop_key(const m2m_cred_info *info, void *arg)
{
	drop_ctx *d = arg;

	if (info->owner != NULL && strcmp(info->owner, d->owner) == 0) /* public: ids */
		d->r = m2m_credstore_delete(d->st, info->id);
	return d->r;
}

/* One registration per client: clear the registration kept on the client's other records
 * (a previous certificate, another Km); their KeID / check time stay. */
static m2m_err drop_other_reg(const m2m_cred_info *info, void *arg)
{
	drop_ctx *d = arg;
	m2mi_maf_reg reg;
	m2m_cred_info ci;

	if (info->owner == NULL || strcmp(info->owner, d->owner) != 0 || /* public: ids */
	    (d->keep != NULL && strcmp(info->id, d->keep) == 0) || /* public: ids */
	    m2mi_maf_reg_parse(info->attrs, &reg) != M2M_OK || !reg.present)
		return M2M_OK;
	reg.present = false;
	memset(&ci, 0, sizeof(ci));
	if ((ci.attrs = m2mi_maf_reg_text(&reg)) == NULL)
		return d->r = M2M_E_NOMEM;
	d->r = m2m_credstore_update(d->st, info->id, M2M_CRED_SET_ATTRS, &ci);
	free(ci.attrs);
	return d->r;
}

/* Remote provisioning does not accumulate: of the Km records an enrolment (KeID) got from earlier
 * registrations only the newest PREV_KEEP stay (a client run concurrently with another of the
 * same enrolment keeps its fresh KmID), the older go, else an enrolee registering again and again
 * would grow the store without bound; the key registrations of an active one move to the new
 * KmID (they stay, maf.md), those of a revoked or expired one stay refused. At most PREV_SCAN are looked at per registration: the rest goes with the next ones. */
#define PREV_KEEP 3
#define PREV_SCAN 32

typedef struct prev_rec {
	char id[M2MI_MAF_ID_MAX];
	int64_t created;
	bool active; /* only an active record's keys move: a revoked or expired one's stay refused */
} prev_rec;

typedef struct prev_ctx {
	m2m_credstore *st;
	const char *keid, *keep;
	int64_t now;
	prev_rec rec[PREV_SCAN];
	size_t n, first_gone;
	m2m_err r;
} prev_ctx;

static m2m_err find_prev(const m2m_cred_info *info, void *arg)
{
	prev_ctx *p = arg;
	m2mi_maf_reg reg;

	if (p->n < PREV_SCAN && strcasecmp(info->id, p->keep) != 0 && /* public: ids */
	    m2mi_maf_reg_parse(info->attrs, &reg) == M2M_OK && strcmp(reg.keid, p->keid) == 0) { /* public: ids */
		snprintf(p->rec[p->n].id, sizeof(p->rec[0].id), "%s", info->id);
		p->rec[p->n].active = m2m_credstore_check(info, p->now) == M2M_OK;
		p->rec[p->n++].created = info->created_at;
	}
	return M2M_OK;
}

static int newest_first(const void *x, const void *y)
{
	const prev_rec *a = x, *b = y;

	return a->created < b->created ? 1 : a->created > b->created ? -1 : 0;
}

static m2m_err move_key(const m2m_cred_info *info, void *arg)
{
	prev_ctx *p = arg;
	json_t *at = info->attrs != NULL ? json_loads(info->attrs, 0, NULL) : NULL;
	const char *src = json_string_value(json_object_get(at, "src"));
	m2m_cred_info ci;

	for (size_t i = p->first_gone; src != NULL && i < p->n && p->r == M2M_OK; i++) {
		if (strcasecmp(src, p->rec[i].id) != 0) /* public: ids */
			continue;
		if (!p->rec[i].active)
			break; /* its source record goes: the key stays refused (4103) */
		memset(&ci, 0, sizeof(ci));
		if (json_object_set_new(at, "src", json_string(p->keep)) != 0 ||
		    (ci.attrs = json_dumps(at, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
			p->r = M2M_E_NOMEM;
		else
			p->r = m2m_credstore_update(p->st, info->id, M2M_CRED_SET_ATTRS, &ci);
		free(ci.attrs);
		break;
	}
	json_decref(at);
	return p->r;
}

static m2m_err replace_prev(m2m_credstore *st, const char *keid, const char *kmid, int64_t now)
{
	prev_ctx *p = calloc(1, sizeof(*p));
	m2m_err r;

	if (p == NULL)
		return M2M_E_NOMEM;
	p->st = st;
	p->keid = keid;
	p->keep = kmid;
	p->now = now;
	r = m2m_credstore_list(st, M2M_CRED_KIND_KM, find_prev, p);
	if (r == M2M_OK && p->n > PREV_KEEP) {
		qsort(p->rec, p->n, sizeof(p->rec[0]), newest_first);
		p->first_gone = PREV_KEEP;
		r = m2m_credstore_list(st, M2M_CRED_KIND_KC, move_key, p);
		for (size_t i = p->first_gone; r == M2M_OK && i < p->n; i++)
			r = m2m_credstore_delete(st, p->rec[i].id);
	}
	free(p);
	return r;
}

/* Remote provisioning (clause 8.8.2.3): the Km from the MEF under a new, MAF-assigned KmID. */
static m2m_err register_remote(m2m_maf_worker *w, const m2m_maf_assoc *a, m2mi_maf_reg *reg, int64_t now,
			       m2m_response *rsp, m2mi_proc_out *o)
{
	char kmid[M2MI_MAF_ID_MAX], rel[33], owner[M2MI_MAF_ID_MAX] = "";
	m2m_cred_info ci;
	m2m_id *id = NULL;
	m2m_err r;

	/* the owner in the store's canonical form, so that it compares with the other records' */
	if (m2m_id_parse(a->sa.bound_id, strlen(a->sa.bound_id), M2M_ID_ANY, &id) == M2M_OK &&
	    (m2m_id_kind_of(id) == M2M_ID_AE_ID || m2m_id_kind_of(id) == M2M_ID_CSE_ID))
		snprintf(owner, sizeof(owner), "%s", m2m_id_canonical(id));
	m2m_id_free(id);
	if (a->km == NULL || owner[0] == '\0' || (a->sa.entity != M2M_ENTITY_AE && a->sa.entity != M2M_ENTITY_CSE))
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
				     "no AE-ID or CSE-ID for this enrolment");
	if (random_hex(rel, sizeof(rel), false) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "no randomness");
	snprintf(kmid, sizeof(kmid), "%s@%s", rel, w->maf->maf_fqdn);
	reg->exp = reg_expiry(w->maf, reg->exp, now, a->sa.expiry);
	snprintf(reg->keid, sizeof(reg->keid), "%s", a->client_id);
	reg->checked = now;
	memset(&ci, 0, sizeof(ci));
	ci.kind = M2M_CRED_KIND_KM;
	ci.id = kmid;
	ci.owner = owner;
	ci.suid = M2M_SUID_RSPF_MAF;
	ci.not_after = reg->exp;
	ci.created_at = now;
	if ((ci.attrs = m2mi_maf_reg_text(reg)) == NULL)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	r = m2m_credstore_add(w->st, &ci, a->km, NULL, NULL);
	free(ci.attrs);
	if (r == M2M_OK)
		r = replace_prev(w->st, a->client_id, kmid, now);
	if (r == M2M_OK) { /* one registration per client, as below */
		drop_ctx d = {.st = w->st, .owner = owner, .keep = kmid};
		r = m2m_credstore_list(w->st, M2M_CRED_KIND_KM | M2M_CRED_KIND_CERT, drop_other_reg, &d);
	}
	if (r != M2M_OK)
		return store_fail(rsp, o);
	m2mi_proc_set_body(rsp, M2M_RSC_CREATED, reg_json(w->maf, owner, reg, kmid, false));
	return rsp->rsc == M2M_RSC_CREATED ? M2M_OK : M2M_E_NOMEM;
}

static m2m_err do_register(m2m_maf_worker *w, const m2m_maf_assoc *a, const m2m_request *req, m2m_response *rsp,
			   int64_t now, m2mi_proc_out *o)
{
	m2mi_mef_client_reg in;
	m2m_cred_info *info = NULL, ci;
	m2mi_maf_reg reg, old;
	m2m_err r;

	o->proc = "client-registration";
	/* Table 8.8.2.3-1: fqdn, adminFQDN and expirationTime are mandatory; the MEF's m2msec
	 * extensions (enroleeID, certEnrolInd) have no meaning here. */
	if (m2mi_mef_parse_client_reg(req->pc, false, &in) != M2M_OK || in.et == 0 || in.enrolee_id[0] != '\0' ||
	    in.cert_enrol)
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:clientRegCfg");
	if (strcasecmp(in.fqdn, w->maf->maf_fqdn) != 0) /* host names compare case-insensitively */
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "fqdn is not this MAF");
	if (in.et <= now)
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "expirationTime in the past");
	memset(&reg, 0, sizeof(reg));
	reg.present = true;
	reg.exp = in.et;
	snprintf(reg.admin, sizeof(reg.admin), "%s", in.admin_fqdn);
	if (m2mi_mef_labels_text(&in.lbl, reg.labels, sizeof(reg.labels)) != M2M_OK) /* never cut */
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels");
	if (random_hex(reg.id, sizeof(reg.id), true) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "no randomness");
	if (m2mi_maf_registers_only(a))
		return register_remote(w, a, &reg, now, rsp, o);
	r = m2mi_maf_caller_reg(w, a, &info, &old);
	if (r != M2M_OK && r != M2M_E_NOT_FOUND)
		return store_fail(rsp, o);
	if (r == M2M_OK && (r = m2m_credstore_check(info, now)) != M2M_OK) {
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
				     r == M2M_E_KEY_REVOKED ? "revoked" : "expired", "client not usable");
	}
	memset(&ci, 0, sizeof(ci));
	if (info != NULL) {
		/* a new registration replaces the previous one (its mafClientRegID stops working) */
		reg.exp = reg_expiry(w->maf, reg.exp, now, info->not_after);
		snprintf(reg.keid, sizeof(reg.keid), "%s", old.keid);
		reg.checked = old.checked;
		if ((ci.attrs = m2mi_maf_reg_text(&reg)) != NULL)
			r = m2m_credstore_update(w->st, info->id, M2M_CRED_SET_ATTRS, &ci);
	} else if (a->cert_pem != NULL) {
		/* a certificate client's first registration: a record of kind cert holds it */
		reg.exp = reg_expiry(w->maf, reg.exp, now, 0);
		ci.kind = M2M_CRED_KIND_CERT;
		ci.owner = (char *)a->client_id;
		ci.created_at = now;
		if ((ci.attrs = m2mi_maf_reg_text(&reg)) != NULL)
			r = m2m_credstore_add(w->st, &ci, NULL, a->cert_pem, NULL);
	} else {
		r = M2M_E_INTERNAL; /* a CLIENT is a Km record or a certificate */
	}
	if (ci.attrs == NULL && r != M2M_E_INTERNAL)
		r = M2M_E_NOMEM;
	if (r == M2M_OK) {
		drop_ctx d = {.st = w->st, .owner = a->client_id, .keep = info != NULL ? info->id : a->cred_id};
		r = m2m_credstore_list(w->st, M2M_CRED_KIND_KM | M2M_CRED_KIND_CERT, drop_other_reg, &d);
	}
	m2m_credstore_info_free(info);
	free(ci.attrs);
	if (r != M2M_OK)
		return store_fail(rsp, o);
	m2mi_proc_set_body(rsp, M2M_RSC_CREATED, reg_json(w->maf, a->client_id, &reg, NULL, false));
	return rsp->rsc == M2M_RSC_CREATED ? M2M_OK : M2M_E_NOMEM;
}

static m2m_err do_update(m2m_maf_worker *w, const m2m_cred_info *info, m2mi_maf_reg *reg, const m2m_request *req,
			 m2m_response *rsp, int64_t now, m2mi_proc_out *o)
{
	m2mi_mef_client_reg in;
	m2m_cred_info ci;
	json_t *body, *in_o;
	char ts[16] = "";
	m2m_err r;

	o->proc = "client-registration-update";
	if (m2mi_mef_parse_client_reg(req->pc, true, &in) != M2M_OK || (in.et != 0 && in.et <= now))
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:clientRegCfg");
	if (in.et != 0)
		reg->exp = reg_expiry(w->maf, in.et, now, info->not_after);
	if (in.lbl.present && m2mi_mef_labels_text(&in.lbl, reg->labels, sizeof(reg->labels)) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels"); /* never cut */
	memset(&ci, 0, sizeof(ci));
	if ((ci.attrs = m2mi_maf_reg_text(reg)) == NULL)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	r = m2m_credstore_update(w->st, info->id, M2M_CRED_SET_ATTRS, &ci);
	free(ci.attrs);
	if (r != M2M_OK)
		return store_fail(rsp, o);
	/* Table 8.8.2.5-2: the members sent, with the values now in force */
	body = json_pack("{s:{}}", "sec:mafClientReg");
	in_o = json_object_get(body, "sec:mafClientReg");
	(void)m2mi_mef_ts_format(reg->exp, ts, sizeof(ts));
	if (in_o != NULL && in.et != 0)
		json_object_set_new(in_o, "expirationTime", json_string(ts));
	if (in_o != NULL && in.lbl.present)
		json_object_set_new(in_o, "labels", reg->labels[0] != '\0' ? json_loads(reg->labels, 0, NULL) : json_array());
	m2mi_proc_set_body(rsp, M2M_RSC_UPDATED, body);
	return rsp->rsc == M2M_RSC_UPDATED ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2mi_maf_client(m2m_maf_worker *w, const m2m_maf_assoc *a, const m2m_request *req, m2m_response *rsp,
			int64_t now, m2mi_proc_out *o)
{
	const char *to = req->to[0] == '/' ? req->to + 1 : req->to, *p = to + strlen("mafClientReg");
	m2m_cred_info *info = NULL, ci;
	m2mi_maf_reg reg;
	drop_ctx d;
	m2m_err r;

	o->proc = "client-registration";
	if (*p == '\0')
		return req->op == M2M_OP_CREATE ? do_register(w, a, req, rsp, now, o)
						: m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed",
								"CREATE only");
	o->proc = req->op == M2M_OP_RETRIEVE ? "client-config-retrieval" : req->op == M2M_OP_UPDATE
			? "client-registration-update" : "client-deregistration";
	if (m2mi_maf_registers_only(a)) /* clause 8.8.2.3: remote provisioning registers only */
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
				     "only MAF Client Registration with this association");
	p++;
	r = m2mi_maf_caller_reg(w, a, &info, &reg);
	if (r != M2M_OK && r != M2M_E_NOT_FOUND)
		return store_fail(rsp, o);
	/* Only the registration of this session's client: another one is "not found". */
	if (r != M2M_OK || !reg.present || strcasecmp(p, reg.id) != 0) {
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such registration");
	}
	if ((r = m2m_credstore_check(info, now)) != M2M_OK || reg.exp <= now) {
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
				     r == M2M_E_KEY_REVOKED ? "revoked" : "expired", "registration not usable");
	}
	switch (req->op) {
	case M2M_OP_RETRIEVE:
		if (req->pc != NULL)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "RETRIEVE carries no content");
		else
			m2mi_proc_set_body(rsp, M2M_RSC_OK, reg_json(w->maf, a->client_id, &reg, NULL, true));
		if (r == M2M_OK && rsp->rsc != M2M_RSC_OK)
			r = M2M_E_NOMEM;
		break;
	case M2M_OP_UPDATE:
		r = do_update(w, info, &reg, req, rsp, now, o);
		break;
	case M2M_OP_DELETE:
		if (req->pc != NULL) {
			r = m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "DELETE carries no content");
			break;
		}
		/* the registration goes, and with it the client's key registrations (one transaction) */
		d = (drop_ctx){.st = w->st, .owner = a->client_id, .r = M2M_OK};
		reg.present = false;
		memset(&ci, 0, sizeof(ci));
		if ((r = m2m_credstore_list(w->st, M2M_CRED_KIND_KC, drop_key, &d)) == M2M_OK &&
		    (ci.attrs = m2mi_maf_reg_text(&reg)) != NULL)
			r = m2m_credstore_update(w->st, info->id, M2M_CRED_SET_ATTRS, &ci);
		else if (r == M2M_OK)
			r = M2M_E_NOMEM;
		free(ci.attrs);
		if (r != M2M_OK)
			r = store_fail(rsp, o);
		else
			rsp->rsc = M2M_RSC_DELETED;
		break;
	default:
		r = m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "not allowed here");
	}
	m2m_credstore_info_free(info);
	return r;
}
