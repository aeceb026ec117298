/* local.c — `k8spatch patch --local`: pick the document, patch its value
 * as kubectl would, and write the file back with only that change. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "local.h"
#include "msg.h"
#include "smp.h"
#include "yamledit.h"
#include "yamltree.h"

/* How many documents an error message names. */
#define LIST_MAX 6

struct pick {
	const char *kind, *group, *name;	/* what the caller asked for */
	struct ydoc *doc;			/* the first match, kept */
	size_t docs, matches;
	size_t lines[2];			/* of the first two matches */
	struct buf seen;			/* "Deployment/web, Service/web" */
};

/* A message for *err, from jv_string_fmt (consumed). */
static char *
take(jv msg)
{
	char *s = xstrdup(jv_string_value(msg));

	jv_free(msg);
	return s;
}

/* kubectl's short names for the built-in kinds. */
static const char *const short_names[][2] = {
	{ "po", "pod" }, { "svc", "service" }, { "deploy", "deployment" },
	{ "sts", "statefulset" }, { "ds", "daemonset" }, { "rs", "replicaset" },
	{ "rc", "replicationcontroller" }, { "cm", "configmap" },
	{ "ns", "namespace" }, { "no", "node" }, { "pv", "persistentvolume" },
	{ "pvc", "persistentvolumeclaim" }, { "sa", "serviceaccount" },
	{ "ep", "endpoints" }, { "ev", "event" }, { "ing", "ingress" },
	{ "netpol", "networkpolicy" }, { "hpa", "horizontalpodautoscaler" },
	{ "pdb", "poddisruptionbudget" }, { "cj", "cronjob" },
	{ "limits", "limitrange" }, { "quota", "resourcequota" },
	{ "crd", "customresourcedefinition" }, { "csr", "certificatesigningrequest" },
	{ "pc", "priorityclass" }, { "sc", "storageclass" }, { "cs", "componentstatus" },
};

/* Does what the user typed (Deployment, deployment, deployments, deploy)
 * name kind? */
static int
kind_matches(const char *typed, const char *kind)
{
	char lower[128], plural[136];
	size_t i, n = strlen(kind);

	if (n == 0 || n >= sizeof lower)
		return 0;
	for (i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)kind[i]);
	if (strcasecmp(typed, kind) == 0)
		return 1;
	if (lower[n - 1] == 's' || lower[n - 1] == 'x')
		snprintf(plural, sizeof plural, "%ses", lower);
	else if (lower[n - 1] == 'y' && n > 1 && !strchr("aeiou", lower[n - 2]))
		snprintf(plural, sizeof plural, "%.*sies", (int)n - 1, lower);
	else
		snprintf(plural, sizeof plural, "%ss", lower);
	if (strcasecmp(typed, plural) == 0)
		return 1;
	for (i = 0; i < sizeof short_names / sizeof short_names[0]; i++)
		if (strcasecmp(typed, short_names[i][0]) == 0 && strcmp(lower, short_names[i][1]) == 0)
			return 1;
	return 0;
}

/* "deployments.apps": the group typed after the kind must be the
 * document's ("" for the core group's v1). */
static int
group_matches(const char *typed, const char *api_version)
{
	const char *slash = api_version ? strchr(api_version, '/') : NULL;
	size_t glen = slash ? (size_t)(slash - api_version) : 0;
	const char *dot;

	if (typed == NULL)
		return 1;
	if (strlen(typed) == glen && strncmp(typed, api_version, glen) == 0)
		return 1;
	/* "deployment.v1.apps": version, then group */
	dot = strchr(typed, '.');
	return dot && strlen(dot + 1) == glen && glen > 0 && strncmp(dot + 1, api_version, glen) == 0;
}

