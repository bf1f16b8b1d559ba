// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger.h"
#include "cmd/options.h"
#include "loader/pin.h"

#define MAX_DURATION_S 86400.0
#define MAX_PID 4194304
#define MAX_LEDGER (1u << 24)
#define MAX_EVENTS_KIB (1u << 20)
#define MIN_INTERVAL_S 0.1
#define MAX_PIN_DIR 200 /* leaves room for the map names below it */
#define MAX_PEER 64

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr; the caller exits with status 2. */
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("portleak: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see 'portleak help')\n", stderr);
	return -EINVAL;
}

static int parse_double(const char *flag, const char *s, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *out < 0 || *out > max)
		return bad("invalid value '%s' for %s", s, flag);
	return 0;
}

static int parse_ulong(const char *flag, const char *s, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *out < min || *out > max)
		return bad("invalid value '%s' for %s", s, flag);
	return 0;
}

static int parse_interval(const char *flag, const char *s, double *out)
{
	int err = parse_double(flag, s, MAX_DURATION_S, out);

	if (!err && *out < MIN_INTERVAL_S)
		return bad("invalid value '%s' for %s: at least %.1f", s, flag, MIN_INTERVAL_S);
	return err;
}

/* The commands, by the names the command line gives them. */
static const struct {
	const char *name;
	enum pl_command cmd;
} commands[] = {
	{ "snapshot", PL_CMD_SNAPSHOT }, { "top", PL_CMD_TOP },
	{ "watch", PL_CMD_WATCH },       { "serve", PL_CMD_SERVE },
	{ "doctor", PL_CMD_DOCTOR },     { "close", PL_CMD_CLOSE },
	{ "help", PL_CMD_HELP },         { "-h", PL_CMD_HELP },
	{ "--help", PL_CMD_HELP },       { "version", PL_CMD_VERSION },
	{ "--version", PL_CMD_VERSION },
};

static int parse_command(const char *name, enum pl_command *cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(name, commands[i].name)) {
			*cmd = commands[i].cmd;
			return 0;
		}
	}
	return bad("unknown command '%s'", name);
}

/* How a flag's value is read, and where it goes. */
enum pl_flag_kind {
	PL_FLAG_LOOP,     /* the parse loop acts on it (--help) */
	PL_FLAG_SET,      /* no value: the bool field becomes true */
	PL_FLAG_TEXT,     /* the text itself (argv outlives the options) */
	PL_FLAG_SECS,     /* seconds, 0 to max */
	PL_FLAG_INTERVAL, /* seconds, MIN_INTERVAL_S to MAX_DURATION_S */
	PL_FLAG_COUNT,    /* a whole number, min to max */
	PL_FLAG_OWN,      /* its own parser */
};

struct pl_flag;
typedef int pl_flag_parser(const struct pl_flag *f, const char *arg, struct pl_options *o);

/* A flag, one row of the table below: its long name, its short letter (0:
 * none), the value it takes as --help names it (NULL: none), the commands
 * that take it, how its value is read and into which field of struct
 * pl_options, and its key in serve's --config file (NULL: none). The parser, its checks, the
 * config reader and 'help --options' (what the shell completions offer)
 * all read this table; a test holds --help and the man page to it. */
struct pl_flag {
	const char *name;
	char letter;
	const char *value;
	unsigned int commands;
	enum pl_flag_kind kind;
	size_t at, size;          /* the field: offsetof, sizeof */
	unsigned long min, max;   /* COUNT; SECS: max */
	pl_flag_parser *parse;    /* OWN */
	const char *config;       /* numbers only: a file's text does not last */
};

#define FIELD(member) \
	.at = offsetof(struct pl_options, member), .size = sizeof(((struct pl_options *)0)->member)

static void *field(const struct pl_flag *f, struct pl_options *o)
{
	return (char *)o + f->at;
}

