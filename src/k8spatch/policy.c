/* policy.c — the guard's policy file, and its judgement of a change. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"
#include "kinds.h"
#include "kutil.h"
#include "msg.h"
#include "policy.h"
#include "yamljv.h"

/* ---- reading ------------------------------------------------------------ */

static int
check_keys(jv obj, const char *const *known, const char *where, char **err)
{
	int rc = 0;

	jv_object_foreach(obj, k, v) {
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], jv_string_value(k)); i++)
			;
		if (known[i] == NULL && rc == 0) {
			*err = strfmt("%s: unknown key '%s'", where,
			    jv_string_value(k));
			rc = -1;
		}
		jv_free(k);
		jv_free(v);
	}
	return rc;
}

/* A list of strings (a lone string counts as a list of one). */
static int
strings(jv top, const char *key, int required, char ***out, char **err)
{
	jv v = jv_object_get(jv_copy(top), jv_string(key));
	int n, i, rc = 0;

	*out = NULL;
	if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		if (required)
			*err = strfmt("'%s' is required (nothing is allowed "
			    "without it)", key);
		return required ? -1 : 0;
	}
	if (jv_get_kind(v) == JV_KIND_STRING)
		v = JV_ARRAY(v);
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		*err = strfmt("'%s' must be a list", key);
		return -1;
	}
	n = jv_array_length(jv_copy(v));
	*out = xcalloc((size_t)n + 1, sizeof **out);
	for (i = 0; i < n && rc == 0; i++) {
		jv e = jv_array_get(jv_copy(v), i);

		if (jv_get_kind(e) != JV_KIND_STRING || !*jv_string_value(e)) {
			*err = strfmt("'%s' item %d must be a non-empty string",
			    key, i + 1);
			rc = -1;
		} else {
			(*out)[i] = xstrdup(jv_string_value(e));
		}
		jv_free(e);
	}
	jv_free(v);
	return rc;
}

static int
patterns(jv top, const char *key, int required, struct policy_pattern **out,
    size_t *n, char **err)
{
	char **l;
	size_t i;

	*out = NULL;
	*n = 0;
	if (strings(top, key, required, &l, err)) {
		strv_free(l);
		return -1;
	}
	for (i = 0; l && l[i]; i++)
		;
	*out = xcalloc(i + 1, sizeof **out);
	for (i = 0; l && l[i]; i++) {
		struct policy_pattern *p = &(*out)[i];

		p->text = l[i];
		l[i] = NULL;
		(*n)++;
		if ((p->segs = kpath_split(p->text, &p->n)) == NULL) {
			*err = strfmt("'%s': malformed path '%s'", key, p->text);
			while (l[++i])	/* the rest; l[i] was moved */
				free(l[i]);
			free(l);
			return -1;
		}
	}
	strv_free(l);
	return 0;
}

static int
quantity_field(jv lim, const char *what, const char *key, int *has,
    struct quantity *q, char **err)
{
	jv v = jv_object_get(jv_copy(lim), jv_string(key));
	int rc = 0;

	*has = 0;
	if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		if (quantity_from_jv(v, q) != 0) {
			char *t = jv_text(v);

			*err = strfmt("limits.%s.%s: %s is not a quantity", what,
			    key, t);
			free(t);
			rc = -1;
		} else if (q->nano < 0) {
			*err = strfmt("limits.%s.%s must not be negative", what,
			    key);
			rc = -1;
		} else {
			*has = 1;
		}
	}
	jv_free(v);
	return rc;
}

static int
limit(jv limits, const char *what, struct policy_limit *l, char **err)
{
	static const char *const keys[] = { "min", "max", "max_factor", NULL };
	jv lim = jv_object_get(jv_copy(limits), jv_string(what));
	char where[64];
	int rc = -1;

	memset(l, 0, sizeof *l);
	snprintf(where, sizeof where, "limits.%s", what);
	if (!jv_is_valid(lim) || jv_get_kind(lim) == JV_KIND_NULL) {
		rc = 0;
	} else if (jv_get_kind(lim) != JV_KIND_OBJECT) {
		*err = strfmt("%s must be a mapping", where);
	} else if (check_keys(lim, keys, where, err) == 0 &&
	    quantity_field(lim, what, "min", &l->has_min, &l->min, err) == 0 &&
	    quantity_field(lim, what, "max", &l->has_max, &l->max, err) == 0 &&
	    quantity_field(lim, what, "max_factor", &l->has_factor, &l->factor,
	    err) == 0) {
		rc = 0;
		if (l->has_factor && l->factor.nano == 0) {
			*err = strfmt("%s.max_factor must be above 0", where);
			rc = -1;
		}
	}
	jv_free(lim);
	return rc;
}

