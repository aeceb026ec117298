/* anomaly.c — --anomalies zscore|mad|iqr, over the whole series or a
 * rolling window of the samples before each one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "series.h"
#include "statz.h"

static double
threshold(const struct conf *c)
{
	static const double dflt[] = { 3, 3.5, 1.5 };

	return c->threshold >= 0 ? c->threshold : dflt[c->method];
}

static void
put_anomaly(struct buf *b, size_t *count, double t, double v, double score)
{
	char num[32];

	buf_adds(b, *count ? ",[" : "[");
	buf_add(b, num, fmt_time(num, t));
	buf_addc(b, ',');
	buf_add(b, num, fmt_value(num, v));
	buf_addc(b, ',');
	buf_add(b, num, fmt_value(num, score));
	buf_addc(b, ']');
	(*count)++;
}

/* The reference for sample i: the window before it, sorted in win. */
static void
window_ref(struct anom_ref *r, const struct conf *c, struct data *d,
    size_t i, double *win)
{
	size_t w = c->window;

	memcpy(win, d->v + i - w, w * sizeof *win);
	if (c->method != ANOM_ZSCORE)
		stats_sort(win, w);
	anom_ref_sorted(r, c->method, win, w, d->scratch);
}

/* Scores every sample; the anomalies go to b, or are only counted when
 * b is NULL. Returns the count. */
static size_t
scan(struct buf *b, const struct conf *c, struct data *d)
{
	struct anom_ref ref;
	double k = threshold(c), score, *win = NULL;
	size_t i, count = 0, from = 0;

	if (c->window > 0) {
		win = xmalloc(c->window * sizeof *win);
		from = c->window;
	} else {
		/* d->sorted holds the sorted values (summary_add). */
		anom_ref_sorted(&ref, c->method,
		    c->method == ANOM_ZSCORE ? d->v : d->sorted, d->n,
		    d->scratch);
	}
	for (i = from; i < d->n; i++) {
		if (win)
			window_ref(&ref, c, d, i, win);
		score = anom_score(&ref, d->v[i]);
		if (fabs(score) <= k)
			continue;
		if (b != NULL)
			put_anomaly(b, &count, d->t[i], d->v[i], score);
		else
			count++;
	}
	free(win);
	return count;
}

void
anomalies_add(struct buf *b, const struct conf *c, struct data *d)
{
	buf_adds(b, ",\"anomalies\":[");
	d->anomalies = scan(b, c, d);
	buf_printf(b, "],\"anomaly_count\":%zu", d->anomalies);
}

size_t
anomalies_count(const struct conf *c, struct data *d)
{
	if (d->n == 0)
		return 0;
	if (c->method != ANOM_ZSCORE && c->window == 0)
		data_sort_copy(d);
	return scan(NULL, c, d);
}
