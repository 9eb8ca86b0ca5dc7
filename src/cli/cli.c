/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the small helpers every subcommand shares: error printing, the mapping
 * from m2m_err to exit status (0/1/2), --help detection and reading of (secret) input files with
 * the 0600 permission rule of docs/style.md #12 (m2m_file_read, m2msec/file.h).
 */
#include <stdarg.h>
#include <string.h>

#include "cli/cli.h"
#include "m2msec/file.h"

void cli_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("m2msec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_code(m2m_err err)
{
	if (err == M2M_OK)
		return CLI_OK;
	/* Malformed input from the user is a usage error (2); everything else is a runtime one. */
	if ((err <= M2M_E_ID_EMPTY && err >= M2M_E_ID_BAD_LEN) || err == M2M_E_INVAL ||
	    err == M2M_E_KEY_LEN || err == M2M_E_RANGE || err == M2M_E_CERT_NAME || err == M2M_E_TOO_LARGE)
		return CLI_USAGE;
	return CLI_FAIL;
}

int cli_fail(const char *what, m2m_err err)
{
	cli_errorf("%s: %s", what, m2m_strerror(err));
	return cli_exit_code(err);
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

m2m_err cli_read_file(const char *path, size_t max, int secret, char **out, size_t *outlen)
{
	return m2m_file_read(path, max, secret ? M2M_FILE_SECRET : 0, out, outlen);
}
