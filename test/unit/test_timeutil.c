/* Unit tests: durations, times, checked numbers, shards. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <cmocka.h>

#include "opt.h"
#include "timeutil.h"

static double
dur(const char *s)
{
	double v = -1;

	if (dur_parse(s, &v) != 0)
		return -1;
	return v;
}

static void
test_durations(void **state)
{
	char buf[64];

	(void)state;
	assert_true(dur("90s") == 90);
	assert_true(dur("30m") == 1800);
	assert_true(dur("1h30m") == 5400);
	assert_true(dur("2d") == 172800);
	assert_true(dur("1w") == 604800);
	assert_true(dur("1y") == 31536000);
	assert_true(dur("500ms") == 0.5);
	assert_true(dur("1m500ms") == 60.5);
	assert_true(dur("15") == 15);
	assert_true(dur("0.5") == 0.5);
	assert_true(dur("30m1h") == -1);	/* units out of order */
	assert_true(dur("1h1h") == -1);
	assert_true(dur("") == -1);
	assert_true(dur("h") == -1);
	assert_true(dur("5x") == -1);
	assert_true(dur("-5m") == -1);
	assert_true(dur("1.5h") == -1);
	dur_format(5400, buf, sizeof buf);
	assert_string_equal(buf, "1h30m");
	dur_format(0.25, buf, sizeof buf);
	assert_string_equal(buf, "250ms");
	dur_format(691200, buf, sizeof buf);
	assert_string_equal(buf, "1w1d");
}

static double
tm(const char *s)
{
	double t = -1;

	if (time_parse(s, 1795320000, &t) != 0)
		return -1;
	return t;
}

