/* credential.c — token files re-read, exec plugins run and cached. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "credential.h"
#include "jsonl.h"
#include "kutil.h"
#include "msg.h"
#include "timeutil.h"

extern char **environ;

/* Token files are read again after this long (client-go: a minute). */
#define TOKEN_FILE_TTL	60.0
/* An exec credential is renewed this long before it expires. */
#define EXPIRY_SKEW	10.0
/* A plugin answer larger than this is refused. */
#define PLUGIN_MAX	(1024 * 1024)

void
cred_init(struct cred *c, const struct kube_conn *conn,
    double request_timeout)
{
	memset(c, 0, sizeof *c);
	c->conn = conn;
	c->plugin_timeout = request_timeout > 0 && request_timeout <
	    CRED_PLUGIN_TIMEOUT ? request_timeout : CRED_PLUGIN_TIMEOUT;
}

int
cred_refreshable(const struct cred *c)
{
	return c->conn && (c->conn->exec || c->conn->token_file);
}

static int
read_token_file(struct cred *c, struct http_conf *http, char **err)
{
	char *tok = http_read_token(c->conn->token_file);
	const char *why;

	if (tok == NULL) {
		*err = strfmt("cannot read token file '%s': %s",
		    c->conn->token_file, errno == ENODATA ? "empty" :
		    strerror(errno));
		return EXIT_USAGE;
	}
	why = http_conf_set(http, HTTP_OPT_TOKEN, tok);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	if (why) {
		*err = strfmt("token file '%s': %s", c->conn->token_file, why);
		return EXIT_USAGE;
	}
	c->read_at = time_now();
	return 0;
}

/* ---- the plugin's answer ------------------------------------------------ */

static int
status_field(jv st, const char *key, char **out, char **err)
{
	jv v = jv_object_get(jv_copy(st), jv_string(key));

	*out = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING && *jv_string_value(v))
		*out = xstrdup(jv_string_value(v));
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL &&
	    jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		*err = strfmt("exec plugin: status.%s is not a string", key);
		return -1;
	}
	jv_free(v);
	return 0;
}

static int
check_answer(jv doc, const char *api_version, char **err)
{
	const char *av = jv_get_str(doc, "apiVersion");
	const char *kind = jv_get_str(doc, "kind");

	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		*err = strfmt("exec plugin: the answer is not an ExecCredential");
		return -1;
	}
	if (av == NULL || strcmp(av, api_version) != 0) {
		*err = strfmt("exec plugin is configured to use API version %s, "
		    "plugin returned version %s", api_version, av ? av : "none");
		return -1;
	}
	if (kind == NULL || strcmp(kind, "ExecCredential") != 0) {
		*err = strfmt("exec plugin: the answer's kind is not "
		    "ExecCredential");
		return -1;
	}
	return 0;
}

int
cred_parse_exec(const char *text, size_t len, const char *api_version,
    char **token, char **cert, char **key, double *expires, char **err)
{
	jv doc = jv_parse_sized(text, (int)len), st;
	const char *exp;
	int rc = -1;

	*token = *cert = *key = NULL;
	*expires = 0;
	if (!jv_is_valid(doc)) {
		jv_free(doc);
		*err = strfmt("exec plugin: the answer is not JSON");
		return -1;
	}
	if (check_answer(doc, api_version, err)) {
		jv_free(doc);
		return -1;
	}
	st = jv_object_get(jv_copy(doc), jv_string("status"));
	if (jv_get_kind(st) != JV_KIND_OBJECT) {
		*err = strfmt("exec plugin didn't return a status field");
	} else if (status_field(st, "token", token, err) == 0 &&
	    status_field(st, "clientCertificateData", cert, err) == 0 &&
	    status_field(st, "clientKeyData", key, err) == 0) {
		exp = jv_get_str(st, "expirationTimestamp");
		if ((*cert == NULL) != (*key == NULL))
			*err = strfmt("exec plugin: clientCertificateData and "
			    "clientKeyData must be given together");
		else if (*token == NULL && *cert == NULL)
			*err = strfmt("exec plugin: no token or client "
			    "certificate in the answer");
		else if (exp && time_parse(exp, 0, expires) != 0)
			*err = strfmt("exec plugin: expirationTimestamp '%s' is "
			    "not a time", exp);
		else
			rc = 0;
	}
	if (rc) {
		free(*token);
		free(*cert);
		free(*key);
		*token = *cert = *key = NULL;
	}
	jv_free(st);
	jv_free(doc);
	return rc;
}

