/* yamlemit.h — new values written as YAML text, in the style of the file
 * they go into.
 *
 * A scalar is written plain only when it reads back as itself both in
 * kubectl (Go's yaml.v2, YAML 1.1) and in PyYAML (which the tests and many
 * tools use): "yes", "1:20", "0777", "2024-01-01" and "1e3" are quoted.
 * Strings with line breaks become literal block scalars in block context.
 * All functions borrow their jv arguments.
 */
#ifndef K8SPATCH_YAMLEMIT_H
#define K8SPATCH_YAMLEMIT_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"

struct yemit {
	const char *eol;	/* "\n" or "\r\n", as the file has them */
	size_t step;		/* how much deeper a nested mapping's keys go */
	size_t seq_off;		/* how much deeper a list's dashes go than
				 * the key they are under (often 0) */
};

/* Whether s, written plain, reads back as the string s (flow: inside
 * [ ] or { }, where ",[]{}" end a plain scalar). */
int yemit_plain_ok(const char *s, size_t len, int flow);

/* A number as YAML reads it back (1e+100 is written 1.0e+100). */
void yemit_number(struct buf *b, double d);

/* "…" with YAML escapes. */
void yemit_double(struct buf *b, const char *s, size_t len);

/* '…'; -1 (nothing written) when s has a line break or a control
 * character. */
int yemit_single(struct buf *b, const char *s, size_t len);

/*
 * A literal block scalar ("|" or "|-", ">" and ">-" when folded is set
 * and s is one line) whose lines are indented by indent spaces; its last
 * line has no line break (the text after it supplies one). -1, nothing
 * written, when s cannot be one (it ends with two line breaks, its first
 * line starts with a space, it has control characters, a blank line made
 * of spaces).
 */
int yemit_block(struct buf *b, const struct yemit *e, const char *s, size_t len,
    int folded, size_t indent);

/* A scalar on one line: plain when it reads back, else double-quoted. */
void yemit_scalar(struct buf *b, jv v, int flow);

/* A mapping key. */
void yemit_key(struct buf *b, const char *key, size_t len);

/* v in flow style: {a: 1, b: [x, y]}; with json set, keys and strings
 * double-quoted as in JSON ({"a": 1, "b": ["x", "y"]}). */
void yemit_flow(struct buf *b, jv v, int json);

/*
 * What follows "key:" for a key at column col: " value", " |" and a block,
 * or a line break and the nested mapping or list. No final line break.
 */
void yemit_after_key(struct buf *b, const struct yemit *e, jv v, size_t col);

/*
 * What follows a list item's "-" whose content starts at column col:
 * " value", or " first: 1" then the other keys at col.
 */
void yemit_item(struct buf *b, const struct yemit *e, jv v, size_t col);

/* The entries of a mapping, one "key: value" per line at column col (the
 * first without its indentation when first_inline is set). */
void yemit_map_lines(struct buf *b, const struct yemit *e, jv obj, size_t col,
    int first_inline);

/* The items of a list, one "- item" per line at column col. */
void yemit_seq_lines(struct buf *b, const struct yemit *e, jv arr, size_t col,
    int first_inline);

/* n spaces. */
void yemit_indent(struct buf *b, size_t n);

#endif
