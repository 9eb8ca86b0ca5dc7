/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the writer gate of the SQLite stores (store/sqlite_gate.h): one ticket
 * lock per database file and process, found through a small registry keyed by device and inode
 * (so two paths naming the same file share it, and unrelated files never wait on each other).
 *
 * Why a ticket lock and not SQLite's busy handler: with several worker threads writing one WAL
 * file, the loser of BEGIN IMMEDIATE gets SQLITE_BUSY and the busy handler sleeps in growing
 * steps (1, 2, 5, 10 ... 100 ms), however soon the lock is free again; under load some requests
 * then wait hundreds of milliseconds. Here a waiter sleeps on a condition variable and is woken
 * the moment the holder leaves; tickets serve waiters in arrival order, so a waiter waits for at
 * most one write transaction per other worker ahead of it (no barging, no starvation).
 * Measured alternatives (docs/benchmarks.md): a plain mutex lets the leaver barge back in, so
 * the woken waiter usually finds it taken again (a wasted wake-up per transaction, no bound);
 * yielding for a while before blocking won nothing measurable and spends CPU.
 */
#include <pthread.h>
#include <stdlib.h>

#include "store/sqlite_gate.h"

struct m2mi_sqlite_gate {
	dev_t dev;
	ino_t ino;
	size_t refs;          /* guarded by reg_lock */
	m2mi_sqlite_gate *next;
	pthread_mutex_t mu;
	pthread_cond_t turn;
	unsigned long next_ticket; /* guarded by mu */
	unsigned long serving;
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

void m2mi_sqlite_gate_enter(m2mi_sqlite_gate *g)
{
	unsigned long mine;

	pthread_mutex_lock(&g->mu);
	mine = g->next_ticket++;
	while (mine != g->serving)
		pthread_cond_wait(&g->turn, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

void m2mi_sqlite_gate_leave(m2mi_sqlite_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->serving++;
	/* every waiter re-checks its ticket; waiters are at most the worker threads of the process */
	pthread_cond_broadcast(&g->turn);
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
	n = (size_t)(g->next_ticket - g->serving);
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
