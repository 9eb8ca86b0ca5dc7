/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Hosting CSE's side of indirect dynamic authorization (TS-0003 clause
 * 7.3.2.3, 7.3.2.5; TS-0001 clause 11.5.3): the tokens a request carries (tkns, or ltids naming
 * tokens this CSE verified before) are verified once per request (m2m_token_*: signature, issuer
 * in das-trust, algorithm, audience = this CSE, holder = the authenticated Originator, validity
 * window; the security stage cached by digest), and their permissions become extra rule sets
 * and Role-IDs for the ACP engine (access.c), so Permit-overrides and fail-closed are the ones of
 * the static policies. A permission whose resourceIDs (ris) do not name the resource grants
 * nothing there. Local-Token-IDs (TS-0004 Table 6.3.5.43-1) are assigned to verified tokens and
 * returned in ati; an ltid is honoured only for the Originator it was assigned to. On a denial
 * with tqi the 4103 carries the Token Request Information (tqf). docs/procedures/das.md "The
 * CSE side" is the manual.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/das.h"
#include "m2msec/log.h"
#include "services/cse/cse_int.h"
#include "services/cse/relmap.h"

#define LTI_LEN 24 /* "lti" + 16 random characters + NUL, rounded */

typedef struct lti_entry {
	char lti[LTI_LEN];
	char holder[M2M_ORIG_MAX]; /* the Originator the ID was assigned to (absolute) */
	char *text;                /* the compact token (re-checked at every use) */
	uint8_t dg[32];            /* its SHA-256 (m2m_token_digest): what a lookup compares */
	int64_t exp;               /* its notAfter: the entry is dropped after it */
} lti_entry;

struct m2mi_tokens {
	m2m_token_trust *trust; /* NULL: no das-trust, no token is ever accepted */
	m2m_token_cache *cache;
	unsigned algs;
	pthread_mutex_t mu;      /* lti table */
	lti_entry *lti;
	size_t nlti, next;
	char audience[2 * M2M_CFG_STR];
	m2mi_relmap *relmap;     /* AuthorRelMapRecords (access_relmap.c, TS-0003 clause 7.3.2.7) */
};

/* The verified tokens of one request (m2mi_ctx.toks). */
struct m2mi_req_tokens {
	bool loaded;
	int rsc;                    /* 0, or the refusal to answer when the ACPs deny */
	char msg[M2MI_MSG_MAX];
	m2m_token *v[M2MI_TOKENS_MAX];
	char *as_of[M2MI_TOKENS_MAX]; /* v[i]'s holder when used through a relationship mapping */
	size_t n;
	bool roles_loaded;
	const char *roles[M2MI_TOKEN_ROLES]; /* verified rids (borrowed from the request) */
	size_t nroles;
	const char *unknown[M2M_DAS_MAX_LIST]; /* tids neither held nor answered (borrowed) */
	size_t nunknown;
};

m2m_err m2mi_tokens_new(const m2m_cse_config *cfg, m2mi_tokens **out)
{
	m2mi_tokens *t = calloc(1, sizeof(*t));
	char err[256] = "";
	m2m_err r;

	*out = NULL;
	if (t == NULL)
		return M2M_E_NOMEM;
	pthread_mutex_init(&t->mu, NULL);
	snprintf(t->audience, sizeof(t->audience), "%s%s", cfg->sp_id, cfg->cse_id);
	if ((r = m2m_token_algs_parse(cfg->token_algorithms, &t->algs)) != M2M_OK ||
	    (r = m2m_token_cache_new((size_t)cfg->token_cache_size, &t->cache)) != M2M_OK)
		goto fail;
	r = M2M_E_NOMEM;
	if ((t->lti = calloc((size_t)cfg->token_cache_size, sizeof(*t->lti))) == NULL)
		goto fail;
	t->nlti = (size_t)cfg->token_cache_size;
	if ((r = m2mi_relmap_new((size_t)cfg->token_cache_size, &t->relmap)) != M2M_OK)
		goto fail;
	if (cfg->das_trust[0] != '\0' && (r = m2m_token_trust_load(cfg->das_trust, &t->trust, err, sizeof(err))) != M2M_OK) {
		m2m_log(M2M_LOG_ERROR, "das-trust: %s", err);
		goto fail;
	}
	*out = t;
	return M2M_OK;
fail:
	m2mi_tokens_free(t);
	return r;
}

