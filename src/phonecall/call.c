/* call.c — one call request, start to end.
 *
 * Who: the request's number, or the schedule's levels at this instant
 * (all of them with --escalate, else the first). Before any call: the
 * quiet period (someone already said yes about this incident: one
 * "suppressed" record, exit 0). Then level by level: the hourly cap per
 * number, the call, its record — appended to the logs at once, printed,
 * and, on a yes, the acknowledgement in the state — until someone says
 * yes or the levels run out. A number already called for this request
 * is not called again on a later level.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "msg.h"
#include "phonecall.h"
#include "timeutil.h"

#define MAX_LEVELS	100

/* ---- stop signals ----------------------------------------------------- */

/* Process-wide by nature: a signal handler can only leave word in a
 * flag, which the call being followed reads. */
static volatile sig_atomic_t stop_armed, stop_sig;

static void
on_stop(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if (stop_armed) {
		stop_sig = sig;
		return;
	}
	/* no call to tidy up: die of it, as without a handler */
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

void
stop_install(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa = { .sa_handler = on_stop };

	/* no SA_RESTART: a sleep ends early, and the loop looks */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			msg_warn("cannot handle signal %d", sigs[i]);
}

void
stop_arm(int on)
{
	stop_armed = on;
}

int
stop_caught(void)
{
	return stop_sig;
}

char *
stop_words(int sig)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "interrupted by %s: hung up", sig == SIGTERM ?
	    "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" :
	    "a signal");
	return buf_detach(&b);
}

struct target {
	const char *number, *person, *rotation;
	int level;
};

static int
worse(int a, int b)
{
	return a > b ? a : b;
}

static jv
str_or_null(const char *s)
{
	return s != NULL ? jv_string(s) : jv_null();
}

static jv
answer_json(enum answer a)
{
	return a == ANSWER_YES ? jv_true() : a == ANSWER_NO ? jv_false() :
	    jv_null();
}

static jv
set(jv rec, const char *key, jv v)
{
	return jv_object_set(rec, jv_string(key), v);
}

/* The record's own fields, then the request's others (not "to"). */
static jv
pass_through(jv rec, jv request)
{
	if (jv_get_kind(request) != JV_KIND_OBJECT)
		return rec;
	jv_object_foreach(request, k, v) {
		if (strcmp(jv_string_value(k), "to") != 0 &&
		    !jv_object_has(jv_copy(rec), jv_copy(k)))
			rec = jv_object_set(rec, jv_copy(k), jv_copy(v));
		jv_free(k);
		jv_free(v);
	}
	return rec;
}

static jv
base_record(const struct request *rq, const struct target *t,
    const char *question, time_t when)
{
	char ts[64];
	jv rec = jv_object();

	time_format((double)when, ts, sizeof ts);
	rec = set(rec, "time", jv_string(ts));
	rec = set(rec, "number", jv_string(t->number));
	rec = set(rec, "person", str_or_null(t->person));
	rec = set(rec, "speech", jv_string(rq->speech));
	rec = set(rec, "question", jv_string(question));
	rec = set(rec, "answer", jv_null());
	return rec;
}

static jv
finish_record(const struct settings *s, const struct request *rq,
    const struct target *t, jv rec, int attempt)
{
	rec = set(rec, "attempt", jv_number(attempt));
	rec = set(rec, "level", jv_number(t->level));
	if (!jv_object_has(jv_copy(rec), jv_string("call_id")))
		rec = set(rec, "call_id", jv_null());
	rec = set(rec, "provider", jv_string(s->provider->kind ==
	    PROVIDER_TWILIO ? "twilio" : "webhook"));
	if (rq->incident != NULL)
		rec = set(rec, "incident", jv_string(rq->incident));
	if (t->rotation != NULL)
		rec = set(rec, "rotation", jv_string(t->rotation));
	return pass_through(rec, rq->rec);
}

/* Logs and prints a record (consumed); 0 or EXIT_LOCAL. */
static int
emit(const struct settings *s, jv rec)
{
	int rc = 0;

	if (s->log != NULL && calllog_json(s->log, rec) != 0)
		rc = EXIT_LOCAL;
	if (s->csv != NULL && calllog_csv(s->csv, rec) != 0)
		rc = EXIT_LOCAL;
	if (jsonl_write(stdout, rec) != 0 || fflush(stdout) != 0) {
		msg_warn("cannot write to stdout");
		rc = EXIT_LOCAL;
	}
	return rc;
}

