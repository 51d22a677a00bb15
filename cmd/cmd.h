/*
 * calldocker, the CLI: the command table and what the command files share.
 * One section per file, like tmux.h.
 */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>

#include <jansson.h>

#include "client.h"
#include "version.h"

#ifndef CALLDOCKER_VERSION
#endif

/* Exit statuses, see calldocker(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* unknown command or flag, bad arguments */
	EXIT_NOTFOUND = 3,	/* 404 */
	EXIT_AUTH = 4,		/* 401, 403 */
	EXIT_UNREACHABLE = 5,	/* no daemon at the host */
};

enum output_format { OUTPUT_TABLE, OUTPUT_JSON, OUTPUT_YAML, OUTPUT_CSV };

/* One flag of a command, or a global flag. */
struct cmd_flag {
	const char		 *name;		/* long name without "--" */
	int			  short_name;	/* 'o', or 0 */
	const char		 *arg;		/* argument name ("ID"), NULL: a switch */
	const char		 *help;
	int			  required;
	int			  repeat;	/* may be given more than once */
	const char *const	 *values;	/* the argument's possible values */
	const char		 *complete;	/* calldocker command listing values */
	int			  id;		/* global flags: enum global_flag */
};

struct cmd_ctx;

/* A command, or a group of commands (a resource) when children is set. */
struct cmd_entry {
	const char		 *name;
	const char		 *usage;	/* positional arguments ("ID") */
	const char		 *summary;	/* one line, lower case, no full stop */
	int			  min_args;
	int			  max_args;	/* -1: no limit */
	const struct cmd_flag	 *flags;	/* ends with { .name = NULL } */
	const struct cmd_entry	 *children;	/* ends with { .name = NULL } */
	const char *const	 *arg_values;	/* completion of the arguments */
	const char		 *arg_complete;	/* command listing argument values */
	int			  hidden;	/* not in help, completion, man */
	int			(*exec)(struct cmd_ctx *);
};

/* Most flags one command has (cmd_get() aborts past it). */
#define CMD_MAX_FLAGS	24

/* Global state of one invocation: global flags and what they resolve to. */
struct cli {
	const char		*host_flag;	/* --host */
	const char		*token_flag;	/* --token */
	const char		*company;	/* --company */
	const char		*context_flag;	/* --context */
	const char		*cacert_flag;	/* --cacert */
	enum output_format	 output;
	int			 no_headers;
	int			 quiet;
	int			 color;		/* stdout is a tty, no NO_COLOR */
	int			 new_context;	/* --context may name a new one */

	struct context_file	*cf;		/* loaded on first use */
	char			*host;		/* resolved */
	char			*token;		/* resolved, may be NULL */
	const char		*cacert;	/* resolved, NULL: system store */
	int			 token_from_context;
	struct client		*client;
};

/* The command being run: its entry, path, arguments and flag values. */
struct cmd_ctx {
	struct cli		 *cli;
	const struct cmd_entry	 *entry;
	const struct cmd_entry	 *group;	/* NULL for a top-level command */
	int			  argc;
	char			**argv;
	const char		 *values[CMD_MAX_FLAGS];	/* the last given */
	const char		**lists[CMD_MAX_FLAGS];	/* repeat flags, all */
};

