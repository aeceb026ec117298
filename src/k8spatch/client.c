/* client.c — requests to the Kubernetes API server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "jsonl.h"
#include "kutil.h"
#include "msg.h"

/* One setting; the message names its source, never its value. */
static int
set(struct http_conf *http, int key, const char *value, const char *what,
    char **err)
{
	const char *why;
	char tmp[512];

	if (value == NULL || (why = http_conf_set(http, key, value)) == NULL)
		return 0;
	snprintf(tmp, sizeof tmp, "%s: %s", what, why);
	*err = xstrdup(tmp);
	return EXIT_USAGE;
}

int
kc_configure(struct http_conf *http, const struct kube_conn *c, char **err)
{
	char *basic = NULL;
	int rc;

	*err = NULL;
	if (c->username || c->password) {
		size_t n = (c->username ? strlen(c->username) : 0) +
		    (c->password ? strlen(c->password) : 0) + 2;

		basic = xmalloc(n);
		snprintf(basic, n, "%s:%s", c->username ? c->username : "",
		    c->password ? c->password : "");
	}
	rc = set(http, HTTP_OPT_URL, c->server, "server", err) ||
	    set(http, HTTP_OPT_CACERT, c->ca_file, "certificate-authority",
	    err) || set(http, HTTP_SET_CA_PEM, c->ca_data.p,
	    "certificate-authority-data", err) || set(http, HTTP_OPT_CERT,
	    c->cert_file, "client-certificate", err) || set(http,
	    HTTP_OPT_KEY, c->key_file, "client-key", err) || set(http,
	    HTTP_SET_CERT_PEM, c->cert_data.p, "client-certificate-data",
	    err) || set(http, HTTP_SET_KEY_PEM, c->key_data.p,
	    "client-key-data", err) || set(http, HTTP_SET_TLS_SERVER_NAME,
	    c->tls_server_name, "tls-server-name", err) || set(http,
	    HTTP_SET_PROXY, c->proxy_url, "proxy-url", err) || set(http,
	    HTTP_OPT_TOKEN, c->token, "token", err) || set(http,
	    HTTP_OPT_USER, basic, "username/password", err);
	if (c->insecure)
		http->insecure = 1;
	if (basic) {
		explicit_bzero(basic, strlen(basic));
		free(basic);
	}
	return rc ? EXIT_USAGE : 0;
}

void
kc_init(struct kclient *k, const struct kube_conn *conn,
    struct http_conf *http)
{
	memset(k, 0, sizeof *k);
	k->http = *http;
	memset(http, 0, sizeof *http);
	k->conn = conn;
	cred_init(&k->cred, conn, k->http.timeout);
	k->pool = http_pool_new(&k->http, 1);
	k->cluster = xstrdup(conn && conn->cluster_name ? conn->cluster_name :
	    k->http.url ? k->http.url : "");
	k->discovery = jv_object();
}

void
kc_free(struct kclient *k)
{
	if (k->pool)
		http_pool_free(k->pool);
	http_conf_free(&k->http);
	free(k->cluster);
	jv_free(k->discovery);
	memset(k, 0, sizeof *k);
}

int
kc_exit(const struct kerr *e)
{
	switch (e->status) {
	case 409:
		return EXIT_FINDING;
	case 400:
	case 404:
	case 415:
	case 422:
		return EXIT_USAGE;
	default:
		return EXIT_UPSTREAM;
	}
}

void
kc_query(struct buf *path, const char *key, const char *value)
{
	char *k = curl_easy_escape(NULL, key, 0);
	char *v = curl_easy_escape(NULL, value, 0);

	if (k == NULL || v == NULL)
		msg_oom();
	buf_addc(path, path->p && strchr(path->p, '?') ? '&' : '?');
	buf_printf(path, "%s=%s", k, v);
	curl_free(k);
	curl_free(v);
}

static int
field_conflict(jv st)
{
	jv causes = jv_at(st, "details.causes");
	int yes = 0;

	if (jv_get_kind(causes) == JV_KIND_ARRAY)
		jv_array_foreach(causes, i, c) {
			const char *r = jv_get_str(c, "reason");

			(void)i;
			yes |= r && strcmp(r, "FieldManagerConflict") == 0;
			jv_free(c);
		}
	jv_free(causes);
	return yes;
}

