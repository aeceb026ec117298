/* group.h — pooling series into groups (--by, --all, --field). */
#ifndef STATZ_GROUP_H
#define STATZ_GROUP_H

#include <jv.h>

#include "statz.h"

struct groups;

struct groups *groups_new(void);
/*
 * The data of the group that labels (borrowed: a series' "metric", or a
 * whole input line) falls in, created on first sight; rec (consumed) is
 * the member's record, intersected into the group's.
 */
struct data *groups_add(struct groups *gs, const struct conf *c, jv rec,
    jv labels);
/* Writes one stats record per group, in order of first appearance, and
 * frees everything. Without --by, no input at all still makes one record,
 * from empty (consumed). Returns nonzero if a record was incomplete. */
int groups_flush(struct groups *gs, const struct conf *c, jv empty);

#endif
