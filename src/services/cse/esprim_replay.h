/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the ESPrim Receiver's replay window
 * (esprim_replay.c, docs/procedures/e2e.md "Replay"): O(1) look-up and insertion, fixed memory,
 * fail closed (an object the window cannot prove fresh is refused). Thread-safe.
 */
#ifndef M2MSEC_CSE_ESPRIM_REPLAY_H
#define M2MSEC_CSE_ESPRIM_REPLAY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

typedef struct m2mi_replay m2mi_replay;

/* A window of the last `window` accepted inner requests and a banned set of at most `banned`
 * originator rand objects (both > 0); about 48 bytes per window entry, 32 per ban, plus the
 * indexes (8 and 8 bytes per entry). */
m2m_err m2mi_replay_new(size_t window, size_t banned, m2mi_replay **out);
void m2mi_replay_free(m2mi_replay *w);
/* The inner request rqi under originator rand object ori (expiring at oro_expiry) of key kid:
 * M2M_OK and remembered when new; M2M_E_EXISTS when the window holds it (a replay);
 * M2M_E_ESP_ORIG_RAND when the window can no longer prove it fresh (ori banned after one of its
 * entries was forgotten, or oro_expiry at or below the floor, or already expired). */
m2m_err m2mi_replay_check(m2mi_replay *w, const char *kid, const char *ori, int64_t oro_expiry, const char *rqi,
			  int64_t now);

/* The Receiver's mutexes (this window's, esprim_state.c's) guard a few comparisons or copies per
 * request, taken by every CSE thread: adaptive, so that a thread finding one held spins briefly
 * instead of sleeping in the kernel (a futex sleep and wake per contended request, measured in
 * docs/benchmarks.md "bench/e2e"). A default mutex outside glibc. */
static inline void m2mi_esp_mutex_init(pthread_mutex_t *mu)
{
	pthread_mutexattr_t at;

	if (pthread_mutexattr_init(&at) != 0) {
		pthread_mutex_init(mu, NULL);
		return;
	}
#ifdef __GLIBC__
	(void)pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
	pthread_mutex_init(mu, &at);
	pthread_mutexattr_destroy(&at);
}

#endif