static void
test_times(void **state)
{
	char buf[64];

	(void)state;
	assert_true(tm("now") == 1795320000);
	assert_true(tm("now-1h") == 1795316400);
	assert_true(tm("now+5m") == 1795320300);
	assert_true(tm("1795320000.5") == 1795320000.5);
	assert_true(tm("2026-11-22T05:00:00Z") == 1795323600);
	assert_true(tm("2026-11-22T05:00:00.250Z") == 1795323600.25);
	assert_true(tm("2026-11-22T07:00:00+02:00") == 1795323600);
	assert_true(tm("2026-11-22 05:00:00Z") == 1795323600);
	assert_true(tm("2026-13-22T05:00:00Z") == -1);
	assert_true(tm("2026-11-22T05:00:00") == -1);	/* no zone */
	assert_true(tm("yesterday") == -1);
	assert_true(tm("now-") == -1);
	assert_true(tm("") == -1);
	time_format(1795323600, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-22T05:00:00Z");
	time_format(1795323600.5, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-22T05:00:00.500Z");
}

/* Dates that do not exist, a dot without digits, offsets beyond a day:
 * refused, not normalised into another time. Unix seconds may be
 * negative, and are decimal only. */
static void
test_times_edges(void **state)
{
	(void)state;
	assert_true(tm("2026-02-31T00:00:00Z") == -1);
	assert_true(tm("2026-04-31T00:00:00Z") == -1);
	assert_true(tm("2026-02-29T00:00:00Z") == -1);
	assert_true(tm("2028-02-29T00:00:00Z") == 1835395200);
	assert_true(tm("2000-02-29T00:00:00Z") == 951782400);
	assert_true(tm("2100-02-29T00:00:00Z") == -1);
	assert_true(tm("2026-11-22T05:00:00.Z") == -1);
	assert_true(tm("2026-11-22T05:00:00+24:00") == -1);
	assert_true(tm("2026-11-22T05:00:00+05:60") == -1);
	assert_true(tm("2026-11-22T10:30:00+05:30") == 1795323600);
	assert_true(tm("2016-12-31T23:59:60Z") == 1483228800);
	assert_true(tm("2026-11-22T05:00:00.125000000001Z") > 1795323600.124 &&
	    tm("2026-11-22T05:00:00.125000000001Z") < 1795323600.126);
	assert_true(tm("-5") == -5);
	assert_true(tm("-1.5") == -1.5);
	assert_true(tm("1e9") == 1e9);
	assert_true(tm("0x10") == -1);
	assert_true(tm("-") == -1);
	assert_true(tm("-x") == -1);
	assert_true(tm(" 5") == -1);
	assert_true(tm("1e999") == -1);
	assert_true(tm("now-1h30m") == 1795314600);
	assert_true(tm("now-90") == 1795319910);
}

/* Times no calendar holds: "invalid", not signed overflow (UBSan). */
static void
test_format_huge(void **state)
{
	char buf[64];

	(void)state;
	time_format(9e99, buf, sizeof buf);
	assert_string_equal(buf, "invalid");
	time_format(-1e300, buf, sizeof buf);
	assert_string_equal(buf, "invalid");
	time_format(NAN, buf, sizeof buf);
	assert_string_equal(buf, "invalid");
	time_format(-0.5, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31T23:59:59.500Z");
}

static void
test_numbers(void **state)
{
	const char *errstr;
	long long v;
	double d;

	(void)state;
	assert_int_equal(opt_long("42", 0, 100, &v, &errstr), 0);
	assert_int_equal(v, 42);
	assert_int_equal(opt_long("101", 0, 100, &v, &errstr), -1);
	assert_string_equal(errstr, "too large");
	assert_int_equal(opt_long("-1", 0, 100, &v, &errstr), -1);
	assert_string_equal(errstr, "too small");
	assert_int_equal(opt_long("4x", 0, 100, &v, &errstr), -1);
	assert_string_equal(errstr, "invalid");
	assert_int_equal(opt_long("", 0, 100, &v, &errstr), -1);
	assert_int_equal(opt_long("99999999999999999999", 0, 100, &v, &errstr), -1);
	assert_int_equal(opt_double("0.95", 0, 1, &d, &errstr), 0);
	assert_true(d == 0.95);
	assert_int_equal(opt_double("nan", 0, 1, &d, &errstr), -1);
	assert_int_equal(opt_double("1.5", 0, 1, &d, &errstr), -1);
}

/* What strtol/strtod take beyond decimal numbers is invalid here. */
static void
test_numbers_strict(void **state)
{
	static const char *const bad[] = { "\t5", "\n5", " 5", "5 ", "0x10",
	    "0x1p4", "inf", "infinity", "nan", "1,5", "" };
	const char *errstr;
	long long v;
	double d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (opt_long(bad[i], -1000, 1000, &v, &errstr) == 0 ||
		    opt_double(bad[i], -1e300, 1e300, &d, &errstr) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_string_equal(errstr, "invalid");
	}
	assert_int_equal(opt_double("-1.5e2", -1e300, 1e300, &d, &errstr), 0);
	assert_true(d == -150);
	assert_int_equal(opt_double("+.5", 0, 1, &d, &errstr), 0);
	assert_true(d == 0.5);
	assert_int_equal(opt_long("+7", 0, 10, &v, &errstr), 0);
	assert_int_equal(v, 7);
}

static void
test_shards(void **state)
{
	struct shard sh;
	int i, mine = 0;

	(void)state;
	setenv("JOB_COMPLETION_INDEX", "2", 1);
	setenv("OPSPIPE_SHARDS", "4", 1);
	shard_default(&sh);
	assert_int_equal(sh.index, 2);
	assert_int_equal(sh.count, 4);
	for (i = 0; i < 100; i++)
		mine += shard_mine(&sh, (unsigned long long)i);
	assert_int_equal(mine, 25);
	assert_true(shard_mine(&sh, 6));
	assert_false(shard_mine(&sh, 7));
	shard_parse(&sh, "0/1");
	assert_true(shard_mine(&sh, 7));
}

/* Runs shard_default with stderr in a file; returns what it said. */
static char *
shard_default_stderr(struct shard *sh)
{
	FILE *tmp = tmpfile();
	char *text = calloc(1, 512);
	int saved = dup(2);

	assert_non_null(tmp);
	assert_non_null(text);
	fflush(stderr);
	assert_int_equal(dup2(fileno(tmp), 2), 2);
	shard_default(sh);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	if (fread(text, 1, 511, tmp) == 0)
		text[0] = '\0';
	fclose(tmp);
	return text;
}

/* Half the sharding environment: every item, and a warning saying so. */
static void
test_shards_half_set(void **state)
{
	struct shard sh;
	char *said;

	(void)state;
	setenv("JOB_COMPLETION_INDEX", "3", 1);
	unsetenv("OPSPIPE_SHARDS");
	said = shard_default_stderr(&sh);
	assert_true(sh.index == 0 && sh.count == 1);
	assert_non_null(strstr(said, "JOB_COMPLETION_INDEX is set but "
	    "OPSPIPE_SHARDS is not: taking every item"));
	free(said);
	unsetenv("JOB_COMPLETION_INDEX");
	said = shard_default_stderr(&sh);
	assert_true(sh.index == 0 && sh.count == 1);
	assert_string_equal(said, "");
	free(said);
	setenv("OPSPIPE_SHARDS", "4", 1);
	said = shard_default_stderr(&sh);
	assert_true(sh.count == 1);
	assert_non_null(strstr(said, "OPSPIPE_SHARDS is set but "
	    "JOB_COMPLETION_INDEX is not"));
	free(said);
	unsetenv("OPSPIPE_SHARDS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_times_edges),
		cmocka_unit_test(test_format_huge),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_numbers_strict),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_shards_half_set),
	};

	return cmocka_run_group_tests_name("timeutil", tests, NULL, NULL);
}
