/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the ESPrim Receiver's replay window
 * (esprim_replay.c, docs/procedures/e2e.md "Replay"): O(1) look-up and insertion, fixed memory,
 * fail closed (an object the window cannot prove fresh is refused). Thread-safe.
 */
#ifndef M2MSEC_CSE_ESPRIM_REPLAY_H
#define M2MSEC_CSE_ESPRIM_REPLAY_H

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

#endif
