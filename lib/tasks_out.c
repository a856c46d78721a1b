/*
 * tasks_out.c - pm-tasks' output: thread stacks as records, JSON, a tree
 * or folded stacks; asyncio tasks as records, JSON or a tree; the cycles
 * --check finds. Writes to stdout; dies on out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "aio.h"
#include "buf.h"
#include "frames.h"
#include "heap.h"
#include "out.h"
#include "pm.h"
#include "repr.h"
#include "tasks_out.h"
#include "util.h"

/* ---- text helpers ---- */

/* A string for a tree line: control characters escaped. */
static void
put_text(const char *s)
{
	pm_out_escape_tsv(stdout, s, strlen(s));
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
json_line(int64_t line)
{
	if (line < 0)
		fputs("null", stdout);
	else
		printf("%lld", (long long)line);
}

static void
out_line(struct pm_out *o, int64_t line)
{
	if (line < 0)
		pm_out_str(o, "-");
	else
		pm_out_i64(o, line);
}

static enum pm_out_format
out_format(enum pm_tasks_style st)
{
	return st == PM_TASKS_CSV ? PM_OUT_CSV : st == PM_TASKS_JSON ? PM_OUT_JSON : PM_OUT_TSV;
}

/* ---- --locals ---- */

static int
wanted(const struct pm_tasks_out *x, const struct pm_thread *t, const struct pm_frame *f)
{
	if (x->sel == NULL)
		return 1;
	for (size_t i = 0; i < x->sel->n; i++) {
		uint64_t a = x->sel->v[i];
		if (a == f->addr || (t->tid != 0 && a == t->tid) || a == t->ident)
			return 1;
	}
	return 0;
}

struct local_arg {
	struct pm_tasks_out *x;
	const struct pm_thread *t;
	const struct pm_frame *f;
};

static const char *
repr_of(struct pm_tasks_out *x, uint64_t v)
{
	pm_buf_reset(&x->buf);
	if (pm_repr_addr(x->h, v, &x->ro, &x->buf) < 0 || x->buf.oom)
		pm_die(PM_EXIT_INPUT, "out of memory");
	return pm_buf_str(&x->buf);
}

static int
local_cb(void *arg, const char *name, uint64_t v, int cell)
{
	struct local_arg *la = arg;
	struct pm_tasks_out *x = la->x;
	const char *r = repr_of(x, v);

	(void)cell;
	if (x->style == PM_TASKS_TREE) {
		fputs("            ", stdout);
		put_text(name);
		fputs(" = ", stdout);
		put_text(r);
		putchar('\n');
		return 0;
	}
	if (x->style == PM_TASKS_JSON) {
		printf("{\"addr\": \"0x%llx\", \"thread\": %u, \"frame\": \"0x%llx\", "
		    "\"function\": ", (unsigned long long)v, la->t->tid,
		    (unsigned long long)la->f->addr);
		json_str(la->f->func);
		fputs(", \"variable\": ", stdout);
		json_str(name);
		fputs(", \"type\": ", stdout);
		json_str(pm_frames_typename(x->h, v));
		fputs(", \"repr\": ", stdout);
		json_str(r);
		fputs("}\n", stdout);
		return 0;
	}
	pm_out_addr(&x->out, v);
	pm_out_u64(&x->out, la->t->tid);
	pm_out_addr(&x->out, la->f->addr);
	pm_out_str(&x->out, la->f->func);
	pm_out_str(&x->out, name);
	pm_out_str(&x->out, pm_frames_typename(x->h, v));
	pm_out_str(&x->out, r);
	pm_out_end(&x->out);
	return 0;
}

static void
show_locals(struct pm_tasks_out *x, const struct pm_thread *t, const struct pm_frame *f)
{
	struct local_arg la = { x, t, f };

	if (pm_frames_locals(x->fs, f, local_cb, &la) < 0)
		pm_die(PM_EXIT_INPUT, "out of memory");
}

/* ---- thread stacks ---- */

static const char *
thread_name(const struct pm_thread *t)
{
	return t->name ? t->name : "-";
}

static void
thread_records(struct pm_tasks_out *x, int locals)
{
	static const char *const cols[] = { "THREAD", "FRAME", "FUNCTION",
	    "FILE", "LINE", "NAME" };
	static const char *const lcols[] = { "ADDR", "THREAD", "FRAME",
	    "FUNCTION", "VARIABLE", "TYPE", "REPR" };
	const struct pm_thread *ts = pm_frames_threads(x->fs);
	const struct pm_frame *fr = pm_frames_frames(x->fs);

	if (locals)
		pm_out_init(&x->out, stdout, out_format(x->style), x->header,
		    lcols, 7);
	else
		pm_out_init(&x->out, stdout, out_format(x->style), x->header,
		    cols, 6);
	for (size_t i = 0; i < pm_frames_nthreads(x->fs); i++) {
		const struct pm_thread *t = &ts[i];
		if (locals) {
			for (size_t k = 0; k < t->nframes; k++)
				if (wanted(x, t, &fr[t->first + k]))
					show_locals(x, t, &fr[t->first + k]);
			continue;
		}
		if (t->nframes == 0) {
			pm_out_u64(&x->out, t->tid);
			for (int k = 0; k < 4; k++)
				pm_out_str(&x->out, "-");
			pm_out_str(&x->out, thread_name(t));
			pm_out_end(&x->out);
		}
		for (size_t k = 0; k < t->nframes; k++) {
			const struct pm_frame *f = &fr[t->first + k];
			pm_out_u64(&x->out, t->tid);
			pm_out_addr(&x->out, f->addr);
			pm_out_str(&x->out, f->func);
			pm_out_str(&x->out, f->file);
			out_line(&x->out, f->line);
			pm_out_str(&x->out, thread_name(t));
			pm_out_end(&x->out);
		}
	}
}

static void
thread_json(struct pm_tasks_out *x)
{
	const struct pm_thread *ts = pm_frames_threads(x->fs);
	const struct pm_frame *fr = pm_frames_frames(x->fs);

	for (size_t i = 0; i < pm_frames_nthreads(x->fs); i++) {
		const struct pm_thread *t = &ts[i];
		printf("{\"thread\": %u, \"ident\": %llu, \"name\": ", t->tid,
		    (unsigned long long)t->ident);
		if (t->name)
			json_str(t->name);
		else
			fputs("null", stdout);
		fputs(", \"frames\": [", stdout);
		for (size_t k = 0; k < t->nframes; k++) {
			const struct pm_frame *f = &fr[t->first + k];
			printf("%s{\"frame\": \"0x%llx\", \"function\": ", k ? ", " : "",
			    (unsigned long long)f->addr);
			json_str(f->func);
			fputs(", \"file\": ", stdout);
			json_str(f->file);
			fputs(", \"line\": ", stdout);
			json_line(f->line);
			putchar('}');
		}
		fputs("]}\n", stdout);
	}
}

static void
put_where(const char *file, int64_t line)
{
	putchar('(');
	put_text(file);
	if (line >= 0)
		printf(":%lld", (long long)line);
	putchar(')');
}

static void
thread_tree(struct pm_tasks_out *x, int locals)
{
	const struct pm_thread *ts = pm_frames_threads(x->fs);
	const struct pm_frame *fr = pm_frames_frames(x->fs);

	for (size_t i = 0; i < pm_frames_nthreads(x->fs); i++) {
		const struct pm_thread *t = &ts[i];
		printf("%sThread %u", i ? "\n" : "", t->tid);
		if (t->name) {
			fputs(" \"", stdout);
			put_text(t->name);
			putchar('"');
		}
		if (t->nframes == 0)
			fputs(" (no Python frames)", stdout);
		putchar('\n');
		for (size_t k = 0; k < t->nframes; k++) {
			const struct pm_frame *f = &fr[t->first + k];
			fputs("    ", stdout);
			put_text(f->func);
			putchar(' ');
			put_where(f->file, f->line);
			putchar('\n');
			if (locals && wanted(x, t, f))
				show_locals(x, t, f);
		}
	}
}

static int
strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* flamegraph.pl input: root first, frames joined by ';', then a count. */
static void
thread_folded(struct pm_tasks_out *x)
{
	const struct pm_thread *ts = pm_frames_threads(x->fs);
	const struct pm_frame *fr = pm_frames_frames(x->fs);
	size_t n = pm_frames_nthreads(x->fs), m = 0;
	char **lines = pm_xcalloc(n + 1, sizeof(*lines));

	for (size_t i = 0; i < n; i++) {
		const struct pm_thread *t = &ts[i];
		if (t->nframes == 0)
			continue;
		pm_buf_reset(&x->buf);
		for (size_t k = t->nframes; k-- > 0;) {
			const struct pm_frame *f = &fr[t->first + k];
			/* ';' separates frames and ' ' the count: keep them out. */
			for (const char *p = f->func; *p; p++)
				pm_buf_putc(&x->buf, *p == ';' || *p == '\n' ? '_' : *p);
			pm_buf_puts(&x->buf, " (");
			for (const char *p = f->file; *p; p++)
				pm_buf_putc(&x->buf, *p == ';' || *p == '\n' ? '_' : *p);
			if (f->line >= 0)
				pm_buf_printf(&x->buf, ":%lld", (long long)f->line);
			pm_buf_putc(&x->buf, ')');
			if (k)
				pm_buf_putc(&x->buf, ';');
		}
		if (x->buf.oom)
			pm_die(PM_EXIT_INPUT, "out of memory");
		lines[m++] = pm_xstrdup(pm_buf_str(&x->buf));
	}
	qsort(lines, m, sizeof(*lines), strcmp_p);
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && strcmp(lines[j], lines[i]) == 0)
			j++;
		put_text(lines[i]);
		printf(" %zu\n", j - i);
		i = j;
	}
	for (size_t i = 0; i < m; i++)
		free(lines[i]);
	free(lines);
}

