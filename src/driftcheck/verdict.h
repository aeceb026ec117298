/* verdict.h — per-feature tests and the verdict record. */
#ifndef DRIFTCHECK_VERDICT_H
#define DRIFTCHECK_VERDICT_H

#include <jv.h>

#include "drift.h"
#include "sample.h"

enum method { M_AUTO, M_KS, M_MMD, M_PSI, M_WASSERSTEIN, M_CHI2, M_JS };
enum correction { CORR_BONFERRONI, CORR_FDR };

/* The --method words, in enum method's order; NULL-ended. */
extern const char *const method_names[];

struct vconf {
	enum method method;
	enum correction correction;
	double p_val;
	double threshold;	/* <= 0: the method's default */
	int bins;
	size_t max_categories;	/* chi2: more distinct values are refused */
	struct mmd_conf mmd;
};

struct fresult {
	enum method method;
	double stat, p;
	int exact;		/* ks: exact p-value */
	int dof;		/* chi2 */
	size_t categories;
	int drift;
};

/* The verdict record (returned, caller owns it); *drift set. Features of
 * ref and cur are already matched and typed alike. jv_invalid_with_msg
 * when a feature cannot be tested (chi2 over too many values). */
jv verdict(const struct vconf *vc, const struct table *ref,
    const struct table *cur, int *drift);

#endif
