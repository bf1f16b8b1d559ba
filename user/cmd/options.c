// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
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

static const char usage_main[] =
"usage: portleak COMMAND [OPTIONS]\n"
"\n"
"Find the process that leaks TCP connections or eats the local port space,\n"
"the destination they pile up toward, and how long until connect() fails.\n"
"Every socket is charged to the process that owns it, TIME_WAIT included.\n"
"\n"
"commands:\n"
"  top        live view, refreshed in place: the leaking process on the\n"
"             first row, destinations running out of ports (key d)\n"
"  snapshot   trace for a while, then print one report (table or JSON)\n"
"  watch      one report per interval: JSON lines for scripts\n"
"  serve      Prometheus /metrics (and /api/snapshot, /healthz) for a fleet\n"
"  doctor     what this kernel offers, which hooks portleak chooses and why,\n"
"             the TCP sysctls and the port arithmetic of this host\n"
"  close      give a leaking process's ports back: close its CLOSE_WAIT\n"
"             (or long-idle) sockets from outside; a dry run unless --yes\n"
"  help [COMMAND]   this text, or the options of COMMAND;\n"
"             help --options COMMAND lists them one per line\n"
"  version    the version, commit and build date (--json for inventories)\n"
"\n"
"Needs root, or CAP_BPF and CAP_PERFMON (plus CAP_SYS_ADMIN to walk other\n"
"network namespaces).\n"
"exit status: 0 ok, 1 runtime failure, 2 usage error, 3 snapshot --verify\n"
"found a mismatch, 4 not permitted (needs root or the capabilities above),\n"
"5 the kernel cannot run portleak (no BTF, kernel lockdown in confidentiality\n"
"mode, no BPF filesystem for serve --pin, programs refused: see\n"
"'portleak doctor')\n";

static const char usage_snapshot[] =
"usage: portleak snapshot [-d SECS] [--json] [FILTERS] [OPTIONS]\n"
"\n"
"Attach, record the owner of every TCP socket that already exists, trace\n"
"for SECS seconds, then print one report: a row per process holding TCP\n"
"sockets (most suspicious first: CLOSE_WAIT count and age, then growth,\n"
"then port failures) and a row per destination whose local ports are in\n"
"use. Sockets whose owner cannot be known (TIME_WAIT older than portleak)\n"
"are listed under an unknown owner, never dropped.\n"
"\n"
"  -d, --duration SECS   trace this long before reporting (default 1;\n"
"                        0 = walk only)\n"
"      --json            one JSON document (version 1) instead of tables\n"
"      --verify          instead of a report, check portleak (after tracing for\n"
"                        SECS) against the kernel's own view: per namespace\n"
"                        and state, the sockets it lists\n"
"                        equal /proc/net/tcp{,6}, and each socket in an fd table\n"
"                        is charged to a process that holds it (/proc/PID/fd).\n"
"                        One line per mismatch; exit 3 if any\n"
"  -p, --pid PID         only this process\n"
"  -c, --comm COMM       only processes with this exact name\n"
"      --port PORT       only sockets with this local or remote port\n"
"      --cgroup PATH     only processes in this cgroup v2 path or below it\n"
"      --namespace NS    only processes in pods of this Kubernetes namespace\n"
"      --pod POD         only processes of this pod\n"
"      --container NAME  only processes of this container (name, or id prefix)\n"
"      --host-root DIR   the host's root, where the container runtimes keep\n"
"                        their files (default /: portleak runs on the host)\n"
"      --own-netns       only sockets of portleak's own network namespace\n"
"      --leak-age SECS   CLOSE_WAIT older than this is a leak (default 60)\n"
"      --idle-age SECS   ESTABLISHED with no data sent or received for this\n"
"                        long is idle (default 600)\n"
"      --stale-min N     a process holding N idle connections it opened as a\n"
"                        client is STALE, N dead sockets a LEAK (default 20)\n"
"      --hooks MODE      auto (default), fexit, kprobe, tracepoint or classic:\n"
"                        force a hook path instead of the best one that works\n"
"      --max-sockets N   size of the socket ledger (default 131072; from 6.1,\n"
"                        where an entry takes kernel memory only while used,\n"
"                        twice the host's TCP sockets at start if more);\n"
"                        sockets past it are counted as ledger_full. With\n"
"                        -d 0 there is no ledger, and no limit\n"
"      --event-buffer KIB\n"
"                        size of the ring buffer that carries port failures to\n"
"                        portleak (default 256, a power of two, at least 4);\n"
"                        failures past it are counted as lost events\n"
"      --stacks          record the code path (user stack) of every connect(),\n"
"                        accept() and listen() of every process, and print\n"
"                        the paths that opened the sockets each suspicious\n"
"                        process still holds. By default the paths are\n"
"                        recorded only for processes whose verdict is not OK\n"
"                        (from the refresh that finds them on: healthy\n"
"                        processes pay nothing), and shown in JSON 'origins'\n"
"      --no-stacks       record no code paths\n"
"  -v, --verbose         show libbpf's messages\n"
"  -h, --help            this text\n";

