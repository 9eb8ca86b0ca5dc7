/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the oneM2M MQTT binding mapping
 * (bindings/mqtt_map.c, TS-0010 clauses 6.4, 6.5). Input framing: the topic name up to the first
 * '\n', then the PUBLISH payload (binary). The payload also goes through the topic-free JSON
 * primitive mapping the WebSocket binding uses (bindings/json_prim.c), filter criteria included.
 * Invariants (trap on violation): a parsed topic has two non-empty levels without '/', '+', '#';
 * a mapped request has an operation, target, rqi and rvi, a reg_req one is the CREATE of an AE or
 * remoteCSE, and the topic-free mapping agrees with the topic's on a req topic; filter-criteria
 * lists stay within M2M_FC_MAX; a refused one is cleared and carries an error RSC; every response
 * serialises to JSON that parses back with that rsc.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/json_prim.h"
#include "m2msec/mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_response(const m2m_request *req, const m2m_response *rsp)
{
	char *out;
	size_t n;
	json_t *back;

	if (m2m_mqtt_format_response(req, rsp, "/cse-in", &out, &n) != M2M_OK)
		return; /* out of memory */
	back = json_loadb(out, n, JSON_REJECT_DUPLICATES, NULL);
	CHECK(back != NULL && json_integer_value(json_object_get(back, "rsc")) == (rsp->rsc ? rsp->rsc : 5000));
	json_decref(back);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl ? nl + 1 : data + size;
	size_t plen = size - tlen - (nl ? 1 : 0);
	char rtopic[M2M_MQTT_TOPIC_MAX + 32];
	m2m_mqtt_topic t;
	m2m_request req;
	m2m_response rsp;
	m2m_err rc;

	if (m2m_mqtt_topic_parse((const char *)data, tlen, &t) != M2M_OK)
		return 0;
	CHECK(t.orig[0] != '\0' && t.recv[0] != '\0' && strpbrk(t.orig, "/+#") == NULL &&
	      strpbrk(t.recv, "/+#") == NULL);
	if (t.kind != M2M_MQTT_REQ && t.kind != M2M_MQTT_REG_REQ)
		return 0;
	CHECK(m2m_mqtt_response_topic(&t, rtopic, sizeof(rtopic)) == M2M_OK);
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	rc = m2m_mqtt_parse_request(&t, payload, plen, 4096, &req, &rsp);
	if (rc == M2M_OK) {
		CHECK(req.op >= M2M_OP_CREATE && req.op <= M2M_OP_NOTIFY);
		CHECK(req.to != NULL && req.rqi != NULL && req.rvi != NULL);
		CHECK(req.ty >= 0 && req.ty <= 65535);
		CHECK(req.pc == NULL || json_is_object(req.pc));
		CHECK(req.fc.nty <= M2M_FC_MAX && req.fc.nlbl <= M2M_FC_MAX && req.fc.ncty <= M2M_FC_MAX &&
		      req.fc.natr <= M2M_FC_MAX);
		if (t.kind == M2M_MQTT_REG_REQ)
			CHECK(t.credential_id[0] != '\0' && req.op == M2M_OP_CREATE &&
			      (req.ty == M2M_TY_AE || req.ty == M2M_TY_CSR));
		rsp.rsc = 2000;
		rsp.pc = json_incref(req.pc);
		check_response(&req, &rsp);
	} else {
		CHECK(rc == M2M_E_PROTO || rc == M2M_E_TOO_LARGE || rc == M2M_E_NOMEM);
		CHECK(req.to == NULL && req.fr == NULL && req.pc == NULL && req.rqi == NULL);
		CHECK(rsp.rsc >= 4000);
		check_response(NULL, &rsp);
	}
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	if (t.kind == M2M_MQTT_REQ && t.fmt != M2M_MQTT_FMT_XML && t.fmt != M2M_MQTT_FMT_CBOR) {
		/* the WebSocket path: no topic, the same answer as the req topic's */
		m2m_err rc2;

		m2m_request_init(&req);
		m2m_response_init(&rsp);
		rc2 = m2mi_json_parse_request(payload, plen, 4096, &req, &rsp);
		CHECK((rc2 == M2M_OK) == (rc == M2M_OK) || rc == M2M_E_NOMEM || rc2 == M2M_E_NOMEM);
		if (rc2 != M2M_OK)
			CHECK(req.to == NULL && req.pc == NULL && rsp.rsc >= 4000);
		m2m_request_clear(&req);
		m2m_response_clear(&rsp);
	}
	return 0;
}
