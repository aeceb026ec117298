/* jsonl.h — JSON lines in and out, on libjq's jv.
 *
 * jv ownership (jq's rule): every jv_* function consumes its arguments,
 * except jv_copy. Borrowing exceptions: jv_get_kind, jv_string_value,
 * jv_number_value, jv_object_iter*, jv_is_valid. Consuming but returning
 * plain values: jv_array_length, jv_string_length_bytes, jv_equal,
 * jv_object_has. Functions here say whether they consume.
 *
 * Lines: CRLF is accepted, blank lines are skipped, any length is read
 * (memory grows to the longest line), a NUL byte or a syntax error makes a
 * bad line, reported as "PROG: NAME:LINE: message" and skipped; invalid
 * UTF-8 inside strings is replaced by U+FFFD as jq does.
 */
#ifndef OPSPIPE_JSONL_H
#define OPSPIPE_JSONL_H

#include <stdio.h>
#include <jv.h>

struct jsonl;

/* name is used in diagnostics: "stdin", a file name. Never NULL. */
struct jsonl *jsonl_open(FILE *fp, const char *name);
/* Opens a file by name ("-" is stdin); NULL with a message on failure. */
struct jsonl *jsonl_open_path(const char *path);
void jsonl_close(struct jsonl *r);

/*
 * The next non-blank line, CR stripped, NUL-terminated (it may hold NULs
 * before its end: use *len). Returns 1, or 0 at end of input or after a
 * read error ("PROG: NAME: read error: …", reported once; see
 * jsonl_error). The line stays valid until the next call.
 */
int jsonl_getline(struct jsonl *r, const char **line, size_t *len);

/*
 * The next JSON value: 1 with *out set (caller owns it), 0 at end, -1 for
 * a bad line, already reported; the caller just goes on.
 */
int jsonl_next(struct jsonl *r, jv *out);

/* Parses one line as exactly one JSON value; jv_invalid_with_msg if not. */
jv jsonl_parse(const char *line, size_t len);

size_t jsonl_lineno(const struct jsonl *r);
const char *jsonl_name(const struct jsonl *r);
/* How many lines were bad (reported) so far: a nonzero count means exit 2. */
unsigned long jsonl_bad(const struct jsonl *r);
/* Nonzero when a read error (a directory, an I/O error) ended the input
 * early, already reported: bad input too, exit 2. */
int jsonl_error(const struct jsonl *r);
/* Reports a problem with the current line: "PROG: NAME:LINE: msg", counts it. */
void jsonl_warn(struct jsonl *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes v (consumed) as one compact line. Returns 0, or -1 on error. */
int jsonl_write(FILE *fp, jv v);
/* Appends v's compact text (v consumed) to a buf. */
struct buf;
void jsonl_dump(struct buf *b, jv v);

/* Convenience getters that borrow obj: NULL / dflt when absent or wrong. */
const char *jv_get_str(jv obj, const char *key);
int jv_get_num(jv obj, const char *key, double *out);

#endif
