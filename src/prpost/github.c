/* github.c — a change as one commit through GitHub's Git Data API, then
 * the pull request, its labels and reviewers.
 *
 * base ref → its commit's tree, listed once (recursive) → the entries
 * that differ (none: unchanged) → the branch: missing, or holding
 * nothing beyond base → tree (base_tree + inline text, base64 blobs for
 * the rest, deletions as sha null) → commit → create the ref, or move it
 * forward with force false, so GitHub itself refuses to overwrite work.
 * A branch with commits of its own is used when it already holds the
 * change (a re-run), and never overwritten when it does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "prpost.h"

/* "repos/OWNER/REPO", encoded. */
static char *
repo_path(const char *repo)
{
	struct buf b = BUF_INIT;
	const char *slash = strchr(repo, '/');
	char *owner = xstrdup(repo);

	owner[slash - repo] = '\0';
	buf_adds(&b, "repos/");
	url_encode(&b, owner, NULL);
	buf_addc(&b, '/');
	url_encode(&b, slash + 1, NULL);
	free(owner);
	return buf_detach(&b);
}

static char *
pathf(const char *rp, const char *fmt, const char *arg, const char *keep)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, rp);
	buf_adds(&b, fmt);
	if (arg != NULL)
		url_encode(&b, arg, keep);
	return buf_detach(&b);
}

/* A 404 from GitHub does not say what is missing: the repository (or the
 * token cannot see it) or the branch. One more request tells. */
static int
not_found(struct forge *f, const char *rp, const char *repo,
    const char *branch)
{
	jv out;
	long st = forge_call(f, "GET", rp, jv_invalid(), &out, NULL);

	jv_free(out);
	if (st == 404)
		msg_warn("repository '%s' not found (or the token cannot "
		    "see it)", repo);
	else if (branch != NULL)
		msg_warn("branch '%s' not found in '%s'", branch, repo);
	else
		msg_warn("not found in '%s'", repo);
	return EXIT_USAGE;
}


/* The commit a branch points at; *sha NULL when it is missing and may
 * be (must 0). */
static int
get_ref(struct forge *f, const char *rp, const char *repo,
    const char *branch, int must, char **sha)
{
	char *err;
	jv out;
	long st = forge_callp(f, "GET", pathf(rp, "/git/ref/heads/", branch, "/"),
	    jv_invalid(), &out, &err);
	int rc = 0;

	*sha = NULL;
	if (st == 200 && (*sha = jv_str_at(out, "object", "sha")) == NULL)
		rc = forge_fail(f, "reading a branch", 0, "no object.sha");
	else if (st == 404 && must)
		rc = not_found(f, rp, repo, branch);
	else if (st != 200 && st != 404)
		rc = forge_fail(f, "reading a branch", st, err);
	jv_free(out);
	free(err);
	return rc;
}

static int
get_commit_tree(struct forge *f, const char *rp, const char *sha,
    char **tree)
{
	char *err;
	jv out;
	long st = forge_callp(f, "GET", pathf(rp, "/git/commits/", sha, NULL),
	    jv_invalid(), &out, &err);
	int rc = 0;

	*tree = NULL;
	if (st != 200)
		rc = forge_fail(f, "reading a commit", st, err);
	else if ((*tree = jv_str_at(out, "tree", "sha")) == NULL)
		rc = forge_fail(f, "reading a commit", 0, "no tree.sha");
	jv_free(out);
	free(err);
	return rc;
}

/*
 * Every file of a tree, {path: {"mode","sha"}}, in one request. GitHub
 * cuts the list past 100,000 entries or 7 MB (*truncated); then nothing
 * is known to be unchanged and the tree's own id decides.
 */
