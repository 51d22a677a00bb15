/*
 * IVR flows: the YAML format of calldocker-ivr(5) read into a struct
 * ivr_flow, with every problem reported at its line and column. The
 * engine that runs a flow is in ivr-engine.h.
 */
#ifndef IVR_H
#define IVR_H

#include <regex.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define IVR_MAX_INPUT	(1024 * 1024)	/* bytes of YAML */
#define IVR_MAX_NODES	10000
#define IVR_MAX_DIAGS	100		/* then "too many problems" */
#define IVR_MAX_ID	64		/* bytes of a node id or a name */
#define IVR_MAX_STRING	4096		/* bytes of a field's value */
#define IVR_NDIGITS	12		/* menu keys: 0-9, * and # */

enum ivr_severity { IVR_ERROR, IVR_WARNING };

/* One problem; line and column are 1-based, 0 when it has no place. */
struct ivr_diag {
	enum ivr_severity	 severity;
	unsigned		 line;
	unsigned		 column;
	char			*message;
};

struct ivr_diags {
	struct ivr_diag		*v;
	size_t			 n;
	size_t			 size;
	size_t			 errors;
	size_t			 warnings;
	int			 truncated;	/* more than IVR_MAX_DIAGS */
};

struct ivr_pos {
	unsigned	 line;
	unsigned	 column;
};

enum ivr_node_type {
	IVR_SAY,
	IVR_PLAY,
	IVR_MENU,
	IVR_GATHER,
	IVR_BRANCH,
	IVR_HOURS,
	IVR_QUEUE,
	IVR_TRANSFER,
	IVR_VOICEMAIL,
	IVR_SET,
	IVR_GOTO,
	IVR_HTTP,
	IVR_HANGUP,
	IVR_CALLBACK,		/* confirm a number, then wait as a callback */
	IVR_NTYPES
};

/* A reference to a node: its id as written and its index once resolved. */
struct ivr_ref {
	char		*id;		/* NULL: not given */
	int		 node;		/* index in flow->nodes, -1: none */
	struct ivr_pos	 pos;
};

/* What the caller hears: text to speak, or a file or URL to play. */
struct ivr_prompt {
	char		*text;		/* may hold ${var} */
	char		*language;
	char		*voice;
	char		*file;
	char		*url;
};

/* A name and a value: variables, headers, response mappings. */
struct ivr_pair {
	char		*name;
	char		*value;
	struct ivr_pos	 pos;
};

struct ivr_skill {
	char		*name;
	int		 level;		/* 1 to 10 */
};

enum ivr_cmp { IVR_EQUALS, IVR_IN, IVR_MATCHES, IVR_GREATER, IVR_LESS };

/* One condition of a branch node. */
struct ivr_cond {
	int		 caller;	/* subject is a caller field */
	char		*subject;	/* variable or caller field name */
	enum ivr_cmp	 op;
	char		*value;		/* equals (may hold ${var}), matches */
	double		 number;	/* greater, less */
	char		**list;		/* in */
	size_t		 nlist;
	regex_t		*re;		/* matches */
	struct ivr_ref	 next;
	struct ivr_pos	 pos;
};

/* Opening hours: minutes after midnight, start inclusive, end exclusive. */
struct ivr_span {
	unsigned short	 start;
	unsigned short	 end;
};
#define IVR_MAX_SPANS	8

struct ivr_hours {
	struct ivr_span	 spans[7][IVR_MAX_SPANS];	/* 0: Sunday */
	int		 nspans[7];
	int		*holidays;	/* YYYYMMDD, sorted */
	size_t		 nholidays;
};

enum ivr_transfer_to { IVR_TO_AGENT, IVR_TO_QUEUE, IVR_TO_NUMBER,
	IVR_TO_FLOW };
enum ivr_method { IVR_GET, IVR_POST, IVR_PUT, IVR_PATCH, IVR_DELETE };

