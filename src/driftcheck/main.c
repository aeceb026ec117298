/* driftcheck — two-sample drift tests: is the current sample (stdin)
 * drawn from the same distribution as the reference (--ref FILE)?
 *
 * Reads JSON lines, CSV or .npy; runs ks, mmd, psi, wasserstein, chi2 or
 * js (auto: chi2 for categorical features, ks for numeric ones); prints
 * one verdict record; exits 0 no drift, 1 drift, 2 bad input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "opt.h"
#include "sample.h"
#include "verdict.h"

enum {
	O_REF = OPT_ID(1), O_REF_FORMAT, O_FORMAT, O_FEATURES, O_METHOD,
	O_PVAL, O_THRESHOLD, O_CORRECTION, O_PERMUTATIONS, O_SEED, O_SIGMA,
	O_BINS, O_MAXMEM, O_DROPNAN, O_CATEGORICAL, O_MAXCAT
};

static const struct opt options[] = {
	{ "ref", O_REF, "FILE", "the reference sample (.npy, .csv or JSON lines)" },
	{ "ref-format", O_REF_FORMAT, "FMT", "format of --ref: auto, jsonl, csv, npy" },
	{ "format", O_FORMAT, "FMT", "format of stdin: auto, jsonl, csv, npy" },
	{ "features", O_FEATURES, "A,B,C", "use these named fields or columns, in this order" },
	{ "categorical", O_CATEGORICAL, "A,B", "compare these features as categories" },
	{ "method", O_METHOD, "M", "auto, ks, mmd, psi, wasserstein, chi2, js (default auto)" },
	{ "p-val", O_PVAL, "P", "significance level (default 0.05)" },
	{ "threshold", O_THRESHOLD, "T", "drift threshold of psi (0.25), wasserstein (0.1), js (0.1)" },
	{ "correction", O_CORRECTION, "C", "multiple features: bonferroni (default) or fdr" },
	{ "permutations", O_PERMUTATIONS, "N", "mmd permutation count (default 100)" },
	{ "seed", O_SEED, "N", "seed of permutations and subsamples (default 0)" },
	{ "sigma", O_SIGMA, "S", "mmd kernel bandwidth (default: median heuristic)" },
	{ "bins", O_BINS, "N", "psi and js bins (default 10)" },
	{ "max-categories", O_MAXCAT, "N", "chi2 refuses features with more distinct values (default 100)" },
	{ "max-memory", O_MAXMEM, "BYTES", "mmd kernel matrix limit, K/M/G suffix (default 1G)" },
	{ "drop-nan", O_DROPNAN, NULL, "drop rows with NaN, Inf, missing or text values instead of rejecting them" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt *const tables[] = { options, NULL };

static const struct opt_program prog = {
	.name = "driftcheck",
	.synopsis = "--ref FILE [OPTIONS] < CURRENT",
	.summary = "Test whether the current sample on stdin drifted from a reference.",
	.tables = tables,
	.epilog = "Exit status: 0 no drift, 1 drift (also when bad rows were left out),\n"
	"2 usage error or bad input (no verdict, or no drift on what was left),\n"
	"4 a local failure (the verdict could not be written, out of memory).\n"
	"Environment: OMP_NUM_THREADS limits the threads mmd uses.\n"
};

static const char *const corrections[] = { "bonferroni", "fdr", NULL };

struct conf {
	const char *ref;
	struct read_conf ref_rc, cur_rc;
	struct vconf vc;
	char **categorical;	/* --categorical (NULL-ended) */
	size_t ncategorical;
};

/* A list option without repeats: a feature tested twice would also
 * tighten the correction of every other. */
static char **
names_arg(const char *name, const char *s, char **old, size_t *n)
{
	char **list;
	size_t i, j;

	if (old != NULL)
		opt_usage_error("--%s given twice", name);
	list = opt_list_arg(name, s, n);
	for (i = 0; i < *n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(list[i], list[j]) == 0)
				opt_usage_error("--%s names '%s' twice", name,
				    list[i]);
	return list;
}

