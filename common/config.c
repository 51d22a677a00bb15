/*
 * Daemon configuration. One table of keys drives config_set(), the YAML
 * file (read with libyaml events, so every error has a line and column)
 * and the CALLDOCKER_* environment variables. The values of secret keys
 * never appear in an error message.
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "netaddr.h"
#include "token.h"
#include "xmalloc.h"

#define CONFIG_MAX_FILE	(1024 * 1024)
#define CONFIG_ENV	"CALLDOCKER_"

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_BOOL,
	CONFIG_SIZE,
	CONFIG_RATE,
	CONFIG_LEVEL,
	CONFIG_FORMAT,
};

static const struct config_key {
	const char		*name;
	enum config_type	 type;
	size_t			 off;
	long long		 min;
	long long		 max;
	int			 secret;
} config_keys[] = {
#define K(n, t, m, ...) { n, t, offsetof(struct config, m), __VA_ARGS__ }
	K("listen",		CONFIG_STRING,	listen,		0, 0, 0),
	K("socket",		CONFIG_STRING,	socket_path,	0, 0, 0),
	K("tls_cert",		CONFIG_STRING,	tls_cert,	0, 0, 0),
	K("tls_key",		CONFIG_STRING,	tls_key,	0, 0, 0),
	K("database_url",	CONFIG_STRING,	database_url,	0, 0, 1),
	K("data_dir",		CONFIG_STRING,	data_dir,	0, 0, 0),
	K("log_level",		CONFIG_LEVEL,	log_level,	0, 0, 0),
	K("log_format",		CONFIG_FORMAT,	log_format,	0, 0, 0),
	K("jwt_secret",		CONFIG_STRING,	jwt_secret,	0, 0, 1),
	K("jwt_issuer",		CONFIG_STRING,	jwt_issuer,	0, 0, 0),
	K("jwt_audience",	CONFIG_STRING,	jwt_audience,	0, 0, 0),
	K("access_token_ttl",	CONFIG_INT,	access_ttl,	1, INT_MAX, 0),
	K("refresh_token_ttl",	CONFIG_INT,	refresh_ttl,	1, INT_MAX, 0),
	K("allow_register",	CONFIG_BOOL,	allow_register,	0, 0, 0),
	K("max_body_bytes",	CONFIG_SIZE,	max_body,	1, 1LL << 30, 0),
	K("workers",		CONFIG_INT,	workers,	1, 64, 0),
	K("stream_workers",	CONFIG_INT,	stream_workers,	1, 64, 0),
	K("rate_limit_ip",	CONFIG_RATE,	rate_ip,	0, 1000000, 0),
	K("rate_limit_ip_burst", CONFIG_INT,	rate_ip_burst,	1, 1000000, 0),
	K("rate_limit_token",	CONFIG_RATE,	rate_token,	0, 1000000, 0),
	K("rate_limit_token_burst", CONFIG_INT,	rate_token_burst, 1, 1000000, 0),
	K("login_max_failures",	CONFIG_INT,	login_max_failures, 1, 1000000, 0),
	K("login_window",	CONFIG_INT,	login_window,	1, 604800, 0),
	K("register_limit_ip",	CONFIG_INT,	register_limit_ip, 0, 1000000, 0),
	K("register_limit_total", CONFIG_INT,	register_limit_total, 0, 1000000, 0),
	K("drain_timeout",	CONFIG_INT,	drain_timeout,	0, 3600, 0),
	K("db_timeout",		CONFIG_INT,	db_timeout,	1, 3600, 0),
	K("outbound_allow_private", CONFIG_BOOL, outbound_allow_private, 0, 0, 0),
	K("ws_max_queue",	CONFIG_INT,	ws_max_queue,	1, 65536, 0),
	K("ws_ping_interval",	CONFIG_INT,	ws_ping_interval, 0, 3600, 0),
	K("ws_idle_timeout",	CONFIG_INT,	ws_idle_timeout, 0, 86400, 0),
	K("ws_auth_timeout",	CONFIG_INT,	ws_auth_timeout, 1, 3600, 0),
	K("http_header_timeout", CONFIG_INT,	http_header_timeout, 1, 3600, 0),
	K("http_body_timeout",	CONFIG_INT,	http_body_timeout, 1, 3600, 0),
	K("http_body_min_rate",	CONFIG_SIZE,	http_body_min_rate, 1, 1LL << 30, 0),
	K("http_keepalive_timeout", CONFIG_INT,	http_keepalive_timeout, 1, 3600, 0),
	K("max_connections_per_address", CONFIG_INT, max_conns_per_addr,
	    0, 1000000, 0),
	K("trusted_proxies",	CONFIG_STRING,	trusted_proxies, 0, 0, 0),
	K("widget_rate_limit_ip", CONFIG_RATE,	widget_rate_ip,	0, 1000000, 0),
	K("widget_rate_limit_ip_burst", CONFIG_INT, widget_rate_ip_burst, 1, 1000000, 0),
	K("stun_urls",		CONFIG_STRING,	stun_urls,	0, 0, 0),
	K("turn_urls",		CONFIG_STRING,	turn_urls,	0, 0, 0),
	K("turn_secret",	CONFIG_STRING,	turn_secret,	0, 0, 1),
	K("turn_ttl",		CONFIG_INT,	turn_ttl,	60, 604800, 0),
	K("max_upload_bytes",	CONFIG_SIZE,	max_upload,	1, 1LL << 30, 0),
	K("max_recording_bytes", CONFIG_SIZE,	max_recording,	1, 1LL << 40, 0),
	K("storage",		CONFIG_STRING,	storage,	0, 0, 0),
	K("storage_dir",	CONFIG_STRING,	storage_dir,	0, 0, 0),
	K("s3_endpoint",	CONFIG_STRING,	s3_endpoint,	0, 0, 0),
	K("s3_bucket",		CONFIG_STRING,	s3_bucket,	0, 0, 0),
	K("s3_region",		CONFIG_STRING,	s3_region,	0, 0, 0),
	K("s3_access_key",	CONFIG_STRING,	s3_access_key,	0, 0, 1),
	K("s3_secret_key",	CONFIG_STRING,	s3_secret_key,	0, 0, 1),
	K("public_url",		CONFIG_STRING,	public_url,	0, 0, 0),
	K("twilio_api_url",	CONFIG_STRING,	twilio_api_url,	0, 0, 0),
	K("analytics_rollup_interval", CONFIG_INT, analytics_rollup_interval,
	    0, 86400, 0),
	K("recording_sweep_interval", CONFIG_INT, recording_sweep_interval,
	    0, 86400, 0),
	K("webhook_retry_base",	CONFIG_RATE,	webhook_retry_base, 0, 3600, 0),
	K("webhook_max_attempts", CONFIG_INT,	webhook_max_attempts, 1, 30, 0),
	K("webhook_timeout",	CONFIG_INT,	webhook_timeout, 1, 60, 0),
	K("webhook_concurrency", CONFIG_INT,	webhook_concurrency, 1, 256, 0),
	K("webhook_retention_days", CONFIG_INT,	webhook_retention_days, 1, 3650, 0),
	K("webhook_endpoint_concurrency", CONFIG_INT, webhook_endpoint_concurrency, 1, 256, 0),
	K("cluster",		CONFIG_STRING,	cluster,	0, 0, 0),
	K("node_name",		CONFIG_STRING,	node_name,	0, 0, 0),
	K("cluster_lease",	CONFIG_INT,	cluster_lease,	1, 3600, 0),
	K("cluster_url",	CONFIG_STRING,	cluster_url,	0, 0, 0),
	K("company_lease",	CONFIG_RATE,	company_lease,	0, 3600, 0),
	K("company_renew",	CONFIG_RATE,	company_renew,	0, 3600, 0),
#undef K
};
#define CONFIG_NKEYS	(sizeof config_keys / sizeof config_keys[0])

static const struct {
	const char	*word;
	int		 value;
} config_bools[] = {
	{ "true", 1 }, { "yes", 1 }, { "1", 1 },
	{ "false", 0 }, { "no", 0 }, { "0", 0 },
};

static const struct {
	const char	*suffix;
	long long	 mult;
} config_sizes[] = {
	{ "", 1 },
	{ "k", 1024 }, { "K", 1024 }, { "KiB", 1024 },
	{ "m", 1024 * 1024 }, { "M", 1024 * 1024 }, { "MiB", 1024 * 1024 },
};

/* Plain YAML scalars that mean "no value". */
static const char *config_nulls[] = { "", "~", "null", "Null", "NULL" };

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])
#define FIELD(c, k, t)	((t *)(void *)((char *)(c) + (k)->off))
#define CFIELD(c, k, t)	\
	((const t *)(const void *)((const char *)(c) + (k)->off))