/* The levels to call, in order; returns how many. */
static size_t
targets(const struct settings *s, const struct request *rq, time_t now,
    struct target *out)
{
	size_t n = 0, levels;

	if (rq->to != NULL) {
		out[0] = (struct target){ rq->to, schedule_person(s->schedule,
		    rq->to), NULL, 0 };
		return 1;
	}
	levels = s->escalate ? s->schedule->nlevels : 1;
	for (size_t i = 0; i < levels && n < MAX_LEVELS; i++) {
		struct oncall oc;

		schedule_at(s->schedule, i, now, &oc);
		out[n++] = (struct target){ oc.who->number, oc.who->name,
		    oc.rotation->name, (int)i };
	}
	return n;
}

static const char *
question_of(const struct settings *s, const struct request *rq)
{
	return rq->question ? rq->question : words_for(s->language)->question;
}

/* The quiet period: 1 suppressed (record printed, *rc set), 0 go on. */
static int
quiet(const struct settings *s, const struct request *rq,
    const struct target *first, time_t now, int *rc)
{
	char *by = NULL;
	int r;
	jv rec;

	if (s->state == NULL || rq->incident == NULL || s->quiet <= 0 ||
	    s->provider->dry_run)
		return 0;
	if ((r = state_quiet(s->state, rq->incident, s->quiet, now, &by)) < 0) {
		*rc = EXIT_LOCAL;
		return 0;	/* a broken state must not stop a page */
	}
	if (r == 0)
		return 0;
	rec = base_record(rq, first, question_of(s, rq), now);
	rec = set(rec, "status", jv_string("suppressed"));
	rec = set(rec, "reason", jv_string("quiet-period"));
	rec = set(rec, "acknowledged_by", jv_string(by));
	*rc = emit(s, finish_record(s, rq, first, rec, 0));
	free(by);
	return 1;
}

/* --audio DIR: DIR/TIME-NUMBER-ATTEMPT.wav; the path, or NULL. */
static char *
audio(const struct settings *s, const struct request *rq,
    const struct target *t, time_t when, int attempt)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	struct tm tm;
	char ts[32];

	gmtime_r(&when, &tm);
	strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
	buf_printf(&path, "%s/%s-%s-%d.wav", s->audio, ts, t->number,
	    attempt);
	buf_printf(&text, "%s\n%s", rq->speech, question_of(s, rq));
	if (tts_render(text.p, s->language, NULL, path.p) != 0)
		buf_free(&path);
	buf_free(&text);
	return path.len > 0 ? buf_detach(&path) : NULL;
}

/* One attempt: the call and its record. Returns its exit status and
 * sets *answer and *stop. */
static int
attempt_call(const struct settings *s, const struct request *rq,
    const struct target *t, int n, enum answer *answer, int *stop)
{
	struct attempt a = { t->number, t->person, rq->speech,
	    question_of(s, rq), rq->incident, t->level, n };
	time_t when = time(NULL);
	struct outcome o;
	char *wav = s->audio ? audio(s, rq, t, when, n) : NULL;
	int rc;
	jv rec;

	if (s->provider->kind == PROVIDER_TWILIO)
		twilio_call(s->provider, &a, &o);
	else
		webhook_call(s->provider, &a, &o);
	if (o.error != NULL)
		msg_warn("call to %s%s%s%s: %s", t->number,
		    t->person ? " (" : "", t->person ? t->person : "",
		    t->person ? ")" : "", o.error);
	rec = base_record(rq, t, a.question, when);
	rec = set(rec, "answer", answer_json(o.answer));
	rec = set(rec, "status", jv_string(o.status));
	rec = set(rec, "response", str_or_null(o.response));
	rec = set(rec, "digits", str_or_null(o.digits));
	rec = set(rec, "call_id", str_or_null(o.call_id));
	if (o.answered_by != NULL)
		rec = set(rec, "answered_by", jv_string(o.answered_by));
	if (o.error != NULL)
		rec = set(rec, "error", jv_string(o.error));
	if (wav != NULL)
		rec = set(rec, "audio", jv_string(wav));
	rc = worse(o.rc, emit(s, finish_record(s, rq, t, rec, n)));
	if (s->audio != NULL && wav == NULL)
		rc = worse(rc, EXIT_LOCAL);
	*answer = o.answer;
	*stop = o.stop;
	outcome_free(&o);
	free(wav);
	return rc;
}

