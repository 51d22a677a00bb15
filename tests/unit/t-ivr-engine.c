/*
 * Unit tests of the IVR engine: each node type, retries and timeouts,
 * branch operators, opening hours across DST and holidays, interpolation,
 * HTTP results mapped into variables, queue outcomes, the loop guard and
 * the JSON round trip of a session. Flows come from tests/ivr/valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr-engine.h"
#include "ivr-int.h"
#include "unit.h"
#include "xmalloc.h"

static const char *corpus = "tests/ivr";

struct t {
	struct ivr_flow		*flow;
	struct ivr_session	 s;
	struct ivr_actions	 out;
	time_t			 now;
	int			 rc;
};

static struct ivr_flow *
load_text(const char *text)
{
	struct ivr_diags	 d;
	struct ivr_flow		*flow;

	ivr_diags_init(&d);
	flow = ivr_flow_parse(text, strlen(text), NULL, &d);
	if (d.n > 0)
		ivr_diags_print(stdout, "#", &d);
	ivr_diags_free(&d);
	return flow;
}

static struct ivr_flow *
load(const char *name)
{
	struct ivr_flow	*flow;
	char		*path, *buf;
	long		 n;
	FILE		*f;

	path = xasprintf("%s/valid/%s", corpus, name);
	if ((f = fopen(path, "rb")) == NULL) {
		printf("# cannot open %s\n", path);
		exit(1);
	}
	free(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xcalloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	flow = load_text(buf);
	free(buf);
	return flow;
}

static void
t_init(struct t *t, const char *name, time_t now)
{
	memset(t, 0, sizeof *t);
	t->flow = load(name);
	ivr_session_init(&t->s);
	ivr_actions_init(&t->out);
	t->now = now;
}

static void
t_free(struct t *t)
{
	ivr_actions_free(&t->out);
	ivr_session_free(&t->s);
	ivr_flow_free(t->flow);
}

/*
 * What the last step did, compactly: each node passed, then its actions
 * in brackets: "menu[play:menu.wav collect:1-1/3]".
 */
static char *
summary(const struct t *t)
{
	const struct ivr_actions	*out = &t->out;
	const struct ivr_action		*a;
	char				*buf;
	size_t				 size, i, j, end;
	FILE				*f;

	f = open_memstream(&buf, &size);
	end = out->nvisits > 0 ? out->visits[0].action : out->n;
	for (j = 0; j < end; j++)
		fprintf(f, "%s%s", j > 0 ? " " : "", ivr_action_name(out->v[j].type));
	for (i = 0; i < out->nvisits; i++) {
		fprintf(f, "%s%s[", i > 0 || end > 0 ? " " : "",
		    t->flow->nodes[out->visits[i].node].id);
		end = i + 1 < out->nvisits ? out->visits[i + 1].action : out->n;
		for (j = out->visits[i].action; j < end; j++) {
			a = &out->v[j];
			fprintf(f, "%s%s", j > out->visits[i].action ? " " : "",
			    ivr_action_name(a->type));
			switch (a->type) {
			case IVR_ACT_SAY:
				fprintf(f, ":%s", a->text);
				break;
			case IVR_ACT_PLAY:
				fprintf(f, ":%s", a->file != NULL ? a->file : a->url);
				break;
			case IVR_ACT_COLLECT:
				fprintf(f, ":%d-%d/%d", a->min_digits,
				    a->max_digits, a->timeout);
				break;
			case IVR_ACT_ENQUEUE:
				fprintf(f, ":%s", a->queue);
				break;
			case IVR_ACT_TRANSFER:
				fprintf(f, ":%s:%s", ivr_transfer_name(a->to),
				    a->target);
				break;
			case IVR_ACT_HTTP:
				fprintf(f, ":%s", a->url);
				break;
			default:
				break;
			}
		}
		fputc(']', f);
	}
	fclose(f);
	return buf;
}

/* Feed one event and compare the summary. */
static void
feed(struct t *t, const struct ivr_event *ev, const char *want,
    const char *what)
{
	char	*got;

	t->rc = ivr_step(t->flow, &t->s, ev, t->now, &t->out);
	if (want == NULL)
		return;
	got = summary(t);
	is_str(got, want, "%s", what);
	free(got);
}

