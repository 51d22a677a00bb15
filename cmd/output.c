/*
 * Results on stdout as an aligned table, JSON (jansson), YAML (libyaml's
 * emitter) or CSV (RFC 4180 quoting). A resource declares its columns once
 * in a struct output_resource; -q prints only its IDs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include <jansson.h>
#include <yaml.h>

#include "cmd.h"
#include "xmalloc.h"

int
output_parse(const char *s, enum output_format *out)
{
	if (strcmp(s, "table") == 0)
		*out = OUTPUT_TABLE;
	else if (strcmp(s, "json") == 0)
		*out = OUTPUT_JSON;
	else if (strcmp(s, "yaml") == 0)
		*out = OUTPUT_YAML;
	else if (strcmp(s, "csv") == 0)
		*out = OUTPUT_CSV;
	else
		return -1;
	return 0;
}

/*
 * Style for a string scalar: double-quoted where a plain scalar would be
 * read back as something else (null, a boolean, a number, a date), else
 * whatever the emitter finds safe.
 */
int
output_yaml_style(const char *s)
{
	static const char *const words[] = {
		"null", "~", "true", "false", "yes", "no", "on", "off", "y",
		"n", ".inf", "-.inf", "+.inf", ".nan", NULL
	};
	const char *const	*w;

	if (*s == '\0' || isdigit((unsigned char)*s) || strchr("+-.", *s))
		return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	for (w = words; *w != NULL; w++) {
		if (strcasecmp(s, *w) == 0)
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	}
	return YAML_ANY_SCALAR_STYLE;
}

static int
output_yaml_node(yaml_emitter_t *em, json_t *v)
{
	yaml_event_t	 e;
	const char	*key;
	json_t		*child;
	size_t		 i;
	char		*s;
	int		 ok;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
		    json_object_size(v) == 0 ? YAML_FLOW_MAPPING_STYLE :
		    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &e))
			return 0;
		json_object_foreach(v, key, child) {
			yaml_scalar_event_initialize(&e, NULL, NULL,
			    (yaml_char_t *)key, (int)strlen(key), 1, 1,
			    output_yaml_style(key));
			if (!yaml_emitter_emit(em, &e) ||
			    !output_yaml_node(em, child))
				return 0;
		}
		yaml_mapping_end_event_initialize(&e);
		return yaml_emitter_emit(em, &e);
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(&e, NULL, NULL, 1,
		    json_array_size(v) == 0 ? YAML_FLOW_SEQUENCE_STYLE :
		    YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &e))
			return 0;
		json_array_foreach(v, i, child) {
			if (!output_yaml_node(em, child))
				return 0;
		}
		yaml_sequence_end_event_initialize(&e);
		return yaml_emitter_emit(em, &e);
	case JSON_STRING:
		yaml_scalar_event_initialize(&e, NULL, NULL,
		    (yaml_char_t *)json_string_value(v),
		    (int)json_string_length(v), 1, 1,
		    output_yaml_style(json_string_value(v)));
		return yaml_emitter_emit(em, &e);
	default:
		s = output_json_text(v, 0);
		yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s,
		    (int)strlen(s), 1, 1, YAML_PLAIN_SCALAR_STYLE);
		ok = yaml_emitter_emit(em, &e);
		free(s);
		return ok;
	}
}

/* Write v as one YAML document. */
void
output_yaml(FILE *f, json_t *v)
{
	yaml_emitter_t	 em;
	yaml_event_t	 e;
	int		 ok;

	yaml_emitter_initialize(&em);
	yaml_emitter_set_output_file(&em, f);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &e);
	yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&em, &e) && output_yaml_node(&em, v);
	yaml_document_end_event_initialize(&e, 1);
	ok = ok && yaml_emitter_emit(&em, &e);
	yaml_stream_end_event_initialize(&e);
	ok = ok && yaml_emitter_emit(&em, &e) && yaml_emitter_flush(&em);
	if (!ok)
		cli_error("cannot write yaml: %s", em.problem != NULL ?
		    em.problem : "emitter error");
	yaml_emitter_delete(&em);
}

