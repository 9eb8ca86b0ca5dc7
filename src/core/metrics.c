/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the process-wide metrics registry (core/metrics.h, docs/operations.md).
 *
 * Concurrency: every thread that counts gets its own shard (a block of relaxed atomic counters)
 * at its first event; the hot path is a thread-local pointer and relaxed fetch-adds on
 * cache-line-aligned counters nobody else writes, so an event-loop worker takes no lock and
 * shares no written line with another worker. The registry mutex is only taken to link a new
 * shard (once per thread) and by the scrape, which walks the list and sums relaxed loads; a
 * scrape therefore never stops a worker. A thread that ends hands its shard back (its counts
 * stay in the sums) for the next new thread, so threads that come and go do not grow the list.
 *
 * Labels are fixed vocabularies (operation names, the RSC table of TS-0004 §6.6.3, handshake
 * outcome and SA kind, link, cache, store): no value from a request, a certificate or a key
 * ever becomes a label, so no identity or key id can appear in the output.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "m2msec/rsc.h"

#define NOPS 6 /* m2m_op 0 (none) .. 5 (notify) */

static const int rsc_codes[] = {
#define M2M_RSC_CODE(name, code, http, coap) (code),
	M2M_RSC_TABLE(M2M_RSC_CODE)
#undef M2M_RSC_CODE
};
#define NRSC (sizeof(rsc_codes) / sizeof(rsc_codes[0]) + 1) /* the last one: any other code */

const double m2mi_metrics_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				       0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof(m2mi_metrics_buckets) / sizeof(m2mi_metrics_buckets[0]))
const size_t m2mi_metrics_nbuckets = NBUCKETS;

static const char *const op_names[NOPS] = {"none", "create", "retrieve", "update", "delete", "notify"};
static const char *const hs_outcomes[M2MI_HS_OUTCOMES] = {"ok", "failed"};
static const char *const hs_kinds[M2MI_HS_KINDS] = {"unknown",  "none",      "cert",    "psk",
						    "psk-file", "psk-store", "psk-mef", "psk-maf"};
static const char *const links[M2MI_LINKS] = {"mef", "maf", "das"};
static const char *const caches[M2MI_CACHES] = {"psk", "acp", "token"};
static const char *const stores[M2MI_STORES] = {"full", "readonly", "io", "corrupt"};

typedef atomic_uint_fast64_t ctr;

struct shard {
	alignas(64) ctr req[NOPS][NRSC];
	ctr hist[NOPS][NBUCKETS + 1]; /* per bucket (not cumulative); [NBUCKETS] = above the last */
	ctr hist_sum_us[NOPS];
	ctr hs[M2MI_HS_OUTCOMES][M2MI_HS_KINDS];
	ctr enrol[2];
	ctr fetch[M2MI_LINKS][2];
	ctr cache[M2MI_CACHES][2];
	ctr store[M2MI_STORES];
	struct shard *next;
	bool in_use;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct shard *shards;
static atomic_bool enabled;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t shard_key;
static bool key_ok;
static _Thread_local struct shard *mine;

static void shard_release(void *p)
{
	struct shard *s = p;

	pthread_mutex_lock(&reg_mu);
	s->in_use = false;
	pthread_mutex_unlock(&reg_mu);
}

static void key_init(void)
{
	key_ok = pthread_key_create(&shard_key, shard_release) == 0;
}

/* The calling thread's shard; NULL when none could be made (the event is then not counted). */
static struct shard *shard(void)
{
	struct shard *s;

