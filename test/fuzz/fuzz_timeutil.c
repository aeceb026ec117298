/* libFuzzer target: durations and times (hand-written parsers).
 * Build with `make fuzz`; run build/fuzz/fuzz_timeutil -max_total_time=60.
 * Besides not crashing: what parses is finite, and a duration written by
 * dur_format reads back to the same milliseconds. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_duration(const char *s)
{
	char buf[128];
	double sec, back;

	if (dur_parse(s, &sec) != 0)
		return;
	if (!isfinite(sec) || sec < 0)
		abort();
	if (sec >= 1e12)	/* beyond 30,000 years: no round trip promised */
		return;
	dur_format(sec, buf, sizeof buf);
	if (dur_parse(buf, &back) != 0 || llround(back * 1000) !=
	    llround(sec * 1000))
		abort();
}

static void
check_time(const char *s)
{
	char buf[64];
	double t;

	if (time_parse(s, 1795320000, &t) != 0)
		return;
	if (!isfinite(t))
		abort();
	time_format(t, buf, sizeof buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_duration(s);
	check_time(s);
	free(s);
	return 0;
}
