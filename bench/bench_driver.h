/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the two run shapes the load clients under bench/ share, so that every
 * transport is measured the same way and only its session code differs:
 *  - bench_handshakes: THREADS threads each open and close sessions back to back for SECONDS;
 *    prints "handshakes_per_s=... handshakes=... seconds=... threads=...".
 *  - bench_load: CONNS sessions (one thread each) are opened first, then released together;
 *    each thread runs requests until the shared deadline, recording one latency sample per
 *    answer; the samples of all sessions are merged into p50/p99.
 * A program's load worker embeds struct bench_worker as its FIRST member. Header only, like
 * bench_common.h: each client is one executable built from one .c file.
 */
#ifndef M2M_BENCH_DRIVER_H
#define M2M_BENCH_DRIVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <openssl/ssl.h>

#include "bench_common.h"

/* ---- handshakes ---------------------------------------------------------------------------------- */

struct bench_hs_worker {
	pthread_t th;
	SSL_CTX *ctx;
	SSL *(*open)(SSL_CTX *ctx);
	void (*close)(SSL *ssl);
	double deadline;
	long count;
	int failed;
};

static inline void *bench_hs_run(void *arg)
{
	struct bench_hs_worker *w = arg;

	for (SSL *ssl; bench_now() < w->deadline; w->count++) {
		if ((ssl = w->open(w->ctx)) == NULL) {
			w->failed = 1;
			break;
		}
		w->close(ssl);
	}
	return NULL;
}

/* Full handshakes per second over threads threads; 0, or 1 when a handshake failed. */
static inline int bench_handshakes(const char *prog, SSL_CTX *ctx, int threads, double seconds,
				   SSL *(*open)(SSL_CTX *ctx), void (*close)(SSL *ssl))
{
	struct bench_hs_worker *w = calloc((size_t)threads, sizeof(*w));
	double t0 = bench_now(), dt;
	long total = 0;
	int failed = 0, started = 0;

	if (w == NULL)
		return 1;
	for (; started < threads; started++) {
		w[started] = (struct bench_hs_worker){.ctx = ctx, .open = open, .close = close, .deadline = t0 + seconds};
		if (pthread_create(&w[started].th, NULL, bench_hs_run, &w[started]) != 0) {
			fprintf(stderr, "%s: pthread_create failed\n", prog);
			failed = 1;
			break;
		}
	}
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].count;
		failed |= w[i].failed;
	}
	dt = bench_now() - t0;
	if (!failed)
		printf("handshakes_per_s=%.0f handshakes=%ld seconds=%.2f threads=%d\n", (double)total / dt, total, dt,
		       threads);
	free(w);
	return failed;
}

/* ---- load ---------------------------------------------------------------------------------------- */

struct bench_worker {
	pthread_t th;
	int idx;
	pthread_barrier_t *start;
	const double *deadline; /* set between the two start barriers */
	uint32_t *lat;          /* microseconds per answered request */
	size_t n, cap;
	long errors;
	int fatal;
};

struct bench_load_result {
	size_t requests;
	long errors;
	int fatal;
	double seconds;
	uint32_t p50_us, p99_us;
};

/* In the worker thread, after opening its session (w->fatal set on failure): wait until every
 * session is up and the deadline is set. */
static inline void bench_worker_ready(struct bench_worker *w)
{
	pthread_barrier_wait(w->start);
	pthread_barrier_wait(w->start);
}

static inline bool bench_worker_running(const struct bench_worker *w)
{
	return !w->fatal && bench_now() < *w->deadline;
}

/* One latency sample in seconds; -1 when out of memory (the worker should stop). */
static inline int bench_worker_sample(struct bench_worker *w, double dt)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 65536;
		uint32_t *p = realloc(w->lat, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		w->lat = p;
		w->cap = cap;
	}
	w->lat[w->n++] = (uint32_t)(dt * 1e6 + 0.5);
	return 0;
}

/*
 * Run conns workers (an array of stride-byte elements, each starting with a zeroed struct
 * bench_worker; the caller fills the rest) with run for seconds. After the return the sessions
 * are still the caller's to close; the latency samples are merged into res and freed.
 * 0, or -1 when the run could not be set up.
 */
static inline int bench_load(const char *prog, void *workers, size_t stride, int conns, double seconds,
			     void *(*run)(void *), struct bench_load_result *res)
{
	pthread_barrier_t start;
	double deadline = 0, t0;
	uint32_t *all = NULL;
	size_t k = 0;

	memset(res, 0, sizeof(*res));
	if (pthread_barrier_init(&start, NULL, (unsigned)conns + 1) != 0)
		return -1;
	for (int i = 0; i < conns; i++) {
		struct bench_worker *w = (struct bench_worker *)((char *)workers + (size_t)i * stride);
		w->idx = i;
		w->start = &start;
		w->deadline = &deadline;
		if (pthread_create(&w->th, NULL, run, w) != 0) {
			fprintf(stderr, "%s: pthread_create failed\n", prog);
			exit(1); /* started threads wait at the barrier forever: nothing to unwind */
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now();
	deadline = t0 + seconds;
	pthread_barrier_wait(&start);
	for (int i = 0; i < conns; i++) {
		struct bench_worker *w = (struct bench_worker *)((char *)workers + (size_t)i * stride);
		pthread_join(w->th, NULL);
		res->requests += w->n;
		res->errors += w->errors;
		res->fatal |= w->fatal;
	}
	res->seconds = bench_now() - t0;
	pthread_barrier_destroy(&start);
	if (res->requests > 0 && (all = malloc(res->requests * sizeof(*all))) == NULL)
		return -1;
	for (int i = 0; i < conns; i++) {
		struct bench_worker *w = (struct bench_worker *)((char *)workers + (size_t)i * stride);
		if (w->n)
			memcpy(all + k, w->lat, w->n * sizeof(*all));
		k += w->n;
		free(w->lat);
		w->lat = NULL;
	}
	if (res->requests > 0) {
		qsort(all, res->requests, sizeof(*all), bench_cmp_u32);
		res->p50_us = all[(res->requests - 1) / 2];
		res->p99_us = all[(size_t)((double)(res->requests - 1) * 0.99)];
	}
	free(all);
	return 0;
}

#endif
