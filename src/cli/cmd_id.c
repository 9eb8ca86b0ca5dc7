/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the m2msec id subcommand (placeholder until its module lands). */
#include "cli/cli.h"

int cli_id_main(int argc, char **argv)
{
	cli_errorf("id: not implemented yet");
	return CLI_FAIL;
}
