/* phonecall.h — the contracts between phonecall's parts.
 *
 * tz.c        local wall times in a named zone (the system tz database)
 *             to UTC and back, DST gaps and overlaps decided here
 * schedule.c  the on-call schedule (YAML): rotations, overrides,
 *             escalation order; who is on call at an instant
 * answer.c    what a callee meant: digits and the yes/no speech rules;
 *             E.164 numbers; the call's words per language
 * form.c      callback bodies (application/x-www-form-urlencoded) and
 *             Twilio's request signature
 * listen.c    the callback listener (libmicrohttpd): signatures checked,
 *             answers and statuses handed to the waiting call
 * twilio.c    the Twilio-compatible provider: TwiML, create, poll, errors
 * webhook.c   the generic webhook provider
 * state.c     --state DIR: quiet periods and the hourly cap, under flock
 * calllog.c   --log (JSON lines) and --csv appends: O_APPEND, flock, fsync
 * tts.c       speech to WAV offline with libespeak-ng
 * call.c      one call request: levels, state, attempts, records;
 *             stop signals
 * main.c      options, modes (call, -, who, tts), exit statuses
 */
#ifndef PHONECALL_H
#define PHONECALL_H

#include <stddef.h>
#include <time.h>
#include <jv.h>

#include "buf.h"
#include "http.h"

/* ---- tz.c ------------------------------------------------------------- */

/*
 * A wall time is a local date and time counted as seconds since
 * 1970-01-01T00:00 of the same calendar, as if the zone were UTC
 * ("naive" seconds): wall-clock arithmetic is then plain addition, and a
 * rotation of 1d hands off at the same local hour every day, 23 or 25
 * hours apart across a DST change.
 */

/* 0 if zone names a zone file of the tz database (TZDIR, else
 * /usr/share/zoneinfo) — glibc would take an unknown name as UTC. */
int tz_valid(const char *zone);
/* The wall time at instant t in zone; *gmtoff the offset then. */
long long tz_wall(const char *zone, time_t t, long *gmtoff);
/*
 * The instant at which zone's clocks read wall. A wall time that happens
 * twice (the hour repeated when DST ends) is its first occurrence; one
 * that never happens (the hour skipped when DST starts) is shifted
 * forward by the gap: 02:30 on a day Paris skips 02:00-03:00 is 03:30.
 */
time_t tz_instant(const char *zone, long long wall);
/* "YYYY-MM-DDTHH:MM[:SS]" (or a space for T) as a wall time; -1 if bad. */
int tz_parse_wall(const char *s, long long *wall);

/* ---- schedule.c ------------------------------------------------------- */

struct person {
	char *name;
	char *number;		/* E.164, checked */
};

struct rotation {
	char *name;
	long long start;	/* wall time of a handoff */
	long long length;	/* seconds of wall clock, > 0 */
	struct person *people;
	size_t npeople;
	size_t line;
};

struct override {
	size_t rotation;	/* index into rotations */
	time_t start, end;	/* instants */
	struct person who;
	size_t line;
};

struct schedule {
	char *name;		/* for messages: the file name */
	char *timezone;
	struct rotation *rot;
	size_t nrot;
	struct override *ovr;
	size_t novr;
	size_t *levels;		/* escalation: rotation indexes */
	size_t nlevels;
};

struct sched_error {
	size_t line;		/* 0: none known */
	char msg[256];
};

/* Who is on call for one level at an instant. */
struct oncall {
	size_t level;
	const struct rotation *rotation;
	const struct person *who;
	time_t since, until;	/* the shift (or override) around the instant */
	int override;
};

/* Parses a schedule held in memory; NULL with *err filled. */
struct schedule *schedule_parse(const char *name, const char *data,
    size_t len, struct sched_error *err);
/* Reads and parses a file; NULL with *err filled. */
struct schedule *schedule_load(const char *path, struct sched_error *err);
void schedule_free(struct schedule *s);
/* Level `level` (0 .. nlevels-1) at instant t. */
void schedule_at(const struct schedule *s, size_t level, time_t t,
    struct oncall *out);
/* The name a schedule gives a number, or NULL. */
const char *schedule_person(const struct schedule *s, const char *number);

/* ---- answer.c --------------------------------------------------------- */

enum answer { ANSWER_NULL = -1, ANSWER_NO = 0, ANSWER_YES = 1 };

