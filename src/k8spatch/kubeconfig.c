/* kubeconfig.c — kubeconfig files, merged and resolved as client-go does. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "jsonl.h"
#include "kubeconfig.h"
#include "kutil.h"
#include "msg.h"
#include "opt.h"
#include "yamljv.h"

/* A message in *err (caller frees); returns EXIT_USAGE. */
static int
set_err(char **err, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(*err);
	*err = buf_detach(&b);
	return EXIT_USAGE;
}

/* ---- reading and merging ------------------------------------------------ */

static const char *const sections[] = { "clusters", "users", "contexts",
    NULL };
/* The key holding each section's entry: {name: x, cluster: {...}}. */
static const char *const entry_keys[] = { "cluster", "user", "context",
    NULL };

/* Adds one file's named entries that merged does not have yet. */
static jv
merge_section(jv merged, jv doc, int s, const char *path, char **why)
{
	jv list = jv_object_get(jv_copy(doc), jv_string(sections[s]));
	jv into = jv_object_get(jv_copy(merged), jv_string(sections[s]));

	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		if (jv_is_valid(list) && jv_get_kind(list) != JV_KIND_NULL)
			*why = xstrdup(sections[s]);
		jv_free(list);
		return jv_object_set(merged, jv_string(sections[s]), into);
	}
	jv_array_foreach(list, i, e) {
		const char *name = jv_get_str(e, "name");
		jv body = jv_get_kind(e) == JV_KIND_OBJECT ? jv_object_get(
		    jv_copy(e), jv_string(entry_keys[s])) : jv_invalid();

		(void)i;
		if (name == NULL || (jv_get_kind(body) != JV_KIND_OBJECT &&
		    jv_get_kind(body) != JV_KIND_NULL)) {
			if (*why == NULL)
				*why = xstrdup(sections[s]);
		} else if (!jv_object_has(jv_copy(into), jv_string(name))) {
			if (jv_get_kind(body) != JV_KIND_OBJECT) {
				jv_free(body);
				body = jv_object();
			}
			body = jv_object_set(body, jv_string("_file"),
			    jv_string(path));
			into = jv_object_set(into, jv_string(name), body);
			body = jv_invalid();
		}
		jv_free(body);
		jv_free(e);
	}
	jv_free(list);
	return jv_object_set(merged, jv_string(sections[s]), into);
}

static jv
merge_file(jv merged, jv doc, const char *path, char **why)
{
	const char *cur = jv_get_str(doc, "current-context");
	int s;

	if (jv_get_kind(doc) == JV_KIND_NULL)
		return merged;	/* an empty file */
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		*why = xstrdup("the file");
		return merged;
	}
	if (cur && *cur && jv_get_str(merged, "current-context") == NULL)
		merged = jv_object_set(merged, jv_string("current-context"),
		    jv_string(cur));
	for (s = 0; sections[s]; s++)
		merged = merge_section(merged, doc, s, path, why);
	return merged;
}

jv
kubeconfig_merge(const char *const *paths, size_t n, int skip_missing,
    size_t *found)
{
	jv merged = jv_object();
	size_t i;
	int s;

	*found = 0;
	for (s = 0; sections[s]; s++)
		merged = jv_object_set(merged, jv_string(sections[s]),
		    jv_object());
	for (i = 0; i < n; i++) {
		size_t len, line;
		char *text = slurp(paths[i], &len), *why = NULL;
		jv doc;

		if (text == NULL && errno == ENOENT && skip_missing)
			continue;
		if (text == NULL) {
			jv_free(merged);
			return jv_invalid_with_msg(jv_string_fmt("%s: %s",
			    paths[i], strerror(errno)));
		}
		doc = yamljv_parse(text, len, YAMLJV_STRINGS, &line);
		free(text);
		if (!jv_is_valid(doc)) {
			jv m = jv_invalid_get_msg(doc);

			jv_free(merged);
			merged = jv_invalid_with_msg(jv_string_fmt("%s:%zu: %s",
			    paths[i], line, jv_string_value(m)));
			jv_free(m);
			return merged;
		}
		(*found)++;
		merged = merge_file(merged, doc, paths[i], &why);
		jv_free(doc);
		if (why) {
			jv_free(merged);
			merged = jv_invalid_with_msg(jv_string_fmt(
			    "%s: %s is not a kubeconfig list of named entries",
			    paths[i], why));
			free(why);
			return merged;
		}
	}
	return merged;
}

/* ---- fields ------------------------------------------------------------- */

