/* llmask_redact.c — libFuzzer target for llmask's redactor.
 *
 * The redactor lives in src/llmask, not in the library the fuzz rule
 * links, so its one source file is included here. Checks: no crash or
 * overread (ASan), nothing replaced means the text went out unchanged,
 * and redacting twice changes nothing more (no half-redacted secrets).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/llmask/redact.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf once = BUF_INIT, twice = BUF_INIT;
	size_t n;

	n = redact(&once, (const char *)data, size);
	if (n == 0 && (once.len != size || memcmp(once.p, data, size) != 0))
		abort();
	redact(&twice, once.p, once.len);
	if (twice.len != once.len || memcmp(twice.p, once.p, once.len) != 0)
		abort();
	buf_free(&once);
	buf_free(&twice);
	return 0;
}
