/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of bindings/mqtt_defer.c: the MQTT binding's requests whose
 * answer the CSE gives later (a <subscription> waiting for its verification, TS-0004 clause
 * 7.5.1.2.3; a write queued for the store's writer; a forwarded request). Each keeps the response
 * topic of its request; the answer is published there when it is in (docs/mqtt-binding.md
 * "Answers given later"), so the MQTT thread serves every other client meanwhile. Bounded per
 * originator (the topic's originator level) and in all: the client refuses beyond (5000). No
 * broker, no threads: the client gives the publish function; everything runs on the MQTT thread.
 */
#ifndef M2M_BINDINGS_MQTT_DEFER_H
#define M2M_BINDINGS_MQTT_DEFER_H

#include <stdbool.h>
#include <stddef.h>

#include "m2msec/mqttclient.h"

#define M2MI_MQTT_DEFER_ORIG 4    /* answers held for one originator */
#define M2MI_MQTT_DEFER_TOTAL 256 /* answers held in all */

typedef struct m2mi_mqtt_defer m2mi_mqtt_defer;

/* Publish the answer of a held request on topic (the MQTT thread). */
typedef void (*m2mi_mqtt_defer_send_fn)(void *ctx, const char *topic, const m2m_request *req, m2m_response *rsp);

/* per_orig / total 0 = the defaults above. */
M2M_WUR m2m_err m2mi_mqtt_defer_new(size_t per_orig, size_t total, m2mi_mqtt_defer_send_fn send, void *ctx,
				    m2mi_mqtt_defer **out);
/* Free every held request. The CSE must have released its pending requests first. */
void m2mi_mqtt_defer_free(m2mi_mqtt_defer *d);
/* Room for one more held answer of orig (and in all)? */
bool m2mi_mqtt_defer_room(const m2mi_mqtt_defer *d, const char *orig);
/* Around the handler: the request m2m_mqtt_defer() takes (its response topic and originator);
 * end returns true when it was taken (nothing is published now). */
void m2mi_mqtt_defer_begin(m2mi_mqtt_defer *d, const char *topic, const char *orig);
bool m2mi_mqtt_defer_end(m2mi_mqtt_defer *d);
/* Inside the handler: take the current request over (NULL when none, no room, no memory). */
m2m_mqtt_deferred *m2mi_mqtt_defer_take(m2mi_mqtt_defer *d);
/* Held answers, all originators. */
size_t m2mi_mqtt_defer_count(const m2mi_mqtt_defer *d);

#endif
