/* batch.h — series records in batches, computed in parallel, written in
 * input order. */
#ifndef STATZ_BATCH_H
#define STATZ_BATCH_H

#include "jsonl.h"
#include "statz.h"

struct batch;

struct batch *batch_new(const struct conf *c);
/*
 * Reads r to its end, one stats record per series record. Problems are
 * reported with their line; *warned_order keeps the "out of order" note
 * to once per run. Returns the number of bad lines.
 */
unsigned long batch_run(struct batch *b, struct jsonl *r, int *warned_order);
/* After the last input: with --top, writes the records kept. 0, or -1
 * on a write error. */
int batch_end(struct batch *b);
void batch_free(struct batch *b);

#endif
