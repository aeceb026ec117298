/* backtest.c — --every: the forecast from every anchor along a series, each
 * record what a run with --at ANCHOR would print on the samples up to the
 * anchor (the last --history of them), so a week of forecasts costs one
 * pass instead of ten thousand runs over ten thousand windows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "statz.h"

/* One anchor's record: prefix, statistics, forecast, end of line. */
static int
anchor_record(struct buf *b, const struct conf *ca, struct data *w,
    struct fitmemo *memo, const char *pre, size_t prelen, char *why,
    size_t whylen)
{
	struct conf cs = *ca;
	size_t mark = b->len;
	int rc = 0;

	buf_add(b, pre, prelen);
	cs.forecast = 0;	/* summary_add's forecast would refit */
	summary_add(b, &cs, w, why, whylen);
	if (w->n > 0)
		rc = forecast_run(b, ca, w, memo, why, whylen);
	else
		put_null(b, "forecast");
	buf_addc(b, '}');
	/* A record that passed nothing through: "{,"count"" loses its comma. */
	if (prelen == 1) {
		memmove(b->p + mark + 1, b->p + mark + 2, b->len - mark - 1);
		b->len--;
	}
	buf_addc(b, '\n');
	return rc;
}

int
backtest_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen)
{
	struct conf ca = *c;
	struct data w = { 0 };
	struct fitmemo memo = { 0 };
	char *pre = xmalloc(b->len + 1), first[200] = "";
	size_t prelen = b->len, lo = 0, hi = 0, failed = 0;
	double start, a;
	unsigned long long k;

	memcpy(pre, b->p, prelen);
	buf_reset(b);
	ca.has_at = 1;
	start = c->has_at ? c->at : d->n > 0 ? d->t[0] : 0;
	w.sorted = xmalloc((d->n + 1) * sizeof *w.sorted);
	w.scratch = xmalloc((d->n + 1) * sizeof *w.scratch);
	w.scap = d->n;
	w.nan = d->nan;
	/* Anchors start + k·every, computed so, not summed: no drift. */
	for (k = 0; d->n > 0 && (a = start + (double)k * c->every) <=
	    d->t[d->n - 1]; k++) {
		while (hi < d->n && d->t[hi] <= a)
			hi++;
		/* [a - history, a], as a range query from a - history to a */
		while (c->history > 0 && lo < hi && d->t[lo] < a - c->history)
			lo++;
		w.t = d->t + lo;
		w.v = d->v + lo;
		w.n = hi - lo;
		ca.at = a;
		memo.reuse = memo.valid && a - memo.at < c->refit;
		if (anchor_record(b, &ca, &w, &memo, pre, prelen, why,
		    whylen) != 0 && failed++ == 0)
			snprintf(first, sizeof first, "%s", why);
		why[0] = '\0';
	}
	if (failed > 0)
		snprintf(why, whylen, "%s (%zu anchor%s)", first, failed,
		    failed == 1 ? "" : "s");
	else if (k == 0)
		snprintf(why, whylen, "--every: no anchor: %s", d->n == 0 ?
		    "the series has no samples" : "--at is after the last "
		    "sample");
	free(w.sorted);
	free(w.scratch);
	free(pre);
	return failed > 0 || k == 0 ? -1 : 0;
}
