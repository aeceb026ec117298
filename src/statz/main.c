/* statz — per-series statistics, anomalies and forecasts, computed as
 * Prometheus computes its *_over_time functions. See statz(1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "field.h"
#include "group.h"
#include "jsonl.h"
#include "msg.h"
#include "opt.h"
#include "series.h"
#include "statz.h"
#include "timeutil.h"

enum {
	O_KEEP = OPT_ID(1), O_ANOM, O_THRESH, O_FORECAST, O_AT, O_SF, O_TF,
	O_SEASON, O_ALPHA, O_BETA, O_GAMMA, O_LEVEL, O_TOP
};
/* Forecasting for the autoscaler: backtests and scale decisions. */
enum {
	O_PEAK = OPT_ID(40), O_FALLBACK, O_EVERY, O_HISTORY, O_REFIT,
	O_PER_POD, O_MIN_REPLICAS, O_MAX_REPLICAS, O_MAX_STEP, O_STABILIZE,
	O_CURRENT
};

static const struct opt statz_opts[] = {
	{ "percentiles", 'p', "LIST", "percentiles to report (default 50,90,95,99)" },
	{ "by", 'b', "LABEL,...", "pool the series that share these label values" },
	{ "all", 'a', NULL, "pool all series into one record" },
	{ "keep-values", O_KEEP, NULL, "keep the values array in the output" },
	{ "field", 'f', "JQ", "read one number per line of any JSON with this jq program" },
	{ "time", 't', "JQ", "its time, Unix seconds or RFC 3339 (default: the line number)" },
	{ "anomalies", O_ANOM, "METHOD", "flag outliers: zscore, mad or iqr" },
	{ "threshold", O_THRESH, "K", "anomaly threshold (default 3, 3.5, 1.5 by method)" },
	{ "window", 'w', "N", "judge each sample against the N samples before it" },
	{ "forecast", O_FORECAST, "DURATION", "forecast DURATION after the anchor" },
	{ "model", 'm', "MODEL", "linear (default), holt or holt-winters" },
	{ "at", O_AT, "TIME", "anchor of the forecast (default: the last sample)" },
	{ "sf", O_SF, "A", "holt smoothing factor, 0 < A < 1 (default: fitted)" },
	{ "tf", O_TF, "B", "holt trend factor, 0 < B < 1 (default: fitted)" },
	{ "season", O_SEASON, "DURATION", "holt-winters season length" },
	{ "alpha", O_ALPHA, "A", "holt-winters level smoothing (default: fitted)" },
	{ "beta", O_BETA, "B", "holt-winters trend smoothing (default: fitted)" },
	{ "gamma", O_GAMMA, "G", "holt-winters season smoothing (default: fitted)" },
	{ "level", O_LEVEL, "P", "prediction interval probability, 0 < P < 1 (default 0.95)" },
	{ "top", O_TOP, "N", "only the N series with the most anomalies, then state changes" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt scale_opts[] = {
	{ "peak", O_PEAK, NULL, "also the largest forecast and upper bound within the horizon" },
	{ "fallback", O_FALLBACK, NULL, "a simpler model (holt, then linear) when the data cannot support it" },
	{ "every", O_EVERY, "DURATION", "a backtest: forecast from anchors DURATION apart, from --at on" },
	{ "history", O_HISTORY, "DURATION", "with --every: each anchor sees the samples of the DURATION before it" },
	{ "refit", O_REFIT, "DURATION", "with --every: fit parameters again after DURATION (default: every anchor)" },
	{ "per-pod", O_PER_POD, "X", "turn forecast records into scale decisions, X load per replica" },
	{ "min-replicas", O_MIN_REPLICAS, "N", "fewest replicas to decide (default 1)" },
	{ "max-replicas", O_MAX_REPLICAS, "N", "most replicas to decide (default: no limit)" },
	{ "max-step", O_MAX_STEP, "N", "most replicas to add in one decision (default: no limit)" },
	{ "stabilize", O_STABILIZE, "DURATION", "scale down only as far as every decision this long agrees (default 5m)" },
	{ "current", O_CURRENT, "N", "replicas running at the first decision (default: the last decision's)" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt *const statz_tables[] = { statz_opts, scale_opts,
	NULL };

static const struct opt_program statz_prog = {
	.name = "statz",
	.synopsis = "[OPTIONS] [FILE...]",
	.summary = "per-series statistics, anomalies and forecasts of series records",
	.tables = statz_tables,
	.epilog = "Exit status: 0 success, 2 usage error or bad input (reported "
	"with its line,\nthe rest still processed), 4 a local failure (a write "
	"error on stdout,\nout of memory).\n"
};

/* What one run carries from line to line. */
struct run {
	const struct conf *c;
	struct series s;
	struct groups *gs;
	struct batch *batch;
	struct decider *decider;
	jq_state *jf, *jt;
	int warned_order;
	int bad;
	int write_error;
};

static const char *const anom_names[] = { "zscore", "mad", "iqr", NULL };
static const char *const model_names[] = {
	"linear", "holt", "holt-winters", NULL
};

static void
parse_percentiles(struct conf *c, const char *list)
{
	char **items, *p, text[64];
	double pct;
	size_t n, k;

	items = opt_list_arg("percentiles", list, &n);
	c->npct = 0;
	for (k = 0; k < n; k++) {
		p = items[k];
		if (c->npct == sizeof c->pct / sizeof c->pct[0])
			opt_usage_error("--percentiles: at most 32");
		pct = opt_double_arg("percentiles", p, 0, 100);
		/* "99.9e-2" reads as the double nearest 0.999, the same
		 * number Prometheus parses from quantile_over_time(0.999). */
		snprintf(text, sizeof text, "%se-2", p);
		c->pct[c->npct] = strspn(p, "0123456789.") == strlen(p) ?
		    strtod(text, NULL) : pct / 100;
		snprintf(c->pct_key[c->npct], sizeof c->pct_key[0], "p%.15g",
		    pct);
		for (size_t i = 0; i < c->npct; i++)
			if (strcmp(c->pct_key[i], c->pct_key[c->npct]) == 0)
				opt_usage_error("--percentiles: %s twice", p);
		c->npct++;
	}
	opt_list_free(items);
}

static void
parse_by(struct conf *c, const char *list)
{
	opt_list_free(c->by);
	c->by = opt_list_arg("by", list, &c->nby);
}

/*
 * A probability strictly inside (0, 1): a 100% prediction interval is
 * infinite and a 0% one empty, so neither end can be asked for.
 */
static double
parse_level(const char *s)
{
	const char *errstr;
	double v;

	if (opt_double(s, 0, 1, &v, &errstr) != 0 || v <= 0 || v >= 1)
		opt_usage_error("invalid --level '%s': a probability above 0 "
		    "and below 1 (a 100%% interval would be infinite)", s);
	return v;
}

static double
parse_at(const char *s)
{
	double t;

	if (time_parse(s, time_now(), &t) != 0)
		opt_usage_error("invalid --at '%s'", s);
	if (!time_in_range(t))
		opt_usage_error("invalid --at '%s': beyond the years 1 to 9999",
		    s);
	return t;
}

static double
positive_duration(const char *name, const char *arg)
{
	double d = opt_duration_arg(name, arg);

	if (d <= 0)
		opt_usage_error("invalid --%s '%s': must be more than 0", name,
		    arg);
	return d;
}

static void
set_scale_option(struct conf *c, int key, const char *arg)
{
	struct scale_conf *sc = &c->scale;

	switch (key) {
	case O_PEAK: c->peak = 1; break;
	case O_FALLBACK: c->fallback = 1; break;
	case O_EVERY: c->every = positive_duration("every", arg); break;
	case O_HISTORY: c->history = positive_duration("history", arg); break;
	case O_REFIT: c->refit = opt_duration_arg("refit", arg); break;
	case O_PER_POD: sc->per_pod = opt_double_arg("per-pod", arg, 1e-300, 1e300); break;
	case O_MIN_REPLICAS: sc->min = opt_long_arg("min-replicas", arg, 0, 1000000000); break;
	case O_MAX_REPLICAS: sc->max = opt_long_arg("max-replicas", arg, 0, 1000000000); break;
	case O_MAX_STEP: sc->max_step = opt_long_arg("max-step", arg, 1, 1000000000); break;
	case O_STABILIZE: sc->stabilize = opt_duration_arg("stabilize", arg); break;
	case O_CURRENT: sc->current = opt_long_arg("current", arg, 0, 1000000000); break;
	}
}

static void
set_option(struct conf *c, int key, const char *arg)
{
	switch (key) {
	case 'p': parse_percentiles(c, arg); break;
	case 'b': parse_by(c, arg); break;
	case 'a': c->all = 1; break;
	case O_KEEP: c->keep_values = 1; break;
	case 'f': c->field = arg; break;
	case 't': c->time = arg; break;
	case O_ANOM:
		c->anomalies = 1;
		c->method = (enum anom_method)opt_choice_arg("anomalies", arg,
		    anom_names);
		break;
	case O_THRESH: c->threshold = opt_double_arg("threshold", arg, 0, 1e300); break;
	case 'w': c->window = (size_t)opt_long_arg("window", arg, 1, 100000000); break;
	case O_FORECAST: c->forecast = 1; c->horizon = opt_duration_arg("forecast", arg); break;
	case 'm': c->model = (enum model)opt_choice_arg("model", arg, model_names); break;
	case O_AT: c->has_at = 1; c->at = parse_at(arg); break;
	case O_SF: c->sf = opt_double_arg("sf", arg, 1e-12, 1 - 1e-12); break;
	case O_TF: c->tf = opt_double_arg("tf", arg, 1e-12, 1 - 1e-12); break;
	case O_SEASON: c->season = opt_duration_arg("season", arg); break;
	case O_ALPHA: c->alpha = opt_double_arg("alpha", arg, 0, 1); break;
	case O_BETA: c->beta = opt_double_arg("beta", arg, 0, 1); break;
	case O_GAMMA: c->gamma = opt_double_arg("gamma", arg, 0, 1); break;
	case O_LEVEL: c->level = parse_level(arg); break;
	case O_TOP: c->top = (size_t)opt_long_arg("top", arg, 1, 1000000); break;
	default: set_scale_option(c, key, arg); break;
	}
}

/* The backtest's and --per-pod's combinations. */
static void
check_scale_conf(const struct conf *c, int saw_scale_opt)
{
	const struct scale_conf *sc = &c->scale;

	if (!c->forecast && (c->peak || c->fallback || c->every > 0))
		opt_usage_error("--peak, --fallback and --every need --forecast");
	if (c->every <= 0 && (c->history > 0 || c->refit > 0))
		opt_usage_error("--history and --refit need --every");
	if (c->every > 0 && (c->field || c->all || c->nby || c->keep_values))
		opt_usage_error("--every needs series input, one record per "
		    "series: not --field, --by, --all or --keep-values");
	if (sc->per_pod <= 0) {
		if (saw_scale_opt)
			opt_usage_error("--min-replicas, --max-replicas, "
			    "--max-step, --stabilize and --current need "
			    "--per-pod");
		return;
	}
	if (c->forecast || c->anomalies || c->field || c->all || c->nby ||
	    c->keep_values)
		opt_usage_error("--per-pod reads forecast records (statz "
		    "--forecast D --peak): it takes no statistics options");
	if (sc->min > sc->max)
		opt_usage_error("--min-replicas %lld is more than "
		    "--max-replicas %lld", sc->min, sc->max);
}

/* Combinations the table cannot express. */
static void
check_conf(const struct conf *c, int saw_forecast_opt, int saw_scale_opt)
{
	if (c->all && c->nby)
		opt_usage_error("--all and --by exclude each other");
	if (c->time && !c->field)
		opt_usage_error("--time needs --field");
	if (c->field && c->keep_values)
		opt_usage_error("--keep-values needs series input, not --field");
	if (!c->anomalies && (c->threshold >= 0 || c->window))
		opt_usage_error("--threshold and --window need --anomalies");
	if (!c->forecast && saw_forecast_opt)
		opt_usage_error("--model, --at, --sf, --tf, --season, --alpha, "
		    "--beta, --gamma and --level need --forecast");
	if (c->model == MODEL_HW && c->season <= 0)
		opt_usage_error("--model holt-winters needs --season");
	if (c->model != MODEL_HW && c->season > 0)
		opt_usage_error("--season needs --model holt-winters");
	if (c->top && (c->field || c->all || c->nby))
		opt_usage_error("--top ranks series records, not --field, --all "
		    "or --by groups");
	check_scale_conf(c, saw_scale_opt);
}

static int
parse_options(struct conf *c, int argc, char **argv)
{
	struct opt_parser *p = opt_begin(&statz_prog, argc, argv);
	const char *arg;
	int key, saw = 0, saw_scale = 0, first;

	memset(c, 0, sizeof *c);
	c->threshold = c->sf = c->tf = c->alpha = c->beta = c->gamma = -1;
	c->level = 0.95;
	c->scale.min = 1;
	c->scale.max = 1000000000;
	c->scale.stabilize = 300;
	c->scale.current = -1;
	parse_percentiles(c, "50,90,95,99");
	while ((key = opt_next(p, &arg)) != -1) {
		set_option(c, key, arg);
		if (key == 'm' || (key >= O_AT && key <= O_LEVEL))
			saw = 1;
		if (key >= O_MIN_REPLICAS && key <= O_CURRENT)
			saw_scale = 1;
	}
	first = opt_index(p);
	opt_end(p);
	check_conf(c, saw, saw_scale);
	return first;
}

/* --by, --all: the series' samples go to its group. */
static void
series_line(struct run *run, struct jsonl *r, const char *line, size_t len)
{
	struct data *d;
	jv metric;
	char *err = NULL, why[200];
	size_t i;

	if (series_parse(&run->s, line, len, &err) != 0) {
		jsonl_warn(r, "%s", err);
		free(err);
		return;
	}
	if (!run->s.has_values) {
		jsonl_warn(r, "no 'values' or 'value' field");
		return;
	}
	if (series_times_ok(&run->s, why, sizeof why) != 0) {
		jsonl_warn(r, "%s", why);
		return;
	}
	metric = jv_object_get(jv_copy(run->s.rec), jv_string("metric"));
	d = groups_add(run->gs, run->c, jv_copy(run->s.rec), metric);
	jv_free(metric);
	for (i = 0; i < run->s.n; i++)
		data_push(d, run->s.s[i].t, run->s.s[i].v);
}

static jv
field_record(const struct conf *c)
{
	jv rec = jv_object_set(jv_object(), jv_string("field"),
	    jv_string(c->field));

	if (c->time)
		rec = jv_object_set(rec, jv_string("time"), jv_string(c->time));
	return rec;
}

static void
field_line(struct run *run, struct jsonl *r, jv v)
{
	const struct conf *c = run->c;
	struct data *d;
	double x, t = (double)jsonl_lineno(r);
	jv rec;
	size_t i;

	if (run->jt && field_time(r, run->jt, c->time, jv_copy(v), &t) < 0)
		goto out;
	if (field_number(r, run->jf, c->field, jv_copy(v), &x) <= 0)
		goto out;
	rec = field_record(c);
	for (i = 0; i < c->nby; i++) {
		jv l = jv_get_kind(v) == JV_KIND_OBJECT ? jv_object_get(
		    jv_copy(v), jv_string(c->by[i])) : jv_invalid();

		rec = jv_object_set(rec, jv_string(c->by[i]),
		    jv_is_valid(l) ? l : jv_null());
	}
	d = groups_add(run->gs, c, rec, v);
	data_push(d, t, x);
out:
	jv_free(v);
}

static void
read_input(struct run *run, struct jsonl *r)
{
	const char *line;
	size_t len;
	jv v;
	int rc;

	if (run->decider) {
		decider_run(run->decider, r);
		return;
	}
	if (run->c->field) {
		while ((rc = jsonl_next(r, &v)) != 0)
			if (rc > 0)
				field_line(run, r, v);
		return;
	}
	if (run->gs == NULL) {
		if (batch_run(run->batch, r, &run->warned_order))
			run->bad = 1;
		return;
	}
	while (jsonl_getline(r, &line, &len))
		series_line(run, r, line, len);
}

int
main(int argc, char **argv)
{
	struct conf c;
	struct run run;
	struct jsonl *r;
	int first = parse_options(&c, argc, argv), i;
	static char *stdin_only[] = { "-", NULL };
	char **files = first < argc ? argv + first : stdin_only;
	int nfiles = first < argc ? argc - first : 1;

	memset(&run, 0, sizeof run);
	run.c = &c;
	series_init(&run.s);
	if (c.field) {
		run.jf = field_compile("field", c.field);
		run.jt = c.time ? field_compile("time", c.time) : NULL;
	}
	if (c.scale.per_pod > 0)
		run.decider = decider_new(&c);
	else if (c.field || c.all || c.nby)
		run.gs = groups_new();
	else
		run.batch = batch_new(&c);
	for (i = 0; i < nfiles; i++) {
		if ((r = jsonl_open_path(files[i])) == NULL) {
			run.bad = 1;
			continue;
		}
		read_input(&run, r);
		if (jsonl_bad(r) || jsonl_error(r))
			run.bad = 1;
		jsonl_close(r);
	}
	if (run.batch && batch_end(run.batch) != 0)
		run.write_error = 1;
	if (run.gs && groups_flush(run.gs, &c, c.field ? field_record(&c) :
	    jv_object()) != 0)
		run.bad = 1;
	if (run.jf)
		jq_teardown(&run.jf);
	if (run.jt)
		jq_teardown(&run.jt);
	series_free(&run.s);
	if (run.batch)
		batch_free(run.batch);
	decider_free(run.decider);
	opt_list_free(c.by);
	if ((msg_close_stdout() != 0) | run.write_error)
		return EXIT_LOCAL;
	return run.bad ? EXIT_USAGE : EXIT_OK;
}