/* calldocker.c */
void	cli_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	cli_info(struct cli *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* cmd.c */
enum global_flag {
	GLOBAL_HOST = 1, GLOBAL_TOKEN, GLOBAL_COMPANY, GLOBAL_OUTPUT,
	GLOBAL_NO_HEADERS, GLOBAL_QUIET, GLOBAL_CONTEXT, GLOBAL_HELP,
	GLOBAL_VERSION, GLOBAL_CACERT,
};
extern const struct cmd_flag	 cmd_global_flags[];
extern const struct cmd_entry	*cmd_table[];
extern const char *const	 cmd_output_values[];
int		 cmd_run(struct cli *, int, char **);
const char	*cmd_get(const struct cmd_ctx *, const char *);
const char *const *cmd_get_all(const struct cmd_ctx *, const char *);
int		 cmd_usage_error(const struct cmd_entry *,
		    const struct cmd_entry *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 cmd_help(FILE *, const struct cmd_entry *,
		    const struct cmd_entry *);
void		 cmd_synopsis(FILE *, const struct cmd_entry *,
		    const struct cmd_entry *);
int		 cmd_is_group(const struct cmd_entry *);
int		 cmd_parse_limit(struct cmd_ctx *, long *);

/* api.c */
int		 api_config(struct cli *);
const char	*api_context_name(struct cli *);
int		 api_resolve(struct cli *);
int		 api_open(struct cli *);
int		 api_request(struct cli *, const char *, const char *,
		     json_t *, struct client_response *);
int		 api_request_raw(struct cli *, const char *, const char *,
		     const char *, const char *, size_t,
		     struct client_response *);
int		 api_report(struct cli *, const struct client_response *);
int		 api_call(struct cli *, const char *, const char *, json_t *,
		     json_t **);
int		 api_call_headers(struct cli *, const char *, const char *,
		     const char *const *, json_t *, json_t **);
int		 api_status_exit(long);
int		 api_renew(struct cli *);
int		 api_list(struct cli *, const char *, int, long, json_t **);
void		 api_query_add(char **, const char *, const char *);
char		*api_path(const char *, const char *);

/* context.c */
struct context {
	char	*name;
	char	*host;
	char	*token;
	char	*refresh_token;
	char	*email;
	char	*cacert;	/* CA file for an https:// host */
};
struct context_file {
	char		*path;
	char		*current;
	struct context	*contexts;
	size_t		 ncontexts;
	int		 lock_fd;	/* -1 when not locked */
};
struct context_file *context_load(int, char **);
int		 context_save(struct context_file *, char **);
void		 context_free(struct context_file *);
struct context	*context_find(struct context_file *, const char *);
struct context	*context_add(struct context_file *, const char *);
void		 context_remove(struct context_file *, const char *);
void		 context_set(char **, const char *);
/* The CA file as an absolute path (as given if it cannot be resolved). */
void		 context_set_cacert(struct context *, const char *);
char		*context_path(void);

/* output.c */
struct output_column {
	const char	*header;	/* upper case: "EMAIL" */
	const char	*key;		/* JSON member: "email" */
	/* The cell's text from the member, NULL for none; caller frees. */
	char		*(*format)(json_t *);
};
struct output_resource {
	const char		*name;		/* "user", for messages */
	const char		*plural;	/* "users" */
	const char		*id_key;	/* what -q prints: "id" */
	struct output_column	 columns[12];	/* ends with { NULL } */
};
int	output_parse(const char *, enum output_format *);
int	output_yaml_style(const char *);
void	output_list(struct cli *, const struct output_resource *, json_t *);
void	output_object(struct cli *, const struct output_resource *,
	    json_t *);
void	output_yaml(FILE *, json_t *);
/* output-json.c: JSON text with reals at their shortest exact digits. */
void	output_real(char *, size_t, double);
char	*output_json_text(json_t *, int);
void	output_json(FILE *, json_t *);
/* Statistics and KPIs: KEY VALUE rows for table and csv ("today.asa"),
 * the object for json and yaml; -q does not apply. */
void	output_figures(struct cli *, json_t *);

/* args.c */
int	 args_number(const char *, long long, long long, long long *);
void	 args_string(struct cmd_ctx *, json_t *, const char *, const char *);
void	 args_strings(struct cmd_ctx *, json_t *, const char *, const char *);
int	 args_int(struct cmd_ctx *, json_t *, const char *, const char *,
	     long long, long long);
int	 args_skills(struct cmd_ctx *, json_t *, const char *, const char *);
int	 args_object(struct cmd_ctx *, json_t *, const char *, const char *);
int	 args_nothing(struct cmd_ctx *, json_t *);

/* verbs.c */
int	 verbs_list(struct cmd_ctx *, const struct output_resource *,
	     const char *);
int	 verbs_fetch(struct cmd_ctx *, const char *, const char *,
	     json_t **);
int	 verbs_get(struct cmd_ctx *, const struct output_resource *,
	     const char *);
int	 verbs_send(struct cmd_ctx *, const struct output_resource *,
	     const char *, const char *, const char *, json_t *);
int	 verbs_delete(struct cmd_ctx *, const struct output_resource *,
	     const char *);
int	 verbs_company_path(struct cmd_ctx *, const char *, char **);

/* prompt.c */
int	 prompt_have_tty(void);
char	*prompt_line(const char *, int, char **);
char	*prompt_stdin(char **);
char	*prompt_new_password(int, char **);
void	 prompt_free(char *);
int	 prompt_confirm(const char *);

/* cmd-auth.c */
extern const struct cmd_entry	cmd_auth_login_entry;
extern const struct cmd_entry	cmd_auth_logout_entry;
extern const struct cmd_entry	cmd_auth_whoami_entry;

/* cmd-companies.c */
extern const struct cmd_entry	cmd_companies_entry;

/* cmd-users.c */
extern const struct cmd_entry		cmd_users_entry;
extern const struct output_resource	cmd_users_resource;

/* cmd-calls.c */
extern const struct cmd_entry		cmd_calls_entry;

/* cmd-queues.c */
extern const struct cmd_entry		cmd_queues_entry;

/* cmd-agents.c */
extern const struct cmd_entry		cmd_agents_entry;

/* cmd-webhooks.c */
extern const struct cmd_entry		cmd_webhooks_entry;
/* cmd-analytics.c */
extern const struct cmd_entry		cmd_analytics_entry;

/* cmd-settings.c */
extern const struct cmd_entry		cmd_settings_entry;
/* --company, else the signed-in user's company. Caller frees *company. */
int		 cmd_own_company(struct cmd_ctx *, char **company);

/* cmd-files.c */
extern const struct cmd_entry		cmd_files_entry;
/* cmd-files.c: GET path's content into FILE out (NULL: stdout). */
int		 cmd_files_save(struct cmd_ctx *, const char *path,
		     const char *out);
/* cmd-widget.c */
extern const struct cmd_entry		cmd_widget_keys_entry;
extern const struct cmd_entry		cmd_widget_origins_entry;

/* cmd-integrations.c */
extern const struct cmd_entry		cmd_integrations_entry;

/* cmd-ivr.c */
struct ivr_diags;
struct ivr_flow;
struct ivr_options;
extern const struct cmd_entry	cmd_ivr_entry;
char		*cmd_ivr_read(const char *, size_t *, char **);
char		**cmd_ivr_split(const char *const *);
void		 cmd_ivr_split_free(char **);
struct ivr_flow	*cmd_ivr_load(const char *, const struct ivr_options *,
		    struct ivr_diags *);
const char	*cmd_ivr_label(const char *);

/* cmd-ivr-sim.c */
int		 cmd_ivr_simulate(struct cmd_ctx *);

/* cmd-ivr-store.c */
int		 cmd_ivr_store_list(struct cmd_ctx *);
int		 cmd_ivr_store_show(struct cmd_ctx *);
int		 cmd_ivr_store_export(struct cmd_ctx *);
int		 cmd_ivr_store_versions(struct cmd_ctx *);
int		 cmd_ivr_store_activate(struct cmd_ctx *);
int		 cmd_ivr_store_rollback(struct cmd_ctx *);
int		 cmd_ivr_store_delete(struct cmd_ctx *);
int		 cmd_ivr_store_import(struct cmd_ctx *);
int		 cmd_ivr_store_diff(struct cmd_ctx *);

/* cmd-config.c */
extern const struct cmd_entry	cmd_config_entry;

/* cmd-completion.c */
extern const struct cmd_entry	cmd_completion_entry;
/* Each visible command with its group (NULL for a top-level command). */
struct cmd_completion_iter {
	size_t			 top;
	const struct cmd_entry	*group;
	const struct cmd_entry	*child;
};
int	cmd_completion_next(struct cmd_completion_iter *,
	    const struct cmd_entry **, const struct cmd_entry **);
void	cmd_completion_path(FILE *, const struct cmd_entry *,
	    const struct cmd_entry *);
int	cmd_completion_flags(FILE *, const struct cmd_flag *, int,
	    const char *, int);
int	cmd_completion_has_args(const struct cmd_flag *);
void	cmd_completion_words(FILE *, const char *const *);

/* completion-zsh.c */
void	completion_zsh(FILE *);

/* completion-fish.c */
void	completion_fish(FILE *);

/* cmd-wallboard.c */
extern const struct cmd_entry	cmd_wallboard_entry;

/* cmd-agent.c */
extern const struct cmd_entry	cmd_agent_entry;

/* cmd-man.c */
extern const struct cmd_entry	cmd_man_entry;

/* cmd-version.c */
extern const struct cmd_entry	cmd_version_entry;

#endif
