/* prpost.h — the contracts between prpost's parts.
 *
 * change.c   a change set: paths checked, content as bytes, git blob ids,
 *            the branch name derived from base and content
 * forge.c    requests to a forge: URLs, JSON bodies, rate limits, errors,
 *            --dry-run's printed requests
 * github.c   GitHub: Git Data API commit, pull request, labels, reviewers
 * gitlab.c   GitLab: commits API, merge request, labels, reviewers
 * main.c     options, records, results, exit statuses
 */
#ifndef PRPOST_H
#define PRPOST_H

#include <stddef.h>
#include <time.h>
#include <jv.h>

#include "http.h"

/* ---- change.c --------------------------------------------------------- */

struct file {
	char *path;		/* checked: relative, no ., .., empty parts */
	char *data;		/* the bytes; NULL for a deletion */
	size_t len;
	int delete;
	char blob[41];		/* git blob id of data (SHA-1 hex) */
};

struct change {
	char *repo;		/* OWNER/REPO; GitLab: an id or group/sub/repo */
	char *base;		/* the branch the change goes into */
	char *branch;		/* the branch it is committed to */
	char *title, *body;	/* body may be NULL */
	struct file *files;	/* sorted by path, no path twice */
	size_t nfiles;
	char **labels, **reviewers;	/* NULL-ended lists */
	int draft;
};

/*
 * Adds a file (data copied; NULL data for a deletion). Returns NULL, or
 * why the path is refused (a static string).
 */
const char *change_add(struct change *c, const char *path, const char *data,
    size_t len, int delete);
/* Why a repository path is refused, or NULL. */
const char *path_refused(const char *path);
/* Sorts the files, refuses a path given twice (NULL or the message, which
 * the caller frees), and names the branch when none was given. */
char *change_finish(struct change *c);
void change_free(struct change *c);
/* Why a branch name is not one git accepts, or NULL. */
const char *branch_refused(const char *name);
/* Git's blob id of data: SHA-1 of "blob LEN\0DATA", 40 hex digits. */
void git_blob_id(const char *data, size_t len, char out[41]);
/* Valid UTF-8 without NUL: a JSON string carries it unchanged. */
int is_text(const char *data, size_t len);
/* Standard base64 (caller frees); decoding skips newlines, NULL when bad. */
char *b64_encode(const char *data, size_t len);
char *b64_decode(const char *text, size_t len, size_t *outlen);
/* A NULL-ended list of copies of n strings. */
char **strv_new(void);
void strv_add(char ***v, const char *s);
void strv_free(char **v);

/* ---- forge.c ---------------------------------------------------------- */

enum forge_kind { FORGE_GITHUB, FORGE_GITLAB };

struct forge {
	enum forge_kind kind;
	struct http_conf http;
	struct http_pool *pool;
	int dry_run;
	double timeout;		/* --timeout: bounds one post or get */
	double deadline;	/* monotonic seconds; 0: no bound */
	unsigned long sent;	/* requests sent, retries included */
};

struct result {
	char *url;		/* NULL when unchanged */
	long number;		/* 0 when unchanged */
	int created, unchanged;
	char *branch, *commit;
};

/* Exit statuses a forge step returns (msg.h's EXIT_*). */

/* Opens the pool (f->kind, f->http and f->timeout set). */
void forge_open(struct forge *f);
/* Starts the clock: what follows, rate-limit waits included, must end
 * within f->timeout. */
void forge_begin(struct forge *f);
void forge_close(struct forge *f);

/*
 * One JSON request: path is relative to the API base and already
 * encoded; body (consumed) is jv_invalid() for none. Returns the HTTP
 * status (0 on a transport failure) and, for a 2xx, *out (caller frees;
 * null for an empty body). A non-2xx answer leaves its error in *err:
 * "message" and the messages in "errors" (caller frees), or NULL.
 */
long forge_call(struct forge *f, const char *method, const char *path,
    jv body, jv *out, char **err);
/* forge_call with a path it frees. */
long forge_callp(struct forge *f, const char *method, char *path, jv body,
    jv *out, char **err);
/* The string at v.a (or v.a.b), copied, or NULL; v is borrowed. */
char *jv_str_at(jv v, const char *a, const char *b);
/* Says a branch holds other commits and will not be overwritten;
 * returns EXIT_FINDING. */
int forge_diverged(const struct change *c);
/* The same for several requests at once (HEAD of many files): status[i]
 * and out[i] for each; out may be NULL. */
void forge_call_many(struct forge *f, const char *method, char **paths,
    size_t n, long *status, struct http_response *rs);
/* --dry-run: prints the request as a JSON line (token redacted). */
void forge_show(struct forge *f, const char *method, const char *path,
    jv body);
/* Reports a failed call ("prpost: WHAT: MESSAGE") and returns the exit
 * status it means: 2 for 400/404/422, else 3. */
int forge_fail(struct forge *f, const char *what, long status,
    const char *err);

/* Percent-encodes s into b; characters in keep stay as they are. */
void url_encode(struct buf *b, const char *s, const char *keep);

/*
 * How long to wait before retrying an answer that may be a rate limit,
 * or -1 when it is none: GitHub's primary limit (403/429 with
 * x-ratelimit-remaining 0: until x-ratelimit-reset), its secondary one
 * (retry-after, else a minute, doubling per attempt), GitLab's 429
 * (Retry-After, else the same). *why names the limit. Pure, for tests.
 */
double rate_limit_wait(enum forge_kind kind, long status, int says_limit,
    const char *remaining, const char *reset, const char *retry_after,
    int attempt, time_t now, const char **why);

/* ---- github.c, gitlab.c ------------------------------------------------ */

/* Commits the change and opens or finds the pull request; returns an
 * exit status, r filled on 0. */
int github_post(struct forge *f, const struct change *c, struct result *r);
int gitlab_post(struct forge *f, const struct change *c, struct result *r);
/* --dry-run: the requests a post would send. */
void github_plan(struct forge *f, const struct change *c);
void gitlab_plan(struct forge *f, const struct change *c);
/*
 * One file: *out is {"repo","ref","path","content","sha"} (plus
 * "encoding":"base64" when the bytes are not text). ref NULL: the
 * default branch. Returns 0, 1 when the file is missing, or 2/3.
 */
int github_get(struct forge *f, const char *repo, const char *ref,
    const char *path, jv *out);
int gitlab_get(struct forge *f, const char *repo, const char *ref,
    const char *path, jv *out);

/* A file's record for get: content as text, or base64 with
 * "encoding":"base64" when the bytes are not text. */
jv file_record(const char *repo, const char *ref, const char *path,
    const char *data, size_t len, const char *sha);

/* Both forges' result: the fields DESIGN.md names, as a jv object. */
jv result_json(const struct result *r);
void result_free(struct result *r);

#endif
