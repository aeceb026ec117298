/* msg.c — diagnostics, checked allocation, closing stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static const char *progname = "opspipe";

void
msg_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
}

const char *
msg_prog(void)
{
	return progname;
}

void
msg_vwarn(const char *fmt, va_list ap)
{
	/* One fprintf per message keeps lines whole when threads share stderr. */
	char buf[4096];

	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "%s: %s\n", progname, buf);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(fmt, ap);
	va_end(ap);
}

void
msg_vat(const char *name, size_t line, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (line > 0)
		fprintf(stderr, "%s: %s:%zu: %s\n", progname, name, line, buf);
	else
		fprintf(stderr, "%s: %s: %s\n", progname, name, buf);
}

void
msg_at(const char *name, size_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vat(name, line, fmt, ap);
	va_end(ap);
}

noreturn void
msg_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

noreturn void
msg_oom(void)
{
	msg_die(EXIT_LOCAL, "out of memory");
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		msg_oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		msg_oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		msg_oom();
	return p;
}

void
xgrow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > ((size_t)-1 / 2) / size)
			msg_oom();
		ncap *= 2;
	}
	*p = xrealloc(*p, ncap * size);
	*cap = ncap;
}

char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		msg_oom();
	return d;
}

int
msg_close_stdout(void)
{
	int failed = ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	if (failed) {
		/* EPIPE: the reader went away, which a filter takes quietly. */
		if (errno == EPIPE)
			return 1;
		msg_warn("write error on stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}
