/* forge.c — requests to GitHub or GitLab: JSON in and out, rate limits
 * waited out (announced, bounded by --timeout), errors worded once. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "msg.h"
#include "prpost.h"

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct curl_slist *
forge_headers(enum forge_kind kind)
{
	struct curl_slist *l = NULL;

	if (kind != FORGE_GITHUB)
		return NULL;
	/* The media type and API version GitHub's documentation asks for. */
	l = curl_slist_append(l, "Accept: application/vnd.github+json");
	if (l == NULL || curl_slist_append(l, "X-GitHub-Api-Version: "
	    "2022-11-28") == NULL)
		msg_oom();
	return l;
}

void
forge_begin(struct forge *f)
{
	f->deadline = f->timeout > 0 ? now_mono() + f->timeout : 0;
}

void
forge_open(struct forge *f)
{
	struct curl_slist *h = forge_headers(f->kind), *l;

	/* Connections are kept between the calls of one post. */
	f->pool = http_pool_new(&f->http, 8);
	forge_begin(f);
	for (l = h; l != NULL; l = l->next)
		if ((f->http.headers = curl_slist_append(f->http.headers,
		    l->data)) == NULL)
			msg_oom();
	curl_slist_free_all(h);
}

void
forge_close(struct forge *f)
{
	http_pool_free(f->pool);
	f->pool = NULL;
	http_conf_free(&f->http);
}

void
url_encode(struct buf *b, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch) != NULL ||
		    (keep != NULL && strchr(keep, ch) != NULL && ch != 0)) {
			buf_addc(b, (char)ch);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[ch >> 4]);
			buf_addc(b, hex[ch & 15]);
		}
	}
}

/* ---- rate limits ------------------------------------------------------ */

static double
seconds(const char *s)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtod(s, &end);
	return *end == '\0' && v >= 0 && isfinite(v) ? v : -1;
}

/* A minute, doubling with each attempt, as GitHub asks for when it
 * gives no time; at most an hour. */
static double
minute_backoff(int attempt)
{
	double w = 60;

	for (int i = 1; i < attempt && w < 3600; i++)
		w *= 2;
	return w < 3600 ? w : 3600;
}

double
rate_limit_wait(enum forge_kind kind, long status, int says_limit,
    const char *remaining, const char *reset, const char *retry_after,
    int attempt, time_t now, const char **why)
{
	double ra = seconds(retry_after), at = seconds(reset);

	if (kind == FORGE_GITLAB) {
		if (status != 429)
			return -1;
		*why = "GitLab rate limit";
		return ra >= 0 ? ra : minute_backoff(attempt);
	}
	if (status != 403 && status != 429)
		return -1;
	if (remaining != NULL && strcmp(remaining, "0") == 0 && at >= 0 &&
	    ra < 0) {
		*why = "GitHub primary rate limit";
		/* a second past the reset: our clock may be behind */
		return at > (double)now ? at - (double)now + 1 : 1;
	}
	if (ra >= 0) {
		*why = "GitHub secondary rate limit";
		return ra;
	}
	if (status == 429 || says_limit) {
		*why = "GitHub secondary rate limit";
		return minute_backoff(attempt);
	}
	return -1;		/* a plain 403: permissions */
}

static double
rate_wait(void *ctx, const struct http_response *rs)
{
	struct forge *f = ctx;
	char *rem = http_header(rs, "x-ratelimit-remaining");
	char *reset = http_header(rs, "x-ratelimit-reset");
	char *ra = http_header(rs, "retry-after");
	int says = rs->body.p != NULL && strstr(rs->body.p, "rate limit");
	const char *why = NULL;
	double w;

	w = rate_limit_wait(f->kind, rs->status, says, rem, reset, ra,
	    rs->attempts, time(NULL), &why);
	free(rem);
	free(reset);
	free(ra);
	if (w < 0)
		return HTTP_RETRY_DEFAULT;
	if (w > f->http.retry_max)
		w = f->http.retry_max;
	if (f->deadline > 0 && now_mono() + w > f->deadline) {
		msg_warn("%s: the wait of %.0f s would pass --timeout; giving "
		    "up", why, ceil(w));
		return HTTP_RETRY_NEVER;
	}
	msg_warn("%s (HTTP %ld): waiting %.0f s before trying again", why,
	    rs->status, ceil(w));
	return w;
}

/* ---- calls ------------------------------------------------------------ */

/* GitHub: {"message","errors":[{"message"}|{"field","code"}]}; GitLab:
 * {"message": text | [texts] | {field: [texts]}} or {"error": text}. */
