/* yamledit.c — the byte-preserving YAML editor: the old and the new value
 * of a document are walked side by side over its yamltree, and each
 * difference becomes a splice of the text (replace these bytes with
 * those); everything else is copied through untouched.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "msg.h"
#include "yamledit.h"
#include "yamlemit.h"

#define NOWHERE SIZE_MAX
/* Lists longer than this (items × items) are paired by position. */
#define MAX_LCS 250000

struct edit {
	size_t start, end;	/* text[start, end) is replaced by … */
	char *text;		/* … this */
	size_t len;
	size_t seq;		/* creation order: insertions at one place
				 * stay in the order they were made */
};

struct ed {
	const char *t;
	size_t len;
	struct yemit em;
	struct ydoc *doc;
	struct edit *edits;
	size_t n, cap;
	jv *final;		/* by node id: the new value of a shared
				 * anchor or of an alias (invalid: same) */
	char *err;
	int internal;		/* the error is the editor's own fault */
	int eof_break;		/* a final line break was added */
};

/* How a node sits in its parent: what its replacement must look like. */
enum ctx { C_ROOT, C_MAPVAL, C_ITEM, C_FLOW };

struct where {
	enum ctx ctx;
	size_t col;		/* C_MAPVAL: the key's column; C_ITEM: the dash's */
	size_t colon;		/* C_MAPVAL: just past the ':' */
	size_t dash;		/* C_ITEM: the '-' */
};

static int walk(struct ed *ed, struct ynode *n, jv old, jv new, const struct where *w,
    const struct strategy_type *t, const char *mkey);

static int
fail(struct ed *ed, size_t line, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (ed->err == NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		ed->err = xmalloc(strlen(msg) + 32);
		snprintf(ed->err, strlen(msg) + 32, "line %zu: %s", line, msg);
	}
	return -1;
}

/* Takes b's contents. */
static void
add_edit(struct ed *ed, size_t start, size_t end, struct buf *b)
{
	struct edit *e;

	xgrow((void **)&ed->edits, &ed->cap, ed->n + 1, sizeof *ed->edits);
	e = &ed->edits[ed->n];
	e->start = start;
	e->end = end;
	e->len = b->len;
	e->text = buf_detach(b);
	e->seq = ed->n++;
}

static void
delete_range(struct ed *ed, size_t start, size_t end)
{
	struct buf b = BUF_INIT;

	add_edit(ed, start, end, &b);
}

/* Text helpers. Block YAML indents with spaces only, so a column is a
 * byte count from the start of the line. */
static size_t
line_start(const struct ed *ed, size_t p)
{
	size_t q = p;

	while (q > 0 && ed->t[q - 1] != '\n')
		q--;
	/* A byte order mark is not indentation. */
	if (q == 0 && p >= 3 && ed->len >= 3 && memcmp(ed->t, "\xEF\xBB\xBF", 3) == 0)
		q = 3;
	return q;
}

static size_t
col_of(const struct ed *ed, size_t p)
{
	return p - line_start(ed, p);
}

/* Only spaces before p on its line? A node that owns its line can take
 * the line with it when it goes. */
static int
owns_line(const struct ed *ed, size_t p)
{
	size_t i;

	for (i = line_start(ed, p); i < p; i++)
		if (ed->t[i] != ' ')
			return 0;
	return 1;
}

/*
 * The start of the comment lines directly above the line that starts at
 * ls, written at column col (a comment there describes what is below
 * it: it goes when that goes, and stays above it when something is put
 * before it). No higher than floor.
 */
static size_t
comment_above(const struct ed *ed, size_t ls, size_t col, size_t floor)
{
	while (ls > floor) {
		size_t prev = line_start(ed, ls - 1), i = prev;

		while (i < ls && ed->t[i] == ' ')
			i++;
		if (i - prev != col || ed->t[i] != '#' || prev < floor)
			break;
		ls = prev;
	}
	return ls;
}

/* Where the line after p starts, when only blanks and a comment follow p
 * on its line; NOWHERE when something else does. */
static size_t
eol_after(const struct ed *ed, size_t p)
{
	while (p < ed->len && (ed->t[p] == ' ' || ed->t[p] == '\t'))
		p++;
	if (p < ed->len && ed->t[p] == '#')
		while (p < ed->len && ed->t[p] != '\n')
			p++;
	if (p < ed->len && ed->t[p] == '\r')
		p++;
	if (p < ed->len && ed->t[p] == '\n')
		return p + 1;
	return p >= ed->len ? ed->len : NOWHERE;
}

/* Past blanks, line breaks and comments. */
static size_t
skip_blank(const struct ed *ed, size_t p)
{
	while (p < ed->len) {
		char c = ed->t[p];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			p++;
		else if (c == '#')
			while (p < ed->len && ed->t[p] != '\n')
				p++;
		else
			break;
	}
	return p;
}

/* Past a node's anchor and tag. */
static size_t
skip_props(const struct ed *ed, size_t p)
{
	while (p < ed->len && (ed->t[p] == '&' || ed->t[p] == '!')) {
		while (p < ed->len && ed->t[p] != ' ' && ed->t[p] != '\t' &&
		    ed->t[p] != '\n' && ed->t[p] != '\r')
			p++;
		p = skip_blank(ed, p);
	}
	return p;
}

static int
is_block(const struct ynode *n)
{
	return (n->kind == Y_MAP || n->kind == Y_SEQ) && !n->flow && n->n > 0;
}

/*
 * Is flow collection n written as JSON (its first scalar, key or value,
 * double-quoted)? What is added to it is then JSON too: a .json manifest
 * stays JSON.
 */
