/* llmask — ask a local or hosted LLM about JSON input, safely,
 * concurrently, with structured answers. See llmask(1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonl.h"
#include "llmask.h"
#include "msg.h"
#include "opt.h"
#include "schema.h"

enum {
	O_SYSTEM = OPT_ID(1), O_SYSTEM_FILE, O_TEMPLATE, O_NO_INPUT, O_KEY,
	O_MAX_INPUT, O_TRUNCATE, O_JSON, O_SCHEMA, O_ATTEMPTS, O_NO_REDACT,
	O_MASK, O_DRY_RUN, O_CACHE, O_API, O_TEMPERATURE, O_MAX_TOKENS,
	O_SEED, O_KEEP_ALIVE, O_NO_STREAM, O_CERT_KEY
};

static const struct opt llmask_opts[] = {
	{ "prompt", 'p', "TEXT", "the instruction for the model" },
	{ "prompt-file", 'f', "FILE", "read the instruction from FILE" },
	{ "system", O_SYSTEM, "TEXT", "a system prompt" },
	{ "system-file", O_SYSTEM_FILE, "FILE", "read the system prompt from FILE" },
	{ "template", O_TEMPLATE, "JQ", "render the input with this jq program instead of a data block" },
	{ "no-input", O_NO_INPUT, NULL, "send the prompt alone, do not read stdin" },
	{ "all", 'a', NULL, "one question about all records (default)" },
	{ "each", 'e', NULL, "one question per record, the answer merged into it" },
	{ "key", O_KEY, "NAME", "the answer's field (default answer)" },
	{ "jobs", 'j', "N", "with --each, N questions in flight (default 1)" },
	{ "max-input", O_MAX_INPUT, "CHARS", "refuse input larger than CHARS (default 24000)" },
	{ "truncate", O_TRUNCATE, NULL, "cut input to --max-input instead of refusing it" },
	{ "json", O_JSON, NULL, "require a JSON answer and keep it parsed" },
	{ "schema", O_SCHEMA, "FILE", "send this JSON schema and check the answer against it" },
	{ "attempts", O_ATTEMPTS, "N", "ask up to N times for an acceptable answer (default 3)" },
	{ "no-redact", O_NO_REDACT, NULL, "send secrets as they are (redaction is on by default)" },
	{ "mask-names", O_MASK, NULL, "replace names, namespaces, IPs, hostnames by placeholders" },
	{ "dry-run", O_DRY_RUN, NULL, "print the request bodies, send nothing" },
	{ "cache", O_CACHE, "DIR", "keep answers in DIR and reuse them" },
	{ "api", O_API, "API", "ollama or openai (default: from the URL)" },
	{ "model", 'm', "NAME", "the model (default phi3:mini on Ollama)" },
	{ "temperature", O_TEMPERATURE, "T", "sampling temperature" },
	{ "max-tokens", O_MAX_TOKENS, "N", "stop the answer after N tokens" },
	{ "seed", O_SEED, "N", "sampling seed, for repeatable answers" },
	{ "keep-alive", O_KEEP_ALIVE, "DURATION", "how long Ollama keeps the model loaded" },
	{ "option", 'o', "KEY=VALUE", "a model option (Ollama options, OpenAI body field)" },
	{ "no-stream", O_NO_STREAM, NULL, "ask for the answer in one piece, not streamed" },
	{ NULL, 0, NULL, NULL }
};

/* http_opts without --key, which llmask uses for the answer's field;
 * the client certificate's key is --cert-key here. */
static struct opt net_opts[32];

static const struct opt *const llmask_tables[] = { llmask_opts, net_opts,
    NULL };

static const struct opt_program llmask_prog = {
	.name = "llmask",
	.synopsis = "[OPTIONS] -p TEXT [--all | --each] < RECORDS\n"
	"[OPTIONS] -p TEXT --no-input",
	.summary = "ask a local or hosted LLM about JSON input, safely",
	.tables = llmask_tables,
	.epilog = "Exit status: 0 success, 2 usage error or bad input, 3 the server "
	"failed\nor no acceptable answer came.\n"
	"Environment: LLMASK_URL, OPENAI_BASE_URL, OPENAI_API_KEY, "
	"OLLAMA_HOST,\nLLMASK_MODEL, LLMASK_CACHE.\n"
};

