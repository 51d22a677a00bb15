/* Unit tests for common/config.c: defaults, file, environment, checks. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "xmalloc.h"

static char	 dir[] = "/tmp/t-config.XXXXXX";
static char	 path[64];

static void
write_file(const char *content)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs(content, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Load content over defaults; expect success. */
static void
load_ok(struct config *cfg, const char *content, const char *what)
{
	char	*cause = NULL;

	config_defaults(cfg);
	write_file(content);
	if (!ok(config_load_file(cfg, path, &cause) == 0, "load: %s", what))
		printf("#   cause: %s\n", cause);
	free(cause);
}

/* Load content; expect the error "PATH:" suffix. */
static void
load_err(const char *content, const char *suffix, const char *what)
{
	struct config	 cfg;
	char		*cause = NULL, *want;

	config_defaults(&cfg);
	write_file(content);
	want = xasprintf("%s:%s", path, suffix);
	ok(config_load_file(&cfg, path, &cause) == -1, "fails: %s", what);
	is_str(cause, want, "message: %s", what);
	free(want);
	free(cause);
	config_free(&cfg);
}

static void
test_defaults(void)
{
	struct config	 cfg;
	char		*s, *want;

	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/t", 1);
	config_defaults(&cfg);
	is_str(cfg.listen, "127.0.0.1:8080", "default listen");
	is_str(cfg.database_url, NULL, "default database_url NULL");
	is_str(cfg.jwt_secret, NULL, "default jwt_secret NULL");
	is_str(cfg.jwt_issuer, "calldocker", "default issuer");
	is_str(cfg.jwt_audience, "calldocker-api", "default audience");
	is_int(cfg.log_level, LOG_INFO, "default log level");
	is_int(cfg.log_format, LOG_TEXT, "default log format");
	is_int(cfg.access_ttl, 900, "default access ttl");
	is_int(cfg.refresh_ttl, 2592000, "default refresh ttl");
	is_int(cfg.allow_register, 1, "default allow_register");
	is_int(cfg.max_body, 1048576, "default max_body");
	is_int(cfg.workers, 4, "default workers");
	ok(cfg.rate_ip == 100 && cfg.rate_ip_burst == 200, "default ip rate");
	ok(cfg.rate_token == 50 && cfg.rate_token_burst == 100,
	    "default token rate");
	is_int(cfg.login_max_failures, 5, "default login failures");
	is_int(cfg.login_window, 300, "default login window");
	is_int(cfg.register_limit_ip, 5, "default sign-ups per address");
	is_int(cfg.register_limit_total, 100, "default sign-ups in all");
	is_int(cfg.drain_timeout, 10, "default drain timeout");
	is_int(cfg.ws_max_queue, 256, "default ws_max_queue");
	if (geteuid() == 0) {
		is_str(cfg.socket_path, "/run/calldocker/calldockerd.sock",
		    "default socket as root");
		is_str(cfg.data_dir, "/var/lib/calldocker", "data_dir as root");
	} else {
		want = xasprintf("/tmp/calldocker-%u/calldockerd.sock",
		    (unsigned)getuid());
		is_str(cfg.socket_path, want, "default socket as a user");
		free(want);
		is_str(cfg.data_dir, "/home/t/.local/state/calldocker",
		    "data_dir under HOME");
		config_free(&cfg);
		setenv("XDG_STATE_HOME", "/st", 1);
		config_defaults(&cfg);
		is_str(cfg.data_dir, "/st/calldocker", "data_dir under XDG_STATE_HOME");
		unsetenv("XDG_STATE_HOME");
	}
	ok(config_check(&cfg, &s) == 0, "defaults pass config_check");
	config_free(&cfg);
	ok(cfg.listen == NULL && cfg.socket_path == NULL, "config_free clears");

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	s = config_default_socket();
	is_str(s, "/run/user/1000/calldocker/calldockerd.sock",
	    "socket under XDG_RUNTIME_DIR");
	free(s);
	setenv("XDG_RUNTIME_DIR", "", 1);
	s = config_default_socket();
	ok(strncmp(s, "/run/user", 9) != 0, "empty XDG_RUNTIME_DIR ignored");
	free(s);
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	s = config_default_socket();
	ok(strncmp(s, "relative", 8) != 0, "relative XDG_RUNTIME_DIR ignored");
	free(s);
	unsetenv("XDG_RUNTIME_DIR");
}

