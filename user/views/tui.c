// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak top: the full screen (ncurses). */
#include <ctype.h>
#include <errno.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "model/origins.h"
#include "views/top.h"

#define KEY_WAIT_MS 100
#define BAR_WIDTH 20
#define MAX_ADVICE 12
#define FILTER_LEN 64
#define KEY_ESC 27

enum view { VIEW_PROCS, VIEW_DESTS, VIEW_NETFILTER, VIEW_DETAIL, VIEW_HELP, VIEW_ADVICE };

enum color { C_LEAK = 1, C_GROWING, C_PORTS, C_TITLE };

struct pl_tui {
	struct pl_tui_settings settings;
	struct pl_report report;
	bool have_report;
	struct pl_proc *rows; /* filtered and sorted copy of report.procs */
	size_t n_rows;
	enum view view, back; /* back: where Esc returns to */
	size_t sel, scroll;
	__u32 sel_pid;
	__u64 sel_start;
	bool follow; /* the user picked a row: keep it selected across refreshes */
	enum pl_sort sort;
	char filter[FILTER_LEN];
	bool editing;
	char edit[FILTER_LEN];
	bool paused;
};

static const char *const help_text[] = {
	"portleak top: the process leaking TCP connections or eating local ports, live.",
	"",
	"Up/Down, PgUp/PgDn  select a process",
	"Enter               its sockets grouped by peer and state, with ages",
	"d                   destinations: local ports in use, share of the range,",
	"                    new ports per second, time until connect() fails",
	"n                   netfilter: each namespace's conntrack table, and the ports of",
	"                    each source NAT pool with the processes that hold them",
	"?                   advice for the selected process, with this host's numbers",
	"s  <  >             sort column: next / previous (suspicion, PID, COMM, ...)",
	"/                   filter: part of a comm, a pid, or a peer or listening port",
	"p                   pause / resume refreshing (tracing goes on)",
	"h                   this help",
	"Esc                 back;  q  quit",
	"",
	"VERDICT  LEAK     CLOSE_WAIT older than --leak-age: the process does not close",
	"         STALE    client connections it opened, idle past --idle-age, never closed",
	"         PORTS    bind/connect failures, a destination over 80% of its ports, or a",
	"                  quarter of the namespace's ports held by bind() before connect()",
	"         GROWING  held sockets grow and are not closed       (ranked in this order)",
	"OPEN/s CLOSE/s over 10 s; NET/min: growth of held sockets; CW_AGE: oldest CLOSE_WAIT",
	"(>: at least, from the kernel's clock of the socket); IDLE: ESTABLISHED idle past",
	"--idle-age. Destinations: TW_OLD oldest TIME_WAIT, FREE10 ports free in 10 s, FREE",
	"ports connect() may take now (the range less reserved, bind()-held and used ports)",
	"",
	"Press any key.",
};

/* --- rows ------------------------------------------------------------------ */

static bool matches(const struct pl_proc *p, const char *filter)
{
	char *end;
	unsigned long n;
	size_t i;

	if (!*filter)
		return true;
	if (strstr(p->comm, filter))
		return true;
	n = strtoul(filter, &end, 10);
	if (*end || end == filter)
		return false;
	if (p->pid == n)
		return true;
	for (i = 0; i < p->n_groups; i++)
		if (p->groups[i].peer.port == n)
			return true;
	return false;
}

static void select_row(struct pl_tui *u, size_t i)
{
	u->sel = i;
	if (i < u->n_rows) {
		u->sel_pid = u->rows[i].pid;
		u->sel_start = u->rows[i].start_ns;
	}
}

/* Rebuild the visible rows; keep the same process selected if it is there. */
static void build_rows(struct pl_tui *u)
{
	size_t i;

	u->n_rows = 0;
	for (i = 0; i < u->report.n_procs; i++)
		if (matches(&u->report.procs[i], u->filter))
			u->rows[u->n_rows++] = u->report.procs[i];
	top__sort(u->rows, u->n_rows, u->sort);
	for (i = 0; u->follow && i < u->n_rows; i++) {
		if (u->rows[i].pid == u->sel_pid && u->rows[i].start_ns == u->sel_start) {
			u->sel = i;
			return;
		}
	}
	select_row(u, u->n_rows && u->sel >= u->n_rows ? u->n_rows - 1 : u->sel);
}

