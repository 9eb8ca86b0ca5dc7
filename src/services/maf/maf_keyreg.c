/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF Key procedures of TS-0003 clause 8.8.2 (Tables 8.8.2.7-1 ...
 * 8.8.2.10-1): a registered MAF client (the Source MAF Client) registers a symmetric key for its
 * targets (MAF Key Registration: its Key Value, or, when absent, Kc/KcID exported from its TLS
 * session with "EXPORTER-oneM2M-Connection", clause 10.3.1), updates or de-registers it; an
 * authenticated entity listed in targetIDs retrieves it (MAF Key Retrieval, clause 8.8.2.8).
 * Each key is a credential-store record of kind kc (id = Key Identifier, clause 10.3.5). A
 * caller that is neither the source nor a listed target gets "not found" (no oracle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>

#include "core/mef_codec.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"
#include "services/maf/maf_int.h"

#define ESDATA_MAX_TARGETS 8

/* docs/procedures/maf.md "Roles": SAEF (32) and ESPrim (33) keys have exactly one target,
 * ESData keys (34, 35) one to eight (TS-0003 Table 8.8.1-1, TS-0004 Table 6.3.4.2.39-1). */
static bool suid_ok(int suid, size_t ntargets)
{
	if (suid == M2M_SUID_MAF_SAEF || suid == 33)
		return ntargets == 1;
	return (suid == 34 || suid == 35) && ntargets >= 1 && ntargets <= ESDATA_MAX_TARGETS;
}

/* Absolute form of a target: SP-relative IDs get the MAF's SP-ID (TS-0001 clause 7.2). */
static void absolute(const m2m_maf *maf, const char *id, char *out, size_t cap)
{
	if (id[0] == '/' && id[1] != '/' && maf->sp_id != NULL)
		snprintf(out, cap, "%s%s", maf->sp_id, id);
	else
		snprintf(out, cap, "%s", id);
}

/* The key attributes (docs/credstore.md): adminFQDN, labels, the source's record. */
static char *key_attrs(const char *admin, const char *labels, const char *src)
{
	json_t *j = json_pack("{s:s,s:s}", "admin", admin, "src", src);
	char *s;

	if (j != NULL && labels[0] != '\0')
		json_object_set_new(j, "labels", json_loads(labels, 0, NULL));
	s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	return s;
}

/* The <mafKeyReg> representation (Tables 8.8.2.7-2, 8.8.2.8-2) of record info. */
static json_t *keyreg_json(const m2m_cred_info *info, const m2m_key *key)
{
	char rel[33];
	json_t *at = info->attrs != NULL ? json_loads(info->attrs, 0, NULL) : NULL, *o;
	m2mi_keyreg_view v = {.rel_key_id = rel, .key_id = info->id, .source_id = info->owner,
			      .admin_fqdn = json_string_value(json_object_get(at, "admin")), .expiry = info->not_after,
			      .suid = info->suid, .targets = (const char *const *)info->targets,
			      .ntargets = info->ntargets, .labels = json_object_get(at, "labels")};

	snprintf(rel, sizeof(rel), "%.32s", info->id);
	o = m2mi_keyreg_json("sec:mafKeyReg", &v, key);
	json_decref(at);
	return o;
}

#define EXPIRED_SCAN 128 /* expired records purged per Key Registration at most */

typedef struct count_ctx {
	const char *owner;
	int64_t now;
	size_t n;                                  /* unexpired, unrevoked */
	size_t nexp;                               /* expired, ids in exp[0..min(nexp, EXPIRED_SCAN)) */
	char (*exp)[M2MI_MAF_ID_MAX];
} count_ctx;

/* Count the unexpired, unrevoked key registrations of one client; note its expired ones. */
static m2m_err count_key(const m2m_cred_info *info, void *arg)
{
	count_ctx *c = arg;
	m2m_err st;

	if (info->owner == NULL || strcmp(info->owner, c->owner) != 0) /* public: ids */
		return M2M_OK;
	if ((st = m2m_credstore_check(info, c->now)) == M2M_OK)
		c->n++;
	else if (st == M2M_E_KEY_EXPIRED && c->nexp++ < EXPIRED_SCAN)
		snprintf(c->exp[c->nexp - 1], sizeof(c->exp[0]), "%s", info->id);
	return M2M_OK;
}

/* The client's keys, expired ones included, reach the cap: its expired ones go (Key Retrieval
 * of such a key is then 4004 instead of 4103), so that a client's records stay bounded. */
static m2m_err count_and_purge(m2m_credstore *st, count_ctx *c, size_t cap)
{
	size_t all = 0;
	m2m_err r;

	/* the common case: one COUNT in the store, not a listing of every key */
	if ((r = m2m_credstore_count_owner(st, M2M_CRED_KIND_KC, c->owner, c->now, &c->n, &all)) != M2M_OK ||
	    all < cap)
		return r;
	c->n = 0;
	if ((c->exp = calloc(EXPIRED_SCAN, sizeof(*c->exp))) == NULL)
		return M2M_E_NOMEM;
	r = m2m_credstore_list(st, M2M_CRED_KIND_KC, count_key, c);
	for (size_t i = 0; r == M2M_OK && c->n + c->nexp >= cap && i < c->nexp && i < EXPIRED_SCAN;
	     i++)
		r = m2m_credstore_delete(st, c->exp[i]);
	free(c->exp);
	c->exp = NULL;
	return r;
}

static m2m_err do_create(m2m_maf_worker *w, const m2m_maf_assoc *a, const m2m_request *req, m2m_response *rsp,
			 int64_t now, m2mi_proc_out *o)
{
	char kid[M2MI_MAF_ID_MAX], labels[M2MI_MEF_LABELS_TEXT], rel[33], abs[M2MI_MEF_TARGETS_MAX][M2MI_MAF_ID_MAX];
	char *targets[M2MI_MEF_TARGETS_MAX];
	m2m_cred_info *info = NULL, ci, *got = NULL;
	m2mi_mef_key_reg in;
	m2mi_maf_reg reg;
	m2m_key *key = NULL;
	uint8_t rb[16];
	count_ctx cnt;
	m2m_err r;

	o->proc = "key-registration";
	if (req->op != M2M_OP_CREATE)
		return m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "CREATE only");
	r = m2mi_maf_caller_reg(w, a, &info, &reg);
	if (r != M2M_OK && r != M2M_E_NOT_FOUND)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	if (r != M2M_OK || !reg.present || reg.exp <= now || m2m_credstore_check(info, now) != M2M_OK) {
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-registered",
				     "MAF Client Registration required first");
	}
	if (m2mi_mef_parse_key_reg(req->pc, false, &in) != M2M_OK) {
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:keyRegCfg");
	}
	o->suid = in.suid;
	/* Table 8.8.2.7-1: expirationTime is mandatory; a Key Value is a Kc (32 bytes) */
	if (strcasecmp(in.fqdn, w->maf->maf_fqdn) != 0 || in.et == 0 || in.et <= now || !suid_ok(in.suid, in.ntargets) ||
	    (in.key_len != 0 && in.key_len != 32)) {
		m2mi_mef_key_reg_wipe(&in);
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "fqdn, expirationTime, SUID, targetIDs or keyValue");
	}
	/* a bound on the store: unexpired keys per client (expired ones do not count, and go once
	 * the client's records reach the cap) */
	cnt = (count_ctx){.owner = a->client_id, .now = now};
	if ((r = count_and_purge(w->st, &cnt, (size_t)w->maf->cfg.max_keys_per_client)) != M2M_OK ||
	    cnt.n >= (size_t)w->maf->cfg.max_keys_per_client) {
		m2mi_mef_key_reg_wipe(&in);
		m2m_credstore_info_free(info);
		return r != M2M_OK ? m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure")
				   : m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "key-limit",
						   "too many key registrations for this client: de-register one first");
	}
	if (in.key_len > 0) {
		r = m2m_key_new(in.key, in.key_len, &key);
		if (r == M2M_OK && RAND_bytes(rb, sizeof(rb)) != 1)
			r = M2M_E_CRYPTO;
		if (r == M2M_OK)
			r = m2m_hex_encode(rb, sizeof(rb), true, rel, sizeof(rel));
	} else if (a->kc != NULL && strlen(m2m_key_id(a->kc)) > 32) {
		/* relKeyID = hexBinary(KcID) of this session's export (clause 10.3.1) */
		snprintf(rel, sizeof(rel), "%.32s", m2m_key_id(a->kc));
		for (char *p = rel; *p != '\0'; p++)
			*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
		r = m2m_key_dup(a->kc, &key);
	} else {
		r = M2M_E_INVAL;
	}
	m2mi_mef_key_reg_wipe(&in);
	if (r != M2M_OK) {
		m2m_key_free(key);
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "no key to register");
	}
	for (size_t i = 0; i < in.ntargets; i++) {
		absolute(w->maf, in.targets[i], abs[i], sizeof(abs[i]));
		targets[i] = abs[i];
	}
	snprintf(kid, sizeof(kid), "%s@%s", rel, w->maf->maf_fqdn);
	snprintf(o->key_id, sizeof(o->key_id), "%s", kid);
	if (m2mi_mef_labels_text(&in.lbl, labels, sizeof(labels)) != M2M_OK) { /* never cut */
		m2mi_mef_key_reg_wipe(&in);
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels");
	}
	memset(&ci, 0, sizeof(ci));
	ci.kind = M2M_CRED_KIND_KC;
	ci.id = kid;
	ci.owner = (char *)a->client_id;
	ci.targets = targets;
	ci.ntargets = in.ntargets;
	ci.suid = in.suid;
	/* capped by the registration and max-key-lifetime (docs/procedures/maf.md) */
	ci.not_after = in.et;
	if (reg.exp < ci.not_after)
		ci.not_after = reg.exp;
	if (now + w->maf->cfg.max_key_lifetime < ci.not_after)
		ci.not_after = now + w->maf->cfg.max_key_lifetime;
	ci.created_at = now;
	ci.attrs = key_attrs(in.admin_fqdn, labels, info->id);
	m2m_credstore_info_free(info);
	r = ci.attrs != NULL ? m2m_credstore_add(w->st, &ci, key, NULL, NULL) : M2M_E_NOMEM;
	free(ci.attrs);
	m2m_key_free(key);
	if (r == M2M_E_EXISTS)
		return m2mi_proc_fail(rsp, o, M2M_RSC_CONFLICT, "already-registered", "this KcID is already registered");
	if (r == M2M_E_INVAL || (r <= M2M_E_ID_EMPTY && r >= M2M_E_ID_BAD_LEN))
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "targetIDs"); /* e.g. a target twice */
	if (r != M2M_OK || m2m_credstore_get_info(w->st, kid, &got) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	m2mi_proc_set_body(rsp, M2M_RSC_CREATED, keyreg_json(got, NULL));
	m2m_credstore_info_free(got);
	return rsp->rsc == M2M_RSC_CREATED ? M2M_OK : M2M_E_NOMEM;
}

