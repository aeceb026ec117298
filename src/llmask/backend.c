/* backend.c — the two chat APIs: what to send and how to read the answer.
 *
 * Ollama: POST /api/chat {model, messages, stream, format, options,
 * keep_alive}; the answer is NDJSON lines ({"message":{"content":…}},
 * the last with "done":true and the token counts), one line when not
 * streamed, and an {"error":…} line can arrive in the middle of a 200.
 * OpenAI-compatible: POST /chat/completions {model, messages, stream,
 * stream_options, response_format, …}; streamed as SSE "data:" events
 * ending in "data: [DONE]", else one chat.completion object. One parser
 * reads all of these, because a server may not answer in the form asked.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "llmask.h"
#include "msg.h"

/* ---- request ---------------------------------------------------------- */

/* Ollama's names for the portable parameters. */
static jv
ollama_options(const struct llm *o)
{
	jv opts = jv_object();

	jv_object_foreach(o->params, k, v) {
		if (strcmp(jv_string_value(k), "max_tokens") == 0) {
			jv_free(k);
			k = jv_string("num_predict");
		}
		opts = jv_object_set(opts, k, v);
	}
	return jv_object_merge(opts, jv_copy(o->extra));
}

static jv
ollama_body(const struct llm *o, jv body)
{
	jv opts = ollama_options(o);

	if (o->json)
		body = jv_object_set(body, jv_string("format"),
		    jv_is_valid(o->schema) ? jv_copy(o->schema) :
		    jv_string("json"));
	if (jv_object_length(jv_copy(opts)) > 0)
		body = jv_object_set(body, jv_string("options"), opts);
	else
		jv_free(opts);
	if (jv_is_valid(o->keep_alive))
		body = jv_object_set(body, jv_string("keep_alive"),
		    jv_copy(o->keep_alive));
	return body;
}

static jv
openai_body(const struct llm *o, jv body)
{
	jv rf;

	if (o->stream)
		body = jv_object_set(body, jv_string("stream_options"),
		    JV_OBJECT(jv_string("include_usage"), jv_true()));
	body = jv_object_merge(body, jv_copy(o->params));
	if (o->json && jv_is_valid(o->schema)) {
		/* The nested form: llama.cpp's server ignores a flat one. */
		rf = JV_OBJECT(jv_string("type"), jv_string("json_schema"),
		    jv_string("json_schema"), JV_OBJECT(
		    jv_string("name"), jv_string(o->schema_name),
		    jv_string("schema"), jv_copy(o->schema)));
		body = jv_object_set(body, jv_string("response_format"), rf);
	} else if (o->json) {
		body = jv_object_set(body, jv_string("response_format"),
		    JV_OBJECT(jv_string("type"), jv_string("json_object")));
	}
	return jv_object_merge(body, jv_copy(o->extra));
}

jv
backend_body(const struct llm *o, jv messages)
{
	jv body = JV_OBJECT(jv_string("model"), jv_string(o->model),
	    jv_string("messages"), messages,
	    jv_string("stream"), jv_bool(o->stream));

	return o->api == API_OLLAMA ? ollama_body(o, body) :
	    openai_body(o, body);
}

/* ---- answer ----------------------------------------------------------- */

void
answer_reset(struct answer *a)
{
	buf_reset(&a->content);
	buf_reset(&a->line);
	buf_reset(&a->whole);
	free(a->model);
	free(a->error);
	a->model = a->error = NULL;
	a->prompt_tokens = a->completion_tokens = a->eval_ns = 0;
	a->done = a->not_json = 0;
	if (a->content.p == NULL)
		buf_add(&a->content, "", 0);
}

void
answer_free(struct answer *a)
{
	buf_free(&a->content);
	buf_free(&a->line);
	buf_free(&a->whole);
	free(a->model);
	free(a->error);
	memset(a, 0, sizeof *a);
}

/* Keeps the first error the server reported; consumes err. */
static void
set_error(struct answer *a, jv err)
{
	const char *s = NULL;

	if (jv_get_kind(err) == JV_KIND_STRING)
		s = jv_string_value(err);
	else if (jv_get_kind(err) == JV_KIND_OBJECT)
		s = jv_get_str(err, "message");
	if (a->error == NULL)
		a->error = xstrdup(s ? s : "unknown error");
	jv_free(err);
}