static const char usage_top[] =
"usage: portleak top [-d SECS] [-b [-n N]] [FILTERS] [OPTIONS]\n"
"\n"
"A perf/top-style screen that refreshes in place: host-wide totals per\n"
"state, then one row per process, most suspicious first, with rates over\n"
"10 s (opened/s, closed/s), net growth of held sockets per minute, the age\n"
"of the oldest CLOSE_WAIT, port failures and a verdict: LEAK (CLOSE_WAIT\n"
"older than --leak-age), STALE (at least --stale-min client connections\n"
"idle longer than --idle-age: opened, never used again, never closed),\n"
"BACKLOG (a listener's accept queue is full, or it drops SYNs: accept()\n"
"falls behind), TIMEOUT (its connects to a peer time out, by the kernel or\n"
"its own timeout, or wait unanswered now), PORTS (bind/connect failures for\n"
"want of a port, or a destination over 80% of the range), GROWING (held\n"
"sockets grow and are not closed), INCOMPL (nothing seen, but portleak lost\n"
"data: see the lost counters), OK; ranked in that order.\n"
"FD% is the share of the process's open-files limit in use (a LEAK at\n"
"90%, or once accept() fails with EMFILE); FAILS counts its failed\n"
"connect(), accept() and bind() calls, with the most frequent errno.\n"
"Ages and idle times come from the kernel's own clocks of each socket, so\n"
"the first refresh is already right for a leak older than portleak.\n"
"The reason for the selected row is shown at the bottom.\n"
"\n"
"Enter shows the code paths (origins) that opened the sockets the process\n"
"holds: recorded for every process with --stacks, by default once it is\n"
"no longer OK; sockets opened before are '(opened before capture)'.\n"
"\n"
"keys: Up/Down select   Enter sockets of the process by peer and state\n"
"      d destinations   s, <, > sort column   / filter (comm, pid or port)\n"
"      ? advice for the selected row   p pause   h help   q quit\n"
"\n"
"  -d, --delay SECS      refresh every SECS seconds (default 2)\n"
"  -b, --batch           plain text, no screen control (like top -b)\n"
"  -n, --iterations N    with -b: print N refreshes, then exit\n"
"  -p, -c, --port, --cgroup, --namespace, --pod, --container, --host-root,\n"
"  --own-netns, --leak-age, --idle-age, --stale-min, --hooks, --max-sockets,\n"
"  --event-buffer, --stacks, --no-stacks, -v\n"
"                        as for snapshot (see 'portleak help snapshot')\n"
"  -h, --help            this text\n";

static const char usage_watch[] =
"usage: portleak watch [-i SECS] [-n N] [--json] [FILTERS] [OPTIONS]\n"
"\n"
"Print one report per interval until interrupted: with --json one JSON\n"
"object per line (the schema of 'snapshot --json'), else the tables.\n"
"\n"
"  -i, --interval SECS   seconds between reports (default 2)\n"
"  -n, --iterations N    stop after N reports (default: never)\n"
"      --json            JSON lines\n"
"  -p, -c, --port, --cgroup, --namespace, --pod, --container, --host-root,\n"
"  --own-netns, --leak-age, --idle-age, --stale-min, --hooks, --max-sockets,\n"
"  --event-buffer, --stacks, --no-stacks, -v\n"
"                        as for snapshot (see 'portleak help snapshot')\n"
"  -h, --help            this text\n";

