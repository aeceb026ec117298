/* Unit tests: the strict .npy reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "npy.h"

/* A version-1 file image: header dict (padded as NumPy pads it) + data. */
static unsigned char *
image(const char *dict, const void *data, size_t dlen, size_t *len)
{
	size_t hl = strlen(dict), total = 10 + hl + 1, pad = (64 - total % 64) % 64;
	unsigned char *p = malloc(total + pad + dlen);

	assert_non_null(p);
	memcpy(p, "\x93NUMPY\x01\x00", 8);
	p[8] = (unsigned char)((hl + 1 + pad) & 0xff);
	p[9] = (unsigned char)((hl + 1 + pad) >> 8);
	memcpy(p + 10, dict, hl);
	memset(p + 10 + hl, ' ', pad);
	p[10 + hl + pad] = '\n';
	memcpy(p + total + pad, data, dlen);
	*len = total + pad + dlen;
	return p;
}

static int
read_dict(const char *dict, const void *data, size_t dlen, struct npy *a,
    char *err)
{
	size_t len;
	unsigned char *p = image(dict, data, dlen, &len);
	int rc = npy_read(p, len, a, err, 256);

	free(p);
	return rc;
}

static void
test_f8_c_2d(void **state)
{
	double d[6] = { 1, 2, 3, 4, 5, 6 };
	struct npy a;
	char err[256];

	(void)state;
	assert_int_equal(read_dict("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (3, 2), }", d, sizeof d, &a, err), 0);
	assert_int_equal(a.rows, 3);
	assert_int_equal(a.cols, 2);
	assert_true(a.v[1] == 2 && a.v[4] == 5);
	npy_free(&a);
}

static void
test_fortran_order(void **state)
{
	/* Column-major [[1,2],[3,4],[5,6]] is 1,3,5,2,4,6. */
	int16_t d[6] = { 1, 3, 5, 2, 4, 6 };
	struct npy a;
	char err[256];

	(void)state;
	assert_int_equal(read_dict("{'descr': '<i2', 'fortran_order': True, "
	    "'shape': (3, 2), }", d, sizeof d, &a, err), 0);
	assert_true(a.v[0] == 1 && a.v[1] == 2 && a.v[2] == 3 && a.v[5] == 6);
	npy_free(&a);
}

static void
test_big_endian_signed(void **state)
{
	unsigned char d[8] = { 0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00 };
	struct npy a;
	char err[256];

	(void)state;
	assert_int_equal(read_dict("{'descr': '>i4', 'fortran_order': False, "
	    "'shape': (2,), }", d, sizeof d, &a, err), 0);
	assert_int_equal(a.cols, 1);
	assert_true(a.v[0] == -2 && a.v[1] == 256);
	npy_free(&a);
}

static void
test_uint8_and_int8(void **state)
{
	unsigned char d[2] = { 0xff, 0x80 };
	struct npy a;
	char err[256];

	(void)state;
	assert_int_equal(read_dict("{'descr': '|u1', 'fortran_order': False, "
	    "'shape': (2,), }", d, 2, &a, err), 0);
	assert_true(a.v[0] == 255 && a.v[1] == 128);
	npy_free(&a);
	assert_int_equal(read_dict("{'descr': '|i1', 'fortran_order': False, "
	    "'shape': (2,), }", d, 2, &a, err), 0);
	assert_true(a.v[0] == -1 && a.v[1] == -128);
	npy_free(&a);
}

static void
expect_error(const char *dict, size_t dlen, const char *want)
{
	char data[64] = { 0 }, err[256] = "";
	struct npy a;

	if (read_dict(dict, data, dlen, &a, err) == 0)
		fail_msg("accepted: %s", dict);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error '%s' lacks '%s'", dict, err, want);
	assert_null(a.v);
}

static void
test_rejects(void **state)
{
	(void)state;
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
	    16, "truncated data: shape needs 24 bytes, file has 16");
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
	    16, "junk after the data");
	expect_error("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
	    16, "unsupported dtype '<c16'");
	expect_error("{'descr': '|f8', 'fortran_order': False, 'shape': (1,), }",
	    8, "unsupported dtype");
	expect_error("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }",
	    2, "unsupported dtype");
	expect_error("{'descr': [('a', '<f8')], 'fortran_order': False, "
	    "'shape': (1,), }", 8, "not a simple dtype");
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
	    8, "0-dimensional");
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }",
	    8, "more than 2 dimensions");
	expect_error("{'descr': '<f8', 'shape': (1,), }", 8, "missing");
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), "
	    "'x': 1}", 8, "unexpected key 'x'");
	expect_error("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
	    "'shape': (1,)}", 8, "duplicate key");
	expect_error("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,)}",
	    8, "bad 'fortran_order'");
	expect_error("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (99999999999999999999999,)}", 8, "bad 'shape' entry");
	expect_error("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4294967296, 4294967296)}", 8, "shape too large");
	expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x",
	    8, "junk after the dict");
}

static void
test_bad_preamble(void **state)
{
	struct npy a;
	char err[256];

	(void)state;
	assert_int_equal(npy_read((const unsigned char *)"\x93NUMPX\x01\x00",
	    8, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad magic"));
	assert_int_equal(npy_read((const unsigned char *)"\x93NUMPY\x01\x00\xff",
	    9, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "truncated header"));
	assert_int_equal(npy_read((const unsigned char *)"\x93NUMPY\x01\x00\x50\x00{}",
	    12, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "truncated header"));
	assert_int_equal(npy_read((const unsigned char *)"\x93NUMPY\x04\x00\x02\x00{\n",
	    12, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "version"));
	assert_int_equal(npy_read((const unsigned char *)"\x93NUMPY\x01\x00\x02\x00{}",
	    12, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "newline"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f8_c_2d),
		cmocka_unit_test(test_fortran_order),
		cmocka_unit_test(test_big_endian_signed),
		cmocka_unit_test(test_uint8_and_int8),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_bad_preamble),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
