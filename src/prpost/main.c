/* prpost — open a GitHub pull request or a GitLab merge request with
 * changed files: no clone, one atomic commit, idempotent. See prpost(1).
 *
 *   prpost --repo R --base B --title T PATH=FILE... [--delete PATH]...
 *   prpost -                  pull-request records on stdin
 *   prpost get --repo R [--ref B] PATH...
 *
 * Exit 0 created, found or unchanged; 1 a diverged branch, or a missing
 * file on get; 2 bad input; 3 the forge failed after retries; 4 a write
 * error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "opt.h"
#include "prpost.h"

#define DEFAULT_TIMEOUT	600

enum {
	O_BRANCH = OPT_ID(1), O_BODY, O_BODY_FILE, O_REVIEWER, O_DRAFT,
	O_DELETE, O_DRY_RUN, O_GITHUB, O_GITLAB, O_REF
};

static const struct opt options[] = {
	{ "github", O_GITHUB, NULL, "talk to GitHub (default unless only GITLAB_TOKEN is set)" },
	{ "gitlab", O_GITLAB, NULL, "talk to GitLab" },
	{ "repo", 'r', "REPO", "OWNER/REPO; GitLab: a project id or group/sub/repo" },
	{ "base", 'b', "BRANCH", "the branch the change is for" },
	{ "branch", O_BRANCH, "NAME", "commit to NAME (default opspipe/<slug>-<hash of the change>)" },
	{ "title", 't', "TEXT", "the pull request's title, also the commit message" },
	{ "body", O_BODY, "TEXT", "the pull request's description" },
	{ "body-file", O_BODY_FILE, "FILE", "read the description from FILE" },
	{ "label", 'l', "L", "add label L (repeatable, or a comma list)" },
	{ "reviewer", O_REVIEWER, "USER", "request a review from USER or ORG/TEAM (repeatable, or a comma list)" },
	{ "draft", O_DRAFT, NULL, "open a draft (GitLab: a \"Draft:\" title)" },
	{ "delete", O_DELETE, "PATH", "delete PATH in the same commit (repeatable)" },
	{ "dry-run", O_DRY_RUN, NULL, "print the requests it would send, send nothing" },
	{ "ref", O_REF, "BRANCH", "with get: read at BRANCH (default: the default branch)" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt_override overrides[] = {
	{ HTTP_OPT_URL, NULL, NULL, "API base URL (default: GITHUB_API_URL, "
	    "CI_API_V4_URL, or the public API)", 0 },
	{ HTTP_OPT_TIMEOUT, NULL, NULL, "give up after SEC seconds per post, "
	    "rate-limit waits included (default 600, 0: never)", 0 },
	{ 0, NULL, NULL, NULL, 0 }
};

static const struct opt *const tables[] = { options, http_opts, NULL };

static const struct opt_program prog = {
	.name = "prpost",
	.synopsis = "[OPTIONS] --repo REPO --base BRANCH --title TEXT PATH=FILE...\n"
	"[OPTIONS] -\n"
	"get --repo REPO [--ref BRANCH] [OPTIONS] PATH...",
	.summary = "Open a pull or merge request with changed files: one commit, no clone.",
	.tables = tables,
	.overrides = overrides,
	.epilog = "Exit status: 0 created, found or unchanged, 1 a diverged branch or a\n"
	"missing file (get), 2 usage error or bad input, 3 the forge failed,\n"
	"4 a local failure (a write error, out of memory).\n"
	"Environment: GITHUB_TOKEN, GH_TOKEN, GITLAB_TOKEN, GITHUB_API_URL,\n"
	"CI_API_V4_URL.\n"
};

/* The command line: options as given, applied to each record. */
struct opts {
	int forge;		/* -1: choose per record */
	int dry_run, draft;
	const char *repo, *base, *branch, *title, *ref;
	char *body;
	char **labels, **reviewers, **deletes;
	/* the shared HTTP options, replayed on each forge's conf */
	int *http_keys;
	const char **http_args;
	size_t nhttp;
	int timeout_set;
};

