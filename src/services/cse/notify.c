/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the notifications of <subscription> resources (TS-0004 clause
 * 7.5.1.2.2) and the subscription verification request (clause 7.5.1.2.3):
 *  - events: Update_of_Resource (1), Delete_of_Resource (2), Create_of_Direct_Child_Resource
 *    (3), Delete_of_Direct_Child_Resource (4), matched against enc.net (default [1]) and
 *    enc.chty; the content {"m2m:sgn": {"nev": {"rep": ..., "net": N}, "sur": "<sub ri>"}};
 *  - only resources the subscription's creator may RETRIEVE are reported (the decision runs
 *    as that creator, authenticated, without the triggering request's IP and Role-IDs);
 *  - targets: every http:// notificationURI, and the http:// pointOfAccess of an <AE> named
 *    by resource ID;
 *  - delivery is asynchronous: notifications of a request are collected in the request
 *    context, queued only after its transaction committed, and sent by one worker thread
 *    through a bounded queue (M2MI_QUEUE_MAX, overflow dropped and counted) with a deadline
 *    per delivery, so a slow receiver never blocks the request path;
 *  - verification is synchronous (the CREATE needs its answer) and bounded (M2MI_VERIFY_MS per
 *    target); anything but a 2xxx answer is SUBSCRIPTION_VERIFICATION_INITIATION_FAILED.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

typedef struct job {
	struct job *next;
	char *url, *body;
} job;

struct m2mi_notifier {
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	pthread_t th;
	job *head, *tail;
	size_t len;
	bool stop, busy;
	char origin[M2M_CFG_STR];
	uint64_t sent, failed, dropped;
	time_t fail_log, drop_log; /* rate limit: one log line per second and kind */
};

/* The URL up to its query (which may carry credentials of the receiver), for logs. */
static int loggable(const char *url)
{
	size_t n = strcspn(url, "?#");
	return n > 128 ? 128 : (int)n;
}

static void job_free(job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->body);
	free(j);
}

static bool delivered(int status, int rsc)
{
	return status >= 200 && status < 300 && (rsc == 0 || (rsc >= 2000 && rsc < 3000));
}

static void *run(void *arg)
{
	m2mi_notifier *n = arg;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		job *j;
		int status, rsc;
		bool ok;

		while (!n->stop && n->head == NULL)
			pthread_cond_wait(&n->cv, &n->mu);
		if (n->stop)
			break;
		j = n->head;
		n->head = j->next;
		if (n->head == NULL)
			n->tail = NULL;
		n->len--;
		n->busy = true;
		pthread_mutex_unlock(&n->mu);
		ok = m2mi_http_notify(j->url, n->origin, j->body, M2MI_NOTIFY_MS, &status, &rsc) == M2M_OK &&
		     delivered(status, rsc);
		if (!ok && time(NULL) != n->fail_log) {
			n->fail_log = time(NULL);
			m2m_log(M2M_LOG_INFO, "notification to %.*s failed (HTTP %d, RSC %d)", loggable(j->url), j->url,
				status, rsc);
		}
		job_free(j);
		pthread_mutex_lock(&n->mu);
		n->busy = false;
		if (ok)
			n->sent++;
		else
			n->failed++;
		pthread_cond_broadcast(&n->idle);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

m2m_err m2mi_notifier_new(const m2m_cse_config *cfg, m2mi_notifier **out)
{
	m2mi_notifier *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (n == NULL)
		return M2M_E_NOMEM;
	memcpy(n->origin, cfg->cse_id, sizeof(n->origin));
	n->origin[sizeof(n->origin) - 1] = '\0';
	if (pthread_mutex_init(&n->mu, NULL) != 0) {
		free(n);
		return M2M_E_INTERNAL;
	}
	if (pthread_cond_init(&n->cv, NULL) != 0 || pthread_cond_init(&n->idle, NULL) != 0 ||
	    pthread_create(&n->th, NULL, run, n) != 0) {
		pthread_mutex_destroy(&n->mu);
		free(n);
		return M2M_E_INTERNAL;
	}
	*out = n;
	return M2M_OK;
}

void m2mi_notifier_free(m2mi_notifier *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->th, NULL);
	while (n->head != NULL) {
		job *j = n->head;
		n->head = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&n->cv);
	pthread_cond_destroy(&n->idle);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

static void enqueue(m2mi_notifier *n, const char *url, const char *body)
{
	job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->url = strdup(url)) == NULL || (j->body = strdup(body)) == NULL) {
		job_free(j);
		j = NULL;
	}
	pthread_mutex_lock(&n->mu);
	if (j == NULL || n->len >= M2MI_QUEUE_MAX || n->stop) {
		bool say = time(NULL) != n->drop_log;
		n->dropped++;
		n->drop_log = time(NULL);
		pthread_mutex_unlock(&n->mu);
		job_free(j);
		if (say)
			m2m_log(M2M_LOG_WARN, "notification queue full: dropped notifications");
		return;
	}
	if (n->tail)
		n->tail->next = j;
	else
		n->head = j;
	n->tail = j;
	n->len++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void m2mi_notifier_stats(m2mi_notifier *n, uint64_t *sent, uint64_t *failed, uint64_t *dropped)
{
	pthread_mutex_lock(&n->mu);
	*sent = n->sent;
	*failed = n->failed;
	*dropped = n->dropped;
	pthread_mutex_unlock(&n->mu);
}

