/* field.h — numbers and times out of arbitrary JSON lines, by jq. */
#ifndef STATZ_FIELD_H
#define STATZ_FIELD_H

#include <jq.h>

#include "jsonl.h"

/* Compiles program for --opt; a bad program exits 2 with jq's message. */
jq_state *field_compile(const char *opt, const char *program);
/*
 * The first output of the --field program on input (consumed) as a
 * number: 1 with *x, 0 when it gave nothing (the line is skipped),
 * -1 after reporting the line.
 */
int field_number(struct jsonl *r, jq_state *jq, const char *prog, jv input,
    double *x);
/* The --time program's first output, Unix seconds or RFC 3339: 1 with
 * *t, or -1 after reporting the line. */
int field_time(struct jsonl *r, jq_state *jq, const char *prog, jv input,
    double *t);

#endif