/* Text of one cell; NULL for a missing or null value. Caller frees. */
static char *
output_cell(json_t *obj, const struct output_column *col)
{
	json_t	*v = json_object_get(obj, col->key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (col->format != NULL)
		return col->format(v);
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return output_json_text(v, 0);
}

/* Columns a terminal needs for s; control characters become '?'. */
static size_t
output_width(char *s)
{
	wchar_t	*w;
	size_t	 n, len = strlen(s);
	int	 width;
	char	*p;

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	if ((n = mbstowcs(NULL, s, 0)) == (size_t)-1)
		return len;
	w = xcalloc(n + 1, sizeof *w);
	mbstowcs(w, s, n + 1);
	width = wcswidth(w, n);
	free(w);
	return width < 0 ? len : (size_t)width;
}

static void
output_table(struct cli *cli, const struct output_resource *res,
    json_t *items)
{
	const struct output_column	*col;
	size_t				 ncols, nrows, r, c, *widths, cw;
	char				**cells;
	json_t				*item;

	for (ncols = 0; res->columns[ncols].header != NULL; ncols++)
		;
	nrows = json_array_size(items) + 1;
	cells = xcalloc(nrows * ncols, sizeof *cells);
	widths = xcalloc(ncols, sizeof *widths);
	for (c = 0, col = res->columns; c < ncols; c++, col++)
		cells[c] = xstrdup(col->header);
	json_array_foreach(items, r, item) {
		for (c = 0; c < ncols; c++) {
			cells[(r + 1) * ncols + c] = output_cell(item,
			    &res->columns[c]);
			if (cells[(r + 1) * ncols + c] == NULL)
				cells[(r + 1) * ncols + c] = xstrdup("-");
		}
	}
	for (r = 0; r < nrows * ncols; r++) {
		cw = output_width(cells[r]);
		if (cw > widths[r % ncols])
			widths[r % ncols] = cw;
	}

	for (r = cli->no_headers ? 1 : 0; r < nrows; r++) {
		if (r == 0 && cli->color)
			fputs("\033[1m", stdout);
		for (c = 0; c < ncols; c++) {
			fputs(cells[r * ncols + c], stdout);
			if (c + 1 == ncols)
				break;
			cw = output_width(cells[r * ncols + c]);
			printf("%*s", (int)(widths[c] - cw + 3), "");
		}
		if (r == 0 && cli->color)
			fputs("\033[0m", stdout);
		fputc('\n', stdout);
	}

	for (r = 0; r < nrows * ncols; r++)
		free(cells[r]);
	free(cells);
	free(widths);
}

static void
output_csv_field(const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	fputc('"', stdout);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', stdout);
		fputc(*s, stdout);
	}
	fputc('"', stdout);
}

static void
output_csv(struct cli *cli, const struct output_resource *res, json_t *items)
{
	const struct output_column	*col;
	json_t				*item;
	size_t				 i;
	char				*s;

	if (!cli->no_headers) {
		for (col = res->columns; col->header != NULL; col++) {
			if (col != res->columns)
				fputc(',', stdout);
			output_csv_field(col->header);
		}
		fputc('\n', stdout);
	}
	json_array_foreach(items, i, item) {
		for (col = res->columns; col->header != NULL; col++) {
			if (col != res->columns)
				fputc(',', stdout);
			s = output_cell(item, col);
			output_csv_field(s);
			free(s);
		}
		fputc('\n', stdout);
	}
}

static void
output_ids(const struct output_resource *res, json_t *items)
{
	const struct output_column	 id = { .key = res->id_key };
	json_t				*item;
	size_t				 i;
	char				*s;

	json_array_foreach(items, i, item) {
		if ((s = output_cell(item, &id)) != NULL)
			puts(s);
		free(s);
	}
}

/* Print a list of objects of one resource. */
void
output_list(struct cli *cli, const struct output_resource *res,
    json_t *items)
{
	if (cli->quiet) {
		output_ids(res, items);
		return;
	}
	switch (cli->output) {
	case OUTPUT_TABLE:
		if (json_array_size(items) == 0) {
			cli_info(cli, "no %s found", res->plural);
			break;
		}
		output_table(cli, res, items);
		break;
	case OUTPUT_JSON:
		output_json(stdout, items);
		break;
	case OUTPUT_YAML:
		output_yaml(stdout, items);
		break;
	case OUTPUT_CSV:
		output_csv(cli, res, items);
		break;
	}
}

/* Print one object of a resource, as the API returned it. */
void
output_object(struct cli *cli, const struct output_resource *res,
    json_t *obj)
{
	json_t	*items;

	if (cli->output == OUTPUT_JSON && !cli->quiet) {
		output_json(stdout, obj);
		return;
	}
	if (cli->output == OUTPUT_YAML && !cli->quiet) {
		output_yaml(stdout, obj);
		return;
	}
	items = json_array();
	json_array_append(items, obj);
	output_list(cli, res, items);
	json_decref(items);
}

/* Figures flattened to rows: "today.asa" and its value. */
static const struct output_resource output_figures_resource = {
	.name = "figure",
	.plural = "figures",
	.id_key = "key",
	.columns = {
		{ "KEY", "key", NULL },
		{ "VALUE", "value", NULL },
		{ NULL, NULL, NULL }
	},
};

/* Append {key, value} rows for every leaf of v, keys joined with dots. */
static void
output_flatten(json_t *rows, const char *prefix, json_t *v)
{
	const char	*key;
	json_t		*child;
	char		*name;
	size_t		 i;

	if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach(v, key, child) {
			name = prefix != NULL ? xasprintf("%s.%s", prefix, key) :
			    xstrdup(key);
			output_flatten(rows, name, child);
			free(name);
		}
		return;
	}
	if (json_is_array(v) && json_array_size(v) > 0) {
		json_array_foreach(v, i, child) {
			name = xasprintf("%s.%zu", prefix != NULL ? prefix : "", i);
			output_flatten(rows, name, child);
			free(name);
		}
		return;
	}
	json_array_append_new(rows, json_pack("{s:s,s:O}", "key",
	    prefix != NULL ? prefix : "", "value", v));
}

void
output_figures(struct cli *cli, json_t *obj)
{
	struct cli	 c = *cli;
	json_t		*rows;

	c.quiet = 0;	/* figures have no ids */
	if (c.output == OUTPUT_JSON || c.output == OUTPUT_YAML) {
		output_object(&c, &output_figures_resource, obj);
		return;
	}
	rows = json_array();
	output_flatten(rows, NULL, obj);
	output_list(&c, &output_figures_resource, rows);
	json_decref(rows);
}
