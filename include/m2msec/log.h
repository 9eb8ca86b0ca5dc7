/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one logging sink of libm2msec (docs/style.md #7). Library code never
 * prints: it calls m2m_log()/m2m_log_request(), which forward to a sink installed by the
 * executable (the CLI writes one JSON object per line). With no sink installed, nothing is
 * written. Rules for callers: identify peers by AE-ID/CSE-ID/Credential-ID or connection number,
 * never by key material; never pass a key, PSK or token to a log call.
 */
#ifndef M2MSEC_LOG_H
#define M2MSEC_LOG_H

#include "m2msec/common.h"

typedef enum m2m_log_level { M2M_LOG_DEBUG = 0, M2M_LOG_INFO, M2M_LOG_WARN, M2M_LOG_ERROR } m2m_log_level;

/* One structured event. Strings may be NULL (omitted). latency_us < 0 = not a request. */
typedef struct m2m_log_event {
	m2m_log_level level;
	const char *func;       /* __func__ of the caller */
	const char *msg;        /* human text */
	const char *rqi;        /* request id */
	const char *originator; /* From / bound identity */
	const char *op;         /* CREATE, RETRIEVE, ... */
	const char *target;     /* To */
	int rsc;                /* 0 = none */
	int64_t latency_us;
	uint64_t conn;          /* connection number, 0 = none */
} m2m_log_event;

typedef void (*m2m_log_sink_fn)(void *ctx, const m2m_log_event *ev);

/* Install the process-wide sink (NULL removes it) and the minimum level. Not thread-safe: call
 * before starting threads. */
M2M_API void m2m_log_set_sink(m2m_log_sink_fn fn, void *ctx, m2m_log_level min_level);
M2M_API bool m2m_log_enabled(m2m_log_level level);
/* printf-style message event. */
M2M_API void m2m_log_msg(m2m_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define m2m_log(level, ...) m2m_log_msg((level), __func__, __VA_ARGS__)
/* A fully structured event (request lines). */
M2M_API void m2m_log_event_emit(const m2m_log_event *ev);

/*
 * Rate limit for a message that a peer (or a full disk, or a descriptor shortage) can repeat at
 * line rate: the first occurrence in every interval is written, the others are counted and the
 * count is appended to the next written one ("(N similar suppressed)"). One static limiter per
 * call site or condition, shared by every thread (lock-free). Documented value type.
 */
typedef struct m2m_log_limiter {
	_Atomic int64_t next_ms;     /* monotonic time from which the next line may be written */
	_Atomic uint32_t suppressed; /* occurrences dropped since the last written line */
	int interval_ms;
} m2m_log_limiter;
#define M2M_LOG_LIMITER_INIT(interval_ms) {0, 0, (interval_ms)}
/* m2m_log_msg through limiter rl. */
M2M_API void m2m_log_limited(m2m_log_limiter *rl, m2m_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define m2m_log_rl(rl, level, ...) m2m_log_limited((rl), (level), __func__, __VA_ARGS__)

#endif
