/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the oneM2M procedure-service envelope shared by
 * the MEF (services/mef/, TS-0003 clause 8.3) and the MAF (services/maf/, clause 8.8): a
 * request primitive's answer skeleton (rsc always set, rqi/rvi echoed, TS-0004 clause 7.5.1.2),
 * the POST-to-collection = CREATE rule of the HTTP binding, the refusal without a security
 * association (4107), one store transaction per request committed only on success, the audit
 * record a handler fills, and the configuration / PSK-binding helpers both services use.
 * It depends on nothing above it: the services call in, never the reverse.
 */
#ifndef M2M_SERVICES_PROC_H
#define M2M_SERVICES_PROC_H

#include <jansson.h>

#include "core/mef_codec.h"
#include "m2msec/err.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

#define M2MI_PROC_ID_MAX 256

/* What a handler reports for the audit line (strings copied into the buffers), completed by
 * m2mi_proc_handle with what the envelope knows: the members of the services' audit events. */
typedef struct m2mi_proc_out {
	const char *proc;
	const char *outcome;
	char enrolee_id[M2MI_PROC_ID_MAX]; /* MEF: the enrolee concerned, "" none (MAF: always "") */
	char key_id[M2MI_MEF_KEYID_MAX];   /* a KeID / KeyID "<RelativeID>@<FQDN>" */
	int suid;
	int rsc;            /* set by m2mi_proc_handle: the RSC sent */
	const char *client; /* set by m2mi_proc_handle: the association's client, or NULL */
	const char *rqi;    /* set by m2mi_proc_handle: the request's, or NULL */
} m2mi_proc_out;

/* s, or NULL when it is "" (an audit member that is absent). */
const char *m2mi_proc_nz(const char *s);

/* Set rsp to error rsc with text msg and the audit outcome; returns M2M_E_INVAL (roll back). */
m2m_err m2mi_proc_fail(m2m_response *rsp, m2mi_proc_out *o, int rsc, const char *outcome, const char *msg);
/* Replace rsp's body with pc (owned) and set rsc; a NULL pc (encoding failed) is a 5000. */
void m2mi_proc_set_body(m2m_response *rsp, int rsc, json_t *pc);
/* Is seg the first path segment of to ("seg" or "seg/...")? */
bool m2mi_proc_starts(const char *to, const char *seg);

/* One service's routing of the envelope (w: the service's worker, a: its association). */
typedef struct m2mi_proc_ops {
	const char *name;                /* "MEF" / "MAF": in the refusal texts */
	const char *const *collections;  /* NULL-terminated: a POST without ty (NOTIFY) to one of
					    them is its CREATE (TS-0009 maps such a POST to NOTIFY) */
	/* optional: the audit procedure named by To before any check, NULL = "request" */
	const char *(*procedure)(const char *to);
	/* open the request's store transaction (op: the request's, a POST to a collection already
	 * its CREATE): a procedure that only reads may open a read transaction */
	m2m_err (*begin)(void *w, const char *to, m2m_op op);
	m2m_err (*dispatch)(void *w, const void *a, const char *to, m2m_request *req, m2m_response *rsp,
			    int64_t now, m2mi_proc_out *o);
	m2m_err (*end)(void *w, m2m_err r);           /* commit on M2M_OK, else roll back */
} m2mi_proc_ops;

/*
 * The envelope of one request: w, req or rsp NULL = false (rsp, if any, a 5000: nothing to
 * audit). Otherwise rsp is reset with rqi/rvi echoed, To loses one leading '/' ("/mefKeyReg"
 * as a client may write it), an unassociated caller gets 4107, and the dispatch runs inside
 * begin/end; a failed commit turns a success into a 5000 "store-error" (nothing was written, so
 * nothing may be claimed). o (initialised by the caller) holds what the audit reports, with
 * client (the association's, NULL none), rqi and the RSC sent. True.
 */
bool m2mi_proc_handle(const m2mi_proc_ops *ops, void *w, const void *a, bool associated, const char *client,
		      m2m_request *req, m2m_response *rsp, int64_t now, m2mi_proc_out *o);

/* The fallback audit line at INFO level ("<svc> audit procedure=... ", NULL strings as "-");
 * has_enrolee: the service reports an enrolee (enrolee=... in the line). Never a key. */
void m2mi_proc_audit_log(const char *svc, const char *procedure, const char *outcome, int rsc, const char *client,
			 bool has_enrolee, const char *enrolee, const char *key_id, int suid, const char *rqi);

/* strdup of s, or NULL for NULL; *ok = false when the copy failed. */
char *m2mi_proc_dup(const char *s, bool *ok);
/* A service's configured names: fqdn an FQDN; sp_id NULL or "//<FQDN>". */
bool m2mi_proc_fqdn_ok(const char *fqdn);
bool m2mi_proc_sp_id_ok(const char *sp_id);
/* A PSK handshake's binding {PSK, entity, bound_id, credential_id "<prefix><cred_id>", expiry}
 * (TS-0003 Table 12.3.2.1-1 Credential-ID types); M2M_E_RANGE when a field does not fit. */
m2m_err m2mi_proc_psk_binding(m2m_sa *b, m2m_entity_kind entity, int64_t expiry, const char *bound_id,
			      const char *cred_prefix, const char *cred_id);

#endif
