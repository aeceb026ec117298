/* test_prpost_change.c — prpost's pure parts: paths, bytes, blob ids,
 * branch names, and the rate-limit waits (which the end-to-end tests
 * can only run shortened). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "prpost.h"

static void
test_blob_id(void **state)
{
	char id[41];

	/* git hash-object of "hello\n" and of the empty file */
	git_blob_id("hello\n", 6, id);
	assert_string_equal(id, "ce013625030ba8dba906f756967f9e9ca394464a");
	git_blob_id("", 0, id);
	assert_string_equal(id, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

static void
test_paths(void **state)
{
	assert_null(path_refused("apps/web/nginx.yaml"));
	assert_null(path_refused("dir with spaces/ünïcödé.yaml"));
	assert_null(path_refused("..hidden/x..y"));
	assert_non_null(path_refused(""));
	assert_non_null(path_refused("/etc/passwd"));
	assert_non_null(path_refused("a/../b"));
	assert_non_null(path_refused("../b"));
	assert_non_null(path_refused("a/./b"));
	assert_non_null(path_refused("a//b"));
	assert_non_null(path_refused("a/"));
	assert_non_null(path_refused(".git/config"));
	assert_non_null(path_refused("a\nb"));
	assert_non_null(path_refused("bad\377name.yaml"));
	assert_non_null(path_refused("caf\xc3"));
}

static void
test_text(void **state)
{
	assert_true(is_text("plain\r\nCRLF", 11));
	assert_true(is_text("caf\xc3\xa9 \xf0\x9f\x9a\x80", 10));
	assert_false(is_text("nul\0inside", 10));
	assert_false(is_text("\xff\xfe", 2));
	assert_false(is_text("\xc3", 1));		/* cut short */
	assert_false(is_text("\xc0\xaf", 2));		/* overlong '/' */
	assert_false(is_text("\xed\xa0\x80", 3));	/* a surrogate */
}

static void
test_base64(void **state)
{
	const char bin[] = { 0, 1, (char)0xff, 'b', 'i', 'n' };
	char *e = b64_encode(bin, sizeof bin), *d;
	size_t n;

	assert_string_equal(e, "AAH/Ymlu");
	d = b64_decode("AAH/\nYmlu\n", 10, &n);	/* GitHub wraps lines */
	assert_non_null(d);
	assert_int_equal(n, sizeof bin);
	assert_memory_equal(d, bin, n);
	free(d);
	d = b64_decode("YQ==", 4, &n);
	assert_int_equal(n, 1);
	assert_string_equal(d, "a");
	free(d);
	assert_null(b64_decode("abc", 3, &n));
	free(e);
}

static void
add(struct change *c, const char *path, const char *data)
{
	assert_null(change_add(c, path, data, data ? strlen(data) : 0,
	    data == NULL));
}

static void
test_branch_name(void **state)
{
	struct change a = { 0 }, b = { 0 }, d = { 0 };
	char *dup;

	a.base = strdup("main");
	add(&a, "apps/web/nginx.yaml", "replicas: 3\n");
	add(&a, "apps/old.yaml", NULL);
	assert_null(change_finish(&a));
	/* named after the first path, hashed over base and content */
	assert_int_equal(strncmp(a.branch, "opspipe/apps-old-yaml-", 22), 0);
	assert_int_equal(strlen(a.branch), 22 + 12);
	assert_null(branch_refused(a.branch));
	/* the same change in another order: the same branch */
	b.base = strdup("main");
	add(&b, "apps/old.yaml", NULL);
	add(&b, "apps/web/nginx.yaml", "replicas: 3\n");
	assert_null(change_finish(&b));
	assert_string_equal(a.branch, b.branch);
	/* other content, another branch; a path twice is refused */
	d.base = strdup("main");
	add(&d, "apps/web/nginx.yaml", "replicas: 4\n");
	add(&d, "apps/web/nginx.yaml", "replicas: 5\n");
	dup = change_finish(&d);
	assert_non_null(dup);
	free(dup);
	change_free(&a);
	change_free(&b);
	change_free(&d);
}

static void
test_branch_refused(void **state)
{
	assert_null(branch_refused("main"));
	assert_null(branch_refused("opspipe/fix-1"));
	assert_non_null(branch_refused("a..b"));
	assert_non_null(branch_refused("a b"));
	assert_non_null(branch_refused("a/"));
	assert_non_null(branch_refused("x.lock"));
	assert_non_null(branch_refused("-x"));
	assert_non_null(branch_refused("a@{1}"));
	assert_null(branch_refused("fix/\xc3\xbc"));
	assert_non_null(branch_refused("fix/b\377d"));
}

static void
test_rate_limit_wait(void **state)
{
	const char *why = NULL;
	time_t now = 1000;

	/* primary: until the reset, a second to spare */
	assert_true(rate_limit_wait(FORGE_GITHUB, 403, 1, "0", "1042", NULL,
	    1, now, &why) == 43);
	assert_string_equal(why, "GitHub primary rate limit");
	assert_true(rate_limit_wait(FORGE_GITHUB, 429, 0, "0", "900", NULL,
	    1, now, &why) == 1);
	/* secondary: retry-after, else a minute doubling per attempt */
	assert_true(rate_limit_wait(FORGE_GITHUB, 403, 1, "4000", NULL, "7",
	    1, now, &why) == 7);
	assert_string_equal(why, "GitHub secondary rate limit");
	assert_true(rate_limit_wait(FORGE_GITHUB, 403, 1, "4000", NULL, NULL,
	    1, now, &why) == 60);
	assert_true(rate_limit_wait(FORGE_GITHUB, 403, 1, NULL, NULL, NULL,
	    3, now, &why) == 240);
	assert_true(rate_limit_wait(FORGE_GITHUB, 429, 0, NULL, NULL, NULL,
	    9, now, &why) == 3600);
	/* a 403 that is no limit (permissions) is not waited on */
	assert_true(rate_limit_wait(FORGE_GITHUB, 403, 0, "4000", "1042",
	    NULL, 1, now, &why) < 0);
	assert_true(rate_limit_wait(FORGE_GITHUB, 500, 0, "0", "1042", NULL,
	    1, now, &why) < 0);
	/* GitLab: 429 with Retry-After */
	assert_true(rate_limit_wait(FORGE_GITLAB, 429, 0, NULL, NULL, "5", 1,
	    now, &why) == 5);
	assert_string_equal(why, "GitLab rate limit");
	assert_true(rate_limit_wait(FORGE_GITLAB, 403, 1, "0", "1042", NULL,
	    1, now, &why) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_id),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_branch_name),
		cmocka_unit_test(test_branch_refused),
		cmocka_unit_test(test_rate_limit_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