static char *
read_file(const char *what, const char *path, size_t *len)
{
	static int stdin_used;
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *fp;
	int err;

	if (strcmp(path, "-") == 0) {
		if (stdin_used++)
			opt_usage_error("stdin ('-') can be read only once");
		fp = stdin;
	} else if ((fp = fopen(path, "rb")) == NULL) {
		opt_usage_error("cannot read %s '%s': %s", what, path,
		    strerror(errno));
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	err = ferror(fp) ? errno : 0;
	if (fp != stdin)
		fclose(fp);
	if (err != 0)
		opt_usage_error("cannot read %s '%s': %s", what, path,
		    strerror(err));
	buf_add(&b, "", 0);
	*len = b.len;
	return buf_detach(&b);
}

static void
add_list(char ***v, const char *name, const char *arg)
{
	size_t n;
	char **items = opt_list_arg(name, arg, &n);

	for (size_t i = 0; i < n; i++)
		strv_add(v, items[i]);
	opt_list_free(items);
}

static void
option(struct opts *o, int key, const char *arg)
{
	size_t len;

	switch (key) {
	case O_GITHUB: case O_GITLAB:
		if (o->forge != -1 && o->forge != (key == O_GITLAB))
			opt_usage_error("--github and --gitlab exclude each "
			    "other");
		o->forge = key == O_GITLAB ? FORGE_GITLAB : FORGE_GITHUB;
		break;
	case 'r': o->repo = arg; break;
	case 'b': o->base = arg; break;
	case O_BRANCH: o->branch = arg; break;
	case 't': o->title = arg; break;
	case O_BODY:
		free(o->body);
		o->body = xstrdup(arg);
		break;
	case O_BODY_FILE:
		free(o->body);
		o->body = read_file("--body-file", arg, &len);
		break;
	case 'l': add_list(&o->labels, "label", arg); break;
	case O_REVIEWER: add_list(&o->reviewers, "reviewer", arg); break;
	case O_DRAFT: o->draft = 1; break;
	case O_DELETE: strv_add(&o->deletes, arg); break;
	case O_DRY_RUN: o->dry_run = 1; break;
	case O_REF: o->ref = arg; break;
	default:
		opt_usage_error("unhandled option");
	}
}

static int
parse_options(struct opts *o, int argc, char **argv)
{
	struct opt_parser *p = opt_begin(&prog, argc, argv);
	struct http_conf probe;
	const char *arg;
	int key, first;

	o->forge = -1;
	o->labels = strv_new();
	o->reviewers = strv_new();
	o->deletes = strv_new();
	o->http_keys = xcalloc((size_t)argc + 1, sizeof *o->http_keys);
	o->http_args = xcalloc((size_t)argc + 1, sizeof *o->http_args);
	http_conf_init(&probe, NULL, NULL);
	while ((key = opt_next(p, &arg)) != -1) {
		/* checked now, so a bad --timeout is an error before any
		 * request; applied later to each forge's conf */
		if (http_conf_option(&probe, key, arg)) {
			o->http_keys[o->nhttp] = key;
			o->http_args[o->nhttp++] = arg;
			o->timeout_set |= key == HTTP_OPT_TIMEOUT;
		} else {
			option(o, key, arg);
		}
	}
	http_conf_free(&probe);
	first = opt_index(p);
	opt_end(p);
	return first;
}

/* ---- forges ----------------------------------------------------------- */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* --github/--gitlab, else the record's, else whichever token is set. */
static int
choose_forge(const struct opts *o, const char *record_forge,
    const char **why)
{
	int gh = env("GITHUB_TOKEN") || env("GH_TOKEN");
	int gl = env("GITLAB_TOKEN") != NULL;

	*why = NULL;
	if (o->forge != -1)
		return o->forge;
	if (record_forge != NULL) {
		if (strcmp(record_forge, "github") == 0)
			return FORGE_GITHUB;
		if (strcmp(record_forge, "gitlab") == 0)
			return FORGE_GITLAB;
		*why = "field 'forge' must be \"github\" or \"gitlab\"";
		return -1;
	}
	if (gh && gl) {
		*why = "both a GitHub and a GitLab token are set: choose with "
		    "--github or --gitlab";
		return -1;
	}
	return gl ? FORGE_GITLAB : FORGE_GITHUB;
}

static struct forge *
forge_for(struct forge *forges[2], const struct opts *o, int kind)
{
	static const char *const gh_url[] = { "GITHUB_API_URL", NULL };
	static const char *const gl_url[] = { "CI_API_V4_URL", NULL };
	const char *var, *why;
	struct forge *f;

	if (forges[kind] != NULL)
		return forges[kind];
	f = forges[kind] = xcalloc(1, sizeof *f);
	f->kind = (enum forge_kind)kind;
	f->dry_run = o->dry_run;
	if (kind == FORGE_GITHUB) {
		http_conf_init(&f->http, gh_url, "https://api.github.com");
		var = env("GITHUB_TOKEN") ? "GITHUB_TOKEN" : "GH_TOKEN";
	} else {
		http_conf_init(&f->http, gl_url, "https://gitlab.com/api/v4");
		var = "GITLAB_TOKEN";
	}
	/* named as the variable it came from, not as --token */
	if (env(var) != NULL &&
	    (why = http_conf_set(&f->http, HTTP_OPT_TOKEN, env(var))) != NULL)
		opt_usage_error("invalid %s: %s", var, why);
	for (size_t i = 0; i < o->nhttp; i++)
		http_conf_option(&f->http, o->http_keys[i], o->http_args[i]);
	if (!o->timeout_set)
		f->http.timeout = DEFAULT_TIMEOUT;
	f->timeout = f->http.timeout;
	/* A rate limit may reset in an hour: the wait is bounded by
	 * --timeout, not by the layer's usual 30 s cap (unless the
	 * environment sets one, as the tests do). */
	if (env("OPSPIPE_RETRY_MAX") == NULL)
		f->http.retry_max = 3600;
	forge_open(f);
	return f;
}

/* ---- checks ----------------------------------------------------------- */

static int
name_chars(const char *s, size_t n, const char *extra)
{
	if (n == 0 || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr(extra, s[i]) != NULL) || s[i] == '\0')
			return 0;
	return 1;
}

