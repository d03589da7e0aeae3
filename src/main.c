/*
 * callnorm: one "list calls" API over several voice-AI providers, as a
 * FastCGI or CGI responder.
 */
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "conf.h"
#include "cursor.h"
#include "front.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: callnorm [-c FILE]\n"
	    "       callnorm [-c FILE] --listen unix:/PATH|HOST:PORT "
	    "[--threads N] [--workers N]\n"
	    "                [--listen-owner USER] [--listen-group GROUP] "
	    "[--listen-mode MODE]\n"
	    "       callnorm [-c FILE] --check-config [--probe]\n"
	    "       callnorm --version\n");
}

static int
parse_count(const char *s, int max)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1 || n > max)
		return -1;
	return (int)n;
}

/*
 * Test hook, CGI mode only: CALLNORM_FAIL_ALLOC=N makes the Nth arena,
 * buffer or JSON-stack allocation of the request fail (see
 * cn_alloc_fail_after), and says on stderr whether it was reached.
 * Used by the malloc-failure loop in tests/integration/hardening.
 */
static long
fail_alloc_from_env(void)
{
	const char *s = getenv("CALLNORM_FAIL_ALLOC");
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return 0;
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < 1)
		return 0;
	cn_alloc_fail_after(n);
	return n;
}

/* What the command line asks for. */
struct options {
	const char *path; /* of the configuration */
	const char *listen_addr; /* NULL: fd 0 (FastCGI) or CGI */
	int threads, workers;
	bool check; /* --check-config */
	bool probe; /* --probe, with --check-config */
	struct front_sockperm perm; /* --listen-owner/-group/-mode */
};

/* An octal mode such as 0660 (owner and group bits only make sense,
 * but any permission bits are taken); -1 when malformed. */
static int
parse_mode(const char *s)
{
	char *end;
	long n = strtol(s, &end, 8);

	if (*s < '0' || *s > '7' || *end != '\0' || n < 0 || n > 0777)
		return -1;
	return (int)n;
}

/* What parse_args decided: go on, or exit with this status at once. */
enum args_result { ARGS_RUN = -1, ARGS_EXIT_OK = 0, ARGS_USAGE = 64 };

static enum args_result
parse_args(int argc, char *argv[], struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "probe", no_argument, NULL, 'P' },
		{ "listen-owner", required_argument, NULL, 'O' },
		{ "listen-group", required_argument, NULL, 'G' },
		{ "listen-mode", required_argument, NULL, 'M' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->threads = o->workers = 1;
	o->perm.mode = -1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->path = optarg;
			break;
		case 'l':
			o->listen_addr = optarg;
			break;
		case 't':
			if ((o->threads = parse_count(optarg, 1024)) < 0) {
				fprintf(stderr,
				    "callnorm: --threads takes 1..1024\n");
				return ARGS_USAGE;
			}
			break;
		case 'w':
			if ((o->workers = parse_count(optarg, 256)) < 0) {
				fprintf(stderr,
				    "callnorm: --workers takes 1..256\n");
				return ARGS_USAGE;
			}
			break;
		case 'C':
			o->check = true;
			break;
		case 'P':
			o->probe = true;
			break;
		case 'O':
			o->perm.owner = optarg;
			break;
		case 'G':
			o->perm.group = optarg;
			break;
		case 'M':
			if ((o->perm.mode = parse_mode(optarg)) < 0) {
				fprintf(stderr,
				    "callnorm: --listen-mode takes an octal "
				    "mode such as 0660\n");
				return ARGS_USAGE;
			}
			break;
		case 'V':
			printf("callnorm %s\n", PACKAGE_VERSION);
			return ARGS_EXIT_OK;
		case 'h':
			usage(stdout);
			return ARGS_EXIT_OK;
		default:
			usage(stderr);
			return ARGS_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return ARGS_USAGE;
	}
	if (o->probe && !o->check) {
		fprintf(stderr, "callnorm: --probe goes with --check-config\n");
		return ARGS_USAGE;
	}
	if ((o->perm.owner || o->perm.group || o->perm.mode >= 0) &&
	    o->listen_addr == NULL) {
		fprintf(stderr,
		    "callnorm: --listen-owner, --listen-group and "
		    "--listen-mode go with --listen unix:/PATH\n");
		return ARGS_USAGE;
	}
	if (o->path == NULL)
		o->path = getenv("CALLNORM_CONFIG");
	if (o->path == NULL || *o->path == '\0')
		o->path = SYSCONFDIR "/callnorm/callnorm.conf";
	return ARGS_RUN;
}

