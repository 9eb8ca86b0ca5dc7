/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the Dynamic Authorization Server (DAS, TS-0003
 * clause 7.3; docs/procedures/das.md): its grant policy (which originators, from which roles, may
 * receive which privileges on which resources for how long), the codec of the consultation it
 * answers (m2m:securityInfo "seci" with sit 1 dasRequest "dreq" / sit 2 dasResponse "dres",
 * TS-0004 Tables 6.3.5.46-1, 6.3.5.47-1, 6.3.5.48-1, short names §8.2.5) and the service core
 * that decides one consultation (direct DA, TS-0004 §7.5.1.2.10) or one token request (indirect
 * DA, TS-0003 clause 7.3.2.3; the request format is m2msec's, documented in das.md).
 * Thread safety: a policy and an m2m_das are immutable after construction and may be shared.
 */
#ifndef M2MSEC_DAS_H
#define M2MSEC_DAS_H

#include "m2msec/err.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"
#include "m2msec/token.h"

/* ---- the grant policy (docs/procedures/das.md "The policy file") ---------------------------- */

#define M2M_DAS_POLICY_MAX_RULES 4096
#define M2M_DAS_POLICY_MAX_ROLES 16 /* role= entries of one rule */

/* One grant rule as parsed; every pointer belongs to the policy. */
typedef struct m2m_das_rule {
	const char *originator;       /* an m2m:ID or a pattern with '*' (any run of characters) */
	const char *resource;         /* a resource ID or a pattern with '*' */
	unsigned acop;                /* privileges granted (acop bit set 1..63) */
	int64_t lifetime;             /* longest privilege lifetime in seconds (> 0) */
	const char *const *roles;     /* Role-IDs of which the originator must hold one; 0 = none needed */
	size_t nroles;
	unsigned line;                /* line of the policy file */
} m2m_das_rule;

typedef struct m2m_das_policy m2m_das_policy;

/* Parse a policy text. Errors: M2M_E_CONFIG with errmsg "line N: reason", M2M_E_NOMEM. A text
 * without any rule is valid (the DAS then grants nothing). *out is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_das_policy_parse(const char *text, size_t len, m2m_das_policy **out, char *errmsg,
					      size_t errcap);
/* Read and parse the file path (errmsg names it on a read error). */
M2M_API M2M_WUR m2m_err m2m_das_policy_load(const char *path, m2m_das_policy **out, char *errmsg, size_t errcap);
M2M_API void m2m_das_policy_free(m2m_das_policy *p);
M2M_API size_t m2m_das_policy_count(const m2m_das_policy *p);
/* The first rule (file order) whose originator and resource patterns match, whose acop contains
 * op_bit, and whose roles (if any) include one of roles[0..nroles); NULL when none. */
M2M_API const m2m_das_rule *m2m_das_policy_match(const m2m_das_policy *p, const char *originator,
						 const char *resource, unsigned op_bit,
						 const char *const *roles, size_t nroles);
/* '*' in pattern matches any run of characters (also '/'); everything else byte for byte. */
M2M_API bool m2m_das_pattern_match(const char *pattern, const char *s);

/* ---- the consultation codec (m2m:securityInfo) ------------------------------------------------ */

#define M2M_DAS_SIT_REQUEST 1  /* Dynamic Authorization Request (dreq) */
#define M2M_DAS_SIT_RESPONSE 2 /* Dynamic Authorization Response (dres) */
#define M2M_DAS_MAX_LIST 32    /* entries of orid, rfa, tids, tkns */
#define M2M_DAS_STR_MAX 1024   /* bytes of any string member (a token: M2M_TOKEN_MAX_LEN) */

/* m2m:dynAuthDasRequest (TS-0004 Table 6.3.5.46-1). Strings owned (m2m_das_dreq_clear). */
typedef struct m2m_das_dreq {
	char *originator;   /* or, required */
	int trt;            /* targetedResourceType, 0 = absent */
	int op;             /* operation 1..6, required */
	char *oip;          /* originatorIP: the ip4 or ip6 text, NULL = absent */
	bool oip_v6;
	char **orid;        /* originatorRoleIDs */
	size_t norid;
	char *rts;          /* requestTimestamp (absRelTimestamp as text), NULL = absent */
	char *trid;         /* targetedResourceID, required (TS-0004 multiplicity 1) */
	int64_t ppl;        /* proposedPrivilegesLifetime in seconds relative to now, 0 = absent */
	char **rfa;         /* roleIDsFromACPs */
	size_t nrfa;
	char **tids;        /* tokenIDs */
	size_t ntids;
	int asi;            /* authorSignIndicator: -1 absent, 0 false, 1 true */
} m2m_das_dreq;

/* m2m:dynAuthDasResponse (TS-0004 Table 6.3.5.47-1). Owned (m2m_das_dres_clear). */
typedef struct m2m_das_dres {
	bool has_dai;       /* dynamicACPInfo present */
	json_t *gp;         /* grantedPrivileges (m2m:setOfAcrs), NULL = absent */
	int64_t pl;         /* privilegesLifetime as an absolute UTC time (seconds), 0 = absent */
	char **tkns;        /* tokens (compact JWS/JWE) */
	size_t ntkns;
	int asri;           /* authorSignReqInfo: -1 absent */
} m2m_das_dres;

M2M_API void m2m_das_dreq_init(m2m_das_dreq *d);
M2M_API void m2m_das_dreq_clear(m2m_das_dreq *d);
M2M_API void m2m_das_dres_init(m2m_das_dres *d);
M2M_API void m2m_das_dres_clear(m2m_das_dres *d);
/* Parse the primitive Content {"m2m:seci":{"sit":1,"dreq":{...}}} (now: the base of a relative
 * ppl given in milliseconds or of an absolute one). M2M_E_PROTO for anything malformed (wrong
 * sit, missing or mistyped member, unknown member of dreq, lists too long, strings too long).
 * *out is cleared first and left cleared on error. */
M2M_API M2M_WUR m2m_err m2m_das_dreq_parse(const json_t *pc, int64_t now, m2m_das_dreq *out);
/* {"m2m:seci":{"sit":1,"dreq":{...}}} for d (ppl written as relative milliseconds). */
M2M_API M2M_WUR m2m_err m2m_das_dreq_to_json(const m2m_das_dreq *d, json_t **out);
/* Parse {"m2m:seci":{"sit":2,"dres":{...}}}; sit other than 2 (TS-0004 §7.5.1.2.10: no grant)
 * and anything malformed are M2M_E_PROTO. An absolute or relative pl is made
 * absolute with now. */
M2M_API M2M_WUR m2m_err m2m_das_dres_parse(const json_t *pc, int64_t now, m2m_das_dres *out);
/* {"m2m:seci":{"sit":2,"dres":{...}}} (pl as "YYYYMMDDTHHMMSS"; no dres members when nothing
 * is granted). */
M2M_API M2M_WUR m2m_err m2m_das_dres_to_json(const m2m_das_dres *d, json_t **out);
/* m2m:absRelTimestamp: "YYYYMMDDTHHMMSS" (UTC, absolute) or an integer/decimal string of
 * milliseconds relative to now; *out absolute UTC seconds. */
M2M_API M2M_WUR m2m_err m2m_das_abs_rel_time(const json_t *v, int64_t now, int64_t *out);

/* ---- the service core ------------------------------------------------------------------------- */

/* One decision for the audit (identifiers and numbers only, never a token). */
typedef struct m2m_das_audit {
	const char *kind;       /* "consultation" or "token-request" */
	const char *outcome;    /* "granted", "not-granted", "refused" */
	int rsc;
	const char *client;     /* the authenticated peer's ID, "" unknown */
	const char *originator; /* dreq or, NULL */
	const char *resource;   /* dreq trid, NULL */
	int op;
	unsigned acop;          /* granted privileges, 0 none */
	int64_t lifetime;       /* granted seconds, 0 none */
	unsigned rule_line;     /* the policy line that granted, 0 none */
	const char *token_id;   /* jti issued, NULL */
	const char *reason;     /* why refused / not granted */
	const char *rqi;
} m2m_das_audit;
typedef void (*m2m_das_audit_fn)(void *ctx, const m2m_das_audit *ev);

typedef struct m2m_das_config {
	const char *das_id;            /* Absolute AE-ID: "iss" of the tokens */
	const char *sp_id;             /* "//FQDN": makes SP-relative CSE-IDs absolute (audience) */
	const m2m_das_policy *policy;  /* borrowed, outlives the m2m_das */
	const m2m_token_signer *signer;/* borrowed */
	int64_t max_lifetime;          /* cap of every grant, seconds */
	m2m_das_audit_fn audit;        /* NULL = m2m_log */
	void *audit_ctx;
	/* 16 random bytes for a token ID (a CSPRNG; the core takes no randomness of its own) */
	m2m_err (*random)(void *ctx, uint8_t out[16]);
	void *random_ctx;
} m2m_das_config;

typedef struct m2m_das m2m_das;
M2M_API M2M_WUR m2m_err m2m_das_new(const m2m_das_config *cfg, m2m_das **out);
M2M_API void m2m_das_free(m2m_das *das);
/*
 * Answer one request from the authenticated peer sa (docs/procedures/das.md):
 *  - NOTIFY with seci sit 1 to any target but ".../token": a consultation; only a CSE
 *    authenticated by its certificate may consult (else 4103), From must be that CSE.
 *  - NOTIFY to a target whose last segment is "token": a token request of an authenticated AE or
 *    CSE for itself (dreq or == the peer), the audience the CSE of trid.
 * The answer is 2000 with seci sit 2; a policy that grants nothing gives a dres without members.
 */
M2M_API void m2m_das_handle(const m2m_das *das, const m2m_sa *sa, const m2m_request *req, m2m_response *rsp,
			    int64_t now);

#endif
