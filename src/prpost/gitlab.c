/* gitlab.c — a change as one commit through GitLab's commits API, then
 * the merge request, its labels and reviewers.
 *
 * GitLab takes create, update and delete actions, so each file's state
 * on the base is asked first (HEAD requests, all at once; the blob id
 * in X-Gitlab-Blob-Id says whether it changes). The commit creates the
 * branch from base's commit in the same request: no branch ever points
 * at half a change. An existing branch is moved only when it holds
 * nothing beyond base (it is an ancestor of base), used as it is when
 * it already holds the change, else left alone (diverged).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "prpost.h"

/* "projects/ID" with a path's slashes encoded: group%2Fsub%2Frepo. */
static char *
project_path(const char *repo)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "projects/");
	url_encode(&b, repo, NULL);
	return buf_detach(&b);
}

static char *
sub(const char *pp, const char *what, const char *arg, const char *query,
    const char *qarg)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, pp);
	buf_adds(&b, what);
	if (arg != NULL)
		url_encode(&b, arg, NULL);
	if (query != NULL) {
		buf_adds(&b, query);
		url_encode(&b, qarg, NULL);
	}
	return buf_detach(&b);
}

static int
missing(const char *err, const char *what)
{
	return err != NULL && strstr(err, what) != NULL;
}

/* A branch's commit; *sha NULL when missing and that may be (!must). */
static int
get_branch(struct forge *f, const char *pp, const char *repo,
    const char *name, int must, char **sha)
{
	char *err;
	jv out;
	long st = forge_callp(f, "GET", sub(pp, "/repository/branches/", name, NULL,
	    NULL), jv_invalid(), &out, &err);
	int rc = 0;

	*sha = st == 200 ? jv_str_at(out, "commit", "id") : NULL;
	if (st == 404 && missing(err, "Project")) {
		msg_warn("project '%s' not found (or the token cannot see "
		    "it)", repo);
		rc = EXIT_USAGE;
	} else if (st == 404 && must) {
		msg_warn("branch '%s' not found in '%s'", name, repo);
		rc = EXIT_USAGE;
	} else if (st != 404 && *sha == NULL) {
		rc = forge_fail(f, "reading a branch", st, err);
	}
	jv_free(out);
	free(err);
	return rc;
}

/*
 * Each file's blob id at ref (NULL: no such file), asked all at once:
 * a HEAD answers with X-Gitlab-Blob-Id and no body.
 */
static int
blob_ids(struct forge *f, const char *pp, const struct change *c,
    const char *ref, char **ids)
{
	size_t n = c->nfiles;
	char **paths = xcalloc(n + 1, sizeof *paths);
	long *status = xcalloc(n + 1, sizeof *status);
	struct http_response *rs = xcalloc(n + 1, sizeof *rs);
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		paths[i] = sub(pp, "/repository/files/", c->files[i].path,
		    "?ref=", ref);
	forge_call_many(f, "HEAD", paths, n, status, rs);
	for (size_t i = 0; i < n; i++) {
		ids[i] = NULL;
		if (status[i] == 200)
			ids[i] = http_header(&rs[i], "X-Gitlab-Blob-Id");
		if (rc == 0 && status[i] != 404 && ids[i] == NULL) {
			char *d = status[i] == 200 ? xstrdup("no "
			    "X-Gitlab-Blob-Id in the answer") : NULL;

			rc = forge_fail(f, "reading a file's state", status[i],
			    d ? d : rs[i].error[0] ? rs[i].error : NULL);
			free(d);
		}
		http_response_free(&rs[i]);
		free(paths[i]);
	}
	free(paths);
	free(status);
	free(rs);
	return rc;
}

/* The actions that make ref hold the change: an empty array when it
 * already does. */
