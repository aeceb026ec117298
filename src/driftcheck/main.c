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
	O_BINS, O_MAXMEM, O_DROPNAN
};

static const struct opt options[] = {
	{ "ref", O_REF, "FILE", "the reference sample (.npy, .csv or JSON lines)" },
	{ "ref-format", O_REF_FORMAT, "FMT", "format of --ref: auto, jsonl, csv, npy" },
	{ "format", O_FORMAT, "FMT", "format of stdin: auto, jsonl, csv, npy" },
	{ "features", O_FEATURES, "A,B,C", "use these named fields or columns, in this order" },
	{ "method", O_METHOD, "M", "auto, ks, mmd, psi, wasserstein, chi2, js (default auto)" },
	{ "p-val", O_PVAL, "P", "significance level (default 0.05)" },
	{ "threshold", O_THRESHOLD, "T", "drift threshold of psi (0.25), wasserstein (0.1), js (0.1)" },
	{ "correction", O_CORRECTION, "C", "multiple features: bonferroni (default) or fdr" },
	{ "permutations", O_PERMUTATIONS, "N", "mmd permutation count (default 100)" },
	{ "seed", O_SEED, "N", "seed of permutations and subsamples (default 0)" },
	{ "sigma", O_SIGMA, "S", "mmd kernel bandwidth (default: median heuristic)" },
	{ "bins", O_BINS, "N", "psi and js bins (default 10)" },
	{ "max-memory", O_MAXMEM, "BYTES", "mmd kernel matrix limit, K/M/G suffix (default 1G)" },
	{ "drop-nan", O_DROPNAN, NULL, "drop rows with NaN or Inf instead of rejecting them" },
	{ NULL, 0, NULL, NULL }
};

static const struct opt *const tables[] = { options, NULL };

static const struct opt_program prog = {
	.name = "driftcheck",
	.synopsis = "--ref FILE [OPTIONS] < CURRENT",
	.summary = "Test whether the current sample on stdin drifted from a reference.",
	.tables = tables,
	.epilog = "Exit status: 0 no drift, 1 drift, 2 usage error or bad input.\n"
	"Environment: OMP_NUM_THREADS limits the threads mmd uses.\n"
};

struct conf {
	const char *ref;
	struct read_conf ref_rc, cur_rc;
	struct vconf vc;
};

static enum fmt
fmt_arg(const char *s)
{
	enum fmt f = fmt_parse(s);

	if ((int)f < 0)
		opt_usage_error("invalid format '%s'", s);
	return f;
}

static size_t
bytes_arg(const char *s)
{
	char num[64], *end;
	size_t len = strlen(s);
	double mult = 1;

	if (len == 0 || len >= sizeof num)
		opt_usage_error("invalid --max-memory '%s'", s);
	memcpy(num, s, len + 1);
	end = num + len - 1;
	if (strchr("kKmMgG", *end)) {
		mult = strchr("kK", *end) ? 1024.0 : strchr("mM", *end) ?
		    1048576.0 : 1073741824.0;
		*end = '\0';
	}
	return (size_t)(opt_double_arg("max-memory", num, 1, 1e15) * mult);
}

static void
features_arg(struct conf *c, const char *s)
{
	char *copy = xstrdup(s), *tok, *save = NULL, **f = NULL;
	size_t n = 0, cap = 0;

	if (c->ref_rc.features != NULL)
		opt_usage_error("--features given twice");
	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		/* a feature tested twice would also tighten the correction */
		for (size_t i = 0; i < n; i++)
			if (strcmp(f[i], tok) == 0)
				opt_usage_error("--features names '%s' twice", tok);
		xgrow((void **)&f, &cap, n + 1, sizeof *f);
		f[n++] = xstrdup(tok);
	}
	free(copy);
	if (n == 0)
		opt_usage_error("--features names no feature");
	c->ref_rc.features = c->cur_rc.features = f;
	c->ref_rc.nfeatures = c->cur_rc.nfeatures = n;
}