	if (mine != NULL)
		return mine;
	(void)pthread_once(&key_once, key_init);
	pthread_mutex_lock(&reg_mu);
	for (s = shards; s != NULL && s->in_use; s = s->next)
		;
	if (s == NULL && (s = aligned_alloc(64, (sizeof(*s) + 63) / 64 * 64)) != NULL) {
		memset(s, 0, sizeof(*s)); /* all-zero bytes are zero atomics on every supported ABI */
		s->next = shards;
		shards = s;
	}
	if (s != NULL)
		s->in_use = true;
	pthread_mutex_unlock(&reg_mu);
	if (s != NULL && key_ok)
		(void)pthread_setspecific(shard_key, s);
	mine = s;
	return s;
}

static void add(ctr *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void m2mi_metrics_enable(bool on)
{
	atomic_store(&enabled, on);
}

bool m2mi_metrics_enabled(void)
{
	return atomic_load_explicit(&enabled, memory_order_relaxed);
}

#define SHARD_OR_RETURN(s)                                                                      \
	struct shard *s;                                                                        \
	if (!atomic_load_explicit(&enabled, memory_order_relaxed) || ((s) = shard()) == NULL) \
	return

static size_t rsc_index(int rsc)
{
	for (size_t i = 0; i < NRSC - 1; i++)
		if (rsc_codes[i] == rsc)
			return i;
	return NRSC - 1;
}

void m2mi_metrics_request(int op, int rsc, int64_t latency_us)
{
	size_t o = op > 0 && op < NOPS ? (size_t)op : 0, b = 0;
	double secs;

	SHARD_OR_RETURN(s);
	if (latency_us < 0)
		latency_us = 0;
	secs = (double)latency_us / 1e6;
	while (b < NBUCKETS && secs > m2mi_metrics_buckets[b])
		b++;
	add(&s->req[o][rsc_index(rsc)], 1);
	add(&s->hist[o][b], 1);
	add(&s->hist_sum_us[o], (uint64_t)latency_us);
}

void m2mi_metrics_handshake(enum m2mi_hs_outcome outcome, enum m2mi_hs_kind kind)
{
	SHARD_OR_RETURN(s);
	if ((unsigned)outcome < M2MI_HS_OUTCOMES && (unsigned)kind < M2MI_HS_KINDS)
		add(&s->hs[outcome][kind], 1);
}

void m2mi_metrics_enrolment(bool ok)
{
	SHARD_OR_RETURN(s);
	add(&s->enrol[ok ? 0 : 1], 1);
}

void m2mi_metrics_fetch(enum m2mi_link link, bool ok)
{
	SHARD_OR_RETURN(s);
	if ((unsigned)link < M2MI_LINKS)
		add(&s->fetch[link][ok ? 0 : 1], 1);
}

void m2mi_metrics_cache(enum m2mi_cache cache, bool hit)
{
	SHARD_OR_RETURN(s);
	if ((unsigned)cache < M2MI_CACHES)
		add(&s->cache[cache][hit ? 0 : 1], 1);
}

void m2mi_metrics_store_error(enum m2mi_store store)
{
	SHARD_OR_RETURN(s);
	if ((unsigned)store < M2MI_STORES)
		add(&s->store[store], 1);
}

void m2mi_metrics_reset(void)
{
	pthread_mutex_lock(&reg_mu);
	for (struct shard *s = shards; s != NULL; s = s->next) {
		ctr *c = (ctr *)(void *)s;
		size_t n = offsetof(struct shard, next) / sizeof(ctr);
		for (size_t i = 0; i < n; i++)
			atomic_store_explicit(&c[i], 0, memory_order_relaxed);
	}
	pthread_mutex_unlock(&reg_mu);
}

/* ---- the text exposition ------------------------------------------------------------------- */

m2m_err m2mi_metrics_escape(const char *value, char *out, size_t cap)
{
	size_t o = 0;

	if (value == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	for (const char *p = value; *p != '\0'; p++) {
		const char *rep = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		size_t n = rep != NULL ? 2 : 1;
		if (o + n >= cap) {
			out[0] = '\0';
			return M2M_E_RANGE;
		}
		if (rep != NULL)
			memcpy(out + o, rep, 2);
		else
			out[o] = *p;
		o += n;
	}
	out[o] = '\0';
	return M2M_OK;
}

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap * 2 + (size_t)n;
			char *q = realloc(b->p, cap);
			if (q == NULL) {
				b->oom = true;
				return;
			}
			b->p = q;
			b->cap = cap;
		}
	}
}

/* One label value, escaped (the vocabularies need none today; the format requires it). */
static const char *lv(const char *v, char *tmp, size_t cap)
{
	return m2mi_metrics_escape(v, tmp, cap) == M2M_OK ? tmp : "";
}

/* Sums of every shard (the scrape's snapshot). */
struct totals {
	uint64_t req[NOPS][NRSC], hist[NOPS][NBUCKETS + 1], hist_sum_us[NOPS];
	uint64_t hs[M2MI_HS_OUTCOMES][M2MI_HS_KINDS], enrol[2], fetch[M2MI_LINKS][2];
	uint64_t cache[M2MI_CACHES][2], store[M2MI_STORES];
};

static void sum_all(struct totals *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_lock(&reg_mu);
	for (struct shard *s = shards; s != NULL; s = s->next) {
		const ctr *c = (const ctr *)(const void *)s;
		uint64_t *d = (uint64_t *)(void *)t;
		size_t n = offsetof(struct shard, next) / sizeof(ctr);
		_Static_assert(sizeof(struct totals) == offsetof(struct shard, next) / sizeof(ctr) * sizeof(uint64_t),
			       "struct totals mirrors struct shard");
		for (size_t i = 0; i < n; i++)
			d[i] += atomic_load_explicit(&c[i], memory_order_relaxed);
	}
	pthread_mutex_unlock(&reg_mu);
}

