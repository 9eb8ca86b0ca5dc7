/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the file rules of the file-backed credential store (TS-0003 clause 6.3
 * secure storage of credentials; docs/style.md #12 "credential files fail closed"): the store is
 * created with mode 0600 regardless of the umask and without following symlinks, and an
 * existing store, or any of its -wal/-shm/-journal companions, is refused when it is not a
 * regular file, has a group/other permission bit, or belongs to another user.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "store/credstore_file.h"

static const char *const companions[] = {"-wal", "-shm", "-journal"};

static m2m_err check_stat(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return M2M_E_IO;
	if ((st->st_mode & 077) != 0 || st->st_uid != geteuid())
		return M2M_E_KEY_PERMS;
	return M2M_OK;
}

m2m_err m2mi_credstore_file_create(const char *path, struct stat *st)
{
	m2m_err r = M2M_OK;
	int fd;

	if (path == NULL || st == NULL)
		return M2M_E_INVAL;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? M2M_E_EXISTS : M2M_E_IO;
	if (fchmod(fd, 0600) != 0 || fstat(fd, st) != 0)
		r = M2M_E_IO;
	close(fd); /* brand new: nobody holds a lock on it yet */
	if (r != M2M_OK)
		unlink(path);
	return r;
}

m2m_err m2mi_credstore_file_check(const char *path, struct stat *st)
{
	char buf[4096];
	struct stat cst;
	m2m_err r;

	if (path == NULL || st == NULL)
		return M2M_E_INVAL;
	if (lstat(path, st) != 0)
		return errno == ENOENT ? M2M_E_NOT_FOUND : M2M_E_IO;
	if ((r = check_stat(st)) != M2M_OK)
		return r;
	for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
		int n = snprintf(buf, sizeof(buf), "%s%s", path, companions[i]);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return M2M_E_TOO_LARGE;
		if (lstat(buf, &cst) != 0) {
			if (errno == ENOENT)
				continue;
			return M2M_E_IO;
		}
		if ((r = check_stat(&cst)) != M2M_OK)
			return r;
	}
	return M2M_OK;
}

void m2mi_credstore_file_remove(const char *path)
{
	char buf[4096];

	if (path == NULL)
		return;
	unlink(path);
	for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
		int n = snprintf(buf, sizeof(buf), "%s%s", path, companions[i]);
		if (n > 0 && (size_t)n < sizeof(buf))
			unlink(buf);
	}
}
