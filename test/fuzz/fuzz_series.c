/* libFuzzer target: the series fast path and the JSON-lines parser.
 * Build with `make fuzz`; run build/fuzz/fuzz_series -max_total_time=60. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"
#include "series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_value(double a, double b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* What we write must read back to the same samples: values exactly,
 * times to the millisecond fmt_time keeps. */
static void
check_round_trip(const struct series *s, struct buf *out)
{
	struct series back;
	char *err = NULL;
	size_t i;

	buf_adds(out, s->instant ? "{\"value\":" : "{\"values\":");
	series_dump_values(out, s);
	buf_addc(out, '}');
	series_init(&back);
	if (series_parse(&back, out->p, out->len, &err) != 0 ||
	    back.n != s->n)
		abort();
	for (i = 0; i < s->n; i++)
		if (!same_value(s->s[i].v, back.s[i].v) ||
		    !(fabs(s->s[i].t - back.s[i].t) <=
		    0.0005 + fabs(s->s[i].t) * 1e-15))
			abort();
	series_free(&back);
}

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
	if (series_parse(&s, line, size, &err) == 0 && s.has_values &&
	    (s.n > 0 || !s.instant)) {
		check_round_trip(&s, &out);
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