/* A whole number into its field: unsigned long, or 32 bits (__u32, int). */
static void store_count(const struct pl_flag *f, struct pl_options *o, unsigned long v)
{
	if (f->size == sizeof(unsigned long))
		*(unsigned long *)field(f, o) = v;
	else
		*(__u32 *)field(f, o) = (__u32)v;
}

/* Read @arg for @f; @label names it in an error (--flag, or a config key). */
static int read_value(const struct pl_flag *f, const char *label, const char *arg,
		      struct pl_options *o)
{
	unsigned long v;
	int err;

	switch (f->kind) {
	case PL_FLAG_SET:
		*(bool *)field(f, o) = true;
		return 0;
	case PL_FLAG_TEXT:
		*(const char **)field(f, o) = arg;
		return 0;
	case PL_FLAG_SECS:
		return parse_double(label, arg, (double)f->max, field(f, o));
	case PL_FLAG_INTERVAL:
		return parse_interval(label, arg, field(f, o));
	case PL_FLAG_COUNT:
		if ((err = parse_ulong(label, arg, f->min, f->max, &v)))
			return err;
		store_count(f, o, v);
		return 0;
	case PL_FLAG_OWN:
		return f->parse(f, arg, o);
	default:
		return -EINVAL;
	}
}

static int parse_comm(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (!*arg || strlen(arg) >= PL_COMM_LEN)
		return bad("invalid value '%s' for --comm: 1 to 15 bytes", arg);
	o->filter.comm = arg;
	return 0;
}

static int parse_cgroup(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (arg[0] != '/')
		return bad("invalid value '%s' for --cgroup: a path below the cgroup root, starting with /", arg);
	o->filter.cgroup = arg;
	return 0;
}

