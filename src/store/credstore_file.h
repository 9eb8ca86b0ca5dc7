/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of store/credstore_file.c: the fail-closed file
 * rules of a file-backed credential store (docs/style.md #12, TS-0003 clause 6.3 secure
 * storage): created 0600 whatever the umask, refused when group/other-accessible, foreign-owned
 * or a symlink, and the same rules for the database's -wal/-shm/-journal companions.
 */
#ifndef M2M_STORE_CREDSTORE_FILE_H
#define M2M_STORE_CREDSTORE_FILE_H

#include <sys/stat.h>

#include "m2msec/err.h"

/* Create path (O_CREAT|O_EXCL|O_NOFOLLOW, then fchmod 0600); M2M_E_EXISTS if present. *st
 * identifies the new file. */
M2M_WUR m2m_err m2mi_credstore_file_create(const char *path, struct stat *st);
/*
 * Check an existing file without opening it (closing a descriptor of a database that another
 * handle of this process has open would drop that handle's POSIX locks): M2M_E_NOT_FOUND if
 * absent, M2M_E_IO if not a regular file (a symlink included), M2M_E_KEY_PERMS if any group/
 * other bit is set or the owner is not the effective user, likewise for each companion present.
 */
M2M_WUR m2m_err m2mi_credstore_file_check(const char *path, struct stat *st);
/* Remove path and its companions (cleanup after a failed create). */
void m2mi_credstore_file_remove(const char *path);

#endif
