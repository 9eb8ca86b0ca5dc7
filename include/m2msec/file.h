/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one reader of (secret) input files used by every layer: key files,
 * PSK tables, certificates, CSRs and configuration (TS-0003 clause 6.3 sensitive data handling;
 * docs/style.md #12 "credential files fail closed"). The whole file is read into a
 * NUL-terminated heap buffer. A FIFO, socket or device is refused without blocking; a secret
 * file must also be a regular file reached without a symlink, owned by the effective user and
 * carry no group/other permission bit.
 */
#ifndef M2MSEC_FILE_H
#define M2MSEC_FILE_H

#include "m2msec/err.h"

/* The file holds a secret: refuse a symlink, another owner or any group/other bit. */
#define M2M_FILE_SECRET 0x1u

/*
 * Read path (at most max bytes) into a new NUL-terminated buffer *out of length *outlen; both are
 * NULL/0 unless M2M_OK. Release it with m2m_freezero(*out, *outlen + 1) (free() is enough for a
 * file without M2M_FILE_SECRET). Errors: M2M_E_INVAL (NULL or empty path, unknown flag),
 * M2M_E_NOT_FOUND (no such file), M2M_E_KEY_PERMS (with M2M_FILE_SECRET: a symlink, not a regular
 * file, a group/other bit or another owner), M2M_E_TOO_LARGE (over max), M2M_E_NOMEM, M2M_E_IO
 * (anything else: unreadable, not a regular file, grew while being read). The buffer is wiped on
 * every error path.
 */
M2M_API M2M_WUR m2m_err m2m_file_read(const char *path, size_t max, unsigned flags, char **out, size_t *outlen);

#endif
