/* promq.h — the pieces of promq shared between its files.
 *
 * A job is one thing the user asked for (a query, a --series call, one
 * request record from stdin). It makes one or more HTTP requests: several
 * when a long range is split into chunks or Loki is paged. Jobs run
 * concurrently through one http_pool; their records reach stdout in the
 * order the jobs were given (out.c).
 */
#ifndef PROMQ_H
#define PROMQ_H

#include <stdio.h>
#include <jv.h>

#include "buf.h"
#include "http.h"
#include "jsonl.h"
#include "jstream.h"

/* Prometheus answers at most 11,000 points per series and range query. */
#define CHUNK_POINTS 11000

enum mode {
	M_QUERY,		/* PromQL (or LogQL with --loki) */
	M_SERIES,
	M_LABELS,
	M_LABEL_VALUES,
	M_ALERTS,
	M_RULES,
	M_TARGETS
};

/* When to ask: an instant, a range, or the server's default (now). */
struct when {
	int has_time, has_since, has_start, has_end, has_step;
	double time, since, start, end, step;	/* seconds */
};

struct promq {
	struct http_conf http;
	struct http_pool *pool;
	enum mode mode;
	const char *label;	/* --label-values NAME */
	struct when when;	/* from the command line */
	char since_by;		/* 's' --since or 'm' --minutes set it */
	int jobs, stats, loki, lines;
	long long limit, batch;	/* Loki: lines in all, lines per request */
	double now;
	char *const *match;	/* --series, --labels: match[] selectors */
	int nmatch;
};

struct stitch;

struct job {
	struct promq *pq;
	struct job *next;	/* in submission order */
	char *query;
	jv ctx;			/* fields copied into every record (object) */
	struct buf prefix;	/* '{"query":…,ctx…' without the closing '}' */
	jv keys;		/* the prefix's keys, and "ms" with --stats: a
				 * result's own fields must not repeat them */
	int range;		/* query_range */
	long long start_ms, end_ms, step_ms;
	int has_time;
	long long time_ms;
	int status;		/* exit status this job asks for */
	int inflight;		/* requests not yet done */
	int done;
	int nparts;		/* chunks of a range query */
	double t0, ms;		/* for --stats */
	/* output (out.c) */
	FILE *spool;
	int direct;
	struct stitch *st;	/* chunks and pages merged per series */
	/* Loki paging (loki.c) */
	long long page_start_ns;
	long long last_ns;	/* latest timestamp emitted */
	jv seen;		/* lines emitted at last_ns: {"key\nline":count} */
	long long lines_out;
	int more;		/* another page is wanted */
	int pages;
	int burst;		/* asking one crowded nanosecond alone */
	long long burst_limit;
};

struct req {
	struct job *job;
	int part;		/* chunk or page number */
	char *url;
	struct buf form;
	struct http_request rq;
	struct http_response rs;
	struct jstream *js;
	struct buf scalar;	/* a scalar/string result's parts */
	struct buf rec;		/* scratch for one record */
	char *error;		/* from the callbacks */
	int error_status;
	char *error_type;	/* Prometheus errorType in a 2xx body */
	char *error_text;
	int status_error;	/* "status":"error" in a 2xx body */
	int status_ok;		/* "status":"success" seen */
	long long entries;	/* Loki: entries on this page */
	long long page_max_ns;
	jv page_seen;
	jv skip;		/* lines at last_ns to skip: a copy of seen */
	long long kept;		/* Loki: new entries on this page */
	long long limit;	/* Loki: the limit asked for */
	int burst;
	void *lv;		/* Loki --lines: this page's lines */
	size_t nl, lcap;
	char *result_type;	/* data.resultType */
	struct buf vals, hists;	/* one series' samples, transcoded */
	int hist_instant;	/* "histogram", not "histograms" */
};

/* job.c */
struct job *job_new(struct promq *pq, const char *query, jv ctx);
int job_set_when(struct job *j, const struct when *w, char **err);
void job_start(struct job *j);
void job_free(struct job *j);
void loki_request(struct job *j, int part);
void req_fail(struct req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* result.c: response bodies, streamed */
int result_piece(void *ctx, const char *path, const char *text, size_t len);
const char *result_split(const struct promq *pq);
void result_finish(struct req *r);
void result_error_body(struct req *r);
int result_series(struct req *r, const char *text, size_t len);

/* loki.c */
int loki_stream(struct req *r, const char *text, size_t len);
void loki_page_done(struct req *r);
void loki_next_page(struct job *j);
void loki_lines_free(struct req *r);

/* request.c: a request record (consumed) as a job, or NULL (reported) */
struct job *request_job(struct promq *pq, struct jsonl *in, jv rec);

/* sched.c: where jobs come from, and the loop that runs them */
struct source {
	struct promq *pq;
	char **args;
	int nargs, next;
	struct jsonl *in;	/* "-": request records */
};
/* Runs every job; returns the highest status any asked for. */
int sched_run(struct source *src);

/* out.c */
void out_record(struct job *j, const char *text, size_t len);
int out_head(struct job *j);
/* stitch: parts of one series from several chunks or pages */
void stitch_add(struct job *j, int part, jv key, const char *head,
    size_t head_len, const char *vals, size_t vals_len, const char *hists,
    size_t hists_len);
void stitch_emit(struct job *j);
void stitch_free(struct stitch *st);

#endif
