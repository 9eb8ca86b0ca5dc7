/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the m2msec cred subcommand (placeholder until its module lands). */
#include "cli/cli.h"

int cli_cred_main(int argc, char **argv)
{
	cli_errorf("cred: not implemented yet");
	return CLI_FAIL;
}