static void
start(struct t *t, const char *want, const char *what)
{
	struct ivr_event ev = { .type = IVR_EV_START };

	feed(t, &ev, want, what);
}

static void
digits(struct t *t, const char *d, const char *want, const char *what)
{
	struct ivr_event ev = { .type = IVR_EV_DIGITS, .digits = d };

	feed(t, &ev, want, what);
}

static void
timeout(struct t *t, const char *want, const char *what)
{
	struct ivr_event ev = { .type = IVR_EV_TIMEOUT };

	feed(t, &ev, want, what);
}

static void
queue(struct t *t, enum ivr_queue_result r, const char *want, const char *what)
{
	struct ivr_event ev = { .type = IVR_EV_QUEUE, .queue = r };

	feed(t, &ev, want, what);
}

static void
http(struct t *t, int status, const char *body, const char *want,
    const char *what)
{
	struct ivr_event ev = { .type = IVR_EV_HTTP, .status = status,
	    .body = body, .body_len = body != NULL ? strlen(body) : 0 };

	feed(t, &ev, want, what);
}

static const char *
var(const struct t *t, const char *name)
{
	const char	*v = ivr_vars_get(&t->s.vars, name);

	return v != NULL ? v : "(unset)";
}

/* 2025-03-10 is a Monday; New York is on EDT (UTC-4) from 2025-03-09. */
#define MON_10AM_EDT	((time_t)1741615200)	/* 2025-03-10 14:00Z */

/* Into the engine flow's menu, open on a Monday morning. */
static void
to_menu(struct t *t)
{
	t_init(t, "engine.yaml", MON_10AM_EDT);
	ivr_vars_set(&t->s.caller, "name", "Ann");
	ivr_vars_set(&t->s.caller, "number", "+15550123");
	start(t, "hours[] hello[say:Hello Ann, $5 off today.] "
	    "menu[play:menu.wav collect:1-1/3]", "start: hours, hello, menu");
}

static void
test_menu(void)
{
	struct t	 t;
	struct ivr_event ev = { .type = IVR_EV_DIGITS, .digits = "1" };

	to_menu(&t);
	is_int(t.s.state, IVR_STATE_DIGITS, "the menu waits for digits");
	is_str(t.out.v[0].language, "en-US", "the flow's language is used");
	is_str(t.out.v[0].voice, "joanna", "and its voice");
	is_str(var(&t, "greeting"), "Hello", "defaults are set at the start");
	digits(&t, "5", "menu[play:menu.wav collect:1-1/3]",
	    "a key without an option repeats the prompt");
	is_int(t.s.retries, 1, "and counts a retry");
	digits(&t, "5", "bye[say:Goodbye.] hang[hangup end]",
	    "after the last retry on_invalid is followed");
	is_str(t.out.v[0].voice, "matthew", "a node's voice overrides");
	is_int(t.s.state, IVR_STATE_DONE, "the session is over");
	ok(ivr_step(t.flow, &t.s, &ev, t.now, &t.out) == -1 &&
	    t.out.n == 0 && strstr(t.out.error, "\"done\"") != NULL,
	    "an ended session takes no more input");
	t_free(&t);

	to_menu(&t);
	timeout(&t, "menu[play:menu.wav collect:1-1/3]",
	    "a timeout repeats the prompt");
	timeout(&t, "bye[say:Goodbye.] hang[hangup end]",
	    "then on_timeout is followed");
	t_free(&t);

	to_menu(&t);
	digits(&t, "12", "menu[play:menu.wav collect:1-1/3]",
	    "two keys are not a menu choice");
	digits(&t, "9", "menu[play:menu.wav collect:1-1/3]",
	    "an option back to the menu itself");
	is_int(t.s.retries, 0, "enters it afresh: retries start over");
	digits(&t, "*", "agent[transfer:agent:alice@example.com end]",
	    "\"*\" is a key like the others");
	t_free(&t);
}

