/* cache.h — answers on disk, keyed by what shapes them. */
#ifndef LLMASK_CACHE_H
#define LLMASK_CACHE_H

#include <stddef.h>
#include <jv.h>

/* Hex SHA-256 of the API, the endpoint URL and the request body. */
void cache_key(char hex[65], const char *api, const char *url,
    const char *body, size_t body_len);

/* The entry stored under hex in dir, or jv_invalid() on a miss (an
 * unreadable or damaged entry is a miss). */
jv cache_get(const char *dir, const char *hex);

/* Stores entry (consumed) atomically; dir is made (mode 0700) when
 * missing. Returns 0, or -1 after a warning: a cache that cannot be
 * written costs a request next time, not this answer. */
int cache_put(const char *dir, const char *hex, jv entry);

#endif