/* The string field key of obj into *out (NULL when absent or null). */
static int
str_field(jv obj, const char *key, char **out, const char *what, char **err)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	int rc = 0;

	*out = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING)
		*out = xstrdup(jv_string_value(v));
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		rc = set_err(err, "%s: field '%s' must be a string", what, key);
	jv_free(v);
	return rc;
}

static int
bool_field(jv obj, const char *key, int *out, const char *what, char **err)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	int rc = 0;

	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_null();
	}
	if (yamljv_bool(v, 0, out) != 0)
		rc = set_err(err, "%s: field '%s' must be true or false", what,
		    key);
	jv_free(v);
	return rc;
}

/* A path relative to the directory of the file it was written in. */
static char *
resolve(char *path, jv entry)
{
	const char *file = jv_get_str(entry, "_file");
	const char *slash;
	struct buf b = BUF_INIT;

	if (path == NULL || path[0] == '/' || path[0] == '\0' || file == NULL)
		return path;
	slash = strrchr(file, '/');
	if (slash == NULL)
		return path;
	buf_add(&b, file, (size_t)(slash - file) + 1);
	buf_adds(&b, path);
	free(path);
	return buf_detach(&b);
}

static int
blob_field(jv obj, const char *key, struct kube_blob *out, const char *what,
    char **err)
{
	char *s;
	struct buf b = BUF_INIT;
	int rc = str_field(obj, key, &s, what, err);

	if (rc || s == NULL)
		return rc;
	if (base64_decode(s, strlen(s), &b) != 0) {
		free(s);
		buf_free(&b);
		return set_err(err, "%s: field '%s' is not base64", what, key);
	}
	free(s);
	out->len = b.len;
	out->p = buf_detach(&b);
	return 0;
}

static int
cluster_fields(jv cl, struct kube_conn *c, const char *what, char **err)
{
	char *server = NULL;

	if (str_field(cl, "server", &server, what, err) ||
	    str_field(cl, "certificate-authority", &c->ca_file, what, err) ||
	    blob_field(cl, "certificate-authority-data", &c->ca_data, what,
	    err) || bool_field(cl, "insecure-skip-tls-verify", &c->insecure,
	    what, err) || str_field(cl, "tls-server-name", &c->tls_server_name,
	    what, err) || str_field(cl, "proxy-url", &c->proxy_url, what, err)) {
		free(server);
		return EXIT_USAGE;
	}
	c->ca_file = resolve(c->ca_file, cl);
	if (c->server == NULL)
		c->server = server;
	else
		free(server);
	return 0;
}

/* ---- exec plugins ------------------------------------------------------- */

static char **
str_list(jv list, const char *what, const char *key, char **err)
{
	char **out;
	int n, i;

	if (jv_get_kind(list) == JV_KIND_NULL || !jv_is_valid(list))
		return xcalloc(1, sizeof *out);
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		set_err(err, "%s: exec '%s' must be a list", what, key);
		return NULL;
	}
	n = jv_array_length(jv_copy(list));
	out = xcalloc((size_t)n + 1, sizeof *out);
	for (i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(list), i);

		if (jv_get_kind(e) == JV_KIND_STRING) {
			out[i] = xstrdup(jv_string_value(e));
		} else if (jv_get_kind(e) == JV_KIND_OBJECT &&
		    jv_get_str(e, "name") != NULL) {
			const char *v = jv_get_str(e, "value");
			size_t len = strlen(jv_get_str(e, "name")) +
			    (v ? strlen(v) : 0) + 2;

			out[i] = xmalloc(len);
			snprintf(out[i], len, "%s=%s", jv_get_str(e, "name"),
			    v ? v : "");
		} else {
			jv_free(e);
			for (n = 0; n < i; n++)
				free(out[n]);
			free(out);
			set_err(err, "%s: exec '%s' has a bad item", what, key);
			return NULL;
		}
		jv_free(e);
	}
	return out;
}

static void
exec_free(struct kube_exec *x)
{
	if (x == NULL)
		return;
	free(x->command);
	strv_free(x->args);
	strv_free(x->env);
	free(x->api_version);
	free(x->interactive_mode);
	free(x->install_hint);
	free(x);
}

