/* yamledit.h — the byte-preserving YAML editor.
 *
 * Given a document of a file (a yamltree), its value as read and the value
 * it must have, yedit writes the file with only the bytes of what changed
 * changed: a changed scalar keeps its quoting style where the new value
 * allows it, a deleted key or list item takes its lines (and only them)
 * with it, a new key goes after its siblings at their indentation, a new
 * list item where kubectl's order puts it, in block style under block
 * parents and flow style inside [ ] and { }. Comments, key order, blank
 * lines, line endings (CRLF stays CRLF) and every other document stay
 * byte for byte.
 *
 * Anchors and aliases: a node that other nodes share through an alias is
 * edited in place only when every alias still means the same as the
 * anchor; an alias whose meaning would otherwise change is expanded in
 * place into the value it must have. A change under a "<<" merge key is
 * refused: which keys are the mapping's own is not written anywhere.
 *
 * The result is read back and compared with the value it must have before
 * it is returned: an edit that would not mean exactly that is an error,
 * never output.
 */
#ifndef K8SPATCH_YAMLEDIT_H
#define K8SPATCH_YAMLEDIT_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"
#include "strategy.h"
#include "yamltree.h"

/*
 * Appends text, with document doc (read from text) changed from old to
 * new, to out. type is the document's strategy_root (merge keys pair list
 * items; NULL pairs them by value and position). Borrows old and new.
 * Returns 0, or -1 with *err set ("line 12: …") when the change cannot be
 * written safely, -2 when the editor failed itself (a bug: the result did
 * not read back as new).
 */
int yedit(const char *text, size_t len, struct ydoc *doc, jv old, jv new,
    const struct strategy_type *type, struct buf *out, char **err);

#endif
