/* http.c — the shared HTTP layer's transfers: retries, pools on
 * curl_multi, URLs and diagnostics. Options and credentials are in
 * httpconf.c.
 *
 * Every request, even a single one, runs through a pool: one code path for
 * retries, timers and streaming. A request's attempts reuse its easy
 * handle; connections and DNS answers are cached by the multi handle.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "msg.h"

#define USER_AGENT	"opspipe/" OPSPIPE_VERSION
#define POLL_MAX_MS	1000
#define MAX_REDIRECTS	10

static char *origin_of(const char *url);

/* ---- URLs and forms --------------------------------------------------- */

char *
http_url_join(const char *base, const char *path)
{
	struct buf b = BUF_INIT;
	size_t n = strcspn(base, "?#");
	const char *query = base[n] == '?' ? base + n + 1 : NULL;
	size_t qlen = query ? strcspn(query, "#") : 0;
	int path_has_query = strchr(path, '?') != NULL;

	/* A base URL may carry a query a proxy needs ("?tenant=a"): the path
	 * goes before it, and the two queries are merged. */
	while (n > 0 && base[n - 1] == '/')
		n--;
	while (*path == '/')
		path++;
	buf_add(&b, base, n);
	buf_addc(&b, '/');
	buf_adds(&b, path);
	if (qlen > 0) {
		buf_addc(&b, path_has_query ? '&' : '?');
		buf_add(&b, query, qlen);
	}
	return buf_detach(&b);
}

void
http_form_add(struct buf *b, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s;
	int i;

	if (b->len > 0)
		buf_addc(b, '&');
	for (i = 0, s = key; i < 2; i++, s = value) {
		if (i == 1)
			buf_addc(b, '=');
		for (; *s != '\0'; s++) {
			unsigned char ch = (unsigned char)*s;

			if (isalnum(ch) || strchr("-._~", ch) != NULL) {
				buf_addc(b, (char)ch);
			} else {
				buf_addc(b, '%');
				buf_addc(b, hex[ch >> 4]);
				buf_addc(b, hex[ch & 15]);
			}
		}
	}
}

/* Where the authority of url starts and ends (after "scheme://"). */
static const char *
authority(const char *url, const char **end)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	*end = p + strcspn(p, "/?#");
	return p;
}

char *
http_url_redact(const char *url)
{
	const char *host, *end, *at;
	struct buf b = BUF_INIT;

	host = authority(url, &end);
	at = NULL;
	for (const char *q = host; q < end; q++)
		if (*q == '@')
			at = q;
	if (at == NULL)
		return xstrdup(url);
	buf_add(&b, url, (size_t)(host - url));
	buf_adds(&b, at + 1);
	return buf_detach(&b);
}

/* ---- pool ------------------------------------------------------------- */

enum job_state { JOB_READY, JOB_WAITING, JOB_RUNNING };

struct job {
	struct job *next;
	struct http_pool *pool;
	const struct http_request *rq;
	struct http_response *rs;
	http_done_fn done;
	void *ctx;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;	/* for conf's tls_server_name */
	char *url;		/* after a redirect: where to (else rq->url) */
	int hops;		/* redirects followed */
	int as_get;		/* a 301/302/303 turned the POST into a GET */
	enum job_state state;
	int retries;		/* allowed extra attempts */
	double started;		/* first attempt, monotonic seconds */
	double due;		/* a waiting retry starts at this time */
	size_t bytes;		/* 2xx body bytes this attempt */
	int delivered;		/* on_data has seen a chunk: no retry */
	int too_big, aborted, cut;
	double wait;		/* from rq->retry_wait, or < 0 */
	char errbuf[CURL_ERROR_SIZE];
};

struct http_pool {
	const struct http_conf *conf;
	CURLM *multi;
	int jobs, running;
	size_t pending;
	struct job *ready, *ready_tail;	/* fresh, FIFO */
	struct job *waiting;		/* retries on a timer */
	struct job *active;		/* in the multi handle */
	uint64_t rng;
};

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: jitter needs spread, not cryptographic strength. */
static double
pool_random(struct http_pool *p)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return (double)((p->rng * 0x2545F4914F6CDD1DULL) >> 11) /
	    (double)(1ULL << 53);
}

