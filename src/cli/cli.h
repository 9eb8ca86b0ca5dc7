/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the contract shared by every m2msec subcommand (docs/cli.md): exit status
 * 0 success, 1 runtime failure, 2 bad usage or input; one-line errors on stderr prefixed
 * "m2msec: "; --help on every subcommand. Only the CLI prints or exits; the library never does.
 */
#ifndef M2M_CLI_H
#define M2M_CLI_H

#include <stdio.h>
#include "m2msec/err.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One subcommand: argv[0] is the subcommand name ("key", "id", ...). */
typedef int (*cli_main_fn)(int argc, char **argv);

int cli_key_main(int argc, char **argv);
/* `m2msec key milenage` (cmd_key_milenage.c) */
int cli_key_milenage(int argc, char **argv);
int cli_id_main(int argc, char **argv);
int cli_cred_main(int argc, char **argv);
int cli_ca_main(int argc, char **argv);
/* `m2msec ca crl` (cmd_ca_crl.c) */
int cli_ca_crl(int argc, char **argv);
int cli_cse_main(int argc, char **argv);
int cli_mef_main(int argc, char **argv);
int cli_enrol_main(int argc, char **argv);
/* `m2msec maf` (cmd_maf.c) */
int cli_maf_main(int argc, char **argv);
int cli_maf_client_main(int argc, char **argv);
/* `m2msec mqtt-acl` (cmd_mqtt_acl.c) */
int cli_mqtt_acl_main(int argc, char **argv);
/* `m2msec das` (cmd_das.c) */
int cli_das_main(int argc, char **argv);
/* `m2msec esdata` (cmd_esdata.c) */
int cli_esdata_main(int argc, char **argv);
/* `m2msec esprim` (cmd_esprim.c) */
int cli_esprim_main(int argc, char **argv);
/* `m2msec escertke` (cmd_escertke.c) */
int cli_escertke_main(int argc, char **argv);

/* Print "m2msec: <fmt>\n" to stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "m2msec: <what>: <m2m_strerror(err)>\n" and return the exit code for err: 2 for input
 * errors (identifier, length, argument), 1 for everything else. */
int cli_fail(const char *what, m2m_err err);
/* Exit code for an m2m_err (0, 1 or 2) without printing. */
int cli_exit_code(m2m_err err);
/* getopt_long's refusal of argv[optind - 1] (an unknown option, or one missing its value) in the
 * one format of every subcommand: "<what>: unknown or incomplete option ...". Returns CLI_USAGE. */
int cli_bad_option(const char *what, char **argv);
/* After getopt_long: -1 when no operand is left, else prints "<what>: unexpected argument ..."
 * and returns CLI_USAGE. */
int cli_no_operands(const char *what, int argc, char **argv);
/* True for -h/--help anywhere in argv. */
int cli_wants_help(int argc, char **argv);
/* Read a whole (small) file into a NUL-terminated heap buffer; refuses files over max bytes.
 * When secret is true the file must be a regular file owned by the effective user, not a
 * symlink, mode 0600 or stricter (else M2M_E_KEY_PERMS), and the
 * caller must m2m_freezero() the buffer. */
m2m_err cli_read_file(const char *path, size_t max, int secret, char **out, size_t *outlen);
/*
 * Decode a secret given as hex (surrounding white space ignored) from exactly one source: value
 * itself, value "-" (standard input), or the file `file` (cli_read_file rules for secrets). At
 * most text_max bytes of text are read. Every intermediate copy is wiped. Errors: the file's
 * error, M2M_E_IO (stdin), M2M_E_TOO_LARGE (text over text_max or more than cap bytes),
 * M2M_E_ID_BAD_HEX. The value itself is never part of an error.
 */
m2m_err cli_secret_hex(const char *value, const char *file, size_t text_max, uint8_t *out, size_t cap,
		       size_t *outlen);

/* `m2msec enrol --gba` (cmd_enrol_gba.c): the GBA UE against the MEF's BSF. */
int cli_enrol_gba_main(int argc, char **argv);

#endif
