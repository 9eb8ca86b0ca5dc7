/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the enrolee's output files (docs/procedures/enrolee.md): KeID, Ke and
 * the Enrolment Target key (TS-0003 clause 10.3.7) as hex, and the EST certificate and its
 * device-generated key. Each file is written to a temporary file in the same directory with its
 * final mode, synced and renamed over the old one, so a crash leaves the old or the new file and
 * a secret is never readable by others, not even for a moment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrolee/enrolee_int.h"
#include "m2msec/mem.h"

m2m_err m2mi_enr_stage_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode,
			    char *tmp, size_t tmpcap)
{
	int fd;
	size_t off = 0;

	if (snprintf(tmp, tmpcap, "%s/.%s.XXXXXX", dir, name) >= (int)tmpcap)
		return M2M_E_TOO_LARGE;
	if ((fd = mkstemp(tmp)) < 0) /* created 0600 */
		return M2M_E_IO;
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return M2M_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	tmp[0] = '\0';
	return M2M_E_IO;
}

m2m_err m2mi_enr_commit_file(const char *tmp, const char *dir, const char *name)
{
	char dst[4096];
	int dfd;

	if (snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst) || rename(tmp, dst) != 0) {
		unlink(tmp);
		return M2M_E_IO;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) { /* the rename itself durable */
		(void)fsync(dfd);
		close(dfd);
	}
	return M2M_OK;
}

m2m_err m2mi_enr_write_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
	char tmp[4096];
	m2m_err r;

	if (strlen(dir) + strlen(name) + 2 >= sizeof(tmp))
		return M2M_E_TOO_LARGE;
	if ((r = m2mi_enr_stage_file(dir, name, data, len, mode, tmp, sizeof(tmp))) != M2M_OK)
		return r;
	return m2mi_enr_commit_file(tmp, dir, name);
}

/* dir exists as our own directory that nobody else may write, or is created 0700. */
m2m_err m2mi_enr_ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return M2M_E_IO;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return M2M_E_IO;
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return M2M_E_KEY_PERMS;
	return M2M_OK;
}

static m2m_err write_key_hex(const char *dir, const char *name, const m2m_key *k)
{
	char hex[2 * M2M_KEY_MAX + 2];
	size_t n;
	m2m_err r;

	if ((r = m2m_key_export_hex(k, hex, sizeof(hex) - 1)) != M2M_OK)
		return r;
	n = strlen(hex);
	hex[n++] = '\n';
	r = m2mi_enr_write_file(dir, name, hex, n, 0600);
	m2m_memzero(hex, sizeof(hex));
	return r;
}

m2m_err m2m_enrolee_write(const m2m_enrolee *e, const char *dir)
{
	const char *keid = m2m_enrolee_keid(e), *cert = m2m_enrolee_cert_pem(e), *kp = m2mi_enr_cert_key_pem(e);
	char line[400], mafs[8 * 256 + 8] = "";
	m2m_err r;

	if (keid == NULL || dir == NULL || m2m_enrolee_target_count(e) + m2m_enrolee_maf_count(e) == 0)
		return M2M_E_INVAL;
	for (size_t i = 0; i < m2m_enrolee_maf_count(e); i++) {
		size_t n = strlen(mafs);
		if (snprintf(mafs + n, sizeof(mafs) - n, "%s\n", m2m_enrolee_maf_id(e, i)) >= (int)(sizeof(mafs) - n))
			return M2M_E_RANGE;
	}
	if ((r = m2mi_enr_ensure_dir(dir)) != M2M_OK)
		return r;
	snprintf(line, sizeof(line), "%s\n", keid);
	/* Secrets first, the KeID last: a reader that sees the new keid sees the new keys. */
	if ((r = write_key_hex(dir, "ke", m2m_enrolee_ke(e))) != M2M_OK ||
	    (m2m_enrolee_target_count(e) > 0 &&
	     (r = write_key_hex(dir, "target.psk", m2m_enrolee_target_key(e, 0))) != M2M_OK) ||
	    (mafs[0] != '\0' && (r = m2mi_enr_write_file(dir, "mafids", mafs, strlen(mafs), 0644)) != M2M_OK))
		return r;
	if (cert != NULL && kp != NULL &&
	    ((r = m2mi_enr_write_file(dir, "cert.key", kp, strlen(kp), 0600)) != M2M_OK ||
	     (r = m2mi_enr_write_file(dir, "cert.pem", cert, strlen(cert), 0644)) != M2M_OK))
		return r;
	return m2mi_enr_write_file(dir, "keid", line, strlen(line), 0644);
}