static void
test_gather(void)
{
	struct t	 t;

	to_menu(&t);
	digits(&t, "1", "pin[say:Enter your PIN. collect:4-6/5]",
	    "gather asks for 4 to 6 digits");
	is_int(t.out.v[1].terminator, '#', "ended by the default \"#\"");
	digits(&t, "1234#", "pin[say:Enter your PIN. collect:4-6/5]",
	    "input that does not match the pattern is invalid");
	digits(&t, "12347#", "pin_ok[] route[] gold_q[enqueue:gold]",
	    "valid input, the terminator dropped, goes on");
	is_str(var(&t, "pin"), "12347", "and lands in the variable");
	is_str(var(&t, "note"), "pin 12347 ok", "set interpolates");
	t_free(&t);

	to_menu(&t);
	digits(&t, "1", "pin[say:Enter your PIN. collect:4-6/5]", "gather");
	digits(&t, "7", "pin[say:Enter your PIN. collect:4-6/5]",
	    "too short is invalid");
	digits(&t, "1234567", "bye[say:Goodbye.] hang[hangup end]",
	    "too long is invalid, and retries run out");
	is_str(var(&t, "pin"), "(unset)", "invalid input sets nothing");
	t_free(&t);

	to_menu(&t);
	digits(&t, "1", "pin[say:Enter your PIN. collect:4-6/5]", "gather");
	digits(&t, "12#7", "pin[say:Enter your PIN. collect:4-6/5]",
	    "the terminator inside the input is invalid");
	timeout(&t, "bye[say:Goodbye.] hang[hangup end]",
	    "retries are shared by timeouts and invalid input");
	t_free(&t);
}

static void
test_branch(void)
{
	static const struct {
		const char	*tier, *balance, *number, *want;
	} cases[] = {
		{ "gold", "0", "+4420", "gold_q" },	/* equals */
		{ "silver", "0", "+4420", "std_q" },	/* in */
		{ "bronze", "0", "+4420", "std_q" },
		{ "none", "1000.5", "+4420", "gold_q" },	/* greater */
		{ "none", "1000", "+4420", "jump" },	/* not greater */
		{ "none", "-1", "+4420", "bye" },	/* less */
		{ "none", "abc", "+4420", "jump" },	/* not a number */
		{ "none", "0", "+15550123", "std_q" },	/* matches caller */
		{ "none", "", "", "jump" },		/* else, then goto */
	};
	struct t	 t;
	char		*got, *want;

	for (size_t i = 0; i < IVR_NITEMS(cases); i++) {
		t_init(&t, "engine.yaml", MON_10AM_EDT);
		ivr_vars_set(&t.s.vars, "tier", cases[i].tier);
		ivr_vars_set(&t.s.vars, "balance", cases[i].balance);
		ivr_vars_set(&t.s.caller, "number", cases[i].number);
		start(&t, "hours[] hello[say:Hello , $5 off today.] "
		    "menu[play:menu.wav collect:1-1/3]", "start");
		is_str(var(&t, "tier"), cases[i].tier,
		    "a variable set before the start keeps its value");
		digits(&t, "4", NULL, NULL);
		got = summary(&t);
		want = xasprintf("route[] %s[", cases[i].want);
		ok(strncmp(got, want, strlen(want)) == 0, "tier %s, balance "
		    "%s, number %s: %s", cases[i].tier, cases[i].balance,
		    cases[i].number, cases[i].want);
		if (strncmp(got, want, strlen(want)) != 0)
			printf("# got %s\n", got);
		free(want);
		free(got);
		t_free(&t);
	}
}

static void
test_hours(void)
{
	static const struct {
		time_t		 when;
		const char	*next, *what;
	} cases[] = {
		{ 1741615200, "hello", "Monday 10:00 EDT (14:00Z) is open" },
		{ 1741609800, "closed_msg", "Monday 08:30 EDT (12:30Z) is "
		    "closed, though 13:30Z would be open in EST" },
		{ 1741291200, "hello", "Thursday 15:00 EST (20:00Z) is open" },
		{ 1741267800, "closed_msg", "Thursday 08:30 EST (13:30Z) is "
		    "closed: EST is UTC-5 before the change" },
		{ 1741554000, "closed_msg", "Sunday 17:00 EDT is closed" },
		{ 1741458600, "hello", "Saturday 13:30 EST is open" },
		{ 1741455000, "closed_msg", "Saturday 12:30 EST is closed "
		    "(between the ranges)" },
		{ 1751652000, "closed_msg", "Friday 2025-07-04 14:00 EDT is a "
		    "holiday" },
		{ 1751565600, "hello", "Thursday 2025-07-03 14:00 EDT is "
		    "open" },
		{ 1741633199, "hello", "Monday 18:59:59Z is 14:59 EDT, open" },
		{ 1741640400, "closed_msg", "Monday 17:00 EDT: the end of a "
		    "range is closed" },
	};
	struct t	 t;
	char		*got;

	for (size_t i = 0; i < IVR_NITEMS(cases); i++) {
		t_init(&t, "engine.yaml", cases[i].when);
		start(&t, NULL, NULL);
		got = summary(&t);
		ok(strncmp(got + 8, cases[i].next, strlen(cases[i].next)) == 0,
		    "%s", cases[i].what);
		if (strncmp(got + 8, cases[i].next,
		    strlen(cases[i].next)) != 0)
			printf("# got %s\n", got);
		free(got);
		t_free(&t);
	}
}

