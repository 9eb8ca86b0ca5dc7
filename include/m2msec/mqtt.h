/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public API of the pure oneM2M MQTT binding mapping (TS-0010 V3.1.0,
 * bindings/mqtt_map.c; docs/mqtt-binding.md): topic names of clauses 6.4.2-6.4.4 and 6.5.4, and the
 * request/response primitives carried as JSON in the PUBLISH payload (clause 6.5, TS-0004 clause 8).
 * No I/O and no MQTT library types, so it is unit-tested and fuzzed on its own; the broker
 * connection of the CSE uses it.
 */
#ifndef M2MSEC_MQTT_H
#define M2MSEC_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"
#include "m2msec/primitive.h"

#define M2M_MQTT_SEG_MAX 255                   /* one originator / receiver topic level, bytes */
#define M2M_MQTT_TOPIC_MAX 600                 /* a whole topic name, bytes */
#define M2M_MQTT_DEFAULT_MAX_PAYLOAD 1048576u  /* one PUBLISH payload, bytes */

typedef enum m2m_mqtt_kind {
	M2M_MQTT_REQ = 1,      /* /oneM2M/req/<originator>/<receiver>[/<type>]      (clause 6.4.2) */
	M2M_MQTT_RESP = 2,     /* /oneM2M/resp/<originator>/<receiver>[/<type>]     (clause 6.4.3) */
	M2M_MQTT_REG_REQ = 3,  /* /oneM2M/reg_req/<Credential-ID>/<receiver>[/<type>]  (clause 6.4.4) */
	M2M_MQTT_REG_RESP = 4, /* /oneM2M/reg_resp/<Credential-ID>/<receiver>[/<type>] (clause 6.4.4) */
} m2m_mqtt_kind;

/* Payload serialization named by the topic's last level (clause 6.5.4). */
typedef enum m2m_mqtt_fmt {
	M2M_MQTT_FMT_NONE = 0, /* no <type> level: JSON is assumed */
	M2M_MQTT_FMT_JSON = 1,
	M2M_MQTT_FMT_XML = 2,
	M2M_MQTT_FMT_CBOR = 3,
} m2m_mqtt_fmt;

/* A parsed topic name (documented value type). orig/recv are the topic levels as received (IDs
 * in topic form: leading '/' omitted, other '/' as ':'). For REG_REQ/REG_RESP credential_id is the
 * Credential-ID the broker put in the topic, with ':' turned back into '/' (clause 6.4.4): the only
 * Credential-ID a receiver may use (clause 7.2); empty otherwise. */
typedef struct m2m_mqtt_topic {
	m2m_mqtt_kind kind;
	m2m_mqtt_fmt fmt;
	char orig[M2M_MQTT_SEG_MAX + 1];
	char recv[M2M_MQTT_SEG_MAX + 1];
	char credential_id[M2M_MQTT_SEG_MAX + 1];
} m2m_mqtt_topic;

/*
 * Parse a PUBLISH topic name. Accepted: "/oneM2M/" then a kind level, two non-empty ID levels and
 * an optional type level "json", "xml" or "cbor"; no further level, no wildcard ('+', '#'), no
 * control character or NUL, each ID level at most M2M_MQTT_SEG_MAX bytes and the whole at most
 * M2M_MQTT_TOPIC_MAX. Returns M2M_OK, M2M_E_PROTO (not a oneM2M topic: no response can be
 * addressed, the message is dropped) or M2M_E_INVAL (NULL argument).
 */
M2M_API M2M_WUR m2m_err m2m_mqtt_topic_parse(const char *topic, size_t len, m2m_mqtt_topic *out);

/*
 * An entity ID in topic form (clause 6.4.2): an absolute ID "//SP/x" becomes ":SP:x", otherwise
 * leading '/'s are omitted; every other '/' becomes ':'. IDs that would be ambiguous or break the
 * topic (empty, holding ':', '+', '#', a control character, or longer than M2M_MQTT_SEG_MAX in
 * topic form) give M2M_E_ID_BAD_CHAR / M2M_E_ID_EMPTY / M2M_E_ID_TOO_LONG. A Credential-ID
 * (clause 6.4.4) uses the same rule. out has room for M2M_MQTT_SEG_MAX + 1 bytes.
 */
