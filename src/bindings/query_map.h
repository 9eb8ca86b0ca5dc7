/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the query-parameter mapping shared by the HTTP binding
 * (TS-0009 clause 6.2.2.2, Table 6.2.2.2-1) and the CoAP binding (TS-0008 clause 6.2.2.3, whose
 * Uri-Query options carry the same short names of TS-0004 clause 8.2.2), and the JSON primitive
 * mapping of MQTT and WebSocket for its "fc" object (bindings/json_prim.c). Implemented in
 * bindings/http_parse.c.
 */
#ifndef M2M_BINDINGS_QUERY_MAP_H
#define M2M_BINDINGS_QUERY_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "m2msec/err.h"
#include "m2msec/primitive.h"

/*
 * Map a percent-encoded query component q[0..qn) ("name=value&...", no '?') onto req: rcn, drt,
 * tqi, rids, tids and the filter criteria. M2M_OK, or M2M_E_PROTO with rsc 4000 and the reason
 * in rsp (unsupported or repeated parameter, bad value), or M2M_E_NOMEM with 5000.
 */
M2M_WUR m2m_err m2mi_query_map(const char *q, size_t qn, m2m_request *req, m2m_response *rsp);

/*
 * Whether name[0..n) is a resource attribute short name usable as an "attribute" filter condition
 * (TS-0004 clause 7.3.3.17.9; the list is in bindings/http_parse.c). None of them is a query
 * parameter name, so a binding that writes "name=value" for it cannot set another parameter.
 */
bool m2mi_query_attr_name(const char *name, size_t n);

#endif
