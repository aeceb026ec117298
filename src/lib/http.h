/* http.h — the one HTTP layer every network program shares, on libcurl.
 * httpconf.c implements the options and credentials (struct http_conf,
 * http_opts[]); http.c the transfers (requests, retries, pools, URLs).
 *
 * Same flags in every program (http_opts[]): --url, --timeout SEC,
 * --connect-timeout SEC, --retries N, --token, --token-file, --user U:P,
 * --cacert, --cert, --key, --insecure, --header 'K: V', --max-response.
 * Proxies come from the usual environment variables (libcurl reads them),
 * or from conf->proxy (http_conf_set).
 * Retries: connection errors, 408, 429 and 5xx, exponential backoff with
 * full jitter, Retry-After honoured (seconds or HTTP date, capped).
 * Secrets never appear in diagnostics: URLs are printed without userinfo,
 * tokens and passwords never.
 *
 * Using it (what every caller must know):
 *
 *   http_global_init() once at start, http_global_cleanup() at the end.
 *   http_conf_init(&c, envs, default_url); then in the option loop
 *   `if (http_conf_option(&c, key, arg)) continue;` before the program's
 *   own switch. Keys are HTTP_OPT_* (OPT_ID(900..950)); a program that
 *   wants --url handled itself can intercept HTTP_OPT_URL first.
 *
 *   struct http_request rq = { .url = u, .retries = -1 };
 *       ^ retries: -1 means conf's --retries. A zero-initialised request
 *         (retries 0) is NEVER retried — set -1 unless you mean it.
 *   struct http_response rs = { 0 };      (must be zeroed before first use;
 *       after http_response_free it may be reused)
 *   if (http_do(&c, &rq, &rs) != HTTP_OK) { char *d = http_describe(&rq,
 *       &rs); msg_warn("%s", d); free(d); }  → exit 3 for ESTATUS/ETRANSPORT
 *   http_response_free(&rs);
 *
 * Results:
 *   HTTP_OK        2xx. Body in rs->body (NUL-terminated), unless on_data.
 *   HTTP_ESTATUS   a non-2xx answer (after retries for 408/429/5xx).
 *                  rs->status is set and rs->body holds the first 64 KiB
 *                  of the error body (e.g. Prometheus' {"errorType",…}),
 *                  also when on_data is set.
 *   HTTP_ETRANSPORT connect/DNS/TLS/timeout/broken transfer, after retries
 *                  (TLS verification failures are not retried). rs->error.
 *   HTTP_ETOOBIG   a 2xx body longer than conf max_response; aborted.
 *   HTTP_EABORTED  on_data returned nonzero; never retried.
 *
 * Streaming: with on_data, each chunk of a 2xx body goes to the callback
 * as it arrives and rs->body stays empty. Once a chunk was delivered the
 * request is never retried (a retry would duplicate data): a transfer
 * that breaks afterwards ends in HTTP_ETRANSPORT and the caller must treat
 * what it got as incomplete.
 *
 * Pools: http_pool_new(&c, jobs); http_pool_add(...) any number (also from
 * inside a done callback, e.g. to fetch the next page); then
 *   while (http_pool_pending(p) > 0) http_pool_run(p);
 * done() is called once per request, in completion order; it may free rq
 * and rs (the pool no longer touches them). Do not call http_pool_run
 * from inside done(). Retries wait on a timer without holding a slot or
 * blocking the other transfers. Connections (and DNS) are reused within
 * one pool; http_do uses a fresh pool per call, so a program making many
 * sequential requests to one server should keep a pool and call
 * http_pool_do(p, &rq, &rs) instead (keep-alive, one TLS handshake).
 *
 * Authentication: --user (basic) wins over a token, sent as
 * "Authorization: Bearer". http_read_token() reads a token file (e.g. a
 * Kubernetes service-account token) without exiting.
 *
 * Redirects (301, 302, 303, 307, 308; at most 10) are followed here, not
 * by libcurl: within the origin (scheme, host, port) of rq->url with
 * everything, as before (303, and 301/302 after a POST, become a GET
 * without the body); to another origin only for a GET or HEAD carrying
 * nothing of the user's (no token, password, URL userinfo, client
 * certificate, conf or request header, body); never from https to http.
 * A redirect not followed ends in HTTP_ESTATUS with the 3xx status and
 * rs->error saying why, naming the target's origin only; http_describe
 * shows it. After a redirect, rs->url is the URL that answered.
 *
 * Every request sends "User-Agent: opspipe/VERSION". Requests with a body
 * get Content-Type from rq->content_type and no "Expect: 100-continue".
 *
 * Environment, read by http_conf_init (for tests that must retry fast):
 *   OPSPIPE_RETRY_BASE  seconds, overrides retry_base (e.g. 0.01)
 *   OPSPIPE_RETRY_MAX   seconds, overrides retry_max (also caps
 *                       Retry-After)
 * An invalid value exits 2.
 */