/* ---- running the plugin ------------------------------------------------- */

/* KUBERNETES_EXEC_INFO: what client-go tells a plugin. */
static char *
exec_info(const struct kube_conn *k, int interactive)
{
	jv spec = jv_object_set(jv_object(), jv_string("interactive"),
	    jv_bool(interactive)), cl, v;
	struct buf b = BUF_INIT;

	if (k->exec->provide_cluster_info) {
		cl = jv_object_set(jv_object(), jv_string("server"),
		    jv_string(k->server));
		if (k->tls_server_name)
			cl = jv_object_set(cl, jv_string("tls-server-name"),
			    jv_string(k->tls_server_name));
		if (k->insecure)
			cl = jv_object_set(cl, jv_string(
			    "insecure-skip-tls-verify"), jv_true());
		if (k->ca_data.p) {
			base64_encode((const unsigned char *)k->ca_data.p,
			    k->ca_data.len, &b);
			cl = jv_object_set(cl, jv_string(
			    "certificate-authority-data"), jv_string(b.p));
			buf_free(&b);
		}
		if (k->proxy_url)
			cl = jv_object_set(cl, jv_string("proxy-url"),
			    jv_string(k->proxy_url));
		spec = jv_object_set(spec, jv_string("cluster"), cl);
	}
	v = jv_object_set(jv_object(), jv_string("kind"),
	    jv_string("ExecCredential"));
	v = jv_object_set(v, jv_string("apiVersion"),
	    jv_string(k->exec->api_version));
	v = jv_object_set(v, jv_string("spec"), spec);
	jsonl_dump(&b, v);
	return buf_detach(&b);
}

/* environ, then KUBERNETES_EXEC_INFO, then the plugin's env (a later
 * NAME wins in most libcs' getenv only if earlier ones are dropped, so
 * names set here replace the inherited ones). */
static char **
plugin_env(const struct kube_conn *k, int interactive)
{
	size_t n = 0, m = 0, i, j, cap;
	char **env, *info = exec_info(k, interactive);
	struct buf b = BUF_INIT;

	while (environ[n])
		n++;
	while (k->exec->env[m])
		m++;
	cap = n + m + 2;
	env = xcalloc(cap, sizeof *env);
	buf_printf(&b, "KUBERNETES_EXEC_INFO=%s", info);
	free(info);
	for (i = 0, j = 0; i < n; i++) {
		size_t len = strcspn(environ[i], "=");
		size_t e;
		int replaced = strncmp(environ[i], "KUBERNETES_EXEC_INFO=",
		    21) == 0;

		for (e = 0; e < m && !replaced; e++)
			replaced = strncmp(environ[i], k->exec->env[e], len +
			    1) == 0;
		if (!replaced)
			env[j++] = xstrdup(environ[i]);
	}
	env[j++] = buf_detach(&b);
	for (i = 0; i < m; i++)
		env[j++] = xstrdup(k->exec->env[i]);
	return env;
}

static int
interactive(const struct kube_exec *x, int *yes, char **err)
{
	int tty = isatty(STDIN_FILENO);

	*yes = 0;
	if (strcmp(x->interactive_mode, "Never") == 0)
		return 0;
	if (strcmp(x->interactive_mode, "Always") == 0 && !tty) {
		*err = strfmt("exec plugin '%s' is configured to use interactive "
		    "mode (Always) but standard input is not a terminal",
		    x->command);
		return EXIT_USAGE;
	}
	*yes = tty;
	return 0;
}

static int
spawn(const struct kube_conn *k, int interactive_, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char **argv, **env = plugin_env(k, interactive_);
	size_t n = 0, i;
	int rc;

	while (k->exec->args[n])
		n++;
	argv = xcalloc(n + 2, sizeof *argv);
	argv[0] = k->exec->command;
	for (i = 0; i < n; i++)
		argv[i + 1] = k->exec->args[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (!interactive_) {
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
		    "/dev/null", O_RDONLY, 0);
		/* A group of its own, to stop it whole when it hangs (an
		 * interactive one keeps the terminal's). */
		posix_spawnattr_setpgroup(&at, 0);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	}
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, out_fd);
	rc = posix_spawnp(pid, k->exec->command, &fa, &at, argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	strv_free(env);
	return rc;
}

/* Reads the plugin's answer until it closes stdout; 0, or -1 when the
 * deadline (0: none) passed first. */