static int
exec_mode(struct kube_exec *x, const char *what, char **err)
{
	static const char *const modes[] = { "Never", "IfAvailable", "Always",
	    NULL };
	int v1 = strcmp(x->api_version, "client.authentication.k8s.io/v1") == 0;

	if (!v1 && strcmp(x->api_version,
	    "client.authentication.k8s.io/v1beta1") != 0)
		return set_err(err, "%s: exec apiVersion '%s' is not supported "
		    "(client.authentication.k8s.io/v1 or v1beta1)", what,
		    x->api_version);
	if (x->interactive_mode == NULL) {
		/* client-go: required in v1, IfAvailable in v1beta1. */
		if (v1)
			return set_err(err, "%s: exec interactiveMode must be "
			    "given with client.authentication.k8s.io/v1", what);
		x->interactive_mode = xstrdup("IfAvailable");
	}
	if (opt_choice(x->interactive_mode, modes) < 0)
		return set_err(err, "%s: exec interactiveMode '%s' is not "
		    "Never, IfAvailable or Always", what, x->interactive_mode);
	return 0;
}

static int
exec_fields(jv ex, jv user, struct kube_exec **out, const char *what,
    char **err)
{
	struct kube_exec *x = xcalloc(1, sizeof *x);
	jv args = jv_object_get(jv_copy(ex), jv_string("args"));
	jv env = jv_object_get(jv_copy(ex), jv_string("env"));
	int rc = EXIT_USAGE;

	if (str_field(ex, "command", &x->command, what, err) ||
	    str_field(ex, "apiVersion", &x->api_version, what, err) ||
	    str_field(ex, "interactiveMode", &x->interactive_mode, what, err) ||
	    str_field(ex, "installHint", &x->install_hint, what, err) ||
	    bool_field(ex, "provideClusterInfo", &x->provide_cluster_info,
	    what, err))
		goto out;
	if (x->command == NULL || *x->command == '\0') {
		set_err(err, "%s: exec has no command", what);
		goto out;
	}
	if (x->api_version == NULL) {
		set_err(err, "%s: exec has no apiVersion", what);
		goto out;
	}
	if (exec_mode(x, what, err) ||
	    (x->args = str_list(args, what, "args", err)) == NULL ||
	    (x->env = str_list(env, what, "env", err)) == NULL)
		goto out;
	/* client-go resolves a command with a '/' against the file's
	 * directory; a bare name is looked up in PATH. */
	if (strchr(x->command, '/'))
		x->command = resolve(x->command, user);
	*out = x;
	x = NULL;
	rc = 0;
out:
	exec_free(x);
	jv_free(args);
	jv_free(env);
	return rc;
}

/* ---- users -------------------------------------------------------------- */

static int
auth_provider(jv us, const char *what, char **err)
{
	jv ap = jv_object_get(jv_copy(us), jv_string("auth-provider"));
	const char *name = jv_get_str(ap, "name");
	int rc = 0;

	if (jv_is_valid(ap) && jv_get_kind(ap) != JV_KIND_NULL)
		rc = set_err(err, "%s: auth-provider '%s' is not supported "
		    "(client-go removed them): use an exec credential plugin "
		    "such as kubelogin or gke-gcloud-auth-plugin", what,
		    name ? name : "?");
	jv_free(ap);
	return rc;
}

static int
user_fields(jv us, struct kube_conn *c, const char *what, char **err)
{
	jv ex;
	int rc;

	if (auth_provider(us, what, err) ||
	    str_field(us, "token", &c->token, what, err) ||
	    str_field(us, "tokenFile", &c->token_file, what, err) ||
	    str_field(us, "client-certificate", &c->cert_file, what, err) ||
	    str_field(us, "client-key", &c->key_file, what, err) ||
	    blob_field(us, "client-certificate-data", &c->cert_data, what,
	    err) || blob_field(us, "client-key-data", &c->key_data, what, err) ||
	    str_field(us, "username", &c->username, what, err) ||
	    str_field(us, "password", &c->password, what, err))
		return EXIT_USAGE;
	c->token_file = resolve(c->token_file, us);
	c->cert_file = resolve(c->cert_file, us);
	c->key_file = resolve(c->key_file, us);
	if ((c->token || c->token_file) && (c->username || c->password))
		return set_err(err, "%s: more than one authentication method "
		    "(token and username/password); only one is allowed",
		    what);
	ex = jv_object_get(jv_copy(us), jv_string("exec"));
	rc = 0;
	if (jv_get_kind(ex) == JV_KIND_OBJECT)
		rc = exec_fields(ex, us, &c->exec, what, err);
	else if (jv_is_valid(ex) && jv_get_kind(ex) != JV_KIND_NULL)
		rc = set_err(err, "%s: exec must be a mapping", what);
	jv_free(ex);
	return rc;
}

/* ---- selecting ---------------------------------------------------------- */

