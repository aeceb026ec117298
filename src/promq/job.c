/* job.c — from a query and its time range to HTTP requests.
 *
 * Range queries longer than CHUNK_POINTS points are split into chunks
 * that meet exactly: chunk i starts at start + i*CHUNK_POINTS*step, all in
 * integer milliseconds, so every evaluation time is asked exactly once.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "promq.h"
#include "timeutil.h"

/* Above this many bytes of parameters a request goes as a POST form. */
#define GET_MAX 1024

static void on_done(void *ctx, const struct http_request *rq,
    struct http_response *rs);

struct job *
job_new(struct promq *pq, const char *query, jv ctx)
{
	struct job *j = xcalloc(1, sizeof(*j));
	jv head = jv_object();
	jv_kind k = jv_get_kind(ctx);

	j->pq = pq;
	j->query = query ? xstrdup(query) : NULL;
	j->ctx = k == JV_KIND_OBJECT ? ctx : jv_object();
	if (k != JV_KIND_OBJECT)
		jv_free(ctx);
	j->seen = jv_object();
	j->last_ns = LLONG_MIN;
	if (query)
		head = jv_object_set(head, jv_string("query"), jv_string(query));
	jv_object_foreach(j->ctx, key, val)
		head = jv_object_set(head, key, val);
	jsonl_dump(&j->prefix, head);
	/* keep '{"query":…' open for more members */
	j->prefix.p[--j->prefix.len] = '\0';
	return j;
}

void
job_free(struct job *j)
{
	free(j->query);
	jv_free(j->ctx);
	jv_free(j->seen);
	buf_free(&j->prefix);
	if (j->spool)
		fclose(j->spool);
	stitch_free(j->st);
	free(j);
}

/*
 * Times and steps beyond year 9999 are refused: past it, milliseconds
 * overflow llround() and the chunk arithmetic below (a --step of 1e23
 * seconds used to wrap to 1 ms and fetch millions of points).
 */
#define MIN_SEC (-62135596800.0)	/* 0001-01-01T00:00:00Z */
#define MAX_SEC 253402300799.0		/* 9999-12-31T23:59:59Z */

static int
sane_sec(double sec)
{
	return sec >= MIN_SEC && sec <= MAX_SEC;
}

static long long
to_ms(double sec)
{
	return llround(sec * 1000);
}

/*
 * Settles the job's times: an instant (time or the server's now) or a
 * range with a step. Returns 0, or -1 with *err (caller frees).
 */
int
job_set_when(struct job *j, const struct when *w, char **err)
{
	double end, start, range, step;

	*err = NULL;
	if (w->has_time || (!w->has_since && !w->has_start)) {
		if (w->has_end || w->has_step) {
			*err = xstrdup("--end and --step need --since or --start");
			return -1;
		}
		if (w->has_time && !sane_sec(w->time)) {
			*err = xstrdup("the time is out of range (years 1 to 9999)");
			return -1;
		}
		j->has_time = w->has_time;
		j->time_ms = to_ms(w->time);
		return 0;
	}
	end = w->has_end ? w->end : j->pq->now;
	start = w->has_start ? w->start : end - w->since;
	if (!sane_sec(start) || !sane_sec(end)) {
		*err = xstrdup("the range reaches beyond the years 1 to 9999");
		return -1;
	}
	if (!(end > start)) {
		*err = xstrdup("the range ends before it starts");
		return -1;
	}
	range = end - start;
	/* about 250 points, in whole seconds, at least 1s */
	step = w->has_step ? w->step : fmax(1, round(range / 250));
	if (!(step > 0)) {
		*err = xstrdup("the step must be positive");
		return -1;
	}
	if (step > MAX_SEC) {
		*err = xstrdup("the step is too large");
		return -1;
	}
	j->range = 1;
	j->start_ms = to_ms(start);
	j->end_ms = to_ms(end);
	j->step_ms = to_ms(step) > 0 ? to_ms(step) : 1;
	return 0;
}

void
req_fail(struct req *r, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (r->error == NULL) {
		r->error = msg;
		r->error_status = status;
	} else {
		free(msg);
	}
}

