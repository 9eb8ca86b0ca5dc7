/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the JSON-lines log sink of the m2msec executable: every m2m_log event
 * becomes one JSON object on one line. Values are escaped; the library never hands key material
 * to the log (docs/style.md #7).
 *
 * Logging must never fail a request or stall an event loop (issue 6: one line per request wrote
 * 367 MB in 30 s). A caller formats its line and copies it into a bounded in-memory buffer under a
 * mutex held for that copy only; one writer thread empties the buffer into the file, whole lines
 * at a time, so lines of several threads never interleave. When the buffer is full (the disk or
 * the reader behind a pipe is slower than the load) the line is dropped and counted, and the
 * writer reports the count as soon as it can write again. SIGHUP reopens the file (rotation:
 * move the file away, send SIGHUP, the next lines go to a new file at the configured path).
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/logsink.h"

#define RING_CAP (1u << 20)     /* bytes of lines waiting for the writer */
#define CHUNK 65536             /* bytes the writer takes per write(2) */
#define CLOSE_WAIT_S 3          /* at exit, the queued lines get this long to be written */
#define WAKE_GAP_MS 10          /* at most one wake-up of the writer per this many ms ... */
#define WAKE_MS 200             /* the writer looks at the reopen flag at least this often */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *ring;
	size_t head, len;       /* start and length of the queued bytes in ring */
	uint64_t dropped;       /* lines dropped since the last report */
	int64_t last_wake;      /* monotonic ms of the last wake-up of the writer */
	bool stop, running, requests;
	pthread_t tid;
	int fd;
	char path[4096];        /* "" = stderr, never reopened */
} sink = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .fd = 2, .requests = true};

static atomic_bool reopen_wanted;

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

static void enqueue(const char *line, size_t n)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&sink.mu);
	if (sink.len + n > RING_CAP) {
		sink.dropped++;
	} else {
		size_t at = (sink.head + sink.len) % RING_CAP, first = n < RING_CAP - at ? n : RING_CAP - at;
		memcpy(sink.ring + at, line, first);
		memcpy(sink.ring, line + first, n - first);
		/* A wake-up per line would cost the loops more than the line itself (a futex call and a
		 * context switch each: measured 24 us per request against 2-4 us). The writer waits only
		 * on an empty buffer and looks every WAKE_MS anyway: wake it for the first line after a
		 * quiet spell (so a line shows at once), and when the buffer is half full. */
		if ((sink.len == 0 && now - sink.last_wake >= WAKE_GAP_MS) ||
		    (sink.len < RING_CAP / 2 && sink.len + n >= RING_CAP / 2)) {
			sink.last_wake = now;
			pthread_cond_signal(&sink.cv);
		}
		sink.len += n;
	}
	pthread_mutex_unlock(&sink.mu);
}

static void json_sink(void *ctx, const m2m_log_event *ev)
{
	struct line l = {.n = 0};
	struct timespec ts;
	struct tm tm;
	char t[64];

	if (!sink.requests && ev->latency_us >= 0)
		return; /* log-requests = false: no per-request line */
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
	enqueue(l.buf, l.n);
}

void cli_logsink_fields(m2m_log_level level, const char *func, const char *msg, const struct cli_log_field *f,
			size_t n)
{
	struct line l = {.n = 0};
	struct timespec ts;
	struct tm tm;
	char t[64];

	if (!sink.running || !m2m_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	put_raw(&l, t);
	put_str(&l, "level", level_name(level));
	put_str(&l, "func", func);
	put_str(&l, "msg", msg);
	for (size_t i = 0; i < n; i++) {
		if (f[i].str != NULL)
			put_str(&l, f[i].key, f[i].str);
		else if (f[i].is_num)
			put_num(&l, f[i].key, f[i].num);
	}
	put_raw(&l, "}");
	l.buf[l.n++] = '\n';
	enqueue(l.buf, l.n);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* disk full, reader gone: these lines are lost, the service goes on */
		p += w;
		n -= (size_t)w;
	}
}