/* The body is not what the API sends (an HTML page?): said with what
 * came, by the caller, who has the response. */
static void
set_unreadable(struct answer *a, const char *why)
{
	if (a->error == NULL)
		a->not_json = 1;
	set_error(a, jv_string(why));
}

static void
add_content(struct answer *a, jv msg)
{
	const char *s = jv_get_str(msg, "content");

	if (s != NULL)
		buf_adds(&a->content, s);
}

static void
read_usage(struct answer *a, jv obj)
{
	jv u = jv_object_get(jv_copy(obj), jv_string("usage"));

	if (jv_get_kind(u) == JV_KIND_OBJECT) {
		jv_get_num(u, "prompt_tokens", &a->prompt_tokens);
		jv_get_num(u, "completion_tokens", &a->completion_tokens);
	}
	jv_free(u);
}

static void
read_choice(struct answer *a, jv obj)
{
	jv choices = jv_object_get(jv_copy(obj), jv_string("choices"));
	jv c, part;

	/* The usage chunk has "choices":[] — or null on some servers. */
	if (jv_get_kind(choices) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(choices)) > 0) {
		c = jv_array_get(jv_copy(choices), 0);
		part = jv_object_get(jv_copy(c), jv_string("delta"));
		if (jv_get_kind(part) == JV_KIND_OBJECT)
			add_content(a, part);
		jv_free(part);
		part = jv_object_get(jv_copy(c), jv_string("message"));
		if (jv_get_kind(part) == JV_KIND_OBJECT) {
			add_content(a, part);
			a->done = 1;
		}
		jv_free(part);
		if (jv_get_str(c, "finish_reason") != NULL)
			a->done = 1;
		jv_free(c);
	}
	jv_free(choices);
}

static void
read_ollama(struct answer *a, jv obj)
{
	jv msg = jv_object_get(jv_copy(obj), jv_string("message"));
	jv done = jv_object_get(jv_copy(obj), jv_string("done"));

	if (jv_get_kind(msg) == JV_KIND_OBJECT)
		add_content(a, msg);
	if (jv_get_kind(done) == JV_KIND_TRUE) {
		a->done = 1;
		jv_get_num(obj, "prompt_eval_count", &a->prompt_tokens);
		jv_get_num(obj, "eval_count", &a->completion_tokens);
		jv_get_num(obj, "eval_duration", &a->eval_ns);
	}
	jv_free(msg);
	jv_free(done);
}

/* One JSON object of the answer, whichever API it came from (consumed). */
static void
read_object(struct answer *a, jv obj)
{
	jv err;
	const char *model;

	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		set_unreadable(a, "a JSON value that is not an object");
		jv_free(obj);
		return;
	}
	err = jv_object_get(jv_copy(obj), jv_string("error"));
	if (jv_get_kind(err) != JV_KIND_NULL && jv_is_valid(err))
		set_error(a, jv_copy(err));
	jv_free(err);
	if (a->model == NULL && (model = jv_get_str(obj, "model")) != NULL)
		a->model = xstrdup(model);
	read_ollama(a, obj);
	read_choice(a, obj);
	read_usage(a, obj);
	jv_free(obj);
}

static void
read_line(struct answer *a, const char *s, size_t n)
{
	jv v;

	if (n == 0)
		return;
	if (n >= 5 && memcmp(s, "data:", 5) == 0) {
		s += 5, n -= 5;
		if (n > 0 && *s == ' ')
			s++, n--;
		if (n == 6 && memcmp(s, "[DONE]", 6) == 0) {
			a->done = 1;
			return;
		}
		v = jsonl_parse(s, n);
		if (!jv_is_valid(v)) {
			jv_free(v);
			set_unreadable(a, "invalid JSON in an event");
			return;
		}
		read_object(a, v);
		return;
	}
	if (*s == ':' || (n >= 6 && (memcmp(s, "event:", 6) == 0 ||
	    memcmp(s, "retry:", 6) == 0)) || (n >= 3 && memcmp(s, "id:", 3) == 0))
		return;		/* SSE comments and fields we do not need */
	if (a->whole.len == 0) {
		v = jsonl_parse(s, n);
		if (jv_is_valid(v)) {
			read_object(a, v);
			return;
		}
		jv_free(v);
	}
	/* A pretty-printed body: keep it until the end. */
	buf_add(&a->whole, s, n);
	buf_addc(&a->whole, '\n');
}

