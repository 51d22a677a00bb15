/*
 * calldocker ivr simulate: run a flow in the IVR engine, offline, with
 * scripted inputs, and print each step: the event, the nodes passed with
 * the actions they asked for, and the variables that changed. -o json
 * prints the same steps as a JSON array.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "ivr-engine.h"
#include "ivr.h"
#include "xmalloc.h"

/* What the session waits for, after the last step. */
static const char *const sim_waits[IVR_STATE_COUNT] = {
	[IVR_STATE_NEW] = "not started",
	[IVR_STATE_DIGITS] = "waiting for digits",
	[IVR_STATE_HTTP] = "waiting for an http answer",
	[IVR_STATE_QUEUE] = "waiting in the queue",
	[IVR_STATE_RECORDING] = "waiting for the recording",
	[IVR_STATE_DONE] = "done",
	[IVR_STATE_FAILED] = "failed",
};

struct sim {
	struct cmd_ctx		*ctx;
	const struct ivr_flow	*flow;
	struct ivr_session	 s;
	struct ivr_actions	 out;
	struct ivr_vars		 before;	/* variables before the step */
	char			**inputs;
	size_t			 ninput;
	const char *const	*http;		/* --http answers */
	size_t			 nhttp;
	json_t			*steps;		/* -o json */
};

static int
sim_json(const struct sim *sim)
{
	return sim->ctx->cli->output == OUTPUT_JSON ||
	    sim->ctx->cli->output == OUTPUT_YAML;
}

/* s in double quotes, with \", \\ and control characters escaped. */
static void
sim_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (iscntrl((unsigned char)*s))
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
sim_action(const struct ivr_action *a)
{
	size_t	 i;

	fputs(ivr_action_name(a->type), stdout);
	switch (a->type) {
	case IVR_ACT_SAY:
		fputc(' ', stdout);
		sim_quote(stdout, a->text);
		if (a->language != NULL)
			printf(" language=%s", a->language);
		if (a->voice != NULL)
			printf(" voice=%s", a->voice);
		break;
	case IVR_ACT_PLAY:
		if (a->file != NULL)
			printf(" file=%s", a->file);
		if (a->url != NULL)
			printf(" url=%s", a->url);
		break;
	case IVR_ACT_COLLECT:
		if (a->min_digits == a->max_digits)
			printf(" digits=%d", a->max_digits);
		else
			printf(" digits=%d-%d", a->min_digits, a->max_digits);
		printf(" timeout=%d", a->timeout);
		if (a->terminator != '\0')
			printf(" terminator=%c", a->terminator);
		break;
	case IVR_ACT_ENQUEUE:
		printf(" queue=%s priority=%d", a->queue, a->priority);
		for (i = 0; i < a->nskills; i++)
			printf("%s%s:%d", i == 0 ? " skills=" : ",",
			    a->skills[i].name, a->skills[i].level);
		if (a->max_wait > 0)
			printf(" max_wait=%d", a->max_wait);
		if (a->callback != NULL)
			printf(" callback=%s", a->callback);
		break;
	case IVR_ACT_TRANSFER:
		printf(" to=%s target=", ivr_transfer_name(a->to));
		sim_quote(stdout, a->target);
		break;
	case IVR_ACT_HTTP:
		printf(" %s %s timeout=%d", ivr_method_name(a->method), a->url,
		    a->timeout);
		for (i = 0; i < a->nheaders; i++) {
			printf(" %s=", a->headers[i].name);
			sim_quote(stdout, a->headers[i].value);
		}
		if (a->body != NULL) {
			fputs(" body=", stdout);
			sim_quote(stdout, a->body);
		}
		break;
	case IVR_ACT_VOICEMAIL:
		printf(" max_length=%d", a->max_length);
		break;
	default:
		break;
	}
	fputc('\n', stdout);
}

