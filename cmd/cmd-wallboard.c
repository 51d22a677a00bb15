/*
 * calldocker wallboard: the supervisors' full-screen view; the work is in
 * tui/wallboard.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cmd.h"
#include "wallboard.h"

static int	cmd_wallboard_exec(struct cmd_ctx *);

static const struct cmd_flag cmd_wallboard_flags[] = {
	{ .name = "interval", .short_name = 'd', .arg = "SECONDS",
	  .help = "seconds between reads of the REST API, 0.2 to 3600 "
	  "(default 2)" },
	{ .name = "no-color", .short_name = 'C',
	  .help = "monochrome (also when NO_COLOR is set)" },
	{ .name = "poll",
	  .help = "read everything from the REST API every interval, "
	  "not from the live event stream" },
	{ .name = "readonly",
	  .help = "no supervisor actions: their keys only say read-only" },
	{ .name = NULL }
};

const struct cmd_entry cmd_wallboard_entry = {
	.name = "wallboard",
	.summary = "show queues, agents and live calls full-screen (? for keys)",
	.max_args = 0,
	.flags = cmd_wallboard_flags,
	.exec = cmd_wallboard_exec,
};

static int
cmd_wallboard_exec(struct cmd_ctx *ctx)
{
	struct wallboard_options	 opt = { .interval = 2 };
	const char			*s;
	char				*end;

	if ((s = cmd_get(ctx, "interval")) != NULL) {
		errno = 0;
		opt.interval = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || errno != 0 ||
		    !isfinite(opt.interval) || opt.interval < 0.2 ||
		    opt.interval > 3600)
			return cmd_usage_error(ctx->group, ctx->entry,
			    "bad interval \"%s\": must be seconds from 0.2 to "
			    "3600", s);
	}
	opt.no_color = cmd_get(ctx, "no-color") != NULL;
	opt.readonly = cmd_get(ctx, "readonly") != NULL;
	opt.poll = cmd_get(ctx, "poll") != NULL;
	return wallboard_run(ctx->cli, &opt);
}