static jv
entry(jv merged, const char *section, const char *name)
{
	jv s = jv_object_get(jv_copy(merged), jv_string(section));
	jv e = jv_object_get(s, jv_string(name));

	if (!jv_is_valid(e)) {
		jv_free(e);
		return jv_null();
	}
	return e;
}

/* The context's namespace (unless -n gave one), cluster and user. */
static int
use_context(jv merged, const char *name, const char *files,
    struct kube_conn *c, char **err)
{
	jv ctx = entry(merged, "contexts", name);
	char what[320], *ns = NULL;
	int rc = EXIT_USAGE;

	if (jv_get_kind(ctx) != JV_KIND_OBJECT) {
		set_err(err, "context '%s' not found in %s", name, files);
		goto out;
	}
	c->context = xstrdup(name);
	snprintf(what, sizeof what, "context '%s'", name);
	if (str_field(ctx, "namespace", &ns, what, err) ||
	    str_field(ctx, "cluster", &c->cluster_name, what, err) ||
	    str_field(ctx, "user", &c->user_name, what, err))
		goto out;
	/* -n beats the context's namespace. */
	if (c->namespace == NULL) {
		c->namespace = ns;
		ns = NULL;
	}
	rc = 0;
out:
	free(ns);
	jv_free(ctx);
	return rc;
}

/* The named cluster or user of the merged files, read by fields(). */
static int
use_entry(jv merged, const char *section, const char *label,
    const char *name, const char *files, struct kube_conn *c,
    int (*fields)(jv, struct kube_conn *, const char *, char **),
    char **err)
{
	jv e = entry(merged, section, name);
	char what[320];
	int rc;

	snprintf(what, sizeof what, "%s '%s'", label, name);
	if (jv_get_kind(e) != JV_KIND_OBJECT)
		rc = set_err(err, "%s not found in %s", what, files);
	else
		rc = fields(e, c, what, err);
	jv_free(e);
	return rc;
}

static int
from_files(jv merged, const char *files, const struct kube_select *sel,
    struct kube_conn *c, char **err)
{
	const char *ctxname = sel->context ? sel->context :
	    jv_get_str(merged, "current-context");

	if (ctxname == NULL && sel->server == NULL)
		return set_err(err, "no current-context in %s: give --context",
		    files);
	if (ctxname && use_context(merged, ctxname, files, c, err))
		return EXIT_USAGE;
	/* --cluster and --user beat the context's. */
	if (sel->cluster) {
		free(c->cluster_name);
		c->cluster_name = xstrdup(sel->cluster);
	}
	if (sel->user) {
		free(c->user_name);
		c->user_name = xstrdup(sel->user);
	}
	if (c->cluster_name && use_entry(merged, "clusters", "cluster",
	    c->cluster_name, files, c, cluster_fields, err))
		return EXIT_USAGE;
	if (c->user_name && *c->user_name && use_entry(merged, "users", "user",
	    c->user_name, files, c, user_fields, err))
		return EXIT_USAGE;
	return 0;
}

static char *
join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *s = xmalloc(n);

	snprintf(s, n, "%s/%s", dir, file);
	return s;
}

/* The pod's service account, as rest.InClusterConfig reads it. */
static int
in_cluster(const struct kube_select *sel, struct kube_conn *c, char **err)
{
	const char *dir = sel->sa_dir ? sel->sa_dir : KUBE_SA_DIR;
	const char *h = sel->service_host;
	size_t n = strlen(h) + strlen(sel->service_port) + 16;
	char *ca, *ns, *nsfile;

	c->server = xmalloc(n);
	/* An IPv6 address goes in brackets (net.JoinHostPort). */
	snprintf(c->server, n, strchr(h, ':') ? "https://[%s]:%s" :
	    "https://%s:%s", h, sel->service_port);
	c->token_file = join(dir, "token");
	if (access(c->token_file, R_OK) != 0)
		return set_err(err, "in-cluster: cannot read the service "
		    "account token '%s': %s", c->token_file, strerror(errno));
	ca = join(dir, "ca.crt");
	if (access(ca, R_OK) == 0)
		c->ca_file = ca;
	else
		free(ca);
	c->in_cluster = 1;
	c->cluster_name = xstrdup(c->server);
	if (c->namespace == NULL && sel->pod_namespace && *sel->pod_namespace)
		c->namespace = xstrdup(sel->pod_namespace);
	if (c->namespace == NULL) {
		nsfile = join(dir, "namespace");
		ns = slurp(nsfile, NULL);
		free(nsfile);
		if (ns) {
			ns[strcspn(ns, " \t\r\n")] = '\0';
			if (*ns)
				c->namespace = ns;
			else
				free(ns);
		}
	}
	return 0;
}

