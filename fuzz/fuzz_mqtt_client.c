/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the CSE's MQTT message path
 * (bindings/mqtt_client.c m2m_mqtt_client_process, TS-0010 clauses 6.4, 6.5, 7.2), without a
 * broker. Input framing: the topic name up to the first '\n' (as a C string: up to a NUL), then
 * the PUBLISH payload. Invariants (trap on violation): the handler runs only for a request to
 * this CSE (receiver level "cse-in") with an association of kind M2M_SA_BROKER that is bound to
 * the req topic's originator level (an AE, never a CSE; From is then judged against it by the
 * CSE's originator rules, as over HTTPS, not here), and never for a reg_req (no resolver chain is given,
 * so no Credential-ID resolves: 4106); every answer goes to the matching response topic and is JSON with an rsc.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/mqtt.h"
#include "m2msec/mqttclient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static m2m_mqtt_topic cur;

static void handler(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	char enc[M2M_MQTT_SEG_MAX + 1];

	(void)ctx;
	CHECK(sa->kind == M2M_SA_BROKER && strcmp(cur.recv, "cse-in") == 0);
	if (cur.kind == M2M_MQTT_REQ) {
		CHECK(sa->entity == M2M_ENTITY_AE);
		CHECK(m2m_mqtt_id_encode(sa->bound_id, enc) == M2M_OK && strcmp(enc, cur.orig) == 0);
		CHECK(sa->credential_id[0] == '\0');
	} else {
		/* reg_req: no resolver chain here (cfg.tls NULL), so no Credential-ID resolves and none
		 * may ever reach the CSE (fail closed, 4106) */
		CHECK(0);
	}
	rsp->rsc = 2000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static m2m_mqtt_client *c;
	static const m2m_mqtt_client_config cfg = {.broker = "mqtts://127.0.0.1:8883", .ca = "a", .cert = "c",
						   .key = "k", .cse_id = "/cse-in", .sp_id = "//sp.org"};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl ? nl + 1 : data + size;
	size_t plen = size - tlen - (nl ? 1 : 0);
	char topic[M2M_MQTT_TOPIC_MAX + 64], rtopic[M2M_MQTT_TOPIC_MAX + 1];
	char *out = NULL;
	size_t n = 0;
	m2m_mqtt_topic rt;
	json_t *back;

	if (c == NULL && m2m_mqtt_client_new(&cfg, handler, NULL, &c) != M2M_OK)
		return 0;
	if (tlen >= sizeof(topic))
		return 0;
	memcpy(topic, data, tlen);
	topic[tlen] = '\0';
	memset(&cur, 0, sizeof(cur));
	(void)m2m_mqtt_topic_parse(topic, strlen(topic), &cur);
	if (m2m_mqtt_client_process(c, topic, payload, plen, rtopic, sizeof(rtopic), &out, &n) != M2M_OK) {
		CHECK(out == NULL);
		return 0;
	}
	CHECK(m2m_mqtt_topic_parse(rtopic, strlen(rtopic), &rt) == M2M_OK);
	CHECK(rt.kind == (cur.kind == M2M_MQTT_REQ ? M2M_MQTT_RESP : M2M_MQTT_REG_RESP));
	CHECK(strcmp(rt.orig, cur.orig) == 0 && strcmp(rt.recv, "cse-in") == 0);
	back = json_loadb(out, n, 0, NULL);
	CHECK(back != NULL && json_integer_value(json_object_get(back, "rsc")) != 0);
	json_decref(back);
	free(out);
	return 0;
}
