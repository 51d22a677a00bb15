/*
 * calldockerd: configuration, the signing key, migrations, then the loop.
 * Runs in the foreground, logs to stderr, tells systemd when it is ready
 * and drains in-flight requests on SIGTERM before exiting 0. SIGHUP reloads
 * the TLS certificate and key (tls.c).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "utf8.h"
#include "xmalloc.h"
#include "log.h"
#include "version.h"
#include "op.h"
#include "daemon.h"
#include "db.h"
#include "revoke.h"
#include "password.h"
#include "server.h"
#include "hub.h"
#include "rollup.h"
#include "op-retention.h"
#include "webhook.h"
#include "twilio-rest.h"
#include "tls.h"
#include "cluster.h"
#include "db-cluster.h"


static double		 drain_deadline;
static volatile sig_atomic_t early_stop;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: calldockerd [--config FILE] [--listen HOST:PORT] [--socket PATH]\n"
	    "                   [--tls-cert FILE --tls-key FILE]\n"
	    "                   [--database-url URL] [--data-dir DIR] [--cluster NAME]\n"
	    "                   [--log-level error|warn|info|debug] [--log-format text|json]\n"
	    "                   [--set KEY=VALUE] [--check-config] [--version]\n"
	    "       calldockerd --operations\n"
	    "Every setting is also a key of the YAML config file and an environment\n"
	    "variable CALLDOCKER_<KEY>; see calldockerd(8).\n");
}

/* Tell systemd (Type=notify) without libsystemd. */
static void
sd_notify_msg(const char *msg)
{
	const char		*path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof sun.sun_path)
		return;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, len);
	close(fd);
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char	*p = xstrdup(path);

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * A node of a cluster without jwt_secret: the cluster's key in the
 * database, made by the first node from 64 random bytes (docs/cluster.md).
 */
static int
load_cluster_key(char **cause)
{
	unsigned char	 fresh[64], key[256];
	struct db	 db;
	int		 n, rc = -1;

	if (getrandom(fresh, sizeof fresh, 0) != sizeof fresh) {
		*cause = xstrdup("cannot make a signing key");
		return -1;
	}
	db_init(&db, cfg.database_url);
	n = db_cluster_key(&db, cfg.cluster, fresh, sizeof fresh, key,
	    sizeof key);
	db_close(&db);
	if (n < TOKEN_MIN_KEY)
		*cause = xasprintf("cannot read the signing key of cluster"
		    " \"%s\"", cfg.cluster);
	else if (token_key_init(&tkey, key, (size_t)n, cfg.jwt_issuer,
	    cfg.jwt_audience) != 0)
		*cause = xstrdup("the signing key was refused");
	else
		rc = 0;
	explicit_bzero(fresh, sizeof fresh);
	explicit_bzero(key, sizeof key);
	return rc;
}

/*
 * The HS256 key: jwt_secret from the configuration; in a cluster, the
 * cluster's key; else 64 random bytes kept in DATA_DIR/jwt.key (mode 0600),
 * generated on first start.
 */
static int
load_key(char **cause)
{
	unsigned char	 key[64];
	char		*path;
	ssize_t		 n;
	int		 fd, rc = -1;
	struct stat	 st;

	if (cfg.jwt_secret != NULL)
		return token_key_init(&tkey, (unsigned char *)cfg.jwt_secret,
		    strlen(cfg.jwt_secret), cfg.jwt_issuer, cfg.jwt_audience);
	if (cfg.cluster != NULL && *cfg.cluster != '\0')
		return load_cluster_key(cause);
	if (mkdir_p(cfg.data_dir, 0700) != 0) {
		*cause = xasprintf("cannot create \"%s\": %s", cfg.data_dir,
		    strerror(errno));
		return -1;
	}
	path = xasprintf("%s/jwt.key", cfg.data_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
			*cause = xasprintf("\"%s\" must not be readable by"
			    " others (chmod 600)", path);
			goto out;
		}
		n = read(fd, key, sizeof key);
		if (n < TOKEN_MIN_KEY) {
			*cause = xasprintf("\"%s\" holds fewer than %d bytes",
			    path, TOKEN_MIN_KEY);
			goto out;
		}
	} else if (errno == ENOENT) {
		if (getrandom(key, sizeof key, 0) != sizeof key ||
		    (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) < 0 || write(fd, key, sizeof key) != sizeof key) {
			*cause = xasprintf("cannot write \"%s\": %s", path,
			    strerror(errno));
			goto out;
		}
		n = sizeof key;
		log_info("generated a new signing key in %s", path);
	} else {
		*cause = xasprintf("cannot read \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (token_key_init(&tkey, key, (size_t)n, cfg.jwt_issuer,
	    cfg.jwt_audience) != 0) {
		*cause = xstrdup("the signing key was refused");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(key, sizeof key);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static void
early_signal(int sig)
{
	early_stop = 1;
}

/* Migrate, waiting for the database to come up; it may start after us. */
static int
prepare_database(void)
{
	struct db	 db;
	char		*cause = NULL;
	int		 warned = 0;

	signal(SIGTERM, early_signal);
	signal(SIGINT, early_signal);
	db_init(&db, cfg.database_url);
	db.timeout = 0;		/* a migration takes what it takes */
	while (!early_stop) {
		if (db_migrate(&db, &cause) == 0 && revoke_load(&db) == 0)
			break;
		if (db.conn != NULL && PQstatus(db.conn) == CONNECTION_OK)
			fatal("database: %s", cause ? cause : "cannot load");
		if (!warned++)
			log_warn("database: waiting for it to accept connections");
		free(cause);
		cause = NULL;
		sleep(1);
	}
	free(cause);
	db_close(&db);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	return early_stop ? -1 : 0;
}

static void
drain_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	if (server_inflight() == 0 || now_mono() > drain_deadline)
		ev_break(loop, EVBREAK_ALL);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	static ev_timer	 timer;

	if (drain_deadline != 0)
		return;
	log_info("received %s; draining %d in-flight requests",
	    w->signum == SIGTERM ? "SIGTERM" : "SIGINT", server_inflight());
	sd_notify_msg("STOPPING=1");
	server_drain();
	drain_deadline = now_mono() + cfg.drain_timeout;
	ev_timer_init(&timer, drain_check, 0, 0.02);
	ev_timer_start(loop, &timer);
}