/* Digit 1 yes, 2 no, anything else null. */
enum answer answer_digits(const char *digits);
/* The yes/no rules (English and French, negation wins). */
enum answer answer_speech(const char *speech);
/* +, a digit 1-9, up to 14 more digits (E.164, as Twilio checks it). */
int e164_valid(const char *s);

/* The words a call says, for a language tag ("fr-FR": French). */
struct words {
	const char *question;	/* the default question */
	const char *thanks;	/* after an answer */
	const char *goodbye;	/* after two unanswered questions */
};
const struct words *words_for(const char *language);
/* A language tag we accept: letters, digits and '-', 2 to 35 long. */
int language_valid(const char *tag);

/* ---- form.c ----------------------------------------------------------- */

struct form_field {
	char *name, *value;
};

struct form {
	struct form_field *f;
	size_t n;
};

/*
 * Parses an application/x-www-form-urlencoded body ('+' is a space,
 * %XX a byte). Returns 0, or -1 for a malformed body (a bad escape, a
 * NUL byte, invalid UTF-8); out is then empty.
 */
int form_parse(const char *body, size_t len, struct form *out);
/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
void form_free(struct form *f);
/* The length of the well-formed UTF-8 character at s (1 to 4), or 0. */
size_t utf8_char(const char *s, size_t n);
/*
 * Twilio's signature of a request: base64 of HMAC-SHA1, keyed with the
 * auth token, over the URL followed by every parameter name and value,
 * sorted by name (and values of one name sorted). Caller frees.
 */
char *twilio_signature(const char *token, const char *url,
    const struct form *f);
/*
 * Whether sig is a valid signature of the request, compared in constant
 * time, for the URL as given or with its port removed or the scheme's
 * default port added (Twilio signs either way, as its own validators
 * accept).
 */
int twilio_signature_ok(const char *token, const char *url,
    const struct form *f, const char *sig);

/* ---- listen.c --------------------------------------------------------- */

/* What the callbacks told about one call so far. */
struct call_news {
	char status[24];	/* CallStatus of the latest status callback */
	char answered_by[32];	/* AnsweredBy, when machine detection ran */
	char digits[16];
	char *speech;		/* SpeechResult (owned), NULL when none */
	int answered;		/* a Gather result arrived */
	int final;		/* a terminal status arrived */
};

struct listener;

/* Seconds on the monotonic clock, for deadlines. */
double mono_now(void);

/*
 * Listens on addr ("HOST:PORT", "[V6]:PORT" or ":PORT") for the
 * callbacks Twilio posts to public_url's "gather" and "status" (see
 * http_url_join), checking each X-Twilio-Signature with token. NULL with
 * a message printed when the address is bad or taken. After an answer
 * the call thanks the callee in language and hangs up.
 */
struct listener *listener_start(const char *addr, const char *public_url,
    const char *token, const char *language);
/*
 * Waits until the call sid has a terminal status or the monotonic clock
 * passes deadline; copies what is known into *news (caller frees
 * news->speech). Returns 1 when the status is terminal.
 */
int listener_wait(struct listener *l, const char *sid, double deadline,
    struct call_news *news);
/* Forgets a finished call. */
void listener_forget(struct listener *l, const char *sid);
void listener_stop(struct listener *l);

/* ---- providers (twilio.c, webhook.c) ---------------------------------- */

enum provider_kind { PROVIDER_TWILIO, PROVIDER_WEBHOOK };

struct provider {
	enum provider_kind kind;
	struct http_conf http;
	struct http_pool *pool;
	const char *account_sid;	/* Twilio: in the path */
	const char *auth_token;		/* Twilio: signs callbacks; NULL with
					 * API keys (then no listener) */
	const char *from;
	const char *voice;
	const char *language;
	long ring_timeout;		/* seconds, Twilio's Timeout */
	double max_wait;		/* seconds a call may take, all told */
	double poll;			/* seconds between GETs of a call */
	struct listener *listener;	/* NULL: no callbacks come */
	const char *gather_url;		/* NULL: notify only, no question */
	const char *status_url;
	int dry_run;
};

/* One call to place. */
struct attempt {
	const char *number, *person;
	const char *speech, *question;
	const char *incident;		/* may be NULL */
	int level, attempt;
};

/* How it went. */
struct outcome {
	char *call_id;
	char *status;		/* completed, no-answer, busy, failed, canceled */
	enum answer answer;
	char *response;		/* the words heard, or NULL */
	char *digits;		/* the keys pressed, or NULL */
	char *answered_by;	/* Twilio's AnsweredBy, or NULL */
	char *error;		/* why the provider failed, or NULL */
	int rc;			/* 0, EXIT_USAGE (the request was refused
				 * as bad input) or EXIT_UPSTREAM */
	int stop;		/* the failure will repeat for every number
				 * (credentials, unreachable): stop */
};

