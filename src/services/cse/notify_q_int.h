/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the notifier (notify_q.c) shared with its
 * batching (notify_batch.c) and consent memory (notify_consent.c): the job, target and
 * notifier structures. Everything here belongs to the notifier thread unless marked.
 */
#ifndef M2MSEC_NOTIFY_Q_INT_H
#define M2MSEC_NOTIFY_Q_INT_H

#include <pthread.h>
#include <time.h>

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
struct nq_batch;

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

/* notify_q.c */
void m2mi_nq_job_free(nq_job *j);
/* One job is finished: outcome 0 sent, 1 failed, 2 refused by the policy, -1 dropped,
 * 3 merged or replaced (not counted). Frees j. */
void m2mi_nq_job_done(m2mi_notifier *n, nq_job *j, int outcome);
void m2mi_nq_sort_in(m2mi_notifier *n, nq_job *j);
void m2mi_nq_pump(m2mi_notifier *n);
size_t m2mi_nq_hash(const char *s);

/* notify_batch.c: batchNotify (TS-0001 10.2.10.7) */
void m2mi_nq_batch_add(m2mi_notifier *n, nq_job *j);
void m2mi_nq_batches_free(m2mi_notifier *n);

/* notify_consent.c: pointOfAccess URLs that answered a verification request, per subscription */
bool m2mi_nq_seen_key(const char *sur, const char *url, char *key, size_t cap);
bool m2mi_nq_seen_has(m2mi_notifier *n, const char *sur, const char *url);
void m2mi_nq_seen_add(m2mi_notifier *n, const char *sur, const char *url);
void m2mi_nq_seen_clear(m2mi_notifier *n);

#endif
