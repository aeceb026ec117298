/* promq — query Prometheus (and Thanos, Mimir, VictoriaMetrics) or Loki
 * and print the answer as JSON lines: one record per series.
 *
 * Each QUERY operand, or each request record read with "-", is a job;
 * jobs run concurrently (--jobs) and print in the order given. Exit 0,
 * 1 when --targets finds a target down, 2 for a usage error, a bad
 * request record, unreadable stdin or a query the server rejects
 * (bad_data), 3 when the server is unreachable, fails after retries or
 * answers something malformed, 4 when stdout cannot be written.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "opt.h"
#include "promq.h"
#include "timeutil.h"

enum {
	O_START = OPT_ID(1), O_END, O_STEP, O_SERIES, O_LABELS,
	O_LABEL_VALUES, O_ALERTS, O_RULES, O_TARGETS, O_STATS, O_LOKI,
	O_LINES, O_LIMIT, O_BATCH
};

static const struct opt options[] = {
	{ "time", 't', "TIME", "evaluate an instant query at TIME (default: now)" },
	{ "since", 's', "DUR", "range query over the last DUR (30m, 1h30m)" },
	{ "minutes", 'm', "N", "range query over the last N minutes" },
	{ "start", O_START, "TIME", "range query from TIME" },
	{ "end", O_END, "TIME", "range query until TIME (default: now)" },
	{ "step", O_STEP, "DUR", "range resolution (default: about 250 points, at least 1s)" },
	{ "jobs", 'j', "N", "run up to N queries at once (default 4)" },
	{ "series", O_SERIES, NULL, "list the series that match the MATCH operands" },
	{ "labels", O_LABELS, NULL, "list label names (of series matching MATCH)" },
	{ "label-values", O_LABEL_VALUES, "NAME", "list the values of label NAME" },
	{ "alerts", O_ALERTS, NULL, "list firing and pending alerts" },
	{ "rules", O_RULES, NULL, "list alerting and recording rules, one per record" },
	{ "targets", O_TARGETS, NULL, "list active targets; exit 1 if any is down" },
	{ "stats", O_STATS, NULL, "add \"ms\", the client-measured duration, to each record" },
	{ "loki", O_LOKI, NULL, "run LogQL against Loki (URL from LOKI_URL)" },
	{ "lines", O_LINES, NULL, "with --loki: one record per log line" },
	{ "limit", O_LIMIT, "N", "with --loki: at most N log lines in all" },
	{ "batch", O_BATCH, "N", "with --loki: log lines per request (default 1000)" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt *const tables[] = { options, http_opts, NULL };

/* Prometheus gives up a query after 2 minutes (--query.timeout): waiting
 * longer for its answer only hangs the flow when it never comes. */
#define PROMQ_TIMEOUT	120

static const struct opt_override overrides[] = {
	HTTP_TIMEOUT_OVERRIDE(PROMQ_TIMEOUT),
	{ 0, NULL, NULL, NULL, 0 }
};

static const struct opt_program prog = {
	.name = "promq",
	.synopsis = "[OPTIONS] QUERY...\n"
	"[OPTIONS] -\n"
	"--series [OPTIONS] MATCH...\n"
	"--labels | --label-values NAME [OPTIONS] [MATCH...]\n"
	"--alerts | --rules | --targets [OPTIONS]",
	.summary = "Query Prometheus or Loki; print one JSON record per series.",
	.tables = tables,
	.overrides = overrides,
	.epilog = "Exit status: 0 success, 1 a target is down (--targets), 2 usage error,\n"
	"bad request or rejected query, 3 server unreachable, failing or answering\n"
	"malformed data, 4 a local failure (a write error, out of memory).\n"
	"Environment: PROMETHEUS_URL (default http://localhost:9090), LOKI_URL\n"
	"(default http://localhost:3100).\n"
};

static void
set_mode(struct promq *pq, enum mode m)
{
	if (pq->mode != M_QUERY && pq->mode != m)
		opt_usage_error("--series, --labels, --label-values, --alerts, "
		    "--rules and --targets exclude each other");
	pq->mode = m;
}

static double
time_arg(const char *name, const char *s, double now)
{
	double t;

	if (time_parse(s, now, &t) != 0)
		opt_usage_error("invalid --%s '%s'", name, s);
	return t;
}