static void
net_opts_init(void)
{
	size_t n = 0;

	for (const struct opt *o = http_opts; o->name; o++) {
		if (strcmp(o->name, "key") == 0)
			net_opts[n++] = (struct opt){ "cert-key", O_CERT_KEY,
			    "FILE", o->help };
		else if (strcmp(o->name, "timeout") == 0)
			net_opts[n++] = (struct opt){ o->name, o->key,
			    o->metavar, "give up an attempt after SEC seconds "
			    "(default 900, 0: never)" };
		else
			net_opts[n++] = *o;
		if (n + 1 >= sizeof net_opts / sizeof *net_opts)
			break;
	}
	net_opts[n] = (struct opt){ NULL, 0, NULL, NULL };
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *
slurp(const char *opt, const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		opt_usage_error("cannot read --%s '%s': %s", opt, path,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(fp))
		opt_usage_error("cannot read --%s '%s': %s", opt, path,
		    strerror(errno));
	fclose(fp);
	while (b.len > 0 && is_space(b.p[b.len - 1]))
		b.p[--b.len] = '\0';
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return buf_detach(&b);
}

static void
set_text(char **dst, char *text)
{
	free(*dst);
	*dst = text;
}

/* KEY=VALUE: VALUE as JSON when it is JSON (numbers stay numbers), else
 * as a string. */
static void
add_option(struct llm *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	jv v;

	if (eq == NULL || eq == arg)
		opt_usage_error("invalid --option '%s': expected KEY=VALUE", arg);
	v = jsonl_parse(eq + 1, strlen(eq + 1));
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_string(eq + 1);
	}
	o->extra = jv_object_set(o->extra, jv_string_sized(arg,
	    (int)(eq - arg)), v);
}

static void
load_schema(struct llm *o, const char *path)
{
	char *text = slurp("schema", path), *why;
	const char *base, *title;
	struct buf name = BUF_INIT;
	jv s = jsonl_parse(text, strlen(text));

	/* Freed before the usage error: LeakSanitizer counts what exit()
	 * leaves unreachable. */
	if (!jv_is_valid(s)) {
		jv m = jv_invalid_get_msg(s);

		why = xstrdup(jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : "not JSON");
		jv_free(m);
		s = jv_invalid();
	} else {
		why = schema_lint(s);
	}
	if (why != NULL) {
		char msg[512];

		snprintf(msg, sizeof msg, "%s", why);
		free(why);
		free(text);
		jv_free(s);
		opt_usage_error("invalid --schema '%s': %s", path, msg);
	}
	jv_free(o->schema);
	o->schema = s;
	o->json = 1;
	/* OpenAI wants a name of [A-Za-z0-9_-]{1,64}. */
	title = jv_get_str(s, "title");
	base = strrchr(path, '/');
	base = title ? title : base ? base + 1 : path;
	for (; *base && *base != '.' && name.len < 64; base++)
		if (strchr("_-", *base) || (*base >= 'a' && *base <= 'z') ||
		    (*base >= 'A' && *base <= 'Z') || (*base >= '0' && *base <= '9'))
			buf_addc(&name, *base);
		else
			buf_addc(&name, '_');
	if (name.len == 0)
		buf_adds(&name, "answer");
	free(o->schema_name);
	o->schema_name = buf_detach(&name);
	free(text);
}

static void
keep_alive(struct llm *o, const char *arg)
{
	const char *errstr;
	double d;

	jv_free(o->keep_alive);
	if (opt_double(arg, -1, 1e9, &d, &errstr) == 0)
		o->keep_alive = jv_number(d);
	else if (*arg != '\0')
		o->keep_alive = jv_string(arg);	/* Ollama's "5m", "1h" */
	else
		opt_usage_error("invalid --keep-alive: empty");
}

static void
set_param(struct llm *o, const char *name, double v)
{
	o->params = jv_object_set(o->params, jv_string(name), jv_number(v));
}

/* The fields emit() writes after the answer would overwrite it. */
static const char *
answer_key(const char *arg)
{
	static const char *const taken[] = { "model", "usage", "ms",
	    "tokens_per_second", "cached" };

	if (*arg == '\0')
		opt_usage_error("invalid --key: empty");
	for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
		if (strcmp(arg, taken[i]) == 0)
			opt_usage_error("invalid --key '%s': llmask writes that "
			    "field itself", arg);
	return arg;
}