void m2mi_tokens_free(m2mi_tokens *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nlti; i++)
		free(t->lti[i].text);
	free(t->lti);
	m2mi_relmap_free(t->relmap);
	m2m_token_cache_free(t->cache);
	m2m_token_trust_free(t->trust);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

bool m2mi_tokens_present(const m2mi_ctx *c)
{
	const m2m_request *q = c->req;

	return (q->tkns != NULL && q->tkns[0] != '\0') || q->nltids > 0 || q->ntids > 0;
}

static void refuse(struct m2mi_req_tokens *rt, int rsc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(struct m2mi_req_tokens *rt, int rsc, const char *fmt, ...)
{
	va_list ap;

	if (rt == NULL || rt->rsc != 0) /* the first reason is the one reported */
		return;
	rt->rsc = rsc;
	va_start(ap, fmt);
	vsnprintf(rt->msg, sizeof(rt->msg), fmt, ap);
	va_end(ap);
}

static void opts_of(const m2mi_ctx *c, m2m_token_verify_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->algs = c->cse->tokens->algs;
	o->now = c->now;
	o->audience = c->cse->tokens->audience;
	o->holder = c->orig.absolute;
	o->skew = M2M_TOKEN_DEFAULT_SKEW;
}

/*
 * Stage 2 with the authorization relationship mapping (TS-0003 clauses 7.3.2.2 steps 5-8,
 * 7.3.2.7.1; access_relmap.c has the design). *as_of (heap) = the token's holder when the
 * Originator uses the token through a mapping of that holder to itself, else NULL.
 */
static m2m_err check_mapped(m2mi_ctx *c, const m2m_token *tok, const m2m_token_verify_opts *o, char **as_of)
{
	m2mi_tokens *t = c->cse->tokens;
	const uint8_t *dig = m2m_token_digest(tok);
	const char *me = c->orig.absolute, *aus = c->req->aus;
	m2m_token_verify_opts o2 = *o;
	m2mi_relmap_rec rec;
	bool has = m2mi_relmap_get(t->relmap, dig, c->now, &rec);
	uint8_t k[32];
	m2m_err r;

	*as_of = NULL;
	if (has && rec.mapped[0] != '\0') {
		if (strcmp(rec.mapped, me) == 0) { /* public: identifiers */
			o2.holder = rec.subject;
			if ((r = m2m_token_check(tok, &o2)) == M2M_OK && (*as_of = strdup(rec.subject)) == NULL)
				r = M2M_E_NOMEM;
			return r;
		}
		if (strcmp(rec.subject, me) == 0) /* step 6: the holder moved to the new AE-ID */
			return M2M_E_TOKEN_HOLDER;
	}
	r = m2m_token_check(tok, o);
	if (r == M2M_OK) { /* the holder itself: record on request (clause 7.3.2.2 steps 5-8) */
		if (c->req->asi != 2 && aus == NULL)
			return M2M_OK;
		if (aus == NULL) {
			c->rsp->asri = true; /* step 5: AuthorSignReqInfo, sign the token */
			return M2M_OK;
		}
		r = m2mi_author_signs_find(aus, dig, me, o->audience, has ? rec.spki : NULL, k);
		if (r == M2M_E_TOKEN_FORMAT)
			refuse(c->toks, M2M_RSC_BAD_REQUEST, "%s", "aus: not a list of AuthorSigns");
		if (r == M2M_E_TOKEN_SIGNATURE) { /* none for this token: ask again, record nothing */
			c->rsp->asri = true;
			return M2M_OK;
		}
		if (r != M2M_OK || has)
			return r;
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.tdig, dig, 32);
		memcpy(rec.spki, k, 32);
		snprintf(rec.subject, sizeof(rec.subject), "%s", me);
		snprintf(rec.ri, sizeof(rec.ri), "%s", c->tgt.row.ri ? c->tgt.row.ri : "");
		rec.until = m2mi_sat_add(m2m_token_claims_of(tok)->not_after, o->skew);
		if ((r = m2mi_relmap_put(t->relmap, &rec, c->now)) == M2M_OK)
			m2m_log(M2M_LOG_INFO, "relationship mapping: record for token %.64s of %.200s",
				m2m_token_claims_of(tok)->token_id, me);
		return r;
	}
	if (r != M2M_E_TOKEN_HOLDER || !has)
		return r;
	/* clause 7.3.2.7.1: another AE-ID than the holder presents a recorded token */
	o2.holder = rec.subject;
	if ((r = m2m_token_check(tok, &o2)) != M2M_OK)
		return r;
	if (aus == NULL) {
		c->rsp->asri = true; /* step 3/4: refuse, asking for the AuthorSign */
		refuse(c->toks, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "%s",
		       "token of another holder: an AuthorSign (aus) of its author is required");
		return M2M_E_TOKEN_HOLDER;
	}
	if ((r = m2mi_author_signs_find(aus, dig, me, o->audience, rec.spki, k)) != M2M_OK ||
	    (r = m2mi_relmap_map(t->relmap, dig, k, me, c->now)) != M2M_OK) {
		if (r == M2M_E_TOKEN_FORMAT)
			refuse(c->toks, M2M_RSC_BAD_REQUEST, "%s", "aus: not a list of AuthorSigns");
		else if (r == M2M_E_TOKEN_SIGNATURE || r == M2M_E_NOT_FOUND)
			refuse(c->toks, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "%s",
			       "token of another holder: no AuthorSign of its author for this originator");
		return r == M2M_E_NOT_FOUND ? M2M_E_TOKEN_HOLDER : r;
	}
	m2m_log(M2M_LOG_INFO, "relationship mapping: token %.64s of %.200s now held by %.200s",
		m2m_token_claims_of(tok)->token_id, rec.subject, me);
	return (*as_of = strdup(rec.subject)) != NULL ? M2M_OK : M2M_E_NOMEM;
}

