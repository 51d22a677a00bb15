/*
 * The CLI's configuration file, $XDG_CONFIG_HOME/calldocker/config.yaml:
 *
 *	current-context: default
 *	contexts:
 *	  default:
 *	    host: unix:///run/calldocker/calldockerd.sock
 *	    token: ...
 *	    refresh_token: ...
 *	    email: ann@acme.test
 *	    cacert: /etc/calldocker/ca.pem	(https:// hosts; else the system store)
 *
 * Read with libyaml's parser, written with its emitter to a temporary file
 * that is renamed over the old one (mode 0600, directory 0700). Writers
 * hold an flock on config.yaml.lock so that two processes refreshing the
 * same session do not both spend its refresh token.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "cmd.h"
#include "xmalloc.h"

#define CONTEXT_MAX_DEPTH	32

/* Path of config.yaml. Caller frees. */
char *
context_path(void)
{
	const char	*dir = getenv("XDG_CONFIG_HOME"), *home;
	struct passwd	*pw;

	if (dir != NULL && dir[0] == '/')
		return xasprintf("%s/calldocker/config.yaml", dir);
	home = getenv("HOME");
	if ((home == NULL || *home == '\0') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL)
		home = "/";
	return xasprintf("%s/.config/calldocker/config.yaml", home);
}

/* Create the directories above path, each missing one with mode 0700. */
static int
context_mkdirs(const char *path, char **cause)
{
	char	*dir = xstrdup(path), *p, save;
	int	 rc = -1;

	if ((p = strrchr(dir, '/')) != NULL)
		*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		save = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*cause = xasprintf("cannot create \"%s\": %s", dir,
			    strerror(errno));
			goto out;
		}
		*p = save;
		if (save == '\0')
			break;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

