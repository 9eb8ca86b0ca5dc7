/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements (internal to pki/) the credential files of the CA: reading a private key
 * file only when it is 0600 or stricter and owned by the caller (docs/style.md #12, TS-0003
 * clause 8.1.2.3 "Private Signing Key ... protected"), and writing a set of PEM files all or
 * nothing, each created O_EXCL with its final mode so a key is never briefly world-readable.
 */
#ifndef M2M_PKI_PEM_FILE_H
#define M2M_PKI_PEM_FILE_H

#include <sys/types.h>

#include "m2msec/err.h"

/* Largest PEM file read (bytes). */
#define M2MI_PEM_FILE_MAX (64 * 1024)

/* One file to write: path, contents and mode (0600 for keys, 0644 for certificates). */
struct m2mi_pem_out {
	const char *path;
	const char *data;
	size_t len;
	mode_t mode;
};

/*
 * Read path into a NUL-terminated heap buffer (*out, length *len). With secret set the file must
 * be a regular file owned by the effective user with no group/other bits (M2M_E_KEY_PERMS), and
 * the caller releases the buffer with m2m_freezero(*out, *len + 1). Errors: M2M_E_NOT_FOUND,
 * M2M_E_IO, M2M_E_TOO_LARGE, M2M_E_NOMEM.
 */
m2m_err m2mi_pem_file_read(const char *path, bool secret, char **out, size_t *len);

/*
 * Write files[0..n) all or nothing: each goes to "<path>.tmp-<random>" (O_CREAT|O_EXCL, its mode),
 * is fsynced, then hard-linked to path, which must not exist (M2M_E_EXISTS). On any failure the
 * names already linked and all temporaries are removed. The directories are fsynced at the end.
 */
m2m_err m2mi_pem_file_write(const struct m2mi_pem_out *files, size_t n);

#endif
