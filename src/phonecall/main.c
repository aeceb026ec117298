/* phonecall — call the on-call engineer, say what happened, ask whether
 * they can intervene, and record the answer. See phonecall(1).
 *
 *   phonecall [--to NUMBER | --schedule FILE] --speech TEXT [OPTIONS]
 *   phonecall -                     call requests on stdin
 *   phonecall who --schedule FILE [--at TIME]
 *   phonecall tts --speech TEXT -o FILE.wav
 *
 * Exit 0 someone said yes (or the incident was already acknowledged),
 * 1 nobody could intervene, 2 bad input, 3 the provider failed, 4 a
 * write error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "msg.h"
#include "opt.h"
#include "phonecall.h"
#include "timeutil.h"

#define DEFAULT_LANGUAGE	"en-US"
#define WAIT_AFTER_RING		300.0	/* seconds a call may last */
#define WHO_MAX			253402300800.0	/* 10000-01-01T00:00:00Z */

enum {
	O_SPEECH = OPT_ID(1), O_QUESTION, O_INCIDENT, O_PROVIDER, O_VOICE,
	O_LOG, O_CSV, O_STATE, O_QUIET, O_MAXCALLS, O_RING, O_LISTEN,
	O_PUBLIC, O_AUDIO, O_AT, O_CALL_TIMEOUT
};

