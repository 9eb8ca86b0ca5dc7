/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of store/sqlite_gate.c: the writer gate of a
 * SQLite file inside this process. Every connection of the process to the same file (same
 * device and inode) shares one gate; a writer takes it before BEGIN IMMEDIATE and gives it back
 * after COMMIT/ROLLBACK, so writers of this process queue on the gate in arrival order instead
 * of polling SQLite's write lock through the sleeping busy handler. Readers (WAL snapshots)
 * never touch it. Writers of other processes still meet the busy timeout (docs/architecture.md
 * "Write path").
 */
#ifndef M2M_STORE_SQLITE_GATE_H
#define M2M_STORE_SQLITE_GATE_H

#include <sys/types.h>

#include "m2msec/err.h"

typedef struct m2mi_sqlite_gate m2mi_sqlite_gate;

/* The gate of the file (dev, ino), created on first use; one reference per call, released with
 * m2mi_sqlite_gate_put. M2M_E_NOMEM. */
M2M_WUR m2m_err m2mi_sqlite_gate_get(dev_t dev, ino_t ino, m2mi_sqlite_gate **out);
/* Drop one reference; the last one frees the gate. NULL is a no-op. */
void m2mi_sqlite_gate_put(m2mi_sqlite_gate *g);
/* Wait for the gate and hold it: a free gate goes to whoever asks; a waiter that has waited
 * longer than the patience turns it to arrival order. Not recursive: a thread holding the gate
 * must not enter it again. */
void m2mi_sqlite_gate_enter(m2mi_sqlite_gate *g);
/* Hand the gate to the next waiter. */
void m2mi_sqlite_gate_leave(m2mi_sqlite_gate *g);
/* The object that goes with the gate (for the resource store: the process's write connection
 * to the file): made by make(arg, &obj) on the first call, the same object afterwards, dropped
 * with drop(obj) when the last reference to the gate goes. *out is only to be used by the holder
 * of the gate. Errors of make are returned (and nothing is attached). */
M2M_WUR m2m_err m2mi_sqlite_gate_payload(m2mi_sqlite_gate *g, m2m_err (*make)(void *arg, void **obj), void *arg,
					 void (*drop)(void *obj), void **out);
/* How long a waiter waits before the gate turns to strict arrival order (default 1000 us; 0
 * makes it strict at once, for tests). */
void m2mi_sqlite_gate_set_patience(m2mi_sqlite_gate *g, int64_t us);
/* The holder (if any) plus the waiters (for tests). */
size_t m2mi_sqlite_gate_queued(m2mi_sqlite_gate *g);
/* Number of live gates in the process (for tests). */
size_t m2mi_sqlite_gate_count(void);

#endif