bool m2mi_notifier_drain(m2mi_notifier *n, int ms)
{
	struct timespec until;
	bool empty;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&n->mu);
	while ((n->head != NULL || n->busy) && pthread_cond_timedwait(&n->idle, &n->mu, &until) == 0)
		;
	empty = n->head == NULL && !n->busy;
	pthread_mutex_unlock(&n->mu);
	return empty;
}

/* ---- events ------------------------------------------------------------------------------ */

static bool list_has(json_t *list, json_int_t v, bool dflt)
{
	size_t i;
	json_t *e;

	if (list == NULL)
		return dflt;
	json_array_foreach(list, i, e)
		if (json_integer_value(e) == v)
			return true;
	return false;
}

/* Append [url, body] for every deliverable target of nu. */
static int add_targets(m2mi_ctx *c, json_t *nu, const char *body)
{
	size_t i, j;
	json_t *e, *p;

	json_array_foreach(nu, i, e) {
		const char *t = json_string_value(e);
		json_t *poa = NULL, *ae = NULL;
		m2m_res r = {0};

		if (t == NULL)
			continue;
		if (strncmp(t, "http://", 7) == 0) {
			poa = json_pack("[s]", t);
		} else if (m2mi_lookup(c, t, &r) == M2M_OK && r.ty == M2M_TY_AE &&
			   (ae = json_loads(r.body, 0, NULL)) != NULL) {
			poa = json_incref(json_object_get(ae, "poa"));
		}
		json_array_foreach(poa, j, p)
			if (json_is_string(p) && strncmp(json_string_value(p), "http://", 7) == 0 &&
			    json_array_append_new(c->notes, json_pack("[s,s]", json_string_value(p), body)) != 0) {
				json_decref(poa);
				json_decref(ae);
				m2m_res_clear(&r);
				return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			}
		json_decref(poa);
		json_decref(ae);
		m2m_res_clear(&r);
	}
	return 0;
}

/* The representation of rep for notificationContentType nct. */
static json_t *representation(m2mi_ctx *c, json_int_t nct, int net, m2mi_node *rep)
{
	const m2mi_type *t = m2mi_type_of_row(&rep->row);
	json_t *inner, *out;
	const char *k;
	json_t *v;

	if (nct == 3)
		return json_string(rep->row.path);
	if (nct != 2 || net != 1)
		return json_pack("{s:O}", t ? t->wrapper : "m2m:rsc", rep->attr);
	inner = json_object_iter_value(json_object_iter(c->req->pc)); /* the UPDATE's attributes */
	if ((out = json_object()) == NULL)
		return NULL;
	json_object_foreach(rep->attr, k, v)
		if ((json_object_get(inner, k) != NULL || strcmp(k, "lt") == 0) && json_object_set(out, k, v) != 0) {
			json_decref(out);
			return NULL;
		}
	return json_pack("{s:o}", t ? t->wrapper : "m2m:rsc", out);
}

/* The creator of subscription sub may RETRIEVE rep (else it learns nothing through it). The
 * decision runs as that subscriber: authenticated, without the current request's IP/Role-IDs. */
