/* calllog.c — the call log a post-mortem can trust.
 *
 * Each record is appended as soon as its call ends, in one write(2) of
 * whole lines to a file opened with O_APPEND, under an exclusive flock
 * (so writers on filesystems where O_APPEND alone is not atomic, and
 * the CSV header check, are serialised too), then fsynced before the
 * lock is let go: processes running at once never interleave or lose
 * a line, and a crash after a call never loses its record. A record
 * that cannot be written whole is not left half-written.
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

#define CSV_HEADER	"time,number,speech,answer,status,person\r\n"

int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Appends text to path; a header first when the file is empty. A write
 * that fails half-way (a full disk, a file size limit) is cut off
 * again, so the next record does not continue a torn line.
 */
static int
append(const char *path, const char *header, const char *text, size_t len)
{
	struct stat sb;
	int fd, rc = -1, err = 0, sized = 0;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		msg_warn("cannot open log '%s': %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			err = errno;
			goto out;
		}
	if (fstat(fd, &sb) != 0) {
		err = errno;
		goto out;
	}
	sized = 1;
	if ((header != NULL && sb.st_size == 0 &&
	    write_all(fd, header, strlen(header)) != 0) ||
	    write_all(fd, text, len) != 0 || fsync(fd) != 0) {
		err = errno;
		goto out;
	}
	rc = 0;
out:
	/* a regular file only: /dev/full has no size to go back to */
	if (rc != 0 && sized && S_ISREG(sb.st_mode) &&
	    ftruncate(fd, sb.st_size) != 0)
		msg_warn("cannot cut a torn line off log '%s': %s", path,
		    strerror(errno));
	if (rc != 0)
		msg_warn("cannot write log '%s': %s", path,
		    strerror(err ? err : EIO));
	if (close(fd) != 0 && rc == 0) {	/* also lets the lock go */
		msg_warn("cannot write log '%s': %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

int
calllog_json(const char *path, jv rec)
{
	struct buf b = BUF_INIT;
	int rc;

	jsonl_dump(&b, jv_copy(rec));
	buf_addc(&b, '\n');
	rc = append(path, NULL, b.p, b.len);
	buf_free(&b);
	return rc;
}

void
csv_field(struct buf *b, const char *s)
{
	if (s[strcspn(s, ",\"\r\n")] == '\0') {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

int
calllog_csv(const char *path, jv rec)
{
	static const char *const cols[] = { "time", "number", "speech",
	    "answer", "status", "person" };
	struct buf b = BUF_INIT;
	int rc;

	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		jv v = jv_object_get(jv_copy(rec), jv_string(cols[i]));

		if (i > 0)
			buf_addc(&b, ',');
		if (jv_get_kind(v) == JV_KIND_STRING)
			csv_field(&b, jv_string_value(v));
		else if (jv_get_kind(v) == JV_KIND_TRUE)
			buf_adds(&b, "true");
		else if (jv_get_kind(v) == JV_KIND_FALSE)
			buf_adds(&b, "false");
		jv_free(v);	/* null and absent: an empty field */
	}
	buf_adds(&b, "\r\n");
	rc = append(path, CSV_HEADER, b.p, b.len);
	buf_free(&b);
	return rc;
}
