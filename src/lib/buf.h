/* buf.h — a growable byte buffer, always NUL-terminated. */
#ifndef OPSPIPE_BUF_H
#define OPSPIPE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;		/* NUL-terminated contents, NULL until first use */
	size_t len;		/* bytes used, not counting the NUL */
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Make room for n more bytes; returns where they go (commit with len += n). */
char *buf_reserve(struct buf *b, size_t n);
void buf_reset(struct buf *b);		/* len = 0, keeps memory */
void buf_free(struct buf *b);
/* Hand the contents to the caller (free() it); b is left empty. */
char *buf_detach(struct buf *b);

#endif