static int
actions_at(struct forge *f, const char *pp, const struct change *c,
    const char *ref, jv *actions)
{
	char **ids = xcalloc(c->nfiles + 1, sizeof *ids);
	int rc = blob_ids(f, pp, c, ref, ids);

	*actions = jv_array();
	for (size_t i = 0; i < c->nfiles && rc == 0; i++) {
		const struct file *fl = &c->files[i];
		jv a;

		if (fl->delete ? ids[i] == NULL :
		    ids[i] != NULL && strcmp(ids[i], fl->blob) == 0)
			continue;
		a = JV_OBJECT(jv_string("action"), jv_string(fl->delete ?
		    "delete" : ids[i] ? "update" : "create"),
		    jv_string("file_path"), jv_string(fl->path));
		if (!fl->delete && is_text(fl->data, fl->len)) {
			a = jv_object_set(a, jv_string("content"),
			    jv_string_sized(fl->data, (int)fl->len));
		} else if (!fl->delete) {
			char *b64 = b64_encode(fl->data, fl->len);

			a = jv_object_set(a, jv_string("content"),
			    jv_string(b64));
			a = jv_object_set(a, jv_string("encoding"),
			    jv_string("base64"));
			free(b64);
		}
		*actions = jv_array_append(*actions, a);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static jv
commit_body(const struct change *c, const char *start_sha, int force,
    jv actions)
{
	jv b = JV_OBJECT(jv_string("branch"), jv_string(c->branch),
	    jv_string("commit_message"), jv_string(c->title),
	    jv_string("start_sha"), jv_string(start_sha),
	    jv_string("actions"), actions);

	if (force)
		b = jv_object_set(b, jv_string("force"), jv_true());
	return b;
}

/* Whether head adds nothing to base: their merge base is head. */
static int
in_base(struct forge *f, const char *pp, const char *base, const char *head,
    int *yes)
{
	struct buf b = BUF_INIT;
	char *err, *mb;
	jv out;
	long st;
	int rc = 0;

	*yes = strcmp(base, head) == 0;
	if (*yes)
		return 0;
	buf_printf(&b, "%s/repository/merge_base?refs%%5B%%5D=%s"
	    "&refs%%5B%%5D=%s", pp, head, base);
	st = forge_callp(f, "GET", buf_detach(&b), jv_invalid(), &out, &err);
	mb = st == 200 ? jv_str_at(out, "id", NULL) : NULL;
	if (mb == NULL)
		rc = forge_fail(f, "comparing the branch with its base", st,
		    err);
	else
		*yes = strcmp(mb, head) == 0;
	free(mb);
	jv_free(out);
	free(err);
	return rc;
}

static int
post_commit(struct forge *f, const char *pp, jv body, char **commit,
    int *exists)
{
	char *err;
	jv out;
	long st = forge_callp(f, "POST", sub(pp, "/repository/commits", NULL, NULL,
	    NULL), body, &out, &err);
	int rc = 0;

	*commit = st == 201 ? jv_str_at(out, "id", NULL) : NULL;
	*exists = st == 400 && missing(err, "A branch called");
	if (*commit == NULL && !*exists)
		rc = forge_fail(f, "committing", st, err);
	jv_free(out);
	free(err);
	return rc;
}

/*
 * The branch, as on GitHub: created from base's commit, moved there
 * when it holds nothing beyond base, used when it holds the change.
 */
static int
place_change(struct forge *f, const char *pp, const struct change *c,
    const char *base_sha, jv actions, char **commit, int *existed)
{
	char *head = NULL;
	jv mine = jv_null();
	int rc, fresh, exists = 0;

	*commit = NULL;
	if ((rc = get_branch(f, pp, c->repo, c->branch, 0, &head)) != 0)
		goto out;
	if (head == NULL) {
		rc = post_commit(f, pp, commit_body(c, base_sha, 0,
		    jv_copy(actions)), commit, &exists);
		/* created meanwhile: judge it as an existing one */
		if (rc != 0 || !exists ||
		    (rc = get_branch(f, pp, c->repo, c->branch, 1, &head)) != 0)
			goto out;
	}
	*existed = 1;
	if ((rc = in_base(f, pp, base_sha, head, &fresh)) != 0)
		goto out;
	if (fresh) {
		/* force: the branch is behind base, nothing of its own is
		 * lost; it restarts from base with the change */
		rc = post_commit(f, pp, commit_body(c, base_sha, 1,
		    jv_copy(actions)), commit, &exists);
		goto out;
	}
	if ((rc = actions_at(f, pp, c, head, &mine)) != 0)
		goto out;
	if (jv_array_length(jv_copy(mine)) == 0)
		*commit = xstrdup(head);
	else
		rc = forge_diverged(c);
out:
	jv_free(mine);
	free(head);
	return rc;
}

/* Reviewer usernames as GitLab user ids; an unknown one is a warning. */
static jv
reviewer_ids(struct forge *f, const struct change *c)
{
	jv ids = jv_array();

	for (size_t i = 0; c->reviewers[i] != NULL; i++) {
		char *err;
		jv out, id;
		long st = forge_callp(f, "GET", sub("users", "?username=",
		    c->reviewers[i], NULL, NULL), jv_invalid(), &out, &err);

		id = st == 200 && jv_get_kind(out) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(out)) > 0 ?
		    jv_object_get(jv_array_get(jv_copy(out), 0),
		    jv_string("id")) : jv_invalid();
		if (jv_get_kind(id) == JV_KIND_NUMBER)
			ids = jv_array_append(ids, id);
		else {
			jv_free(id);
			msg_warn("reviewer '%s' not requested: %s",
			    c->reviewers[i], st == 200 ? "no such GitLab "
			    "user" : err ? err : "user lookup failed");
		}
		jv_free(out);
		free(err);
	}
	return ids;
}

static char *
joined(char *const *v)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; v[i] != NULL; i++) {
		if (i > 0)
			buf_addc(&b, ',');
		buf_adds(&b, v[i]);
	}
	buf_adds(&b, "");
	return buf_detach(&b);
}