static void reopen(void)
{
	int fd;

	if (sink.path[0] == '\0')
		return;
	fd = open(sink.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return; /* keep writing to the old file rather than nowhere */
	close(sink.fd);
	sink.fd = fd;
}

static void *writer_main(void *arg)
{
	char *chunk = malloc(CHUNK);
	char note[160];

	bool busy = false;

	pthread_mutex_lock(&sink.mu);
	for (;;) {
		size_t n = 0;
		uint64_t dropped;
		bool stop;

		/* After writing, look again WAKE_GAP_MS later (the producers do not wake us within that
		 * gap); after a quiet spell, sleep until woken, or WAKE_MS for the reopen flag. */
		while (sink.len == 0 && !sink.stop && !atomic_load(&reopen_wanted)) {
			struct timespec ts;
			long ms = busy ? WAKE_GAP_MS : WAKE_MS;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (pthread_cond_timedwait(&sink.cv, &sink.mu, &ts) != 0)
				busy = false;
		}
		busy = true;
		/* whole lines only: the ring holds nothing but complete lines */
		if (chunk != NULL) {
			size_t want = sink.len < CHUNK ? sink.len : CHUNK;
			for (size_t i = 0; i < want; i++) {
				chunk[i] = sink.ring[(sink.head + i) % RING_CAP];
				if (chunk[i] == '\n')
					n = i + 1;
			}
			if (n == 0 && want == CHUNK) /* a line longer than a chunk cannot be: drop it */
				n = want;
			sink.head = (sink.head + n) % RING_CAP;
			sink.len -= n;
		}
		dropped = sink.dropped;
		sink.dropped = 0;
		stop = sink.stop && sink.len == 0;
		pthread_mutex_unlock(&sink.mu);
		if (atomic_exchange(&reopen_wanted, false))
			reopen();
		if (n > 0)
			write_all(sink.fd, chunk, n);
		if (dropped > 0) {
			int k = snprintf(note, sizeof(note),
					 "{\"level\":\"warn\",\"func\":\"logsink\",\"msg\":\"%llu log lines dropped: "
					 "the log could not keep up\"}\n", (unsigned long long)dropped);
			write_all(sink.fd, note, (size_t)k);
		}
		pthread_mutex_lock(&sink.mu);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&sink.mu);
	free(chunk);
	return NULL;
}

m2m_err cli_logsink_install(const char *path, const char *level, bool requests)
{
	m2m_log_level min = M2M_LOG_INFO;
	sigset_t all, old;
	int rc;

	if (strcmp(level, "debug") == 0)
		min = M2M_LOG_DEBUG;
	else if (strcmp(level, "warn") == 0)
		min = M2M_LOG_WARN;
	else if (strcmp(level, "error") == 0)
		min = M2M_LOG_ERROR;
	if (path != NULL && path[0] != '\0') {
		int fd;
		if (strlen(path) >= sizeof(sink.path))
			return M2M_E_TOO_LARGE;
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return M2M_E_IO;
		sink.fd = fd;
		snprintf(sink.path, sizeof(sink.path), "%s", path);
	}
	sink.requests = requests;
	if ((sink.ring = malloc(RING_CAP)) == NULL)
		return M2M_E_NOMEM;
	/* the writer takes no signal: SIGHUP and SIGTERM are for the main thread's handlers, and a
	 * closed pipe gives EPIPE instead of killing the process */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&sink.tid, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(sink.ring);
		sink.ring = NULL;
		return M2M_E_INTERNAL;
	}
	sink.running = true;
	m2m_log_set_sink(json_sink, NULL, min);
	return M2M_OK;
}

void cli_logsink_reopen(void)
{
	atomic_store(&reopen_wanted, true); /* async-signal-safe: the writer looks within WAKE_MS */
}

void cli_logsink_close(void)
{
	struct timespec ts;

	if (!sink.running)
		return;
	m2m_log_set_sink(NULL, NULL, M2M_LOG_ERROR);
	pthread_mutex_lock(&sink.mu);
	sink.stop = true;
	pthread_cond_signal(&sink.cv);
	pthread_mutex_unlock(&sink.mu);
	/* Bounded: a writer stuck on a stalled file or pipe must not keep the process from exiting;
	 * it is then left behind with its buffer (the process ends right after). */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += CLOSE_WAIT_S;
	if (pthread_timedjoin_np(sink.tid, NULL, &ts) != 0)
		return;
	sink.running = false;
	free(sink.ring);
	sink.ring = NULL;
	if (sink.fd != 2)
		close(sink.fd);
	sink.fd = 2;
}