static void
add_messages(struct buf *b, jv v)
{
	jv_kind k = jv_get_kind(v);

	if (k == JV_KIND_STRING) {
		if (b->len > 0)
			buf_adds(b, "; ");
		buf_adds(b, jv_string_value(v));
	} else if (k == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, x)
			add_messages(b, x);
	} else if (k == JV_KIND_OBJECT) {
		const char *field = jv_get_str(v, "field");
		const char *code = jv_get_str(v, "code");
		size_t before = b->len;

		add_messages(b, jv_object_get(jv_copy(v), jv_string("message")));
		add_messages(b, jv_object_get(jv_copy(v), jv_string("error")));
		add_messages(b, jv_object_get(jv_copy(v), jv_string("errors")));
		if (b->len == before && field != NULL && code != NULL) {
			buf_printf(b, "%s%s %s", b->len ? "; " : "", field, code);
		} else if (b->len == before) {
			/* GitLab's {"title": ["is too long"]} */
			jv_object_foreach(v, key, val) {
				struct buf sub = BUF_INIT;

				add_messages(&sub, val);
				if (sub.len > 0)
					buf_printf(b, "%s%s %s", b->len ? "; " :
					    "", jv_string_value(key), sub.p);
				buf_free(&sub);
				jv_free(key);
			}
		}
	}
	jv_free(v);
}

static char *
error_text(const struct http_request *rq, const struct http_response *rs)
{
	struct buf b = BUF_INIT;
	jv v;

	if (rs->rc == HTTP_ESTATUS && rs->body.len > 0) {
		v = jsonl_parse(rs->body.p, rs->body.len);
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			add_messages(&b, v);
		else
			jv_free(v);
		if (b.len > 0)
			return buf_detach(&b);
		buf_free(&b);
	}
	return http_describe(rq, rs);
}

static struct http_request
make_request(struct forge *f, const char *method, const char *url)
{
	struct http_request rq = { .method = method, .url = url,
	    .retries = -1, .retry_wait = rate_wait, .ctx = f };

	return rq;
}

long
forge_call(struct forge *f, const char *method, const char *path, jv body,
    jv *out, char **err)
{
	char *url = http_url_join(f->http.url, path);
	struct http_request rq = make_request(f, method, url);
	struct http_response rs = { 0 };
	char *text = NULL;
	long status;

	*out = jv_null();
	if (err != NULL)
		*err = NULL;
	if (jv_is_valid(body)) {
		jv s = jv_dump_string(body, 0);

		text = xstrdup(jv_string_value(s));
		jv_free(s);
		rq.body = text;
		rq.body_len = strlen(text);
		rq.content_type = "application/json";
	} else {
		jv_free(body);
	}
	http_pool_do(f->pool, &rq, &rs);
	f->sent += (unsigned long)rs.attempts;
	status = rs.rc == HTTP_ETRANSPORT || rs.rc == HTTP_ETOOBIG ? 0 :
	    rs.status;
	if (rs.rc == HTTP_OK) {
		if (rs.body.len > 0) {
			*out = jsonl_parse(rs.body.p, rs.body.len);
			if (!jv_is_valid(*out)) {
				jv_free(*out);
				*out = jv_null();
				if (err != NULL)
					*err = xstrdup("the answer is not JSON");
				status = 0;
			}
		}
	} else if (err != NULL) {
		*err = error_text(&rq, &rs);
	}
	http_response_free(&rs);
	free(text);
	free(url);
	return status;
}

long
forge_callp(struct forge *f, const char *method, char *path, jv body,
    jv *out, char **err)
{
	long st = forge_call(f, method, path, body, out, err);

	free(path);
	return st;
}

char *
jv_str_at(jv v, const char *a, const char *b)
{
	jv x = jv_object_get(jv_copy(v), jv_string(a));
	char *out = NULL;

	if (b != NULL && jv_get_kind(x) == JV_KIND_OBJECT)
		x = jv_object_get(x, jv_string(b));
	if (jv_get_kind(x) == JV_KIND_STRING)
		out = xstrdup(jv_string_value(x));
	jv_free(x);
	return out;
}

int
forge_diverged(const struct change *c)
{
	msg_warn("branch '%s' in '%s' has commits that do not hold this "
	    "change; not overwriting it (delete it, or name another with "
	    "--branch)", c->branch, c->repo);
	return EXIT_FINDING;
}

struct many {
	long *status;
	unsigned long *sent;
};

static void
many_done(void *ctx, const struct http_request *rq, struct http_response *rs)
{
	struct many *m = ctx;

	(void)rq;
	*m->sent += (unsigned long)rs->attempts;
}

