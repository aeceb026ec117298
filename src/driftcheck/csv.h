/* csv.h — RFC 4180 CSV records from a buffer in memory.
 *
 * Fields are separated by commas, records by LF or CRLF; a field may be
 * quoted with '"', a quote inside doubled. Blank lines are skipped.
 */
#ifndef DRIFTCHECK_CSV_H
#define DRIFTCHECK_CSV_H

#include <stddef.h>

#include "buf.h"

struct csv {
	const char *p, *end;
	size_t line;		/* line where the last record started */
	size_t next_line;
	size_t ncols_header;	/* fields in the first record */
	struct buf text;	/* the fields, NUL-separated */
	char **f;
	size_t cap;
};

void csv_init(struct csv *c, const char *p, size_t len);
/* 1 with the record's fields (valid until the next call), 0 at the end,
 * -1 for a malformed record (message in err; the reader goes on after it). */
int csv_next(struct csv *c, char ***fields, size_t *nf, char *err,
    size_t errlen);
void csv_free(struct csv *c);

#endif