/* ---- asyncio tasks ---- */

static void
put_addr_buf(struct pm_buf *b, uint64_t a)
{
	pm_buf_printf(b, "0x%llx", (unsigned long long)a);
}

static const char *
kind_word(enum pm_aw_kind k)
{
	switch (k) {
	case PM_AW_TASK: return "task";
	case PM_AW_GATHER: return "gather";
	case PM_AW_SHIELD: return "shield";
	default: return "future";
	}
}

/* "task 0x.. NAME", "future 0x.. of asyncio.locks.Lock 0x..", ... */
static void
node_brief(struct pm_tasks_out *x, struct pm_buf *b, size_t n)
{
	const struct pm_awaitable *nd = &pm_aio_nodes(x->aio)[n];

	pm_buf_printf(b, "%s ", kind_word(nd->kind));
	put_addr_buf(b, nd->addr);
	if (nd->task >= 0)
		pm_buf_printf(b, " %s", pm_aio_tasks(x->aio)[nd->task].name);
	if (nd->owner) {
		pm_buf_printf(b, " of %s ", nd->owner_type);
		put_addr_buf(b, nd->owner);
	}
}

/* What node n is and, for a gather, shield or future, what it waits for. */
static void
node_text(struct pm_tasks_out *x, struct pm_buf *b, size_t n)
{
	const struct pm_awaitable *nd = &pm_aio_nodes(x->aio)[n];
	const size_t *edges = pm_aio_edges(x->aio);

	node_brief(x, b, n);
	if (nd->task >= 0 || nd->n == 0)
		return;
	pm_buf_puts(b, ":");
	for (size_t k = 0; k < nd->n; k++) {
		pm_buf_puts(b, k ? ", " : " ");
		node_brief(x, b, edges[nd->first + k]);
	}
}

