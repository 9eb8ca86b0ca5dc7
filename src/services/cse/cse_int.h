/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface shared by the files of the CSE core
 * (services/cse/): the CSE and worker structures, the per-request context, the resource-type
 * descriptor used by the generic CREATE/UPDATE/DELETE procedures of TS-0004 clause 7.3.3, and
 * the cross-file m2mi_* functions (target resolution, access control glue, result content,
 * discovery, notifications). docs/resources.md describes the behaviour.
 */
#ifndef M2MSEC_CSE_INT_H
#define M2MSEC_CSE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "m2msec/acp.h"
#include "m2msec/cse.h"
#include "m2msec/originator.h"
#include "m2msec/resstore.h"
#include "m2msec/rsc.h"
#include "m2msec/token.h"
#include "core/addr_policy.h"
#include "core/wildcard.h"
#include "remote/httpc.h"

struct event_base;

#define M2MI_MSG_MAX 256
#define M2MI_RI_MAX 64
#define M2MI_ACP_CACHE 1024   /* compiled rule sets cached per worker */
#define M2MI_ACPI_MAX 32      /* entries of one acpi attribute */
#define M2MI_CHILD_MAX 1000   /* resources in one rcn=4/5/6/8 answer */
#define M2MI_NU_MAX 8         /* notificationURI entries of one <subscription> */
#define M2MI_SUBTREE_MAX 100000 /* descendants scanned for subscriptions when a subtree goes */
#define M2MI_VERIFY_MS 2000   /* deadline of one subscription verification request */
#define M2MI_WAIT_PER_ORIG 8  /* requests of one Originator waiting for verification at once */
#define M2MI_WAIT_ORIGS 64    /* Originators with requests waiting for verification at once */
#define M2MI_NOTIFY_MS 5000   /* deadline of one notification delivery */
#define M2MI_BATCH_MAX 100    /* batchNotify num: notifications in one m2m:agn */
#define M2MI_BATCH_DUR "PT60S" /* batchNotify dur when the subscriber gives none (Recv-6.5) */
#define M2MI_DEFAULT_ET (365LL * 24 * 3600) /* default expirationTime: now + 1 year */
#define M2MI_ADMIN_ACP "acpAdmin" /* ri and rn of the default admin <accessControlPolicy> */
#define M2MI_PARSED_SLOTS 32  /* per-worker memo of parsed stored bodies (resource.c) */
#define M2MI_PARSED_MAX 4096  /* larger bodies are parsed every time */
#define M2MI_GRP_MAX_MEMBERS 1000 /* members of one <group>, whatever its mnm (res_grp.c) */
#define M2MI_FOPT_DEPTH 3     /* nested <fanOutPoint>s followed by one request (fanout.c) */
#define M2MI_FOPT_OPS 1000    /* member requests executed for one request, nesting included */
#define M2MI_FOPT_BYTES (1024 * 1024) /* member content kept in one aggregated response */

typedef struct m2mi_notifier m2mi_notifier;
typedef struct m2mi_tokens m2mi_tokens; /* access_token.c */
#define M2MI_TOKENS_MAX 16    /* tokens one request may carry (tkns + ltids) */
#define M2MI_TOKEN_SETS 64    /* pv rule sets the tokens add to one decision at most */
#define M2MI_TOKEN_ROLES 64   /* Role-IDs the tokens add to one decision at most */

struct m2m_cse {
	m2m_cse_config cfg;
	m2m_origin_ctx octx;
	m2m_origin_forms admin; /* forms of cfg.admin_originator */
	m2mi_notifier *notifier;
	pthread_mutex_t pmu;    /* pending requests of every worker (notify_verify.c) */
	atomic_bool om_any;     /* some <subscription> may have enc.om: requests look for them */
	struct m2mi_orig_count { /* requests waiting for verification per Originator (under pmu) */
		char id[M2M_ORIG_MAX];
		int n;
	} waiting[M2MI_WAIT_ORIGS];
	pthread_cond_t pcv;     /* a synchronous wait for verification results */
	struct m2mi_secprof_slot *secprof; /* the MEF's security profile (sec_profile.c), NULL = none */
	struct m2mi_writer *writer; /* the store's writer thread, once started (writer.c) */
	m2mi_tokens *tokens;    /* token trust, verified-token cache, Local-Token-IDs (access_token.c) */
	struct m2mi_das *das;   /* the association with the DASes of direct DA, NULL = off (access_das.c) */
	struct m2mi_netauth *netauth; /* nodes the underlying network does not authorize (netauth.c) */
	struct m2mi_esprim *esprim; /* the ESPrim Receiver's memory, NULL = esprim off (esprim_rx.h) */
	m2m_cse_key_fn esp_keys; /* pairwiseESPrimKey resolver (m2m_cse_set_esprim_keys), NULL = none */
	void *esp_keys_ctx;
	struct m2mi_eck *eck;   /* the ESCertKE Terminating End-Point, NULL = off (escertke_term.c) */
	struct m2mi_fwd *fwd;   /* the associations a transit CSE forwards over (forward.c) */
	struct m2mi_pool *pool; /* the store threads (PostgreSQL), once started (store_pool.c) */
};

/* A request waiting for its subscription verification requests (notify_verify.c). Moves from
 * the worker's waiting list to its done list when the last result came in; the worker's loop
 * then runs the real CREATE/UPDATE and answers. Lists and counters under cse->pmu. */