static int take_report(struct pl_tui *u, struct pl_report *r)
{
	struct pl_proc *rows = calloc(r->n_procs + 1, sizeof(*rows));

	if (!rows) {
		model__free(r);
		return -ENOMEM;
	}
	if (u->have_report)
		model__free(&u->report);
	free(u->rows);
	u->report = *r;
	u->rows = rows;
	u->have_report = true;
	build_rows(u);
	return 0;
}

/* --- drawing ----------------------------------------------------------------- */

static void put_line(int y, const char *text, attr_t attr)
{
	if (y < 0 || y >= LINES)
		return;
	move(y, 0);
	clrtoeol();
	attron(attr);
	addnstr(text, COLS);
	attroff(attr);
}

static attr_t verdict_attr(enum pl_verdict v)
{
	if (!has_colors())
		return v == PL_VERDICT_OK ? A_NORMAL : A_BOLD;
	switch (v) {
	case PL_VERDICT_LEAK:
		return COLOR_PAIR(C_LEAK) | A_BOLD;
	case PL_VERDICT_STALE:
		return COLOR_PAIR(C_LEAK);
	case PL_VERDICT_GROWING:
		return COLOR_PAIR(C_GROWING);
	case PL_VERDICT_PORTS:
	case PL_VERDICT_TIMEOUT:
	case PL_VERDICT_BACKLOG:
	case PL_VERDICT_INCOMPLETE:
		return COLOR_PAIR(C_PORTS);
	default:
		return A_NORMAL;
	}
}

static int draw_header(const struct pl_tui *u)
{
	char head[3][PL_LINE_LEN], status[PL_LINE_LEN];
	int i;

	top__header(&u->report, head);
	for (i = 0; i < 3; i++)
		put_line(i, head[i], i == 0 ? A_BOLD : A_NORMAL);
	if (u->editing)
		snprintf(status, sizeof(status), "filter: %s_   (Enter apply, Esc cancel)", u->edit);
	else
		snprintf(status, sizeof(status), "sort: %s   filter: %s   refresh %.1fs%s",
			 top__sort_name(u->sort), *u->filter ? u->filter : "-",
			 u->settings.interval_s, u->paused ? "   [PAUSED]" : "");
	put_line(3, status, A_NORMAL);
	return 4;
}

static void keep_visible(struct pl_tui *u, int height)
{
	if (height <= 0)
		return;
	if (u->sel < u->scroll)
		u->scroll = u->sel;
	if (u->sel >= u->scroll + (size_t)height)
		u->scroll = u->sel - (size_t)height + 1;
}

static void draw_procs(struct pl_tui *u, int y)
{
	char line[PL_LINE_LEN];
	int height = LINES - y - 3;
	size_t i;

	put_line(y++, top__proc_columns(), A_REVERSE);
	keep_visible(u, height);
	for (i = u->scroll; i < u->n_rows && (int)(i - u->scroll) < height; i++) {
		top__proc_line(&u->rows[i], line, sizeof(line));
		put_line(y++, line, verdict_attr(u->rows[i].verdict) |
					    (i == u->sel ? A_REVERSE : A_NORMAL));
	}
	if (!u->n_rows)
		put_line(y, "(no process holds a TCP socket that matches)", A_DIM);
	if (u->sel < u->n_rows && u->rows[u->sel].n_reasons)
		put_line(LINES - 2, u->rows[u->sel].reasons[0], A_BOLD);
}

static void draw_dests(struct pl_tui *u, int y)
{
	char line[PL_LINE_LEN];
	size_t i;

	put_line(y++, top__dest_columns(), A_REVERSE);
	for (i = 0; i < u->report.n_dests && y < LINES - 2; i++) {
		const struct pl_dest *d = &u->report.dests[i];

		top__dest_line(d, BAR_WIDTH, line, sizeof(line));
		put_line(y++, line, d->utilization >= PL_HOT_UTILIZATION
					    ? verdict_attr(PL_VERDICT_PORTS) : A_NORMAL);
	}
	if (!u->report.n_dests)
		put_line(y, "(no local ports in use toward any destination)", A_DIM);
}

/* The conntrack tables, then the NAT pools: the node's budgets that no
 * socket of a process shows. */
