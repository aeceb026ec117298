/* decide.c — --per-pod: forecast records in, scale decision records out.
 * The rule is scale_decide(); the rest reads and writes records. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decide.h"
#include "jsonl.h"
#include "msg.h"
#include "statz.h"
#include "timeutil.h"

void
scale_decide(const struct scale_conf *sc, double t, double basis,
    long long current, const struct past *past, size_t npast,
    struct scale_out *out)
{
	double pods = basis / sc->per_pod;
	size_t i;

	memset(out, 0, sizeof *out);
	/* A hair of slack: 400 / 50 computed as 8.000000000000002 needs 8. */
	if (pods > 0)
		out->need = pods >= 1e15 ? 1000000000000000LL :
		    (long long)ceil(pods - 1e-9);
	out->held = out->need;
	/* The HPA's scale-down stabilisation: the most any decision in the
	 * window (its start included, as the HPA's cutoff is) needed. */
	for (i = 0; i < npast; i++)
		if (past[i].time >= t - sc->stabilize && past[i].time <= t &&
		    past[i].need > out->held)
			out->held = past[i].need;
	if (out->held > out->need)
		out->why |= SCALE_HELD;
	out->desired = out->held;
	if (out->desired > current && sc->max_step > 0 &&
	    out->desired - current > sc->max_step) {
		out->desired = current + sc->max_step;
		out->why |= SCALE_STEPPED;
	}
	if (out->desired < sc->min) {
		out->desired = sc->min;
		out->why |= SCALE_MIN;
	}
	if (out->desired > sc->max) {
		out->desired = sc->max;
		out->why |= SCALE_MAX;
	}
}

struct decider {
	const struct conf *c;
	struct past *past;
	size_t npast, cap;
	long long prev;		/* the last decision's desired, -1: none */
	int decided;		/* a record was decided already */
};

struct decider *
decider_new(const struct conf *c)
{
	struct decider *dc = xcalloc(1, sizeof *dc);

	dc->c = c;
	dc->prev = -1;
	return dc;
}

void
decider_free(struct decider *dc)
{
	if (dc == NULL)
		return;
	free(dc->past);
	free(dc);
}

/* A member that is a number or a numeric string ("NaN", "+Inf" too):
 * 1 with *out, 0 when absent or null, -1 when something else. */
static int
number(jv obj, const char *key, double *out)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	char *end;
	int rc = -1;

	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		*out = jv_number_value(v);
		rc = 1;
		break;
	case JV_KIND_STRING:
		*out = strtod(jv_string_value(v), &end);
		if (end != jv_string_value(v) && *end == '\0')
			rc = 1;
		break;
	case JV_KIND_NULL:
	case JV_KIND_INVALID:
		rc = 0;
		break;
	default:
		break;
	}
	jv_free(v);
	return rc;
}

/* Keeps the window: decisions older than any later one can use go. */
static void
remember(struct decider *dc, double t, long long need)
{
	size_t i, j;

	for (i = j = 0; i < dc->npast; i++)
		if (dc->past[i].time >= t - dc->c->scale.stabilize)
			dc->past[j++] = dc->past[i];
	dc->npast = j;
	if (dc->npast == dc->cap)
		xgrow((void **)&dc->past, &dc->cap, dc->npast + 1,
		    sizeof *dc->past);
	dc->past[dc->npast].time = t;
	dc->past[dc->npast].need = need;
	dc->npast++;
}

/* An earlier decision record (borrowed): its time, need and desired. */
static int
past_record(struct decider *dc, struct jsonl *r, jv rec)
{
	const char *ts = jv_get_str(rec, "time");
	double t, need, desired;

	if (ts == NULL || time_parse(ts, time_now(), &t) != 0) {
		if (number(rec, "time", &t) != 1) {
			jsonl_warn(r, "field 'time' is not a time");
			return -1;
		}
	}
	if (number(rec, "need", &need) != 1 || need < 0 || need != floor(need)) {
		jsonl_warn(r, "field 'need' is not a replica count");
		return -1;
	}
	if (number(rec, "desired", &desired) == 1 && desired >= 0 &&
	    desired == floor(desired))
		dc->prev = (long long)desired;
	remember(dc, t, (long long)need);
	return 0;
}

/* The forecast's numbers the decision uses; the record's forecast member
 * is copied from these keys only. */
static const char *const fc_keys[] = { "model", "horizon", "at", "value",
    "lower", "upper", "peak", "peak_upper", "fallback", NULL };

struct basis {
	double t, load, peak, upper, horizon;
	jv fc;			/* the forecast member of the decision */
};

/* Reads the load, the forecast and the time of a forecast record. */
static int
read_basis(struct jsonl *r, jv rec, struct basis *bs)
{
	jv fc = jv_object_get(jv_copy(rec), jv_string("forecast"));
	double at, end;
	const char *const *k;
	int rc = -1;

	bs->load = bs->peak = bs->upper = bs->horizon = NAN;
	bs->fc = jv_null();
	if (number(rec, "last", &bs->load) < 0) {
		jsonl_warn(r, "field 'last' is not a number");
		goto out;
	}
	if (jv_get_kind(fc) == JV_KIND_OBJECT) {
		if (number(fc, "peak", &bs->peak) != 1 ||
		    number(fc, "horizon", &bs->horizon) != 1 ||
		    number(fc, "at", &at) != 1) {
			jsonl_warn(r, "field 'forecast' has no 'peak', 'horizon' "
			    "and 'at': make it with statz --forecast D --peak");
			goto out;
		}
		if (number(fc, "peak_upper", &bs->upper) != 1)
			bs->upper = NAN;
		bs->t = at - bs->horizon;
		bs->fc = jv_object();
		for (k = fc_keys; *k; k++) {
			jv v = jv_object_get(jv_copy(fc), jv_string(*k));

			if (jv_is_valid(v))
				bs->fc = jv_object_set(bs->fc, jv_string(*k), v);
			else
				jv_free(v);
		}
	} else if (jv_get_kind(fc) != JV_KIND_NULL) {
		jsonl_warn(r, "field 'forecast' is not an object or null");
		goto out;
	} else if (number(rec, "end", &end) == 1) {
		bs->t = end;
	} else {
		jsonl_warn(r, "no forecast and no 'end': the record has no time");
		goto out;
	}
	rc = 0;
out:
	jv_free(fc);
	return rc;
}