struct m2m_cse_pending {
	struct m2m_cse_pending *next;
	m2m_cse *cse;
	m2m_cse_worker *w; /* not to be touched once orphan */
	int outstanding;
	bool failed, denied, orphan, sync;
	bool has_sa;
	m2m_sa sa;
	m2m_request req;   /* owned copies (asynchronous mode) */
	m2m_response rsp;
	int64_t now;
	char sur[M2MI_RI_MAX];
	char orig[M2M_ORIG_MAX]; /* counted in cse->waiting */
	m2m_cse_done_fn done;
	void *done_arg;
	bool via_writer;   /* handed to a store thread (writer.c, store_pool.c), not a verification */
	bool answered;     /* rsp is final (writer.c): the loop only delivers it */
	bool da;           /* a direct DA consultation (access_das.c), not a verification */
	char *da_body;     /* the DAS's answer (NOTIFY response Content), NULL = none */
	char da_trid[1100];/* the targetedResourceID it was asked for */
	bool da_counted;   /* a write's consultation holds a slot in cse->waiting (access_das.c) */
	bool fwd;          /* a forwarded request (forward.c): its next hop's answer below */
	int fwd_rsc;       /* that answer's RSC, 0 = none (not reachable, no answer in time) */
	char *fwd_body;    /* its Content (owned), NULL = none */
	size_t fwd_len;
	bool fwd_denied;   /* no answer: the destination policy refused the target (an <AE>'s poa) */
	int64_t queued_ms; /* store_pool.c: monotonic time it was queued (its deadline) */
	m2m_cse_pending *inner; /* store_pool.c: its request deferred on the store thread's worker
				 * (at shutdown: the next of the thread's lost list) */
	struct m2mi_pool_thr *pool_thr; /* ... on this store thread */
	struct m2mi_esp_defer *esp; /* an ESPrim inner request: req/rsp are the inner ones, the
				     * outer NOTIFY and what seals its answer here (esprim_rx.c) */
};

/* One memo slot: the stored JSON text of a resource and its parse (never handed out: callers
 * get a copy). A pure function of the text, so it cannot be stale. */
typedef struct m2mi_parsed {
	char *text;
	size_t len;
	json_t *attr;
} m2mi_parsed;

struct m2m_cse_worker {
	m2m_cse *cse;
	m2m_resstore *store;
	m2m_acp_cache *acps;
	int64_t clock;                   /* the last `now` seen, and its timestamp text */
	char clock_s[M2M_RES_TIME_LEN];
	m2mi_parsed parsed[M2MI_PARSED_SLOTS];
	int fopt_depth;                  /* fan-out nesting of the request being handled (fanout.c) */
	int fopt_ops;                    /* member requests executed for the outermost request */
	m2m_cse_pending *waiting, *done; /* under cse->pmu */
	bool wake_pending;
	m2m_cse_wake_fn wake;
	void *wake_arg;
	bool batch_broken;               /* writer.c: the batch transaction must be rolled back */
	bool batch_rolled;               /* writer.c: something in the batch was rolled back */
	bool pooled;                     /* a store thread's worker (store_pool.c) */
};

/* A resource loaded for a request: its row and, once needed, its parsed attributes. */
typedef struct m2mi_node {
	m2m_res row;
	json_t *attr; /* owned; NULL until m2mi_node_attrs */
} m2mi_node;

/* Per-request context (lives on the stack of m2m_cse_handle). */
typedef struct m2mi_ctx {
	m2m_cse *cse;
	const m2m_cse_config *cfg;
	m2m_cse_worker *w;
	m2m_resstore *st;
	const m2m_sa *sa;
	m2m_request *req;
	m2m_response *rsp;
	int64_t now;
	char now_s[M2M_RES_TIME_LEN];
	bool has_orig;              /* orig holds the Originator's forms */
	m2m_origin_forms orig;
	bool rq_authn, admin;
	bool as_subscriber;         /* deciding for a subscriber: no request IP or Role-IDs */
	char from[M2M_ORIG_MAX];    /* the Originator as written to creator attributes */
	m2mi_node tgt;              /* the target (the <contentInstance> for la/ol) */
	m2mi_node holder;           /* parent of a <contentInstance> target (its policies) */
	bool holder_loaded;
	char virt;                  /* 0, or 'l'/'o' when the target was reached through la/ol */
	int rcn;
	int sub_phase;              /* <subscription> CREATE: 1 dry run, 2 verified */
	char pre_ri[M2MI_RI_MAX];   /* resourceID chosen before the dry run */
	json_t *verify_nu;          /* dry run: the target URLs to verify */
	m2m_cse_pending *pending;   /* set when dispatch() answers M2MI_PENDING */
	bool sync_wait;             /* no wake function: wait for the verification in place */
	json_t *notes;              /* notifications to send after COMMIT: [[url, body, ...], ...] */
	json_t *om_notes;           /* operationMonitor notifications: sent whatever the outcome */
	char msg[M2MI_MSG_MAX];
	const char *fopt_rel;       /* virt 'f': the path after ".../fopt/" ("" for none) */
	json_t *fopt_mid;           /* virt 'f': the members to fan out to, once access is granted */
	bool batched;               /* in the writer's batch transaction, under a savepoint (writer.c) */
	struct m2mi_req_tokens *toks; /* the request's verified tokens, once needed (access_token.c) */
	json_t *tqf;                /* Token Request Information for a 4103 answer (access_token.c) */
	bool da_done;               /* direct DA consulted for this request: its answer, once (access_das.c) */
	char *da_body;              /* that answer (owned), NULL = none (down, slow, refused) */
	char da_trid[1100];
	char *da_url, *da_req;      /* in the writer's batch: the consultation to send once the batch is
				     * done (access_das.c m2mi_das_defer), NULL = none */
} m2mi_ctx;

