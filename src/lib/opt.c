/* opt.c — table-driven option parsing on getopt_long. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "opt.h"
#include "timeutil.h"

/* The largest shard count, shared with the shell flows: the Makefile
 * passes it from share/opspipe/lib/constants.sh. */
#ifndef OPSPIPE_SHARD_MAX
#error "OPSPIPE_SHARD_MAX comes from share/opspipe/lib/constants.sh (build with make)"
#endif

struct opt_parser {
	const struct opt_program *prog;
	struct option *longopts;
	char shortopts[256];
	int argc;
	char **argv;
};

static const struct opt common_opts[] = {
	{ "help", OPT_HELP, NULL, "print this help and exit" },
	{ "version", OPT_VERSION, NULL, "print the version and exit" },
	{ NULL, 0, NULL, NULL }
};

/*
 * The option as this program shows it: *o with the program's override
 * applied. Returns 0 when the program dropped it.
 */
static int
effective(const struct opt_program *prog, const struct opt *o,
    struct opt *out)
{
	const struct opt_override *ov;

	*out = *o;
	for (ov = prog->overrides; ov && ov->key != 0; ov++) {
		if (ov->key != o->key)
			continue;
		if (ov->drop)
			return 0;
		if (ov->name)
			out->name = ov->name;
		if (ov->metavar)
			out->metavar = ov->metavar;
		if (ov->help)
			out->help = ov->help;
	}
	return 1;
}

static size_t
count_opts(const struct opt_program *prog)
{
	const struct opt *const *t;
	const struct opt *o;
	size_t n = 0;

	for (t = prog->tables; t && *t; t++)
		for (o = *t; o->name; o++)
			n++;
	for (o = common_opts; o->name; o++)
		n++;
	return n;
}

static void
add_opt(struct opt_parser *p, size_t *n, size_t *ns, const struct opt *o)
{
	struct option *lo = &p->longopts[(*n)++];

	lo->name = o->name;
	lo->has_arg = o->metavar ? required_argument : no_argument;
	lo->flag = NULL;
	lo->val = o->key;
	if (o->key > 0 && o->key < 256 && *ns + 3 < sizeof p->shortopts) {
		p->shortopts[(*ns)++] = (char)o->key;
		if (o->metavar)
			p->shortopts[(*ns)++] = ':';
	}
}

struct opt_parser *
opt_begin(const struct opt_program *prog, int argc, char **argv)
{
	struct opt_parser *p = xcalloc(1, sizeof *p);
	const struct opt *const *t;
	const struct opt *o;
	size_t n = 0, ns = 0;

	msg_init(argc > 0 ? argv[0] : prog->name);
	p->prog = prog;
	p->argc = argc;
	p->argv = argv;
	p->longopts = xcalloc(count_opts(prog) + 1, sizeof *p->longopts);
	/* Options may follow operands ("promq up --since 1h"), as GNU tools
	 * allow; "--" ends them. ':' lets us word the errors ourselves. */
	p->shortopts[ns++] = ':';
	for (t = prog->tables; t && *t; t++)
		for (o = *t; o->name; o++) {
			struct opt e;

			if (effective(prog, o, &e))
				add_opt(p, &n, &ns, &e);
		}
	for (o = common_opts; o->name; o++)
		add_opt(p, &n, &ns, o);
	optind = 1;
	opterr = 0;
	return p;
}

static const char *
current_option(const struct opt_parser *p)
{
	int i = optind - 1;

	if (i > 0 && i < p->argc)
		return p->argv[i];
	return "?";
}

int
opt_next(struct opt_parser *p, const char **arg)
{
	int longindex = -1;
	int c;

	*arg = NULL;
	c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, &longindex);
	switch (c) {
	case -1:
		return -1;
	case OPT_HELP:
		opt_usage(p->prog, stdout, 1);
		exit(msg_close_stdout() ? EXIT_LOCAL : EXIT_OK);
	case OPT_VERSION:
		printf("%s (opspipe) %s\n", p->prog->name, OPSPIPE_VERSION);
		exit(msg_close_stdout() ? EXIT_LOCAL : EXIT_OK);
	case '?':
		if (optopt && optopt < 256)
			opt_usage_error("unknown option '-%c'", optopt);
		opt_usage_error("unknown option '%s'", current_option(p));
	case ':':
		if (optopt && optopt < 256)
			opt_usage_error("option '-%c' needs an argument", optopt);
		opt_usage_error("option '%s' needs an argument",
		    current_option(p));
	default:
		*arg = optarg;
		return c;
	}
}