static const char usage_serve[] =
"usage: portleak serve [--listen ADDR:PORT] [--top-k N] [-i SECS] [--user USER]\n"
"                      [--config FILE] [--own-netns] [--pin] [OPTIONS]\n"
"\n"
"Run as a daemon and serve, over plain HTTP:\n"
"  /metrics        the Prometheus text format: per-process sockets by state,\n"
"                  oldest CLOSE_WAIT, opened/closed, port failures by errno,\n"
"                  verdicts; per-destination ports in use, utilization and\n"
"                  time to exhaustion; host totals; portleak's own losses,\n"
"                  BPF run time (with kernel.bpf_stats_enabled=1), scrape time\n"
"  /api/snapshot   the snapshot JSON\n"
"  /healthz        'ok'\n"
"Only the top-K processes and destinations (most suspicious first) get\n"
"their own series; the rest are summed into one 'other' series.\n"
"After start-up every capability is dropped but CAP_BPF (map reads) and,\n"
"unless --own-netns, CAP_SYS_ADMIN + CAP_SYS_PTRACE (entering other network\n"
"namespaces). SIGTERM/SIGINT stop it cleanly; SIGHUP re-reads --config.\n"
"\n"
"      --listen ADDR:PORT  where to listen (default 127.0.0.1:9530; [::1]:9530\n"
"                          for IPv6)\n"
"      --top-k N           processes and destinations with their own series\n"
"                          (default 20)\n"
"  -i, --interval SECS     refresh the report every SECS seconds (default 5)\n"
"      --user USER         run as USER once the programs are attached\n"
"      --config FILE       'top_k = N', 'interval = SECS', 'leak_age = SECS',\n"
"                          'idle_age = SECS'\n"
"                          lines\n"
"      --own-netns         only portleak's network namespace; no CAP_SYS_ADMIN\n"
"                          kept\n"
"      --pin               keep the socket ledger, per-process counters,\n"
"                          TIME_WAIT owners and loss counters in the BPF\n"
"                          filesystem: a restarted serve (even after kill -9)\n"
"                          continues them, socket ages included. Maps pinned\n"
"                          by a portleak of another layout are refused, never\n"
"                          misread; remove DIR to start afresh\n"
"      --pin-dir DIR       where --pin keeps them (default " PL_PIN_DIR_DEFAULT ");\n"
"                          implies --pin\n"
"      --host-root, --leak-age, --idle-age, --stale-min, --hooks,\n"
"      --max-sockets, --event-buffer, --stacks, --no-stacks, -v\n"
"                          as for snapshot\n"
"  -h, --help              this text\n";

static const char usage_doctor[] =
"usage: portleak doctor [--hooks MODE] [--stacks | --no-stacks] [OPTIONS]\n"
"\n"
"Check BTF, BPF features and privileges; load portleak to show which hooks\n"
"this kernel accepts and why the others were refused; say how leak origins\n"
"(code paths) are recorded and what they cost; print the sysctls that\n"
"decide port exhaustion and TIME_WAIT, and the resulting ceilings.\n"
"The options load portleak as the other commands would with them.\n"
"\n"
"  --hooks, --stacks, --no-stacks, --own-netns, --max-sockets,\n"
"  --event-buffer, -v    as for snapshot (see 'portleak help snapshot')\n"
"  -h, --help            this text\n";

static const char usage_version[] =
"usage: portleak version [--json]\n"
"\n"
"Print the version, the commit it was built from, the build date (the\n"
"commit's) and the libbpf it was linked with.\n"
"\n"
"      --json            one JSON object, with the kernel release and its BTF\n"
"                        too: what a fleet inventory collects\n"
"  -h, --help            this text\n";

