/* result.c — turning streamed response pieces into records.
 *
 * The splitter (jstream) hands over one element of data.result at a time.
 * A series element's "values" go through series_transcode, the fast path
 * from [t,"v"] to [t,v]; only its labels and rare fields go through jv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "promq.h"
#include "series.h"

const char *
result_split(const struct promq *pq)
{
	switch (pq->mode) {
	case M_SERIES:
	case M_LABELS:
	case M_LABEL_VALUES:
		return "data";
	case M_ALERTS:
		return "data.alerts";
	case M_RULES:
		return "data.groups";
	case M_TARGETS:
		return "data.activeTargets";
	default:
		return "data.result";
	}
}

/* Starts a record with the job's query and context fields. */
static void
rec_open(struct buf *b, const struct job *j)
{
	buf_reset(b);
	buf_add(b, j->prefix.p, j->prefix.len);
}

/* Adds '"key":' after a comma when the record already has members. */
static void
rec_key(struct buf *b, const char *key)
{
	if (b->len > 1)
		buf_addc(b, ',');
	buf_printf(b, "\"%s\":", key);
}

static void
rec_close(struct buf *b, struct job *j)
{
	buf_adds(b, "}\n");
	out_record(j, b->p, b->len);
}

/* Parses a piece as JSON; jv_invalid() (already reported) if it is not. */
static jv
piece_jv(struct req *r, const char *text, size_t len)
{
	jv v = jv_parse_sized(text, (int)len);

	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		/* jq quotes the whole offending text: a line, not megabytes */
		req_fail(r, EXIT_UPSTREAM, "invalid response: %.200s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
		    "not JSON");
		jv_free(msg);
		return jv_invalid();
	}
	return v;
}

/* Appends a piece, checked and made compact. */
static int
add_value(struct req *r, struct buf *b, const char *text, size_t len)
{
	jv v = piece_jv(r, text, len);

	if (!jv_is_valid(v))
		return -1;
	jsonl_dump(b, v);
	return 0;
}

static int
add_piece(struct req *r, struct buf *b, const char *key, const char *text,
    size_t len)
{
	rec_key(b, key);
	return add_value(r, b, text, len);
}

/* "[…]" without its brackets, for stitching arrays together. */
static void
inner(const struct buf *b, const char **p, size_t *len)
{
	*p = b->len >= 2 ? b->p + 1 : "";
	*len = b->len >= 2 ? b->len - 2 : 0;
}

/* Samples of one series element straight from the text into r->vals. */
static const char *
series_samples(struct req *r, const struct jmember *m, const char *end,
    int instant)
{
	const char *err = NULL, *q;
	size_t count;
	double first, last;

	q = series_transcode(&r->vals, m->val, end, instant, &count, &first,
	    &last, &err);
	if (q == NULL)
		req_fail(r, EXIT_UPSTREAM, "invalid response: field '%s': %s",
		    instant ? "value" : "values", err);
	return q;
}

/*
 * One member of a series element (its value not yet scanned). Returns
 * where the value ends, or NULL after req_fail.
 */
static const char *
series_member(struct req *r, struct jmember *m, const char *end,
    struct buf *extra, jv *metric)
{
	const char *q;

	if (jmember_is(m, "value") || jmember_is(m, "values"))
		return series_samples(r, m, end, jmember_is(m, "value"));
	if ((q = jvalue_end(m->val, end)) == NULL || q == m->val) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a malformed result");
		return NULL;
	}
	m->vlen = (size_t)(q - m->val);
	if (jmember_is(m, "metric")) {
		jv_free(*metric);
		*metric = piece_jv(r, m->val, m->vlen);
		if (jv_get_kind(*metric) != JV_KIND_OBJECT) {
			req_fail(r, EXIT_UPSTREAM,
			    "invalid response: field 'metric' is not an object");
			return NULL;
		}
		return q;
	}
	if (jmember_is(m, "histograms") || jmember_is(m, "histogram")) {
		jv h = piece_jv(r, m->val, m->vlen);
		r->hist_instant = jmember_is(m, "histogram");
		if (!jv_is_valid(h))
			return NULL;
		jsonl_dump(&r->hists, h);
		return q;
	}
	/* anything else passes through */
	buf_addc(extra, ',');
	buf_add(extra, m->key - 1, m->klen + 2);
	buf_addc(extra, ':');
	return add_value(r, extra, m->val, m->vlen) == 0 ? q : NULL;
}

