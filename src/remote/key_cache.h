/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the cache of keys fetched from a key service
 * (key_cache.c, used by remote_key.c): usage-constrained keys looked up by their identifier (a
 * KeID of the MEF, TS-0003 §8.3.2.1; a Key Identifier of the MAF, §8.8.2.8), each kept no longer
 * than its lifetime nor than mef-cache-seconds / maf-cache-seconds (so a revocation at the
 * service reaches the cache's owner within that bound, docs/procedures/mef.md, maf.md),
 * authoritative refusals cached negatively for a short time, one fetch in flight per identifier
 * (concurrent handshakes for the same one wait on it), a bounded number of fetches in flight and
 * a bounded number of entries with
 * least-recently-used eviction (an attacker presenting fresh KeIDs cannot grow memory).
 * Thread-safe; the clock is the caller's (unix seconds), so tests inject it.
 */
#ifndef M2MSEC_REMOTE_KEY_CACHE_H
#define M2MSEC_REMOTE_KEY_CACHE_H

#include "m2msec/common.h"
#include "m2msec/err.h"
#include "m2msec/key.h"
#include "m2msec/sa.h"

typedef struct m2mi_key_cache m2mi_key_cache;

typedef struct m2mi_key_cache_limits {
	size_t entries;     /* entries kept (positive, negative and pending), >= 1 */
	size_t fetches;     /* fetches in flight at once (pending entries), >= 1 */
	int cache_seconds;  /* longest a key is kept (mef-/maf-cache-seconds); 0 = never kept */
	int negative_seconds; /* how long an authoritative refusal is kept; 0 = never */
} m2mi_key_cache_limits;

typedef enum m2mi_kc_result {
	M2MI_KC_HIT,      /* *key (a copy, caller frees) and *sa filled */
	M2MI_KC_NEGATIVE, /* a cached refusal: *err */
	M2MI_KC_PENDING,  /* a fetch for this KeID is in flight: the waiter was queued on it */
	M2MI_KC_START,    /* no entry: a pending one was made with the waiter; the caller must start
			   * exactly one fetch and end it with m2mi_key_cache_complete */
	M2MI_KC_FULL,     /* fetch cap reached, or every entry is pending: fail closed */
} m2mi_kc_result;

/* Called once per waiter by m2mi_key_cache_complete, outside the cache lock: key is borrowed
 * (dup it to keep it), NULL on error. */
typedef void (*m2mi_kc_wake_fn)(void *arg, void *waiter, m2m_err err, const m2m_key *key, const m2m_sa *sa);

m2m_err m2mi_key_cache_new(const m2mi_key_cache_limits *lim, m2mi_key_cache **out);
/* Frees every entry; waiters still queued are woken with M2M_E_INTERNAL through wake (may be NULL). */
void m2mi_key_cache_free(m2mi_key_cache *c, m2mi_kc_wake_fn wake, void *arg);
/* Look up keid at now (see m2mi_kc_result). waiter NULL: answer only from the cache (a miss or
 * a pending fetch then gives M2MI_KC_FULL without starting anything). */
m2mi_kc_result m2mi_key_cache_get(m2mi_key_cache *c, const char *keid, int64_t now, void *waiter,
				   m2m_key **key, m2m_sa *sa, m2m_err *err);
/* End the fetch of keid. err M2M_OK: key (consumed) and sa (sa->expiry = the key's expiry from
 * the MEF's lifetime) are cached until min(sa->expiry, now + cache_seconds). M2M_E_NOT_FOUND, M2M_E_AUTH,
 * M2M_E_KEY_REVOKED or M2M_E_KEY_EXPIRED (the MEF's authoritative 4004/4103): cached for negative_seconds. Any other error
 * (timeout, MEF unreachable) is not cached: the next handshake asks again. Every waiter is woken. */
void m2mi_key_cache_complete(m2mi_key_cache *c, const char *keid, int64_t now, m2m_err err, m2m_key *key,
			      const m2m_sa *sa, m2mi_kc_wake_fn wake, void *arg);
/* Entries held (for tests and stats). */
size_t m2mi_key_cache_size(m2mi_key_cache *c);
/* Drop every entry that is not pending (a profile change, a revocation pushed by the operator). */
void m2mi_key_cache_flush(m2mi_key_cache *c);

#endif
