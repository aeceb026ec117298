/* Unit tests: the series fast path, JSON lines, numbers, times. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "jsonl.h"
#include "series.h"

static char *
write_series(const struct series *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	assert_int_equal(series_write(fp, s), 0);
	fclose(fp);
	return out;
}

static void
parse_ok(struct series *s, const char *line)
{
	char *err = NULL;

	if (series_parse(s, line, strlen(line), &err) != 0)
		fail_msg("parse failed: %s: %s", line, err);
}

static char *
parse_err(const char *line)
{
	struct series s;
	char *err = NULL;

	series_init(&s);
	assert_int_equal(series_parse(&s, line, strlen(line), &err), -1);
	series_free(&s);
	assert_non_null(err);
	return err;
}

static void
test_round_trip(void **state)
{
	const char *in = "{\"query\":\"rate(x[5m])\",\"metric\":{\"__name__\":\"x\","
	    "\"pod\":\"a\"},\"values\":[[1795320000,0.25],[1795320060,\"NaN\"],"
	    "[1795320120.5,\"+Inf\"],[1795320180.125,\"-Inf\"],[1795320240,\"1e-05\"]]}";
	const char *want = "{\"query\":\"rate(x[5m])\",\"metric\":{\"__name__\":\"x\","
	    "\"pod\":\"a\"},\"values\":[[1795320000,0.25],[1795320060,\"NaN\"],"
	    "[1795320120.5,\"+Inf\"],[1795320180.125,\"-Inf\"],[1795320240,1e-05]]}\n";
	struct series s;
	char *out;

	(void)state;
	series_init(&s);
	parse_ok(&s, in);
	assert_int_equal(s.n, 5);
	assert_true(s.has_values);
	assert_false(s.instant);
	assert_true(s.s[0].v == 0.25);
	assert_true(isnan(s.s[1].v));
	assert_true(isinf(s.s[2].v) && s.s[2].v > 0);
	assert_true(isinf(s.s[3].v) && s.s[3].v < 0);
	assert_true(s.s[4].v == 1e-05);
	assert_true(s.s[3].t == 1795320180.125);
	out = write_series(&s);
	assert_string_equal(out, want);
	free(out);
	series_free(&s);
}

static void
test_instant_and_context(void **state)
{
	struct series s;
	char *out;

	(void)state;
	series_init(&s);
	parse_ok(&s, "{ \"tag\" : [1,{\"a\":\"]}\"}] , \"value\" : [ 1795320000.001 , \"3\" ] ,\"z\":null}\r");
	assert_true(s.instant);
	assert_int_equal(s.n, 1);
	assert_true(s.s[0].v == 3);
	out = write_series(&s);
	assert_string_equal(out, "{\"tag\":[1,{\"a\":\"]}\"}],\"z\":null,"
	    "\"value\":[1795320000.001,3]}\n");
	free(out);
	/* A record with no values at all is still a record. */
	parse_ok(&s, "{\"a\":1}");
	assert_false(s.has_values);
	assert_int_equal(s.n, 0);
	series_free(&s);
}

static void
test_errors(void **state)
{
	char *err;

	(void)state;
	err = parse_err("{\"values\":[[1,2],[3,\"x\"]]}");
	assert_string_equal(err, "field 'values': sample 2: value is not a number");
	free(err);
	err = parse_err("{\"values\":[[1,2],[3]]}");
	assert_string_equal(err, "field 'values': sample 2: sample is not a [time, value] pair");
	free(err);
	err = parse_err("{\"values\":[[\"1\",2]]}");
	assert_string_equal(err, "field 'values': sample 1: timestamp is not a number");
	free(err);
	err = parse_err("{\"values\":[[1,2],[1e400,3]]}");
	assert_string_equal(err, "field 'values': sample 2: timestamp is not a finite number");
	free(err);
	err = parse_err("{\"value\":[-1e999,3]}");
	assert_string_equal(err, "field 'value': timestamp is not a finite number");
	free(err);
	err = parse_err("[1,2]");
	assert_string_equal(err, "not a JSON object");
	free(err);
	err = parse_err("{\"values\":[[1,2]],\"value\":[1,2]}");
	free(err);
	err = parse_err("{\"a\":tru,\"values\":[]}");
	assert_non_null(strstr(err, "invalid JSON"));
	free(err);
	err = parse_err("{\"values\":[[1,01]]}");
	free(err);
	err = parse_err("{\"values\":[[1,2]]} x");
	free(err);
	err = parse_err("{\"values\":[[1,2]");
	free(err);
}

