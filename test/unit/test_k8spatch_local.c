/* Unit tests: `k8spatch patch --local` (local.c, smp.c, yamledit.c).
 *
 * Run with arguments, this program is a stand-in for the command line
 * until k8spatch's main.c exists, so test/t/k8spatch-local.sh can compare
 * it with kubectl:
 *   test_k8spatch_local patch --local -f FILE -p PATCH [--type T] [KIND [NAME]]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "local.h"
#include "msg.h"

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	if (fp == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	if (fp != stdin)
		fclose(fp);
	*len = b.len;
	return b.p ? b.p : xstrdup("");
}

static int
parse_type(const char *s, enum patch_type *t)
{
	static const char *const names[] = { "strategic", "merge", "json", "apply" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*t = (enum patch_type)i;
			return 0;
		}
	return -1;
}

/* The command-line stand-in. */
static int
driver(int argc, char **argv)
{
	const char *file = NULL, *patch = NULL, *kind = NULL, *name = NULL;
	enum patch_type type = PATCH_STRATEGIC;
	struct buf out = BUF_INIT;
	char *text, *err = NULL;
	size_t len;
	int i, rc;
	jv p;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--local") == 0)
			continue;
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			patch = argv[++i];
		else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
			if (parse_type(argv[++i], &type) != 0) {
				fprintf(stderr, "k8spatch: unknown --type '%s'\n", argv[i]);
				return EXIT_USAGE;
			}
		} else if (kind == NULL)
			kind = argv[i];
		else if (name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "k8spatch: too many arguments\n");
			return EXIT_USAGE;
		}
	}
	if (strcmp(argv[1], "patch") != 0 || file == NULL || patch == NULL) {
		fprintf(stderr, "usage: %s patch --local -f FILE -p PATCH [--type T] [KIND [NAME]]\n", argv[0]);
		return EXIT_USAGE;
	}
	if ((text = read_file(file, &len)) == NULL) {
		fprintf(stderr, "k8spatch: %s: cannot read\n", file);
		return EXIT_USAGE;
	}
	p = jv_parse(patch);
	if (!jv_is_valid(p)) {
		jv_free(p);
		fprintf(stderr, "k8spatch: the patch is not JSON\n");
		free(text);
		return EXIT_USAGE;
	}
	rc = local_patch(text, len, kind, name, p, type, &out, &err);
	if (rc == 0)
		fwrite(out.p, 1, out.len, stdout);
	else
		fprintf(stderr, "k8spatch: %s: %s\n", file, err);
	free(err);
	free(text);
	buf_free(&out);
	return rc;
}

/* One case: the file, the patch, and the whole file expected back (NULL:
 * the exit status expected instead). */
struct tcase {
	const char *in;
	const char *patch;
	enum patch_type type;
	const char *kind, *name;
	const char *want;
	int status;
};

static void
run_case(const struct tcase *c)
{
	struct buf out = BUF_INIT;
	char *err = NULL;
	int rc = local_patch(c->in, strlen(c->in), c->kind, c->name, jv_parse(c->patch),
	    c->type, &out, &err);

	if (c->want) {
		if (rc != 0)
			fail_msg("unexpected error %d: %s\nfor patch %s", rc, err, c->patch);
		if (strcmp(out.p ? out.p : "", c->want) != 0)
			fail_msg("patch %s\n--- got:\n%s--- want:\n%s", c->patch, out.p, c->want);
	} else {
		assert_int_equal(rc, c->status);
		assert_non_null(err);
	}
	free(err);
	buf_free(&out);
}

static void
run_cases(const struct tcase *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&cases[i]);
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

#define DEPLOY "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"

