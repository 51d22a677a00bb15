/*
 * Flag values that command families share, checked here and put into a
 * request body: strings, whole numbers, skills ("name:level") and JSON. A
 * bad value is a usage error (exit 2) before anything is sent.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Parse s as a whole number from min to max; 0, or -1 if it is not. */
int
args_number(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Set key in body to the value of flag, if it was given. */
void
args_string(struct cmd_ctx *ctx, json_t *body, const char *flag,
    const char *key)
{
	const char	*v = cmd_get(ctx, flag);

	if (v != NULL)
		json_object_set_new(body, key, json_string(v));
}

/* Set key in body to the whole number given as flag, from min to max. */
int
args_int(struct cmd_ctx *ctx, json_t *body, const char *flag,
    const char *key, long long min, long long max)
{
	const char	*v = cmd_get(ctx, flag);
	long long	 n;

	if (v == NULL)
		return EXIT_OK;
	if (args_number(v, min, max, &n) == 0) {
		json_object_set_new(body, key, json_integer(n));
		return EXIT_OK;
	}
	if (min == INT_MIN && max == INT_MAX)
		return cmd_usage_error(ctx->group, ctx->entry, "bad --%s \"%s\": "
		    "must be a whole number", flag, v);
	if (max == INT_MAX)
		return cmd_usage_error(ctx->group, ctx->entry, "bad --%s \"%s\": "
		    "must be a whole number of at least %lld", flag, v, min);
	return cmd_usage_error(ctx->group, ctx->entry, "bad --%s \"%s\": must "
	    "be a whole number from %lld to %lld", flag, v, min, max);
}

/*
 * Parse "name:level": a name of 1-31 of a-z, 0-9, _ and -, a level from 1
 * to 10, as the daemon accepts them. Returns 0, or -1 and *why.
 */
static int
args_skill(const char *s, char *name, size_t size, long long *level,
    const char **why)
{
	const char	*colon = strrchr(s, ':');
	size_t		 len;

	if (colon == NULL) {
		*why = "use NAME:LEVEL";
		return -1;
	}
	len = (size_t)(colon - s);
	if (len == 0 || len >= size || len > 31 || strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") != len) {
		*why = "the name must be 1-31 of a-z, 0-9, _ and -";
		return -1;
	}
	if (args_number(colon + 1, 1, 10, level) != 0) {
		*why = "the level must be a whole number from 1 to 10";
		return -1;
	}
	memcpy(name, s, len);
	name[len] = '\0';
	return 0;
}

/* Set key in body to an object of the skills given as the repeat flag. */
int
args_skills(struct cmd_ctx *ctx, json_t *body, const char *flag,
    const char *key)
{
	const char *const	*v = cmd_get_all(ctx, flag);
	const char		*why;
	json_t			*skills;
	char			 name[32];
	long long		 level;

	if (*v == NULL)
		return EXIT_OK;
	skills = json_object();
	for (; *v != NULL; v++) {
		if (args_skill(*v, name, sizeof name, &level, &why) != 0) {
			json_decref(skills);
			return cmd_usage_error(ctx->group, ctx->entry,
			    "bad --%s \"%s\": %s", flag, *v, why);
		}
		if (json_object_get(skills, name) != NULL) {
			json_decref(skills);
			return cmd_usage_error(ctx->group, ctx->entry,
			    "--%s \"%s\" given twice", flag, name);
		}
		json_object_set_new(skills, name, json_integer(level));
	}
	json_object_set_new(body, key, skills);
	return EXIT_OK;
}

/* Set key in body to an array of every value of the repeat flag. */
void
args_strings(struct cmd_ctx *ctx, json_t *body, const char *flag,
    const char *key)
{
	const char *const	*v = cmd_get_all(ctx, flag);
	json_t			*a;

	if (*v == NULL)
		return;
	a = json_array();
	for (; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	json_object_set_new(body, key, a);
}

/* Set key in body to the JSON object given as flag. */
int
args_object(struct cmd_ctx *ctx, json_t *body, const char *flag,
    const char *key)
{
	const char	*v = cmd_get(ctx, flag);
	json_error_t	 error;
	json_t		*obj;

	if (v == NULL)
		return EXIT_OK;
	if ((obj = json_loads(v, JSON_REJECT_DUPLICATES, &error)) == NULL)
		return cmd_usage_error(ctx->group, ctx->entry, "bad --%s: %s at "
		    "character %d", flag, error.text, error.position);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return cmd_usage_error(ctx->group, ctx->entry, "bad --%s: must "
		    "be a JSON object", flag);
	}
	json_object_set_new(body, key, obj);
	return EXIT_OK;
}

/* For update: a usage error when body is empty, naming the flags. */
int
args_nothing(struct cmd_ctx *ctx, json_t *body)
{
	const struct cmd_flag	*fl;
	char			*list;
	size_t			 size;
	FILE			*f;
	int			 rc;

	if (json_object_size(body) != 0)
		return EXIT_OK;
	if ((f = open_memstream(&list, &size)) == NULL)
		abort();
	for (fl = ctx->entry->flags; fl != NULL && fl->name != NULL; fl++) {
		if (fl != ctx->entry->flags)
			fputs(fl[1].name == NULL ? " or " : ", ", f);
		fprintf(f, "--%s", fl->name);
	}
	fclose(f);
	rc = cmd_usage_error(ctx->group, ctx->entry, "nothing to change: "
	    "give %s", list);
	free(list);
	return rc;
}