/* The Status object's message, with its causes, into e. */
static void
status_message(struct kerr *e, const struct http_response *rs)
{
	jv st = rs->body.p ? jv_parse_sized(rs->body.p, (int)rs->body.len) :
	    jv_invalid();
	const char *msg = jv_is_valid(st) ? jv_get_str(st, "message") : NULL;
	const char *reason = jv_is_valid(st) ? jv_get_str(st, "reason") : NULL;

	snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
	e->field_conflict = jv_is_valid(st) && field_conflict(st);
	if (rs->error[0] != '\0') {
		/* A redirect the HTTP layer would not follow: it says why. */
		snprintf(e->message, sizeof e->message, "HTTP %ld: %s",
		    rs->status, rs->error);
	} else if (msg && *msg) {
		snprintf(e->message, sizeof e->message, "%s (HTTP %ld)", msg,
		    rs->status);
	} else {
		/* Not a Status: the first line of whatever came. */
		size_t n = rs->body.p ? strcspn(rs->body.p, "\r\n") : 0;

		snprintf(e->message, sizeof e->message, "HTTP %ld%s%.*s",
		    rs->status, n ? ": " : "", (int)(n > 300 ? 300 : n),
		    rs->body.p ? rs->body.p : "");
	}
	jv_free(st);
}

static void
fill_error(struct kerr *e, const struct http_request *rq,
    const struct http_response *rs)
{
	memset(e, 0, sizeof *e);
	e->status = rs->rc == HTTP_ESTATUS ? rs->status : 0;
	if (rs->rc == HTTP_ESTATUS) {
		status_message(e, rs);
	} else {
		char *d = http_describe(rq, rs);

		snprintf(e->message, sizeof e->message, "%s", d);
		free(d);
	}
}

static int
attempt(struct kclient *k, const struct http_request *rq,
    struct http_response *rs, int refresh, struct kerr *e)
{
	char *err = NULL;
	int rc = cred_apply(&k->cred, &k->http, refresh, &err);

	if (rc) {
		memset(e, 0, sizeof *e);
		snprintf(e->message, sizeof e->message, "%s", err);
		free(err);
		return rc;
	}
	http_response_free(rs);
	memset(rs, 0, sizeof *rs);
	http_pool_do(k->pool, rq, rs);
	return 0;
}

/* The request, once more with a fresh credential after a 401. */
static int
request(struct kclient *k, const struct http_request *rq,
    struct http_response *rs, struct kerr *e)
{
	int rc = attempt(k, rq, rs, 0, e);

	if (rc == 0 && rs->rc == HTTP_ESTATUS && rs->status == 401 &&
	    cred_refreshable(&k->cred))
		rc = attempt(k, rq, rs, 1, e);
	if (rc == 0 && rs->rc != HTTP_OK) {
		fill_error(e, rq, rs);
		rc = kc_exit(e);
	}
	return rc;
}

int
kc_stream(struct kclient *k, const char *path, http_data_fn on_data,
    void *ctx, struct kerr *e)
{
	char *url = http_url_join(k->http.url, path);
	struct http_request rq = { .method = "GET", .url = url,
	    .on_data = on_data, .ctx = ctx, .retries = -1 };
	struct http_response rs = { 0 };
	int rc;

	memset(e, 0, sizeof *e);
	rc = request(k, &rq, &rs, e);
	if (rc && rs.rc == HTTP_EABORTED && e->message[0] == '\0')
		snprintf(e->message, sizeof e->message, "aborted");
	http_response_free(&rs);
	free(url);
	return rc;
}

int
kc_do(struct kclient *k, const char *method, const char *path,
    const char *content_type, const char *body, jv *out, struct kerr *e)
{
	char *url = http_url_join(k->http.url, path);
	struct http_request rq = { .method = method, .url = url,
	    .content_type = content_type, .body = body,
	    .body_len = body ? strlen(body) : 0, .retries = -1 };
	struct http_response rs = { 0 };
	int rc;

	if (out)
		*out = jv_null();
	rc = request(k, &rq, &rs, e);
	if (rc == 0 && out) {
		*out = jv_parse_sized(rs.body.p ? rs.body.p : "null",
		    rs.body.p ? (int)rs.body.len : 4);
		if (!jv_is_valid(*out)) {
			jv_free(*out);
			*out = jv_null();
			memset(e, 0, sizeof *e);
			snprintf(e->message, sizeof e->message,
			    "the API server's answer to %s %s is not JSON",
			    method, path);
			rc = EXIT_UPSTREAM;
		}
	}
	http_response_free(&rs);
	free(url);
	return rc;
}

int
kc_text(struct kclient *k, const char *path, char **out, struct kerr *e)
{
	char *url = http_url_join(k->http.url, path);
	struct http_request rq = { .method = "GET", .url = url, .retries = -1 };
	struct http_response rs = { 0 };
	int rc;

	*out = NULL;
	memset(e, 0, sizeof *e);
	rc = request(k, &rq, &rs, e);
	if (rc == 0)
		*out = xstrdup(rs.body.p ? rs.body.p : "");
	http_response_free(&rs);
	free(url);
	return rc;
}

int
kc_get(struct kclient *k, const char *path, jv *out, struct kerr *e)
{
	return kc_do(k, "GET", path, NULL, NULL, out, e);
}
