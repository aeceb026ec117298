/* loki.c — LogQL streams, and paging past Loki's entry limit.
 *
 * Loki answers at most `limit` entries per request. Going forward, the
 * next page starts at the last timestamp seen — inclusive, because other
 * lines may share that nanosecond and the cut may have fallen between
 * them. Lines already written at that timestamp are remembered (stream and
 * text, with a count) and skipped when the next page repeats them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "promq.h"

/* Loki refuses more than max_entries_limit_per_query (5000 by default). */
#define BURST_MAX 5000

struct line {
	long long ns;
	size_t seq;
	char *text;
};

static int
parse_ns(jv ts, long long *ns)
{
	const char *s;
	char *end;

	if (jv_get_kind(ts) != JV_KIND_STRING)
		return -1;
	s = jv_string_value(ts);
	errno = 0;
	*ns = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' ? 0 : -1;
}

/* Counts key in an object of counts (obj consumed, returned). */
static jv
count_add(jv obj, jv key, int delta)
{
	jv old = jv_object_get(jv_copy(obj), jv_copy(key));
	double n = jv_get_kind(old) == JV_KIND_NUMBER ? jv_number_value(old) : 0;

	jv_free(old);
	return jv_object_set(obj, key, jv_number(n + delta));
}

static int
count_get(jv obj, jv key)
{
	jv v = jv_object_get(jv_copy(obj), key);
	int n = jv_get_kind(v) == JV_KIND_NUMBER ? (int)jv_number_value(v) : 0;

	jv_free(v);
	return n;
}

/* Decides whether one entry is new; keeps the page's bookkeeping. */
static int
entry_wanted(struct req *r, long long ns, jv key)
{
	struct job *j = r->job;
	long long limit = j->pq->limit;

	r->entries++;
	if (ns < j->last_ns || (limit > 0 && j->lines_out >= limit)) {
		jv_free(key);
		return 0;
	}
	if (ns == j->last_ns && count_get(r->skip, jv_copy(key)) > 0) {
		r->skip = count_add(r->skip, key, -1);
		return 0;
	}
	if (ns > r->page_max_ns) {
		r->page_max_ns = ns;
		jv_free(r->page_seen);
		r->page_seen = jv_object();
	}
	if (ns == r->page_max_ns)
		r->page_seen = count_add(r->page_seen, jv_copy(key), 1);
	jv_free(key);
	j->lines_out++;
	r->kept++;
	return 1;
}

static void
add_line(struct req *r, long long ns, jv stream, jv ts, jv text)
{
	struct job *j = r->job;
	struct buf b = BUF_INIT;
	struct line *l;

	buf_add(&b, j->prefix.p, j->prefix.len);
	buf_adds(&b, j->prefix.len > 1 ? ",\"stream\":" : "\"stream\":");
	jsonl_dump(&b, stream);
	buf_adds(&b, ",\"ts\":");
	jsonl_dump(&b, ts);
	buf_adds(&b, ",\"line\":");
	jsonl_dump(&b, text);
	buf_adds(&b, "}\n");
	xgrow(&r->lv, &r->lcap, r->nl + 1, sizeof(struct line));
	l = &((struct line *)r->lv)[r->nl];
	l->ns = ns;
	l->seq = r->nl++;
	l->text = buf_detach(&b);
}