/* The hourly cap: 1 capped (record printed), 0 go on. */
static int
capped(const struct settings *s, const struct request *rq,
    const struct target *t, int n, int *rc)
{
	time_t now = time(NULL);
	int r;
	jv rec;

	if (s->state == NULL)
		return 0;
	if ((r = state_reserve(s->state, t->number, s->max_per_hour,
	    now)) != 0) {
		if (r < 0)
			*rc = worse(*rc, EXIT_LOCAL);
		return 0;
	}
	msg_warn("not calling %s: already called %ld times in the last hour "
	    "(--max-calls-per-hour)", t->number, s->max_per_hour);
	rec = base_record(rq, t, question_of(s, rq), now);
	rec = set(rec, "status", jv_string("suppressed"));
	rec = set(rec, "reason", jv_string("max-calls-per-hour"));
	*rc = worse(*rc, emit(s, finish_record(s, rq, t, rec, n)));
	return 1;
}

static int
already_called(const struct target *t, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(t[j].number, t[i].number) == 0)
			return 1;
	return 0;
}

int
call_request(const struct settings *s, const struct request *rq)
{
	struct target t[MAX_LEVELS];
	time_t now = time(NULL);
	size_t n = targets(s, rq, now, t);
	int rc = 0, local = 0, attempt = 0, stop = 0;
	enum answer ans = ANSWER_NULL;

	if (quiet(s, rq, &t[0], now, &local))
		return local;
	for (size_t i = 0; i < n && ans != ANSWER_YES && !stop; i++) {
		struct attempt a = { t[i].number, t[i].person, rq->speech,
		    question_of(s, rq), rq->incident, t[i].level, ++attempt };

		if (already_called(t, i)) {
			attempt--;
			continue;
		}
		if (s->provider->dry_run) {
			local = worse(local, s->provider->kind ==
			    PROVIDER_TWILIO ? twilio_show(s->provider, &a) :
			    webhook_show(s->provider, &a));
			continue;
		}
		if (capped(s, rq, &t[i], attempt, &local))
			continue;
		rc = worse(rc, attempt_call(s, rq, &t[i], attempt, &ans,
		    &stop));
		stop |= stop_caught() != 0;	/* no further level */
		if (ans == ANSWER_YES && s->state != NULL && rq->incident &&
		    state_ack(s->state, rq->incident, time(NULL),
		    t[i].person ? t[i].person : t[i].number) != 0)
			local = EXIT_LOCAL;
	}
	if (s->provider->dry_run)
		return local;
	/* yes: 0; nobody: 1, or what went wrong on the way */
	if (ans == ANSWER_YES)
		return worse(local, rc == EXIT_LOCAL ? EXIT_LOCAL : 0);
	return worse(worse(rc, local), EXIT_FINDING);
}

char *
request_refused(const struct settings *s, const struct request *rq)
{
	struct buf why = BUF_INIT;
	const char *long_why;
	char *twiml;

	if (rq->speech == NULL || rq->speech[0] == '\0')
		buf_adds(&why, "no speech: what the call should say");
	else if (rq->to != NULL && !e164_valid(rq->to))
		buf_printf(&why, "number '%s' is not E.164 (+ and up to 15 "
		    "digits, e.g. +33612345678)", rq->to);
	else if (rq->to == NULL && s->schedule == NULL)
		buf_adds(&why, "no number and no schedule (--to, --schedule "
		    "or PHONECALL_SCHEDULE)");
	else if (rq->incident != NULL && rq->incident[0] == '\0')
		buf_adds(&why, "empty incident");
	if (why.len == 0 && s->provider->kind == PROVIDER_TWILIO) {
		struct attempt a = { "+10", NULL, rq->speech,
		    question_of(s, rq), NULL, 0, 1 };

		twiml = twiml_build(&a, s->language, s->provider->voice,
		    s->provider->gather_url, &long_why);
		if (twiml == NULL)
			buf_adds(&why, long_why);
		free(twiml);
	}
	return why.len > 0 ? buf_detach(&why) : NULL;
}