/* Both verification stages of one compact token, the first through the cache. */
static m2m_err verify_one(m2mi_ctx *c, const char *text, size_t len, m2m_token **out, char **as_of)
{
	m2mi_tokens *t = c->cse->tokens;
	m2m_token_verify_opts o;
	m2m_err r;

	opts_of(c, &o);
	*out = NULL;
	r = m2m_token_cache_get(t->cache, text, len, c->now, o.skew, out);
	if (r == M2M_E_NOT_FOUND) {
		if (t->trust == NULL)
			return M2M_E_TOKEN_ISSUER; /* no das-trust: nobody is trusted */
		if ((r = m2m_token_parse(text, len, t->trust, &o, out)) == M2M_OK) {
			m2m_err pr = m2m_token_cache_put(t->cache, *out, c->now, o.skew);
			if (pr == M2M_E_TOKEN_REVOKED)
				r = pr;
		}
	}
	if (r == M2M_OK)
		r = as_of != NULL ? check_mapped(c, *out, &o, as_of) : m2m_token_check(*out, &o);
	if (r != M2M_OK) {
		m2m_token_unref(*out);
		*out = NULL;
	}
	return r;
}

/* Assign (or find) the Local-Token-ID of text for the Originator; "" when the table is busy. */
static void lti_assign(m2mi_ctx *c, const char *text, const m2m_token *tok, char out[LTI_LEN])
{
	m2mi_tokens *t = c->cse->tokens;
	const uint8_t *dg = m2m_token_digest(tok);
	lti_entry *e = NULL;

	out[0] = '\0';
	pthread_mutex_lock(&t->mu);
	/* by digest, not by text: a warm request compares 32 bytes per entry, not a whole token
	 * (bench/das measured the text scan as the largest cost of a warm token request) */
	for (size_t i = 0; i < t->nlti && e == NULL; i++)
		if (t->lti[i].text != NULL && memcmp(t->lti[i].dg, dg, sizeof(t->lti[i].dg)) == 0 && /* public: digest */
		    strcmp(t->lti[i].holder, c->orig.absolute) == 0)
			e = &t->lti[i];
	if (e == NULL) {
		char id[LTI_LEN];
		if (m2mi_new_ri(c, "lti", id, sizeof(id)) != 0) {
			pthread_mutex_unlock(&t->mu);
			return;
		}
		for (size_t i = 0; i < t->nlti && e == NULL; i++)
			if (t->lti[i].text == NULL || t->lti[i].exp < c->now)
				e = &t->lti[i];
		if (e == NULL) { /* full of live entries: replace the oldest assignment */
			e = &t->lti[t->next];
			t->next = (t->next + 1) % t->nlti;
		}
		free(e->text);
		if ((e->text = strdup(text)) == NULL) {
			pthread_mutex_unlock(&t->mu);
			return;
		}
		memcpy(e->lti, id, sizeof(id));
		memcpy(e->dg, dg, sizeof(e->dg));
		snprintf(e->holder, sizeof(e->holder), "%s", c->orig.absolute);
		e->exp = m2m_token_claims_of(tok)->not_after;
	}
	memcpy(out, e->lti, LTI_LEN);
	pthread_mutex_unlock(&t->mu);
}

