/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE as the Target of End-to-End Security of Primitives (ESPrim,
 * TS-0004 clause 7.6.2 steps I-M, TS-0003 clause 8.4.2 C.6, TS-0001 clause 11.4.2) and the
 * e2eSecInfo attribute (TS-0004 clause 6.3.5.52). An outer NOTIFY to the <CSEBase> ("/CSE-ID/."
 * or any form of its address) or to an <AE> hosted here whose Content is an m2m:seci is answered
 * by the handler of its securityInfoType (one table, seci_handlers: 3 receiverESPrimRandObject
 * Request -> 4, 5 ESPrim Object -> 5, 6 ESCertKE message -> 6, escertke_term.c; each entry
 * checks its own switch):
 *  1. parse the ESPrim Object (4000, 4111 without any lookup);
 *  2. kid -> pairwiseESPrimKey through the CSE's key resolver, which is the TLS layer's PSK
 *     resolver chain (credential store, MEF, MAF; m2m_cse_set_esprim_keys): a record with an
 *     ESPrim SUID (13 pre-provisioned, 23 MEF/RSPF, 43 ESCertKE, 33 MAF) bound to an identity,
 *     else 4112;
 *  3. rri -> receiver rand object (4114), ori/oro -> originator rand object (4113), their checks
 *     (m2m_esprim_check_rands: 4111/4113/4114), sessionESPrimKey, decryption (4115, 5210);
 *  4. from here a valid session key exists, so every refusal is itself ESPrim-protected
 *     (TS-0001 clause 11.4.2 C.6a): the inner primitive must parse (4000), its From must be the
 *     key's identity (4116) and (kid, ori, rqi) must be new (replay: 4000, see e2e.md);
 *  5. the inner request goes through the ONE request path of the CSE (m2mi_cse_inner) over an
 *     association bound to the key's identity, so rq_authn is true and the ACPs decide for the
 *     inner From; delivery parameters of the inner primitive are not mapped (step K);
 *  6. the inner response is sealed with the same session key into the outer NOTIFY response.
 *     An inner request that defers (subscription verification, DAS, forwarding, the writer or
 *     a store thread) makes the outer NOTIFY pending with it (m2mi_esp_defer): the loop serves
 *     others, and the answer is sealed on completion (m2m_cse_worker_complete).
 * Refusals before step 4 are plain error NOTIFY responses with the RSC of Table 7.6.2-1.
 * An <AE> with an https:// pointOfAccess is the Target itself (7.6.2 "Target CSE or AE"): a sit 3,
 * 5 or 6 NOTIFY to it is relayed there after the access decision (forward.c m2mi_fwd_to_ae), its
 * Content never decoded here; without one the CSE answers as the AE's delegate (sit 3, 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings/json_prim.h"
#include "core/esprim_int.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "m2msec/mqtt.h"
#include "m2msec/seci_e2e.h"
#include "services/cse/esprim_rx.h"

bool m2mi_seci_request(const m2m_request *req)
{
	/* a NOTIFY with a Resource Type is malformed (TS-0004 Table 7.2.1.1-1): check_primitive's */
	return req->op == M2M_OP_NOTIFY && req->ty == 0 && json_is_object(req->pc) && json_object_size(req->pc) == 1 &&
	       json_object_get(req->pc, "m2m:seci") != NULL;
}

/* ---- e2eSecInfo (TS-0004 clause 6.3.5.52) -------------------------------------------------- */

static bool int_list(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > 64)
		return false;
	json_array_foreach(v, i, e) if (!json_is_integer(e) || json_integer_value(e) < 0) return false;
	return true;
}

static bool str_list(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > 16)
		return false;
	json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
	return true;
}

bool m2mi_esi_ok(json_t *v)
{
	const char *k;
	json_t *e;
	m2m_esprim_rand r;
	char *text;
	bool ok = true;

	if (!json_is_object(v))
		return false;
	json_object_foreach(v, k, e) {
		if (strcmp(k, "esf") == 0)
			ok = ok && int_list(e);
		else if (strcmp(k, "escert") == 0)
			ok = ok && str_list(e);
		else if (strcmp(k, "esro") == 0) {
			text = json_is_object(e) ? json_dumps(e, JSON_COMPACT) : NULL;
			ok = ok && text != NULL && m2m_esprim_rand_decode(text, strlen(text), false, 0, &r) == M2M_OK;
			free(text);
		} else
			ok = false;
	}
	return ok;
}

