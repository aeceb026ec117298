/* cache.h — answers on disk, keyed by what shapes them. */
#ifndef LLMASK_CACHE_H
#define LLMASK_CACHE_H

#include <stddef.h>
#include <jv.h>

/* Hex SHA-256 of the API, the endpoint URL and the request body. */
void cache_key(char hex[65], const char *api, const char *url,
    const char *body, size_t body_len);

struct cache;

/*
 * Opens the cache directory dir, made (mode 0700) when missing. Returns
 * 0 with *out set; 0 with *out NULL after a warning when it cannot be
 * made or opened (answers are then asked, not cached); -1 after a
 * message when it is not safe to use: not a directory of this user's,
 * writable by others, or reached through another user's symlink —
 * whoever can write there could plant answers.
 */
int cache_open(const char *dir, struct cache **out);
void cache_close(struct cache *c);

/* The entry stored under hex, or jv_invalid() on a miss (an unreadable
 * or damaged entry is a miss). */
jv cache_get(struct cache *c, const char *hex);

/* Stores entry (consumed) atomically. Returns 0, or -1 after a warning:
 * a cache that cannot be written costs a request next time, not this
 * answer. A signal while the entry is written removes its temporary
 * file before the process ends. */
int cache_put(struct cache *c, const char *hex, jv entry);

#endif
