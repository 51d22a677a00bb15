/*
 * Erlang C by way of the Erlang B recurrence
 *   B(0) = 1,  B(k) = A B(k-1) / (k + A B(k-1))
 * kept as its inverse I(k) = 1 / B(k) = 1 + (k / A) I(k-1): a sum of
 * positive terms (no cancellation, no A^N / N!), one multiply-add per
 * agent instead of a division; I grows past the largest double only where
 * B is below 1e-308, and 1 / inf is the 0 that B then is. Then
 *   C = N B / (N - A (1 - B))          probability of waiting (N > A)
 *   SL(t) = 1 - C exp(-(N - A) t / h)  answered within t seconds
 *   ASA = C h / (N - A)
 * with A the traffic in erlangs and h the average handle time. The agents
 * needed are found by walking N up from the first N above A, one step of
 * the recurrence per agent.
 */
#include <math.h>
#include <string.h>

#include "erlang.h"

double
erlang_b(double a, int n)
{
	double	inv = 1, ia;

	if (!(a > 0))
		return n > 0 ? 0 : 1;
	ia = 1 / a;
	for (int k = 1; k <= n; k++)
		inv = 1 + k * ia * inv;
	return 1 / inv;
}

/* Fill *out from B(n) for traffic a, handle time h, goal t. */
static void
figures(double a, double h, int n, double b, double t, struct erlang *out)
{
	double	c;

	memset(out, 0, sizeof out[0]);
	out->agents = n;
	out->traffic = a;
	out->occupancy = n > 0 ? a / n : 0;
	if (!(a > 0)) {
		out->service_level = 1;
		return;
	}
	if (a >= n) {
		out->overloaded = 1;
		out->p_wait = 1;
		out->asa = INFINITY;
		return;
	}
	c = n * b / (n - a * (1 - b));
	out->p_wait = c;
	out->service_level = 1 - c * exp(-(n - a) * t / h);
	out->asa = c * h / (n - a);
}

void
erlang_c(double rate, double aht, int agents, double t, struct erlang *out)
{
	double	a = rate > 0 && aht > 0 ? rate * aht : 0;

	if (agents < 0)
		agents = 0;
	figures(a, aht, agents, erlang_b(a, agents), t, out);
}

int
erlang_agents(double rate, double aht, double t, double target,
    int max_agents, struct erlang *out)
{
	struct erlang	 e, *o = out != NULL ? out : &e;
	double		 a, ia, inv = 1;
	int		 n;

	if (!isfinite(rate) || !isfinite(aht) || !isfinite(t) ||
	    !isfinite(target))
		return -1;
	a = rate > 0 && aht > 0 ? rate * aht : 0;
	if (a == 0) {
		figures(0, aht, 0, 0, t, o);
		return 0;
	}
	if (target > 1)
		target = 1;
	ia = 1 / a;
	for (n = 1; n <= max_agents; n++) {
		inv = 1 + n * ia * inv;
		if (n <= a)
			continue;
		figures(a, aht, n, 1 / inv, t, o);
		if (o->service_level >= target)
			return n;
	}
	return -1;
}