/* GitHub: OWNER/REPO. GitLab: a numeric id or group[/sub...]/repo. */
static const char *
repo_refused(int kind, const char *repo)
{
	const char *s, *e;
	int parts = 0;

	if (kind == FORGE_GITLAB && repo[0] != '\0' &&
	    strspn(repo, "0123456789") == strlen(repo))
		return NULL;
	for (s = repo; ; s = e + 1) {
		e = s + strcspn(s, "/");
		if (!name_chars(s, (size_t)(e - s), "-._"))
			return kind == FORGE_GITHUB ? "expected OWNER/REPO" :
			    "expected a project id or group/sub/repo";
		parts++;
		if (*e == '\0')
			break;
	}
	if (kind == FORGE_GITHUB ? parts != 2 : parts < 2)
		return kind == FORGE_GITHUB ? "expected OWNER/REPO" :
		    "expected a project id or group/sub/repo";
	return NULL;
}

/* What a change lacks or gets wrong, or NULL. */
static const char *
change_refused(int kind, const struct change *c)
{
	const char *why;

	if (c->repo == NULL)
		return "no repository (--repo, or field 'repo')";
	if ((why = repo_refused(kind, c->repo)) != NULL)
		return why;
	if (c->base == NULL)
		return "no base branch (--base, or field 'base')";
	if ((why = branch_refused(c->base)) != NULL)
		return why;
	if (c->branch != NULL && (why = branch_refused(c->branch)) != NULL)
		return why;
	if (c->title == NULL || *c->title == '\0')
		return "no title (--title, or field 'title')";
	if (c->nfiles == 0)
		return "no files to change";
	return NULL;
}

/* ---- posting ---------------------------------------------------------- */

static int
post(struct forge *f, struct change *c, jv *result)
{
	struct result r;
	int rc;

	*result = jv_invalid();
	if (f->dry_run) {
		if (f->kind == FORGE_GITHUB)
			github_plan(f, c);
		else
			gitlab_plan(f, c);
		return 0;
	}
	forge_begin(f);
	rc = f->kind == FORGE_GITHUB ? github_post(f, c, &r) :
	    gitlab_post(f, c, &r);
	if (rc == 0)
		*result = result_json(&r);
	result_free(&r);
	return rc;
}

static int
emit(jv v)
{
	if (jsonl_write(stdout, v) != 0) {
		msg_warn("cannot write to stdout: %s", strerror(errno));
		return EXIT_LOCAL;
	}
	return 0;
}

static int
worse(int a, int b)
{
	return a > b ? a : b;
}

