/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the access-control decision engine of the
 * Hosting CSE: TS-0003 clause 7.1.4/7.1.5 (reference decision algorithm, Permit-overrides),
 * evaluated over m2m:setOfAcrs values (TS-0004 Table 6.3.5.26-1/27-1/28-1, the privileges "pv"
 * and selfPrivileges "pvs" attributes of <accessControlPolicy>).
 *
 * Life of a policy: the CSE parses the JSON value of pv/pvs once (m2m_acp_rules_parse), which
 * validates it strictly (unknown members, bad cron/CIDR/IDs are rejected: 4000 BAD_REQUEST) and
 * compiles it (cron fields into bitsets, CIDRs into masks, originators pre-classified). Compiled
 * rule sets are reference counted and kept in a per-thread cache keyed by ACP resource ID and
 * version (m2m_acp_cache_*). Each request is decided by m2m_acp_decide over the rule sets of all
 * ACPs that apply to the target; the decision is pure (no clock, no I/O, no allocation).
 * docs/acp.md documents the algorithm and every choice where the specification is silent.
 */
#ifndef M2MSEC_ACP_H
#define M2MSEC_ACP_H

#include "m2msec/err.h"

struct json_t; /* jansson's json_t; include <jansson.h> to build one */

/* Limits enforced by the parser (each violation is M2M_E_ACP_LIMIT with a message). */
#define M2M_ACP_JSON_MAX (1024 * 1024) /* bytes of JSON text */
#define M2M_ACP_MAX_RULES 1024         /* acr entries per set */
#define M2M_ACP_MAX_LIST 1024          /* entries of any list inside a rule */
#define M2M_ACP_STR_MAX 1024           /* bytes of an acor entry or spty */

/* accessControlOperations bits, TS-0004 Table 6.3.4.2.29-1. */
enum m2m_acp_op {
	M2M_ACP_OP_CREATE = 1,
	M2M_ACP_OP_RETRIEVE = 2,
	M2M_ACP_OP_UPDATE = 4,
	M2M_ACP_OP_DELETE = 8,
	M2M_ACP_OP_NOTIFY = 16,
	M2M_ACP_OP_DISCOVERY = 32, /* RETRIEVE with filterUsage=discovery, TS-0003 clause 7.1.3 */
	M2M_ACP_OP_ALL = 63,
};

/* Outcome of one decision stage (house style #13). DENY is 0 so zeroed memory denies.
 * m2m_acp_decide only ever returns PERMIT or DENY; NOT_APPLICABLE is what a single rule or a
 * later stage (dynamic authorization, tokens) reports when it abstains. */
typedef enum m2m_acp_decision {
	M2M_ACP_DENY = 0,
	M2M_ACP_PERMIT = 1,
	M2M_ACP_NOT_APPLICABLE = 2,
} m2m_acp_decision;

/* Kind of rq_loc (TS-0003 Table 7.1.2-2, Annex F). */
typedef enum m2m_acp_loc_kind {
	M2M_ACP_LOC_NONE = 0,    /* unknown: any aclr context is indeterminate (does not permit) */
	M2M_ACP_LOC_COUNTRY = 1, /* ISO 3166-1 alpha-2 code in country[] */
	M2M_ACP_LOC_POINT = 2,   /* WGS84 degrees in lat/lon */
} m2m_acp_loc_kind;

struct m2m_acp_request;

/* Group-membership oracle: true iff the Originator of req is a member of the <group> whose
 * resource ID is group_ri (the acor entry as written, except that the FQDN of an absolute
 * "//fqdn/..." entry is lower-cased). Called only for acor entries without '*' that are not
 * "all", an SP domain or a Role-ID, that did not already match the Originator's own ID, and
 * only once everything else in that rule permits. A group that cannot be retrieved (or whose
 * members are not <AE>/<remoteCSE>) must yield false. */
typedef bool (*m2m_acp_member_fn)(void *ctx, const char *group_ri, const struct m2m_acp_request *req);

/*
 * The request parameters the decision needs (TS-0003 Tables 7.1.2-1..3). A documented value
 * type: the caller fills it (zero-initialise, then set fields); the engine only reads it.
 * Every pointer is borrowed for the duration of m2m_acp_decide.
 */