static bool subscriber_may_see(m2mi_ctx *c, const m2m_res *sub, m2mi_node *rep)
{
	m2m_origin_forms saved = c->orig;
	bool has = c->has_orig, authn = c->rq_authn, admin = c->admin, ok = false;
	m2m_res parent = {0};
	const m2m_res *holder = &rep->row;

	if (sub->cr == NULL || m2m_originator_forms(&c->cse->octx, sub->cr, &c->orig) != M2M_OK)
		goto out;
	c->has_orig = c->rq_authn = c->as_subscriber = true;
	c->admin = strcmp(c->orig.absolute, c->cse->admin.absolute) == 0; /* public: IDs */
	if (rep->row.ty == M2M_TY_CIN) {
		if (rep->row.pi == NULL || m2m_resstore_get(c->st, rep->row.pi, &parent) != M2M_OK)
			goto out;
		holder = &parent;
	}
	ok = m2mi_access(c, &rep->row, holder, M2M_ACP_OP_RETRIEVE, 0);
out:
	m2m_res_clear(&parent);
	c->orig = saved;
	c->has_orig = has;
	c->rq_authn = authn;
	c->admin = admin;
	c->as_subscriber = false;
	return ok;
}

int m2mi_notify_event(m2mi_ctx *c, const char *subject_ri, int net, m2mi_node *rep)
{
	m2m_res *subs = NULL;
	size_t n = 0;
	int rsc = 0;
	m2m_err e;

	if ((e = m2m_resstore_children(c->st, subject_ri, M2M_TY_SUB, 256, &subs, &n)) != M2M_OK)
		return m2mi_store_fail(c, e);
	for (size_t i = 0; i < n && rsc == 0; i++) {
		json_t *a, *enc, *sgn, *r;
		char *body;

		if (m2mi_expired(c, &subs[i]) || strcmp(subs[i].ri, rep->row.ri) == 0 ||
		    (a = json_loads(subs[i].body, 0, NULL)) == NULL)
			continue;
		enc = json_object_get(a, "enc");
		if (!list_has(json_object_get(enc, "net"), net, net == 1) ||
		    ((net == 3 || net == 4) && !list_has(json_object_get(enc, "chty"), rep->row.ty, true)) ||
		    !subscriber_may_see(c, &subs[i], rep)) {
			json_decref(a);
			continue;
		}
		if (c->notes == NULL && (c->notes = json_array()) == NULL)
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		else if ((rsc = m2mi_node_attrs(c, rep)) == 0) {
			r = representation(c, json_integer_value(json_object_get(a, "nct")), net, rep);
			sgn = json_pack("{s:{s:{s:o,s:i},s:s}}", "m2m:sgn", "nev", "rep", r, "net", net, "sur", subs[i].ri);
			body = sgn ? json_dumps(sgn, JSON_COMPACT) : NULL;
			rsc = body ? add_targets(c, json_object_get(a, "nu"), body)
				   : m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			free(body);
			json_decref(sgn);
		}
		json_decref(a);
	}
	m2m_res_free_list(subs, n);
	return rsc;
}

void m2mi_notify_flush(m2mi_ctx *c)
{
	size_t i;
	json_t *e;

	json_array_foreach(c->notes, i, e)
		enqueue(c->cse->notifier, json_string_value(json_array_get(e, 0)), json_string_value(json_array_get(e, 1)));
	json_decref(c->notes);
	c->notes = NULL;
}

int m2mi_notify_verify(m2mi_ctx *c, json_t *nu, const char *sur)
{
	json_t *req = json_pack("{s:{s:b,s:s,s:s}}", "m2m:sgn", "vrq", 1, "sur", sur, "cr", c->from);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	int rsc = 0, status, code;
	size_t i;
	json_t *e;

	json_decref(req);
	if (body == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	json_array_foreach(nu, i, e) {
		const char *t = json_string_value(e);
		if (strncmp(t, "https://", 8) == 0) {
			rsc = m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
					"https notification targets are not supported");
			break;
		}
		if (strncmp(t, "http://", 7) != 0)
			continue; /* a resource ID: not verified (TS-0004 7.4.8.2.1 "may") */
		if (m2mi_http_notify(t, c->cfg->cse_id, body, M2MI_VERIFY_MS, &status, &code) != M2M_OK ||
		    !delivered(status, code)) {
			rsc = m2mi_fail(c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
					"verification of notification target %zu failed", i);
			break;
		}
	}
	free(body);
	return rsc;
}