char *
config_default_socket(void)
{
	const char	*dir = getenv("XDG_RUNTIME_DIR");

	if (dir != NULL && *dir == '/')
		return xasprintf("%s/calldocker/calldockerd.sock", dir);
	if (geteuid() == 0)
		return xstrdup("/run/calldocker/calldockerd.sock");
	return xasprintf("/tmp/calldocker-%u/calldockerd.sock",
	    (unsigned)getuid());
}

static char *
config_default_data_dir(void)
{
	const char	*dir = getenv("XDG_STATE_HOME");
	struct passwd	*pw;

	if (geteuid() == 0)
		return xstrdup("/var/lib/calldocker");
	if (dir != NULL && *dir == '/')
		return xasprintf("%s/calldocker", dir);
	if ((dir = getenv("HOME")) == NULL || *dir != '/') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL)
			return xasprintf("/tmp/calldocker-%u/state",
			    (unsigned)getuid());
		dir = pw->pw_dir;
	}
	return xasprintf("%s/.local/state/calldocker", dir);
}

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = xstrdup("127.0.0.1:8080");
	cfg->socket_path = config_default_socket();
	cfg->data_dir = config_default_data_dir();
	cfg->log_level = LOG_INFO;
	cfg->log_format = LOG_TEXT;
	cfg->jwt_issuer = xstrdup("calldocker");
	cfg->jwt_audience = xstrdup("calldocker-api");
	cfg->access_ttl = 900;
	cfg->refresh_ttl = 2592000;
	cfg->allow_register = 1;
	cfg->max_body = 1048576;
	cfg->workers = 4;
	cfg->stream_workers = 4;
	cfg->rate_ip = 100;
	cfg->rate_ip_burst = 200;
	cfg->rate_token = 50;
	cfg->rate_token_burst = 100;
	cfg->login_max_failures = 5;
	cfg->login_window = 300;
	cfg->register_limit_ip = 5;
	cfg->register_limit_total = 100;
	cfg->drain_timeout = 10;
	cfg->db_timeout = 5;
	cfg->ws_max_queue = 256;
	cfg->ws_ping_interval = 20;
	cfg->ws_idle_timeout = 60;
	cfg->ws_auth_timeout = 5;
	cfg->http_header_timeout = 10;
	cfg->http_body_timeout = 30;
	cfg->http_body_min_rate = 8192;
	cfg->http_keepalive_timeout = 60;
	cfg->max_conns_per_addr = 256;
	cfg->widget_rate_ip = 0.2;
	cfg->widget_rate_ip_burst = 10;
	cfg->turn_ttl = 86400;
	cfg->max_upload = 10 * 1024 * 1024;
	cfg->max_recording = 512 * 1024 * 1024;
	cfg->storage = xstrdup("local");
	cfg->s3_region = xstrdup("us-east-1");
	cfg->analytics_rollup_interval = 60;
	cfg->recording_sweep_interval = 3600;
	cfg->webhook_retry_base = 5;
	cfg->webhook_max_attempts = 11;
	cfg->webhook_timeout = 10;
	cfg->webhook_concurrency = 32;
	cfg->webhook_retention_days = 30;
	cfg->webhook_endpoint_concurrency = 8;
	cfg->twilio_api_url = xstrdup("https://api.twilio.com");
	cfg->cluster_lease = 5;
	cfg->company_lease = 1.2;
	cfg->company_renew = 0.4;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].type == CONFIG_STRING)
			free(*FIELD(cfg, &config_keys[i], char *));
	}
	free(cfg->config_file);
	memset(cfg, 0, sizeof *cfg);
}