/* Is the caller listed in the record's targets (compared in absolute form)? */
static bool listed(const m2m_maf *maf, const m2m_cred_info *info, const m2m_maf_assoc *a)
{
	char abs[M2MI_MAF_ID_MAX];

	if (a->peer != M2M_MAF_PEER_CLIENT || a->client_id[0] == '\0')
		return false;
	absolute(maf, a->client_id, abs, sizeof(abs));
	for (size_t i = 0; i < info->ntargets; i++)
		if (strcmp(info->targets[i], abs) == 0 || strcmp(info->targets[i], a->client_id) == 0) /* public: ids */
			return true;
	return false;
}

/* The source's client is still usable: the record it registered the key with is still active
 * (clause 8.8.2.8). A De-Registration deletes the client's keys; a newer registration of the
 * same client (through another credential) keeps them (docs/procedures/maf.md). */
static bool source_usable(m2m_maf_worker *w, const m2m_cred_info *info, int64_t now)
{
	m2m_cred_info *src = NULL;
	json_t *at = info->attrs != NULL ? json_loads(info->attrs, 0, NULL) : NULL;
	const char *sid = json_string_value(json_object_get(at, "src"));
	bool ok = false;

	if (sid != NULL && m2m_credstore_get_info(w->st, sid, &src) == M2M_OK)
		ok = src->owner != NULL && info->owner != NULL && strcmp(src->owner, info->owner) == 0 && /* public */
		     m2m_credstore_check(src, now) == M2M_OK;
	m2m_credstore_info_free(src);
	json_decref(at);
	return ok;
}

