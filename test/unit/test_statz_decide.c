/* Unit tests: src/statz/decide.c's scale_decide, the rule the autoscale
 * flow and bench/autoscale share — a table of cases, each the inputs, the
 * decision and the reasons it gives. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "decide.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct decide_case {
	const char *name;
	double per_pod, basis;
	long long min, max, max_step, current;
	double stabilize, t;
	struct past past[4];
	size_t npast;
	long long need, held, desired;
	unsigned why;
};

static const struct decide_case cases[] = {
	{ "need is the basis over the capacity, rounded up",
	  50, 540, 1, 100, 0, 3, 300, 1000, { { 0, 0 } }, 0, 11, 11, 11, 0 },
	{ "a whole number of pods is not rounded up by float noise",
	  0.1, 0.30000000000000004, 1, 100, 0, 3, 300, 1000, { { 0, 0 } }, 0,
	  3, 3, 3, 0 },
	{ "no basis (NaN) needs nothing; the minimum stands",
	  50, NAN, 2, 100, 0, 3, 300, 1000, { { 0, 0 } }, 0, 0, 0, 2,
	  SCALE_MIN },
	{ "max-step limits a scale-up",
	  50, 540, 1, 100, 4, 3, 300, 1000, { { 0, 0 } }, 0, 11, 11, 7,
	  SCALE_STEPPED },
	{ "max-step does not limit a scale-down",
	  50, 40, 1, 100, 1, 10, 300, 1000, { { 0, 0 } }, 0, 1, 1, 1, 0 },
	{ "max caps, after the step",
	  50, 5000, 1, 20, 50, 3, 300, 1000, { { 0, 0 } }, 0, 100, 100, 20,
	  SCALE_STEPPED | SCALE_MAX },
	{ "max caps an unlimited step",
	  50, 5000, 1, 20, 0, 3, 300, 1000, { { 0, 0 } }, 0, 100, 100, 20,
	  SCALE_MAX },
	{ "a decision within the window holds a scale-down",
	  50, 100, 1, 100, 0, 10, 300, 1000, { { 800, 9 }, { 950, 4 } }, 2, 2,
	  9, 9, SCALE_HELD },
	{ "the window's start is inside it, as the HPA's cutoff is",
	  50, 100, 1, 100, 0, 10, 300, 1000, { { 700, 9 } }, 1, 2, 9, 9,
	  SCALE_HELD },
	{ "a decision before the window does not hold",
	  50, 100, 1, 100, 0, 10, 300, 1000, { { 699, 9 } }, 1, 2, 2, 2, 0 },
	{ "a decision after the time decided (a replay) does not hold",
	  50, 100, 1, 100, 0, 10, 300, 1000, { { 1001, 9 } }, 1, 2, 2, 2, 0 },
	{ "held above current is a scale-up, and steps",
	  50, 100, 1, 100, 2, 3, 300, 1000, { { 900, 9 } }, 1, 2, 9, 5,
	  SCALE_HELD | SCALE_STEPPED },
	{ "stabilize 0: only this decision",
	  50, 100, 1, 100, 0, 10, 0, 1000, { { 1000, 9 } }, 1, 2, 9, 9,
	  SCALE_HELD },
};

static void
test_cases(void **state)
{
	struct scale_conf sc;
	struct scale_out o;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		const struct decide_case *c = &cases[i];

		sc.per_pod = c->per_pod;
		sc.min = c->min;
		sc.max = c->max;
		sc.max_step = c->max_step;
		sc.stabilize = c->stabilize;
		sc.current = c->current;
		scale_decide(&sc, c->t, c->basis, c->current, c->past, c->npast,
		    &o);
		if (o.need != c->need || o.held != c->held ||
		    o.desired != c->desired || o.why != c->why)
			fail_msg("%s: need %lld held %lld desired %lld why %u, "
			    "want %lld %lld %lld %u", c->name, o.need, o.held,
			    o.desired, o.why, c->need, c->held, c->desired,
			    c->why);
	}
}

/* However the inputs fall, the decision stays within min and max. */
static void
test_bounds(void **state)
{
	struct scale_conf sc = { 7, 2, 30, 3, 300, 0 };
	struct past past[8];
	struct scale_out o;
	uint64_t s = 88172645463325252ULL;
	int i, k;

	(void)state;
	for (i = 0; i < 10000; i++) {
		long long cur;
		double basis;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		cur = (long long)(s % 60);
		basis = (double)(s >> 20 & 0xffff) / 100;
		for (k = 0; k < 8; k++) {
			past[k].time = 1000 - (double)((s >> (k * 4)) & 0x3ff);
			past[k].need = (long long)((s >> (k * 5)) % 50);
		}
		scale_decide(&sc, 1000, basis, cur, past, 8, &o);
		assert_in_range(o.desired, 2, 30);
		assert_true(o.held >= o.need);
		if (o.desired > cur && o.desired > sc.min)
			assert_true(o.desired - cur <= sc.max_step);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
