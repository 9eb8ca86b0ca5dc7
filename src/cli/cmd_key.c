/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the m2msec key subcommand (placeholder until its module lands). */
#include "cli/cli.h"

int cli_key_main(int argc, char **argv)
{
	cli_errorf("key: not implemented yet");
	return CLI_FAIL;
}
