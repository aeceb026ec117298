/* run.c — asking the questions: input to prompts, prompts to requests,
 * answers to records.
 *
 * Every question is a job. --all and --no-input make one; --each makes
 * one per record, at most 2×--jobs alive at once in a ring, so memory
 * stays bounded by the window however long the input, and the ring's
 * head is written first, which keeps the output in input order. At most
 * --jobs are sent at once; the others wait QUEUED, so a fatal answer
 * (a missing model, a wrong key) stops the rest before they are sent.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "jsonl.h"
#include "llmask.h"
#include "mask.h"
#include "msg.h"
#include "redact.h"
#include "schema.h"

/* QUEUED: ready to send, waiting for a free --jobs slot. */
enum job_state { JOB_IDLE, JOB_QUEUED, JOB_BUSY, JOB_DONE, JOB_FAILED };

struct engine;

struct job {
	struct engine *eng;
	size_t lineno;		/* --each: the input line, else 0 */
	jv record;		/* --each: the input record, else null */
	jv messages;		/* as sent, retries' turns included */
	struct buf body;
	char key[65];		/* cache key of the first request */
	struct http_request rq;
	struct http_response rs;
	struct answer ans;
	int attempt;
	double prompt_tokens, completion_tokens, eval_ns, eval_tokens;
	double t0;
	enum job_state state;
	jv result;
	char *model;
	int cached;
};

struct engine {
	const struct llm *o;
	struct http_pool *pool;
	struct mask *mask;
	struct template *tpl;
	int inflight;		/* jobs BUSY: sent, no final answer yet */
	int upstream_failed;	/* exit 3 */
	int bad_input;		/* exit 2 */
	int stop;		/* a fatal answer: ask nothing more */
	char *where;		/* the endpoint for messages, no password */
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Not strchr(" \t\r\n", c): that matches the NUL too. */
static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The answer text, NULs and all. */
static jv
content_string(const struct answer *a)
{
	return jv_string_sized(a->content.p, (int)a->content.len);
}

/* What leaves the machine: redacted, then masked. */
static char *
outgoing(struct engine *e, const char *s, size_t n)
{
	struct buf r = BUF_INIT, m = BUF_INIT;

	if (e->o->redact) {
		redact(&r, s, n);
		s = r.p, n = r.len;
	}
	if (e->mask) {
		mask_text(e->mask, &m, s, n);
		buf_free(&r);
		return buf_detach(&m);
	}
	if (r.p == NULL)
		buf_add(&r, s, n);
	return buf_detach(&r);
}

static jv
message(const char *role, char *content)
{
	jv m = JV_OBJECT(jv_string("role"), jv_string(role),
	    jv_string("content"), jv_string(content));

	free(content);
	return m;
}

/* ---- jobs -------------------------------------------------------------- */

static void job_answered(void *ctx, const struct http_request *rq,
    struct http_response *rs);

static void
submit(struct engine *e, struct job *j)
{
	buf_reset(&j->body);
	jsonl_dump(&j->body, backend_body(e->o, jv_copy(j->messages)));
	answer_reset(&j->ans);
	memset(&j->rq, 0, sizeof j->rq);
	j->rq.method = "POST";
	j->rq.url = e->o->endpoint;
	j->rq.content_type = "application/json";
	j->rq.body = j->body.p;
	j->rq.body_len = j->body.len;
	j->rq.on_data = answer_feed;
	j->rq.ctx = &j->ans;
	j->rq.retries = -1;
	j->rq.may_retry = backend_may_retry;
	http_pool_add(e->pool, &j->rq, &j->rs, job_answered, j);
}

/* The model's JSON, tolerating a Markdown fence around it. */
static jv
parse_json_answer(const char *s, size_t n)
{
	while (n > 0 && is_space(*s))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n >= 6 && memcmp(s, "```", 3) == 0 && memcmp(s + n - 3, "```", 3)
	    == 0) {
		const char *nl = memchr(s, '\n', n - 3);

		if (nl != NULL) {
			n = (size_t)(s + n - 3 - (nl + 1));
			s = nl + 1;
		}
	}
	if (n == 0)
		return jv_invalid_with_msg(jv_string("the answer is empty"));
	return jsonl_parse(s, n);
}

