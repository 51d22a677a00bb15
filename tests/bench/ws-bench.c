/*
 * ws-bench: many calldocker.v1 WebSockets from one process (libwebsockets
 * client on a libev loop), for make bench (tests/bench/ws.sh).
 *
 *   ws-bench --port P --conns N --token T [--fanout M --fanout-token TA
 *            --api-token TA --queues Q1,Q2,...] [--daemon-pid PID]
 *            [--window W]
 *
 * 1. Opens N sockets to ws://127.0.0.1:P/ws, at most W handshakes at a
 *    time, and authenticates each: the first M with --fanout-token, the
 *    rest with --token (a token may serve many sockets). Reports the
 *    connect+auth rate.
 * 2. Subscribes every socket to "queues" and waits for each snapshot.
 *    With --daemon-pid, reads the daemon's VmRSS before step 1 and after
 *    this one: the memory each socket costs the daemon.
 * 3. Fan-out: for each queue Qi in turn, a second thread POSTs a call into
 *    it (/api/calls with --api-token, which must be of the fan-out
 *    sockets' company), timestamped just before it is sent; each of the M
 *    fan-out sockets timestamps the first queue.updated naming Qi. Reports
 *    p50/p99 of every delivery and of the time until all M had it.
 * 4. Holds the sockets open, printing "holding", until SIGTERM or SIGINT;
 *    then reports how many closed meanwhile.
 *
 * Results go to stdout as "ws-bench KEY VALUE" lines, progress to stderr.
 */
#include <sys/resource.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>
#include <jansson.h>
#include <libwebsockets.h>

#define MAX_ROUNDS	64
#define ROUND_TIMEOUT	5.0	/* seconds for every fan-out socket */
#define ROUND_GAP	0.1	/* seconds between rounds */
#define PHASE_TIMEOUT	120.0	/* seconds to connect or subscribe all */
#define MAX_HOLD	900.0	/* seconds: the caller forgot to stop us */

enum phase { P_CONNECT, P_SUBSCRIBE, P_FANOUT, P_HOLD, P_DONE };
enum cstate { S_IDLE, S_CONNECTING, S_AUTHING, S_AUTHED, S_SUBSCRIBING,
	S_SUBSCRIBED, S_FAILED, S_CLOSED };
enum kind { K_OTHER, K_AUTHENTICATED, K_SNAPSHOT, K_EVENT, K_ERROR };

struct wsc {
	struct lws	*wsi;
	int		 idx;
	enum cstate	 state;
	const char	*send;		/* message to write when writable */
	enum kind	 rxkind;	/* of the message being received */
	char		 rxhead[160];	/* its first bytes */
	size_t		 rxheadlen;
	uint64_t	 got;		/* rounds seen */
};

static struct {
	int		 port;
	int		 conns, fanout, window;
	const char	*token, *fanout_token, *api_token;
	char		*queues[MAX_ROUNDS];
	int		 rounds;
	int		 daemon_pid;
} opt = { .conns = 100, .window = 200 };

static struct lws_context	*context;
static struct ev_loop		*loop;
static struct wsc		*wsc;
static char			*auth_msg[2], *sub_msg;
static enum phase		 phase;
static int			 launched, inflight, authed, subscribed;
static int			 failed, dropped, closed_hold;
static ev_timer			 timer, hold_timer;
static double			 t_start, t_authed, t_sub_start, t_subscribed;
static long			 rss_before, rss_after;

/* Fan-out rounds: the loop thread reads t_sent after the POST thread set it. */
static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 cond = PTHREAD_COND_INITIALIZER;
static int			 post_round = -1;	/* to POST, under lock */
static int			 post_failed;		/* under lock */
static double			 t_sent[MAX_ROUNDS];	/* under lock */
static double			 t_answer[MAX_ROUNDS];	/* ms to the 201 */
static double			 first_lat[MAX_ROUNDS];	/* first delivery, ms */
static int			 round_no = -1, round_recv;
static double			 round_end_at, next_round_at;
static double			*lat;			/* every delivery, ms */
static int			 nlat;
static double			 all_lat[MAX_ROUNDS];	/* last delivery, ms */
static int			 missing;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *msg, const char *arg)
{
	fprintf(stderr, "ws-bench: %s%s%s\n", msg, arg ? " " : "",
	    arg ? arg : "");
	exit(1);
}