/* Choices that only matter once every option is read. */
struct seen {
	int all, each, api, jobs;
};

/* Returns 1 when key was one of llmask's own options. */
static int
own_option(struct llm *o, int key, const char *arg, struct seen *seen)
{
	switch (key) {
	case 'p': set_text(&o->prompt, xstrdup(arg)); break;
	case 'f': set_text(&o->prompt, slurp("prompt-file", arg)); break;
	case O_SYSTEM: set_text(&o->system, xstrdup(arg)); break;
	case O_SYSTEM_FILE: set_text(&o->system, slurp("system-file", arg)); break;
	case O_TEMPLATE: o->template = arg; break;
	case O_NO_INPUT: o->mode = MODE_NO_INPUT; break;
	case 'a': seen->all = 1; break;
	case 'e': seen->each = 1; break;
	case O_KEY: o->key = answer_key(arg); break;
	case 'j':
		o->jobs = (int)opt_long_arg("jobs", arg, 1, 256);
		seen->jobs = 1;
		break;
	case O_MAX_INPUT:
		o->max_input = opt_long_arg("max-input", arg, 1, 1000000000);
		break;
	case O_TRUNCATE: o->truncate = 1; break;
	case O_JSON: o->json = 1; break;
	case O_SCHEMA: load_schema(o, arg); break;
	case O_ATTEMPTS:
		o->attempts = (int)opt_long_arg("attempts", arg, 1, 20);
		break;
	case O_NO_REDACT: o->redact = 0; break;
	case O_MASK: o->mask_names = 1; break;
	case O_DRY_RUN: o->dry_run = 1; break;
	case O_CACHE: o->cache_dir = arg; break;
	case O_API:
		if (strcmp(arg, "ollama") == 0)
			o->api = API_OLLAMA;
		else if (strcmp(arg, "openai") == 0)
			o->api = API_OPENAI;
		else
			opt_usage_error("invalid --api '%s': ollama or openai",
			    arg);
		seen->api = 1;
		break;
	case 'm': o->model = arg; break;
	case O_TEMPERATURE:
		set_param(o, "temperature",
		    opt_double_arg("temperature", arg, 0, 10));
		break;
	case O_MAX_TOKENS:
		set_param(o, "max_tokens",
		    (double)opt_long_arg("max-tokens", arg, 1, 10000000));
		break;
	case O_SEED:
		set_param(o, "seed", (double)opt_long_arg("seed", arg,
		    -(1LL << 53), 1LL << 53));
		break;
	case O_KEEP_ALIVE: keep_alive(o, arg); break;
	case 'o': add_option(o, arg); break;
	case O_NO_STREAM: o->stream = 0; break;
	case O_CERT_KEY: http_conf_option(&o->http, HTTP_OPT_KEY, arg); break;
	default: return 0;
	}
	return 1;
}

/* An Ollama address may come without a scheme or port ("gpu-box"). */
static char *
ollama_url(const char *host)
{
	struct buf b = BUF_INIT;
	const char *hostpart;

	if (strstr(host, "://") == NULL)
		buf_adds(&b, "http://");
	buf_adds(&b, host);
	hostpart = strstr(b.p, "://") + 3;
	if (strchr(hostpart, ':') == NULL && strchr(hostpart, '/') == NULL)
		buf_adds(&b, ":11434");
	return buf_detach(&b);
}

/* The URL path says OpenAI-compatible when it ends in /v1 (or has /v1/). */
static int
looks_openai(const char *url)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		return 0;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	return (n >= 3 && strncmp(p + n - 3, "/v1", 3) == 0) ||
	    strstr(p, "/v1/") != NULL;
}

