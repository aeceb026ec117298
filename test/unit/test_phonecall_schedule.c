/* test_phonecall_schedule.c — the tz helper (wall times to instants and
 * back across DST gaps and overlaps) and the on-call schedule: handoffs
 * that stay at the same local hour across DST, overrides, escalation
 * order, and every refusal naming its line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phonecall.h"
#include "timeutil.h"

/* An instant from RFC 3339. */
static time_t
at(const char *s)
{
	double t;

	assert_int_equal(time_parse(s, 0, &t), 0);
	return (time_t)t;
}

static long long
wall(const char *s)
{
	long long w;

	assert_int_equal(tz_parse_wall(s, &w), 0);
	return w;
}

static void
assert_time(time_t t, const char *want)
{
	char buf[64];

	time_format((double)t, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
test_tz_basics(void **state)
{
	long off;

	(void)state;
	assert_int_equal(tz_valid("Europe/Paris"), 0);
	assert_int_equal(tz_valid("UTC"), 0);
	assert_int_equal(tz_valid("America/Argentina/Buenos_Aires"), 0);
	assert_int_equal(tz_valid("Europe/Pariss"), -1);
	assert_int_equal(tz_valid("../etc/passwd"), -1);
	assert_int_equal(tz_valid("/etc/localtime"), -1);
	assert_int_equal(tz_valid(""), -1);
	assert_int_equal(tz_valid("Europe/Paris "), -1);
	/* winter and summer */
	assert_time(tz_instant("Europe/Paris", wall("2026-01-15T09:00")),
	    "2026-01-15T08:00:00Z");
	assert_time(tz_instant("Europe/Paris", wall("2026-07-15T09:00")),
	    "2026-07-15T07:00:00Z");
	assert_true(tz_wall("Europe/Paris", at("2026-07-15T07:00:00Z"), &off) ==
	    wall("2026-07-15T09:00"));
	assert_int_equal(off, 7200);
	/* the skipped hour (Paris, 29 March 2026, 02:00-03:00): shifted by it */
	assert_time(tz_instant("Europe/Paris", wall("2026-03-29T02:30")),
	    "2026-03-29T01:30:00Z");
	assert_time(tz_instant("Europe/Paris", wall("2026-03-29T03:00")),
	    "2026-03-29T01:00:00Z");
	assert_time(tz_instant("Europe/Paris", wall("2026-03-29T01:59:59")),
	    "2026-03-29T00:59:59Z");
	/* the repeated hour (25 October 2026, 02:00-03:00): the first */
	assert_time(tz_instant("Europe/Paris", wall("2026-10-25T02:30")),
	    "2026-10-25T00:30:00Z");
	assert_time(tz_instant("Europe/Paris", wall("2026-10-25T03:00")),
	    "2026-10-25T02:00:00Z");
	/* the other hemisphere and the other side of the date line */
	assert_time(tz_instant("Australia/Sydney", wall("2026-10-04T02:30")),
	    "2026-10-03T16:30:00Z");
	assert_time(tz_instant("America/New_York", wall("2026-11-01T01:30")),
	    "2026-11-01T05:30:00Z");
	/* TZ is left as it was */
	assert_null(getenv("TZ"));
}

/* Every quarter hour of a year, both ways: instant(wall(t)) is t unless
 * t is the second pass of a repeated hour (then the first pass);
 * wall(instant(w)) is w unless w was skipped (then w plus the gap). */
static void
test_tz_round_trip(void **state)
{
	static const struct {
		const char *zone;
		int repeated, skipped;	/* quarter hours in 2026 */
	} zones[] = {
		{ "Europe/Paris", 4, 4 },
		{ "America/New_York", 4, 4 },
		{ "Australia/Lord_Howe", 2, 2 },	/* DST is 30 minutes */
		{ "Asia/Kolkata", 0, 0 },
		{ "UTC", 0, 0 },
	};

	(void)state;
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		const char *zone = zones[z].zone;
		time_t t0 = at("2026-01-01T00:00:00Z");
		long long w0 = wall("2026-01-01T00:00");
		int repeated = 0, skipped = 0;

		for (long long i = 0; i < 365 * 96; i++) {
			time_t t = t0 + (time_t)i * 900, back;
			long long w = w0 + i * 900, again;

			back = tz_instant(zone, tz_wall(zone, t, NULL));
			if (back != t) {
				assert_true(back < t && t - back <= 3600);
				repeated++;
			}
			again = tz_wall(zone, tz_instant(zone, w), NULL);
			if (again != w) {
				assert_true(again > w && again - w <= 3600);
				skipped++;
			}
		}
		if (repeated != zones[z].repeated || skipped != zones[z].skipped)
			print_error("%s: %d repeated, %d skipped\n", zone,
			    repeated, skipped);
		assert_int_equal(repeated, zones[z].repeated);
		assert_int_equal(skipped, zones[z].skipped);
	}
}

static void
test_parse_wall(void **state)
{
	long long w;

	(void)state;
	assert_int_equal(tz_parse_wall("2026-11-02T09:00", &w), 0);
	assert_int_equal(tz_parse_wall("2026-11-02 09:00:30", &w), 0);
	assert_int_equal(tz_parse_wall("2028-02-29T00:00", &w), 0);
	assert_int_equal(tz_parse_wall("2026-02-29T00:00", &w), -1);
	assert_int_equal(tz_parse_wall("2026-04-31T00:00", &w), -1);
	assert_int_equal(tz_parse_wall("2026-11-02T24:00", &w), -1);
	assert_int_equal(tz_parse_wall("2026-11-02T09:00Z", &w), -1);
	assert_int_equal(tz_parse_wall("2026-11-02", &w), -1);
	assert_int_equal(tz_parse_wall("1969-12-31T23:00", &w), -1);
	assert_int_equal(tz_parse_wall("", &w), -1);
}

static const char paris[] =
	"timezone: Europe/Paris\n"
	"rotations:\n"
	"  - name: primary\n"
	"    start: 2026-11-02T09:00\n"
	"    length: 1w\n"
	"    participants:\n"
	"      - {name: alice, number: \"+33612345678\"}\n"
	"      - {name: bob, number: \"+33698765432\"}\n"
	"  - name: secondary\n"
	"    start: 2026-03-27T09:00\n"
	"    length: 1d\n"
	"    participants:\n"
	"      - {name: dave, number: \"+33600000001\"}\n"
	"      - {name: erin, number: \"+33600000002\"}\n"
	"      - {name: fred, number: \"+33600000003\"}\n"
	"  - name: night\n"
	"    start: 2026-03-28T20:00\n"
	"    length: 12h\n"
	"    participants:\n"
	"      - {name: gus, number: \"+33600000004\"}\n"
	"      - {name: hal, number: \"+33600000005\"}\n"
	"overrides:\n"
	"  - {rotation: primary, start: 2026-11-24T09:00, end: 2026-11-25T09:00,"
	" name: carol, number: \"+33611112222\"}\n"
	"  - {rotation: primary, start: 2026-11-24T12:00, end: 2026-11-24T14:00,"
	" name: zoe, number: \"+33611113333\"}\n"
	"escalation: [primary, secondary, night]\n";

static struct schedule *
load(const char *text)
{
	struct sched_error err;
	struct schedule *s = schedule_parse("test.yaml", text, strlen(text),
	    &err);

	if (s == NULL)
		print_error("line %zu: %s\n", err.line, err.msg);
	assert_non_null(s);
	return s;
}

static void
expect(const struct schedule *s, size_t level, const char *when,
    const char *who, const char *since, const char *until)
{
	struct oncall oc;

	schedule_at(s, level, at(when), &oc);
	assert_string_equal(oc.who->name, who);
	assert_time(oc.since, since);
	assert_time(oc.until, until);
	assert_true(oc.since <= at(when) && at(when) < oc.until);
}

static void
test_rotations(void **state)
{
	struct schedule *s = load(paris);

	(void)state;
	assert_int_equal(s->nlevels, 3);
	/* weekly, 09:00 Paris: 08:00Z in winter */
	expect(s, 0, "2026-11-02T08:00:00Z", "alice", "2026-11-02T08:00:00Z",
	    "2026-11-09T08:00:00Z");
	expect(s, 0, "2026-11-02T07:59:59Z", "bob", "2026-10-26T08:00:00Z",
	    "2026-11-02T08:00:00Z");
	expect(s, 0, "2026-11-10T00:00:00Z", "bob", "2026-11-09T08:00:00Z",
	    "2026-11-16T08:00:00Z");
	/* the week DST ends: 169 hours, still 09:00 local at both ends */
	expect(s, 0, "2026-10-25T12:00:00Z", "alice", "2026-10-19T07:00:00Z",
	    "2026-10-26T08:00:00Z");
	/* daily across the spring change: 23 hours, 09:00 local */
	expect(s, 1, "2026-03-28T12:00:00Z", "erin", "2026-03-28T08:00:00Z",
	    "2026-03-29T07:00:00Z");
	expect(s, 1, "2026-03-29T07:00:00Z", "fred", "2026-03-29T07:00:00Z",
	    "2026-03-30T07:00:00Z");
	/* before its start, a rotation runs backwards */
	expect(s, 1, "2026-03-26T12:00:00Z", "fred", "2026-03-26T08:00:00Z",
	    "2026-03-27T08:00:00Z");
	/* 12h from 20:00: the night of the change lasts 11 hours... */
	expect(s, 2, "2026-03-29T00:00:00Z", "gus", "2026-03-28T19:00:00Z",
	    "2026-03-29T06:00:00Z");
	/* ...and the day after is 08:00-20:00 CEST */
	expect(s, 2, "2026-03-29T12:00:00Z", "hal", "2026-03-29T06:00:00Z",
	    "2026-03-29T18:00:00Z");
	schedule_free(s);
}

static void
test_overrides(void **state)
{
	struct schedule *s = load(paris);
	struct oncall oc;

	(void)state;
	/* carol covers the day, zoe (listed later) two hours inside it */
	expect(s, 0, "2026-11-24T07:59:00Z", "bob", "2026-11-23T08:00:00Z",
	    "2026-11-24T08:00:00Z");
	expect(s, 0, "2026-11-24T08:00:00Z", "carol", "2026-11-24T08:00:00Z",
	    "2026-11-24T11:00:00Z");
	expect(s, 0, "2026-11-24T11:30:00Z", "zoe", "2026-11-24T11:00:00Z",
	    "2026-11-24T13:00:00Z");
	expect(s, 0, "2026-11-24T13:00:00Z", "carol", "2026-11-24T13:00:00Z",
	    "2026-11-25T08:00:00Z");
	/* back to the rotation when it ends, until the next handoff */
	expect(s, 0, "2026-11-25T08:00:00Z", "bob", "2026-11-25T08:00:00Z",
	    "2026-11-30T08:00:00Z");
	schedule_at(s, 0, at("2026-11-24T11:30:00Z"), &oc);
	assert_true(oc.override);
	assert_string_equal(oc.who->number, "+33611113333");
	/* other levels are untouched */
	schedule_at(s, 1, at("2026-11-24T11:30:00Z"), &oc);
	assert_false(oc.override);
	assert_string_equal(schedule_person(s, "+33611112222"), "carol");
	assert_string_equal(schedule_person(s, "+33600000002"), "erin");
	assert_null(schedule_person(s, "+33000000000"));
	schedule_free(s);
}

static void
test_default_escalation(void **state)
{
	struct schedule *s = load("timezone: UTC\nrotations:\n"
	    "- name: a\n  start: 2026-01-01T00:00\n  length: 8h\n"
	    "  participants: [{name: x, number: '+15550000001'}]\n"
	    "- name: b\n  start: 2026-01-01T00:00\n  length: 90m\n"
	    "  participants: [{name: y, number: '+15550000002'},"
	    " {name: z, number: '+15550000003'}]\n");

	(void)state;
	assert_int_equal(s->nlevels, 2);
	expect(s, 1, "2026-01-01T01:29:59Z", "y", "2026-01-01T00:00:00Z",
	    "2026-01-01T01:30:00Z");
	expect(s, 1, "2026-01-01T01:30:00Z", "z", "2026-01-01T01:30:00Z",
	    "2026-01-01T03:00:00Z");
	schedule_free(s);
}

static const struct {
	const char *yaml;
	size_t line;
	const char *msg;
} refused[] = {
	{ "", 0, "empty schedule" },
	{ "timezone: UTC\nrotations: x: y\n", 2, "not YAML" },
	{ "rotations: []\n", 1, "no 'timezone'" },
	{ "timezone: Mars/Olympus\nrotations: []\n", 1, "unknown time zone 'Mars/Olympus'" },
	{ "timezone: UTC\n", 1, "no 'rotations'" },
	{ "timezone: UTC\nrotations: []\n", 2, "'rotations' is empty" },
	{ "timezone: UTC\ntimezone: UTC\n", 2, "'timezone' given twice" },
	{ "timezone: UTC\nrotation: []\n", 2, "unknown key 'rotation'" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '0612345678'}]\n",
	  6, "number '0612345678' (x) is not E.164" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x}]\n", 6, "needs 'name' and 'number'" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 30s\n  participants: [{name: x, number: '+15550000001'}]\n",
	  5, "'length' must be a duration" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-02-30T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n",
	  4, "'start' must be a local time" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: []\n", 6, "'participants' is empty" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n"
	  "- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n",
	  7, "two rotations named 'a'" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n"
	  "escalation: [a, b]\n", 7, "unknown rotation 'b'" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n"
	  "escalation: [a, a]\n", 7, "names 'a' twice" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n"
	  "overrides:\n- {rotation: a, start: 2026-01-02T00:00, end: "
	  "2026-01-01T00:00, name: y, number: '+15550000002'}\n", 8,
	  "ends before it starts" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n"
	  "overrides:\n- {rotation: c, start: 2026-01-01T00:00, end: "
	  "2026-01-02T00:00, name: y, number: '+15550000002'}\n", 8,
	  "unknown rotation 'c'" },
	{ "timezone: UTC\nrotations:\n- name: a\n  start: 2026-01-01T00:00\n"
	  "  length: 1d\n  participants: [{name: x, number: '+15550000001'}]\n"
	  "overrides:\n- {rotation: a, start: 2026-01-01T00:00, end: "
	  "2026-01-02T00:00, name: y, number: '+1 555'}\n", 8,
	  "number '+1 555' (y) is not E.164" },
	{ "- a\n- b\n", 1, "the schedule must be a mapping" },
};

static void
test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		struct sched_error err;
		struct schedule *s = schedule_parse("t.yaml", refused[i].yaml,
		    strlen(refused[i].yaml), &err);

		if (s != NULL || strstr(err.msg, refused[i].msg) == NULL ||
		    err.line != refused[i].line)
			print_error("case %zu: line %zu: %s\n", i, err.line,
			    err.msg);
		assert_null(s);
		assert_non_null(strstr(err.msg, refused[i].msg));
		assert_int_equal(err.line, refused[i].line);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz_basics),
		cmocka_unit_test(test_tz_round_trip),
		cmocka_unit_test(test_parse_wall),
		cmocka_unit_test(test_rotations),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_default_escalation),
		cmocka_unit_test(test_refused),
	};

	unsetenv("TZ");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
