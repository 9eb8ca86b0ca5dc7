/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the notifier: the delivery engine behind the notifications of
 * <subscription> resources (TS-0004 clause 7.5.1.2.2) and the subscription verification
 * requests (clause 7.5.1.2.3). Concurrency model (docs/architecture.md):
 *  - one notifier thread runs its own libevent loop; the request loops never wait for it: they
 *    hand jobs over through a mutex-protected inbox and a wake-up pipe;
 *  - every HTTP exchange is non-blocking (httpc.c) with a deadline, so one thread serves any
 *    number of slow receivers at once (at most NQ_INFLIGHT_MAX exchanges in flight);
 *  - notifications wait in per-target queues keyed by the receiver's host:port: one exchange in
 *    flight per target (notifications to one receiver stay in order), at most NQ_TARGET_MAX
 *    waiting per target and none older than NQ_AGE_MS. A black-hole target only fills and ages
 *    out its own queue; other targets are served in parallel and never lose a notification to
 *    it. What a target drops is counted and logged, rate-limited;
 *  - verification requests bypass the queues (a CREATE is waiting for them) and report back
 *    through a callback on the notifier thread;
 *  - every address is checked against the destination policy at every exchange (httpc.c).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "m2msec/log.h"
#include "services/cse/notify_q_int.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The URL up to its query (which may carry credentials of the receiver), for logs. */
static int loggable(const char *url)
{
	size_t k = strcspn(url, "?#");
	return k > 128 ? 128 : (int)k;
}

void m2mi_nq_job_free(nq_job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->body);
	free(j->vrq);
	free(j->sur);
	free(j);
}

/* One job is finished (sent, failed or dropped). */
void m2mi_nq_job_done(m2mi_notifier *n, nq_job *j, int outcome)
{
	bool say_drop = false, say_fail = false;
	char url[160];

	snprintf(url, sizeof(url), "%.*s", loggable(j->url), j->url);
	pthread_mutex_lock(&n->mu);
	if (!j->verify && outcome != 3) { /* 3: replaced by a newer one (latestNotify) */
		if (outcome == 0) {
			n->sent++;
		} else if (outcome > 0) {
			n->failed++;
			say_fail = time(NULL) != n->fail_log;
			n->fail_log = time(NULL);
		} else {
			n->dropped++;
			say_drop = time(NULL) != n->drop_log;
			n->drop_log = time(NULL);
		}
	}
	if (--n->pending == 0)
		pthread_cond_broadcast(&n->idle);
	pthread_mutex_unlock(&n->mu);
	if (say_fail)
		m2m_log(M2M_LOG_INFO, "notification to %s failed%s", url, outcome == 2 ? " (destination denied)" : "");
	if (say_drop)
		m2m_log(M2M_LOG_WARN, "notification to %s dropped: its queue is full or too old", url);
	m2mi_nq_job_free(j);
}

/* ---- targets -------------------------------------------------------------------------------- */

size_t m2mi_nq_hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h % NQ_BUCKETS;
}