/* a + b saturated to the int64 range. Every time and size sum of the CSE goes through it
 * (now + mia, now + the default et, instance counters and byte sizes): attribute values are any
 * JSON integer, so a plain sum could overflow (undefined behaviour). A saturated time formats as
 * the latest timestamp (m2mi_time_fmt). */
static inline int64_t m2mi_sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* ---- resource types (resource.c, res_*.c) ------------------------------------------------ */

typedef enum m2mi_vt {
	M2MI_VT_STR = 1, M2MI_VT_BOOL, M2MI_VT_UINT, M2MI_VT_POSINT, M2MI_VT_STRLIST, M2MI_VT_OBJ,
	M2MI_VT_ANY, M2MI_VT_TIME,
	M2MI_VT_CSZ, M2MI_VT_CNF, /* m2m:serializations, m2m:contentInfo (datatypes.c) */
	M2MI_VT_ESI,              /* m2m:e2eSecInfo (esprim_rx.c) */
} m2mi_vt;

bool m2mi_csz_ok(json_t *v);
bool m2mi_esi_ok(json_t *v); /* e2eSecInfo (esprim_rx.c) */
bool m2mi_cnf_ok(const char *s);
/* The content of a <contentInstance> fits its cnf's contentSecurity (cin_security.c); 0 or the
 * 4000 refusal. */
int m2mi_cin_security(m2mi_ctx *c, json_t *attr);

enum { M2MI_NP = 0, M2MI_O = 1, M2MI_M = 2 }; /* presence in a CREATE/UPDATE request */

typedef struct m2mi_attr {
	const char *sn;
	m2mi_vt vt;
	unsigned char c, u; /* M2MI_NP/O/M for CREATE and UPDATE */
	bool one;           /* multiplicity 1: NULL in an UPDATE is rejected */
} m2mi_attr;

enum { M2MI_F_ACPI = 1, M2MI_F_CR = 2, M2MI_F_ST = 4, M2MI_F_ET = 8, M2MI_F_LBL = 16 };

typedef struct m2mi_type {
	int ty;
	const char *wrapper;   /* "m2m:cnt" */
	const char *prefix;    /* resourceID prefix "cnt" */
	unsigned flags;
	const m2mi_attr *attrs;
	size_t nattrs;
	const int *children;   /* allowed child resource types, 0-terminated */
	/* CREATE: n->attr holds the validated request attributes plus the common ones; check and
	 * complete the type-specific ones. 0 or an RSC (c->msg set). */
	int (*create)(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n);
	/* After the row of n was inserted (parent bookkeeping). */
	int (*created)(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n);
	/* UPDATE: n->attr already holds the merged attributes, chg the request's. */
	int (*update)(m2mi_ctx *c, m2mi_node *n, json_t *chg);
	/* DELETE of n, before its subtree is removed. */
	int (*remove)(m2mi_ctx *c, m2mi_node *n);
} m2mi_type;

extern const m2mi_type m2mi_type_csebase, m2mi_type_ae, m2mi_type_cnt, m2mi_type_cin, m2mi_type_acp,
	m2mi_type_grp, m2mi_type_sub;

/* Service subscription (res_ssp.c) and device management (res_node.c, res_mgo.c) resource
 * types (TS-0004 Table 6.3.4.2.1-1). */
enum { M2MI_TY_MSSP = 11, M2MI_TY_MGO = 13, M2MI_TY_NOD = 14, M2MI_TY_ASAR = 19, M2MI_TY_SVSN = 20 };
extern const m2mi_type m2mi_type_mssp, m2mi_type_svsn, m2mi_type_asar;
/* With service-subscription = enforce: may an AE register with AE-ID-Stem stem (TS-0004
 * 7.3.2.7)? 0, 4126 or 4128 (res_ssp.c). */
int m2mi_ssp_check_registration(m2mi_ctx *c, const char *stem);
/* With service-subscription = enforce: may the Originator use role_id (allowedRole-IDs of a rule
 * that applies to it, TS-0001 7.1.14)? Always true when off (res_ssp.c). */
bool m2mi_ssp_role_allowed(m2mi_ctx *c, const char *role_id);
extern const m2mi_type m2mi_type_nod, m2mi_type_fwr, m2mi_type_dvi;
/* Dynamic authorization and roles (res_dynauth.c, TS-0004 Table 6.3.4.2.1-1). */
enum { M2MI_TY_ROL = 31, M2MI_TY_TK = 32, M2MI_TY_DAC = 34 };
#define M2MI_ROLE_SCAN 1000 /* <role> / <token> children of <CSEBase> examined per lookup */
extern const m2mi_type m2mi_type_rol, m2mi_type_tk, m2mi_type_dac;
/* The authenticated Originator holds role_id: a live <role> names it as holder, now within
 * [tknb, tkna] (TS-0003 clause 7.4.3). */
