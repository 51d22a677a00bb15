/*
 * The wallboard's insides, shared by tui/wallboard.c (loop and keys),
 * tui/wb-draw.c (the screen), tui/wb-action.c (supervisor actions) and the
 * data sources (tui/wb-source.c: REST polling; the /ws event stream is to
 * come behind the same interface).
 */
#ifndef WB_H
#define WB_H

#include <stddef.h>
#include <time.h>
#include <wchar.h>

#include <jansson.h>

#include "wallboard.h"

struct cli;

/* ---- the picture: what a source delivers ------------------------------- */

struct wb_queue {
	char	*id;
	char	*name;
	long	 sl_threshold;
	int	 have_stats;
	long	 waiting;
	long	 offering;
	double	 longest;
	long	 offered;
	long	 answered;
	long	 abandoned;
	double	 abandon_rate;
	double	 sl;
	double	 asa;
	double	 aht;
	long	 avail, oncall, wrap, away, offline;
	/* Today's callbacks: waiting, requested, completed, failed. */
	long	 cb_waiting, cb_requested, cb_completed, cb_failed;
	json_t	*raw;		/* the queue as the API has it */
	/* GET /api/queues/:id/forecast (managers), NULL without one. */
	json_t	*forecast;
	long	 need;		/* agents needed now, -1 unknown */
	long	 staffed;	/* signed in, as the forecast counted */
};

struct wb_agent {
	char	*id;
	char	*name;
	char	*state;
	char	*reason;
	char	*call;		/* caller of its current call, or NULL */
	char	*call_id;	/* that call's id */
	time_t	 since;
	long	 handled;	/* today, or in total when today is unknown */
	json_t	*raw;
};

struct wb_call {
	char	*id;
	char	*caller;
	char	*queue;		/* its queue's name, or "-" */
	char	*state;
	char	*agent;		/* its agent's name, or "-" */
	char	*agent_id;
	time_t	 since;		/* enqueued or answered */
	long	 sl_threshold;	/* of its queue, 0 if unknown */
	char	*sup;		/* its supervision's mode, or NULL */
	json_t	*raw;
};

struct wb_data {
	struct wb_queue	*q;
	size_t		 nq;
	struct wb_agent	*a;
	size_t		 na;
	struct wb_call	*c;
	size_t		 nc;
	int		 handled_today;	/* wb_agent.handled counts today */
};

/* wb-data.c */
extern const char *const wb_live_states[];
void		 wb_data_free(struct wb_data *);
void		 wb_data_link(struct wb_data *);
int		 wb_data_put(struct wb_data *, const char *, json_t *);
int		 wb_agent_state(struct wb_data *, const char *, const char *,
		    const char *);
int		 wb_agent_drop(struct wb_data *, const char *);
int		 wb_call_live(const char *);
char		*wb_str(json_t *, const char *);
double		 wb_num(json_t *, const char *);
time_t		 wb_time(json_t *);
char		*wb_caller(json_t *);
void		 wb_queue_fill(struct wb_queue *, json_t *);
void		 wb_queue_stats(struct wb_queue *, json_t *);
void		 wb_queue_forecast(struct wb_queue *, json_t *);
void		 wb_agents_today(struct wb_data *, json_t *);
void		 wb_agent_fill(struct wb_agent *, json_t *);
void		 wb_call_fill(struct wb_call *, json_t *);
const struct wb_agent *wb_agent_find(const struct wb_data *, const char *);
const struct wb_call *wb_call_find(const struct wb_data *, const char *);
const struct wb_queue *wb_queue_find(const struct wb_data *, const char *);

/* ---- data sources ------------------------------------------------------ */

enum wb_link {
	WB_CONNECTING,		/* never had data yet */
	WB_LIVE,
	WB_STALE,		/* had data, lost the daemon; retrying */
};

/*
 * A source owns the current picture (data), the company's name and the
 * state of its link; the loop waits on fd (when not -1) and until
 * deadline, then calls run. gen changes whenever data was replaced or
 * changed, so the screen rebuilds its rows once per change.
 */
struct wb_source;

struct wb_source_ops {
	const char	*name;		/* "poll", "ws" */
	int		 (*fd)(struct wb_source *);
	short		 (*events)(struct wb_source *);
	int		 (*run)(struct wb_source *);
	void		 (*refresh)(struct wb_source *);
	void		 (*free)(struct wb_source *);
};