static const char usage_close[] =
"usage: portleak close --pid PID [--peer ADDR[:PORT]] [--state STATE]\n"
"                      [--older SECS] [--started TICKS] [--yes] [--shared]\n"
"                      [--via MECH]\n"
"\n"
"Close, from outside, TCP sockets that process PID holds and no longer\n"
"uses, so that their ports are free again without a restart or a reboot.\n"
"The peer of a CLOSE_WAIT socket has closed already: closing it loses\n"
"nothing but the leak. Each closed socket sends its peer a reset; the\n"
"process keeps its file descriptors (its next read or write on one fails\n"
"with ECONNABORTED) until its own code closes them: a leak of descriptors\n"
"is not fixed by this, only the ports and the kernel memory are given back.\n"
"\n"
"Without --yes nothing is closed: the matching sockets are listed (count\n"
"and oldest age per peer) with the command that closes exactly them.\n"
"\n"
"      --pid PID         the process (required)\n"
"      --peer ADDR[:PORT]\n"
"                        only sockets toward this remote address (and port);\n"
"                        IPv6 as [ADDR]:PORT\n"
"      --state STATE     close-wait (default), or established together with\n"
"                        --older: sockets with no data sent or received for\n"
"                        that long. LISTEN, TIME_WAIT and the other states are\n"
"                        refused (a TIME_WAIT socket is held by no process\n"
"                        any more and frees itself within 60 s: see\n"
"                        net.ipv4.tcp_tw_reuse and the port range in\n"
"                        'portleak doctor')\n"
"      --older SECS      only sockets at least this old in their state\n"
"                        (CLOSE_WAIT: since the peer's FIN, as far as the\n"
"                        kernel's clocks tell; ESTABLISHED: idle time)\n"
"      --started TICKS   the start time of PID as the dry run printed it\n"
"                        (/proc/PID/stat field 22): if PID is another process\n"
"                        now, nothing is closed (exit 1)\n"
"      --yes             close them; one line per socket on stderr and in the\n"
"                        system log, one per peer on stdout\n"
"      --shared          close sockets another live process holds too (a\n"
"                        forked child, a process an fd was passed to) as well:\n"
"                        without it they are listed with who else holds them\n"
"                        and left open, since closing one breaks both\n"
"      --hooks MODE      the hook path for finding the sockets, as for snapshot\n"
"      --via MECH        auto (default): bpf_sock_destroy() (Linux 6.5+), else\n"
"                        sock_diag SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY, what\n"
"                        'ss -K' uses); kfunc or sock-diag: only that one\n"
"  -v, --verbose         show libbpf's messages\n"
"  -h, --help            this text\n"
"\n"
"exit status: 0 listed or closed; 1 PID is gone or another process, or a\n"
"socket could not be closed; 2 usage; 4 not permitted; 5 the kernel can\n"
"close sockets neither way (the line says what it lacks)\n";

void options__usage(FILE *out, enum pl_command cmd)
{
	if (cmd == PL_CMD_SNAPSHOT)
		fputs(usage_snapshot, out);
	else if (cmd == PL_CMD_TOP)
		fputs(usage_top, out);
	else if (cmd == PL_CMD_WATCH)
		fputs(usage_watch, out);
	else if (cmd == PL_CMD_SERVE)
		fputs(usage_serve, out);
	else if (cmd == PL_CMD_DOCTOR)
		fputs(usage_doctor, out);
	else if (cmd == PL_CMD_CLOSE)
		fputs(usage_close, out);
	else if (cmd == PL_CMD_VERSION)
		fputs(usage_version, out);
	else
		fputs(usage_main, out);
}

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

static int parse_command(const char *name, enum pl_command *cmd)
{
	if (!strcmp(name, "snapshot"))
		*cmd = PL_CMD_SNAPSHOT;
	else if (!strcmp(name, "top"))
		*cmd = PL_CMD_TOP;
	else if (!strcmp(name, "watch"))
		*cmd = PL_CMD_WATCH;
	else if (!strcmp(name, "serve"))
		*cmd = PL_CMD_SERVE;
	else if (!strcmp(name, "doctor"))
		*cmd = PL_CMD_DOCTOR;
	else if (!strcmp(name, "close"))
		*cmd = PL_CMD_CLOSE;
	else if (!strcmp(name, "help") || !strcmp(name, "-h") || !strcmp(name, "--help"))
		*cmd = PL_CMD_HELP;
	else if (!strcmp(name, "version") || !strcmp(name, "--version"))
		*cmd = PL_CMD_VERSION;
	else
		return bad("unknown command '%s'", name);
	return 0;
}