static void
test_http(void)
{
	struct t	 t;

	to_menu(&t);
	digits(&t, "2", "lookup[http:https://api.example.com/customers/"
	    "+15550123]", "http interpolates the URL");
	is_int(t.s.state, IVR_STATE_HTTP, "and waits for the answer");
	is_int(t.out.v[0].method, IVR_GET, "GET");
	is_int(t.out.v[0].nheaders, 1, "with its header");
	is_int(t.out.v[0].timeout, 5, "and the default timeout");
	http(&t, 200, "{\"tier\": \"silver\", \"account\": {\"balance\": "
	    "12.5}, \"orders\": [{\"id\": 77}], \"vip\": true}",
	    "route[] std_q[enqueue:standard]", "a 2xx answer maps variables");
	is_str(var(&t, "tier"), "silver", "a string as it is");
	is_str(var(&t, "balance"), "12.5", "a number as JSON text");
	is_str(var(&t, "first"), "77", "through an array index");
	is_str(var(&t, "vip"), "true", "a boolean");
	is_str(var(&t, "http_status"), "200", "http_status is set");
	t_free(&t);

	to_menu(&t);
	digits(&t, "2", NULL, NULL);
	http(&t, 200, "{\"tier\": null}", "route[] std_q[enqueue:standard]",
	    "null and missing values change nothing");
	is_str(var(&t, "tier"), "none", "the default stays");
	is_str(var(&t, "balance"), "(unset)", "unset stays unset");
	t_free(&t);

	to_menu(&t);
	digits(&t, "2", NULL, NULL);
	http(&t, 503, "{}", "bye[say:Goodbye.] hang[hangup end]",
	    "an error status goes to on_error");
	is_str(var(&t, "http_status"), "503", "with its status");
	t_free(&t);

	to_menu(&t);
	digits(&t, "2", NULL, NULL);
	http(&t, 200, "<html>", "bye[say:Goodbye.] hang[hangup end]",
	    "a body that is not JSON goes to on_error");
	t_free(&t);

	to_menu(&t);
	digits(&t, "2", NULL, NULL);
	http(&t, 0, NULL, "bye[say:Goodbye.] hang[hangup end]",
	    "no answer (status 0) goes to on_error");
	is_str(var(&t, "http_status"), "0", "http_status is 0");
	t_free(&t);
}

static void
test_queue(void)
{
	struct t	 t;

	to_menu(&t);
	digits(&t, "1", NULL, NULL);
	digits(&t, "55557", "pin_ok[] route[] gold_q[enqueue:gold]", "enqueue");
	is_int(t.out.v[0].priority, 5, "with the priority");
	is_int(t.out.v[0].nskills, 2, "the skills");
	is_str(t.out.v[0].skills[0].name, "billing", "by name");
	is_int(t.out.v[0].skills[0].level, 2, "and level");
	is_int(t.out.v[0].max_wait, 60, "and max_wait in seconds");
	is_int(t.s.state, IVR_STATE_QUEUE, "the session waits in the queue");
	queue(&t, IVR_QUEUE_TIMEOUT, "vm[say:Leave a message. voicemail]",
	    "a queue timeout goes to on_timeout");
	is_int(t.out.v[1].max_length, 30, "voicemail for 30 s");
	{
		struct ivr_event ev = { .type = IVR_EV_RECORDED,
		    .recording = "rec-1" };

		feed(&t, &ev, "bye[say:Goodbye.] hang[hangup end]",
		    "the recording ends, the flow goes on");
	}
	is_str(var(&t, "message"), "rec-1", "the recording is kept");
	t_free(&t);

	to_menu(&t);
	digits(&t, "1", NULL, NULL);
	digits(&t, "55557", NULL, NULL);
	queue(&t, IVR_QUEUE_ANSWERED, "end", "an answered call leaves the "
	    "flow");
	is_int(t.s.state, IVR_STATE_DONE, "done");
	is_str(t.flow->nodes[t.s.node].id, "gold_q", "at the queue node");
	t_free(&t);

	to_menu(&t);
	digits(&t, "1", NULL, NULL);
	digits(&t, "55557", NULL, NULL);
	queue(&t, IVR_QUEUE_FAILED, "out[transfer:number:+15550100 end]",
	    "a queue that failed goes to on_error");
	t_free(&t);

	to_menu(&t);
	digits(&t, "4", "route[] std_q[enqueue:standard]", "std_q");
	queue(&t, IVR_QUEUE_TIMEOUT, "hangup end",
	    "without on_timeout the call is hung up");
	t_free(&t);
}