static void
test_file(void)
{
	struct config	 cfg;

	load_ok(&cfg,
	    "# calldockerd.yaml\n"
	    "listen: \"*:9090\"\n"
	    "socket: /tmp/cd.sock\n"
	    "database_url: postgresql:///calldocker\n"
	    "data_dir: /srv/cd\n"
	    "log_level: debug\n"
	    "log_format: json\n"
	    "jwt_secret: 'abcdefghijklmnopqrstuvwxyz0123456789'\n"
	    "jwt_issuer: iss\n"
	    "jwt_audience: aud\n"
	    "access_token_ttl: 600\n"
	    "refresh_token_ttl: 86400\n"
	    "allow_register: no\n"
	    "max_body_bytes: 512k\n"
	    "workers: 8\n"
	    "rate_limit_ip: 2.5\n"
	    "rate_limit_ip_burst: 5\n"
	    "rate_limit_token: 0\n"
	    "rate_limit_token_burst: 1\n"
	    "login_max_failures: 3\n"
	    "login_window: 60\n"
	    "register_limit_ip: 0\n"
	    "register_limit_total: 7\n"
	    "drain_timeout: 0\n", "every key");
	is_str(cfg.listen, "*:9090", "listen");
	is_str(cfg.socket_path, "/tmp/cd.sock", "socket");
	is_str(cfg.database_url, "postgresql:///calldocker", "database_url");
	is_str(cfg.data_dir, "/srv/cd", "data_dir");
	is_int(cfg.log_level, LOG_DEBUG, "log_level");
	is_int(cfg.log_format, LOG_JSON, "log_format");
	is_str(cfg.jwt_secret, "abcdefghijklmnopqrstuvwxyz0123456789", "jwt_secret");
	is_str(cfg.jwt_issuer, "iss", "jwt_issuer");
	is_str(cfg.jwt_audience, "aud", "jwt_audience");
	is_int(cfg.access_ttl, 600, "access_token_ttl");
	is_int(cfg.refresh_ttl, 86400, "refresh_token_ttl");
	is_int(cfg.allow_register, 0, "allow_register no");
	is_int(cfg.max_body, 524288, "max_body_bytes 512k");
	is_int(cfg.workers, 8, "workers");
	ok(cfg.rate_ip == 2.5, "rate_limit_ip 2.5");
	is_int(cfg.rate_ip_burst, 5, "rate_limit_ip_burst");
	ok(cfg.rate_token == 0, "rate_limit_token 0");
	is_int(cfg.rate_token_burst, 1, "rate_limit_token_burst");
	is_int(cfg.login_max_failures, 3, "login_max_failures");
	is_int(cfg.login_window, 60, "login_window");
	is_int(cfg.register_limit_ip, 0, "register_limit_ip 0 (off)");
	is_int(cfg.register_limit_total, 7, "register_limit_total");
	is_int(cfg.drain_timeout, 0, "drain_timeout");
	config_free(&cfg);

	load_ok(&cfg, "", "empty file");
	is_str(cfg.listen, "127.0.0.1:8080", "empty file keeps defaults");
	config_free(&cfg);
	load_ok(&cfg, "# only a comment\n", "comments only");
	config_free(&cfg);
	load_ok(&cfg, "---\n...\n", "empty document");
	config_free(&cfg);
	load_ok(&cfg, "{workers: 2, listen: ''}\n", "flow mapping");
	is_int(cfg.workers, 2, "flow mapping value");
	is_str(cfg.listen, "", "quoted empty string disables listen");
	config_free(&cfg);
	load_ok(&cfg, "workers: &w 3\nlogin_max_failures: 3\n", "anchor ignored");
	is_int(cfg.workers, 3, "anchored value");
	config_free(&cfg);
}

