/* statz.h — what statz's files share: the parsed options and one
 * series' samples ready for the statistics. */
#ifndef STATZ_H
#define STATZ_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"
#include "decide.h"
#include "stats.h"

enum model { MODEL_LINEAR, MODEL_HOLT, MODEL_HW };

struct conf {
	double pct[32];			/* percentiles as quantiles (0..1) */
	char pct_key[32][24];		/* "p50", "p99.9" */
	size_t npct;
	char **by;			/* --by labels */
	size_t nby;
	int all;
	int keep_values;
	const char *field, *time;	/* --field, --time jq programs */
	int anomalies;			/* --anomalies given */
	enum anom_method method;
	double threshold;		/* < 0: the method's default */
	size_t window;			/* 0: judge against the whole series */
	int forecast;			/* --forecast given */
	double horizon;			/* seconds */
	enum model model;
	int has_at;
	double at;
	double sf, tf;			/* < 0: fit */
	double season;			/* seconds, 0: none */
	double alpha, beta, gamma;	/* < 0: fit */
	double level;			/* prediction interval probability */
	size_t top;			/* --top N, 0: every series */
	int peak;			/* --peak */
	int fallback;			/* --fallback */
	double every;			/* --every: seconds, 0: one anchor */
	double history;			/* --history: seconds, 0: all */
	double refit;			/* --refit: seconds, 0: every anchor */
	struct scale_conf scale;	/* --per-pod and its options */
};

/* One series' usable samples: NaN dropped (counted), sorted by time. */
struct data {
	double *t, *v;
	size_t n, cap;
	size_t nan;
	double *sorted;			/* v sorted, scratch for quantiles */
	double *scratch;
	size_t scap;
	size_t anomalies;		/* found by anomalies_add */
};

/*
 * Times statz can compute with: years 1 to 9999, as promq has them. Past
 * that, milliseconds overflow the int64 Prometheus keeps times in (and a
 * time in milliseconds given as seconds lands here, which is worth
 * saying rather than computing on).
 */
#define STATZ_MIN_TIME (-62135596800.0)	/* 0001-01-01T00:00:00Z */
#define STATZ_MAX_TIME 253402300799.0	/* 9999-12-31T23:59:59Z */
int time_in_range(double t);
struct series;
/* 0, or -1 with why naming the first sample whose time is out of range. */
int series_times_ok(const struct series *s, char *why, size_t whylen);

void data_reset(struct data *d);
void data_free(struct data *d);
/* Appends a sample; NaN values are only counted. */
void data_push(struct data *d, double t, double v);
/*
 * Puts the samples in time order. Returns 1 if they were not (sorted then;
 * with dedup set, samples repeating a timestamp are dropped after the
 * first, as Prometheus keeps the first), else 0.
 */
int data_order(struct data *d, int dedup);

/* Appends ,"count":…,… for d to b (b holds an open JSON object).
 * Returns -1 with a message for the user in why when a part failed. */
int summary_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen);

/* The "anomalies" and "anomaly_count" members; the count in
 * d->anomalies too. */
void anomalies_add(struct buf *b, const struct conf *c, struct data *d);
/* Only how many there are (--top ranks before it formats). */
size_t anomalies_count(const struct conf *c, struct data *d);
/* d->sorted: a sorted copy of the values. */
void data_sort_copy(struct data *d);
/* The "forecast" member; -1 with *why when the model cannot run. */
int forecast_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen);
/*
 * What a backtest carries from anchor to anchor: the smoothing parameters
 * fitted last (for the model and season they were fitted for) and where.
 * With reuse set by the caller they stand in for the free parameters
 * instead of a new fit; otherwise a fit stores its result here.
 */
struct fitmemo {
	int valid, reuse;
	enum model model;
	size_t m;			/* holt-winters' period, else 0 */
	double p[3];
	double at;			/* the anchor of that fit */
};
/* forecast_add, remembering or reusing the fit in memo (may be NULL). */
int forecast_run(struct buf *b, const struct conf *c, struct data *d,
    struct fitmemo *memo, char *why, size_t whylen);
/*
 * --every: b holds the passed-through record, reopened; writes one whole
 * record (and newline) per anchor instead. -1 with *why when an anchor's
 * forecast failed (its record is still written, forecast null) or there
 * was no anchor at all.
 */
int backtest_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen);

/* Number spelling for output: null for "no value". */
void put_num(struct buf *b, const char *key, double v);
void put_null(struct buf *b, const char *key);
void put_time(struct buf *b, const char *key, double t);

/* ,"values":[[t,v],…] of the usable samples. */
void data_dump_values(struct buf *b, const struct data *d);

/* The keys statz writes, removed from a passed-through record first. */
jv strip_keys(jv rec, const struct conf *c);

#endif