static jv
mr_body(const struct change *c, jv ids)
{
	struct buf title = BUF_INIT;
	char *labels = joined(c->labels);
	jv b;

	/* GitLab marks a draft by its title. */
	if (c->draft && strncmp(c->title, "Draft:", 6) != 0)
		buf_adds(&title, "Draft: ");
	buf_adds(&title, c->title);
	b = JV_OBJECT(jv_string("source_branch"), jv_string(c->branch),
	    jv_string("target_branch"), jv_string(c->base),
	    jv_string("title"), jv_string(title.p));
	if (c->body != NULL)
		b = jv_object_set(b, jv_string("description"),
		    jv_string(c->body));
	if (*labels != '\0')
		b = jv_object_set(b, jv_string("labels"), jv_string(labels));
	if (jv_array_length(jv_copy(ids)) > 0)
		b = jv_object_set(b, jv_string("reviewer_ids"), ids);
	else
		jv_free(ids);
	free(labels);
	buf_free(&title);
	return b;
}

static int
find_mr(struct forge *f, const char *pp, const struct change *c, jv *mr)
{
	struct buf b = BUF_INIT;
	char *err, *p;
	jv out;
	long st;
	int rc = 0;

	p = sub(pp, "/merge_requests?state=opened&source_branch=", c->branch,
	    "&target_branch=", c->base);
	st = forge_callp(f, "GET", p, jv_invalid(), &out, &err);
	*mr = jv_null();
	if (st != 200 || jv_get_kind(out) != JV_KIND_ARRAY)
		rc = forge_fail(f, "listing merge requests", st, err);
	else if (jv_array_length(jv_copy(out)) > 0)
		*mr = jv_array_get(jv_copy(out), 0);
	jv_free(out);
	free(err);
	buf_free(&b);
	return rc;
}