bool m2mi_role_held(m2mi_ctx *c, const char *role_id);
/* The tokenObject of the live <token> whose tokenID is tid (malloc'd copy), or NULL. */
char *m2mi_token_by_id(m2mi_ctx *c, const char *tid);
/* Every daci entry names a live <dynamicAuthorizationConsultation>: 0 or 4000. */
int m2mi_daci_check(m2mi_ctx *c, json_t *daci);
/* nl of attr (if any) names an existing <node> the Originator may RETRIEVE: 0 or 4000. */
int m2mi_node_link_check(m2mi_ctx *c, json_t *attr);
/* The type descriptor of a CREATE's content / a stored resource: m2mi_type_find, except that a
 * <mgmtObj> gets its specialisation (res_mgo.c); NULL when not implemented. */
const m2mi_type *m2mi_type_of_request(const m2m_request *req);
const m2mi_type *m2mi_type_of_row(const m2m_res *r);

const m2mi_type *m2mi_type_find(int ty);
bool m2mi_type_allows_child(const m2mi_type *t, int child_ty);

/* escertke_term.c: the ESCertKE Terminating End-Point (TS-0003 8.7, TS-0001 11.4.3). */
typedef struct m2mi_eck m2mi_eck;
/* NULL (M2M_OK) unless cfg->escertke. */
m2m_err m2mi_eck_new(const m2m_cse_config *cfg, m2mi_eck **out);
void m2mi_eck_free(m2mi_eck *k);
/* A NOTIFY seci sit 6 to the <CSEBase>, decoded (in) by the seci_handlers table of esprim_rx.c:
 * its RSC (0 = answered with the next message). */
struct m2m_seci_e2e;
int m2mi_eck_message(m2mi_ctx *c, const struct m2m_seci_e2e *in);