static const struct config_key *
config_find(const char *name)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

/* Copy s for a message: at most 40 bytes, control characters as '?'. */
static const char *
config_quote(char *buf, size_t size, const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i < 40 && i + 4 < size; i++)
		buf[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * Copy the leading name characters of key s for a message, so that a
 * mistyped "jwt_secret VALUE: x" does not show VALUE.
 */
static const char *
config_quote_key(char *buf, size_t size, const char *s)
{
	size_t	 n;

	n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
	if (n > 40)
		n = 40;
	if (n + 4 > size)
		n = size - 4;
	memcpy(buf, s, n);
	if (s[n] != '\0') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static int
config_parse_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (!isdigit((unsigned char)*s) && *s != '-')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
config_parse_size(const char *s, long long min, long long max, long long *out)
{
	char			*end;
	unsigned long long	 v;
	size_t			 i;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	for (i = 0; i < NITEMS(config_sizes); i++) {
		if (strcmp(end, config_sizes[i].suffix) != 0)
			continue;
		if (v > (unsigned long long)max / config_sizes[i].mult)
			return -1;
		v *= config_sizes[i].mult;
		if (v < (unsigned long long)min)
			return -1;
		*out = (long long)v;
		return 0;
	}
	return -1;
}

static int
config_parse_rate(const char *s, long long min, long long max, double *out)
{
	char	*end;
	double	 v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* What a valid value of key k looks like. Caller frees. */
static char *
config_expect(const struct config_key *k)
{
	switch (k->type) {
	case CONFIG_STRING:
		return xstrdup("a string without control characters");
	case CONFIG_INT:
		return xasprintf("an integer from %lld to %lld", k->min,
		    k->max);
	case CONFIG_BOOL:
		return xstrdup("true or false");
	case CONFIG_SIZE:
		return xasprintf("a size from %lld to %lld bytes, "
		    "optionally with k, M, KiB or MiB", k->min, k->max);
	case CONFIG_RATE:
		return xasprintf("a number from %lld to %lld, 0 disables",
		    k->min, k->max);
	case CONFIG_LEVEL:
		return xstrdup("error, warn, info or debug");
	case CONFIG_FORMAT:
		return xstrdup("text or json");
	}
	return xstrdup("a valid value");
}

/* Parse value for k and store it; -1 if it is not valid. */
static int
config_store(struct config *cfg, const struct config_key *k, const char *value)
{
	long long	 v;
	double		 d;
	size_t		 i;

	switch (k->type) {
	case CONFIG_STRING:
		for (i = 0; value[i] != '\0'; i++) {
			if (iscntrl((unsigned char)value[i]))
				return -1;
		}
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = xstrdup(value);
		return 0;
	case CONFIG_INT:
		if (config_parse_int(value, k->min, k->max, &v) != 0)
			return -1;
		*FIELD(cfg, k, int) = (int)v;
		return 0;
	case CONFIG_BOOL:
		for (i = 0; i < NITEMS(config_bools); i++) {
			if (strcasecmp(value, config_bools[i].word) == 0) {
				*FIELD(cfg, k, int) = config_bools[i].value;
				return 0;
			}
		}
		return -1;
	case CONFIG_SIZE:
		if (config_parse_size(value, k->min, k->max, &v) != 0)
			return -1;
		*FIELD(cfg, k, size_t) = (size_t)v;
		return 0;
	case CONFIG_RATE:
		if (config_parse_rate(value, k->min, k->max, &d) != 0)
			return -1;
		*FIELD(cfg, k, double) = d;
		return 0;
	case CONFIG_LEVEL:
		return log_level_parse(value, FIELD(cfg, k, enum log_level));
	case CONFIG_FORMAT:
		return log_format_parse(value, FIELD(cfg, k, enum log_format));
	}
	return -1;
}

/* Set k to value; on error return the reason. Caller frees. */
static char *
config_apply(struct config *cfg, const struct config_key *k, const char *value)
{
	char	 q[64], *expect, *msg;

	if (config_store(cfg, k, value) == 0)
		return NULL;
	if (k->secret)
		return xasprintf("invalid value for \"%s\"", k->name);
	expect = config_expect(k);
	msg = xasprintf("invalid value \"%s\" for \"%s\": expected %s",
	    config_quote(q, sizeof q, value), k->name, expect);
	free(expect);
	return msg;
}

int
config_set(struct config *cfg, const char *key, const char *value,
    char **cause)
{
	const struct config_key	*k;
	char			 q[64];

	if ((k = config_find(key)) == NULL) {
		*cause = xasprintf("unknown key \"%s\"",
		    config_quote_key(q, sizeof q, key));
		return -1;
	}
	if (value == NULL) {
		*cause = xasprintf("no value for \"%s\"", k->name);
		return -1;
	}
	return (*cause = config_apply(cfg, k, value)) == NULL ? 0 : -1;
}

int
config_load_env(struct config *cfg, char **cause)
{
	const struct config_key	*k;
	const char		*value;
	char			 name[64], *why;
	size_t			 i, j, n;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		k = &config_keys[i];
		n = strlcpy_(name, CONFIG_ENV, sizeof name);
		for (j = 0; k->name[j] != '\0' && n < sizeof name - 1; j++)
			name[n++] = (char)toupper((unsigned char)k->name[j]);
		name[n] = '\0';
		if ((value = getenv(name)) == NULL)
			continue;
		if ((why = config_apply(cfg, k, value)) != NULL) {
			*cause = xasprintf("%s: %s", name, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* State of one config_load_file(). */
struct config_parse {
	const char	*path;
	const char	*buf;
	size_t		 len;
	yaml_parser_t	 parser;
	size_t		 seen[CONFIG_NKEYS];	/* line of first use or 0 */
	char		*cause;
};

static int
config_error(struct config_parse *cp, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
config_error(struct config_parse *cp, yaml_mark_t mark, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cp->cause = xasprintf("%s:%zu:%zu: %s", cp->path, mark.line + 1,
	    mark.column + 1, msg);
	free(msg);
	return -1;
}

/* Next event, or -1 with libyaml's problem as the cause. */
static int
config_next(struct config_parse *cp, yaml_event_t *ev)
{
	yaml_parser_t	*p = &cp->parser;
	yaml_mark_t	 mark;
	size_t		 i;

	if (yaml_parser_parse(p, ev))
		return 0;
	mark = p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		memset(&mark, 0, sizeof mark);
		for (i = 0; i < p->problem_offset && i < cp->len; i++) {
			if (cp->buf[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else
				mark.column++;
		}
	}
	return config_error(cp, mark, "%s%s%s",
	    p->problem != NULL ? p->problem : "invalid yaml",
	    p->context != NULL ? " " : "",
	    p->context != NULL ? p->context : "");
}

static int
config_is_null(const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (size_t i = 0; i < NITEMS(config_nulls); i++) {
		if (strcmp(v, config_nulls[i]) == 0)
			return 1;
	}
	return 0;
}

static int
config_has_nul(const yaml_event_t *ev)
{
	return strlen((const char *)ev->data.scalar.value) !=
	    ev->data.scalar.length;
}

/* One "key: value" pair; ev is the key's scalar. */
static int
config_pair(struct config_parse *cp, struct config *cfg, yaml_event_t *ev)
{
	const struct config_key	*k;
	yaml_event_t		 val;
	char			 q[64], *why;
	size_t			 idx;
	int			 rc = -1;

	if (config_has_nul(ev))
		return config_error(cp, ev->start_mark, "key contains a NUL");
	k = config_find((const char *)ev->data.scalar.value);
	if (k == NULL)
		return config_error(cp, ev->start_mark, "unknown key \"%s\"",
		    config_quote_key(q, sizeof q,
		    (const char *)ev->data.scalar.value));
	idx = (size_t)(k - config_keys);
	if (cp->seen[idx] != 0)
		return config_error(cp, ev->start_mark,
		    "duplicate key \"%s\" (first on line %zu)", k->name,
		    cp->seen[idx]);
	cp->seen[idx] = ev->start_mark.line + 1;

	if (config_next(cp, &val) != 0)
		return -1;
	if (val.type != YAML_SCALAR_EVENT)
		config_error(cp, val.start_mark,
		    "\"%s\" must be a single value, not %s", k->name,
		    val.type == YAML_ALIAS_EVENT ? "an alias" :
		    val.type == YAML_SEQUENCE_START_EVENT ? "a list" :
		    "a mapping");
	else if (config_is_null(&val))
		config_error(cp, val.start_mark, "no value for \"%s\"",
		    k->name);
	else if (config_has_nul(&val) && k->secret)
		config_error(cp, val.start_mark, "invalid value for \"%s\"",
		    k->name);
	else if (config_has_nul(&val))
		config_error(cp, val.start_mark, "\"%s\" contains a NUL",
		    k->name);
	else if ((why = config_apply(cfg, k,
	    (const char *)val.data.scalar.value)) != NULL) {
		config_error(cp, val.start_mark, "%s", why);
		free(why);
	} else
		rc = 0;
	yaml_event_delete(&val);
	return rc;
}

/* The whole stream: at most one document, a mapping of scalars. */
static int
config_stream(struct config_parse *cp, struct config *cfg)
{
	yaml_event_t	 ev;
	int		 rc = -1, docs = 0, depth = 0;

	for (;;) {
		if (config_next(cp, &ev) != 0)
			return -1;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			rc = 0;
			goto out;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				config_error(cp, ev.start_mark,
				    "only one document is allowed");
				goto out;
			}
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth++ > 0)
				goto not_key;
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 0 && config_is_null(&ev))
				break;	/* an empty document */
			if (depth == 0)
				goto not_mapping;
			if (config_pair(cp, cfg, &ev) != 0)
				goto out;
			break;
		default:
			if (depth == 0)
				goto not_mapping;
			goto not_key;
		}
		yaml_event_delete(&ev);
	}
not_mapping:
	config_error(cp, ev.start_mark, "expected a mapping of keys to values");
	goto out;
not_key:
	config_error(cp, ev.start_mark, "expected a key");
out:
	yaml_event_delete(&ev);
	return rc;
}

/* Read the whole file; warn if others may read a file that holds secrets. */
static char *
config_read(const char *path, size_t *len, struct stat *st, char **cause)
{
	FILE	*f;
	char	*buf = NULL;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), st) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto out;
	}
	if (st->st_size > CONFIG_MAX_FILE) {
		*cause = xasprintf("%s: larger than %d bytes", path,
		    CONFIG_MAX_FILE);
		goto out;
	}
	buf = xmalloc((size_t)st->st_size + 1);
	*len = fread(buf, 1, (size_t)st->st_size, f);
	if (ferror(f)) {
		*cause = xasprintf("%s: read error", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[*len] = '\0';
out:
	fclose(f);
	return buf;
}

int
config_load_file(struct config *cfg, const char *path, char **cause)
{
	struct config_parse	 cp;
	struct stat		 st;
	size_t			 i;
	int			 rc;

	memset(&cp, 0, sizeof cp);
	cp.path = path;
	if ((cp.buf = config_read(path, &cp.len, &st, cause)) == NULL)
		return -1;
	if (!yaml_parser_initialize(&cp.parser))
		fatal("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&cp.parser,
	    (const unsigned char *)cp.buf, cp.len);
	rc = config_stream(&cp, cfg);
	yaml_parser_delete(&cp.parser);
	free((char *)cp.buf);
	if (rc != 0) {
		*cause = cp.cause;
		return -1;
	}
	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].secret && cp.seen[i] != 0 &&
		    (st.st_mode & S_IROTH))
			log_warn("config: \"%s\" sets \"%s\" but is readable "
			    "by other users", path, config_keys[i].name);
	}
	return 0;
}

