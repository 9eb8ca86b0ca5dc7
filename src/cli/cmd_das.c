/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the `m2msec das` command (TS-0003 clause 7.3, docs/procedures/das.md):
 * `das token ...` goes to the operator's token commands (cmd_das_token.c); `das --config FILE`
 * is the Dynamic Authorization Server process, which is not part of this build yet.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_das.h"
#include "m2msec/config.h"

static void das_defaults(void *cfg)
{
	m2m_das_config_defaults(cfg);
}

static m2m_err das_parse(void *cfg, const char *text, size_t len, bool *found, char *err, size_t cap)
{
	return m2m_das_config_parse(cfg, text, len, found, err, cap);
}

static m2m_err das_validate(const void *cfg, char *err, size_t cap)
{
	return m2m_das_config_validate(cfg, err, cap);
}

static unsigned das_line(const void *cfg, const char *key)
{
	return m2m_das_config_line(cfg, key);
}

const struct svc_section cli_das_section = {"das", das_defaults, das_parse, das_validate, das_line};

static void usage(FILE *f)
{
	fputs("usage: m2msec das token issue --config FILE --holder ID --audience CSE-ID --resource ID\n"
	      "                             --op ACOP --lifetime S\n"
	      "       m2msec das token verify --config FILE [--audience CSE-ID] [--holder ID] TOKEN\n\n"
	      "The Dynamic Authorization Server's token commands (TS-0003 clause 7.3.2.4-7.3.2.6);\n"
	      "`m2msec das token --help` for details. The [das] keys are in docs/config.md.\n\n"
	      "exit status: 0 success, 1 runtime failure, 2 bad usage, bad input or a refused token\n",
	      f);
}

int cli_das_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return cli_das_token_main(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	cli_errorf("das: the DAS service (m2msec das --config FILE) is not part of this build; "
		   "try `m2msec das token --help`");
	return CLI_USAGE;
}
