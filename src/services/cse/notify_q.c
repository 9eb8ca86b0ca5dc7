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
#include <jansson.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

#define NQ_INBOX_MAX 65536   /* jobs handed over but not yet sorted into queues */
#define NQ_TARGET_MAX 64     /* notifications waiting for one target */
#define NQ_TARGETS_MAX 4096  /* targets with waiting notifications */
#define NQ_INFLIGHT_MAX 256  /* exchanges in flight */
#define NQ_VERIFY_MAX 256    /* verification requests in flight */
#define NQ_AGE_MS 60000      /* a notification not started within this is dropped */
#define NQ_BUCKETS 1024
#define NQ_VERIFIED_MAX 4096 /* pointOfAccess URLs remembered as verified */

struct nq_seen;

typedef struct nq_job {
	struct nq_job *next, *lprev, *lnext; /* queue; in-flight list */
	char *url, *body, *vrq, *sur;
	int64_t enq_ms;
	bool latest, ec_latest; /* latestNotify: replace waiting ones; send Event Category 4 */
	int batch_num;
	int64_t batch_ms;
	bool verify;
	m2mi_verify_cb cb;
	void *arg;
	struct nq_target *t;
	m2mi_notifier *n;
} nq_job;

typedef struct nq_target {
	struct nq_target *hnext, *rnext;
	m2mi_notifier *n;
	char key[280];
	nq_job *head, *tail;
	size_t len;
	bool busy, ready;
} nq_target;

struct m2mi_notifier {
	pthread_t th;
	bool started;
	struct event_base *base;
	m2mi_httpc *httpc;
	m2mi_addr_policy pol;
	int wake[2];
	struct event *wake_ev;
	char origin[M2M_CFG_STR];
	pthread_mutex_t mu; /* inbox, stop, counters */
	pthread_cond_t idle;
	nq_job *in_head, *in_tail;
	size_t in_len, pending;
	bool stop;
	uint64_t sent, failed, dropped;
	time_t drop_log, fail_log;
	/* notifier thread only */
	nq_target *bucket[NQ_BUCKETS];
	size_t ntargets, inflight, vinflight;
	nq_target *ready_head, *ready_tail;
	nq_job *flying;
	struct nq_batch *batches;
	size_t nbatches;
	struct nq_seen *seen[NQ_BUCKETS]; /* verified pointOfAccess URLs */
	size_t nseen;
};

typedef struct nq_seen {
	struct nq_seen *next;
	char url[];
} nq_seen;

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

static void job_free(nq_job *j)
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
static void job_done(m2mi_notifier *n, nq_job *j, int outcome)
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
	job_free(j);
}

/* ---- targets -------------------------------------------------------------------------------- */

static size_t hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h % NQ_BUCKETS;
}

static nq_target *target_get(m2mi_notifier *n, const char *key, bool create)
{
	nq_target **b = &n->bucket[hash(key)], *t;

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
	for (p = &n->bucket[hash(t->key)]; *p != NULL; p = &(*p)->hnext)
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

static void pump(m2mi_notifier *n);

static void seen_clear(m2mi_notifier *n)
{
	for (size_t b = 0; b < NQ_BUCKETS; b++)
		while (n->seen[b] != NULL) {
			nq_seen *e = n->seen[b];
			n->seen[b] = e->next;
			free(e);
		}
	n->nseen = 0;
}

/* Consent is per subscription and URL: "<sur> <url>" (a URL one subscription's target accepted
 * does not receive another subscription's notifications unasked). */
static bool seen_key(const char *sur, const char *url, char *key, size_t cap)
{
	return snprintf(key, cap, "%s %s", sur ? sur : "", url) < (int)cap;
}

static bool seen_has(m2mi_notifier *n, const char *sur, const char *url)
{
	char key[2400];

	if (!seen_key(sur, url, key, sizeof(key)))
		return false;
	for (nq_seen *e = n->seen[hash(key)]; e != NULL; e = e->next)
		if (strcmp(e->url, key) == 0)
			return true;
	return false;
}

static void seen_add(m2mi_notifier *n, const char *sur, const char *url)
{
	char key[2400];
	size_t len;
	nq_seen *e;

	if (!seen_key(sur, url, key, sizeof(key)) || seen_has(n, sur, url))
		return;
	if (n->nseen >= NQ_VERIFIED_MAX)
		seen_clear(n); /* forgetting only costs a new verification request */
	len = strlen(key);
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return;
	memcpy(e->url, key, len + 1);
	e->next = n->seen[hash(key)];
	n->seen[hash(key)] = e;
	n->nseen++;
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
	job_done(n, j, delivered(result, status, rsc) ? 0 : result == M2MI_HTTPC_DENIED ? 2 : 1);
	make_ready(n, t);
	target_drop_if_idle(n, t);
	pump(n);
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
		seen_add(n, j->sur, j->url);
	} else {
		char key[2400], k2[2400];
		bool ok = seen_key(j->sur, j->url, key, sizeof(key));
		/* no consent: the waiting notifications of that subscription for that URL go nowhere */
		do
			job_done(n, pop(t), result == M2MI_HTTPC_DENIED ? 2 : 1);
		while (ok && t->head != NULL && t->head->vrq != NULL && seen_key(t->head->sur, t->head->url, k2, sizeof(k2)) &&
		       strcmp(k2, key) == 0);
	}
	make_ready(n, t);
	target_drop_if_idle(n, t);
	pump(n);
}