struct ivr_node {
	char			*id;
	enum ivr_node_type	 type;
	struct ivr_pos		 pos;		/* of the id */
	struct ivr_prompt	 prompt;	/* say, play, menu, gather, voicemail */
	struct ivr_ref		 next;
	struct ivr_ref		 on_timeout;	/* menu, gather, queue */
	struct ivr_ref		 on_invalid;	/* menu, gather */
	struct ivr_ref		 on_error;	/* http, queue */
	int			 timeout;	/* seconds: menu, gather, http */
	int			 retries;	/* menu, gather */
	union {
		struct {
			struct ivr_ref	 options[IVR_NDIGITS];
		} menu;
		struct {
			char		*variable;
			int		 min_length;
			int		 max_length;
			char		 terminator;	/* 0: none */
			char		*pattern;
			regex_t		*re;		/* anchored */
		} gather;
		struct {
			struct ivr_cond	*conds;
			size_t		 nconds;
			struct ivr_ref	 otherwise;	/* "else" */
		} branch;
		struct {
			struct ivr_hours *hours;
			struct ivr_ref	 open;
			struct ivr_ref	 closed;
		} hours;
		struct {		/* queue and callback */
			char		*name;
			int		 priority;
			struct ivr_skill *skills;
			size_t		 nskills;
			int		 max_wait;	/* seconds, 0: none */
		} queue;
		struct {
			enum ivr_transfer_to to;
			char		*target;	/* may hold ${var} */
			struct ivr_pos	 pos;		/* of the target */
		} transfer;
		struct {
			int		 max_length;	/* seconds */
			char		*variable;	/* gets the recording */
		} voicemail;
		struct {
			struct ivr_pair	*vars;		/* values may hold ${var} */
			size_t		 nvars;
		} set;
		struct {
			struct ivr_ref	 node;
			char		*flow;
		} jump;
		struct {
			enum ivr_method	 method;
			char		*url;		/* may hold ${var} */
			struct ivr_pair	*headers;	/* values may hold ${var} */
			size_t		 nheaders;
			char		*body;		/* may hold ${var} */
			struct ivr_pair	*map;		/* variable: JSON path */
			size_t		 nmap;
		} http;
	} u;
};

struct ivr_tz;

struct ivr_flow {
	char		*name;
	char		*description;
	char		*timezone;	/* NULL: UTC */
	char		*language;	/* default of say nodes and prompts */
	char		*voice;
	struct ivr_ref	 start;
	struct ivr_pair	*vars;		/* defaults */
	size_t		 nvars;
	struct ivr_node	*nodes;		/* in the order of the file */
	size_t		 nnodes;
	struct ivr_tz	*tz;		/* NULL: UTC */
	int		*index;		/* node indexes sorted by id */
};

/* What the caller knows that the file does not. */
struct ivr_options {
	const char *const *queues;	/* NULL-terminated; NULL: not checked */
	const char *const *flows;	/* likewise, for goto and transfer */
	const char	*zoneinfo;	/* NULL: /usr/share/zoneinfo */
};

/* ivr-parse.c */
/*
 * Parse and validate len bytes of YAML. Returns the flow if it has no
 * errors (warnings allowed), else NULL; diagnostics are appended to d in
 * the order of the file. Caller frees with ivr_flow_free().
 */
struct ivr_flow	*ivr_flow_parse(const char *, size_t,
		    const struct ivr_options *, struct ivr_diags *);
void		 ivr_flow_free(struct ivr_flow *);
/* The index of the node with this id, -1 if none. */
int		 ivr_flow_find(const struct ivr_flow *, const char *);
const char	*ivr_node_type_name(enum ivr_node_type);
const char	*ivr_transfer_name(enum ivr_transfer_to);
const char	*ivr_method_name(enum ivr_method);

/* ivr-diag.c */
void	ivr_diags_init(struct ivr_diags *);
void	ivr_diags_free(struct ivr_diags *);
void	ivr_diag_add(struct ivr_diags *, enum ivr_severity, struct ivr_pos,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
/* Sort by line and column, keeping the order of equal places. */
void	ivr_diags_sort(struct ivr_diags *);
/* "FILE:LINE:COL: error: message", one a line. */
void	ivr_diags_print(FILE *, const char *, const struct ivr_diags *);
/* Append {"file","line","column","severity","message"} objects. */
void	ivr_diags_json(json_t *, const char *, const struct ivr_diags *);

#endif