/* The token text behind an ltid of this Originator (a copy), or NULL. */
static char *lti_lookup(m2mi_ctx *c, const char *lti)
{
	m2mi_tokens *t = c->cse->tokens;
	char *text = NULL;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->nlti; i++)
		if (t->lti[i].text != NULL && strcmp(t->lti[i].lti, lti) == 0) {
			/* another Originator's ltid is as unknown as a made-up one */
			if (strcmp(t->lti[i].holder, c->orig.absolute) == 0 && t->lti[i].exp >= c->now)
				text = strdup(t->lti[i].text);
			break;
		}
	pthread_mutex_unlock(&t->mu);
	return text;
}

/* ati = "lti:tkid" pairs joined with '+' (TS-0009 clause 6.4.18). */
static void ati_add(m2mi_ctx *c, const char *lti, const m2m_token *tok)
{
	const char *tkid = m2m_token_claims_of(tok)->token_id;
	size_t old = c->rsp->ati ? strlen(c->rsp->ati) : 0, n = old + strlen(lti) + strlen(tkid) + 3;
	char *a = realloc(c->rsp->ati, n);

	if (a == NULL)
		return; /* ati is informative: the request itself is not failed for it */
	snprintf(a + old, n - old, "%s%s:%s", old ? "+" : "", lti, tkid);
	c->rsp->ati = a;
}

static void add_token(struct m2mi_req_tokens *rt, m2m_token *tok, char *as_of)
{
	if (rt->n < M2MI_TOKENS_MAX) {
		rt->as_of[rt->n] = as_of;
		rt->v[rt->n++] = tok;
	} else {
		m2m_token_unref(tok);
		free(as_of);
	}
}

static void load_tkns(m2mi_ctx *c, struct m2mi_req_tokens *rt)
{
	const char *p = c->req->tkns;
	size_t count = 0;

	/* every '+'-separated element, a trailing empty one included ("a+" is malformed) */
	while (p != NULL && *p != '\0' && rt->rsc == 0) {
		size_t n = strcspn(p, "+");
		char *text = strndup(p, n), lti[LTI_LEN];
		m2m_token *tok = NULL;
		char *as = NULL;
		m2m_err r;

		if (text == NULL) {
			refuse(rt, M2M_RSC_INTERNAL_SERVER_ERROR, "%s", "out of memory");
			return;
		}
		if (n == 0 || ++count > M2MI_TOKENS_MAX) {
			refuse(rt, M2M_RSC_BAD_REQUEST, "tkns: %s", n == 0 ? "empty token" : "too many tokens");
		} else if ((r = verify_one(c, text, n, &tok, &as)) != M2M_OK) {
			refuse(rt, m2m_token_err_rsc(r), "token refused: %s", m2m_strerror(r));
		} else {
			lti_assign(c, text, tok, lti);
			if (lti[0] != '\0')
				ati_add(c, lti, tok);
			add_token(rt, tok, as);
		}
		free(text);
		if (p[n] == '\0')
			break;
		p += n + 1;
		if (*p == '\0')
			refuse(rt, M2M_RSC_BAD_REQUEST, "tkns: %s", "empty token");
	}
}