static int
get_listing(struct forge *f, const char *rp, const char *tree, jv *map,
    int *truncated)
{
	char *p = pathf(rp, "/git/trees/", tree, NULL), *err;
	struct buf b = BUF_INIT;
	jv out, list;
	long st;

	buf_adds(&b, p);
	buf_adds(&b, "?recursive=1");
	free(p);
	st = forge_callp(f, "GET", buf_detach(&b), jv_invalid(), &out, &err);
	*map = jv_object();
	*truncated = 0;
	if (st != 200) {
		int rc = forge_fail(f, "listing the base tree", st, err);

		jv_free(out);
		free(err);
		return rc;
	}
	*truncated = jv_equal(jv_object_get(jv_copy(out),
	    jv_string("truncated")), jv_true());
	list = jv_object_get(out, jv_string("tree"));
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, e) {
			const char *path = jv_get_str(e, "path");
			const char *type = jv_get_str(e, "type");

			if (path != NULL && type != NULL &&
			    strcmp(type, "blob") == 0)
				*map = jv_object_set(*map, jv_string(path),
				    jv_copy(e));
			jv_free(e);
		}
	}
	jv_free(list);
	free(err);
	return 0;
}

/* Whether tree (listed in map) lacks file's change. */
static int
differs(jv map, int truncated, const struct file *file)
{
	jv have = jv_object_get(jv_copy(map), jv_string(file->path));
	const char *sha = jv_get_kind(have) == JV_KIND_OBJECT ?
	    jv_get_str(have, "sha") : NULL;
	int d;

	if (truncated)
		d = 1;
	else if (file->delete)
		d = sha != NULL;
	else
		d = sha == NULL || strcmp(sha, file->blob) != 0;
	jv_free(have);
	return d;
}

static size_t
count_differing(const struct change *c, jv map, int truncated)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nfiles; i++)
		n += (size_t)differs(map, truncated, &c->files[i]);
	return n;
}

/* A file keeps its mode (an executable stays one); new files are 644. */
static const char *
file_mode(jv map, const char *path)
{
	jv have = jv_object_get(jv_copy(map), jv_string(path));
	const char *m = jv_get_kind(have) == JV_KIND_OBJECT ?
	    jv_get_str(have, "mode") : NULL;
	const char *mode = m && strcmp(m, "100755") == 0 ? "100755" : "100644";

	jv_free(have);
	return mode;
}

/*
 * The tree entry for a file. Inline "content" is a JSON string, so
 * UTF-8 text only: other bytes go up as a base64 blob first (with
 * plan set, the blob's id is shown as a placeholder).
 */
static int
tree_entry(struct forge *f, const char *rp, jv map, const struct file *file,
    int plan, jv *entry)
{
	jv e = jv_object(), out;
	char *err = NULL, *b64, *sha;
	long st;

	e = jv_object_set(e, jv_string("path"), jv_string(file->path));
	e = jv_object_set(e, jv_string("mode"),
	    jv_string(file_mode(map, file->path)));
	e = jv_object_set(e, jv_string("type"), jv_string("blob"));
	if (file->delete) {
		*entry = jv_object_set(e, jv_string("sha"), jv_null());
		return 0;
	}
	if (is_text(file->data, file->len)) {
		*entry = jv_object_set(e, jv_string("content"),
		    jv_string_sized(file->data, (int)file->len));
		return 0;
	}
	b64 = b64_encode(file->data, file->len);
	jv body = JV_OBJECT(jv_string("content"), jv_string(b64),
	    jv_string("encoding"), jv_string("base64"));
	free(b64);
	if (plan) {
		char *p = pathf(rp, "/git/blobs", NULL, NULL);

		forge_show(f, "POST", p, body);
		free(p);
		*entry = jv_object_set(e, jv_string("sha"),
		    jv_string(file->blob));
		return 0;
	}
	st = forge_callp(f, "POST", pathf(rp, "/git/blobs", NULL, NULL), body, &out,
	    &err);
	sha = st == 201 ? jv_str_at(out, "sha", NULL) : NULL;
	jv_free(out);
	if (sha == NULL) {
		int rc = forge_fail(f, "uploading a blob", st, err);

		free(err);
		jv_free(e);
		return rc;
	}
	*entry = jv_object_set(e, jv_string("sha"), jv_string(sha));
	free(sha);
	free(err);
	return 0;
}

/* The entries for every differing file (all of them with plan). */
static int
tree_entries(struct forge *f, const char *rp, const struct change *c,
    jv map, int truncated, int plan, jv *entries)
{
	int rc = 0;
	jv e;

	*entries = jv_array();
	for (size_t i = 0; i < c->nfiles && rc == 0; i++) {
		if (!plan && !differs(map, truncated, &c->files[i]))
			continue;
		if ((rc = tree_entry(f, rp, map, &c->files[i], plan, &e)) == 0)
			*entries = jv_array_append(*entries, e);
	}
	return rc;
}

