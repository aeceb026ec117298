/* Unit tests: the streaming JSON splitter and the object iterator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "jstream.h"

/* Every piece as "path=text\n". */
static int
collect(void *ctx, const char *path, const char *text, size_t len)
{
	struct buf *b = ctx;

	buf_printf(b, "%s=%.*s\n", path, (int)len, text);
	return 0;
}

/* Splits doc into chunks of size n (0: whole) and returns the pieces. */
static char *
split(const char *path, const char *doc, size_t n, int *rc)
{
	struct buf b = BUF_INIT;
	struct jstream *js = jstream_new(path, collect, &b);
	size_t len = strlen(doc), i;

	*rc = 0;
	if (n == 0)
		n = len;
	for (i = 0; i < len && *rc == 0; i += n)
		*rc = jstream_feed(js, doc + i, len - i < n ? len - i : n);
	if (*rc == 0)
		*rc = jstream_finish(js);
	jstream_free(js);
	buf_adds(&b, "");
	return buf_detach(&b);
}

/* The same pieces whatever the chunk sizes. */
static void
expect_pieces(const char *path, const char *doc, const char *want)
{
	size_t n, len = strlen(doc);
	int rc;

	for (n = 0; n <= len; n++) {
		char *got = split(path, doc, n, &rc);
		if (rc != 0 || strcmp(got, want) != 0)
			fail_msg("chunk %zu: rc %d\n got: %s\nwant: %s", n, rc,
			    got, want);
		free(got);
	}
}

static void
expect_error(const char *path, const char *doc)
{
	size_t n, len = strlen(doc);
	int rc;

	for (n = 0; n <= len; n++) {
		free(split(path, doc, n, &rc));
		if (rc != -1)
			fail_msg("chunk %zu: accepted %s", n, doc);
	}
}

static void
test_prometheus_matrix(void **state)
{
	(void)state;
	expect_pieces("data.result",
	    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
	    "\"result\":[{\"metric\":{\"a\":\"x]}\\\"\"},\"values\":[[1,\"2\"]]},"
	    " {\"metric\":{},\"values\":[]} ]},\"warnings\":[\"w1\"]}",
	    "status=\"success\"\n"
	    "data.resultType=\"matrix\"\n"
	    "data.result[]={\"metric\":{\"a\":\"x]}\\\"\"},\"values\":[[1,\"2\"]]}\n"
	    "data.result[]={\"metric\":{},\"values\":[]}\n"
	    "warnings=[\"w1\"]\n");
}

static void
test_scalar_elements(void **state)
{
	(void)state;
	/* a scalar result: the elements are a number and a string */
	expect_pieces("data.result",
	    "{ \"data\" : { \"result\" : [ 1795320000.5 , \"1e3\" ] } }\n",
	    "data.result[]=1795320000.5\ndata.result[]=\"1e3\"\n");
	expect_pieces("data",
	    "{\"status\":\"success\",\"data\":[\"__name__\",\"job\",true,null]}",
	    "status=\"success\"\ndata[]=\"__name__\"\ndata[]=\"job\"\n"
	    "data[]=true\ndata[]=null\n");
}

static void
test_not_an_array(void **state)
{
	(void)state;
	expect_pieces("data.result",
	    "{\"status\":\"error\",\"errorType\":\"bad_data\","
	    "\"error\":\"parse \\\"error\\\"\",\"data\":null}",
	    "status=\"error\"\nerrorType=\"bad_data\"\n"
	    "error=\"parse \\\"error\\\"\"\ndata=null\n");
	expect_pieces("data.result", "{\"data\":{\"result\":{\"x\":[1]}}}",
	    "data.result={\"x\":[1]}\n");
	expect_pieces("data.result", "{}", "");
	expect_pieces("data.result", "{\"data\":{\"result\":[]}}", "");
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("data.result", "");
	expect_error("data.result", "[1,2]");
	expect_error("data.result", "{\"data\":{\"result\":[{\"a\":1}");
	expect_error("data.result", "{\"data\":{\"result\":[{\"a\":1}]}} x");
	expect_error("data.result", "{\"data\" 1}");
	expect_error("data.result", "{\"a\":1 \"b\":2}");
	expect_error("data.result", "{\"a\":}");
	expect_error("data.result", "{\"data\":{\"result\":[1 2]}}");
	expect_error("data.result", "<html>503</html>");
}

static int
stop_second(void *ctx, const char *path, const char *text, size_t len)
{
	int *n = ctx;

	(void)path, (void)text, (void)len;
	return ++*n == 2 ? 7 : 0;
}

static void
test_callback_stops(void **state)
{
	const char *doc = "{\"data\":[1,2,3]}";
	struct jstream *js;
	int n = 0;

	(void)state;
	js = jstream_new("data", stop_second, &n);
	assert_int_equal(jstream_feed(js, doc, strlen(doc)), 7);
	assert_int_equal(n, 2);
	assert_int_equal(jstream_feed(js, "", 0), -1);
	jstream_free(js);
}

static void
test_object_iter(void **state)
{
	const char *t = " { \"metric\" : {\"a\":\"}\"} , \"values\":[[1,\"2\"]],"
	    "\"n\":-1.5e3 }";
	struct jobj_iter it;
	struct jmember m;

	(void)state;
	assert_int_equal(jobj_begin(&it, t, strlen(t)), 0);
	assert_int_equal(jobj_next(&it, &m), 1);
	assert_true(jmember_is(&m, "metric"));
	assert_int_equal(m.vlen, strlen("{\"a\":\"}\"}"));
	assert_int_equal(jobj_next(&it, &m), 1);
	assert_true(jmember_is(&m, "values"));
	assert_memory_equal(m.val, "[[1,\"2\"]]", m.vlen);
	assert_int_equal(jobj_next(&it, &m), 1);
	assert_true(jmember_is(&m, "n"));
	assert_memory_equal(m.val, "-1.5e3", m.vlen);
	assert_int_equal(jobj_next(&it, &m), 0);

	assert_int_equal(jobj_begin(&it, "[]", 2), -1);
	t = "{\"a\":1,}";
	assert_int_equal(jobj_begin(&it, t, strlen(t)), 0);
	assert_int_equal(jobj_next(&it, &m), 1);
	assert_int_equal(jobj_next(&it, &m), -1);
	t = "{\"a\":[1";
	assert_int_equal(jobj_begin(&it, t, strlen(t)), 0);
	assert_int_equal(jobj_next(&it, &m), -1);
	assert_null(jvalue_end("\"abc", t + 4));
	t = "\"a\\\"b\" ,";
	assert_ptr_equal(jvalue_end(t, t + strlen(t)), t + 6);
}

static void
test_object_lazy(void **state)
{
	const char *t = "{\"values\":[[1,\"2\"]], \"n\":1}";
	struct jobj_iter it;
	struct jmember m;

	(void)state;
	assert_int_equal(jobj_begin(&it, t, strlen(t)), 0);
	assert_int_equal(jobj_next_key(&it, &m), 1);
	assert_true(jmember_is(&m, "values"));
	assert_int_equal(m.vlen, 0);
	assert_int_equal(*m.val, '[');
	/* the caller parsed the value itself and says where it ended */
	jobj_skip_to(&it, jvalue_end(m.val, it.end));
	assert_int_equal(jobj_next(&it, &m), 1);
	assert_true(jmember_is(&m, "n"));
	assert_memory_equal(m.val, "1", m.vlen);
	assert_int_equal(jobj_next_key(&it, &m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus_matrix),
		cmocka_unit_test(test_scalar_elements),
		cmocka_unit_test(test_not_an_array),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_object_iter),
		cmocka_unit_test(test_object_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
