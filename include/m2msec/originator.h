/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the receiver-side originator rules that bind a request's From to the
 * security association it arrived on (TS-0004 clause 7.3.2.1, TS-0003 clauses 7.1.2 and 7.2.1)
 * and the normalisation of an originator into the CSE-relative / SP-relative / absolute forms the
 * access-control rules are written in (TS-0001 Table 7.2-1). Pure: no store, no I/O; the check
 * "From names no registered AE" needs the resource store and is done by the CSE dispatcher.
 */
#ifndef M2MSEC_ORIGINATOR_H
#define M2MSEC_ORIGINATOR_H

#include "m2msec/primitive.h"
#include "m2msec/sa.h"

typedef struct m2m_origin_ctx {
	const char *cse_id; /* hosting CSE, SP-relative: "/id-in" */
	const char *sp_id;  /* its SP: "//m2msec.example.com" */
} m2m_origin_ctx;

#define M2M_ORIG_MAX 512

/* The three forms of one originator; a form that does not exist is "". */
typedef struct m2m_origin_forms {
	char absolute[M2M_ORIG_MAX];    /* "//sp/id-in/Cabc", "//sp/Sxyz", "//sp/id-mn" */
	char sp_relative[M2M_ORIG_MAX]; /* "/id-in/Cabc", "/Sxyz", "/id-mn" (only when in our SP) */
	char cse_relative[M2M_ORIG_MAX];/* "Cabc" for AEs registered here, "Sxyz" for S-AEs */
	bool is_cse;                    /* the originator is a CSE-ID */
	bool via_registree;             /* m2m_originator_check: a C-type AE-ID of the CSE the
					 * association is bound to; the caller must confirm that this
					 * CSE is registered here (<remoteCSE>), else 4106 */
} m2m_origin_forms;

/* Normalise From into its forms. M2M_E_ID_* for a From that is no valid AE-ID/CSE-ID. The
 * admin originator ("CAdmin") is an AE-ID-Stem like any other. */
M2M_API M2M_WUR m2m_err m2m_originator_forms(const m2m_origin_ctx *ctx, const char *from,
					      m2m_origin_forms *out);

/*
 * Apply TS-0004 clause 7.3.2.1 to req arriving over sa. Returns 0 when the request may go on, or
 * the Response Status Code to answer: 4000 BAD_REQUEST (From missing outside AE registration,
 * malformed From, a Registree AE whose From is not its AE-ID-Stem), 4106
 * ORIGINATOR_NOT_AUTHENTICATED (From differs from the identity bound to the association; the
 * association is bound to this CSE's own CSE-ID; a CSE peer's From is an AE-ID), 4107
 * SECURITY_ASSOCIATION_REQUIRED (a CSE-ID originator outside any association).
 * *rq_authn is set per TS-0003 clause 7.1.2: true only when the request came over an association
 * and From matched its bound identity. from_out (may be NULL) receives the forms of From, which
 * the check computes anyway (callers need them for access control, so they are not computed
 * twice); its absolute form is "" when From is absent or malformed. msg (may be NULL) receives a
 * short reason for the response's debug content (no secrets).
 */
M2M_API M2M_WUR int m2m_originator_check(const m2m_origin_ctx *ctx, const m2m_sa *sa,
					  const m2m_request *req, bool *rq_authn, m2m_origin_forms *from_out,
					  char *msg, size_t msgcap);

#endif