static void
stack_text(struct pm_buf *b, const struct pm_frame *f, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		pm_buf_printf(b, "%s%s (%s", k ? " -> " : "", f[k].func, f[k].file);
		if (f[k].line >= 0)
			pm_buf_printf(b, ":%lld", (long long)f[k].line);
		pm_buf_putc(b, ')');
	}
}

static void
task_records(struct pm_tasks_out *x)
{
	static const char *const cols[] = { "TASK", "NAME", "STATE", "LOOP",
	    "AWAITS", "STACK" };
	const struct pm_task *ts = pm_aio_tasks(x->aio);
	const struct pm_frame *fr = pm_aio_frames(x->aio);

	pm_out_init(&x->out, stdout, out_format(x->style), x->header, cols, 6);
	for (size_t i = 0; i < pm_aio_ntasks(x->aio); i++) {
		const struct pm_task *t = &ts[i];
		pm_out_addr(&x->out, t->addr);
		pm_out_str(&x->out, t->name);
		pm_out_str(&x->out, pm_aio_state_name(t->state));
		pm_out_addr(&x->out, t->loop);
		pm_buf_reset(&x->buf);
		if (t->awaits >= 0)
			node_text(x, &x->buf, (size_t)t->awaits);
		else
			pm_buf_puts(&x->buf, "-");
		pm_out_str(&x->out, pm_buf_str(&x->buf));
		pm_buf_reset(&x->buf);
		stack_text(&x->buf, &fr[t->first], t->nframes);
		if (x->buf.oom)
			pm_die(PM_EXIT_INPUT, "out of memory");
		pm_out_str(&x->out, t->nframes ? pm_buf_str(&x->buf) : "-");
		pm_out_end(&x->out);
	}
}

