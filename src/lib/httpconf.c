/* httpconf.c — the HTTP layer's options: the shared flags, a program's
 * http_conf from defaults, environment and flags, and credentials.
 * Transfers (requests, retries, pools) are in http.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "msg.h"

const struct opt http_opts[] = {
	{ "url", HTTP_OPT_URL, "URL", "base URL of the service" },
	{ "timeout", HTTP_OPT_TIMEOUT, "SEC",
	    HTTP_TIMEOUT_HELP(HTTP_TIMEOUT_DEFAULT) },
	{ "connect-timeout", HTTP_OPT_CONNECT_TIMEOUT, "SEC",
	    "give up connecting after SEC seconds (default 10)" },
	{ "retries", HTTP_OPT_RETRIES, "N",
	    "retry failed requests N times (default 3)" },
	{ "token", HTTP_OPT_TOKEN, "TOKEN", "send TOKEN as a bearer token" },
	{ "token-file", HTTP_OPT_TOKEN_FILE, "FILE",
	    "read the bearer token from FILE" },
	{ "user", HTTP_OPT_USER, "U:P", "basic authentication as U with password P" },
	{ "cacert", HTTP_OPT_CACERT, "FILE",
	    "verify the server with the CA certificates in FILE" },
	{ "cert", HTTP_OPT_CERT, "FILE", "client certificate (PEM)" },
	{ "key", HTTP_OPT_KEY, "FILE", "private key of the client certificate" },
	{ "insecure", HTTP_OPT_INSECURE, NULL,
	    "do not verify the server certificate" },
	{ "header", HTTP_OPT_HEADER, "'K: V'",
	    "add a header to every request (repeatable)" },
	{ "max-response", HTTP_OPT_MAX_RESPONSE, "BYTES",
	    "fail a response larger than BYTES (512K, 1.5G; default 1G)" },
	{ NULL, 0, NULL, NULL }
};

/* ---- configuration ---------------------------------------------------- */

static double
env_seconds(const char *name, double dflt)
{
	const char *s = getenv(name);
	const char *errstr;
	double v;

	if (s == NULL || *s == '\0')
		return dflt;
	if (opt_double(s, 0, 3600, &v, &errstr) != 0)
		msg_die(EXIT_USAGE, "invalid %s '%s': %s", name, s, errstr);
	return v;
}

void
http_conf_init(struct http_conf *c, const char *const *url_envs,
    const char *default_url)
{
	const char *url = default_url;
	const char *v;

	memset(c, 0, sizeof *c);
	c->timeout = HTTP_TIMEOUT_DEFAULT;
	c->connect_timeout = 10;
	c->retries = 3;
	c->retry_base = env_seconds("OPSPIPE_RETRY_BASE", 0.5);
	c->retry_max = env_seconds("OPSPIPE_RETRY_MAX", 30);
	c->max_response = (size_t)1 << 30;
	for (; url_envs != NULL && *url_envs != NULL; url_envs++) {
		v = getenv(*url_envs);
		if (v != NULL && *v != '\0') {
			url = v;
			break;
		}
	}
	c->url = url ? xstrdup(url) : NULL;
}

char *
http_read_token(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n, start, end;
	FILE *fp;
	char *tok;
	int err;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	err = ferror(fp) ? (errno ? errno : EIO) : 0;
	fclose(fp);
	for (start = 0; start < b.len && isspace((unsigned char)b.p[start]);)
		start++;
	for (end = b.len; end > start && isspace((unsigned char)b.p[end - 1]);)
		end--;
	if (err == 0 && end == start)
		err = ENODATA;
	tok = NULL;
	if (err == 0) {
		tok = xmalloc(end - start + 1);
		memcpy(tok, b.p + start, end - start);
		tok[end - start] = '\0';
	}
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	buf_free(&b);
	errno = err;
	return tok;
}

/* s begins with one of the schemes ("http", …) followed by "://". */
static int
has_scheme(const char *s, const char *const *schemes)
{
	size_t n;

	for (; *schemes != NULL; schemes++) {
		n = strlen(*schemes);
		if (strncasecmp(s, *schemes, n) == 0 &&
		    strncmp(s + n, "://", 3) == 0 && s[n + 3] != '\0')
			return 1;
	}
	return 0;
}

/* No byte a URL may not carry unencoded: controls, space, DEL. */
static int
url_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static const char *
check_url(const char *s)
{
	static const char *const http[] = { "http", "https", NULL };

	if (!has_scheme(s, http))
		return "not an http or https URL";
	return url_clean(s) ? NULL : "contains a space or control character";
}