static void draw_netfilter(struct pl_tui *u, int y)
{
	const struct pl_report *r = &u->report;
	char line[PL_LINE_LEN];
	size_t i, tables = 0;

	put_line(y++, top__conntrack_columns(), A_REVERSE);
	for (i = 0; i < r->n_budgets && y < LINES - 4; i++) {
		const struct pl_conntrack *c = &r->budgets[i].conntrack;

		if (!c->present)
			continue;
		tables++;
		top__conntrack_line(&r->budgets[i], line, sizeof(line));
		put_line(y++, line, (c->max && c->count >= c->max) || c->drop_recent > 0
					    ? verdict_attr(PL_VERDICT_PORTS) : A_NORMAL);
	}
	if (!tables)
		put_line(y++, "(no conntrack table: nf_conntrack is not in use)", A_DIM);
	y++;
	put_line(y++, top__nat_columns(), A_REVERSE);
	for (i = 0; i < r->n_nat && y < LINES - 2; i++) {
		top__nat_line(&r->nat[i], line, sizeof(line));
		put_line(y++, line, r->nat[i].exhausted ? verdict_attr(PL_VERDICT_PORTS) : A_NORMAL);
	}
	if (!r->n_nat)
		put_line(y++, "(no connection leaves through source NAT, or its tables are not read yet)", A_DIM);
	if (top__nat_cut_line(r, line, sizeof(line)) && y < LINES - 2)
		put_line(y, line, A_DIM);
}

/* Write @text from row *y on, wrapped at the screen width. */
static void put_wrapped(int *y, const char *text, attr_t attr)
{
	size_t len = strlen(text), width = COLS > 10 ? (size_t)COLS - 1 : 10, cut;
	char line[PL_LINE_LEN];

	while (len && *y < LINES - 1) {
		cut = len;
		if (cut > width) {
			cut = width;
			while (cut > width / 2 && text[cut] != ' ')
				cut--;
		}
		snprintf(line, sizeof(line), "%.*s", (int)cut, text);
		put_line((*y)++, line, attr);
		text += cut;
		len -= cut;
		while (*text == ' ' && len) {
			text++;
			len--;
		}
	}
}

static void draw_frames(int *y, const char *title, const struct pl_code_origin *o)
{
	char line[PL_LINE_LEN], frame[4 * PL_FRAME_LEN + 1];
	size_t i;

	put_line((*y)++, title, A_BOLD);
	for (i = 0; o && i < o->frames.n && *y < LINES - 1; i++) {
		names__printable(o->frames.names[i], strlen(o->frames.names[i]), frame, sizeof(frame));
		snprintf(line, sizeof(line), "    %.400s", frame);
		put_line((*y)++, line, A_NORMAL);
	}
}

static void draw_origin(int *y, const struct pl_origin_counts *held,
			const struct pl_code_origin *o)
{
	char title[PL_LINE_LEN];

	origins__title(held, o, title, sizeof(title));
	draw_frames(y, title, o);
}

/* The code paths that opened the sockets it holds, most first. */
static void draw_origins(const struct pl_proc *p, int y)
{
	const char *hint = origins__hint(p);
	size_t i;

	if ((!p->n_origins && !p->uncaptured.sockets && !p->failed_origin) || y >= LINES - 3)
		return;
	y++;
	put_line(y++, "ORIGINS: the code paths that opened its sockets", A_REVERSE);
	if (p->failed_origin) {
		char title[PL_LINE_LEN];

		origins__failed_title(p, title, sizeof(title));
		draw_frames(&y, title, p->failed_origin);
	}
	for (i = 0; i < p->n_origins && y < LINES - 1; i++)
		draw_origin(&y, &p->origins[i].held, &p->origins[i]);
	if (p->uncaptured.sockets && y < LINES - 1)
		draw_origin(&y, &p->uncaptured, NULL);
	if (!p->n_origins && y < LINES - 1)
		put_line(y++, "  (stacks are recorded once a process is no longer OK, for every process with --stacks)", A_DIM);
	if (hint && y < LINES - 1)
		put_wrapped(&y, hint, A_DIM);
}