static void
sim_event_text(const struct ivr_event *ev)
{
	switch (ev->type) {
	case IVR_EV_START:
		puts("start");
		break;
	case IVR_EV_DIGITS:
		printf("input %s\n", ev->digits);
		break;
	case IVR_EV_TIMEOUT:
	case IVR_EV_HANGUP:
		printf("input %s\n", ivr_event_name(ev->type));
		break;
	case IVR_EV_HTTP:
		printf("http %d\n", ev->status);
		break;
	case IVR_EV_QUEUE:
		printf("queue %s\n", ivr_queue_result_name(ev->queue));
		break;
	default:
		puts(ivr_event_name(ev->type));
		break;
	}
}

static json_t *
sim_event_json(const struct ivr_event *ev)
{
	json_t	*o = json_pack("{s:s}", "type", ivr_event_name(ev->type));

	if (ev->type == IVR_EV_DIGITS)
		json_object_set_new(o, "digits", json_string(ev->digits));
	if (ev->type == IVR_EV_HTTP)
		json_object_set_new(o, "status", json_integer(ev->status));
	if (ev->type == IVR_EV_QUEUE)
		json_object_set_new(o, "result",
		    json_string(ivr_queue_result_name(ev->queue)));
	return o;
}

/* Variables that the step set or changed. */
static json_t *
sim_changed(const struct sim *sim)
{
	const struct ivr_vars	*v = &sim->s.vars;
	const char		*old;
	json_t			*o = json_object();

	for (size_t i = 0; i < v->n; i++) {
		old = ivr_vars_get(&sim->before, v->v[i].name);
		if (old == NULL || strcmp(old, v->v[i].value) != 0)
			json_object_set_new(o, v->v[i].name,
			    json_string(v->v[i].value));
	}
	return o;
}

static void
sim_print(struct sim *sim, const struct ivr_event *ev)
{
	const struct ivr_actions	*out = &sim->out;
	const struct ivr_node		*n;
	json_t				*step, *visits, *acts, *changed, *v;
	const char			*k;
	size_t				 i, j, end;

	changed = sim_changed(sim);
	if (sim_json(sim)) {
		visits = json_array();
		for (i = 0; i < out->nvisits; i++) {
			n = &sim->flow->nodes[out->visits[i].node];
			end = i + 1 < out->nvisits ? out->visits[i + 1].action :
			    out->n;
			acts = json_array();
			for (j = out->visits[i].action; j < end; j++)
				json_array_append_new(acts,
				    ivr_action_to_json(sim->flow, &out->v[j]));
			json_array_append_new(visits, json_pack("{s:s,s:s,s:o}",
			    "node", n->id, "type", ivr_node_type_name(n->type),
			    "actions", acts));
		}
		acts = json_array();
		end = out->nvisits > 0 ? out->visits[0].action : out->n;
		for (j = 0; j < end; j++)
			json_array_append_new(acts,
			    ivr_action_to_json(sim->flow, &out->v[j]));
		step = json_pack("{s:o,s:o,s:o,s:o,s:s}", "event",
		    sim_event_json(ev), "visits", visits, "actions", acts,
		    "variables", changed, "state", ivr_state_name(sim->s.state));
		if (out->error != NULL)
			json_object_set_new(step, "error",
			    json_string(out->error));
		json_array_append_new(sim->steps, step);
		return;
	}
	sim_event_text(ev);
	end = out->nvisits > 0 ? out->visits[0].action : out->n;
	for (j = 0; j < end; j++)
		sim_action(&out->v[j]);
	for (i = 0; i < out->nvisits; i++) {
		n = &sim->flow->nodes[out->visits[i].node];
		printf("node %s (%s)\n", n->id, ivr_node_type_name(n->type));
		end = i + 1 < out->nvisits ? out->visits[i + 1].action : out->n;
		for (j = out->visits[i].action; j < end; j++) {
			fputs("  ", stdout);
			sim_action(&out->v[j]);
		}
	}
	json_object_foreach(changed, k, v) {
		printf("set %s=", k);
		sim_quote(stdout, json_string_value(v));
		fputc('\n', stdout);
	}
	json_decref(changed);
	if (out->error != NULL)
		printf("failed: %s\n", out->error);
}

