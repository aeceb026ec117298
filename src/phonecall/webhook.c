/* webhook.c — the generic provider: one POST per call, the answer in
 * the response. For an in-house gateway or a paging service:
 *
 *   → {"to","person","speech","question","incident","language"}
 *   ← {"answer":true|false|null,"status":"completed",...,
 *      "response":"yes I can","digits":"1","call_id":"..."}
 *
 * The shared HTTP flags give it auth (--token, --user, --header), TLS
 * and retries like every network program.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "phonecall.h"

static const char *const statuses[] = { "completed", "no-answer", "busy",
	"failed", "canceled", NULL };

static jv
opt_string(const char *s)
{
	return s != NULL ? jv_string(s) : jv_null();
}

static jv
request_body(const struct provider *p, const struct attempt *a)
{
	jv body = jv_object();

	body = jv_object_set(body, jv_string("to"), jv_string(a->number));
	body = jv_object_set(body, jv_string("person"), opt_string(a->person));
	body = jv_object_set(body, jv_string("speech"), jv_string(a->speech));
	body = jv_object_set(body, jv_string("question"),
	    jv_string(a->question));
	body = jv_object_set(body, jv_string("incident"),
	    opt_string(a->incident));
	return jv_object_set(body, jv_string("language"),
	    jv_string(p->language));
}

/* The gateway's answer into o; NULL, or what is wrong with it. */
static const char *
read_answer(jv v, struct outcome *o)
{
	jv ans = jv_object_get(jv_copy(v), jv_string("answer"));
	jv_kind k = jv_get_kind(ans);
	const char *status = jv_get_str(v, "status");
	const char *resp = jv_get_str(v, "response");
	const char *digits = jv_get_str(v, "digits");
	const char *id = jv_get_str(v, "call_id");

	jv_free(ans);
	if (k != JV_KIND_TRUE && k != JV_KIND_FALSE && k != JV_KIND_NULL &&
	    k != JV_KIND_INVALID)
		return "'answer' must be true, false or null";
	if (status != NULL && opt_choice(status, statuses) < 0)
		return "'status' must be completed, no-answer, busy, failed or "
		    "canceled";
	o->answer = k == JV_KIND_TRUE ? ANSWER_YES : k == JV_KIND_FALSE ?
	    ANSWER_NO : ANSWER_NULL;
	o->status = xstrdup(status ? status : "completed");
	o->response = resp ? xstrdup(resp) : NULL;
	o->digits = digits ? xstrdup(digits) : NULL;
	o->call_id = id ? xstrdup(id) : NULL;
	/* digits decide when speech is vague, as with Twilio */
	if (o->answer == ANSWER_NULL && o->digits != NULL)
		o->answer = answer_digits(o->digits);
	return NULL;
}

void
webhook_call(struct provider *p, const struct attempt *a, struct outcome *o)
{
	struct buf body = BUF_INIT;
	/* no_resend: a gateway that timed out may be ringing the phone;
	 * sending again would ring it again (and wait as long again). */
	struct http_request rq = { .method = "POST", .url = p->http.url,
	    .content_type = "application/json", .retries = -1,
	    .no_resend = 1 };
	struct http_response rs = { 0 };
	const char *bad;
	jv v;

	memset(o, 0, sizeof *o);
	o->answer = ANSWER_NULL;
	jsonl_dump(&body, request_body(p, a));
	rq.body = body.p;
	rq.body_len = body.len;
	if (http_pool_do(p->pool, &rq, &rs) != HTTP_OK) {
		o->error = http_describe(&rq, &rs);
		o->rc = EXIT_UPSTREAM;
		o->stop = rs.rc != HTTP_ESTATUS || rs.status == 401 ||
		    rs.status == 403 || rs.status == 404;
	} else {
		v = jsonl_parse(rs.body.p ? rs.body.p : "", rs.body.len);
		if (jv_get_kind(v) != JV_KIND_OBJECT)
			bad = "not a JSON object";
		else
			bad = read_answer(v, o);
		if (bad != NULL) {
			outcome_free(o);
			o->answer = ANSWER_NULL;
			o->error = xstrdup(bad);
			o->rc = EXIT_UPSTREAM;
		}
		jv_free(v);
	}
	if (o->error != NULL && o->rc != 0) {
		char *why = o->error;

		o->error = NULL;
		buf_reset(&body);
		buf_printf(&body, "the webhook failed: %s", why);
		o->error = buf_detach(&body);
		free(why);
		free(o->status);
		o->status = xstrdup("failed");
	}
	http_response_free(&rs);
	buf_free(&body);
}

int
webhook_show(struct provider *p, const struct attempt *a)
{
	char *red = http_url_redact(p->http.url);
	jv rec = jv_object(), h = jv_object();

	if (p->http.token != NULL || p->http.user != NULL)
		h = jv_object_set(h, jv_string("Authorization"),
		    jv_string(p->http.user ? "Basic <redacted>" :
		    "Bearer <redacted>"));
	/* extra headers may carry a secret of their own */
	for (struct curl_slist *l = p->http.headers; l != NULL; l = l->next) {
		const char *colon = strchr(l->data, ':');

		if (colon != NULL)
			h = jv_object_set(h, jv_string_sized(l->data,
			    (int)(colon - l->data)), jv_string("<redacted>"));
	}
	h = jv_object_set(h, jv_string("Content-Type"),
	    jv_string("application/json"));
	rec = jv_object_set(rec, jv_string("method"), jv_string("POST"));
	rec = jv_object_set(rec, jv_string("url"), jv_string(red));
	rec = jv_object_set(rec, jv_string("headers"), h);
	rec = jv_object_set(rec, jv_string("body"), request_body(p, a));
	rec = jv_object_set(rec, jv_string("level"), jv_number(a->level));
	rec = jv_object_set(rec, jv_string("person"), opt_string(a->person));
	free(red);
	return jsonl_write(stdout, rec) != 0 ? EXIT_LOCAL : 0;
}