static void
json_frames(const struct pm_frame *f, size_t n)
{
	putchar('[');
	for (size_t k = 0; k < n; k++) {
		fputs(k ? ", {\"function\": " : "{\"function\": ", stdout);
		json_str(f[k].func);
		fputs(", \"file\": ", stdout);
		json_str(f[k].file);
		fputs(", \"line\": ", stdout);
		json_line(f[k].line);
		putchar('}');
	}
	putchar(']');
}

/* An awaitable as JSON; tasks are named, not expanded. */
static void
json_node(struct pm_tasks_out *x, size_t n, int depth)
{
	const struct pm_awaitable *nd = &pm_aio_nodes(x->aio)[n];
	const size_t *edges = pm_aio_edges(x->aio);

	printf("{\"kind\": \"%s\", \"address\": \"0x%llx\", \"state\": \"%s\"",
	    kind_word(nd->kind), (unsigned long long)nd->addr,
	    pm_aio_state_name(nd->state));
	if (nd->task >= 0) {
		fputs(", \"name\": ", stdout);
		json_str(pm_aio_tasks(x->aio)[nd->task].name);
		putchar('}');
		return;
	}
	fputs(", \"type\": ", stdout);
	json_str(nd->type);
	if (nd->owner) {
		fputs(", \"owner\": {\"type\": ", stdout);
		json_str(nd->owner_type);
		printf(", \"address\": \"0x%llx\"}", (unsigned long long)nd->owner);
	}
	fputs(", \"waits_for\": [", stdout);
	for (size_t k = 0; k < nd->n && depth < 16; k++) {
		if (k)
			fputs(", ", stdout);
		json_node(x, edges[nd->first + k], depth + 1);
	}
	fputs("]}", stdout);
}

