/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2msec/file.h: reading a whole input file, with the credential file rule
 * of docs/style.md #12 (TS-0003 clause 6.3: keys and PSKs are kept protected) for secrets. The
 * file is opened with O_NONBLOCK so that a FIFO never blocks the open (it is refused after
 * fstat, like every non-regular file), and with O_NOFOLLOW for a secret, so a symlink cannot
 * point a service at somebody else's file. All checks run on the open descriptor (fstat), so
 * the file checked is the file read. A file that grows past its fstat size while being read is
 * refused rather than returned cut short; the buffer is wiped on every error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* The rules on the opened file: what it is, who owns it, how large it is. */
static m2m_err check(const struct stat *st, size_t max, bool secret)
{
	if (!S_ISREG(st->st_mode))
		return secret ? M2M_E_KEY_PERMS : M2M_E_IO;
	if (secret && ((st->st_mode & 077) != 0 || st->st_uid != geteuid()))
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
	if ((r = check(&st, max, secret)) != M2M_OK)
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