static jv
tree_body(const char *base_tree, jv entries)
{
	return JV_OBJECT(jv_string("base_tree"), jv_string(base_tree),
	    jv_string("tree"), entries);
}

static jv
commit_body(const struct change *c, const char *tree, const char *parent)
{
	return JV_OBJECT(jv_string("message"), jv_string(c->title),
	    jv_string("tree"), jv_string(tree),
	    jv_string("parents"), JV_ARRAY(jv_string(parent)));
}

/* POST something that answers with its "sha". */
static int
create(struct forge *f, const char *rp, const char *what, const char *where,
    jv body, char **sha)
{
	char *err;
	jv out;
	long st = forge_callp(f, "POST", pathf(rp, where, NULL, NULL), body, &out,
	    &err);
	int rc = 0;

	*sha = st == 201 ? jv_str_at(out, "sha", NULL) : NULL;
	if (*sha == NULL)
		rc = forge_fail(f, what, st, err);
	jv_free(out);
	free(err);
	return rc;
}

/* set_ref's answer when the branch changed between our look and our
 * write (another prpost posting the same change at once): judge it
 * again as it now is. */
#define RACED	(-1)

/*
 * Points the branch at commit: creates it, or moves it with force false
 * so that GitHub refuses anything but a fast-forward (another writer's
 * commits stay). RACED when it was created or moved meanwhile.
 */
static int
set_ref(struct forge *f, const char *rp, const struct change *c,
    const char *commit, int exists)
{
	struct buf ref = BUF_INIT;
	char *err, *p;
	long st;
	jv out;
	int rc = 0;

	if (!exists) {
		buf_printf(&ref, "refs/heads/%s", c->branch);
		st = forge_callp(f, "POST", pathf(rp, "/git/refs", NULL, NULL),
		    JV_OBJECT(jv_string("ref"), jv_string(ref.p),
		    jv_string("sha"), jv_string(commit)), &out, &err);
		if (st == 422 && err != NULL &&
		    strstr(err, "already exists") != NULL)
			rc = RACED;
		else if (st != 201)
			rc = forge_fail(f, "creating the branch", st, err);
		jv_free(out);
		free(err);
		buf_free(&ref);
		return rc;
	}
	p = pathf(rp, "/git/refs/heads/", c->branch, "/");
	st = forge_callp(f, "PATCH", p, JV_OBJECT(jv_string("sha"), jv_string(commit),
	    jv_string("force"), jv_false()), &out, &err);
	if (st == 422 && err != NULL && strstr(err, "fast forward") != NULL)
		rc = RACED;
	else if (st != 200)
		rc = forge_fail(f, "moving the branch", st, err);
	jv_free(out);
	free(err);
	return rc;
}

/* Whether head adds nothing to base: it is base or behind it. */
static int
in_base(struct forge *f, const char *rp, const char *base, const char *head,
    int *yes)
{
	struct buf b = BUF_INIT;
	char *err, *status;
	jv out;
	long st;
	int rc = 0;

	*yes = strcmp(base, head) == 0;
	if (*yes)
		return 0;
	buf_adds(&b, rp);
	buf_printf(&b, "/compare/%s...%s", base, head);
	st = forge_callp(f, "GET", buf_detach(&b), jv_invalid(), &out, &err);
	status = st == 200 ? jv_str_at(out, "status", NULL) : NULL;
	if (status == NULL)
		rc = forge_fail(f, "comparing the branch with its base", st,
		    err);
	else
		*yes = strcmp(status, "identical") == 0 ||
		    strcmp(status, "behind") == 0;
	free(status);
	jv_free(out);
	free(err);
	return rc;
}