/* An existing merge request gets the labels and reviewers too. */
static void
update_mr(struct forge *f, const char *pp, const struct change *c, jv mr,
    jv ids)
{
	jv body = jv_object(), out, had;
	char *labels = joined(c->labels), *err;
	struct buf b = BUF_INIT;
	long st;

	if (*labels != '\0')
		body = jv_object_set(body, jv_string("add_labels"),
		    jv_string(labels));
	/* reviewer_ids replaces the list: keep the ones already there */
	had = jv_object_get(jv_copy(mr), jv_string("reviewers"));
	if (jv_array_length(jv_copy(ids)) > 0) {
		if (jv_get_kind(had) == JV_KIND_ARRAY)
			jv_array_foreach(had, i, r)
				ids = jv_array_append(ids, jv_object_get(r,
				    jv_string("id")));
		body = jv_object_set(body, jv_string("reviewer_ids"), ids);
	} else {
		jv_free(ids);
	}
	jv_free(had);
	free(labels);
	if (jv_object_length(jv_copy(body)) == 0) {
		jv_free(body);
		return;
	}
	jv num = jv_object_get(jv_copy(mr), jv_string("iid"));
	buf_printf(&b, "%s/merge_requests/%ld", pp,
	    jv_get_kind(num) == JV_KIND_NUMBER ? (long)jv_number_value(num) :
	    0);
	jv_free(num);
	st = forge_callp(f, "PUT", buf_detach(&b), body, &out, &err);
	if (st != 200)
		msg_warn("labels and reviewers not updated: %s",
		    err ? err : "request failed");
	jv_free(out);
	free(err);
}

static int
open_mr(struct forge *f, const char *pp, const struct change *c,
    int existed, jv *mr, int *created)
{
	jv ids = reviewer_ids(f, c);
	char *err = NULL;
	long st;
	int rc;

	*created = 0;
	if (existed) {
		if ((rc = find_mr(f, pp, c, mr)) != 0)
			goto out;
		if (jv_get_kind(*mr) == JV_KIND_OBJECT) {
			update_mr(f, pp, c, *mr, ids);
			ids = jv_invalid();
			goto out;
		}
		jv_free(*mr);
	}
	st = forge_callp(f, "POST", sub(pp, "/merge_requests", NULL, NULL, NULL),
	    mr_body(c, jv_copy(ids)), mr, &err);
	if (st == 201) {
		*created = 1;
		rc = 0;
	} else if (st == 409) {
		jv_free(*mr);
		if ((rc = find_mr(f, pp, c, mr)) == 0) {
			if (jv_get_kind(*mr) != JV_KIND_OBJECT)
				rc = forge_fail(f, "finding the merge request",
				    0, "GitLab says one exists, but lists "
				    "none open");
			else {
				update_mr(f, pp, c, *mr, ids);
				ids = jv_invalid();
			}
		}
	} else {
		rc = forge_fail(f, "opening the merge request", st, err);
	}
out:
	jv_free(ids);
	free(err);
	return rc;
}

int
gitlab_post(struct forge *f, const struct change *c, struct result *r)
{
	char *pp = project_path(c->repo), *base_sha = NULL, *commit = NULL;
	jv actions = jv_null(), mr = jv_null(), num;
	int rc, existed = 0;

	memset(r, 0, sizeof *r);
	if ((rc = get_branch(f, pp, c->repo, c->base, 1, &base_sha)) != 0 ||
	    (rc = actions_at(f, pp, c, base_sha, &actions)) != 0)
		goto out;
	if (jv_array_length(jv_copy(actions)) == 0) {
		r->unchanged = 1;
		r->commit = base_sha;
		base_sha = NULL;
		goto out;
	}
	if ((rc = place_change(f, pp, c, base_sha, actions, &commit,
	    &existed)) != 0 ||
	    (rc = open_mr(f, pp, c, existed, &mr, &r->created)) != 0)
		goto out;
	r->branch = xstrdup(c->branch);
	r->commit = commit;
	commit = NULL;
	r->url = jv_str_at(mr, "web_url", NULL);
	num = jv_object_get(jv_copy(mr), jv_string("iid"));
	r->number = jv_get_kind(num) == JV_KIND_NUMBER ?
	    (long)jv_number_value(num) : 0;
	jv_free(num);
out:
	jv_free(actions);
	jv_free(mr);
	free(pp);
	free(base_sha);
	free(commit);
	return rc;
}