struct http_pool *
http_pool_new(const struct http_conf *c, int jobs)
{
	struct http_pool *p = xcalloc(1, sizeof *p);
	struct timespec ts;

	p->conf = c;
	p->jobs = jobs > 0 ? jobs : 1;
	if ((p->multi = curl_multi_init()) == NULL)
		msg_oom();
	clock_gettime(CLOCK_REALTIME, &ts);
	p->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)p;
	if (p->rng == 0)
		p->rng = 0x9E3779B97F4A7C15ULL;
	return p;
}

void
http_pool_add(struct http_pool *p, const struct http_request *rq,
    struct http_response *rs, http_done_fn done, void *ctx)
{
	struct job *j;
	const char *why;
	char *where;

	/* Values set around http_conf_set: refused, not sent. */
	if ((why = http_request_check(p->conf, rq)) != NULL) {
		where = origin_of(rq->url);
		msg_die(EXIT_USAGE, "not sending a request to %s: %s",
		    where ? where : "the server", why);
	}
	j = xcalloc(1, sizeof *j);
	j->pool = p;
	j->rq = rq;
	j->rs = rs;
	j->done = done;
	j->ctx = ctx;
	j->retries = rq->retries < 0 ? p->conf->retries : rq->retries;
	j->state = JOB_READY;
	rs->rc = HTTP_OK;
	rs->status = 0;
	rs->attempts = 0;
	rs->ms = 0;
	rs->error[0] = '\0';
	free(rs->content_type);
	rs->content_type = NULL;
	free(rs->url);
	rs->url = NULL;
	buf_reset(&rs->body);
	buf_reset(&rs->headers);
	if (p->ready_tail)
		p->ready_tail->next = j;
	else
		p->ready = j;
	p->ready_tail = j;
	p->pending++;
}

size_t
http_pool_pending(const struct http_pool *p)
{
	return p->pending;
}

static int
is_2xx(long code)
{
	return code >= 200 && code < 300;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct job *j = arg;
	const struct http_request *rq = j->rq;
	struct buf *body = &j->rs->body;
	size_t len = size * nmemb, room;
	long code = 0;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	if (!is_2xx(code)) {
		/* Enough to show the error; the rest is not worth reading. */
		room = HTTP_ERROR_BODY_MAX - body->len;
		if (len > room) {
			buf_add(body, data, room);
			j->cut = 1;
			return 0;
		}
		buf_add(body, data, len);
		return len;
	}
	if (j->rs->head_len < HTTP_HEAD_MAX) {
		room = HTTP_HEAD_MAX - j->rs->head_len;
		memcpy(j->rs->head + j->rs->head_len, data,
		    len < room ? len : room);
		j->rs->head_len += len < room ? len : room;
	}
	j->bytes += len;
	j->rs->bytes = j->bytes;
	if (j->bytes > j->pool->conf->max_response) {
		j->too_big = 1;
		return 0;
	}
	if (rq->on_data == NULL) {
		buf_add(body, data, len);
		return len;
	}
	if (len == 0)
		return 0;
	j->delivered = 1;
	if (rq->on_data(rq->ctx, data, len) != 0) {
		j->aborted = 1;
		return 0;
	}
	return len;
}

/* Keeps the header lines of the last answer: a redirect or a 100
 * Continue starts a new set with its status line. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct job *j = arg;
	size_t len = size * nmemb;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		buf_reset(&j->rs->headers);
	if (j->rs->headers.len + len <= HTTP_ERROR_BODY_MAX)
		buf_add(&j->rs->headers, data, len);
	return len;
}

/* ---- redirects -------------------------------------------------------- */

/*
 * libcurl's own following would send --header values and a POST body to
 * whatever host a redirect names (it drops only its own Authorization).
 * The rule here: a redirect within the origin (scheme, host and port) of
 * the request is followed as libcurl would, with everything; one to
 * another origin only for a GET or HEAD that carries nothing of the
 * user's: no token, password, client certificate, header or body. Never
 * from https to http. Anything else ends the request with its 3xx and a
 * message naming the target's origin (never its path or query).
 */

