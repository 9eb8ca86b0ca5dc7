/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the JSON request primitive mapping (TS-0004 clause 8.2
 * short names, serialised as in TS-0004 clause 8.4): the serialization the MQTT binding carries
 * in its PUBLISH payloads (TS-0010 clause 6.5.1) and the WebSocket binding in its text messages
 * (TS-0020 clause 5.2). No topic and no transport: the MQTT mapping adds its topic rules
 * (bindings/mqtt_map.c), the WebSocket binding uses it as it is (bindings/ws_server.c).
 */
#ifndef M2M_BINDINGS_JSON_PRIM_H
#define M2M_BINDINGS_JSON_PRIM_H

#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"
#include "m2msec/primitive.h"

/*
 * Map one serialized request primitive payload[0..len) onto req (req and rsp initialised);
 * max_payload 0 means M2M_MQTT_DEFAULT_MAX_PAYLOAD. Rules (docs/mqtt-binding.md "Request payload"):
 * "op" 1..5, "to", "rqi" (<= 1024 bytes), "rvi" (2a, 3, 4, 5; absent = Release 1: 4001), "fr",
 * "ty" 1..65535 (mapped; its presence outside CREATE is the CSE's to refuse, TS-0004 Table
 * 7.2.1.1-1), "pc" a JSON object (required on CREATE / UPDATE), optional "rcn", "drt", "vsi",
 * "rids", "tids", "tkns" and "fc" (filter criteria, TS-0004 Table 6.3.5.8-1, mapped by the query
 * mapping the HTTP and CoAP bindings share, bindings/query_map.h); a few parameters that do not
 * change what the CSE does are ignored; anything else, a wrong type or malformed JSON is 4000.
 * Returns M2M_OK (rsp untouched), M2M_E_PROTO (rsp holds 4000 / 4001, a valid rqi echoed, req
 * cleared), M2M_E_TOO_LARGE (4000), M2M_E_NOMEM (5000) or M2M_E_INVAL (a NULL argument).
 */
M2M_WUR m2m_err m2mi_json_parse_request(const uint8_t *payload, size_t len, size_t max_payload, m2m_request *req,
					m2m_response *rsp);

/* Echo a valid rqi of payload into rsp->rqi when rsp has none (best effort; a refusal decided
 * after the mapping still names the request it answers). */
void m2mi_json_echo_rqi(const uint8_t *payload, size_t len, m2m_response *rsp);

#endif