void
gitlab_plan(struct forge *f, const struct change *c)
{
	char *pp = project_path(c->repo), *p;
	jv actions = jv_array();

	p = sub(pp, "/repository/branches/", c->base, NULL, NULL);
	forge_show(f, "GET", p, jv_invalid());
	free(p);
	for (size_t i = 0; i < c->nfiles; i++) {
		p = sub(pp, "/repository/files/", c->files[i].path,
		    "?ref=", "");
		p = xrealloc(p, strlen(p) + sizeof "{base-commit}");
		strcat(p, "{base-commit}");
		forge_show(f, "HEAD", p, jv_invalid());
		free(p);
	}
	p = sub(pp, "/repository/branches/", c->branch, NULL, NULL);
	forge_show(f, "GET", p, jv_invalid());
	free(p);
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct file *fl = &c->files[i];
		jv a = JV_OBJECT(jv_string("action"), jv_string(fl->delete ?
		    "delete" : "{create-or-update}"), jv_string("file_path"),
		    jv_string(fl->path));

		if (!fl->delete && is_text(fl->data, fl->len))
			a = jv_object_set(a, jv_string("content"),
			    jv_string_sized(fl->data, (int)fl->len));
		else if (!fl->delete) {
			char *b64 = b64_encode(fl->data, fl->len);

			a = jv_object_set(a, jv_string("content"),
			    jv_string(b64));
			a = jv_object_set(a, jv_string("encoding"),
			    jv_string("base64"));
			free(b64);
		}
		actions = jv_array_append(actions, a);
	}
	p = sub(pp, "/repository/commits", NULL, NULL, NULL);
	forge_show(f, "POST", p, commit_body(c, "{base-commit}", 0,
	    actions));
	free(p);
	for (size_t i = 0; c->reviewers[i] != NULL; i++) {
		p = sub("users", "?username=", c->reviewers[i], NULL, NULL);
		forge_show(f, "GET", p, jv_invalid());
		free(p);
	}
	p = sub(pp, "/merge_requests", NULL, NULL, NULL);
	forge_show(f, "POST", p, mr_body(c, c->reviewers[0] ?
	    JV_ARRAY(jv_string("{reviewer-ids}")) : jv_array()));
	free(p);
	free(pp);
}

int
gitlab_get(struct forge *f, const char *repo, const char *ref,
    const char *path, jv *out)
{
	char *pp = project_path(repo), *err = NULL, *def = NULL, *data = NULL;
	const char *content;
	size_t len = 0;
	jv ans = jv_null();
	long st;
	int rc = 0;

	*out = jv_invalid();
	if (ref == NULL) {
		st = forge_callp(f, "GET", xstrdup(pp), jv_invalid(), &ans, &err);
		if ((def = st == 200 ? jv_str_at(ans, "default_branch", NULL) :
		    NULL) == NULL) {
			rc = st == 404 ? EXIT_USAGE : forge_fail(f,
			    "reading the project", st, err);
			if (st == 404)
				msg_warn("project '%s' not found (or the "
				    "token cannot see it)", repo);
			goto out;
		}
		jv_free(ans);
		free(err);
		err = NULL;
		ref = def;
	}
	st = forge_callp(f, "GET", sub(pp, "/repository/files/", path, "?ref=", ref),
	    jv_invalid(), &ans, &err);
	if (st == 404 && missing(err, "File Not Found")) {
		msg_warn("'%s' not found in '%s' at '%s'", path, repo, ref);
		rc = EXIT_FINDING;
	} else if (st == 404) {
		msg_warn("%s: project '%s' or ref '%s' not found", err ? err :
		    "not found", repo, ref);
		rc = EXIT_USAGE;
	} else if (st != 200) {
		rc = forge_fail(f, "reading a file", st, err);
	} else if ((content = jv_get_str(ans, "content")) == NULL ||
	    (data = b64_decode(content, strlen(content), &len)) == NULL) {
		rc = forge_fail(f, "reading a file", 0,
		    "the answer holds no base64 content");
	} else {
		*out = file_record(repo, ref, path, data, len,
		    jv_get_str(ans, "blob_id"));
	}
out:
	jv_free(ans);
	free(data);
	free(err);
	free(def);
	free(pp);
	return rc;
}
