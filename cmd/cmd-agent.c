/*
 * calldocker agent: the agent's console; the work is in tui/agent.c and
 * tui/agent-cmd.c.
 */
#include "agent.h"
#include "cmd.h"

static int	cmd_agent_exec(struct cmd_ctx *);

static const struct cmd_flag cmd_agent_flags[] = {
	{ .name = "keep-going", .short_name = 'k',
	  .help = "with commands from a pipe, go on after a failed one" },
	{ .name = NULL }
};

const struct cmd_entry cmd_agent_entry = {
	.name = "agent",
	.summary = "the agent's console: state, offers and calls at a prompt",
	.max_args = 0,
	.flags = cmd_agent_flags,
	.exec = cmd_agent_exec,
};

static int
cmd_agent_exec(struct cmd_ctx *ctx)
{
	struct agent_options	 opt = { 0 };

	opt.keep_going = cmd_get(ctx, "keep-going") != NULL;
	return agent_run(ctx->cli, &opt);
}
