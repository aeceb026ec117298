/* batch.c — the common case, one stats record per series, on every core.
 *
 * Parsing and statistics cost about the same and both are per record, so
 * while worker threads (one per usable CPU but one) compute the records of
 * one batch, the main thread reads the next and then helps; results and
 * messages are written in input order, so the output is the same as a
 * sequential run's. Memory: two batches of BATCH records.
 *
 * Plain threads that sleep on condition variables, not OpenMP: OpenMP's
 * spinning waits made statz slower than one thread as soon as another
 * process wanted the same cores (a pipeline, a CPU-limited pod).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "msg.h"
#include "series.h"
#include "top.h"

#define BATCH 64

struct slot {
	struct buf line;
	size_t lineno;
	unsigned long long seq;	/* input order, across files */
	struct series s;
	struct data d;
	struct buf out;
	char why[200];		/* a problem with this line, or "" */
	int unsorted;
};

struct batch {
	const struct conf *c;
	struct slot slot[2][BATCH];
	/* The work on offer, under mu: slots[next..n) are still to do. */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct slot *slots;
	size_t n, next, finished;
	int quit;
	pthread_t tid[15];
	int nthreads;
	struct top *top;	/* --top: the records kept */
	unsigned long long seq;
};

static void compute(struct batch *b, struct slot *sl);

/* Takes slots while there are any; returns with mu held. */
static void
work_locked(struct batch *b)
{
	while (b->next < b->n) {
		struct slot *sl = &b->slots[b->next++];

		pthread_mutex_unlock(&b->mu);
		compute(b, sl);
		pthread_mutex_lock(&b->mu);
		if (++b->finished == b->n)
			pthread_cond_signal(&b->done);
	}
}

static void *
worker(void *arg)
{
	struct batch *b = arg;

	pthread_mutex_lock(&b->mu);
	while (!b->quit) {
		work_locked(b);
		if (!b->quit)
			pthread_cond_wait(&b->work, &b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static int
usable_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return CPU_COUNT(&set);
}

struct batch *
batch_new(const struct conf *c)
{
	struct batch *b = xcalloc(1, sizeof *b);
	size_t i;

	b->c = c;
	if (c->top > 0)
		b->top = top_new(c->top);
	for (i = 0; i < 2 * BATCH; i++)
		series_init(&b->slot[i / BATCH][i % BATCH].s);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->done, NULL);
	b->nthreads = usable_cpus() - 1;
	if (b->nthreads > (int)(sizeof b->tid / sizeof b->tid[0]))
		b->nthreads = (int)(sizeof b->tid / sizeof b->tid[0]);
	for (i = 0; (int)i < b->nthreads; i++)
		if (pthread_create(&b->tid[i], NULL, worker, b) != 0)
			break;		/* fewer helpers, same results */
	b->nthreads = (int)i;
	return b;
}

void
batch_free(struct batch *b)
{
	size_t i;

	pthread_mutex_lock(&b->mu);
	b->quit = 1;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->mu);
	for (i = 0; (int)i < b->nthreads; i++)
		pthread_join(b->tid[i], NULL);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->done);
	pthread_mutex_destroy(&b->mu);
	for (i = 0; i < 2 * BATCH; i++) {
		struct slot *sl = &b->slot[i / BATCH][i % BATCH];

		buf_free(&sl->line);
		series_free(&sl->s);
		data_free(&sl->d);
		buf_free(&sl->out);
	}
	top_free(b->top);
	free(b);
}

/* Drops the comma after "{" when the passed-through record was empty. */
static void
fix_first_comma(struct buf *b)
{
	if (b->len > 1 && b->p[1] == ',') {
		memmove(b->p + 1, b->p + 2, b->len - 1);
		b->len--;
	}
}

/* One record: runs on any thread, touches only its slot (and the kept
 * records of --top, under their own lock). */