struct wb_source {
	const struct wb_source_ops	*ops;
	struct cli			*cli;
	double				 interval;
	int				 errfd;		/* captured stderr */

	struct wb_data			 data;
	unsigned			 gen;
	char				*company;	/* its name */

	/*
	 * Each queue's forecast by id, read every WB_FORECAST_EVERY
	 * seconds (it changes by the half hour); off after a 403.
	 */
	json_t				*forecasts;
	double				 forecast_at;	/* monotonic */
	int				 forecast_off;

	enum wb_link			 link;
	time_t				 last_ok;	/* wall clock */
	double				 deadline;	/* monotonic */
	int				 fails;
	char				 err[200];
};

/* wb-source.c */
struct wb_source *wb_source_poll_new(struct cli *, double, int);
int		 wb_source_fd(struct wb_source *);
short		 wb_source_events(struct wb_source *);
int		 wb_source_run(struct wb_source *);
void		 wb_source_refresh(struct wb_source *);
void		 wb_source_free(struct wb_source *);
double		 wb_mono(void);
int		 wb_get(struct wb_source *, const char *, json_t **);
int		 wb_ours(const struct wb_source *, json_t *);
int		 wb_rest_queues(struct wb_source *, struct wb_data *);
int		 wb_rest_today(struct wb_source *, struct wb_data *);
void		 wb_rest_forecasts(struct wb_source *, struct wb_queue *,
		    size_t);
void		 wb_rest_company(struct wb_source *);

/* wb-ws.c */
struct wb_source *wb_source_ws_new(struct cli *, double, int);

/* ---- the screen -------------------------------------------------------- */

enum { P_QUEUES, P_AGENTS, P_CALLS, P_COUNT };

enum {
	C_OK = 1, C_WARN, C_BAD, C_INFO, C_HOLD, C_BAR, C_DIM
};

/* A question at the bottom of the screen (wb-action.c). */
enum wb_ask {
	ASK_NONE,
	ASK_CONFIRM,		/* y/n before a destructive action */
	ASK_REASON,		/* the reason for "away" */
	ASK_PICK,		/* an agent to hand a call to */
};

struct wb {
	struct cli				*cli;
	const struct wallboard_options		*opt;
	struct wb_source			*src;
	const struct wb_data			*d;	/* src->data */
	unsigned				 gen;	/* of the rows */
	int					 color;

	int					 focus;
	size_t					 sel[P_COUNT];
	size_t					 top[P_COUNT];
	int					 sort[P_COUNT];
	size_t					*vis[P_COUNT];
	size_t					 nvis[P_COUNT];
	char					*ids[P_COUNT];	/* selected */
	char					 filter[128];
	int					 filtering;
	int					 help;
	int					 dirty;

	/* Enter: the details of one object, kept by id across refreshes. */
	int					 detail;	/* panel + 1, 0 off */
	char					*detail_id;
	json_t					*detail_more;	/* a call's events */

	/* A supervisor action under way (wb-action.c). */
	enum wb_ask				 ask;
	int					 act;
	char					*act_id;	/* its object */
	char					*act_what;	/* shown in the question */
	char					*act_name;	/* agent or caller */
	char					 input[128];
	size_t					*pick;		/* agents offered */
	size_t					 npick, pick_sel;
	char					 msg[256];	/* last result */
	int					 msg_bad;
	time_t					 msg_at;
};

/* wb-draw.c */
extern const char *const *const wb_sorts[P_COUNT];
void		 wb_draw(struct wb *);
void		 wb_start_colors(struct wb *);
void		 wb_duration(char *, size_t, long);
void		 wb_clock(char *, size_t, time_t);
int		 wb_attr(const struct wb *, int, int);
void		 wb_put(int, int, int, const char *, int, int);
int		 wb_box(int, int, int, int, const char *);

/* wb-detail.c */
void		 wb_draw_details(struct wb *);
void		 wb_details_fetch(struct wb *);

/* wb-action.c */
int		 wb_action_key(struct wb *, int, wint_t);
int		 wb_ask_key(struct wb *, int, wint_t);
void		 wb_action_free(struct wb *);
void		 wb_action_data(struct wb *);
void		 wb_message(struct wb *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
const char	*wb_action_hint(const struct wb *);

/* wallboard.c */
void		 wb_rebuild(struct wb *);
int		 wb_edit_key(char *, size_t, int, wint_t);
size_t		 wb_selected(const struct wb *, int);

#endif