/* The members a series result is made of, each at most once. */
static const char *const series_keys[] = {
	"metric", "value", "values", "histogram", "histograms", NULL
};
enum { K_VALUE = 1 << 1, K_VALUES = 1 << 2, K_HIST = 1 << 3,
	K_HISTS = 1 << 4 };

/* A key with escapes, decoded ("a\u0062" is "ab" to any JSON reader). */
static jv
decoded_key(const struct jmember *m)
{
	return jv_parse_sized(m->key - 1, (int)m->klen + 2);
}

/* Another member: once, and not named like one of the record's own
 * fields (the query, the request's context, "ms"). Borrows key. */
static int
check_other(struct req *r, jv key, jv *seen)
{
	const char *k = jv_string_value(key);

	if (jv_object_has(jv_copy(*seen), jv_copy(key))) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a result has "
		    "field '%.100s' twice", k);
		return -1;
	}
	if (jv_object_has(jv_copy(r->job->keys), jv_copy(key))) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a result has a "
		    "field '%.100s', which the record has already", k);
		return -1;
	}
	*seen = jv_object_set(*seen, jv_copy(key), jv_true());
	return 0;
}

/*
 * The record made of a result must be JSON with unique keys: each key
 * once, "value" or "values" (and "histogram" or "histograms") but not
 * both, nothing named like the record's own fields. Anything else is a
 * malformed answer. The common members cost a comparison, not a jv.
 * 0, or -1 after req_fail.
 */
static int
check_member(struct req *r, const struct jmember *m, unsigned *have,
    jv *seen)
{
	jv key = jv_invalid();
	const char *k = m->key, *pair = NULL;
	size_t klen = m->klen, i;
	unsigned bit;
	int rc = -1;

	if (memchr(m->key, '\\', m->klen) != NULL) {
		if (jv_get_kind(key = decoded_key(m)) != JV_KIND_STRING) {
			req_fail(r, EXIT_UPSTREAM, "invalid response: a result "
			    "has a malformed key");
			goto out;
		}
		k = jv_string_value(key);
		klen = (size_t)jv_string_length_bytes(jv_copy(key));
	}
	for (i = 0; series_keys[i] && !(strlen(series_keys[i]) == klen &&
	    memcmp(series_keys[i], k, klen) == 0); i++)
		;
	if (series_keys[i] == NULL) {
		if (!jv_is_valid(key))
			key = jv_string_sized(k, (int)klen);
		rc = check_other(r, key, seen);
		goto out;
	}
	bit = 1u << i;
	if (*have & bit) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a result has "
		    "field '%s' twice", series_keys[i]);
		goto out;
	}
	*have |= bit;
	if ((*have & (K_VALUE | K_VALUES)) == (K_VALUE | K_VALUES))
		pair = "'value' and 'values'";
	else if ((*have & (K_HIST | K_HISTS)) == (K_HIST | K_HISTS))
		pair = "'histogram' and 'histograms'";
	if (pair != NULL) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a result has "
		    "both %s", pair);
		goto out;
	}
	rc = 0;
out:
	jv_free(key);
	return rc;
}

int
result_series(struct req *r, const char *text, size_t len)
{
	struct job *j = r->job;
	struct jobj_iter it;
	struct jmember m;
	struct buf extra = BUF_INIT;
	struct buf *b = &r->rec;
	jv metric = jv_object(), seen = jv_object();
	unsigned have = 0;
	int rc, instant = 0, has_vals = 0;
	const char *vp, *hp, *after;
	size_t vl, hl;

	buf_reset(&r->vals);
	buf_reset(&r->hists);
	if (jobj_begin(&it, text, len) != 0) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a result is not "
		    "an object");
		rc = -1;
		goto out;
	}
	while ((rc = jobj_next_key(&it, &m)) == 1) {
		if (check_member(r, &m, &have, &seen) != 0) {
			rc = -1;
			goto out;
		}
		instant |= jmember_is(&m, "value");
		has_vals |= jmember_is(&m, "value") || jmember_is(&m, "values");
		if ((after = series_member(r, &m, it.end, &extra, &metric)) ==
		    NULL) {
			rc = -1;
			goto out;
		}
		jobj_skip_to(&it, after);
	}
	if (rc < 0) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: a malformed result");
		goto out;
	}
	rec_open(b, j);
	rec_key(b, "metric");
	jsonl_dump(b, jv_copy(metric));
	if (extra.len > 0)
		buf_add(b, extra.p, extra.len);
	if (j->st != NULL || j->nparts > 1) {
		inner(&r->vals, &vp, &vl);
		inner(&r->hists, &hp, &hl);
		stitch_add(j, r->part, jv_copy(metric), b->p, b->len,
		    has_vals ? vp : NULL, vl, r->hists.len ? hp : NULL, hl);
		goto out;
	}
	if (has_vals) {
		rec_key(b, instant ? "value" : "values");
		buf_add(b, r->vals.p, r->vals.len);
	}
	if (r->hists.len > 0) {
		rec_key(b, r->hist_instant ? "histogram" : "histograms");
		buf_add(b, r->hists.p, r->hists.len);
	}
	rec_close(b, j);
	rc = 0;
