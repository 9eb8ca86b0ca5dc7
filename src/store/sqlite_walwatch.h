/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the commit watch of an SQLite database in WAL mode
 * (store/sqlite_walwatch.c): whether any connection, in any process, committed since a state
 * read by the caller, answered without a read transaction.
 */
#ifndef M2M_STORE_SQLITE_WALWATCH_H
#define M2M_STORE_SQLITE_WALWATCH_H

#include <stdbool.h>
#include <stdint.h>

#define M2MI_WAL_HDR_LEN 48

typedef struct m2mi_wal_watch {
	int fd;       /* the -shm file, read only; -1: the watch never answers "quiet" */
	bool armed;   /* hdr holds the header read before the caller's last read of the state */
	bool fresh;   /* seen holds the header of the last m2mi_wal_watch_quiet */
	uint8_t hdr[M2MI_WAL_HDR_LEN], seen[M2MI_WAL_HDR_LEN];
} m2mi_wal_watch;

/* Watch the database at db_path, which a connection of the caller holds open in journal_mode =
 * WAL (so its -shm exists and stays). Without the file the watch is inert, never wrong. */
void m2mi_wal_watch_open(m2mi_wal_watch *w, const char *db_path);
void m2mi_wal_watch_close(m2mi_wal_watch *w);
/* True when no commit happened since the header that m2mi_wal_watch_arm armed was read; the
 * caller's state read then still holds. False: read the state again, then arm. */
bool m2mi_wal_watch_quiet(m2mi_wal_watch *w);
/* The caller read the state (ok) after a false m2mi_wal_watch_quiet: arm with the header that call
 * read (before the state); a failed read (!ok) disarms. */
void m2mi_wal_watch_arm(m2mi_wal_watch *w, bool ok);

#endif