#ifndef OPSPIPE_HTTP_H
#define OPSPIPE_HTTP_H

#include <stddef.h>
#include <curl/curl.h>

#include "buf.h"
#include "opt.h"

/*
 * Every attempt has a finite total timeout by default, so a server that
 * accepts the connection and never answers cannot hang a flow. A program
 * whose job wants another default sets conf.timeout after
 * http_conf_init and shows it in its --help with HTTP_TIMEOUT_OVERRIDE in
 * opt_program.overrides, from one constant:
 *
 *   #define PROMQ_TIMEOUT 120
 *   static const struct opt_override overrides[] = {
 *       HTTP_TIMEOUT_OVERRIDE(PROMQ_TIMEOUT), { 0 } };
 *   http_conf_init(&c, envs, url); c.timeout = PROMQ_TIMEOUT;
 *
 * --timeout 0 still means no limit.
 */
#define HTTP_TIMEOUT_DEFAULT	300
#define HTTP_STR_(x)	#x
#define HTTP_STR(x)	HTTP_STR_(x)
#define HTTP_TIMEOUT_HELP(sec) \
	"give up an attempt after SEC seconds (default " HTTP_STR(sec) \
	"; 0: never)"
#define HTTP_TIMEOUT_OVERRIDE(sec) \
	{ HTTP_OPT_TIMEOUT, NULL, NULL, HTTP_TIMEOUT_HELP(sec), 0 }

struct http_conf {
	char *url;		/* base URL (owned) */
	double timeout;		/* total seconds per attempt, default
				 * HTTP_TIMEOUT_DEFAULT; 0: none */
	double connect_timeout;	/* default 10; 0: libcurl's 300 */
	int retries;		/* extra attempts after the first, default 3 */
	double retry_base;	/* first backoff in seconds, default 0.5 */
	double retry_max;	/* cap on one wait, default 30 */
	char *token;		/* bearer token (owned; from --token or file) */
	char *user;		/* "user:password" for basic auth (owned) */
	char *cacert, *cert, *key;
	int insecure;
	struct curl_slist *headers;	/* extra headers for every request */
	size_t max_response;	/* cap on a response body, default 1 GiB */
	/*
	 * Settings without a flag, as a kubeconfig gives them; set them with
	 * http_conf_set() (all owned, freed by http_conf_free).
	 */
	char *ca_pem;		/* CA bundle, PEM text: wins over cacert */
	char *cert_pem;		/* client certificate, PEM: wins over cert */
	char *key_pem;		/* its private key, PEM: wins over key */
	char *proxy;		/* proxy URL for every request; NULL: from
				 * the environment (https_proxy, NO_PROXY…) */
	char *tls_server_name;	/* check the server's certificate against
				 * this name (sent as SNI) while connecting
				 * to the URL's host (kubeconfig's
				 * tls-server-name) */
};

/* The shared flags, for a program's opt_program tables. */
extern const struct opt http_opts[];

/* Their keys, should a program want to intercept one. */
enum {
	HTTP_OPT_URL = OPT_ID(900),
	HTTP_OPT_TIMEOUT,
	HTTP_OPT_CONNECT_TIMEOUT,
	HTTP_OPT_RETRIES,
	HTTP_OPT_TOKEN,
	HTTP_OPT_TOKEN_FILE,
	HTTP_OPT_USER,
	HTTP_OPT_CACERT,
	HTTP_OPT_CERT,
	HTTP_OPT_KEY,
	HTTP_OPT_INSECURE,
	HTTP_OPT_HEADER,
	HTTP_OPT_MAX_RESPONSE
};