int m2mi_fail(m2mi_ctx *c, int rsc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int m2mi_store_fail(m2mi_ctx *c, m2m_err e);

void m2mi_node_clear(m2mi_node *n);
/* Parse n->row.body into n->attr (once; n->attr is n's own object). 0 or 5000. */
int m2mi_node_attrs(m2mi_ctx *c, m2mi_node *n);
/* Release the worker's memo of parsed bodies. */
void m2mi_parsed_clear(m2m_cse_worker *w);
/* Serialise n->attr into n->row (body, acpi, lbl, lt, et columns). */
int m2mi_node_sync(m2mi_ctx *c, m2mi_node *n);

void m2mi_time_fmt(int64_t t, char out[M2M_RES_TIME_LEN]);
bool m2mi_time_parse(const char *s, int64_t *t);
/* A fresh resourceID: prefix + 16 random [a-z0-9]. */
int m2mi_new_ri(m2mi_ctx *c, const char *prefix, char *out, size_t cap);
bool m2mi_rn_ok(const char *rn);

/* The generic procedures of TS-0004 clauses 7.3.3.3-7.3.3.8 around the type hooks. */
int m2mi_res_create(m2mi_ctx *c, const m2mi_type *t);
int m2mi_res_update(m2mi_ctx *c);
int m2mi_res_delete(m2mi_ctx *c);
/* Delete n (and its subtree) inside the current transaction, with parent bookkeeping. */
int m2mi_res_remove(m2mi_ctx *c, m2mi_node *n, bool notify);

/* <AE> registration rules (res_ae.c): choose the AE-ID, check the binding, set c->from/orig. */
int m2mi_ae_register(m2mi_ctx *c);
/* <remoteCSE> registration (res_csr.c, TS-0004 7.4.4.2.1): is req one; the credential/From
 * check before the originator rules (4107/4005/4106); the resourceID and 4117 check. */
extern const m2mi_type m2mi_type_csr;
bool m2mi_csr_create_request(const m2m_request *req);
int m2mi_csr_precheck(m2mi_ctx *c);
int m2mi_csr_register(m2mi_ctx *c);
/* From is a C-type AE-ID of the CSE the association is bound to (via_registree): 0 while that
 * CSE has a live <remoteCSE> here, else 4106 (res_csr.c, docs/procedures/transit.md). */
int m2mi_csr_vouches(m2mi_ctx *c);
/* <container> limits (res_cnt.c): delete oldest instances until mni/mbs hold. */
int m2mi_cnt_enforce(m2mi_ctx *c, m2mi_node *cnt, int64_t add_n, int64_t add_bytes);
/* disableRetrieval of the target's container: 0 or 4005 (res_cin.c). */
int m2mi_cin_accessible(m2mi_ctx *c);
/* True when cnt is a <container> whose disableRetrieval is set (or unreadable): none of its
 * instances may be returned, by reference or representation. */
bool m2mi_cnt_disr(m2mi_ctx *c, const m2m_res *cnt);
/* A <contentInstance> is gone: decrement its container's counters. */
int m2mi_cnt_forget(m2mi_ctx *c, const m2m_res *cin);
/* <group> membership (res_grp.c): the Originator is listed in mid of group grp. */
bool m2mi_grp_has_member(m2mi_ctx *c, const m2mi_node *grp);
/* Inside the DELETE's transaction, before the subtree at path goes: remove every resource of
 * the subtree from the memberIDs of the groups (outside it) that list it (TS-0004 7.4.13). */
int m2mi_grp_prune(m2mi_ctx *c, const char *path);
/* <group>/fopt (fanout.c, TS-0004 clause 7.4.14). m2mi_fopt_resolve: To names a
 * "<group>/fopt[/rel]": c->tgt is the group, c->virt 'f'; -1 when To has no such form.
 * m2mi_fopt_prepare runs in the group's transaction (access, members); m2mi_fopt_run after it,
 * one normal dispatch (own transaction, own access decision) per member. */
int m2mi_fopt_resolve(m2mi_ctx *c, const char *to);
int m2mi_fopt_prepare(m2mi_ctx *c);
int m2mi_fopt_run(m2mi_ctx *c);
/* <CSEBase> and default admin ACP at first start (res_csebase.c). */
m2m_err m2mi_csebase_bootstrap(m2m_cse *cse, m2m_resstore *st, int64_t now);

/* ---- target resolution (resolve.c) ------------------------------------------------------- */

/* Resolve To into c->tgt (and c->virt); 0 or 4004/4005. */
int m2mi_resolve_target(m2mi_ctx *c);
/* The CSE-relative part of id (an unstructured ri or a structured path) in buf; false when id
 * addresses another CSE or SP. */
bool m2mi_cse_relative(const m2mi_ctx *c, const char *id, char *buf, size_t cap);
/* Find a resource by any ID form (ri, structured, SP-relative, absolute) that is not expired. */
m2m_err m2mi_lookup(m2mi_ctx *c, const char *id, m2m_res *out);
bool m2mi_expired(const m2mi_ctx *c, const m2m_res *r);
/* The parent of a <contentInstance> target (loaded once); NULL on a store failure. */
m2mi_node *m2mi_holder(m2mi_ctx *c);

/* ---- access control (access.c) ----------------------------------------------------------- */

/* Decide op (M2M_ACP_OP_*) on resource r whose policies are held by holder (r itself, or the
 * container of a contentInstance). child_ty for CREATE. */
bool m2mi_access(m2mi_ctx *c, const m2m_res *r, const m2m_res *holder, unsigned op, int child_ty);
/* The same for the request target, answering 4103 on deny. */
int m2mi_access_target(m2mi_ctx *c, unsigned op, int child_ty);
/* UPDATE of acpi alone: decided on the selfPrivileges of the referenced ACPs. */
int m2mi_access_acpi_update(m2mi_ctx *c);
/* Forget cached rule sets of an ACP (UPDATE/DELETE). */
void m2mi_access_forget(m2mi_ctx *c, const char *ri);
/* Validate an acpi value: every entry names an existing <accessControlPolicy>. 0 or 4000. */
int m2mi_access_check_acpi(m2mi_ctx *c, json_t *acpi);

/* ---- indirect dynamic authorization (access_token.c, docs/procedures/das.md) ---------------- */

m2m_err m2mi_tokens_new(const m2m_cse_config *cfg, m2mi_tokens **out);
void m2mi_tokens_free(m2mi_tokens *t);
/* The request carries tkns, ltids or tids. */
bool m2mi_tokens_present(const m2mi_ctx *c);
/* The request's tids that are neither <token> resources nor in the DAS's answer (after the
 * tokens were loaded): what a consultation asks the DAS for (access_das.c). */
size_t m2mi_tokens_unknown(const m2mi_ctx *c, const char *const **out);
/* The rule sets (pv, borrowed from the request's tokens) and Role-IDs the request's verified
 * tokens grant on resource r (policies held by holder); the tokens are verified at the first
 * call. Returns the number of sets; none when any token was refused. */
int m2mi_tokens_grant(m2mi_ctx *c, const m2m_res *r, const m2m_res *holder, const m2m_acp_rules **sets,
		      size_t cap, const char **roles, size_t rcap, size_t *nroles);
/* The i-th token the Originator uses through a relationship mapping (TS-0003 clause 7.3.2.7):
 * returns the holder it was issued to (to evaluate its pv as), with that token's grants on r as
 * m2mi_tokens_grant (*nsets sets); NULL when there is no i-th. */
const char *m2mi_tokens_mapped(m2mi_ctx *c, size_t i, const m2m_res *r, const m2m_res *holder,
			       const m2m_acp_rules **sets, size_t cap, const char **roles, size_t rcap, size_t *nroles,
			       int *nsets);
/* Security validation of a tokenObject against das-trust (no audience/holder/time: the stored
 * token is checked per request when used). *out NULL unless M2M_OK. */
m2m_err m2mi_tokens_parse(m2mi_ctx *c, const char *text, m2m_token **out);
/* Revoke tokenID tid until `until` (deleting its <token>): cached verifications are dropped. */
m2m_err m2mi_tokens_revoke(m2mi_ctx *c, const char *tid, int64_t until);
/* The Role-IDs of rids the Originator verifiably holds (<role>), once per request. */
size_t m2mi_roles_verified(m2mi_ctx *c, const char *const **out);
/* After a denial: the refusal of a token as c->msg and its RSC, or 0 when no token was refused. */
int m2mi_tokens_refusal(m2mi_ctx *c);
void m2mi_tokens_release(m2mi_ctx *c);
/* {"m2m:tqf": m2m:dynAuthTokenReqInfo} for a denial when the request asked (tqi), else NULL. */
json_t *m2mi_tokens_tqf(m2mi_ctx *c, unsigned op);

/* ---- result content and discovery (content.c, discovery.c) ------------------------------ */

/* Check the rcn of the request against its operation and set c->rcn. 0 or 4000. */
int m2mi_rcn_select(m2mi_ctx *c);
int m2mi_content(m2mi_ctx *c, m2mi_node *n, m2m_op op);
int m2mi_discover(m2mi_ctx *c);
/* Filter criteria matching conditions on one row (filter.c); conditions on attributes (cty,
 * name=value) need r->body, else they do not match. */
bool m2mi_filter_match(const m2m_filter *fc, const m2m_res *r);
/* fc holds a matching condition / one that needs the stored body. */
bool m2mi_filter_any(const m2m_filter *fc);
bool m2mi_filter_needs_body(const m2m_filter *fc);

/* ---- notifications (notify.c, notify_q.c, notify_verify.c, httpc.c) ---------------------- */

#define M2MI_PENDING (-1) /* dispatch(): the answer waits for verification requests */
#define M2MI_DRY_RUN_DONE (-2) /* the dry run of a <subscription> UPDATE stops after its checks */

m2m_err m2mi_notifier_new(const m2m_cse_config *cfg, m2mi_notifier **out);
void m2mi_notifier_free(m2mi_notifier *n);
/* How one notification is sent: vrq NULL, or the verification request url must have answered
 * with 2xxx (once, remembered) before the notification goes there (pointOfAccess-derived
 * targets); sur the subscription; latest: latestNotify (a newer notification of sur replaces a
 * waiting older one); batch_num > 0: batchNotify (up to batch_num in one m2m:agn, at most
 * batch_ms after the first). */
typedef struct m2mi_send_opts {
	const char *vrq, *sur;
	bool latest;
	int batch_num;
	int64_t batch_ms;
} m2mi_send_opts;
/* Queue one notification (any thread; never blocks; dropped and counted when it cannot be
 * queued). o may be NULL. */
void m2mi_notifier_send(m2mi_notifier *n, const char *url, const char *body, const m2mi_send_opts *o);
/* Result of one verification request, on the notifier thread: ok = a 2xxx answer; denied = the
 * destination policy refused the address. Also called (ok false) when the notifier stops. */
typedef void (*m2mi_verify_cb)(void *arg, bool ok, bool denied);
/* Send one verification request for subscription sur (any thread); false when it cannot be
 * queued (cb not called). A 2xxx answer is remembered as consent of url for sur. */
bool m2mi_notifier_verify(m2mi_notifier *n, const char *url, const char *sur, const char *body, m2mi_verify_cb cb,
			  void *arg);
/* Queue notifications for an event on the subscribed-to resource subject_ri (net 1..4); rep is
 * the resource the event is about. Sent after COMMIT by m2mi_notify_flush. */
int m2mi_notify_event(m2mi_ctx *c, const char *subject_ri, int net, m2mi_node *rep);
void m2mi_notify_flush(m2mi_ctx *c);
/* TS-0004 7.5.1.2.4: the deletion notification of subscription sub to its su (if any), and the
 * same for every subscription in the subtree of root (called before root is deleted). */
int m2mi_notify_sub_deleted(m2mi_ctx *c, const m2m_res *sub);
int m2mi_notify_subtree_deleted(m2mi_ctx *c, const m2m_res *root);
/* enc.om (TS-0001 Table 9.6.8-3 operationMonitor): the request reached the target c->tgt; its
 * subscriptions that monitor this operation/originator are noted in c->om_notes, sent by
 * m2mi_notify_om_flush whether the operation succeeds or not (notify_om.c). */
void m2mi_notify_om(m2mi_ctx *c);
void m2mi_notify_om_flush(m2mi_ctx *c);
/* At start: does the store hold a subscription with enc.om? */
m2m_err m2mi_notify_om_scan(m2m_cse *cse, m2m_resstore *st);
/* Note the notifications of body for the targets nu of subscription sub (attributes a) in
 * c->notes (notify.c). */
int m2mi_notify_targets(m2mi_ctx *c, const m2m_res *sub, json_t *a, json_t *nu, const char *body);
/* The subscriber of sub may RETRIEVE rep (notify.c). */
bool m2mi_notify_may_see(m2mi_ctx *c, const m2m_res *sub, m2mi_node *rep);
/* The targets to verify for the notificationURI list nu of a <subscription> (TS-0004 clause
 * 7.4.8.2.1, 7.5.1.2.3): into c->verify_nu (URLs). 0 or 4000 (malformed entry). */
int m2mi_notify_targets_to_verify(m2mi_ctx *c, json_t *nu, json_t *old_nu);
/* Start the verification requests of c->verify_nu for the subscription sur: M2MI_PENDING, or
 * 0 when there is nothing to verify (notify_verify.c). */
int m2mi_verify_start(m2mi_ctx *c, const char *sur);
/* Synchronous mode: wait until every result of p is in. */
void m2mi_verify_wait(m2m_cse *cse, m2m_cse_pending *p);
/* A pending request for c (counted per Originator; 2 references: the answer's and the
 * starter's, each released by m2mi_pending_result); NULL when refused or out of memory. */
m2m_cse_pending *m2mi_pending_new(m2mi_ctx *c, int outstanding);
/* One result for p (any thread): the last one hands p to its worker's loop. */
void m2mi_pending_result(m2m_cse_pending *p, bool ok, bool denied);
/* ---- direct dynamic authorization (access_das.c, TS-0003 clause 7.3.2.2) ---- */
typedef struct m2mi_das m2mi_das;
m2m_err m2mi_das_new(const m2m_cse_config *cfg, m2mi_das **out);
void m2mi_das_free(m2mi_das *d);
/* The child ACPs an earlier DAS answer created under r permit op. */
bool m2mi_das_permit(m2mi_ctx *c, const m2m_res *r, unsigned op, int child_ty);
/* Consult the DAS of r's daci (or its parent's): M2MI_PENDING (c->pending set), or 0 = none. */
int m2mi_das_consult(m2mi_ctx *c, const m2m_res *r, unsigned op);
/* A write of the writer's batch answered 4103 with a consultation noted (c->da_url, taken
 * out as url/body): send it and keep p waiting for the answer (true), or false (the table or
 * the queue full: p is answered as it is). Writer thread, after the batch (access_das.c). */
bool m2mi_das_defer(m2mi_ctx *c, m2m_cse_pending *p, const char *url, const char *body);
/* Take / give one waiting slot of Originator id (notify_verify.c). */
bool m2mi_wait_take(m2m_cse *cse, const char *id);
void m2mi_wait_give(m2m_cse *cse, const char *id);
/* Hand p back to the writer for its second pass after a consultation (writer.c; loop thread);
 * false when the queue is full or the writer stops. */
bool m2mi_writer_resubmit(m2m_cse_worker *w, m2m_cse_pending *p);
/* The second pass: a verified answer creates the child ACP; true when it now permits op. */
bool m2mi_das_apply(m2mi_ctx *c, const m2m_res *r, unsigned op, int child_ty);
/* Decide op on r with the rule sets sets[0..n) only (access.c). */
bool m2mi_access_sets(m2mi_ctx *c, const m2m_acp_rules *const *sets, size_t n, const m2m_res *r, unsigned op,
		      int child_ty);
/* Decide op on r with the pv of the ACP rows acps[0..n) only (access.c). */
bool m2mi_access_with(m2mi_ctx *c, const m2m_res *const *acps, size_t n, const m2m_res *r, unsigned op,
		      int child_ty);
/* Both verification stages of a token for this request (holder = the Originator, audience this
 * CSE), through the verified-token cache (access_token.c). */
m2m_err m2mi_tokens_verify(m2mi_ctx *c, const char *text, m2m_token **out);
void m2mi_pending_free(m2m_cse_pending *p);
/* Worker side: unlink p from its lists (under pmu) before it is answered. */
void m2mi_pending_unlink(m2m_cse_worker *w, m2m_cse_pending *p);
/* xs:duration "P[nD][T[nH][nM][n[.fff]S]]" in milliseconds (res_sub.c). */
bool m2mi_duration_parse(const char *s, int64_t *ms);
/* Number of notifications delivered / dropped so far (tests, logs). */
void m2mi_notifier_stats(m2mi_notifier *n, uint64_t *sent, uint64_t *failed, uint64_t *dropped);
/* Wait until no notification or verification is queued or in flight, at most ms. */
bool m2mi_notifier_drain(m2mi_notifier *n, int ms);

/* The non-blocking HTTP client (m2mi_httpc, m2mi_url): remote/httpc.h. */

/* cse.c: run an ESPrim inner request through the CSE's one request path as if it had arrived
 * over sa. NULL with rsp answered; or, when may_defer and the outer request is not waited for
 * in place (a wake function), the pending request it went into (req and rsp moved into it,
 * like m2m_cse_handle_async): the caller attaches its m2mi_esp_defer and makes the outer
 * request pending on it (esprim_rx.c). */
m2m_cse_pending *m2mi_cse_inner(m2mi_ctx *outer, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				bool may_defer);
/* esprim_rx.c, for a pending request with esp: p->rsp (the inner answer, final) sealed into the
 * outer NOTIFY's answer, which then takes the place of p->req/p->rsp (the binding answers the
 * outer request); esp is freed. Loop thread, before p's done. */
void m2mi_esp_defer_finish(m2m_cse_pending *p);
/* The outer NOTIFY's req and rsp moved into d (left empty): cse.c handle, when it defers. */
void m2mi_esp_defer_adopt(struct m2mi_esp_defer *d, m2m_request *req, m2m_response *rsp);
/* Free it (the session key zeroized); NULL is a no-op. */
void m2mi_esp_defer_free(struct m2mi_esp_defer *d);

/* ---- the store's writer thread (writer.c) ------------------------------------------------ */

#define M2MI_WRITER_BATCH 64   /* requests committed together at most */
#define M2MI_WRITER_QUEUE 4096 /* requests waiting for the writer at most; beyond: 5000 at once */

typedef struct m2mi_writer m2mi_writer;
/* Stop the writer (the queued requests are still processed), join it, free it; NULL no-op. */
void m2mi_writer_stop(m2mi_writer *wr);
/* Loop thread: hand the request to the writer (moved into the returned pending request, see
 * m2m_cse_handle_async), or answer it at once in rsp (NULL) when the queue is full. */
m2m_cse_pending *m2mi_writer_take(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				  int64_t now);
/* cse.c, on the writer thread: run p's request in w's open batch transaction (dispatch under a
 * savepoint) into c; then, once the batch is committed (commit M2M_OK) or rolled back, finish
 * it: a success not committed becomes 5000, the notifications of a committed one are sent. */
int m2mi_batch_run(m2m_cse_worker *w, m2m_cse_pending *p, m2mi_ctx *c);
/* true: p waits for a DAS consultation (not to be delivered yet, access_das.c) */
bool m2mi_batch_finish(m2mi_ctx *c, m2m_cse_pending *p, int rsc, m2m_err commit);

/* The request moved into a new pending request on w's waiting list and given to submit(q, p);
 * NULL with rsp answered 5000 (full) when submit refuses it (writer.c). */
m2m_cse_pending *m2mi_handoff(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
			      int64_t now, bool (*submit)(void *q, m2m_cse_pending *p), void *q, const char *full);
/* The answer of p is final: to its worker's done list, waking its loop; freed when the worker is
 * gone (writer.c). Never under cse->pmu. */
void m2mi_pending_deliver(m2m_cse_pending *p);

/* ---- the store threads of a PostgreSQL store (store_pool.c) ------------------------------- */

typedef struct m2mi_pool m2mi_pool;
/* Start threads store threads (each with its own worker), at most queue requests waiting, a
 * request queued longer than max_wait_ms answered 5000 unrun. */
m2m_err m2mi_pool_start(m2m_cse *cse, int threads, int queue, int max_wait_ms);
/* Stop (the queued requests are still run), join, free; NULL no-op. */
void m2mi_pool_stop(m2mi_pool *pool);
/* Requests waiting for a store thread now (tests). */
size_t m2mi_pool_queued(m2mi_pool *pool);
/* The loop hands this request to the store threads (not forwarded, not a store thread itself). */
bool m2mi_pool_takes(const m2m_cse_worker *w, const m2m_request *req);
/* p, deferred on a store thread's worker, is replaced by q (its outer NOTIFY relayed to q,
 * cse.c): the store thread's request waits for q from now on. No-op for any other p. */
void m2mi_pool_relay(m2m_cse_pending *p, m2m_cse_pending *q);
/* Loop thread: as m2mi_writer_take, for the store threads. */
m2m_cse_pending *m2mi_pool_take(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				 int64_t now);
/* cse.c, on a store thread: p's request through the one request path on w (deferrable: the
 * returned pending request holds it until its answer comes to w's done list), or NULL with
 * p->rsp answered. */
m2m_cse_pending *m2mi_pool_handle(m2m_cse_worker *w, m2m_cse_pending *p);

/* ---- underlying-network authorization (netauth.c) ---- */

/* THE check of every delivery to a node (TS-0001 clause 6.2.2 CMDH): false when the MEF said
 * the underlying network does not authorize node_id (an Enrolee-ID: AE-ID or CSE-ID as the MEF
 * names it). A notification to it is not sent (counted, m2mi_cse_note_undelivered); a request
 * that would be forwarded to it is answered 5103 TARGET_NOT_REACHABLE (TS-0004 Table 6.6.3.6-1).
 * Thread-safe, never blocks on anything but a short mutex. */
bool m2mi_cse_node_reachable(m2m_cse *cse, const char *node_id);
/* Count one delivery skipped because its node is not authorized; returns the new count. */
uint64_t m2mi_cse_note_undelivered(m2m_cse *cse);
void m2mi_netauth_free(struct m2mi_netauth *na);
/* ---- forwarding to another CSE (forward.c, TS-0004 7.3.2.6 / 7.3.2.8) ---- */
typedef struct m2mi_fwd m2mi_fwd;
m2m_err m2mi_fwd_new(const m2m_cse_config *cfg, m2mi_fwd **out);
/* Answers the requests in flight as not reachable. NULL is a no-op. */
void m2mi_fwd_free(m2mi_fwd *f);
/* Where To points (TS-0004 7.3.2.8), no store needed: M2MI_FWD_HERE (CSE-relative, or this
 * CSE's CSE-ID), M2MI_FWD_CSE (another CSE of this SP: its SP-relative CSE-ID in cse_out) or
 * M2MI_FWD_SP (another SP). Unusable To: M2MI_FWD_HERE (target resolution refuses it). */
enum { M2MI_FWD_HERE = 0, M2MI_FWD_CSE = 1, M2MI_FWD_SP = 2 };
int m2mi_fwd_classify(const char *sp_id, const char *cse_id, const char *to, char *cse_out, size_t cap);
/* To names another CSE (writer.c keeps such requests on the loop). */
bool m2mi_fwd_elsewhere(const m2m_cse *cse, const char *to);
/* After the originator rules: 0 when this CSE hosts the target; else the refusal's RSC, or
 * M2MI_PENDING (c->pending) while the next hop answers. */
int m2mi_forward(m2mi_ctx *c);
/* The first https:// pointOfAccess of a resource's attributes into url (trailing '/' cut). */
bool m2mi_fwd_https_poa(json_t *attr, char *url, size_t cap);
/* Relay c->req unchanged to a hosted <AE> (AE-ID aei) at its https:// poa url (TS-0004 7.6.2:
 * the AE is the Target of an ESPrim / ESCertKE NOTIFY; docs/procedures/e2e.md), over the
 * forward-* association with the notification destination policy: M2MI_PENDING or the RSC. */
int m2mi_fwd_to_ae(m2mi_ctx *c, const char *url, const char *aei);
/* The next hop's answer (or its absence) into rsp, relayed unchanged. */
void m2mi_fwd_answer(m2m_cse_pending *p, m2m_response *rsp);

#endif
