/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the held answers of the MQTT binding (bindings/mqtt_defer.h): a small list
 * (at most M2MI_MQTT_DEFER_TOTAL entries) of response topics waiting for the CSE's answer, counted
 * per originator so one client cannot take every slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings/mqtt_defer.h"
#include "m2msec/mqtt.h"

struct m2m_mqtt_deferred {
	m2mi_mqtt_defer *d;
	struct m2m_mqtt_deferred *next;
	char topic[M2M_MQTT_TOPIC_MAX + 1];
	char orig[M2M_MQTT_SEG_MAX + 1];
};

struct m2mi_mqtt_defer {
	size_t per_orig, total, n;
	struct m2m_mqtt_deferred *head;
	m2mi_mqtt_defer_send_fn send;
	void *ctx;
	const char *cur_topic, *cur_orig; /* the request in the handler */
	bool taken;
};

m2m_err m2mi_mqtt_defer_new(size_t per_orig, size_t total, m2mi_mqtt_defer_send_fn send, void *ctx,
			    m2mi_mqtt_defer **out)
{
	m2mi_mqtt_defer *d;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (send == NULL)
		return M2M_E_INVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return M2M_E_NOMEM;
	d->per_orig = per_orig != 0 ? per_orig : M2MI_MQTT_DEFER_ORIG;
	d->total = total != 0 ? total : M2MI_MQTT_DEFER_TOTAL;
	d->send = send;
	d->ctx = ctx;
	*out = d;
	return M2M_OK;
}

static void entry_free(m2mi_mqtt_defer *d, struct m2m_mqtt_deferred *e)
{
	for (struct m2m_mqtt_deferred **pp = &d->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			d->n--;
			break;
		}
	free(e);
}

void m2mi_mqtt_defer_free(m2mi_mqtt_defer *d)
{
	if (d == NULL)
		return;
	while (d->head != NULL)
		entry_free(d, d->head);
	free(d);
}

bool m2mi_mqtt_defer_room(const m2mi_mqtt_defer *d, const char *orig)
{
	size_t mine = 0;

	if (d->n >= d->total)
		return false;
	for (const struct m2m_mqtt_deferred *e = d->head; e != NULL; e = e->next)
		if (strcmp(e->orig, orig) == 0) /* public: IDs */
			mine++;
	return mine < d->per_orig;
}

void m2mi_mqtt_defer_begin(m2mi_mqtt_defer *d, const char *topic, const char *orig)
{
	d->cur_topic = topic;
	d->cur_orig = orig;
	d->taken = false;
}

bool m2mi_mqtt_defer_end(m2mi_mqtt_defer *d)
{
	bool taken = d->taken;

	d->cur_topic = d->cur_orig = NULL;
	d->taken = false;
	return taken;
}

m2m_mqtt_deferred *m2mi_mqtt_defer_take(m2mi_mqtt_defer *d)
{
	struct m2m_mqtt_deferred *e;

	if (d == NULL || d->cur_topic == NULL || d->cur_orig == NULL || d->taken ||
	    !m2mi_mqtt_defer_room(d, d->cur_orig) || strlen(d->cur_topic) >= sizeof(e->topic) ||
	    strlen(d->cur_orig) >= sizeof(e->orig) || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->d = d;
	snprintf(e->topic, sizeof(e->topic), "%s", d->cur_topic);
	snprintf(e->orig, sizeof(e->orig), "%s", d->cur_orig);
	e->next = d->head;
	d->head = e;
	d->n++;
	d->taken = true;
	return e;
}

void m2m_mqtt_deferred_reply(m2m_mqtt_deferred *e, const m2m_request *req, m2m_response *rsp)
{
	if (e == NULL)
		return;
	if (req != NULL && rsp != NULL) /* NULL: released (the CSE's shutdown), nothing is published */
		e->d->send(e->d->ctx, e->topic, req, rsp);
	entry_free(e->d, e);
}

size_t m2mi_mqtt_defer_count(const m2mi_mqtt_defer *d)
{
	return d != NULL ? d->n : 0;
}
