/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the asynchronous subscription verification of TS-0004 clause 7.5.1.2.3
 * (and 7.4.8.2.1 Recv-6.4: every Subscription Verification request must be sent and answered
 * "OK", else SUBSCRIPTION_VERIFICATION_INITIATION_FAILED): the dry run of a <subscription>
 * CREATE / nu UPDATE yields the target URLs (notify.c); here one request per URL is handed to
 * the notifier thread, and the request waits as an m2m_cse_pending without blocking its loop.
 * The notifier thread reports each result; the last one moves the pending request to its
 * worker's done list and wakes that worker (m2m_cse_worker_set_wake), whose loop then runs the
 * real CREATE/UPDATE (cse.c m2m_cse_worker_complete). A worker freed meanwhile orphans its
 * pending requests; the notifier's last callback then frees them. Without a wake function the
 * caller waits on a condition variable instead (tools and unit tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

/* One Originator may not hold all verification capacity: at most M2MI_WAIT_PER_ORIG waiting
 * requests each, M2MI_WAIT_ORIGS Originators at once (a full table refuses: fail closed). Under
 * pmu. */
static bool wait_take(m2m_cse *cse, const char *id)
{
	struct m2mi_orig_count *free_slot = NULL;

	for (size_t i = 0; i < M2MI_WAIT_ORIGS; i++) {
		struct m2mi_orig_count *e = &cse->waiting[i];
		if (e->n > 0 && strcmp(e->id, id) == 0) { /* public: IDs */
			if (e->n >= M2MI_WAIT_PER_ORIG)
				return false;
			e->n++;
			return true;
		}
		if (e->n == 0 && free_slot == NULL)
			free_slot = e;
	}
	if (free_slot == NULL)
		return false;
	snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
	free_slot->n = 1;
	return true;
}

static void wait_give(m2m_cse *cse, const char *id)
{
	for (size_t i = 0; i < M2MI_WAIT_ORIGS; i++)
		if (cse->waiting[i].n > 0 && strcmp(cse->waiting[i].id, id) == 0) { /* public: IDs */
			cse->waiting[i].n--;
			return;
		}
}

bool m2mi_wait_take(m2m_cse *cse, const char *id)
{
	bool ok;

	pthread_mutex_lock(&cse->pmu);
	ok = wait_take(cse, id);
	pthread_mutex_unlock(&cse->pmu);
	return ok;
}

void m2mi_wait_give(m2m_cse *cse, const char *id)
{
	pthread_mutex_lock(&cse->pmu);
	wait_give(cse, id);
	pthread_mutex_unlock(&cse->pmu);
}

void m2mi_pending_free(m2m_cse_pending *p)
{
	if (p == NULL)
		return;
	/* verifications and consultations are counted per Originator, not plain writes */
	if (!p->via_writer || p->da_counted) {
		pthread_mutex_lock(&p->cse->pmu);
		wait_give(p->cse, p->orig);
		pthread_mutex_unlock(&p->cse->pmu);
	}
	m2m_request_clear(&p->req);
	m2m_response_clear(&p->rsp);
	m2mi_esp_defer_free(p->esp); /* an outer NOTIFY not answered: its session key zeroized */
	free(p->da_body);
	free(p->fwd_body);
	free(p);
}

m2m_cse_pending *m2mi_pending_new(m2mi_ctx *c, int outstanding)
{
	m2m_cse_pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	snprintf(p->orig, sizeof(p->orig), "%s", c->has_orig ? c->orig.absolute : "");
	pthread_mutex_lock(&c->cse->pmu);
	if (!wait_take(c->cse, p->orig)) { /* one Originator may not hold every slot */
		pthread_mutex_unlock(&c->cse->pmu);
		free(p);
		return NULL;
	}
	pthread_mutex_unlock(&c->cse->pmu);
	m2m_request_init(&p->req);
	m2m_response_init(&p->rsp);
	p->cse = c->cse;
	p->w = c->w;
	p->sync = c->sync_wait;
	p->now = c->now;
	p->outstanding = outstanding;
	if (!p->sync) {
		pthread_mutex_lock(&c->cse->pmu);
		p->next = c->w->waiting;
		c->w->waiting = p;
		pthread_mutex_unlock(&c->cse->pmu);
	}
	return p;
}

static void unlink_from(m2m_cse_pending **list, m2m_cse_pending *p)
{
	for (; *list != NULL; list = &(*list)->next)
		if (*list == p) {
			*list = p->next;
			p->next = NULL;
			return;
		}
}

void m2mi_pending_unlink(m2m_cse_worker *w, m2m_cse_pending *p)
{
	pthread_mutex_lock(&w->cse->pmu);
	unlink_from(&w->waiting, p);
	unlink_from(&w->done, p);
	pthread_mutex_unlock(&w->cse->pmu);
}

/* One result (notifier thread, or the starting thread for a request that could not be queued
 * and for its own reference). */
static void on_result(void *arg, bool ok, bool denied)
{
	m2mi_pending_result(arg, ok, denied);
}

void m2mi_pending_result(m2m_cse_pending *p, bool ok, bool denied)
{
	m2m_cse *cse = p->cse; /* outlives every worker and the notifier */
	m2m_cse_worker *w;

	pthread_mutex_lock(&cse->pmu);
	if (!ok)
		p->failed = true;
	if (denied)
		p->denied = true;
	if (--p->outstanding > 0) {
		pthread_mutex_unlock(&cse->pmu);
		return;
	}
	if (p->orphan) { /* its worker is gone */
		pthread_mutex_unlock(&cse->pmu);
		m2mi_pending_free(p);
		return;
	}
	if (p->sync) {
		pthread_cond_broadcast(&cse->pcv);
		pthread_mutex_unlock(&cse->pmu);
		return;
	}
	w = p->w;
	unlink_from(&w->waiting, p);
	p->next = w->done;
	w->done = p;
	if (!w->wake_pending && w->wake != NULL) {
		w->wake_pending = true;
		w->wake(w->wake_arg); /* under pmu: m2m_cse_worker_free cannot run concurrently */
	}
	pthread_mutex_unlock(&cse->pmu);
}

int m2mi_verify_start(m2mi_ctx *c, const char *sur)
{
	m2m_cse_pending *p;
	json_t *vrq, *e;
	char *body;
	size_t i, n = json_array_size(c->verify_nu);

	if (n == 0)
		return 0;
	/* TS-0004 7.5.1.2.3: the verification request carries vrq, sur and the creator. */
	vrq = json_pack("{s:{s:b,s:s,s:s}}", "m2m:sgn", "vrq", 1, "sur", sur, "cr", c->from);
	body = vrq ? json_dumps(vrq, JSON_COMPACT) : NULL;
	json_decref(vrq);
	if (body == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		free(body);
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	}
	snprintf(p->orig, sizeof(p->orig), "%s", c->has_orig ? c->orig.absolute : "");
	pthread_mutex_lock(&c->cse->pmu);
	if (!wait_take(c->cse, p->orig)) {
		pthread_mutex_unlock(&c->cse->pmu);
		free(body);
		free(p);
		return m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
				 "too many subscriptions of this originator wait for verification");
	}
	pthread_mutex_unlock(&c->cse->pmu);
	m2m_request_init(&p->req);
	m2m_response_init(&p->rsp);
	p->cse = c->cse;
	p->w = c->w;
	p->sync = c->sync_wait;
	p->now = c->now;
	snprintf(p->sur, sizeof(p->sur), "%s", sur);
	p->outstanding = (int)n + 1; /* + the reference of this function, released below */
	if (!p->sync) {
		pthread_mutex_lock(&c->cse->pmu);
		p->next = c->w->waiting;
		c->w->waiting = p;
		pthread_mutex_unlock(&c->cse->pmu);
	}
	json_array_foreach(c->verify_nu, i, e)
		if (!m2mi_notifier_verify(c->cse->notifier, json_string_value(e), sur, body, on_result, p))
			on_result(p, false, false); /* could not be sent: 5204 (Recv-6.4 a) */
	free(body);
	c->pending = p;
	/* The last reference: in asynchronous mode the completion runs on this thread's loop,
	 * after the caller moved the request into p, never inside this call. */
	on_result(p, true, false);
	return M2MI_PENDING;
}

void m2mi_verify_wait(m2m_cse *cse, m2m_cse_pending *p)
{
	pthread_mutex_lock(&cse->pmu);
	while (p->outstanding > 0)
		pthread_cond_wait(&cse->pcv, &cse->pmu);
	pthread_mutex_unlock(&cse->pmu);
}