/* Prometheus times: seconds with milliseconds, no float rounding. */
static void
form_time(struct buf *b, const char *key, long long ms)
{
	char t[40];

	snprintf(t, sizeof(t), "%s%lld.%03lld", ms < 0 ? "-" : "",
	    llabs(ms) / 1000, llabs(ms) % 1000);
	http_form_add(b, key, t);
}

static void
form_ns(struct buf *b, const char *key, long long ns)
{
	char t[40];

	snprintf(t, sizeof(t), "%lld", ns);
	http_form_add(b, key, t);
}

static const char *
meta_path(const struct promq *pq, struct buf *tmp)
{
	switch (pq->mode) {
	case M_SERIES:
		return "api/v1/series";
	case M_LABELS:
		return "api/v1/labels";
	case M_LABEL_VALUES: {
		struct buf enc = BUF_INIT;

		/* the name travels in the path: reuse the form encoder */
		http_form_add(&enc, "x", pq->label);
		buf_printf(tmp, "api/v1/label/%s/values", enc.p + 2);
		buf_free(&enc);
		return tmp->p;
	}
	case M_ALERTS:
		return "api/v1/alerts";
	case M_RULES:
		return "api/v1/rules";
	case M_TARGETS:
		return "api/v1/targets";
	default:
		return NULL;
	}
}

/* Path and parameters of a PromQL or LogQL request. */
static const char *
query_form(struct job *j, struct req *r, long long s, long long e)
{
	struct promq *pq = j->pq;
	char n[32];

	http_form_add(&r->form, "query", j->query);
	if (pq->loki) {
		if (!j->range) {
			if (j->has_time)
				form_ns(&r->form, "time", j->time_ms * 1000000);
			return "loki/api/v1/query";
		}
		r->burst = j->burst;
		r->limit = j->burst ? j->burst_limit : pq->batch;
		form_ns(&r->form, "start", r->part == 0 ? s * 1000000 :
		    j->page_start_ns);
		form_ns(&r->form, "end", j->burst ? j->page_start_ns + 1 :
		    e * 1000000);
		if (pq->when.has_step)
			form_time(&r->form, "step", j->step_ms);
		snprintf(n, sizeof(n), "%lld", r->limit);
		http_form_add(&r->form, "limit", n);
		http_form_add(&r->form, "direction", "forward");
		return "loki/api/v1/query_range";
	}
	if (!j->range) {
		if (j->has_time)
			form_time(&r->form, "time", j->time_ms);
		return "api/v1/query";
	}
	form_time(&r->form, "start", s);
	form_time(&r->form, "end", e);
	form_time(&r->form, "step", j->step_ms);
	return "api/v1/query_range";
}

/* The body streams into the splitter; nonzero aborts the transfer. */
static int
feed(void *ctx, const char *data, size_t len)
{
	struct req *r = ctx;

	return jstream_feed(r->js, data, len) != 0;
}

static void
add_request(struct job *j, int part, long long s, long long e,
    char *const *match, int nmatch)
{
	struct promq *pq = j->pq;
	struct req *r = xcalloc(1, sizeof(*r));
	struct buf tmp = BUF_INIT;
	const char *path;
	int i;

	r->job = j;
	r->part = part;
	r->page_seen = jv_object();
	r->skip = jv_copy(j->seen);
	r->page_max_ns = LLONG_MIN;
	if (pq->mode == M_QUERY) {
		path = query_form(j, r, s, e);
	} else {
		path = meta_path(pq, &tmp);
		for (i = 0; i < nmatch; i++)
			http_form_add(&r->form, "match[]", match[i]);
		if (pq->mode == M_TARGETS)
			http_form_add(&r->form, "state", "active");
		if ((pq->mode == M_SERIES || pq->mode == M_LABELS ||
		    pq->mode == M_LABEL_VALUES) && j->range) {
			form_time(&r->form, "start", j->start_ms);
			form_time(&r->form, "end", j->end_ms);
		}
	}
	r->url = http_url_join(pq->http.url, path);
	buf_free(&tmp);
	/* Loki documents GET only for its queries. */
	if (r->form.len > GET_MAX && !pq->loki) {
		r->rq.method = "POST";
		r->rq.content_type = "application/x-www-form-urlencoded";
		r->rq.body = r->form.p;
		r->rq.body_len = r->form.len;
	} else if (r->form.len > 0) {
		buf_printf(&tmp, "%s%c%s", r->url,
		    strchr(r->url, '?') ? '&' : '?', r->form.p);
		free(r->url);
		r->url = buf_detach(&tmp);
	}
	r->rq.url = r->url;
	r->rq.retries = -1;
	r->rq.on_data = feed;
	r->rq.ctx = r;
	r->js = jstream_new(result_split(pq), result_piece, r);
	j->inflight++;
	http_pool_add(pq->pool, &r->rq, &r->rs, on_done, r);
}

