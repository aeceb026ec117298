/* Unit tests: option helpers shared by every program (byte sizes,
 * choices, comma lists, overrides of shared options, msg_at, the shard
 * limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "msg.h"
#include "opt.h"

static unsigned long long
bytes(const char *s)
{
	unsigned long long v = 0;
	const char *errstr;

	if (opt_bytes(s, 0, 1ULL << 62, &v, &errstr) != 0)
		return (unsigned long long)-1;
	return v;
}

static void
test_bytes(void **state)
{
	(void)state;
	assert_int_equal(bytes("100"), 100);
	assert_int_equal(bytes("64k"), 65536);
	assert_int_equal(bytes("64K"), 65536);
	assert_int_equal(bytes("64KiB"), 65536);
	assert_int_equal(bytes("64KB"), 65536);
	assert_int_equal(bytes("512m"), 512ULL << 20);
	assert_int_equal(bytes("512Mi"), 512ULL << 20);
	assert_int_equal(bytes("1.5G"), 3ULL << 29);
	assert_int_equal(bytes("1.5g"), 3ULL << 29);
	assert_int_equal(bytes("2T"), 2ULL << 40);
	assert_int_equal(bytes("0.5k"), 512);
	assert_int_equal(bytes("1B"), 1);
	/* Not sizes. */
	assert_int_equal(bytes(""), (unsigned long long)-1);
	assert_int_equal(bytes("k"), (unsigned long long)-1);
	assert_int_equal(bytes("-1"), (unsigned long long)-1);
	assert_int_equal(bytes("1e3"), (unsigned long long)-1);
	assert_int_equal(bytes("0x10"), (unsigned long long)-1);
	assert_int_equal(bytes("1 G"), (unsigned long long)-1);
	assert_int_equal(bytes("1X"), (unsigned long long)-1);
	assert_int_equal(bytes("1GG"), (unsigned long long)-1);
	assert_int_equal(bytes("nan"), (unsigned long long)-1);
	assert_int_equal(bytes("99999999999T"), (unsigned long long)-1);
}

static void
test_bytes_range(void **state)
{
	unsigned long long v;
	const char *errstr;

	(void)state;
	assert_int_equal(opt_bytes("1k", 2048, 4096, &v, &errstr), -1);
	assert_string_equal(errstr, "too small");
	assert_int_equal(opt_bytes("1G", 0, 1 << 20, &v, &errstr), -1);
	assert_string_equal(errstr, "too large");
	assert_int_equal(opt_bytes("3k", 2048, 4096, &v, &errstr), 0);
	assert_int_equal(v, 3072);
}

static void
test_choice(void **state)
{
	static const char *const api[] = { "ollama", "openai", NULL };

	(void)state;
	assert_int_equal(opt_choice("ollama", api), 0);
	assert_int_equal(opt_choice("openai", api), 1);
	assert_int_equal(opt_choice("OpenAI", api), -1);
	assert_int_equal(opt_choice("", api), -1);
	assert_int_equal(opt_choice(NULL, api), -1);
}

/* Runs fn in a child with stderr in a pipe; returns its exit status and
 * what it said. */