/* The new commit on base's tip; unchanged when the tree is base's. */
static int
commit_change(struct forge *f, const char *rp, const struct change *c,
    const char *base_sha, const char *base_tree, jv map, int truncated,
    char **commit)
{
	char *tree = NULL;
	jv entries;
	int rc;

	*commit = NULL;
	if ((rc = tree_entries(f, rp, c, map, truncated, 0, &entries)) != 0) {
		jv_free(entries);
		return rc;
	}
	rc = create(f, rp, "creating the tree", "/git/trees",
	    tree_body(base_tree, entries), &tree);
	if (rc == 0 && strcmp(tree, base_tree) != 0)
		rc = create(f, rp, "creating the commit", "/git/commits",
		    commit_body(c, tree, base_sha), commit);
	free(tree);
	return rc;
}

/* The open pull request from branch, if any: 0 with *pr null if none. */
static int
find_pr(struct forge *f, const char *rp, const struct change *c, jv *pr)
{
	struct buf b = BUF_INIT, head = BUF_INIT;
	char *err;
	jv out;
	long st;
	int rc = 0;

	buf_add(&head, c->repo, strcspn(c->repo, "/"));
	buf_printf(&head, ":%s", c->branch);
	buf_adds(&b, rp);
	buf_adds(&b, "/pulls?state=open&head=");
	url_encode(&b, head.p, NULL);
	buf_adds(&b, "&base=");
	url_encode(&b, c->base, NULL);
	st = forge_callp(f, "GET", buf_detach(&b), jv_invalid(), &out, &err);
	*pr = jv_null();
	if (st != 200 || jv_get_kind(out) != JV_KIND_ARRAY)
		rc = forge_fail(f, "listing pull requests", st, err);
	else if (jv_array_length(jv_copy(out)) > 0)
		*pr = jv_array_get(jv_copy(out), 0);
	jv_free(out);
	free(err);
	buf_free(&head);
	return rc;
}

static jv
pr_body(const struct change *c, int draft)
{
	jv b = JV_OBJECT(jv_string("title"), jv_string(c->title),
	    jv_string("head"), jv_string(c->branch),
	    jv_string("base"), jv_string(c->base));

	if (c->body != NULL)
		b = jv_object_set(b, jv_string("body"), jv_string(c->body));
	if (draft)
		b = jv_object_set(b, jv_string("draft"), jv_true());
	return b;
}

/* Opens the pull request, or finds the open one: *created says which. */
static int
open_pr(struct forge *f, const char *rp, const struct change *c,
    int branch_existed, jv *pr, int *created)
{
	int draft = c->draft, rc;
	char *err = NULL;
	long st;

	*created = 0;
	if (branch_existed) {
		if ((rc = find_pr(f, rp, c, pr)) != 0 ||
		    jv_get_kind(*pr) == JV_KIND_OBJECT)
			return rc;
		jv_free(*pr);
	}
	for (;;) {
		st = forge_callp(f, "POST", pathf(rp, "/pulls", NULL, NULL),
		    pr_body(c, draft), pr, &err);
		if (st == 422 && draft && err != NULL &&
		    strstr(err, "Draft") != NULL) {
			msg_warn("'%s' takes no draft pull requests; opening "
			    "a ready one", c->repo);
			draft = 0;
			jv_free(*pr);
			free(err);
			continue;
		}
		break;
	}
	if (st == 201) {
		*created = 1;
		rc = 0;
	} else if (st == 422 && err != NULL &&
	    strstr(err, "already exists") != NULL) {
		jv_free(*pr);
		if ((rc = find_pr(f, rp, c, pr)) == 0 &&
		    jv_get_kind(*pr) != JV_KIND_OBJECT)
			rc = forge_fail(f, "finding the pull request", 0,
			    "GitHub says one exists, but lists none open");
	} else {
		rc = forge_fail(f, "opening the pull request", st, err);
	}
	free(err);
	return rc;
}

/* Labels and reviewers: a failure is a warning, the pull request stands. */
static void
add_labels(struct forge *f, const char *rp, const struct change *c,
    long number)
{
	struct buf b = BUF_INIT;
	char *err;
	jv labels, out;
	long st;

	if (c->labels[0] == NULL)
		return;
	labels = jv_array();
	for (size_t i = 0; c->labels[i] != NULL; i++)
		labels = jv_array_append(labels, jv_string(c->labels[i]));
	buf_printf(&b, "%s/issues/%ld/labels", rp, number);
	st = forge_callp(f, "POST", buf_detach(&b), JV_OBJECT(jv_string("labels"),
	    labels), &out, &err);
	if (st != 200)
		msg_warn("labels not added to #%ld: %s", number,
		    err ? err : "request failed");
	jv_free(out);
	free(err);
}

