/* redact.h — secrets out of text before it leaves the machine. */
#ifndef LLMASK_REDACT_H
#define LLMASK_REDACT_H

#include <stddef.h>

#include "buf.h"

#define REDACTED	"[REDACTED]"

/*
 * Appends s (len bytes, may hold NULs) to out with every secret replaced by
 * REDACTED; returns how many were replaced (0: out got s unchanged).
 * Found: bearer and basic credentials, KEY=VALUE / "KEY": VALUE pairs whose
 * key ends in password, secret, token, api key, access key, private key,
 * credential(s) or auth (also Kubernetes' {"name":KEY,"value":V} form),
 * URLs with user:password, AWS access key ids, GitHub, GitLab, Slack and
 * OpenAI tokens, Slack webhook paths, JWTs and PEM private keys.
 */
size_t redact(struct buf *out, const char *s, size_t len);

#endif
