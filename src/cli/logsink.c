/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the JSON-lines log sink of the m2msec executable: every m2m_log event
 * becomes one JSON object on one line, written with a single write(2) so lines from several
 * event-loop threads never interleave. Values are escaped; the library never hands key material
 * to the log (docs/style.md #7).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/logsink.h"

static int sink_fd = 2;

static const char *level_name(m2m_log_level l)
{
	switch (l) {
	case M2M_LOG_DEBUG: return "debug";
	case M2M_LOG_INFO: return "info";
	case M2M_LOG_WARN: return "warn";
	default: return "error";
	}
}

struct line {
	char buf[2048];
	size_t n;
};

static void put_raw(struct line *l, const char *s)
{
	size_t k = strlen(s);
	if (l->n + k >= sizeof(l->buf) - 2)
		k = sizeof(l->buf) - 2 - l->n;
	memcpy(l->buf + l->n, s, k);
	l->n += k;
}

static void put_str(struct line *l, const char *key, const char *v)
{
	char esc[8];
	if (v == NULL)
		return;
	put_raw(l, ",\"");
	put_raw(l, key);
	put_raw(l, "\":\"");
	for (const unsigned char *p = (const unsigned char *)v; *p && l->n < sizeof(l->buf) - 16; p++) {
		if (*p == '"' || *p == '\\') {
			l->buf[l->n++] = '\\';
			l->buf[l->n++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put_raw(l, esc);
		} else {
			l->buf[l->n++] = (char)*p;
		}
	}
	put_raw(l, "\"");
}

static void put_num(struct line *l, const char *key, long long v)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ",\"%s\":%lld", key, v);
	put_raw(l, tmp);
}

static void json_sink(void *ctx, const m2m_log_event *ev)
{
	struct line l = {.n = 0};
	struct timespec ts;
	struct tm tm;
	char t[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	put_raw(&l, t);
	put_str(&l, "level", level_name(ev->level));
	put_str(&l, "func", ev->func);
	put_str(&l, "msg", ev->msg);
	put_str(&l, "rqi", ev->rqi);
	put_str(&l, "originator", ev->originator);
	put_str(&l, "op", ev->op);
	put_str(&l, "target", ev->target);
	if (ev->rsc != 0)
		put_num(&l, "rsc", ev->rsc);
	if (ev->latency_us >= 0)
		put_num(&l, "latency_us", ev->latency_us);
	if (ev->conn != 0)
		put_num(&l, "conn", (long long)ev->conn);
	put_raw(&l, "}");
	l.buf[l.n++] = '\n';
	while (write(sink_fd, l.buf, l.n) < 0 && errno == EINTR)
		;
}

m2m_err cli_logsink_install(const char *path, const char *level)
{
	m2m_log_level min = M2M_LOG_INFO;

	if (strcmp(level, "debug") == 0)
		min = M2M_LOG_DEBUG;
	else if (strcmp(level, "warn") == 0)
		min = M2M_LOG_WARN;
	else if (strcmp(level, "error") == 0)
		min = M2M_LOG_ERROR;
	if (path != NULL && path[0] != '\0') {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return M2M_E_IO;
		sink_fd = fd;
	}
	m2m_log_set_sink(json_sink, NULL, min);
	return M2M_OK;
}