static nq_target *target_get(m2mi_notifier *n, const char *key, bool create)
{
	nq_target **b = &n->bucket[m2mi_nq_hash(key)], *t;

	for (t = *b; t != NULL; t = t->hnext)
		if (strcmp(t->key, key) == 0)
			return t;
	if (!create || n->ntargets >= NQ_TARGETS_MAX || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	snprintf(t->key, sizeof(t->key), "%s", key);
	t->n = n;
	t->hnext = *b;
	*b = t;
	n->ntargets++;
	return t;
}

static void target_drop_if_idle(m2mi_notifier *n, nq_target *t)
{
	nq_target **p;

	if (t->busy || t->ready || t->head != NULL)
		return;
	for (p = &n->bucket[m2mi_nq_hash(t->key)]; *p != NULL; p = &(*p)->hnext)
		if (*p == t) {
			*p = t->hnext;
			break;
		}
	n->ntargets--;
	free(t);
}

static void make_ready(m2mi_notifier *n, nq_target *t)
{
	if (t->busy || t->ready || t->head == NULL)
		return;
	t->ready = true;
	t->rnext = NULL;
	if (n->ready_tail)
		n->ready_tail->rnext = t;
	else
		n->ready_head = t;
	n->ready_tail = t;
}

static void fly(m2mi_notifier *n, nq_job *j)
{
	j->lprev = NULL;
	j->lnext = n->flying;
	if (n->flying)
		n->flying->lprev = j;
	n->flying = j;
}

static void land(m2mi_notifier *n, nq_job *j)
{
	if (j->lprev)
		j->lprev->lnext = j->lnext;
	else
		n->flying = j->lnext;
	if (j->lnext)
		j->lnext->lprev = j->lprev;
}

static bool delivered(int result, int status, int rsc)
{
	return result == M2MI_HTTPC_OK && status >= 200 && status < 300 && (rsc == 0 || (rsc >= 2000 && rsc < 3000));
}


static nq_job *pop(nq_target *t)
{
	nq_job *j = t->head;

	t->head = j->next;
	if (t->head == NULL)
		t->tail = NULL;
	t->len--;
	return j;
}

static void on_sent(void *arg, int result, int status, int rsc)
{
	nq_job *j = arg;
	m2mi_notifier *n = j->n;
	nq_target *t = j->t;

	land(n, j);
	n->inflight--;
	t->busy = false;
	m2mi_nq_job_done(n, j, delivered(result, status, rsc) ? 0 : result == M2MI_HTTPC_DENIED ? 2 : 1);
	make_ready(n, t);
	target_drop_if_idle(n, t);
	m2mi_nq_pump(n);
}

/* The verification request of a pointOfAccess URL came back; the job is still the head. */
static void on_vrq(void *arg, int result, int status, int rsc)
{
	nq_target *t = arg;
	m2mi_notifier *n = t->n;
	nq_job *j = t->head;

	n->inflight--;
	t->busy = false;
	if (delivered(result, status, rsc)) {
		m2mi_nq_seen_add(n, j->sur, j->url);
	} else {
		char key[2400], k2[2400];
		bool ok = m2mi_nq_seen_key(j->sur, j->url, key, sizeof(key));
		/* no consent: the waiting notifications of that subscription for that URL go nowhere */
		do
			m2mi_nq_job_done(n, pop(t), result == M2MI_HTTPC_DENIED ? 2 : 1);
		while (ok && t->head != NULL && t->head->vrq != NULL && m2mi_nq_seen_key(t->head->sur, t->head->url, k2, sizeof(k2)) &&
		       strcmp(k2, key) == 0);
	}
	make_ready(n, t);
	target_drop_if_idle(n, t);
	m2mi_nq_pump(n);
}

/* Start exchanges while there is room: one per ready target, in arrival order. */
void m2mi_nq_pump(m2mi_notifier *n)
{
	while (n->inflight < NQ_INFLIGHT_MAX && n->ready_head != NULL) {
		nq_target *t = n->ready_head;
		nq_job *j = t->head;

		n->ready_head = t->rnext;
		if (n->ready_head == NULL)
			n->ready_tail = NULL;
		t->ready = false;
		if (mono_ms() - j->enq_ms > NQ_AGE_MS) {
			m2mi_nq_job_done(n, pop(t), -1);
		} else if (j->vrq != NULL && !m2mi_nq_seen_has(n, j->sur, j->url)) {
			t->busy = true;
			n->inflight++;
			if (m2mi_httpc_post(n->httpc, j->url, n->origin, j->vrq, M2MI_VERIFY_MS, on_vrq, t) !=
			    M2MI_HTTPC_OK) {
				n->inflight--;
				t->busy = false;
				m2mi_nq_job_done(n, pop(t), 1);
			}
		} else {
			pop(t);
			t->busy = true;
			j->t = t;
			n->inflight++;
			fly(n, j);
			if (m2mi_httpc_post_ec(n->httpc, j->url, n->origin, j->ec_latest ? 4 : 0, j->body, M2MI_NOTIFY_MS,
					       on_sent, j) !=
			    M2MI_HTTPC_OK) {
				land(n, j);
				n->inflight--;
				t->busy = false;
				m2mi_nq_job_done(n, j, 1);
			}
		}
		make_ready(n, t);
		target_drop_if_idle(n, t);
	}
}

static void on_verified(void *arg, int result, int status, int rsc)
{
	nq_job *j = arg;
	m2mi_notifier *n = j->n;

	land(n, j);
	n->vinflight--;
	if (delivered(result, status, rsc))
		m2mi_nq_seen_add(n, j->sur, j->url); /* consented: no second verification before notifications */
	j->cb(j->arg, delivered(result, status, rsc), result == M2MI_HTTPC_DENIED);
	m2mi_nq_job_done(n, j, 0);
}

void m2mi_nq_sort_in(m2mi_notifier *n, nq_job *j)
{
	m2mi_url u;
	char key[280];
	nq_target *t;

	if (j->verify) {
		fly(n, j);
		n->vinflight++;
		if (n->vinflight > NQ_VERIFY_MAX ||
		    m2mi_httpc_post(n->httpc, j->url, n->origin, j->body, M2MI_VERIFY_MS, on_verified, j) !=
			    M2MI_HTTPC_OK)
			on_verified(j, M2MI_HTTPC_FAILED, 0, 0);
		return;
	}
	if (j->batch_num > 0) {
		m2mi_nq_batch_add(n, j);
		return;
	}
	if (m2mi_url_parse(j->url, &u) != M2M_OK) {
		m2mi_nq_job_done(n, j, 1);
		return;
	}
	snprintf(key, sizeof(key), "%s:%s", u.host, u.port);
	for (char *p = key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (j->latest && j->sur != NULL && (t = target_get(n, key, false)) != NULL) {
		/* latestNotify: a waiting notification of the same subscription is replaced */
		for (nq_job *w = t->head; w != NULL; w = w->next)
			if (w->sur != NULL && strcmp(w->sur, j->sur) == 0 && strcmp(w->url, j->url) == 0) {
				char *b = w->body;
				w->body = j->body;
				j->body = b;
				m2mi_nq_job_done(n, j, 3);
				return;
			}
	}
	if ((t = target_get(n, key, true)) == NULL || t->len >= NQ_TARGET_MAX) {
		m2mi_nq_job_done(n, j, -1); /* only this target's own backlog is refused */
		return;
	}
	j->next = NULL;
	if (t->tail)
		t->tail->next = j;
	else
		t->head = j;
	t->tail = j;
	t->len++;
	make_ready(n, t);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	m2mi_notifier *n = arg;
	char buf[64];
	nq_job *j;
	bool stop;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&n->mu);
	j = n->in_head;
	n->in_head = n->in_tail = NULL;
	n->in_len = 0;
	stop = n->stop;
	pthread_mutex_unlock(&n->mu);
	while (j != NULL) {
		nq_job *next = j->next;
		m2mi_nq_sort_in(n, j);
		j = next;
	}
	m2mi_nq_pump(n);
	/* loopexit, not loopbreak: the callbacks already active run first, so a bufferevent
	 * freed with its deferred callbacks still queued is released (libevent 2.1 drops them
	 * unrun in event_base_free: a leak at every stop with an exchange in flight) */
	if (stop)
		event_base_loopexit(n->base, NULL);
}

static void *run(void *arg)
{
	m2mi_notifier *n = arg;

	event_base_dispatch(n->base);
	return NULL;
}

/* ---- API ------------------------------------------------------------------------------------ */

static void free_all(m2mi_notifier *n)
{
	nq_job *j;

	m2mi_httpc_free(n->httpc); /* in-flight exchanges are dropped: their jobs are freed below */
	while ((j = n->flying) != NULL) {
		land(n, j);
		if (j->verify)
			j->cb(j->arg, false, false);
		m2mi_nq_job_free(j);
	}
	while ((j = n->in_head) != NULL) {
		n->in_head = j->next;
		if (j->verify)
			j->cb(j->arg, false, false);
		m2mi_nq_job_free(j);
	}
	for (size_t b = 0; b < NQ_BUCKETS; b++)
		while (n->bucket[b] != NULL) {
			nq_target *t = n->bucket[b];
			n->bucket[b] = t->hnext;
			while ((j = t->head) != NULL) {
				t->head = j->next;
				m2mi_nq_job_free(j);
			}
			free(t);
		}
	m2mi_nq_seen_clear(n);
	m2mi_nq_batches_free(n);
	if (n->wake_ev)
		event_free(n->wake_ev);
	if (n->base)
		event_base_free(n->base);
	for (int i = 0; i < 2; i++)
		if (n->wake[i] >= 0)
			close(n->wake[i]);
	pthread_cond_destroy(&n->idle);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

m2m_err m2mi_notifier_new(const m2m_cse_config *cfg, m2mi_notifier **out)
{
	m2mi_notifier *n = calloc(1, sizeof(*n));
	char why[160];

	*out = NULL;
	if (n == NULL)
		return M2M_E_NOMEM;
	n->wake[0] = n->wake[1] = -1;
	memcpy(n->origin, cfg->cse_id, sizeof(n->origin));
	n->origin[sizeof(n->origin) - 1] = '\0';
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->idle, NULL);
	if (m2mi_addr_policy_init(&n->pol, cfg->notify_allow, cfg->notify_deny, why, sizeof(why)) != M2M_OK) {
		free_all(n);
		return M2M_E_CONFIG;
	}
	if (pipe(n->wake) != 0 || fcntl(n->wake[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(n->wake[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(n->wake[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(n->wake[1], F_SETFD, FD_CLOEXEC) != 0 || (n->base = event_base_new()) == NULL ||
	    m2mi_httpc_new(n->base, &n->pol, &n->httpc) != M2M_OK ||
	    (n->wake_ev = event_new(n->base, n->wake[0], EV_READ | EV_PERSIST, on_wake, n)) == NULL ||
	    event_add(n->wake_ev, NULL) != 0 || pthread_create(&n->th, NULL, run, n) != 0) {
		free_all(n);
		return M2M_E_INTERNAL;
	}
	n->started = true;
	*out = n;
	return M2M_OK;
}

void m2mi_notifier_free(m2mi_notifier *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_mutex_unlock(&n->mu);
	(void)!write(n->wake[1], "s", 1);
	if (n->started)
		pthread_join(n->th, NULL);
	free_all(n);
}

/* Hand j to the notifier thread; false (j freed, counted) when it cannot take it. */
static bool submit(m2mi_notifier *n, nq_job *j)
{
	bool say = false;

	pthread_mutex_lock(&n->mu);
	if (n->stop || n->in_len >= NQ_INBOX_MAX) {
		if (!j->verify) {
			n->dropped++;
			say = time(NULL) != n->drop_log;
			n->drop_log = time(NULL);
		}
		pthread_mutex_unlock(&n->mu);
		if (say)
			m2m_log(M2M_LOG_WARN, "notifier inbox full: dropped notifications");
		m2mi_nq_job_free(j);
		return false;
	}
	j->next = NULL;
	if (n->in_tail)
		n->in_tail->next = j;
	else
		n->in_head = j;
	n->in_tail = j;
	n->in_len++;
	n->pending++;
	pthread_mutex_unlock(&n->mu);
	(void)!write(n->wake[1], "w", 1); /* a full pipe already holds a wake-up */
	return true;
}

static nq_job *job_new(m2mi_notifier *n, const char *url, const char *body)
{
	nq_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->url = strdup(url)) == NULL || (j->body = strdup(body)) == NULL) {
		m2mi_nq_job_free(j);
		return NULL;
	}
	j->n = n;
	j->enq_ms = mono_ms();
	return j;
}

void m2mi_notifier_send(m2mi_notifier *n, const char *url, const char *body, const m2mi_send_opts *o)
{
	nq_job *j = job_new(n, url, body);

	if (j != NULL && o != NULL) {
		j->latest = j->ec_latest = o->latest;
		j->batch_num = o->batch_num;
		j->batch_ms = o->batch_ms > 0 ? o->batch_ms : 1;
		if ((o->vrq != NULL && (j->vrq = strdup(o->vrq)) == NULL) ||
		    (o->sur != NULL && o->sur[0] != '\0' && (j->sur = strdup(o->sur)) == NULL)) {
			m2mi_nq_job_free(j);
			j = NULL;
		}
	}
	if (j == NULL) {
		pthread_mutex_lock(&n->mu);
		n->dropped++;
		pthread_mutex_unlock(&n->mu);
		return;
	}
	(void)submit(n, j);
}

bool m2mi_notifier_verify(m2mi_notifier *n, const char *url, const char *sur, const char *body, m2mi_verify_cb cb,
			  void *arg)
{
	nq_job *j = job_new(n, url, body);

	if (j != NULL && sur != NULL && (j->sur = strdup(sur)) == NULL) {
		m2mi_nq_job_free(j);
		j = NULL;
	}
	if (j == NULL)
		return false;
	j->verify = true;
	j->cb = cb;
	j->arg = arg;
	return submit(n, j);
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
	while (n->pending > 0 && pthread_cond_timedwait(&n->idle, &n->mu, &until) == 0)
		;
	empty = n->pending == 0;
	pthread_mutex_unlock(&n->mu);
	return empty;
}