/* Read one node starting with event ev into *out (strings for scalars). */
static int
context_read_node(yaml_parser_t *p, yaml_event_t *ev, json_t **out, int depth,
    char **cause)
{
	yaml_event_t	 e;
	json_t		*child, *key;

	*out = NULL;
	if (depth > CONTEXT_MAX_DEPTH) {
		*cause = xstrdup("nested too deeply");
		return -1;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*out = json_stringn((char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		if (*out == NULL) {
			*cause = xstrdup("invalid UTF-8");
			return -1;
		}
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		*cause = xstrdup("aliases are not supported");
		return -1;
	}

	*out = ev->type == YAML_MAPPING_START_EVENT ? json_object() :
	    json_array();
	for (;;) {
		key = NULL;
		if (!yaml_parser_parse(p, &e))
			goto parse_error;
		if (e.type == YAML_SEQUENCE_END_EVENT ||
		    e.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&e);
			return 0;
		}
		if (json_is_object(*out)) {
			if (e.type != YAML_SCALAR_EVENT) {
				yaml_event_delete(&e);
				*cause = xstrdup("mapping keys must be scalars");
				goto fail;
			}
			key = json_stringn((char *)e.data.scalar.value,
			    e.data.scalar.length);
			yaml_event_delete(&e);
			if (key == NULL) {
				*cause = xstrdup("invalid UTF-8");
				goto fail;
			}
			if (!yaml_parser_parse(p, &e)) {
				json_decref(key);
				goto parse_error;
			}
		}
		if (context_read_node(p, &e, &child, depth + 1, cause) != 0) {
			yaml_event_delete(&e);
			json_decref(key);
			goto fail;
		}
		yaml_event_delete(&e);
		if (key != NULL) {
			json_object_set_new(*out, json_string_value(key), child);
			json_decref(key);
		} else
			json_array_append_new(*out, child);
	}

parse_error:
	*cause = xasprintf("%zu:%zu: %s", p->problem_mark.line + 1,
	    p->problem_mark.column + 1, p->problem != NULL ? p->problem :
	    "syntax error");
fail:
	json_decref(*out);
	*out = NULL;
	return -1;
}

/* Parse the whole file into *out: NULL for an empty file. */
static int
context_read_yaml(FILE *f, json_t **out, char **cause)
{
	yaml_parser_t	 p;
	yaml_event_t	 e;
	int		 rc = -1;

	*out = NULL;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	for (;;) {
		if (!yaml_parser_parse(&p, &e)) {
			*cause = xasprintf("%zu:%zu: %s", p.problem_mark.line + 1,
			    p.problem_mark.column + 1, p.problem != NULL ?
			    p.problem : "syntax error");
			goto out;
		}
		if (e.type == YAML_STREAM_END_EVENT ||
		    e.type == YAML_DOCUMENT_END_EVENT)
			break;
		if (e.type == YAML_SCALAR_EVENT ||
		    e.type == YAML_SEQUENCE_START_EVENT ||
		    e.type == YAML_MAPPING_START_EVENT ||
		    e.type == YAML_ALIAS_EVENT) {
			if (context_read_node(&p, &e, out, 0, cause) != 0) {
				yaml_event_delete(&e);
				goto out;
			}
		}
		yaml_event_delete(&e);
	}
	yaml_event_delete(&e);
	rc = 0;
out:
	yaml_parser_delete(&p);
	return rc;
}

static int
context_string(json_t *obj, const char *key, const char *where, char **out,
    char **cause)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		*cause = xasprintf("\"%s%s\" must be a string", where, key);
		return -1;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* Fill cf from the parsed document. */
static int
context_from_json(struct context_file *cf, json_t *doc, char **cause)
{
	json_t		*contexts, *v;
	const char	*name;
	struct context	*ctx;
	char		*where;
	int		 rc;

	if (doc == NULL || (json_is_string(doc) &&
	    *json_string_value(doc) == '\0'))
		return 0;
	if (!json_is_object(doc)) {
		*cause = xstrdup("the top level must be a mapping");
		return -1;
	}
	if (context_string(doc, "current-context", "", &cf->current,
	    cause) != 0)
		return -1;
	contexts = json_object_get(doc, "contexts");
	if (contexts == NULL || (json_is_string(contexts) &&
	    *json_string_value(contexts) == '\0'))
		return 0;
	if (!json_is_object(contexts)) {
		*cause = xstrdup("\"contexts\" must be a mapping");
		return -1;
	}
	json_object_foreach(contexts, name, v) {
		if (!json_is_object(v)) {
			*cause = xasprintf("\"contexts.%s\" must be a mapping",
			    name);
			return -1;
		}
		ctx = context_add(cf, name);
		where = xasprintf("contexts.%s.", name);
		rc = 0;
		if (context_string(v, "host", where, &ctx->host, cause) != 0 ||
		    context_string(v, "token", where, &ctx->token, cause) != 0 ||
		    context_string(v, "refresh_token", where,
		    &ctx->refresh_token, cause) != 0 ||
		    context_string(v, "email", where, &ctx->email, cause) != 0 ||
		    context_string(v, "cacert", where, &ctx->cacert, cause) != 0)
			rc = -1;
		free(where);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/*
 * Read the configuration file; a missing file is an empty configuration.
 * With lock, take the writers' lock first (released by context_free).
 */
struct context_file *
context_load(int lock, char **cause)
{
	struct context_file	*cf;
	json_t			*doc = NULL;
	FILE			*f = NULL;
	char			*lockpath, *why = NULL;

	cf = xcalloc(1, sizeof *cf);
	cf->path = context_path();
	cf->lock_fd = -1;

	if (lock) {
		if (context_mkdirs(cf->path, cause) != 0)
			goto fail;
		lockpath = xasprintf("%s.lock", cf->path);
		cf->lock_fd = open(lockpath, O_RDWR|O_CREAT|O_CLOEXEC, 0600);
		if (cf->lock_fd == -1 || flock(cf->lock_fd, LOCK_EX) != 0) {
			*cause = xasprintf("cannot lock \"%s\": %s", lockpath,
			    strerror(errno));
			free(lockpath);
			goto fail;
		}
		free(lockpath);
	}

	if ((f = fopen(cf->path, "r")) == NULL) {
		if (errno == ENOENT)
			return cf;
		*cause = xasprintf("cannot open \"%s\": %s", cf->path,
		    strerror(errno));
		goto fail;
	}
	if (context_read_yaml(f, &doc, &why) != 0 ||
	    context_from_json(cf, doc, &why) != 0) {
		*cause = xasprintf("%s: %s", cf->path, why);
		free(why);
		goto fail;
	}
	json_decref(doc);
	fclose(f);
	return cf;

fail:
	json_decref(doc);
	if (f != NULL)
		fclose(f);
	context_free(cf);
	return NULL;
}

static int
context_emit_scalar(yaml_emitter_t *em, const char *s)
{
	yaml_event_t	 e;

	yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), 1, 1, output_yaml_style(s));
	return yaml_emitter_emit(em, &e);
}

static int
context_emit_pair(yaml_emitter_t *em, const char *key, const char *value)
{
	if (value == NULL)
		return 1;
	return context_emit_scalar(em, key) && context_emit_scalar(em, value);
}

static int
context_emit(yaml_emitter_t *em, struct context_file *cf)
{
	yaml_event_t	 e;
	struct context	*ctx;
	size_t		 i;

	yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(em, &e))
		return 0;
	yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
	if (!yaml_emitter_emit(em, &e))
		return 0;
	yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE);
	if (!yaml_emitter_emit(em, &e) ||
	    !context_emit_pair(em, "current-context", cf->current) ||
	    !context_emit_scalar(em, "contexts"))
		return 0;
	yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
	    cf->ncontexts == 0 ? YAML_FLOW_MAPPING_STYLE :
	    YAML_BLOCK_MAPPING_STYLE);
	if (!yaml_emitter_emit(em, &e))
		return 0;
	for (i = 0; i < cf->ncontexts; i++) {
		ctx = &cf->contexts[i];
		if (!context_emit_scalar(em, ctx->name))
			return 0;
		yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &e) ||
		    !context_emit_pair(em, "host", ctx->host) ||
		    !context_emit_pair(em, "cacert", ctx->cacert) ||
		    !context_emit_pair(em, "email", ctx->email) ||
		    !context_emit_pair(em, "token", ctx->token) ||
		    !context_emit_pair(em, "refresh_token",
		    ctx->refresh_token))
			return 0;
		yaml_mapping_end_event_initialize(&e);
		if (!yaml_emitter_emit(em, &e))
			return 0;
	}
	yaml_mapping_end_event_initialize(&e);
	if (!yaml_emitter_emit(em, &e))
		return 0;
	yaml_mapping_end_event_initialize(&e);
	if (!yaml_emitter_emit(em, &e))
		return 0;
	yaml_document_end_event_initialize(&e, 1);
	if (!yaml_emitter_emit(em, &e))
		return 0;
	yaml_stream_end_event_initialize(&e);
	return yaml_emitter_emit(em, &e);
}