static int
json_like(const struct ynode *n)
{
	while (n && (n->kind == Y_MAP || n->kind == Y_SEQ) && n->n > 0)
		n = n->kids[0];
	return n && n->kind == Y_SCALAR && n->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* Where the line after node n starts: an entry that goes takes the
 * bytes up to there. */
static size_t
node_after(const struct ed *ed, const struct ynode *n)
{
	while (is_block(n))
		n = n->kids[n->n - 1];
	if (n->kind == Y_SCALAR && n->keep)
		return n->tail;
	return eol_after(ed, n->end);
}

/* The '-' of item i of block sequence seq. */
static size_t
dash_of(const struct ed *ed, const struct ynode *seq, size_t i)
{
	size_t p = i == 0 ? skip_props(ed, seq->start) : skip_blank(ed, seq->kids[i - 1]->end);

	return p < ed->len && ed->t[p] == '-' ? p : NOWHERE;
}

/* Just past the ':' that follows a block mapping's key. */
static size_t
colon_after(const struct ed *ed, const struct ynode *key)
{
	size_t p = key->end;

	while (p < ed->len && (ed->t[p] == ' ' || ed->t[p] == '\t'))
		p++;
	return p < ed->len && ed->t[p] == ':' ? p + 1 : NOWHERE;
}

static int
is_scalar(jv v)
{
	jv_kind k = jv_get_kind(v);

	return k != JV_KIND_OBJECT && k != JV_KIND_ARRAY;
}

static int
is_empty(jv v)
{
	return (jv_get_kind(v) == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 0) ||
	    (jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 0);
}

static int inside_edit(const struct ed *ed, size_t p);

/*
 * At the end of a file whose last line has no line break, a line added
 * after it needs one first. The line break would become part of a block
 * scalar that ends the file (its value gets a final "\n"): one that is
 * not rewritten anyway is made to strip it ("|" becomes "|-").
 */
static void
break_if_needed(struct ed *ed, size_t at, const struct ynode *last, struct buf *b)
{
	struct buf dash = BUF_INIT;
	size_t p;

	if (!(at == ed->len && ed->len > 0 && ed->t[ed->len - 1] != '\n') || ed->eof_break)
		return;
	ed->eof_break = 1;
	buf_adds(b, ed->em.eol);
	while (is_block(last))
		last = last->kids[last->n - 1];
	if (last->kind != Y_SCALAR || (last->style != YAML_LITERAL_SCALAR_STYLE &&
	    last->style != YAML_FOLDED_SCALAR_STYLE) || inside_edit(ed, last->start))
		return;
	for (p = skip_props(ed, last->start) + 1; p < ed->len && strchr("0123456789+-", ed->t[p]); p++)
		if (ed->t[p] != '+' && ed->t[p] != '-')
			continue;
		else if (ed->t[p] == '-')
			return;
		else
			break;
	buf_addc(&dash, '-');
	if (p < ed->len && ed->t[p] == '+')
		add_edit(ed, p, p + 1, &dash);
	else
		add_edit(ed, skip_props(ed, last->start) + 1, skip_props(ed, last->start) + 1, &dash);
}

/* Past the comment that follows p on its line, if one does. */
static size_t
past_comment(const struct ed *ed, size_t p)
{
	size_t e = p;

	while (e < ed->len && (ed->t[e] == ' ' || ed->t[e] == '\t'))
		e++;
	if (e >= ed->len || ed->t[e] != '#')
		return p;
	while (e < ed->len && ed->t[e] != '\n' && ed->t[e] != '\r')
		e++;
	return e;
}

/*
 * A value written where there was none ("key:", "-", "{key}") needs the
 * space, or the ": ", that the empty value did without.
 */
static void
empty_prefix(const struct ed *ed, const struct ynode *n, int flow, struct buf *b)
{
	size_t p = n->start;

	while (p > 0 && (ed->t[p - 1] == ' ' || ed->t[p - 1] == '\t'))
		p--;
	if (flow && n->parent && n->parent->kind == Y_MAP && n->pidx % 2 && p > 0 &&
	    ed->t[p - 1] != ':')
		buf_adds(b, ": ");
	else if (p == n->start && p > 0 && ed->t[p - 1] != '\n')
		buf_addc(b, ' ');
}

/*
 * Node n replaced whole by v: rewritten in the style its place asks for
 * (a non-empty flow collection stays flow; an empty one, "{}" under a key,
 * becomes block when it gets content).
 */
static int
replace_node(struct ed *ed, struct ynode *n, jv v, const struct where *w)
{
	struct buf b = BUF_INIT;
	size_t start = n->start;
	/* An alias expanded takes the style of what it named. */
	const struct ynode *style = n->kind == Y_ALIAS ? n->target : n;
	int keep_flow = style->flow && style->n > 0 && !is_scalar(v) && !is_empty(v);

	switch (w->ctx) {
	case C_FLOW:
		if (n->start == n->end)
			empty_prefix(ed, n, 1, &b);
		yemit_flow(&b, v, json_like(n->parent));
		break;
	case C_ROOT:
		if (jv_get_kind(v) == JV_KIND_OBJECT && !is_empty(v) && !keep_flow)
			yemit_map_lines(&b, &ed->em, v, col_of(ed, start), 1);
		else
			yemit_flow(&b, v, json_like(style));
		break;
	case C_MAPVAL:
		if (keep_flow) {
			yemit_flow(&b, v, json_like(style));
		} else {
			start = w->colon;
			yemit_after_key(&b, &ed->em, v, w->col);
		}
		break;
	case C_ITEM:
		start = w->dash + 1;
		if (keep_flow) {
			buf_addc(&b, ' ');
			yemit_flow(&b, v, json_like(style));
		} else {
			yemit_item(&b, &ed->em, v, w->col + 2);
		}
		break;
	}
	/* A block collection's last comment described what goes with it; and
	 * after a block scalar, a comment would be read as its content. */
	add_edit(ed, start, is_block(n) || memchr(b.p ? b.p : "", '\n', b.len) ?
	    past_comment(ed, n->end) : n->end, &b);
	return 0;
}

/* The indentation of a block scalar's content lines. */
static size_t
block_indent(const struct ed *ed, const struct ynode *n, size_t dflt)
{
	const char *nl = memchr(ed->t + n->start, '\n', n->end - n->start);
	size_t p, i;

	if (nl == NULL)
		return dflt;
	for (p = (size_t)(nl - ed->t) + 1; p < n->end; p = i + 1) {
		for (i = p; i < n->end && ed->t[i] == ' '; i++)
			;
		if (i < n->end && ed->t[i] != '\n' && ed->t[i] != '\r')
			return i - p;
		while (i < n->end && ed->t[i] != '\n')
			i++;
	}
	return dflt;
}

/* A block scalar written where the file ends with no line break: its
 * value's final "\n" must be written out. */
static void
final_break(struct ed *ed, const struct ynode *n, const char *s, size_t len, struct buf *b)
{
	if (n->end == ed->len && len > 0 && s[len - 1] == '\n' && !ed->eof_break) {
		ed->eof_break = 1;
		buf_adds(b, ed->em.eol);
	}
}

static int
str_tag(const char *tag)
{
	return strcmp(tag, "!") == 0 || strcmp(tag, "tag:yaml.org,2002:str") == 0;
}

/*
 * A scalar changed to another scalar: its bytes after the anchor are
 * rewritten, in its quoting style when the new value allows it.
 */
static int
edit_scalar(struct ed *ed, struct ynode *n, jv v, const struct where *w)
{
	struct buf b = BUF_INIT;
	size_t start = skip_props(ed, n->start), len, indent;
	int flow = w->ctx == C_FLOW, is_str = jv_get_kind(v) == JV_KIND_STRING;
	const char *s = is_str ? jv_string_value(v) : NULL;

	/* A tag that no longer fits goes; the anchor stays. */
	if (n->tag && !(is_str && str_tag(n->tag))) {
		start = n->start;
		if (n->anchor)
			buf_printf(&b, "&%s ", n->anchor);
	}
	if (start == n->end)
		empty_prefix(ed, n, flow, &b);
	if (!is_str) {
		yemit_scalar(&b, v, flow);
		add_edit(ed, start, n->end, &b);
		return 0;
	}
	len = (size_t)jv_string_length_bytes(jv_copy(v));
	indent = w->ctx == C_MAPVAL ? w->col + ed->em.step : w->col + 2;
	switch (n->style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		if (yemit_single(&b, s, len) == 0)
			break;
		yemit_double(&b, s, len);
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		if (yemit_block(&b, &ed->em, s, len, n->style == YAML_FOLDED_SCALAR_STYLE,
		    block_indent(ed, n, indent)) != 0)
			yemit_double(&b, s, len);
		else
			final_break(ed, n, s, len, &b);
		break;
	case YAML_PLAIN_SCALAR_STYLE:
		if (yemit_plain_ok(s, len, flow)) {
			buf_add(&b, s, len);
			break;
		}
		/* A plain value that gets line breaks becomes a block. */
		if (!flow && w->ctx != C_ROOT && memchr(s, '\n', len) && b.len == 0) {
			struct buf blk = BUF_INIT;

			buf_addc(&blk, ' ');
			if (yemit_block(&blk, &ed->em, s, len, 0, indent) == 0) {
				final_break(ed, n, s, len, &blk);
				add_edit(ed, w->ctx == C_MAPVAL ? w->colon : w->dash + 1,
				    past_comment(ed, n->end), &blk);
				return 0;
			}
			buf_free(&blk);
		}
		yemit_double(&b, s, len);
		break;
	default:
		yemit_double(&b, s, len);
		break;
	}
	add_edit(ed, start, n->end, &b);
	return 0;
}

/* The keys of a mapping node's entries, as strings (aliases followed). */
static jv
entry_key(const struct ynode *map, size_t i)
{
	return ytree_key(map->kids[2 * i]);
}

static int
has_key(jv obj, jv key)
{
	return jv_object_has(jv_copy(obj), jv_copy(key));
}

/* Walks entry i of a mapping into the value its key has now. */
static int
walk_entry(struct ed *ed, struct ynode *map, size_t i, jv key, jv old, jv new,
    const struct where *w, const struct strategy_type *t)
{
	struct strategy_field f;
	const struct strategy_type *sub = strategy_field(t, jv_string_value(key), &f);
	jv o = jv_object_get(jv_copy(old), jv_copy(key));
	jv nv = jv_object_get(jv_copy(new), jv_copy(key));
	int rc;

	rc = walk(ed, map->kids[2 * i + 1], o, nv, w, sub, f.merge ? f.merge_key : NULL);
	jv_free(o);
	jv_free(nv);
	return rc;
}

/* The keys of new that old lacks, in new's order. */
static jv
added_keys(jv old, jv new)
{
	jv out = jv_array();

	jv_object_foreach(new, k, v) {
		if (has_key(old, k))
			jv_free(k);
		else
			out = jv_array_append(out, k);
		jv_free(v);
	}
	return out;
}

/* A mapping's changes: which entries go, which keys come. */
struct mapplan {
	size_t nent;
	char *gone;		/* by entry */
	size_t first_kept, last_kept;	/* NOWHERE: none kept */
	jv added;		/* keys of new that old lacks, in new's order */
};

static void
plan_map(struct mapplan *p, const struct ynode *n, jv old, jv new)
{
	size_t i;

	p->nent = n->n / 2;
	p->gone = xcalloc(p->nent + 1, 1);
	p->first_kept = p->last_kept = NOWHERE;
	for (i = 0; i < p->nent; i++) {
		jv k = entry_key(n, i);

		p->gone[i] = !has_key(new, k);
		if (!p->gone[i]) {
			if (p->first_kept == NOWHERE)
				p->first_kept = i;
			p->last_kept = i;
		}
		jv_free(k);
	}
	p->added = added_keys(old, new);
}

static void
free_plan(struct mapplan *p, struct buf *b)
{
	buf_free(b);
	jv_free(p->added);
	free(p->gone);
}

/* The entries of block mapping n that go, with their lines. */
static int
delete_entries(struct ed *ed, const struct ynode *n, const struct mapplan *p)
{
	size_t i, at;

	for (i = 0; i < p->nent; i++) {
		const struct ynode *k = n->kids[2 * i];

		if (!p->gone[i])
			continue;
		if (!owns_line(ed, k->start)) {
			/* "- name: x" losing name: the next key moves up. */
			if (i != 0)
				return fail(ed, k->line, "cannot delete this key in place");
			delete_range(ed, k->start, n->kids[2 * p->first_kept]->start);
			i = p->first_kept;
			continue;
		}
		at = node_after(ed, n->kids[2 * i + 1]);
		if (at == NOWHERE)
			return fail(ed, k->line, "cannot delete this key in place");
		delete_range(ed, comment_above(ed, line_start(ed, k->start),
		    col_of(ed, k->start), ed->doc->start), at);
	}
	return 0;
}

/* The new keys of block mapping n, after its last entry, at its column. */
static int
add_entries(struct ed *ed, const struct ynode *n, const struct mapplan *p, jv new)
{
	struct buf b = BUF_INIT;
	size_t at = node_after(ed, n->kids[n->n - 1]), col = col_of(ed, n->kids[0]->start);

	if (at == NOWHERE)
		return fail(ed, n->kids[n->n - 1]->line, "cannot add a key after this one");
	break_if_needed(ed, at, n->kids[n->n - 1], &b);
	jv_array_foreach(p->added, j, k) {
		jv v = jv_object_get(jv_copy(new), jv_copy(k));

		yemit_indent(&b, col);
		yemit_key(&b, jv_string_value(k), (size_t)jv_string_length_bytes(jv_copy(k)));
		buf_addc(&b, ':');
		yemit_after_key(&b, &ed->em, v, col);
		buf_adds(&b, ed->em.eol);
		jv_free(v);
		jv_free(k);
		(void)j;
	}
	add_edit(ed, at, at, &b);
	return 0;
}

static int
block_map(struct ed *ed, struct ynode *n, jv old, jv new, const struct where *w,
    const struct strategy_type *t)
{
	struct mapplan p;
	struct buf none = BUF_INIT;
	size_t i;
	int rc;

	plan_map(&p, n, old, new);
	if (p.first_kept == NOWHERE) {
		rc = replace_node(ed, n, new, w);
		goto out;
	}
	rc = delete_entries(ed, n, &p);
	for (i = 0; i < p.nent && rc == 0; i++) {
		struct where wv = { C_MAPVAL, 0, 0, 0 };
		jv k;

		if (p.gone[i])
			continue;
		wv.col = col_of(ed, n->kids[2 * i]->start);
		wv.colon = colon_after(ed, n->kids[2 * i]);
		if (wv.colon == NOWHERE) {
			rc = fail(ed, n->kids[2 * i]->line, "cannot find the ':' after this key");
			break;
		}
		k = entry_key(n, i);
		rc = walk_entry(ed, n, i, k, old, new, &wv, t);
		jv_free(k);
	}
	if (rc == 0 && jv_array_length(jv_copy(p.added)) > 0)
		rc = add_entries(ed, n, &p, new);
out:
	free_plan(&p, &none);
	return rc;
}

static int
flow_map(struct ed *ed, struct ynode *n, jv old, jv new, const struct where *w,
    const struct strategy_type *t)
{
	struct mapplan p;
	size_t nent, i, last_kept;
	char *gone;
	struct where wf = { C_FLOW, 0, 0, 0 };
	struct buf b = BUF_INIT;
	int rc = 0;

	plan_map(&p, n, old, new);
	nent = p.nent;
	gone = p.gone;
	last_kept = p.last_kept;
	if (last_kept == NOWHERE) {
		rc = replace_node(ed, n, new, w);
		goto out;
	}
	/* An entry goes with what separates it from the next one; the
	 * entries after the last kept one go with the separator before. */
	for (i = 0; i < last_kept; i++)
		if (gone[i])
			delete_range(ed, n->kids[2 * i]->start, n->kids[2 * i + 2]->start);
	if (last_kept + 1 < nent)
		delete_range(ed, n->kids[2 * last_kept + 1]->end, n->kids[n->n - 1]->end);
	for (i = 0; i < nent && rc == 0; i++) {
		jv k;

		if (gone[i])
			continue;
		k = entry_key(n, i);
		rc = walk_entry(ed, n, i, k, old, new, &wf, t);
		jv_free(k);
	}
	if (rc == 0 && jv_array_length(jv_copy(p.added)) > 0) {
		jv_array_foreach(p.added, j, k) {
			jv v = jv_object_get(jv_copy(new), jv_copy(k));
			const char *ks = jv_string_value(k);
			size_t kl = (size_t)jv_string_length_bytes(jv_copy(k));

			buf_adds(&b, ", ");
			if (!json_like(n) && yemit_plain_ok(ks, kl, 1))
				buf_add(&b, ks, kl);
			else
				yemit_double(&b, ks, kl);
			buf_adds(&b, ": ");
			yemit_flow(&b, v, json_like(n));
			jv_free(v);
			jv_free(k);
			(void)j;
		}
		add_edit(ed, n->kids[n->n - 1]->end, n->kids[n->n - 1]->end, &b);
	}
out:
	free_plan(&p, &b);
	return rc;
}

/* Are old item a and new item b the same item (borrowed)? By merge key
 * when both have it, else by value. */
static int
same_item(jv a, jv b, const char *mkey)
{
	if (mkey && jv_get_kind(a) == JV_KIND_OBJECT && jv_get_kind(b) == JV_KIND_OBJECT &&
	    jv_object_has(jv_copy(a), jv_string(mkey)) && jv_object_has(jv_copy(b), jv_string(mkey)))
		return jv_equal(jv_object_get(jv_copy(a), jv_string(mkey)),
		    jv_object_get(jv_copy(b), jv_string(mkey)));
	return jv_equal(jv_copy(a), jv_copy(b));
}

/*
 * Pairs the items of the old list with those of the new one, keeping the
 * order: a longest common subsequence of the same items, then (for lists
 * without a merge key) the leftovers between two pairs by position, so a
 * changed item is edited in place rather than deleted and added.
 * po[i]: the new index of old item i, or -1; pn likewise.
 */
static void
align(jv old, jv new, const char *mkey, int *po, int *pn)
{
	int no = jv_array_length(jv_copy(old)), nn = jv_array_length(jv_copy(new));
	int i, j, pi, pj;
	jv *a = xcalloc((size_t)no + 1, sizeof *a), *b = xcalloc((size_t)nn + 1, sizeof *b);
	int *L = NULL;

	for (i = 0; i < no; i++)
		a[i] = jv_array_get(jv_copy(old), i), po[i] = -1;
	for (j = 0; j < nn; j++)
		b[j] = jv_array_get(jv_copy(new), j), pn[j] = -1;
	if ((long)no * nn <= MAX_LCS) {
		L = xcalloc(((size_t)no + 1) * ((size_t)nn + 1), sizeof *L);
#define AT(x, y) L[(size_t)(x) * ((size_t)nn + 1) + (size_t)(y)]
		for (i = no - 1; i >= 0; i--)
			for (j = nn - 1; j >= 0; j--)
				AT(i, j) = same_item(a[i], b[j], mkey) ? AT(i + 1, j + 1) + 1 :
				    AT(i + 1, j) > AT(i, j + 1) ? AT(i + 1, j) : AT(i, j + 1);
		for (i = j = 0; i < no && j < nn;) {
			if (same_item(a[i], b[j], mkey) && AT(i, j) == AT(i + 1, j + 1) + 1) {
				po[i] = j, pn[j] = i;
				i++, j++;
			} else if (AT(i + 1, j) >= AT(i, j + 1)) {
				i++;
			} else {
				j++;
			}
		}
#undef AT
	}
	/* Between two pairs (and at the ends), pair what is left in order. */
	for (pi = pj = 0; pi <= no && pj <= nn;) {
		int ni = pi, nj = pj;

		while (ni < no && po[ni] < 0)
			ni++;
		while (nj < nn && pn[nj] < 0)
			nj++;
		for (i = pi, j = pj; i < ni && j < nj; i++, j++) {
			if (mkey && !same_item(a[i], b[j], NULL) &&
			    jv_get_kind(a[i]) == JV_KIND_OBJECT && jv_get_kind(b[j]) == JV_KIND_OBJECT &&
			    jv_object_has(jv_copy(a[i]), jv_string(mkey)))
				break;
			po[i] = j, pn[j] = i;
		}
		pi = ni + 1;
		pj = nj + 1;
	}
	for (i = 0; i < no; i++)
		jv_free(a[i]);
	for (j = 0; j < nn; j++)
		jv_free(b[j]);
	free(a);
	free(b);
	free(L);
}

/* A list's changes: deletions, edits of paired items, insertions. */
struct seqplan {
	int no, nn, kept;
	int *po, *pn;
};

static void
plan_seq(struct seqplan *p, jv old, jv new, const char *mkey)
{
	int i;

	p->no = jv_array_length(jv_copy(old));
	p->nn = jv_array_length(jv_copy(new));
	p->po = xcalloc((size_t)p->no + 1, sizeof *p->po);
	p->pn = xcalloc((size_t)p->nn + 1, sizeof *p->pn);
	align(old, new, mkey, p->po, p->pn);
	p->kept = 0;
	for (i = 0; i < p->no; i++)
		p->kept += p->po[i] >= 0;
}

/* The old item before which new item j goes (no: at the end). */
static int
insert_before(const struct seqplan *p, int j)
{
	for (; j < p->nn; j++)
		if (p->pn[j] >= 0)
			return p->pn[j];
	return p->no;
}

static int
walk_item(struct ed *ed, struct ynode *n, int i, int j, jv old, jv new,
    const struct where *w, const struct strategy_type *t)
{
	jv o = jv_array_get(jv_copy(old), i), v = jv_array_get(jv_copy(new), j);
	int rc = walk(ed, n->kids[i], o, v, w, t, NULL);

	jv_free(o);
	jv_free(v);
	return rc;
}

/* Does subtree n hold an anchor or an alias (so its text cannot be
 * copied elsewhere)? */
static int
has_refs(const struct ynode *n)
{
	size_t i;

	if (n->anchor || n->kind == Y_ALIAS)
		return 1;
	for (i = 0; i < n->n; i++)
		if (has_refs(n->kids[i]))
			return 1;
	return 0;
}

/* The lines of item i of a block list, the comment above it included. */
static size_t
item_start(const struct ed *ed, const size_t *dash, size_t i)
{
	return comment_above(ed, line_start(ed, dash[i]), col_of(ed, dash[i]), ed->doc->start);
}

/*
 * New item j of a block list as text: a deleted old item of the same
 * value is moved, bytes and comments, rather than written anew.
 */
static void
item_text(struct ed *ed, struct ynode *n, const struct seqplan *p, const size_t *dash,
    char *moved, jv old, jv new, int j, size_t col, struct buf *b)
{
	jv v = jv_array_get(jv_copy(new), j);
	int i;

	for (i = 0; i < p->no; i++) {
		jv o;
		size_t end;
		int eq;

		if (p->po[i] >= 0 || moved[i] || has_refs(n->kids[i]))
			continue;
		o = jv_array_get(jv_copy(old), i);
		eq = jv_equal(o, jv_copy(v));
		end = node_after(ed, n->kids[i]);
		if (eq && end != NOWHERE) {
			size_t from = item_start(ed, dash, (size_t)i);

			moved[i] = 1;
			buf_add(b, ed->t + from, end - from);
			if (end == ed->len && (end == from || ed->t[end - 1] != '\n'))
				buf_adds(b, ed->em.eol);
			jv_free(v);
			return;
		}
	}
	yemit_indent(b, col);
	buf_addc(b, '-');
	yemit_item(b, &ed->em, v, col + 2);
	buf_adds(b, ed->em.eol);
	jv_free(v);
}

static int
block_seq(struct ed *ed, struct ynode *n, jv old, jv new, const struct where *w,
    const struct strategy_type *t, const char *mkey)
{
	struct seqplan p;
	size_t *dash = NULL, col, at;
	char *moved = NULL;
	struct buf b = BUF_INIT;
	int i, j, rc = 0, compact = 0;

	plan_seq(&p, old, new, mkey);
	dash = xcalloc((size_t)p.no + 1, sizeof *dash);
	moved = xcalloc((size_t)p.no + 1, 1);
	for (i = 0; i < p.no; i++) {
		dash[i] = dash_of(ed, n, (size_t)i);
		compact |= dash[i] == NOWHERE || !owns_line(ed, dash[i]);
	}
	/* Nothing kept, or items sharing lines ("- - a"): rewrite it all. */
	if (p.kept == 0 || compact) {
		rc = replace_node(ed, n, new, w);
		goto out;
	}
	col = col_of(ed, dash[0]);
	for (i = 0; i < p.no && rc == 0; i++) {
		if (p.po[i] >= 0)
			continue;
		at = node_after(ed, n->kids[i]);
		if (at == NOWHERE)
			rc = fail(ed, n->kids[i]->line, "cannot delete this list item in place");
		else
			delete_range(ed, item_start(ed, dash, (size_t)i), at);
	}
	for (i = 0; i < p.no && rc == 0; i++) {
		struct where wi = { C_ITEM, 0, 0, 0 };

		if (p.po[i] < 0)
			continue;
		wi.dash = dash[i];
		wi.col = col_of(ed, dash[i]);
		rc = walk_item(ed, n, i, p.po[i], old, new, &wi, t);
	}
	for (j = 0; j < p.nn && rc == 0; j++) {
		int before;

		if (p.pn[j] >= 0)
			continue;
		before = insert_before(&p, j);
		at = before < p.no ? item_start(ed, dash, (size_t)before) :
		    node_after(ed, n->kids[p.no - 1]);
		if (at == NOWHERE) {
			rc = fail(ed, n->kids[p.no - 1]->line, "cannot add a list item after this one");
			break;
		}
		break_if_needed(ed, at, n->kids[p.no - 1], &b);
		item_text(ed, n, &p, dash, moved, old, new, j, col, &b);
		add_edit(ed, at, at, &b);
	}
out:
	buf_free(&b);
	free(dash);
	free(moved);
	free(p.po);
	free(p.pn);
	return rc;
}

static int
flow_seq(struct ed *ed, struct ynode *n, jv old, jv new, const struct where *w,
    const struct strategy_type *t, const char *mkey)
{
	struct seqplan p;
	struct where wf = { C_FLOW, 0, 0, 0 };
	struct buf b = BUF_INIT;
	int i, j, rc = 0, last_kept = -1;

	plan_seq(&p, old, new, mkey);
	for (i = 0; i < p.no; i++)
		if (p.po[i] >= 0)
			last_kept = i;
	if (last_kept < 0) {
		rc = replace_node(ed, n, new, w);
		goto out;
	}
	for (i = 0; i < last_kept; i++)
		if (p.po[i] < 0)
			delete_range(ed, n->kids[i]->start, n->kids[i + 1]->start);
	if (last_kept + 1 < p.no)
		delete_range(ed, n->kids[last_kept]->end, n->kids[p.no - 1]->end);
	for (i = 0; i < p.no && rc == 0; i++)
		if (p.po[i] >= 0)
			rc = walk_item(ed, n, i, p.po[i], old, new, &wf, t);
	for (j = 0; j < p.nn && rc == 0; j++) {
		jv v;
		int before;

		if (p.pn[j] >= 0)
			continue;
		before = insert_before(&p, j);
		v = jv_array_get(jv_copy(new), j);
		if (before < p.no) {
			yemit_flow(&b, v, json_like(n));
			buf_adds(&b, ", ");
			add_edit(ed, n->kids[before]->start, n->kids[before]->start, &b);
		} else {
			buf_adds(&b, ", ");
			yemit_flow(&b, v, json_like(n));
			add_edit(ed, n->kids[p.no - 1]->end, n->kids[p.no - 1]->end, &b);
		}
		jv_free(v);
	}
out:
	buf_free(&b);
	free(p.po);
	free(p.pn);
	return rc;
}

static void
remember(struct ed *ed, const struct ynode *n, jv new)
{
	jv_free(ed->final[n->id]);
	ed->final[n->id] = jv_copy(new);
}

static int
walk(struct ed *ed, struct ynode *n, jv old, jv new, const struct where *w,
    const struct strategy_type *t, const char *mkey)
{
	jv_kind nk = jv_get_kind(new);

	if (jv_equal(jv_copy(old), jv_copy(new)))
		return 0;
	/* Aliases, and the anchors they share, are settled at the end,
	 * when all the changes are known. */
	if (n->kind == Y_ALIAS || n->shared)
		remember(ed, n, new);
	if (n->kind == Y_ALIAS)
		return 0;
	if (n->kind == Y_MAP && nk == JV_KIND_OBJECT && jv_get_kind(old) == JV_KIND_OBJECT) {
		if (n->merges)
			return fail(ed, n->line, "the patch changes a mapping built with a "
			    "'<<' merge key; edit it by hand");
		return n->flow ? flow_map(ed, n, old, new, w, t) : block_map(ed, n, old, new, w, t);
	}
	if (n->kind == Y_SEQ && nk == JV_KIND_ARRAY && jv_get_kind(old) == JV_KIND_ARRAY)
		return n->flow ? flow_seq(ed, n, old, new, w, t, mkey) :
		    block_seq(ed, n, old, new, w, t, mkey);
	if (n->kind == Y_SCALAR && is_scalar(new))
		return edit_scalar(ed, n, new, w);
	return replace_node(ed, n, new, w);
}

/* Is p inside text an edit replaces (a deleted line, a rewritten node)? */
static int
inside_edit(const struct ed *ed, size_t p)
{
	size_t i;

	for (i = 0; i < ed->n; i++)
		if (ed->edits[i].start <= p && p < ed->edits[i].end)
			return 1;
	return 0;
}

/* How an alias sits in its parent (for its expansion). */
static int
where_of(struct ed *ed, const struct ynode *a, struct where *w)
{
	const struct ynode *p = a->parent;

	memset(w, 0, sizeof *w);
	if (p == NULL) {
		w->ctx = C_ROOT;
	} else if (p->flow) {
		w->ctx = C_FLOW;
	} else if (p->kind == Y_MAP) {
		const struct ynode *key = p->kids[a->pidx - 1];
		jv k = ytree_key(key);
		int merge = jv_get_kind(k) == JV_KIND_STRING && p->merges &&
		    strcmp(jv_string_value(k), "<<") == 0;

		jv_free(k);
		if (merge)
			return fail(ed, a->line, "the patch changes what this '<<' merges; "
			    "edit it by hand");
		w->ctx = C_MAPVAL;
		w->col = col_of(ed, key->start);
		w->colon = colon_after(ed, key);
		if (w->colon == NOWHERE)
			return fail(ed, key->line, "cannot find the ':' after this key");
	} else {
		w->ctx = C_ITEM;
		w->dash = dash_of(ed, p, a->pidx);
		if (w->dash == NOWHERE)
			return fail(ed, a->line, "cannot find this list item's '-'");
		w->col = col_of(ed, w->dash);
	}
	return 0;
}

/*
 * Each alias keeps naming its anchor when both still mean the same;
 * otherwise (the anchor changed or went, or the alias's place changed)
 * the alias is expanded into the value its place must have.
 */
static int
settle_aliases(struct ed *ed)
{
	size_t i;

	for (i = 0; i < ed->doc->naliases; i++) {
		struct ynode *a = ed->doc->aliases[i], *tg = a->target;
		struct where w;
		jv av, tv;
		int same, rc;

		if (inside_edit(ed, a->start))
			continue;
		av = jv_is_valid(ed->final[a->id]) ? jv_copy(ed->final[a->id]) : ytree_value(a);
		tv = inside_edit(ed, tg->start) ? jv_invalid() :
		    jv_is_valid(ed->final[tg->id]) ? jv_copy(ed->final[tg->id]) : ytree_value(tg);
		same = jv_is_valid(tv) && jv_equal(jv_copy(av), tv);
		if (!same && a->parent && ((a->parent->kind == Y_MAP && a->pidx % 2 == 0) ||
		    (a->parent->kind == Y_SEQ && a->parent->parent && a->parent->parent->merges))) {
			jv_free(av);
			return fail(ed, a->line, "the patch changes what this alias names, "
			    "a key or under '<<'; edit it by hand");
		}
		rc = same ? 0 : where_of(ed, a, &w);
		if (rc == 0 && !same)
			rc = replace_node(ed, a, av, &w);
		jv_free(av);
		if (rc)
			return rc;
	}
	return 0;
}

static int
by_start(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* What is inserted at p goes before what is replaced from p on. */
	if ((x->end > x->start) != (y->end > y->start))
		return x->end > x->start ? 1 : -1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Applies the edits; they must lie inside the document (from the start of
 * its first line) and not overlap. */
static int
splice(struct ed *ed, struct buf *out, long *delta)
{
	size_t i, at = 0, from = line_start(ed, ed->doc->start);

	if (ed->n > 0)
		qsort(ed->edits, ed->n, sizeof *ed->edits, by_start);
	*delta = 0;
	for (i = 0; i < ed->n; i++) {
		const struct edit *e = &ed->edits[i];

		if (e->start < at || e->end < e->start || e->start < from || e->end > ed->doc->end)
			return ed->internal = 1, fail(ed, ed->doc->line, "internal error: overlapping edits");
		buf_add(out, ed->t + at, e->start - at);
		buf_add(out, e->text ? e->text : "", e->len);
		*delta += (long)e->len - (long)(e->end - e->start);
		at = e->end;
	}
	buf_add(out, ed->t + at, ed->len - at);
	return 0;
}

static int
first_doc(struct ydoc *doc, void *ctx)
{
	struct ydoc **keep = ctx;

	if (doc->root == NULL)
		return 0;
	if (*keep) {
		ydoc_free(*keep);
		*keep = NULL;
		return -1;
	}
	*keep = doc;
	return 1;
}

/* The edited document, read back, must be exactly new. */
static int
verify(struct ed *ed, const char *text, size_t len, jv new)
{
	struct ydoc *doc = NULL;
	char *err = NULL;
	jv v;
	int ok;

	if (ytree_parse(text, len, first_doc, &doc, &err) != 0 || doc == NULL) {
		free(err);
		ydoc_free(doc);
		ed->internal = 1;
		return fail(ed, ed->doc->line, "internal error: the edited document "
		    "does not read back");
	}
	v = ytree_value(doc->root);
	ok = jv_is_valid(v) && jv_equal(v, jv_copy(new));
	ydoc_free(doc);
	if (!ok) {
		ed->internal = 1;
		return fail(ed, ed->doc->line, "internal error: the edited document "
		    "does not read back as the patched value");
	}
	return 0;
}

/*
 * YAML also breaks lines at a lone CR, NEL, LS and PS; the editor counts
 * lines and columns by LF, so a document with those is not edited (no
 * manifest needs them). Returns the offending byte's offset, or NOWHERE.
 */
static size_t
odd_break(const struct ed *ed, size_t from, size_t to)
{
	const unsigned char *t = (const unsigned char *)ed->t;
	size_t i;

	for (i = from; i < to; i++) {
		if (t[i] == '\r' && (i + 1 >= ed->len || t[i + 1] != '\n'))
			return i;
		if (t[i] == 0xC2 && i + 1 < ed->len && t[i + 1] == 0x85)
			return i;
		if (t[i] == 0xE2 && i + 2 < ed->len && t[i + 1] == 0x80 &&
		    (t[i + 2] == 0xA8 || t[i + 2] == 0xA9))
			return i;
	}
	return NOWHERE;
}

/* The file's ways: line breaks, and how deep it nests maps and lists. */
static void
learn_style(struct ed *ed, const struct ynode *n, int *step_seen, int *seq_seen)
{
	size_t i;

	if (n == NULL || n->kind != Y_MAP || n->flow)
		goto kids;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1];
		size_t kc = col_of(ed, k->start);

		if (!*step_seen && v->kind == Y_MAP && is_block(v) &&
		    col_of(ed, v->kids[0]->start) > kc && owns_line(ed, v->kids[0]->start)) {
			ed->em.step = col_of(ed, v->kids[0]->start) - kc;
			*step_seen = 1;
		}
		if (!*seq_seen && v->kind == Y_SEQ && is_block(v)) {
			size_t d = dash_of(ed, v, 0);

			if (d != NOWHERE && col_of(ed, d) >= kc && owns_line(ed, d)) {
				ed->em.seq_off = col_of(ed, d) - kc;
				*seq_seen = 1;
			}
		}
	}
kids:
	for (i = 0; n && i < n->n && !(*step_seen && *seq_seen); i++)
		if (n->kids[i]->kind == Y_MAP || n->kids[i]->kind == Y_SEQ)
			learn_style(ed, n->kids[i], step_seen, seq_seen);
}