/* One option of promq's own table. */
static void
option(struct promq *pq, int key, const char *arg)
{
	struct when *w = &pq->when;

	switch (key) {
	case 't':
		w->has_time = 1;
		w->time = time_arg("time", arg, pq->now);
		break;
	case 's':
		if (pq->since_by == 'm')
			opt_usage_error("--since and --minutes exclude each other");
		pq->since_by = 's';
		w->has_since = 1;
		w->since = opt_duration_arg("since", arg);
		break;
	case 'm':
		if (pq->since_by == 's')
			opt_usage_error("--since and --minutes exclude each other");
		pq->since_by = 'm';
		w->has_since = 1;
		w->since = 60.0 * (double)opt_long_arg("minutes", arg, 1,
		    LLONG_MAX / 60);
		break;
	case O_START:
		w->has_start = 1;
		w->start = time_arg("start", arg, pq->now);
		break;
	case O_END:
		w->has_end = 1;
		w->end = time_arg("end", arg, pq->now);
		break;
	case O_STEP:
		w->has_step = 1;
		w->step = opt_duration_arg("step", arg);
		break;
	case 'j':
		pq->jobs = (int)opt_long_arg("jobs", arg, 1, 256);
		break;
	case O_SERIES: set_mode(pq, M_SERIES); break;
	case O_LABELS: set_mode(pq, M_LABELS); break;
	case O_LABEL_VALUES:
		set_mode(pq, M_LABEL_VALUES);
		pq->label = arg;
		break;
	case O_ALERTS: set_mode(pq, M_ALERTS); break;
	case O_RULES: set_mode(pq, M_RULES); break;
	case O_TARGETS: set_mode(pq, M_TARGETS); break;
	case O_STATS: pq->stats = 1; break;
	case O_LOKI: pq->loki = 1; break;
	case O_LINES: pq->lines = 1; break;
	case O_LIMIT:
		pq->limit = opt_long_arg("limit", arg, 1, LLONG_MAX);
		break;
	case O_BATCH:
		pq->batch = opt_long_arg("batch", arg, 1, 1000000);
		break;
	default:
		opt_usage_error("unhandled option");
	}
}

static int
parse_options(struct promq *pq, int argc, char **argv)
{
	static const char *const prom_env[] = { "PROMETHEUS_URL", NULL };
	static const char *const loki_env[] = { "LOKI_URL", NULL };
	struct opt_parser *p = opt_begin(&prog, argc, argv);
	struct http_conf tmp;
	const char *arg, *url = NULL;
	int key, first;

	http_conf_init(&pq->http, prom_env, "http://localhost:9090");
	pq->http.timeout = PROMQ_TIMEOUT;
	pq->jobs = 4;
	pq->batch = 1000;
	pq->now = time_now();
	while ((key = opt_next(p, &arg)) != -1) {
		if (key == HTTP_OPT_URL)
			url = arg;
		else if (!http_conf_option(&pq->http, key, arg))
			option(pq, key, arg);
	}
	first = opt_index(p);
	opt_end(p);
	/* --url wins wherever it stood; else Loki's own variable */
	if (url == NULL && pq->loki) {
		http_conf_init(&tmp, loki_env, "http://localhost:3100");
		http_conf_option(&pq->http, HTTP_OPT_URL, tmp.url);
		http_conf_free(&tmp);
	} else if (url != NULL) {
		http_conf_option(&pq->http, HTTP_OPT_URL, url);
	}
	return first;
}

static void
check_usage(struct promq *pq, int nargs, char **args)
{
	if ((pq->lines || pq->limit) && !pq->loki)
		opt_usage_error("--lines and --limit need --loki");
	if (pq->loki && pq->mode != M_QUERY)
		opt_usage_error("--loki runs queries only");
	switch (pq->mode) {
	case M_QUERY:
		if (nargs == 0)
			opt_usage_error("no query given");
		for (int i = 0; nargs > 1 && i < nargs; i++)
			if (strcmp(args[i], "-") == 0)
				opt_usage_error("'-' (requests from stdin) must "
				    "be the only operand");
		break;
	case M_SERIES:
		if (nargs == 0)
			opt_usage_error("--series needs a MATCH selector");
		break;
	case M_LABEL_VALUES:
		/* an empty name would ask for api/v1/label//values: a 404 */
		if (*pq->label == '\0')
			opt_usage_error("--label-values needs a label name");
		break;
	case M_LABELS:
		break;
	default:
		if (nargs > 0)
			opt_usage_error("unexpected operand '%s'", args[0]);
	}
	if (pq->when.has_time && (pq->when.has_since || pq->when.has_start))
		opt_usage_error("--time excludes --since and --start");
	if (pq->when.has_since && pq->when.has_start)
		opt_usage_error("--since excludes --start");
}

int
main(int argc, char **argv)
{
	struct promq pq = { 0 };
	struct source src = { 0 };
	int first, status;

	if (http_global_init() != 0)
		msg_die(EXIT_UPSTREAM, "cannot initialise libcurl");
	first = parse_options(&pq, argc, argv);
	argc -= first;
	argv += first;
	check_usage(&pq, argc, argv);
	if (pq.loki && pq.mode == M_QUERY && !pq.when.has_time &&
	    !pq.when.has_since && !pq.when.has_start) {
		pq.when.has_since = 1;	/* Loki's own default: the last hour */
		pq.when.since = 3600;
	}
	if (pq.mode != M_QUERY) {
		pq.match = argv;
		pq.nmatch = argc;
	}
	pq.pool = http_pool_new(&pq.http, pq.jobs);
	src.pq = &pq;
	src.args = argv;
	src.nargs = pq.mode == M_QUERY ? argc : 1;
	if (pq.mode == M_QUERY && argc == 1 && strcmp(argv[0], "-") == 0)
		src.in = jsonl_open(stdin, "stdin");
	status = sched_run(&src);
	if (src.in != NULL) {
		if ((jsonl_bad(src.in) > 0 || jsonl_error(src.in)) &&
		    status < EXIT_USAGE)
			status = EXIT_USAGE;
		jsonl_close(src.in);
	}
	http_pool_free(pq.pool);
	http_conf_free(&pq.http);
	http_global_cleanup();
	if (msg_close_stdout() != 0)
		status = EXIT_LOCAL;
	return status;
}