/* SIGHUP: new TLS handshakes use the certificate and key on disk now. */
static void
on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	tls_reload();
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "socket", required_argument, NULL, 's' },
	{ "tls-cert", required_argument, NULL, 'T' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "database-url", required_argument, NULL, 'd' },
	{ "data-dir", required_argument, NULL, 'D' },
	{ "cluster", required_argument, NULL, 'C' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "log-format", required_argument, NULL, 'F' },
	{ "set", required_argument, NULL, 'S' },
	{ "check-config", no_argument, NULL, 'n' },
	{ "version", no_argument, NULL, 'V' },
	{ "operations", no_argument, NULL, 'O' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Flag name to config key. */
static const char *flag_keys[128] = {
	['l'] = "listen", ['s'] = "socket", ['d'] = "database_url",
	['D'] = "data_dir", ['L'] = "log_level", ['F'] = "log_format",
	['T'] = "tls_cert", ['K'] = "tls_key", ['C'] = "cluster",
};

int
main(int argc, char **argv)
{
	struct ev_loop	*loop;
	ev_signal	 sigterm, sigint, sighup;
	char		*cause = NULL, *file = getenv("CALLDOCKER_CONFIG");
	int		 ch, check = 0;

	/* First pass: --config, so flags can override the file. */
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'c')
			file = optarg;
		else if (ch == 'n')
			check = 1;
		else if (ch == 'V') {
			printf("calldockerd %s\n", CALLDOCKER_VERSION);
			return 0;
		} else if (ch == 'O') {
			/* The operations table (op.h), for docs and tests. */
			json_t *t = op_table_json();

			json_dumpf(t, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(t);
			return 0;
		} else if (ch == 'h') {
			usage(stdout);
			return 0;
		} else if (ch == '?') {
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "calldockerd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	config_defaults(&cfg);
	if (file != NULL && config_load_file(&cfg, file, &cause) != 0)
		goto bad;
	if (config_load_env(&cfg, &cause) != 0)
		goto bad;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char	*eq;

		if (ch == 'S') {
			if ((eq = strchr(optarg, '=')) == NULL) {
				cause = xasprintf("--set needs KEY=VALUE");
				goto bad;
			}
			*eq = '\0';
			if (config_set(&cfg, optarg, eq + 1, &cause) != 0)
				goto bad;
		} else if (ch < 128 && flag_keys[ch] != NULL &&
		    config_set(&cfg, flag_keys[ch], optarg, &cause) != 0)
			goto bad;
	}
	if (config_check(&cfg, &cause) != 0)
		goto bad;
	if (check) {
		/* The TLS certificate and key load and match. */
		if (tls_init(&cause) != 0)
			goto bad;
		tls_free();
		printf("configuration ok\n");
		return 0;
	}

	log_init(cfg.log_level, cfg.log_format);
	signal(SIGPIPE, SIG_IGN);
	password_init();
	if (utf8_init() != 0)
		fatal("no C.UTF-8 locale: e-mail addresses cannot be case-folded");
	if (prepare_database() != 0)
		return 0;
	switch (cluster_start(&cause)) {
	case 0:
		break;
	case 1:
		/* One line, as a bad configuration gets (cluster.h). */
		fprintf(stderr, "calldockerd: %s\n", cause);
		free(cause);
		config_free(&cfg);
		return CLUSTER_EXIT_REFUSED;
	default:
		fatal("%s", cause);
	}
	if (load_key(&cause) != 0)
		fatal("%s", cause);

	/* Subscribes to the events the hub publishes from its start. */
	if (twilio_rest_start(cfg.database_url, &cause) != 0)
		fatal("%s", cause);
	if (hub_start(cfg.database_url, &cause) != 0)
		fatal("%s", cause);
	if (rollup_start(cfg.database_url, cfg.analytics_rollup_interval,
	    &cause) != 0 || outbox_start(cfg.database_url, &cause) != 0 ||
	    retention_start(cfg.database_url, cfg.recording_sweep_interval,
	    &cause) != 0)
		fatal("%s", cause);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (server_start(loop, &cause) != 0)
		fatal("%s", cause);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_start(loop, &sigterm);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(loop, &sigint);
	ev_signal_init(&sighup, on_sighup, SIGHUP);
	ev_signal_start(loop, &sighup);
	log_info("calldockerd %s ready", CALLDOCKER_VERSION);
	sd_notify_msg("READY=1");

	ev_run(loop, 0);

	server_stop();
	rollup_stop();
	retention_stop();
	outbox_stop();
	/* The leases go first: no round adopts a company into a stopped
	 * hub, and the peers take over while this node finishes. */
	cluster_stop();
	hub_stop();
	twilio_rest_stop();
	token_key_free(&tkey);
	config_free(&cfg);
	log_info("stopped");
	return 0;
bad:
	fprintf(stderr, "calldockerd: %s\n", cause);
	free(cause);
	return 1;
}
