/* libFuzzer target for k8spatch's byte-preserving YAML editor.
 *
 * The first byte picks a mode:
 *   even  the rest is a YAML file, patched with each of a fixed set of
 *         patches (strategic, merge, JSON patch);
 *   odd   the rest is a patch (JSON, or YAML as kubectl takes it), applied
 *         to a fixed manifest with each patch type.
 * The oracle is the jv-level patch (smp.c) on the parsed document: when
 * the editor writes a file, the edited document must read back as exactly
 * that value, the bytes before and after the document must be the input's,
 * and an edit the editor itself calls broken (-2) is a crash. No crash,
 * overread or leak (ASan, LeakSanitizer) either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"
#include "msg.h"
#include "smp.h"
#include "yamledit.h"
#include "yamltree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patches[][2] = {
	{ "s", "{\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":"
	    "[{\"name\":\"app\",\"image\":\"x:2\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}" },
	{ "s", "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}}}" },
	{ "s", "{\"metadata\":{\"labels\":null,\"annotations\":{\"k\":\"v\\nw\"}},\"a\":{\"b\":[1,{\"c\":null}]}}" },
	{ "s", "{\"x\":{\"$retainKeys\":[\"y\"],\"y\":\"yes\"},\"$setElementOrder/l\":[],\"l\":[]}" },
	{ "m", "{\"a\":null,\"b\":{\"c\":\"0777\"},\"d\":[],\"e\":{},\"kind\":\"K\",\"apiVersion\":\"v1\"}" },
	{ "m", "{\"spec\":{\"ports\":[{\"port\":80}],\"name\":\"- x\"},\"data\":{\"a: b\":\"#\"}}" },
	{ "j", "[{\"op\":\"add\",\"path\":\"/z\",\"value\":{\"q\":[\"r\"]}},{\"op\":\"remove\",\"path\":\"/metadata\"}]" },
	{ "j", "[{\"op\":\"add\",\"path\":\"/spec/0\",\"value\":1},{\"op\":\"move\",\"from\":\"/spec\",\"path\":\"/s\"}]" },
};

static const char manifest[] =
    "# head\n"
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: web   # the name\n"
    "  labels: {app: web, tier: \"1\"}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "      # first\n"
    "      - name: app\n"
    "        image: 'app:1'\n"
    "        args: [a, \"b\", c]\n"
    "        env:\n"
    "          - name: A\n"
    "            value: |\n"
    "              multi\n"
    "              line\n"
    "      - &side\n"
    "        name: side\n"
    "        resources: {}\n"
    "  extra: *side\n"
    "---\n"
    "kind: ConfigMap\n"
    "apiVersion: v1\n"
    "data:\n";

static int
first_map(struct ydoc *doc, void *ctx)
{
	struct ydoc **keep = ctx;

	if (*keep || doc->root == NULL || doc->root->kind != Y_MAP)
		return 0;
	*keep = doc;
	return 1;
}

static int
first_any(struct ydoc *doc, void *ctx)
{
	struct ydoc **keep = ctx;

	if (*keep || doc->root == NULL)
		return 0;
	*keep = doc;
	return 1;
}

static jv
apply(jv doc, jv patch, char type)
{
	const struct strategy_type *st;
	int builtin;

	if (type == 'm')
		return smp_merge(doc, patch);
	if (type == 'j')
		return smp_json(doc, patch);
	st = strategy_root("apps/v1", "Deployment", &builtin);
	return smp_strategic(doc, patch, st);
}

/* The edited file: the document reads back as want; around it, the input. */
static void
check_output(const char *text, size_t len, const struct ydoc *doc, const struct buf *out,
    jv want)
{
	struct ydoc *back = NULL;
	char *err = NULL;
	size_t tail = len - doc->end, from = doc->start;
	jv v;

	while (from > 0 && text[from - 1] != '\n')
		from--;
	if (out->len < doc->start + tail || memcmp(out->p, text, doc->start) != 0 ||
	    memcmp(out->p + out->len - tail, text + doc->end, tail) != 0)
		abort();
	if (ytree_parse(out->p + from, out->len - from - tail, first_map, &back,
	    &err) != 0 || back == NULL)
		abort();
	v = ytree_value(back->root);
	if (!jv_equal(v, jv_copy(want)))
		abort();
	ydoc_free(back);
	free(err);
}

static void
edit_one(const char *text, size_t len, struct ydoc *doc, jv old, jv patch, char type)
{
	struct buf out = BUF_INIT;
	char *err = NULL;
	int builtin, rc;
	jv new = apply(jv_copy(old), patch, type);

	if (jv_is_valid(new) && jv_get_kind(new) == JV_KIND_OBJECT) {
		rc = yedit(text, len, doc, old, new, strategy_root("apps/v1", "Deployment", &builtin),
		    &out, &err);
		if (rc == -2)
			abort();
		if (rc == 0)
			check_output(text, len, doc, &out, new);
	}
	jv_free(new);
	free(err);
	buf_free(&out);
}

static void
fuzz_file(const char *text, size_t len)
{
	struct ydoc *doc = NULL;
	char *err = NULL;
	size_t i;
	jv old;

	if (ytree_parse(text, len, first_map, &doc, &err) != 0 || doc == NULL) {
		free(err);
		ydoc_free(doc);
		return;
	}
	old = ytree_value(doc->root);
	if (jv_is_valid(old))
		for (i = 0; i < sizeof patches / sizeof patches[0]; i++)
			edit_one(text, len, doc, old, jv_parse(patches[i][1]), patches[i][0][0]);
	jv_free(old);
	ydoc_free(doc);
}

static void
fuzz_patch(const char *ptext, size_t plen)
{
	static const char types[] = "smj";
	struct ydoc *doc = NULL;
	struct buf out = BUF_INIT;
	char *err = NULL;
	jv patch, old;
	int t;

	/* The patch is read as YAML, as kubectl reads -p (JSON is YAML);
	 * libjq's own parser leaks on some malformed input. */
	if (ytree_parse(ptext, plen, first_any, &doc, &err) != 0 || doc == NULL) {
		free(err);
		ydoc_free(doc);
		return;
	}
	patch = ytree_value(doc->root);
	ydoc_free(doc);
	doc = NULL;
	if (!jv_is_valid(patch)) {
		jv_free(patch);
		return;
	}
	if (ytree_parse(manifest, sizeof manifest - 1, first_map, &doc, &err) != 0 || doc == NULL)
		abort();
	old = ytree_value(doc->root);
	for (t = 0; t < 3; t++)
		edit_one(manifest, sizeof manifest - 1, doc, old, jv_copy(patch), types[t]);
	/* The whole path too: document choice, errors, messages. */
	for (t = 0; t < 3; t++) {
		if (local_patch(manifest, sizeof manifest - 1, "deploy", "web", jv_copy(patch),
		    (enum patch_type)t, &out, &err) == EXIT_LOCAL)
			abort();
		free(err);
		err = NULL;
		buf_reset(&out);
	}
	jv_free(old);
	jv_free(patch);
	ydoc_free(doc);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_file((const char *)data + 1, size - 1);
	else
		fuzz_patch((const char *)data + 1, size - 1);
	return 0;
}
