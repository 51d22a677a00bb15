/* Prometheus metrics: requests by route and status, latency, connections. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

/* Loop thread only. route is an index in routes[], or nroutes for none. */
void	metrics_request(size_t route, int status, double seconds);
void	metrics_connection(int delta);
/* Open client connections; any thread (a relaxed read). */
long	metrics_open_connections(void);
/* Render the text exposition format. Caller frees. */
char	*metrics_render(size_t *len);

/* The text being rendered, for the parts other files add (cluster.c). */
struct metrics_out {
	char	*buf;
	size_t	 len, cap;
};
void	metrics_printf(struct metrics_out *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