static int
sub_map(jv top, const char *key, jv *out, char **err)
{
	*out = jv_object_get(jv_copy(top), jv_string(key));
	if (!jv_is_valid(*out) || jv_get_kind(*out) == JV_KIND_NULL) {
		jv_free(*out);
		*out = jv_object();
	}
	if (jv_get_kind(*out) != JV_KIND_OBJECT) {
		*err = strfmt("'%s' must be a mapping", key);
		return -1;
	}
	return 0;
}

static int
parse_doc(jv doc, struct policy *p, char **err)
{
	static const char *const top[] = { "kinds", "namespaces",
	    "deny_namespaces", "allow", "deny", "limits", "images", NULL };
	static const char *const lims[] = { "replicas", "memory", "cpu", NULL };
	static const char *const imgs[] = { "registries", NULL };
	jv limits = jv_invalid(), images = jv_invalid();
	int rc = -1;

	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		*err = strfmt("the policy must be a mapping");
		return -1;
	}
	if (check_keys(doc, top, "policy", err) ||
	    strings(doc, "kinds", 1, &p->kinds, err) ||
	    strings(doc, "namespaces", 1, &p->namespaces, err) ||
	    strings(doc, "deny_namespaces", 0, &p->deny_namespaces, err) ||
	    patterns(doc, "allow", 1, &p->allow, &p->nallow, err) ||
	    patterns(doc, "deny", 0, &p->deny, &p->ndeny, err) ||
	    sub_map(doc, "limits", &limits, err) ||
	    check_keys(limits, lims, "limits", err) ||
	    limit(limits, "replicas", &p->replicas, err) ||
	    limit(limits, "memory", &p->memory, err) ||
	    limit(limits, "cpu", &p->cpu, err) ||
	    sub_map(doc, "images", &images, err) ||
	    check_keys(images, imgs, "images", err) ||
	    strings(images, "registries", 0, &p->registries, err))
		goto out;
	p->has_images = p->registries != NULL;
	rc = 0;
out:
	jv_free(limits);
	jv_free(images);
	return rc;
}

int
policy_parse(const char *name, const char *text, size_t len,
    struct policy *p, char **err)
{
	size_t line;
	char *why = NULL;
	jv doc = yamljv_parse(text, len, YAMLJV_STRINGS, &line);

	memset(p, 0, sizeof *p);
	*err = NULL;
	if (!jv_is_valid(doc)) {
		jv m = jv_invalid_get_msg(doc);

		*err = strfmt("%s:%zu: %s", name, line, jv_string_value(m));
		jv_free(m);
		return EXIT_USAGE;
	}
	if (parse_doc(doc, p, &why) != 0) {
		*err = strfmt("%s: %s", name, why ? why : "invalid policy");
		free(why);
		jv_free(doc);
		policy_free(p);
		return EXIT_USAGE;
	}
	jv_free(doc);
	return 0;
}

int
policy_load(const char *path, struct policy *p, char **err)
{
	size_t len;
	char *text = slurp(path, &len);
	int rc;

	if (text == NULL) {
		memset(p, 0, sizeof *p);
		*err = strfmt("cannot read policy '%s': %s", path,
		    strerror(errno));
		return EXIT_USAGE;
	}
	rc = policy_parse(path, text, len, p, err);
	free(text);
	return rc;
}

static void
free_patterns(struct policy_pattern *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(l[i].text);
		kpath_free(l[i].segs, l[i].n);
	}
	free(l);
}

void
policy_free(struct policy *p)
{
	strv_free(p->kinds);
	strv_free(p->namespaces);
	strv_free(p->deny_namespaces);
	strv_free(p->registries);
	free_patterns(p->allow, p->nallow);
	free_patterns(p->deny, p->ndeny);
	memset(p, 0, sizeof *p);
}

/* ---- judging ------------------------------------------------------------ */