/* PATH=FILE operands and --delete: one change from the command line. */
static int
run_args(struct forge *forges[2], struct opts *o, int n, char **args)
{
	struct change c = { 0 };
	const char *why = NULL;
	int kind = choose_forge(o, NULL, &why), rc;
	jv result;

	if (kind < 0)
		opt_usage_error("%s", why);
	c.repo = o->repo ? xstrdup(o->repo) : NULL;
	c.base = o->base ? xstrdup(o->base) : NULL;
	c.branch = o->branch ? xstrdup(o->branch) : NULL;
	c.title = o->title ? xstrdup(o->title) : NULL;
	c.body = o->body ? xstrdup(o->body) : NULL;
	c.draft = o->draft;
	c.labels = o->labels;
	c.reviewers = o->reviewers;
	o->labels = o->reviewers = NULL;
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(args[i], '=');
		char *path, *data;
		size_t len;

		if (eq == NULL || eq == args[i] || eq[1] == '\0')
			opt_usage_error("invalid operand '%s': expected "
			    "PATH=FILE", args[i]);
		path = xstrdup(args[i]);
		path[eq - args[i]] = '\0';
		data = read_file("file", eq + 1, &len);
		why = change_add(&c, path, data, len, 0);
		free(data);
		if (why != NULL)
			opt_usage_error("invalid path '%s': %s", path, why);
		free(path);
	}
	for (size_t i = 0; o->deletes[i] != NULL; i++)
		if ((why = change_add(&c, o->deletes[i], NULL, 0, 1)) != NULL)
			opt_usage_error("invalid --delete '%s': %s",
			    o->deletes[i], why);
	if ((why = change_refused(kind, &c)) != NULL)
		opt_usage_error("%s", why);
	char *dup = change_finish(&c);

	if (dup != NULL)
		opt_usage_error("%s", dup);
	rc = post(forge_for(forges, o, kind), &c, &result);
	if (rc == 0 && jv_is_valid(result))
		rc = emit(result);
	else
		jv_free(result);
	change_free(&c);
	return rc;
}

/* ---- records ---------------------------------------------------------- */

/* Whether a string (borrowed) holds a NUL byte, which C would take for
 * its end: "main\u0000x" read as "main". */
static int
has_nul(jv s)
{
	return strlen(jv_string_value(s)) !=
	    (size_t)jv_string_length_bytes(jv_copy(s));
}

static int
str_field(jv rec, const char *name, const char *dflt, char **out,
    struct buf *why)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(name));
	int ok = 1;

	*out = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING && has_nul(v))
		ok = -1;
	else if (jv_get_kind(v) == JV_KIND_STRING)
		*out = xstrdup(jv_string_value(v));
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		ok = 0;
	else if (dflt != NULL)
		*out = xstrdup(dflt);
	if (ok <= 0)
		buf_printf(why, "field '%s' %s", name, ok < 0 ?
		    "holds a NUL byte" : "must be a string");
	jv_free(v);
	return ok > 0;
}

static int
list_field(jv rec, const char *name, char *const *dflt, char ***out,
    struct buf *why)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(name));
	int ok = 1;

	*out = strv_new();
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, x) {
			if (jv_get_kind(x) != JV_KIND_STRING ||
			    jv_string_length_bytes(jv_copy(x)) == 0 ||
			    has_nul(x))
				ok = 0;
			else
				strv_add(out, jv_string_value(x));
			jv_free(x);
		}
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		ok = 0;
	} else {
		for (size_t i = 0; dflt[i] != NULL; i++)
			strv_add(out, dflt[i]);
	}
	if (!ok)
		buf_printf(why, "field '%s' must be an array of names", name);
	jv_free(v);
	return ok;
}

/* One entry of "files": {"path","content"[,"encoding":"base64"]} or
 * {"path","delete":true}. */
