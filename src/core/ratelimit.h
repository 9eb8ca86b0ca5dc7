/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of core/ratelimit.c: token buckets keyed by an opaque
 * byte string (a client identity, a source address), in a table of fixed size with
 * least-recently-used eviction, so that a peer with many identities or addresses cannot make it
 * grow. The clock is the caller's (milliseconds), so the module is tested without sleeping.
 */
#ifndef M2M_CORE_RATELIMIT_H
#define M2M_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

/* Longest key kept verbatim; longer keys are refused by m2mi_ratelimit_take (fail closed). */
#define M2MI_RATELIMIT_KEY_MAX 256

typedef struct m2mi_ratelimit m2mi_ratelimit;

/*
 * per_minute >= 1 requests per minute per key, with a burst of per_minute (a full bucket);
 * capacity >= 1 keys tracked at once (older ones are forgotten: a forgotten key starts again
 * with a full bucket). Thread-safe: one mutex, held for one lookup.
 */
M2M_WUR m2m_err m2mi_ratelimit_new(unsigned per_minute, size_t capacity, m2mi_ratelimit **out);
void m2mi_ratelimit_free(m2mi_ratelimit *rl);
/*
 * Take one token of key (len bytes, 1..M2MI_RATELIMIT_KEY_MAX) at now_ms (any monotonic
 * milliseconds; a clock going backwards refills nothing). true: allowed. false: over the limit
 * (or the key unusable); *retry_after_s (may be NULL) = whole seconds until a token is back, >= 1.
 */
bool m2mi_ratelimit_take(m2mi_ratelimit *rl, const void *key, size_t len, int64_t now_ms, int *retry_after_s);
/* Keys tracked now (tests). */
size_t m2mi_ratelimit_size(m2mi_ratelimit *rl);

#endif