int
yedit(const char *text, size_t len, struct ydoc *doc, jv old, jv new,
    const struct strategy_type *type, struct buf *out, char **err)
{
	struct ed ed;
	struct where root = { C_ROOT, 0, 0, 0 };
	const char *nl = memchr(text, '\n', len);
	size_t i, start = out->len, odd;
	long delta = 0;
	int rc, step_seen = 0, seq_seen = 0;

	memset(&ed, 0, sizeof ed);
	ed.t = text;
	ed.len = len;
	ed.doc = doc;
	ed.em.eol = nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
	ed.em.step = 2;
	ed.em.seq_off = 0;
	learn_style(&ed, doc->root, &step_seen, &seq_seen);
	ed.final = xcalloc(doc->nnodes + 1, sizeof *ed.final);
	for (i = 0; i < doc->nnodes; i++)
		ed.final[i] = jv_invalid();
	odd = jv_equal(jv_copy(old), jv_copy(new)) ? NOWHERE :
	    odd_break(&ed, line_start(&ed, doc->start), doc->end);
	if (odd != NOWHERE) {
		size_t line = 1;

		for (i = 0; i < odd; i++)
			line += text[i] == '\n';
		rc = fail(&ed, line, "a line break other than LF or CRLF (a lone CR, NEL, "
		    "LS or PS): not edited");
	} else {
		rc = walk(&ed, doc->root, old, new, &root, type, NULL);
	}
	if (rc == 0)
		rc = settle_aliases(&ed);
	if (rc == 0)
		rc = splice(&ed, out, &delta);
	/* The document is read back from the start of its first line: its
	 * first token may be indented. */
	if (rc == 0 && ed.n > 0) {
		size_t from = line_start(&ed, doc->start);

		rc = verify(&ed, out->p + start + from,
		    (size_t)((long)(doc->end - from) + delta), new);
	}
	for (i = 0; i < ed.n; i++)
		free(ed.edits[i].text);
	for (i = 0; i < doc->nnodes; i++)
		jv_free(ed.final[i]);
	free(ed.final);
	free(ed.edits);
	if (rc != 0) {
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
	}
	*err = ed.err;
	return rc == 0 ? 0 : ed.internal ? -2 : -1;
}
