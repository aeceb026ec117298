/* listen.c — the callback listener, on libmicrohttpd.
 *
 * While calls are in flight, Twilio posts two kinds of callbacks to the
 * URLs phonecall gave it: the Gather action (the callee's digits or
 * words) and status callbacks (initiated, ringing, answered, completed,
 * or busy, no-answer, failed, canceled). Each is accepted only with a
 * valid X-Twilio-Signature over the public URL phonecall gave — a forged
 * or unsigned request gets 403 and changes nothing. What is accepted is
 * kept per CallSid for the waiting call (listener_wait); the daemon's
 * own thread writes, the caller's reads, under one mutex.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "msg.h"
#include "phonecall.h"

#define MAX_BODY	(64 * 1024)
#define MAX_CALLS	256

struct entry {
	char sid[64];
	struct call_news news;
	int waited;		/* a call of ours is waiting for it */
	unsigned long age;	/* for reusing the oldest stray entry */
};

struct listener {
	struct MHD_Daemon *daemon;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *gather_url, *status_url, *token;
	char *hangup;		/* TwiML answering a Gather action */
	struct entry calls[MAX_CALLS];
	unsigned long clock;
	int busy;		/* requests whose answer is not sent yet */
};

struct upload {
	struct buf body;
	int too_big;
};

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
terminal(const char *status)
{
	static const char *const done[] = { "completed", "busy", "no-answer",
	    "failed", "canceled", NULL };

	for (const char *const *d = done; *d != NULL; d++)
		if (strcmp(status, *d) == 0)
			return 1;
	return 0;
}

/* The entry for sid, made (or a stray one reused) when absent. Locked. */
static struct entry *
entry_for(struct listener *l, const char *sid)
{
	struct entry *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < MAX_CALLS; i++) {
		struct entry *e = &l->calls[i];

		if (e->sid[0] != '\0' && strcmp(e->sid, sid) == 0)
			return e;
		if (e->sid[0] == '\0' && free_slot == NULL)
			free_slot = e;
		if (e->sid[0] != '\0' && !e->waited &&
		    (oldest == NULL || e->age < oldest->age))
			oldest = e;
	}
	if (free_slot == NULL)
		free_slot = oldest;
	if (free_slot == NULL)
		return NULL;
	free(free_slot->news.speech);
	memset(free_slot, 0, sizeof *free_slot);
	snprintf(free_slot->sid, sizeof free_slot->sid, "%s", sid);
	free_slot->age = ++l->clock;
	return free_slot;
}

static void
copy_field(char *dst, size_t len, const char *src)
{
	if (src != NULL)
		snprintf(dst, len, "%s", src);
}

/* A verified callback: what it says goes into the call's entry. */
static void
record(struct listener *l, int gather, const struct form *f)
{
	const char *sid = form_get(f, "CallSid");
	const char *status = form_get(f, "CallStatus");
	const char *speech = form_get(f, "SpeechResult");
	struct entry *e;

