/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The model's data: its input (the rows read from the maps, the sockets the
 * kernel walks report, the host's callbacks) and its report (processes,
 * destinations, verdicts), for every file of the model and its callers.
 * The functions are in model.h. */
#ifndef PORTLEAK_MODEL_TYPES_H
#define PORTLEAK_MODEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "failures.h"
#include "stacks.h"
#include "model/clocks.h"
#include "model/history.h"
#include "model/identity.h"
#include "model/losses.h"
#include "model/skindex.h"
#include "walk.h"

#define PL_CGROUP_LEN 256
#define PL_MAX_REASONS 3
#define PL_REASON_LEN 200
#define PL_MAX_GROUPS 16 /* (peer, state) groups kept per process */
#define PL_MAX_CALL_FAILURES 8 /* (call, errno, peer) rows kept per process */
#define PL_MAX_ORIGINS 6  /* code paths kept per process, most sockets first */
#define PL_NAMED_STACKS 64 /* stacks named per process, to merge into code paths */
#define PL_MAX_FRAMES 33  /* frames shown per code path: every one captured, and the caller */
#define PL_FRAME_LEN 160
#define PL_SHALLOW_FRAMES 2 /* a stack this short: no frame pointers */
#define PL_FD_FULL 0.9  /* of the open-files limit: a LEAK verdict */
#define PL_FD_WARN 0.8  /* of the open-files limit: top's FD% shows a bar */

/* Windows of the leak model. */
#define PL_RATE_WINDOW_S 10.0   /* opened/s, closed/s */
#define PL_GROWTH_WINDOW_S 60.0 /* net growth per minute */
#define PL_TREND_WINDOW_S 300.0 /* GROWING and PORTS verdicts */
#define PL_TREND_MIN_S 5.0      /* shorter than this says nothing */
#define PL_GROWING_MIN 20       /* held sockets added before GROWING */
#define PL_GROWING_WATCH_S 60.0 /* GROWING: watched this long, and growing over the last of it */
#define PL_HOT_UTILIZATION 0.8  /* a destination this full is a PORTS verdict */
#define PL_BOUND_SHARE 0.25     /* ports held by bind() past this share of a
				 * namespace's usable ports: a PORTS verdict */
#define PL_HISTORY_DESTS 512    /* fullest destinations whose growth is followed */
#define PL_FREEING_S 10         /* "ports that free up in the next 10 s" */

/* Rows as read from the BPF maps. */
struct pl_ledger_row {
	__u64 sk;
	struct pl_socket s;
};

struct pl_timewait_row {
	struct pl_tuple key;
	struct pl_timewait v;
};

struct pl_owner_row {
	struct pl_owner key;
	struct pl_owner_stats v;
};

/* Failed connect() and accept() calls, as counted by the kernel. */
struct pl_fail_row {
	struct pl_fail_key key;
	struct pl_fail_count v;
};

struct pl_dest_fail_row {
	struct pl_dest_fail_key key;
	__u64 count;
};

/* Sockets opened per (process, stack), as counted by the kernel. */
struct pl_origin_row {
	struct pl_origin_key key;
	__u64 opened;
};

/* A stack's frames, named for one process (newest first). */
struct pl_frames {
	size_t n;
	size_t depth; /* frames the kernel's frame-pointer walk gave */
	char names[PL_MAX_FRAMES][PL_FRAME_LEN];
};

#define PL_PORT_WORDS (65536 / 64) /* a bitmap of every port, in __u64 words */

/* A network namespace that was walked, with its ephemeral port range and
 * the ports in it that connect() skips (net.ipv4.ip_local_reserved_ports). */
/* A network namespace's connection-tracking table (netfilter), where the
 * kernel keeps one: its entries now, the most it may hold
 * (nf_conntrack_max, one for the host; 0: unknown), and what the kernel
 * counted for it since the namespace began: new connections dropped for
 * want of room (drop), entries evicted to make room (early_drop), entries
 * that could not be inserted (insert_failed). */
struct pl_conntrack {
	bool present;
	__u64 count, max;
	__u64 drop, early_drop, insert_failed;
	/* In a report: of drop, those of the last PL_LOSS_WINDOW_S (since
	 * portleak started, if later); -1 at first sight, when only the
	 * total since the namespace began is known. */
	__s64 drop_recent;
};