/* Keys spelled with escapes are still "values"/"value": the samples are
 * read, and the record is not written with the key twice. */
static void
test_escaped_values_key(void **state)
{
	struct series s;
	char *out, *err;

	(void)state;
	series_init(&s);
	parse_ok(&s, "{\"a\":1,\"valu\\u0065s\":[[1795320000,\"0.5\"],[1795320060,2]]}");
	assert_true(s.has_values);
	assert_false(s.instant);
	assert_int_equal(s.n, 2);
	assert_true(s.s[0].v == 0.5 && s.s[1].t == 1795320060);
	out = write_series(&s);
	assert_string_equal(out, "{\"a\":1,\"values\":[[1795320000,0.5],[1795320060,2]]}\n");
	free(out);
	parse_ok(&s, "{\"\\u0076alue\":[1795320000,\"NaN\"]}");
	assert_true(s.instant);
	assert_int_equal(s.n, 1);
	assert_true(isnan(s.s[0].v));
	series_free(&s);
	err = parse_err("{\"values\":[[1,2]],\"valu\\u0065s\":[[3,4]]}");
	assert_string_equal(err, "field 'values': a record holds one of 'values' and 'value'");
	free(err);
	err = parse_err("{\"valu\\u0065s\":[[1,\"x\"]]}");
	assert_string_equal(err, "field 'values': sample 1: value is not a number");
	free(err);
}

/* Strict JSON around the fast path: a trailing comma is a bad line. */
static void
test_trailing_comma(void **state)
{
	char *err;

	(void)state;
	err = parse_err("{\"a\":1,}");
	assert_string_equal(err, "invalid JSON: not a well-formed object");
	free(err);
	err = parse_err("{\"values\":[[1,2]] , }");
	assert_string_equal(err, "invalid JSON: not a well-formed object");
	free(err);
	err = parse_err("{,}");
	free(err);
}

static void
test_numbers(void **state)
{
	static const char *const cases[] = {
		"0", "-0", "1", "0.1", "0.3", "123456789012345678", "1e308",
		"2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
		"3.141592653589793238462643383279", "1e-7", "9007199254740993",
		"0.000001234", "12345.6789e-3", "1E+2", "100000000000000000000000",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *s = cases[i];
		double got, want = strtod(s, NULL);
		const char *end = json_number(s, s + strlen(s), &got);

		assert_ptr_equal(end, s + strlen(s));
		if (got != want)
			fail_msg("%s: got %.17g want %.17g", s, got, want);
	}
	{
		double v;
		const char *bad[] = { "+1", ".5", "1.", "1e", "-", "0x10" };

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			const char *end = json_number(bad[i], bad[i] + strlen(bad[i]), &v);

			assert_true(end == NULL || end != bad[i] + strlen(bad[i]));
		}
	}
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	fmt_value(buf, 0.1);
	assert_string_equal(buf, "0.1");
	fmt_value(buf, 1.0 / 3);
	assert_string_equal(buf, "0.3333333333333333");
	fmt_value(buf, 42);
	assert_string_equal(buf, "42");
	fmt_value(buf, NAN);
	assert_string_equal(buf, "\"NaN\"");
	fmt_value(buf, -INFINITY);
	assert_string_equal(buf, "\"-Inf\"");
	fmt_value(buf, 1e300);
	assert_string_equal(buf, "1e+300");
	fmt_time(buf, 1795320000.1);
	assert_string_equal(buf, "1795320000.1");
	fmt_time(buf, 1795320000.0004);
	assert_string_equal(buf, "1795320000");
}

/* "Shortest text that reads back": -0 keeps its sign, and subnormals,
 * which hold fewer than 15 digits, get no padding digits. */
static void
test_format_shortest_edges(void **state)
{
	char buf[32];

	(void)state;
	fmt_value(buf, -0.0);
	assert_string_equal(buf, "-0");
	assert_true(signbit(strtod(buf, NULL)));
	fmt_value(buf, 0.0);
	assert_string_equal(buf, "0");
	fmt_value(buf, 5e-324);
	assert_string_equal(buf, "5e-324");
	fmt_value(buf, -4.8854463176594e-310);
	assert_string_equal(buf, "-4.8854463176594e-310");
	fmt_value(buf, 2.2250738585072014e-308);
	assert_string_equal(buf, "2.2250738585072014e-308");
}

