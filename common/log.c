/*
 * Logging: one line per message on stderr, text or JSON. Everything that
 * came from outside is escaped, so a message can never forge a second line.
 * Secrets are never passed here; callers log ids, not tokens.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

enum log_level		log_level_max = LOG_INFO;
static enum log_format	log_fmt = LOG_TEXT;
static pthread_mutex_t	log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void
log_init(enum log_level level, enum log_format format)
{
	log_level_max = level;
	log_fmt = format;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_JSON;
	else
		return -1;
	return 0;
}

/* Escape control characters, quotes and backslashes into out. */
static void
escape(char *out, size_t size, const char *in)
{
	size_t	 o = 0;

	for (; *in != '\0' && o + 7 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void __attribute__((format(printf, 2, 0)))
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char		 msg[2048], esc[sizeof msg * 2], ts[40];
	struct timespec	 now;
	struct tm	 tm;

	vsnprintf(msg, sizeof msg, fmt, ap);
	escape(esc, sizeof esc, msg);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

	pthread_mutex_lock(&log_lock);
	if (log_fmt == LOG_JSON)
		fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\","
		    "\"msg\":\"%s\"}\n", ts, now.tv_nsec / 1000000,
		    level_names[level], esc);
	else
		fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts,
		    now.tv_nsec / 1000000, level_names[level], esc);
	pthread_mutex_unlock(&log_lock);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	 ap;

	if (level > log_level_max)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
