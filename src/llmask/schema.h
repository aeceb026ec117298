/* schema.h — the subset of JSON Schema an LLM answer is checked against. */
#ifndef LLMASK_SCHEMA_H
#define LLMASK_SCHEMA_H

#include <jv.h>

/*
 * NULL when v satisfies schema, else the first problem as a message the
 * model can act on ("$.severity: \"urgent\" is not one of \"low\",
 * \"high\""); the caller frees it. Borrows both.
 * Keywords: type (a name or a list), enum, const, properties, required,
 * additionalProperties (false or a schema), items, minItems, maxItems,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength,
 * maxLength, anyOf, oneOf (as anyOf), allOf. Others are ignored.
 */
char *schema_check(jv schema, jv v);

/* NULL when schema is a usable schema object, else why not. Borrows. */
char *schema_lint(jv schema);

#endif