static void
task_json(struct pm_tasks_out *x)
{
	const struct pm_task *ts = pm_aio_tasks(x->aio);
	const struct pm_frame *fr = pm_aio_frames(x->aio);

	for (size_t i = 0; i < pm_aio_ntasks(x->aio); i++) {
		const struct pm_task *t = &ts[i];
		printf("{\"task\": \"0x%llx\", \"name\": ", (unsigned long long)t->addr);
		json_str(t->name);
		printf(", \"state\": \"%s\", \"loop\": \"0x%llx\", \"stack\": ",
		    pm_aio_state_name(t->state), (unsigned long long)t->loop);
		json_frames(&fr[t->first], t->nframes);
		fputs(", \"awaits\": ", stdout);
		if (t->awaits >= 0)
			json_node(x, (size_t)t->awaits, 0);
		else
			fputs("null", stdout);
		printf(", \"in_cycle\": %s}\n", pm_aio_in_cycle(x->aio, i) ?
		    "true" : "false");
	}
}

/* --tree: who awaits what, from the tasks nobody awaits. */
struct tree {
	struct pm_tasks_out *x;
	unsigned char *shown;	/* per node: printed */
	unsigned char *onpath;	/* per node: on the current branch */
	struct pm_buf prefix;
};

#define TREE_MAX_DEPTH 256

static void tree_node(struct tree *tr, size_t n, int last, int depth);

static void
tree_branch(struct tree *tr, int last)
{
	fputs(pm_buf_str(&tr->prefix), stdout);
	fputs(last ? "\u2514\u2500\u2500 " : "\u251c\u2500\u2500 ", stdout);
}

/* Push the prefix for the children of an entry; returns the old length. */
static size_t
tree_push(struct tree *tr, int last)
{
	size_t len = tr->prefix.len;

	pm_buf_puts(&tr->prefix, last ? "    " : "\u2502   ");
	if (tr->prefix.oom)
		pm_die(PM_EXIT_INPUT, "out of memory");
	return len;
}

static void
tree_children(struct tree *tr, size_t n, int depth)
{
	const struct pm_awaitable *nd = &pm_aio_nodes(tr->x->aio)[n];
	const size_t *edges = pm_aio_edges(tr->x->aio);

	for (size_t k = 0; k < nd->n; k++)
		tree_node(tr, edges[nd->first + k], k + 1 == nd->n, depth + 1);
}

static void
tree_node(struct tree *tr, size_t n, int last, int depth)
{
	struct pm_tasks_out *x = tr->x;
	const struct pm_awaitable *nd = &pm_aio_nodes(x->aio)[n];
	size_t len;

	tree_branch(tr, last);
	if (nd->task >= 0) {
		const struct pm_task *t = &pm_aio_tasks(x->aio)[nd->task];
		const struct pm_frame *fr = &pm_aio_frames(x->aio)[t->first];
		fputs("(T) ", stdout);
		put_text(t->name);
		printf(" [%s] 0x%llx", pm_aio_state_name(t->state),
		    (unsigned long long)t->addr);
		if (tr->onpath[n] || tr->shown[n] || depth >= TREE_MAX_DEPTH) {
			puts(tr->onpath[n] ? " (cycle)" : tr->shown[n] ?
			    " (see above)" : " ...");
			return;
		}
		putchar('\n');
		tr->shown[n] = tr->onpath[n] = 1;
		len = tree_push(tr, last);
		/* The coroutine stack, each awaiting the next. */
		for (size_t k = 0; k < t->nframes; k++) {
			tree_branch(tr, 1);
			put_text(fr[k].func);
			putchar(' ');
			put_where(fr[k].file, fr[k].line);
			putchar('\n');
			tree_push(tr, 1);
		}
		if (t->awaits >= 0)
			tree_node(tr, (size_t)t->awaits, 1, depth + 1);
		pm_buf_truncate(&tr->prefix, len);
		tr->onpath[n] = 0;
		return;
	}
	printf("%s 0x%llx [%s]", kind_word(nd->kind), (unsigned long long)nd->addr,
	    pm_aio_state_name(nd->state));
	if (nd->owner) {
		fputs(" waiter of ", stdout);
		put_text(nd->owner_type);
		printf(" 0x%llx", (unsigned long long)nd->owner);
	}
	if (tr->onpath[n] || depth >= TREE_MAX_DEPTH) {
		puts(tr->onpath[n] ? " (cycle)" : " ...");
		return;
	}
	putchar('\n');
	tr->onpath[n] = 1;
	len = tree_push(tr, last);
	tree_children(tr, n, depth);
	pm_buf_truncate(&tr->prefix, len);
	tr->onpath[n] = 0;
}