/* Write the file atomically: a 0600 temporary file renamed over it. */
int
context_save(struct context_file *cf, char **cause)
{
	yaml_emitter_t	 em;
	char		*tmp;
	FILE		*f = NULL;
	int		 fd, rc = -1, ok;

	if (context_mkdirs(cf->path, cause) != 0)
		return -1;
	tmp = xasprintf("%s.XXXXXX", cf->path);
	if ((fd = mkstemp(tmp)) == -1) {
		*cause = xasprintf("cannot create \"%s\": %s", tmp,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "w")) == NULL) {
		*cause = xasprintf("cannot write \"%s\": %s", tmp,
		    strerror(errno));
		close(fd);
		goto out;
	}

	yaml_emitter_initialize(&em);
	yaml_emitter_set_output_file(&em, f);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	ok = context_emit(&em, cf) && yaml_emitter_flush(&em);
	if (!ok)
		*cause = xasprintf("cannot write \"%s\": %s", tmp,
		    em.problem != NULL ? em.problem : "emitter error");
	yaml_emitter_delete(&em);
	if (!ok)
		goto out;

	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		*cause = xasprintf("cannot write \"%s\": %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (rename(tmp, cf->path) != 0) {
		*cause = xasprintf("cannot rename \"%s\": %s", tmp,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Replace *field with a copy of value (NULL clears), wiping the old one. */
void
context_set(char **field, const char *value)
{
	if (*field != NULL) {
		explicit_bzero(*field, strlen(*field));
		free(*field);
	}
	*field = value != NULL ? xstrdup(value) : NULL;
}

void
context_set_cacert(struct context *ctx, const char *file)
{
	char	*abs = file != NULL ? realpath(file, NULL) : NULL;

	context_set(&ctx->cacert, abs != NULL ? abs : file);
	free(abs);
}

static void
context_clear(struct context *ctx)
{
	context_set(&ctx->name, NULL);
	context_set(&ctx->host, NULL);
	context_set(&ctx->token, NULL);
	context_set(&ctx->refresh_token, NULL);
	context_set(&ctx->email, NULL);
	context_set(&ctx->cacert, NULL);
}

void
context_free(struct context_file *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->ncontexts; i++)
		context_clear(&cf->contexts[i]);
	free(cf->contexts);
	free(cf->current);
	free(cf->path);
	if (cf->lock_fd != -1)
		close(cf->lock_fd);
	free(cf);
}

struct context *
context_find(struct context_file *cf, const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < cf->ncontexts; i++) {
		if (strcmp(cf->contexts[i].name, name) == 0)
			return &cf->contexts[i];
	}
	return NULL;
}

/* Find or create the context called name. */
struct context *
context_add(struct context_file *cf, const char *name)
{
	struct context	*ctx;

	if ((ctx = context_find(cf, name)) != NULL)
		return ctx;
	cf->contexts = xrealloc(cf->contexts,
	    (cf->ncontexts + 1) * sizeof *cf->contexts);
	ctx = &cf->contexts[cf->ncontexts++];
	memset(ctx, 0, sizeof *ctx);
	ctx->name = xstrdup(name);
	return ctx;
}

void
context_remove(struct context_file *cf, const char *name)
{
	struct context	*ctx;
	size_t		 i;

	if ((ctx = context_find(cf, name)) == NULL)
		return;
	i = (size_t)(ctx - cf->contexts);
	context_clear(ctx);
	memmove(ctx, ctx + 1, (cf->ncontexts - i - 1) * sizeof *ctx);
	cf->ncontexts--;
	if (cf->current != NULL && strcmp(cf->current, name) == 0)
		context_set(&cf->current, NULL);
}
