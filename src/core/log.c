/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the logging sink indirection (docs/style.md #7): the library formats
 * nothing to a terminal; events go to the sink the executable installed, or nowhere.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "m2msec/log.h"

static m2m_log_sink_fn log_sink;
static void *log_ctx;
static m2m_log_level log_min = M2M_LOG_INFO;

void m2m_log_set_sink(m2m_log_sink_fn fn, void *ctx, m2m_log_level min_level)
{
	log_sink = fn;
	log_ctx = ctx;
	log_min = min_level;
}

bool m2m_log_enabled(m2m_log_level level)
{
	return log_sink != NULL && level >= log_min;
}

void m2m_log_event_emit(const m2m_log_event *ev)
{
	if (ev != NULL && m2m_log_enabled(ev->level))
		log_sink(log_ctx, ev);
}

void m2m_log_msg(m2m_log_level level, const char *func, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	m2m_log_event ev = {.level = level, .func = func, .msg = buf, .latency_us = -1};

	if (!m2m_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_sink(log_ctx, &ev);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void m2m_log_limited(m2m_log_limiter *rl, m2m_log_level level, const char *func, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int64_t now, next;
	uint32_t dropped;
	int n;

	if (rl == NULL || !m2m_log_enabled(level))
		return;
	now = mono_ms();
	next = atomic_load(&rl->next_ms);
	/* Exactly one thread wins the slot of this interval; the others only count. */
	if (now < next || !atomic_compare_exchange_strong(&rl->next_ms, &next, now + rl->interval_ms)) {
		atomic_fetch_add(&rl->suppressed, 1);
		return;
	}
	dropped = atomic_exchange(&rl->suppressed, 0);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (dropped > 0 && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, " (%u similar suppressed)", dropped);
	m2m_log_msg(level, func, "%s", buf);
}
