/* kutil.h — small helpers k8spatch's files share: reading a whole file,
 * base64, and reaching into Kubernetes objects by dotted field paths. */
#ifndef K8SPATCH_KUTIL_H
#define K8SPATCH_KUTIL_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"

/* printf into a new string (caller frees); for messages. */
char *strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Frees a NULL-terminated array of strings and the array. */
void strv_free(char **v);

/* The whole file, NUL-terminated (caller frees), or NULL with errno set. */
char *slurp(const char *path, size_t *len);

/* Standard base64 (whitespace ignored, padding optional) appended to out;
 * -1 on a character outside the alphabet or a dangling bit. */
int base64_decode(const char *s, size_t len, struct buf *out);
/* Standard base64 with padding appended to out. */
void base64_encode(const unsigned char *s, size_t len, struct buf *out);

/*
 * Fields by dotted path ("metadata.name", "spec.replicas"); keys only, no
 * list indexes. All borrow obj. jv_at returns a new reference (jv_null()
 * when absent or when a step is not an object). jv_str_at returns a
 * string that lives as long as obj, or NULL; jv_num_at 1 with *out set.
 */
jv jv_at(jv obj, const char *path);
const char *jv_str_at(jv obj, const char *path);
int jv_num_at(jv obj, const char *path, double *out);
/* 1 when the value at path is true. */
int jv_true_at(jv obj, const char *path);
/* The number at path, else dflt. */
double jv_num_or(jv obj, const char *path, double dflt);

/* Sets the value at a dotted path, creating objects on the way
 * (consumes obj and v). */
jv jv_set_at(jv obj, const char *path, jv v);

/* The status condition of this type in obj's status.conditions (a new
 * reference), else null. */
jv jv_condition(jv obj, const char *type);

/* Compact JSON text of v (borrowed), for messages and comparisons;
 * caller frees. */
char *jv_text(jv v);

#endif