static void draw_detail(struct pl_tui *u, int y)
{
	const struct pl_proc *p = u->sel < u->n_rows ? &u->rows[u->sel] : NULL;
	char line[PL_LINE_LEN], comm[4 * PL_COMM_LEN + 1], where[PL_WHERE_LEN];
	char printable[4 * PL_WHERE_LEN + 1];
	size_t i;

	if (!p)
		return;
	names__printable(p->comm, sizeof(p->comm), comm, sizeof(comm));
	identity__where(&p->who, p->cgroup, where, sizeof(where));
	names__printable(where, strlen(where), printable, sizeof(printable));
	snprintf(line, sizeof(line), "pid %u  %s  where %.300s  verdict %s  opened %llu  closed %llu",
		 p->pid, comm, *where ? printable : "-", model__verdict_name(p->verdict),
		 (unsigned long long)p->opened, (unsigned long long)p->closed);
	put_line(y++, line, A_BOLD);
	for (i = 0; i < p->n_reasons; i++)
		put_line(y++, p->reasons[i], verdict_attr(p->verdict));
	top__fd_line(p, line, sizeof(line));
	put_line(y++, line, A_NORMAL);
	if (p->n_holders && top__holders_line(p, line, sizeof(line)))
		put_line(y++, line, A_NORMAL);
	y++;
	put_line(y++, top__group_columns(), A_REVERSE);
	for (i = 0; i < p->n_groups && y < LINES - 1; i++) {
		top__group_line(&p->groups[i], line, sizeof(line));
		put_line(y++, line, A_NORMAL);
	}
	if (p->n_call_failures && y < LINES - 3) {
		y++;
		put_line(y++, top__call_failure_columns(), A_REVERSE);
		for (i = 0; i < p->n_call_failures && y < LINES - 1; i++) {
			top__call_failure_line(&p->call_failures[i], line, sizeof(line));
			put_line(y++, line, A_NORMAL);
		}
	}
	draw_origins(p, y);
}

static void draw_advice(struct pl_tui *u, int y)
{
	char lines[MAX_ADVICE][PL_ADVICE_LEN], title[PL_LINE_LEN], comm[4 * PL_COMM_LEN + 1];
	const struct pl_proc *p = u->sel < u->n_rows ? &u->rows[u->sel] : NULL;
	size_t i, n;

	if (!p)
		return;
	names__printable(p->comm, sizeof(p->comm), comm, sizeof(comm));
	snprintf(title, sizeof(title), "advice for pid %u (%s)   Esc: back", p->pid, comm);
	put_line(y++, title, A_REVERSE);
	n = advice__lines(p, &u->report.meta.facts, lines, MAX_ADVICE);
	for (i = 0; i < n; i++)
		put_wrapped(&y, lines[i], A_NORMAL);
}

static void draw(struct pl_tui *u)
{
	int y;
	size_t i;

	erase();
	if (!u->have_report) {
		put_line(0, "portleak: waiting for the first report...", A_BOLD);
		refresh();
		return;
	}
	y = draw_header(u) + 1;
	if (u->view == VIEW_PROCS)
		draw_procs(u, y);
	else if (u->view == VIEW_DESTS)
		draw_dests(u, y);
	else if (u->view == VIEW_NETFILTER)
		draw_netfilter(u, y);
	else if (u->view == VIEW_DETAIL)
		draw_detail(u, y);
	else if (u->view == VIEW_ADVICE)
		draw_advice(u, y);
	else
		for (i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
			put_line(y++, help_text[i], A_NORMAL);
	put_line(LINES - 1, "q quit  h help  Enter sockets  d destinations  n netfilter  ? advice  s/</> sort  / filter  p pause",
		 A_REVERSE);
	refresh();
}

/* --- keys --------------------------------------------------------------------- */

static void edit_key(struct pl_tui *u, int ch)
{
	size_t len = strlen(u->edit);

	if (ch == '\n' || ch == KEY_ENTER) {
		snprintf(u->filter, sizeof(u->filter), "%s", u->edit);
		u->editing = false;
		build_rows(u);
	} else if (ch == KEY_ESC) {
		u->editing = false;
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len) {
		u->edit[len - 1] = '\0';
	} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->edit)) {
		u->edit[len] = (char)ch;
		u->edit[len + 1] = '\0';
	}
}

static void move_selection(struct pl_tui *u, long by)
{
	long sel = (long)u->sel + by;

	if (sel >= (long)u->n_rows)
		sel = (long)u->n_rows - 1;
	select_row(u, sel < 0 ? 0 : (size_t)sel);
	u->follow = true;
}

