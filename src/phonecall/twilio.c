/* twilio.c — the Twilio-compatible provider.
 *
 * One call: POST /2010-04-01/Accounts/{Sid}/Calls.json, form-encoded,
 * with the TwiML inline (Twiml), a ring timeout (Timeout), answering
 * machine detection (MachineDetection=Enable) and, when the listener
 * runs, StatusCallback with every progress event. The TwiML says the
 * speech, then asks the question in a <Gather input="dtmf speech"
 * numDigits="1"> whose action is the listener; twice, then goodbye.
 * The final status comes from the status callback, or from GET
 * .../Calls/{CallSid}.json when callbacks do not come (or without a
 * listener, where the call only speaks). A call still going when the
 * wait is over is hung up, so phonecall never leaves a line open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "msg.h"
#include "phonecall.h"

#define TWIML_MAX	4000	/* Twilio's limit on Twiml, in characters */

/* ---- TwiML ------------------------------------------------------------ */

void
xml_escape(struct buf *b, const char *text)
{
	size_t n = strlen(text), i = 0, k;

	while (i < n) {
		unsigned char c = (unsigned char)text[i];

		if ((k = utf8_char(text + i, n - i)) == 0) {
			buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
			i++;
			continue;
		}
		switch (c) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&apos;"); break;
		default:
			/* XML 1.0 has no other control characters */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				buf_addc(b, ' ');
			else
				buf_add(b, text + i, k);
		}
		i += k;
	}
}

static void
attr(struct buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	buf_printf(b, " %s=\"", name);
	xml_escape(b, value);
	buf_addc(b, '"');
}

static void
say(struct buf *b, const char *language, const char *voice, const char *text)
{
	buf_adds(b, "<Say");
	attr(b, "voice", voice);
	attr(b, "language", language);
	buf_addc(b, '>');
	xml_escape(b, text);
	buf_adds(b, "</Say>");
}

static size_t
characters(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

char *
twiml_build(const struct attempt *a, const char *language, const char *voice,
    const char *gather_url, const char **why)
{
	const struct words *w = words_for(language);
	struct buf b = BUF_INIT;

	*why = NULL;
	buf_adds(&b, "<Response>");
	say(&b, language, voice, a->speech);
	/* Asked twice: a half-awake callee may miss the first. */
	for (int i = 0; gather_url != NULL && i < 2; i++) {
		buf_adds(&b, "<Gather input=\"dtmf speech\" numDigits=\"1\"");
		attr(&b, "action", gather_url);
		attr(&b, "method", "POST");
		attr(&b, "language", language);
		buf_adds(&b, " timeout=\"6\" speechTimeout=\"auto\">");
		say(&b, language, voice, a->question);
		buf_adds(&b, "</Gather>");
	}
	if (gather_url != NULL)
		say(&b, language, voice, w->goodbye);
	buf_adds(&b, "</Response>");
	if (characters(b.p) > TWIML_MAX) {
		*why = "the speech and question are too long: Twilio takes at "
		    "most 4000 characters of TwiML";
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* ---- requests --------------------------------------------------------- */

struct param {
	const char *name, *value;
};

#define MAX_PARAMS	16

struct params {
	struct param p[MAX_PARAMS];
	size_t n;
};

static void
param(struct params *ps, const char *name, const char *value)
{
	if (ps->n < MAX_PARAMS)
		ps->p[ps->n++] = (struct param){ name, value };
}

static char *
calls_path(const struct provider *p, const char *sid)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "2010-04-01/Accounts/%s/Calls", p->account_sid);
	if (sid != NULL)
		buf_printf(&b, "/%s", sid);
	buf_adds(&b, ".json");
	return buf_detach(&b);
}

/* The create request's parameters; *twiml is the caller's to free. */
static const char *
create_params(struct provider *p, const struct attempt *a,
    struct params *ps, char **twiml, char *timeout, size_t tlen)
{
	const char *why;

	*twiml = twiml_build(a, p->language, p->voice, p->gather_url, &why);
	if (*twiml == NULL)
		return why;
	snprintf(timeout, tlen, "%ld", p->ring_timeout);
	param(ps, "To", a->number);
	param(ps, "From", p->from);
	param(ps, "Twiml", *twiml);
	param(ps, "Timeout", timeout);
	param(ps, "MachineDetection", "Enable");
	if (p->status_url != NULL) {
		param(ps, "StatusCallback", p->status_url);
		param(ps, "StatusCallbackMethod", "POST");
		param(ps, "StatusCallbackEvent", "initiated");
		param(ps, "StatusCallbackEvent", "ringing");
		param(ps, "StatusCallbackEvent", "answered");
		param(ps, "StatusCallbackEvent", "completed");
	}
	return NULL;
}

/* Known errors, in words that say what to fix. */
static const struct {
	long code;
	int stop;	/* every other call would fail the same way */
	int rc;
	const char *what;
} known[] = {
	{ 20003, 1, EXIT_UPSTREAM, "authentication failed: check "
	    "TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY "
	    "with TWILIO_API_SECRET" },
	{ 20404, 1, EXIT_UPSTREAM, "no such resource: check "
	    "TWILIO_ACCOUNT_SID and --url" },
	{ 20429, 0, EXIT_UPSTREAM, "too many requests" },
	{ 21210, 1, EXIT_USAGE, "the 'From' number is neither a number of "
	    "this account nor a verified caller id (--from, TWILIO_FROM)" },
	{ 21211, 0, EXIT_USAGE, "the 'To' number is not a valid phone "
	    "number" },
	{ 21212, 1, EXIT_USAGE, "the 'From' number is not a valid phone "
	    "number (--from, TWILIO_FROM)" },
	{ 21214, 0, EXIT_UPSTREAM, "the 'To' number cannot be reached" },
	{ 21215, 0, EXIT_UPSTREAM, "the account's geographic permissions "
	    "do not allow calling this number" },
	{ 21219, 0, EXIT_UPSTREAM, "a trial account may only call verified "
	    "numbers" },
};

char *
twilio_error(long status, const char *body, int *stop)
{
	jv v = jsonl_parse(body ? body : "", body ? strlen(body) : 0);
	struct buf b = BUF_INIT;
	const char *msg = NULL;
	double code = 0;

	*stop = status == 401 || status == 403 || status == 404;
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_get_num(v, "code", &code);
		msg = jv_get_str(v, "message");
	}
	buf_printf(&b, "Twilio answered HTTP %ld", status);
	if (code > 0)
		buf_printf(&b, ", error %ld", (long)code);
	if (msg != NULL)
		buf_printf(&b, ": %s", msg);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i].code == (long)code) {
			buf_printf(&b, " (%s)", known[i].what);
			*stop = known[i].stop;
		}
	jv_free(v);
	return buf_detach(&b);
}

