/*
 * One message's way from a publisher to a subscriber on loopback, one
 * after the other, N times: PostgreSQL NOTIFY (an autocommit pg_notify()
 * on one connection, LISTEN on another) against NATS (publish on one
 * connection, a synchronous subscription on another; libnats, Debian's
 * libnats-dev, not a dependency of CallDocker). Prints p50/p99/max in ms.
 * Built and run by tests/bench/bus-latency.sh.
 *
 *   bus-latency pg CONNINFO N | bus-latency nats URL N
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <nats/nats.h>

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	printf("%s: n=%d p50=%.3f ms p99=%.3f ms max=%.3f ms\n", what, n,
	    v[n / 2], v[(int)(n * 0.99)], v[n - 1]);
}

static int
run_pg(const char *conninfo, int n, double *v)
{
	PGconn		*l = PQconnectdb(conninfo), *s = PQconnectdb(conninfo);
	PGresult	*r;
	PGnotify	*msg;
	struct pollfd	 pfd;
	double		 t0;

	if (PQstatus(l) != CONNECTION_OK || PQstatus(s) != CONNECTION_OK)
		return -1;
	PQclear(PQexec(l, "LISTEN bench"));
	for (int i = 0; i < n; i++) {
		t0 = now();
		r = PQexec(s, "SELECT pg_notify('bench', 'an event of about"
		    " the size of one call row, give or take')");
		PQclear(r);
		for (msg = NULL; msg == NULL; ) {
			pfd.fd = PQsocket(l);
			pfd.events = POLLIN;
			if ((msg = PQnotifies(l)) != NULL)
				break;
			poll(&pfd, 1, 1000);
			PQconsumeInput(l);
		}
		v[i] = now() - t0;
		PQfreemem(msg);
	}
	PQfinish(l);
	PQfinish(s);
	return 0;
}

static int
run_nats(const char *url, int n, double *v)
{
	natsConnection		*pub = NULL, *sub = NULL;
	natsSubscription	*s = NULL;
	natsOptions		*o = NULL;
	natsMsg			*m = NULL;
	double			 t0;

	if (natsOptions_Create(&o) != NATS_OK ||
	    natsOptions_SetURL(o, url) != NATS_OK ||
	    natsOptions_SetSendAsap(o, true) != NATS_OK ||
	    natsConnection_Connect(&pub, o) != NATS_OK ||
	    natsConnection_Connect(&sub, o) != NATS_OK ||
	    natsConnection_SubscribeSync(&s, sub, "bench") != NATS_OK ||
	    natsConnection_Flush(sub) != NATS_OK)
		return -1;
	for (int i = 0; i < n; i++) {
		t0 = now();
		natsConnection_PublishString(pub, "bench", "an event of about"
		    " the size of one call row, give or take");
		if (natsSubscription_NextMsg(&m, s, 1000) != NATS_OK)
			return -1;
		v[i] = now() - t0;
		natsMsg_Destroy(m);
	}
	natsSubscription_Destroy(s);
	natsConnection_Destroy(pub);
	natsConnection_Destroy(sub);
	natsOptions_Destroy(o);
	return 0;
}

int
main(int argc, char **argv)
{
	int	 n = argc > 3 ? atoi(argv[3]) : 2000;
	double	*v;

	if (argc < 3 || n <= 0) {
		fprintf(stderr, "usage: bus-latency pg|nats CONNINFO|URL [N]\n");
		return 2;
	}
	v = calloc((size_t)n, sizeof *v);
	if (strcmp(argv[1], "pg") == 0 ? run_pg(argv[2], n, v) :
	    run_nats(argv[2], n, v)) {
		fprintf(stderr, "bus-latency: %s: cannot connect\n", argv[1]);
		return 1;
	}
	report(strcmp(argv[1], "pg") == 0 ? "PostgreSQL NOTIFY" : "NATS", v, n);
	free(v);
	return 0;
}
