/* llmask.h — what llmask's files share: the parsed options, the two chat
 * APIs, the streamed-answer parser, the prompt and the question engine. */
#ifndef LLMASK_H
#define LLMASK_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"
#include "http.h"

enum api { API_OLLAMA, API_OPENAI };
enum mode { MODE_ALL, MODE_EACH, MODE_NO_INPUT };

/* Everything the command line and the environment decided. */
struct llm {
	struct http_conf http;
	enum api api;
	char *endpoint;		/* …/api/chat or …/chat/completions */
	const char *model;
	char *prompt;		/* -p or -f; NULL: none */
	char *system;		/* --system or --system-file; NULL: none */
	const char *template;	/* --template JQ */
	enum mode mode;
	const char *key;	/* where the answer goes (--key) */
	int jobs;
	long long max_input;	/* characters */
	int truncate;
	int json;		/* --json or --schema */
	jv schema;		/* --schema, or jv_invalid() */
	char *schema_name;	/* for OpenAI's json_schema.name */
	int attempts;
	int redact;
	int mask_names;
	int dry_run;
	int stream;
	const char *cache_dir;
	jv params;		/* temperature, max_tokens, seed (OpenAI names) */
	jv extra;		/* --option KEY=VALUE */
	jv keep_alive;		/* --keep-alive, or jv_invalid() */
};

/* ---- backend.c: the request body and the answer of each API ----------- */

/* The request body for messages (consumed). */
jv backend_body(const struct llm *o, jv messages);

/*
 * A chat answer as it arrives: NDJSON lines (Ollama, streamed or not),
 * SSE "data:" events (OpenAI streamed) or one JSON object (OpenAI not
 * streamed). Feed it every chunk, then finish it.
 */
struct answer {
	struct buf content;	/* the text so far */
	struct buf line;	/* a partial line */
	struct buf whole;	/* lines that only parse together */
	char *model;		/* as the server named it */
	double prompt_tokens, completion_tokens;
	double eval_ns;		/* Ollama's eval_duration, 0: unknown */
	int done;		/* the server said the answer is complete */
	char *error;		/* the server reported an error in the body */
	int not_json;		/* ...or error says why the body is unreadable */
};

void answer_reset(struct answer *a);
void answer_free(struct answer *a);
int answer_feed(void *ctx, const char *data, size_t len);	/* http_data_fn */
void answer_finish(struct answer *a);

/* Why a request failed, for the user (caller frees); *fatal when asking
 * again with other input cannot help (4xx, missing model, no quota). */
char *backend_error(const struct llm *o, const struct http_request *rq,
    const struct http_response *rs, int *fatal);
/* http_request.may_retry: no retry when the quota is exhausted. */
int backend_may_retry(void *ctx, const struct http_response *rs);

/* ---- prompt.c: the user message ---------------------------------------- */

/* The instruction, then data (NULL: none) in the data block, or as
 * rendered when o->template; omitted records are said to be missing. */
void prompt_compose(const struct llm *o, struct buf *u,
    const struct buf *data, size_t omitted);
/* Characters (UTF-8 code points), which --max-input counts. */
size_t prompt_chars(const char *s, size_t n);
/* "input is N characters, more than --max-input …" with the hint. */
void prompt_too_big(const struct llm *o, size_t have);
/* Applies --max-input to text: 0 when it fits (cut with --truncate), -1
 * after a message (naming the input line when lineno > 0). */
int prompt_fit(const struct llm *o, struct buf *text, size_t lineno);

/* A --template program, compiled once (exits 2 when it does not). */
struct template;
struct template *template_new(const char *program);
void template_free(struct template *t);
/* Renders input (consumed) into out: string outputs as they are, others
 * as JSON, one per line; 0, or -1 with the message in *err (free it). */
int template_render(struct template *t, jv input, struct buf *out,
    char **err);

/* ---- run.c: asking the questions -------------------------------------- */

/* Reads stdin per o->mode, asks, writes the answers; returns the exit
 * status. */
int llm_run(const struct llm *o);

#endif