static int
error_rc(const char *body)
{
	jv v = jsonl_parse(body ? body : "", body ? strlen(body) : 0);
	double code = 0;
	int rc = EXIT_UPSTREAM;

	if (jv_get_kind(v) == JV_KIND_OBJECT && jv_get_num(v, "code", &code))
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (known[i].code == (long)code)
				rc = known[i].rc;
	jv_free(v);
	return rc;
}

/*
 * One request to the API; on 2xx *out is the JSON answer. Otherwise the
 * outcome gets the error, in plain words, and the exit status. creates:
 * the request places a call, so one that may have reached Twilio is
 * never sent again (a second call would ring the callee twice).
 */
static int
api(struct provider *p, const char *method, const char *path,
    const struct params *ps, int creates, jv *out, struct outcome *o)
{
	char *url = http_url_join(p->http.url, path);
	struct http_request rq = { .method = method, .url = url,
	    .retries = -1, .no_resend = creates };
	struct http_response rs = { 0 };
	struct buf form = BUF_INIT;
	int rc = 0;

	*out = jv_invalid();
	if (ps != NULL) {
		for (size_t i = 0; i < ps->n; i++)
			http_form_add(&form, ps->p[i].name, ps->p[i].value);
		rq.content_type = "application/x-www-form-urlencoded";
		rq.body = form.p ? form.p : "";
		rq.body_len = form.len;
	}
	if (http_pool_do(p->pool, &rq, &rs) == HTTP_OK) {
		*out = jsonl_parse(rs.body.p ? rs.body.p : "", rs.body.len);
		if (jv_get_kind(*out) != JV_KIND_OBJECT) {
			jv_free(*out);
			*out = jv_invalid();
			free(o->error);
			o->error = xstrdup("Twilio's answer is not a JSON object");
			rc = o->rc = EXIT_UPSTREAM;
		}
	} else {
		free(o->error);
		if (rs.rc == HTTP_ESTATUS && rs.error[0] == '\0') {
			o->error = twilio_error(rs.status, rs.body.p, &o->stop);
			o->rc = error_rc(rs.body.p);
		} else {
			o->error = http_describe(&rq, &rs);
			o->stop = 1;	/* unreachable for everyone */
			o->rc = EXIT_UPSTREAM;
		}
		rc = o->rc;
	}
	http_response_free(&rs);
	buf_free(&form);
	free(url);
	return rc;
}