static int
pick_doc(struct ydoc *doc, void *ctx)
{
	struct pick *pk = ctx;
	char kb[128], nb[256], ab[128];
	const char *kind, *name, *av;
	int match;

	if (ydoc_empty(doc))
		return 0;
	kind = ytree_string(doc, "kind", kb, sizeof kb);
	name = ytree_string(doc, "metadata.name", nb, sizeof nb);
	av = ytree_string(doc, "apiVersion", ab, sizeof ab);
	if (pk->docs < LIST_MAX)
		buf_printf(&pk->seen, "%s%s/%s", pk->docs ? ", " : "", kind ? kind : "?",
		    name ? name : "?");
	else if (pk->docs == LIST_MAX)
		buf_adds(&pk->seen, ", …");
	pk->docs++;
	if (pk->kind == NULL)
		match = 1;
	else
		match = kind && kind_matches(pk->kind, kind) && group_matches(pk->group, av) &&
		    (pk->name == NULL || (name && strcmp(pk->name, name) == 0));
	if (!match)
		return 0;
	if (pk->matches < 2)
		pk->lines[pk->matches] = doc->line;
	if (pk->matches++ == 0) {
		pk->doc = doc;
		return 1;
	}
	return 0;
}

/* The document asked for, or an exit status with *err. KIND may be
 * "deploy", "deployments.apps", "deploy/web" (then NAME is not given). */
static int
find_doc(const char *text, size_t len, const char *kind, const char *name,
    struct pick *pk, char *kbuf, char *gbuf, size_t size, char **err)
{
	char *p;
	int rc = 0;

	memset(pk, 0, sizeof *pk);
	pk->name = name;
	if (kind) {
		snprintf(kbuf, size, "%s", kind);
		if ((p = strchr(kbuf, '/')) != NULL && name == NULL) {
			*p = '\0';
			pk->name = kind + (p - kbuf) + 1;
		}
		if ((p = strchr(kbuf, '.')) != NULL) {
			*p = '\0';
			snprintf(gbuf, size, "%s", p + 1);
			pk->group = gbuf;
		}
		pk->kind = kbuf;
	}
	if (ytree_parse(text, len, pick_doc, pk, err) != 0)
		return EXIT_USAGE;
	if (pk->docs == 0) {
		*err = take(jv_string_fmt("no Kubernetes object in the file"));
		rc = EXIT_USAGE;
	} else if (pk->matches == 0) {
		*err = take(jv_string_fmt("no document is %s%s%s%s (the file has %s)", kind,
		    pk->name ? " '" : "", pk->name ? pk->name : "", pk->name ? "'" : "",
		    pk->seen.p));
		rc = EXIT_USAGE;
	} else if (pk->matches > 1 && kind == NULL) {
		*err = take(jv_string_fmt("the file has %zu documents (%s): name one with KIND NAME",
		    pk->docs, pk->seen.p));
		rc = EXIT_USAGE;
	} else if (pk->matches > 1) {
		*err = take(jv_string_fmt("%zu documents are %s%s%s%s (lines %zu and %zu): name one "
		    "with KIND NAME", pk->matches, kind, pk->name ? " '" : "",
		    pk->name ? pk->name : "", pk->name ? "'" : "", pk->lines[0], pk->lines[1]));
		rc = EXIT_USAGE;
	}
	return rc;
}

/* The strategy table of the document's kind; *builtin 0 for kinds
 * kubectl does not know. */
static const struct strategy_type *
doc_strategy(jv doc, int *builtin)
{
	const struct strategy_type *st;
	jv k = jv_object_get(jv_copy(doc), jv_string("kind"));
	jv a = jv_object_get(jv_copy(doc), jv_string("apiVersion"));

	st = strategy_root(jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : NULL,
	    jv_get_kind(k) == JV_KIND_STRING ? jv_string_value(k) : NULL, builtin);
	jv_free(k);
	jv_free(a);
	return st;
}

