/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the logging sink indirection (docs/style.md #7): the library formats
 * nothing to a terminal; events go to the sink the executable installed, or nowhere.
 */
#include <stdarg.h>
#include <stdio.h>

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
