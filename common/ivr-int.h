/*
 * What the ivr-*.c files share and nobody else needs: the YAML tree the
 * parser builds from libyaml's events, the time zone reader, and the
 * checks of single values.
 */
#ifndef IVR_INT_H
#define IVR_INT_H

#include <stdint.h>
#include <time.h>

#include "ivr.h"

#define IVR_MAX_DEPTH	16		/* nested mappings and lists */
#define IVR_MAX_VALUES	262144		/* scalars, mappings and lists */
#define IVR_MAX_ITEMS	256		/* members of a mapping inside a node */
#define IVR_MAX_VARS	1000		/* flow variables */
#define IVR_MAX_PATTERN	256		/* bytes of a regular expression */

#define IVR_NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* ivr-parse.c and ivr-field.c: the fields of a mapping as a table. */
enum ivr_ftype {
	IVR_F_TYPE,		/* a node's "type", read first */
	IVR_F_STRING,
	IVR_F_TEXT,		/* with ${var} */
	IVR_F_NAME,		/* a variable name */
	IVR_F_REF,		/* a node id */
	IVR_F_DURATION,
	IVR_F_INT,
	IVR_F_NUMBER,
	IVR_F_TERMINATOR,
	IVR_F_PATTERN,		/* gather: anchored */
	IVR_F_REGEX,		/* condition: matches */
	IVR_F_LIST,		/* condition: in */
	IVR_F_PROMPT,
	IVR_F_OPTIONS,
	IVR_F_CONDITIONS,
	IVR_F_DAYS,
	IVR_F_HOLIDAYS,
	IVR_F_SKILLS,
	IVR_F_DEFAULTS,		/* flow variables */
	IVR_F_ASSIGN,		/* set variables */
	IVR_F_HEADERS,
	IVR_F_MAP,		/* variable: JSON path */
	IVR_F_METHOD,
	IVR_F_TO,
	IVR_F_URL,
	IVR_F_TIMEZONE,
	IVR_F_NODES,
	IVR_F_QUEUE,		/* a queue name, checked if queues are known */
	IVR_F_FLOW,		/* a flow name, checked if flows are known */
	IVR_F_TARGET,		/* transfer target, checked with "to" */
	IVR_F_COUNT
};

struct ivr_field {
	const char	*name;
	enum ivr_ftype	 type;
	size_t		 off;		/* in the struct being filled */
	unsigned	 allowed;	/* node types (bits) it belongs to */
	unsigned	 required;
	long		 min;		/* numbers; lengths of strings */
	long		 max;
};

/* State of one ivr_flow_parse(). */
struct ivr_parse {
	struct ivr_diags	*d;
	struct ivr_flow		*flow;
	const struct ivr_options *opt;
	struct ivr_node		*node;	/* being filled, or NULL */
	struct ivr_cond		*cond;	/* being filled, or NULL */
	int			 tz_given;	/* "timezone" seen */
};

#define IVR_ERR(p, pos, ...)	ivr_diag_add((p)->d, IVR_ERROR, (pos), __VA_ARGS__)
#define IVR_WARN(p, pos, ...)	ivr_diag_add((p)->d, IVR_WARNING, (pos), __VA_ARGS__)

struct ivr_y;
typedef void	(*ivr_decoder)(struct ivr_parse *, const struct ivr_field *,
		    struct ivr_y *, void *);
uint64_t ivr_decode_map(struct ivr_parse *, struct ivr_y *,
	     const struct ivr_field *, size_t, unsigned, void *, const char *);
int	 ivr_decode_field(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_decode_nodes(struct ivr_parse *, struct ivr_y *);
char	*ivr_take(struct ivr_y *);
int	 ivr_has_control(const char *);
int	 ivr_check_var(struct ivr_parse *, const char *, struct ivr_pos);
/* Decoders (ivr_decoder) shared by ivr-field.c and ivr-field-map.c. */
void	 ivr_do_text(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_ref(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_list(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_prompt(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_options(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_conditions(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_days(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_holidays(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_skills(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
void	 ivr_do_map_of(struct ivr_parse *, const struct ivr_field *,
	     struct ivr_y *, void *);
extern const char *const ivr_transfer_names[];
extern const char *const ivr_method_names[];

/* ivr-validate.c */
void	 ivr_flow_check(struct ivr_parse *);
typedef void (*ivr_ref_fn)(struct ivr_ref *, void *);
void	 ivr_node_refs(struct ivr_node *, ivr_ref_fn, void *);

/* ivr-yaml.c: a document as a tree, every value with its place. */
enum ivr_ytype { IVR_Y_SCALAR, IVR_Y_MAP, IVR_Y_SEQ };

struct ivr_y {
	enum ivr_ytype	 type;
	struct ivr_pos	 pos;
	int		 plain;		/* a plain scalar: may mean null */
	char		*s;		/* scalar */
	char		*key;		/* member of a mapping: its key */
	struct ivr_pos	 kpos;
	struct ivr_y	*v;		/* members of a mapping or list */
	size_t		 n;
	size_t		 size;
};

/* The document's root, or NULL after a diagnostic. */
struct ivr_y	*ivr_yaml_load(const char *, size_t, struct ivr_diags *);
void		 ivr_yaml_free(struct ivr_y *);
int		 ivr_y_null(const struct ivr_y *);

/* ivr-tz.c: TZif files and POSIX TZ rules, without touching TZ. */
struct ivr_tz	*ivr_tz_load(const char *, const char *, char **);
void		 ivr_tz_free(struct ivr_tz *);
/* Seconds east of UTC at t; 0 for a NULL zone (UTC). */
long		 ivr_tz_offset(const struct ivr_tz *, int64_t);
int		 ivr_tz_rule(struct ivr_tz *, const char *);
int64_t		 ivr_days_from_civil(int64_t, unsigned, unsigned);
void		 ivr_civil_from_days(int64_t, int64_t *, unsigned *,
		     unsigned *);

/* ivr-session.c */
/* The value at a JSON path ("$.a[0]") as text, NULL if none or null. */
char	*ivr_json_path(json_t *, const char *);

/* ivr-value.c: one scalar at a time; 0 or -1 with *why (caller frees). */
int	 ivr_parse_duration(const char *, long *);
int	 ivr_parse_int(const char *, long, long, long *);
int	 ivr_parse_number(const char *, double *);
int	 ivr_digit_index(int);
extern const char ivr_digits[IVR_NDIGITS + 1];
int	 ivr_check_id(const char *);
int	 ivr_check_name(const char *);
int	 ivr_check_text(const char *, char **);
int	 ivr_check_json_path(const char *, char **);
int	 ivr_parse_span(const char *, struct ivr_span *, char **);
int	 ivr_parse_date(const char *, int *);
int	 ivr_parse_weekdays(const char *, unsigned *);
int	 ivr_known(const char *const *, const char *);
regex_t	*ivr_regex(const char *, int, char **);
void	 ivr_regex_free(regex_t *);
/* Copy s into buf for a message: at most 40 bytes, controls as '?'. */
const char *ivr_excerpt(char *, size_t, const char *);

#endif
