/* libFuzzer target: the streaming splitter (jstream) and the object
 * iterator. Property: the pieces and the verdict do not depend on where
 * the chunks are cut. Build with `make fuzz`; run
 * build/fuzz/fuzz_jstream -max_total_time=60. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
collect(void *ctx, const char *path, const char *text, size_t len)
{
	struct buf *b = ctx;
	struct jobj_iter it;
	struct jmember m;

	buf_printf(b, "%s=", path);
	buf_add(b, text, len);
	buf_addc(b, '\n');
	if (jobj_begin(&it, text, len) == 0)
		while (jobj_next(&it, &m) == 1)
			buf_add(b, m.key, m.klen);
	return 0;
}

/* Splits doc into chunks of n bytes; pieces in *out, verdict returned. */
static int
run(const char *doc, size_t len, size_t n, struct buf *out)
{
	struct jstream *js = jstream_new("data.result", collect, out);
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i += n)
		rc = jstream_feed(js, doc + i, len - i < n ? len - i : n);
	if (rc == 0)
		rc = jstream_finish(js);
	jstream_free(js);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t n;
	int ra, rb;

	if (size < 1)
		return 0;
	n = (size_t)data[0] % 17 + 1;
	ra = run((const char *)data + 1, size - 1, size, &a);
	rb = run((const char *)data + 1, size - 1, n, &b);
	if (ra != rb || (ra == 0 && (a.len != b.len ||
	    (a.len > 0 && memcmp(a.p, b.p, a.len) != 0))))
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
