/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public API of the CSE's MQTT binding transport (TS-0010 V3.1.0,
 * docs/mqtt-binding.md "The CSE's broker connection"): the CSE connects to its broker as a client
 * (libmosquitto, TLS, client id = its SP-relative CSE-ID without the leading '/', clause 6.3),
 * subscribes to its request and registration topics, maps each PUBLISH with the pure mapping of
 * m2msec/mqtt.h, hands the request to a handler together with the security association the
 * topic stands for, and publishes the answer on the response topic. The network runs on a
 * thread of its own (never on an HTTP event loop), which reconnects with a backoff (1..30 s).
 */
#ifndef M2MSEC_MQTTCLIENT_H
#define M2MSEC_MQTTCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

typedef struct m2m_mqtt_client m2m_mqtt_client;
typedef struct m2m_tls m2m_tls; /* m2msec/tls.h */

/* Called on the MQTT thread once per mapped request; must fill rsp (rsc 0 is answered as 5000). */
typedef void (*m2m_mqtt_handler_fn)(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp);

typedef struct m2m_mqtt_client_config {
	const char *broker;  /* "mqtts://HOST:PORT" */
	const char *ca;      /* CA file that authenticates the broker (host name checked) */
	const char *cert;    /* the CSE's client certificate (its CN is its broker identity) */
	const char *key;     /* its private key */
	const char *cse_id;  /* SP-relative CSE-ID, "/id-in": client id and receiver topic level */
	const char *sp_id;   /* "//sp.example.com": classifies From (AE-ID or CSE-ID) */
	size_t max_payload;  /* 0 = M2M_MQTT_DEFAULT_MAX_PAYLOAD */
	/* Instead of ca/cert/key: TLS-PSK towards the broker (TS-0010 clause 7.3, "any SAEF"). The
	 * identity is the one the broker's psk_file knows; psk_file holds the key in hex and must be a
	 * 0600 file of the effective user. Read by m2m_mqtt_client_new into an m2m_key. */
	const char *psk_identity;
	const char *psk_file;
	/* The resolver chain of the HTTPS listener (psk-file, credential store, MEF KeIDs, MAF KcIDs),
	 * borrowed: resolves the Credential-ID of a reg_req topic to its bound identity. NULL = every
	 * reg_req is refused (4106). */
	m2m_tls *tls;
} m2m_mqtt_client_config;

/* Check cfg and create the client; nothing is connected yet and only the PSK file is read.
 * M2M_E_CONFIG (broker not mqtts://HOST:PORT, a missing file name, both or neither of a
 * certificate and a PSK, a CSE-ID without topic form, a PSK file that is no 16..64-byte hex key),
 * M2M_E_KEY_PERMS (PSK file not 0600 of the effective user), M2M_E_NOT_FOUND, M2M_E_NOMEM. */
M2M_API M2M_WUR m2m_err m2m_mqtt_client_new(const m2m_mqtt_client_config *cfg, m2m_mqtt_handler_fn fn, void *ctx,
					    m2m_mqtt_client **out);

/*
 * One received PUBLISH (what the MQTT thread does with each message; exposed for tests). Returns
 * M2M_E_PROTO when the message is dropped without an answer (no oneM2M request topic, or a
 * receiver level that is not this CSE); otherwise M2M_OK with the answer's topic in rsp_topic
 * (cap bytes, at least M2M_MQTT_TOPIC_MAX + 1) and its payload in *out (malloc'd, *out_len bytes).
 * The handler runs only when the payload mapped and the topic vouches for the originator
 * (docs/mqtt-binding.md "Trust model"). M2M_E_NOMEM, M2M_E_INVAL.
 */
M2M_API M2M_WUR m2m_err m2m_mqtt_client_process(m2m_mqtt_client *c, const char *topic, const uint8_t *payload,
						size_t len, char *rsp_topic, size_t cap, char **out, size_t *out_len);

/*
 * Answers given later (docs/mqtt-binding.md "Answers given later"). Inside the handler,
 * m2m_mqtt_defer() takes the current request's answer over: rsp is then ignored, nothing is
 * published now (m2m_mqtt_client_process returns M2M_OK with *out NULL), and
 * m2m_mqtt_deferred_reply() publishes the answer on the request's response topic later, on the
 * MQTT thread (req NULL releases it: nothing is published). NULL from m2m_mqtt_defer (no memory):
 * answer through rsp as usual. The client bounds the answers it holds per originator and in all
 * and refuses a request beyond with 5000 before the handler sees it. m2m_mqtt_client_post() runs
 * fn(arg) on the MQTT thread, from any thread (the CSE worker's wake); M2M_E_INVAL, M2M_E_NOMEM.
 * Stop the client, free the handler's CSE worker, then free the client.
 */
typedef struct m2m_mqtt_deferred m2m_mqtt_deferred;
M2M_API m2m_mqtt_deferred *m2m_mqtt_defer(m2m_mqtt_client *c);
M2M_API void m2m_mqtt_deferred_reply(m2m_mqtt_deferred *d, const m2m_request *req, m2m_response *rsp);
M2M_API M2M_WUR m2m_err m2m_mqtt_client_post(m2m_mqtt_client *c, void (*fn)(void *), void *arg);

/* Load the TLS files, start the MQTT thread and connect (asynchronously: an unreachable broker
 * is retried with a backoff of 1..30 s, doubled per failure, reset on a connection).
 * M2M_E_CONFIG for unreadable files, M2M_E_NOMEM, M2M_E_INTERNAL. */
M2M_API M2M_WUR m2m_err m2m_mqtt_client_start(m2m_mqtt_client *c);
/* Disconnect and join the MQTT thread (any thread but the MQTT one; idempotent). Returns within
 * about half a second, whether or not the broker is reachable. */
M2M_API void m2m_mqtt_client_stop(m2m_mqtt_client *c);
/* Stop, then free. NULL is a no-op. */
M2M_API void m2m_mqtt_client_free(m2m_mqtt_client *c);

#endif