/* Start exchanges while there is room: one per ready target, in arrival order. */
static void pump(m2mi_notifier *n)
{
	while (n->inflight < NQ_INFLIGHT_MAX && n->ready_head != NULL) {
		nq_target *t = n->ready_head;
		nq_job *j = t->head;

		n->ready_head = t->rnext;
		if (n->ready_head == NULL)
			n->ready_tail = NULL;
		t->ready = false;
		if (mono_ms() - j->enq_ms > NQ_AGE_MS) {
			job_done(n, pop(t), -1);
		} else if (j->vrq != NULL && !seen_has(n, j->sur, j->url)) {
			t->busy = true;
			n->inflight++;
			if (m2mi_httpc_post(n->httpc, j->url, n->origin, j->vrq, M2MI_VERIFY_MS, on_vrq, t) !=
			    M2MI_HTTPC_OK) {
				n->inflight--;
				t->busy = false;
				job_done(n, pop(t), 1);
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
				job_done(n, j, 1);
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
		seen_add(n, j->sur, j->url); /* consented: no second verification before notifications */
	j->cb(j->arg, delivered(result, status, rsc), result == M2MI_HTTPC_DENIED);
	job_done(n, j, 0);
}

/* ---- batchNotify (TS-0001 10.2.10.7): per subscription and target, up to num notifications
 * in one m2m:agn, sent when full or dur after the first. ------------------------------------- */

typedef struct nq_batch {
	struct nq_batch *next;
	m2mi_notifier *n;
	nq_job *proto;     /* url, vrq, sur of the batch */
	json_t *sgns;      /* the collected m2m:sgn objects */
	int num;
	bool latest;
	struct event *timer;
} nq_batch;

static void sort_in(m2mi_notifier *n, nq_job *j);

static void batch_flush(nq_batch *b)
{
	m2mi_notifier *n = b->n;
	nq_batch **p;
	nq_job *j = b->proto;
	json_t *agn = json_pack("{s:{s:O}}", "m2m:agn", "m2m:sgn", b->sgns);
	char *body = agn ? json_dumps(agn, JSON_COMPACT) : NULL;

	for (p = &n->batches; *p != NULL; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			n->nbatches--;
			break;
		}
	json_decref(agn);
	json_decref(b->sgns);
	event_free(b->timer);
	free(b);
	if (body == NULL) {
		job_done(n, j, -1);
		return;
	}
	free(j->body);
	j->body = body;
	j->batch_num = 0;
	j->latest = false;
	sort_in(n, j); /* the proto job carries the batch from here */
}

static void on_batch_due(evutil_socket_t fd, short what, void *arg)
{
	m2mi_notifier *n = ((nq_batch *)arg)->n;

	(void)fd;
	(void)what;
	batch_flush(arg);
	pump(n);
}

static void batch_add(m2mi_notifier *n, nq_job *j)
{
	nq_batch *b;
	json_t *doc = json_loads(j->body, 0, NULL), *sgn = json_object_get(doc, "m2m:sgn");

	for (b = n->batches; b != NULL; b = b->next)
		if (strcmp(b->proto->url, j->url) == 0 && j->sur && strcmp(b->proto->sur, j->sur) == 0)
			break;
	if (sgn == NULL || j->sur == NULL) {
		json_decref(doc);
		job_done(n, j, -1);
		return;
	}
	if (b == NULL) {
		struct timeval tv = {(time_t)(j->batch_ms / 1000), (suseconds_t)(j->batch_ms % 1000) * 1000};
		if (n->nbatches >= NQ_TARGETS_MAX || (b = calloc(1, sizeof(*b))) == NULL ||
		    (b->sgns = json_array()) == NULL || (b->timer = evtimer_new(n->base, on_batch_due, b)) == NULL ||
		    evtimer_add(b->timer, &tv) != 0) {
			if (b) {
				json_decref(b->sgns);
				if (b->timer)
					event_free(b->timer);
				free(b);
			}
			json_decref(doc);
			job_done(n, j, -1);
			return;
		}
		b->n = n;
		b->proto = j;
		b->num = j->batch_num;
		b->latest = j->latest;
		b->next = n->batches;
		n->batches = b;
		n->nbatches++;
		j = NULL;
	}
	if (b->latest) /* latestNotify with batchNotify: only the latest is sent (TS-0001 9.6.8) */
		json_array_clear(b->sgns);
	json_array_append(b->sgns, sgn);
	json_decref(doc);
	if (j != NULL)
		job_done(n, j, 3); /* merged into the batch's own job */
	if ((int)json_array_size(b->sgns) >= b->num && !b->latest)
		batch_flush(b);
}

static void sort_in(m2mi_notifier *n, nq_job *j)
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
		batch_add(n, j);
		return;
	}
	if (m2mi_url_parse(j->url, &u) != M2M_OK) {
		job_done(n, j, 1);
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
				job_done(n, j, 3);
				return;
			}
	}
	if ((t = target_get(n, key, true)) == NULL || t->len >= NQ_TARGET_MAX) {
		job_done(n, j, -1); /* only this target's own backlog is refused */
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
		sort_in(n, j);
		j = next;
	}
	pump(n);
	if (stop)
		event_base_loopbreak(n->base);
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
		job_free(j);
	}
	while ((j = n->in_head) != NULL) {
		n->in_head = j->next;
		if (j->verify)
			j->cb(j->arg, false, false);
		job_free(j);
	}
	for (size_t b = 0; b < NQ_BUCKETS; b++)
		while (n->bucket[b] != NULL) {
			nq_target *t = n->bucket[b];
			n->bucket[b] = t->hnext;
			while ((j = t->head) != NULL) {
				t->head = j->next;
				job_free(j);
			}
			free(t);
		}
	seen_clear(n);
	while (n->batches != NULL) {
		struct nq_batch *b = n->batches;
		n->batches = b->next;
		job_free(b->proto);
		json_decref(b->sgns);
		event_free(b->timer);
		free(b);
	}
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
		job_free(j);
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
		job_free(j);
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
			job_free(j);
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
		job_free(j);
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
