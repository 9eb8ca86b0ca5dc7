/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the small helpers every subcommand shares: error printing, the mapping
 * from m2m_err to exit status (0/1/2), --help detection and reading of (secret) input files with
 * the 0600 permission rule of docs/style.md #12 (m2m_file_read, m2msec/file.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli/cli.h"
#include "m2msec/file.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"

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

int cli_bad_option(const char *what, char **argv)
{
	cli_errorf("%s: unknown or incomplete option '%s' (try --help)", what, argv[optind - 1]);
	return CLI_USAGE;
}

int cli_no_operands(const char *what, int argc, char **argv)
{
	if (optind == argc)
		return -1;
	cli_errorf("%s: unexpected argument '%s' (try --help)", what, argv[optind]);
	return CLI_USAGE;
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

/* Read all of standard input (at most max bytes) into a new NUL-terminated buffer of max+1. */
static m2m_err read_stdin(size_t max, char **out, size_t *outlen)
{
	char *buf = malloc(max + 1);
	size_t n = 0;
	ssize_t got;

	*out = NULL;
	*outlen = 0;
	if (buf == NULL)
		return M2M_E_NOMEM;
	while (n <= max) {
		got = read(STDIN_FILENO, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			m2m_freezero(buf, max + 1);
			return M2M_E_IO;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		m2m_freezero(buf, max + 1);
		return M2M_E_TOO_LARGE;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return M2M_OK;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

m2m_err cli_secret_hex(const char *value, const char *file, size_t text_max, uint8_t *out, size_t cap,
		       size_t *outlen)
{
	char *heap = NULL;
	const char *text;
	size_t len = 0, heaplen = 0;
	m2m_err r;

	*outlen = 0;
	if ((value == NULL) == (file == NULL))
		return M2M_E_INVAL;
	if (file != NULL)
		r = cli_read_file(file, text_max, 1, &heap, &heaplen);
	else if (strcmp(value, "-") == 0)
		r = read_stdin(text_max, &heap, &heaplen);
	else
		r = M2M_OK;
	if (r != M2M_OK)
		return r;
	text = heap != NULL ? heap : value;
	len = heap != NULL ? heaplen : strlen(value);
	while (len > 0 && is_space(text[0]))
		text++, len--;
	while (len > 0 && is_space(text[len - 1]))
		len--;
	if (len / 2 > cap)
		r = M2M_E_TOO_LARGE;
	else
		r = m2m_hex_decode(text, len, out, cap, outlen);
	if (heap != NULL)
		m2m_freezero(heap, file != NULL ? heaplen + 1 : text_max + 1);
	return r;
}