static void
test_values(void)
{
	static const struct {
		const char	*key;
		const char	*value;
		long long	 want;	/* -1: refused */
	} cases[] = {
		{ "max_body_bytes", "1048576", 1048576 },
		{ "max_body_bytes", "1k", 1024 },
		{ "max_body_bytes", "1K", 1024 },
		{ "max_body_bytes", "10KiB", 10240 },
		{ "max_body_bytes", "2m", 2097152 },
		{ "max_body_bytes", "2M", 2097152 },
		{ "max_body_bytes", "3MiB", 3145728 },
		{ "max_body_bytes", "1024MiB", 1073741824 },
		{ "max_body_bytes", "1025MiB", -1 },
		{ "max_body_bytes", "1G", -1 },
		{ "max_body_bytes", "1.5M", -1 },
		{ "max_body_bytes", "1 M", -1 },
		{ "max_body_bytes", "0", -1 },
		{ "max_body_bytes", "-1", -1 },
		{ "max_body_bytes", "k", -1 },
		{ "max_body_bytes", "99999999999999999999999", -1 },
		{ "workers", "1", 1 },
		{ "workers", "64", 64 },
		{ "workers", "0", -1 },
		{ "workers", "65", -1 },
		{ "workers", " 4", -1 },
		{ "workers", "4 ", -1 },
		{ "workers", "4x", -1 },
		{ "workers", "", -1 },
		{ "workers", "0x10", -1 },
		{ "allow_register", "true", 1 },
		{ "allow_register", "yes", 1 },
		{ "allow_register", "1", 1 },
		{ "allow_register", "TRUE", 1 },
		{ "allow_register", "false", 0 },
		{ "allow_register", "no", 0 },
		{ "allow_register", "0", 0 },
		{ "allow_register", "maybe", -1 },
		{ "log_level", "warn", LOG_WARN },
		{ "log_level", "verbose", -1 },
		{ "log_format", "json", LOG_JSON },
		{ "log_format", "xml", -1 },
		{ "drain_timeout", "0", 0 },
		{ "drain_timeout", "3601", -1 },
		{ "ws_max_queue", "8", 8 },
		{ "ws_max_queue", "65536", 65536 },
		{ "ws_max_queue", "0", -1 },
		{ "ws_max_queue", "65537", -1 },
	};
	static const struct {
		const char	*value;
		double		 want;	/* -1: refused */
	} rates[] = {
		{ "0", 0 }, { "2.5", 2.5 }, { "1e3", 1000 }, { ".5", 0.5 },
		{ "-1", -1 }, { "nan", -1 }, { "inf", -1 }, { "", -1 },
		{ "1/s", -1 }, { "1e7", -1 },
	};
	struct config	 cfg;
	char		*cause = NULL;
	long long	 got;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		config_defaults(&cfg);
		rc = config_set(&cfg, cases[i].key, cases[i].value, &cause);
		if (cases[i].want == -1) {
			ok(rc == -1 && cause != NULL, "%s \"%s\" refused",
			    cases[i].key, cases[i].value);
		} else {
			if (strcmp(cases[i].key, "max_body_bytes") == 0)
				got = (long long)cfg.max_body;
			else if (strcmp(cases[i].key, "workers") == 0)
				got = cfg.workers;
			else if (strcmp(cases[i].key, "allow_register") == 0)
				got = cfg.allow_register;
			else if (strcmp(cases[i].key, "log_level") == 0)
				got = cfg.log_level;
			else if (strcmp(cases[i].key, "log_format") == 0)
				got = cfg.log_format;
			else if (strcmp(cases[i].key, "ws_max_queue") == 0)
				got = cfg.ws_max_queue;
			else
				got = cfg.drain_timeout;
			ok(rc == 0 && got == cases[i].want, "%s \"%s\" = %lld",
			    cases[i].key, cases[i].value, cases[i].want);
		}
		free(cause);
		cause = NULL;
		config_free(&cfg);
	}
	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		config_defaults(&cfg);
		rc = config_set(&cfg, "rate_limit_token", rates[i].value, &cause);
		if (rates[i].want < 0)
			ok(rc == -1, "rate \"%s\" refused", rates[i].value);
		else
			ok(rc == 0 && cfg.rate_token == rates[i].want,
			    "rate \"%s\"", rates[i].value);
		free(cause);
		cause = NULL;
		config_free(&cfg);
	}

	config_defaults(&cfg);
	ok(config_set(&cfg, "nope", "1", &cause) == -1, "config_set unknown key");
	is_str(cause, "unknown key \"nope\"", "unknown key message");
	free(cause);
	ok(config_set(&cfg, "listen", NULL, &cause) == -1, "config_set NULL value");
	is_str(cause, "no value for \"listen\"", "NULL value message");
	free(cause);
	ok(config_set(&cfg, "workers", "100", &cause) == -1, "config_set range");
	is_str(cause, "invalid value \"100\" for \"workers\": expected an "
	    "integer from 1 to 64", "range message");
	free(cause);
	ok(config_set(&cfg, "listen", "a\nb", &cause) == -1,
	    "control character refused");
	is_str(cause, "invalid value \"a?b\" for \"listen\": expected a string "
	    "without control characters", "control character shown as ?");
	free(cause);
	ok(config_set(&cfg, "jwt_issuer", "0123456789012345678901234567890123456789"
	    "0123456789\n", &cause) == -1, "long bad value");
	is_str(cause, "invalid value \"0123456789012345678901234567890123456789"
	    "...\" for \"jwt_issuer\": expected a string without control "
	    "characters", "long value truncated");
	free(cause);
	config_free(&cfg);
}