enum long_only {
	OPT_JSON = 256, OPT_PORT, OPT_CGROUP, OPT_HOOKS, OPT_MAX_SOCKETS, OPT_LEAK_AGE,
	OPT_IDLE_AGE, OPT_STALE_MIN,
	OPT_LISTEN, OPT_TOP_K, OPT_USER, OPT_CONFIG, OPT_OWN_NETNS, OPT_VERIFY, OPT_PIN,
	OPT_PIN_DIR, OPT_EVENT_BUFFER, OPT_NAMESPACE, OPT_POD, OPT_CONTAINER, OPT_HOST_ROOT,
	OPT_STACKS, OPT_NO_STACKS,
	OPT_PEER, OPT_STATE, OPT_OLDER, OPT_STARTED, OPT_YES, OPT_SHARED,
	OPT_VIA, /* close alone: keep together, OPT_VIA last */
};

#define ON(cmd) (1u << (cmd))
#define TRACING (ON(PL_CMD_SNAPSHOT) | ON(PL_CMD_TOP) | ON(PL_CMD_WATCH))
#define AGENT (TRACING | ON(PL_CMD_SERVE))
#define LOADS (AGENT | ON(PL_CMD_DOCTOR))
#define EVERY (~0u)

/* Every flag: its long name, the key getopt returns (the short letter, if
 * it has one), the value it takes as --help names it, and the commands that
 * take it. The parser, its checks and 'help --options' (what the shell
 * completions offer) all read this table, and a test holds --help and the
 * man page to it. */
static const struct pl_flag {
	const char *name;
	int key;
	const char *value; /* NULL: takes none */
	unsigned int commands;
} flags[] = {
	{ "duration", 'd', "SECS", ON(PL_CMD_SNAPSHOT) },
	{ "delay", 'd', "SECS", ON(PL_CMD_TOP) },
	{ "interval", 'i', "SECS", ON(PL_CMD_WATCH) | ON(PL_CMD_SERVE) },
	{ "iterations", 'n', "N", ON(PL_CMD_TOP) | ON(PL_CMD_WATCH) },
	{ "batch", 'b', NULL, ON(PL_CMD_TOP) },
	{ "json", OPT_JSON, NULL, ON(PL_CMD_SNAPSHOT) | ON(PL_CMD_WATCH) | ON(PL_CMD_VERSION) },
	{ "verify", OPT_VERIFY, NULL, ON(PL_CMD_SNAPSHOT) },
	{ "pid", 'p', "PID", TRACING | ON(PL_CMD_CLOSE) },
	{ "comm", 'c', "COMM", TRACING },
	{ "port", OPT_PORT, "PORT", TRACING },
	{ "cgroup", OPT_CGROUP, "PATH", TRACING },
	{ "namespace", OPT_NAMESPACE, "NS", TRACING },
	{ "pod", OPT_POD, "POD", TRACING },
	{ "container", OPT_CONTAINER, "NAME", TRACING },
	{ "host-root", OPT_HOST_ROOT, "DIR", AGENT },
	{ "leak-age", OPT_LEAK_AGE, "SECS", AGENT },
	{ "idle-age", OPT_IDLE_AGE, "SECS", AGENT },
	{ "stale-min", OPT_STALE_MIN, "N", AGENT },
	{ "own-netns", OPT_OWN_NETNS, NULL, LOADS },
	{ "hooks", OPT_HOOKS, "MODE", LOADS | ON(PL_CMD_CLOSE) },
	{ "max-sockets", OPT_MAX_SOCKETS, "N", LOADS },
	{ "event-buffer", OPT_EVENT_BUFFER, "KIB", LOADS },
	{ "stacks", OPT_STACKS, NULL, LOADS },
	{ "no-stacks", OPT_NO_STACKS, NULL, LOADS },
	{ "listen", OPT_LISTEN, "ADDR:PORT", ON(PL_CMD_SERVE) },
	{ "top-k", OPT_TOP_K, "N", ON(PL_CMD_SERVE) },
	{ "user", OPT_USER, "USER", ON(PL_CMD_SERVE) },
	{ "config", OPT_CONFIG, "FILE", ON(PL_CMD_SERVE) },
	{ "pin", OPT_PIN, NULL, ON(PL_CMD_SERVE) },
	{ "pin-dir", OPT_PIN_DIR, "DIR", ON(PL_CMD_SERVE) },
	{ "peer", OPT_PEER, "ADDR[:PORT]", ON(PL_CMD_CLOSE) },
	{ "state", OPT_STATE, "STATE", ON(PL_CMD_CLOSE) },
	{ "older", OPT_OLDER, "SECS", ON(PL_CMD_CLOSE) },
	{ "started", OPT_STARTED, "TICKS", ON(PL_CMD_CLOSE) },
	{ "yes", OPT_YES, NULL, ON(PL_CMD_CLOSE) },
	{ "shared", OPT_SHARED, NULL, ON(PL_CMD_CLOSE) },
	{ "via", OPT_VIA, "MECH", ON(PL_CMD_CLOSE) },
	{ "verbose", 'v', NULL, LOADS | ON(PL_CMD_CLOSE) },
	{ "help", 'h', NULL, EVERY & ~ON(PL_CMD_HELP) },
};

