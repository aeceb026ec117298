/* yamltree.h — YAML documents as trees that know where each node's bytes
 * are, read with libyaml's parser events, and their values as kubectl
 * reads them.
 *
 * The byte-preserving editor (yamledit.c) needs to know where every key,
 * value and list item starts and ends in the text; libyaml gives the
 * marks, this turns them into byte offsets (libyaml counts characters)
 * and tidies the ends of block scalars and collections.
 *
 * Values follow sigs.k8s.io/yaml, which kubectl reads manifests with: Go's
 * yaml.v2, so YAML 1.1 scalars (yes/no/on/off/y/n are booleans, 0777 is
 * octal, 1_000 is 1000), "<<" merge keys applied in text order, aliases
 * expanded, keys turned into strings. Refused where kubectl would fail or
 * a manifest is ambiguous: non-scalar keys, a key given twice, NaN and
 * infinities, unknown tags, an alias inside what it names.
 */
#ifndef K8SPATCH_YAMLTREE_H
#define K8SPATCH_YAMLTREE_H

#include <stddef.h>
#include <jv.h>

enum ykind { Y_SCALAR, Y_MAP, Y_SEQ, Y_ALIAS };

struct ynode {
	enum ykind kind;
	unsigned char flow;	/* a flow collection: [a, b] {a: b} */
	unsigned char style;	/* a scalar's yaml_scalar_style_t */
	unsigned char keep;	/* a block scalar with "+" chomping */
	unsigned char merges;	/* a mapping with a "<<" key */
	unsigned char shared;	/* anchored, and an alias refers to it */
	unsigned char open;	/* a collection being read (its aliases
				 * would contain themselves) */
	size_t start;		/* first byte, anchor and tag included */
	size_t end;		/* past the last byte of the content; a block
				 * scalar ends at its last non-blank line */
	size_t tail;		/* a block scalar: where the next line starts */
	size_t line;		/* 1-based */
	char *tag;		/* an explicit tag, or NULL */
	char *anchor;		/* or NULL */
	char *value;		/* a scalar's value, NUL-terminated */
	size_t vlen;
	struct ynode *target;	/* an alias: the node it names */
	struct ynode *parent;	/* the collection it is in, or NULL */
	size_t pidx;		/* its index among parent->kids */
	struct ynode **kids;	/* a mapping: key, value, key, value…
				 * a sequence: its items */
	size_t n;		/* number of kids */
	size_t cap;
	size_t weight;		/* nodes in the expanded value (aliases
				 * counted as what they name) */
	jv val;			/* anchored node: its value, once read */
	size_t id;		/* index in the document's node list */
};

struct ydoc {
	struct ynode *root;	/* NULL for an empty document */
	size_t start, end;	/* byte range (from "---" when explicit) */
	size_t line;		/* first line */
	size_t index;		/* 0-based among the file's documents */
	struct ynode **nodes;	/* every node, for freeing and lookups */
	size_t nnodes, capnodes;
	struct ynode **aliases;	/* every alias node, in text order */
	size_t naliases, capaliases;
};

/*
 * Calls fn for every document of text in order; fn returns 1 when it keeps
 * the document (and frees it later with ydoc_free), 0 to have it freed, or
 * -1 to stop (then ytree_parse returns -1 without setting *err). Returns
 * 0, or -1 with *err set ("line 3: mapping values are not allowed in this
 * context") for text that is not YAML.
 */
typedef int (*ydoc_fn)(struct ydoc *doc, void *ctx);
int ytree_parse(const char *text, size_t len, ydoc_fn fn, void *ctx,
    char **err);
void ydoc_free(struct ydoc *doc);

/* A document with nothing in it, or only null (kubectl skips those). */
int ydoc_empty(const struct ydoc *doc);

/*
 * The value of node n as JSON, kubectl's reading (see above), or
 * jv_invalid_with_msg("line N: …").
 */
jv ytree_value(struct ynode *n);

/* A scalar key's JSON name (a string), or jv_invalid_with_msg. */
jv ytree_key(const struct ynode *key);

/* The value node of KEY in mapping map (aliases followed), or NULL. */
const struct ynode *ytree_get(const struct ynode *map, const char *key);

/* The string at "kind", "metadata.name" … of a document, or NULL. */
const char *ytree_string(const struct ydoc *doc, const char *path,
    char *buf, size_t size);

/*
 * How Go's yaml.v2 reads a plain scalar: null, a boolean, a number or a
 * string; NaN and infinities are invalid (JSON has none).
 */
jv ytree_plain(const char *s, size_t len);

#endif
