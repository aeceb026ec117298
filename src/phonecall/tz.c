/* tz.c — local wall times in a named zone, from the system tz database.
 *
 * No zone rules are written here: the C library reads the zone file
 * (setenv TZ, tzset, localtime_r) and this file only decides what a wall
 * time means when the clocks jump. tz_instant does not trust mktime with
 * that (its answer for a skipped hour is unspecified): it tries each UTC
 * offset the zone has around the date and keeps the instants whose local
 * time reads back the same.
 *
 * TZ is process-wide: these functions set it for the call and restore
 * it, and are not for threads that read local time meanwhile (phonecall
 * looks schedules up before its listener thread runs, and formats every
 * time it prints in UTC).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "phonecall.h"
#include "timeutil.h"

#define DAY	86400LL

int
tz_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	int fd, ok;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	/* A name, not a path: no leading slash, no "..", no odd bytes. */
	if (zone == NULL || *zone == '\0' || *zone == '/' ||
	    strstr(zone, "..") != NULL ||
	    strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(zone))
		return -1;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, zone) >=
	    sizeof path)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	ok = read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok ? 0 : -1;
}

/* Sets TZ to zone; returns the old value to give back to tz_restore. */
static char *
tz_enter(const char *zone)
{
	const char *old = getenv("TZ");
	char *saved = old ? xstrdup(old) : NULL;

	if (setenv("TZ", zone, 1) != 0)
		msg_oom();
	tzset();
	return saved;
}

static void
tz_restore(char *saved)
{
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* Naive seconds of a broken-down local time. */
static long long
tm_wall(const struct tm *tm)
{
	struct tm copy = *tm;

	copy.tm_isdst = 0;
	return (long long)timegm(&copy);
}

static long
offset_at(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

long long
tz_wall(const char *zone, time_t t, long *gmtoff)
{
	char *saved = tz_enter(zone);
	struct tm tm;
	long long wall = (long long)t;
	long off = 0;

	if (localtime_r(&t, &tm) != NULL) {
		wall = tm_wall(&tm);
		off = tm.tm_gmtoff;
	}
	tz_restore(saved);
	if (gmtoff != NULL)
		*gmtoff = off;
	return wall;
}

time_t
tz_instant(const char *zone, long long wall)
{
	static const long long around[] = { -2 * DAY, -DAY, 0, DAY, 2 * DAY };
	char *saved = tz_enter(zone);
	long offs[5];
	size_t noffs = 0, i, j;
	time_t best = 0, t;
	int found = 0;
	long least = 0;

	/* The zone's offsets near that date: at most a few distinct. */
	for (i = 0; i < 5; i++) {
		long o = offset_at((time_t)(wall + around[i]));

		for (j = 0; j < noffs && offs[j] != o; j++)
			;
		if (j == noffs)
			offs[noffs++] = o;
	}
	for (i = 0; i < noffs; i++) {
		t = (time_t)(wall - offs[i]);
		/* A reading back to the same wall time is an occurrence;
		 * of two (an overlap), the earlier is the first. */
		if (offset_at(t) == offs[i] && (!found || t < best)) {
			best = t;
			found = 1;
		}
		if (i == 0 || offs[i] < least)
			least = offs[i];
	}
	/* None: the hour was skipped. The offset before a gap is the
	 * smaller one, and wall minus it lands past the gap by its length. */
	if (!found)
		best = (time_t)(wall - least);
	tz_restore(saved);
	return best;
}

int
tz_parse_wall(const char *s, long long *wall)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s);
	char buf[32];
	double t;

	/* The shape first: time_parse also takes offsets, fractions and
	 * Unix seconds, which a local time is not. */
	if (n != 16 && n != 19)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    shape[i] == 'T' ? s[i] != 'T' && s[i] != ' ' :
		    s[i] != shape[i])
			return -1;
	if (n == 19 && s[17] > '5')
		return -1;	/* no leap second in a schedule */
	/* Read as if UTC, a wall time is its naive seconds. */
	snprintf(buf, sizeof buf, "%s%sZ", s, n == 16 ? ":00" : "");
	if (time_parse(buf, 0, &t) != 0 || t < 0)
		return -1;
	*wall = (long long)t;
	return 0;
}
