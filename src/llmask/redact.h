/* redact.h — secrets out of text before it leaves the machine. */
#ifndef LLMASK_REDACT_H
#define LLMASK_REDACT_H

#include <stddef.h>

#include "buf.h"

#define REDACTED	"[REDACTED]"

/*
 * Appends s (len bytes, may hold NULs) to out with every secret replaced by
 * REDACTED; returns how many were replaced (0: out got s unchanged).
 * Redacting the result again changes nothing. Found: values named as
 * secrets (password, token, api key, AccountKey, client-key-data,
 * _authToken, session ids, … as k=v, "k":"v", k: v, --k v and
 * Kubernetes' {"name":K,"value":V}, also in JSON escaped more than
 * once), Authorization after any scheme, Cookie headers, and
 * generated-looking values under names ending in key or sig; password
 * flags of database, cache and registry clients and curl -u; URLs with
 * user:password; bearer and basic credentials; tokens known by their
 * prefix (AWS, GitHub, GitLab, Slack, OpenAI, Google, Hugging Face,
 * Stripe, PyPI, Mailgun, …); Discord and Telegram bot tokens, Azure
 * DevOps PATs; webhook URLs (Slack, Discord, Teams); JWTs; PEM, PGP and
 * PuTTY private keys, JSON Web Keys' private members; base64 text (also
 * wrapped in lines) that decodes to any of these. See redact.c.
 */
size_t redact(struct buf *out, const char *s, size_t len);

#endif
