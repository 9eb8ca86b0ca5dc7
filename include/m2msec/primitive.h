/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the binding-independent oneM2M request and response primitives
 * (TS-0004 clause 7.2.1, Tables 7.2.1.1-1 and 7.2.1.2-1, short names of clause 8.2). Bindings
 * (HTTP TS-0009, CoAP TS-0008, MQTT TS-0010) fill an m2m_request from the wire and serialise an
 * m2m_response back; the CSE core only ever sees these structs.
 * Both are documented value types (style.md #4): plain structs whose heap members are owned
 * and released by m2m_request_clear()/m2m_response_clear().
 */
#ifndef M2MSEC_PRIMITIVE_H
#define M2MSEC_PRIMITIVE_H

#include <stdarg.h>

#include <jansson.h>
#include "m2msec/err.h"

typedef enum m2m_op {
	M2M_OP_NONE = 0,
	M2M_OP_CREATE = 1,
	M2M_OP_RETRIEVE = 2,
	M2M_OP_UPDATE = 3,
	M2M_OP_DELETE = 4,
	M2M_OP_NOTIFY = 5,
} m2m_op;

/* Resource types (TS-0004 Table 6.3.4.2.1-1) used by the CSE. */
enum m2m_ty {
	M2M_TY_ACP = 1, M2M_TY_AE = 2, M2M_TY_CNT = 3, M2M_TY_CIN = 4, M2M_TY_CSEBASE = 5,
	M2M_TY_GRP = 9, M2M_TY_CSR = 16, M2M_TY_SUB = 23,
};

#define M2M_FC_MAX 16

/* Filter criteria (TS-0004 clause 7.3.3.17, Table 6.3.5.8-1; the subset the CSE supports; short
 * names of TS-0009 Table 6.2.2.2-1). Absent = 0/NULL/-1. Values of one condition tag are ORed;
 * different tags are combined by fo (AND by default); docs/resources.md lists them. */
typedef struct m2m_filter {
	int fu;                  /* filterUsage: 0 absent, 1 discovery, 2 conditional retrieval */
	int ty[M2M_FC_MAX];      /* resourceType list */
	size_t nty;
	char *lbl[M2M_FC_MAX];   /* labels (any of them present on the resource) */
	size_t nlbl;
	char *rn;                /* resourceName */
	char *cra, *crb;         /* createdAfter / createdBefore, "YYYYMMDDTHHMMSS" */
	int lim;                 /* limit, -1 absent */
	int lvl;                 /* level, -1 absent */
	int ofst;                /* offset, -1 absent */
	int fo;                  /* filterOperation: 0 absent (= 1), 1 AND, 2 OR */
	char *ms, *us;           /* modifiedSince / unmodifiedSince on lastModifiedTime */
	char *exa, *exb;         /* expireAfter / expireBefore on expirationTime */
	long sza, szb;           /* sizeAbove / sizeBelow on contentSize, -1 absent */
	char *cty[M2M_FC_MAX];   /* contentType: typeOfContent of contentInfo (any of) */
	size_t ncty;
	char *atr_n[M2M_FC_MAX]; /* attribute conditions name=value (any of; value may hold '*') */
	char *atr_v[M2M_FC_MAX];
	size_t natr;
	char *arp;               /* applyRelativePath */
} m2m_filter;

typedef struct m2m_request {
	m2m_op op;
	char *to;        /* target resource (structured/unstructured, CSE-relative or SP-relative) */
	char *fr;        /* From; NULL when absent */
	char *rqi;       /* Request Identifier */
	char *rvi;       /* Release Version Indicator */
	char *vsi;       /* Vendor Information */
	int ty;          /* resource type of a CREATE, 0 absent */
	int rcn;         /* result content, -1 absent */
	json_t *pc;      /* content (owned reference), NULL when absent */
	m2m_filter fc;
	char **rids;     /* role IDs (rids) */
	size_t nrids;
	char **tids;     /* token IDs (tids) */
	size_t ntids;
	char *tkns;      /* tokens, the raw '+'-joined Authorization value (TS-0009 6.4.19) */
	bool tqi;        /* token request indicator */
	/* Transport facts from the binding: source address for acip (TS-0003 7.1.2). */
	int ip_family;   /* 0 unknown, 4, 6 */
	uint8_t ip[16];
	int drt;         /* Desired Identifier Result Type (TS-0004 Table 6.3.4.2.8-1): 1 structured,
			  * 2 unstructured, 0 absent (= structured, TS-0004 Table 6.4.1-1) */
	/* Dynamic authorization parameters (TS-0004 Table 6.4.1-1, TS-0003 clause 7.3.2.3, 7.3.2.7;
	 * docs/procedures/das.md "The CSE side"). */
	char **ltids;    /* Local-Token-IDs (ltids) the CSE assigned earlier (returned in ati) */
	size_t nltids;
	int asi;         /* authorSignIndicator: 0 absent, 1 false, 2 true (relationship mapping) */
	int auri;        /* authorRelIndicator: 0 absent, 1 false, 2 true (parsed; informative) */
	char *aus;       /* authorSigns, raw '+'-joined base64url list (docs/procedures/das.md
			  * "Relationship mapping": certificate and ES256 signature per entry) */
} m2m_request;

typedef struct m2m_response {
	int rsc;         /* Response Status Code (m2msec/rsc.h) */
	char *rqi;
	char *rvi;
	json_t *pc;      /* content (owned reference), NULL when none */
	char *location;  /* Content-Location of a CREATE: the new resource's ID (unstructured, ri) */
	int http_status; /* 0 = map from rsc; bindings set 413/431 for oversize input */
	int cnst;        /* Content Status (TS-0004 Table 6.3.4.2.44-1): 0 absent, 1 partial */
	long cnot;       /* Content Offset: the offset to continue a partial answer, 0 absent */
	char *location_s; /* the same resource's structured ID (CSE-relative path); bindings choose
			   * location_s or location per the request's drt (TS-0009 6.4.4) */
	int retry_after;  /* seconds for an HTTP Retry-After header (rate limits), 0 = none */
	char *ati;        /* Assigned Token Identifiers (TS-0004 Table 6.3.5.43-1) in the binding form
			   * of TS-0009 clause 6.4.18: "lti1:tkid1+lti2:tkid2"; NULL = none */
	bool asri;        /* authorSignReqInfo (TS-0004 Table 7.2.1.2-1, TS-0003 clause 7.3.2.7):
			   * the Originator is to send an AuthorSign (aus) with its token */
} m2m_response;

M2M_API void m2m_request_init(m2m_request *req);
M2M_API void m2m_request_clear(m2m_request *req);
M2M_API void m2m_response_init(m2m_response *rsp);
M2M_API void m2m_response_clear(m2m_response *rsp);
/* Set rsp to an error: rsc, and content {"m2m:dbg": "<message>"}. The message must never carry
 * a secret (callers pass fixed text and identifiers only). Replaces any previous content. */
M2M_API void m2m_response_error(m2m_response *rsp, int rsc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with a va_list: for a binding's own refusal helper (it adds its status, then calls this). */
M2M_API void m2m_response_verror(m2m_response *rsp, int rsc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Operation name ("CREATE", ...) for logs; "NONE" for anything else. */
M2M_API const char *m2m_op_name(m2m_op op);
/* The accessControlOperations bit of an operation (TS-0004 Table 6.3.4.2.29-1); a RETRIEVE with
 * fu=1 is DISCOVERY (32). 0 for M2M_OP_NONE. */
M2M_API unsigned m2m_op_acop_bit(const m2m_request *req);

#endif
