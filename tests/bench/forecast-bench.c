/*
 * Staffing forecast benchmark (make bench, section "forecast"): the
 * calculation of GET /api/queues/:id/forecast (forecast-model.c, Erlang C)
 * for 1,000 queues of 0.5 to 2,000 erlangs, each now and 8 half hours
 * ahead, against the target of well under a millisecond per queue. The
 * database's part is not in it.
 *
 *   build/bench/forecast-bench [queues runs]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forecast.h"

#define TARGET_US	1000.0

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

/* Queue i: 0.5 to 2,000 erlangs evenly, a third of them under 100. */
static void
queue_rows(int i, int n, struct forecast_rows *r)
{
	double	aht = 120 + (i % 7) * 40;
	double	erl = 0.5 + 2000.0 * i / n;

	memset(r, 0, sizeof r[0]);
	if (i % 3 == 0)
		erl = 0.5 + (double)(i % 97);		/* many small queues */
	r->sl_threshold = 10 + (i % 4) * 10;
	r->sl_target = 0.7 + (i % 3) * 0.1;
	r->recent_calls = erl * 3600 / aht;		/* last hour's calls */
	r->handle_sum = aht * 100;
	r->handle_n = 100;
	r->staffed = (int)(erl * (0.9 + (i % 5) * 0.05));
	r->n = 8;
	for (int s = 0; s < r->n; s++) {
		r->v[s].history_weeks = 4;
		r->v[s].history_calls = 4 * r->recent_calls / 2 *
		    (0.8 + 0.05 * s);
	}
}

int
main(int argc, char **argv)
{
	int			 queues = argc > 1 ? atoi(argv[1]) : 1000;
	int			 runs = argc > 2 ? atoi(argv[2]) : 20;
	struct forecast_rows	*rows;
	struct forecast		 f;
	double			*per, *tot, t0, t1, sink = 0, med, p99, worst;
	int			 k = 0;

	if (queues < 1 || runs < 1)
		return 2;
	rows = calloc(queues, sizeof rows[0]);
	per = calloc((size_t)queues * runs, sizeof per[0]);
	tot = calloc(runs, sizeof tot[0]);
	if (rows == NULL || per == NULL || tot == NULL)
		return 1;
	for (int i = 0; i < queues; i++)
		queue_rows(i, queues, &rows[i]);
	for (int r = 0; r < runs; r++) {
		double	start = mono();

		for (int i = 0; i < queues; i++) {
			t0 = mono();
			forecast_compute(&rows[i], &f);
			t1 = mono();
			per[k++] = (t1 - t0) * 1e6;
			sink += f.now.needed + f.slot[7].at_staffed.service_level;
		}
		tot[r] = (mono() - start) * 1e3;
	}
	qsort(per, k, sizeof per[0], dbl_cmp);
	qsort(tot, runs, sizeof tot[0], dbl_cmp);
	med = per[k / 2];
	p99 = per[(int)(k * 0.99)];
	worst = per[k - 1];
	printf("\n== forecast: Erlang C for %d queues, now and 8 half hours "
	    "each (%d runs) ==\n", queues, runs);
	printf("forecast per queue median = %.2f us   p99 = %.2f us   max = "
	    "%.2f us   target < %.0f us: %s\n", med, p99, worst, TARGET_US,
	    p99 < TARGET_US ? "ok" : "MISSED");
	printf("forecast %d queues       = %.2f ms (median of runs)\n",
	    queues, tot[runs / 2]);
	if (sink == 42.4242)
		putchar(' ');
	free(rows);
	free(per);
	free(tot);
	return 0;
}
