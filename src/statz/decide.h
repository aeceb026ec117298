/* decide.h — --per-pod: scale decisions from forecast records.
 *
 * One rule, shared by the autoscale flow (one decision a run, the recent
 * ones fed back on input) and bench/autoscale (a week of decisions in one
 * stream): how many replicas the load now and the forecast's upper bound
 * over the horizon need, scaled up at once (at most max_step more), scaled
 * down only when every decision within the stabilisation window agrees
 * (the HorizontalPodAutoscaler's rule), kept within min and max.
 */
#ifndef STATZ_DECIDE_H
#define STATZ_DECIDE_H

#include <stddef.h>

struct jsonl;
struct conf;

struct scale_conf {
	double per_pod;			/* load one replica carries; 0: off */
	long long min, max;		/* replicas */
	long long max_step;		/* most replicas added a decision; 0: any */
	double stabilize;		/* seconds a scale-down must be agreed */
	long long current;		/* replicas now, < 0: not given */
};

/* An earlier decision, as the stabilisation window needs it. */
struct past {
	double time;
	long long need;
};

/* What made the decision what it is (flags of scale_out.why). */
enum {
	SCALE_HELD = 1,		/* a recent decision needed more */
	SCALE_STEPPED = 2,	/* max_step cut the scale-up */
	SCALE_MIN = 4,		/* raised to min */
	SCALE_MAX = 8		/* capped at max */
};

struct scale_out {
	long long need;		/* what the load and the forecast need */
	long long held;		/* the most any decision in the window needs */
	long long desired;
	unsigned why;
};

/*
 * The decision at time t for basis, the larger of the load now and the
 * forecast's upper bound (NaN: neither is known, need 0), with current
 * replicas running; past holds earlier decisions (those outside
 * [t - stabilize, t] are ignored).
 */
void scale_decide(const struct scale_conf *sc, double t, double basis,
    long long current, const struct past *past, size_t npast,
    struct scale_out *out);

/*
 * The --per-pod mode: reads r to its end. A record with "forecast" (statz
 * --forecast D --peak) is decided, in input order, and its decision
 * record written; a record with "need" and "time" (an earlier decision
 * record) joins the window. Returns the number of bad lines.
 */
struct decider;
struct decider *decider_new(const struct conf *c);
unsigned long decider_run(struct decider *dc, struct jsonl *r);
void decider_free(struct decider *dc);

#endif
