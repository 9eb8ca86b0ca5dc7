/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CA's credential files (TS-0003 clause 8.1.2.3: the Private Signing
 * Key "should remain protected"): a private key is read only from a regular file owned by the
 * caller with mode 0600 or stricter (m2m_file_read with M2M_FILE_SECRET), and PEM files are
 * written all or nothing. Each file is created under a temporary name with
 * open(O_CREAT|O_EXCL|O_NOFOLLOW, mode) — a key file is 0600 from its first byte — fsynced, and
 * hard-linked to its final name; link() refuses an existing name, so nothing is ever
 * overwritten, and a failure removes everything written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "m2msec/file.h"
#include "m2msec/hex.h"
#include "pki/pem_file.h"

m2m_err m2mi_pem_file_read(const char *path, bool secret, char **out, size_t *len)
{
	return m2m_file_read(path, M2MI_PEM_FILE_MAX, secret ? M2M_FILE_SECRET : 0, out, len);
}

static m2m_err write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return M2M_E_IO;
		p += w;
		n -= (size_t)w;
	}
	return M2M_OK;
}

/* Create tmp (a fresh random name next to path) with mode and write data to it. */
static m2m_err write_temp(const struct m2mi_pem_out *f, char *tmp, size_t cap)
{
	uint8_t rnd[8];
	char hex[2 * sizeof(rnd) + 1];
	size_t plen = strlen(f->path);
	m2m_err r;
	int fd;

	tmp[0] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return M2M_E_CRYPTO;
	if ((r = m2m_hex_encode(rnd, sizeof(rnd), false, hex, sizeof(hex))) != M2M_OK)
		return r;
	if (plen + 5 + strlen(hex) + 1 > cap)
		return M2M_E_RANGE;
	memcpy(tmp, f->path, plen);
	memcpy(tmp + plen, ".tmp-", 5);
	memcpy(tmp + plen + 5, hex, strlen(hex) + 1);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, f->mode);
	if (fd < 0) {
		tmp[0] = '\0';
		return errno == ENOENT ? M2M_E_NOT_FOUND : M2M_E_IO;
	}
	r = write_all(fd, f->data, f->len);
	if (r == M2M_OK && fsync(fd) != 0)
		r = M2M_E_IO;
	if (close(fd) != 0 && r == M2M_OK)
		r = M2M_E_IO;
	return r;
}

static void sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (slash == NULL) {
		dir[0] = '.';
		n = 1;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return;
		memcpy(dir, path, n);
	}
	dir[n] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd); /* best effort: the data itself was fsynced */
		close(fd);
	}
}

#define PEM_FILE_SET_MAX 4

m2m_err m2mi_pem_file_write(const struct m2mi_pem_out *files, size_t n)
{
	char tmp[PEM_FILE_SET_MAX][PATH_MAX];
	bool linked[PEM_FILE_SET_MAX] = {false};
	m2m_err r = M2M_OK;
	size_t i;

	if (files == NULL || n == 0 || n > PEM_FILE_SET_MAX)
		return M2M_E_INVAL;
	for (i = 0; i < n; i++) {
		tmp[i][0] = '\0';
		if (files[i].path == NULL || files[i].data == NULL)
			return M2M_E_INVAL;
	}
	for (i = 0; i < n && r == M2M_OK; i++)
		r = write_temp(&files[i], tmp[i], sizeof(tmp[i]));
	for (i = 0; i < n && r == M2M_OK; i++) {
		if (link(tmp[i], files[i].path) == 0)
			linked[i] = true;
		else
			r = errno == EEXIST ? M2M_E_EXISTS : M2M_E_IO;
	}
	for (i = 0; i < n; i++) {
		if (r != M2M_OK && linked[i])
			(void)unlink(files[i].path);
		if (tmp[i][0] != '\0')
			(void)unlink(tmp[i]);
	}
	if (r == M2M_OK)
		for (i = 0; i < n; i++)
			sync_parent(files[i].path);
	return r;
}