out:
	jv_free(metric);
	jv_free(seen);
	buf_free(&extra);
	return rc < 0 ? -1 : 0;
}

/* A target that is down is the finding --targets reports: exit 1. */
static void
target_health(struct job *j, jv t)
{
	const char *health = jv_get_str(t, "health");
	const char *url = jv_get_str(t, "scrapeUrl");
	const char *err = jv_get_str(t, "lastError");

	if (health == NULL || strcmp(health, "down") != 0)
		return;
	msg_warn("target '%s' is down: %s", url ? url : "?",
	    err && *err ? err : "no error given");
	if (j->status < EXIT_FINDING)
		j->status = EXIT_FINDING;
}

/* One element of a metadata answer. */
static int
meta_element(struct req *r, const char *text, size_t len)
{
	struct job *j = r->job;
	struct buf *b = &r->rec;
	jv v, rules, name, file;

	rec_open(b, j);
	switch (j->pq->mode) {
	case M_SERIES:
		if (add_piece(r, b, "metric", text, len) != 0)
			return -1;
		break;
	case M_LABELS:
		if (add_piece(r, b, "label", text, len) != 0)
			return -1;
		break;
	case M_LABEL_VALUES:
		rec_key(b, "label");
		jsonl_dump(b, jv_string(j->pq->label));
		if (add_piece(r, b, "value", text, len) != 0)
			return -1;
		break;
	case M_RULES:
		/* one record per rule, with its group's name and file */
		if (!jv_is_valid(v = piece_jv(r, text, len)))
			return -1;
		rules = jv_object_get(jv_copy(v), jv_string("rules"));
		name = jv_object_get(jv_copy(v), jv_string("name"));
		file = jv_object_get(v, jv_string("file"));
		if (jv_get_kind(rules) == JV_KIND_ARRAY) {
			jv_array_foreach(rules, i, rule) {
				rule = jv_object_set(rule, jv_string("group"),
				    jv_copy(name));
				rule = jv_object_set(rule, jv_string("file"),
				    jv_copy(file));
				buf_reset(b);
				jsonl_dump(b, rule);
				buf_addc(b, '\n');
				out_record(j, b->p, b->len);
			}
		}
		jv_free(rules);
		jv_free(name);
		jv_free(file);
		return 0;
	default:		/* alerts and targets: as they are */
		if (!jv_is_valid(v = piece_jv(r, text, len)))
			return -1;
		if (j->pq->mode == M_TARGETS)
			target_health(j, v);
		buf_reset(b);
		jsonl_dump(b, v);
		buf_addc(b, '\n');
		out_record(j, b->p, b->len);
		return 0;
	}
	rec_close(b, j);
	return 0;
}

/* Prints warnings and infos: ["text", …]. */
static void
notes(struct req *r, const char *what, const char *text, size_t len)
{
	jv v = jv_parse_sized(text, (int)len);

	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, w) {
			if (jv_get_kind(w) == JV_KIND_STRING)
				msg_warn("%s: '%s': %s", what,
				    r->job->query ? r->job->query : "",
				    jv_string_value(w));
			jv_free(w);
		}
	}
	jv_free(v);
}

static char *
piece_string(const char *text, size_t len)
{
	jv v = jv_parse_sized(text, (int)len);
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		s = xstrdup(jv_string_value(v));
	jv_free(v);
	return s;
}