static void
compute(struct batch *bt, struct slot *sl)
{
	const struct conf *c = bt->c;
	struct buf *b = &sl->out;
	struct top_key key;
	char *err = NULL;
	size_t i;

	buf_reset(b);
	sl->why[0] = '\0';
	sl->unsorted = 0;
	if (series_parse(&sl->s, sl->line.p, sl->line.len, &err) != 0) {
		snprintf(sl->why, sizeof sl->why, "%s", err);
		free(err);
		return;
	}
	if (!sl->s.has_values) {
		snprintf(sl->why, sizeof sl->why, "no 'values' or 'value' field");
		return;
	}
	if (series_times_ok(&sl->s, sl->why, sizeof sl->why) != 0)
		return;
	data_reset(&sl->d);
	for (i = 0; i < sl->s.n; i++)
		data_push(&sl->d, sl->s.s[i].t, sl->s.s[i].v);
	sl->unsorted = data_order(&sl->d, 1);
	if (bt->top != NULL) {
		/* ranked first: formatting is most of the work, and most
		 * records are not kept */
		sl->d.anomalies = c->anomalies ? anomalies_count(c, &sl->d) : 0;
		top_key_of(&sl->d, sl->seq, &key);
		if (!top_wants(bt->top, &key))
			return;
	}
	jsonl_dump(b, strip_keys(jv_copy(sl->s.rec), c));
	b->p[--b->len] = '\0';		/* reopen the object */
	if (c->every > 0) {
		backtest_add(b, c, &sl->d, sl->why, sizeof sl->why);
		return;
	}
	summary_add(b, c, &sl->d, sl->why, sizeof sl->why);
	if (c->keep_values) {
		buf_adds(b, sl->s.instant ? ",\"value\":" : ",\"values\":");
		series_dump_values(b, &sl->s);
	}
	buf_addc(b, '}');
	fix_first_comma(b);
	buf_addc(b, '\n');
	if (bt->top != NULL) {
		top_offer(bt->top, &key, b->p, b->len);
		buf_reset(b);
	}
}

/* Writes a computed batch in order; returns how many lines were bad. */
static unsigned long
flush(struct slot *slot, size_t n, const char *name, int *warned_order)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct slot *sl = &slot[i];

		if (sl->unsorted && !*warned_order) {
			msg_at(name, sl->lineno, "samples out of time order or "
			    "repeated: sorted, repeats dropped (said once)");
			*warned_order = 1;
		}
		if (sl->why[0]) {
			msg_at(name, sl->lineno, "%s", sl->why);
			bad++;
		}
		fwrite(sl->out.p ? sl->out.p : "", 1, sl->out.len, stdout);
	}
	return bad;
}

/* Reads up to BATCH lines into slot; *more goes 0 at the end. */
static size_t
fill(struct batch *b, struct slot *slot, struct jsonl *r, int *more)
{
	const char *line;
	size_t len, n;

	for (n = 0; n < BATCH && *more; n++) {
		if (!(*more = jsonl_getline(r, &line, &len)))
			break;
		buf_reset(&slot[n].line);
		buf_add(&slot[n].line, line, len);
		slot[n].lineno = jsonl_lineno(r);
		slot[n].seq = b->seq++;
	}
	return n;
}

static void
offer(struct batch *b, struct slot *slots, size_t n)
{
	pthread_mutex_lock(&b->mu);
	b->slots = slots;
	b->n = n;
	b->next = b->finished = 0;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->mu);
}

/* Helps with what is left of the batch on offer, then waits for it. */
static void
finish(struct batch *b)
{
	pthread_mutex_lock(&b->mu);
	work_locked(b);
	while (b->finished < b->n)
		pthread_cond_wait(&b->done, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

unsigned long
batch_run(struct batch *b, struct jsonl *r, int *warned_order)
{
	struct slot *cur = b->slot[0], *next = b->slot[1], *t;
	unsigned long bad = 0;
	int more = 1;
	size_t n = fill(b, cur, r, &more), nnext;

	while (n > 0) {
		offer(b, cur, n);
		nnext = fill(b, next, r, &more);
		finish(b);
		bad += flush(cur, n, jsonl_name(r), warned_order);
		t = cur;
		cur = next;
		next = t;
		n = nnext;
	}
	return bad;
}

int
batch_end(struct batch *b)
{
	return b->top != NULL ? top_write(b->top, stdout) : 0;
}