int
config_listen_split(const char *s, char *host, size_t size, int *port)
{
	const char	*colon, *h = s;
	size_t		 hlen;
	long long	 p;
	char		 buf[INET6_ADDRSTRLEN];
	unsigned char	 addr[sizeof(struct in6_addr)];

	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		h = s + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof buf)
		return -1;
	memcpy(buf, h, hlen);
	buf[hlen] = '\0';
	if (config_parse_int(colon + 1, 1, 65535, &p) != 0)
		return -1;
	if (h != s) {
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return -1;
	} else if (strcmp(buf, "*") == 0)
		buf[0] = '\0';
	else if (strcmp(buf, "localhost") != 0 &&
	    inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	if (host != NULL && strlcpy_(host, buf, size) >= size)
		return -1;
	if (port != NULL)
		*port = (int)p;
	return 0;
}

/* storage: local (storage_dir, default DATA_DIR/files) or s3 (s3_*). */
static int
config_check_storage(const struct config *cfg, char **cause)
{
	char	 q[64];

	if (cfg->storage != NULL && strcmp(cfg->storage, "local") == 0)
		return 0;
	if (cfg->storage == NULL || strcmp(cfg->storage, "s3") != 0) {
		*cause = xasprintf("storage must be local or s3, not \"%s\"",
		    config_quote(q, sizeof q, cfg->storage ? cfg->storage : ""));
		return -1;
	}
	if (cfg->s3_endpoint == NULL || (strncmp(cfg->s3_endpoint, "http://",
	    7) != 0 && strncmp(cfg->s3_endpoint, "https://", 8) != 0)) {
		*cause = xstrdup("storage s3 needs s3_endpoint, an http:// or"
		    " https:// URL");
		return -1;
	}
	if (cfg->s3_bucket == NULL || *cfg->s3_bucket == '\0' ||
	    strspn(cfg->s3_bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
	    strlen(cfg->s3_bucket)) {
		*cause = xstrdup("storage s3 needs s3_bucket, a bucket name of"
		    " [a-z0-9.-]");
		return -1;
	}
	if (cfg->s3_region == NULL || *cfg->s3_region == '\0' ||
	    strspn(cfg->s3_region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(cfg->s3_region)) {
		*cause = xstrdup("s3_region must be a region name such as"
		    " us-east-1");
		return -1;
	}
	if (cfg->s3_access_key == NULL || *cfg->s3_access_key == '\0' ||
	    cfg->s3_secret_key == NULL || *cfg->s3_secret_key == '\0' ||
	    strchr(cfg->s3_access_key, ':') != NULL) {
		*cause = xstrdup("storage s3 needs s3_access_key (without ':')"
		    " and s3_secret_key");
		return -1;
	}
	return 0;
}

int
config_ice_urls(const char *list, int turn, char **urls, int max,
    char **cause)
{
	static const char *const schemes[2][2] = {
		{ "stun:", "stuns:" }, { "turn:", "turns:" },
	};
	const char	*s = list != NULL ? list : "", *sep = ", \t", *host;
	char		 q[64], *url;
	size_t		 len;
	int		 n = 0;

	for (s += strspn(s, sep); *s != '\0'; s += strspn(s, sep)) {
		len = strcspn(s, sep);
		url = xstrndup(s, len);
		s += len;
		if (strncmp(url, schemes[turn][0], 5) != 0 &&
		    strncmp(url, schemes[turn][1], 6) != 0) {
			*cause = xasprintf("\"%s\" in %s is not a %s or %s URL",
			    config_quote(q, sizeof q, url),
			    turn ? "turn_urls" : "stun_urls",
			    schemes[turn][0], schemes[turn][1]);
			goto fail;
		}
		host = url + strlen(schemes[turn][url[4] == 's']);
		if (len > 255) {
			*cause = xasprintf("\"%s\" in %s is longer than 255 "
			    "bytes", config_quote(q, sizeof q, url),
			    turn ? "turn_urls" : "stun_urls");
			goto fail;
		}
		if (*host == '\0' || strchr(":?/", *host) != NULL) {
			*cause = xasprintf("\"%s\" in %s has no host",
			    config_quote(q, sizeof q, url),
			    turn ? "turn_urls" : "stun_urls");
			goto fail;
		}
		if (n == max) {
			*cause = xasprintf("%s holds more than %d URLs",
			    turn ? "turn_urls" : "stun_urls", max);
			goto fail;
		}
		urls[n++] = url;
	}
	return n;
fail:
	free(url);
	while (n > 0)
		free(urls[--n]);
	return -1;
}

/* stun_urls and turn_urls parse; TURN needs its shared secret. */
static int
config_check_ice(const struct config *cfg, char **cause)
{
	char	*urls[CONFIG_ICE_MAX];
	int	 n = 0, turn;

	for (turn = 0; turn < 2; turn++) {
		n = config_ice_urls(turn ? cfg->turn_urls : cfg->stun_urls,
		    turn, urls, CONFIG_ICE_MAX, cause);
		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++)
			free(urls[i]);
	}
	/* n: the TURN URLs */
	if (n > 0 && (cfg->turn_secret == NULL ||
	    strlen(cfg->turn_secret) < CONFIG_TURN_MIN_SECRET)) {
		*cause = xasprintf("turn_urls needs a turn_secret of at least "
		    "%d bytes", CONFIG_TURN_MIN_SECRET);
		return -1;
	}
	return 0;
}

int
config_check(const struct config *cfg, char **cause)
{
	const struct config_key	*k;
	struct sockaddr_un	 sun;
	char			 q[64];
	size_t			 i;
	long long		 v;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		k = &config_keys[i];
		if (k->type == CONFIG_INT)
			v = *CFIELD(cfg, k, int);
		else if (k->type == CONFIG_SIZE)
			v = (long long)*CFIELD(cfg, k, size_t);
		else
			continue;
		if (v < k->min || v > k->max) {
			*cause = xasprintf("\"%s\" must be from %lld to %lld",
			    k->name, k->min, k->max);
			return -1;
		}
	}
	if (!(cfg->company_lease > 0)) {
		*cause = xstrdup("company_lease must be above 0 seconds");
		return -1;
	}
	if (!(cfg->company_renew > 0) || !(cfg->company_renew <
	    cfg->company_lease)) {
		*cause = xstrdup("company_renew must be above 0 and below"
		    " company_lease");
		return -1;
	}
	if (cfg->trusted_proxies != NULL) {
		struct netaddrs	 l;
		char		*why = NULL;

		if (netaddrs_parse(cfg->trusted_proxies, &l, &why) != 0) {
			*cause = xasprintf("trusted_proxies: %s", why);
			free(why);
			return -1;
		}
	}
	if (!(cfg->rate_ip >= 0) || !(cfg->rate_token >= 0)) {
		*cause = xstrdup("rate limits must not be negative");
		return -1;
	}
	if (cfg->jwt_secret != NULL &&
	    strlen(cfg->jwt_secret) < TOKEN_MIN_KEY) {
		*cause = xasprintf("jwt_secret must be at least %d bytes",
		    TOKEN_MIN_KEY);
		return -1;
	}
	if (cfg->jwt_issuer == NULL || *cfg->jwt_issuer == '\0' ||
	    cfg->jwt_audience == NULL || *cfg->jwt_audience == '\0') {
		*cause = xstrdup("jwt_issuer and jwt_audience must not be "
		    "empty");
		return -1;
	}
	if (cfg->listen != NULL && *cfg->listen != '\0' &&
	    config_listen_split(cfg->listen, NULL, 0, NULL) != 0) {
		*cause = xasprintf("invalid listen address \"%s\": expected "
		    "HOST:PORT with port 1 to 65535",
		    config_quote(q, sizeof q, cfg->listen));
		return -1;
	}
	if ((cfg->listen == NULL || *cfg->listen == '\0') &&
	    (cfg->socket_path == NULL || *cfg->socket_path == '\0')) {
		*cause = xstrdup("listen and socket are both empty");
		return -1;
	}
	if ((cfg->tls_cert != NULL && *cfg->tls_cert != '\0') !=
	    (cfg->tls_key != NULL && *cfg->tls_key != '\0')) {
		*cause = xstrdup("tls_cert and tls_key go together: give both "
		    "or neither");
		return -1;
	}
	if (cfg->tls_cert != NULL && *cfg->tls_cert != '\0' &&
	    (cfg->listen == NULL || *cfg->listen == '\0')) {
		*cause = xstrdup("tls_cert needs a TCP listen address (the Unix "
		    "socket stays plain)");
		return -1;
	}
	if (cfg->socket_path != NULL &&
	    strlen(cfg->socket_path) >= sizeof sun.sun_path) {
		*cause = xasprintf("socket path \"%s\" is longer than %zu "
		    "bytes", config_quote(q, sizeof q, cfg->socket_path),
		    sizeof sun.sun_path - 1);
		return -1;
	}
	if (cfg->data_dir == NULL || *cfg->data_dir == '\0') {
		*cause = xstrdup("data_dir must not be empty");
		return -1;
	}
	if (config_check_ice(cfg, cause) != 0 ||
	    config_check_storage(cfg, cause) != 0)
		return -1;
	if (cfg->access_ttl < 30 || cfg->access_ttl > 86400) {
		*cause = xstrdup("access_token_ttl must be from 30 to 86400");
		return -1;
	}
	if (cfg->refresh_ttl < cfg->access_ttl) {
		*cause = xstrdup("refresh_token_ttl must not be shorter than "
		    "access_token_ttl");
		return -1;
	}
	if (cfg->public_url != NULL && *cfg->public_url != '\0' &&
	    ((strncmp(cfg->public_url, "https://", 8) != 0 &&
	    strncmp(cfg->public_url, "http://", 7) != 0) ||
	    strpbrk(cfg->public_url, "?# ") != NULL)) {
		*cause = xasprintf("invalid public_url \"%s\": expected "
		    "http(s)://host[:port][/prefix]",
		    config_quote(q, sizeof q, cfg->public_url));
		return -1;
	}
	if (cfg->twilio_api_url == NULL ||
	    (strncmp(cfg->twilio_api_url, "https://", 8) != 0 &&
	    strncmp(cfg->twilio_api_url, "http://", 7) != 0) ||
	    strpbrk(cfg->twilio_api_url, "?# ") != NULL) {
		*cause = xasprintf("invalid twilio_api_url \"%s\": expected "
		    "http(s)://host[:port]", config_quote(q, sizeof q,
		    cfg->twilio_api_url != NULL ? cfg->twilio_api_url : ""));
		return -1;
	}
	return 0;
}