/* Keys of the settings that have no flag, for http_conf_set(). */
enum {
	HTTP_SET_CA_PEM = OPT_ID(940),	/* PEM text, one or more certificates */
	HTTP_SET_CERT_PEM,		/* PEM text */
	HTTP_SET_KEY_PEM,		/* PEM text, unencrypted */
	HTTP_SET_PROXY,			/* http, https, socks4(a), socks5(h) URL */
	HTTP_SET_TLS_SERVER_NAME	/* a DNS name */
};

/* The first 64 KiB of a non-2xx body are kept in rs->body. */
#define HTTP_ERROR_BODY_MAX	(64 * 1024)
/* The first bytes of a 2xx body are kept in rs->head, streamed or not. */
#define HTTP_HEAD_MAX		256

/*
 * Defaults, then the URL from the first set variable in url_envs (a
 * NULL-terminated list, may be NULL), else default_url.
 */
void http_conf_init(struct http_conf *c, const char *const *url_envs,
    const char *default_url);
/* Applies one of http_opts[]; returns 1 if key was one, 0 if not. Exits 2
 * on a bad argument (unreadable token file, bad number). */
int http_conf_option(struct http_conf *c, int key, const char *arg);
/*
 * Sets a value that comes from elsewhere than the command line (a
 * kubeconfig, an environment variable): key is one of HTTP_SET_*, or
 * HTTP_OPT_URL, _TOKEN, _USER, _HEADER, _CACERT, _CERT or _KEY. Returns
 * NULL, or why the value was refused ("not PEM (no '-----BEGIN')"); the
 * reason never quotes the value, so the caller can name the source:
 *   if ((why = http_conf_set(&c, HTTP_SET_KEY_PEM, pem)) != NULL)
 *       msg_die(EXIT_USAGE, "kubeconfig: user '%s': client-key-data: %s",
 *           name, why);
 * An explicit proxy is used for every host (NO_PROXY does not apply).
 * A CA bundle (ca_pem or cacert) is the only trust anchor: the system's
 * certificate directory is then not consulted.
 */
const char *http_conf_set(struct http_conf *c, int key, const char *value);
void http_conf_free(struct http_conf *c);
/*
 * Why a header line ("Name: value") would be refused, or NULL: a name
 * that is not an HTTP token, a value with a control character (but tab).
 * A CR or LF would end the line and add headers of the sender's choice,
 * so http_conf_set refuses those in tokens, passwords and headers too.
 */
const char *http_header_check(const char *line);
struct http_request;
/*
 * The same for what a request would send: conf's token and password (a
 * program may have set them directly) and both lists of headers. Called
 * by http_pool_add, which exits 2 with the reason (no secret in it).
 */
const char *http_request_check(const struct http_conf *c,
    const struct http_request *rq);
/*
 * The contents of a token file with surrounding whitespace removed
 * (caller frees), or NULL with errno set (ENODATA when it is empty).
 */
char *http_read_token(const char *path);

/* base + path, with exactly one slash between them (caller frees). */
char *http_url_join(const char *base, const char *path);
/* application/x-www-form-urlencoded "k=v" pair appended to b ('&' first
 * when b is not empty). */
void http_form_add(struct buf *b, const char *key, const char *value);
/* A URL safe for messages: userinfo removed (caller frees). */
char *http_url_redact(const char *url);

/* Called with each chunk of a 2xx body; nonzero aborts the transfer. */
typedef int (*http_data_fn)(void *ctx, const char *data, size_t len);

struct http_response;

struct http_request {
	const char *method;		/* "GET" (default when NULL), "POST", … */
	const char *url;		/* absolute */
	const char *content_type;	/* for body */
	const char *body;
	size_t body_len;
	struct curl_slist *headers;	/* per-request headers, added to conf's */
	http_data_fn on_data;		/* stream a 2xx body instead of keeping it */
	void *ctx;
	int retries;			/* -1: conf's; 0: never retry */
	/* Optional veto on retrying a retryable non-2xx answer (408, 429,
	 * 5xx), called with rs->status and the error body in rs->body:
	 * return 0 to give up at once, e.g. on a 429 that says the quota is
	 * exhausted. NULL: retry as usual. */
	int (*may_retry)(void *ctx, const struct http_response *rs);
	/* Optional policy for a non-2xx answer, for services whose limits
	 * are more than 429 + Retry-After (GitHub answers 403 with
	 * x-ratelimit-remaining: 0 and a reset time). Called with
	 * rs->status, the error body and the headers (http_header);
	 * returns the seconds to wait before trying again, for any status,
	 * 403 included (capped by retry_max, counted against the retries),
	 * HTTP_RETRY_DEFAULT for the usual policy, or HTTP_RETRY_NEVER to
	 * give up now. NULL: the usual policy. */
	double (*retry_wait)(void *ctx, const struct http_response *rs);
	/* Nonzero for a request that must not reach the server twice (it
	 * places a phone call): a transport failure once the request was
	 * sent (a timeout, a cut connection, no answer) is not retried, and
	 * rs->error says the server may have acted on it. Failures to
	 * resolve or connect, and 408, 429 and 5xx answers, still are. */
	int no_resend;
};