static int
is_path(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

int
result_piece(void *ctx, const char *path, const char *text, size_t len)
{
	struct req *r = ctx;
	size_t pl = strlen(path);

	if (pl > 2 && strcmp(path + pl - 2, "[]") == 0) {
		if (r->job->pq->mode != M_QUERY)
			return meta_element(r, text, len) != 0;
		if (text[0] != '{') {
			/* a scalar or string result: [t, "v"] */
			if (r->scalar.len > 0)
				buf_addc(&r->scalar, ',');
			buf_add(&r->scalar, text, len);
			return 0;
		}
		if (r->job->pq->loki && r->result_type != NULL &&
		    strcmp(r->result_type, "streams") == 0)
			return loki_stream(r, text, len) != 0;
		return result_series(r, text, len) != 0;
	}
	if (is_path(path, "status")) {
		r->status_error = len == 7 && memcmp(text, "\"error\"", 7) == 0;
		r->status_ok = len == 9 && memcmp(text, "\"success\"", 9) == 0;
	} else if (is_path(path, "errorType")) {
		free(r->error_type);
		r->error_type = piece_string(text, len);
	} else if (is_path(path, "error")) {
		free(r->error_text);
		r->error_text = piece_string(text, len);
	} else if (is_path(path, "warnings")) {
		notes(r, "warning", text, len);
	} else if (is_path(path, "infos")) {
		notes(r, "info", text, len);
	} else if (is_path(path, "data.resultType")) {
		free(r->result_type);
		r->result_type = piece_string(text, len);
	}
	return 0;
}

/* A scalar or string result becomes one record. */
static void
scalar_record(struct req *r)
{
	struct buf *b = &r->rec;
	const char *err = NULL;
	size_t count;
	double first, last;
	int is_string = r->result_type && strcmp(r->result_type, "string") == 0;

	buf_reset(&r->vals);
	buf_addc(&r->scalar, ']');
	buf_add(&r->vals, "[", 1);
	buf_add(&r->vals, r->scalar.p, r->scalar.len);
	rec_open(b, r->job);
	rec_key(b, "metric");
	buf_adds(b, "{}");
	rec_key(b, "value");
	if (is_string) {
		if (add_value(r, b, r->vals.p, r->vals.len) != 0)
			return;
	} else {
		struct buf t = BUF_INIT;
		if (series_transcode(&t, r->vals.p, r->vals.p + r->vals.len, 1,
		    &count, &first, &last, &err) == NULL) {
			req_fail(r, EXIT_UPSTREAM, "invalid response: "
			    "scalar result: %s", err);
			buf_free(&t);
			return;
		}
		buf_add(b, t.p, t.len);
		buf_free(&t);
	}
	rec_close(b, r->job);
}

void
result_finish(struct req *r)
{
	if (r->status_error) {
		req_fail(r, r->error_type && strcmp(r->error_type, "bad_data")
		    == 0 ? EXIT_USAGE : EXIT_UPSTREAM, "%s: %s",
		    r->error_type ? r->error_type : "error",
		    r->error_text ? r->error_text : "no message");
		return;
	}
	/* Every API answer says "status":"success"; "{}" or a proxy's own
	 * JSON must not pass as an empty result. */
	if (!r->status_ok) {
		req_fail(r, EXIT_UPSTREAM, "invalid response: no "
		    "\"status\":\"success\"");
		return;
	}
	if (r->scalar.len > 0)
		scalar_record(r);
	if (r->job->pq->loki && r->error == NULL)
		loki_page_done(r);
}

/*
 * A non-2xx answer: Prometheus says {"status":"error","errorType":…,
 * "error":…}; Loki says plain text. A bad query (bad_data, or 400 from
 * Loki) is the caller's fault: exit 2. Anything else is the server's: 3.
 */
void
result_error_body(struct req *r)
{
	const struct http_response *rs = &r->rs;
	jv v = jv_parse_sized(rs->body.p ? rs->body.p : "", (int)rs->body.len);
	const char *type = NULL, *text = NULL;
	char *d;

	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		type = jv_get_str(v, "errorType");
		text = jv_get_str(v, "error");
	}
	if (type != NULL && text != NULL) {
		char n[48] = "";
		if (rs->attempts > 1)
			snprintf(n, sizeof(n), ", after %d attempts",
			    rs->attempts);
		req_fail(r, strcmp(type, "bad_data") == 0 ? EXIT_USAGE :
		    EXIT_UPSTREAM, "%s: %s (HTTP %ld%s)", type, text, rs->status,
		    n);
	} else {
		d = http_describe(&r->rq, rs);
		req_fail(r, r->job->pq->loki && rs->status == 400 ? EXIT_USAGE :
		    EXIT_UPSTREAM, "%s", d);
		free(d);
	}
	jv_free(v);
}
