/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the query-parameter mapping shared by the HTTP binding
 * (TS-0009 clause 6.2.2.2, Table 6.2.2.2-1) and the CoAP binding (TS-0008 clause 6.2.2.3, whose
 * Uri-Query options carry the same short names of TS-0004 clause 8.2.2). Implemented in
 * bindings/http_parse.c.
 */
#ifndef M2M_BINDINGS_QUERY_MAP_H
#define M2M_BINDINGS_QUERY_MAP_H

#include <stddef.h>

#include "m2msec/err.h"
#include "m2msec/primitive.h"

/*
 * Map a percent-encoded query component q[0..qn) ("name=value&...", no '?') onto req: rcn, drt,
 * tqi, rids, tids and the filter criteria. M2M_OK, or M2M_E_PROTO with rsc 4000 and the reason
 * in rsp (unsupported or repeated parameter, bad value), or M2M_E_NOMEM with 5000.
 */
M2M_WUR m2m_err m2mi_query_map(const char *q, size_t qn, m2m_request *req, m2m_response *rsp);

#endif
