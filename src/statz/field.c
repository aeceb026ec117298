/* field.c — --field JQ / --time JQ: one number per line of any JSON. */
#include <jq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "jqprog.h"
#include "jsonl.h"
#include "msg.h"
#include "series.h"
#include "statz.h"
#include "timeutil.h"

jq_state *
field_compile(const char *opt, const char *program)
{
	char *err = NULL;
	jq_state *jq = jqprog_compile(program, &err);

	if (jq == NULL) {
		msg_warn("--%s '%s': %s", opt, program, err);
		free(err);
		exit(EXIT_USAGE);
	}
	return jq;
}

static const char *
kind_name(jv v)
{
	return jv_kind_name(jv_get_kind(v));
}

/*
 * Runs jq on input (consumed) and takes its one output. Returns 1 with
 * *out, 0 when the program gave nothing, -1 after reporting why: more
 * than one output too, as taking the first would drop the rest unsaid.
 */
static int
run(struct jsonl *r, jq_state *jq, const char *opt, jv input, jv *out)
{
	jv res, more;

	jq_start(jq, input, 0);
	res = jq_next(jq);
	if (jv_is_valid(res)) {
		more = jq_next(jq);
		if (jv_is_valid(more)) {
			jsonl_warn(r, "--%s gave more than one value (one "
			    "per line; first(...) picks one)", opt);
			jv_free(more);
			jv_free(res);
			return -1;
		}
		jv_free(more);
		*out = res;
		return 1;
	}
	if (jv_invalid_has_msg(jv_copy(res))) {
		jv msg = jv_invalid_get_msg(res);

		jsonl_warn(r, "--%s: %s", opt, jv_get_kind(msg) ==
		    JV_KIND_STRING ? jv_string_value(msg) : "jq error");
		jv_free(msg);
		return -1;
	}
	jv_free(res);
	return 0;
}

int
field_number(struct jsonl *r, jq_state *jq, const char *prog, jv input,
    double *x)
{
	jv v;
	int rc = run(r, jq, "field", input, &v);

	if (rc <= 0)
		return rc;
	if (series_value(v, x) != 0) {
		jsonl_warn(r, "--field '%s' gave %s, not a number", prog,
		    kind_name(v));
		rc = -1;
	}
	jv_free(v);
	return rc;
}

int
field_time(struct jsonl *r, jq_state *jq, const char *prog, jv input,
    double *t)
{
	jv v;
	int rc = run(r, jq, "time", input, &v);

	if (rc == 0)
		jsonl_warn(r, "--time '%s' gave no time", prog);
	if (rc <= 0)
		return -1;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*t = jv_number_value(v);
		if (!time_in_range(*t)) {
			jsonl_warn(r, "--time '%s' gave %.15g, out of range (years "
			    "1 to 9999; milliseconds, not seconds?)", prog, *t);
			rc = -1;
		}
	} else if (jv_get_kind(v) != JV_KIND_STRING ||
	    time_parse(jv_string_value(v), time_now(), t) != 0) {
		jsonl_warn(r, "--time '%s' gave %s, not a time", prog,
		    kind_name(v));
		rc = -1;
	}
	jv_free(v);
	return rc;
}