/*
 * The process holds provider keys and the cursor key: no core dumps,
 * and no ptrace or /proc/PID/mem for other users.  A proxy must never
 * come from the environment: under CGI, HTTP_PROXY is whatever the
 * client sent as "Proxy:".
 */
static void
harden(void)
{
	const struct rlimit no_core = { 0, 0 };

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	unsetenv("HTTP_PROXY");
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
}

/* Serves FastCGI (on --listen or fd 0) or answers one CGI request. */
static int
run(struct app *app, const struct options *o)
{
	long fail_alloc;
	int fd, rc;

	if (o->listen_addr != NULL) {
		fd = front_listen(o->listen_addr, &o->perm);
		if (fd < 0)
			return 1;
		app->listen_desc = o->listen_addr;
		return front_serve(app, fd, o->threads, o->workers);
	}
	if (front_is_fastcgi()) {
		app->listen_desc = "fd 0";
		return front_serve(app, 0, o->threads, o->workers);
	}
	fail_alloc = fail_alloc_from_env();
	rc = front_cgi(app);
	if (fail_alloc > 0)
		fprintf(stderr, "callnorm: CALLNORM_FAIL_ALLOC=%ld %s\n",
		    fail_alloc,
		    cn_alloc_fail_pending() > 0 ? "not reached" : "failed");
	return rc;
}

/*
 * --check-config: the summary on stdout, warnings on stderr, and with
 * --probe one request per provider; 0 when valid (and every probe
 * answered), 1 when a probe failed.
 */
static int
check_config(struct app *app, const struct options *o)
{
	int failed = 0;

	conf_summary(app->conf, o->path, stdout);
	conf_warnings(app->conf, o->path, stderr);
	if (o->probe) {
		signal(SIGPIPE, SIG_IGN);
		if (http_global_init() < 0)
			failed = -1;
		else {
			fflush(stdout);
			failed = probe_providers(app->conf, stdout);
			http_global_cleanup();
		}
		if (failed < 0)
			log_warnx("cannot run the probe (out of memory?)");
	}
	conf_free(app->conf);
	return failed != 0 ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct app app;
	enum args_result ar;
	int rc;

	if ((ar = parse_args(argc, argv, &o)) != ARGS_RUN)
		return ar;
	harden();
	if (cursor_crypto_init() < 0) {
		log_warnx("cannot initialise libcrypto (out of memory?)");
		return 1;
	}
	if (front_init() < 0)
		return 1;
	/* Configuration and secrets are loaded before the first accept. */
	memset(&app, 0, sizeof(app));
	app.conf = conf_load(o.path, stderr);
	if (app.conf == NULL) {
		/* Started by mod_fcgid (or spawn-fcgi) with a listening fd
		 * 0: the web server answers its own 500 page, so the cause
		 * must be plain in its error log. */
		if (!o.check && o.listen_addr == NULL && front_is_fastcgi())
			log_warnx(
			    "%s is not valid: not serving; under mod_fcgid, "
			    "every variable an env: value names must be "
			    "passed with FcgidInitialEnv NAME VALUE",
			    o.path);
		return EX_CONFIG_ERROR;
	}
	app.conf_path = o.path;
	if (o.check)
		return check_config(&app, &o);
	signal(SIGPIPE, SIG_IGN);
	/* Warnings are for whoever starts a server, not for each CGI run. */
	if (o.listen_addr != NULL || front_is_fastcgi())
		conf_warnings(app.conf, o.path, stderr);
	if (http_global_init() < 0 || metrics_init(app.conf->nproviders) < 0) {
		log_warnx("cannot initialise libraries");
		conf_free(app.conf);
		return 1;
	}
	if (app.conf->cursor_key_random)
		log_warnx(
		    "no cursor_key configured: using a random key; cursors "
		    "will not survive a restart or cross processes");
	rc = run(&app, &o);
	http_global_cleanup();
	conf_free(app.conf);
	return rc;
}