static int
listed(char **l, const char *s, int star)
{
	size_t i;

	for (i = 0; l && l[i]; i++)
		if (strcmp(l[i], s) == 0 || (star && strcmp(l[i], "*") == 0))
			return 1;
	return 0;
}

/* One of the policy's kinds: "*", "Kind.group", or a bare "Kind" — which
 * for a built-in kind's name means the built-in one, not a custom
 * resource of another group that took the same name. */
static int
kind_matches(const char *entry, const char *kind, const char *group)
{
	const char *dot = strchr(entry, '.'), *bg;
	size_t n = strlen(kind);

	if (strcmp(entry, "*") == 0)
		return 1;
	if (dot)
		return (size_t)(dot - entry) == n && strncmp(entry, kind, n) ==
		    0 && strcmp(dot + 1, group) == 0;
	bg = kinds_builtin_group(kind);
	return strcmp(entry, kind) == 0 && (bg == NULL || strcmp(bg, group) ==
	    0);
}

char *
policy_check_target(const struct policy *p, const char *kind,
    const char *group, const char *namespace)
{
	const char *ns = namespace ? namespace : "";
	const char *bg = kinds_builtin_group(kind);
	size_t i;

	for (i = 0; p->kinds && p->kinds[i]; i++)
		if (kind_matches(p->kinds[i], kind, group))
			break;
	if (p->kinds == NULL || p->kinds[i] == NULL)
		return strfmt("kind '%s%s%s' is not in the policy's kinds", kind,
		    *group && !(bg && strcmp(bg, group) == 0) ? "." : "",
		    *group && !(bg && strcmp(bg, group) == 0) ? group : "");
	/* In no namespace: only a policy for every namespace covers it. */
	if (namespace == NULL && !listed(p->namespaces, "*", 0))
		return strfmt("kind '%s' is cluster-scoped and the policy's "
		    "namespaces are not [\"*\"]", kind);
	if (listed(p->deny_namespaces, ns, 1))
		return strfmt("namespace '%s' is in the policy's "
		    "deny_namespaces", ns);
	if (!listed(p->namespaces, ns, 1) || (*ns == '\0' &&
	    !listed(p->namespaces, "*", 0)))
		return strfmt("namespace '%s' is not in the policy's "
		    "namespaces", ns);
	return NULL;
}

/* The last n segments of path are names matching want[] ("*": any). */
static int
ends_with(const struct kseg *s, size_t n, const char *const *want, size_t k)
{
	size_t i;

	if (n < k)
		return 0;
	for (i = 0; i < k; i++) {
		const struct kseg *g = &s[n - k + i];

		if (g->item || (strcmp(want[i], "*") && strcmp(want[i],
		    g->text)))
			return 0;
	}
	return 1;
}

static char *
text_of(jv ch, const char *key)
{
	jv v = jv_object_get(jv_copy(ch), jv_string(key));
	char *t = jv_is_valid(v) ? jv_text(v) : xstrdup("(none)");

	jv_free(v);
	return t;
}

/* Checks one limit on a change's old and new values. */
static char *
check_limit(const struct policy_limit *l, const char *what, const char *path,
    jv ch)
{
	jv nv = jv_object_get(jv_copy(ch), jv_string("new"));
	jv ov = jv_object_get(jv_copy(ch), jv_string("old"));
	struct quantity n, o;
	char *why = NULL, *nt = text_of(ch, "new"), *ot = text_of(ch, "old");
	char lim[64];

	if (!jv_is_valid(nv)) {
		/* A limit removed is no limit at all. */
		if ((l->has_max || l->has_factor) && strstr(path, "requests")
		    == NULL)
			why = strfmt("'%s' removes the %s limit (policy max)",
			    path, what);
	} else if (quantity_from_jv(nv, &n) != 0) {
		why = strfmt("'%s' is %s, not a %s quantity", path, nt, what);
	} else if (l->has_max && quantity_cmp(n, l->max) > 0) {
		quantity_format(l->max, lim, sizeof lim);
		why = strfmt("'%s' %s is above the policy's %s max %s", path, nt,
		    what, lim);
	} else if (l->has_min && quantity_cmp(n, l->min) < 0) {
		quantity_format(l->min, lim, sizeof lim);
		why = strfmt("'%s' %s is below the policy's %s min %s", path, nt,
		    what, lim);
	} else if (l->has_factor && (!jv_is_valid(ov) || quantity_from_jv(ov,
	    &o) != 0 || o.nano <= 0)) {
		/* Nothing to multiply: only a max can bound the new value. */
		if (!l->has_max && n.nano > 0) {
			quantity_format(l->factor, lim, sizeof lim);
			why = strfmt("'%s' %s has no current value to bound by the "
			    "policy's %s max_factor %s, and no max", path, nt,
			    what, lim);
		}
	} else if (l->has_factor && !quantity_le_scaled(n, o, l->factor)) {
		quantity_format(l->factor, lim, sizeof lim);
		why = strfmt("'%s' %s is more than %s times the current %s", path,
		    nt, lim, ot);
	}
	free(nt);
	free(ot);
	jv_free(nv);
	jv_free(ov);
	return why;
}