/* --namespace, --pod, --container: a name as Kubernetes allows it. */
static int parse_name(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	size_t i, n = strlen(arg);

	if (!n || n >= PL_NAME_LEN)
		return bad("invalid value '%s' for --%s: 1 to %d characters", arg, f->name,
			   PL_NAME_LEN - 1);
	for (i = 0; i < n; i++)
		if (!((arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= 'A' && arg[i] <= 'Z') ||
		      (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '-' || arg[i] == '.' ||
		      arg[i] == '_'))
			return bad("invalid value '%s' for --%s: letters, digits, '-', '.' and '_' only",
				   arg, f->name);
	*(const char **)field(f, o) = arg;
	return 0;
}

static int parse_host_root(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (arg[0] != '/' || !is_dir(arg))
		return bad("invalid value '%s' for --host-root: an absolute path to a directory that exists", arg);
	o->host_root = arg;
	return 0;
}

static int parse_hooks(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (hooks__parse(arg, &o->hooks))
		return bad("invalid value '%s' for --hooks: auto, fexit, kprobe, tracepoint or classic", arg);
	return 0;
}

static int parse_event_buffer(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	unsigned long v;
	int err = parse_ulong("--event-buffer", arg, 4, MAX_EVENTS_KIB, &v);

	(void)f;
	if (!err && (v & (v - 1)))
		return bad("invalid value '%s' for --event-buffer: a power of two (KiB)", arg);
	o->events_kib = (__u32)v;
	return err;
}

/* --stacks, --no-stacks: one of them, given any number of times. */
static int parse_stacks(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	enum pl_stacks_mode mode = strcmp(f->name, "stacks") ? PL_STACKS_OFF : PL_STACKS_ALL;

	(void)arg;
	if (o->stacks_given && o->stacks != mode)
		return bad("--stacks and --no-stacks contradict each other: give one");
	o->stacks = mode;
	o->stacks_given = true;
	return 0;
}

static int parse_config(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	o->config = arg;
	return options__read_config(arg, o);
}

static int parse_pin(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	(void)arg;
	if (!o->pin_dir)
		o->pin_dir = PL_PIN_DIR_DEFAULT;
	return 0;
}

static int parse_pin_dir(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (arg[0] != '/' || strlen(arg) > MAX_PIN_DIR)
		return bad("invalid value '%s' for --pin-dir: an absolute path on the BPF filesystem, at most %d bytes",
			   arg, MAX_PIN_DIR);
	o->pin_dir = arg;
	return 0;
}

/* --peer ADDR[:PORT], IPv6 as [ADDR]:PORT or a bare ADDR. */
static int parse_peer(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	char host[MAX_PEER], *colon;
	unsigned long port;
	size_t n = strlen(arg);

	(void)f;
	if (!n || n >= sizeof(host))
		return bad("invalid value '%s' for --peer: ADDR, ADDR:PORT or [IPV6]:PORT", arg);
	memcpy(host, arg, n + 1);
	colon = strrchr(host, ':');
	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (!close || (close[1] && close[1] != ':'))
			return bad("invalid value '%s' for --peer: [IPV6]:PORT", arg);
		colon = close[1] ? close + 1 : NULL;
		*close = '\0';
		memmove(host, host + 1, strlen(host));
	} else if (colon && strchr(host, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
	}
	if (colon) {
		*colon = '\0';
		if (parse_ulong("--peer", colon + 1, 1, 65535, &port))
			return -EINVAL;
		o->peer.port = (__u16)port;
		o->peer_port = true;
	}
	if (inet_pton(AF_INET, host, o->peer.addr) == 1)
		o->peer.family = PL_AF_INET;
	else if (inet_pton(AF_INET6, host, o->peer.addr) == 1)
		o->peer.family = PL_AF_INET6;
	else
		return bad("invalid value '%s' for --peer: not an IPv4 or IPv6 address", arg);
	return 0;
}

static int parse_state(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (!strcmp(arg, "close-wait"))
		o->state = PL_TCP_CLOSE_WAIT;
	else if (!strcmp(arg, "established"))
		o->state = PL_TCP_ESTABLISHED;
	else if (!strcmp(arg, "time-wait"))
		return bad("--state time-wait: TIME_WAIT sockets are held by no process any more and free themselves within 60 s; for ports now, see net.ipv4.tcp_tw_reuse and the port range in 'portleak doctor'");
	else if (!strcmp(arg, "listen"))
		return bad("--state listen: closing a listener stops a service; portleak closes only leaked connections");
	else
		return bad("invalid value '%s' for --state: close-wait or established", arg);
	return 0;
}

static int parse_started(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	char *end;

	(void)f;
	errno = 0;
	o->started = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || !o->started)
		return bad("invalid value '%s' for --started: the start time of the process in clock ticks, as the dry run printed it", arg);
	return 0;
}

static int parse_via(const struct pl_flag *f, const char *arg, struct pl_options *o)
{
	(void)f;
	if (!strcmp(arg, "auto"))
		o->via = PL_REMEDY_AUTO;
	else if (!strcmp(arg, "kfunc"))
		o->via = PL_REMEDY_KFUNC;
	else if (!strcmp(arg, "sock-diag"))
		o->via = PL_REMEDY_SOCK_DIAG;
	else
		return bad("invalid value '%s' for --via: auto, kfunc or sock-diag", arg);
	return 0;
}

#define ON(cmd) (1u << (cmd))
#define TRACING (ON(PL_CMD_SNAPSHOT) | ON(PL_CMD_TOP) | ON(PL_CMD_WATCH))
#define AGENT (TRACING | ON(PL_CMD_SERVE))
#define LOADS (AGENT | ON(PL_CMD_DOCTOR))
#define EVERY (~0u)
#define SET(member) .kind = PL_FLAG_SET, FIELD(member)
#define TEXT(member) .kind = PL_FLAG_TEXT, FIELD(member)
#define SECS(member, most) .kind = PL_FLAG_SECS, FIELD(member), .max = (most)
#define INTERVAL(member) .kind = PL_FLAG_INTERVAL, FIELD(member)
#define COUNT(member, least, most) .kind = PL_FLAG_COUNT, FIELD(member), .min = (least), .max = (most)
#define OWN(fn) .kind = PL_FLAG_OWN, .parse = (fn)
#define DAY 86400ul