static void
parse_args(struct conf *c, int argc, char **argv)
{
	struct opt_parser *p = opt_begin(&prog, argc, argv);
	const char *arg;
	int key;

	while ((key = opt_next(p, &arg)) != -1) {
		switch (key) {
		case O_REF: c->ref = arg; break;
		case O_REF_FORMAT:
			c->ref_rc.fmt = (enum fmt)opt_choice_arg("ref-format",
			    arg, fmt_names);
			break;
		case O_FORMAT:
			c->cur_rc.fmt = (enum fmt)opt_choice_arg("format", arg,
			    fmt_names);
			break;
		case O_FEATURES:
			c->ref_rc.features = c->cur_rc.features = names_arg(
			    "features", arg, c->ref_rc.features,
			    &c->ref_rc.nfeatures);
			c->cur_rc.nfeatures = c->ref_rc.nfeatures;
			break;
		case O_CATEGORICAL:
			c->categorical = names_arg("categorical", arg,
			    c->categorical, &c->ncategorical);
			break;
		case O_METHOD:
			c->vc.method = (enum method)opt_choice_arg("method",
			    arg, method_names);
			break;
		case O_PVAL:
			c->vc.p_val = opt_double_arg("p-val", arg, 1e-300, 1);
			break;
		case O_THRESHOLD:
			c->vc.threshold = opt_double_arg("threshold", arg, 1e-300,
			    1e300);
			break;
		case O_CORRECTION:
			c->vc.correction = (enum correction)opt_choice_arg(
			    "correction", arg, corrections);
			break;
		case O_PERMUTATIONS:
			c->vc.mmd.permutations = (int)opt_long_arg("permutations",
			    arg, 1, 1000000);
			break;
		case O_SEED:
			c->vc.mmd.seed = (uint64_t)opt_long_arg("seed", arg, 0,
			    (long long)(~0ULL >> 1));
			break;
		case O_SIGMA:
			c->vc.mmd.sigma = opt_double_arg("sigma", arg, 1e-300, 1e300);
			break;
		case O_BINS:
			c->vc.bins = (int)opt_long_arg("bins", arg, 2, 100000);
			break;
		case O_MAXCAT:
			c->vc.max_categories = (size_t)opt_long_arg(
			    "max-categories", arg, 2, 1000000);
			break;
		case O_MAXMEM:
			c->vc.mmd.max_memory = (size_t)opt_bytes_arg("max-memory",
			    arg, 1, 1000000000000000ULL);
			break;
		case O_DROPNAN: c->ref_rc.drop_nan = c->cur_rc.drop_nan = 1; break;
		}
	}
	if (opt_index(p) != argc)
		opt_usage_error("unexpected argument '%s'", argv[opt_index(p)]);
	opt_end(p);
	if (c->ref == NULL)
		opt_usage_error("--ref FILE is required");
	if (c->vc.threshold > 0 && (c->vc.method == M_AUTO ||
	    c->vc.method == M_KS || c->vc.method == M_CHI2 ||
	    c->vc.method == M_MMD))
		opt_usage_error("--threshold applies to psi, wasserstein and js; "
		    "tests with p-values use --p-val");
}

/* Puts cur's columns in ref's order (by name when both have names).
 * 0, or -1 (reported). */
static int
match_features(struct table *ref, struct table *cur)
{
	size_t i, j;
	struct column t;

	if (ref->ncol != cur->ncol) {
		msg_warn("the reference has %zu features, the current sample %zu",
		    ref->ncol, cur->ncol);
		return -1;
	}
	for (i = 0; ref->named && cur->named && i < ref->ncol; i++) {
		for (j = i; j < cur->ncol &&
		    strcmp(cur->col[j].name, ref->col[i].name) != 0; j++)
			;
		if (j == cur->ncol) {
			msg_warn("feature '%s' of the reference is not in the "
			    "current sample", ref->col[i].name);
			return -1;
		}
		t = cur->col[i], cur->col[i] = cur->col[j], cur->col[j] = t;
	}
	return 0;
}

/* The feature's index in ref, or ref->ncol. */
static size_t
feature_index(const struct table *ref, const char *name)
{
	size_t i;

	for (i = 0; i < ref->ncol && strcmp(ref->col[i].name, name) != 0; i++)
		;
	return i;
}