void
job_start(struct job *j)
{
	long long s, span;
	int part = 0;

	j->t0 = time_now();
	if (j->pq->mode != M_QUERY) {
		add_request(j, 0, 0, 0, j->pq->match, j->pq->nmatch);
		return;
	}
	if (!j->range || j->pq->loki) {
		j->page_start_ns = j->start_ms * 1000000;
		add_request(j, 0, j->start_ms, j->end_ms, NULL, 0);
		return;
	}
	span = (long long)(CHUNK_POINTS - 1) * j->step_ms;
	for (s = j->start_ms; s <= j->end_ms; s += span + j->step_ms)
		add_request(j, part++, s,
		    s + span < j->end_ms ? s + span : j->end_ms, NULL, 0);
	j->nparts = part;
}

static void
req_free(struct req *r)
{
	jstream_free(r->js);
	free(r->url);
	buf_free(&r->form);
	buf_free(&r->scalar);
	buf_free(&r->rec);
	free(r->error);
	free(r->error_type);
	free(r->error_text);
	free(r->result_type);
	buf_free(&r->vals);
	buf_free(&r->hists);
	jv_free(r->page_seen);
	jv_free(r->skip);
	loki_lines_free(r);
	http_response_free(&r->rs);
	free(r);
}

static void
job_done(struct job *j)
{
	if (j->st != NULL && j->status == 0)
		stitch_emit(j);
	j->ms = (time_now() - j->t0) * 1000;
	j->done = 1;
}

/* The splitter's complaint, with what came back (an HTML page?). */
static void
not_json(struct req *r, const struct http_request *rq,
    const struct http_response *rs)
{
	char *d = http_describe_body(rq, rs, jstream_error(r->js));

	req_fail(r, EXIT_UPSTREAM, "%s", d);
	free(d);
}

static void
on_done(void *ctx, const struct http_request *rq, struct http_response *rs)
{
	struct req *r = ctx;
	struct job *j = r->job;
	char *d;

	switch (rs->rc) {
	case HTTP_OK:
		if (r->error == NULL && jstream_finish(r->js) != 0)
			not_json(r, rq, rs);
		if (r->error == NULL)
			result_finish(r);
		break;
	case HTTP_ESTATUS:
		result_error_body(r);
		break;
	case HTTP_EABORTED:
		if (r->error == NULL)
			not_json(r, rq, rs);
		break;
	default:
		d = http_describe(rq, rs);
		req_fail(r, EXIT_UPSTREAM, "%s", d);
		free(d);
		break;
	}
	if (r->error != NULL) {
		if (j->query)
			msg_warn("'%s': %s", j->query, r->error);
		else
			msg_warn("%s", r->error);
		if (r->error_status > j->status)
			j->status = r->error_status;
		j->more = 0;
	}
	j->inflight--;
	req_free(r);
	if (j->more && j->status == 0) {
		j->more = 0;
		loki_next_page(j);
		return;
	}
	if (j->inflight == 0)
		job_done(j);
}

void
loki_request(struct job *j, int part)
{
	add_request(j, part, j->start_ms, j->end_ms, NULL, 0);
}
