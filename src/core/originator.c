/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the originator rules of a receiving CSE (TS-0004 clause 7.3.2.1): the
 * request's From is compared with the identity bound to the security association it arrived on
 * (TS-0003 clauses 7.1.2 and 7.2.1, Registrar AE-impersonation check), and the originator is put
 * into the three ID forms of TS-0001 Table 7.2-1 for the access-control rules.
 *
 * Beyond the clause: an association bound to this CSE's own CSE-ID is refused (a peer can never
 * be this CSE), and a CSE peer never speaks for an AE (no registration relationship exists yet).
 *
 * Ambiguity resolved here (docs/identifiers.md): TS-0001 gives both the SP-relative CSE-ID
 * "/{CSE-ID}" and the SP-relative S-type AE-ID "/{AE-ID-Stem}"; a single segment starting with
 * 'S' is read as an S-type AE-ID, anything else as a CSE-ID.
 */
#include <stdio.h>
#include <string.h>

#include "m2msec/originator.h"

/* RFC 3986 unreserved characters: the alphabet of CSE-IDs and AE-ID-Stems (TS-0001 7.2). */
static bool seg_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.' || c == '_' || c == '~'))
			return false;
	}
	return true;
}

static bool fqdn_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* a, b and c concatenated into dst (M2M_ORIG_MAX bytes), what snprintf("%s%s%s") writes, truncated
 * alike; copied directly as every request's originator check runs it several times (the
 * formatter's cost showed in profiles of the request path) */
static m2m_err put(char *dst, const char *a, const char *b, const char *c)
{
	const char *part[3] = {a, b, c};
	size_t n = 0;
	bool cut = false;

	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(part[i]);

		if (l > M2M_ORIG_MAX - 1 - n) {
			l = M2M_ORIG_MAX - 1 - n;
			cut = true;
		}
		memcpy(dst + n, part[i], l);
		n += l;
	}
	dst[n] = '\0';
	return cut ? M2M_E_ID_TOO_LONG : M2M_OK;
}

/* Fill the forms from an SP-relative path "/x" or "/cse/stem" that belongs to the SP sp_id. */
static m2m_err forms_from_sp_relative(const m2m_origin_ctx *ctx, const char *sp_id, const char *rel,
				      m2m_origin_forms *out)
{
	const char *seg1 = rel + 1, *slash = strchr(seg1, '/');
	bool ours = strcmp(sp_id, ctx->sp_id) == 0; /* public: identifiers, not secrets */
	m2m_err r;

	if ((r = put(out->absolute, sp_id, rel, "")) != M2M_OK)
		return r;
	if (ours && (r = put(out->sp_relative, rel, "", "")) != M2M_OK)
		return r;
	if (slash == NULL) {
		if (!seg_ok(seg1, strlen(seg1)))
			return M2M_E_ID_BAD_CHAR;
		if (seg1[0] == 'S') { /* S-type AE-ID: "/Sxyz" */
			if (ours)
				return put(out->cse_relative, seg1, "", "");
			return M2M_OK;
		}
		out->is_cse = true;
		return M2M_OK;
	}
	/* "/cse/stem": a C-type AE-ID registered at CSE "cse". */
	if (!seg_ok(seg1, (size_t)(slash - seg1)) || !seg_ok(slash + 1, strlen(slash + 1)))
		return strchr(slash + 1, '/') ? M2M_E_ID_BAD_FORM : M2M_E_ID_BAD_CHAR;
	if (slash[1] != 'C')
		return M2M_E_ID_BAD_FORM;
	if (ours && strncmp(rel, ctx->cse_id, (size_t)(slash - rel)) == 0 && /* public: ids */
	    ctx->cse_id[slash - rel] == '\0')
		return put(out->cse_relative, slash + 1, "", "");
	return M2M_OK;
}