/*
 * The next event for the state the session waits in: 1, 0 when the
 * inputs ran out, -1 after a usage error.
 */
static int
sim_next(struct sim *sim, struct ivr_event *ev)
{
	const char	*in, *colon;
	char		*end;
	long		 status;

	memset(ev, 0, sizeof *ev);
	if (sim->s.state == IVR_STATE_HTTP) {
		ev->type = IVR_EV_HTTP;
		if (sim->http == NULL || sim->http[sim->nhttp] == NULL)
			return 1;	/* no answer: status 0 */
		in = sim->http[sim->nhttp++];
		status = strtol(in, &end, 10);
		if (end == in || status < 0 || status > 999 ||
		    (*end != '\0' && *end != ':'))
			goto bad_http;
		ev->status = (int)status;
		if ((colon = strchr(in, ':')) != NULL) {
			ev->body = colon + 1;
			ev->body_len = strlen(colon + 1);
		}
		return 1;
	}
	if ((in = sim->inputs[sim->ninput]) == NULL)
		return 0;
	sim->ninput++;
	if (strcmp(in, "hangup") == 0) {
		ev->type = IVR_EV_HANGUP;
		return 1;
	}
	switch (sim->s.state) {
	case IVR_STATE_DIGITS:
		ev->type = strcmp(in, "timeout") == 0 ? IVR_EV_TIMEOUT :
		    IVR_EV_DIGITS;
		ev->digits = in;
		if (ev->type == IVR_EV_TIMEOUT ||
		    strspn(in, "0123456789*#") == strlen(in))
			return 1;
		break;
	case IVR_STATE_QUEUE:
		ev->type = IVR_EV_QUEUE;
		if (ivr_queue_result_parse(in, &ev->queue) == 0)
			return 1;
		break;
	case IVR_STATE_RECORDING:
		ev->type = IVR_EV_RECORDED;
		ev->recording = "recording-1";
		if (strcmp(in, "recorded") == 0)
			return 1;
		break;
	default:
		break;
	}
	return cmd_usage_error(sim->ctx->group, sim->ctx->entry, "input \"%s\" "
	    "does not fit a session %s", in, sim_waits[sim->s.state]), -1;
bad_http:
	return cmd_usage_error(sim->ctx->group, sim->ctx->entry, "bad --http "
	    "\"%s\": use STATUS or STATUS:BODY", in), -1;
}

/* RFC 3339: 2025-03-10T09:30:00Z or with an offset, like +01:00. */
static int
sim_time(const char *s, time_t *out)
{
	unsigned	 y, mo, d, h, mi, sec, oh = 0, om = 0;
	int		 n = 0, sign = 0;
	struct tm	 tm;
	time_t		 t;

	if (sscanf(s, "%4u-%2u-%2u%*1[Tt ]%2u:%2u:%2u%n", &y, &mo, &d, &h,
	    &mi, &sec, &n) != 6 || n != 19)
		return -1;
	s += n;
	if (*s == '.')
		s += 1 + strspn(s + 1, "0123456789");
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (sscanf(s + 1, "%2u:%2u%n", &oh, &om, &n) != 2 || n != 5)
			return -1;
		s += 6;
	} else
		return -1;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t - sign * (time_t)(oh * 3600 + om * 60);
	return 0;
}

/* --var and --caller-field: NAME=VALUE each. */
static int
sim_assign(struct sim *sim, struct ivr_vars *vars, const char *flag)
{
	const char *const	*v;
	const char		*eq;
	char			*name;
	int			 bad;

	for (v = cmd_get_all(sim->ctx, flag); *v != NULL; v++) {
		if ((eq = strchr(*v, '=')) == NULL || eq == *v)
			return cmd_usage_error(sim->ctx->group, sim->ctx->entry,
			    "bad --%s \"%s\": use NAME=VALUE", flag, *v);
		name = xstrndup(*v, (size_t)(eq - *v));
		bad = ivr_vars_set(vars, name, eq + 1);
		free(name);
		if (bad)
			return cmd_usage_error(sim->ctx->group, sim->ctx->entry,
			    "too many --%s", flag);
	}
	return EXIT_OK;
}

