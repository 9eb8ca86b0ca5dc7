/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the interface of the executable's JSON-lines log sink (src/cli/logsink.c). */
#ifndef M2M_CLI_LOGSINK_H
#define M2M_CLI_LOGSINK_H

#include "m2msec/log.h"
#include "m2msec/err.h"

/* Install the JSON-lines sink and start its writer thread: path NULL/"" = stderr; level
 * "debug"|"info"|"warn"|"error"; requests false drops the per-request lines (events with a
 * latency). */
m2m_err cli_logsink_install(const char *path, const char *level, bool requests);
/* One extra field of a structured line: a string (str not NULL) or a number (is_num). */
struct cli_log_field {
	const char *key;
	const char *str;
	long long num;
	bool is_num;
};
/* One JSON line with ts/level/func/msg and the given fields (NULL strings omitted), when the sink
 * is installed and level is enabled (e.g. the MEF audit lines). Never pass a key. */
void cli_logsink_fields(m2m_log_level level, const char *func, const char *msg, const struct cli_log_field *f,
			size_t n);
/* Reopen the log file at its path (log rotation); async-signal-safe, done by the writer. */
void cli_logsink_reopen(void);
/* Write what is queued, stop the writer, close the file; the sink is removed. */
void cli_logsink_close(void);

#endif