/* kubeconfig's proxy-url takes these, as libcurl does. */
static const char *
check_proxy(const char *s)
{
	static const char *const schemes[] = { "http", "https", "socks4",
	    "socks4a", "socks5", "socks5h", NULL };

	if (!has_scheme(s, schemes))
		return "not an http, https, socks4, socks4a, socks5 or "
		    "socks5h URL";
	return url_clean(s) ? NULL : "contains a space or control character";
}

/* A DNS name (or IPv4 address): it becomes a URL's host. */
static const char *
check_server_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return "not a host name";
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._", *s) == NULL)
			return "not a host name";
	return NULL;
}

static const char *
check_pem(const char *s)
{
	return strstr(s, "-----BEGIN ") ? NULL : "not PEM (no '-----BEGIN')";
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

static void
free_secret(char *s)
{
	/* Do not leave tokens lying in freed heap for a core dump. */
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
set_secret(char **dst, const char *s)
{
	free_secret(*dst);
	*dst = xstrdup(s);
}

/*
 * A CR or LF in a token or header ends the line libcurl writes and starts
 * a header of the sender's choosing; other controls have no business in
 * them either. A header value may hold a tab (RFC 9110 field-content).
 */
static const char *
check_secret(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "contains a control character (a line break?), "
			    "refused: it could add headers of its own";
	return NULL;
}

/* RFC 9110 token characters, those of a header name. */
static int
is_tchar(char ch)
{
	return isalnum((unsigned char)ch) || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

const char *
http_header_check(const char *line)
{
	const char *p = line;

	/* "K: V", or curl's "K;" for an empty value. */
	while (is_tchar(*p))
		p++;
	if (p == line || (*p != ':' && *p != ';'))
		return "expected 'NAME: VALUE' with NAME a header name";
	if (*p == ';' && p[1] != '\0')
		return "expected 'NAME: VALUE' ('NAME;' for an empty value)";
	for (p++; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return "its value contains a control character (a line "
			    "break?), refused: it could add headers of its own";
	return NULL;
}

static const char *
add_header(struct http_conf *c, const char *arg)
{
	const char *why;
	struct curl_slist *l;

	if ((why = http_header_check(arg)) != NULL)
		return why;
	if ((l = curl_slist_append(c->headers, arg)) == NULL)
		msg_oom();
	c->headers = l;
	return NULL;
}

/* The header's name for a message, when it is a clean one. */
static int
header_name_len(const char *line)
{
	const char *p = line;

	while (is_tchar(*p) && p - line < 64)
		p++;
	return *p == ':' || *p == ';' ? (int)(p - line) : 0;
}

const char *
http_request_check(const struct http_conf *c, const struct http_request *rq)
{
	const struct curl_slist *h;

	if (c->token != NULL && check_secret(c->token) != NULL)
		return "the token contains a control character (a line "
		    "break?)";
	if (c->user != NULL && check_secret(c->user) != NULL)
		return "the password contains a control character (a line "
		    "break?)";
	for (int pass = 0; pass < 2; pass++)
		for (h = pass ? rq->headers : c->headers; h; h = h->next)
			if (http_header_check(h->data) != NULL)
				return "a header is not 'NAME: VALUE' or holds "
				    "a control character";
	return NULL;
}

const char *
http_conf_set(struct http_conf *c, int key, const char *value)
{
	const char *why = NULL;

	if (value == NULL)
		return "missing";
	switch (key) {
	case HTTP_OPT_URL:
		if ((why = check_url(value)) == NULL)
			set_str(&c->url, value);
		return why;
	case HTTP_OPT_TOKEN:
		if (*value == '\0')
			return "empty";
		if ((why = check_secret(value)) == NULL)
			set_secret(&c->token, value);
		return why;
	case HTTP_OPT_USER:
		if (strchr(value, ':') == NULL)
			return "expected USER:PASSWORD";
		if ((why = check_secret(value)) == NULL)
			set_secret(&c->user, value);
		return why;
	case HTTP_OPT_HEADER:
		return add_header(c, value);
	case HTTP_OPT_CACERT:
	case HTTP_OPT_CERT:
	case HTTP_OPT_KEY:
		if (*value == '\0')
			return "empty";
		set_str(key == HTTP_OPT_CACERT ? &c->cacert :
		    key == HTTP_OPT_CERT ? &c->cert : &c->key, value);
		return NULL;
	case HTTP_SET_CA_PEM:
	case HTTP_SET_CERT_PEM:
		if ((why = check_pem(value)) == NULL)
			set_str(key == HTTP_SET_CA_PEM ? &c->ca_pem :
			    &c->cert_pem, value);
		return why;
	case HTTP_SET_KEY_PEM:
		if ((why = check_pem(value)) == NULL)
			set_secret(&c->key_pem, value);
		return why;
	case HTTP_SET_PROXY:
		if ((why = check_proxy(value)) == NULL)
			set_secret(&c->proxy, value);	/* may hold a password */
		return why;
	case HTTP_SET_TLS_SERVER_NAME:
		if ((why = check_server_name(value)) == NULL)
			set_str(&c->tls_server_name, value);
		return why;
	}
	return "not a setting of the HTTP layer";
}

int
http_conf_option(struct http_conf *c, int key, const char *arg)
{
	const char *why;
	char *tok, *red;
	int n;

	switch (key) {
	case HTTP_OPT_URL:
		if ((why = http_conf_set(c, key, arg)) != NULL) {
			red = http_url_redact(arg);
			opt_usage_error("invalid --url '%s': %s", red, why);
		}
		return 1;
	case HTTP_OPT_TIMEOUT:
		c->timeout = opt_double_arg("timeout", arg, 0, 1e7);
		return 1;
	case HTTP_OPT_CONNECT_TIMEOUT:
		c->connect_timeout = opt_double_arg("connect-timeout", arg, 0,
		    1e7);
		return 1;
	case HTTP_OPT_RETRIES:
		c->retries = (int)opt_long_arg("retries", arg, 0, 100);
		return 1;
	case HTTP_OPT_TOKEN_FILE:
		if ((tok = http_read_token(arg)) == NULL)
			opt_usage_error("cannot read --token-file '%s': %s",
			    arg, errno == ENODATA ? "empty" : strerror(errno));
		why = http_conf_set(c, HTTP_OPT_TOKEN, tok);
		free_secret(tok);
		if (why != NULL)
			opt_usage_error("invalid token in --token-file '%s': "
			    "%s", arg, why);
		return 1;
	case HTTP_OPT_TOKEN:
	case HTTP_OPT_USER:
		/* Secrets: the message names the flag, never the value. */
		if ((why = http_conf_set(c, key, arg)) != NULL)
			opt_usage_error("invalid --%s: %s", key ==
			    HTTP_OPT_TOKEN ? "token" : "user", why);
		return 1;
	case HTTP_OPT_HEADER:
		/* A value may be a key (X-Api-Key): only the name is shown. */
		if ((why = http_conf_set(c, key, arg)) != NULL) {
			if ((n = header_name_len(arg)) > 0)
				opt_usage_error("invalid --header '%.*s: ...': "
				    "%s", n, arg, why);
			opt_usage_error("invalid --header: %s", why);
		}
		return 1;
	case HTTP_OPT_CACERT:
	case HTTP_OPT_CERT:
	case HTTP_OPT_KEY:
		if ((why = http_conf_set(c, key, arg)) != NULL)
			opt_usage_error("invalid --%s '%s': %s", key ==
			    HTTP_OPT_CACERT ? "cacert" : key == HTTP_OPT_CERT ?
			    "cert" : "key", arg, why);
		return 1;
	case HTTP_OPT_INSECURE:
		c->insecure = 1;
		return 1;
	case HTTP_OPT_MAX_RESPONSE:
		/* The byte sizes every opspipe option takes ("1.5G"). */
		c->max_response = (size_t)opt_bytes_arg("max-response", arg,
		    1, (unsigned long long)1 << 50);
		return 1;
	}
	return 0;
}

static void
free_headers(struct curl_slist *l)
{
	/* A header may carry a secret (X-Api-Key). */
	for (struct curl_slist *h = l; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(l);
}

void
http_conf_free(struct http_conf *c)
{
	free(c->url);
	free_secret(c->token);
	free_secret(c->user);
	free(c->cacert);
	free(c->cert);
	free(c->key);
	free_headers(c->headers);
	free(c->ca_pem);
	free(c->cert_pem);
	free_secret(c->key_pem);
	free_secret(c->proxy);
	free(c->tls_server_name);
	memset(c, 0, sizeof *c);
}