static jv
apply(jv doc, jv patch, enum patch_type type, const struct strategy_type *st,
    int builtin, const char *what)
{
	switch (type) {
	case PATCH_STRATEGIC:
		if (builtin)
			return smp_strategic(doc, patch, st);
		jv_free(doc);
		jv_free(patch);
		/* The API server refuses it too, for custom resources. */
		return jv_invalid_with_msg(jv_string_fmt("strategic merge patch is not "
		    "supported for %s (not a built-in kind): use --type merge", what));
	case PATCH_MERGE:
		return smp_merge(doc, patch);
	case PATCH_JSON:
		return smp_json(doc, patch);
	default:
		jv_free(doc);
		jv_free(patch);
		return jv_invalid_with_msg(jv_string("server-side apply has no local mode: "
		    "use --type strategic, merge or json"));
	}
}

/* kubectl reads the patched object back: it needs a kind and a version. */
static int
is_object(jv v)
{
	jv k = jv_object_get(jv_copy(v), jv_string("kind"));
	jv a = jv_object_get(jv_copy(v), jv_string("apiVersion"));
	int ok = jv_get_kind(k) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(k)) > 0 &&
	    jv_get_kind(a) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(a)) > 0;

	jv_free(k);
	jv_free(a);
	return ok;
}

static char *
invalid_msg(jv v, const char *what, size_t line)
{
	jv m = jv_invalid_get_msg(v);
	char *s = take(jv_string_fmt("line %zu: %s: %s", line, what,
	    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "invalid"));

	jv_free(m);
	return s;
}

int
local_patch(const char *text, size_t len, const char *kind,
    const char *name, jv patch, enum patch_type type, struct buf *out,
    char **err)
{
	struct pick pk;
	const struct strategy_type *st;
	char label[400], what[400], kb[128], nb[256], kbuf[128], gbuf[128];
	jv old = jv_invalid(), new = jv_invalid();
	char *e = NULL;
	int rc, r, builtin;

	*err = NULL;
	rc = find_doc(text, len, kind, name, &pk, kbuf, gbuf, sizeof kbuf, err);
	if (rc != 0)
		goto out;
	snprintf(label, sizeof label, "%s '%s'", ytree_string(pk.doc, "kind", kb, sizeof kb) ?
	    kb : "document", ytree_string(pk.doc, "metadata.name", nb, sizeof nb) ? nb : "?");
	old = ytree_value(pk.doc->root);
	if (!jv_is_valid(old)) {
		*err = take(jv_invalid_get_msg(old));
		old = jv_invalid();
		rc = EXIT_USAGE;
		goto out;
	}
	if (jv_get_kind(old) != JV_KIND_OBJECT) {
		*err = take(jv_string_fmt("line %zu: the document is not a mapping", pk.doc->line));
		rc = EXIT_USAGE;
		goto out;
	}
	st = doc_strategy(old, &builtin);
	snprintf(what, sizeof what, "%s %s", ytree_string(pk.doc, "apiVersion", nb, sizeof nb) ?
	    nb : "?", ytree_string(pk.doc, "kind", kb, sizeof kb) ? kb : "?");
	new = apply(jv_copy(old), patch, type, st, builtin, what);
	patch = jv_invalid();
	if (!jv_is_valid(new)) {
		*err = invalid_msg(new, label, pk.doc->line);
		new = jv_invalid();
		rc = EXIT_USAGE;
		goto out;
	}
	if (!is_object(new)) {
		*err = take(jv_string_fmt("line %zu: %s: the patched object has no kind or apiVersion",
		    pk.doc->line, label));
		rc = EXIT_USAGE;
		goto out;
	}
	r = yedit(text, len, pk.doc, old, new, st, out, &e);
	if (r != 0) {
		*err = e;
		rc = r == -2 ? EXIT_LOCAL : EXIT_USAGE;
	}
out:
	jv_free(patch);
	jv_free(old);
	jv_free(new);
	ydoc_free(pk.doc);
	buf_free(&pk.seen);
	return rc;
}