static const struct opt options[] = {
	{ "to", 't', "NUMBER", "call NUMBER (E.164: +33612345678)" },
	{ "schedule", 's', "FILE", "call who FILE says is on call (default PHONECALL_SCHEDULE)" },
	{ "speech", O_SPEECH, "TEXT", "what the call says: the incident, in words" },
	{ "question", O_QUESTION, "TEXT", "what it asks (default: can you intervene? 1 or yes, 2 or no)" },
	{ "incident", O_INCIDENT, "ID", "the incident's fingerprint, for --quiet-period" },
	{ "provider", O_PROVIDER, "NAME", "twilio or webhook (default PHONECALL_PROVIDER, else twilio)" },
	{ "from", 'f', "NUMBER", "the caller id (default TWILIO_FROM)" },
	{ "language", 'L', "TAG", "the call's language, e.g. fr-FR (default PHONECALL_LANGUAGE, else en-US)" },
	{ "voice", O_VOICE, "NAME", "Twilio's <Say> voice; with tts, an espeak-ng voice" },
	{ "log", O_LOG, "FILE", "append each call record to FILE, JSON lines (default PHONECALL_LOG)" },
	{ "csv", O_CSV, "FILE", "append time, number, speech, answer, status, person as CSV (default PHONECALL_CSV)" },
	{ "escalate", 'e', NULL, "on no, no answer, busy or failure, call the next level" },
	{ "state", O_STATE, "DIR", "remember calls and answers in DIR, for the two limits below" },
	{ "quiet-period", O_QUIET, "D", "no new call about an incident someone said yes to within D (default 1h)" },
	{ "max-calls-per-hour", O_MAXCALLS, "N", "call no number more than N times an hour (default 6)" },
	{ "ring-timeout", O_RING, "SEC", "let the phone ring SEC seconds (default 30)" },
	{ "call-timeout", O_CALL_TIMEOUT, "D", "hang up a call still going after D (default: the ring timeout + 5m)" },
	{ "listen", O_LISTEN, "ADDR:PORT", "receive Twilio's callbacks there (default PHONECALL_LISTEN)" },
	{ "public-url", O_PUBLIC, "URL", "the URL Twilio reaches --listen by (default PHONECALL_PUBLIC_URL)" },
	{ "audio", O_AUDIO, "DIR", "also render what each call says to DIR/*.wav" },
	{ "dry-run", 'n', NULL, "print the requests it would send, send nothing" },
	{ "at", O_AT, "TIME", "with who: at TIME instead of now" },
	{ "output", 'o', "FILE", "with tts: the WAV file to write ('-': stdout)" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt_override overrides[] = {
	{ HTTP_OPT_URL, NULL, NULL, "Twilio's API base (default PHONECALL_URL, "
	    "else https://api.twilio.com), or the webhook's URL", 0 },
	{ HTTP_OPT_TIMEOUT, NULL, NULL, "give up on one request after SEC "
	    "seconds (default 30; webhook: the --call-timeout)", 0 },
	{ 0, NULL, NULL, NULL, 0 }
};

static const struct opt *const tables[] = { options, http_opts, NULL };

static const struct opt_program prog = {
	.name = "phonecall",
	.synopsis = "[--to NUMBER | --schedule FILE] --speech TEXT [OPTIONS]\n"
	"[OPTIONS] -\n"
	"who --schedule FILE [--at TIME]\n"
	"tts --speech TEXT -o FILE.wav [--language TAG] [--voice NAME]",
	.summary = "Call the on-call engineer, explain the incident, ask, record the answer.",
	.tables = tables,
	.overrides = overrides,
	.epilog = "Exit status: 0 someone said yes (or the incident was acknowledged\n"
	"already), 1 nobody could intervene, 2 bad input, 3 the provider failed,\n"
	"4 a local failure (a write error, the address taken, out of memory,\n"
	"a call interrupted by a signal: hung up, recorded).\n"
	"Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY,\n"
	"TWILIO_API_SECRET, TWILIO_FROM, PHONECALL_PROVIDER, PHONECALL_URL,\n"
	"PHONECALL_LISTEN, PHONECALL_PUBLIC_URL, PHONECALL_LOG, PHONECALL_CSV,\n"
	"PHONECALL_SCHEDULE, PHONECALL_LANGUAGE.\n"
};

static const char *const providers[] = { "twilio", "webhook", NULL };

struct opts {
	const char *to, *schedule, *speech, *question, *incident, *from;
	const char *language, *voice, *log, *csv, *state, *listen, *public_url;
	const char *audio, *at, *output;
	int provider, escalate, dry_run;
	double quiet;
	long max_per_hour, ring_timeout;
	double call_timeout;	/* 0: the ring timeout + WAIT_AFTER_RING */
	int quiet_set, max_set, user_set, timeout_set;
	int *http_keys;		/* the shared HTTP options, replayed */
	const char **http_args;
	size_t nhttp;
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
option(struct opts *o, int key, const char *arg)
{
	switch (key) {
	case 't': o->to = arg; break;
	case 's': o->schedule = arg; break;
	case O_SPEECH: o->speech = arg; break;
	case O_QUESTION: o->question = arg; break;
	case O_INCIDENT: o->incident = arg; break;
	case O_PROVIDER:
		o->provider = opt_choice_arg("provider", arg, providers);
		break;
	case 'f': o->from = arg; break;
	case 'L': o->language = arg; break;
	case O_VOICE: o->voice = arg; break;
	case O_LOG: o->log = arg; break;
	case O_CSV: o->csv = arg; break;
	case 'e': o->escalate = 1; break;
	case O_STATE: o->state = arg; break;
	case O_QUIET:
		o->quiet = opt_duration_arg("quiet-period", arg);
		if (o->quiet > 30 * 86400.0)
			opt_usage_error("invalid --quiet-period '%s': at most "
			    "30d", arg);
		o->quiet_set = 1;
		break;
	case O_MAXCALLS:
		o->max_per_hour = (long)opt_long_arg("max-calls-per-hour", arg,
		    1, 1000);
		o->max_set = 1;
		break;
	case O_RING:
		o->ring_timeout = (long)opt_long_arg("ring-timeout", arg, 1,
		    600);
		break;
	case O_CALL_TIMEOUT:
		if ((o->call_timeout = opt_duration_arg("call-timeout", arg)) <= 0)
			opt_usage_error("invalid --call-timeout '%s': must be "
			    "more than 0", arg);
		break;
	case O_LISTEN: o->listen = arg; break;
	case O_PUBLIC: o->public_url = arg; break;
	case O_AUDIO: o->audio = arg; break;
	case 'n': o->dry_run = 1; break;
	case O_AT: o->at = arg; break;
	case 'o': o->output = arg; break;
	default:
		opt_usage_error("unhandled option");
	}
}

/* Options, then the environment for what they left unset. */
static int
parse_options(struct opts *o, int argc, char **argv)
{
	struct opt_parser *p = opt_begin(&prog, argc, argv);
	struct http_conf probe;
	const char *arg, *v;
	int key, first;

	o->provider = -1;
	o->quiet = 3600;
	o->max_per_hour = 6;
	o->ring_timeout = 30;
	o->http_keys = xcalloc((size_t)argc + 1, sizeof *o->http_keys);
	o->http_args = xcalloc((size_t)argc + 1, sizeof *o->http_args);
	http_conf_init(&probe, NULL, NULL);
	while ((key = opt_next(p, &arg)) != -1) {
		/* checked now, applied to the provider's conf later */
		if (http_conf_option(&probe, key, arg)) {
			o->http_keys[o->nhttp] = key;
			o->http_args[o->nhttp++] = arg;
			o->user_set |= key == HTTP_OPT_USER;
			o->timeout_set |= key == HTTP_OPT_TIMEOUT;
		} else {
			option(o, key, arg);
		}
	}
	http_conf_free(&probe);
	first = opt_index(p);
	opt_end(p);
	if (o->provider < 0)
		o->provider = (v = env("PHONECALL_PROVIDER")) ?
		    opt_choice_arg("provider", v, providers) : PROVIDER_TWILIO;
	if (o->schedule == NULL && o->to == NULL)
		o->schedule = env("PHONECALL_SCHEDULE");
	if (o->from == NULL)
		o->from = env("TWILIO_FROM");
	if (o->language == NULL)
		o->language = env("PHONECALL_LANGUAGE");
	if (o->language == NULL)
		o->language = DEFAULT_LANGUAGE;
	if (o->log == NULL)
		o->log = env("PHONECALL_LOG");
	if (o->csv == NULL)
		o->csv = env("PHONECALL_CSV");
	if (o->listen == NULL && o->provider == PROVIDER_TWILIO)
		o->listen = env("PHONECALL_LISTEN");
	if (o->public_url == NULL && o->provider == PROVIDER_TWILIO)
		o->public_url = env("PHONECALL_PUBLIC_URL");
	return first;
}

/* Whether an http(s) URL names a user (and so maybe a password). */
static int
has_userinfo(const char *url)
{
	const char *host = strstr(url, "://");
	size_t n;

	if (host == NULL)
		return 0;
	host += 3;
	n = strcspn(host, "/?#");
	return memchr(host, '@', n) != NULL;
}

/* Combinations that cannot work, refused before anything happens. */
static void
check(const struct opts *o)
{
	if (!language_valid(o->language))
		opt_usage_error("invalid --language '%s': expected a tag like "
		    "en-US or fr-FR", o->language);
	if (o->to != NULL && !e164_valid(o->to))
		opt_usage_error("invalid --to '%s': not E.164 (+ and up to 15 "
		    "digits, e.g. +33612345678)", o->to);
	if ((o->quiet_set || o->max_set) && o->state == NULL)
		opt_usage_error("--quiet-period and --max-calls-per-hour need "
		    "--state DIR");
	if (o->provider == PROVIDER_WEBHOOK && (o->listen || o->public_url))
		opt_usage_error("--listen and --public-url are for Twilio's "
		    "callbacks; the webhook answers in its response");
	if ((o->listen == NULL) != (o->public_url == NULL))
		opt_usage_error("--listen and --public-url go together: where "
		    "to listen, and the URL Twilio reaches it by");
	if (o->public_url != NULL && strncmp(o->public_url, "https://", 8) &&
	    strncmp(o->public_url, "http://", 7))
		opt_usage_error("invalid --public-url '%s': expected an http(s) "
		    "URL", o->public_url);
	if (o->public_url != NULL && has_userinfo(o->public_url))
		opt_usage_error("invalid --public-url: no user:password@ in it "
		    "(the listener asks for none; Twilio's signature proves "
		    "who calls, and the password would show in messages)");
}

/* A credential from the environment: no control characters. */
static const char *
secret(const char *name)
{
	const char *v = env(name);

	for (const char *p = v; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			opt_usage_error("%s holds a control character", name);
	return v;
}

/* Twilio's account, credentials and caller id. */
static void
twilio_setup(struct provider *p, const struct opts *o)
{
	const char *sid = secret("TWILIO_ACCOUNT_SID");
	const char *token = secret("TWILIO_AUTH_TOKEN");
	const char *key = secret("TWILIO_API_KEY");
	const char *keysecret = secret("TWILIO_API_SECRET");
	struct buf user = BUF_INIT;

	if (sid == NULL || strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(sid))
		opt_usage_error("TWILIO_ACCOUNT_SID must be set to the account's "
		    "SID (AC...)");
	if (o->from == NULL)
		opt_usage_error("no caller id: --from or TWILIO_FROM");
	if (!e164_valid(o->from))
		opt_usage_error("invalid --from '%s': not E.164", o->from);
	if (o->public_url != NULL && token == NULL)
		opt_usage_error("checking Twilio's callback signatures needs "
		    "TWILIO_AUTH_TOKEN");
	if (key != NULL && keysecret != NULL)
		buf_printf(&user, "%s:%s", key, keysecret);
	else if (token != NULL)
		buf_printf(&user, "%s:%s", sid, token);
	else if (!o->user_set)
		opt_usage_error("no Twilio credentials: TWILIO_AUTH_TOKEN, or "
		    "TWILIO_API_KEY and TWILIO_API_SECRET");
	if (user.len > 0 && !o->user_set)
		http_conf_set(&p->http, HTTP_OPT_USER, user.p);
	buf_free(&user);
	p->account_sid = sid;
	p->auth_token = token;
	p->from = o->from;
}

static void
provider_setup(struct provider *p, const struct opts *o)
{
	static const char *const url_env[] = { "PHONECALL_URL", NULL };
	const char *poll = env("OPSPIPE_PHONECALL_POLL");

	memset(p, 0, sizeof *p);
	p->kind = (enum provider_kind)o->provider;
	p->language = o->language;
	p->voice = o->voice;
	p->ring_timeout = o->ring_timeout;
	p->max_wait = o->call_timeout > 0 ? o->call_timeout :
	    (double)o->ring_timeout + WAIT_AFTER_RING;
	p->dry_run = o->dry_run;
	p->poll = o->public_url ? 30 : 5;
	if (poll != NULL)
		p->poll = opt_double_arg("OPSPIPE_PHONECALL_POLL", poll, 0.01,
		    3600);
	http_conf_init(&p->http, url_env, p->kind == PROVIDER_TWILIO ?
	    "https://api.twilio.com" : NULL);
	p->http.timeout = p->kind == PROVIDER_TWILIO ? 30 : p->max_wait;
	if (p->kind == PROVIDER_TWILIO)
		twilio_setup(p, o);
	for (size_t i = 0; i < o->nhttp; i++)
		http_conf_option(&p->http, o->http_keys[i], o->http_args[i]);
	if (p->http.url == NULL)
		opt_usage_error("the webhook provider needs --url or "
		    "PHONECALL_URL");
	p->pool = http_pool_new(&p->http, 1);
}

/* ---- modes ------------------------------------------------------------ */

static int
worse(int a, int b)
{
	return a > b ? a : b;
}

static int
run_args(const struct settings *s, const struct opts *o)
{
	struct request rq = { jv_null(), o->to, o->speech, o->question,
	    o->incident };
	char *why = request_refused(s, &rq);

	if (why != NULL)
		opt_usage_error("%s", why);
	return call_request(s, &rq);
}

/* A string field, or NULL; a present non-string is refused, and so is
 * a NUL byte (C would read "+336...\u0000x" as a shorter string). */
static int
field(struct jsonl *in, jv rec, const char *name, const char **out)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(name));
	jv_kind k = jv_get_kind(v);
	int nul = k == JV_KIND_STRING && strlen(jv_string_value(v)) !=
	    (size_t)jv_string_length_bytes(jv_copy(v));

	jv_free(v);
	*out = jv_get_str(rec, name);
	if (k != JV_KIND_STRING && k != JV_KIND_NULL && k != JV_KIND_INVALID) {
		jsonl_warn(in, "field '%s' must be a string", name);
		return -1;
	}
	if (nul) {
		jsonl_warn(in, "field '%s' holds a NUL byte", name);
		return -1;
	}
	return 0;
}

static int
run_records(const struct settings *s, const struct opts *o)
{
	struct jsonl *in = jsonl_open(stdin, "stdin");
	int rc = 0, got;
	jv rec;

	while (!stop_caught() && (got = jsonl_next(in, &rec)) != 0) {
		struct request rq = { rec, NULL, NULL, NULL, NULL };
		char *why;

		if (got < 0)
			continue;
		if (jv_get_kind(rec) != JV_KIND_OBJECT)
			jsonl_warn(in, "expected a JSON object");
		else if (field(in, rec, "to", &rq.to) == 0 &&
		    field(in, rec, "speech", &rq.speech) == 0 &&
		    field(in, rec, "question", &rq.question) == 0 &&
		    field(in, rec, "incident", &rq.incident) == 0) {
			/* the options fill what a request leaves out */
			rq.to = rq.to ? rq.to : o->to;
			rq.speech = rq.speech ? rq.speech : o->speech;
			rq.question = rq.question ? rq.question : o->question;
			rq.incident = rq.incident ? rq.incident : o->incident;
			if ((why = request_refused(s, &rq)) != NULL)
				jsonl_warn(in, "%s", why);
			else
				rc = worse(rc, call_request(s, &rq));
			free(why);
		}
		jv_free(rec);
	}
	if (jsonl_bad(in) > 0)
		rc = worse(rc, EXIT_USAGE);
	jsonl_close(in);
	return rc;
}

static int
run_who(const struct schedule *sch, const char *at)
{
	double t = time_now();
	long long wall;
	char since[64], until[64], now[64];

	if (sch == NULL)
		opt_usage_error("who needs --schedule FILE (or PHONECALL_SCHEDULE)");
	if (at != NULL && time_parse(at, t, &t) != 0) {
		if (tz_parse_wall(at, &wall) != 0)
			opt_usage_error("invalid --at '%s': expected RFC 3339, "
			    "Unix seconds, now-1h, or the schedule's local "
			    "2026-11-02T09:00", at);
		t = (double)tz_instant(sch->timezone, wall);
	}
	/* the calendar the tz database and a schedule know; past it the
	 * lookup would not end (1e300 as Unix seconds did not) */
	if (!(t >= 0 && t < WHO_MAX))
		opt_usage_error("invalid --at '%s': out of range (years 1970 "
		    "to 9999)", at);
	time_format((double)(time_t)t, now, sizeof now);
	for (size_t i = 0; i < sch->nlevels; i++) {
		struct oncall oc;
		jv v = jv_object();

		schedule_at(sch, i, (time_t)t, &oc);
		time_format((double)oc.since, since, sizeof since);
		time_format((double)oc.until, until, sizeof until);
		v = jv_object_set(v, jv_string("at"), jv_string(now));
		v = jv_object_set(v, jv_string("level"), jv_number((double)i));
		v = jv_object_set(v, jv_string("rotation"),
		    jv_string(oc.rotation->name));
		v = jv_object_set(v, jv_string("person"),
		    jv_string(oc.who->name));
		v = jv_object_set(v, jv_string("number"),
		    jv_string(oc.who->number));
		v = jv_object_set(v, jv_string("since"), jv_string(since));
		v = jv_object_set(v, jv_string("until"), jv_string(until));
		v = jv_object_set(v, jv_string("override"),
		    oc.override ? jv_true() : jv_false());
		if (jsonl_write(stdout, v) != 0)
			return EXIT_LOCAL;
	}
	return 0;
}

static int
run_tts(const struct opts *o)
{
	if (o->speech == NULL || o->output == NULL)
		opt_usage_error("tts needs --speech TEXT and -o FILE.wav");
	return tts_render(o->speech, o->language, o->voice, o->output);
}

static struct schedule *
load_schedule(const char *path)
{
	struct sched_error err;
	struct schedule *s;

	if (path == NULL)
		return NULL;
	if ((s = schedule_load(path, &err)) == NULL) {
		msg_at(path, err.line, "%s", err.msg);
		exit(EXIT_USAGE);
	}
	return s;
}

/* Calls: the provider, the listener and the state, then the requests. */
static int
run_calls(struct opts *o, const struct schedule *sch, int records)
{
	struct provider p;
	struct settings s = { &p, sch, NULL, o->quiet, o->max_per_hour,
	    o->escalate, o->log, o->csv, o->audio, o->language };
	char *gather = NULL, *status = NULL;
	int rc;

	if (!records && o->speech == NULL)
		opt_usage_error("no --speech: what the call should say (or '-' "
		    "for requests on stdin)");
	if (!records && o->to == NULL && sch == NULL)
		opt_usage_error("whom to call: --to NUMBER or --schedule FILE");
	provider_setup(&p, o);
	stop_install();
	if (o->public_url != NULL) {
		p.gather_url = gather = http_url_join(o->public_url, "gather");
		p.status_url = status = http_url_join(o->public_url, "status");
	}
	if (o->public_url != NULL && !o->dry_run &&
	    (p.listener = listener_start(o->listen, o->public_url,
	    p.auth_token, o->language)) == NULL)
		exit(EXIT_LOCAL);
	/* A state that cannot be used must not stop a page (as a read or
	 * write error later does not): call without the limits, exit 4. */
	if (o->state != NULL && !o->dry_run &&
	    (s.state = state_open(o->state)) == NULL)
		msg_warn("calling without --quiet-period and "
		    "--max-calls-per-hour");
	rc = records ? run_records(&s, o) : run_args(&s, o);
	if (o->state != NULL && !o->dry_run && s.state == NULL)
		rc = worse(rc, EXIT_LOCAL);
	if (stop_caught()) {
		msg_warn("stopped by a signal: nothing further called");
		rc = worse(rc, EXIT_LOCAL);
	}
	listener_stop(p.listener);
	state_close(s.state);
	http_pool_free(p.pool);
	http_conf_free(&p.http);
	free(gather);
	free(status);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct schedule *sch;
	int first, n, rc;
	char **args;

	first = parse_options(&o, argc, argv);
	args = argv + first;
	n = argc - first;
	check(&o);
	if (n > 1 || (n == 1 && strcmp(args[0], "-") != 0 &&
	    strcmp(args[0], "who") != 0 && strcmp(args[0], "tts") != 0))
		opt_usage_error("unexpected operand '%s'", args[n > 1]);
	if (n == 1 && strcmp(args[0], "tts") == 0) {
		rc = run_tts(&o);
	} else {
		sch = load_schedule(o.schedule);
		if (n == 1 && strcmp(args[0], "who") == 0) {
			rc = run_who(sch, o.at);
		} else {
			if (http_global_init() != 0)
				msg_die(EXIT_LOCAL, "cannot initialise libcurl");
			rc = run_calls(&o, sch, n == 1);
			http_global_cleanup();
		}
		schedule_free(sch);
	}
	free(o.http_keys);
	free(o.http_args);
	if (msg_close_stdout() != 0)
		rc = worse(rc, EXIT_LOCAL);
	return rc;
}