struct pl_netns {
	__u32 inum;
	__u16 port_low;
	__u16 port_high;
	const __u64 *reserved; /* PL_PORT_WORDS, bit per port; NULL: none */
	__s8 tw_reuse;             /* net.ipv4.tcp_tw_reuse: 0, 1, 2 (loopback only) */
	__u16 tw_reuse_delay_ms;   /* net.ipv4.tcp_tw_reuse_delay (6.13+); else 1000 */
	struct pl_conntrack conntrack;
};

/* A connection that source NAT rewrote, as the conntrack table of the
 * namespace that did it holds it (an entry with IPS_SRC_NAT): its tuple as
 * its sender made it (orig.netns: the namespace of the table) and the
 * address and port NAT gave it. */
struct pl_nat_entry {
	struct pl_tuple orig;
	__u8 nat_addr[PL_ADDR_LEN];
	__u16 nat_port;
	__u8 proto;     /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u8 tcp_state; /* conntrack's TCP_CONNTRACK_*; 0: not TCP */
};

struct pl_filter {
	__u32 pid;          /* 0: any */
	const char *comm;   /* NULL: any; exact match */
	int port;           /* -1: any; local or remote port */
	const char *cgroup; /* NULL: any; path prefix */
	const char *namespace; /* NULL: any; Kubernetes namespace, exact */
	const char *pod;       /* NULL: any; pod name, exact */
	const char *container; /* NULL: any; container name, or id prefix */
};

typedef const char *(*pl_cgroup_path_fn)(__u64 cgroup_id, void *ctx);
/* The fds process @pid has open and its soft RLIMIT_NOFILE: 0, or negative
 * when it cannot be read (the process is gone). */
typedef int (*pl_fd_budget_fn)(__u32 pid, __s64 *in_use, __s64 *limit, void *ctx);
/* The frames of stack @stack (stacks.h) as process @owner maps them:
 * 0, or negative when the stack is not known. */
typedef int (*pl_frames_fn)(const struct pl_owner *owner, __u64 stack, struct pl_frames *out,
			    void *ctx);
/* Who runs in cgroup @path: container, pod, unit (model/identity.h). */
typedef void (*pl_identity_fn)(const char *path, struct pl_identity *out, void *ctx);

struct pl_model_input {
	const struct pl_tcp_record *tcp; /* every live socket, at report time */
	size_t n_tcp;
	const struct pl_netns *netns;
	size_t n_netns;
	const struct pl_ledger_row *ledger;
	size_t n_ledger;
	/* sk -> ledger row, when the reader made one on the way; NULL: the
	 * model indexes ledger itself */
	const struct pl_skindex *ledger_index;
	/* Every holder of each socket more than one process holds (fork, fd
	 * passing), sorted by socket; its owner is among them */
	const struct pl_ledger_row *holders;
	size_t n_holders;
	/* Dead sockets still held (their connection gone, state CLOSE), one
	 * row per fd, with its holder: from the last fd walk */
	const struct pl_ledger_row *dead;
	size_t n_dead;
	const struct pl_timewait_row *timewait;
	size_t n_timewait;
	const struct pl_owner_row *owners;
	size_t n_owners;
	const struct pl_failure *failures;
	size_t n_failures;
	const struct pl_fail_row *fails; /* failed connect() and accept() calls */
	size_t n_fails;
	const struct pl_dest_fail_row *dest_fails;
	size_t n_dest_fails;
	const struct pl_origin_row *origins; /* sockets opened per (process, stack) */
	size_t n_origins;
	/* The source-NAT entries of every namespace's conntrack table, from
	 * the last dump (not every report: a table may be large) */
	const struct pl_nat_entry *nat;
	size_t n_nat;
	__u64 nat_left_out; /* beyond the dump's bound */
	size_t nat_cut;     /* namespaces whose dump failed or ran out of time */
	__u64 lost[PL_NR_COUNTERS];
	__u64 failures_dropped; /* events read but not kept by userspace */
	__u64 missed_runs;      /* BPF runs the kernel skipped (recursion) */
	__u64 now_ns;           /* CLOCK_MONOTONIC, the clock of the BPF side */
	double trace_s;
	__u16 port_low, port_high; /* ephemeral range of portleak's netns */
	double leak_age_s;         /* CLOSE_WAIT older than this is a leak */
	double idle_age_s;         /* ESTABLISHED idle longer than this is idle */
	__u64 stale_min;           /* idle client connections that make STALE */
	unsigned int hz;           /* of the kernel's clocks; 0: unknown */
	struct pl_filter filter;
	pl_cgroup_path_fn cgroup_path;
	void *cgroup_ctx;
	pl_identity_fn identity; /* NULL: from the path alone */
	void *identity_ctx;
	pl_fd_budget_fn fd_budget; /* NULL: fds unknown */
	void *fd_budget_ctx;
	pl_frames_fn frames; /* NULL: origins without frames */
	void *frames_ctx;
	const struct pl_history *history; /* earlier reports; may be NULL */
};