int
loki_stream(struct req *r, const char *text, size_t len)
{
	struct job *j = r->job;
	jv v = jv_parse_sized(text, (int)len);
	jv stream, values, kept = jv_array(), keyp;
	struct buf head = BUF_INIT, vals = BUF_INIT;
	long long ns;
	int rc = -1;

	stream = jv_object_get(jv_copy(v), jv_string("stream"));
	values = jv_object_get(v, jv_string("values"));
	if (jv_get_kind(stream) != JV_KIND_OBJECT ||
	    jv_get_kind(values) != JV_KIND_ARRAY) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a stream without "
		    "'stream' or 'values'");
		goto out;
	}
	keyp = jv_dump_string(jv_copy(stream), JV_PRINT_SORTED);
	jv_array_foreach(values, i, e) {
		jv ts = jv_array_get(jv_copy(e), 0), line = jv_array_get(e, 1);
		if (parse_ns(ts, &ns) != 0 ||
		    jv_get_kind(line) != JV_KIND_STRING) {
			req_fail(r, EXIT_UPSTREAM, "invalid response: entry %d "
			    "is not [\"<ns>\", \"<line>\"]", i);
			jv_free(ts);
			jv_free(line);
			jv_free(keyp);
			goto out;
		}
		if (!entry_wanted(r, ns, jv_string_fmt("%s\n%s",
		    jv_string_value(keyp), jv_string_value(line)))) {
			jv_free(ts);
			jv_free(line);
		} else if (j->pq->lines) {
			add_line(r, ns, jv_copy(stream), ts, line);
		} else {
			kept = jv_array_append(kept, JV_ARRAY(ts, line));
		}
	}
	jv_free(keyp);
	if (!j->pq->lines && jv_array_length(jv_copy(kept)) > 0) {
		buf_add(&head, j->prefix.p, j->prefix.len);
		buf_adds(&head, j->prefix.len > 1 ? ",\"stream\":" : "\"stream\":");
		jsonl_dump(&head, jv_copy(stream));
		jsonl_dump(&vals, jv_copy(kept));
		stitch_add(j, r->part, jv_copy(stream), head.p, head.len,
		    vals.p + 1, vals.len - 2, NULL, 0);
	}
	rc = 0;
out:
	jv_free(stream);
	jv_free(values);
	jv_free(kept);
	buf_free(&head);
	buf_free(&vals);
	return rc;
}

static int
line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* --lines: this page's lines in time order. */
static void
emit_lines(struct req *r)
{
	struct line *lv = r->lv;
	size_t i;

	if (r->nl == 0)
		return;
	qsort(lv, r->nl, sizeof(*lv), line_cmp);
	for (i = 0; i < r->nl; i++) {
		out_record(r->job, lv[i].text, strlen(lv[i].text));
		free(lv[i].text);
	}
	r->nl = 0;
}

/* Forget what was seen: the next page starts after it. */
static void
step_past(struct job *j)
{
	j->page_start_ns = j->last_ns + 1;
	j->last_ns = j->page_start_ns;
	jv_free(j->seen);
	j->seen = jv_object();
	j->burst = 0;
	j->burst_limit = 0;
}

/* The page's newest lines become the ones to skip next time. */
static void
remember(struct job *j, struct req *r)
{
	if (r->page_max_ns > j->last_ns) {
		jv_free(j->seen);
		j->seen = jv_copy(r->page_seen);
		j->last_ns = r->page_max_ns;
		return;
	}
	jv_object_foreach(r->page_seen, k, n) {
		j->seen = count_add(j->seen, k, (int)jv_number_value(n));
		jv_free(n);
	}
}

/*
 * After a page: is there more? A full page whose lines all share the
 * last timestamp cannot be paged past by time, so that one nanosecond is
 * asked again alone with a doubled limit until it comes back not full.
 */
void
loki_page_done(struct req *r)
{
	struct job *j = r->job;
	long long limit = j->pq->limit, before = j->last_ns;

	emit_lines(r);
	if (!j->range || (limit > 0 && j->lines_out >= limit))
		return;
	if (r->entries < r->limit) {
		if (!r->burst)
			return;
		step_past(j);	/* every line at last_ns is out */
	} else {
		remember(j, r);
		if (r->page_max_ns > before) {
			j->page_start_ns = j->last_ns;
		} else if (j->burst_limit * 2 > BURST_MAX ||
		    j->pq->batch * 2 > BURST_MAX) {
			msg_warn("'%s': more than %lld lines at %lld ns; some "
			    "may be missing", j->query, r->limit, j->last_ns);
			step_past(j);
		} else {
			j->burst_limit = j->burst_limit ? j->burst_limit * 2 :
			    j->pq->batch * 2;
			j->burst = 1;
			j->page_start_ns = j->last_ns;
		}
	}
	if (j->page_start_ns >= j->end_ms * 1000000)
		return;
	j->more = 1;
}

void
loki_next_page(struct job *j)
{
	loki_request(j, ++j->pages);
}

void
loki_lines_free(struct req *r)
{
	struct line *lv = r->lv;
	size_t i;

	for (i = 0; i < r->nl; i++)
		free(lv[i].text);
	free(lv);
}