static void render_requests(struct buf *b, const struct totals *t)
{
	char e1[64], e2[16];

	putf(b, "# HELP m2msec_requests_total Requests answered, by operation and Response Status Code "
		"(TS-0004 6.6.3).\n# TYPE m2msec_requests_total counter\n");
	for (size_t o = 0; o < NOPS; o++)
		for (size_t r = 0; r < NRSC; r++) {
			char code[16];
			if (t->req[o][r] == 0)
				continue;
			if (r < NRSC - 1)
				snprintf(code, sizeof(code), "%d", rsc_codes[r]);
			else
				snprintf(code, sizeof(code), "other");
			putf(b, "m2msec_requests_total{op=\"%s\",rsc=\"%s\"} %llu\n", lv(op_names[o], e1, sizeof(e1)),
			     lv(code, e2, sizeof(e2)), (unsigned long long)t->req[o][r]);
		}
	putf(b, "# HELP m2msec_request_duration_seconds Time from a request's arrival to its answer, by "
		"operation.\n# TYPE m2msec_request_duration_seconds histogram\n");
	for (size_t o = 0; o < NOPS; o++) {
		uint64_t cum = 0;
		for (size_t k = 0; k <= NBUCKETS; k++)
			cum += t->hist[o][k];
		if (cum == 0)
			continue;
		cum = 0;
		for (size_t k = 0; k <= NBUCKETS; k++) {
			cum += t->hist[o][k];
			if (k < NBUCKETS)
				putf(b, "m2msec_request_duration_seconds_bucket{op=\"%s\",le=\"%g\"} %llu\n",
				     lv(op_names[o], e1, sizeof(e1)), m2mi_metrics_buckets[k], (unsigned long long)cum);
			else
				putf(b, "m2msec_request_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n",
				     lv(op_names[o], e1, sizeof(e1)), (unsigned long long)cum);
		}
		putf(b, "m2msec_request_duration_seconds_sum{op=\"%s\"} %.6f\n", lv(op_names[o], e1, sizeof(e1)),
		     (double)t->hist_sum_us[o] / 1e6);
		putf(b, "m2msec_request_duration_seconds_count{op=\"%s\"} %llu\n", lv(op_names[o], e1, sizeof(e1)),
		     (unsigned long long)cum);
	}
}

static void render_pairs(struct buf *b, const char *name, const char *help, const char *l1,
			 const char *const *v1, size_t n1, const char *l2, const char *const *v2, size_t n2,
			 const uint64_t *vals)
{
	char e1[64], e2[64];

	putf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < n1; i++)
		for (size_t j = 0; j < n2; j++) {
			if (l2 != NULL)
				putf(b, "%s{%s=\"%s\",%s=\"%s\"} %llu\n", name, l1, lv(v1[i], e1, sizeof(e1)), l2,
				     lv(v2[j], e2, sizeof(e2)), (unsigned long long)vals[i * n2 + j]);
			else
				putf(b, "%s{%s=\"%s\"} %llu\n", name, l1, lv(v1[i], e1, sizeof(e1)),
				     (unsigned long long)vals[i]);
		}
}

m2m_err m2mi_metrics_render(char **out, size_t *len)
{
	static const char *const ok_failed[] = {"ok", "failed"}, *const ok_refused[] = {"ok", "refused"};
	static const char *const hit_miss[] = {"hit", "miss"};
	struct totals *t;
	struct buf b = {NULL, 0, 0, false};

	if (out == NULL || len == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	*len = 0;
	if ((t = malloc(sizeof(*t))) == NULL || (b.p = malloc(b.cap = 8192)) == NULL) {
		free(t);
		return M2M_E_NOMEM;
	}
	b.p[0] = '\0';
	sum_all(t);
	render_requests(&b, t);
	{ /* outcome-major: hs[outcome][kind] */
		char e1[16], e2[16];
		putf(&b, "# HELP m2msec_tls_handshakes_total TLS and DTLS handshakes, by outcome and kind of security "
			 "association (TS-0003 8.2).\n# TYPE m2msec_tls_handshakes_total counter\n");
		for (size_t o = 0; o < M2MI_HS_OUTCOMES; o++)
			for (size_t k = 0; k < M2MI_HS_KINDS; k++)
				putf(&b, "m2msec_tls_handshakes_total{outcome=\"%s\",sa_kind=\"%s\"} %llu\n",
				     lv(hs_outcomes[o], e1, sizeof(e1)), lv(hs_kinds[k], e2, sizeof(e2)),
				     (unsigned long long)t->hs[o][k]);
	}
	render_pairs(&b, "m2msec_enrolments_total", "MEF enrolments answered (TS-0003 8.3), by outcome.", "outcome",
		     ok_refused, 2, NULL, NULL, 1, t->enrol);
	render_pairs(&b, "m2msec_link_fetches_total",
		     "Fetches from another service (mef, maf: a key; das: a dynamic authorization), by link and outcome.",
		     "link",
		     links, M2MI_LINKS, "outcome", ok_failed, 2, &t->fetch[0][0]);
	render_pairs(&b, "m2msec_cache_lookups_total", "Cache lookups, by cache and result.", "cache", caches,
		     M2MI_CACHES, "result", hit_miss, 2, &t->cache[0][0]);
	render_pairs(&b, "m2msec_store_errors_total", "Store operations failed by the storage, by condition.",
		     "condition", stores,
		     M2MI_STORES, NULL, NULL, 1, t->store);
	free(t);
	if (b.oom) {
		free(b.p);
		return M2M_E_NOMEM;
	}
	*out = b.p;
	*len = b.len;
	return M2M_OK;
}