/* The files to read: --kubeconfig, the KUBECONFIG list, ~/.kube/config. */
static char **
file_list(const struct kube_select *sel, size_t *n, int *explicit)
{
	char **l = xcalloc(1, sizeof *l);
	const char *s = sel->env_kubeconfig;
	size_t cap = 1;

	*n = 0;
	*explicit = sel->kubeconfig != NULL;
	if (sel->kubeconfig) {
		l[(*n)++] = xstrdup(sel->kubeconfig);
		return l;
	}
	while (s && *s) {
		size_t len = strcspn(s, ":"), i;
		char *f = xmalloc(len + 1);

		memcpy(f, s, len);
		f[len] = '\0';
		for (i = 0; i < *n && strcmp(l[i], f) != 0; i++)
			;
		if (len == 0 || i < *n) {
			free(f);	/* empty, or named twice */
		} else {
			xgrow((void **)&l, &cap, *n + 1, sizeof *l);
			l[(*n)++] = f;
		}
		s += len + (s[len] == ':');
	}
	if (*n == 0 && sel->home && *sel->home)
		l[(*n)++] = join(sel->home, ".kube/config");
	return l;
}

static int
load_files(const struct kube_select *sel, struct kube_conn *c, char **err,
    size_t *found)
{
	int explicit, rc;
	size_t n, i;
	char **files = file_list(sel, &n, &explicit);
	char desc[600];
	jv merged;

	snprintf(desc, sizeof desc, "%s%s%s", n == 1 ? "kubeconfig '" :
	    "KUBECONFIG '", n ? files[0] : "", n > 1 ? "…'" : "'");
	merged = kubeconfig_merge((const char *const *)files, n, !explicit,
	    found);
	if (!jv_is_valid(merged)) {
		jv m = jv_invalid_get_msg(merged);

		rc = set_err(err, "kubeconfig %s", jv_string_value(m));
		jv_free(m);
	} else if (*found == 0) {
		rc = 0;
		jv_free(merged);
	} else {
		rc = from_files(merged, desc, sel, c, err);
		jv_free(merged);
	}
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

int
kubeconfig_load(const struct kube_select *sel, struct kube_conn *c,
    char **err)
{
	size_t found = 0;
	int rc;

	memset(c, 0, sizeof *c);
	*err = NULL;
	if (sel->namespace) {
		c->namespace = xstrdup(sel->namespace);
	}
	rc = load_files(sel, c, err, &found);
	if (rc)
		return rc;
	if (sel->server) {
		free(c->server);
		c->server = xstrdup(sel->server);
	}
	if (found == 0 && sel->server == NULL) {
		if (sel->service_host && *sel->service_host &&
		    sel->service_port && *sel->service_port) {
			if ((rc = in_cluster(sel, c, err)) != 0)
				return rc;
		} else {
			return set_err(err, "no kubeconfig (KUBECONFIG, "
			    "~/.kube/config) and not in a cluster: give "
			    "--kubeconfig or --url");
		}
	}
	if (c->server == NULL || *c->server == '\0')
		return set_err(err, "cluster '%s' has no server",
		    c->cluster_name ? c->cluster_name : "");
	if (c->insecure && (c->ca_file || c->ca_data.p))
		return set_err(err, "cluster '%s': a certificate authority and "
		    "insecure-skip-tls-verify cannot both be given",
		    c->cluster_name ? c->cluster_name : "");
	if (c->namespace == NULL || *c->namespace == '\0') {
		free(c->namespace);
		c->namespace = xstrdup("default");
	}
	return 0;
}

static void
blob_free(struct kube_blob *b)
{
	if (b->p)
		explicit_bzero(b->p, b->len);
	free(b->p);
}

static void
secret_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void
kube_conn_free(struct kube_conn *c)
{
	free(c->context);
	free(c->cluster_name);
	free(c->user_name);
	free(c->namespace);
	free(c->server);
	free(c->ca_file);
	blob_free(&c->ca_data);
	free(c->tls_server_name);
	free(c->proxy_url);
	secret_free(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->key_file);
	blob_free(&c->cert_data);
	blob_free(&c->key_data);
	free(c->username);
	secret_free(c->password);
	exec_free(c->exec);
	memset(c, 0, sizeof *c);
}

void
kube_conn_drop_user(struct kube_conn *c)
{
	secret_free(c->token);
	free(c->token_file);
	free(c->username);
	secret_free(c->password);
	exec_free(c->exec);
	c->token = c->token_file = c->username = c->password = NULL;
	c->exec = NULL;
}