static const struct pl_flag flags[] = {
	{ "duration", 'd', "SECS", ON(PL_CMD_SNAPSHOT), SECS(duration_s, DAY) },
	{ "delay", 'd', "SECS", ON(PL_CMD_TOP), INTERVAL(interval_s) },
	{ "interval", 'i', "SECS", ON(PL_CMD_WATCH) | ON(PL_CMD_SERVE), INTERVAL(interval_s),
	  .config = "interval" },
	{ "iterations", 'n', "N", ON(PL_CMD_TOP) | ON(PL_CMD_WATCH), COUNT(count, 1, ULONG_MAX / 2) },
	{ "batch", 'b', NULL, ON(PL_CMD_TOP), SET(batch) },
	{ "json", 0, NULL, ON(PL_CMD_SNAPSHOT) | ON(PL_CMD_WATCH) | ON(PL_CMD_VERSION), SET(json) },
	{ "verify", 0, NULL, ON(PL_CMD_SNAPSHOT), SET(verify) },
	{ "pid", 'p', "PID", TRACING | ON(PL_CMD_CLOSE), COUNT(filter.pid, 1, MAX_PID) },
	{ "comm", 'c', "COMM", TRACING, OWN(parse_comm) },
	{ "port", 0, "PORT", TRACING, COUNT(filter.port, 1, 65535) },
	{ "cgroup", 0, "PATH", TRACING, OWN(parse_cgroup) },
	{ "namespace", 0, "NS", TRACING, OWN(parse_name), FIELD(filter.namespace) },
	{ "pod", 0, "POD", TRACING, OWN(parse_name), FIELD(filter.pod) },
	{ "container", 0, "NAME", TRACING, OWN(parse_name), FIELD(filter.container) },
	{ "host-root", 0, "DIR", AGENT, OWN(parse_host_root) },
	{ "leak-age", 0, "SECS", AGENT, SECS(leak_age_s, DAY), .config = "leak_age" },
	{ "idle-age", 0, "SECS", AGENT, SECS(idle_age_s, DAY), .config = "idle_age" },
	{ "stale-min", 0, "N", AGENT, COUNT(stale_min, 1, 1000000) },
	{ "own-netns", 0, NULL, LOADS, SET(own_netns) },
	{ "hooks", 0, "MODE", LOADS | ON(PL_CMD_CLOSE), OWN(parse_hooks) },
	{ "max-sockets", 0, "N", LOADS, COUNT(ledger_size, 1, MAX_LEDGER) },
	{ "event-buffer", 0, "KIB", LOADS, OWN(parse_event_buffer) },
	{ "stacks", 0, NULL, LOADS, OWN(parse_stacks) },
	{ "no-stacks", 0, NULL, LOADS, OWN(parse_stacks) },
	{ "listen", 0, "ADDR:PORT", ON(PL_CMD_SERVE), TEXT(listen) },
	{ "top-k", 0, "N", ON(PL_CMD_SERVE), COUNT(top_k, 1, 100000), .config = "top_k" },
	{ "user", 0, "USER", ON(PL_CMD_SERVE), TEXT(user) },
	{ "config", 0, "FILE", ON(PL_CMD_SERVE), OWN(parse_config) },
	{ "pin", 0, NULL, ON(PL_CMD_SERVE), OWN(parse_pin) },
	{ "pin-dir", 0, "DIR", ON(PL_CMD_SERVE), OWN(parse_pin_dir) },
	{ "peer", 0, "ADDR[:PORT]", ON(PL_CMD_CLOSE), OWN(parse_peer) },
	{ "state", 0, "STATE", ON(PL_CMD_CLOSE), OWN(parse_state) },
	{ "older", 0, "SECS", ON(PL_CMD_CLOSE), SECS(older_s, DAY * 365) },
	{ "started", 0, "TICKS", ON(PL_CMD_CLOSE), OWN(parse_started) },
	{ "yes", 0, NULL, ON(PL_CMD_CLOSE), SET(yes) },
	{ "shared", 0, NULL, ON(PL_CMD_CLOSE), SET(shared) },
	{ "via", 0, "MECH", ON(PL_CMD_CLOSE), OWN(parse_via) },
	{ "verbose", 'v', NULL, LOADS | ON(PL_CMD_CLOSE), SET(verbose) },
	{ "help", 'h', NULL, EVERY & ~ON(PL_CMD_HELP), .kind = PL_FLAG_LOOP },
};