static int
read_answer(int fd, double deadline, struct buf *out)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;
	int ms, r;

	for (;;) {
		ms = -1;
		if (deadline > 0) {
			double left = deadline - time_now();

			if (left <= 0)
				return -1;
			ms = (int)(left * 1e3) + 1;
		}
		if ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;	/* the deadline, checked above */
		if (r < 0)
			return 0;
		if ((n = read(fd, chunk, sizeof chunk)) == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || out->len + (size_t)n > PLUGIN_MAX)
			return 0;
		buf_add(out, chunk, (size_t)n);
	}
}

/* Waits for the plugin to exit; 0, or -1 when the deadline (0: none)
 * passed first (it may answer and then hang). */
static int
wait_exit(pid_t pid, double deadline, int *status)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, deadline > 0 ? WNOHANG : 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			*status = 0;
			return 0;
		}
		if (deadline > 0 && time_now() >= deadline)
			return -1;
		if (r == 0)
			nanosleep(&ts, NULL);
	}
}

static int
run_plugin(const struct cred *c, struct buf *out, char **err)
{
	const struct kube_conn *k = c->conn;
	const struct kube_exec *x = k->exec;
	int fds[2], status, yes, rc, late;
	double deadline;
	pid_t pid;

	if ((rc = interactive(x, &yes, err)) != 0)
		return rc;
	if (pipe2(fds, O_CLOEXEC) != 0)
		msg_die(EXIT_LOCAL, "pipe: %s", strerror(errno));
	rc = spawn(k, yes, fds[1], &pid);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		*err = strfmt("cannot run exec plugin '%s': %s%s%s", x->command,
		    strerror(rc), x->install_hint ? "\n" : "",
		    x->install_hint ? x->install_hint : "");
		return EXIT_USAGE;
	}
	/* A person at a terminal may take their time; nobody else. */
	deadline = yes || c->plugin_timeout <= 0 ? 0 : time_now() +
	    c->plugin_timeout;
	late = read_answer(fds[0], deadline, out) != 0 ||
	    wait_exit(pid, deadline, &status) != 0;
	close(fds[0]);
	if (late) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*err = strfmt("exec plugin '%s' did not answer within %gs; it "
		    "was stopped", x->command, c->plugin_timeout);
		return EXIT_UPSTREAM;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*err = strfmt("exec plugin '%s' failed (%s %d)", x->command,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return EXIT_UPSTREAM;
	}
	return 0;
}

static int
set_pem(struct http_conf *http, int key, const char *pem, char **err)
{
	const char *why = http_conf_set(http, key, pem);

	if (why) {
		*err = strfmt("exec plugin: %s: %s", key == HTTP_SET_CERT_PEM ?
		    "clientCertificateData" : "clientKeyData", why);
		return EXIT_USAGE;
	}
	return 0;
}

static int
run_exec(struct cred *c, struct http_conf *http, char **err)
{
	struct buf out = BUF_INIT;
	char *token = NULL, *cert = NULL, *key = NULL;
	int rc;

	if ((rc = run_plugin(c, &out, err)) != 0)
		goto done;
	rc = EXIT_USAGE;
	if (cred_parse_exec(out.p ? out.p : "", out.len,
	    c->conn->exec->api_version, &token, &cert, &key, &c->expires,
	    err) != 0)
		goto done;
	if (token && http_conf_set(http, HTTP_OPT_TOKEN, token) != NULL) {
		*err = strfmt("exec plugin: the token is not usable");
		goto done;
	}
	if (cert && (set_pem(http, HTTP_SET_CERT_PEM, cert, err) ||
	    set_pem(http, HTTP_SET_KEY_PEM, key, err)))
		goto done;
	c->have = 1;
	rc = 0;
done:
	if (out.p)
		explicit_bzero(out.p, out.len);
	buf_free(&out);
	if (token)
		explicit_bzero(token, strlen(token));
	if (key)
		explicit_bzero(key, strlen(key));
	free(token);
	free(cert);
	free(key);
	return rc;
}

int
cred_apply(struct cred *c, struct http_conf *http, int refresh, char **err)
{
	double now = time_now();

	*err = NULL;
	if (c->conn == NULL)
		return 0;
	if (c->conn->exec && (refresh || !c->have || (c->expires > 0 &&
	    now >= c->expires - EXPIRY_SKEW)))
		return run_exec(c, http, err);
	if (!c->conn->exec && c->conn->token_file && (refresh ||
	    c->read_at == 0 || now - c->read_at >= TOKEN_FILE_TTL))
		return read_token_file(c, http, err);
	return 0;
}