static jv
reviewers_body(char *const *who, size_t n)
{
	jv users = jv_array(), teams = jv_array();

	/* "org/team" names a team; GitHub wants its slug alone. */
	for (size_t i = 0; i < n; i++) {
		const char *slash = strchr(who[i], '/');

		if (slash != NULL)
			teams = jv_array_append(teams, jv_string(slash + 1));
		else
			users = jv_array_append(users, jv_string(who[i]));
	}
	return JV_OBJECT(jv_string("reviewers"), users,
	    jv_string("team_reviewers"), teams);
}

static long
request_reviewers(struct forge *f, const char *rp, long number,
    char *const *who, size_t n, char **err)
{
	struct buf b = BUF_INIT;
	jv out;
	long st;

	buf_printf(&b, "%s/pulls/%ld/requested_reviewers", rp, number);
	st = forge_callp(f, "POST", buf_detach(&b), reviewers_body(who, n), &out,
	    err);
	jv_free(out);
	return st;
}

static void
add_reviewers(struct forge *f, const char *rp, const struct change *c,
    long number)
{
	size_t n = 0;
	char *err;
	long st;

	while (c->reviewers[n] != NULL)
		n++;
	if (n == 0)
		return;
	st = request_reviewers(f, rp, number, c->reviewers, n, &err);
	if (st == 201) {
		free(err);
		return;
	}
	if (n == 1 || st != 422) {
		msg_warn("reviewers not requested on #%ld: %s", number,
		    err ? err : "request failed");
		free(err);
		return;
	}
	/* One refused name refuses all: ask for each alone. */
	free(err);
	for (size_t i = 0; i < n; i++) {
		st = request_reviewers(f, rp, number, &c->reviewers[i], 1,
		    &err);
		if (st != 201)
			msg_warn("reviewer '%s' not requested on #%ld: %s",
			    c->reviewers[i], number,
			    err ? err : "request failed");
		free(err);
	}
}

/* A branch with commits of its own: used when its tree already holds
 * the change (a re-run, or another prpost's commit), else diverged. */
static int
holds_change(struct forge *f, const char *rp, const struct change *c,
    const char *head, char **commit)
{
	char *tree = NULL;
	jv map = jv_null();
	int rc, truncated = 0;

	if ((rc = get_commit_tree(f, rp, head, &tree)) != 0 ||
	    (rc = get_listing(f, rp, tree, &map, &truncated)) != 0)
		goto out;
	if (!truncated && count_differing(c, map, 0) == 0) {
		free(*commit);		/* ours, if made, is not needed */
		*commit = xstrdup(head);
	} else {
		rc = forge_diverged(c);
	}
out:
	free(tree);
	jv_free(map);
	return rc;
}

/*
 * The branch: created on base's tip, moved there when it holds nothing
 * beyond base, used as it is when it already holds the change, else
 * left alone (diverged). *commit is the branch's commit after it. A
 * branch created or moved by someone else between the look and the
 * write is looked at once more, so two runs posting one change at
 * once both succeed, on one branch.
 */
static int
place_change(struct forge *f, const char *rp, const struct change *c,
    const char *base_sha, const char *base_tree, jv map, int truncated,
    char **commit, int *existed)
{
	char *head = NULL;
	int rc = RACED, fresh;

	*commit = NULL;
	for (int pass = 0; pass < 2 && rc == RACED; pass++) {
		free(head);
		if ((rc = get_ref(f, rp, c->repo, c->branch, 0, &head)) != 0)
			break;
		*existed |= head != NULL;
		fresh = head == NULL;
		if (head != NULL &&
		    (rc = in_base(f, rp, base_sha, head, &fresh)) != 0)
			break;
		if (!fresh) {
			rc = holds_change(f, rp, c, head, commit);
			break;
		}
		if (*commit == NULL && (rc = commit_change(f, rp, c, base_sha,
		    base_tree, map, truncated, commit)) != 0)
			break;
		if (*commit == NULL)	/* the tree is base's: unchanged */
			break;
		rc = set_ref(f, rp, c, *commit, head != NULL);
	}
	if (rc == RACED)
		rc = forge_diverged(c);
	free(head);
	return rc;
}