void outcome_free(struct outcome *o);

/* The call's TwiML (caller frees), or NULL with *why when it would pass
 * Twilio's 4000 characters. gather_url NULL: speak only. */
char *twiml_build(const struct attempt *a, const char *language,
    const char *voice, const char *gather_url, const char **why);
/* Escapes text for XML content and attribute values into b. */
void xml_escape(struct buf *b, const char *text);

/* Places the call and follows it to its end; fills *o. */
void twilio_call(struct provider *p, const struct attempt *a,
    struct outcome *o);
void webhook_call(struct provider *p, const struct attempt *a,
    struct outcome *o);
/* --dry-run: the request that would be sent, as a JSON line. */
int twilio_show(struct provider *p, const struct attempt *a);
int webhook_show(struct provider *p, const struct attempt *a);
/* Twilio's error body {"code","message",...} in plain words (caller
 * frees); *stop set when every call would fail the same way. */
char *twilio_error(long status, const char *body, int *stop);

/* ---- state.c ---------------------------------------------------------- */

/*
 * DIR/state.json, rewritten whole (temp file, fsync, rename) under an
 * exclusive flock of DIR/lock, so concurrent phonecall processes see
 * each other's calls and acknowledgements.
 */
struct state;

struct state *state_open(const char *dir);	/* NULL with a message */
void state_close(struct state *st);
/* 1 if someone said yes about incident within quiet seconds before now;
 * *by gets their name or number (caller frees). -1 on error. */
int state_quiet(struct state *st, const char *incident, double quiet,
    time_t now, char **by);
/* Counts a call to number unless it had max in the last hour: 1 counted,
 * 0 capped, -1 on error. */
int state_reserve(struct state *st, const char *number, long max,
    time_t now);
/* Someone said yes about incident. 0, or -1 on error. */
int state_ack(struct state *st, const char *incident, time_t now,
    const char *who);

/* ---- calllog.c -------------------------------------------------------- */

/* Appends rec (borrowed) as one JSON line; 0 or -1 (reported). */
int calllog_json(const char *path, jv rec);
/* Appends rec's time, number, speech, answer, status and person as one
 * RFC 4180 row, the header first in an empty file; 0 or -1. */
int calllog_csv(const char *path, jv rec);
/* One RFC 4180 field into b (quoted when it must be). */
void csv_field(struct buf *b, const char *s);
/* write(2) until all of p is written; 0, or -1 with errno. */
int write_all(int fd, const char *p, size_t n);

/* ---- tts.c ------------------------------------------------------------ */

/* Renders text to a 16-bit mono WAV file (written whole, then renamed
 * into place; "-" is stdout). voice: an espeak-ng voice name, or NULL
 * for the language's. Returns 0, or an exit status (reported). */
int tts_render(const char *text, const char *language, const char *voice,
    const char *path);

/* ---- call.c ----------------------------------------------------------- */

struct settings {
	struct provider *provider;
	const struct schedule *schedule;	/* may be NULL */
	struct state *state;			/* may be NULL */
	double quiet;				/* seconds */
	long max_per_hour;
	int escalate;
	const char *log, *csv, *audio;
	const char *language;
};

/* What one request asks. */
struct request {
	jv rec;			/* the record, for its other fields (borrowed) */
	const char *to;		/* NULL: the schedule decides */
	const char *speech, *question, *incident;
};

/*
 * Stop signals (SIGTERM, SIGINT, SIGHUP). While a Twilio call is placed
 * or followed (armed), one is only noted, so the call can be hung up and
 * recorded before phonecall exits 4 without calling further; at any
 * other time it ends phonecall at once, as it would without a handler.
 */
void stop_install(void);
void stop_arm(int on);
/* The signal caught while armed, or 0. */
int stop_caught(void);
/* "interrupted by SIGTERM: hung up" (caller frees). */
char *stop_words(int sig);

/* Calls about one request, printing a record per attempt; returns its
 * exit status (0 yes or suppressed, 1 nobody, 2, 3, 4). */
int call_request(const struct settings *s, const struct request *rq);
/* Why a request cannot be called (its numbers checked before any
 * call), or NULL. Caller frees. */
char *request_refused(const struct settings *s, const struct request *rq);

#endif
