/* state.c — what phonecall remembers between runs, for --state DIR:
 *
 *   {"incidents":{"<fingerprint>":{"yes":1795320000,"by":"alice"}},
 *    "calls":{"+33612345678":[1795320000,1795320060]}}
 *
 * Each change is a read-modify-write of DIR/state.json under an
 * exclusive flock of DIR/lock, the new file written beside it, fsynced
 * and renamed over it (and the directory fsynced), so processes running
 * at once see each other's calls, and a crash leaves the old state or the
 * new one, never half of one. Entries older than they can matter are
 * dropped on the way: calls after an hour, acknowledgements after 30
 * days (the longest quiet period phonecall takes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl.h"
#include "msg.h"
#include "phonecall.h"

#define KEEP_ACKS	(30 * 86400.0)
#define MAX_STATE	(64 * 1024 * 1024)

struct state {
	char *dir, *file, *tmp, *lockpath;
	int lockfd;
};

struct state *
state_open(const char *dir)
{
	struct state *st;
	struct stat sb;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		msg_warn("cannot create --state directory '%s': %s", dir,
		    strerror(errno));
		return NULL;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		msg_warn("--state '%s' is not a directory", dir);
		return NULL;
	}
	st = xcalloc(1, sizeof *st);
	st->dir = xstrdup(dir);
	st->file = http_url_join(dir, "state.json");
	st->lockpath = http_url_join(dir, "lock");
	st->tmp = xmalloc(strlen(st->file) + 32);
	sprintf(st->tmp, "%s.%ld.tmp", st->file, (long)getpid());
	st->lockfd = open(st->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (st->lockfd < 0) {
		msg_warn("cannot open '%s': %s", st->lockpath, strerror(errno));
		state_close(st);
		return NULL;
	}
	return st;
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st->dir);
	free(st->file);
	free(st->tmp);
	free(st->lockpath);
	free(st);
}

static int
lock_file(struct state *st)
{
	while (flock(st->lockfd, LOCK_EX) != 0)
		if (errno != EINTR) {
			msg_warn("cannot lock '%s': %s", st->lockpath,
			    strerror(errno));
			return -1;
		}
	return 0;
}

static void
unlock(struct state *st)
{
	flock(st->lockfd, LOCK_UN);
}

static jv load(struct state *st);

/* Locks the state and reads it; invalid (and unlocked) on failure. */
static jv
lock_load(struct state *st)
{
	jv v;

	if (lock_file(st) != 0)
		return jv_invalid();
	v = load(st);
	if (!jv_is_valid(v))
		unlock(st);
	return v;
}

/* The state as a jv object ({} when there is none yet); invalid on a
 * read error or a file that is not ours (reported). */
static jv
load(struct state *st)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd = open(st->file, O_RDONLY | O_CLOEXEC);
	jv v;

	if (fd < 0) {
		if (errno == ENOENT)
			return jv_object();
		msg_warn("cannot read '%s': %s", st->file, strerror(errno));
		return jv_invalid();
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len < MAX_STATE)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n < 0) {
		msg_warn("cannot read '%s': %s", st->file, strerror(errno));
		buf_free(&b);
		return jv_invalid();
	}
	v = jsonl_parse(b.p ? b.p : "{}", b.p ? b.len : 2);
	buf_free(&b);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		msg_warn("'%s' is not phonecall's state: move it away",
		    st->file);
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/* Writes v (consumed) in place of the state file. */
static int
save(struct state *st, jv v)
{
	struct buf b = BUF_INIT;
	int fd, rc = -1, dfd;

	jsonl_dump(&b, v);
	buf_addc(&b, '\n');
	fd = open(st->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0 && write_all(fd, b.p, b.len) == 0 && fsync(fd) == 0 &&
	    close(fd) == 0) {
		fd = -1;
		if (rename(st->tmp, st->file) == 0)
			rc = 0;
	}
	if (rc != 0) {
		msg_warn("cannot write '%s': %s", st->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(st->tmp);
	} else if ((dfd = open(st->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		fsync(dfd);	/* the rename itself survives a crash */
		close(dfd);
	}
	buf_free(&b);
	return rc;
}

static jv
member(jv obj, const char *key, jv dflt)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));

	if (jv_get_kind(v) != jv_get_kind(dflt)) {
		jv_free(v);
		return dflt;
	}
	jv_free(dflt);
	return v;
}

