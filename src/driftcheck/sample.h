/* sample.h — a drift sample: n rows of k features, read from JSON lines,
 * CSV or .npy, numeric or categorical per feature. */
#ifndef DRIFTCHECK_SAMPLE_H
#define DRIFTCHECK_SAMPLE_H

#include <stddef.h>

enum fmt { FMT_AUTO, FMT_JSONL, FMT_CSV, FMT_NPY };

struct column {
	char *name;
	int categorical;	/* some cell was a string that is no number */
	double *num;		/* numeric cells (NaN in categorical columns) */
	char **str;		/* every cell's text, for categorical columns */
	size_t cap;
};

struct table {
	const char *src;	/* "stdin" or the file name, for messages */
	struct column *col;
	size_t ncol, nrows;
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

enum fmt fmt_parse(const char *s);	/* -1 cast when unknown */
/* Reads a whole sample from path ("-" is stdin). Returns 0, or -1 when
 * the input could not be read at all (reported). Bad rows are reported,
 * skipped and counted in s->bad. */
int sample_read(struct table *s, const char *path, const struct read_conf *c);
void sample_free(struct table *s);
/* Row-major matrix of the numeric columns (caller frees). */
double *sample_matrix(const struct table *s);
/* Turns numeric column c into a categorical one (its values as text). */
void sample_to_text(struct table *s, size_t c);

#endif
