/* phonecall_schedule.c — libFuzzer target for phonecall's schedule
 * reader (YAML through libyaml, zones through the tz database) and its
 * lookups.
 *
 * The reader lives in src/phonecall, not in the library the fuzz rule
 * links, so its source files are included here. Checks: no crash,
 * overread or leak (ASan), and for a schedule that loads, every level
 * at a few instants names someone with an E.164 number, on call over
 * an interval that holds the instant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/phonecall/answer.c"
#include "../../src/phonecall/schedule.c"
#include "../../src/phonecall/tz.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const time_t when[] = { 0, 1774746000, 1795320000, 1792890000 };
	struct sched_error err;
	struct schedule *s;

	s = schedule_parse("fuzz", (const char *)data, size, &err);
	if (s == NULL) {
		if (err.msg[0] == '\0')
			abort();	/* a refusal always says why */
		return 0;
	}
	for (size_t i = 0; i < sizeof when / sizeof when[0]; i++)
		for (size_t level = 0; level < s->nlevels; level++) {
			struct oncall oc;

			schedule_at(s, level, when[i], &oc);
			if (oc.who == NULL || !e164_valid(oc.who->number) ||
			    oc.since > when[i] || oc.until <= when[i])
				abort();
		}
	schedule_free(s);
	return 0;
}