static const char *
job_url(const struct job *j)
{
	return j->url ? j->url : j->rq->url;
}

static int
is_redirect(long code)
{
	return code == 301 || code == 302 || code == 303 || code == 307 ||
	    code == 308;
}

static CURLU *
url_parse(const char *url)
{
	CURLU *u;

	if ((u = curl_url()) == NULL)
		msg_oom();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

/* "scheme://host:port", lowercase, the port always given (caller
 * frees); NULL when url does not parse. Never userinfo or path. */
static char *
origin_of(const char *url)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *o = NULL;
	struct buf b = BUF_INIT;
	CURLU *u = url_parse(url);

	if (u != NULL &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK) {
		buf_printf(&b, "%s://%s:%s", scheme, host, port);
		for (size_t i = 0; i < b.len; i++)
			b.p[i] = (char)tolower((unsigned char)b.p[i]);
		o = buf_detach(&b);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return o;
}

static int
same_origin(const char *a, const char *b)
{
	char *oa = origin_of(a), *ob = origin_of(b);
	int same = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;

	free(oa);
	free(ob);
	return same;
}

static int
has_userinfo(const char *url)
{
	char *user = NULL;
	CURLU *u = url_parse(url);
	int has = u != NULL &&
	    curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;

	curl_free(user);
	curl_url_cleanup(u);
	return has;
}

/* What of the user's the request would take to another origin, or NULL
 * when it is a bare GET or HEAD. */
static const char *
cargo(const struct job *j)
{
	const struct http_conf *c = j->pool->conf;
	const struct http_request *rq = j->rq;
	const char *m = rq->method ? rq->method : "GET";

	if (rq->body != NULL || (strcmp(m, "GET") != 0 &&
	    strcmp(m, "HEAD") != 0))
		return "a request body";
	if (c->user != NULL || has_userinfo(rq->url))
		return "a password";
	if (c->token != NULL)
		return "the token";
	if (c->headers != NULL || rq->headers != NULL)
		return "the request's headers";
	if (c->cert != NULL || c->cert_pem != NULL)
		return "the client certificate";
	return NULL;
}

/* The Location of the answer, resolved against the URL that got it
 * (caller frees); NULL when there is none or it does not parse. */
static char *
location(struct job *j)
{
	struct curl_header *h;
	char *out = NULL, *to = NULL;
	CURLU *u;

	if (curl_easy_header(j->easy, "Location", 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK || (u = url_parse(job_url(j))) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, h->value, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		to = xstrdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return to;
}

/* to, with the userinfo of the request's URL when it has none: within
 * the origin a redirect keeps the credentials, as libcurl's did. */
static char *
keep_userinfo(const char *to, const char *from)
{
	char *user = NULL, *pass = NULL, *out = NULL, *r;
	CURLU *f = url_parse(from), *t = url_parse(to);

	if (f != NULL && t != NULL && !has_userinfo(to) &&
	    curl_url_get(f, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		curl_url_get(f, CURLUPART_PASSWORD, &pass, 0);
		curl_url_set(t, CURLUPART_USER, user, 0);
		curl_url_set(t, CURLUPART_PASSWORD, pass, 0);
		curl_url_get(t, CURLUPART_URL, &out, 0);
	}
	r = xstrdup(out ? out : to);
	curl_free(user);
	curl_free(pass);
	curl_free(out);
	curl_url_cleanup(f);
	curl_url_cleanup(t);
	return r;
}

static int
is_https(const char *url)
{
	return strncasecmp(url, "https:", 6) == 0;
}

/*
 * A 3xx with a Location: 1 when the job now heads there (j->url), 0 when
 * the answer stands, with rs->error saying why when it was refused.
 */
static int
follow(struct job *j)
{
	struct http_response *rs = j->rs;
	const char *m = j->rq->method ? j->rq->method : "GET", *why = NULL;
	char *to = location(j), *where;
	int cross;

	if (to == NULL)
		return 0;
	where = origin_of(to);
	cross = !same_origin(to, j->rq->url);
	if (j->hops >= MAX_REDIRECTS)
		why = "more than 10 redirects";
	else if (strncasecmp(to, "http://", 7) != 0 && !is_https(to))
		why = "not an http or https URL";
	else if (is_https(job_url(j)) && !is_https(to))
		why = "it leads from https to plain http";
	else if (cross && (why = cargo(j)) != NULL) {
		snprintf(rs->error, sizeof rs->error, "redirect to %s not "
		    "followed: another origin must not get %s", where, why);
		why = "";
	}
	if (why != NULL && *why != '\0')
		snprintf(rs->error, sizeof rs->error, "redirect to %s not "
		    "followed: %s", where ? where : "another URL", why);
	free(where);
	if (why != NULL) {
		free(to);
		return 0;
	}
	/* What browsers and libcurl do: 303 asks for a GET, and 301/302 turn
	 * a POST into one; 307 and 308 repeat the request as it was. */
	if ((rs->status == 303 && strcmp(m, "HEAD") != 0) ||
	    (rs->status <= 302 && strcmp(m, "POST") == 0))
		j->as_get = 1;
	free(j->url);
	j->url = cross ? to : keep_userinfo(to, j->rq->url);
	if (!cross)
		free(to);
	j->hops++;
	return 1;
}

/* Drops the easy handle, so job_start makes one for the new URL. */
static void
job_forget_easy(struct job *j)
{
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	curl_slist_free_all(j->connect_to);
	j->connect_to = NULL;
}

/* ---- transfers -------------------------------------------------------- */

static struct curl_slist *
job_headers(const struct http_conf *c, const struct http_request *rq,
    int as_get)
{
	struct curl_slist *l = NULL, *src, *n;
	char ct[512];

	for (int pass = 0; pass < 2; pass++)
		for (src = pass ? rq->headers : c->headers; src; src = src->next) {
			if ((n = curl_slist_append(l, src->data)) == NULL)
				msg_oom();
			l = n;
		}
	if (!as_get && (rq->body != NULL || rq->content_type != NULL)) {
		if (rq->content_type != NULL) {
			snprintf(ct, sizeof ct, "Content-Type: %s",
			    rq->content_type);
			if ((n = curl_slist_append(l, ct)) == NULL)
				msg_oom();
			l = n;
		}
		/* The round trip for 100-continue only slows small bodies. */
		if ((n = curl_slist_append(l, "Expect:")) == NULL)
			msg_oom();
		l = n;
	}
	return l;
}

static void
setup_method(CURL *e, const struct http_request *rq, int as_get)
{
	const char *m = rq->method ? rq->method : "GET";

	if (as_get)
		return;		/* libcurl's default: GET without a body */
	if (rq->body != NULL || strcmp(m, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(rq->body ? rq->body_len : 0));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	}
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	else if (strcmp(m, "GET") == 0 && rq->body != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
}

/* PEM text in memory; conf outlives every transfer, so curl need not
 * copy it (nor leave copies of a private key in its heap). */
static void
set_pem(CURL *e, CURLoption opt, const char *pem)
{
	struct curl_blob b = { (void *)pem, strlen(pem), CURL_BLOB_NOCOPY };

	curl_easy_setopt(e, opt, &b);
}

static void
setup_tls_auth(CURL *e, const struct http_conf *c)
{
	if (c->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
	if (c->ca_pem)
		set_pem(e, CURLOPT_CAINFO_BLOB, c->ca_pem);
	/* A CA given is the only trust anchor, as a kubeconfig's is for
	 * kubectl: Debian's libcurl would also read /etc/ssl/certs. */
	if (c->cacert || c->ca_pem)
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (c->cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
	if (c->cert_pem)
		set_pem(e, CURLOPT_SSLCERT_BLOB, c->cert_pem);
	if (c->key)
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
	if (c->key_pem)
		set_pem(e, CURLOPT_SSLKEY_BLOB, c->key_pem);
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->proxy) {
		curl_easy_setopt(e, CURLOPT_PROXY, c->proxy);
		/* "": the proxy is for every host, whatever NO_PROXY says. */
		curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	}
	if (c->user) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERPWD, c->user);
	} else if (c->token) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, c->token);
	}
}

static struct curl_slist *
slist_add(struct curl_slist *l, const char *s)
{
	if ((l = curl_slist_append(l, s)) == NULL)
		msg_oom();
	return l;
}

static int
has_header(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l != NULL; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 && l->data[n] == ':')
			return 1;
	return 0;
}

/*
 * kubeconfig's tls-server-name: the URL gets the name the certificate
 * must carry and CURLOPT_CONNECT_TO sends the connection to the real
 * host, so libcurl sends that name as SNI and checks the certificate
 * against it (libcurl 7.88 has no option for just that). The Host header
 * keeps the real host, as kubectl's. Returns the URL to use (caller
 * frees), or NULL to use url as it is (not https, or unparsable: libcurl
 * will say why).
 */
static char *
server_name_url(struct job *j, const char *url, const char *name)
{
	char *host = NULL, *port = NULL, *out = NULL, buf[600];
	int explicit_port;
	CURLU *u = url_parse(url);

	if (u == NULL || !is_https(url) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	explicit_port = curl_url_get(u, CURLUPART_PORT, &port, 0) ==
	    CURLUE_OK;
	if (!explicit_port && curl_url_get(u, CURLUPART_PORT, &port,
	    CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (curl_url_set(u, CURLUPART_HOST, name, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto out;
	snprintf(buf, sizeof buf, "%s:%s:%s:%s", name, port, host, port);
	j->connect_to = slist_add(j->connect_to, buf);
	if (!has_header(j->headers, "Host")) {
		snprintf(buf, sizeof buf, "Host: %s%s%s", host,
		    explicit_port ? ":" : "", explicit_port ? port : "");
		j->headers = slist_add(j->headers, buf);
	}
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

static CURL *
job_easy(struct job *j)
{
	const struct http_conf *c = j->pool->conf;
	char *url = NULL;
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		msg_oom();
	j->headers = job_headers(c, j->rq, j->as_get);
	/* The name is the configured server's, not a redirect target's. */
	if (c->tls_server_name && (j->url == NULL ||
	    same_origin(j->url, j->rq->url)))
		url = server_name_url(j, job_url(j), c->tls_server_name);
	curl_easy_setopt(e, CURLOPT_URL, url ? url : job_url(j));
	curl_free(url);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, j->connect_to);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
	/* Redirects are followed by follow(), which knows what a request
	 * carries; libcurl would send --header values anywhere. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Bulk responses (70 MB of series) move in fewer, larger chunks. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(c->connect_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000));
	setup_method(e, j->rq, j->as_get);
	setup_tls_auth(e, c);
	return e;
}

/* Starts an attempt, or (hop set) the request a redirect asked for. */
static void
job_start(struct http_pool *p, struct job *j, int hop)
{
	CURLMcode mc;

	if (j->easy == NULL)
		j->easy = job_easy(j);
	if (j->started == 0)
		j->started = now_sec();
	if (!hop)
		j->rs->attempts++;
	j->rs->status = 0;
	buf_reset(&j->rs->body);
	buf_reset(&j->rs->headers);
	j->bytes = j->rs->bytes = j->rs->head_len = 0;
	j->too_big = j->aborted = j->cut = 0;
	j->errbuf[0] = '\0';
	j->rs->error[0] = '\0';
	j->state = JOB_RUNNING;
	j->next = p->active;
	p->active = j;
	p->running++;
	if ((mc = curl_multi_add_handle(p->multi, j->easy)) != CURLM_OK)
		msg_die(EXIT_UPSTREAM, "curl: %s", curl_multi_strerror(mc));
}

/* Starts what may start now; returns seconds until a retry is due. */
static double
pool_start(struct http_pool *p)
{
	struct job **pp, *j;
	double now = now_sec(), wait = POLL_MAX_MS / 1000.0;

	for (pp = &p->waiting; (j = *pp) != NULL;) {
		if (j->due <= now && p->running < p->jobs) {
			*pp = j->next;
			job_start(p, j, 0);
			continue;
		}
		/* A due retry without a slot waits for a transfer to end,
		 * which wakes the poll anyway. */
		if (j->due > now && j->due - now < wait)
			wait = j->due - now;
		pp = &j->next;
	}
	while (p->ready != NULL && p->running < p->jobs) {
		j = p->ready;
		if ((p->ready = j->next) == NULL)
			p->ready_tail = NULL;
		job_start(p, j, 0);
	}
	return wait > 0 ? wait : 0;
}

static int
retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		return 1;
	default:
		return 0;
	}
}

static int
retryable_status(long code)
{
	return code == 408 || code == 429 || (code >= 500 && code < 600);
}

/* Seconds to wait before attempt n+1 (n attempts made). */
static double
backoff(struct http_pool *p, struct job *j)
{
	const struct http_conf *c = p->conf;
	curl_off_t ra = -1;
	double cap = c->retry_base;
	int n = j->rs->attempts;

	if (j->wait >= 0)
		return j->wait < c->retry_max ? j->wait : c->retry_max;
	if (curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0)
		return (double)ra < c->retry_max ? (double)ra : c->retry_max;
	for (int i = 1; i < n && cap < c->retry_max; i++)
		cap *= 2;
	if (cap > c->retry_max)
		cap = c->retry_max;
	return cap * pool_random(p);
}

/* ---- finished transfers ----------------------------------------------- */

enum verdict { V_DONE, V_RETRY, V_FOLLOW };

/*
 * libcurl's words for what went wrong, except for a 2xx answer cut short:
 * "transfer closed with 100 bytes remaining to read" says less than how
 * much came.
 */
static void
transport_error(struct job *j, CURLcode cc)
{
	struct http_response *rs = j->rs;
	curl_off_t len = -1;

	if (is_2xx(rs->status) && (cc == CURLE_PARTIAL_FILE ||
	    cc == CURLE_RECV_ERROR)) {
		curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		    &len);
		if (len >= 0)
			snprintf(rs->error, sizeof rs->error, "connection "
			    "closed after %zu bytes of the answer (%lld "
			    "announced)", j->bytes, (long long)len);
		else
			snprintf(rs->error, sizeof rs->error, "connection "
			    "closed after %zu bytes of the answer", j->bytes);
		return;
	}
	snprintf(rs->error, sizeof rs->error, "%s",
	    j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc));
}

/* Whether this attempt's request went out (libcurl counts the bytes of
 * the request it wrote, from zero for each transfer). */
static int
request_sent(struct job *j)
{
	long n = 0;

	return curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &n) !=
	    CURLE_OK || n > 0;
}

/* Classifies a finished attempt into rs, and says what comes next. */
static enum verdict
judge(struct job *j, CURLcode cc)
{
	struct http_response *rs = j->rs;
	const struct http_conf *c = j->pool->conf;
	int more = rs->attempts <= j->retries;

	j->wait = -1;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &rs->status);
	if (j->aborted) {
		rs->rc = HTTP_EABORTED;
		snprintf(rs->error, sizeof rs->error, "transfer stopped by "
		    "the reader");
		return V_DONE;
	}
	if (j->too_big) {
		rs->rc = HTTP_ETOOBIG;
		snprintf(rs->error, sizeof rs->error, "response larger than "
		    "%zu bytes (--max-response)", c->max_response);
		return V_DONE;
	}
	if (cc == CURLE_OK || j->cut) {
		if (is_2xx(rs->status)) {
			rs->rc = HTTP_OK;
			return V_DONE;
		}
		rs->rc = HTTP_ESTATUS;
		if (is_redirect(rs->status))
			return follow(j) ? V_FOLLOW : V_DONE;
		if (more && j->rq->retry_wait != NULL) {
			double w = j->rq->retry_wait(j->rq->ctx, rs);

			if (w >= 0) {
				j->wait = w;
				return V_RETRY;
			}
			if (w == HTTP_RETRY_NEVER)
				return V_DONE;
		}
		return more && retryable_status(rs->status) &&
		    (j->rq->may_retry == NULL ||
		    j->rq->may_retry(j->rq->ctx, rs)) ? V_RETRY : V_DONE;
	}
	rs->rc = HTTP_ETRANSPORT;
	transport_error(j, cc);
	if (j->rq->no_resend && request_sent(j)) {
		size_t n = strlen(rs->error);

		snprintf(rs->error + n, sizeof rs->error - n, " (the request "
		    "was sent and may have been acted on: not retried)");
		return V_DONE;
	}
	return more && !j->delivered && retryable_curl(cc) ? V_RETRY : V_DONE;
}

static void
job_finish(struct http_pool *p, struct job *j)
{
	struct http_response *rs = j->rs;
	const char *ct = NULL;

	if (curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK
	    && ct != NULL)
		rs->content_type = xstrdup(ct);
	rs->ms = (now_sec() - j->started) * 1000;
	rs->url = j->url;
	job_forget_easy(j);
	p->pending--;
	/* done may free rq and rs, or add more requests to the pool. */
	if (j->done)
		j->done(j->ctx, j->rq, rs);
	free(j);
}

static void
unlink_active(struct http_pool *p, struct job *j)
{
	struct job **pp;

	for (pp = &p->active; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	j->next = NULL;
	p->running--;
}

static int
pool_reap(struct http_pool *p)
{
	struct job *j;
	CURLMsg *m;
	int left, completed = 0;
	CURLcode cc;
	char *priv;

	while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		j = (struct job *)(void *)priv;
		cc = m->data.result;	/* m is invalid after remove_handle */
		curl_multi_remove_handle(p->multi, j->easy);
		unlink_active(p, j);
		switch (judge(j, cc)) {
		case V_RETRY:
			j->state = JOB_WAITING;
			j->due = now_sec() + backoff(p, j);
			j->next = p->waiting;
			p->waiting = j;
			break;
		case V_FOLLOW:
			/* It keeps the slot it just gave up. */
			job_forget_easy(j);
			job_start(p, j, 1);
			break;
		case V_DONE:
			job_finish(p, j);
			completed++;
			break;
		}
	}
	return completed;
}

int
http_pool_run(struct http_pool *p)
{
	int still, completed = 0;
	double wait;
	CURLMcode mc;

	while (p->pending > 0) {
		wait = pool_start(p);
		if ((mc = curl_multi_perform(p->multi, &still)) != CURLM_OK)
			msg_die(EXIT_UPSTREAM, "curl: %s",
			    curl_multi_strerror(mc));
		completed += pool_reap(p);
		if (completed > 0)
			break;
		/* A retry may have been queued by reap; recompute its due. */
		if (p->running < p->jobs && p->waiting != NULL)
			wait = pool_start(p);
		if ((mc = curl_multi_poll(p->multi, NULL, 0,
		    (int)(wait * 1000) + (wait > 0), NULL)) != CURLM_OK)
			msg_die(EXIT_UPSTREAM, "curl: %s",
			    curl_multi_strerror(mc));
	}
	return completed;
}

static void
free_jobs(struct http_pool *p, struct job *j)
{
	struct job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		if (j->easy) {
			if (j->state == JOB_RUNNING)
				curl_multi_remove_handle(p->multi, j->easy);
			curl_easy_cleanup(j->easy);
		}
		curl_slist_free_all(j->headers);
		curl_slist_free_all(j->connect_to);
		free(j->url);
		free(j);
	}
}