/* --url, LLMASK_URL, OPENAI_BASE_URL, OLLAMA_HOST, then the local Ollama. */
static void
choose_server(struct llm *o, int api_chosen)
{
	const char *v, *why;
	enum api guess = API_OLLAMA;

	if (o->http.url) {
		guess = looks_openai(o->http.url) ? API_OPENAI : API_OLLAMA;
	} else if ((v = getenv("LLMASK_URL")) && *v) {
		o->http.url = xstrdup(v);
		guess = looks_openai(v) ? API_OPENAI : API_OLLAMA;
	} else if ((v = getenv("OPENAI_BASE_URL")) && *v) {
		o->http.url = xstrdup(v);
		guess = API_OPENAI;
	} else if ((v = getenv("OLLAMA_HOST")) && *v) {
		o->http.url = ollama_url(v);
	} else {
		o->http.url = xstrdup("http://localhost:11434");
	}
	if (!api_chosen)
		o->api = guess;
	o->endpoint = http_url_join(o->http.url, o->api == API_OLLAMA ?
	    "api/chat" : "chat/completions");
	if (o->api == API_OPENAI && o->http.token == NULL &&
	    o->http.user == NULL && (v = getenv("OPENAI_API_KEY")) && *v &&
	    (why = http_conf_set(&o->http, HTTP_OPT_TOKEN, v)) != NULL)
		opt_usage_error("invalid OPENAI_API_KEY: %s", why);
}

static void
check_options(struct llm *o, const struct seen *seen)
{
	const char *v;

	if (seen->all && seen->each)
		opt_usage_error("--all and --each exclude each other");
	if (seen->each && o->mode == MODE_NO_INPUT)
		opt_usage_error("--each needs input: drop --no-input");
	if (seen->jobs && !seen->each)
		opt_usage_error("--jobs needs --each: one question is one "
		    "request");
	if (seen->each)
		o->mode = MODE_EACH;
	if (o->prompt == NULL && o->template == NULL)
		opt_usage_error("no prompt: give -p TEXT, -f FILE or "
		    "--template JQ");
	if (o->template && o->mode == MODE_NO_INPUT)
		opt_usage_error("--template renders input: drop --no-input");
	choose_server(o, seen->api);
	if (o->model == NULL && (v = getenv("LLMASK_MODEL")) && *v)
		o->model = v;
	if (o->model == NULL && o->api == API_OLLAMA)
		o->model = "phi3:mini";
	if (o->model == NULL)
		opt_usage_error("no model for the OpenAI API: give --model or "
		    "set LLMASK_MODEL");
	if (o->cache_dir == NULL && (v = getenv("LLMASK_CACHE")) && *v)
		o->cache_dir = v;
	if (o->schema_name == NULL)
		o->schema_name = xstrdup("answer");
}

static void
llm_init(struct llm *o)
{
	memset(o, 0, sizeof *o);
	http_conf_init(&o->http, NULL, NULL);
	o->http.timeout = 900;	/* a CPU-only model can take minutes */
	o->mode = MODE_ALL;
	o->key = "answer";
	o->jobs = 1;
	o->max_input = 24000;
	o->attempts = 3;
	o->redact = 1;
	o->stream = 1;
	o->schema = jv_invalid();
	o->params = jv_object();
	o->extra = jv_object();
	o->keep_alive = jv_invalid();
}

static void
llm_free(struct llm *o)
{
	http_conf_free(&o->http);
	free(o->endpoint);
	free(o->prompt);
	free(o->system);
	free(o->schema_name);
	jv_free(o->schema);
	jv_free(o->params);
	jv_free(o->extra);
	jv_free(o->keep_alive);
}

int
main(int argc, char *argv[])
{
	struct opt_parser *p;
	struct llm o;
	const char *arg;
	struct seen seen = { 0, 0, 0, 0 };
	int key, status;

	net_opts_init();
	llm_init(&o);
	p = opt_begin(&llmask_prog, argc, argv);
	while ((key = opt_next(p, &arg)) != -1)
		if (!http_conf_option(&o.http, key, arg) &&
		    !own_option(&o, key, arg, &seen))
			opt_usage_error("unhandled option");
	if (opt_index(p) < argc)
		opt_usage_error("unexpected argument '%s'", argv[opt_index(p)]);
	opt_end(p);
	check_options(&o, &seen);
	if (http_global_init() != 0)
		msg_die(EXIT_UPSTREAM, "cannot initialise libcurl");
	status = llm_run(&o);
	llm_free(&o);
	http_global_cleanup();
	if (msg_close_stdout() != 0 && status == EXIT_OK)
		status = EXIT_USAGE;
	return status;
}