void
forge_call_many(struct forge *f, const char *method, char **paths, size_t n,
    long *status, struct http_response *rs)
{
	struct http_request *rq = xcalloc(n ? n : 1, sizeof *rq);
	char **urls = xcalloc(n ? n : 1, sizeof *urls);
	struct many m = { status, &f->sent };

	for (size_t i = 0; i < n; i++) {
		urls[i] = http_url_join(f->http.url, paths[i]);
		rq[i] = make_request(f, method, urls[i]);
		memset(&rs[i], 0, sizeof rs[i]);
		http_pool_add(f->pool, &rq[i], &rs[i], many_done, &m);
	}
	while (http_pool_pending(f->pool) > 0)
		http_pool_run(f->pool);
	for (size_t i = 0; i < n; i++) {
		status[i] = rs[i].rc == HTTP_OK || rs[i].rc == HTTP_ESTATUS ?
		    rs[i].status : 0;
		free(urls[i]);
	}
	free(urls);
	free(rq);
}

void
forge_show(struct forge *f, const char *method, const char *path, jv body)
{
	char *url = http_url_join(f->http.url, path), *red;
	jv rec = jv_object(), h = jv_object();
	struct curl_slist *l;

	red = http_url_redact(url);
	if (f->http.token != NULL || f->http.user != NULL)
		h = jv_object_set(h, jv_string("Authorization"),
		    jv_string(f->http.user ? "Basic <redacted>" :
		    "Bearer <redacted>"));
	/* Extra headers may carry a secret of their own (PRIVATE-TOKEN). */
	for (l = f->http.headers; l != NULL; l = l->next) {
		const char *colon = strchr(l->data, ':'), *value;
		int ours = strncmp(l->data, "Accept:", 7) == 0 ||
		    strncmp(l->data, "X-GitHub-Api-Version:", 21) == 0;

		if (colon == NULL)
			continue;
		value = colon + 1 + strspn(colon + 1, " \t");	/* may be "" */
		h = jv_object_set(h, jv_string_sized(l->data,
		    (int)(colon - l->data)), jv_string(ours ? value :
		    "<redacted>"));
	}
	rec = jv_object_set(rec, jv_string("method"), jv_string(method));
	rec = jv_object_set(rec, jv_string("url"), jv_string(red));
	rec = jv_object_set(rec, jv_string("headers"), h);
	if (jv_is_valid(body))
		rec = jv_object_set(rec, jv_string("body"), body);
	else
		jv_free(body);
	if (jsonl_write(stdout, rec) != 0)
		msg_die(EXIT_LOCAL, "cannot write to stdout");
	free(red);
	free(url);
}

int
forge_fail(struct forge *f, const char *what, long status, const char *err)
{
	const char *hint = "";

	if (status == 401)
		hint = f->kind == FORGE_GITHUB ?
		    " (check --token, --token-file, GITHUB_TOKEN or GH_TOKEN)" :
		    " (check --token, --token-file or GITLAB_TOKEN)";
	msg_warn("%s: %s%s", what, err ? err : "request failed", hint);
	switch (status) {
	case 400: case 404: case 409: case 422:
		return EXIT_USAGE;
	default:
		return EXIT_UPSTREAM;
	}
}

jv
file_record(const char *repo, const char *ref, const char *path,
    const char *data, size_t len, const char *sha)
{
	jv o = JV_OBJECT(jv_string("repo"), jv_string(repo),
	    jv_string("ref"), jv_string(ref), jv_string("path"),
	    jv_string(path));
	char *b64;

	if (is_text(data, len)) {
		o = jv_object_set(o, jv_string("content"),
		    jv_string_sized(data, (int)len));
	} else {
		b64 = b64_encode(data, len);
		o = jv_object_set(o, jv_string("content"), jv_string(b64));
		o = jv_object_set(o, jv_string("encoding"),
		    jv_string("base64"));
		free(b64);
	}
	return jv_object_set(o, jv_string("sha"), sha ? jv_string(sha) :
	    jv_null());
}

jv
result_json(const struct result *r)
{
	jv o = jv_object();

	o = jv_object_set(o, jv_string("url"), r->url ? jv_string(r->url) :
	    jv_null());
	o = jv_object_set(o, jv_string("number"), r->number ?
	    jv_number((double)r->number) : jv_null());
	o = jv_object_set(o, jv_string("created"), jv_bool(r->created));
	o = jv_object_set(o, jv_string("branch"), r->branch ?
	    jv_string(r->branch) : jv_null());
	o = jv_object_set(o, jv_string("commit"), r->commit ?
	    jv_string(r->commit) : jv_null());
	if (r->unchanged)
		o = jv_object_set(o, jv_string("unchanged"), jv_true());
	return o;
}

void
result_free(struct result *r)
{
	free(r->url);
	free(r->branch);
	free(r->commit);
	memset(r, 0, sizeof *r);
}
