/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the process-wide metrics registry (core/metrics.c,
 * docs/operations.md): fixed metric families with bounded label sets (operation, RSC, handshake
 * outcome and SA kind, link, cache, store), never an identity, a key id or a key. The hot path
 * adds to counters of the calling thread's own shard with relaxed atomics and takes no lock; the
 * scrape (m2mi_metrics_render, on the metrics listener's thread) sums every shard. Counting is
 * off until m2mi_metrics_enable(true) (a service with metrics-listen), so a service without it
 * pays one relaxed load per event. Not installed.
 */
#ifndef M2M_CORE_METRICS_H
#define M2M_CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

/* Handshake outcome and the kind of security association it established (or tried to). */
enum m2mi_hs_outcome { M2MI_HS_OK = 0, M2MI_HS_FAILED, M2MI_HS_OUTCOMES };
enum m2mi_hs_kind {
	M2MI_HS_UNKNOWN = 0, /* failed before the kind was known */
	M2MI_HS_NONE,        /* server-authenticated only: no client credential */
	M2MI_HS_CERT,        /* certificate-based SAEF (TS-0003 §8.2.2.2) */
	M2MI_HS_PSK,         /* a KpsaID that no resolver knew */
	M2MI_HS_PSK_FILE,    /* pre-provisioned Kpsa from psk-file (TS-0003 §8.2.2.1) */
	M2MI_HS_PSK_STORE,   /* pre-provisioned Kpsa from the credential store */
	M2MI_HS_PSK_MEF,     /* KeID: MEF-provisioned Kpsa (TS-0003 §8.3) */
	M2MI_HS_PSK_MAF,     /* KcID: MAF-established Kc (TS-0003 §8.8) */
	M2MI_HS_KINDS
};
/* Fetches over a link to another service: a key from the MEF (KeID) or the MAF (KcID), a
 * dynamic authorization from a DAS (TS-0003 §7.3.2.2). */
enum m2mi_link { M2MI_LINK_MEF = 0, M2MI_LINK_MAF, M2MI_LINK_DAS, M2MI_LINKS };
/* Caches with a hit/miss counter. */
enum m2mi_cache { M2MI_CACHE_PSK = 0, M2MI_CACHE_ACP, M2MI_CACHE_TOKEN, M2MI_CACHES };
/* Conditions of the storage itself that failed a store operation (disk full, read-only file,
 * I/O error, corruption); constraint refusals and contention are not errors of the store. */
enum m2mi_store { M2MI_STORE_FULL = 0, M2MI_STORE_READONLY, M2MI_STORE_IO, M2MI_STORE_CORRUPT, M2MI_STORES };

/* Turn counting on or off (process-wide; off at start). */
void m2mi_metrics_enable(bool on);
bool m2mi_metrics_enabled(void);
/* One answered request: op is the m2m_op (0 = none: refused before an operation was known),
 * rsc its Response Status Code, latency_us from the request's arrival to its answer. */
void m2mi_metrics_request(int op, int rsc, int64_t latency_us);
void m2mi_metrics_handshake(enum m2mi_hs_outcome outcome, enum m2mi_hs_kind kind);
/* One MEF enrolment (TS-0003 §8.3.2 Kpsa establishment) answered, successful or refused. */
void m2mi_metrics_enrolment(bool ok);
void m2mi_metrics_fetch(enum m2mi_link link, bool ok);
void m2mi_metrics_cache(enum m2mi_cache cache, bool hit);
void m2mi_metrics_store_error(enum m2mi_store store);

/* The Prometheus text exposition (format 0.0.4) of every family, summed over the shards, in a
 * heap buffer (*out NUL-terminated, free()). M2M_E_NOMEM. Safe while other threads count. */
m2m_err m2mi_metrics_render(char **out, size_t *len);
/* A label value escaped for the text format (backslash, double quote and line feed, as the
 * exposition format requires) into out (cap bytes, NUL-terminated); M2M_E_RANGE when it does
 * not fit. */
m2m_err m2mi_metrics_escape(const char *value, char *out, size_t cap);
/* Test hook: zero every shard (not for use while serving). */
void m2mi_metrics_reset(void);

/* The latency histogram's upper bounds (seconds), ascending; +Inf is implied. */
extern const double m2mi_metrics_buckets[];
extern const size_t m2mi_metrics_nbuckets;

#endif