#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))
/* What getopt returns for a flag with no short letter: this plus its row. */
#define LONG_ONLY 256

/* getopt's view of the table; getopt_long's short letters come from it too. */
static struct option long_options[N_FLAGS + 1];
static char short_options[2 * N_FLAGS + 2];

static void build_getopt_tables(void)
{
	size_t i, n = 0;

	short_options[n++] = ':'; /* a missing value is ':', not '?' */
	for (i = 0; i < N_FLAGS; i++) {
		long_options[i] = (struct option){ flags[i].name,
			flags[i].value ? required_argument : no_argument, NULL,
			flags[i].letter ? flags[i].letter : LONG_ONLY + (int)i };
		if (flags[i].letter && !strchr(short_options, flags[i].letter)) {
			short_options[n++] = flags[i].letter;
			if (flags[i].value)
				short_options[n++] = ':';
		}
	}
	short_options[n] = '\0';
}

/* The row of the flag getopt returned as @key, given by its long name
 * (@index) or by its short letter (@index -1): the row of that letter that
 * @cmd takes (-d is --duration or --delay). *@row: NULL if @cmd takes no
 * such flag, or the first row of that name or letter, for the message. */
static const struct pl_flag *flag_of(enum pl_command cmd, int key, int index,
				     const struct pl_flag **row)
{
	size_t i;

	*row = index >= 0 ? &flags[index] : NULL;
	if (index >= 0)
		return flags[index].commands & ON(cmd) ? &flags[index] : NULL;
	for (i = 0; i < N_FLAGS; i++)
		if (flags[i].letter == key && (flags[i].commands & ON(cmd)))
			return &flags[i];
	return NULL;
}

/* help --options COMMAND: one flag per line, '--long -s VALUE', for the
 * shell completions. */
static void print_flags(FILE *out, enum pl_command cmd)
{
	size_t i;

	for (i = 0; i < N_FLAGS; i++) {
		if (!(flags[i].commands & ON(cmd)))
			continue;
		fprintf(out, "--%s", flags[i].name);
		if (flags[i].letter)
			fprintf(out, " -%c", flags[i].letter);
		fprintf(out, "%s%s\n", flags[i].value ? " " : "", flags[i].value ? flags[i].value : "");
	}
}

static int check_close(const struct pl_options *o)
{
	if (!o->filter.pid)
		return bad("close needs --pid PID: it closes the sockets of one process");
	if (o->state == PL_TCP_ESTABLISHED && o->older_s < 0)
		return bad("--state established needs --older SECS: only connections idle that long are closed, never ones in use");
	return 0;
}

/* What no single flag can check: combinations. */
static int check_together(const struct pl_options *o)
{
	if (o->verify && (o->json || o->filter.pid || o->filter.comm || o->filter.port >= 0 ||
			  o->filter.cgroup))
		return bad("--verify checks the whole host, as text: no --json and no filters");
	if (o->count && o->cmd == PL_CMD_TOP && !o->batch)
		return bad("-n goes with -b (batch mode)");
	if (o->cmd == PL_CMD_CLOSE)
		return check_close(o);
	return 0;
}