static void
test_file_errors(void)
{
	struct config	 cfg;
	char		*cause = NULL, *want;

	load_err("listen: x\nfoo: 1\n", "2:1: unknown key \"foo\"", "unknown key");
	load_err("workers: 2\n\nworkers: 3\n",
	    "3:1: duplicate key \"workers\" (first on line 1)", "duplicate key");
	load_err("listen: x\nworkers: 65\n", "2:10: invalid value \"65\" for "
	    "\"workers\": expected an integer from 1 to 64", "workers range");
	load_err("  allow_register: maybe\n", "1:19: invalid value \"maybe\" "
	    "for \"allow_register\": expected true or false", "bad bool");
	load_err("max_body_bytes: 1G\n", "1:17: invalid value \"1G\" for "
	    "\"max_body_bytes\": expected a size from 1 to 1073741824 bytes, "
	    "optionally with k, M, KiB or MiB", "bad size");
	load_err("rate_limit_ip: -1\n", "1:16: invalid value \"-1\" for "
	    "\"rate_limit_ip\": expected a number from 0 to 1000000, 0 disables",
	    "negative rate");
	load_err("log_level: loud\n", "1:12: invalid value \"loud\" for "
	    "\"log_level\": expected error, warn, info or debug", "bad level");
	load_err("log_format: xml\n", "1:13: invalid value \"xml\" for "
	    "\"log_format\": expected text or json", "bad format");
	load_err("listen:\n  host: a\n",
	    "2:3: \"listen\" must be a single value, not a mapping",
	    "mapping value");
	load_err("listen: [a, b]\n",
	    "1:9: \"listen\" must be a single value, not a list", "list value");
	load_err("workers: &w 2\nlogin_window: *w\n",
	    "2:15: \"login_window\" must be a single value, not an alias",
	    "alias value");
	load_err("listen:\nworkers: 2\n", "1:8: no value for \"listen\"",
	    "empty value");
	load_err("listen: ~\n", "1:9: no value for \"listen\"", "null value");
	load_err("- a\n- b\n", "1:1: expected a mapping of keys to values",
	    "top-level list");
	load_err("hello\n", "1:1: expected a mapping of keys to values",
	    "top-level scalar");
	load_err("? [a]\n: b\n", "1:3: expected a key", "non-scalar key");
	load_err("workers: 2\n---\nworkers: 3\n",
	    "2:1: only one document is allowed", "two documents");
	load_err("listen: a: b\n", "1:10: mapping values are not allowed in "
	    "this context", "syntax error");
	load_err("workers: 2\n\tlisten: x\n", "2:1: found a tab character "
	    "that violates indentation while scanning a plain scalar",
	    "tab indentation");
	load_err("listen: \"abc\n", "2:1: found unexpected end of stream "
	    "while scanning a quoted scalar", "unterminated quote");
	load_err("workers: 2\nlisten: \xff\n", "2:9: invalid leading UTF-8 "
	    "octet", "invalid UTF-8");
	load_err("listen: \"a\\0b\"\n", "1:9: \"listen\" contains a NUL",
	    "NUL in value");
	load_err("\"a\\0b\": 1\n", "1:1: key contains a NUL", "NUL in key");
	load_err("listen: \"a\\tb\"\n", "1:9: invalid value \"a?b\" for "
	    "\"listen\": expected a string without control characters",
	    "tab in string");

	config_defaults(&cfg);
	ok(config_load_file(&cfg, "/nonexistent/c.yaml", &cause) == -1,
	    "missing file");
	is_str(cause, "/nonexistent/c.yaml: No such file or directory",
	    "missing file message");
	free(cause);
	ok(config_load_file(&cfg, dir, &cause) == -1, "directory");
	want = xasprintf("%s: not a regular file", dir);
	is_str(cause, want, "directory message");
	free(want);
	free(cause);
	config_free(&cfg);
}

