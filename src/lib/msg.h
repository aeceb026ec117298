/* msg.h — diagnostics and exit statuses shared by every program.
 *
 * Messages go to stderr as "PROG: message", lowercase, no trailing period.
 * The program name is the one piece of process-wide state: it is set once
 * from argv[0] before anything else runs.
 */
#ifndef OPSPIPE_MSG_H
#define OPSPIPE_MSG_H

#include <stdarg.h>
#include <stdnoreturn.h>

/*
 * Exit statuses (DESIGN.md, and 4 added by opspipe: DESIGN has no status
 * for a failure that is neither the input's nor a service's). When
 * several apply, the highest wins, except that a finding made on the good
 * part of the input is still reported (see each program's man page).
 */
enum {
	EXIT_OK = 0,		/* success */
	EXIT_FINDING = 1,	/* a negative finding the caller asked about */
	EXIT_USAGE = 2,		/* usage error or bad input */
	EXIT_UPSTREAM = 3,	/* an upstream service failed */
	EXIT_LOCAL = 4		/* this machine failed us: a write error on
				 * stdout or a file, out of memory, a signal,
				 * an internal error */
};

void msg_init(const char *argv0);
const char *msg_prog(void);

/* "PROG: fmt\n" on stderr. */
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_vwarn(const char *fmt, va_list ap);
/*
 * A problem at a place in an input: "PROG: NAME:LINE: fmt" ("stdin:12:
 * field 'values' is not an array"). line 0 leaves the line out.
 */
void msg_at(const char *name, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void msg_vat(const char *name, size_t line, const char *fmt, va_list ap);
/* msg_warn, then exit(status). */
noreturn void msg_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Out of memory is not recoverable for a filter: say so and exit 4. */
noreturn void msg_oom(void);

/* Checked allocation: never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (holding *cap elements of size) to hold at least need. */
void xgrow(void **p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);

/* Flush and close stdout. A write error (full disk, closed pipe) is
 * reported and returns nonzero, so it never passes as success: the
 * caller exits EXIT_LOCAL. A reader that went away (EPIPE) is not
 * reported, but still returns nonzero. */
int msg_close_stdout(void);

#endif
