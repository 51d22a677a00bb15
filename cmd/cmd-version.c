/*
 * calldocker version: the client's version (also --version).
 */
#include <stdio.h>

#include "cmd.h"

static int	cmd_version_exec(struct cmd_ctx *);

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.summary = "print the version",
	.max_args = 0,
	.exec = cmd_version_exec,
};

static int
cmd_version_exec(struct cmd_ctx *ctx)
{
	json_t	*v;

	if (ctx->cli->output == OUTPUT_TABLE || ctx->cli->output == OUTPUT_CSV ||
	    ctx->cli->quiet) {
		printf("calldocker %s\n", CALLDOCKER_VERSION);
		return EXIT_OK;
	}
	v = json_pack("{s:s}", "version", CALLDOCKER_VERSION);
	if (ctx->cli->output == OUTPUT_JSON) {
		output_json(stdout, v);
	} else
		output_yaml(stdout, v);
	json_decref(v);
	return EXIT_OK;
}