void
http_pool_free(struct http_pool *p)
{
	if (p == NULL)
		return;
	free_jobs(p, p->active);
	free_jobs(p, p->waiting);
	free_jobs(p, p->ready);
	curl_multi_cleanup(p->multi);
	free(p);
}

/* ---- single requests and diagnostics ---------------------------------- */

int
http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

static void
mark_done(void *ctx, const struct http_request *rq, struct http_response *rs)
{
	*(int *)ctx = 1;
}

enum http_rc
http_pool_do(struct http_pool *p, const struct http_request *rq,
    struct http_response *rs)
{
	int done = 0;

	http_pool_add(p, rq, rs, mark_done, &done);
	while (!done)
		http_pool_run(p);
	return rs->rc;
}

enum http_rc
http_do(const struct http_conf *c, const struct http_request *rq,
    struct http_response *rs)
{
	struct http_pool *p = http_pool_new(c, 1);
	enum http_rc rc = http_pool_do(p, rq, rs);

	http_pool_free(p);
	return rc;
}

void
http_response_free(struct http_response *rs)
{
	buf_free(&rs->body);
	buf_free(&rs->headers);
	free(rs->content_type);
	free(rs->url);
	memset(rs, 0, sizeof *rs);
}

char *
http_header(const struct http_response *rs, const char *name)
{
	const char *p = rs->headers.p, *end = p + rs->headers.len, *eol, *v;
	size_t n = strlen(name);
	char *out;

	for (; p != NULL && p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) <= n || p[n] != ':' ||
		    strncasecmp(p, name, n) != 0)
			continue;
		for (v = p + n + 1; v < eol && (*v == ' ' || *v == '\t');)
			v++;
		while (eol > v && isspace((unsigned char)eol[-1]))
			eol--;
		out = xmalloc((size_t)(eol - v) + 1);
		memcpy(out, v, (size_t)(eol - v));
		out[eol - v] = '\0';
		return out;
	}
	return NULL;
}