int
opt_index(const struct opt_parser *p)
{
	(void)p;
	return optind;
}

void
opt_end(struct opt_parser *p)
{
	if (p == NULL)
		return;
	free(p->longopts);
	free(p);
}

static void
print_opt(FILE *fp, const struct opt *o)
{
	char left[64];
	int n;

	if (o->key > 0 && o->key < 256)
		n = snprintf(left, sizeof left, "-%c, --%s", o->key, o->name);
	else
		n = snprintf(left, sizeof left, "    --%s", o->name);
	if (o->metavar && n > 0 && (size_t)n < sizeof left)
		snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar);
	if (strlen(left) > 26)
		fprintf(fp, "  %s\n  %-26s  %s\n", left, "", o->help);
	else
		fprintf(fp, "  %-26s  %s\n", left, o->help);
}

static void
print_synopsis(const struct opt_program *prog, FILE *fp)
{
	const char *s = prog->synopsis;
	const char *lead = "Usage:";

	while (s && *s) {
		size_t len = strcspn(s, "\n");

		fprintf(fp, "%s %s %.*s\n", lead, prog->name, (int)len, s);
		lead = "      ";
		s += len;
		if (*s == '\n')
			s++;
	}
}

void
opt_usage(const struct opt_program *prog, FILE *fp, int full)
{
	const struct opt *const *t;
	const struct opt *o;

	print_synopsis(prog, fp);
	if (!full)
		return;
	if (prog->summary)
		fprintf(fp, "\n%s\n", prog->summary);
	fprintf(fp, "\nOptions:\n");
	for (t = prog->tables; t && *t; t++)
		for (o = *t; o->name; o++) {
			struct opt e;

			if (effective(prog, o, &e))
				print_opt(fp, &e);
		}
	for (o = common_opts; o->name; o++)
		print_opt(fp, o);
	if (prog->epilog)
		fprintf(fp, "\n%s", prog->epilog);
}

void
opt_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", msg_prog());
	exit(EXIT_USAGE);
}

int
opt_long(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char *end;
	long long v;

	*errstr = "invalid";
	/* strtoll skips any leading white space ("\t5"), strtonum does not. */
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return -1;
	}
	*errstr = NULL;
	*out = v;
	return 0;
}

int
opt_double(const char *s, double min, double max, double *out,
    const char **errstr)
{
	char *end;
	double v;

	*errstr = "invalid";
	/* Decimal only: strtod alone takes "0x1p4", "infinity", "\t5". */
	if (s == NULL || *s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || isnan(v) || errno == ERANGE)
		return -1;
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	if (v > max) {
		*errstr = "too large";
		return -1;
	}
	*errstr = NULL;
	*out = v;
	return 0;
}

long long
opt_long_arg(const char *name, const char *s, long long min, long long max)
{
	const char *errstr;
	long long v;

	if (opt_long(s, min, max, &v, &errstr) != 0)
		opt_usage_error("invalid --%s '%s': %s (%lld to %lld)", name,
		    s, errstr, min, max);
	return v;
}

double
opt_double_arg(const char *name, const char *s, double min, double max)
{
	const char *errstr;
	double v;

	if (opt_double(s, min, max, &v, &errstr) != 0)
		opt_usage_error("invalid --%s '%s': %s (%g to %g)", name, s,
		    errstr, min, max);
	return v;
}

double
opt_duration_arg(const char *name, const char *s)
{
	double v;

	if (dur_parse(s, &v) != 0)
		opt_usage_error("invalid --%s '%s': not a duration "
		    "(like 90s, 30m, 1h30m, 2d)", name, s);
	return v;
}

int
opt_bytes(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr)
{
	static const char units[] = "KMGT";
	char num[64];
	const char *u;
	size_t len;
	double v, mult = 1;

	*errstr = "invalid";
	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof num)
		return -1;
	memcpy(num, s, len + 1);
	if (len > 1 && (num[len - 1] == 'B' || num[len - 1] == 'b'))
		num[--len] = '\0';
	if (len > 1 && num[len - 1] == 'i')
		num[--len] = '\0';
	if (len > 1 && (u = strchr(units, toupper((unsigned char)num[len - 1]))) &&
	    *u != '\0') {
		mult = ldexp(1, 10 * (int)(u - units + 1));
		num[--len] = '\0';
	}
	if (strpbrk(num, "eE+-") != NULL)	/* "1e3", "-5": not sizes */
		return -1;
	if (opt_double(num, 0, 1e300, &v, errstr) != 0)
		return -1;
	v = floor(v * mult);
	if (v < (double)min) {
		*errstr = "too small";
		return -1;
	}
	if (v > (double)max || v >= 18446744073709551616.0) {
		*errstr = "too large";
		return -1;
	}
	*errstr = NULL;
	*out = (unsigned long long)v;
	return 0;
}

