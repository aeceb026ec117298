/* series.h — the one fast reader and writer for series records.
 *
 * Series records are the bulk of all data (DESIGN.md):
 *   {"query":"…","metric":{…},"values":[[1795320000,0.25],[1795320060,"NaN"]]}
 * or, for an instant sample, "value":[t,v]. libjq 1.6 parses ~15 MB/s, so
 * the values array goes through a narrow hand-written scanner; everything
 * else in the record (labels, query, context fields) goes through jv.
 *
 * Values are JSON numbers or numeric strings, including "NaN", "+Inf",
 * "-Inf" (also "Inf", "-inf" as Go's ParseFloat accepts them).
 */
#ifndef OPSPIPE_SERIES_H
#define OPSPIPE_SERIES_H

#include <stddef.h>
#include <stdio.h>
#include <jv.h>

#include "buf.h"

struct sample {
	double t;		/* Unix seconds */
	double v;
};

struct series {
	jv rec;			/* the record without "values"/"value" */
	struct sample *s;	/* samples, in input order */
	size_t n, cap;
	int instant;		/* it held "value":[t,v], not "values" */
	int has_values;		/* it held either */
};

void series_init(struct series *s);
void series_clear(struct series *s);	/* frees rec, keeps the sample buffer */
void series_free(struct series *s);

/*
 * Parses one JSON line (NUL-terminated at line[len]). Returns 0 on success;
 * a JSON object without "values"/"value" also succeeds, with has_values 0.
 * On failure returns -1 and *err is a message naming the field
 * ("field 'values': element 3: value is not a number"); caller frees *err.
 */
int series_parse(struct series *s, const char *line, size_t len, char **err);

/*
 * The fast path on its own: parses "[[t,v],…]" (values) or "[t,v]"
 * (instant) at p, appending samples to s. Returns the position after the
 * array, or NULL with *err set (static string, with the element index in
 * *where).
 */
const char *series_scan_values(struct series *s, const char *p,
    const char *end, const char **err, size_t *where);
const char *series_scan_sample(struct series *s, const char *p,
    const char *end, const char **err);

/*
 * Transcodes a Prometheus result array "[[1795320000,\"0.25\"],…]" (or
 * one "[t,\"v\"]") straight to our output spelling "[[1795320000,0.25],…]"
 * without converting numbers: text is validated and copied. Returns the
 * position after the array or NULL with *err. Appends to out; *count gets
 * the number of samples, *first and *last the first and last timestamps.
 */
const char *series_transcode(struct buf *out, const char *p, const char *end,
    int instant, size_t *count, double *first, double *last,
    const char **err);

/* Parses a value (number, numeric string, "NaN", "±Inf"). 0 or -1. */
int series_value(jv v, double *out);
/* The same for a value spelled as text (a CSV cell): decimal only, so
 * "0x10", "1e", " 5" and "infinity!" are not numbers. 0 or -1. */
int series_value_text(const char *s, size_t len, double *out);
/* Parses a JSON number's text (strict grammar), fast and correctly rounded. */
const char *json_number(const char *p, const char *end, double *out);
/* The end of a JSON number's text (RFC 8259 grammar) at p, or NULL. */
const char *json_number_end(const char *p, const char *end);

/* Writes rec + "values" (or "value") as one line. 0, or -1 on error. */
int series_write(FILE *fp, const struct series *s);
/* Appends the values array text ("[[t,v],…]", or "[t,v]" when instant). */
void series_dump_values(struct buf *b, const struct series *s);

/*
 * Number spelling shared by every writer: the shortest text that reads
 * back to the same double; NaN/±Inf as the JSON strings "NaN", "+Inf",
 * "-Inf". Times with at most millisecond precision. Returns length.
 */
size_t fmt_value(char *buf, double v);		/* buf >= 32 bytes */
size_t fmt_time(char *buf, double t);		/* buf >= 32 bytes */
/* A value as jv: a number, or the string spelling for NaN/±Inf. */
jv jv_value(double v);

#endif