static int
sim_setup(struct sim *sim, time_t *at)
{
	const char	*s;
	int		 rc;

	if ((s = cmd_get(sim->ctx, "at")) == NULL)
		*at = time(NULL);
	else if (sim_time(s, at) != 0)
		return cmd_usage_error(sim->ctx->group, sim->ctx->entry,
		    "bad --at \"%s\": use RFC 3339, like 2025-03-10T09:30:00Z",
		    s);
	if ((s = cmd_get(sim->ctx, "caller")) != NULL)
		ivr_vars_set(&sim->s.caller, "number", s);
	if ((s = cmd_get(sim->ctx, "caller-name")) != NULL)
		ivr_vars_set(&sim->s.caller, "name", s);
	if ((rc = sim_assign(sim, &sim->s.caller, "caller-field")) != EXIT_OK)
		return rc;
	return sim_assign(sim, &sim->s.vars, "var");
}

/* Copy of the variables, to see what a step changed. */
static void
sim_snapshot(struct sim *sim)
{
	ivr_vars_free(&sim->before);
	for (size_t i = 0; i < sim->s.vars.n; i++)
		ivr_vars_set(&sim->before, sim->s.vars.v[i].name,
		    sim->s.vars.v[i].value);
}

static int
sim_run(struct sim *sim, time_t at)
{
	struct ivr_event	 ev;
	int			 rc;

	memset(&ev, 0, sizeof ev);
	ev.type = IVR_EV_START;
	for (;;) {
		sim_snapshot(sim);
		if (ivr_step(sim->flow, &sim->s, &ev, at, &sim->out) != 0 &&
		    sim->s.state != IVR_STATE_FAILED) {
			cli_error("%s", sim->out.error);
			return EXIT_FAIL;
		}
		sim_print(sim, &ev);
		if (sim->s.state == IVR_STATE_FAILED)
			return EXIT_FAIL;
		if (sim->s.state == IVR_STATE_DONE)
			return EXIT_OK;
		if ((rc = sim_next(sim, &ev)) <= 0)
			break;
	}
	if (rc < 0)
		return EXIT_USAGE;
	if (!sim_json(sim))
		printf("%s\n", sim_waits[sim->s.state]);
	return EXIT_OK;
}

int
cmd_ivr_simulate(struct cmd_ctx *ctx)
{
	struct ivr_options	 opt;
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	struct sim		 sim;
	time_t			 at = 0;
	int			 rc;

	memset(&opt, 0, sizeof opt);
	opt.zoneinfo = getenv("TZDIR");
	ivr_diags_init(&d);
	flow = cmd_ivr_load(ctx->argv[0], &opt, &d);
	ivr_diags_print(stderr, cmd_ivr_label(ctx->argv[0]), &d);
	ivr_diags_free(&d);
	if (flow == NULL)
		return EXIT_FAIL;

	memset(&sim, 0, sizeof sim);
	sim.ctx = ctx;
	sim.flow = flow;
	ivr_session_init(&sim.s);
	ivr_actions_init(&sim.out);
	sim.inputs = cmd_ivr_split(cmd_get_all(ctx, "input"));
	sim.http = cmd_get_all(ctx, "http");
	sim.steps = json_array();
	if ((rc = sim_setup(&sim, &at)) == EXIT_OK)
		rc = sim_run(&sim, at);
	if (sim_json(&sim) && rc != EXIT_USAGE) {
		if (ctx->cli->output == OUTPUT_JSON) {
			output_json(stdout, sim.steps);
		} else
			output_yaml(stdout, sim.steps);
	}
	json_decref(sim.steps);
	cmd_ivr_split_free(sim.inputs);
	ivr_vars_free(&sim.before);
	ivr_actions_free(&sim.out);
	ivr_session_free(&sim.s);
	ivr_flow_free(flow);
	return rc;
}