/* The URL without userinfo, query or fragment: those may hold secrets. */
static void
add_safe_url(struct buf *b, const char *url)
{
	char *red = http_url_redact(url ? url : "");
	const char *end;

	authority(red, &end);
	end += strcspn(end, "?#");
	buf_add(b, red, (size_t)(end - red));
	free(red);
}

/* The first line of an error body, printable, at most 300 bytes. */
static void
add_body_line(struct buf *b, const struct buf *body)
{
	size_t i, n = 0;

	for (i = 0; i < body->len && n < 300; i++) {
		unsigned char ch = (unsigned char)body->p[i];

		if (ch == '\n' || ch == '\r')
			break;
		buf_addc(b, ch < 0x20 || ch == 0x7f ? ' ' : (char)ch);
		n++;
	}
	if (n == 300 && i < body->len && body->p[i] != '\n')
		buf_adds(b, "...");
}

char *
http_describe(const struct http_request *rq, const struct http_response *rs)
{
	struct buf b = BUF_INIT;
	const char *url = rs->url ? rs->url : rq->url;

	if (rs->rc == HTTP_OK || rs->rc == HTTP_ESTATUS) {
		buf_printf(&b, "HTTP %ld from ", rs->status);
		add_safe_url(&b, url);
		if (rs->rc == HTTP_ESTATUS && rs->error[0] != '\0') {
			buf_adds(&b, ": ");
			buf_adds(&b, rs->error);
		} else if (rs->rc == HTTP_ESTATUS && rs->body.len > 0) {
			buf_adds(&b, ": ");
			add_body_line(&b, &rs->body);
		}
	} else {
		add_safe_url(&b, url);
		buf_adds(&b, ": ");
		buf_adds(&b, rs->error[0] ? rs->error : "request failed");
	}
	if (rs->attempts > 1)
		buf_printf(&b, " (after %d attempts)", rs->attempts);
	return buf_detach(&b);
}

