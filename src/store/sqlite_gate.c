/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the writer gate of the SQLite stores (store/sqlite_gate.h): one lock per
 * database file and process, found through a small registry keyed by device and inode (so two
 * paths naming the same file share it, and unrelated files never wait on each other).
 *
 * Why not SQLite's busy handler: with several worker threads writing one WAL file, the loser of
 * BEGIN IMMEDIATE gets SQLITE_BUSY and the busy handler sleeps in growing steps (1, 2, 5, 10 ...
 * 100 ms) however soon the lock is free again; under load some requests wait 100 ms and more.
 * Here a waiter sleeps on a condition variable and is woken when the holder leaves.
 *
 * Two modes, as in Go's sync.Mutex. Normal: a free gate goes to whoever asks first, a running
 * thread included (the leaver coming straight back for its next request), and the leaver wakes
 * the longest waiter to compete. A strict queue would instead reserve the gate for a sleeping
 * waiter until the scheduler runs it — on a loaded (virtual) machine that idle gap costs more
 * than the transaction itself (measured: a FIFO ticket lock lost a quarter of the CREATE
 * throughput). Starving: once a waiter has waited GATE_PATIENCE_US, the gate is handed from
 * holder to the queued waiters in arrival order, newcomers queue behind them, until the queue is
 * empty. So no waiter waits longer than the patience plus one transaction per waiter ahead.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "store/sqlite_gate.h"

#define GATE_PATIENCE_US 1000 /* a waiter waiting this long turns the gate to arrival order */

/* A thread waiting for the gate (on its own stack, linked while it waits). */
typedef struct gate_waiter {
	struct gate_waiter *next;
	int64_t since_us;
	bool granted; /* handed the gate by the leaver (starving mode) */
} gate_waiter;

