/* jstream.h — split a JSON document into pieces as it streams in.
 *
 * An API response such as {"status":"success","data":{"result":[…]}} can
 * be far larger than any one of its parts. A jstream is fed the body in
 * chunks of any size and hands its callback complete pieces of text:
 *
 *  - each element of the array at the split path ("data.result"), with
 *    path "data.result[]", one at a time, as soon as it is complete;
 *  - every other member value met on the way (e.g. "status",
 *    "data.resultType", "warnings"), whole, with its dotted path;
 *  - the value at the split path itself, whole, when it is not an array.
 *
 * So memory is bounded by the largest piece, not by the document. The
 * splitter tracks strings, escapes and nesting across chunk boundaries but
 * does not validate the text inside a piece: the callback's parser does
 * (jv, series_transcode). Text handed to the callback stays valid only
 * during the call. Keys are compared as raw bytes (no escape decoding).
 */
#ifndef OPSPIPE_JSTREAM_H
#define OPSPIPE_JSTREAM_H

#include <stddef.h>

struct jstream;

/* Nonzero return stops the stream; jstream_feed returns that value. */
typedef int (*jstream_fn)(void *ctx, const char *path, const char *text,
    size_t len);

/* split: a dotted path of object keys, at most 8 deep ("data.result"). */
struct jstream *jstream_new(const char *split, jstream_fn fn, void *ctx);
void jstream_free(struct jstream *js);

/*
 * Feeds the next chunk. Returns 0, -1 on a syntax error found by the
 * splitter (see jstream_error), or the callback's nonzero value.
 */
int jstream_feed(struct jstream *js, const char *data, size_t len);
/* At end of input: 0 if the document was complete, else -1. */
int jstream_finish(struct jstream *js);
/* The last error, "" when none. */
const char *jstream_error(const struct jstream *js);
/* Bytes fed so far (for messages and statistics). */
size_t jstream_offset(const struct jstream *js);

/*
 * Helpers for the pieces: walking one complete JSON text without a tree.
 *
 * jvalue_end: the end of the value starting at p (leading whitespace
 * skipped), or NULL if it does not end before end. Like the splitter, it
 * matches brackets and strings but does not validate scalars.
 */
const char *jvalue_end(const char *p, const char *end);

/* Iterates the members of one object text. */
struct jobj_iter {
	const char *p, *end;
	int n;
};
struct jmember {
	const char *key;	/* raw key bytes, without quotes */
	size_t klen;
	const char *val;	/* the value's text */
	size_t vlen;
};
/* 0, or -1 when text does not start with '{'. */
int jobj_begin(struct jobj_iter *it, const char *text, size_t len);
/* 1 with *m set, 0 after the last member, -1 on a syntax error. */
int jobj_next(struct jobj_iter *it, struct jmember *m);
/*
 * The same, but the value is left unscanned (m->vlen 0) for a caller that
 * parses it itself and then says where it ended with jobj_skip_to.
 */
int jobj_next_key(struct jobj_iter *it, struct jmember *m);
void jobj_skip_to(struct jobj_iter *it, const char *after);
/* Does the raw key equal s? */
int jmember_is(const struct jmember *m, const char *s);

#endif