int m2mi_esi_publish(m2mi_ctx *c, m2mi_node *n)
{
	m2m_esprim_rand r;
	char *text = NULL;
	json_t *esro = NULL, *esi;

	if (n->row.ty != M2M_TY_CSEBASE || c->cse->esprim == NULL || n->attr == NULL)
		return 0;
	if (m2mi_esprim_shared(c->cse->esprim, c->now, &r) != M2M_OK || m2m_esprim_rand_encode(&r, false, &text) != M2M_OK ||
	    (esro = json_loads(text, 0, NULL)) == NULL)
		goto fail;
	free(text);
	/* esf: the SUIDs of the pairwiseESPrimKeys this Target accepts (TS-0003 Table 8.4.3.1.3-1);
	 * 43 (ESCertKE-derived) only while this CSE terminates ESCertKE: without it no Originator
	 * can establish such a key here, so advertising it would send the Originator down a dead end */
	esi = c->cse->eck != NULL ? json_pack("{s:[i,i,i,i],s:o}", "esf", 13, 23, 33, 43, "esro", esro)
				  : json_pack("{s:[i,i,i],s:o}", "esf", 13, 23, 33, "esro", esro);
	if (esi == NULL || json_object_set_new(n->attr, "esi", esi) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
fail:
	free(text);
	return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot make the receiver rand object");
}

/* ---- the outer NOTIFY ---------------------------------------------------------------------- */

/* Where an outer NOTIFY goes: answered here (ty the <CSEBase> or an <AE> whose delegate the
 * CSE is) or, poa non-empty, relayed to the <AE> itself (TS-0004 7.6.2: the AE is the Target). */
typedef struct seci_target {
	int ty;
	char poa[512];         /* the AE's first https:// pointOfAccess, "" = answered here */
	char aei[M2M_ORIG_MAX]; /* its AE-ID (the CMDH reachability of its node) */
} seci_target;

/* An <AE> with an https:// poa is the Target of sit 3, 5 and 6 itself: the NOTIFY is relayed to
 * it after the normal access decision (NOTIFY privilege under the <AE>'s ACPs, TS-0003 7.1;
 * denied: 4103, nothing sent). Without one the CSE answers as its delegate (sit 3, 5). */
static int ae_target(m2mi_ctx *c, seci_target *t)
{
	const char *aei;
	int rsc;

	if ((rsc = m2mi_node_attrs(c, &c->tgt)) != 0 || !m2mi_fwd_https_poa(c->tgt.attr, t->poa, sizeof(t->poa)))
		return rsc;
	aei = json_string_value(json_object_get(c->tgt.attr, "aei"));
	snprintf(t->aei, sizeof(t->aei), "%s", aei != NULL ? aei : "");
	return m2mi_access_target(c, M2M_ACP_OP_NOTIFY, 0);
}

/* The Target: the <CSEBase> (also "/CSE-ID/." of TS-0001 clause 11.4.2 NOTE 2) or an <AE>
 * hosted here; t gets which (relay: an <AE> with an https:// poa may be the Target itself). 0 or
 * the RSC of the outer request. Any form of the CSEBase's own address is told from the
 * configuration alone (no store transaction: the common case). */
static int check_target(m2mi_ctx *c, bool relay, seci_target *t)
{
	char to[M2M_ORIG_MAX + 4], rel[M2M_ORIG_MAX + 4];
	size_t n;
	m2m_err e;
	int rsc;

	t->ty = M2M_TY_CSEBASE;
	if (c->req->to == NULL)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "To is required");
	n = strlen(c->req->to);
	if (n >= 2 && n < sizeof(to) && strcmp(c->req->to + n - 2, "/.") == 0) {
		memcpy(to, c->req->to, n - 2);
		to[n - 2] = '\0';
		if (strcmp(to, c->cfg->cse_id) == 0 || strcmp(to, "") == 0)
			return 0;
	}
	if (m2mi_cse_relative(c, c->req->to, rel, sizeof(rel)) && strcmp(rel, c->cfg->name) == 0) /* public */
		return 0;
	if ((e = m2m_resstore_begin(c->st, false)) != M2M_OK)
		return m2mi_store_fail(c, e);
	rsc = m2mi_resolve_target(c);
	if (rsc == 0 && (c->virt || (c->tgt.row.ty != M2M_TY_CSEBASE && c->tgt.row.ty != M2M_TY_AE)))
		rsc = m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED,
				"an ESPrim NOTIFY is addressed to the <CSEBase> or an <AE> (TS-0004 7.6.2)");
	if (rsc == 0)
		t->ty = c->tgt.row.ty;
	if (rsc == 0 && relay && t->ty == M2M_TY_AE)
		rsc = ae_target(c, t);
	m2m_resstore_rollback(c->st);
	m2mi_node_clear(&c->tgt);
	m2mi_node_clear(&c->holder);
	c->holder_loaded = false;
	c->virt = 0;
	return rsc;
}