/* Neither jwt_secret nor database_url may appear in a message. */
static void
test_secrets(void)
{
	static const char *files[] = {
		"jwt_secret: \"hunter2-hunter2\\x01-hunter2-hunter2-hunter2\"\n",
		"database_url: \"postgres://u:hunter2@h/db\\n\"\n",
		"database_url: \"postgres://u:hunter2\\0@h/db\"\n",
		"jwt_secret: hunter2\njwt_secret: hunter2\n",
		"jwt_secret: hunter2: x\n",
		"jwt_secret: [hunter2]\n",
		"jwt_secret: 'hunter2\n",
		"jwt_secret hunter2: x\n",
		"{jwt_secret hunter2}\n",
	};
	struct config	 cfg;
	char		*cause = NULL;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		config_defaults(&cfg);
		write_file(files[i]);
		rc = config_load_file(&cfg, path, &cause);
		ok(rc == -1 && strstr(cause, "hunter2") == NULL,
		    "secret not in \"%s\"", cause);
		free(cause);
		config_free(&cfg);
	}
	load_err("jwt_secret hunter2: x\n",
	    "1:1: unknown key \"jwt_secret...\"", "mistyped secret key");
	load_err("jwt_secret: \"x\\x01yz\"\n",
	    "1:13: invalid value for \"jwt_secret\"", "secret message");

	config_defaults(&cfg);
	setenv("CALLDOCKER_DATABASE_URL", "postgres://u:hunter2@h/\x01", 1);
	ok(config_load_env(&cfg, &cause) == -1, "bad CALLDOCKER_DATABASE_URL");
	is_str(cause, "CALLDOCKER_DATABASE_URL: invalid value for "
	    "\"database_url\"", "env secret message");
	free(cause);
	unsetenv("CALLDOCKER_DATABASE_URL");
	rc = config_set(&cfg, "jwt_secret", "hunter2\x7f", &cause);
	ok(rc == -1 && strstr(cause, "hunter2") == NULL,
	    "config_set secret message");
	free(cause);
	config_set(&cfg, "jwt_secret", "hunter2", &cause);
	rc = config_check(&cfg, &cause);
	ok(rc == -1 && strstr(cause, "hunter2") == NULL,
	    "config_check secret message");
	is_str(cause, "jwt_secret must be at least 32 bytes", "short secret");
	free(cause);
	config_free(&cfg);
}