static int
in_child(void (*fn)(void), char *err, size_t errlen)
{
	int fd[2], status;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		fn();
		_exit(0);
	}
	close(fd[1]);
	while (len + 1 < errlen &&
	    (n = read(fd[0], err + len, errlen - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
bad_choice(void)
{
	static const char *const m[] = { "ks", "mmd", "psi", NULL };

	msg_init("prog");
	opt_choice_arg("method", "kz", m);
}

static void
bad_list(void)
{
	size_t n;

	msg_init("prog");
	opt_list_arg("features", "a,,b", &n);
}

static void
bad_bytes(void)
{
	msg_init("prog");
	opt_bytes_arg("max-memory", "1.5X", 1, 1ULL << 40);
}

static void
at_line(void)
{
	msg_init("prog");
	msg_at("stdin", 12, "field '%s' is not an array", "values");
	msg_at("ref.csv", 0, "empty");
}

static void
test_messages(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(in_child(bad_choice, err, sizeof err), EXIT_USAGE);
	assert_non_null(strstr(err, "prog: invalid --method 'kz': expected "
	    "ks, mmd or psi\n"));
	assert_int_equal(in_child(bad_list, err, sizeof err), EXIT_USAGE);
	assert_non_null(strstr(err, "prog: invalid --features 'a,,b': an "
	    "empty item"));
	assert_int_equal(in_child(bad_bytes, err, sizeof err), EXIT_USAGE);
	assert_non_null(strstr(err, "prog: invalid --max-memory '1.5X'"));
	assert_int_equal(in_child(at_line, err, sizeof err), 0);
	assert_string_equal(err, "prog: stdin:12: field 'values' is not an "
	    "array\nprog: ref.csv: empty\n");
}

/* The shard limit is share/opspipe/lib/constants.sh's, passed by the
 * Makefile; test/t/constants.sh holds the shell flows to the same file. */
#define STR_(x) #x
#define STR(x) STR_(x)

static void
shard_over_max(void)
{
	struct shard sh;
	char s[64];

	msg_init("prog");
	snprintf(s, sizeof s, "0/%lld", (long long)OPSPIPE_SHARD_MAX + 1);
	shard_parse(&sh, s);
}

static void
test_shard_limit(void **state)
{
	struct shard sh;
	char err[1024], n[32];

	(void)state;
	shard_parse(&sh, "3/" STR(OPSPIPE_SHARD_MAX));
	assert_int_equal(sh.index, 3);
	assert_int_equal(sh.count, OPSPIPE_SHARD_MAX);
	assert_int_equal(in_child(shard_over_max, err, sizeof err), EXIT_USAGE);
	assert_non_null(strstr(err, "invalid --shard"));

	snprintf(n, sizeof n, "%lld", (long long)OPSPIPE_SHARD_MAX);
	setenv("OPSPIPE_SHARDS", n, 1);
	setenv("JOB_COMPLETION_INDEX", "1", 1);
	shard_default(&sh);
	assert_int_equal(sh.count, OPSPIPE_SHARD_MAX);
	assert_int_equal(sh.index, 1);
	snprintf(n, sizeof n, "%lld", (long long)OPSPIPE_SHARD_MAX + 1);
	setenv("OPSPIPE_SHARDS", n, 1);
	shard_default(&sh);	/* ignored, with a warning */
	assert_int_equal(sh.count, 1);
	unsetenv("OPSPIPE_SHARDS");
	unsetenv("JOB_COMPLETION_INDEX");
}

static void
test_list(void **state)
{
	size_t n = 0;
	char **l;

	(void)state;
	l = opt_list_arg("x", "a, b ,c", &n);
	assert_int_equal(n, 3);
	assert_string_equal(l[0], "a");
	assert_string_equal(l[1], "b");
	assert_string_equal(l[2], "c");
	assert_null(l[3]);
	opt_list_free(l);
	l = opt_list_arg("x", "one", &n);
	assert_int_equal(n, 1);
	assert_string_equal(l[0], "one");
	opt_list_free(l);
}

/* A program that renames one shared option, drops another and changes a
 * third's help: --help shows exactly that, and getopt takes the new name. */
enum { K_SHARED_A = OPT_ID(1), K_SHARED_B, K_SHARED_C, K_OWN };
static const struct opt shared[] = {
	{ "alpha", K_SHARED_A, "FILE", "shared alpha" },
	{ "beta", K_SHARED_B, NULL, "shared beta" },
	{ "gamma", K_SHARED_C, "N", "shared gamma" },
	{ NULL, 0, NULL, NULL }
};
static const struct opt own[] = {
	{ "own", K_OWN, NULL, "the program's own" },
	{ NULL, 0, NULL, NULL }
};
static const struct opt *const tables[] = { own, shared, NULL };
static const struct opt_override overrides[] = {
	{ .key = K_SHARED_A, .name = "alpha-file" },
	{ .key = K_SHARED_B, .drop = 1 },
	{ .key = K_SHARED_C, .help = "gamma, but ours (default 9)" },
	{ 0 }
};
static const struct opt_program prog = {
	.name = "prog", .synopsis = "[OPTIONS]", .summary = "a test",
	.tables = tables, .overrides = overrides,
};

static void
test_overrides(void **state)
{
	char *argv[] = { "prog", "--alpha-file", "f", "--gamma", "3", "--own",
	    NULL };
	char *bad[] = { "prog", "--beta", NULL };
	struct opt_parser *p;
	const char *arg;
	char help[4096];
	FILE *fp;
	size_t n;
	int status;
	pid_t pid;

	(void)state;
	fp = fmemopen(help, sizeof help, "w");
	assert_non_null(fp);
	opt_usage(&prog, fp, 1);
	n = (size_t)ftell(fp);
	fclose(fp);
	help[n < sizeof help ? n : sizeof help - 1] = '\0';
	assert_non_null(strstr(help, "--alpha-file FILE"));
	assert_null(strstr(help, "--alpha "));
	assert_null(strstr(help, "beta"));
	assert_non_null(strstr(help, "gamma, but ours (default 9)"));
	assert_non_null(strstr(help, "the program's own"));

	p = opt_begin(&prog, 6, argv);
	assert_int_equal(opt_next(p, &arg), K_SHARED_A);
	assert_string_equal(arg, "f");
	assert_int_equal(opt_next(p, &arg), K_SHARED_C);
	assert_string_equal(arg, "3");
	assert_int_equal(opt_next(p, &arg), K_OWN);
	assert_int_equal(opt_next(p, &arg), -1);
	opt_end(p);

	/* A dropped option is unknown: exit 2. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		p = opt_begin(&prog, 2, bad);
		opt_next(p, &arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bytes_range),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_shard_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
