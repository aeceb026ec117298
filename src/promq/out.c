/* out.c — records reach stdout in the order the jobs were given.
 *
 * The first unfinished job writes straight to stdout; jobs behind it
 * write to an unlinked temporary file and are copied out when their turn
 * comes, so concurrency costs disk, not memory. With --stats every job
 * spools, because its duration is known only at its end.
 *
 * Chunks of a long range and pages of a Loki query are stitched: each
 * part of a series goes to a temporary file with its label key, and at the
 * end the parts are read back per series, in label order, into one record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "jsonl.h"
#include "msg.h"
#include "promq.h"

static FILE *
spool_open(void)
{
	FILE *fp = tmpfile();

	if (fp == NULL)
		msg_die(EXIT_LOCAL, "cannot create a temporary file: %s",
		    strerror(errno));
	return fp;
}

void
out_record(struct job *j, const char *text, size_t len)
{
	FILE *fp;

	if (j->direct && !j->pq->stats) {
		fp = stdout;
	} else {
		if (j->spool == NULL)
			j->spool = spool_open();
		fp = j->spool;
	}
	if (fwrite(text, 1, len, fp) != len)
		msg_die(EXIT_LOCAL, "cannot write: %s", strerror(errno));
}

/* Copies the spool to stdout; with --stats, adds "ms" to every record. */
static void
drain(struct job *j)
{
	char *line = NULL, chunk[65536];
	size_t cap = 0, n;
	ssize_t len;

	if (j->spool == NULL)
		return;
	rewind(j->spool);
	if (j->pq->stats) {
		while ((len = getline(&line, &cap, j->spool)) > 1) {
			/* every record ends with "}\n" */
			fwrite(line, 1, (size_t)len - 2, stdout);
			printf(",\"ms\":%lld}\n", llround(j->ms));
		}
		free(line);
	} else {
		while ((n = fread(chunk, 1, sizeof(chunk), j->spool)) > 0)
			fwrite(chunk, 1, n, stdout);
	}
	fclose(j->spool);
	j->spool = NULL;
}

/*
 * Writes out what the head job has so far. Returns 1 when the head job
 * is done (the caller moves on to the next), 0 when it is still running:
 * from now on it writes to stdout itself.
 */
int
out_head(struct job *j)
{
	if (j->done) {
		drain(j);
		return 1;
	}
	if (!j->pq->stats) {
		drain(j);
		j->direct = 1;
	}
	return 0;
}

/* ---- stitching -------------------------------------------------------- */

struct part {
	char *key;
	int part;
	size_t seq;
	long off;
	size_t head_len, vals_len, hists_len;
	int has_vals, has_hists;
};

struct stitch {
	FILE *fp;
	struct part *v;
	size_t n, cap;
};

static void
put(FILE *fp, const char *p, size_t len)
{
	if (len > 0 && fwrite(p, 1, len, fp) != len)
		msg_die(EXIT_LOCAL, "cannot write a temporary file: %s",
		    strerror(errno));
}

void
stitch_add(struct job *j, int part, jv key, const char *head,
    size_t head_len, const char *vals, size_t vals_len, const char *hists,
    size_t hists_len)
{
	struct stitch *st = j->st;
	struct part *p;
	jv ks;

	if (st == NULL) {
		st = j->st = xcalloc(1, sizeof(*st));
		st->fp = spool_open();
	}
	xgrow((void **)&st->v, &st->cap, st->n + 1, sizeof(*st->v));
	p = &st->v[st->n];
	ks = jv_dump_string(key, JV_PRINT_SORTED);
	p->key = xstrdup(jv_string_value(ks));
	jv_free(ks);
	p->part = part;
	p->seq = st->n++;
	if (fseek(st->fp, 0, SEEK_END) != 0 || (p->off = ftell(st->fp)) < 0)
		msg_die(EXIT_LOCAL, "cannot seek a temporary file");
	p->head_len = head_len;
	p->has_vals = vals != NULL;
	p->vals_len = vals ? vals_len : 0;
	p->has_hists = hists != NULL;
	p->hists_len = hists ? hists_len : 0;
	put(st->fp, head, head_len);
	put(st->fp, vals, p->vals_len);
	put(st->fp, hists, p->hists_len);
}

static int
part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Appends len bytes of the temporary file at off. */
static void
get(struct buf *b, FILE *fp, long off, size_t len)
{
	char *dst;

	if (len == 0)
		return;
	dst = buf_reserve(b, len);
	if (fseek(fp, off, SEEK_SET) != 0 || fread(dst, 1, len, fp) != len)
		msg_die(EXIT_LOCAL, "cannot read a temporary file");
	b->len += len;
	b->p[b->len] = '\0';
}

/* Joins one field's arrays of the parts [first, end). */
static void
join(struct buf *b, FILE *fp, const struct part *first,
    const struct part *end, const char *key, int hists)
{
	const struct part *p;
	int any = 0, sep = 0;

	for (p = first; p < end; p++)
		any |= hists ? p->has_hists : p->has_vals;
	if (!any)
		return;
	buf_printf(b, ",\"%s\":[", key);
	for (p = first; p < end; p++) {
		size_t len = hists ? p->hists_len : p->vals_len;
		long off = p->off + (long)p->head_len +
		    (hists ? (long)p->vals_len : 0);
		if (len == 0)
			continue;
		if (sep++)
			buf_addc(b, ',');
		get(b, fp, off, len);
	}
	buf_addc(b, ']');
}

void
stitch_emit(struct job *j)
{
	struct stitch *st = j->st;
	struct buf b = BUF_INIT;
	size_t i, k;

	qsort(st->v, st->n, sizeof(*st->v), part_cmp);
	for (i = 0; i < st->n; i = k) {
		for (k = i + 1; k < st->n && strcmp(st->v[k].key,
		    st->v[i].key) == 0; k++)
			;
		buf_reset(&b);
		get(&b, st->fp, st->v[i].off, st->v[i].head_len);
		join(&b, st->fp, &st->v[i], &st->v[k], "values", 0);
		join(&b, st->fp, &st->v[i], &st->v[k], "histograms", 1);
		buf_adds(&b, "}\n");
		out_record(j, b.p, b.len);
	}
	buf_free(&b);
	stitch_free(st);
	j->st = NULL;
}

void
stitch_free(struct stitch *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		free(st->v[i].key);
	free(st->v);
	if (st->fp)
		fclose(st->fp);
	free(st);
}