	pthread_mutex_lock(&l->mu);
	if ((e = entry_for(l, sid)) != NULL) {
		if (gather) {
			copy_field(e->news.digits, sizeof e->news.digits,
			    form_get(f, "Digits"));
			if (speech != NULL) {
				free(e->news.speech);
				e->news.speech = xstrdup(speech);
			}
			e->news.answered = 1;
		} else if (status != NULL && !e->news.final) {
			copy_field(e->news.status, sizeof e->news.status,
			    status);
			e->news.final = terminal(status);
		}
		copy_field(e->news.answered_by, sizeof e->news.answered_by,
		    form_get(f, "AnsweredBy"));
	}
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *body,
    const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* Which callback a path is: 1 gather, 0 status, -1 neither. The last
 * segment decides, so a proxy may keep or strip the public path. */
static int
route(const char *url)
{
	const char *last = strrchr(url, '/');

	last = last ? last + 1 : url;
	if (strcmp(last, "gather") == 0)
		return 1;
	if (strcmp(last, "status") == 0)
		return 0;
	return -1;
}

static enum MHD_Result
complete(struct listener *l, struct MHD_Connection *c, const char *url,
    const char *method, struct upload *up)
{
	const char *type, *sig;
	struct form f;
	int gather = route(url), ok;

	if (gather < 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain");
	if (strcmp(method, "POST") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n",
		    "text/plain");
	if (up->too_big)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "too large\n",
		    "text/plain");
	type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (type == NULL || strncasecmp(type,
	    "application/x-www-form-urlencoded", 33) != 0)
		return reply(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "form-encoded bodies only\n", "text/plain");
	if (form_parse(up->body.p ? up->body.p : "", up->body.len, &f) != 0)
		return reply(c, MHD_HTTP_BAD_REQUEST, "malformed form\n",
		    "text/plain");
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Twilio-Signature");
	ok = twilio_signature_ok(l->token, gather ? l->gather_url :
	    l->status_url, &f, sig);
	if (!ok) {
		msg_warn("refused a %s callback with %s signature (403)",
		    gather ? "gather" : "status", sig ? "a bad" : "no");
		form_free(&f);
		return reply(c, MHD_HTTP_FORBIDDEN, "bad signature\n",
		    "text/plain");
	}
	if (form_get(&f, "CallSid") == NULL) {
		form_free(&f);
		return reply(c, MHD_HTTP_BAD_REQUEST, "no CallSid\n",
		    "text/plain");
	}
	record(l, gather, &f);
	form_free(&f);
	if (gather)
		return reply(c, MHD_HTTP_OK, l->hangup, "text/xml");
	return reply(c, MHD_HTTP_NO_CONTENT, "", NULL);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **con_cls)
{
	struct upload *up = *con_cls;

	(void)version;
	if (up == NULL) {
		struct listener *l = cls;

		*con_cls = xcalloc(1, sizeof *up);
		pthread_mutex_lock(&l->mu);
		l->busy++;
		pthread_mutex_unlock(&l->mu);
		return MHD_YES;
	}
	if (*size > 0) {
		if (up->body.len + *size > MAX_BODY)
			up->too_big = 1;
		else
			buf_add(&up->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	return complete(cls, c, url, method, up);
}

static void
done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;
	struct listener *l = cls;

	(void)c, (void)toe;
	if (up != NULL) {
		buf_free(&up->body);
		free(up);
		*con_cls = NULL;
		pthread_mutex_lock(&l->mu);
		l->busy--;
		pthread_mutex_unlock(&l->mu);
	}
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" resolved; 0 or -1 (reported). */
static int
resolve(const char *addr, struct sockaddr_storage *ss, int *v6)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	const char *colon = strrchr(addr, ':');
	char host[256];
	size_t hl;
	int rc;

	if (colon == NULL || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    (size_t)(colon - addr) >= sizeof host) {
		msg_warn("invalid --listen '%s': expected HOST:PORT", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']')
		snprintf(host, sizeof host, "%.*s", (int)(hl - 2), addr + 1);
	else
		snprintf(host, sizeof host, "%.*s", (int)hl, addr);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0 || res == NULL) {
		msg_warn("invalid --listen '%s': %s", addr, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
}

static char *
hangup_twiml(const char *language)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "<Response><Say language=\"");
	xml_escape(&b, language);
	buf_adds(&b, "\">");
	xml_escape(&b, words_for(language)->thanks);
	buf_adds(&b, "</Say><Hangup/></Response>");
	return buf_detach(&b);
}

struct listener *
listener_start(const char *addr, const char *public_url, const char *token,
    const char *language)
{
	struct sockaddr_storage ss;
	struct listener *l;
	pthread_condattr_t ca;
	int v6;

	if (resolve(addr, &ss, &v6) != 0)
		return NULL;
	l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->gather_url = http_url_join(public_url, "gather");
	l->status_url = http_url_join(public_url, "status");
	l->token = xstrdup(token);
	l->hangup = hangup_twiml(language);
	l->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, handle, l,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, done, l,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_LIMIT, 64u,
	    MHD_OPTION_END);
	if (l->daemon == NULL) {
		msg_warn("cannot listen on '%s': %s", addr, strerror(errno));
		listener_stop(l);
		return NULL;
	}
	return l;
}

int
listener_wait(struct listener *l, const char *sid, double deadline,
    struct call_news *news)
{
	struct entry *e;
	int final = 0;

	memset(news, 0, sizeof *news);
	pthread_mutex_lock(&l->mu);
	for (;;) {
		struct timespec ts;
		double left;

		if ((e = entry_for(l, sid)) == NULL)
			break;
		e->waited = 1;
		if (e->news.final || (left = deadline - mono_now()) <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)left;
		ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT)
			deadline = 0;	/* one more look, then out */
	}
	if (e != NULL) {
		*news = e->news;
		news->speech = e->news.speech ? xstrdup(e->news.speech) : NULL;
		final = e->news.final;
	}
	pthread_mutex_unlock(&l->mu);
	return final;
}

void
listener_forget(struct listener *l, const char *sid)
{
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < MAX_CALLS; i++)
		if (strcmp(l->calls[i].sid, sid) == 0) {
			free(l->calls[i].news.speech);
			memset(&l->calls[i], 0, sizeof l->calls[i]);
		}
	pthread_mutex_unlock(&l->mu);
}

/* Stops taking connections, then lets the answers already being sent
 * (the last status callback's, typically) go out, for up to 2 s. */
static void
drain(struct listener *l)
{
	double until = mono_now() + 2;
	struct timespec ten_ms = { 0, 10000000L };
	MHD_socket fd = MHD_quiesce_daemon(l->daemon);
	int busy;

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (;;) {
		pthread_mutex_lock(&l->mu);
		busy = l->busy;
		pthread_mutex_unlock(&l->mu);
		if (busy <= 0 || mono_now() > until)
			break;
		nanosleep(&ten_ms, NULL);
	}
}

void
listener_stop(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->daemon != NULL) {
		drain(l);
		MHD_stop_daemon(l->daemon);
	}
	for (size_t i = 0; i < MAX_CALLS; i++)
		free(l->calls[i].news.speech);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->gather_url);
	free(l->status_url);
	free(l->token);
	free(l->hangup);
	free(l);
}