/* A Call SID goes into a URL path: letters, digits and '-' only. */
static int
sid_ok(const char *sid)
{
	return sid != NULL && *sid != '\0' && strlen(sid) < 64 &&
	    strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-") == strlen(sid);
}

static int
terminal(const char *status)
{
	return status != NULL && (strcmp(status, "completed") == 0 ||
	    strcmp(status, "busy") == 0 || strcmp(status, "no-answer") == 0 ||
	    strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0);
}

/* GET the call: its status and answered_by into o. 0 or an exit status. */
static int
fetch(struct provider *p, const char *sid, struct outcome *o)
{
	char *path = calls_path(p, sid);
	const char *s, *by;
	jv v;
	int rc = api(p, "GET", path, NULL, 0, &v, o);

	free(path);
	if (rc != 0)
		return rc;
	/* a GET that failed before no longer counts */
	free(o->error);
	o->error = NULL;
	o->rc = o->stop = 0;
	s = jv_get_str(v, "status");
	by = jv_get_str(v, "answered_by");
	free(o->status);
	o->status = xstrdup(s ? s : "unknown");
	if (by != NULL) {
		free(o->answered_by);
		o->answered_by = xstrdup(by);
	}
	jv_free(v);
	return 0;
}

/* Ends a call that outlasted the wait: canceled before it is answered,
 * completed after. */
static void
hang_up(struct provider *p, const char *sid, struct outcome *o)
{
	struct outcome ignored = { 0 };
	struct params ps = { .n = 0 };
	char *path = calls_path(p, sid);
	int ringing = o->status == NULL || strcmp(o->status, "queued") == 0 ||
	    strcmp(o->status, "ringing") == 0;
	jv v;

	param(&ps, "Status", ringing ? "canceled" : "completed");
	if (api(p, "POST", path, &ps, 0, &v, &ignored) == 0)
		jv_free(v);
	free(path);
	outcome_free(&ignored);
	free(o->status);
	o->status = xstrdup(ringing ? "canceled" : "completed");
}