static void
task_tree(struct pm_tasks_out *x)
{
	size_t nn = pm_aio_nnodes(x->aio), nt = pm_aio_ntasks(x->aio);
	const struct pm_awaitable *nodes = pm_aio_nodes(x->aio);
	const struct pm_task *ts = pm_aio_tasks(x->aio);
	const size_t *edges = pm_aio_edges(x->aio);
	unsigned char *awaited = pm_xcalloc(nn + 1, 1);
	struct tree tr = { x, pm_xcalloc(nn + 1, 1), pm_xcalloc(nn + 1, 1),
	    PM_BUF_INIT };

	for (size_t i = 0; i < nn; i++)
		for (size_t k = 0; k < nodes[i].n; k++)
			awaited[edges[nodes[i].first + k]] = 1;
	/*
	 * Roots: tasks nobody awaits; then the cycles no root reaches; then
	 * anything left (a task only such a cycle awaits).
	 */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < nt; i++) {
			size_t n = ts[i].node;
			if (tr.shown[n] || (pass == 0 && awaited[n]) ||
			    (pass == 1 && !pm_aio_in_cycle(x->aio, i)))
				continue;
			if (pass == 1)
				fputs("(await cycle)\n", stdout);
			tree_node(&tr, n, 1, 0);
		}
	pm_buf_release(&tr.prefix);
	free(tr.shown);
	free(tr.onpath);
	free(awaited);
}

/* ---- --check ---- */

static void
member_where(struct pm_tasks_out *x, const struct pm_cycle *c, const struct pm_cycle_member *m,
    const struct pm_frame **f, uint64_t *member, const char **name)
{
	*f = NULL;
	if (c->kind == PM_CYCLE_AWAIT) {
		const struct pm_task *t = &pm_aio_tasks(x->aio)[m->index];
		if (t->nframes)
			*f = &pm_aio_frames(x->aio)[t->first + t->nframes - 1];
		*member = t->addr;
		*name = t->name;
	} else {
		const struct pm_lockwait *w = &pm_aio_lockwaits(x->aio)[m->index];
		const struct pm_thread *t = &pm_frames_threads(x->fs)[w->thread];
		if (t->nframes)
			*f = &pm_frames_frames(x->fs)[t->first];
		*member = t->tid;
		*name = thread_name(t);
	}
}

/* What member m waits for: the next member of the cycle, and how. */
static void
member_waits(struct pm_tasks_out *x, const struct pm_cycle *c, size_t k, struct pm_buf *b)
{
	const struct pm_cycle_member *ms = pm_aio_members(x->aio) + c->first;
	const struct pm_cycle_member *m = &ms[k], *next = &ms[(k + 1) % c->n];

	pm_buf_reset(b);
	if (c->kind == PM_CYCLE_AWAIT) {
		const struct pm_task *t = &pm_aio_tasks(x->aio)[next->index];
		if (m->via) {
			int64_t n = pm_aio_node_of(x->aio, m->via);
			node_brief(x, b, n >= 0 ? (size_t)n : 0);
			pm_buf_puts(b, " -> ");
		}
		pm_buf_puts(b, "task ");
		put_addr_buf(b, t->addr);
		pm_buf_printf(b, " %s", t->name);
		return;
	}
	{
		const struct pm_lockwait *w = &pm_aio_lockwaits(x->aio)[m->index];
		const struct pm_thread *o = &pm_frames_threads(x->fs)[w->owner];
		pm_buf_printf(b, "%s ", w->rlock ? "_thread.RLock" : "_thread.lock");
		put_addr_buf(b, w->lock);
		pm_buf_printf(b, " %s thread %u %s", w->proven ? "owned by" :
		    "held in a with block by", o->tid, thread_name(o));
		if (!w->proven)
			pm_buf_puts(b, " (threading.Lock does not record its owner)");
	}
}

