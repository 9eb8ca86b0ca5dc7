/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2msec/file.h: reading a whole input file, with the credential file rule
 * of docs/style.md #12 (TS-0003 clause 6.3: keys and PSKs are kept protected) for secrets. The
 * file is opened with O_NONBLOCK so that a FIFO never blocks the open (it is refused after
 * fstat, like every non-regular file), and with O_NOFOLLOW for a secret, so a symlink cannot
 * point a service at somebody else's file. All checks run on the open descriptor (fstat), so
 * the file checked is the file read. A file that grows past its fstat size while being read is
 * refused rather than returned cut short; the buffer is wiped on every error. A secret that
 * systemd's LoadCredential= placed in $CREDENTIALS_DIRECTORY may be root-owned and readable by
 * the service's user through an ACL (docs/operations.md "Units"): there, root or us and no
 * permission for others.
 */
#define _GNU_SOURCE /* secure_getenv */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2msec/file.h"
#include "m2msec/mem.h"

static m2m_err open_err(int e, bool secret)
{
	if (e == ENOENT)
		return M2M_E_NOT_FOUND;
	if (e == ELOOP && secret) /* O_NOFOLLOW met a symlink */
		return M2M_E_KEY_PERMS;
	return M2M_E_IO;
}

/* True for a file directly in $CREDENTIALS_DIRECTORY (no subdirectory, no dot name) when that
 * directory is closed to others and owned by root or us, as systemd makes it. */
static bool in_credentials_dir(const char *path)
{
	const char *dir = secure_getenv("CREDENTIALS_DIRECTORY");
	struct stat ds;
	size_t n;

	if (dir == NULL || dir[0] != '/')
		return false;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (strncmp(path, dir, n) != 0 || path[n] != '/' || path[n + 1] == '\0' || path[n + 1] == '.' ||
	    strchr(path + n + 1, '/') != NULL)
		return false;
	return stat(dir, &ds) == 0 && S_ISDIR(ds.st_mode) && (ds.st_mode & 007) == 0 &&
	       (ds.st_uid == 0 || ds.st_uid == geteuid());
}

/* The rules on the opened file: what it is, who owns it, how large it is. */
static m2m_err check(const struct stat *st, size_t max, bool secret, bool credential)
{
	if (!S_ISREG(st->st_mode))
		return secret ? M2M_E_KEY_PERMS : M2M_E_IO;
	if (secret && !credential && ((st->st_mode & 077) != 0 || st->st_uid != geteuid()))
		return M2M_E_KEY_PERMS;
	if (secret && credential && ((st->st_mode & 007) != 0 || (st->st_uid != geteuid() && st->st_uid != 0)))
		return M2M_E_KEY_PERMS;
	if (st->st_size < 0 || (uintmax_t)st->st_size > max || (uintmax_t)st->st_size >= SIZE_MAX)
		return M2M_E_TOO_LARGE;
	return M2M_OK;
}

/* Read exactly up to cap - 1 bytes (fewer if the file shrank); *n gets the count. */
static m2m_err read_all(int fd, char *buf, size_t cap, size_t *n)
{
	ssize_t got;
	char extra;

	*n = 0;
	while (*n + 1 < cap) {
		got = read(fd, buf + *n, cap - 1 - *n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return M2M_E_IO;
		if (got == 0)
			return M2M_OK;
		*n += (size_t)got;
	}
	do /* at the fstat size: anything more means the file grew while being read */
		got = read(fd, &extra, 1);
	while (got < 0 && errno == EINTR);
	return got == 0 ? M2M_OK : M2M_E_IO;
}

m2m_err m2m_file_read(const char *path, size_t max, unsigned flags, char **out, size_t *outlen)
{
	bool secret = (flags & M2M_FILE_SECRET) != 0;
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	m2m_err r;
	int fd;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (path == NULL || path[0] == '\0' || out == NULL || outlen == NULL || (flags & ~M2M_FILE_SECRET) != 0)
		return M2M_E_INVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (secret ? O_NOFOLLOW : 0));
	if (fd < 0)
		return open_err(errno, secret);
	if (fstat(fd, &st) != 0) {
		r = M2M_E_IO;
		goto out;
	}
	if ((r = check(&st, max, secret, secret && in_credentials_dir(path))) != M2M_OK)
		goto out;
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	if ((r = read_all(fd, buf, cap, &n)) != M2M_OK)
		goto out;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
out:
	m2m_freezero(buf, cap);
	close(fd);
	return r;
}
