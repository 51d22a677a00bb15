/*
 * IVR benchmark (make bench): parse and validate a generated 1,000-node
 * flow against the 20 ms target and against libyaml's bare event scan of
 * the same text (the floor: no parser on libyaml can be faster), then the
 * engine's steps per second against the 1,000,000 target.
 *
 *   build/bench/ivr-bench [nodes runs]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#include "ivr-engine.h"
#include "ivr.h"
#include "xmalloc.h"

#define VALIDATE_TARGET_MS	20.0
#define STEPS_TARGET		1000000.0
#define STEP_SECONDS		1.0

static double
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A flow of n nodes in blocks of ten, each block a small IVR of its own:
 * menu, say, gather, branch, set, http, hours, play, queue, voicemail;
 * every block leads to the next; the last hangs up.
 */
static char *
generate(int n)
{
	char	*buf;
	size_t	 size;
	FILE	*f;
	int	 i, b, nb = n / 10;

	f = open_memstream(&buf, &size);
	fputs("name: generated\ndescription: benchmark flow\n"
	    "timezone: Europe/Paris\nlanguage: en-US\nstart: b0_menu\n"
	    "variables:\n  tier: standard\n  account: \"\"\nnodes:\n", f);
	for (b = 0; b < nb; b++) {
		i = b + 1 < nb ? b + 1 : -1;
/* The last block hangs up after its prompts: no "next". */
#define NEXT(f)	(i < 0 ? 0 : fprintf(f, "    next: b%d_menu\n", i))
		fprintf(f, "  b%d_menu:\n    type: menu\n    prompt: Press 1 "
		    "for sales, 2 for support, 3 to hear this again.\n"
		    "    options:\n      1: b%d_say\n      2: b%d_gather\n"
		    "      3: b%d_menu\n      \"#\": b%d_play\n"
		    "    timeout: 5s\n    retries: 2\n    on_timeout: b%d_vm\n"
		    "    on_invalid: b%d_vm\n", b, b, b, b, b, b, b);
		fprintf(f, "  b%d_say:\n    type: say\n    text: Hello "
		    "${caller.name}, block %d.\n    next: b%d_hours\n", b, b, b);
		fprintf(f, "  b%d_gather:\n    type: gather\n    prompt: Enter "
		    "your account number.\n    variable: account\n"
		    "    min_length: 4\n    max_length: 10\n"
		    "    pattern: \"[0-9]+\"\n    next: b%d_http\n"
		    "    on_invalid: b%d_vm\n", b, b, b);
		fprintf(f, "  b%d_http:\n    type: http\n    method: POST\n"
		    "    url: https://crm.example.com/lookup/${account}\n"
		    "    headers:\n      Accept: application/json\n"
		    "    map:\n      tier: $.customer.tier\n"
		    "    next: b%d_branch\n    on_error: b%d_queue\n", b, b, b);
		fprintf(f, "  b%d_branch:\n    type: branch\n    conditions:\n"
		    "      - variable: tier\n        equals: gold\n"
		    "        next: b%d_set\n      - caller: number\n"
		    "        matches: \"^\\\\+33\"\n        next: b%d_queue\n"
		    "    else: b%d_queue\n", b, b, b, b);
		fprintf(f, "  b%d_set:\n    type: set\n    variables:\n"
		    "      vip: \"yes\"\n      note: gold ${account}\n"
		    "    next: b%d_queue\n", b, b);
		fprintf(f, "  b%d_hours:\n    type: hours\n    days:\n"
		    "      mon-fri: 09:00-12:00, 13:00-18:00\n"
		    "      sat: 10:00-12:00\n    holidays: [2025-12-25]\n"
		    "    open: b%d_queue\n    closed: b%d_vm\n", b, b, b);
		fprintf(f, "  b%d_play:\n    type: play\n    file: hold.wav\n",
		    b);
		NEXT(f);
		fprintf(f, "  b%d_queue:\n    type: queue\n    queue: support\n"
		    "    priority: 1\n    skills: {english: 2}\n"
		    "    max_wait: 2m\n    on_timeout: b%d_vm\n", b, b);
		fprintf(f, "  b%d_vm:\n    type: voicemail\n    prompt: Leave a "
		    "message.\n    max_length: 60\n", b);
		NEXT(f);
#undef NEXT
	}
	fclose(f);
	return buf;
}

/* libyaml alone: every event of the text, nothing kept. */
static int
scan(const char *text, size_t len)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	int		 n = 0, done = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			break;
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		n++;
	}
	yaml_parser_delete(&p);
	return n;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, dbl_cmp);
	return v[n / 2];
}