typedef struct m2m_acp_request {
	/* The authenticated Originator in the forms the CSE can derive; NULL when not applicable.
	 * Canonical text (m2m_id_canonical: lower-case FQDN), compared case-sensitively.
	 * orig_abs: absolute "//sp.example.com/cse-in/Cabc" (always set it when the SP is known);
	 * orig_sp: SP-relative "/cse-in/Cabc" or "/Sxyz" (the Originator is in the hosting SP);
	 * orig_cse: CSE-relative "Cabc" (an AE registered with the hosting CSE). */
	const char *orig_abs;
	const char *orig_sp;
	const char *orig_cse;
	bool rq_authn;            /* TS-0003 Table 7.1.2-3 */
	unsigned op;              /* exactly one M2M_ACP_OP_* bit; anything else denies */
	int64_t time;             /* rq_time: UTC seconds since 1970 (hosting CSE clock) */
	uint8_t ip_family;        /* rq_ip: 0 unknown, 4 (ip[0..3]) or 6 (ip[0..15]), network order;
	                           * an IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as IPv4 */
	uint8_t ip[16];
	m2m_acp_loc_kind loc_kind; /* rq_loc */
	char country[3];          /* M2M_ACP_LOC_COUNTRY: two letters, NUL-terminated */
	double lat, lon;          /* M2M_ACP_LOC_POINT: degrees, lat -90..90, lon -180..180 */
	int target_ty;            /* resource type of the To target (acod "ty") */
	int child_ty;             /* CREATE: ty of the resource being created (acod "chty") */
	const char *child_spty;   /* CREATE: mgmtDefinition (decimal) or containerDefinition of the
	                           * resource being created; NULL when it has none */
	const char *const *role_ids; /* Role-IDs of the Originator (rids, tokens); may be NULL */
	size_t nrole_ids;
	m2m_acp_member_fn is_member; /* NULL: a group acor entry never matches */
	void *member_ctx;
} m2m_acp_request;

/* A compiled, immutable, reference-counted m2m:setOfAcrs. */
typedef struct m2m_acp_rules m2m_acp_rules;

/*
 * Parse and compile the JSON text json[0..len) of an m2m:setOfAcrs value ({"acr":[...]}).
 * On failure returns M2M_E_ACP_* (or M2M_E_NOMEM) and writes a one-line human message of at
 * most errcap bytes into errmsg (may be NULL/0) naming the offending member path, e.g.
 * "acr[0].acco[1].actw[0]: field 'second': 61 is out of range 0-59"; the offending text is
 * quoted truncated to 32 bytes. *out (refcount 1) is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_acp_rules_parse(const char *json, size_t len, m2m_acp_rules **out,
					     char *errmsg, size_t errcap);
/* The same from an already parsed jansson value (e.g. the "pv" member of a request body). */
M2M_API M2M_WUR m2m_err m2m_acp_rules_from_json(const struct json_t *value, m2m_acp_rules **out,
						 char *errmsg, size_t errcap);
/* Number of access-control rules; 0 for NULL. The CSE rejects an empty pvs with 4000. */
M2M_API size_t m2m_acp_rules_count(const m2m_acp_rules *rules);
/* Take another reference; returns rules (NULL stays NULL). */
M2M_API m2m_acp_rules *m2m_acp_rules_ref(m2m_acp_rules *rules);
/* Drop one reference and free on the last; NULL is a no-op. */
M2M_API void m2m_acp_rules_unref(m2m_acp_rules *rules);
/* Same as m2m_acp_rules_unref (house-style name for the owner's release). */
M2M_API void m2m_acp_rules_free(m2m_acp_rules *rules);

/*
 * TS-0003 clause 7.1.5: PERMIT iff some rule of some set has res_authn AND res_origs AND
 * res_ops AND res_ctxts AND res_objd. Everything else, including no sets, only empty sets, a
 * NULL request, an op that is not exactly one bit and any indeterminate parameter, is DENY.
 * sets[i] may be NULL (skipped). Never allocates; calls req->is_member at most once per group
 * entry of a rule that otherwise permits.
 */
M2M_API m2m_acp_decision m2m_acp_decide(const m2m_acp_rules *const *sets, size_t nsets,
					const m2m_acp_request *req);

/*
 * Cache of compiled rule sets keyed by ACP resource ID and a version the CSE bumps on every
 * UPDATE of the ACP. Holds at most `capacity` entries (least recently used is evicted). Not
 * thread-safe by design: one cache per event-loop thread.
 */
typedef struct m2m_acp_cache m2m_acp_cache;

M2M_API M2M_WUR m2m_err m2m_acp_cache_new(size_t capacity, m2m_acp_cache **out);
/* Drops the cache's references; rule sets still held by callers stay valid. NULL no-op. */
M2M_API void m2m_acp_cache_free(m2m_acp_cache *cache);
/* Hit: *out is a NEW reference (release with m2m_acp_rules_unref) and M2M_OK. Miss (absent
 * or cached under another version, which is dropped): M2M_E_NOT_FOUND and *out NULL. */
M2M_API M2M_WUR m2m_err m2m_acp_cache_get(m2m_acp_cache *cache, const char *ri, uint64_t version,
					   m2m_acp_rules **out);
/* Store rules under (ri, version), replacing any entry for ri. The cache takes its own
 * reference; the caller keeps theirs. */
M2M_API M2M_WUR m2m_err m2m_acp_cache_put(m2m_acp_cache *cache, const char *ri, uint64_t version,
					   m2m_acp_rules *rules);
/* Forget ri (on UPDATE or DELETE of the ACP). References held by requests stay valid. */
M2M_API void m2m_acp_cache_invalidate(m2m_acp_cache *cache, const char *ri);
/* Number of entries currently cached. */
M2M_API size_t m2m_acp_cache_size(const m2m_acp_cache *cache);

#endif