static const char callback_flow[] =
    "name: Callback\n"
    "start: cb\n"
    "nodes:\n"
    "  cb:\n"
    "    type: callback\n"
    "    queue: sales\n"
    "    priority: 3\n"
    "    prompt: Press 1 for this number, or key another then hash.\n"
    "    retries: 1\n"
    "    on_invalid: bye\n"
    "    on_timeout: bye\n"
    "  bye:\n"
    "    type: hangup\n";

/* A callback node: 1 is the caller's number, or another keyed; then it
 * waits in its queue as a callback. */
static void
test_callback(void)
{
	struct t	 t;

	memset(&t, 0, sizeof t);
	t.flow = load_text(callback_flow);
	ok(t.flow != NULL, "the callback flow parses");
	ivr_session_init(&t.s);
	ivr_actions_init(&t.out);
	ivr_vars_set(&t.s.caller, "number", "+4930123456");
	start(&t, "cb[say:Press 1 for this number, or key another then hash. "
	    "collect:1-16/5]", "asks for the number");
	digits(&t, "1", "enqueue", "1: enqueued");
	is_str(t.out.v[0].queue, "sales", "in the node's queue");
	is_str(t.out.v[0].callback, "+4930123456",
	    "a callback to the caller's own number");
	is_int(t.out.v[0].priority, 3, "with the node's priority");
	is_int(t.s.state, IVR_STATE_QUEUE, "waits in the queue");
	is_str(var(&t, "callback_number"), "+4930123456", "in a variable");
	queue(&t, IVR_QUEUE_ANSWERED, "end", "answered: the flow is over");
	ivr_session_free(&t.s);

	ivr_session_init(&t.s);
	start(&t, NULL, NULL);
	digits(&t, "4940999#", "enqueue", "another number, hash-terminated");
	is_str(t.out.v[0].callback, "+4940999", "in E.164");
	ivr_session_free(&t.s);

	/* Without a caller number 1 is invalid; so is a leading 0. */
	ivr_session_init(&t.s);
	start(&t, NULL, NULL);
	digits(&t, "1", "cb[say:Press 1 for this number, or key another then "
	    "hash. collect:1-16/5]", "1 without a number: asked again");
	digits(&t, "0301234#", "bye[hangup end]", "then on_invalid");
	ivr_session_free(&t.s);

	ivr_session_init(&t.s);
	start(&t, NULL, NULL);
	digits(&t, "12", NULL, NULL);
	timeout(&t, "bye[hangup end]", "too short, then a timeout: on_timeout");
	t_free(&t);
}

static void
test_events(void)
{
	struct t	 t;
	struct ivr_event ev = { .type = IVR_EV_QUEUE };

	to_menu(&t);
	ok(ivr_step(t.flow, &t.s, &ev, t.now, &t.out) == -1 &&
	    t.out.n == 0 && t.s.state == IVR_STATE_DIGITS,
	    "an event that does not fit is refused, the session unchanged");
	ev.type = IVR_EV_HANGUP;
	feed(&t, &ev, "end", "the caller hangs up");
	is_int(t.s.state, IVR_STATE_DONE, "the session is done");
	is_str(t.flow->nodes[t.s.node].id, "menu",
	    "and remembers where the caller dropped");
	t_free(&t);

	t_init(&t, "survey.yaml", MON_10AM_EDT);
	start(&t, "intro[say:Hello , one question about your call.] "
	    "rate[say:On a scale from 1 to 5, how satisfied were you? "
	    "collect:1-1/5]", "survey start");
	digits(&t, "5", "judge[] review[transfer:flow:reviews end]",
	    "goto flow transfers to the flow");
	{
		struct ivr_flow	*other = load("simple.yaml");

		ivr_flow_free(t.flow);
		t.flow = other;
		ivr_session_restart(&t.s);
		start(&t, "main[say:Thanks for calling. Press 1 for sales or 2 "
		    "for support. collect:1-1/5]", "the session restarts in "
		    "the other flow");
		is_str(var(&t, "score"), "5", "with its variables");
	}
	t_free(&t);
}

