/* verdict.c — runs the chosen test on every feature and builds the
 * verdict record (DESIGN.md: drift verdict). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "drift.h"
#include "msg.h"
#include "sample.h"
#include "verdict.h"

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
cmp_s(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static double *
sorted_copy(const struct column *c, size_t n)
{
	double *v = xmalloc((n ? n : 1) * sizeof *v);

	memcpy(v, c->num, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_d);
	return v;
}

/* Category counts of both samples over the union of their categories. */
static size_t
category_counts(const struct column *a, size_t n1, const struct column *b,
    size_t n2, double **ca, double **cb)
{
	char **all = xmalloc((n1 + n2) * sizeof *all), **hit;
	size_t i, k = 0;

	for (i = 0; i < n1; i++)
		all[i] = a->str[i];
	for (i = 0; i < n2; i++)
		all[n1 + i] = b->str[i];
	qsort(all, n1 + n2, sizeof *all, cmp_s);
	for (i = 0; i < n1 + n2; i++)
		if (k == 0 || strcmp(all[k - 1], all[i]) != 0)
			all[k++] = all[i];
	*ca = xcalloc(k, sizeof **ca);
	*cb = xcalloc(k, sizeof **cb);
	for (i = 0; i < n1; i++) {
		hit = bsearch(&a->str[i], all, k, sizeof *all, cmp_s);
		(*ca)[hit - all]++;
	}
	for (i = 0; i < n2; i++) {
		hit = bsearch(&b->str[i], all, k, sizeof *all, cmp_s);
		(*cb)[hit - all]++;
	}
	free(all);
	return k;
}

/*
 * One feature under one univariate method; fills res. Returns 0, or -1
 * when chi2 meets more than vc->max_categories values: its table would
 * have cells far too small for the chi-squared approximation (a
 * continuous feature has as many values as rows), and its p-value would
 * mean nothing.
 */
static int
test_feature(const struct vconf *vc, enum method m, const struct column *a,
    size_t n1, const struct column *b, size_t n2, struct fresult *res)
{
	double *sa = NULL, *sb = NULL, *ca = NULL, *cb = NULL;
	size_t k;
	struct ks_result ks;
	int rc = 0;

	res->method = m;
	res->p = NAN;
	if (m == M_CHI2 || (m == M_JS && a->categorical)) {
		k = category_counts(a, n1, b, n2, &ca, &cb);
		res->categories = k;
		if (m == M_CHI2 && k > vc->max_categories)
			rc = -1;
		else if (m == M_CHI2)
			chi2_2xk(ca, cb, k, &res->stat, &res->p, &res->dof);
		else
			res->stat = js_distance(ca, cb, k);
		goto out;
	}
	sa = sorted_copy(a, n1);
	sb = sorted_copy(b, n2);
	switch (m) {
	case M_KS:
		ks_2samp(sa, n1, sb, n2, &ks);
		res->stat = ks.d;
		res->p = ks.p;
		res->exact = ks.exact;
		break;
	case M_PSI:
		res->stat = psi(sa, n1, sb, n2, vc->bins);
		break;
	case M_WASSERSTEIN:
		res->stat = wasserstein_norm(sa, n1, sb, n2);
		break;
	case M_JS:
		ca = xcalloc((size_t)vc->bins, sizeof *ca);
		cb = xcalloc((size_t)vc->bins, sizeof *cb);
		joint_hist(sa, n1, sb, n2, vc->bins, ca, cb);
		res->stat = js_distance(ca, cb, (size_t)vc->bins);
		break;
	default:
		break;
	}
out:
	free(sa);
	free(sb);
	free(ca);
	free(cb);
	return rc;
}

static int
cmp_p(const void *a, const void *b)
{
	return cmp_d(a, b);
}

/* alibi-detect's fdr(): the Benjamini–Hochberg cut-off. */
static double
fdr_threshold(const double *p, size_t k, double q)
{
	double *s = xmalloc(k * sizeof *s), thr = q / k;
	size_t i;

	memcpy(s, p, k * sizeof *s);
	qsort(s, k, sizeof *s, cmp_p);
	for (i = 0; i < k; i++)
		if (s[i] < q * (i + 1) / k)
			thr = q * (i + 1) / k;
	free(s);
	return thr;
}

const char *const method_names[] = {
	"auto", "ks", "mmd", "psi", "wasserstein", "chi2", "js", NULL
};

static int
uses_p(enum method m)
{
	return m == M_KS || m == M_CHI2;
}

static double
default_threshold(enum method m)
{
	return m == M_PSI ? 0.25 : 0.1;
}

static jv
num_or_null(double v)
{
	return isfinite(v) ? jv_number(v) : jv_null();
}

static jv
feature_json(const char *name, const struct fresult *r, double thr)
{
	jv o = jv_object();

	o = jv_object_set(o, jv_string("name"), jv_string(name));
	o = jv_object_set(o, jv_string("method"),
	    jv_string(method_names[r->method]));
	o = jv_object_set(o, jv_string("statistic"), num_or_null(r->stat));
	if (uses_p(r->method))
		o = jv_object_set(o, jv_string("p_value"), num_or_null(r->p));
	if (r->method == M_KS)
		o = jv_object_set(o, jv_string("p_method"),
		    jv_string(r->exact ? "exact" : "asymp"));
	if (r->method == M_CHI2)
		o = jv_object_set(o, jv_string("dof"), jv_number(r->dof));
	if (r->method == M_PSI)
		o = jv_object_set(o, jv_string("level"), jv_string(
		    r->stat < 0.1 ? "none" : r->stat < 0.25 ? "moderate" :
		    "significant"));
	if (!uses_p(r->method))
		o = jv_object_set(o, jv_string("threshold"), jv_number(thr));
	o = jv_object_set(o, jv_string("drift"), jv_bool(r->drift));
	return o;
}