static m2m_err do_update(m2m_maf_worker *w, const m2m_cred_info *info, const m2m_request *req, m2m_response *rsp,
			 int64_t now, m2mi_proc_out *o)
{
	char abs[M2MI_MEF_TARGETS_MAX][M2MI_MAF_ID_MAX], labels[M2MI_MEF_LABELS_TEXT], ts[16] = "", *targets[M2MI_MEF_TARGETS_MAX];
	json_t *at = NULL, *body, *in_o;
	m2mi_mef_key_reg in;
	m2m_cred_info ci;
	unsigned what = 0;
	m2m_err r;

	if (m2mi_mef_parse_key_reg(req->pc, true, &in) != M2M_OK || (in.et != 0 && in.et <= now) ||
	    (in.targets_present && !suid_ok(info->suid, in.ntargets)))
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:keyRegCfg");
	memset(&ci, 0, sizeof(ci));
	ci.not_after = info->not_after;
	if (in.et != 0) {
		what |= M2M_CRED_SET_NOT_AFTER;
		if (in.et < ci.not_after)
			ci.not_after = in.et; /* the expiry only shrinks */
	}
	if (in.targets_present) {
		what |= M2M_CRED_SET_TARGETS;
		for (size_t i = 0; i < in.ntargets; i++) {
			absolute(w->maf, in.targets[i], abs[i], sizeof(abs[i]));
			targets[i] = abs[i];
		}
		ci.targets = targets;
		ci.ntargets = in.ntargets;
	}
	if (in.lbl.present) {
		what |= M2M_CRED_SET_ATTRS;
		at = info->attrs != NULL ? json_loads(info->attrs, 0, NULL) : json_object();
		if (m2mi_mef_labels_text(&in.lbl, labels, sizeof(labels)) != M2M_OK) { /* never cut */
			json_decref(at);
			at = NULL;
		}
		if (at != NULL)
			json_object_set_new(at, "labels", labels[0] != '\0' ? json_loads(labels, 0, NULL) : json_array());
		ci.attrs = at != NULL ? json_dumps(at, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(at);
		if (ci.attrs == NULL)
			return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	}
	r = m2m_credstore_update(w->st, info->id, what, &ci);
	free(ci.attrs);
	if (r == M2M_E_INVAL || (r <= M2M_E_ID_EMPTY && r >= M2M_E_ID_BAD_LEN))
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "targetIDs");
	if (r != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	/* Table 8.8.2.9-2: the members sent, with the values now in force */
	body = json_pack("{s:{}}", "sec:mafKeyReg");
	in_o = json_object_get(body, "sec:mafKeyReg");
	(void)m2mi_mef_ts_format(ci.not_after, ts, sizeof(ts));
	if (in_o != NULL && in.et != 0)
		json_object_set_new(in_o, "expirationTime", json_string(ts));
	if (in_o != NULL && in.lbl.present)
		json_object_set_new(in_o, "labels", labels[0] != '\0' ? json_loads(labels, 0, NULL) : json_array());
	if (in_o != NULL && in.targets_present) {
		json_t *tg = json_array();
		for (size_t i = 0; tg != NULL && i < in.ntargets; i++)
			json_array_append_new(tg, json_string(abs[i]));
		json_object_set_new(in_o, "targetIDs", tg);
	}
	m2mi_proc_set_body(rsp, M2M_RSC_UPDATED, body);
	return rsp->rsc == M2M_RSC_UPDATED ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2mi_maf_key_proc(m2m_maf_worker *w, const m2m_maf_assoc *a, const m2m_request *req, m2m_response *rsp,
			  int64_t now, m2mi_proc_out *o)
{
	const char *to = req->to[0] == '/' ? req->to + 1 : req->to, *p = to + strlen("mafKeyReg");
	char kid[M2MI_MAF_ID_MAX];
	m2m_cred_info *info = NULL;
	m2m_key *key = NULL;
	bool source;
	m2m_err r = M2M_OK, cr;

	o->proc = *p == '\0' ? "key-registration" : req->op == M2M_OP_RETRIEVE ? "key-retrieval"
					       : req->op == M2M_OP_UPDATE ? "key-registration-update" : "key-deregistration";
	if (m2mi_maf_registers_only(a)) /* clause 8.8.2.3: remote provisioning registers only */
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
				     "only MAF Client Registration with this association");
	if (*p == '\0')
		return do_create(w, a, req, rsp, now, o);
	p++;
	if (strlen(p) != 32 || strspn(p, "0123456789ABCDEFabcdef") != 32)
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
	snprintf(kid, sizeof(kid), "%s@%s", p, w->maf->maf_fqdn);
	if (m2m_credstore_get_info(w->st, kid, &info) != M2M_OK || info->kind != M2M_CRED_KIND_KC) {
		m2m_credstore_info_free(info);
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
	}
	snprintf(o->key_id, sizeof(o->key_id), "%s", info->id);
	o->suid = info->suid;
	source = a->peer == M2M_MAF_PEER_CLIENT && info->owner != NULL && strcmp(info->owner, a->client_id) == 0;
	if (req->op == M2M_OP_RETRIEVE) {
		/* authorization first, so that nothing tells a stranger the key exists */
		if (!source && !listed(w->maf, info, a))
			r = m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
		else if (req->pc != NULL)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "RETRIEVE carries no content");
		else if ((cr = m2m_credstore_check(info, now)) != M2M_OK) /* one cause per refusal */
			r = m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
					  cr == M2M_E_KEY_REVOKED ? "revoked" : "expired",
					  cr == M2M_E_KEY_REVOKED ? "key revoked" : "key expired");
		else if (!source_usable(w, info, now))
			r = m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "revoked",
					  "the source client is revoked or de-registered");
		/* the MAF hands Kc out, it does not use it: no last use recorded (docs/credstore.md) */
		else if (!source && m2m_credstore_lookup_read(w->st, info->id, M2M_CRED_KIND_KC, now, &key, NULL) !=
					    M2M_OK)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
		else
			m2mi_proc_set_body(rsp, M2M_RSC_OK, keyreg_json(info, source ? NULL : key));
	} else if (!source) {
		r = m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
	} else if (req->op == M2M_OP_DELETE) {
		if (req->pc != NULL)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "DELETE carries no content");
		else if (m2m_credstore_delete(w->st, info->id) != M2M_OK)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
		else
			rsp->rsc = M2M_RSC_DELETED;
	} else if (req->op == M2M_OP_UPDATE) {
		r = do_update(w, info, req, rsp, now, o);
	} else {
		r = m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "not allowed here");
	}
	m2m_key_free(key);
	m2m_credstore_info_free(info);
	if (r == M2M_OK && !m2m_rsc_is_success(rsp->rsc))
		r = M2M_E_NOMEM;
	return r;
}
