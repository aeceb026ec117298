/* mask.h — Kubernetes names, IPs and hostnames behind stable placeholders. */
#ifndef LLMASK_MASK_H
#define LLMASK_MASK_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"

struct mask;

struct mask *mask_new(void);
void mask_free(struct mask *m);

/*
 * Learns the names a record holds: string values of name-bearing fields
 * (name, namespace, pod, node, container, instance, host, deployment, …)
 * at any depth, Prometheus labels included. Borrows v.
 */
void mask_learn(struct mask *m, jv v);

/*
 * Appends s to out with every learned name, and every IPv4 address and
 * dotted hostname (learned on the way), replaced by its placeholder
 * ("pod-1", "ns-2", "ip-1", "host-3"); the same original always gets the
 * same placeholder. Returns how many replacements were made.
 */
size_t mask_text(struct mask *m, struct buf *out, const char *s, size_t len);

/* Puts the originals back: in a text (appended to out), or in every string
 * and key of v (consumed). */
void mask_restore_text(const struct mask *m, struct buf *out, const char *s,
    size_t len);
jv mask_restore(const struct mask *m, jv v);

#endif