static void load_ltids(m2mi_ctx *c, struct m2mi_req_tokens *rt)
{
	for (size_t i = 0; i < c->req->nltids && rt->rsc == 0; i++) {
		char *text = lti_lookup(c, c->req->ltids[i]);
		m2m_token *tok = NULL;
		char *as = NULL;
		m2m_err r;

		if (text == NULL) {
			refuse(rt, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "ltids: %.64s is not assigned to this originator",
			       c->req->ltids[i]);
		} else if ((r = verify_one(c, text, strlen(text), &tok, &as)) != M2M_OK) {
			refuse(rt, m2m_token_err_rsc(r), "token refused: %s", m2m_strerror(r));
		} else {
			add_token(rt, tok, as);
		}
		free(text);
	}
}

/* The token of ID tid among the tokens of the DAS's answer (c->da_body, the second pass after a
 * consultation that carried tids: TS-0003 clause 7.3.2.3 step 5), verified for this request as
 * any token; NULL when the answer has none of that ID (*err: the refusal of one that did not
 * verify). A token of another ID in the answer is ignored. */
static m2m_token *from_das(m2mi_ctx *c, const char *tid, m2m_err *err)
{
	json_error_t je;
	json_t *pc;
	m2m_das_dres a;
	m2m_token *found = NULL;

	*err = M2M_OK;
	if (!c->da_done || c->da_body == NULL || (pc = json_loads(c->da_body, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return NULL;
	if (m2m_das_dres_parse(pc, c->now, &a) != M2M_OK) {
		json_decref(pc);
		return NULL;
	}
	json_decref(pc);
	for (size_t i = 0; i < a.ntkns && found == NULL && *err == M2M_OK; i++) {
		m2m_token *tok = NULL;
		m2m_err r = verify_one(c, a.tkns[i], strlen(a.tkns[i]), &tok, NULL); /* holder = the originator */
		if (r != M2M_OK) {
			/* only a refusal of the token asked for counts: its ID is in the claims, which a
			 * refused token does not give; so any refused token refuses (fail closed) */
			*err = r;
		} else if (strcmp(m2m_token_claims_of(tok)->token_id, tid) == 0) {
			found = tok;
		} else {
			m2m_token_unref(tok);
		}
	}
	m2m_das_dres_clear(&a);
	return found;
}

/* tids: tokens stored here as <token> resources (res_dynauth.c), else tokens the DAS of the
 * target's consultation gives for the ID (TS-0003 clause 7.3.2.3 step 5: the first pass notes
 * the unknown IDs, access_das.c asks the DAS, the second pass finds them in its answer). */
static void load_tids(m2mi_ctx *c, struct m2mi_req_tokens *rt)
{
	for (size_t i = 0; i < c->req->ntids; i++) {
		char *text = m2mi_token_by_id(c, c->req->tids[i]);
		m2m_token *tok = NULL;
		char *as = NULL;
		m2m_err r;

		if (text == NULL) {
			if ((tok = from_das(c, c->req->tids[i], &r)) != NULL) {
				add_token(rt, tok, NULL);
			} else if (r != M2M_OK) {
				refuse(rt, m2m_token_err_rsc(r), "token refused: %s", m2m_strerror(r));
			} else {
				if (rt->nunknown < M2M_DAS_MAX_LIST)
					rt->unknown[rt->nunknown++] = c->req->tids[i];
				refuse(rt, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
				       "tids: %.64s is not a token known to this CSE or its DAS", c->req->tids[i]);
			}
		} else if ((r = verify_one(c, text, strlen(text), &tok, &as)) != M2M_OK) {
			refuse(rt, m2m_token_err_rsc(r), "token refused: %s", m2m_strerror(r));
		} else {
			add_token(rt, tok, as);
		}
		free(text);
	}
}

size_t m2mi_tokens_unknown(const m2mi_ctx *c, const char *const **out)
{
	*out = c->toks != NULL ? c->toks->unknown : NULL;
	return c->toks != NULL ? c->toks->nunknown : 0;
}

/* Verify the request's tokens once (the first decision that needs them). Only an authenticated
 * Originator can be a token's holder (TS-0003 clause 7.3.2.3 step 7.1.3). */
static struct m2mi_req_tokens *load(m2mi_ctx *c)
{
	struct m2mi_req_tokens *rt = c->toks;

	if (rt != NULL && rt->loaded)
		return rt;
	if (rt == NULL && (rt = c->toks = calloc(1, sizeof(*rt))) == NULL)
		return NULL;
	rt->loaded = true;
	if (!c->has_orig || !c->rq_authn) {
		refuse(rt, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "%s",
		       "tokens are only honoured for an authenticated originator");
		return rt;
	}
	load_tids(c, rt);
	load_tkns(c, rt);
	load_ltids(c, rt);
	return rt;
}

/* id (any ID form) names r: its resourceID or its structured path. */
static bool names(const m2mi_ctx *c, const char *id, const m2m_res *r)
{
	char rel[1024];

	if (r == NULL || !m2mi_cse_relative(c, id, rel, sizeof(rel)))
		return false;
	if (strcmp(rel, r->ri) == 0)
		return true;
	return r->path != NULL && strcmp(rel, r->path) == 0;
}

static bool perm_applies(const m2mi_ctx *c, const m2m_token_perm *p, const m2m_res *r, const m2m_res *holder)
{
	if (p->nris == 0) /* no ris: clause 7.3.2.5, applies to any resource (pv needs ris: checked at parse) */
		return true;
	for (size_t i = 0; i < p->nris; i++)
		if (names(c, p->ris[i], r) || (holder != r && names(c, p->ris[i], holder)))
			return true;
	return false;
}

/* The grants of the request's tokens used as `as` (NULL: as the Originator itself). */
static int grant_as(m2mi_ctx *c, const char *as, const m2m_res *r, const m2m_res *holder, const m2m_acp_rules **sets,
		    size_t cap, const char **roles, size_t rcap, size_t *nroles)
{
	struct m2mi_req_tokens *rt = load(c);
	size_t n = 0;

	*nroles = 0;
	if (rt == NULL || rt->rsc != 0)
		return 0; /* one refused token: the request gets nothing from any token (fail closed) */
	for (size_t i = 0; i < rt->n; i++) {
		const m2m_token_claims *cl = m2m_token_claims_of(rt->v[i]);
		if (as == NULL ? rt->as_of[i] != NULL : rt->as_of[i] == NULL || strcmp(rt->as_of[i], as) != 0)
			continue;
		for (size_t k = 0; k < cl->nperms; k++) {
			const m2m_token_perm *p = &cl->perms[k];
			if (!perm_applies(c, p, r, holder))
				continue;
			if (p->pv != NULL && n < cap)
				sets[n++] = p->pv;
			for (size_t j = 0; j < p->nrids && *nroles < rcap; j++)
				roles[(*nroles)++] = p->rids[j];
		}
	}
	return (int)n;
}

int m2mi_tokens_grant(m2mi_ctx *c, const m2m_res *r, const m2m_res *holder, const m2m_acp_rules **sets,
		      size_t cap, const char **roles, size_t rcap, size_t *nroles)
{
	return grant_as(c, NULL, r, holder, sets, cap, roles, rcap, nroles);
}

const char *m2mi_tokens_mapped(m2mi_ctx *c, size_t i, const m2m_res *r, const m2m_res *holder,
			       const m2m_acp_rules **sets, size_t cap, const char **roles, size_t rcap, size_t *nroles,
			       int *nsets)
{
	struct m2mi_req_tokens *rt = load(c);
	size_t k = 0;

	*nsets = 0;
	*nroles = 0;
	if (rt == NULL || rt->rsc != 0)
		return NULL;
	for (size_t j = 0; j < rt->n; j++) {
		if (rt->as_of[j] == NULL)
			continue;
		if (k++ == i) {
			*nsets = grant_as(c, rt->as_of[j], r, holder, sets, cap, roles, rcap, nroles);
			return rt->as_of[j];
		}
	}
	return NULL;
}

m2m_err m2mi_tokens_verify(m2mi_ctx *c, const char *text, m2m_token **out)
{
	*out = NULL;
	if (text == NULL)
		return M2M_E_TOKEN_FORMAT;
	return verify_one(c, text, strlen(text), out, NULL);
}

m2m_err m2mi_tokens_parse(m2mi_ctx *c, const char *text, m2m_token **out)
{
	m2mi_tokens *t = c->cse->tokens;
	m2m_token_verify_opts o;

	*out = NULL;
	if (text == NULL)
		return M2M_E_TOKEN_FORMAT;
	if (t->trust == NULL)
		return M2M_E_TOKEN_ISSUER;
	opts_of(c, &o);
	return m2m_token_parse(text, strlen(text), t->trust, &o, out);
}

m2m_err m2mi_tokens_revoke(m2mi_ctx *c, const char *tid, int64_t until)
{
	m2mi_tokens *t = c->cse->tokens;

	if (tid == NULL)
		return M2M_OK;
	return m2m_token_cache_revoke(t->cache, tid, until, c->now, NULL);
}

size_t m2mi_roles_verified(m2mi_ctx *c, const char *const **out)
{
	struct m2mi_req_tokens *rt = c->toks;

	*out = NULL;
	if (c->req->nrids == 0)
		return 0;
	if (rt == NULL && (rt = c->toks = calloc(1, sizeof(*rt))) == NULL)
		return 0;
	if (!rt->roles_loaded) {
		rt->roles_loaded = true;
		for (size_t i = 0; i < c->req->nrids && rt->nroles < M2MI_TOKEN_ROLES; i++)
			if (m2mi_role_held(c, c->req->rids[i]))
				rt->roles[rt->nroles++] = c->req->rids[i];
	}
	*out = rt->roles;
	return rt->nroles;
}

int m2mi_tokens_refusal(m2mi_ctx *c)
{
	if (c->toks == NULL || c->toks->rsc == 0)
		return 0;
	return m2mi_fail(c, c->toks->rsc, "%s", c->toks->msg);
}

void m2mi_tokens_release(m2mi_ctx *c)
{
	if (c->toks == NULL)
		return;
	for (size_t i = 0; i < c->toks->n; i++) {
		m2m_token_unref(c->toks->v[i]);
		free(c->toks->as_of[i]);
	}
	free(c->toks);
	c->toks = NULL;
}

json_t *m2mi_tokens_tqf(m2mi_ctx *c, unsigned op)
{
	json_t *dreq, *dasi;

	if (!c->req->tqi || c->cfg->das_token_uri[0] == '\0')
		return NULL; /* no DAS to name: nothing to tell */
	/* m2m:dynAuthTokenReqInfo (TS-0004 Table 6.3.5.45-1), dasRequest of Table 6.3.5.46-1 */
	dreq = json_pack("{s:s, s:i, s:i, s:s}", "or", c->has_orig ? c->orig.absolute : "", "op", (int)c->req->op,
			 "trt", c->tgt.row.ty, "rts", c->now_s);
	if (dreq != NULL && c->tgt.row.ri != NULL)
		json_object_set_new(dreq, "trid", json_string(c->tgt.row.ri));
	(void)op;
	dasi = json_pack("{s:[{s:s, s:o*}]}", "dasi", "uri", c->cfg->das_token_uri, "dreq", dreq);
	return dasi ? json_pack("{s:o}", "m2m:tqf", dasi) : NULL;
}