static int
file_field(struct change *c, size_t i, jv e, struct buf *why)
{
	const char *path = jv_get_str(e, "path"), *enc, *bad;
	jv content, del;
	char *data = NULL;
	size_t len = 0;
	int is_del;

	if (jv_get_kind(e) != JV_KIND_OBJECT || path == NULL) {
		buf_printf(why, "files[%zu]: expected {\"path\",\"content\"} "
		    "or {\"path\",\"delete\":true}", i);
		return 0;
	}
	del = jv_object_get(jv_copy(e), jv_string("delete"));
	is_del = jv_get_kind(del) == JV_KIND_TRUE;
	jv_free(del);
	content = jv_object_get(jv_copy(e), jv_string("content"));
	enc = jv_get_str(e, "encoding");
	if (is_del == (jv_get_kind(content) == JV_KIND_STRING)) {
		buf_printf(why, "files[%zu] ('%s'): give either \"content\" "
		    "or \"delete\":true", i, path);
	} else if (is_del) {
		/* nothing to decode */
	} else if (enc != NULL && strcmp(enc, "base64") == 0) {
		data = b64_decode(jv_string_value(content),
		    (size_t)jv_string_length_bytes(jv_copy(content)), &len);
		if (data == NULL)
			buf_printf(why, "files[%zu] ('%s'): content is not "
			    "base64", i, path);
	} else if (enc != NULL && strcmp(enc, "text") != 0) {
		buf_printf(why, "files[%zu] ('%s'): encoding must be \"text\" "
		    "or \"base64\"", i, path);
	} else {
		len = (size_t)jv_string_length_bytes(jv_copy(content));
		data = xmalloc(len + 1);
		memcpy(data, jv_string_value(content), len);
	}
	jv_free(content);
	jv pv = jv_object_get(jv_copy(e), jv_string("path"));

	if (why->len == 0 && has_nul(pv))
		buf_printf(why, "files[%zu]: NUL in path", i);
	jv_free(pv);
	if (why->len == 0 && (bad = change_add(c, path, data, len, is_del)))
		buf_printf(why, "files[%zu]: invalid path '%s': %s", i, path,
		    bad);
	free(data);
	return why->len == 0;
}

/* The change a record asks for, options filling what it leaves out. */
static int
record_change(jv rec, const struct opts *o, struct change *c,
    struct buf *why)
{
	jv files = jv_object_get(jv_copy(rec), jv_string("files"));
	jv draft = jv_object_get(jv_copy(rec), jv_string("draft"));
	int ok;

	ok = str_field(rec, "repo", o->repo, &c->repo, why) &&
	    str_field(rec, "base", o->base, &c->base, why) &&
	    str_field(rec, "branch", NULL, &c->branch, why) &&
	    str_field(rec, "title", o->title, &c->title, why) &&
	    str_field(rec, "body", o->body, &c->body, why) &&
	    list_field(rec, "labels", o->labels, &c->labels, why) &&
	    list_field(rec, "reviewers", o->reviewers, &c->reviewers, why);
	if (ok && jv_get_kind(draft) != JV_KIND_TRUE &&
	    jv_get_kind(draft) != JV_KIND_FALSE && jv_is_valid(draft) &&
	    jv_get_kind(draft) != JV_KIND_NULL) {
		buf_adds(why, "field 'draft' must be true or false");
		ok = 0;
	}
	c->draft = jv_get_kind(draft) == JV_KIND_TRUE ||
	    (jv_get_kind(draft) != JV_KIND_FALSE && o->draft);
	if (ok && (jv_get_kind(files) != JV_KIND_ARRAY ||
	    jv_array_length(jv_copy(files)) == 0)) {
		buf_adds(why, "field 'files' must be a non-empty array");
		ok = 0;
	}
	if (ok)
		jv_array_foreach(files, i, e) {
			if (ok)
				ok = file_field(c, (size_t)i, e, why);
			jv_free(e);
		}
	if (c->labels == NULL)
		c->labels = strv_new();
	if (c->reviewers == NULL)
		c->reviewers = strv_new();
	jv_free(files);
	jv_free(draft);
	return ok;
}

/* The record's "forge"; "" (refused as unknown) when it is there but
 * not a string, so a wrong type is not taken for no forge at all. */
static const char *
forge_field(jv rec)
{
	jv v = jv_object_get(jv_copy(rec), jv_string("forge"));
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	if (k != JV_KIND_STRING && k != JV_KIND_NULL && k != JV_KIND_INVALID)
		return "";
	return jv_get_str(rec, "forge");
}

