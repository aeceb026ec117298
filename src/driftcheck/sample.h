/* sample.h — a drift sample: n rows of k features, read from JSON lines,
 * CSV or .npy.
 *
 * Reading keeps every cell: a number, or the text of a string that is no
 * number. Whether a feature is numeric or categorical is decided after
 * both samples are read (sample_to_text, sample_reject_text), because one
 * text cell must not decide it: "N/A" in a column of numbers is bad
 * input, not a category.
 */
#ifndef DRIFTCHECK_SAMPLE_H
#define DRIFTCHECK_SAMPLE_H

#include <stddef.h>

enum fmt { FMT_AUTO, FMT_JSONL, FMT_CSV, FMT_NPY };

struct column {
	char *name;
	int categorical;	/* compared as categories (sample_to_text) */
	double *num;		/* each cell's number; NaN for a text cell */
	char **str;		/* text cells' text, NULL for numbers (every
				 * cell's text once categorical); NULL while
				 * the column has no text */
	size_t ntext;		/* cells holding text that is no number */
	size_t cap;
};

struct table {
	const char *src;	/* "stdin" or the file name, for messages */
	struct column *col;
	size_t ncol, nrows;
	size_t *line;		/* each row's line (.npy: row, from 1) */
	size_t linecap;
	int named;		/* names came from the input (header, keys) */
	unsigned long bad;	/* rows reported and skipped */
	unsigned long dropped;	/* rows with NaN dropped on request */
	unsigned long series;	/* series records read */
};

struct read_conf {
	enum fmt fmt;
	char **features;	/* --features a,b,c (NULL: all) */
	size_t nfeatures;
	int drop_nan;		/* drop rows with NaN/Inf instead of rejecting */
};

/* The --format words, in enum fmt's order; NULL-ended. */
extern const char *const fmt_names[];
/* Reads a whole sample from path ("-" is stdin). Returns 0, or -1 when
 * the input could not be read at all (reported). Bad rows are reported,
 * skipped and counted in s->bad. */
int sample_read(struct table *s, const char *path, const struct read_conf *c);
void sample_free(struct table *s);
/* Row-major matrix of the numeric columns (caller frees). */
double *sample_matrix(const struct table *s);
/*
 * When every cell of column c in a and b is text, and all of it is a
 * number written another way — a decimal comma ("1,5"), thousands
 * separators ("1.234.567", "1 234,5"), hex ("0x1F") — one of those
 * texts (borrowed), else NULL: a column of numbers exported in another
 * locale, not categories.
 */
const char *sample_numeric_text(const struct table *a, const struct table *b,
    size_t c);
/* Makes column c categorical: numbers become their text. */
void sample_to_text(struct table *s, size_t c);
/*
 * The columns with numeric[c] set are numeric: a row with text in any of
 * them is reported as bad input with its line and field and removed, or
 * with drop set, removed and counted in s->dropped.
 */
void sample_reject_text(struct table *s, const int *numeric, int drop);

#endif
