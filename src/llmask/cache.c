/* cache.c — answers on disk, keyed by what shapes them.
 *
 * One file per answer, DIR/<sha256>.json, written to a temporary name and
 * renamed, so concurrent CronJobs sharing a volume never read half an
 * entry. The key covers the API, the URL and the exact request body
 * (model, messages after redaction and masking, options, format), and
 * nothing that does not change the answer (tokens, timeouts).
 *
 * A cached answer is served as the model's, so whoever can write in the
 * directory decides answers: it must be this user's and writable by no
 * one else (tmux and Emacs refuse their socket directories on the same
 * terms). Every file is opened relative to the directory opened once,
 * with O_NOFOLLOW, and a temporary file is created with O_EXCL, so a
 * planted symlink is never followed and the checked directory is the one
 * written. A signal while an entry is written removes the temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cache.h"
#include "jsonl.h"
#include "msg.h"

void
cache_key(char hex[65], const char *api, const char *url, const char *body,
    size_t body_len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* NUL separators: no two different triples hash the same text. */
	if (ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, "llmask-cache-1", 15) != 1 ||
	    EVP_DigestUpdate(ctx, api, strlen(api) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, url, strlen(url) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, body, body_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
		msg_die(EXIT_LOCAL, "cannot compute SHA-256 (libcrypto)");
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

struct cache {
	char *dir;		/* as given, for messages */
	int fd;			/* the directory */
};

/*
 * The temporary file being written, for the signal handler: entries are
 * written one at a time (answers arrive on one thread). The only state
 * of llmask's outside its options, because a handler can reach nothing
 * else.
 */
static volatile sig_atomic_t tmp_active;
static int tmp_dirfd = -1;
static char tmp_name[128];

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* Removes the temporary file, then dies of the signal as it would have
 * (SA_RESETHAND restored the default action). Async-signal-safe. */
static void
on_signal(int sig)
{
	if (tmp_active)
		unlinkat(tmp_dirfd, tmp_name, 0);
	raise(sig);
}

static void
catch_signals(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof cleanup_signals /
	    sizeof *cleanup_signals; i++) {
		/* A signal the shell ignores (a background job's SIGINT)
		 * stays ignored. */
		if (sigaction(cleanup_signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(cleanup_signals[i], &sa, NULL);
	}
	/* Past a file size limit a write fails (EFBIG, an error path that
	 * cleans up) instead of killing the process. */
	signal(SIGXFSZ, SIG_IGN);
}

static void
block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof cleanup_signals /
	    sizeof *cleanup_signals; i++)
		sigaddset(&set, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Why dir (opened as fd) may not hold answers, or NULL. */
static const char *
unsafe(const char *dir, int fd, char *why, size_t len)
{
	struct stat st, lst;
	uid_t me = geteuid();

	if (lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode) &&
	    lst.st_uid != me && lst.st_uid != 0) {
		snprintf(why, len, "a symlink owned by uid %ld",
		    (long)lst.st_uid);
		return why;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, len, "%s", strerror(errno));
		return why;
	}
	if (st.st_uid != me)
		snprintf(why, len, "owned by uid %ld, not by this user (uid "
		    "%ld)", (long)st.st_uid, (long)me);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, len, "writable by others (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
	else
		return NULL;
	return why;
}

int
cache_open(const char *dir, struct cache **out)
{
	char why[128];
	int fd;

	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		msg_warn("cannot create cache '%s': %s", dir, strerror(errno));
		return 0;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		msg_warn("cannot open cache '%s': %s", dir, strerror(errno));
		return 0;
	}
	if (unsafe(dir, fd, why, sizeof why) != NULL) {
		msg_warn("cache '%s' is not safe to use: %s (give a directory "
		    "of your own; llmask makes a missing one with mode 0700)",
		    dir, why);
		close(fd);
		return -1;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->dir = xstrdup(dir);
	(*out)->fd = fd;
	catch_signals();
	return 0;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->dir);
	free(c);
}

jv
cache_get(struct cache *c, const char *hex)
{
	char name[80];
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd;
	jv v = jv_invalid();

	snprintf(name, sizeof name, "%s.json", hex);
	if ((fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return v;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(&b, chunk, (size_t)n);
	if (n == 0 && b.len > 0)
		v = jsonl_parse(b.p, b.len);
	close(fd);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		v = jv_invalid();
	}
	buf_free(&b);
	return v;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Creates the temporary file for hex, never through a symlink nor over
 * a file: a name taken (a leftover of a killed process, or a plant) is
 * passed over. The name is published for the signal handler in the same
 * breath, with the signals held, so no signal can fall in between.
 */
static int
create_tmp(struct cache *c, const char *hex)
{
	sigset_t old;
	int fd = -1;

	for (int k = 0; k < 100 && fd < 0; k++) {
		if (k == 0)
			snprintf(tmp_name, sizeof tmp_name, "%s.json.%ld.tmp",
			    hex, (long)getpid());
		else
			snprintf(tmp_name, sizeof tmp_name, "%s.json.%ld-%d.tmp",
			    hex, (long)getpid(), k);
		block_signals(&old);
		fd = openat(c->fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			tmp_dirfd = c->fd;
			tmp_active = 1;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

int
cache_put(struct cache *c, const char *hex, jv entry)
{
	char name[80];
	struct buf text = BUF_INIT;
	int fd, werr, rc = -1;

	snprintf(name, sizeof name, "%s.json", hex);
	jsonl_dump(&text, entry);
	buf_addc(&text, '\n');
	if ((fd = create_tmp(c, hex)) < 0) {
		msg_warn("cannot write cache '%s': %s", c->dir, strerror(errno));
		goto out;
	}
	werr = write_all(fd, text.p, text.len) != 0 ? errno : 0;
	if (close(fd) != 0 && werr == 0)
		werr = errno;
	if (werr != 0) {
		msg_warn("cannot write cache '%s/%s': %s", c->dir, tmp_name,
		    strerror(werr));
		unlinkat(c->fd, tmp_name, 0);
	} else if (renameat(c->fd, tmp_name, c->fd, name) != 0) {
		msg_warn("cannot write cache '%s/%s': %s", c->dir, name,
		    strerror(errno));
		unlinkat(c->fd, tmp_name, 0);
	} else {
		rc = 0;
	}
	tmp_active = 0;
out:
	buf_free(&text);
	return rc;
}