#define HTTP_RETRY_DEFAULT	(-1.0)
#define HTTP_RETRY_NEVER	(-2.0)

enum http_rc {
	HTTP_OK = 0,		/* a 2xx response */
	HTTP_ESTATUS,		/* a non-2xx response after retries; see status */
	HTTP_ETRANSPORT,	/* connection, DNS, TLS, timeout after retries */
	HTTP_ETOOBIG,		/* the body passed max_response */
	HTTP_EABORTED		/* on_data asked to stop */
};

struct http_response {
	enum http_rc rc;
	long status;		/* HTTP status, 0 when none */
	struct buf body;	/* the body (2xx without on_data, or any error) */
	char *content_type;
	struct buf headers;	/* the last answer's header lines, CRLF-ended
				 * (after redirects, the final one's) */
	int attempts;		/* how many were made */
	double ms;		/* wall time of all attempts */
	char error[CURL_ERROR_SIZE + 64];	/* transport error text, or
				 * why a redirect was not followed */
	char *url;		/* the URL that answered, when redirects were
				 * followed (else NULL: rq->url's answer) */
	size_t bytes;		/* 2xx body bytes received (last attempt) */
	char head[HTTP_HEAD_MAX];	/* the first of them, also when */
	size_t head_len;		/* they were streamed to on_data */
};

int http_global_init(void);	/* once, before anything else; 0 on success */
void http_global_cleanup(void);

/* One request, with retries. Returns rs->rc. rs must be zeroed. */
enum http_rc http_do(const struct http_conf *c, const struct http_request *rq,
    struct http_response *rs);
void http_response_free(struct http_response *rs);
/* The value of header name (any case) in the last answer, surrounding
 * blanks removed, or NULL (caller frees). */
char *http_header(const struct http_response *rs, const char *name);
/* "HTTP 503 from http://host/path: <first line of body>" or the transport
 * error, for diagnostics (never with secrets). Caller frees. */
char *http_describe(const struct http_request *rq,
    const struct http_response *rs);
/*
 * For a 2xx body that should have been JSON and is not (an HTML login
 * page from a proxy, a body cut short): what came back, from where and
 * why it was refused, e.g.
 *   HTTP 200 from http://h:9090/api/v1/query is not JSON (invalid JSON
 *   at byte 0): 153 bytes of text/html beginning '<!DOCTYPE html> <ht...'
 * why is the parser's complaint (may be NULL). The URL is shown without
 * userinfo or query; the excerpt is the first 80 bytes, printable ASCII
 * only. Caller frees.
 */
char *http_describe_body(const struct http_request *rq,
    const struct http_response *rs, const char *why);

/*
 * Concurrent requests through the multi interface: up to `jobs` in flight,
 * each retried on its own. Add any number; http_pool_run() drives the
 * transfers and returns after at least one request completes (or at once
 * when none is pending), calling done(ctx) for each completed one.
 * http_pool_pending() tells how many are queued or in flight.
 */
struct http_pool;
typedef void (*http_done_fn)(void *ctx, const struct http_request *rq,
    struct http_response *rs);
struct http_pool *http_pool_new(const struct http_conf *c, int jobs);
/* rq and rs must stay valid until done is called. */
void http_pool_add(struct http_pool *p, const struct http_request *rq,
    struct http_response *rs, http_done_fn done, void *ctx);
/* Returns how many requests completed during the call. */
int http_pool_run(struct http_pool *p);
size_t http_pool_pending(const struct http_pool *p);
/*
 * One request through p, waiting for it (as http_do, but reusing the
 * pool's connections). Other requests in p progress meanwhile and their
 * done callbacks run. Not from inside a done callback.
 */
enum http_rc http_pool_do(struct http_pool *p, const struct http_request *rq,
    struct http_response *rs);
void http_pool_free(struct http_pool *p);

#endif