/* One record: its change posted, the result merged into it. */
static int
run_record(struct forge *forges[2], const struct opts *o, struct jsonl *in,
    jv rec)
{
	struct buf why = BUF_INIT;
	struct change c = { 0 };
	const char *refused;
	char *dup = NULL;
	int kind, rc = EXIT_USAGE;
	jv result;

	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jsonl_warn(in, "expected a JSON object");
		goto out;
	}
	kind = choose_forge(o, forge_field(rec), &refused);
	if (kind < 0) {
		jsonl_warn(in, "%s", refused);
		goto out;
	}
	if (!record_change(rec, o, &c, &why)) {
		jsonl_warn(in, "%s", why.p);
		goto out;
	}
	if ((refused = change_refused(kind, &c)) != NULL ||
	    (dup = change_finish(&c)) != NULL) {
		jsonl_warn(in, "%s", refused ? refused : dup);
		goto out;
	}
	rc = post(forge_for(forges, o, kind), &c, &result);
	if (rc == 0 && jv_is_valid(result))
		rc = emit(jv_object_merge(jv_object_delete(jv_copy(rec),
		    jv_string("files")), result));
	else
		jv_free(result);
	if (rc != 0 && rc != EXIT_LOCAL)
		msg_at(jsonl_name(in), jsonl_lineno(in), "not posted");
out:
	jv_free(rec);
	free(dup);
	buf_free(&why);
	change_free(&c);
	return rc;
}

static int
run_records(struct forge *forges[2], const struct opts *o)
{
	struct jsonl *in = jsonl_open(stdin, "stdin");
	int rc = 0, got;
	jv rec;

	while ((got = jsonl_next(in, &rec)) != 0)
		if (got > 0)
			rc = worse(rc, run_record(forges, o, in, rec));
	if (jsonl_bad(in) > 0)
		rc = worse(rc, EXIT_USAGE);
	jsonl_close(in);
	return rc;
}

/* ---- get -------------------------------------------------------------- */

static int
run_get(struct forge *forges[2], const struct opts *o, int n, char **paths)
{
	const char *why = NULL;
	int kind = choose_forge(o, NULL, &why), rc = 0, r;
	struct forge *f;
	jv out;

	if (kind < 0)
		opt_usage_error("%s", why);
	if (o->repo == NULL)
		opt_usage_error("get needs --repo");
	if ((why = repo_refused(kind, o->repo)) != NULL)
		opt_usage_error("invalid --repo '%s': %s", o->repo, why);
	if (o->ref != NULL && (why = branch_refused(o->ref)) != NULL)
		opt_usage_error("invalid --ref '%s': %s", o->ref, why);
	if (o->dry_run)
		opt_usage_error("--dry-run is for posting; get only reads");
	if (n == 0)
		opt_usage_error("get needs a PATH");
	for (int i = 0; i < n; i++)
		if ((why = path_refused(paths[i])) != NULL)
			opt_usage_error("invalid path '%s': %s", paths[i], why);
	f = forge_for(forges, o, kind);
	for (int i = 0; i < n; i++) {
		forge_begin(f);
		r = kind == FORGE_GITHUB ?
		    github_get(f, o->repo, o->ref, paths[i], &out) :
		    gitlab_get(f, o->repo, o->ref, paths[i], &out);
		if (r == 0)
			r = emit(out);
		else
			jv_free(out);
		rc = worse(rc, r);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct forge *forges[2] = { NULL, NULL };
	struct opts o = { 0 };
	int first, n, rc;
	char **args;

	first = parse_options(&o, argc, argv);
	args = argv + first;
	n = argc - first;
	if (http_global_init() != 0)
		msg_die(EXIT_LOCAL, "cannot initialise libcurl");
	if (n > 0 && strcmp(args[0], "get") == 0) {
		rc = run_get(forges, &o, n - 1, args + 1);
	} else if (n == 1 && strcmp(args[0], "-") == 0) {
		if (o.deletes[0] != NULL || o.branch != NULL)
			opt_usage_error("with '-', files and branches come "
			    "from the records");
		rc = run_records(forges, &o);
	} else {
		if (n == 0 && o.deletes[0] == NULL)
			opt_usage_error("no files given (PATH=FILE, --delete "
			    "PATH, or '-' for records)");
		rc = run_args(forges, &o, n, args);
	}
	for (int k = 0; k < 2; k++)
		if (forges[k] != NULL) {
			forge_close(forges[k]);
			free(forges[k]);
		}
	strv_free(o.labels);
	strv_free(o.reviewers);
	strv_free(o.deletes);
	free(o.body);
	free(o.http_keys);
	free(o.http_args);
	http_global_cleanup();
	if (msg_close_stdout() != 0)
		rc = worse(rc, EXIT_LOCAL);
	return rc;
}