static void
sleep_until(double when)
{
	double left = when - mono_now();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* What the callee pressed or said, into o. */
static void
take_answer(const struct call_news *n, struct outcome *o)
{
	if (n->digits[0] != '\0') {
		o->digits = xstrdup(n->digits);
		o->answer = answer_digits(n->digits);
	}
	if (n->speech != NULL && n->speech[0] != '\0') {
		o->response = xstrdup(n->speech);
		if (o->digits == NULL)
			o->answer = answer_speech(n->speech);
	}
	if (n->answered_by[0] != '\0') {
		free(o->answered_by);
		o->answered_by = xstrdup(n->answered_by);
	}
}

/* How long a wait lasts at most, so a signal is seen soon: it may be
 * taken by another thread, and a condition wait does not end on one. */
#define SLICE	0.25

/* Follows the call until it ends: callbacks first, GETs as a fallback.
 * A stop signal (SIGTERM, SIGINT, SIGHUP; armed by the caller) ends the
 * wait as the deadline does: the call is hung up and recorded. */
static void
follow(struct provider *p, const char *sid, struct outcome *o)
{
	double start = mono_now(), deadline = start + p->max_wait;
	double next_poll = start + p->poll;
	struct call_news news = { 0 };
	int final = 0, sig = 0;

	/* With callbacks coming, a GET is only a fallback. */
	if (p->listener != NULL)
		next_poll = start + p->ring_timeout + p->poll;
	while (!final) {
		double until = next_poll < deadline ? next_poll : deadline;

		if (until > mono_now() + SLICE)
			until = mono_now() + SLICE;
		if (p->listener != NULL) {
			free(news.speech);
			final = listener_wait(p->listener, sid, until, &news);
			if (final) {
				free(o->status);
				o->status = xstrdup(news.status);
				break;
			}
		} else {
			sleep_until(until);
		}
		if ((sig = stop_caught()) != 0)
			deadline = mono_now();
		if (mono_now() >= next_poll || mono_now() >= deadline) {
			if (fetch(p, sid, o) == 0 && terminal(o->status))
				final = 1;
			else if (o->stop)
				break;	/* the API is gone: stop asking */
			next_poll = mono_now() + p->poll;
		}
		if (!final && mono_now() >= deadline) {
			hang_up(p, sid, o);
			free(o->error);
			o->error = sig ? stop_words(sig) : xstrdup("the call had "
			    "not ended when the wait was over: hung up");
			break;
		}
	}
	if (sig)
		o->rc = EXIT_LOCAL;
	if (p->listener != NULL) {
		/* answers arrive before the end: take the last word */
		free(news.speech);
		listener_wait(p->listener, sid, 0, &news);
		take_answer(&news, o);
		listener_forget(p->listener, sid);
		/* the likeliest cause of an unanswerable call: say it */
		if (final && news.status[0] == '\0' && !news.answered)
			msg_warn("no callback from Twilio reached the listener "
			    "for call %s: is %s the public URL of --listen?",
			    sid, p->status_url);
	}
	free(news.speech);
}

void
twilio_call(struct provider *p, const struct attempt *a, struct outcome *o)
{
	struct params ps = { .n = 0 };
	char timeout[32], *twiml = NULL, *path = calls_path(p, NULL);
	const char *why, *sid, *status;
	jv v;

	memset(o, 0, sizeof *o);
	o->answer = ANSWER_NULL;
	/* from the create on, a stop signal waits for the call to be hung
	 * up and recorded (the create itself ends within --timeout) */
	stop_arm(1);
	if ((why = create_params(p, a, &ps, &twiml, timeout,
	    sizeof timeout)) != NULL) {
		o->error = xstrdup(why);
		o->rc = EXIT_USAGE;
	} else if (api(p, "POST", path, &ps, 1, &v, o) == 0) {
		sid = jv_get_str(v, "sid");
		status = jv_get_str(v, "status");
		if (!sid_ok(sid)) {
			o->error = xstrdup("Twilio's answer has no valid 'sid'");
			o->rc = EXIT_UPSTREAM;
		} else {
			o->call_id = xstrdup(sid);
			o->status = xstrdup(status ? status : "queued");
			follow(p, o->call_id, o);
		}
		jv_free(v);
	}
	stop_arm(0);
	/* the provider failed (not a signal, after which the call ended
	 * as hang_up says) */
	if (o->status == NULL || (o->error != NULL && o->rc != 0 &&
	    o->rc != EXIT_LOCAL))
		free(o->status), o->status = xstrdup("failed");
	/* An answering machine is nobody. */
	if (o->answered_by != NULL && (strncmp(o->answered_by, "machine", 7) == 0
	    || strcmp(o->answered_by, "fax") == 0) &&
	    strcmp(o->status, "completed") == 0) {
		free(o->status);
		o->status = xstrdup("no-answer");
		o->answer = ANSWER_NULL;
	}
	free(twiml);
	free(path);
}

int
twilio_show(struct provider *p, const struct attempt *a)
{
	struct params ps = { .n = 0 };
	char timeout[32], *twiml = NULL, *path = calls_path(p, NULL);
	char *url = http_url_join(p->http.url, path), *red = http_url_redact(url);
	const char *why;
	jv rec = jv_object(), form = jv_object(), events = jv_array();
	int rc = 0;

	if ((why = create_params(p, a, &ps, &twiml, timeout,
	    sizeof timeout)) != NULL) {
		msg_warn("%s", why);
		rc = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < ps.n; i++)
		if (strcmp(ps.p[i].name, "StatusCallbackEvent") == 0)
			events = jv_array_append(events,
			    jv_string(ps.p[i].value));
		else
			form = jv_object_set(form, jv_string(ps.p[i].name),
			    jv_string(ps.p[i].value));
	if (jv_array_length(jv_copy(events)) > 0)
		form = jv_object_set(form, jv_string("StatusCallbackEvent"),
		    jv_copy(events));
	rec = jv_object_set(rec, jv_string("method"), jv_string("POST"));
	rec = jv_object_set(rec, jv_string("url"), jv_string(red));
	rec = jv_object_set(rec, jv_string("headers"), jv_object_set(
	    jv_object_set(jv_object(), jv_string("Authorization"),
	    jv_string("Basic <redacted>")), jv_string("Content-Type"),
	    jv_string("application/x-www-form-urlencoded")));
	rec = jv_object_set(rec, jv_string("body"), jv_copy(form));
	rec = jv_object_set(rec, jv_string("level"), jv_number(a->level));
	rec = jv_object_set(rec, jv_string("person"), a->person ?
	    jv_string(a->person) : jv_null());
	if (jsonl_write(stdout, jv_copy(rec)) != 0)
		rc = EXIT_LOCAL;
out:
	jv_free(rec);
	jv_free(form);
	jv_free(events);
	free(twiml);
	free(path);
	free(url);
	free(red);
	return rc;
}

void
outcome_free(struct outcome *o)
{
	free(o->call_id);
	free(o->status);
	free(o->response);
	free(o->digits);
	free(o->answered_by);
	free(o->error);
	memset(o, 0, sizeof *o);
}