#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

/* getopt's view of the table; getopt_long's short letters come from it too. */
static struct option long_options[N_FLAGS + 1];
static char short_options[2 * N_FLAGS + 2];

static void build_getopt_tables(void)
{
	size_t i, n = 0;

	short_options[n++] = ':'; /* a missing value is ':', not '?' */
	for (i = 0; i < N_FLAGS; i++) {
		long_options[i] = (struct option){ flags[i].name,
			flags[i].value ? required_argument : no_argument, NULL, flags[i].key };
		if (flags[i].key < OPT_JSON && !strchr(short_options, flags[i].key)) {
			short_options[n++] = (char)flags[i].key;
			if (flags[i].value)
				short_options[n++] = ':';
		}
	}
	short_options[n] = '\0';
}

/* Does @cmd take the flag getopt returned as @key, given by its long name
 * @index (or -1: by its short letter)? */
static bool applies(enum pl_command cmd, int key, int index)
{
	size_t i;

	if (index >= 0)
		return flags[index].commands & ON(cmd);
	for (i = 0; i < N_FLAGS; i++)
		if (flags[i].key == key && (flags[i].commands & ON(cmd)))
			return true;
	return false;
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
		if (flags[i].key < OPT_JSON)
			fprintf(out, " -%c", flags[i].key);
		fprintf(out, "%s%s\n", flags[i].value ? " " : "", flags[i].value ? flags[i].value : "");
	}
}

