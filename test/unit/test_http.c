/* test_http.c — the HTTP layer against test/fixtures/httpd.py.
 *
 * Retries run with a 10 ms backoff base so the suite stays fast; the one
 * slow case is the Retry-After wait, which must really be about 1 s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "msg.h"

extern char **environ;

struct server {
	pid_t pid;
	int port;
};

static struct server plain, other, tls, named;
static char tmpdir[64];
static char cert[128], skey[128], ccert[128], ckey[128];
static char ncert[128], nkey[128];
static int have_tls, have_named;

/* ---- fixtures --------------------------------------------------------- */

static int
spawn(char *const argv[], int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static int
start_server(struct server *s, char *const extra[])
{
	char path[512], line[64];
	char *argv[16] = { "/usr/bin/python3", path };
	const char *top = getenv("OPSPIPE_TOP");
	int fds[2], i, n = 2;
	ssize_t r;
	size_t got = 0;

	snprintf(path, sizeof path, "%s/test/fixtures/httpd.py",
	    top ? top : ".");
	for (i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	if (pipe(fds) != 0 || spawn(argv, fds[1], &s->pid) != 0)
		return -1;
	close(fds[1]);
	while (got < sizeof line - 1 && (r = read(fds[0], line + got, 1)) == 1)
		if (line[got++] == '\n')
			break;
	line[got] = '\0';
	close(fds[0]);
	s->port = atoi(line);
	return s->port > 0 ? 0 : -1;
}

static void
stop_server(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

static int
run_quiet(char *const argv[])
{
	int devnull = open("/dev/null", O_WRONLY), st;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, 1);
	posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(devnull);
	if (rc != 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A self-signed EC certificate for CN, valid for the names in san. */
static int
make_cert(const char *cn, const char *san, const char *crt, const char *k)
{
	char subj[64], ext[128];
	char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
	    "-subj", subj, "-addext", ext,
	    "-keyout", (char *)k, "-out", (char *)crt, NULL };

	snprintf(subj, sizeof subj, "/CN=%s", cn);
	snprintf(ext, sizeof ext, "subjectAltName=%s", san);
	return run_quiet(argv);
}

static void
setup_tls(void)
{
	char *extra[] = { "--tls", cert, skey, "--client-ca", ccert, NULL };
	char *extra_named[] = { "--tls", ncert, nkey, NULL };

	snprintf(cert, sizeof cert, "%s/server.pem", tmpdir);
	snprintf(skey, sizeof skey, "%s/server.key", tmpdir);
	snprintf(ccert, sizeof ccert, "%s/client.pem", tmpdir);
	snprintf(ckey, sizeof ckey, "%s/client.key", tmpdir);
	snprintf(ncert, sizeof ncert, "%s/named.pem", tmpdir);
	snprintf(nkey, sizeof nkey, "%s/named.key", tmpdir);
	if (make_cert("127.0.0.1", "IP:127.0.0.1", cert, skey) != 0 ||
	    make_cert("test-client", "DNS:test-client", ccert, ckey) != 0)
		return;
	have_tls = start_server(&tls, extra) == 0;
	/* Valid for a name only, as an API server's certificate often is
	 * when it is reached by address (kubeconfig's tls-server-name). */
	if (make_cert("kube.test", "DNS:kube.test", ncert, nkey) == 0)
		have_named = start_server(&named, extra_named) == 0;
}

static int
group_setup(void **state)
{
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	unsetenv("OPSPIPE_RETRY_BASE");
	unsetenv("OPSPIPE_RETRY_MAX");
	if (http_global_init() != 0)
		return -1;
	snprintf(tmpdir, sizeof tmpdir, "%s/test_http.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (start_server(&plain, NULL) != 0 || start_server(&other, NULL) != 0)
		return -1;
	setup_tls();
	return 0;
}

static int
group_teardown(void **state)
{
	char *rm[] = { "rm", "-rf", tmpdir, NULL };

	stop_server(&plain);
	stop_server(&other);
	stop_server(&tls);
	stop_server(&named);
	run_quiet(rm);
	http_global_cleanup();
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static char *
url(const struct server *s, const char *path)
{
	static char u[8][1024];
	static int i;
	char *p = u[i++ % 8];

	snprintf(p, sizeof u[0], "%s://127.0.0.1:%d%s", s == &tls ||
	    s == &named ? "https" : "http", s->port, path);
	return p;
}

static void
conf(struct http_conf *c)
{
	http_conf_init(c, NULL, "http://127.0.0.1:1");
	c->retry_base = 0.01;
	c->retry_max = 2;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GET path with conf's retries; leaves the result in rs. */
static enum http_rc
get(const struct http_conf *c, const char *u, struct http_response *rs)
{
	struct http_request rq = { .url = u, .retries = -1 };

	memset(rs, 0, sizeof *rs);
	return http_do(c, &rq, rs);
}

static long
server_count(const char *key)
{
	struct http_conf c;
	struct http_response rs;
	char path[128];
	long n;

	conf(&c);
	snprintf(path, sizeof path, "/count?key=%s", key);
	assert_int_equal(get(&c, url(&plain, path), &rs), HTTP_OK);
	n = strtol(rs.body.p, NULL, 10);
	http_response_free(&rs);
	http_conf_free(&c);
	return n;
}

static int
closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Runs fn in a child with stderr silenced; returns its exit status. */
static int
exit_status_of(void (*fn)(void))
{
	int st, devnull;
	pid_t pid = fork();

	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		fn();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs fn in a child; returns its exit status, its stderr in err. */
static int
exit_status_err(void (*fn)(void), char *err, size_t size)
{
	char path[160];
	int st, fd;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof path, "%s/stderr", tmpdir);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		fn();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, err, size - 1);
	close(fd);
	err[n > 0 ? n : 0] = '\0';
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- plain requests --------------------------------------------------- */

static void
test_ok(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	assert_int_equal(get(&c, url(&plain, "/ok"), &rs), HTTP_OK);
	assert_int_equal(rs.status, 200);
	assert_int_equal(rs.attempts, 1);
	assert_string_equal(rs.body.p, "hello\n");
	assert_string_equal(rs.content_type, "text/plain");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_retry_500_then_200(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	assert_int_equal(get(&c, url(&plain, "/flaky?key=k500&fail=2"), &rs),
	    HTTP_OK);
	assert_int_equal(rs.attempts, 3);
	assert_string_equal(rs.body.p, "ok after 3\n");
	assert_int_equal(server_count("k500"), 3);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_retry_408(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	assert_int_equal(get(&c, url(&plain, "/flaky?key=k408&code=408"), &rs),
	    HTTP_OK);
	assert_int_equal(rs.attempts, 2);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_retry_after_seconds(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	c.retry_max = 5;
	assert_int_equal(get(&c, url(&plain,
	    "/flaky?key=ra&code=429&retry_after=1"), &rs), HTTP_OK);
	assert_int_equal(rs.attempts, 2);
	assert_true(rs.ms >= 1000);
	assert_true(rs.ms < 4500);	/* not the 5 s cap */
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_retry_after_date(void **state)
{
	struct http_conf c;
	struct http_response rs;

	/* An HTTP date has whole seconds: now+2 s waits between 1 and 2 s. */
	conf(&c);
	c.retry_max = 5;
	assert_int_equal(get(&c, url(&plain,
	    "/flaky?key=rad&code=503&retry_after=2&date=1"), &rs), HTTP_OK);
	assert_int_equal(rs.attempts, 2);
	assert_true(rs.ms >= 900);
	assert_true(rs.ms < 4500);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_retry_after_capped(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	c.retry_max = 0.2;
	assert_int_equal(get(&c, url(&plain,
	    "/flaky?key=racap&code=429&retry_after=30"), &rs), HTTP_OK);
	assert_int_equal(rs.attempts, 2);
	assert_true(rs.ms < 10000);	/* not the 30 s asked for */
	http_response_free(&rs);
	http_conf_free(&c);
}

/* A retry_wait hook sees the status and headers of each failed answer. */
static double
rate_limit_wait(void *ctx, const struct http_response *rs)
{
	char *left = http_header(rs, "X-RateLimit-Remaining");
	double w = HTTP_RETRY_DEFAULT;

	(*(int *)ctx)++;
	if (rs->status == 403 && left != NULL && strcmp(left, "0") == 0)
		w = 0.05;
	else if (rs->status == 403)
		w = HTTP_RETRY_NEVER;
	free(left);
	return w;
}

static void
test_retry_wait_hook(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = -1, .retry_wait = rate_limit_wait };
	int calls = 0;
	char *v;

	conf(&c);
	rq.ctx = &calls;
	/* A 403 is not retried by default; the hook makes it so. */
	rq.url = url(&plain, "/flaky?key=rl403&fail=2&code=403"
	    "&header=X-RateLimit-Remaining:%200");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_OK);
	assert_int_equal(rs.attempts, 3);
	assert_int_equal(calls, 2);
	/* The headers are those of the last answer. */
	assert_null(http_header(&rs, "x-ratelimit-remaining"));
	v = http_header(&rs, "content-type");
	assert_string_equal(v, "text/plain");
	free(v);
	/* HTTP_RETRY_NEVER gives up on a status retried by default. */
	calls = 0;
	rq.url = url(&plain, "/flaky?key=rl403b&fail=5&code=403");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(rs.attempts, 1);
	assert_int_equal(calls, 1);
	/* HTTP_RETRY_DEFAULT keeps the usual policy: a 500 is retried. */
	rq.url = url(&plain, "/flaky?key=rl500&fail=1&code=500");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_OK);
	assert_int_equal(rs.attempts, 2);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_404_not_retried(void **state)
{
	struct http_conf c;
	struct http_response rs;
	struct http_request rq = { .retries = -1 };
	char want[256], *d;

	conf(&c);
	rq.url = url(&plain, "/flaky?key=k404&fail=99&code=404");
	memset(&rs, 0, sizeof rs);
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(rs.status, 404);
	assert_int_equal(rs.attempts, 1);
	assert_string_equal(rs.body.p, "fail 1\n");
	assert_int_equal(server_count("k404"), 1);
	d = http_describe(&rq, &rs);
	snprintf(want, sizeof want, "HTTP 404 from http://127.0.0.1:%d/flaky: "
	    "fail 1", plain.port);
	assert_string_equal(d, want);
	free(d);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_5xx_exhausted(void **state)
{
	struct http_conf c;
	struct http_response rs;
	struct http_request rq = { .retries = -1 };
	char *d;

	conf(&c);
	c.retries = 2;
	rq.url = url(&plain, "/flaky?key=k503&fail=99&code=503");
	memset(&rs, 0, sizeof rs);
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(rs.status, 503);
	assert_int_equal(rs.attempts, 3);
	assert_int_equal(server_count("k503"), 3);
	d = http_describe(&rq, &rs);
	assert_non_null(strstr(d, ": fail 3 (after 3 attempts)"));
	free(d);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_request_retries_zero(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = 0 };

	conf(&c);
	rq.url = url(&plain, "/flaky?key=k0&fail=99&code=500");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(rs.attempts, 1);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_timeout(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	c.timeout = 0.3;
	c.retries = 1;
	assert_int_equal(get(&c, url(&plain, "/slow?ms=3000"), &rs),
	    HTTP_ETRANSPORT);
	assert_int_equal(rs.attempts, 2);
	assert_int_equal(rs.status, 0);
	assert_true(rs.ms < 5000);	/* not the 6 s of two full answers */
	assert_true(rs.error[0] != '\0');
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_refused(void **state)
{
	struct http_conf c;
	struct http_response rs;
	char u[128];

	conf(&c);
	c.retries = 2;
	snprintf(u, sizeof u, "http://127.0.0.1:%d/x", closed_port());
	assert_int_equal(get(&c, u, &rs), HTTP_ETRANSPORT);
	assert_int_equal(rs.attempts, 3);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_too_big(void **state)
{
	static const char *paths[] = { "/big?bytes=300000",
	    "/big?bytes=300000&chunked=1" };
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	c.max_response = 100000;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(get(&c, url(&plain, paths[i]), &rs),
		    HTTP_ETOOBIG);
		assert_int_equal(rs.attempts, 1);
		assert_true(rs.body.len <= 100000);
		http_response_free(&rs);
	}
	/* Exactly at the cap is fine. */
	assert_int_equal(get(&c, url(&plain, "/big?bytes=100000"), &rs),
	    HTTP_OK);
	assert_int_equal(rs.body.len, 100000);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_error_body_capped(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	c.retries = 0;
	assert_int_equal(get(&c, url(&plain, "/big?bytes=200000&code=500"),
	    &rs), HTTP_ESTATUS);
	assert_int_equal(rs.status, 500);
	assert_int_equal(rs.body.len, HTTP_ERROR_BODY_MAX);
	http_response_free(&rs);
	http_conf_free(&c);
}

/* ---- authentication and headers --------------------------------------- */

static void
test_basic_auth(void **state)
{
	struct http_conf c;
	struct http_response rs;

	conf(&c);
	assert_int_equal(http_conf_option(&c, HTTP_OPT_USER, "alice:s3cret"),
	    1);
	assert_int_equal(get(&c, url(&plain, "/auth"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "Basic YWxpY2U6czNjcmV0");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_bearer_token_file(void **state)
{
	struct http_conf c;
	struct http_response rs;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof path, "%s/token", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("  tok-123\n\n", fp);
	fclose(fp);
	conf(&c);
	assert_int_equal(http_conf_option(&c, HTTP_OPT_TOKEN_FILE, path), 1);
	assert_string_equal(c.token, "tok-123");
	assert_int_equal(get(&c, url(&plain, "/auth"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "Bearer tok-123");
	http_response_free(&rs);
	http_conf_option(&c, HTTP_OPT_TOKEN, "direct");
	assert_int_equal(get(&c, url(&plain, "/auth"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "Bearer direct");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_token_kept_within_origin(void **state)
{
	struct http_conf c;
	struct http_response rs;
	char u[256];

	conf(&c);
	http_conf_option(&c, HTTP_OPT_TOKEN, "tok-redirect");
	assert_int_equal(get(&c, url(&plain, "/redirect?to=/auth"), &rs),
	    HTTP_OK);
	assert_string_equal(rs.body.p, "Bearer tok-redirect");
	snprintf(u, sizeof u, "http://127.0.0.1:%d/auth", plain.port);
	assert_string_equal(rs.url, u);
	http_response_free(&rs);
	http_conf_free(&c);

	/* So do the URL's own credentials. */
	conf(&c);
	snprintf(u, sizeof u, "http://bob:hunter2@127.0.0.1:%d/redirect?"
	    "to=/auth", plain.port);
	assert_int_equal(get(&c, u, &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "Basic Ym9iOmh1bnRlcjI=");
	http_response_free(&rs);
	http_conf_free(&c);
}

/* ---- redirects -------------------------------------------------------- */

/* What /dump on s recorded under key (caller frees). */
static char *
dumped(const struct server *s, const char *key)
{
	struct http_conf c;
	struct http_response rs;
	char path[128], *text;

	conf(&c);
	snprintf(path, sizeof path, "/dumped?key=%s", key);
	assert_int_equal(get(&c, url(s, path), &rs), HTTP_OK);
	text = xstrdup(rs.body.p ? rs.body.p : "");
	http_response_free(&rs);
	http_conf_free(&c);
	return text;
}

enum cred { C_NONE, C_HEADER, C_TOKEN, C_USER };
static const char *const cred_names[] = { "none", "header", "token", "user" };

static void
cred_conf(struct http_conf *c, enum cred cred)
{
	conf(c);
	c->retries = 0;
	if (cred == C_HEADER)
		http_conf_option(c, HTTP_OPT_HEADER, "X-Api-Key: hdr-s3cret");
	else if (cred == C_TOKEN)
		http_conf_option(c, HTTP_OPT_TOKEN, "tok-s3cret");
	else if (cred == C_USER)
		http_conf_option(c, HTTP_OPT_USER, "u:pw-s3cret");
}

/*
 * One redirect from plain to `to` (plain itself or other), with code,
 * method and credentials; returns what the target's /dump recorded and
 * leaves the result in rs and its description in *desc.
 */
static char *
hop(const struct server *to, int code, const char *method, enum cred cred,
    struct http_response *rs, char **desc)
{
	struct http_conf c;
	struct http_request rq = { .method = method, .retries = 0 };
	char key[64], path[200];

	snprintf(key, sizeof key, "%s-%d-%s-%s", to == &plain ? "same" :
	    "cross", code, method, cred_names[cred]);
	snprintf(path, sizeof path, "/redirect?code=%d&to=http://127.0.0.1:%d"
	    "/dump?key=%s", code, to->port, key);
	cred_conf(&c, cred);
	rq.url = url(&plain, path);
	if (strcmp(method, "POST") == 0) {
		rq.body = "prompt-s3cret";
		rq.body_len = strlen(rq.body);
		rq.content_type = "text/plain";
	}
	memset(rs, 0, sizeof *rs);
	http_do(&c, &rq, rs);
	*desc = http_describe(&rq, rs);
	http_conf_free(&c);
	return dumped(to, key);
}

static const int codes[] = { 301, 302, 303, 307, 308 };
static const char *const methods[] = { "GET", "POST" };

static void
test_redirect_cross_origin(void **state)
{
	struct http_response rs;
	char *got, *desc, want[64];
	int n = 0;

	snprintf(want, sizeof want, "redirect to http://127.0.0.1:%d not "
	    "followed", other.port);
	for (size_t i = 0; i < 5; i++)
		for (size_t m = 0; m < 2; m++)
			for (int cr = C_NONE; cr <= C_USER; cr++, n++) {
				int follow = m == 0 && cr == C_NONE;

				got = hop(&other, codes[i], methods[m], cr, &rs,
				    &desc);
				if (follow) {
					/* A bare GET goes, and stays bare. */
					assert_int_equal(rs.rc, HTTP_OK);
					assert_non_null(strstr(got, "GET /dump"));
					assert_null(strstr(got, "Authorization"));
					assert_null(strstr(got, "X-Api-Key"));
				} else {
					assert_int_equal(rs.rc, HTTP_ESTATUS);
					assert_int_equal(rs.status, codes[i]);
					assert_string_equal(got, "");
					assert_non_null(strstr(desc, want));
					/* Neither secrets nor the target's
					 * path and query. */
					assert_null(strstr(desc, "/dump"));
					assert_null(strstr(desc, "s3cret"));
				}
				free(got);
				free(desc);
				http_response_free(&rs);
			}
	assert_int_equal(n, 40);
}

static void
test_redirect_same_origin(void **state)
{
	struct http_response rs;
	char *got, *desc;
	int n = 0;

	for (size_t i = 0; i < 5; i++)
		for (size_t m = 0; m < 2; m++)
			for (int cr = C_NONE; cr <= C_USER; cr++, n++) {
				/* 307 and 308 repeat a POST; the others
				 * turn it into a GET without a body. */
				int post = m == 1 && codes[i] >= 307;

				got = hop(&plain, codes[i], methods[m], cr, &rs,
				    &desc);
				assert_int_equal(rs.rc, HTTP_OK);
				assert_non_null(strstr(got, post ? "POST /dump" :
				    "GET /dump"));
				assert_true(!post == !strstr(got,
				    "\nprompt-s3cret\n"));
				assert_true(!post == !strstr(got,
				    "Content-Type: text/plain"));
				if (cr == C_HEADER)
					assert_non_null(strstr(got,
					    "X-Api-Key: hdr-s3cret"));
				if (cr == C_TOKEN)
					assert_non_null(strstr(got,
					    "Authorization: Bearer tok-s3cret"));
				if (cr == C_USER)
					assert_non_null(strstr(got,
					    "Authorization: Basic"));
				free(got);
				free(desc);
				http_response_free(&rs);
			}
	assert_int_equal(n, 40);
}

/* The Location of trick i, as a path on plain that answers with it. */
static void
trick_path(char *p, size_t n, int i)
{
	if (i == 0)
		snprintf(p, n, "/redirect?to=/redirect%%3Fto%%3Dhttp://"
		    "127.0.0.1:%d/dump%%253Fkey%%253Dtrick", other.port);
	else if (i == 1)
		snprintf(p, n, "/redirect?code=307&to=//127.0.0.1:%d"
		    "/dump%%3Fkey%%3Dtrick", other.port);
	else if (i == 2)
		snprintf(p, n, "/redirect?code=308&to=http://127.0.0.1:%d@"
		    "127.0.0.1:%d/dump%%3Fkey%%3Dtrick", plain.port, other.port);
	else
		snprintf(p, n, "/redirect?to=http://localhost:%d"
		    "/dump%%3Fkey%%3Dtrick", other.port);
}

/*
 * What "same origin" must not be fooled by: a hop within the origin
 * first and then out of it, a protocol-relative Location, userinfo that
 * looks like the origin's host and port, another spelling of the same
 * host (another origin to the rule: nothing is sent). Each carries a
 * token; the other server must record nothing.
 */
static void
test_redirect_origin_tricks(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = 0 };
	char path[200], *got, *d;
	int n = 0;

	for (int i = 0; i < 4; i++, n++) {
		trick_path(path, sizeof path, i);
		cred_conf(&c, C_TOKEN);
		rq.url = url(&plain, path);
		assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
		d = http_describe(&rq, &rs);
		assert_non_null(strstr(d, "another origin must not get the "
		    "token"));
		free(d);
		http_response_free(&rs);
		http_conf_free(&c);
	}
	got = dumped(&other, "trick");
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(n, 4);
}

static void
test_redirect_https_to_http(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = 0 };
	char path[200], *d, *got;

	if (!have_tls)
		skip();
	conf(&c);
	http_conf_option(&c, HTTP_OPT_CACERT, cert);
	snprintf(path, sizeof path, "/redirect?to=http://127.0.0.1:%d/dump?"
	    "key=downgrade", other.port);
	rq.url = url(&tls, path);
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(rs.status, 302);
	d = http_describe(&rq, &rs);
	assert_non_null(strstr(d, "from https to plain http"));
	free(d);
	got = dumped(&other, "downgrade");
	assert_string_equal(got, "");
	free(got);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_redirect_limits(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	char *d;
	struct http_request rq = { .retries = -1 };

	conf(&c);
	rq.url = url(&plain, "/loop");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(rs.attempts, 1);
	d = http_describe(&rq, &rs);
	assert_non_null(strstr(d, "more than 10 redirects"));
	free(d);
	http_response_free(&rs);
	/* Not http: not followed, and the 3xx is the answer. */
	assert_int_equal(get(&c, url(&plain, "/redirect?to=file:///etc/passwd"),
	    &rs), HTTP_ESTATUS);
	assert_int_equal(rs.status, 302);
	http_response_free(&rs);
	/* A retry after a redirect goes to where it led. */
	assert_int_equal(get(&c, url(&plain, "/redirect?to=/flaky?key=hopretry"),
	    &rs), HTTP_OK);
	assert_int_equal(rs.attempts, 2);
	assert_string_equal(rs.body.p, "ok after 2\n");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
pool_hop_done(void *ctx, const struct http_request *rq,
    struct http_response *rs)
{
	(*(int *)ctx)++;
}

static void
test_redirect_in_pool(void **state)
{
	struct http_conf c;
	struct http_request rq[3];
	struct http_response rs[3];
	struct http_pool *p;
	char path[3][200], *got;
	int done = 0;

	/* The same rule when the requests share a pool. */
	cred_conf(&c, C_HEADER);
	memset(rs, 0, sizeof rs);
	snprintf(path[0], sizeof path[0], "/redirect?code=307&to=http://"
	    "127.0.0.1:%d/dump?key=pool-cross", other.port);
	snprintf(path[1], sizeof path[1], "/redirect?code=307&to=/dump?"
	    "key=pool-same");
	snprintf(path[2], sizeof path[2], "/ok");
	p = http_pool_new(&c, 2);
	for (int i = 0; i < 3; i++) {
		rq[i] = (struct http_request){ .url = url(&plain, path[i]),
		    .retries = 0 };
		http_pool_add(p, &rq[i], &rs[i], pool_hop_done, &done);
	}
	while (http_pool_pending(p) > 0)
		http_pool_run(p);
	assert_int_equal(done, 3);
	assert_int_equal(rs[0].rc, HTTP_ESTATUS);
	assert_int_equal(rs[1].rc, HTTP_OK);
	assert_int_equal(rs[2].rc, HTTP_OK);
	got = dumped(&other, "pool-cross");
	assert_string_equal(got, "");
	free(got);
	got = dumped(&plain, "pool-same");
	assert_non_null(strstr(got, "X-Api-Key: hdr-s3cret"));
	free(got);
	for (int i = 0; i < 3; i++)
		http_response_free(&rs[i]);
	http_pool_free(p);
	http_conf_free(&c);
}

static void
test_headers(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = -1 };

	conf(&c);
	http_conf_option(&c, HTTP_OPT_HEADER, "X-Scope-OrgID: tenant-1");
	rq.url = url(&plain, "/headers");
	rq.headers = curl_slist_append(NULL, "X-Extra: two");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_OK);
	assert_non_null(strstr(rs.body.p, "X-Scope-OrgID: tenant-1\n"));
	assert_non_null(strstr(rs.body.p, "X-Extra: two\n"));
	assert_non_null(strstr(rs.body.p,
	    "User-Agent: opspipe/" OPSPIPE_VERSION "\n"));
	assert_null(strstr(rs.body.p, "Authorization"));
	curl_slist_free_all(rq.headers);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_url_userinfo(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = 0 };
	char u[256], *d;

	/* Credentials in the URL are used but never shown. */
	conf(&c);
	snprintf(u, sizeof u, "http://bob:hunter2@127.0.0.1:%d/auth",
	    plain.port);
	assert_int_equal(get(&c, u, &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "Basic Ym9iOmh1bnRlcjI=");
	http_response_free(&rs);
	snprintf(u, sizeof u, "http://bob:hunter2@127.0.0.1:%d/api?token=abc",
	    closed_port());
	rq.url = u;
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ETRANSPORT);
	d = http_describe(&rq, &rs);
	assert_null(strstr(d, "hunter2"));
	assert_null(strstr(d, "abc"));
	assert_null(strstr(d, "bob"));
	assert_non_null(strstr(d, "http://127.0.0.1:"));
	free(d);
	http_response_free(&rs);
	http_conf_free(&c);
}

/* ---- bodies ----------------------------------------------------------- */

struct sink {
	struct buf got;
	int calls, stop;
};

static int
collect(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;

	buf_add(&s->got, data, len);
	s->calls++;
	return s->stop;
}

static void
test_stream(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct sink s = { BUF_INIT, 0, 0 };
	struct http_request rq = { .retries = -1, .on_data = collect,
	    .ctx = &s };

	conf(&c);
	rq.url = url(&plain, "/stream?chunks=5&ms=30");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_OK);
	assert_string_equal(s.got.p,
	    "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
	assert_true(s.calls >= 2);
	assert_int_equal(rs.body.len, 0);
	buf_free(&s.got);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_stream_abort(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct sink s = { BUF_INIT, 0, 1 };
	struct http_request rq = { .retries = -1, .on_data = collect,
	    .ctx = &s };

	conf(&c);
	rq.url = url(&plain, "/stream?chunks=5&ms=30");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_EABORTED);
	assert_int_equal(rs.attempts, 1);
	assert_int_equal(s.calls, 1);
	buf_free(&s.got);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_stream_broken_not_retried(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct sink s = { BUF_INIT, 0, 0 };
	struct http_request rq = { .retries = -1, .on_data = collect,
	    .ctx = &s };

	conf(&c);
	rq.url = url(&plain, "/stream?chunks=5&die=2");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ETRANSPORT);
	assert_int_equal(rs.attempts, 1);
	assert_string_equal(s.got.p, "chunk 0\nchunk 1\n");
	buf_free(&s.got);
	http_response_free(&rs);
	/* Kept in memory, nothing was handed out yet: retrying is safe. */
	assert_int_equal(get(&c, rq.url, &rs), HTTP_ETRANSPORT);
	assert_int_equal(rs.attempts, 4);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_stream_error_body(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct sink s = { BUF_INIT, 0, 0 };
	struct http_request rq = { .retries = 0, .on_data = collect,
	    .ctx = &s };

	/* A non-2xx body is never streamed: it stays for the diagnostic. */
	conf(&c);
	rq.url = url(&plain, "/nothing-here");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ESTATUS);
	assert_int_equal(s.calls, 0);
	assert_string_equal(rs.body.p, "not found: /nothing-here\n");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_post_form(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct buf form = BUF_INIT;
	struct http_request rq = { .method = "POST", .retries = -1,
	    .content_type = "application/x-www-form-urlencoded" };

	http_form_add(&form, "query", "sum(rate(x{a=\"b c\"}[5m]))");
	http_form_add(&form, "time", "1700000000");
	conf(&c);
	rq.url = url(&plain, "/echo");
	rq.body = form.p;
	rq.body_len = form.len;
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "application/x-www-form-urlencoded\n"
	    "query=sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%29"
	    "&time=1700000000");
	buf_free(&form);
	http_response_free(&rs);
	http_conf_free(&c);
}

/* ---- bodies that should have been JSON ------------------------------- */

static void
test_describe_html(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct sink s = { BUF_INIT, 0, 0 };
	struct http_request rq = { .retries = 0 };
	char want[512], *d;

	conf(&c);
	snprintf(want, sizeof want, "HTTP 200 from http://127.0.0.1:%d/html "
	    "is not JSON (invalid JSON at byte 0): 111 bytes of text/html; "
	    "charset=utf-8 beginning '<!DOCTYPE html> <html><head><title>"
	    "Sign in</title></head> <body><form action=\"/l...'", plain.port);
	/* Kept whole, and streamed: the same first bytes. */
	for (int stream = 0; stream < 2; stream++) {
		rq.on_data = stream ? collect : NULL;
		rq.ctx = stream ? &s : NULL;
		rq.url = url(&plain, "/html?token=q-s3cret");
		assert_int_equal(http_do(&c, &rq, &rs), HTTP_OK);
		assert_int_equal(rs.bytes, 111);
		d = http_describe_body(&rq, &rs, "invalid JSON at byte 0");
		assert_string_equal(d, want);
		free(d);
		http_response_free(&rs);
	}
	buf_free(&s.got);
	assert_int_equal(get(&c, url(&plain, "/big?bytes=0"), &rs), HTTP_OK);
	d = http_describe_body(&rq, &rs, NULL);
	assert_non_null(strstr(d, "is not JSON: an empty body"));
	free(d);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_describe_cut(void **state)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = 0 };
	struct sink s = { BUF_INIT, 0, 0 };
	char *d;

	conf(&c);
	c.retries = 0;
	rq.url = url(&plain, "/cut?n=300");
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ETRANSPORT);
	assert_int_equal(rs.bytes, 300);
	d = http_describe(&rq, &rs);
	assert_non_null(strstr(d, "/cut: connection closed after 300 bytes "
	    "of the answer (400 announced)"));
	free(d);
	http_response_free(&rs);
	/* Chunked, nothing announced. */
	rq.url = url(&plain, "/stream?chunks=5&die=2");
	rq.on_data = collect;
	rq.ctx = &s;
	assert_int_equal(http_do(&c, &rq, &rs), HTTP_ETRANSPORT);
	d = http_describe(&rq, &rs);
	assert_non_null(strstr(d, "/stream: connection closed after 16 bytes "
	    "of the answer"));
	free(d);
	buf_free(&s.got);
	http_response_free(&rs);
	http_conf_free(&c);
}

/* ---- pools ------------------------------------------------------------ */

struct tally {
	int done, ok;
	char order[16];
};

static void
count_done(void *ctx, const struct http_request *rq, struct http_response *rs)
{
	struct tally *t = ctx;

	if (rs->rc == HTTP_OK)
		t->ok++;
	if (t->done < (int)sizeof t->order - 1)
		t->order[t->done] = rq->method ? rq->method[0] : '?';
	t->done++;
}

static double
run_pool(int jobs, int n, const char *path)
{
	struct http_conf c;
	struct http_request rq[8];
	struct http_response rs[8];
	struct tally t = { 0 };
	struct http_pool *p;
	double t0;
	int i;

	conf(&c);
	memset(rs, 0, sizeof rs);
	p = http_pool_new(&c, jobs);
	for (i = 0; i < n; i++) {
		rq[i] = (struct http_request){ .url = url(&plain, path),
		    .retries = -1 };
		http_pool_add(p, &rq[i], &rs[i], count_done, &t);
	}
	assert_int_equal(http_pool_pending(p), n);
	t0 = now();
	while (http_pool_pending(p) > 0)
		assert_true(http_pool_run(p) >= 1);
	t0 = now() - t0;
	assert_int_equal(http_pool_run(p), 0);
	assert_int_equal(t.done, n);
	assert_int_equal(t.ok, n);
	for (i = 0; i < n; i++)
		http_response_free(&rs[i]);
	http_pool_free(p);
	http_conf_free(&c);
	return t0;
}

static void
test_pool_concurrent(void **state)
{
	struct http_conf c;
	struct http_response rs;

	/* The server counts what was in flight at once; wall time would
	 * make a flaky test on a loaded CI machine. */
	conf(&c);
	run_pool(8, 8, "/slow?ms=200&group=jobs8");
	assert_int_equal(get(&c, url(&plain, "/stats?group=jobs8"), &rs),
	    HTTP_OK);
	assert_string_equal(rs.body.p, "max_inflight 8\n");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_pool_jobs_limit(void **state)
{
	struct http_conf c;
	struct http_response rs;

	/* Four rounds of two. */
	conf(&c);
	assert_true(run_pool(2, 8, "/slow?ms=200&group=jobs2") >= 0.8);
	assert_int_equal(get(&c, url(&plain, "/stats?group=jobs2"), &rs),
	    HTTP_OK);
	assert_string_equal(rs.body.p, "max_inflight 2\n");
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_pool_retry_does_not_block(void **state)
{
	struct http_conf c;
	struct http_request rq[4];
	struct http_response rs[4];
	struct tally t = { 0 };
	struct http_pool *p;
	int i;

	/* One slot: the request waiting out Retry-After must let the
	 * others through, so it completes last. Methods tag the order. */
	conf(&c);
	c.retry_max = 5;
	memset(rs, 0, sizeof rs);
	p = http_pool_new(&c, 1);
	rq[0] = (struct http_request){ .method = "GET", .retries = -1,
	    .url = url(&plain, "/flaky?key=pool&code=503&retry_after=1") };
	for (i = 1; i < 4; i++)
		rq[i] = (struct http_request){ .method = "HEAD",
		    .retries = -1, .url = url(&plain, "/slow?ms=50") };
	for (i = 0; i < 4; i++)
		http_pool_add(p, &rq[i], &rs[i], count_done, &t);
	while (http_pool_pending(p) > 0)
		http_pool_run(p);
	assert_string_equal(t.order, "HHHG");
	assert_int_equal(t.ok, 4);
	assert_int_equal(rs[0].attempts, 2);
	for (i = 0; i < 4; i++)
		http_response_free(&rs[i]);
	http_pool_free(p);
	http_conf_free(&c);
}

struct chain {
	struct http_pool *pool;
	struct http_request rq[3];
	struct http_response rs[3];
	int n;
};

static void
chain_done(void *ctx, const struct http_request *rq, struct http_response *rs)
{
	struct chain *ch = ctx;

	assert_int_equal(rs->rc, HTTP_OK);
	if (++ch->n < 3)
		http_pool_add(ch->pool, &ch->rq[ch->n], &ch->rs[ch->n],
		    chain_done, ch);
}

static void
test_pool_add_from_done(void **state)
{
	struct http_conf c;
	struct chain ch = { 0 };
	int i;

	conf(&c);
	ch.pool = http_pool_new(&c, 2);
	for (i = 0; i < 3; i++)
		ch.rq[i] = (struct http_request){ .url = url(&plain, "/ok"),
		    .retries = -1 };
	http_pool_add(ch.pool, &ch.rq[0], &ch.rs[0], chain_done, &ch);
	while (http_pool_pending(ch.pool) > 0)
		http_pool_run(ch.pool);
	assert_int_equal(ch.n, 3);
	for (i = 0; i < 3; i++)
		http_response_free(&ch.rs[i]);
	http_pool_free(ch.pool);
	http_conf_free(&c);
}

static void
test_pool_do_keepalive(void **state)
{
	struct http_conf c;
	struct http_request rq = { .retries = -1 };
	struct http_response rs[2] = { 0 };
	struct http_pool *p;

	conf(&c);
	p = http_pool_new(&c, 1);
	rq.url = url(&plain, "/peer");
	assert_int_equal(http_pool_do(p, &rq, &rs[0]), HTTP_OK);
	assert_int_equal(http_pool_do(p, &rq, &rs[1]), HTTP_OK);
	/* The same client port: the second request reused the connection. */
	assert_string_equal(rs[0].body.p, rs[1].body.p);
	http_response_free(&rs[0]);
	http_response_free(&rs[1]);
	http_pool_free(p);
	http_conf_free(&c);
}

/* ---- TLS -------------------------------------------------------------- */

static void
test_tls(void **state)
{
	struct http_conf c;
	struct http_response rs;

	if (!have_tls)
		skip();
	conf(&c);
	assert_int_equal(get(&c, url(&tls, "/ok"), &rs), HTTP_ETRANSPORT);
	assert_int_equal(rs.attempts, 1);	/* not worth retrying */
	http_response_free(&rs);
	http_conf_option(&c, HTTP_OPT_CACERT, cert);
	assert_int_equal(get(&c, url(&tls, "/ok"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "hello\n");
	http_response_free(&rs);
	assert_int_equal(get(&c, url(&tls, "/whoami"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "-\n");
	http_response_free(&rs);
	http_conf_option(&c, HTTP_OPT_CERT, ccert);
	http_conf_option(&c, HTTP_OPT_KEY, ckey);
	assert_int_equal(get(&c, url(&tls, "/whoami"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "test-client\n");
	http_response_free(&rs);
	http_conf_free(&c);

	conf(&c);
	http_conf_option(&c, HTTP_OPT_INSECURE, NULL);
	assert_int_equal(get(&c, url(&tls, "/ok"), &rs), HTTP_OK);
	http_response_free(&rs);
	http_conf_free(&c);
}

/* A whole file in memory, as a kubeconfig's *-data gives PEM. */
static char *
slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	return buf_detach(&b);
}

static void
set_from_file(struct http_conf *c, int key, const char *path)
{
	char *pem = slurp(path);

	assert_null(http_conf_set(c, key, pem));
	free(pem);
}

static void
test_tls_pem_in_memory(void **state)
{
	struct http_conf c;
	struct http_response rs;

	if (!have_tls)
		skip();
	conf(&c);
	set_from_file(&c, HTTP_SET_CA_PEM, cert);
	assert_int_equal(get(&c, url(&tls, "/whoami"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "-\n");
	http_response_free(&rs);
	set_from_file(&c, HTTP_SET_CERT_PEM, ccert);
	set_from_file(&c, HTTP_SET_KEY_PEM, ckey);
	assert_int_equal(get(&c, url(&tls, "/whoami"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "test-client\n");
	http_response_free(&rs);
	http_conf_free(&c);

	/* The bundle in memory is the trust anchor: another CA fails. */
	conf(&c);
	set_from_file(&c, HTTP_SET_CA_PEM, ccert);
	assert_int_equal(get(&c, url(&tls, "/ok"), &rs), HTTP_ETRANSPORT);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_tls_server_name(void **state)
{
	struct http_conf c;
	struct http_response rs;
	char host[64];

	if (!have_named)
		skip();
	conf(&c);
	set_from_file(&c, HTTP_SET_CA_PEM, ncert);
	/* Reached by address, the certificate (kube.test only) fails... */
	assert_int_equal(get(&c, url(&named, "/ok"), &rs), HTTP_ETRANSPORT);
	http_response_free(&rs);
	/* ...unless checked against the name it was made for. */
	assert_null(http_conf_set(&c, HTTP_SET_TLS_SERVER_NAME, "kube.test"));
	assert_int_equal(get(&c, url(&named, "/sni"), &rs), HTTP_OK);
	assert_string_equal(rs.body.p, "kube.test\n");
	http_response_free(&rs);
	/* The request still names the host it was sent to. */
	assert_int_equal(get(&c, url(&named, "/headers"), &rs), HTTP_OK);
	snprintf(host, sizeof host, "Host: 127.0.0.1:%d\n", named.port);
	assert_non_null(strstr(rs.body.p, host));
	http_response_free(&rs);
	/* A name the certificate does not carry still fails. */
	assert_null(http_conf_set(&c, HTTP_SET_TLS_SERVER_NAME, "other.test"));
	assert_int_equal(get(&c, url(&named, "/ok"), &rs), HTTP_ETRANSPORT);
	assert_int_equal(rs.attempts, 1);
	http_response_free(&rs);
	http_conf_free(&c);
}

static void
test_proxy(void **state)
{
	struct http_conf c;
	struct http_response rs;
	char proxy[64], u[128], want[160];

	/* The fixture answers a proxy's absolute-form request itself, so the
	 * target it echoes shows the request went through it. */
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", plain.port);
	conf(&c);
	assert_null(http_conf_set(&c, HTTP_SET_PROXY, proxy));
	assert_int_equal(get(&c, "http://proxied.invalid/target", &rs),
	    HTTP_OK);
	assert_string_equal(rs.body.p, "http://proxied.invalid/target\n");
	http_response_free(&rs);
	/* Used for every host: NO_PROXY (127.0.0.1 here) does not apply. */
	snprintf(u, sizeof u, "http://127.0.0.1:%d/target", closed_port());
	assert_int_equal(get(&c, u, &rs), HTTP_OK);
	snprintf(want, sizeof want, "%s\n", u);
	assert_string_equal(rs.body.p, want);
	http_response_free(&rs);
	http_conf_free(&c);

	/* Without one, libcurl's environment handling stays. */
	setenv("http_proxy", proxy, 1);
	conf(&c);
	assert_int_equal(get(&c, "http://proxied.invalid/target", &rs),
	    HTTP_OK);
	assert_string_equal(rs.body.p, "http://proxied.invalid/target\n");
	http_response_free(&rs);
	http_conf_free(&c);
	unsetenv("http_proxy");
}

static void
test_conf_set_refuses(void **state)
{
	static const struct { int key; const char *value; } bad[] = {
		{ HTTP_SET_CA_PEM, "" },
		{ HTTP_SET_CERT_PEM, "not pem" },
		{ HTTP_SET_KEY_PEM, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" },
		{ HTTP_SET_PROXY, "ftp://proxy:21" },
		{ HTTP_SET_PROXY, "http://proxy:3128/\r\nX: y" },
		{ HTTP_SET_PROXY, "" },
		{ HTTP_SET_TLS_SERVER_NAME, "" },
		{ HTTP_SET_TLS_SERVER_NAME, "kube.test:443" },
		{ HTTP_SET_TLS_SERVER_NAME, "kube.test/x" },
		{ HTTP_OPT_URL, "localhost:9090" },
		{ HTTP_OPT_TOKEN, "" },
		{ HTTP_OPT_TIMEOUT, "1" },	/* numbers go through the flags */
	};
	struct http_conf c;
	const char *why;

	conf(&c);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = http_conf_set(&c, bad[i].key, bad[i].value);
		assert_non_null(why);
		/* The reason never quotes the value. */
		if (*bad[i].value != '\0')
			assert_null(strstr(why, bad[i].value));
	}
	assert_null(c.ca_pem);
	assert_null(c.proxy);
	assert_null(c.tls_server_name);
	assert_null(http_conf_set(&c, HTTP_SET_PROXY, "socks5h://p:1080"));
	assert_string_equal(c.proxy, "socks5h://p:1080");
	http_conf_free(&c);
}

/* ---- configuration and helpers ---------------------------------------- */

static void
test_conf_defaults(void **state)
{
	static const char *const envs[] = { "TEST_HTTP_UNSET", "TEST_HTTP_URL",
	    NULL };
	struct http_conf c;

	setenv("TEST_HTTP_URL", "http://from-env:9090", 1);
	setenv("OPSPIPE_RETRY_BASE", "0.01", 1);
	http_conf_init(&c, envs, "http://localhost:9090");
	unsetenv("OPSPIPE_RETRY_BASE");
	assert_string_equal(c.url, "http://from-env:9090");
	assert_true(c.retry_base == 0.01);
	assert_int_equal(c.retries, 3);
	/* Finite: a server that never answers must not hang a flow. */
	assert_true(c.timeout == HTTP_TIMEOUT_DEFAULT);
	assert_true(c.timeout > 0);
	assert_int_equal(c.max_response, (size_t)1 << 30);
	http_conf_free(&c);
	unsetenv("TEST_HTTP_URL");
	http_conf_init(&c, envs, "http://localhost:9090");
	assert_string_equal(c.url, "http://localhost:9090");
	assert_true(c.retry_base == 0.5);
	assert_int_equal(http_conf_option(&c, HTTP_OPT_MAX_RESPONSE, "64K"), 1);
	assert_int_equal(c.max_response, 65536);
	http_conf_option(&c, HTTP_OPT_MAX_RESPONSE, "2m");
	assert_int_equal(c.max_response, 2 << 20);
	/* The shared byte sizes: decimals, either case, KiB/MB forms. */
	http_conf_option(&c, HTTP_OPT_MAX_RESPONSE, "1.5G");
	assert_int_equal(c.max_response, 3ULL << 29);
	http_conf_option(&c, HTTP_OPT_MAX_RESPONSE, "1.5g");
	assert_int_equal(c.max_response, 3ULL << 29);
	http_conf_option(&c, HTTP_OPT_MAX_RESPONSE, "64KiB");
	assert_int_equal(c.max_response, 65536);
	http_conf_option(&c, HTTP_OPT_RETRIES, "0");
	assert_int_equal(c.retries, 0);
	http_conf_option(&c, HTTP_OPT_TIMEOUT, "2.5");
	assert_true(c.timeout == 2.5);
	http_conf_option(&c, HTTP_OPT_URL, "https://x.example/prom");
	assert_string_equal(c.url, "https://x.example/prom");
	assert_int_equal(http_conf_option(&c, 'q', "x"), 0);
	http_conf_free(&c);
}

static void
bad_retries(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_RETRIES, "many");
}

static void
bad_token_file(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_TOKEN_FILE, "/nonexistent/token");
}

static void
empty_token_file(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_TOKEN_FILE, "/dev/null");
}

static void
bad_header(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_HEADER, "no colon here");
}

static void
bad_max_response(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_MAX_RESPONSE, "0");
}

static void
bad_env(void)
{
	struct http_conf c;

	setenv("OPSPIPE_RETRY_BASE", "fast", 1);
	conf(&c);
}

static void
bad_url(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_URL, "ftp://u:p@host/");
}

static void
test_conf_errors_exit_2(void **state)
{
	assert_int_equal(exit_status_of(bad_retries), 2);
	assert_int_equal(exit_status_of(bad_token_file), 2);
	assert_int_equal(exit_status_of(empty_token_file), 2);
	assert_int_equal(exit_status_of(bad_header), 2);
	assert_int_equal(exit_status_of(bad_env), 2);
	assert_int_equal(exit_status_of(bad_max_response), 2);
	assert_int_equal(exit_status_of(bad_url), 2);
}

/* ---- control characters in credentials (header injection) ----------- */

static void
test_credentials_refuse_controls(void **state)
{
	static const struct { int key; const char *value; } bad[] = {
		{ HTTP_OPT_TOKEN, "tok\r\nX-Injected: 1" },
		{ HTTP_OPT_TOKEN, "tok\nX-Injected: 1" },
		{ HTTP_OPT_TOKEN, "tok\r" },
		{ HTTP_OPT_TOKEN, "tok\tx" },
		{ HTTP_OPT_TOKEN, "tok\x7f" },
		{ HTTP_OPT_USER, "u:pw\r\nX-Injected: 1" },
		{ HTTP_OPT_USER, "u\x01:pw" },
		{ HTTP_OPT_HEADER, "X-Api-Key: k\r\nX-Injected: 1" },
		{ HTTP_OPT_HEADER, "X-Api-Key: k\n" },
		{ HTTP_OPT_HEADER, "X-Api-Key: k\x1b[0m" },
		{ HTTP_OPT_HEADER, "X Api: k" },
		{ HTTP_OPT_HEADER, "X-Api-Key\r\n: k" },
		{ HTTP_OPT_HEADER, ": k" },
		{ HTTP_OPT_HEADER, "X-Empty; x" },
	};
	struct http_conf c;

	conf(&c);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_non_null(http_conf_set(&c, bad[i].key, bad[i].value));
	assert_null(c.token);
	assert_null(c.user);
	assert_null(c.headers);
	/* A tab is part of a header value; "K;" sends an empty one. */
	assert_null(http_conf_set(&c, HTTP_OPT_HEADER, "X-Tab: a\tb"));
	assert_null(http_conf_set(&c, HTTP_OPT_HEADER, "X-Empty;"));
	assert_null(http_conf_set(&c, HTTP_OPT_TOKEN, "eyJ.a-b_c~d+e/f=="));
	http_conf_free(&c);
}

static char token_path[160];

static void
inject_token(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_TOKEN, "inj-s3cret\r\nX-Injected: 1");
}

static void
inject_token_file(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_TOKEN_FILE, token_path);
}

static void
inject_user(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_USER, "u:inj-s3cret\nX-Injected: 1");
}

static void
inject_header(void)
{
	struct http_conf c;

	conf(&c);
	http_conf_option(&c, HTTP_OPT_HEADER,
	    "X-Api-Key: inj-s3cret\r\nX-Injected: 1");
}

/* A program that sets the token itself, around http_conf_set. */
static void
inject_direct(void)
{
	struct http_conf c;
	struct http_response rs = { 0 };

	conf(&c);
	c.token = xstrdup("inj-s3cret\r\nX-Injected: 1");
	get(&c, url(&plain, "/headers"), &rs);
}

static void
inject_request_header(void)
{
	struct http_conf c;
	struct http_response rs = { 0 };
	struct http_request rq = { .retries = 0 };

	conf(&c);
	rq.url = url(&plain, "/headers");
	rq.headers = curl_slist_append(NULL, "X-A: inj-s3cret\nX-Injected: 1");
	http_do(&c, &rq, &rs);
}

static void
test_credentials_exit_2(void **state)
{
	static const struct { void (*fn)(void); const char *says; } cases[] = {
		{ inject_token, "invalid --token: contains a control" },
		{ inject_token_file, "invalid token in --token-file '" },
		{ inject_user, "invalid --user: contains a control" },
		{ inject_header, "invalid --header 'X-Api-Key: ...': its value" },
		{ inject_direct, "not sending a request to http://127.0.0.1:" },
		{ inject_request_header, "a header is not 'NAME: VALUE' or" },
	};
	char err[1024];
	FILE *fp;

	snprintf(token_path, sizeof token_path, "%s/inj-token", tmpdir);
	assert_non_null(fp = fopen(token_path, "w"));
	fputs("inj-s3cret\nX-Injected: 1\n", fp);
	fclose(fp);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(exit_status_err(cases[i].fn, err, sizeof err),
		    2);
		assert_non_null(strstr(err, cases[i].says));
		assert_null(strstr(err, "s3cret"));
		assert_null(strstr(err, "X-Injected"));
	}
}

static void
test_url_redact(void **state)
{
	static const char *cases[][2] = {
		{ "http://user:pass@host:9090/p?q=1", "http://host:9090/p?q=1" },
		{ "https://tok@host", "https://host" },
		{ "http://host/a@b", "http://host/a@b" },
		{ "http://a@b:c@host/", "http://host/" },
		{ "http://host:80", "http://host:80" },
		{ "", "" },
	};
	char *r;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = http_url_redact(cases[i][0]);
		assert_string_equal(r, cases[i][1]);
		free(r);
	}
}

static void
test_url_join(void **state)
{
	static const char *cases[][3] = {
		{ "http://h:9090", "api/v1/query", "http://h:9090/api/v1/query" },
		{ "http://h:9090/", "/api/v1/query", "http://h:9090/api/v1/query" },
		{ "http://h/prom//", "//x", "http://h/prom/x" },
		{ "http://h", "", "http://h/" },
		{ "http://h/p/?tenant=a", "api/v1/query", "http://h/p/api/v1/query?tenant=a" },
		{ "http://h/p?tenant=a#f", "q?x=1", "http://h/p/q?x=1&tenant=a" },
	};
	char *r;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = http_url_join(cases[i][0], cases[i][1]);
		assert_string_equal(r, cases[i][2]);
		free(r);
	}
}

static void
test_form_add(void **state)
{
	struct buf b = BUF_INIT;

	http_form_add(&b, "match[]", "up{job=\"x\"}");
	http_form_add(&b, "a b", "é&=~._-");
	assert_string_equal(b.p, "match%5B%5D=up%7Bjob%3D%22x%22%7D"
	    "&a%20b=%C3%A9%26%3D~._-");
	buf_free(&b);
}

static void
test_read_token(void **state)
{
	char path[128];
	char *t;
	FILE *fp;

	snprintf(path, sizeof path, "%s/sa-token", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("eyJhbGciOi.x.y", fp);	/* no newline, as Kubernetes writes it */
	fclose(fp);
	assert_non_null(t = http_read_token(path));
	assert_string_equal(t, "eyJhbGciOi.x.y");
	free(t);
	assert_null(http_read_token("/nonexistent/token"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_credentials_refuse_controls),
		cmocka_unit_test(test_credentials_exit_2),
		cmocka_unit_test(test_url_join),
		cmocka_unit_test(test_form_add),
		cmocka_unit_test(test_read_token),
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_errors_exit_2),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_retry_500_then_200),
		cmocka_unit_test(test_retry_408),
		cmocka_unit_test(test_retry_after_seconds),
		cmocka_unit_test(test_retry_after_date),
		cmocka_unit_test(test_retry_after_capped),
		cmocka_unit_test(test_retry_wait_hook),
		cmocka_unit_test(test_404_not_retried),
		cmocka_unit_test(test_5xx_exhausted),
		cmocka_unit_test(test_request_retries_zero),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_error_body_capped),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_bearer_token_file),
		cmocka_unit_test(test_token_kept_within_origin),
		cmocka_unit_test(test_redirect_cross_origin),
		cmocka_unit_test(test_redirect_same_origin),
		cmocka_unit_test(test_redirect_origin_tricks),
		cmocka_unit_test(test_redirect_https_to_http),
		cmocka_unit_test(test_redirect_limits),
		cmocka_unit_test(test_redirect_in_pool),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_url_userinfo),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_abort),
		cmocka_unit_test(test_stream_broken_not_retried),
		cmocka_unit_test(test_stream_error_body),
		cmocka_unit_test(test_post_form),
		cmocka_unit_test(test_describe_html),
		cmocka_unit_test(test_describe_cut),
		cmocka_unit_test(test_pool_concurrent),
		cmocka_unit_test(test_pool_jobs_limit),
		cmocka_unit_test(test_pool_retry_does_not_block),
		cmocka_unit_test(test_pool_add_from_done),
		cmocka_unit_test(test_pool_do_keepalive),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_pem_in_memory),
		cmocka_unit_test(test_tls_server_name),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_conf_set_refuses),
	};

	msg_init("test_http");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