/* help [COMMAND], help --options COMMAND: @argv holds what follows 'help'. */
static int parse_help(int argc, char **argv)
{
	enum pl_command topic = PL_CMD_HELP;
	bool list = argc > 0 && !strcmp(argv[0], "--options");
	int err;

	argc -= list;
	argv += list;
	if (argc > 1)
		return bad("unexpected argument '%s'", argv[1]);
	if (list && !argc)
		return bad("help --options needs a command");
	if (argc && (err = parse_command(argv[0], &topic)))
		return err;
	if (list)
		print_flags(stdout, topic);
	else
		options__usage(stdout, topic);
	return 0;
}

static void set_defaults(struct pl_options *o)
{
	memset(o, 0, sizeof(*o));
	o->duration_s = 1;
	o->interval_s = 2;
	o->listen = "127.0.0.1:9530";
	o->top_k = 20;
	o->filter.port = -1;
	o->leak_age_s = 60;
	o->idle_age_s = 600;
	o->stale_min = 20;
	o->hooks = PL_HOOKS_AUTO;
	o->state = PL_TCP_CLOSE_WAIT;
	o->older_s = -1;
	o->stacks = PL_STACKS_ARMED;
}

/* What getopt said is wrong with argv[optind - 1], as one line. */
static int refuse(int c, char **argv)
{
	if (c == '?' && optopt) /* a short one, maybe inside a cluster like -bx */
		return bad("unknown option '-%c'", optopt);
	if (c == '?')
		return bad("unknown option '%s'", argv[optind - 1]);
	return bad("option '%s' needs a value", argv[optind - 1]);
}

/* The flags after the command; @argv[0] is the command. */
static int parse_flags(int argc, char **argv, struct pl_options *o)
{
	const struct pl_flag *f, *named;
	int c, err, index = -1;
	char label[32];

	optind = 0; /* resets getopt entirely (state of an earlier parse) */
	opterr = 0;
	build_getopt_tables();
	while ((c = getopt_long(argc, argv, short_options, long_options, &index)) != -1) {
		if (c == '?' || c == ':')
			return refuse(c, argv);
		if (c == 'h') {
			options__usage(stdout, o->cmd);
			o->cmd = PL_CMD_HELP;
			return 0;
		}
		if (!(f = flag_of(o->cmd, c, index, &named)) && named)
			return bad("option '--%s' does not apply to %s", named->name, argv[0]);
		if (!f)
			return bad("option '-%c' does not apply to %s", c, argv[0]);
		snprintf(label, sizeof(label), "--%s", f->name);
		if ((err = read_value(f, label, optarg, o)))
			return err;
		index = -1;
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	return 0;
}

int options__parse(int argc, char **argv, struct pl_options *o)
{
	int err;

	set_defaults(o);
	if (argc < 2)
		return bad("no command given");
	if ((err = parse_command(argv[1], &o->cmd)))
		return err;
	if (o->cmd == PL_CMD_SERVE)
		o->interval_s = 5;
	if (o->cmd == PL_CMD_HELP)
		return parse_help(argc - 2, argv + 2);
	/* The flags follow the command: parse argv + 1 as if it were all. */
	if ((err = parse_flags(argc - 1, argv + 1, o)) || o->cmd == PL_CMD_HELP)
		return err;
	return check_together(o);
}

/* The row whose --config key is @key. */
static const struct pl_flag *config_flag(const char *key)
{
	for (size_t i = 0; i < N_FLAGS; i++)
		if (flags[i].config && !strcmp(flags[i].config, key))
			return &flags[i];
	return NULL;
}

int options__read_config(const char *path, struct pl_options *o)
{
	char line[256], key[64], value[128];
	const struct pl_flag *row;
	unsigned int n = 0;
	FILE *file = fopen(path, "re");
	int err = 0;

	if (!file)
		return bad("cannot read --config %s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), file)) {
		n++;
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		if (sscanf(line, " %63[a-z_] = %127s", key, value) != 2)
			err = bad("%s:%u: expected 'key = value'", path, n);
		else if (!(row = config_flag(key)))
			err = bad("%s:%u: unknown setting '%s'", path, n, key);
		else
			err = read_value(row, key, value, o);
	}
	fclose(file);
	return err;
}