static void
test_env(void)
{
	struct config	 cfg;
	char		*cause = NULL;

	load_ok(&cfg, "workers: 2\nlisten: 127.0.0.1:1\ndrain_timeout: 7\n",
	    "file for precedence");
	setenv("CALLDOCKER_WORKERS", "3", 1);
	setenv("CALLDOCKER_LISTEN", "", 1);
	setenv("CALLDOCKER_SOCKET", "/tmp/env.sock", 1);
	setenv("CALLDOCKER_RATE_LIMIT_IP", "0.5", 1);
	setenv("CALLDOCKER_MAX_BODY_BYTES", "2MiB", 1);
	setenv("CALLDOCKER_ALLOW_REGISTER", "false", 1);
	setenv("CALLDOCKER_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	ok(config_load_env(&cfg, &cause) == 0, "env loads");
	is_int(cfg.workers, 3, "env overrides file");
	is_int(cfg.drain_timeout, 7, "file value kept without env");
	is_str(cfg.listen, "", "empty CALLDOCKER_LISTEN disables TCP");
	is_str(cfg.socket_path, "/tmp/env.sock", "CALLDOCKER_SOCKET");
	ok(cfg.rate_ip == 0.5, "CALLDOCKER_RATE_LIMIT_IP");
	is_int(cfg.max_body, 2097152, "CALLDOCKER_MAX_BODY_BYTES");
	is_int(cfg.allow_register, 0, "CALLDOCKER_ALLOW_REGISTER");
	is_str(cfg.jwt_secret, "0123456789abcdef0123456789abcdef",
	    "CALLDOCKER_JWT_SECRET");
	ok(config_set(&cfg, "workers", "4", &cause) == 0, "config_set after env");
	is_int(cfg.workers, 4, "config_set overrides env");
	ok(config_check(&cfg, &cause) == 0, "result passes config_check");

	setenv("CALLDOCKER_WORKERS", "lots", 1);
	ok(config_load_env(&cfg, &cause) == -1, "bad env value");
	is_str(cause, "CALLDOCKER_WORKERS: invalid value \"lots\" for "
	    "\"workers\": expected an integer from 1 to 64", "env message");
	free(cause);
	config_free(&cfg);
	unsetenv("CALLDOCKER_WORKERS");
	unsetenv("CALLDOCKER_LISTEN");
	unsetenv("CALLDOCKER_SOCKET");
	unsetenv("CALLDOCKER_RATE_LIMIT_IP");
	unsetenv("CALLDOCKER_MAX_BODY_BYTES");
	unsetenv("CALLDOCKER_ALLOW_REGISTER");
	unsetenv("CALLDOCKER_JWT_SECRET");
}

static void
test_check(void)
{
	static const struct {
		const char	*key;
		const char	*value;
		const char	*cause;	/* NULL: passes */
	} cases[] = {
		{ "listen", "127.0.0.1:8080", NULL },
		{ "listen", "localhost:1", NULL },
		{ "listen", "*:65535", NULL },
		{ "listen", "[::1]:8080", NULL },
		{ "listen", "[::]:80", NULL },
		{ "listen", "", NULL },
		{ "listen", "8080", "invalid listen address \"8080\": expected "
		    "HOST:PORT with port 1 to 65535" },
		{ "listen", ":8080", "" },
		{ "listen", "127.0.0.1:0", "" },
		{ "listen", "127.0.0.1:65536", "" },
		{ "listen", "127.0.0.1:", "" },
		{ "listen", "127.0.0.1:80x", "" },
		{ "listen", "127.0.0.1: 80", "" },
		{ "listen", "example.com:80", "" },
		{ "listen", "::1:8080", "" },
		{ "listen", "[::1]8080", "" },
		{ "listen", "[zz]:80", "" },
		{ "listen", "300.1.1.1:80", "" },
		{ "access_token_ttl", "29", "access_token_ttl must be from 30 "
		    "to 86400" },
		{ "access_token_ttl", "30", NULL },
		{ "access_token_ttl", "86400", NULL },
		{ "access_token_ttl", "86401", "" },
		{ "refresh_token_ttl", "899", "refresh_token_ttl must not be "
		    "shorter than access_token_ttl" },
		{ "refresh_token_ttl", "900", NULL },
		{ "jwt_secret", "0123456789abcdef0123456789abcde",
		    "jwt_secret must be at least 32 bytes" },
		{ "jwt_secret", "0123456789abcdef0123456789abcdef", NULL },
		{ "jwt_issuer", "", "jwt_issuer and jwt_audience must not be "
		    "empty" },
		{ "data_dir", "", "data_dir must not be empty" },
		{ "socket", "/tmp/0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789012345678901234567"
		    "89.sock", "socket path \"/tmp/0123456789012345678901234567"
		    "8901234...\" is longer than 107 bytes" },
	};
	struct config	 cfg;
	char		*cause = NULL;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		config_defaults(&cfg);
		if (config_set(&cfg, cases[i].key, cases[i].value, &cause) != 0) {
			ok(0, "set %s %s: %s", cases[i].key, cases[i].value,
			    cause);
			free(cause);
			config_free(&cfg);
			continue;
		}
		cause = NULL;
		rc = config_check(&cfg, &cause);
		if (cases[i].cause == NULL)
			ok(rc == 0, "check passes: %s \"%s\"", cases[i].key,
			    cases[i].value);
		else if (*cases[i].cause == '\0')
			ok(rc == -1, "check fails: %s \"%s\"", cases[i].key,
			    cases[i].value);
		else
			is_str(rc == -1 ? cause : "(passed)", cases[i].cause,
			    "check fails: %s \"%s\"", cases[i].key,
			    cases[i].value);
		free(cause);
		cause = NULL;
		config_free(&cfg);
	}

	config_defaults(&cfg);
	config_set(&cfg, "listen", "", &cause);
	config_set(&cfg, "socket", "", &cause);
	ok(config_check(&cfg, &cause) == -1, "listen and socket both empty");
	is_str(cause, "listen and socket are both empty", "both empty message");
	free(cause);
	config_free(&cfg);

	config_defaults(&cfg);
	cfg.workers = 0;
	ok(config_check(&cfg, &cause) == -1, "check catches a field set directly");
	is_str(cause, "\"workers\" must be from 1 to 64", "direct field message");
	free(cause);
	config_free(&cfg);
}

static void
test_listen_split(void)
{
	char	 host[64];
	int	 port;

	ok(config_listen_split("[::1]:8443", host, sizeof host, &port) == 0 &&
	    strcmp(host, "::1") == 0 && port == 8443, "split [::1]:8443");
	ok(config_listen_split("*:80", host, sizeof host, &port) == 0 &&
	    strcmp(host, "") == 0 && port == 80, "split *:80 gives host \"\"");
	ok(config_listen_split("10.0.0.1:1", host, sizeof host, &port) == 0 &&
	    strcmp(host, "10.0.0.1") == 0 && port == 1, "split 10.0.0.1:1");
	ok(config_listen_split("10.0.0.1:1", host, 4, &port) == -1,
	    "split refuses a short buffer");
}

int
main(void)
{
	umask(077);
	if (mkdtemp(dir) == NULL) {
		puts("Bail out! mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/c.yaml", dir);
	test_defaults();
	test_file();
	test_values();
	test_file_errors();
	test_secrets();
	test_env();
	test_check();
	test_listen_split();
	unlink(path);
	rmdir(dir);
	return unit_done();
}