static jv
head(int drift, const char *method, double p, double thr, double stat,
    const struct table *ref, const struct table *cur)
{
	jv o = jv_object();

	o = jv_object_set(o, jv_string("drift"), jv_bool(drift));
	o = jv_object_set(o, jv_string("method"), jv_string(method));
	o = jv_object_set(o, jv_string("p_value"), num_or_null(p));
	o = jv_object_set(o, jv_string("threshold"), jv_number(thr));
	o = jv_object_set(o, jv_string("statistic"), num_or_null(stat));
	o = jv_object_set(o, jv_string("n_ref"), jv_number((double)ref->nrows));
	o = jv_object_set(o, jv_string("n_cur"), jv_number((double)cur->nrows));
	return o;
}

static jv
verdict_mmd(const struct vconf *vc, const struct table *ref,
    const struct table *cur, int *drift)
{
	double *x = sample_matrix(ref), *y = sample_matrix(cur);
	struct mmd_result r;
	jv o, names = jv_array();
	size_t i;

	mmd_test(x, ref->nrows, y, cur->nrows, ref->ncol, &vc->mmd, &r);
	free(x);
	free(y);
	*drift = r.p < vc->p_val;
	o = head(*drift, "mmd", r.p, vc->p_val, r.mmd2, ref, cur);
	o = jv_object_set(o, jv_string("sigma"), jv_number(r.sigma));
	o = jv_object_set(o, jv_string("sigma_from"), jv_string(r.sigma_from));
	o = jv_object_set(o, jv_string("estimator"), jv_string(r.estimator));
	if (strcmp(r.estimator, "full") == 0) {
		o = jv_object_set(o, jv_string("permutations"),
		    jv_number(vc->mmd.permutations));
		o = jv_object_set(o, jv_string("seed"),
		    jv_number((double)vc->mmd.seed));
		o = jv_object_set(o, jv_string("memory"), jv_number((double)r.bytes));
	} else {
		o = jv_object_set(o, jv_string("blocks"), jv_number((double)r.blocks));
		o = jv_object_set(o, jv_string("z"), num_or_null(r.z));
	}
	for (i = 0; i < ref->ncol; i++)
		names = jv_array_append(names, jv_string(ref->col[i].name));
	return jv_object_set(o, jv_string("features"), names);
}

jv
verdict(const struct vconf *vc, const struct table *ref,
    const struct table *cur, int *drift)
{
	struct fresult *res;
	double *p, thr, best_p = INFINITY, stat = NAN;
	size_t i, k = ref->ncol, np = 0;
	enum method first = M_AUTO, m;
	int any_p = 0, mixed = 0;
	jv o, feats;

	if (vc->method == M_MMD)
		return verdict_mmd(vc, ref, cur, drift);
	feats = jv_array();
	res = xcalloc(k, sizeof *res);
	p = xcalloc(k, sizeof *p);
	for (i = 0; i < k; i++) {
		m = vc->method;
		if (m == M_AUTO)
			m = ref->col[i].categorical ? M_CHI2 : M_KS;
		if (test_feature(vc, m, &ref->col[i], ref->nrows, &cur->col[i],
		    cur->nrows, &res[i]) < 0) {
			o = jv_invalid_with_msg(jv_string_fmt("feature '%s' has "
			    "%zu distinct values: chi2 compares at most %zu "
			    "categories (--max-categories); test numbers with ks",
			    ref->col[i].name, res[i].categories,
			    vc->max_categories));
			jv_free(feats);
			free(res);
			free(p);
			return o;
		}
		if (first == M_AUTO)
			first = m;
		else if (first != m)
			mixed = 1;
		if (uses_p(m)) {
			p[np++] = res[i].p;
			any_p = 1;
		}
	}
	if (any_p)
		thr = vc->correction == CORR_FDR ? fdr_threshold(p, np, vc->p_val) :
		    vc->p_val / (double)np;
	else
		thr = vc->threshold > 0 ? vc->threshold : default_threshold(first);
	*drift = 0;
	for (i = 0; i < k; i++) {
		res[i].drift = uses_p(res[i].method) ? res[i].p < thr :
		    res[i].stat >= thr;
		*drift |= res[i].drift;
		if (uses_p(res[i].method) ? res[i].p < best_p :
		    !(res[i].stat <= stat)) {
			best_p = res[i].p;
			stat = res[i].stat;
		}
		feats = jv_array_append(feats, feature_json(ref->col[i].name,
		    &res[i], thr));
	}
	o = head(*drift, mixed ? "auto" : method_names[first],
	    any_p ? best_p : NAN, thr, stat, ref, cur);
	if (any_p)
		o = jv_object_set(o, jv_string("correction"), jv_string(
		    vc->correction == CORR_FDR ? "fdr" : "bonferroni"));
	o = jv_object_set(o, jv_string("features"), feats);
	free(res);
	free(p);
	return o;
}