static void
bench_validate(int nodes, int runs)
{
	struct ivr_options	 opt = { 0 };
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	double			*ts, *tp, t0, floor_ms, parse_ms;
	char			*text;
	size_t			 len;
	int			 i, events = 0;

	text = generate(nodes);
	len = strlen(text);
	ts = xcalloc((size_t)runs, sizeof *ts);
	tp = xcalloc((size_t)runs, sizeof *tp);
	for (i = 0; i < runs; i++) {
		t0 = mono();
		events = scan(text, len);
		ts[i] = (mono() - t0) * 1e3;
		ivr_diags_init(&d);
		t0 = mono();
		flow = ivr_flow_parse(text, len, &opt, &d);
		tp[i] = (mono() - t0) * 1e3;
		if (flow == NULL || d.n != 0) {
			ivr_diags_print(stderr, "generated.yaml", &d);
			fprintf(stderr, "ivr-bench: the generated flow is not "
			    "valid\n");
			exit(1);
		}
		if (i == 0)
			printf("ivr-bench: validate a generated %zu-node flow "
			    "(%zu bytes, %d YAML events), median of %d runs\n",
			    flow->nnodes, len, events, runs);
		ivr_flow_free(flow);
		ivr_diags_free(&d);
	}
	floor_ms = median(ts, runs);
	parse_ms = median(tp, runs);
	printf("  %-32s %9.3f ms\n", "libyaml event scan (floor)", floor_ms);
	printf("  %-32s %9.3f ms   %.2fx the floor\n",
	    "ivr_flow_parse (parse+validate)", parse_ms, parse_ms / floor_ms);
	printf("  target < %.0f ms: %s (%.3fx of the target)\n",
	    VALIDATE_TARGET_MS, parse_ms < VALIDATE_TARGET_MS ? "met" :
	    "NOT met", parse_ms / VALIDATE_TARGET_MS);
	free(ts);
	free(tp);
	free(text);
}

/*
 * A menu whose option 1 goes through a set and a say back to the menu:
 * each step takes one key and passes three nodes, with interpolation.
 */
static void
bench_steps(void)
{
	static const char flowtext[] =
	    "name: steps\nstart: menu\nvariables: {count: \"0\"}\nnodes:\n"
	    "  menu:\n    type: menu\n    prompt: Press 1, ${caller.name}.\n"
	    "    options: {1: count, 2: bye}\n"
	    "  count:\n    type: set\n    variables: {last: \"${count}\"}\n"
	    "    next: say\n"
	    "  say:\n    type: say\n    text: You pressed one after ${last}.\n"
	    "    next: menu\n"
	    "  bye:\n    type: hangup\n";
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	struct ivr_session	 s;
	struct ivr_actions	 out;
	struct ivr_event	 start = { .type = IVR_EV_START };
	struct ivr_event	 one = { .type = IVR_EV_DIGITS, .digits = "1" };
	double			 t0, el, rate;
	long			 n = 0, nodes = 0;

	ivr_diags_init(&d);
	if ((flow = ivr_flow_parse(flowtext, sizeof flowtext - 1, NULL,
	    &d)) == NULL) {
		ivr_diags_print(stderr, "steps.yaml", &d);
		exit(1);
	}
	ivr_session_init(&s);
	ivr_actions_init(&out);
	ivr_vars_set(&s.caller, "name", "Ann");
	ivr_step(flow, &s, &start, 0, &out);
	t0 = mono();
	do {
		for (int i = 0; i < 10000; i++) {
			if (ivr_step(flow, &s, &one, 0, &out) != 0)
				exit(1);
			nodes += (long)out.nvisits;
		}
		n += 10000;
		el = mono() - t0;
	} while (el < STEP_SECONDS);
	rate = n / el;
	printf("ivr-bench: engine steps (a key through menu -> set -> say -> "
	    "menu, %.1f nodes and %zu actions a step)\n",
	    (double)nodes / n, out.n);
	printf("  %-32s %12.0f steps/s   %.0f ns a step   %.1fM nodes/s\n",
	    "ivr_step", rate, 1e9 / rate, nodes / el / 1e6);
	printf("  target > %.0f steps/s: %s (%.2fx the target)\n",
	    STEPS_TARGET, rate > STEPS_TARGET ? "met" : "NOT met",
	    rate / STEPS_TARGET);
	printf("  (no meaningful reference: no other IVR engine to run "
	    "here)\n");
	ivr_actions_free(&out);
	ivr_session_free(&s);
	ivr_flow_free(flow);
	ivr_diags_free(&d);
}

int
main(int argc, char **argv)
{
	int	 nodes = argc > 1 ? atoi(argv[1]) : 1000;
	int	 runs = argc > 2 ? atoi(argv[2]) : 51;

	if (nodes < 10 || runs < 1) {
		fprintf(stderr, "usage: ivr-bench [nodes runs]\n");
		return 2;
	}
	bench_validate(nodes, runs);
	bench_steps();
	return 0;
}
