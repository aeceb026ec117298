/* jqprog.h — a user's jq program (statz --field, llmask --template),
 * compiled once, with jq's compile messages made one diagnostic line. */
#ifndef OPSPIPE_JQPROG_H
#define OPSPIPE_JQPROG_H

#include <jq.h>

/* The compiled program, or NULL with *err (caller frees): jq's messages,
 * newlines made spaces, several joined with "; ". */
jq_state *jqprog_compile(const char *program, char **err);

#endif
