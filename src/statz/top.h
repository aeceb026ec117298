/* top.h — --top N: only the N most interesting series, best first.
 *
 * "Interesting" is what a person scanning a dashboard wants first: the
 * most anomalies (with --anomalies), then the most changes of a state-
 * like series (at most TOP_STATES distinct values: up, a health flag —
 * flapping), then input order. Memory is N records; a record that cannot
 * enter any more is never formatted whole.
 */
#ifndef STATZ_TOP_H
#define STATZ_TOP_H

#include <stddef.h>
#include <stdio.h>

#include "statz.h"

#define TOP_STATES 4

struct top_key {
	size_t anomalies;
	size_t changes;			/* 0 unless state-like */
	unsigned long long seq;		/* input order */
};

struct top;

struct top *top_new(size_t k);
void top_free(struct top *t);
/* The key of one series' ordered samples (anomalies counted in d). */
void top_key_of(const struct data *d, unsigned long long seq,
    struct top_key *key);
/* Could key still enter? (Thread-safe; a no only stays a no.) */
int top_wants(struct top *t, const struct top_key *key);
/* Offers a record's text; kept (copied) when among the best k. */
void top_offer(struct top *t, const struct top_key *key, const char *text,
    size_t len);
/* Writes the kept records, best first. 0, or -1 on a write error. */
int top_write(struct top *t, FILE *fp);

#endif