M2M_API M2M_WUR m2m_err m2m_mqtt_id_encode(const char *id, char out[M2M_MQTT_SEG_MAX + 1]);

/*
 * Format a topic name "/oneM2M/<kind>/<orig>/<recv>/json" from levels already in topic form (as
 * m2m_mqtt_id_encode gives them; they are checked again). cap is the size of buf.
 * M2M_E_ID_BAD_CHAR for a level that is empty or holds '/', '+', '#' or a control character,
 * M2M_E_TOO_LARGE when buf is too small.
 */
M2M_API M2M_WUR m2m_err m2m_mqtt_topic_format(m2m_mqtt_kind kind, const char *orig, const char *recv,
					      char *buf, size_t cap);

/* The response topic for a request topic (REQ -> RESP, REG_REQ -> REG_RESP, same levels,
 * "/json"). M2M_E_INVAL for a topic that is not a request. */
M2M_API M2M_WUR m2m_err m2m_mqtt_response_topic(const m2m_mqtt_topic *req_topic, char *buf, size_t cap);

/*
 * Map one request PUBLISH (topic already parsed, kind REQ or REG_REQ) to a request primitive
 * (TS-0010 clause 6.5.1: the JSON short names of TS-0004 clause 8.2, mapped by the topic-free JSON
 * primitive mapping the WebSocket binding shares). req and rsp must have been initialised.
 * max_payload 0 selects M2M_MQTT_DEFAULT_MAX_PAYLOAD. Rules (docs/mqtt-binding.md):
 *   - a REQ topic: "fr" is not judged here; the CSE judges it against the association the topic's
 *     originator level stands for (clause 7.2; the broker vouches for the topic, not the payload);
 *   - a REG_REQ topic: only a CREATE of an AE (2) or remoteCSE (16) (clause 6.4.4); "fr" is kept as
 *     the entity's AE-ID request, the Credential-ID is topic->credential_id, never the payload's;
 *   - op 1..5, "to", "rqi" (<= 1024 bytes), "rvi" (2a, 3, 4, 5; absent = Release 1: 4001), "ty"
 *     1..65535 on any op (the CSE refuses it outside CREATE), "pc" a JSON object (required on
 *     CREATE/UPDATE), optional "rcn", "drt", "vsi", "rids", "tids", "tkns", "fc" (filter criteria,
 *     the conditions and limits of the HTTP query component); ignored: "ot", "rqet", "rset",
 *     "oet", "rt", "rp", "gid", "ec", "da", "nid"; any other member or a wrong type: 4000.
 * Returns:
 *   M2M_OK          req is complete; rsp untouched.
 *   M2M_E_PROTO     rsp holds the error (4000, 4001, 4015 for xml/cbor; rqi echoed
 *                   when it was valid), req is cleared.
 *   M2M_E_TOO_LARGE payload over max_payload: 4000 in rsp.
 *   M2M_E_NOMEM     5000 in rsp.  M2M_E_INVAL  a NULL argument or a topic that is no request.
 */
M2M_API M2M_WUR m2m_err m2m_mqtt_parse_request(const m2m_mqtt_topic *topic, const uint8_t *payload, size_t len,
					       size_t max_payload, m2m_request *req, m2m_response *rsp);

/*
 * Serialise a response primitive (TS-0010 clause 6.5.2) as compact JSON into *out (malloc'd,
 * NUL-terminated, *out_len without the NUL): "rsc" (0 counts as 5000), "rqi" (rsp->rqi, else
 * req->rqi), "rvi" (rsp->rvi, else req->rvi, else "3"; none when it is "1"), "pc", "cnst"/"cnot" of
 * a partial answer, "to" = the request's From (req->fr) and "fr" = responder (both optional).
 * req may be NULL (the request did not parse). M2M_E_NOMEM or M2M_E_INVAL.
 */
M2M_API M2M_WUR m2m_err m2m_mqtt_format_response(const m2m_request *req, const m2m_response *rsp,
						 const char *responder, char **out, size_t *out_len);

#endif