enum pl_verdict {
	PL_VERDICT_OK,
	PL_VERDICT_INCOMPLETE, /* nothing wrong seen, but portleak lost data */
	PL_VERDICT_GROWING,
	PL_VERDICT_PORTS,
	PL_VERDICT_TIMEOUT,    /* its connects to a peer time out or go unanswered */
	PL_VERDICT_BACKLOG,    /* its accept queue is full, or drops SYNs */
	PL_VERDICT_STALE,      /* client connections idle, never closed */
	PL_VERDICT_LEAK,
};

struct pl_endpoint {
	__u8 family;
	__u8 addr[PL_ADDR_LEN];
	__u16 port;
};

/* Orders for qsort and bsearch: -1, 0 or 1. */
static inline int pl_cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* Processes by pid, then start time. */
static inline int pl_cmp_owner(const struct pl_owner *a, const struct pl_owner *b)
{
	int c = pl_cmp_u64(a->tgid, b->tgid);

	return c ? c : pl_cmp_u64(a->start_ns, b->start_ns);
}

static inline bool pl_same_endpoint(const struct pl_endpoint *a, const struct pl_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* This process's sockets toward one peer in one state. */
struct pl_peer_group {
	struct pl_endpoint peer; /* listeners: their port, no address */
	__u8 state;
	__u64 count;
	double oldest_s;      /* in this state, as far as known */
	double idle_oldest_s; /* ESTABLISHED: longest since data moved; -1 unknown */
	double idle_newest_s; /* ESTABLISHED: shortest since data moved; -1 unknown */
	__u64 active;         /* ESTABLISHED that moved data within --idle-age */
	__u64 stale;          /* ESTABLISHED it opened, idle past --idle-age */
};

#define PL_MAX_CONNECTING 8 /* peers with connects in flight kept per process */
#define PL_MAX_LISTENERS 8  /* listeners kept per process, fullest first */

/* A process's connects toward one peer that wait for its answer. */
struct pl_connecting {
	__u32 netns;
	struct pl_endpoint peer;
	__u64 count;
	double oldest_s;         /* the longest waiting, as far as known */
	__u64 syn_retransmits;   /* SYNs sent again, summed */
	__u64 unanswered;        /* of them, the ones that sent a SYN again */
};

/* A listening socket and its accept queue. */
struct pl_listen_queue {
	__u32 netns;
	struct pl_endpoint addr; /* its address (0.0.0.0 or ::: any) and port */
	__u32 queued;            /* connections waiting for accept() */
	__u32 backlog;           /* the queue's size */
	__u64 drops;             /* SYNs and ACKs it dropped since it listened */
};

/* Failed calls of one process: one kind of call, errno, peer and who
 * ended them. */
struct pl_call_failure {
	__u8 call;               /* enum pl_call */
	__s32 err;               /* positive errno */
	__u8 by;                 /* enum pl_fail_by */
	__u32 netns;             /* connect: the destination's network namespace */
	struct pl_endpoint peer; /* connect: the destination; accept: none (family 0) */
	__u64 count;
	__u64 last_ns;           /* the last one, CLOCK_MONOTONIC */
	/* connects whose socket ended in SYN_SENT: how many, their SYNs and
	 * waits summed */
	__u64 attempts;
	struct pl_connect_try sum;
	__u64 stack; /* the latest failing call's user stack (stacks.h); 0: none */
};

/* A process's sockets of one origin, per state. */
struct pl_origin_counts {
	__u64 sockets;
	__u64 states[PL_TCP_NR_STATES];
};

/* One code path that opened sockets the process still has. */
struct pl_code_origin {
	__u64 stack; /* stacks.h */
	struct pl_origin_counts held;
	__u64 opened; /* sockets it opened since capture began */
	struct pl_frames frames;
};

#define PL_MAX_CO_HOLDERS 8

/* Another process that holds sockets charged to a process (a forked child,
 * a process an fd was passed to). */
struct pl_co_holder {
	struct pl_owner owner;
	char comm[PL_COMM_LEN];
	__u64 sockets;
};

/* The ports connect() may take in one network namespace, as the kernel's
 * allocator counts them (DESIGN.md fact 13): the ephemeral range, less the
 * reserved ports in it, less the ports in it that bind() holds. */
struct pl_port_budget {
	__u32 netns;
	__u16 low, high; /* net.ipv4.ip_local_port_range */
	__u32 usable;    /* ports in the range, less the reserved ones */
	__u32 reserved;  /* ports in the range in ip_local_reserved_ports */
	__u32 bound;     /* usable ports held by bind() (listeners too) */
	__s8 tw_reuse;   /* net.ipv4.tcp_tw_reuse of the namespace */
	__u16 tw_reuse_delay_ms;
	struct pl_conntrack conntrack; /* the namespace's other budget */
};

struct pl_proc {
	__u32 pid;
	__u64 start_ns;
	bool unknown; /* sockets whose owner cannot be known */
	char comm[PL_COMM_LEN];
	__u64 cgroup_id;
	char cgroup[PL_CGROUP_LEN];
	struct pl_identity who; /* container, pod, unit */
	__u64 states[PL_TCP_NR_STATES];
	__u64 total;
	__u64 pending_accept; /* counted for their listener's owner */
	__u64 close_wait_fds; /* CLOSE_WAIT it holds an fd for (not still in an accept queue) */
	__u64 dead_held; /* fds on sockets whose connection is gone (state CLOSE) */
	double close_wait_oldest_s; /* -1: no CLOSE_WAIT; else the age or its lower bound */
	bool close_wait_age_exact;  /* portleak saw the transition */
	/* The most the oldest CLOSE_WAIT can be (since data last came, when
	 * keepalive keeps the sure clock young); -1 unknown */
	double close_wait_oldest_max_s;
	bool close_wait_max_unknown; /* a socket's bound is unknown (model) */
	struct pl_endpoint close_wait_peer; /* the peer with most CLOSE_WAIT */
	__u64 close_wait_peer_count;
	/* Its ESTABLISHED toward that peer that moved data within --idle-age,
	 * and the newest data (-1: none): an idle pool the peer closed, where
	 * the process still talks to it; else sockets held and never closed */
	__u64 close_wait_peer_active;
	double close_wait_peer_idle_s;
	__u64 held; /* sockets with an fd: ESTABLISHED, CLOSE_WAIT, SYN_SENT */
	__u64 established_idle; /* ESTABLISHED idle past --idle-age */
	double idle_oldest_s;   /* the longest-idle ESTABLISHED; -1: none known */
	__u64 stale;            /* of the idle ones, those it opened as a client */
	struct pl_endpoint stale_peer; /* the peer with most of them */
	__u64 stale_peer_count;
	__u64 opened, closed;
	__u64 bind_failures, connect_failures;
	double opened_per_s, closed_per_s; /* -1: not known yet */
	double growth_per_min;             /* held sockets; 0 if not known */
	struct pl_endpoint hot_dest;       /* most-used ephemeral destination */
	__u64 hot_dest_ports;
	/* sockets past listening whose port in the range it holds by bind():
	 * each such port is lost to every destination of its namespace */
	__u64 ports_bound;
	/* the namespace of its hot destination, or else of its bound ports:
	 * the budget its figures are about; usable 0: none seen */
	struct pl_port_budget budget;
	/* (unknown) rows whose destination has no port left: the process that
	 * holds or fails most connections toward it now, probably the one
	 * whose older sockets these are; pid 0: none */
	__u32 probable_pid;
	char probable_comm[PL_COMM_LEN];
	double hot_dest_utilization;
	struct pl_peer_group groups[PL_MAX_GROUPS]; /* most sockets first */
	size_t n_groups;
	__u16 bind_port;  /* last failed bind: port asked for (0 = any) */
	__s32 bind_err;
	struct pl_endpoint connect_dest; /* last failed connect */
	struct pl_call_failure call_failures[PL_MAX_CALL_FAILURES]; /* most first */
	size_t n_call_failures;
	struct pl_call_failure call_errnos[PL_MAX_CALL_FAILURES]; /* per (call, errno), any peer */
	size_t n_call_errnos;
	__u64 call_failures_total; /* failed connect() and accept() calls */
	struct pl_connecting connecting[PL_MAX_CONNECTING]; /* SYN_SENT, by peer */
	size_t n_connecting;
	struct pl_listen_queue listeners[PL_MAX_LISTENERS]; /* fullest first */
	size_t n_listeners;
	__u64 listen_drops;   /* of all its listeners */
	__u64 accept_fd_failures;  /* accept() with EMFILE or ENFILE: no fd left */
	__s64 fd_in_use, fd_limit; /* open fds, soft RLIMIT_NOFILE; -1: unknown */
	double fd_per_min;          /* growth of fd_in_use; 0 if not known */
	double fd_seconds_to_limit; /* at that growth; -1: not growing */
	struct pl_code_origin *origins; /* NULL when none was captured; most sockets first */
	size_t n_origins;
	struct pl_origin_counts uncaptured; /* opened before capture */
	bool origins_shallow; /* every stack stops after PL_SHALLOW_FRAMES */
	/* The code path of its commonest failed connect() whose stack was
	 * captured (in its own context: out of ports, before the SYN, or
	 * given up by the application), with that failure; NULL: none */
	struct pl_code_origin *failed_origin;
	struct pl_call_failure failed_call;
	struct pl_co_holder holders[PL_MAX_CO_HOLDERS]; /* most sockets first */
	size_t n_holders;
	enum pl_verdict verdict;
	char reasons[PL_MAX_REASONS][PL_REASON_LEN];
	size_t n_reasons;
};

/* Failed connect() calls toward one destination, of every process. */
struct pl_dest_failure {
	__u32 netns;
	struct pl_endpoint peer;
	__s32 err;
	__u64 count;
};

/* Local ports one source address uses toward one destination. */
struct pl_dest {
	__u32 netns;
	struct pl_endpoint src; /* port unused */
	struct pl_endpoint dst;
	__u64 in_use;
	__u64 time_wait;
	__u64 time_wait_dated;        /* of those, the ones whose timer was read */
	double time_wait_oldest_s;    /* -1: none dated */
	__u64 time_wait_freeing;      /* ports leaving TIME_WAIT in PL_FREEING_S */
	__u32 expiring[PL_TIMEWAIT_S]; /* dated TIME_WAIT by whole seconds left */
	__u64 connect_failures;
	__u64 connecting; /* of in_use, connects waiting for the peer's answer */
	__u32 range; /* size of the netns's ephemeral range */
	struct pl_port_budget budget; /* of its namespace: its bound ports are lost to it too */
	__u32 ports_used; /* usable ports it uses, not held by bind() */
	/* TIME_WAIT connect() may reuse toward it (tcp_tw_reuse, DESIGN.md
	 * fact 14): not among ports_used */
	__u64 time_wait_reusable;
	bool tw_reuse; /* tcp_tw_reuse applies toward it */
	/* what connect() may still take toward it: usable - bound - ports_used */
	__u32 ports_free;
	double utilization; /* 1 - ports_free / usable */
	double growth_per_s;          /* net new local ports per second */
	double new_ports_per_s;       /* net growth + TIME_WAIT born per second */
	double seconds_to_exhaustion; /* -1: not growing */
};


#define PL_MAX_PROGS 32  /* BPF programs whose statistics are shown */
#define PL_ERRNO_MAX 134 /* errno values tallied per kind of failure */

/* What the kernel counts for one loaded program. run_ns and runs grow only
 * while kernel.bpf_stats_enabled is 1; missed are runs it skipped because
 * another BPF program was running on that CPU (5.12+): their transitions
 * are lost. */
struct pl_prog_stat {
	const char *name;
	__u64 run_ns, runs, missed;
};

#define PL_TIME_LEN 32    /* RFC 3339 */
#define PL_KERNEL_LEN 128 /* a kernel release */

/* How the report shown stands: the reports that failed since start (a
 * walk that may pass, a process gone: the view keeps the last good one and
 * the next interval tries again), the last one's error, whether the newest
 * try failed (what is shown is older) and the report's age as it is shown. */
struct pl_report_standing {
	__u64 report_failures;
	int last_failure;        /* negative errno; 0: none */
	bool last_report_failed;
	double report_age_s;     /* -1: not known */
};

/* What views show beside a report, about the agent that made it, taken
 * at the report's instant: nothing in it points into the agent but the
 * static names of hooks and programs. */
/* The host's settings the advice quotes (portleak's own namespace); in a
 * report's meta, the port range is the report's own (port_low, port_high). */
struct pl_host_facts {
	__u16 port_low, port_high;
	long tw_reuse; /* -1: unknown */
	long somaxconn; /* net.core.somaxconn; -1: unknown */
};

struct pl_report_meta {
	char time[PL_TIME_LEN];     /* RFC 3339, of the report */
	char kernel[PL_KERNEL_LEN]; /* release */
	const char *hook_state, *hook_accept, *hook_bind;
	struct pl_prog_stat progs[PL_MAX_PROGS];
	size_t n_progs;
	long bpf_stats_enabled; /* kernel.bpf_stats_enabled, -1 unknown */
	__u32 ledger_size;      /* entries the ledger map holds at most */
	struct pl_host_facts facts; /* for the advice */
	/* failure events by [kind][errno] since start */
	__u64 failure_tally[PL_FAIL_BIND + 1][PL_ERRNO_MAX];
	size_t netns_failed; /* namespaces that could not be entered */
	long long files_open, files_max; /* host-wide fs.file-nr, fs.file-max; -1: unknown */
	double report_duration_s; /* how long the report took to build */
	struct pl_report_standing standing;
};

struct pl_report {
	struct pl_proc *procs;
	size_t n_procs;
	struct pl_dest *dests;
	size_t n_dests;
	struct pl_port_budget *budgets; /* one per namespace walked, by netns */
	size_t n_budgets;
	struct pl_dest_failure *dest_failures; /* most first */
	size_t n_dest_failures;
	struct pl_nat_use *nat; /* those out of ports first, then the most used */
	size_t n_nat;
	__u64 nat_left_out;  /* NAT entries beyond the dump's bound: not counted */
	size_t nat_cut;      /* namespaces whose table could not be read whole */
	__u64 totals[PL_TCP_NR_STATES]; /* host-wide, before filters */
	struct pl_losses losses;
	unsigned int hz; /* of the kernel's clocks; 0: unknown */
	double trace_s;
	__u16 port_low, port_high;
	struct pl_report_meta meta; /* the agent's, at the same instant */
};


#define PL_MAX_NAT_HOLDERS 4

struct pl_nat_holder {
	__u32 pid;
	char comm[PL_COMM_LEN];
	__u64 entries;
};

/* The ports source NAT takes from one address toward one destination in
 * one namespace: its budget (DESIGN.md fact 22), and whose connections
 * hold it. */
struct pl_nat_use {
	__u32 netns; /* of the table: the namespace that translates */
	__u8 family;
	__u8 proto;
	__u16 dport;
	__u8 source[PL_ADDR_LEN]; /* the address NAT gives */
	__u8 dest[PL_ADDR_LEN];
	__u64 ports_used;  /* its entries: each holds one port of source */
	__u64 closed;      /* of them, connections that ended, still tracked */
	__u64 unexplained; /* of them, entries no socket of the host explains */
	/* the namespace's conntrack drops of late (pl_conntrack.drop_recent;
	 * -1 at first sight) and whether they fell while its table had room:
	 * then NAT found no free port, and ports_used is where it ran out */
	__s64 drops_recent;
	bool exhausted;
	struct pl_nat_holder holders[PL_MAX_NAT_HOLDERS]; /* the most entries first */
	size_t n_holders;
};

/* One full socket a process holds (portleak close chooses among them). */
struct pl_held {
	struct pl_tcp_record rec;
	double age_s;   /* in its state: exact, or a lower bound */
	bool age_exact;
	double age_max_s; /* the most it can be; -1 unknown */
	double idle_s;  /* ESTABLISHED: since data last moved; -1 unknown */
	/* Other processes that hold it too (fork, fd passing), and one of them */
	__u32 others;
	struct pl_owner other;
	char other_comm[PL_COMM_LEN];
};

#endif
