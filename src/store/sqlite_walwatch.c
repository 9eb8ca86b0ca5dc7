/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the commit watch of an SQLite database in WAL mode: the WAL-index header,
 * the first 48 bytes of the -shm file (https://www.sqlite.org/walformat.html section 2.1, "The
 * WAL-Index Header", its first copy). SQLite rewrites it on every commit of every connection, in
 * any process, before that COMMIT returns: iChange counts transactions, mxFrame and the salts move
 * with the log. So bytes equal to those read just before the caller last read its state mean that
 * no commit has happened since. One pread instead of a read transaction (two advisory locks,
 * their release and a statement: the largest part of a memoised credential look-up, measured in
 * docs/benchmarks.md "bench/e2e"). A torn read of a header being rewritten differs and takes the
 * slow path: only ever a false "changed", never a false "unchanged". The -shm file stays the one
 * SQLite uses while the caller's connection is open: in WAL mode a connection keeps its SHARED
 * lock on the database file between transactions, and SQLite removes the -wal and -shm files only
 * on a close that obtains the EXCLUSIVE lock, i.e. the last connection's
 * (tests/unit/test_sqlite_walwatch.c: another process opens, commits and closes; still seen).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_walwatch.h"

void m2mi_wal_watch_open(m2mi_wal_watch *w, const char *db_path)
{
	char shm[4096];

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (snprintf(shm, sizeof(shm), "%s-shm", db_path) < (int)sizeof(shm))
		w->fd = open(shm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

void m2mi_wal_watch_close(m2mi_wal_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->armed = w->fresh = false;
}

bool m2mi_wal_watch_quiet(m2mi_wal_watch *w)
{
	w->fresh = w->fd >= 0 && pread(w->fd, w->seen, M2MI_WAL_HDR_LEN, 0) == M2MI_WAL_HDR_LEN;
	return w->fresh && w->armed && memcmp(w->seen, w->hdr, M2MI_WAL_HDR_LEN) == 0;
}

void m2mi_wal_watch_arm(m2mi_wal_watch *w, bool ok)
{
	/* the header read BEFORE the state: a commit in between makes the next check ask again */
	w->armed = ok && w->fresh;
	if (w->armed)
		memcpy(w->hdr, w->seen, M2MI_WAL_HDR_LEN);
}
