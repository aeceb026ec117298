/* request.c — request records read with "promq -": one JSON object per
 * line, its query, its own times, and context fields copied into every
 * record the query gives.
 *
 *   {"query":"count(up)","time":1795324725,"panel":7}
 *
 * Context fields must not be named like the fields promq writes: a record
 * with two "metric" keys is ambiguous JSON, and statz would refuse it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "promq.h"
#include "timeutil.h"

static const char *const request_keys[] = {
	"query", "time", "since", "minutes", "start", "end", "step", NULL
};

/* A time field: a Unix time number or a time string. -1 if invalid. */
static int
field_time(jv rec, const char *key, double now, double *out, int *has)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(key));
	int rc = 0;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*out = jv_number_value(v);
		*has = 1;
	} else if (jv_get_kind(v) == JV_KIND_STRING) {
		rc = time_parse(jv_string_value(v), now, out);
		*has = rc == 0;
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		rc = -1;
	}
	jv_free(v);
	return rc;
}

/* A duration field: seconds as a number, or "30m". */
static int
field_dur(jv rec, const char *key, double *out, int *has)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(key));
	int rc = 0;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*out = jv_number_value(v);
		*has = 1;
		rc = *out > 0 ? 0 : -1;
	} else if (jv_get_kind(v) == JV_KIND_STRING) {
		rc = dur_parse(jv_string_value(v), out);
		*has = rc == 0;
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		rc = -1;
	}
	jv_free(v);
	return rc;
}

#define BAD_FIELD(f) "field '" f "' is not a valid time or duration"

/* "minutes": a count, as a number or digits; "5m" would be read as 300
 * minutes by field_dur. */
static int
field_minutes(jv rec, double *out, int *has)
{
	jv v = jv_object_get(jv_copy(rec), jv_string("minutes"));
	const char *s;
	int unit = 0;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		s = jv_string_value(v);
		unit = strspn(s, "0123456789.") != strlen(s);
	}
	jv_free(v);
	if (unit)
		return -1;
	return field_dur(rec, "minutes", out, has);
}

/* The request's own times override the command line's. Returns NULL or
 * what is wrong with the record. */
static const char *
request_when(jv rec, const struct promq *pq, struct when *w)
{
	struct when r = { 0 };
	double min = 0;
	int has_min = 0;

	if (field_time(rec, "time", pq->now, &r.time, &r.has_time))
		return BAD_FIELD("time");
	if (field_dur(rec, "since", &r.since, &r.has_since))
		return BAD_FIELD("since");
	if (field_minutes(rec, &min, &has_min))
		return BAD_FIELD("minutes");
	if (field_time(rec, "start", pq->now, &r.start, &r.has_start))
		return BAD_FIELD("start");
	if (field_time(rec, "end", pq->now, &r.end, &r.has_end))
		return BAD_FIELD("end");
	if (field_dur(rec, "step", &r.step, &r.has_step))
		return BAD_FIELD("step");
	/* the same combinations check_usage refuses on the command line */
	if (r.has_time + r.has_since + has_min + r.has_start > 1)
		return "fields 'time', 'since', 'minutes' and 'start' exclude "
		    "each other";
	if (has_min) {
		r.since = min * 60;
		r.has_since = 1;
	}
	*w = pq->when;
	if (r.has_time || r.has_since || r.has_start) {
		w->has_time = w->has_since = w->has_start = 0;
		w->has_end = w->has_step = 0;
	}
#define TAKE(f) if (r.has_##f) { w->has_##f = 1; w->f = r.f; }
	TAKE(time) TAKE(since) TAKE(start) TAKE(end) TAKE(step)
#undef TAKE
	return NULL;
}

/* The fields promq writes into records ("ms" only with --stats). */
static const char *const output_keys[] = {
	"metric", "value", "values", "histogram", "histograms", "stream",
	"ts", "line", NULL
};

/* A context field named like an output field, or NULL. Borrows ctx. */
static const char *
clashing_field(const struct promq *pq, jv ctx)
{
	const char *const *k;

	for (k = output_keys; *k; k++)
		if (jv_object_has(jv_copy(ctx), jv_string(*k)))
			return *k;
	if (pq->stats && jv_object_has(jv_copy(ctx), jv_string("ms")))
		return "ms";
	return NULL;
}

struct job *
request_job(struct promq *pq, struct jsonl *in, jv rec)
{
	const char *q, *bad, *const *k;
	struct when w;
	struct job *j;
	char *err;
	jv ctx;

	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jsonl_warn(in, "a request is a JSON object, not %s",
		    jv_kind_name(jv_get_kind(rec)));
		jv_free(rec);
		return NULL;
	}
	if ((q = jv_get_str(rec, "query")) == NULL) {
		jsonl_warn(in, "field 'query' is missing or not a string");
		jv_free(rec);
		return NULL;
	}
	if ((bad = request_when(rec, pq, &w)) != NULL) {
		jsonl_warn(in, "%s", bad);
		jv_free(rec);
		return NULL;
	}
	ctx = jv_copy(rec);
	for (k = request_keys; *k; k++)
		ctx = jv_object_delete(ctx, jv_string(*k));
	if ((bad = clashing_field(pq, ctx)) != NULL) {
		jsonl_warn(in, "field '%s' is a field promq writes; rename it "
		    "(a record cannot hold it twice)", bad);
		jv_free(ctx);
		jv_free(rec);
		return NULL;
	}
	j = job_new(pq, q, ctx);
	jv_free(rec);
	if (job_set_when(j, &w, &err) != 0) {
		jsonl_warn(in, "%s", err);
		free(err);
		job_free(j);
		return NULL;
	}
	return j;
}