int
answer_feed(void *ctx, const char *data, size_t len)
{
	struct answer *a = ctx;
	const char *nl;
	size_t n, start = 0;

	buf_add(&a->line, data, len);
	while ((nl = memchr(a->line.p + start, '\n', a->line.len - start))) {
		n = (size_t)(nl - (a->line.p + start));
		read_line(a, a->line.p + start,
		    n > 0 && nl[-1] == '\r' ? n - 1 : n);
		start += n + 1;
	}
	memmove(a->line.p, a->line.p + start, a->line.len - start);
	a->line.len -= start;
	a->line.p[a->line.len] = '\0';
	return 0;
}

void
answer_finish(struct answer *a)
{
	jv v;

	if (a->line.len > 0) {
		if (a->line.p[a->line.len - 1] == '\r')
			a->line.len--;
		read_line(a, a->line.p, a->line.len);
		buf_reset(&a->line);
	}
	if (a->whole.len > 0) {
		v = jsonl_parse(a->whole.p, a->whole.len);
		if (jv_is_valid(v))
			read_object(a, v);
		else {
			jv_free(v);
			set_unreadable(a, "neither JSON lines nor events");
		}
		buf_reset(&a->whole);
	}
}

/* ---- errors ----------------------------------------------------------- */

/* The server's own words from an error body: Ollama's {"error":"…"} or
 * OpenAI's {"error":{"message":…,"code":…}}. Both borrowed; NULLs when
 * the body is something else. */
static void
error_words(const struct buf *body, jv *parsed, const char **message,
    const char **code)
{
	jv err;

	*message = *code = NULL;
	*parsed = body->len ? jsonl_parse(body->p, body->len) : jv_invalid();
	if (jv_get_kind(*parsed) != JV_KIND_OBJECT)
		return;
	err = jv_object_get(jv_copy(*parsed), jv_string("error"));
	if (jv_get_kind(err) == JV_KIND_STRING) {
		*message = jv_get_str(*parsed, "error");
	} else if (jv_get_kind(err) == JV_KIND_OBJECT) {
		/* Both strings live on in *parsed. */
		*message = jv_get_str(err, "message");
		*code = jv_get_str(err, "code");
		if (*code == NULL)
			*code = jv_get_str(err, "type");
	}
	jv_free(err);
}

int
backend_may_retry(void *ctx, const struct http_response *rs)
{
	(void)ctx;
	return !(rs->status == 429 && rs->body.p != NULL &&
	    strstr(rs->body.p, "insufficient_quota") != NULL);
}

static int
unreachable(const struct http_response *rs)
{
	return rs->rc == HTTP_ETRANSPORT && (strstr(rs->error, "connect to") ||
	    strstr(rs->error, "resolve"));
}

char *
backend_error(const struct llm *o, const struct http_request *rq,
    const struct http_response *rs, int *fatal)
{
	struct http_response shown = *rs;
	struct buf b = BUF_INIT;
	const char *message, *code;
	char *base, *d;
	jv parsed;

	*fatal = unreachable(rs);
	if (rs->rc != HTTP_ESTATUS)
		return http_describe(rq, rs);
	*fatal = (rs->status >= 400 && rs->status < 500 &&
	    rs->status != 408 && rs->status != 429);
	error_words(&rs->body, &parsed, &message, &code);
	if (o->api == API_OLLAMA && rs->status == 404 && message &&
	    strstr(message, "not found")) {
		base = http_url_redact(o->http.url);
		buf_printf(&b, "model '%s' not found on %s: pull it there "
		    "first ('ollama pull %s')", o->model, base, o->model);
		free(base);
		jv_free(parsed);
		return buf_detach(&b);
	}
	if (code && strcmp(code, "insufficient_quota") == 0)
		*fatal = 1;
	shown.body = (struct buf)BUF_INIT;
	if (message) {
		buf_adds(&shown.body, message);
		if (code && strcmp(code, "insufficient_quota") == 0)
			buf_adds(&shown.body, " (insufficient_quota: not retried)");
	} else if (rs->body.len) {
		buf_add(&shown.body, rs->body.p, rs->body.len);
	}
	d = http_describe(rq, &shown);
	buf_free(&shown.body);
	jv_free(parsed);
	return d;
}
