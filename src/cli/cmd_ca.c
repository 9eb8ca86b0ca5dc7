/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the m2msec ca subcommand (placeholder until its module lands). */
#include "cli/cli.h"

int cli_ca_main(int argc, char **argv)
{
	cli_errorf("ca: not implemented yet");
	return CLI_FAIL;
}