/* VmRSS of pid in KiB, -1 if unknown. */
static long
rss_kib(int pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = -1;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[n] (sorts v). */
static double
percentile(double *v, int n, double p)
{
	int	 i;

	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	i = (int)(p * n + 0.999999) - 1;
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* ---- the POST thread ------------------------------------------------------ */

static size_t
discard(void *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static void *
post_main(void *arg)
{
	CURL			*curl = curl_easy_init();
	struct curl_slist	*h = NULL;
	char			 url[64], body[128], *authz;
	long			 code = 0;
	int			 r;

	if (curl == NULL)
		return NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/calls", opt.port);
	if (asprintf(&authz, "Authorization: Bearer %s", opt.api_token) < 0)
		return NULL;
	h = curl_slist_append(h, authz);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	for (;;) {
		pthread_mutex_lock(&lock);
		while (post_round == -1)
			pthread_cond_wait(&cond, &lock);
		r = post_round;
		pthread_mutex_unlock(&lock);
		if (r == -2)
			break;
		snprintf(body, sizeof body, "{\"queue_id\":\"%s\","
		    "\"caller_number\":\"+15550100\"}", opt.queues[r]);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		pthread_mutex_lock(&lock);
		t_sent[r] = now();
		pthread_mutex_unlock(&lock);
		if (curl_easy_perform(curl) != CURLE_OK ||
		    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK || code != 201) {
			fprintf(stderr, "ws-bench: POST /api/calls: HTTP %ld\n",
			    code);
			pthread_mutex_lock(&lock);
			post_failed++;
			pthread_mutex_unlock(&lock);
		}
		pthread_mutex_lock(&lock);
		t_answer[r] = (now() - t_sent[r]) * 1000;
		if (post_round == r)
			post_round = -1;
		pthread_mutex_unlock(&lock);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	free(authz);
	return NULL;
}

static void
post_request(int r)
{
	pthread_mutex_lock(&lock);
	post_round = r;
	t_sent[r] = 0;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

/* ---- sockets ----------------------------------------------------------------- */

static void
connect_one(struct wsc *c)
{
	struct lws_client_connect_info	 ci;

	memset(&ci, 0, sizeof ci);
	ci.context = context;
	ci.address = "127.0.0.1";
	ci.port = opt.port;
	ci.path = "/ws";
	ci.host = "127.0.0.1";
	ci.origin = "127.0.0.1";
	ci.protocol = "calldocker.v1";
	ci.userdata = c;
	ci.pwsi = &c->wsi;
	c->state = S_CONNECTING;
	inflight++;
	/* lws may already have reported the error through the callback. */
	if (lws_client_connect_via_info(&ci) == NULL &&
	    c->state == S_CONNECTING) {
		c->state = S_FAILED;
		inflight--;
		failed++;
	}
}

static void
send_later(struct wsc *c, const char *msg)
{
	c->send = msg;
	lws_callback_on_writable(c->wsi);
}

static int
write_pending(struct wsc *c)
{
	unsigned char	 buf[LWS_PRE + 2048];
	size_t		 len;

	if (c->send == NULL)
		return 0;
	len = strlen(c->send);
	if (len > sizeof buf - LWS_PRE)
		return -1;
	/* lws masks client frames in place: a copy of the shared message. */
	memcpy(buf + LWS_PRE, c->send, len);
	c->send = NULL;
	return lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < 0 ?
	    -1 : 0;
}

static enum kind
classify(const char *s)
{
	if (strstr(s, "\"type\":\"event\"") != NULL)
		return K_EVENT;
	if (strstr(s, "\"type\":\"snapshot\"") != NULL)
		return K_SNAPSHOT;
	if (strstr(s, "\"type\":\"authenticated\"") != NULL)
		return K_AUTHENTICATED;
	if (strstr(s, "\"type\":\"error\"") != NULL)
		return K_ERROR;
	return K_OTHER;
}

/* A queue.updated event on a fan-out socket: which round, and when. */
static void
on_event(struct wsc *c, double t)
{
	const char	*q;
	double		 sent;
	int		 r = round_no;

	if (c->idx >= opt.fanout || r < 0 || (c->got & (1ULL << r)) ||
	    strstr(c->rxhead, "\"queue.updated\"") == NULL ||
	    (q = strstr(c->rxhead, "\"queue_id\":\"")) == NULL ||
	    strncmp(q + 12, opt.queues[r], 36) != 0)
		return;
	pthread_mutex_lock(&lock);
	sent = t_sent[r];
	pthread_mutex_unlock(&lock);
	if (sent == 0)
		return;
	c->got |= 1ULL << r;
	lat[nlat++] = (t - sent) * 1000;
	if (round_recv == 0)
		first_lat[r] = (t - sent) * 1000;
	if (++round_recv == opt.fanout)
		all_lat[r] = (t - sent) * 1000;
}

static void
on_message(struct wsc *c)
{
	double	 t = now();

	switch (c->rxkind) {
	case K_AUTHENTICATED:
		if (c->state == S_AUTHING) {
			c->state = S_AUTHED;
			authed++;
			inflight--;
		}
		break;
	case K_SNAPSHOT:
		if (c->state == S_SUBSCRIBING) {
			c->state = S_SUBSCRIBED;
			subscribed++;
		}
		break;
	case K_EVENT:
		on_event(c, t);
		break;
	case K_ERROR:
		fprintf(stderr, "ws-bench: socket %d: %s\n", c->idx, c->rxhead);
		break;
	case K_OTHER:
		break;
	}
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct wsc	*c = user;
	size_t		 n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->state = S_AUTHING;
		send_later(c, auth_msg[c->idx < opt.fanout]);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return write_pending(c);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			c->rxheadlen = 0;
			c->rxkind = K_OTHER;
		}
		if (c->rxheadlen < sizeof c->rxhead - 1) {
			n = sizeof c->rxhead - 1 - c->rxheadlen;
			n = len < n ? len : n;
			memcpy(c->rxhead + c->rxheadlen, in, n);
			c->rxheadlen += n;
			c->rxhead[c->rxheadlen] = '\0';
		}
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0) {
			c->rxkind = classify(c->rxhead);
			on_message(c);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c == NULL)
			break;
		if (failed < 5)
			fprintf(stderr, "ws-bench: socket %d: %s\n", c->idx,
			    in != NULL ? (const char *)in : "connection error");
		if (c->state == S_CONNECTING || c->state == S_AUTHING)
			inflight--;
		c->state = S_FAILED;
		c->wsi = NULL;
		failed++;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c == NULL)
			break;
		if (c->state == S_CONNECTING || c->state == S_AUTHING)
			inflight--;
		if (c->state == S_CONNECTING || c->state == S_AUTHING)
			failed++;
		else if (c->state != S_FAILED)
			dropped++;
		if (phase == P_HOLD)
			closed_hold++;
		c->state = S_CLOSED;
		c->wsi = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "calldocker.v1", callback, 0, 8192, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- the phases ---------------------------------------------------------------- */

static void
report(const char *key, int decimals, double v)
{
	printf("ws-bench %s %.*f\n", key, decimals, v);
	fflush(stdout);
}

static void
fanout_done(void)
{
	double	 all[MAX_ROUNDS], first[MAX_ROUNDS], answer[MAX_ROUNDS];
	int	 n = 0, nf = 0;

	pthread_mutex_lock(&lock);
	memcpy(answer, t_answer, sizeof answer);
	pthread_mutex_unlock(&lock);
	for (int r = 0; r < opt.rounds; r++) {
		if (all_lat[r] > 0)
			all[n++] = all_lat[r];
		if (first_lat[r] > 0)
			first[nf++] = first_lat[r];
	}
	report("post_answer_p50_ms", 2, percentile(answer, opt.rounds, 0.50));
	report("post_answer_p99_ms", 2, percentile(answer, opt.rounds, 0.99));
	report("fanout_first_p50_ms", 2, percentile(first, nf, 0.50));
	report("fanout_first_p99_ms", 2, percentile(first, nf, 0.99));
	report("fanout_subscribers", 0, opt.fanout);
	report("fanout_rounds", 0, opt.rounds);
	report("fanout_deliveries", 0, nlat);
	report("fanout_missing", 0, missing);
	report("fanout_p50_ms", 2, percentile(lat, nlat, 0.50));
	report("fanout_p99_ms", 2, percentile(lat, nlat, 0.99));
	report("fanout_max_ms", 2, nlat ? lat[nlat - 1] : 0);
	report("fanout_all_p50_ms", 2, percentile(all, n, 0.50));
	report("fanout_all_p99_ms", 2, percentile(all, n, 0.99));
}

static void
on_hold_timeout(struct ev_loop *l, ev_timer *w, int revents)
{
	fprintf(stderr, "ws-bench: held for %.0f s without a signal; exiting\n",
	    MAX_HOLD);
	ev_break(l, EVBREAK_ALL);
}

static void
tick(struct ev_loop *l, ev_timer *w, int revents)
{
	double	 t = now();
	int	 pf;

	switch (phase) {
	case P_CONNECT:
		while (launched < opt.conns && inflight < opt.window)
			connect_one(&wsc[launched++]);
		if (authed + failed < opt.conns &&
		    t - t_start < PHASE_TIMEOUT)
			break;
		t_authed = t;
		report("conns", 0, opt.conns);
		report("authenticated", 0, authed);
		report("connect_errors", 0, failed);
		report("connect_auth_s", 3, t_authed - t_start);
		report("connect_auth_per_s", 0, authed / (t_authed - t_start));
		t_sub_start = t;
		for (int i = 0; i < opt.conns; i++) {
			if (wsc[i].state == S_AUTHED) {
				wsc[i].state = S_SUBSCRIBING;
				send_later(&wsc[i], sub_msg);
			}
		}
		phase = P_SUBSCRIBE;
		break;
	case P_SUBSCRIBE:
		if (subscribed + dropped < authed &&
		    t - t_sub_start < PHASE_TIMEOUT)
			break;
		if (t_subscribed == 0) {
			t_subscribed = t;
			report("subscribed", 0, subscribed);
			report("subscribe_s", 3, t_subscribed - t_sub_start);
		}
		/* Let the daemon write and free the snapshots first. */
		if (t - t_subscribed < 1.0)
			break;
		if (opt.daemon_pid > 0) {
			rss_after = rss_kib(opt.daemon_pid);
			report("rss_before_kib", 0, rss_before);
			report("rss_after_kib", 0, rss_after);
			report("bytes_per_conn", 0, subscribed == 0 ? 0 :
			    (rss_after - rss_before) * 1024.0 / subscribed);
		}
		phase = opt.rounds > 0 ? P_FANOUT : P_HOLD;
		next_round_at = t;
		if (phase == P_HOLD)
			goto hold;
		break;
	case P_FANOUT:
		if (round_no >= 0 && round_recv < opt.fanout &&
		    t < round_end_at)
			break;
		if (round_no >= 0 && round_end_at != 0) {
			missing += opt.fanout - round_recv;
			round_end_at = 0;
			next_round_at = t + ROUND_GAP;
		}
		if (t < next_round_at)
			break;
		if (round_no + 1 == opt.rounds) {
			pthread_mutex_lock(&lock);
			pf = post_failed;
			pthread_mutex_unlock(&lock);
			report("post_errors", 0, pf);
			fanout_done();
			phase = P_HOLD;
			goto hold;
		}
		round_no++;
		round_recv = 0;
		round_end_at = t + ROUND_TIMEOUT;
		post_request(round_no);
		break;
	case P_HOLD:
	case P_DONE:
		break;
	}
	return;
hold:
	/* Quiet while another tool measures. */
	ev_timer_stop(l, w);
	ev_timer_init(&hold_timer, on_hold_timeout, MAX_HOLD, 0);
	ev_timer_start(l, &hold_timer);
	report("dropped", 0, dropped);
	printf("ws-bench holding %d\n", subscribed - dropped);
	fflush(stdout);
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	report("closed_while_holding", 0, closed_hold);
	phase = P_DONE;
	ev_break(l, EVBREAK_ALL);
}

static char *
message(json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

static void
split_queues(char *list)
{
	for (char *q = strtok(list, ","); q != NULL; q = strtok(NULL, ",")) {
		if (strlen(q) != 36 || opt.rounds == MAX_ROUNDS)
			die("bad queue id or more than 64:", q);
		opt.queues[opt.rounds++] = q;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "fanout", required_argument, NULL, 'm' },
		{ "fanout-token", required_argument, NULL, 'f' },
		{ "api-token", required_argument, NULL, 'a' },
		{ "queues", required_argument, NULL, 'q' },
		{ "daemon-pid", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct lws_context_creation_info	 info;
	void					*loops[1];
	struct rlimit				 rl;
	ev_signal				 sigterm, sigint;
	pthread_t				 poster;
	int					 ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': opt.port = atoi(optarg); break;
		case 'n': opt.conns = atoi(optarg); break;
		case 't': opt.token = optarg; break;
		case 'm': opt.fanout = atoi(optarg); break;
		case 'f': opt.fanout_token = optarg; break;
		case 'a': opt.api_token = optarg; break;
		case 'q': split_queues(optarg); break;
		case 'd': opt.daemon_pid = atoi(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		default: die("see the comment at the top of ws-bench.c", NULL);
		}
	}
	if (opt.port <= 0 || opt.conns <= 0 || opt.token == NULL ||
	    opt.fanout < 0 || opt.fanout > opt.conns || opt.window <= 0)
		die("need --port, --conns and --token", NULL);
	if (opt.fanout > 0 && (opt.fanout_token == NULL ||
	    opt.api_token == NULL || opt.rounds == 0))
		die("--fanout needs --fanout-token, --api-token, --queues", NULL);
	if (opt.fanout == 0)
		opt.rounds = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)opt.conns + 64)
		die("ulimit -n is too low for --conns", NULL);

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	auth_msg[0] = message(json_pack("{s:s,s:s}", "type", "auth",
	    "token", opt.token));
	auth_msg[1] = message(json_pack("{s:s,s:s}", "type", "auth",
	    "token", opt.fanout_token != NULL ? opt.fanout_token : opt.token));
	sub_msg = message(json_pack("{s:s,s:[s]}", "type", "subscribe",
	    "topics", "queues"));
	wsc = calloc((size_t)opt.conns, sizeof *wsc);
	lat = calloc((size_t)opt.fanout * MAX_ROUNDS + 1, sizeof *lat);
	if (wsc == NULL || lat == NULL)
		die("out of memory", NULL);
	for (int i = 0; i < opt.conns; i++)
		wsc[i].idx = i;

	lws_set_log_level(LLL_ERR, NULL);
	loop = ev_default_loop(0);
	loops[0] = loop;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	info.timeout_secs = 30;
	if ((context = lws_create_context(&info)) == NULL)
		die("cannot create the libwebsockets context", NULL);
	if (pthread_create(&poster, NULL, post_main, NULL) != 0)
		die("cannot start the POST thread", NULL);

	if (opt.daemon_pid > 0 && (rss_before = rss_kib(opt.daemon_pid)) < 0)
		die("cannot read the daemon's /proc/PID/status", NULL);
	t_start = now();
	ev_timer_init(&timer, tick, 0, 0.001);
	ev_timer_start(loop, &timer);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_start(loop, &sigterm);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(loop, &sigint);
	ev_run(loop, 0);

	pthread_mutex_lock(&lock);
	post_round = -2;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(poster, NULL);
	lws_context_destroy(context);
	free(wsc);
	free(lat);
	free(auth_msg[0]);
	free(auth_msg[1]);
	free(sub_msg);
	curl_global_cleanup();
	return 0;
}