static const char *
cycle_kind(enum pm_cycle_kind k)
{
	return k == PM_CYCLE_AWAIT ? "await" : k == PM_CYCLE_DEADLOCK ?
	    "deadlock" : "suspected";
}

static int
check(struct pm_tasks_out *x)
{
	static const char *const cols[] = { "CYCLE", "KIND", "MEMBER", "NAME",
	    "FUNCTION", "FILE", "LINE", "WAITS" };
	const struct pm_cycle *cs = pm_aio_cycles(x->aio);
	int found = 0;

	pm_out_init(&x->out, stdout, out_format(x->style), x->header, cols, 8);
	for (size_t i = 0; i < pm_aio_ncycles(x->aio); i++) {
		const struct pm_cycle *c = &cs[i];
		if (c->kind != PM_CYCLE_SUSPECTED)
			found = 1;
		if (x->style == PM_TASKS_JSON)
			printf("{\"cycle\": %zu, \"kind\": \"%s\", \"members\": [",
			    i + 1, cycle_kind(c->kind));
		for (size_t k = 0; k < c->n; k++) {
			const struct pm_frame *f;
			uint64_t member;
			const char *name;
			member_where(x, c, &pm_aio_members(x->aio)[c->first + k],
			    &f, &member, &name);
			member_waits(x, c, k, &x->buf);
			if (x->buf.oom)
				pm_die(PM_EXIT_INPUT, "out of memory");
			if (x->style == PM_TASKS_JSON) {
				if (c->kind == PM_CYCLE_AWAIT)
					printf("%s{\"task\": \"0x%llx\"", k ? ", " : "",
					    (unsigned long long)member);
				else
					printf("%s{\"thread\": %llu", k ? ", " : "",
					    (unsigned long long)member);
				fputs(", \"name\": ", stdout);
				json_str(name);
				fputs(", \"function\": ", stdout);
				json_str(f ? f->func : "-");
				fputs(", \"file\": ", stdout);
				json_str(f ? f->file : "-");
				fputs(", \"line\": ", stdout);
				json_line(f ? f->line : -1);
				fputs(", \"waits\": ", stdout);
				json_str(pm_buf_str(&x->buf));
				putchar('}');
				continue;
			}
			pm_out_u64(&x->out, i + 1);
			pm_out_str(&x->out, cycle_kind(c->kind));
			if (c->kind == PM_CYCLE_AWAIT)
				pm_out_addr(&x->out, member);
			else
				pm_out_u64(&x->out, member);
			pm_out_str(&x->out, name);
			pm_out_str(&x->out, f ? f->func : "-");
			pm_out_str(&x->out, f ? f->file : "-");
			out_line(&x->out, f ? f->line : -1);
			pm_out_str(&x->out, pm_buf_str(&x->buf));
			pm_out_end(&x->out);
		}
		if (x->style == PM_TASKS_JSON)
			fputs("]}\n", stdout);
	}
	return found ? PM_EXIT_FINDING : PM_EXIT_OK;
}

void
pm_tasks_threads(struct pm_tasks_out *x, int locals)
{
	if (x->style == PM_TASKS_JSON && !locals)
		thread_json(x);
	else if (x->style == PM_TASKS_TREE)
		thread_tree(x, locals);
	else if (x->style == PM_TASKS_FOLDED)
		thread_folded(x);
	else
		thread_records(x, locals);
}

void
pm_tasks_async(struct pm_tasks_out *x)
{
	if (x->style == PM_TASKS_JSON)
		task_json(x);
	else if (x->style == PM_TASKS_TREE)
		task_tree(x);
	else
		task_records(x);
}

int
pm_tasks_check(struct pm_tasks_out *x)
{
	return check(x);
}