static void
test_scalars(void **state)
{
	static const struct tcase cases[] = {
		/* A changed value keeps its line, comment and quoting. */
		{ DEPLOY "spec:\n  replicas: 2 # two\n", "{\"spec\":{\"replicas\":3}}",
		  PATCH_STRATEGIC, NULL, NULL, DEPLOY "spec:\n  replicas: 3 # two\n", 0 },
		{ DEPLOY "spec:\n  a: 'x'\n  b: \"y\"\n", "{\"spec\":{\"a\":\"it's\",\"b\":\"z\"}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec:\n  a: 'it''s'\n  b: \"z\"\n", 0 },
		/* A string that would read as another type gets quoted. */
		{ DEPLOY "spec:\n  a: x\n  b: x\n", "{\"spec\":{\"a\":\"yes\",\"b\":\"80\"}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec:\n  a: \"yes\"\n  b: \"80\"\n", 0 },
		/* A quoted number replaced by a number is a number now. */
		{ DEPLOY "spec:\n  a: \"256\"\n", "{\"spec\":{\"a\":512}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec:\n  a: 512\n", 0 },
		{ DEPLOY "spec:\n  a: \"256\"\n", "{\"spec\":{\"a\":\"512\"}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec:\n  a: \"512\"\n", 0 },
		/* Block scalars stay block scalars, at their indentation. */
		{ DEPLOY "data:\n  f: |\n    one\n    two\n\n  g: 1\n", "{\"data\":{\"f\":\"one\\n2\\n\"}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "data:\n  f: |\n    one\n    2\n\n  g: 1\n", 0 },
		{ DEPLOY "data:\n  f: x\n", "{\"data\":{\"f\":\"a\\nb\"}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "data:\n  f: |-\n    a\n    b\n", 0 },
	};
	(void)state;
	RUN(cases);
}

static void
test_keys(void **state)
{
	static const struct tcase cases[] = {
		/* A deleted key takes its lines, comment included. */
		{ DEPLOY "spec:\n  a: 1 # the a\n  b:\n    c: 2\n  d: 3\n", "{\"spec\":{\"b\":null}}",
		  PATCH_STRATEGIC, NULL, NULL, DEPLOY "spec:\n  a: 1 # the a\n  d: 3\n", 0 },
		/* New keys go after their siblings, at their indentation. */
		{ DEPLOY "spec:\n    a: 1\n", "{\"spec\":{\"b\":{\"c\":[1,2]}}}",
		  PATCH_STRATEGIC, NULL, NULL, DEPLOY "spec:\n    a: 1\n    b:\n      c:\n      - 1\n      - 2\n", 0 },
		/* In a flow mapping, in flow style. */
		{ DEPLOY "spec: {a: 1, b: 2}\n", "{\"spec\":{\"a\":null,\"c\":\"x y\"}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec: {b: 2, c: x y}\n", 0 },
		/* An empty flow mapping that gets content becomes a block. */
		{ DEPLOY "spec:\n  resources: {}\n", "{\"spec\":{\"resources\":{\"limits\":{\"memory\":\"1Gi\"}}}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec:\n  resources:\n    limits:\n      memory: 1Gi\n", 0 },
		/* The first key of a list item goes: the next moves up. */
		{ DEPLOY "l:\n- a: 1\n  b: 2\n", "[{\"op\":\"remove\",\"path\":\"/l/0/a\"}]",
		  PATCH_JSON, NULL, NULL, DEPLOY "l:\n- b: 2\n", 0 },
		/* Every key gone: an empty mapping. */
		{ DEPLOY "spec:\n  a: 1\n", "{\"spec\":{\"a\":null}}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "spec: {}\n", 0 },
		/* CRLF stays CRLF, in new lines too. */
		{ "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c\r\n",
		  "{\"data\":{\"k\":\"v\"}}", PATCH_MERGE, NULL, NULL,
		  "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c\r\ndata:\r\n  k: v\r\n", 0 },
		/* No line break at the end of the file. */
		{ "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}", "{\"data\":{\"k\":\"v\"}}",
		  PATCH_MERGE, NULL, NULL, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: v\n", 0 },
	};
	(void)state;
	RUN(cases);
}

#define PODSPEC DEPLOY "spec:\n  template:\n    spec:\n      containers:\n" \
	"      - name: a\n        image: x\n      - name: b # bee\n        image: y\n"

static void
test_lists(void **state)
{
	static const struct tcase cases[] = {
		/* A container changed in place, by its name. */
		{ PODSPEC, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"z\"}]}}}}",
		  PATCH_STRATEGIC, NULL, NULL, DEPLOY "spec:\n  template:\n    spec:\n      containers:\n"
		  "      - name: a\n        image: x\n      - name: b # bee\n        image: z\n", 0 },
		/* A new container goes first, as kubectl puts it. */
		{ PODSPEC, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"w\"}]}}}}",
		  PATCH_STRATEGIC, NULL, NULL, DEPLOY "spec:\n  template:\n    spec:\n      containers:\n"
		  "      - name: c\n        image: w\n      - name: a\n        image: x\n      - name: b # bee\n        image: y\n", 0 },
		/* $patch: delete takes the item's lines. */
		{ PODSPEC, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}}}",
		  PATCH_STRATEGIC, NULL, NULL, DEPLOY "spec:\n  template:\n    spec:\n      containers:\n"
		  "      - name: b # bee\n        image: y\n", 0 },
		/* A flow list edited in place. */
		{ DEPLOY "args: [a, b, c]\n", "{\"args\":[\"a\",\"x\",\"c\",\"d\"]}",
		  PATCH_MERGE, NULL, NULL, DEPLOY "args: [a, x, c, d]\n", 0 },
		{ DEPLOY "args: [a, b, c]\n", "[{\"op\":\"remove\",\"path\":\"/args/2\"}]",
		  PATCH_JSON, NULL, NULL, DEPLOY "args: [a, b]\n", 0 },
		{ DEPLOY "args:\n  - a\n  - b\n", "[{\"op\":\"add\",\"path\":\"/args/1\",\"value\":\"new\"}]",
		  PATCH_JSON, NULL, NULL, DEPLOY "args:\n  - a\n  - new\n  - b\n", 0 },
		{ DEPLOY "args:\n  - a\n", "[{\"op\":\"remove\",\"path\":\"/args/0\"}]",
		  PATCH_JSON, NULL, NULL, DEPLOY "args: []\n", 0 },
	};
	(void)state;
	RUN(cases);
}

static void
test_documents(void **state)
{
	static const char two[] = "# head\n" DEPLOY "spec: {replicas: 1}\n---\n"
	    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec: {}\n...\n";
	static const struct tcase cases[] = {
		{ two, "{\"spec\":{\"replicas\":2}}", PATCH_STRATEGIC, "deploy", "web",
		  "# head\n" DEPLOY "spec: {replicas: 2}\n---\n"
		  "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec: {}\n...\n", 0 },
		{ two, "{\"spec\":{\"type\":\"NodePort\"}}", PATCH_STRATEGIC, "svc/web", NULL,
		  "# head\n" DEPLOY "spec: {replicas: 1}\n---\n"
		  "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n...\n", 0 },
		/* Two documents and no KIND NAME; no such document. */
		{ two, "{}", PATCH_STRATEGIC, NULL, NULL, NULL, EXIT_USAGE },
		{ two, "{}", PATCH_STRATEGIC, "deployments", "api", NULL, EXIT_USAGE },
		{ two, "{}", PATCH_STRATEGIC, "deployments.batch", "web", NULL, EXIT_USAGE },
		/* Bad input. */
		{ "a: [", "{}", PATCH_STRATEGIC, NULL, NULL, NULL, EXIT_USAGE },
		{ DEPLOY, "[1]", PATCH_STRATEGIC, NULL, NULL, NULL, EXIT_USAGE },
		{ DEPLOY, "[{\"op\":\"remove\",\"path\":\"/spec/x\"}]", PATCH_JSON, NULL, NULL, NULL, EXIT_USAGE },
		{ DEPLOY, "{}", PATCH_APPLY, NULL, NULL, NULL, EXIT_USAGE },
		{ "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: f}\n", "{}", PATCH_STRATEGIC,
		  NULL, NULL, NULL, EXIT_USAGE },
		{ DEPLOY, "{\"kind\":null}", PATCH_MERGE, NULL, NULL, NULL, EXIT_USAGE },
	};
	(void)state;
	RUN(cases);
}

static void
test_anchors(void **state)
{
	static const char in[] = DEPLOY "x: &e {a: 1}\np: *e\nq: *e\n";
	static const struct tcase cases[] = {
		/* The anchor changes: the aliases keep the old value. */
		{ in, "{\"x\":{\"a\":2}}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "x: &e {a: 2}\np: {a: 1}\nq: {a: 1}\n", 0 },
		/* One alias changes: it alone is expanded. */
		{ in, "{\"p\":{\"b\":2}}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "x: &e {a: 1}\np: {a: 1, b: 2}\nq: *e\n", 0 },
		/* Under a merge key: refused. */
		{ DEPLOY "b: &b {a: 1}\nc:\n  <<: *b\n  d: 2\n", "{\"c\":{\"d\":3}}", PATCH_MERGE,
		  NULL, NULL, NULL, EXIT_USAGE },
	};
	(void)state;
	RUN(cases);
}

static void
test_empty_values(void **state)
{
	static const struct tcase cases[] = {
		/* "key:" and "-" with nothing after them get a value. */
		{ DEPLOY "a:\nb: 1\n", "{\"a\":\"x\"}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "a: x\nb: 1\n", 0 },
		{ DEPLOY "l:\n-\n- b\n", "{\"l\":[\"x\",\"b\"]}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "l:\n- x\n- b\n", 0 },
		/* The comment on the line of a value rewritten over several
		 * lines goes with it (after a block scalar it would be read as
		 * content). */
		{ DEPLOY "a: # none\n", "{\"a\":[1]}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "a:\n- 1\n", 0 },
		{ DEPLOY "a: x # one line\n", "{\"a\":\"two\\nlines\"}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "a: |-\n  two\n  lines\n", 0 },
		/* "{key}" in a flow mapping gets its ": ". */
		{ DEPLOY "f: {b: 1, a}\n", "{\"f\":{\"a\":{\"q\":1}}}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "f: {b: 1, a: {q: 1}}\n", 0 },
		/* A block scalar ends the file with no line break: a key added
		 * after it must not give its value a final newline. */
		{ DEPLOY "d:\n  a: |\n    x", "{\"d\":{\"b\":\"y\"}}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "d:\n  a: |-\n    x\n  b: \"y\"\n", 0 },
		{ DEPLOY "d:\n  a: |\n    x", "{\"d\":{\"a\":\"z\\n\"}}", PATCH_MERGE, NULL, NULL,
		  DEPLOY "d:\n  a: |\n    z\n", 0 },
		/* A lone CR is a line break to YAML: not edited. */
		{ DEPLOY "a: 1 # x\ry: 2\n", "{\"a\":2}", PATCH_MERGE, NULL, NULL, NULL, EXIT_USAGE },
		/* The first key indented: still one document, edited in place. */
		{ " apiVersion: v1\n kind: ConfigMap\n metadata: {name: c}\n", "{\"data\":{\"k\":1}}",
		  PATCH_MERGE, NULL, NULL,
		  " apiVersion: v1\n kind: ConfigMap\n metadata: {name: c}\n data:\n   k: 1\n", 0 },
	};
	(void)state;
	RUN(cases);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_empty_values),
	};

	msg_init(argv[0]);
	if (argc > 1)
		return driver(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
