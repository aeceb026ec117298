/* csv.c — RFC 4180 CSV records from a buffer in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "msg.h"

void
csv_init(struct csv *c, const char *p, size_t len)
{
	memset(c, 0, sizeof *c);
	c->p = p;
	c->end = p + len;
	c->next_line = 1;
}

/* Skips the rest of a bad record, to the end of its line. */
static void
skip_line(struct csv *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->next_line++;
	}
}

/* One field at c->p into c->text; returns the character that ended it
 * (',' or '\n', or 0 at the end of input), or -1 when malformed. */
static int
field(struct csv *c, char *err, size_t errlen)
{
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			if (c->p >= c->end) {
				snprintf(err, errlen, "unterminated quoted field");
				return -1;
			}
			if (*c->p == '"') {
				if (c->p + 1 < c->end && c->p[1] == '"') {
					buf_addc(&c->text, '"');
					c->p += 2;
					continue;
				}
				c->p++;
				break;
			}
			if (*c->p == '\n')
				c->next_line++;
			buf_addc(&c->text, *c->p++);
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p != ',' && *c->p != '\n') {
			snprintf(err, errlen, "junk after a quoted field");
			return -1;
		}
	} else {
		while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
			if (*c->p == '"' || *c->p == '\0') {
				snprintf(err, errlen, "%s inside an unquoted field",
				    *c->p ? "quote" : "NUL byte");
				return -1;
			}
			if (!(*c->p == '\r' && (c->p + 1 == c->end || c->p[1] == '\n')))
				buf_addc(&c->text, *c->p);
			c->p++;
		}
	}
	buf_addc(&c->text, '\0');
	if (c->p >= c->end)
		return 0;
	return *c->p++;
}

int
csv_next(struct csv *c, char ***fields, size_t *nf, char *err, size_t errlen)
{
	size_t n = 0, i, off;
	int end;

	/* Blank lines are no records. */
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		if (*c->p == '\n')
			c->next_line++;
		c->p++;
	}
	if (c->p >= c->end)
		return 0;
	c->line = c->next_line;
	buf_reset(&c->text);
	do {
		if ((end = field(c, err, errlen)) < 0) {
			skip_line(c);
			return -1;
		}
		n++;
	} while (end == ',');
	if (end == '\n')
		c->next_line++;
	xgrow((void **)&c->f, &c->cap, n, sizeof *c->f);
	for (i = 0, off = 0; i < n; i++) {
		c->f[i] = c->text.p + off;
		off += strlen(c->f[i]) + 1;
	}
	if (c->ncols_header == 0)
		c->ncols_header = n;
	*fields = c->f;
	*nf = n;
	return 1;
}

void
csv_free(struct csv *c)
{
	buf_free(&c->text);
	free(c->f);
}
