/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the exact lookup memo of one credential-store connection
 * (store/credstore_memo.c): the last records fetched, by folded identifier, each with its key
 * bytes in an m2m_key. The memo decides nothing and knows no database: its owner (the SQLite
 * backend) says when it is stale (m2mi_cred_memo_epoch) and clears it on its own writes.
 */
#ifndef M2M_STORE_CREDSTORE_MEMO_H
#define M2M_STORE_CREDSTORE_MEMO_H

#include <stdint.h>

#include "m2msec/credstore.h"
#include "m2msec/key.h"

/* Records a memo holds at most (the least recently used one makes room). */
#define M2MI_CRED_MEMO_SLOTS 32

typedef struct m2mi_cred_memo m2mi_cred_memo;

m2m_err m2mi_cred_memo_new(m2mi_cred_memo **out);
/* Frees every record (key bytes zeroized by m2m_key_free). NULL is a no-op. */
void m2mi_cred_memo_free(m2mi_cred_memo *m);
/* Forget every record (key bytes zeroized). */
void m2mi_cred_memo_clear(m2mi_cred_memo *m);
/* The owner's view of the database changed to epoch: when it differs from the epoch the records
 * were fetched under, all of them are forgotten. */
void m2mi_cred_memo_epoch(m2mi_cred_memo *m, int64_t epoch);
/* Copies of the record of fold: *info always, *key when key is not NULL (a record kept without
 * key bytes does not answer a request for them). M2M_E_NOT_FOUND on a miss. */
m2m_err m2mi_cred_memo_get(m2mi_cred_memo *m, const char *fold, m2m_cred_info **info, m2m_key **key);
/* Keep copies of info and key (NULL: no key bytes) as the record of fold. */
m2m_err m2mi_cred_memo_put(m2mi_cred_memo *m, const char *fold, const m2m_cred_info *info, const m2m_key *key);
/* The owner recorded now as the last use of id: a kept record of id follows (last_used = now). */
void m2mi_cred_memo_touched(m2mi_cred_memo *m, const char *id, int64_t now);
/* How many gets the memo answered since it was made (tests, diagnostics). */
uint64_t m2mi_cred_memo_hits(const m2mi_cred_memo *m);
/* Forget the record of the canonical id id (whatever its fold). */
void m2mi_cred_memo_drop_id(m2mi_cred_memo *m, const char *id);

#endif