/* The lists a user may quit from, and go back to. */
static bool is_list(enum view v)
{
	return v == VIEW_PROCS || v == VIEW_DESTS || v == VIEW_NETFILTER;
}

/* Open @v; the key of the list on screen toggles back to the processes. */
static void open_view(struct pl_tui *u, enum view v)
{
	if (is_list(u->view))
		u->back = u->view;
	u->view = u->view == v && is_list(v) ? VIEW_PROCS : v;
}

/* Returns false to quit. */
/* The keys that move the selection; false for any other key. */
static bool move_key(struct pl_tui *u, int ch)
{
	int page = LINES > 10 ? LINES - 10 : 1;

	if (ch == KEY_UP || ch == 'k')
		move_selection(u, -1);
	else if (ch == KEY_DOWN || ch == 'j')
		move_selection(u, 1);
	else if (ch == KEY_PPAGE)
		move_selection(u, -page);
	else if (ch == KEY_NPAGE)
		move_selection(u, page);
	else
		return false;
	return true;
}

/* The keys that open a view. */
static const struct {
	int key;
	enum view view;
} view_keys[] = {
	{ 'd', VIEW_DESTS }, { 'n', VIEW_NETFILTER }, { '?', VIEW_ADVICE }, { 'h', VIEW_HELP },
};

static bool view_key(struct pl_tui *u, int ch)
{
	size_t i;

	for (i = 0; i < sizeof(view_keys) / sizeof(view_keys[0]); i++) {
		if (view_keys[i].key == ch) {
			open_view(u, view_keys[i].view);
			return true;
		}
	}
	return false;
}

static bool handle_key(struct pl_tui *u, int ch)
{
	if (u->editing) {
		edit_key(u, ch);
		return true;
	}
	if (u->view == VIEW_HELP && ch != ERR && ch != KEY_RESIZE) {
		u->view = u->back;
		return true;
	}
	if (move_key(u, ch) || view_key(u, ch))
		return true;
	switch (ch) {
	case 'q':
		if (is_list(u->view))
			return false;
		u->view = u->back;
		break;
	case KEY_ESC:
	case KEY_LEFT:
		u->view = u->back;
		break;
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		open_view(u, u->view == VIEW_DETAIL ? u->back : VIEW_DETAIL);
		break;
	case 's':
	case '>':
		u->sort = (u->sort + 1) % PL_NR_SORTS;
		build_rows(u);
		break;
	case '<':
		u->sort = (u->sort + PL_NR_SORTS - 1) % PL_NR_SORTS;
		build_rows(u);
		break;
	case '/':
		u->editing = true;
		snprintf(u->edit, sizeof(u->edit), "%s", u->filter);
		break;
	case 'p':
		u->paused = !u->paused;
		break;
	default:
		break;
	}
	return true;
}

/* --- the loop ------------------------------------------------------------------ */

static void screen_open(void)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	timeout(KEY_WAIT_MS);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(C_LEAK, COLOR_RED, -1);
		init_pair(C_GROWING, COLOR_YELLOW, -1);
		init_pair(C_PORTS, COLOR_MAGENTA, -1);
		init_pair(C_TITLE, COLOR_CYAN, -1);
	}
}

int tui__open(struct pl_tui **out, const struct pl_tui_settings *s)
{
	struct pl_tui *u = calloc(1, sizeof(*u));

	*out = u;
	if (!u)
		return -ENOMEM;
	u->settings = *s;
	u->view = u->back = VIEW_PROCS;
	screen_open();
	draw(u);
	return 0;
}

int tui__show(struct pl_tui *u, struct pl_report *r)
{
	int err = take_report(u, r);

	if (!err)
		draw(u);
	return err;
}

int tui__failed(struct pl_tui *u, const struct pl_report_standing *standing)
{
	if (u->have_report) {
		u->report.meta.standing = *standing;
		draw(u);
	}
	return 0;
}

bool tui__key(struct pl_tui *u)
{
	int ch = getch();
	bool running = true;

	if (ch == ERR)
		return true;
	if (ch != KEY_RESIZE)
		running = handle_key(u, ch);
	if (running)
		draw(u);
	return running;
}

bool tui__paused(const struct pl_tui *u)
{
	return u->paused;
}

void tui__close(struct pl_tui *u)
{
	if (!u)
		return;
	endwin();
	if (u->have_report)
		model__free(&u->report);
	free(u->rows);
	free(u);
}