int
github_post(struct forge *f, const struct change *c, struct result *r)
{
	char *rp = repo_path(c->repo), *base_sha = NULL, *base_tree = NULL;
	char *commit = NULL;
	jv map = jv_null(), pr = jv_null();
	int rc, truncated = 0, existed = 0;

	memset(r, 0, sizeof *r);
	if ((rc = get_ref(f, rp, c->repo, c->base, 1, &base_sha)) != 0 ||
	    (rc = get_commit_tree(f, rp, base_sha, &base_tree)) != 0 ||
	    (rc = get_listing(f, rp, base_tree, &map, &truncated)) != 0)
		goto out;
	if (truncated || count_differing(c, map, 0) > 0)
		rc = place_change(f, rp, c, base_sha, base_tree, map,
		    truncated, &commit, &existed);
	if (rc != 0)
		goto out;
	if (commit == NULL) {		/* base already has this content */
		r->unchanged = 1;
		r->commit = base_sha;
		base_sha = NULL;
		goto out;
	}
	if ((rc = open_pr(f, rp, c, existed, &pr, &r->created)) != 0)
		goto out;
	r->branch = xstrdup(c->branch);
	r->commit = commit;
	commit = NULL;
	r->url = jv_str_at(pr, "html_url", NULL);
	jv num = jv_object_get(jv_copy(pr), jv_string("number"));
	r->number = jv_get_kind(num) == JV_KIND_NUMBER ?
	    (long)jv_number_value(num) : 0;
	jv_free(num);
	if (r->number > 0) {
		add_labels(f, rp, c, r->number);
		add_reviewers(f, rp, c, r->number);
	}
out:
	jv_free(map);
	jv_free(pr);
	free(rp);
	free(base_sha);
	free(base_tree);
	free(commit);
	return rc;
}

/* The placeholders --dry-run shows for what only the forge would know. */
#define BASE_SHA	"{base-commit}"
#define BASE_TREE	"{base-tree}"

void
github_plan(struct forge *f, const struct change *c)
{
	char *rp = repo_path(c->repo), *p;
	struct buf b = BUF_INIT;
	jv entries, empty = jv_object();

	p = pathf(rp, "/git/ref/heads/", c->base, "/");
	forge_show(f, "GET", p, jv_invalid());
	free(p);
	buf_printf(&b, "%s/git/commits/%s", rp, BASE_SHA);
	forge_show(f, "GET", b.p, jv_invalid());
	buf_reset(&b);
	buf_printf(&b, "%s/git/trees/%s?recursive=1", rp, BASE_TREE);
	forge_show(f, "GET", b.p, jv_invalid());
	buf_reset(&b);
	p = pathf(rp, "/git/ref/heads/", c->branch, "/");
	forge_show(f, "GET", p, jv_invalid());
	free(p);
	tree_entries(f, rp, c, empty, 0, 1, &entries);
	jv_free(empty);
	p = pathf(rp, "/git/trees", NULL, NULL);
	forge_show(f, "POST", p, tree_body(BASE_TREE, entries));
	free(p);
	p = pathf(rp, "/git/commits", NULL, NULL);
	forge_show(f, "POST", p, commit_body(c, "{new-tree}", BASE_SHA));
	free(p);
	buf_printf(&b, "refs/heads/%s", c->branch);
	p = pathf(rp, "/git/refs", NULL, NULL);
	forge_show(f, "POST", p, JV_OBJECT(jv_string("ref"), jv_string(b.p),
	    jv_string("sha"), jv_string("{new-commit}")));
	free(p);
	buf_free(&b);
	p = pathf(rp, "/pulls", NULL, NULL);
	forge_show(f, "POST", p, pr_body(c, c->draft));
	free(p);
	if (c->labels[0] != NULL) {
		jv l = jv_array();

		for (size_t i = 0; c->labels[i] != NULL; i++)
			l = jv_array_append(l, jv_string(c->labels[i]));
		p = pathf(rp, "/issues/{number}/labels", NULL, NULL);
		forge_show(f, "POST", p, JV_OBJECT(jv_string("labels"), l));
		free(p);
	}
	if (c->reviewers[0] != NULL) {
		size_t n = 0;

		while (c->reviewers[n] != NULL)
			n++;
		p = pathf(rp, "/pulls/{number}/requested_reviewers", NULL,
		    NULL);
		forge_show(f, "POST", p, reviewers_body(c->reviewers, n));
		free(p);
	}
	free(rp);
}

