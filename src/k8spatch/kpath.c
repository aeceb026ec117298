/* kpath.c — writing, splitting and matching field paths. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "kpath.h"
#include "msg.h"

static void
quoted(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

void
kpath_name(struct buf *b, const char *name)
{
	if (b->len > 0)
		buf_addc(b, '.');
	if (*name == '\0' || strpbrk(name, ".[]\"* \t\n\\") != NULL)
		quoted(b, name);
	else
		buf_adds(b, name);
}

void
kpath_item(struct buf *b, const char *item)
{
	buf_addc(b, '[');
	if (strpbrk(item, "]\"\\") != NULL)
		quoted(b, item);
	else
		buf_adds(b, item);
	buf_addc(b, ']');
}

/* A quoted string at *s ('"' first): its text, *s past the closing '"'. */
static char *
unquote(const char **s)
{
	struct buf b = BUF_INIT;
	const char *p = *s + 1;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		buf_addc(&b, *p);
	}
	if (*p != '"') {
		buf_free(&b);
		return NULL;
	}
	*s = p + 1;
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return buf_detach(&b);
}

static char *
bare(const char **s, const char *stop)
{
	size_t n = strcspn(*s, stop);
	char *t = xmalloc(n + 1);

	memcpy(t, *s, n);
	t[n] = '\0';
	*s += n;
	return t;
}

static int
add_seg(struct kseg **segs, size_t *n, size_t *cap, char *text, int item,
    int literal)
{
	if (text == NULL)
		return -1;
	xgrow((void **)segs, cap, *n + 1, sizeof **segs);
	(*segs)[*n].text = text;
	(*segs)[*n].item = item;
	(*segs)[*n].literal = literal;
	(*n)++;
	return 0;
}

/* One name (quoted or bare) and the items after it. */
static int
split_one(const char **s, struct kseg **segs, size_t *n, size_t *cap)
{
	const char *p = *s;
	int lit = *p == '"';
	char *t;

	t = lit ? unquote(&p) : bare(&p, ".[]\"");
	if (t == NULL || (*t == '\0' && !lit)) {
		free(t);
		return -1;
	}
	if (add_seg(segs, n, cap, t, 0, lit))
		return -1;
	while (*p == '[') {
		p++;
		lit = *p == '"';
		t = lit ? unquote(&p) : bare(&p, "]");
		if (t == NULL || *p != ']' || add_seg(segs, n, cap, t, 1, lit)) {
			free(t);
			return -1;
		}
		p++;
	}
	*s = p;
	return 0;
}

struct kseg *
kpath_split(const char *s, size_t *n)
{
	struct kseg *segs = NULL;
	size_t cap = 0;

	*n = 0;
	for (;;) {
		if (split_one(&s, &segs, n, &cap))
			goto bad;
		if (*s == '\0')
			return segs;
		if (*s != '.')
			goto bad;
		s++;
	}
bad:
	kpath_free(segs, *n);
	*n = 0;
	return NULL;
}

void
kpath_free(struct kseg *segs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(segs[i].text);
	free(segs);
}

static int
seg_match(const struct kseg *p, const struct kseg *q)
{
	if (p->item != q->item)
		return 0;
	if (q->literal)
		return strcmp(q->text, p->text) == 0;
	if (q->item)
		return strcmp(q->text, "*") == 0 || strcmp(q->text, p->text) == 0;
	return fnmatch(q->text, p->text, FNM_NOESCAPE) == 0;
}

static int
is_globstar(const struct kseg *q)
{
	return !q->item && !q->literal && strcmp(q->text, "**") == 0;
}

int
kpath_under(const struct kseg *path, size_t np, const struct kseg *pat,
    size_t nq)
{
	size_t i;

	if (nq == 0)
		return 1;	/* the pattern matched a prefix */
	if (is_globstar(pat)) {
		for (i = 0; i <= np; i++)
			if (kpath_under(path + i, np - i, pat + 1, nq - 1))
				return 1;
		return 0;
	}
	if (np == 0)
		/* A whole list's path is under "LIST[*]". */
		return nq == 1 && pat->item && !pat->literal &&
		    strcmp(pat->text, "*") == 0;
	return seg_match(path, pat) &&
	    kpath_under(path + 1, np - 1, pat + 1, nq - 1);
}