int
state_quiet(struct state *st, const char *incident, double quiet,
    time_t now, char **by)
{
	jv v, acks, ack;
	double yes;
	int rc = 0;

	*by = NULL;
	if (!jv_is_valid(v = lock_load(st)))
		return -1;
	unlock(st);
	acks = member(v, "incidents", jv_object());
	ack = member(acks, incident, jv_object());
	if (jv_get_num(ack, "yes", &yes) && yes > (double)now - quiet &&
	    yes <= (double)now + 60) {
		const char *who = jv_get_str(ack, "by");

		*by = xstrdup(who ? who : "someone");
		rc = 1;
	}
	jv_free(ack);
	jv_free(acks);
	jv_free(v);
	return rc;
}

/* The calls of the last hour to number, oldest dropped. */
static jv
recent_calls(jv calls, const char *number, time_t now)
{
	jv list = member(calls, number, jv_array()), keep = jv_array();

	jv_array_foreach(list, i, t) {
		if (jv_get_kind(t) == JV_KIND_NUMBER &&
		    jv_number_value(t) > (double)now - 3600)
			keep = jv_array_append(keep, jv_copy(t));
		jv_free(t);
	}
	jv_free(list);
	return keep;
}

/* Drops every number's calls older than an hour. */
static jv
prune_calls(jv calls, time_t now)
{
	jv out = jv_object();

	jv_object_foreach(calls, k, list) {
		jv keep = recent_calls(calls, jv_string_value(k), now);

		if (jv_array_length(jv_copy(keep)) > 0)
			out = jv_object_set(out, jv_copy(k), keep);
		else
			jv_free(keep);
		jv_free(k);
		jv_free(list);
	}
	jv_free(calls);
	return out;
}

int
state_reserve(struct state *st, const char *number, long max, time_t now)
{
	jv v, calls, list;
	int rc;

	if (!jv_is_valid(v = lock_load(st)))
		return -1;
	calls = prune_calls(member(v, "calls", jv_object()), now);
	list = recent_calls(calls, number, now);
	if (jv_array_length(jv_copy(list)) >= max) {
		rc = 0;
		jv_free(list);
		jv_free(calls);
		jv_free(v);
	} else {
		list = jv_array_append(list, jv_number((double)now));
		calls = jv_object_set(calls, jv_string(number), list);
		v = jv_object_set(v, jv_string("calls"), calls);
		rc = save(st, v) == 0 ? 1 : -1;
	}
	unlock(st);
	return rc;
}

int
state_ack(struct state *st, const char *incident, time_t now,
    const char *who)
{
	jv v, acks, keep;
	int rc;

	if (!jv_is_valid(v = lock_load(st)))
		return -1;
	keep = jv_object();
	acks = member(v, "incidents", jv_object());
	jv_object_foreach(acks, k, a) {
		double yes;

		if (jv_get_kind(a) == JV_KIND_OBJECT &&
		    jv_get_num(a, "yes", &yes) && yes > (double)now - KEEP_ACKS)
			keep = jv_object_set(keep, jv_copy(k), jv_copy(a));
		jv_free(k);
		jv_free(a);
	}
	jv_free(acks);
	keep = jv_object_set(keep, jv_string(incident), jv_object_set(
	    jv_object_set(jv_object(), jv_string("yes"),
	    jv_number((double)now)), jv_string("by"), jv_string(who)));
	v = jv_object_set(v, jv_string("incidents"), keep);
	rc = save(st, v);
	unlock(st);
	return rc;
}
