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
	    "give up an attempt after SEC seconds (0: never)" },
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
	    "fail a response larger than BYTES (K, M, G suffixes; default 1G)" },
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
	if (err != 0) {
		buf_free(&b);
		errno = err;
		return NULL;
	}
	tok = xmalloc(end - start + 1);
	memcpy(tok, b.p + start, end - start);
	tok[end - start] = '\0';
	buf_free(&b);
	return tok;
}

/* "64M" and friends: binary multiples, as curl's --max-filesize. */
static size_t
size_arg(const char *name, const char *s)
{
	static const char units[] = "KMG";
	const char *u, *errstr;
	size_t len = strlen(s);
	long long v, mult = 1;
	char num[64];

	if (len == 0 || len >= sizeof num)
		opt_usage_error("invalid --%s '%s'", name, s);
	memcpy(num, s, len + 1);
	if ((u = strchr(units, toupper((unsigned char)num[len - 1]))) != NULL) {
		mult = 1LL << (10 * (u - units + 1));
		num[len - 1] = '\0';
	}
	if (opt_long(num, 1, (1LL << 50) / mult, &v, &errstr) != 0)
		opt_usage_error("invalid --%s '%s': %s", name, s, errstr);
	return (size_t)(v * mult);
}

static int
is_http_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

static void
conf_header(struct http_conf *c, const char *arg)
{
	const char *sep = arg + strcspn(arg, ":;");
	struct curl_slist *l;

	/* "K: V", or curl's "K;" for an empty value. */
	if (sep == arg || *sep == '\0' || strpbrk(arg, "\r\n") != NULL)
		opt_usage_error("invalid --header: expected 'NAME: VALUE'");
	if ((l = curl_slist_append(c->headers, arg)) == NULL)
		msg_oom();
	c->headers = l;
}

int
http_conf_option(struct http_conf *c, int key, const char *arg)
{
	char *tok, *red;

	switch (key) {
	case HTTP_OPT_URL:
		if (!is_http_url(arg)) {
			red = http_url_redact(arg);
			opt_usage_error("invalid --url '%s': not an http or "
			    "https URL", red);
		}
		set_str(&c->url, arg);
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
	case HTTP_OPT_TOKEN:
		if (*arg == '\0')
			opt_usage_error("invalid --token: empty");
		set_str(&c->token, arg);
		return 1;
	case HTTP_OPT_TOKEN_FILE:
		if ((tok = http_read_token(arg)) == NULL)
			opt_usage_error("cannot read --token-file '%s': %s",
			    arg, errno == ENODATA ? "empty" : strerror(errno));
		free(c->token);
		c->token = tok;
		return 1;
	case HTTP_OPT_USER:
		if (strchr(arg, ':') == NULL)
			opt_usage_error("invalid --user: expected USER:PASSWORD");
		set_str(&c->user, arg);
		return 1;
	case HTTP_OPT_CACERT:
		set_str(&c->cacert, arg);
		return 1;
	case HTTP_OPT_CERT:
		set_str(&c->cert, arg);
		return 1;
	case HTTP_OPT_KEY:
		set_str(&c->key, arg);
		return 1;
	case HTTP_OPT_INSECURE:
		c->insecure = 1;
		return 1;
	case HTTP_OPT_HEADER:
		conf_header(c, arg);
		return 1;
	case HTTP_OPT_MAX_RESPONSE:
		c->max_response = size_arg("max-response", arg);
		return 1;
	}
	return 0;
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

void
http_conf_free(struct http_conf *c)
{
	free(c->url);
	free_secret(c->token);
	free_secret(c->user);
	free(c->cacert);
	free(c->cert);
	free(c->key);
	curl_slist_free_all(c->headers);
	memset(c, 0, sizeof *c);
}