static enum method
method_arg(const char *s)
{
	int i;

	for (i = 0; i <= M_JS; i++)
		if (strcmp(s, method_names[i]) == 0)
			return (enum method)i;
	opt_usage_error("invalid --method '%s'", s);
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
		case O_REF_FORMAT: c->ref_rc.fmt = fmt_arg(arg); break;
		case O_FORMAT: c->cur_rc.fmt = fmt_arg(arg); break;
		case O_FEATURES: features_arg(c, arg); break;
		case O_METHOD: c->vc.method = method_arg(arg); break;
		case O_PVAL:
			c->vc.p_val = opt_double_arg("p-val", arg, 1e-300, 1);
			break;
		case O_THRESHOLD:
			c->vc.threshold = opt_double_arg("threshold", arg, 1e-300,
			    1e300);
			break;
		case O_CORRECTION:
			if (strcmp(arg, "bonferroni") == 0)
				c->vc.correction = CORR_BONFERRONI;
			else if (strcmp(arg, "fdr") == 0)
				c->vc.correction = CORR_FDR;
			else
				opt_usage_error("invalid --correction '%s'", arg);
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
		case O_MAXMEM: c->vc.mmd.max_memory = bytes_arg(arg); break;
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

/*
 * One stray text cell (a typo, "1,5") turns a numeric feature into a
 * categorical one, and auto then tests numbers as categories: say so,
 * with the text that did it. text is the categorical sample.
 */
static void
warn_mixed(const struct table *text, const struct table *num, size_t i)
{
	const struct column *col = &text->col[i];
	size_t r;

	for (r = 0; r < text->nrows && !isnan(col->num[r]); r++)
		;
	msg_warn("feature '%s' is numeric in %s but text in %s ('%s'): "
	    "compared as categories", col->name, num->src, text->src,
	    r < text->nrows ? col->str[r] : "");
}

/* Puts cur's columns in ref's order (by name when both have names) and
 * gives both the same type per feature. 0, or -1 (reported). */
static int
match_features(struct table *ref, struct table *cur, enum method m)
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
	for (i = 0; i < ref->ncol; i++) {
		if (ref->col[i].categorical && !cur->col[i].categorical) {
			warn_mixed(ref, cur, i);
			sample_to_text(cur, i);
		} else if (cur->col[i].categorical && !ref->col[i].categorical) {
			warn_mixed(cur, ref, i);
			sample_to_text(ref, i);
		}
		if (ref->col[i].categorical && (m == M_KS || m == M_MMD ||
		    m == M_PSI || m == M_WASSERSTEIN)) {
			msg_warn("feature '%s' is categorical: %s needs numbers "
			    "(use chi2, js or auto)", ref->col[i].name,
			    method_names[m]);
			return -1;
		}
		if (m == M_CHI2 && !ref->col[i].categorical) {
			sample_to_text(ref, i);
			sample_to_text(cur, i);
		}
	}
	return 0;
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

int
main(int argc, char **argv)
{
	struct conf c;
	struct table ref, cur;
	int drift = 0, rc = EXIT_USAGE;
	jv v;

	msg_init(argv[0]);
	memset(&c, 0, sizeof c);
	c.vc.p_val = 0.05;
	c.vc.bins = 10;
	c.vc.mmd.permutations = 100;
	c.vc.mmd.max_memory = (size_t)1 << 30;
	parse_args(&c, argc, argv);
	if (sample_read(&ref, c.ref, &c.ref_rc) < 0)
		return EXIT_USAGE;
	if (sample_read(&cur, "-", &c.cur_rc) < 0)
		goto out_ref;
	if (check_size(&ref, "reference") < 0 || check_size(&cur, "current") < 0 ||
	    match_features(&ref, &cur, c.vc.method) < 0 ||
	    check_magnitude(&ref, &cur, c.vc.method) < 0)
		goto out;
	v = verdict(&c.vc, &ref, &cur, &drift);
	if (ref.dropped + cur.dropped > 0)
		v = jv_object_set(v, jv_string("dropped"),
		    jv_number((double)(ref.dropped + cur.dropped)));
	if (jsonl_write(stdout, v) < 0 || msg_close_stdout() != 0)
		goto out;
	rc = ref.bad + cur.bad > 0 ? EXIT_USAGE : drift ? EXIT_FINDING : EXIT_OK;
out:
	sample_free(&cur);
out_ref:
	sample_free(&ref);
	while (c.ref_rc.nfeatures > 0)
		free(c.ref_rc.features[--c.ref_rc.nfeatures]);
	free(c.ref_rc.features);
	return rc;
}
