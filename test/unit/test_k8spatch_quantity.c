/* Unit tests: Kubernetes resource quantities, exact (k8spatch's guard
 * compares memory and CPU with them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "quantity.h"

/* The value as plain decimal text, or "bad". */
static const char *
q(const char *s)
{
	static char buf[64];
	struct quantity v;

	if (quantity_parse(s, &v) != 0)
		return "bad";
	quantity_format(v, buf, sizeof buf);
	return buf;
}

static void
test_forms(void **state)
{
	(void)state;
	assert_string_equal(q("128Mi"), "134217728");
	assert_string_equal(q("4Gi"), "4294967296");
	assert_string_equal(q("1.5Gi"), "1610612736");
	assert_string_equal(q("1Ki"), "1024");
	assert_string_equal(q("1Ei"), "1152921504606846976");
	assert_string_equal(q("0.5"), "0.5");
	assert_string_equal(q(".5"), "0.5");
	assert_string_equal(q("5."), "5");
	assert_string_equal(q("500m"), "0.5");
	assert_string_equal(q("1m"), "0.001");
	assert_string_equal(q("250u"), "0.00025");
	assert_string_equal(q("3n"), "0.000000003");
	assert_string_equal(q("1e3"), "1000");
	assert_string_equal(q("1E3"), "1000");
	assert_string_equal(q("1e-3"), "0.001");
	assert_string_equal(q("2.5e+2"), "250");
	assert_string_equal(q("1k"), "1000");
	assert_string_equal(q("1M"), "1000000");
	assert_string_equal(q("1G"), "1000000000");
	assert_string_equal(q("1E"), "1000000000000000000");
	assert_string_equal(q("+4"), "4");
	assert_string_equal(q("-2k"), "-2000");
	assert_string_equal(q("0"), "0");
	assert_string_equal(q("0.1"), "0.1");
	/* Below a nano-unit rounds up, as Kubernetes does. */
	assert_string_equal(q("0.0000000001"), "0.000000001");
	assert_string_equal(q("1.0000000001"), "1.000000001");
}

static void
test_bad(void **state)
{
	(void)state;
	assert_string_equal(q(""), "bad");
	assert_string_equal(q("Mi"), "bad");
	assert_string_equal(q("1K"), "bad");	/* only lower-case k */
	assert_string_equal(q("1gi"), "bad");
	assert_string_equal(q("1 Gi"), "bad");
	assert_string_equal(q("1Gi "), "bad");
	assert_string_equal(q("1.5.5"), "bad");
	assert_string_equal(q("1e"), "bad");
	assert_string_equal(q("e3"), "bad");
	assert_string_equal(q("0x10"), "bad");
	assert_string_equal(q("1MiB"), "bad");
	assert_string_equal(q("--1"), "bad");
	assert_string_equal(q("."), "bad");
	assert_string_equal(q("nan"), "bad");
	assert_string_equal(q("inf"), "bad");
	assert_string_equal(q("1e400"), "bad");
	assert_string_equal(q("99999999999999999999999999999999Ei"), "bad");
	assert_string_equal(q("1e19"), "bad");		/* above 2^63 units */
	assert_string_equal(q("9223372036854775808"), "9223372036854775808");
}

static int
cmp(const char *a, const char *b)
{
	struct quantity x, y;

	assert_int_equal(quantity_parse(a, &x), 0);
	assert_int_equal(quantity_parse(b, &y), 0);
	return quantity_cmp(x, y);
}

static int
le(const char *a, const char *b, const char *f)
{
	struct quantity x, y, z;

	assert_int_equal(quantity_parse(a, &x), 0);
	assert_int_equal(quantity_parse(b, &y), 0);
	assert_int_equal(quantity_parse(f, &z), 0);
	return quantity_le_scaled(x, y, z);
}

static void
test_compare(void **state)
{
	(void)state;
	assert_int_equal(cmp("4Gi", "4294967296"), 0);
	assert_int_equal(cmp("1Gi", "1G"), 1);
	assert_int_equal(cmp("500m", "0.5"), 0);
	assert_int_equal(cmp("1e3", "1k"), 0);
	assert_int_equal(cmp("999m", "1"), -1);
	assert_int_equal(cmp("-1", "0"), -1);
	/* Factors, exactly at the edge. */
	assert_int_equal(le("512Mi", "128Mi", "4"), 1);
	assert_int_equal(le("513Mi", "128Mi", "4"), 0);
	assert_int_equal(le("1280Mi", "128Mi", "10"), 1);
	assert_int_equal(le("1281Mi", "128Mi", "10"), 0);
	assert_int_equal(le("150m", "100m", "1.5"), 1);
	assert_int_equal(le("151m", "100m", "1.5"), 0);
	assert_int_equal(le("0.3", "0.1", "3"), 1);
	assert_int_equal(le("1Ei", "1Ei", "1000"), 1);
	assert_int_equal(le("8Ei", "1", "2"), 0);
}

static void
test_json(void **state)
{
	struct quantity v;
	char buf[64];

	(void)state;
	assert_int_equal(quantity_from_jv(jv_number(0.5), &v), 0);
	quantity_format(v, buf, sizeof buf);
	assert_string_equal(buf, "0.5");
	assert_int_equal(quantity_from_jv(jv_number(2), &v), 0);
	quantity_format(v, buf, sizeof buf);
	assert_string_equal(buf, "2");
	assert_int_equal(quantity_from_jv(jv_null(), &v), -1);
	assert_int_equal(quantity_from_jv(jv_true(), &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