struct m2mi_sqlite_gate {
	dev_t dev;
	ino_t ino;
	size_t refs;          /* guarded by reg_lock */
	m2mi_sqlite_gate *next;
	pthread_mutex_t mu;
	pthread_cond_t turn;
	bool busy;                 /* guarded by mu, as are the next four */
	bool starving;             /* arrival order until the queue is empty */
	gate_waiter *head, *tail;  /* waiters in arrival order */
	size_t nwait;
	int64_t patience_us;
	void *payload;             /* guarded by reg_lock; see m2mi_sqlite_gate_payload */
	void (*drop)(void *payload);
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static m2mi_sqlite_gate *reg_head;
static size_t reg_count;

m2m_err m2mi_sqlite_gate_get(dev_t dev, ino_t ino, m2mi_sqlite_gate **out)
{
	m2mi_sqlite_gate *g;
	m2m_err r = M2M_OK;

	*out = NULL;
	pthread_mutex_lock(&reg_lock);
	for (g = reg_head; g != NULL; g = g->next)
		if (g->dev == dev && g->ino == ino)
			break;
	if (g == NULL && (g = calloc(1, sizeof(*g))) != NULL) {
		if (pthread_mutex_init(&g->mu, NULL) != 0) {
			free(g);
			g = NULL;
		} else if (pthread_cond_init(&g->turn, NULL) != 0) {
			pthread_mutex_destroy(&g->mu);
			free(g);
			g = NULL;
		} else {
			g->dev = dev;
			g->ino = ino;
			g->patience_us = GATE_PATIENCE_US;
			g->next = reg_head;
			reg_head = g;
			reg_count++;
		}
	}
	if (g != NULL) {
		g->refs++;
		*out = g;
	} else {
		r = M2M_E_NOMEM;
	}
	pthread_mutex_unlock(&reg_lock);
	return r;
}

void m2mi_sqlite_gate_put(m2mi_sqlite_gate *g)
{
	m2mi_sqlite_gate **pp;

	if (g == NULL)
		return;
	pthread_mutex_lock(&reg_lock);
	if (--g->refs == 0) {
		for (pp = &reg_head; *pp != g; pp = &(*pp)->next)
			;
		*pp = g->next;
		reg_count--;
		if (g->payload != NULL)
			g->drop(g->payload);
		pthread_cond_destroy(&g->turn);
		pthread_mutex_destroy(&g->mu);
		free(g);
	}
	pthread_mutex_unlock(&reg_lock);
}

static int64_t mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void unlink_waiter(m2mi_sqlite_gate *g, gate_waiter *w)
{
	gate_waiter **pp = &g->head, *prev = NULL;

	for (; *pp != NULL && *pp != w; pp = &(*pp)->next)
		prev = *pp;
	if (*pp == NULL)
		return; /* already taken off by the leaver (granted) */
	*pp = w->next;
	if (g->tail == w)
		g->tail = prev;
	g->nwait--;
}

void m2mi_sqlite_gate_enter(m2mi_sqlite_gate *g)
{
	gate_waiter w = {0};

	pthread_mutex_lock(&g->mu);
	if (!g->busy && !g->starving) {
		g->busy = true;
		pthread_mutex_unlock(&g->mu);
		return;
	}
	w.since_us = mono_us();
	if (g->tail != NULL)
		g->tail->next = &w;
	else
		g->head = &w;
	g->tail = &w;
	g->nwait++;
	for (;;) {
		if (w.granted)
			break; /* handed over, busy stays set for us */
		if (!g->busy && (!g->starving || g->head == &w)) {
			g->busy = true; /* a free gate: anyone's in normal mode, the first waiter's when starving */
			unlink_waiter(g, &w);
			break;
		}
		pthread_cond_wait(&g->turn, &g->mu);
		if (!w.granted && !g->starving && mono_us() - w.since_us >= g->patience_us)
			g->starving = true; /* from the next leave on, arrival order */
	}
	pthread_mutex_unlock(&g->mu);
}

void m2mi_sqlite_gate_leave(m2mi_sqlite_gate *g)
{
	gate_waiter *w;

	pthread_mutex_lock(&g->mu);
	if (g->starving && (w = g->head) != NULL) {
		/* hand over: the gate stays busy, nobody can barge in between */
		g->head = w->next;
		if (g->head == NULL)
			g->tail = NULL;
		g->nwait--;
		w->granted = true;
		if (g->head == NULL)
			g->starving = false;
		pthread_cond_broadcast(&g->turn); /* the waiters are at most the worker threads */
	} else {
		g->busy = false;
		g->starving = false;
		if (g->head != NULL)
			pthread_cond_broadcast(&g->turn); /* let the queued compete; they check their patience */
	}
	pthread_mutex_unlock(&g->mu);
}

void m2mi_sqlite_gate_set_patience(m2mi_sqlite_gate *g, int64_t us)
{
	pthread_mutex_lock(&g->mu);
	g->patience_us = us;
	pthread_mutex_unlock(&g->mu);
}

m2m_err m2mi_sqlite_gate_payload(m2mi_sqlite_gate *g, m2m_err (*make)(void *arg, void **obj), void *arg,
				 void (*drop)(void *obj), void **out)
{
	m2m_err r = M2M_OK;

	/* under the registry lock: making it (opening a connection) is rare and must not race */
	pthread_mutex_lock(&reg_lock);
	if (g->payload == NULL && (r = make(arg, &g->payload)) == M2M_OK)
		g->drop = drop;
	else if (r != M2M_OK)
		g->payload = NULL;
	*out = g->payload;
	pthread_mutex_unlock(&reg_lock);
	return r;
}

size_t m2mi_sqlite_gate_queued(m2mi_sqlite_gate *g)
{
	size_t n;

	pthread_mutex_lock(&g->mu);
	n = g->nwait + (g->busy ? 1 : 0);
	pthread_mutex_unlock(&g->mu);
	return n;
}

size_t m2mi_sqlite_gate_count(void)
{
	size_t n;

	pthread_mutex_lock(&reg_lock);
	n = reg_count;
	pthread_mutex_unlock(&reg_lock);
	return n;
}