static int
default_branch(struct forge *f, const char *rp, const char *repo, char **ref)
{
	char *err;
	jv out;
	long st = forge_callp(f, "GET", xstrdup(rp), jv_invalid(), &out, &err);
	int rc = 0;

	*ref = st == 200 ? jv_str_at(out, "default_branch", NULL) : NULL;
	if (st == 404)
		rc = not_found(f, rp, repo, NULL);
	else if (*ref == NULL)
		rc = forge_fail(f, "reading the repository", st, err);
	jv_free(out);
	free(err);
	return rc;
}

/* The bytes of a file's answer: inline base64, or past 1 MB (encoding
 * "none") the blob itself. */
static int
file_bytes(struct forge *f, const char *rp, jv out, char **data, size_t *len)
{
	const char *enc = jv_get_str(out, "encoding");
	const char *content = jv_get_str(out, "content");
	const char *sha = jv_get_str(out, "sha");
	char *err = NULL;
	jv blob = jv_null();
	int rc = 0;

	if ((enc == NULL || strcmp(enc, "base64") != 0) && sha != NULL) {
		long st = forge_callp(f, "GET", pathf(rp, "/git/blobs/", sha, NULL),
		    jv_invalid(), &blob, &err);

		if (st != 200) {
			rc = forge_fail(f, "reading a blob", st, err);
			goto out;
		}
		content = jv_get_str(blob, "content");
	}
	if (content == NULL ||
	    (*data = b64_decode(content, strlen(content), len)) == NULL)
		rc = forge_fail(f, "reading a file", 0,
		    "the answer holds no base64 content");
out:
	jv_free(blob);
	free(err);
	return rc;
}

int
github_get(struct forge *f, const char *repo, const char *ref,
    const char *path, jv *out)
{
	char *rp = repo_path(repo), *err = NULL, *def = NULL, *data = NULL;
	struct buf b = BUF_INIT;
	const char *type;
	size_t len = 0;
	jv ans = jv_null();
	long st;
	int rc;

	*out = jv_invalid();
	if (ref == NULL && (rc = default_branch(f, rp, repo, &def)) != 0)
		goto out;
	ref = ref ? ref : def;
	buf_printf(&b, "%s/contents/", rp);
	url_encode(&b, path, "/");
	buf_adds(&b, "?ref=");
	url_encode(&b, ref, NULL);
	st = forge_callp(f, "GET", buf_detach(&b), jv_invalid(), &ans, &err);
	rc = 0;
	if (st == 404 && err != NULL && strstr(err, "No commit found")) {
		msg_warn("branch '%s' not found in '%s'", ref, repo);
		rc = EXIT_USAGE;
	} else if (st == 404) {
		jv_free(ans);
		st = forge_callp(f, "GET", xstrdup(rp), jv_invalid(), &ans, NULL);
		if (st == 404)
			rc = not_found(f, rp, repo, NULL);
		else {
			msg_warn("'%s' not found in '%s' at '%s'", path, repo,
			    ref);
			rc = EXIT_FINDING;
		}
	} else if (st != 200) {
		rc = forge_fail(f, "reading a file", st, err);
	} else if ((type = jv_get_str(ans, "type")) == NULL ||
	    strcmp(type, "file") != 0) {
		msg_warn("'%s' in '%s' is not a file", path, repo);
		rc = EXIT_USAGE;
	} else if ((rc = file_bytes(f, rp, ans, &data, &len)) == 0) {
		*out = file_record(repo, ref, path, data, len,
		    jv_get_str(ans, "sha"));
	}
out:
	jv_free(ans);
	free(data);
	free(err);
	free(def);
	free(rp);
	return rc;
}