static double
larger(double a, double b)
{
	return isnan(a) ? b : isnan(b) ? a : a > b ? a : b;
}

/* The decision in words: what it is based on, then what it does and why. */
static void
reason(struct buf *b, const struct scale_conf *sc, const struct basis *bs,
    long long current, const struct scale_out *o)
{
	char h[32];

	buf_reset(b);
	if (!isnan(bs->load))
		buf_printf(b, "load %.6g now", bs->load);
	if (!isnan(bs->horizon)) {
		dur_format(bs->horizon, h, sizeof h);
		buf_printf(b, "%sforecast up to %.6g within %s (%s%s", b->len ?
		    ", " : "", isnan(bs->upper) ? bs->peak : bs->upper, h,
		    isnan(bs->upper) ? "" : "upper bound, ", jv_get_str(bs->fc,
		    "model") ? jv_get_str(bs->fc, "model") : "?");
		if (jv_get_str(bs->fc, "fallback"))
			buf_printf(b, ": %s", jv_get_str(bs->fc, "fallback"));
		buf_addc(b, ')');
	} else {
		buf_printf(b, "%sno forecast", b->len ? ", " : "");
	}
	buf_printf(b, ": %lld replica%s of %.6g", o->need, o->need == 1 ? "" :
	    "s", sc->per_pod);
	if (o->desired > current)
		buf_printf(b, "; scale up from %lld to %lld", current,
		    o->desired);
	else if (o->desired < current)
		buf_printf(b, "; scale down from %lld to %lld", current,
		    o->desired);
	else
		buf_printf(b, "; keep %lld", current);
	if (o->why & SCALE_STEPPED)
		buf_printf(b, ", at most %lld more a decision", sc->max_step);
	if (o->why & SCALE_HELD) {
		dur_format(sc->stabilize, h, sizeof h);
		buf_printf(b, ", as a decision within the last %s needed %lld",
		    h, o->held);
	}
	if (o->why & SCALE_MIN)
		buf_printf(b, ", raised to the minimum of %lld", sc->min);
	if (o->why & SCALE_MAX)
		buf_printf(b, ", capped at the maximum of %lld", sc->max);
}

static jv
num_or_null(double v)
{
	return isfinite(v) ? jv_number(v) : jv_null();
}

/* A forecast record (borrowed): decides it, writes the decision record. */
static int
decide_record(struct decider *dc, struct jsonl *r, jv rec)
{
	const struct scale_conf *sc = &dc->c->scale;
	struct basis bs;
	struct scale_out o;
	struct buf why = BUF_INIT;
	long long current;
	char ts[40];
	jv out;

	if (read_basis(r, rec, &bs) != 0)
		return -1;
	current = !dc->decided && sc->current >= 0 ? sc->current : dc->prev;
	if (current < 0) {
		jsonl_warn(r, "no --current and no decision before this record: "
		    "how many replicas run is not known");
		jv_free(bs.fc);
		return -1;
	}
	scale_decide(sc, bs.t, larger(bs.load, larger(bs.peak, bs.upper)),
	    current, dc->past, dc->npast, &o);
	remember(dc, bs.t, o.need);
	dc->prev = o.desired;
	dc->decided = 1;
	reason(&why, sc, &bs, current, &o);
	time_format(floor(bs.t * 1000) / 1000, ts, sizeof ts);
	out = jv_object_delete(strip_keys(jv_copy(rec), dc->c),
	    jv_string("forecast"));
	out = jv_object_set(out, jv_string("time"), jv_string(ts));
	out = jv_object_set(out, jv_string("load"), num_or_null(bs.load));
	out = jv_object_set(out, jv_string("current"), jv_number(current));
	out = jv_object_set(out, jv_string("forecast"), bs.fc);
	out = jv_object_set(out, jv_string("per_pod"), jv_number(sc->per_pod));
	out = jv_object_set(out, jv_string("need"), jv_number(o.need));
	out = jv_object_set(out, jv_string("desired"), jv_number(o.desired));
	out = jv_object_set(out, jv_string("applied"), jv_false());
	out = jv_object_set(out, jv_string("reason"), jv_string(why.p));
	buf_free(&why);
	/* A write error shows at the end, in msg_close_stdout, as for every
	 * other record statz writes. */
	(void)jsonl_write(stdout, out);
	return 0;
}

unsigned long
decider_run(struct decider *dc, struct jsonl *r)
{
	unsigned long bad = 0;
	jv rec;
	int rc;

	while ((rc = jsonl_next(r, &rec)) != 0) {
		if (rc < 0)
			continue;
		if (jv_get_kind(rec) != JV_KIND_OBJECT) {
			jsonl_warn(r, "not a JSON object");
			bad++;
		} else if (jv_object_has(jv_copy(rec), jv_string("forecast"))) {
			bad += decide_record(dc, r, rec) != 0;
		} else if (jv_object_has(jv_copy(rec), jv_string("need"))) {
			bad += past_record(dc, r, rec) != 0;
		} else {
			jsonl_warn(r, "neither a forecast record nor a decision "
			    "record (no 'forecast' or 'need')");
			bad++;
		}
		jv_free(rec);
	}
	return bad;
}