/* A chain whose last node is bent back to the first, past the checks. */
static void
test_loop_guard(void)
{
	struct ivr_flow		*flow;
	struct ivr_session	 s;
	struct ivr_actions	 out;
	struct ivr_event	 ev = { .type = IVR_EV_START };

	flow = load_text("name: l\nstart: a\nnodes:\n"
	    "  a: {type: set, variables: {x: \"${x}1\"}, next: b}\n"
	    "  b: {type: say, text: hi, next: c}\n"
	    "  c: {type: hangup}\n");
	ok(flow != NULL, "a straight flow");
	flow->nodes[1].next.node = 0;
	ivr_session_init(&s);
	ivr_actions_init(&out);
	ok(ivr_step(flow, &s, &ev, 0, &out) == -1, "a loop without input "
	    "fails the step");
	is_int(s.state, IVR_STATE_FAILED, "the session failed");
	is_str(out.error, "passed 1000 nodes without waiting for the caller",
	    "with the reason");
	ok(out.n >= 2 && out.v[out.n - 2].type == IVR_ACT_HANGUP &&
	    out.v[out.n - 1].type == IVR_ACT_END, "and hangs up");
	is_int(out.nvisits, IVR_MAX_RUN, "after %d visits", IVR_MAX_RUN);
	is_int(strlen(ivr_vars_get(&s.vars, "x")), 500,
	    "values grew step by step");
	ivr_actions_free(&out);
	ivr_session_free(&s);
	ivr_flow_free(flow);
}

static void
test_json(void)
{
	struct t		 t, u;
	struct ivr_session	 s2;
	json_t			*j, *j2;
	char			*cause = NULL, *a, *b;
	struct ivr_event	 ev;

	to_menu(&t);
	digits(&t, "1", NULL, NULL);
	digits(&t, "99", NULL, NULL);
	j = ivr_session_to_json(t.flow, &t.s);
	ok(j != NULL && strcmp(json_string_value(json_object_get(j, "node")),
	    "pin") == 0 && json_integer_value(json_object_get(j,
	    "retries")) == 1, "the session as JSON");
	ok(ivr_session_from_json(t.flow, j, &s2, &cause) == 0,
	    "and back");
	if (cause != NULL)
		printf("# %s\n", cause);
	j2 = ivr_session_to_json(t.flow, &s2);
	ok(json_equal(j, j2), "the same again");
	json_decref(j2);

	/* Both sessions take the same input to the same place. */
	u = t;
	u.s = s2;
	ivr_actions_init(&u.out);
	digits(&t, "12347", NULL, NULL);
	a = summary(&t);
	digits(&u, "12347", NULL, NULL);
	b = summary(&u);
	is_str(b, a, "a restored session goes on like the original");
	free(a);
	free(b);
	j2 = ivr_session_to_json(u.flow, &u.s);
	json_decref(j);
	j = ivr_session_to_json(t.flow, &t.s);
	ok(json_equal(j, j2), "and ends in the same state");
	json_decref(j);
	json_decref(j2);
	ivr_actions_free(&u.out);
	ivr_session_free(&u.s);

	j = json_pack("{s:s,s:s}", "state", "digits", "node", "lookup");
	ok(ivr_session_from_json(t.flow, j, &s2, &cause) == 0,
	    "a session whose node does not fit its state loads");
	ev.type = IVR_EV_DIGITS;
	ev.digits = "1";
	ok(ivr_step(t.flow, &s2, &ev, 0, &t.out) == -1 &&
	    strstr(t.out.error, "does not fit") != NULL,
	    "but the engine refuses to step it");
	ivr_session_free(&s2);
	json_decref(j);
	j = json_pack("{s:s,s:s}", "state", "digits", "node", "nope");
	ok(ivr_session_from_json(t.flow, j, &s2, &cause) == -1 &&
	    strstr(cause, "nope") != NULL, "unknown nodes are refused");
	free(cause);
	json_decref(j);
	j = json_pack("{s:s,s:{s:[]}}", "state", "new", "variables", "x");
	ok(ivr_session_from_json(t.flow, j, &s2, &cause) == -1,
	    "variables must be strings");
	free(cause);
	json_decref(j);

	j = json_pack("{s:s,s:s}", "type", "digits", "digits", "12#");
	ok(ivr_event_from_json(j, &ev, &cause) == 0 &&
	    ev.type == IVR_EV_DIGITS && strcmp(ev.digits, "12#") == 0,
	    "a digits event from JSON");
	json_decref(j);
	j = json_pack("{s:s,s:s}", "type", "queue", "result", "answered");
	ok(ivr_event_from_json(j, &ev, &cause) == 0 &&
	    ev.queue == IVR_QUEUE_ANSWERED, "a queue event from JSON");
	json_decref(j);
	j = json_pack("{s:s,s:s}", "type", "digits", "digits", "12a");
	ok(ivr_event_from_json(j, &ev, &cause) == -1, "bad digits");
	free(cause);
	json_decref(j);
	j = json_pack("{s:s}", "type", "dance");
	ok(ivr_event_from_json(j, &ev, &cause) == -1, "unknown events");
	free(cause);
	json_decref(j);

	j = ivr_action_to_json(t.flow, &t.out.v[0]);
	a = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(a, "{\"max_wait\":60,\"node\":\"gold_q\",\"priority\":5,"
	    "\"queue\":\"gold\",\"skills\":{\"billing\":2,\"english\":1},"
	    "\"type\":\"enqueue\"}", "an action as JSON");
	free(a);
	json_decref(j);
	t_free(&t);
}