/* Does --categorical name this feature? */
static int
declared(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ncategorical; i++)
		if (strcmp(c->categorical[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Decides each feature's type. Categorical: named by --categorical,
 * every value of both samples is text, or the method is chi2. Numeric
 * otherwise, and then a text cell is bad input: one "N/A" must not turn a
 * column of numbers into categories, where a shift of any size is just
 * "other values" and can go unseen. 0, or -1 (reported).
 */
static int
type_features(struct table *ref, struct table *cur, const struct conf *c)
{
	size_t k = ref->ncol ? ref->ncol : 1, i;
	int *numeric = xcalloc(k, sizeof *numeric);
	size_t *ntext = xcalloc(k, sizeof *ntext);
	enum method m = c->vc.method;
	const char *ex;
	int rc = -1;

	for (i = 0; i < c->ncategorical; i++)
		if (feature_index(ref, c->categorical[i]) == ref->ncol) {
			msg_warn("--categorical names '%s', which is no feature "
			    "of the samples", c->categorical[i]);
			goto out;
		}
	for (i = 0; i < ref->ncol; i++) {
		struct column *a = &ref->col[i], *b = &cur->col[i];

		ntext[i] = a->ntext + b->ntext;
		numeric[i] = m != M_CHI2 && !declared(c, a->name) &&
		    ntext[i] < ref->nrows + cur->nrows;
		/* All text, but numbers in another locale's spelling: not
		 * categories the user asked for. */
		if (!numeric[i] && m != M_CHI2 && !declared(c, a->name) &&
		    (ex = sample_numeric_text(ref, cur, i)) != NULL) {
			msg_warn("feature '%s': every value is text, but values "
			    "like '%.40s' are numbers written another way (a "
			    "decimal comma, thousands separators, hex): convert "
			    "them, or compare them as categories with "
			    "--categorical %s", a->name, ex, a->name);
			goto out;
		}
		if (!numeric[i]) {
			sample_to_text(ref, i);
			sample_to_text(cur, i);
		}
	}
	sample_reject_text(ref, numeric, c->ref_rc.drop_nan);
	sample_reject_text(cur, numeric, c->cur_rc.drop_nan);
	for (i = 0; i < ref->ncol; i++)
		if (numeric[i] && ntext[i] > 0 && !c->cur_rc.drop_nan)
			msg_warn("feature '%s' has numbers and %zu text value%s: "
			    "rows with text left out (--categorical %s compares "
			    "it as categories)", ref->col[i].name, ntext[i],
			    ntext[i] == 1 ? "" : "s", ref->col[i].name);
	for (i = 0; i < ref->ncol; i++)
		if (!numeric[i] && (m == M_KS || m == M_MMD || m == M_PSI ||
		    m == M_WASSERSTEIN)) {
			msg_warn("feature '%s' is categorical: %s needs numbers "
			    "(use chi2, js or auto)", ref->col[i].name,
			    method_names[m]);
			goto out;
		}
	rc = 0;
out:
	free(numeric);
	free(ntext);
	return rc;
}

/*
 * mmd sums squared differences over all features; psi, wasserstein and js
 * take a range and a standard deviation. With values near DBL_MAX these
 * overflow to Inf or NaN and the verdict is garbage (a NaN statistic
 * called drift, a standard deviation of Inf making any distance 0).
 * ks and chi2 only compare values and are safe at any magnitude.
 */
static int
check_magnitude(const struct table *ref, const struct table *cur,
    enum method m)
{
	const struct table *t[2] = { ref, cur };
	double big = 0, x;
	size_t i, r, k;

	if (m == M_AUTO || m == M_KS || m == M_CHI2)
		return 0;
	for (i = 0; i < ref->ncol; i++)
		for (k = 0; k < 2; k++)
			for (r = 0; r < t[k]->nrows; r++)
				if (!isnan(x = t[k]->col[i].num[r]))
					big = fmax(big, fabs(x));
	if (isfinite(4 * big * big * (double)ref->ncol))
		return 0;
	msg_warn("values up to %g overflow %s's arithmetic; rescale the "
	    "data (or use ks)", big, method_names[m]);
	return -1;
}

static int
check_size(const struct table *s, const char *what)
{
	if (s->nrows < 2) {
		msg_warn("the %s sample has %zu usable row%s; a test needs at "
		    "least 2", what, s->nrows, s->nrows == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static void
conf_free(struct conf *c)
{
	opt_list_free(c->ref_rc.features);
	opt_list_free(c->categorical);
}

/*
 * The status of a verdict: drift found on the rows that were good is
 * drift (1), even when others were left out — the alert must not wait
 * for clean input; no drift with rows left out is bad input (2), since
 * those rows might have held it.
 */
static int
verdict_status(int drift, unsigned long bad)
{
	return drift ? EXIT_FINDING : bad > 0 ? EXIT_USAGE : EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct conf c;
	struct table ref = { 0 }, cur = { 0 };
	int drift = 0, rc = EXIT_USAGE;
	unsigned long bad;
	jv v;

	msg_init(argv[0]);
	memset(&c, 0, sizeof c);
	c.vc.p_val = 0.05;
	c.vc.bins = 10;
	c.vc.max_categories = 100;
	c.vc.mmd.permutations = 100;
	c.vc.mmd.max_memory = (size_t)1 << 30;
	parse_args(&c, argc, argv);
	if (sample_read(&ref, c.ref, &c.ref_rc) < 0 ||
	    sample_read(&cur, "-", &c.cur_rc) < 0)
		goto out;
	/* sizes twice: an empty sample has no features to match, and rows
	 * with text may be left out */
	if (check_size(&ref, "reference") < 0 || check_size(&cur, "current") < 0 ||
	    match_features(&ref, &cur) < 0 ||
	    type_features(&ref, &cur, &c) < 0 ||
	    check_size(&ref, "reference") < 0 || check_size(&cur, "current") < 0 ||
	    check_magnitude(&ref, &cur, c.vc.method) < 0)
		goto out;
	v = verdict(&c.vc, &ref, &cur, &drift);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);

		msg_warn("%s", jv_string_value(m));
		jv_free(m);
		goto out;
	}
	if (ref.dropped + cur.dropped > 0)
		v = jv_object_set(v, jv_string("dropped"),
		    jv_number((double)(ref.dropped + cur.dropped)));
	if ((bad = ref.bad + cur.bad) > 0)
		v = jv_object_set(v, jv_string("rejected"), jv_number((double)bad));
	/* Both: msg_close_stdout says what went wrong. */
	if ((jsonl_write(stdout, v) < 0) | (msg_close_stdout() != 0)) {
		rc = EXIT_LOCAL;
		goto out;
	}
	rc = verdict_status(drift, bad);
out:
	sample_free(&cur);
	sample_free(&ref);
	conf_free(&c);
	return rc;
}
