/* opt.h — options declared once, in a table.
 *
 * A program lists its options as struct opt rows; getopt_long's arrays,
 * --help and the man page check in the tests are all derived from them.
 * Several tables can be combined (a program's own, http_opts[], …).
 */
#ifndef OPSPIPE_OPT_H
#define OPSPIPE_OPT_H

#include <stdio.h>

/* key: a short option letter, or OPT_ID(n) for a long-only option. */
#define OPT_ID(n)	(256 + (n))
#define OPT_HELP	'h'
#define OPT_VERSION	OPT_ID(999)

struct opt {
	const char *name;	/* long name without "--"; NULL ends a table */
	int key;
	const char *metavar;	/* argument name ("SEC"), NULL: no argument */
	const char *help;	/* one line, lowercase, no period */
};

/*
 * A program's change to a shared option (http_opts[], …), matched by key:
 * a new name, metavar or help line (NULL keeps the shared one), or, with
 * drop set, no such option at all. Ends with key 0.
 */
struct opt_override {
	int key;
	const char *name;
	const char *metavar;
	const char *help;
	int drop;
};

struct opt_program {
	const char *name;		/* "promq" */
	const char *synopsis;		/* "[OPTIONS] QUERY...\n[OPTIONS] -" */
	const char *summary;		/* one line: what it does */
	const struct opt *const *tables; /* NULL-terminated list */
	const char *epilog;		/* after the options (exit status, env) */
	const struct opt_override *overrides;	/* NULL: none */
};

struct opt_parser;

/* Starts parsing; --help and --version are handled inside opt_next. */
struct opt_parser *opt_begin(const struct opt_program *prog, int argc,
    char **argv);
/*
 * Returns the next option's key with *arg set to its argument (or NULL),
 * or -1 when options end; then opt_index() is the first operand.
 * Unknown options and missing arguments exit 2 with a hint; --help prints
 * the usage to stdout and exits 0; --version prints "PROG (opspipe) X.Y.Z".
 */
int opt_next(struct opt_parser *p, const char **arg);
int opt_index(const struct opt_parser *p);
void opt_end(struct opt_parser *p);

/* Prints usage; full=0 gives only the synopsis (for errors). */
void opt_usage(const struct opt_program *prog, FILE *fp, int full);
/* "PROG: MSG\nTry 'PROG --help'." then exit 2. */
void opt_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), __noreturn__));

/*
 * Checked numbers, after OpenBSD's strtonum: 0 on success, -1 with
 * *errstr "invalid", "too small" or "too large".
 */
int opt_long(const char *s, long long min, long long max, long long *out,
    const char **errstr);
int opt_double(const char *s, double min, double max, double *out,
    const char **errstr);
/* The same, exiting 2 with "invalid --NAME 'S': too large" on error. */
long long opt_long_arg(const char *name, const char *s, long long min,
    long long max);
double opt_double_arg(const char *name, const char *s, double min,
    double max);
/* A duration option ("30s", "5m", "1h30m"); exits 2 when invalid. */
double opt_duration_arg(const char *name, const char *s);

/*
 * A byte size: a decimal number with an optional binary suffix, K, M, G
 * or T in either case, optionally followed by "i" and/or "B" ("1.5G",
 * "512m", "64KiB", "100"); 1K is 1024. The result is rounded down to a
 * whole byte and must lie in [min, max].
 */
int opt_bytes(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr);
unsigned long long opt_bytes_arg(const char *name, const char *s,
    unsigned long long min, unsigned long long max);

/*
 * One of a fixed set of words: returns its index in choices (a NULL-ended
 * list), else exits 2 with "invalid --NAME 'S': expected a, b or c".
 */
int opt_choice_arg(const char *name, const char *s,
    const char *const *choices);
/* The same without exiting: the index, or -1. */
int opt_choice(const char *s, const char *const *choices);

/*
 * A comma-separated list ("a,b,c"): the items, trimmed of surrounding
 * blanks, in a NULL-ended array of n (caller frees with opt_list_free).
 * An empty list or an empty item exits 2 naming the option.
 */
char **opt_list_arg(const char *name, const char *s, size_t *n);
void opt_list_free(char **list);

/*
 * --shard I/N: this process takes items i with i % N == I. Default from
 * JOB_COMPLETION_INDEX and OPSPIPE_SHARDS (an Indexed Job's completions).
 */
struct shard {
	long long index, count;		/* count 1: take everything */
};
void shard_default(struct shard *sh);
void shard_parse(struct shard *sh, const char *s);	/* exits 2 when bad */
int shard_mine(const struct shard *sh, unsigned long long item);

#endif