/* Times too large for milliseconds in a long long, NaN and Inf: written
 * as values, never wrapped to LLONG_MIN ("-9223372036854775.808"). */
static void
test_format_huge_time(void **state)
{
	char buf[32];

	(void)state;
	fmt_time(buf, 1e300);
	assert_string_equal(buf, "1e+300");
	fmt_time(buf, -1e16);
	assert_string_equal(buf, "-1e+16");
	fmt_time(buf, INFINITY);
	assert_string_equal(buf, "\"+Inf\"");
	fmt_time(buf, NAN);
	assert_string_equal(buf, "\"NaN\"");
	fmt_time(buf, 9.2e14);
	assert_string_equal(buf, "920000000000000");
	fmt_time(buf, -1795320000.1234);
	assert_string_equal(buf, "-1795320000.123");
	fmt_time(buf, -0.0005);
	assert_string_equal(buf, "-0.001");
}

static void
test_transcode(void **state)
{
	const char *in = "[[1795320000,\"0.25\"],[1795320015.500,\"NaN\"],"
	    "[1795320030,\"+Inf\"],[1795320045.020,\".5\"],[1795320060,\"1e+06\"]]";
	struct buf out = BUF_INIT;
	const char *err = NULL, *end;
	double first = 0, last = 0;
	size_t n = 0;

	(void)state;
	end = series_transcode(&out, in, in + strlen(in), 0, &n, &first, &last, &err);
	assert_ptr_equal(end, in + strlen(in));
	assert_int_equal(n, 5);
	assert_true(first == 1795320000 && last == 1795320060);
	assert_string_equal(out.p, "[[1795320000,0.25],[1795320015.5,\"NaN\"],"
	    "[1795320030,\"+Inf\"],[1795320045.02,0.5],[1795320060,1e+06]]");
	buf_reset(&out);
	in = "[[1,\"abc\"]]";
	assert_null(series_transcode(&out, in, in + strlen(in), 0, &n, &first, &last, &err));
	assert_string_equal(err, "value is not a number");
	buf_free(&out);
}

/* The spellings the transcoder copies, trims or converts, and where it
 * stops: kept byte for byte when it was rewritten for speed (one
 * reservation per sample, times converted for the first and last only). */
static void
test_transcode_edges(void **state)
{
	static const struct {
		const char *in, *out;
		double first, last;
	} ok[] = {
		{ "[ [ 1.50e3 , \"Inf\" ] ,[ -0.0,\"-inf\"],[1.000,-2.50]\t]",
		  "[[1.50e3,\"+Inf\"],[-0,\"-Inf\"],[1,-2.50]]", 1500, 1 },
		{ "[[100.000,\"5.\"],[2e-3,\"+1\"],[7,\"-0\"],[8,\"1E+2\"]]",
		  "[[100,5],[2e-3,1],[7,-0],[8,1E+2]]", 100, 8 },
		{ "[]", "[]", 0, 0 },
	};
	static const char *const bad[] = {
		"[[1,\"\"]]", "[[1,\"0x1\"]]", "[[1,\" 1\"]]", "[[1,\"1\\u0030\"]]",
		"[[01,\"1\"]]", "[[1.,\"1\"]]", "[[1,2],]", "[[1,2] [3,4]]",
		"[[1,2]", "[[1,2,3]]", "[[1,\"1\"]x]", "[[-,1]]",
	};
	struct buf out = BUF_INIT;
	const char *err, *end;
	double first, last;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		buf_reset(&out);
		first = last = 0;
		end = series_transcode(&out, ok[i].in, ok[i].in + strlen(ok[i].in),
		    0, &n, &first, &last, &err);
		assert_ptr_equal(end, ok[i].in + strlen(ok[i].in));
		assert_string_equal(out.p, ok[i].out);
		assert_true(first == ok[i].first && last == ok[i].last);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_reset(&out);
		if (series_transcode(&out, bad[i], bad[i] + strlen(bad[i]), 0, &n,
		    &first, &last, &err) != NULL)
			fail_msg("accepted %s", bad[i]);
	}
	buf_reset(&out);
	end = "[1795320000.250,\"0.5\"] tail";
	assert_ptr_equal(series_transcode(&out, end, end + strlen(end), 1, &n,
	    &first, &last, &err), end + 22);
	assert_string_equal(out.p, "[1795320000.25,0.5]");
	assert_true(n == 1 && first == 1795320000.25 && last == first);
	buf_free(&out);
}