/* The answer's value (mask restored), or invalid with why it is not
 * acceptable. Borrows content. */
static jv
accept_answer(struct engine *e, const char *content, size_t n)
{
	jv v;
	char *why;
	size_t a = 0;

	if (!e->o->json) {
		while (a < n && is_space(content[a]))
			a++;
		while (n > a && is_space(content[n - 1]))
			n--;
		v = jv_string_sized(content + a, (int)(n - a));
		return e->mask ? mask_restore(e->mask, v) : v;
	}
	v = parse_json_answer(content, n);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);

		v = jv_invalid_with_msg(jv_string_fmt("the answer is not JSON "
		    "(%s)", jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : "no value"));
		jv_free(m);
		return v;
	}
	if (jv_is_valid(e->o->schema) &&
	    (why = schema_check(e->o->schema, v)) != NULL) {
		jv_free(v);
		v = jv_invalid_with_msg(jv_string_fmt("the answer does not "
		    "match the schema: %s", why));
		free(why);
		return v;
	}
	return e->mask ? mask_restore(e->mask, v) : v;
}

static void
job_fail(struct job *j, int fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_fail(struct job *j, int fatal, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (j->lineno)
		msg_warn("stdin:%zu: %s", j->lineno, text);
	else
		msg_warn("%s", text);
	j->state = JOB_FAILED;
	j->eng->inflight--;
	j->eng->upstream_failed = 1;
	if (fatal)
		j->eng->stop = 1;
}

static void
remember(struct engine *e, struct job *j)
{
	jv entry;

	if (e->o->cache_dir == NULL)
		return;
	entry = JV_OBJECT(jv_string("content"), content_string(&j->ans),
	    jv_string("model"), jv_string(j->model),
	    jv_string("prompt_tokens"), jv_number(j->prompt_tokens),
	    jv_string("completion_tokens"), jv_number(j->completion_tokens));
	if (j->eval_ns > 0)
		entry = jv_object_set(entry, jv_string("eval_ns"),
		    jv_number(j->eval_ns));
	cache_put(e->o->cache_dir, j->key, entry);
}

/* An invalid answer: ask again, telling the model what was wrong. */
static int
ask_again(struct engine *e, struct job *j, jv why)
{
	const char *reason = jv_string_value(why);

	if (j->attempt >= e->o->attempts) {
		job_fail(j, 0, "no acceptable answer after %d attempts: %s",
		    j->attempt, reason);
		msg_warn("last answer: %s", j->ans.content.p);
		jv_free(why);
		return 0;
	}
	j->messages = jv_array_append(j->messages, JV_OBJECT(
	    jv_string("role"), jv_string("assistant"),
	    jv_string("content"), content_string(&j->ans)));
	j->messages = jv_array_append(j->messages, JV_OBJECT(
	    jv_string("role"), jv_string("user"),
	    jv_string("content"), jv_string_fmt("That answer was not "
	    "accepted: %s. Answer again with JSON only%s.", reason,
	    jv_is_valid(e->o->schema) ? ", matching the schema" : "")));
	jv_free(why);
	j->attempt++;
	submit(e, j);
	return 1;
}

static void
job_answered(void *ctx, const struct http_request *rq,
    struct http_response *rs)
{
	struct job *j = ctx;
	struct engine *e = j->eng;
	char *why;
	int fatal;
	jv v;

	if (rs->rc != HTTP_OK) {
		why = backend_error(e->o, rq, rs, &fatal);
		job_fail(j, fatal, "%s", why);
		free(why);
		return;
	}
	answer_finish(&j->ans);
	if (j->ans.error && j->ans.not_json) {
		why = http_describe_body(rq, rs, j->ans.error);
		job_fail(j, 0, "%s", why);
		free(why);
		return;
	}
	if (j->ans.error) {
		job_fail(j, 0, "%s: the server reported an error: %s",
		    e->where, j->ans.error);
		return;
	}
	if (!j->ans.done) {
		job_fail(j, 0, "%s: the answer ended before it was complete",
		    e->where);
		return;
	}
	j->prompt_tokens += j->ans.prompt_tokens;
	j->completion_tokens += j->ans.completion_tokens;
	if (j->ans.eval_ns > 0) {
		j->eval_ns += j->ans.eval_ns;
		j->eval_tokens += j->ans.completion_tokens;
	}
	if (j->model == NULL)
		j->model = xstrdup(j->ans.model ? j->ans.model : e->o->model);
	v = accept_answer(e, j->ans.content.p, j->ans.content.len);
	if (!jv_is_valid(v)) {
		ask_again(e, j, jv_invalid_get_msg(v));
		return;
	}
	remember(e, j);
	j->result = v;
	j->state = JOB_DONE;
	e->inflight--;
}

/* Sends a queued job when a slot is free; 1 if it went. */
static int
job_send(struct engine *e, struct job *j)
{
	if (j->state != JOB_QUEUED || e->stop || e->inflight >= e->o->jobs)
		return 0;
	j->state = JOB_BUSY;
	e->inflight++;
	submit(e, j);
	return 1;
}

static int
from_cache(struct engine *e, struct job *j)
{
	jv entry = cache_get(e->o->cache_dir, j->key), v;
	const char *content = jv_get_str(entry, "content");
	const char *model = jv_get_str(entry, "model");

	if (content == NULL) {
		jv_free(entry);
		return 0;
	}
	v = accept_answer(e, content, strlen(content));
	if (!jv_is_valid(v)) {		/* e.g. the schema changed */
		jv_free(v);
		jv_free(entry);
		return 0;
	}
	j->model = xstrdup(model ? model : e->o->model);
	jv_get_num(entry, "prompt_tokens", &j->prompt_tokens);
	jv_get_num(entry, "completion_tokens", &j->completion_tokens);
	if (jv_get_num(entry, "eval_ns", &j->eval_ns))
		j->eval_tokens = j->completion_tokens;
	j->result = v;
	j->cached = 1;
	j->state = JOB_DONE;
	jv_free(entry);
	return 1;
}

/* Starts a job for the user message text (borrowed). */
static void
job_begin(struct engine *e, struct job *j, const char *user, size_t n)
{
	const struct llm *o = e->o;

	j->eng = e;
	j->t0 = now_ms();
	j->attempt = 1;
	j->messages = jv_array();
	if (o->system)
		j->messages = jv_array_append(j->messages, message("system",
		    outgoing(e, o->system, strlen(o->system))));
	j->messages = jv_array_append(j->messages, message("user",
	    outgoing(e, user, n)));
	if (o->dry_run) {
		jv body = backend_body(o, jv_copy(j->messages));

		if (jsonl_write(stdout, body) != 0)
			msg_die(EXIT_USAGE, "write error on stdout");
		j->state = JOB_IDLE;
		return;
	}
	j->state = JOB_QUEUED;
	if (o->cache_dir) {
		jv body = backend_body(o, jv_copy(j->messages));

		jsonl_dump(&j->body, body);
		cache_key(j->key, o->api == API_OLLAMA ? "ollama" : "openai",
		    o->endpoint, j->body.p, j->body.len);
		from_cache(e, j);
	}
}

static void
job_clear(struct job *j)
{
	jv_free(j->record);
	jv_free(j->messages);
	jv_free(j->result);
	buf_free(&j->body);
	answer_free(&j->ans);
	http_response_free(&j->rs);
	free(j->model);
	memset(j, 0, sizeof *j);
	j->record = jv_null();
	j->messages = jv_null();
	j->result = jv_null();
}

static void
emit(struct engine *e, struct job *j)
{
	const struct llm *o = e->o;
	jv rec, usage;
	double ms = now_ms() - j->t0;

	if (j->state != JOB_DONE)
		return;
	if (jv_get_kind(j->record) == JV_KIND_OBJECT)
		rec = jv_copy(j->record);
	else if (j->lineno)
		rec = JV_OBJECT(jv_string("input"), jv_copy(j->record));
	else
		rec = jv_object();
	usage = JV_OBJECT(jv_string("prompt_tokens"),
	    jv_number(j->prompt_tokens),
	    jv_string("completion_tokens"), jv_number(j->completion_tokens));
	rec = jv_object_set(rec, jv_string(o->key), jv_copy(j->result));
	rec = jv_object_set(rec, jv_string("model"), jv_string(j->model));
	rec = jv_object_set(rec, jv_string("usage"), usage);
	rec = jv_object_set(rec, jv_string("ms"), jv_number(round(ms)));
	if (j->eval_ns > 0)
		rec = jv_object_set(rec, jv_string("tokens_per_second"),
		    jv_number(round(j->eval_tokens / (j->eval_ns / 1e9) * 100)
		    / 100));
	if (j->cached)
		rec = jv_object_set(rec, jv_string("cached"), jv_true());
	if (jsonl_write(stdout, rec) != 0)
		msg_die(EXIT_USAGE, "write error on stdout");
}

static void
drain(struct engine *e)
{
	while (http_pool_pending(e->pool) > 0)
		http_pool_run(e->pool);
}

/* ---- --no-input and --all ---------------------------------------------- */

static void
ask_once(struct engine *e, const struct buf *data, size_t omitted)
{
	struct buf user = BUF_INIT;
	struct job j;

	memset(&j, 0, sizeof j);
	job_clear(&j);
	prompt_compose(e->o, &user, data, omitted);
	job_begin(e, &j, user.p, user.len);
	job_send(e, &j);
	drain(e);
	emit(e, &j);
	job_clear(&j);
	buf_free(&user);
}

/*
 * Reads every record: into data as compact lines, or into *all for a
 * template. Stops keeping records past --max-input (and counts them in
 * *omitted with --truncate); returns -1 when the input is too big.
 */
static int
read_all(struct engine *e, struct jsonl *in, struct buf *data, jv *all,
    size_t *omitted)
{
	const struct llm *o = e->o;
	size_t have = 0, raw = 0, n, limit = (size_t)o->max_input;
	const char *line;
	struct buf one = BUF_INIT;
	jv v;

	while (jsonl_getline(in, &line, &n)) {
		v = jsonl_parse(line, n);
		if (!jv_is_valid(v)) {
			jv m = jv_invalid_get_msg(v);

			jsonl_warn(in, "%s", jv_string_value(m));
			jv_free(m);
			continue;
		}
		if (e->mask)
			mask_learn(e->mask, v);
		buf_reset(&one);
		jsonl_dump(&one, o->template ? jv_copy(v) : v);
		/* A template may keep little of big records: allow it more. */
		n = prompt_chars(one.p, one.len) + 1;
		if ((o->template ? raw : have) + n > (o->template ? 64 * limit :
		    limit)) {
			if (o->template)
				jv_free(v);
			if (!o->truncate) {
				prompt_too_big(o, (o->template ? raw : have) + n);
				buf_free(&one);
				return -1;
			}
			++*omitted;
			continue;
		}
		raw += n;
		if (o->template) {
			*all = jv_array_append(*all, v);
		} else {
			have += n;
			buf_add(data, one.p, one.len);
			buf_addc(data, '\n');
		}
	}
	buf_free(&one);
	return 0;
}

static int
run_all(struct engine *e, struct jsonl *in)
{
	struct buf data = BUF_INIT;
	jv all = jv_array();
	size_t omitted = 0;
	char *err = NULL;
	int rc = 0;

	if (read_all(e, in, &data, &all, &omitted) != 0) {
		rc = -1;
	} else if (e->o->template) {
		if (template_render(e->tpl, all, &data, &err) != 0) {
			msg_warn("--template: %s", err);
			rc = -1;
		} else if (prompt_fit(e->o, &data, 0) != 0) {
			rc = -1;
		}
		all = jv_invalid();
	}
	jv_free(all);
	if (rc == 0) {
		if (data.p == NULL)
			buf_add(&data, "", 0);
		ask_once(e, &data, omitted);
	} else {
		e->bad_input = 1;
	}
	free(err);
	buf_free(&data);
	return rc;
}

/* ---- --each -------------------------------------------------------------- */

/* Reads the next good record and starts its job; 0 at the end. */
static int
next_each(struct engine *e, struct jsonl *in, struct job *j)
{
	struct buf data = BUF_INIT, user = BUF_INIT;
	char *err = NULL;
	jv v;
	int rc, ok = 0;

	while (!ok && (rc = jsonl_next(in, &v)) != 0) {
		if (rc < 0)
			continue;
		buf_reset(&data);
		if (e->mask)
			mask_learn(e->mask, v);
		if (e->o->template) {
			if (template_render(e->tpl, jv_copy(v), &data, &err) != 0) {
				jsonl_warn(in, "--template: %s", err);
				free(err);
				err = NULL;
				jv_free(v);
				continue;
			}
		} else {
			jsonl_dump(&data, jv_copy(v));
			buf_addc(&data, '\n');
		}
		if (prompt_fit(e->o, &data, jsonl_lineno(in)) != 0) {
			e->bad_input = 1;
			jv_free(v);
			continue;
		}
		job_clear(j);
		j->lineno = jsonl_lineno(in);
		j->record = v;
		buf_reset(&user);
		prompt_compose(e->o, &user, &data, 0);
		job_begin(e, j, user.p, user.len);
		ok = 1;
	}
	buf_free(&data);
	buf_free(&user);
	return ok;
}

/* After a fatal answer the rest is not asked: say from where, so no
 * record goes missing without a word. */
static void
say_unasked(struct jsonl *in, size_t first, int eof)
{
	if (first > 0)
		msg_warn("stdin:%zu: not asked, nor any record after it: "
		    "stopped at the error above", first);
	else if (!eof)
		msg_warn("stdin: records after line %zu not asked: stopped at "
		    "the error above", jsonl_lineno(in));
}

static void
run_each(struct engine *e, struct jsonl *in)
{
	size_t window = (size_t)e->o->jobs * 2, head = 0, count = 0, i;
	size_t unasked = 0;	/* the first record dropped unsent */
	struct job *ring = xcalloc(window, sizeof *ring);
	int eof = 0;

	for (i = 0; i < window; i++)
		job_clear(&ring[i]);
	for (;;) {
		while (!eof && !e->stop && count < window) {
			if (!next_each(e, in, &ring[(head + count) % window]))
				eof = 1;
			else
				count++;
		}
		for (i = 0; i < count; i++)
			job_send(e, &ring[(head + i) % window]);
		/* After a fatal answer, queued jobs are dropped unsent. */
		while (count > 0 && ring[head].state != JOB_BUSY &&
		    (ring[head].state != JOB_QUEUED || e->stop)) {
			if (ring[head].state == JOB_QUEUED && unasked == 0)
				unasked = ring[head].lineno;
			emit(e, &ring[head]);
			job_clear(&ring[head]);
			head = (head + 1) % window;
			count--;
		}
		if (count == 0 && (eof || e->stop))
			break;
		if (count > 0)
			http_pool_run(e->pool);
	}
	if (e->stop)
		say_unasked(in, unasked, eof);
	free(ring);
}

int
llm_run(const struct llm *o)
{
	struct engine e;
	struct jsonl *in = NULL;

	memset(&e, 0, sizeof e);
	e.o = o;
	e.where = http_url_redact(o->endpoint);
	e.pool = http_pool_new(&o->http, o->mode == MODE_EACH ? o->jobs : 1);
	if (o->mask_names)
		e.mask = mask_new();
	if (o->template)
		e.tpl = template_new(o->template);
	if (o->mode == MODE_NO_INPUT) {
		ask_once(&e, NULL, 0);
	} else {
		in = jsonl_open(stdin, "stdin");
		if (o->mode == MODE_ALL)
			run_all(&e, in);
		else
			run_each(&e, in);
		if (jsonl_bad(in))
			e.bad_input = 1;
		jsonl_close(in);
	}
	http_pool_free(e.pool);
	mask_free(e.mask);
	template_free(e.tpl);
	free(e.where);
	if (e.upstream_failed)
		return EXIT_UPSTREAM;
	return e.bad_input ? EXIT_USAGE : EXIT_OK;
}