/* rsp content = {"m2m:seci": s} (the codec's object itself: no text round trip); 0 or 5000. */
static int answer_seci(m2mi_ctx *c, const m2m_seci_e2e *s)
{
	json_t *pc = NULL;

	if (m2mi_seci_e2e_to_json(s, &pc) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot encode the securityInfo");
	json_decref(c->rsp->pc);
	c->rsp->pc = pc;
	c->rsp->rsc = M2M_RSC_OK;
	return 0;
}

/* sit 3: a non-shared receiverESPrimRandObject for the Originator (TS-0003 8.4.2 B.2). */
static int on_rand_request(m2mi_ctx *c, m2m_seci_e2e *in)
{
	m2m_seci_e2e out = {.sit = M2M_SECI_RAND_RSP};

	(void)in;
	if (!c->has_orig)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "From is required");
	if (m2mi_esprim_issue(c->cse->esprim, c->orig.absolute, c->now, &out.ero) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot make a receiver rand object");
	return answer_seci(c, &out);
}

/* What a successful decryption established. */
typedef struct esp_session {
	const m2m_esprim_hdr *h;
	m2mi_esp_key *key; /* sessionESPrimKey (a reference to the memo's cjose JWK) */
	m2m_sa sa;    /* the pairwise key's binding */
	m2m_origin_forms owner;
	m2m_esprim_rand oro;
} esp_session;

/* Seal the inner response irsp (for inner request ireq, may be NULL) with key and the header
 * fields of the request's ESPrim Object into out (outer 2000 {"m2m:seci": sit 5}): 0, or the
 * RSC of the failure (5211: cannot be protected, 5000: cannot be encoded), out untouched. */
static int seal_into(const m2mi_esp_key *key, const m2m_esprim_hdr *rh, const char *cse_id, const m2m_request *ireq,
		     const m2m_response *irsp, m2m_response *out)
{
	m2m_esprim_hdr h = {.aead = rh->aead, .kid = rh->kid, .ori = rh->ori, .rri = rh->rri,
			    .cty = "application/json"};
	m2m_seci_e2e o = {.sit = M2M_SECI_ESPRIM};
	cjose_header_t *hdr = NULL;
	json_t *pc = NULL;
	char *pt = NULL;
	size_t ptlen = 0;
	m2m_err e;

	e = m2m_mqtt_format_response(ireq, irsp, cse_id, &pt, &ptlen);
	if (e == M2M_OK)
		e = (hdr = m2mi_esprim_hdr_new(&h)) == NULL
			    ? M2M_E_ESP_ENCRYPT
			    : m2mi_esprim_seal_key(key, h.aead, hdr, (const uint8_t *)pt, ptlen, &o.epo);
	cjose_header_release(hdr);
	m2m_freezero(pt, ptlen);
	if (e != M2M_OK)
		return M2M_RSC_ESPRIM_ENCRYPTION_ERROR;
	e = m2mi_seci_e2e_to_json(&o, &pc);
	m2m_seci_e2e_clear(&o);
	if (e != M2M_OK)
		return M2M_RSC_INTERNAL_SERVER_ERROR;
	json_decref(out->pc);
	out->pc = pc;
	out->rsc = M2M_RSC_OK;
	return 0;
}

static const char *seal_msg(int rsc)
{
	return rsc == M2M_RSC_ESPRIM_ENCRYPTION_ERROR ? "the response could not be protected"
						      : "cannot encode the securityInfo";
}

/* Seal the inner response irsp (for inner request ireq, may be NULL) into c->rsp (outer 2000).
 * 5211 plain when it cannot be sealed. */
static int answer_sealed(m2mi_ctx *c, const esp_session *s, const m2m_request *ireq, const m2m_response *irsp)
{
	int rsc = seal_into(s->key, s->h, c->cfg->cse_id, ireq, irsp, c->rsp);

	return rsc == 0 ? 0 : m2mi_fail(c, rsc, "%s", seal_msg(rsc));
}

/* ---- an inner request that went pending ------------------------------------------------------
 * A <subscription> CREATE / nu UPDATE waiting for its verification (TS-0004 7.5.1.2.3), a DAS
 * consultation, a forwarded request, a write on the writer or a store thread: the outer NOTIFY
 * waits with it (its answer is deferred too), and the loop serves others meanwhile. What the
 * sealing needs (TS-0004 Table 7.6.2-1: the same sessionESPrimKey, kid, ori, rri, aead; the
 * inner rqi is in the pending request's own req) lives here; the key is zeroized when freed. */
struct m2mi_esp_defer {
	m2mi_esp_key *key; /* a reference to the sessionESPrimKey of the request's ESPrim Object */
	int aead;
	char *kid, *ori, *rri;
	m2m_request oreq; /* the outer NOTIFY and its answer (moved in by cse.c handle) */
	m2m_response orsp;
};

void m2mi_esp_defer_free(struct m2mi_esp_defer *d)
{
	if (d == NULL)
		return;
	m2mi_esp_key_unref(d->key); /* the last reference clears the key */
	free(d->kid);
	free(d->ori);
	free(d->rri);
	m2m_request_clear(&d->oreq);
	m2m_response_clear(&d->orsp);
	m2m_memzero(d, sizeof(*d));
	free(d);
}

void m2mi_esp_defer_adopt(struct m2mi_esp_defer *d, m2m_request *req, m2m_response *rsp)
{
	m2m_request_clear(&d->oreq);
	m2m_response_clear(&d->orsp);
	d->oreq = *req;
	m2m_request_init(req);
	d->orsp = *rsp;
	m2m_response_init(rsp);
}

static struct m2mi_esp_defer *defer_new(const esp_session *s)
{
	struct m2mi_esp_defer *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	m2m_request_init(&d->oreq);
	m2m_response_init(&d->orsp);
	d->aead = s->h->aead;
	d->key = m2mi_esp_key_ref(s->key);
	if ((d->kid = strdup(s->h->kid)) == NULL ||
	    (d->ori = strdup(s->h->ori)) == NULL || (d->rri = strdup(s->h->rri)) == NULL) {
		m2mi_esp_defer_free(d);
		return NULL;
	}
	return d;
}

void m2mi_esp_defer_finish(m2m_cse_pending *p)
{
	struct m2mi_esp_defer *d = p->esp;
	m2m_esprim_hdr h = {.aead = d->aead, .kid = d->kid, .ori = d->ori, .rri = d->rri};
	int rsc;

	p->esp = NULL;
	/* the inner answer is final (2001 or its refusal): protected exactly as on the direct path */
	if ((rsc = seal_into(d->key, &h, p->cse->cfg.cse_id, &p->req, &p->rsp, &d->orsp)) != 0)
		m2m_response_error(&d->orsp, rsc, "%s", seal_msg(rsc));
	m2m_request_clear(&p->req);
	m2m_response_clear(&p->rsp);
	p->req = d->oreq;
	p->rsp = d->orsp;
	m2m_request_init(&d->oreq);
	m2m_response_init(&d->orsp);
	m2mi_esp_defer_free(d);
}

/* A refusal once the session key is valid: protected (TS-0001 11.4.2 C.6a). */
static int refuse_sealed(m2mi_ctx *c, const esp_session *s, const m2m_request *ireq, int rsc, const char *msg)
{
	m2m_response r;
	int out;

	m2m_response_init(&r);
	r.rqi = ireq != NULL && ireq->rqi != NULL ? strdup(ireq->rqi) : NULL;
	m2m_response_error(&r, rsc, "%s", msg);
	out = answer_sealed(c, s, ireq, &r);
	m2m_response_clear(&r);
	return out;
}

static int esp_fail(m2mi_ctx *c, m2m_err e)
{
	return m2mi_fail(c, m2m_esprim_err_rsc(e), "%s", m2m_strerror(e));
}

static void key_answered(void *arg)
{
	m2mi_pending_result(arg, true, false);
}

/*
 * The key is not at hand: ask the chain again with a wait. A remote resolver (MEF, MAF) that
 * fetches the key kicks the pending request when its answer is in its cache; the NOTIFY is then
 * dispatched again (finish_pending: sub_phase 2), which never waits, so it is answered from the
 * cache or refused (4112). The loop serves others meanwhile, as for a <subscription>
 * verification. A look-up that answers at once (a refusal) also goes through the second pass.
 */
static int wait_for_key(m2mi_ctx *c, const char *kid)
{
	m2m_cse_pending *p = m2mi_pending_new(c, 2); /* the kick's reference + this function's */
	m2m_key *k = NULL;
	m2m_sa sa;
	m2m_err e;

	if (p == NULL) /* too many requests of this Originator wait already: fail closed */
		return esp_fail(c, M2M_E_ESP_KEY_ID);
	e = c->cse->esp_keys(c->cse->esp_keys_ctx, kid, c->now, key_answered, p, &k, &sa);
	if (e != M2M_OK || k != NULL)
		m2mi_pending_result(p, true, false); /* not kept: no kick will come */
	m2m_key_free(k);
	m2m_memzero(&sa, sizeof(sa));
	c->pending = p;
	m2mi_pending_result(p, true, false); /* completes on this loop once the caller moved req */
	return M2MI_PENDING;
}

/* Steps 2-3: key, rand objects, session key. 0 with s complete, or the plain RSC. */
static int establish(m2mi_ctx *c, const m2m_esprim_obj *o, esp_session *s)
{
	m2m_key *pairwise = NULL;
	m2m_esprim_rand rro;
	m2m_err e;
	int suid;

	s->h = m2m_esprim_obj_hdr(o);
	if (c->cse->esp_keys == NULL)
		return esp_fail(c, M2M_E_ESP_KEY_ID);
	e = c->cse->esp_keys(c->cse->esp_keys_ctx, s->h->kid, c->now, NULL, NULL, &pairwise, &s->sa);
	if (e != M2M_OK || pairwise == NULL) {
		m2m_key_free(pairwise);
		pairwise = NULL;
		if (c->sub_phase != 2) /* not in the cache: wait for the key service, once */
			return wait_for_key(c, s->h->kid);
		e = M2M_E_ESP_KEY_ID;
	}
	suid = s->sa.suid;
	if (e != M2M_OK || (suid != 13 && suid != 23 && suid != 33 && suid != 43) || s->sa.bound_id[0] == '\0' ||
	    m2m_originator_forms(&c->cse->octx, s->sa.bound_id, &s->owner) != M2M_OK) {
		/* unknown, expired, revoked, not an ESPrim key, or bound to no identity: fail closed */
		m2m_key_free(pairwise);
		return esp_fail(c, M2M_E_ESP_KEY_ID);
	}
	if ((e = m2mi_esprim_find_rro(c->cse->esprim, s->h->rri, s->owner.absolute, &rro)) == M2M_OK &&
	    (e = m2mi_esprim_find_oro(c->cse->esprim, s->h->kid, s->h->ori, s->h->oro, &s->oro)) == M2M_OK &&
	    (e = m2m_esprim_check_rands(&rro, &s->oro, s->h->aead, c->now)) == M2M_OK)
		e = m2mi_esprim_session(c->cse->esprim, pairwise, &rro, &s->oro, s->h->aead, c->now, &s->key);
	m2m_key_free(pairwise);
	return e == M2M_OK ? 0 : esp_fail(c, e);
}

/* The inner media type: the JSON serialisation only (TS-0004 clause 8.4). */
static bool cty_ok(const char *cty)
{
	return cty == NULL || strcmp(cty, "application/json") == 0 ||
	       strcmp(cty, "application/vnd.onem2m-prsp+json") == 0;
}

/* Steps 4-6, with a valid session key. */
static int serve_inner(m2mi_ctx *c, esp_session *s, const uint8_t *pt, size_t ptlen)
{
	struct m2mi_esp_defer *d = NULL;
	m2m_cse_pending *p;
	m2m_request ireq;
	m2m_response irsp;
	m2m_origin_forms f;
	m2m_err e;
	int rsc;

	m2m_request_init(&ireq);
	m2m_response_init(&irsp);
	if (!cty_ok(s->h->cty)) {
		rsc = refuse_sealed(c, s, NULL, M2M_RSC_ESPRIM_UNSUPPORTED_OPTION, "cty: JSON serialisation only");
		goto out;
	}
	if (m2mi_json_parse_request(pt, ptlen, (size_t)c->cfg->max_body, &ireq, &irsp) != M2M_OK) {
		rsc = refuse_sealed(c, s, NULL, M2M_RSC_BAD_REQUEST, "the inner primitive cannot be parsed");
		goto out;
	}
	if (m2mi_seci_request(&ireq)) { /* no ESPrim inside ESPrim: nothing to gain, unbounded work */
		rsc = refuse_sealed(c, s, &ireq, M2M_RSC_BAD_REQUEST, "an ESPrim NOTIFY cannot be an inner primitive");
		goto out;
	}
	if (ireq.fr == NULL || m2m_originator_forms(&c->cse->octx, ireq.fr, &f) != M2M_OK ||
	    m2m_esprim_check_from(f.absolute, s->owner.absolute) != M2M_OK) {
		rsc = refuse_sealed(c, s, &ireq, M2M_RSC_ESPRIM_IMPERSONATION_ERROR,
				    "the inner From is not the identity of the pairwise key");
		goto out;
	}
	e = m2mi_esprim_replay(c->cse->esprim, s->h->kid, &s->oro, ireq.rqi, c->now);
	if (e != M2M_OK) {
		m2m_log(M2M_LOG_WARN, "ESPrim: inner request refused (%s) for %s", m2m_strerror(e), s->owner.absolute);
		rsc = e == M2M_E_EXISTS ? refuse_sealed(c, s, &ireq, M2M_RSC_BAD_REQUEST, "replayed ESPrim object")
		      : e == M2M_E_ESP_ORIG_RAND
			  ? refuse_sealed(c, s, &ireq, M2M_RSC_ESPRIM_UNKNOWN_ORIG_RAND_ID,
					  "the originator rand object is outside the replay window")
			  : m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "replay window");
		goto out;
	}
	m2mi_esprim_keep_oro(c->cse->esprim, s->h->kid, &s->oro);
	/* the association of the inner request: the pairwise key's identity (rq_authn true) */
	s->sa.kind = M2M_SA_PSK;
	/* made before the inner request runs: once it is pending nothing may fail (also on the
	 * second pass after a key fetch: cse.c relays the outer NOTIFY to the new pending request) */
	if (!c->sync_wait && (d = defer_new(s)) == NULL) {
		rsc = refuse_sealed(c, s, &ireq, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		goto out;
	}
	if ((p = m2mi_cse_inner(c, &s->sa, &ireq, &irsp, d != NULL)) != NULL) {
		p->esp = d; /* the outer NOTIFY is moved in by cse.c handle */
		c->pending = p;
		d = NULL;
		rsc = M2MI_PENDING;
		goto out;
	}
	rsc = answer_sealed(c, s, &ireq, &irsp);
out:
	m2mi_esp_defer_free(d);
	m2m_request_clear(&ireq);
	m2m_response_clear(&irsp);
	return rsc;
}

/* sit 5: an ESPrim Object (TS-0004 7.6.2 step I onwards). */
static int on_esprim(m2mi_ctx *c, m2m_seci_e2e *in)
{
	m2m_esprim_obj *o = NULL;
	esp_session s;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	m2m_err e;
	int rsc;

	memset(&s, 0, sizeof(s));
	if ((e = m2mi_esprim_parse(c->cse->esprim, in->epo, strlen(in->epo), c->now, &o)) != M2M_OK)
		return esp_fail(c, e);
	if ((rsc = establish(c, o, &s)) == 0) {
		/* a tag that does not verify proves no shared session key: the refusal is plain */
		if ((e = m2mi_esprim_open_key(o, s.key, &pt, &ptlen)) != M2M_OK)
			rsc = esp_fail(c, e);
		else
			rsc = serve_inner(c, &s, pt, ptlen);
	}
	m2m_freezero(pt, ptlen);
	m2mi_esp_key_unref(s.key);
	m2m_esprim_obj_free(o);
	m2m_memzero(&s, sizeof(s));
	return rsc;
}

/* sit 6: an ESCertKE message (escertke_term.c), at the <CSEBase> only: the CSE holds no AE's
 * private key (docs/procedures/e2e.md "ESCertKE"). */
static int on_escertke(m2mi_ctx *c, m2m_seci_e2e *in)
{
	return m2mi_eck_message(c, in);
}

static bool esprim_on(const m2mi_ctx *c)
{
	return c->cse->esprim != NULL;
}

static bool eck_on(const m2mi_ctx *c)
{
	return c->cse->eck != NULL;
}

#define ESP_OFF "end-to-end security is off (esprim = false)"

/* One handler per securityInfoType this Target answers (TS-0004 Table 6.3.4.2.35-1), each with
 * its own switch: ESPrim (esprim) and ESCertKE (escertke) are enabled independently. */
static const struct {
	int sit;
	bool (*on)(const m2mi_ctx *c);
	const char *off;   /* the refusal (5001) when the switch is off */
	bool csebase_only; /* an <AE> as Target is refused (5001) */
	int (*fn)(m2mi_ctx *c, m2m_seci_e2e *in);
} seci_handlers[] = {
	{M2M_SECI_RAND_REQ, esprim_on, ESP_OFF, false, on_rand_request},
	{M2M_SECI_ESPRIM, esprim_on, ESP_OFF, false, on_esprim},
	{M2M_SECI_ESCERTKE, eck_on, "ESCertKE is not enabled on this CSE (escertke)", true, on_escertke},
};

/* The Content's m2m:seci is decoded once, from the primitive's own JSON object (no text round
 * trip), after the handler's switch and the Target are known. */
int m2mi_seci_dispatch(m2mi_ctx *c)
{
	json_t *seci = json_object_get(c->req->pc, "m2m:seci"), *v = json_object_get(seci, "sit");
	m2m_seci_e2e in = {0};
	size_t i = 0, n = sizeof(seci_handlers) / sizeof(seci_handlers[0]);
	int sit = json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 100
			  ? (int)json_integer_value(v) : 0;
	seci_target t = {0};
	int rsc;
	m2m_err e;

	while (i < n && seci_handlers[i].sit != sit)
		i++;
	/* a type no handler answers is the ESPrim receiver's to refuse (501 when it is off); a
	 * NOTIFY relayed to an <AE> needs neither switch: the CSE is not its Receiver */
	if (i < n ? !seci_handlers[i].on(c) : !esprim_on(c)) {
		rsc = i < n ? check_target(c, true, &t) : 0;
		if (t.poa[0] == '\0') /* answered here: the switch decides first, as always */
			return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "%s", i < n ? seci_handlers[i].off : ESP_OFF);
		if (rsc != 0)
			return rsc;
	} else if ((rsc = check_target(c, i < n, &t)) != 0) {
		return rsc;
	}
	if (t.poa[0] != '\0') /* the Content is relayed as it came: never decoded here */
		return m2mi_fwd_to_ae(c, t.poa, t.aei);
	if ((e = m2mi_seci_e2e_from_json(seci, c->now, &in)) == M2M_E_UNSUPPORTED ||
	    (e == M2M_OK && (i == n || (seci_handlers[i].csebase_only && t.ty != M2M_TY_CSEBASE)))) {
		m2m_seci_e2e_clear(&in);
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "securityInfoType %d is not answered here", sit);
	}
	if (e != M2M_OK)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "malformed securityInfo: %s", m2m_strerror(e));
	rsc = seci_handlers[i].fn(c, &in); /* may be M2MI_PENDING (a key being fetched) */
	m2m_seci_e2e_clear(&in);
	return rsc;
}