static void
test_jsonl_lines(void **state)
{
	static const char input[] = "{\"a\":1}\r\n\n   \n{\"b\":\n[1,2]\n\"caf\xc3\xa9 \xff\"\n{\"c\":1}{\"d\":2}\nx\0y\n{\"e\":3}";
	FILE *fp = fmemopen((void *)input, sizeof input - 1, "r");
	struct jsonl *r;
	jv v;
	int rc;

	(void)state;
	assert_non_null(fp);
	r = jsonl_open(fp, "stdin");
	assert_int_equal(jsonl_next(r, &v), 1);
	assert_int_equal(jsonl_lineno(r), 1);
	jv_free(v);
	assert_int_equal(jsonl_next(r, &v), -1);	/* {"b": */
	assert_int_equal(jsonl_lineno(r), 4);
	assert_int_equal(jsonl_next(r, &v), 1);	/* [1,2] */
	jv_free(v);
	assert_int_equal(jsonl_next(r, &v), 1);	/* invalid UTF-8 replaced */
	assert_int_equal(jv_get_kind(v), JV_KIND_STRING);
	assert_non_null(strstr(jv_string_value(v), "\xef\xbf\xbd"));
	jv_free(v);
	assert_int_equal(jsonl_next(r, &v), -1);	/* two values */
	assert_int_equal(jsonl_next(r, &v), -1);	/* NUL */
	assert_int_equal(jsonl_lineno(r), 8);
	rc = jsonl_next(r, &v);				/* no final newline */
	assert_int_equal(rc, 1);
	jv_free(v);
	assert_int_equal(jsonl_next(r, &v), 0);
	assert_int_equal(jsonl_bad(r), 3);
	jsonl_close(r);
	fclose(fp);
}

/* libjq 1.6 takes nan (printed back as null), 01, +1, 1. and .5: a value
 * changed or invented without a word. These are bad lines here. */
static void
test_jsonl_strict_numbers(void **state)
{
	static const char *const bad[] = { "nan", "{\"v\":nan}", "[NaN]",
	    "01", "[+1]", "{\"a\":1.}", ".5", "[1,-.5]", "{\"a\":[true,nul]}" };
	static const char *const good[] = { "[\"nan\",\"01\",\" +1 \"]",
	    "{\"a\\\"nan\":-0.5e+3}", "[true,false,null,0,-0,1E2]",
	    "\"\\\\\"" };
	size_t i;
	jv v;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = jsonl_parse(bad[i], strlen(bad[i]));
		if (jv_is_valid(v))
			fail_msg("accepted %s", bad[i]);
		jv_free(v);
	}
	v = jsonl_parse("{\"v\":nan}", 9);
	v = jv_invalid_get_msg(v);
	assert_string_equal(jv_string_value(v),
	    "invalid JSON: 'nan' is not a JSON value at column 6");
	jv_free(v);
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = jsonl_parse(good[i], strlen(good[i]));
		if (!jv_is_valid(v))
			fail_msg("refused %s", good[i]);
		jv_free(v);
	}
}

static void
test_jsonl_huge_line(void **state)
{
	/* A 50 MB line: one string value. */
	size_t n = 50u << 20;
	char *input = malloc(n + 4);
	FILE *fp;
	struct jsonl *r;
	jv v;

	(void)state;
	assert_non_null(input);
	input[0] = '"';
	memset(input + 1, 'a', n);
	input[n + 1] = '"';
	input[n + 2] = '\n';
	fp = fmemopen(input, n + 3, "r");
	r = jsonl_open(fp, "big");
	assert_int_equal(jsonl_next(r, &v), 1);
	assert_int_equal(jv_string_length_bytes(v), (int)n);
	jsonl_close(r);
	fclose(fp);
	free(input);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_instant_and_context),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_escaped_values_key),
		cmocka_unit_test(test_trailing_comma),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_huge_time),
		cmocka_unit_test(test_format_shortest_edges),
		cmocka_unit_test(test_transcode),
		cmocka_unit_test(test_transcode_edges),
		cmocka_unit_test(test_jsonl_lines),
		cmocka_unit_test(test_jsonl_strict_numbers),
		cmocka_unit_test(test_jsonl_huge_line),
	};

	return cmocka_run_group_tests_name("series", tests, NULL, NULL);
}