static void
test_values(void)
{
	struct ivr_session	 s;
	char			*v, *big;

	ivr_session_init(&s);
	ivr_vars_set(&s.vars, "a", "x");
	ivr_vars_set(&s.caller, "number", "+1");
	v = ivr_interpolate(&s, "${a}${b}-${caller.number}-$${a}-${ a}-$");
	is_str(v, "x-+1-${a}--$", "interpolation, unset, $$, oddities");
	free(v);
	big = xmalloc(IVR_MAX_VALUE + 10);
	memset(big, 'z', IVR_MAX_VALUE + 9);
	big[IVR_MAX_VALUE + 9] = '\0';
	ivr_vars_set(&s.vars, "big", big);
	is_int(strlen(ivr_vars_get(&s.vars, "big")), IVR_MAX_VALUE,
	    "values are cut at %d bytes", IVR_MAX_VALUE);
	memcpy(big + IVR_MAX_VALUE - 1, "\xc3\xa9", 2);
	ivr_vars_set(&s.vars, "big", big);
	is_int(strlen(ivr_vars_get(&s.vars, "big")), IVR_MAX_VALUE - 1,
	    "without splitting a character");
	ivr_vars_set(&s.vars, "bad", "a\xff" "b");
	is_str(ivr_vars_get(&s.vars, "bad"), "a?b", "broken UTF-8 is "
	    "replaced");
	memset(big, 0, IVR_MAX_VALUE + 10);
	for (int i = 0; i + 2 <= IVR_MAX_VALUE; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	ivr_vars_set(&s.vars, "e", big);
	v = ivr_interpolate(&s, "x${e}${e}${e}${e}${e}${e}${e}${e}${e}${e}"
	    "${e}${e}${e}${e}${e}${e}${e}");
	ok(strlen(v) == 64 * 1024 - 1 && (unsigned char)v[strlen(v) - 1] ==
	    0xa9, "interpolated text stops at 64 KiB, between characters");
	free(v);
	free(big);
	ivr_session_free(&s);
}

int
main(void)
{
	if (getenv("IVR_CORPUS") != NULL)
		corpus = getenv("IVR_CORPUS");
	test_menu();
	test_gather();
	test_branch();
	test_hours();
	test_http();
	test_queue();
	test_callback();
	test_events();
	test_loop_guard();
	test_json();
	test_values();
	return unit_done();
}
