/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of store/credstore_sqlite.c beyond its backend
 * operations (store/credstore_backend.h): introspection of the connection of an open backend
 * handle, so tests and diagnostics can see the settings actually in effect (TS-0003 clause 6.3
 * secure storage: credentials are always written with synchronous=FULL).
 */
#ifndef M2M_STORE_CREDSTORE_SQLITE_H
#define M2M_STORE_CREDSTORE_SQLITE_H

#include <stdint.h>

#include "m2msec/err.h"

/* PRAGMA synchronous in effect on the connection of be (an m2mi_credstore_sqlite_ops handle):
 * 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
M2M_WUR m2m_err m2mi_credstore_sqlite_sync_level(void *be, int64_t *level);
/* How many fetches of be the lookup memo answered (store/credstore_memo.h) and how many times be
 * ran PRAGMA data_version: tests show a memo was warm when an other connection's write had to be
 * seen, and that the WAL-index header spared the read while nothing was committed. */
void m2mi_credstore_sqlite_memo_stats(void *be, uint64_t *hits, uint64_t *version_reads);

#endif