/* --namespace, --pod, --container: a name as Kubernetes allows it. */
static int parse_name(int c, const char *arg, struct pl_options *o)
{
	const char *flag = c == OPT_NAMESPACE ? "--namespace" : c == OPT_POD ? "--pod" : "--container";
	size_t i, n = strlen(arg);

	if (!n || n >= PL_NAME_LEN)
		return bad("invalid value '%s' for %s: 1 to %d characters", arg, flag, PL_NAME_LEN - 1);
	for (i = 0; i < n; i++)
		if (!((arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= 'A' && arg[i] <= 'Z') ||
		      (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '-' || arg[i] == '.' ||
		      arg[i] == '_'))
			return bad("invalid value '%s' for %s: letters, digits, '-', '.' and '_' only",
				   arg, flag);
	if (c == OPT_NAMESPACE)
		o->filter.namespace = arg;
	else if (c == OPT_POD)
		o->filter.pod = arg;
	else
		o->filter.container = arg;
	return 0;
}

/* The flags of portleak close alone. */
static bool close_flag(int c)
{
	return c >= OPT_PEER && c <= OPT_VIA;
}

/* --peer ADDR[:PORT], IPv6 as [ADDR]:PORT or a bare ADDR. */
static int parse_peer(const char *arg, struct pl_options *o)
{
	char host[MAX_PEER], *colon;
	unsigned long port;
	size_t n = strlen(arg);

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

static int parse_state(const char *arg, struct pl_options *o)
{
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

static int parse_close_flag(int c, const char *arg, struct pl_options *o)
{
	switch (c) {
	case OPT_PEER:
		return parse_peer(arg, o);
	case OPT_STATE:
		return parse_state(arg, o);
	case OPT_OLDER:
		return parse_double("--older", arg, MAX_DURATION_S * 365, &o->older_s);
	case OPT_STARTED: {
		char *end;

		errno = 0;
		o->started = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || !o->started)
			return bad("invalid value '%s' for --started: the start time of the process in clock ticks, as the dry run printed it", arg);
		return 0;
	}
	case OPT_YES:
		o->yes = true;
		return 0;
	case OPT_SHARED:
		o->shared = true;
		return 0;
	default: /* OPT_VIA */
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
}

static int parse_flag(int c, const char *arg, struct pl_options *o)
{
	unsigned long v;
	int err = 0;

	if (close_flag(c))
		return parse_close_flag(c, arg, o);
	switch (c) {
	case 'd':
		if (o->cmd == PL_CMD_TOP)
			return parse_interval("--delay", arg, &o->interval_s);
		return parse_double("--duration", arg, MAX_DURATION_S, &o->duration_s);
	case 'i':
		return parse_interval("--interval", arg, &o->interval_s);
	case 'n':
		return parse_ulong("--iterations", arg, 1, ULONG_MAX / 2, &o->count);
	case 'b':
		o->batch = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_VERIFY:
		o->verify = true;
		return 0;
	case 'p':
		err = parse_ulong("--pid", arg, 1, MAX_PID, &v);
		o->filter.pid = (__u32)v;
		return err;
	case 'c':
		if (!*arg || strlen(arg) >= PL_COMM_LEN)
			return bad("invalid value '%s' for --comm: 1 to 15 bytes", arg);
		o->filter.comm = arg;
		return 0;
	case OPT_PORT:
		err = parse_ulong("--port", arg, 1, 65535, &v);
		o->filter.port = (int)v;
		return err;
	case OPT_CGROUP:
		if (arg[0] != '/')
			return bad("invalid value '%s' for --cgroup: a path below the cgroup root, starting with /", arg);
		o->filter.cgroup = arg;
		return 0;
	case OPT_NAMESPACE:
	case OPT_POD:
	case OPT_CONTAINER:
		return parse_name(c, arg, o);
	case OPT_HOST_ROOT:
		if (arg[0] != '/' || !is_dir(arg))
			return bad("invalid value '%s' for --host-root: an absolute path to a directory that exists", arg);
		o->host_root = arg;
		return 0;
	case OPT_HOOKS:
		if (hooks__parse(arg, &o->hooks))
			return bad("invalid value '%s' for --hooks: auto, fexit, kprobe, tracepoint or classic", arg);
		return 0;
	case OPT_MAX_SOCKETS:
		err = parse_ulong("--max-sockets", arg, 1, MAX_LEDGER, &v);
		o->ledger_size = (__u32)v;
		return err;
	case OPT_EVENT_BUFFER:
		err = parse_ulong("--event-buffer", arg, 4, MAX_EVENTS_KIB, &v);
		if (!err && (v & (v - 1)))
			return bad("invalid value '%s' for --event-buffer: a power of two (KiB)", arg);
		o->events_kib = (__u32)v;
		return err;
	case OPT_LEAK_AGE:
		return parse_double("--leak-age", arg, MAX_DURATION_S, &o->leak_age_s);
	case OPT_IDLE_AGE:
		return parse_double("--idle-age", arg, MAX_DURATION_S, &o->idle_age_s);
	case OPT_STALE_MIN:
		return parse_ulong("--stale-min", arg, 1, 1000000, &o->stale_min);
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_LISTEN:
		o->listen = arg;
		return 0;
	case OPT_TOP_K:
		return parse_ulong("--top-k", arg, 1, 100000, &o->top_k);
	case OPT_USER:
		o->user = arg;
		return 0;
	case OPT_CONFIG:
		o->config = arg;
		return options__read_config(arg, o);
	case OPT_OWN_NETNS:
		o->own_netns = true;
		return 0;
	case OPT_STACKS:
	case OPT_NO_STACKS:
		if (o->stacks_given && o->stacks != (c == OPT_STACKS ? PL_STACKS_ALL : PL_STACKS_OFF))
			return bad("--stacks and --no-stacks contradict each other: give one");
		o->stacks = c == OPT_STACKS ? PL_STACKS_ALL : PL_STACKS_OFF;
		o->stacks_given = true;
		return 0;
	case OPT_PIN:
		if (!o->pin_dir)
			o->pin_dir = PL_PIN_DIR_DEFAULT;
		return 0;
	case OPT_PIN_DIR:
		if (arg[0] != '/' || strlen(arg) > MAX_PIN_DIR)
			return bad("invalid value '%s' for --pin-dir: an absolute path on the BPF filesystem, at most %d bytes",
				   arg, MAX_PIN_DIR);
		o->pin_dir = arg;
		return 0;
	default:
		return -EINVAL; /* getopt has said what is wrong */
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

int options__parse(int argc, char **argv, struct pl_options *o)
{
	int c, err, index = -1;

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
	if (argc < 2)
		return bad("no command given");
	if ((err = parse_command(argv[1], &o->cmd)))
		return err;
	if (o->cmd == PL_CMD_SERVE)
		o->interval_s = 5;
	if (o->cmd == PL_CMD_HELP)
		return parse_help(argc - 2, argv + 2);
	/* The flags follow the command: parse argv + 1 as if it were all.
	 * optind = 0 resets getopt entirely (state of an earlier parse). */
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	build_getopt_tables();
	while ((c = getopt_long(argc, argv, short_options, long_options, &index)) != -1) {
		if (c == '?' && optopt) /* a short one, maybe inside a cluster like -bx */
			return bad("unknown option '-%c'", optopt);
		if (c == '?')
			return bad("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return bad("option '%s' needs a value", argv[optind - 1]);
		if (c == 'h') {
			options__usage(stdout, o->cmd);
			o->cmd = PL_CMD_HELP;
			return 0;
		}
		if (!applies(o->cmd, c, index) && index >= 0)
			return bad("option '--%s' does not apply to %s", flags[index].name, argv[0]);
		if (!applies(o->cmd, c, index))
			return bad("option '-%c' does not apply to %s", c, argv[0]);
		if ((err = parse_flag(c, optarg, o)))
			return err;
		index = -1;
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (o->verify && (o->json || o->filter.pid || o->filter.comm || o->filter.port >= 0 ||
			  o->filter.cgroup))
		return bad("--verify checks the whole host, as text: no --json and no filters");
	if (o->count && o->cmd == PL_CMD_TOP && !o->batch)
		return bad("-n goes with -b (batch mode)");
	if (o->cmd == PL_CMD_CLOSE)
		return check_close(o);
	return 0;
}

int options__read_config(const char *path, struct pl_options *o)
{
	char line[256], key[64], value[128];
	unsigned int n = 0;
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return bad("cannot read --config %s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		n++;
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		if (sscanf(line, " %63[a-z_] = %127s", key, value) != 2)
			err = bad("%s:%u: expected 'key = value'", path, n);
		else if (!strcmp(key, "top_k"))
			err = parse_ulong("top_k", value, 1, 100000, &o->top_k);
		else if (!strcmp(key, "interval"))
			err = parse_interval("interval", value, &o->interval_s);
		else if (!strcmp(key, "leak_age"))
			err = parse_double("leak_age", value, MAX_DURATION_S, &o->leak_age_s);
		else if (!strcmp(key, "idle_age"))
			err = parse_double("idle_age", value, MAX_DURATION_S, &o->idle_age_s);
		else
			err = bad("%s:%u: unknown setting '%s'", path, n, key);
	}
	fclose(f);
	return err;
}