unsigned long long
opt_bytes_arg(const char *name, const char *s, unsigned long long min,
    unsigned long long max)
{
	unsigned long long v;
	const char *errstr;

	if (opt_bytes(s, min, max, &v, &errstr) != 0)
		opt_usage_error("invalid --%s '%s': %s (a size like 512K, "
		    "1.5G; %llu to %llu bytes)", name, s, errstr, min, max);
	return v;
}

int
opt_choice(const char *s, const char *const *choices)
{
	for (int i = 0; s && choices[i]; i++)
		if (strcmp(s, choices[i]) == 0)
			return i;
	return -1;
}

int
opt_choice_arg(const char *name, const char *s, const char *const *choices)
{
	char list[512];
	size_t len = 0;
	int i = opt_choice(s, choices);

	if (i >= 0)
		return i;
	list[0] = '\0';
	for (int k = 0; choices[k] && len < sizeof list; k++) {
		const char *sep = k == 0 ? "" : choices[k + 1] ? ", " : " or ";
		int n = snprintf(list + len, sizeof list - len, "%s%s", sep,
		    choices[k]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	opt_usage_error("invalid --%s '%s': expected %s", name, s, list);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

char **
opt_list_arg(const char *name, const char *s, size_t *n)
{
	char **list;
	size_t count = 1, k = 0;
	const char *p, *end;

	for (p = s; *p; p++)
		count += *p == ',';
	list = xcalloc(count + 1, sizeof *list);
	for (p = s;; p = end + 1) {
		const char *a = p, *b;

		end = strchr(p, ',');
		b = end ? end : p + strlen(p);
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		if (a == b) {
			opt_list_free(list);
			opt_usage_error("invalid --%s '%s': an empty item in "
			    "the comma-separated list", name, s);
		}
		list[k] = xmalloc((size_t)(b - a) + 1);
		memcpy(list[k], a, (size_t)(b - a));
		list[k++][b - a] = '\0';
		if (end == NULL)
			break;
	}
	*n = k;
	return list;
}

void
opt_list_free(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

void
shard_default(struct shard *sh)
{
	const char *idx = getenv("JOB_COMPLETION_INDEX");
	const char *cnt = getenv("OPSPIPE_SHARDS");
	const char *errstr;
	long long i, n;

	sh->index = 0;
	sh->count = 1;
	if (idx == NULL && cnt == NULL)
		return;
	/* An Indexed Job always sets JOB_COMPLETION_INDEX: without the count
	 * every pod would silently do the whole list. */
	if (idx == NULL || cnt == NULL) {
		msg_warn("%s is set but %s is not: taking every item",
		    idx ? "JOB_COMPLETION_INDEX" : "OPSPIPE_SHARDS",
		    idx ? "OPSPIPE_SHARDS" : "JOB_COMPLETION_INDEX");
		return;
	}
	if (opt_long(cnt, 1, OPSPIPE_SHARD_MAX, &n, &errstr) != 0 ||
	    opt_long(idx, 0, n - 1, &i, &errstr) != 0) {
		msg_warn("ignoring JOB_COMPLETION_INDEX '%s' with "
		    "OPSPIPE_SHARDS '%s'", idx, cnt);
		return;
	}
	sh->index = i;
	sh->count = n;
}

void
shard_parse(struct shard *sh, const char *s)
{
	const char *slash = strchr(s, '/');
	const char *errstr;
	char idx[32];
	long long i, n;

	if (slash == NULL || (size_t)(slash - s) >= sizeof idx)
		opt_usage_error("invalid --shard '%s': expected I/N", s);
	memcpy(idx, s, (size_t)(slash - s));
	idx[slash - s] = '\0';
	if (opt_long(slash + 1, 1, OPSPIPE_SHARD_MAX, &n, &errstr) != 0 ||
	    opt_long(idx, 0, n - 1, &i, &errstr) != 0)
		opt_usage_error("invalid --shard '%s': expected I/N with "
		    "0 <= I < N", s);
	sh->index = i;
	sh->count = n;
}

int
shard_mine(const struct shard *sh, unsigned long long item)
{
	return sh->count <= 1 || item % (unsigned long long)sh->count ==
	    (unsigned long long)sh->index;
}