static const char *
image_domain_end(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n;

	if (slash == NULL)
		return NULL;
	n = (size_t)(slash - name);
	/* Docker: the first component is a registry when it has a '.' or
	 * ':', is "localhost", or has an upper-case letter. */
	if (memchr(name, '.', n) || memchr(name, ':', n) ||
	    (n == 9 && memcmp(name, "localhost", 9) == 0))
		return slash;
	for (size_t i = 0; i < n; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			return slash;
	return NULL;
}

char *
policy_image_normalize(const char *image)
{
	struct buf b = BUF_INIT;
	const char *end = image_domain_end(image);

	if (end == NULL) {
		buf_adds(&b, "docker.io/");
		if (strchr(image, '/') == NULL)
			buf_adds(&b, "library/");
		buf_adds(&b, image);
	} else if ((size_t)(end - image) == 15 && memcmp(image,
	    "index.docker.io", 15) == 0) {
		buf_adds(&b, "docker.io");
		buf_adds(&b, end);
	} else {
		buf_adds(&b, image);
	}
	return buf_detach(&b);
}

/* Docker's reference grammar (distribution/reference), by hand: libonig,
 * which libjq brings, exports its own regcomp and regexec over libc's. */
#define REF_NAME_MAX	255	/* Docker's limit on the name part */

static int
alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
alnum_any(char c)
{
	return alnum_lower(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* over s[0..n). */
static int
path_component(const char *s, size_t n)
{
	size_t i = 0, sep;

	while (i < n) {
		if (!alnum_lower(s[i]))
			return 0;
		while (i < n && alnum_lower(s[i]))
			i++;
		if (i == n)
			return 1;
		sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
		else
			while (i < n && s[i] == '-')
				i++;
		if (i == sep || i == n)
			return 0;
	}
	return 0;
}

/* host[:port]: DNS labels of letters, digits and inner '-' joined by
 * '.', or [IPv6]; the port digits. */
static int
domain(const char *s, size_t n)
{
	size_t i = 0, start;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && (isxdigit((unsigned char)s[i]) ||
		    s[i] == ':'); i++)
			;
		if (i == 1 || i == n || s[i++] != ']')
			return 0;
	} else {
		do {
			start = i;
			while (i < n && (alnum_any(s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return 0;
		} while (i < n && s[i] == '.' && ++i);
	}
	if (i < n && s[i] == ':') {
		start = ++i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == start)
			return 0;
	}
	return i == n;
}

/* algorithm:hex, the algorithm [A-Za-z][A-Za-z0-9]* joined by [-_+.],
 * at least 32 hex digits. */
static int
digest(const char *s)
{
	size_t i = 0, hex = 0;

	do {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z')))
			return 0;
		while (alnum_any(s[i]))
			i++;
	} while (s[i] && strchr("-_+.", s[i]) && ++i);
	if (s[i++] != ':')
		return 0;
	for (; isxdigit((unsigned char)s[i]); i++)
		hex++;
	return s[i] == '\0' && hex >= 32;
}

static int
tag(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 128 || !(alnum_any(s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(alnum_any(s[i]) || strchr("_.-", s[i])))
			return 0;
	return 1;
}

int
policy_image_valid(const char *image)
{
	const char *at = strchr(image, '@');
	size_t n = at ? (size_t)(at - image) : strlen(image), i, start;
	const char *slash = memrchr(image, '/', n);
	const char *colon = memchr(slash ? slash : image, ':', n -
	    (size_t)((slash ? slash : image) - image));
	size_t name = colon ? (size_t)(colon - image) : n;
	size_t first = strcspn(image, "/");

	if ((at && !digest(at + 1)) || (colon && !tag(colon + 1, n - name - 1)))
		return 0;
	if (name == 0 || name > REF_NAME_MAX)
		return 0;
	/* The first component is a registry, or the path's first. */
	i = first < name && domain(image, first) ? first + 1 : 0;
	if (i == name)
		return 0;
	for (; i < name; i++) {
		start = i;
		while (i < name && image[i] != '/')
			i++;
		if (!path_component(image + start, i - start))
			return 0;
		if (i + 1 == name)
			return 0;	/* a trailing '/' */
	}
	return 1;
}

static char *
check_image(const struct policy *p, const char *path, jv ch)
{
	jv nv = jv_object_get(jv_copy(ch), jv_string("new"));
	char *why = NULL, *norm;
	size_t i;

	if (jv_get_kind(nv) != JV_KIND_STRING) {
		jv_free(nv);
		return NULL;
	}
	/* What is not a reference cannot be judged by its prefix
	 * ("docker.io/library/x/../../evil/y", " nginx"). */
	if (!policy_image_valid(jv_string_value(nv))) {
		why = strfmt("'%s' image '%s' is not a valid image reference",
		    path, jv_string_value(nv));
		jv_free(nv);
		return why;
	}
	norm = policy_image_normalize(jv_string_value(nv));
	for (i = 0; p->registries[i]; i++) {
		char *r = policy_image_normalize(p->registries[i]);
		size_t n;

		/* The entry as a whole registry or path prefix: "docker.io"
		 * or "docker.io/library", not "docker.io/lib". */
		if (strchr(p->registries[i], '/') == NULL &&
		    image_domain_end(p->registries[i]) == NULL) {
			free(r);
			r = xstrdup(p->registries[i]);
		}
		n = strlen(r);
		if (strncmp(norm, r, n) == 0 && norm[n] == '/') {
			free(r);
			break;
		}
		free(r);
	}
	if (p->registries[i] == NULL)
		why = strfmt("'%s' image '%s' is not from an allowed registry",
		    path, jv_string_value(nv));
	free(norm);
	jv_free(nv);
	return why;
}

static char *
check_paths(const struct policy *p, const char *path, const struct kseg *s,
    size_t n)
{
	size_t i;

	for (i = 0; i < p->ndeny; i++)
		if (kpath_under(s, n, p->deny[i].segs, p->deny[i].n))
			return strfmt("'%s' is denied by the policy ('%s')", path,
			    p->deny[i].text);
	for (i = 0; i < p->nallow; i++)
		if (kpath_under(s, n, p->allow[i].segs, p->allow[i].n))
			return NULL;
	return strfmt("'%s' is not under any path the policy allows", path);
}

static char *
check_one(const struct policy *p, jv ch)
{
	static const char *const replicas[] = { "spec", "replicas" };
	static const char *const mem[] = { "resources", "*", "memory" };
	static const char *const cpu[] = { "resources", "*", "cpu" };
	static const char *const image[] = { "image" };
	const char *path = jv_get_str(ch, "path");
	struct kseg *s;
	size_t n;
	char *why;

	if (path == NULL || (s = kpath_split(path, &n)) == NULL)
		return strfmt("cannot judge the change at '%s'", path ? path : "");
	why = check_paths(p, path, s, n);
	if (why == NULL && n == 2 && ends_with(s, n, replicas, 2))
		why = check_limit(&p->replicas, "replicas", path, ch);
	if (why == NULL && ends_with(s, n, mem, 3))
		why = check_limit(&p->memory, "memory", path, ch);
	if (why == NULL && ends_with(s, n, cpu, 3))
		why = check_limit(&p->cpu, "cpu", path, ch);
	if (why == NULL && p->has_images && ends_with(s, n, image, 1))
		why = check_image(p, path, ch);
	kpath_free(s, n);
	return why;
}

char *
policy_check_changes(const struct policy *p, jv changes)
{
	char *why = NULL;

	jv_array_foreach(changes, i, ch) {
		(void)i;
		if (why == NULL)
			why = check_one(p, ch);
		jv_free(ch);
	}
	return why;
}