m2m_err m2m_originator_forms(const m2m_origin_ctx *ctx, const char *from, m2m_origin_forms *out)
{
	size_t n;

	if (ctx == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (from == NULL || from[0] == '\0')
		return M2M_E_ID_EMPTY;
	if ((n = strlen(from)) >= M2M_ORIG_MAX)
		return M2M_E_ID_TOO_LONG;
	if (strchr(from, '*') != NULL)
		return M2M_E_ID_WILDCARD;
	if (from[0] == '/' && from[1] == '/') { /* absolute: "//fqdn/..." */
		char sp[M2M_ORIG_MAX];
		const char *rel = strchr(from + 2, '/');
		if (rel == NULL || !fqdn_ok(from + 2, (size_t)(rel - from - 2)))
			return M2M_E_ID_BAD_FORM;
		memcpy(sp, from, (size_t)(rel - from));
		sp[rel - from] = '\0';
		return forms_from_sp_relative(ctx, sp, rel, out);
	}
	if (from[0] == '/')
		return forms_from_sp_relative(ctx, ctx->sp_id, from, out);
	/* AE-ID-Stem (CSE-relative). */
	if ((from[0] != 'C' && from[0] != 'S') || !seg_ok(from, n))
		return strchr(from, '/') ? M2M_E_ID_BAD_FORM : (from[0] != 'C' && from[0] != 'S')
								 ? M2M_E_ID_BAD_FORM : M2M_E_ID_BAD_CHAR;
	if (put(out->cse_relative, from, "", "") != M2M_OK)
		return M2M_E_ID_TOO_LONG;
	if (from[0] == 'C') {
		if (put(out->sp_relative, ctx->cse_id, "/", from) != M2M_OK)
			return M2M_E_ID_TOO_LONG;
	} else if (put(out->sp_relative, "/", from, "") != M2M_OK) {
		return M2M_E_ID_TOO_LONG;
	}
	return put(out->absolute, ctx->sp_id, out->sp_relative, "");
}

static int reject(char *msg, size_t cap, int rsc, const char *why)
{
	if (msg != NULL && cap > 0)
		snprintf(msg, cap, "%s", why);
	return rsc;
}

/* The bound identity names this CSE itself (any ID form): a peer can never be this CSE. */
static bool names_this_cse(const m2m_origin_ctx *ctx, const m2m_origin_forms *b)
{
	char self[M2M_ORIG_MAX];

	return b->is_cse && put(self, ctx->sp_id, ctx->cse_id, "") == M2M_OK &&
	       strcmp(b->absolute, self) == 0; /* public: identifiers */
}

/* An AE-ID-Stem: a single segment, no '/' (TS-0001 Table 7.2-1, CSE-relative AE-ID). */
static bool is_stem(const char *fr)
{
	return fr[0] != '/' && strchr(fr, '/') == NULL;
}

int m2m_originator_check(const m2m_origin_ctx *ctx, const m2m_sa *sa, const m2m_request *req, bool *rq_authn,
			 m2m_origin_forms *from_out, char *msg, size_t msgcap)
{
	m2m_origin_forms local, bound, *f = from_out != NULL ? from_out : &local;
	bool ae_create = req->op == M2M_OP_CREATE && req->ty == M2M_TY_AE;
	bool secured = sa != NULL && sa->kind != M2M_SA_NONE;
	const char *fr = req->fr;

	*rq_authn = false;
	memset(f, 0, sizeof(*f));
	memset(&bound, 0, sizeof(bound));
	if (msg != NULL && msgcap > 0)
		msg[0] = '\0';
	/* Whatever binding produced the association (certificate SAN, PSK file, credential store), an
	 * identity that is this CSE's own CSE-ID is refused here, the one place every request passes:
	 * nothing outside this process can be this CSE. */
	if (secured && sa->bound_id[0] != '\0' &&
	    (m2m_originator_forms(ctx, sa->bound_id, &bound) != M2M_OK || names_this_cse(ctx, &bound)))
		return reject(msg, msgcap, 4106, bound.is_cse ? "the security association names this CSE itself"
							      : "the security association has an unusable bound identity");
	/* AE registration may omit From or ask for a stem class ("C"/"S"), TS-0001 10.2.2.2. */
	if (ae_create && (fr == NULL || fr[0] == '\0' || strcmp(fr, "C") == 0 || strcmp(fr, "S") == 0)) {
		if (fr != NULL && fr[0] != '\0' && m2m_originator_forms(ctx, fr, f) != M2M_OK)
			memset(f, 0, sizeof(*f));
		*rq_authn = secured;
		return 0;
	}
	if (fr == NULL || fr[0] == '\0')
		return reject(msg, msgcap, 4000, "the From parameter is required");
	if (m2m_originator_forms(ctx, fr, f) != M2M_OK)
		return reject(msg, msgcap, 4000, "From is not a valid AE-ID or CSE-ID");
	if (!secured) {
		/* TS-0004 7.3.2.1: a CSE-ID originator outside any association. */
		if (f->is_cse)
			return reject(msg, msgcap, 4107, "a CSE originator needs a security association");
		/* TS-0004 7.3.2.1: a Registree AE (an AE of this CSE) uses its AE-ID-Stem only. */
		if (f->cse_relative[0] != '\0' && !is_stem(fr))
			return reject(msg, msgcap, 4000, "From of a Registree AE must be its AE-ID-Stem");
		return 0;
	}
	if (sa->bound_id[0] == '\0') {
		/* Only a Credential-ID is known: nothing to match From against (fail closed),
		 * except the registration that will establish the AE-ID. */
		if (ae_create) {
			*rq_authn = true;
			return 0;
		}
		return reject(msg, msgcap, 4106, "the security association is not bound to an originator");
	}
	if (sa->entity != M2M_ENTITY_CSE || !bound.is_cse) {
		/* A Registree AE: TS-0004 7.3.2.1 first requires the AE-ID-Stem format (4000), then
		 * From must be exactly the bound AE-ID (4106). An association bound to a C-type AE of
		 * another CSE (an ESPrim key of an AE registered elsewhere, TS-0003 7.1.2) has no stem
		 * here: its From is its SP-relative or absolute AE-ID, matched exactly below. */
		if (!is_stem(fr) && (bound.cse_relative[0] != '\0' || f->cse_relative[0] != '\0'))
			return reject(msg, msgcap, 4000, "From of a Registree AE must be its AE-ID-Stem");
		if (strcmp(f->absolute, bound.absolute) != 0) /* public: identifiers */
			return reject(msg, msgcap, 4106, "From does not match the authenticated identity");
		*rq_authn = true;
		return 0;
	}
	/* A CSE peer: its own CSE-ID is authenticated. It may speak for AEs only when they are
	 * registered with it (TS-0004 7.3.2.1, TS-0003 7.1.2). The only AE-IDs that name their
	 * Registrar are C-type ones, SP-relative "/{CSE-ID}/C..." (or absolute) in this SP: those
	 * whose CSE part is the bound CSE are marked via_registree, and the caller admits them only
	 * while that CSE is registered here (a live <remoteCSE>). rq_authn stays false: an AE
	 * registered elsewhere is authenticated only by ESPrim (TS-0003 7.1.2). Every other AE-ID
	 * (AEs registered here, S-type AE-IDs, AEs of another CSE) is 4106. */
	if (f->is_cse) {
		if (strcmp(f->absolute, bound.absolute) != 0) /* public: identifiers */
			return reject(msg, msgcap, 4106, "From names a CSE other than the authenticated one");
		*rq_authn = true;
		return 0;
	}
	{
		size_t n = strlen(bound.absolute);
		const char *rest = f->absolute + n;
		if (f->sp_relative[0] != '\0' && f->cse_relative[0] == '\0' &&
		    strncmp(f->absolute, bound.absolute, n) == 0 && /* public: identifiers */
		    rest[0] == '/' && rest[1] == 'C' && strchr(rest + 1, '/') == NULL) {
			f->via_registree = true;
			return 0;
		}
	}
	return reject(msg, msgcap, 4106, "a CSE may originate only for the AEs registered with it");
}
