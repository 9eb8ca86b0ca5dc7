/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec maf`: the M2M Authentication Function (TS-0003 clause 8.8,
 * docs/procedures/maf.md). `m2msec maf client ...` are the operator commands (cmd_maf_client.c).
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_maf.h"

int cli_maf_main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "client") == 0)
		return cli_maf_client_main(argc - 1, argv + 1);
	fputs("usage: m2msec maf client add|revoke|list|show ... (see --help of each)\n", stderr);
	return CLI_USAGE;
}