/* Up to about max bytes of s, printable ASCII, blank runs as one space. */
static void
add_excerpt(struct buf *b, const char *s, size_t len, size_t max)
{
	size_t i, n = 0;
	int blank = 0;

	for (i = 0; i < len && n < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f) {
			blank = n > 0;
			continue;
		}
		if (blank)
			buf_addc(b, ' ');
		buf_addc(b, ch < 0x80 ? (char)ch : '?');
		n += 1 + blank;
		blank = 0;
	}
	if (i < len)
		buf_adds(b, "...");
}

char *
http_describe_body(const struct http_request *rq,
    const struct http_response *rs, const char *why)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "HTTP %ld from ", rs->status);
	add_safe_url(&b, rs->url ? rs->url : rq->url);
	buf_adds(&b, " is not JSON");
	if (why != NULL && *why != '\0')
		buf_printf(&b, " (%s)", why);
	if (rs->bytes == 0) {
		buf_adds(&b, ": an empty body");
		return buf_detach(&b);
	}
	buf_printf(&b, ": %zu bytes of %s beginning '", rs->bytes,
	    rs->content_type ? rs->content_type : "no declared type");
	add_excerpt(&b, rs->head, rs->head_len, 80);
	buf_addc(&b, '\'');
	return buf_detach(&b);
}
